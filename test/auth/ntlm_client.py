#!/usr/bin/python3
"""impacket (Debian python3-impacket 0.10) NTLM client driven over stdin/stdout, one JSON object per line.

Requests ({"op": ...}) and replies:
  negotiate    {v2, sign}                        -> {token, flags}        getNTLMSSPType1
  authenticate {challenge, user, password, domain} -> {token, flags}      getNTLMSSPType3, then keys and RC4 handles
  seal         {message, offset, length}         -> {message, signature} client->server, impacket ntlm.SEAL
  sign         {message}                         -> {signature}           client->server, impacket ntlm.SIGN
  unseal       {message, offset, length, signature} -> {ok, message}      server->client: decrypt, recompute MAC
  verify       {message, signature}              -> {ok}                  server->client signature check
Errors come back as {error}. Hex strings throughout. Run with /usr/bin/python3 (Debian's, where impacket lives).
"""
import json
import sys

from Cryptodome.Cipher import ARC4
from impacket import ntlm

S = {}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def handle(req):
    op = req['op']
    if op == 'negotiate':
        v2 = req.get('v2', True)
        t1 = ntlm.getNTLMSSPType1('WS-IMPACKET', '', signingRequired=req.get('sign', True), use_ntlmv2=v2)
        S.clear()
        S.update(t1=t1, v2=v2)
        return {'token': t1.getData().hex(), 'flags': t1['flags']}
    if op == 'authenticate':
        t3, key = ntlm.getNTLMSSPType3(S['t1'], bytes.fromhex(req['challenge']), req['user'], req['password'],
                                       req['domain'], use_ntlmv2=S['v2'])
        flags = t3['flags']
        S.update(flags=flags, key=key, cseq=0, sseq=0)
        if flags & ntlm.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY:
            S['csign'] = ntlm.SIGNKEY(flags, key, 'Client')
            S['ssign'] = ntlm.SIGNKEY(flags, key, 'Server')
            S['chandle'] = ARC4.new(ntlm.SEALKEY(flags, key, 'Client')).encrypt
            S['shandle'] = ARC4.new(ntlm.SEALKEY(flags, key, 'Server')).encrypt
        return {'token': t3.getData().hex(), 'flags': flags}
    if op == 'seal':
        msg = bytes.fromhex(req['message'])
        off, ln = req['offset'], req['length']
        sealed, sig = ntlm.SEAL(S['flags'], S['csign'], None, msg, msg[off:off + ln], S['cseq'], S['chandle'])
        S['cseq'] += 1
        return {'message': (msg[:off] + sealed + msg[off + ln:]).hex(), 'signature': sig.getData().hex()}
    if op == 'sign':
        sig = ntlm.SIGN(S['flags'], S['csign'], bytes.fromhex(req['message']), S['cseq'], S['chandle'])
        S['cseq'] += 1
        return {'signature': sig.getData().hex()}
    if op == 'unseal':
        msg = bytes.fromhex(req['message'])
        off, ln = req['offset'], req['length']
        plain = S['shandle'](msg[off:off + ln])
        full = msg[:off] + plain + msg[off + ln:]
        expect = ntlm.SIGN(S['flags'], S['ssign'], full, S['sseq'], S['shandle']).getData()
        S['sseq'] += 1
        return {'ok': expect == bytes.fromhex(req['signature']), 'message': full.hex()}
    if op == 'verify':
        expect = ntlm.SIGN(S['flags'], S['ssign'], bytes.fromhex(req['message']), S['sseq'], S['shandle']).getData()
        S['sseq'] += 1
        return {'ok': expect == bytes.fromhex(req['signature'])}
    raise ValueError('unknown op ' + op)


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        reply(handle(json.loads(line)))
    except Exception as e:  # reported to the test, which fails on it
        reply({'error': '%s: %s' % (type(e).__name__, e)})
