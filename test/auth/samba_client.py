#!/usr/bin/python3
"""Samba 4.17 (Debian python3-samba) GENSEC client driven over stdin/stdout, one JSON object per line.

Requests ({"op": ...}) and replies:
  start   {mech: spnego|ntlmssp, user, password, domain, features: [sign, seal, dce], lp: {name: value}}
                                            -> {finished, token}   first update(b'')
  update  {token}                           -> {finished, token}
  wrap    {data}                            -> {data}              ntlmssp_wrap: sig(16) || sealed or signed data
  unwrap  {data}                            -> {data}              raises (error) when the signature is bad
  sign_packet  {data, pdu}                  -> {signature}         DCE/RPC style: signature over pdu
  check_packet {data, pdu, signature}       -> {ok: true}          raises when bad
  session_key  {}                           -> {key}
Errors come back as {error}. Hex strings throughout. Run with /usr/bin/python3 (Debian's, where samba lives).
"""
import json
import sys

from samba import gensec
from samba.credentials import Credentials, DONT_USE_KERBEROS
from samba.param import LoadParm

G = {}
FEATURES = {'sign': gensec.FEATURE_SIGN, 'seal': gensec.FEATURE_SEAL, 'dce': gensec.FEATURE_DCE_STYLE,
            'session_key': gensec.FEATURE_SESSION_KEY}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def handle(req):
    op = req['op']
    if op == 'start':
        lp = LoadParm()
        lp.load('/dev/null')
        for k, v in req.get('lp', {}).items():
            lp.set(k, v)
        creds = Credentials()
        creds.guess(lp)
        creds.set_username(req['user'])
        creds.set_password(req['password'])
        creds.set_domain(req['domain'])
        creds.set_workstation('WS-SAMBA')
        creds.set_kerberos_state(DONT_USE_KERBEROS)
        g = gensec.Security.start_client({'lp_ctx': lp, 'target_hostname': 'exch01'})
        g.set_credentials(creds)
        g.set_target_service('host')
        for f in req.get('features', []):
            g.want_feature(FEATURES[f])
        g.start_mech_by_name(req['mech'])
        G['g'] = g
        G['lp'] = lp
        finished, out = g.update(b'')
        return {'finished': finished, 'token': out.hex()}
    g = G['g']
    if op == 'update':
        finished, out = g.update(bytes.fromhex(req['token']))
        return {'finished': finished, 'token': out.hex()}
    if op == 'wrap':
        return {'data': g.wrap(bytes.fromhex(req['data'])).hex()}
    if op == 'unwrap':
        return {'data': g.unwrap(bytes.fromhex(req['data'])).hex()}
    if op == 'sign_packet':
        return {'signature': g.sign_packet(bytes.fromhex(req['data']), bytes.fromhex(req['pdu'])).hex()}
    if op == 'check_packet':
        g.check_packet(bytes.fromhex(req['data']), bytes.fromhex(req['pdu']), bytes.fromhex(req['signature']))
        return {'ok': True}
    if op == 'session_key':
        return {'key': g.session_key().hex()}
    raise ValueError('unknown op ' + op)


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        reply(handle(json.loads(line)))
    except Exception as e:  # NTSTATUSError and friends: reported to the test
        reply({'error': '%s: %s' % (type(e).__name__, e)})
