#!/usr/bin/python3
"""impacket (Debian python3-impacket 0.10) as the *server-side* judge of an NTLM client, one JSON object a line.

impacket has no NTLM acceptor, so this recomputes what a correct client must send from the same inputs (server
challenge, TargetInfo, client challenge, exported session key) with impacket's own functions, parses the
client's AUTHENTICATE_MESSAGE with impacket's structure, and then plays the server's side of session security
with impacket's SIGNKEY/SEALKEY/SEAL/SIGN.

Requests ({"op": ...}) and replies:
  expect   {flags, serverChallenge, targetInfo, clientChallenge, exportedKey, user, password, domain, testCase}
           -> {nt, lm, sessionBaseKey, kxkey, encryptedKey, serverName}
           computeResponseNTLMv2 with serverName = TargetInfo plus MsvAvFlags 0x2 when it has an MsvAvTimestamp;
           testCase: impacket's TEST_CASE (blob time zero, serverName used as given)
  mic      {exportedKey, negotiate, challenge, authenticate} -> {mic}   HMAC_MD5 over the three, MIC zeroed
  parse    {authenticate}                   -> {flags, user, domain, host, lanman, ntlm, sessionKey, mic}
  keys     {flags, exportedKey}             -> {ok}    server role: verify c2s, produce s2c
  unseal   {message, offset, length, signature} -> {ok, message}   client->server
  verify   {message, signature}             -> {ok}                 client->server
  seal     {message, offset, length}        -> {message, signature} server->client
  sign     {message}                        -> {signature}          server->client
Errors come back as {error}. Hex strings throughout.
"""
import json
import struct
import sys

from Cryptodome.Cipher import ARC4
from impacket import ntlm

S = {}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def h(req, k):
    return bytes.fromhex(req[k])


def handle(req):
    op = req['op']
    if op == 'expect':
        av = ntlm.AV_PAIRS(h(req, 'targetInfo') if req['targetInfo'] else b'\x00\x00\x00\x00')
        if av[ntlm.NTLMSSP_AV_TIME] is not None:
            av[ntlm.NTLMSSP_AV_FLAGS] = struct.pack('<I', 2)
        server_name = av.getData()
        saved = ntlm.TEST_CASE
        ntlm.TEST_CASE = bool(req.get('testCase'))
        try:
            nt, lm, base = ntlm.computeResponseNTLMv2(req['flags'], h(req, 'serverChallenge'), h(req, 'clientChallenge'),
                                                      server_name, req['domain'], req['user'], req['password'])
        finally:
            ntlm.TEST_CASE = saved
        kx = ntlm.KXKEY(req['flags'], base, lm, h(req, 'serverChallenge'), req['password'], '', '', True)
        enc = ntlm.generateEncryptedSessionKey(kx, h(req, 'exportedKey'))
        return {'nt': nt.hex(), 'lm': lm.hex(), 'sessionBaseKey': base.hex(), 'kxkey': kx.hex(),
                'encryptedKey': enc.hex(), 'serverName': server_name.hex()}
    if op == 'mic':
        auth = bytearray(h(req, 'authenticate'))
        auth[72:88] = b'\x00' * 16
        return {'mic': ntlm.hmac_md5(h(req, 'exportedKey'), h(req, 'negotiate') + h(req, 'challenge') + bytes(auth)).hex()}
    if op == 'parse':
        data = h(req, 'authenticate')
        m = ntlm.NTLMAuthChallengeResponse()
        m.fromString(data)
        off, ln = m['session_key_offset'], m['session_key_len']
        return {'flags': m['flags'], 'user': m['user_name'].decode('utf-16le'),
                'domain': m['domain_name'].decode('utf-16le'), 'host': m['host_name'].decode('utf-16le'),
                'lanman': m['lanman'].hex(), 'ntlm': m['ntlm'].hex(), 'sessionKey': data[off:off + ln].hex(),
                'mic': m['MIC'].hex()}
    if op == 'keys':
        flags, key = req['flags'], h(req, 'exportedKey')
        S.update(flags=flags, cseq=0, sseq=0, csign=ntlm.SIGNKEY(flags, key, 'Client'),
                 ssign=ntlm.SIGNKEY(flags, key, 'Server'),
                 chandle=ARC4.new(ntlm.SEALKEY(flags, key, 'Client')).encrypt,
                 shandle=ARC4.new(ntlm.SEALKEY(flags, key, 'Server')).encrypt)
        return {'ok': True}
    if op == 'unseal':
        msg = h(req, 'message')
        off, ln = req['offset'], req['length']
        plain = S['chandle'](msg[off:off + ln])
        full = msg[:off] + plain + msg[off + ln:]
        expect = ntlm.SIGN(S['flags'], S['csign'], full, S['cseq'], S['chandle']).getData()
        S['cseq'] += 1
        return {'ok': expect == h(req, 'signature'), 'message': full.hex()}
    if op == 'verify':
        expect = ntlm.SIGN(S['flags'], S['csign'], h(req, 'message'), S['cseq'], S['chandle']).getData()
        S['cseq'] += 1
        return {'ok': expect == h(req, 'signature')}
    if op == 'seal':
        msg = h(req, 'message')
        off, ln = req['offset'], req['length']
        sealed, sig = ntlm.SEAL(S['flags'], S['ssign'], None, msg, msg[off:off + ln], S['sseq'], S['shandle'])
        S['sseq'] += 1
        return {'message': (msg[:off] + sealed + msg[off + ln:]).hex(), 'signature': sig.getData().hex()}
    if op == 'sign':
        sig = ntlm.SIGN(S['flags'], S['ssign'], h(req, 'message'), S['sseq'], S['shandle'])
        S['sseq'] += 1
        return {'signature': sig.getData().hex()}
    raise ValueError('unknown op ' + op)


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        reply(handle(json.loads(line)))
    except Exception as e:  # reported to the test, which fails on it
        reply({'error': '%s: %s' % (type(e).__name__, e)})
