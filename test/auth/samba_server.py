#!/usr/bin/python3
"""Samba 4.17 (Debian python3-samba) GENSEC *server* driven over stdin/stdout, one JSON object per line.

The accounts live in a throw-away Samba AD DC database: `setup` provisions one into `dir` (about 10 s; needs
Debian's samba-dsdb-modules and samba-ad-provision) and sets the users' passwords; the 'sam' auth method then
checks NTLM responses against it, exactly as a Samba DC would.

Requests ({"op": ...}) and replies:
  setup   {dir, users: {name: password}}    -> {ok}
  start   {mech: spnego|ntlmssp, features: [sign, seal, dce], lp: {name: value}} -> {ok}
  update  {token}                           -> {finished, token}   raises (error) on a refused logon
  session_info {}                           -> {account_name, domain_name}
  wrap    {data}                            -> {data}              sig(16) || sealed or signed data, server->client
  unwrap  {data}                            -> {data}              raises when the signature is bad
  sign_packet  {data, pdu}                  -> {signature}
  check_packet {data, pdu, signature}       -> {ok: true}          raises when bad
Errors come back as {error}. Hex strings throughout. Run with /usr/bin/python3 (Debian's, where samba lives).
"""
import json
import logging
import os
import sys

# Samba's C code and the provisioning may print to stdout: keep the real stdout for replies only.
OUT = os.fdopen(os.dup(1), 'w')
os.dup2(2, 1)

from samba import auth, gensec  # noqa: E402
from samba.param import LoadParm  # noqa: E402

G = {}
FEATURES = {'sign': gensec.FEATURE_SIGN, 'seal': gensec.FEATURE_SEAL, 'dce': gensec.FEATURE_DCE_STYLE,
            'session_key': gensec.FEATURE_SESSION_KEY}


def reply(obj):
    OUT.write(json.dumps(obj) + '\n')
    OUT.flush()


def setup(d, users):
    from samba.provision import provision
    from samba.samdb import SamDB
    conf = os.path.join(d, 'etc', 'smb.conf')
    if not os.path.exists(os.path.join(d, 'private', 'sam.ldb')):
        os.makedirs(d, exist_ok=True)
        lp = LoadParm()
        lp.load('/dev/null')
        log = logging.getLogger('provision')
        log.setLevel(logging.WARNING)
        provision(log, auth.system_session(), targetdir=d, realm='TEST.EXAMPLE', domain='TEST', hostname='exch01',
                  adminpass='Adm1n-Passw0rd!', serverrole='active directory domain controller', use_ntvfs=True,
                  dns_backend='NONE', dom_for_fun_level=4, lp=lp)
    lp = LoadParm()
    lp.load(conf)
    samdb = SamDB(url=os.path.join(d, 'private', 'sam.ldb'), session_info=auth.system_session(), lp=lp)
    for name, password in users.items():
        if samdb.search(expression='(sAMAccountName=%s)' % name, attrs=['dn']):
            samdb.setpassword('(sAMAccountName=%s)' % name, password)
        else:
            samdb.newuser(name, password)
    G.update(lp=lp, samdb=samdb)


def handle(req):
    op = req['op']
    if op == 'setup':
        setup(req['dir'], req.get('users', {}))
        return {'ok': True}
    if op == 'start':
        lp = G['lp']
        for k, v in req.get('lp', {}).items():
            lp.set(k, v)
        ctx = auth.AuthContext(lp_ctx=lp, ldb=G['samdb'], methods=['sam'])
        g = gensec.Security.start_server(settings={'lp_ctx': lp, 'target_hostname': 'exch01'}, auth_context=ctx)
        for f in req.get('features', []):
            g.want_feature(FEATURES[f])
        g.start_mech_by_name(req['mech'])
        G['g'] = g
        return {'ok': True}
    g = G['g']
    if op == 'update':
        finished, out = g.update(bytes.fromhex(req['token']))
        return {'finished': finished, 'token': out.hex()}
    if op == 'session_info':
        info = g.session_info().info
        return {'account_name': info.account_name, 'domain_name': info.domain_name}
    if op == 'wrap':
        return {'data': g.wrap(bytes.fromhex(req['data'])).hex()}
    if op == 'unwrap':
        return {'data': g.unwrap(bytes.fromhex(req['data'])).hex()}
    if op == 'sign_packet':
        return {'signature': g.sign_packet(bytes.fromhex(req['data']), bytes.fromhex(req['pdu'])).hex()}
    if op == 'check_packet':
        g.check_packet(bytes.fromhex(req['data']), bytes.fromhex(req['pdu']), bytes.fromhex(req['signature']))
        return {'ok': True}
    raise ValueError('unknown op ' + op)


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        reply(handle(json.loads(line)))
    except Exception as e:  # NTSTATUSError and friends: reported to the test
        if type(e).__name__ == 'NTSTATUSError' and e.args and isinstance(e.args[0], int):
            reply({'error': 'NTSTATUSError 0x%08X: %s' % (e.args[0] & 0xffffffff, e.args[1] if len(e.args) > 1 else '')})
        else:
            reply({'error': '%s: %s' % (type(e).__name__, e)})
