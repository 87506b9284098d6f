"""EMSMDB (MS-OXCRPC) client on impacket's DCE/RPC + NDR layer: transport, EcDoConnectEx, EcDoRpcExt2 with
RPC_HEADER_EXT extended buffers (LZ77 + XOR 0xA5, chained responses, RopBufferTooSmall), EcDoDisconnect,
EcDummyRpc, AsyncEMSMDB EcDoAsyncConnectEx / EcDoAsyncWaitEx. Run with /usr/bin/python3 (impacket 0.10)."""
import os
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lz77
from rops import build_rop_buffer, split_response_payload, RopRelease

# ---------------------------------------------------------------- RPC_HEADER_EXT (MS-OXCRPC 2.2.2.1)
EXT_COMPRESSED = 0x0001
EXT_XOR = 0x0002
EXT_LAST = 0x0004

# pulFlags (MS-OXCRPC 3.1.4.2)
NoCompression = 0x00000001
NoXorMagic = 0x00000002
Chain = 0x00000004

MAX_PAYLOAD = 0x8000


class ExtBufError(ValueError):
    pass


def xor_a5(b):
    return bytes(x ^ 0xA5 for x in b)


def make_ext_buffer(payload, compress=True, xor=True, last=True):
    """One RPC_HEADER_EXT + payload. Compresses only when that makes the payload smaller."""
    flags = EXT_LAST if last else 0
    data = payload
    if compress:
        c = lz77.compress(payload)
        if len(c) < len(payload):
            data = c
            flags |= EXT_COMPRESSED
    if xor:
        data = xor_a5(data)
        flags |= EXT_XOR
    if len(data) > 0xFFFF or len(payload) > 0xFFFF:
        raise ExtBufError('payload too large for one RPC_HEADER_EXT')
    return struct.pack('<HHHH', 0, flags, len(data), len(payload)) + data


def parse_ext_buffers(buf, max_total=0x400000):
    """Split an extended buffer into its RPC_HEADER_EXT chain. Returns list of dicts with the decoded payload.

    pcbOut bounds the bytes of rgbOut, not what its payloads decode to (MS-OXCRPC 3.1.4.2; each payload is at most
    32 KB, 3.1.4.2.1): a chained reply of well-compressed payloads decodes to several times pcbOut. max_total is this
    client's own memory bound (the server sends at most 64 payloads).
    """
    out = []
    pos = 0
    total = 0
    while True:
        if pos + 8 > len(buf):
            raise ExtBufError('truncated RPC_HEADER_EXT at %d (buffer %d)' % (pos, len(buf)))
        version, flags, size, actual = struct.unpack_from('<HHHH', buf, pos)
        if version != 0:
            raise ExtBufError('RPC_HEADER_EXT Version %d != 0' % version)
        if flags & ~0x7:
            raise ExtBufError('unknown RPC_HEADER_EXT flags 0x%04X' % flags)
        pos += 8
        if pos + size > len(buf):
            raise ExtBufError('payload Size %d exceeds buffer' % size)
        data = bytes(buf[pos:pos + size])
        pos += size
        if flags & EXT_XOR:
            data = xor_a5(data)
        if flags & EXT_COMPRESSED:
            data = lz77.decompress(data, expected_size=actual)
        elif size != actual:
            raise ExtBufError('uncompressed payload with Size %d != SizeActual %d' % (size, actual))
        total += len(data)
        if total > max_total:
            raise ExtBufError('decoded total exceeds %d' % max_total)
        out.append({'Version': version, 'Flags': flags, 'Size': size, 'SizeActual': actual, 'payload': data})
        if flags & EXT_LAST:
            break
    if pos != len(buf):
        raise ExtBufError('%d bytes after the Last RPC_HEADER_EXT' % (len(buf) - pos))
    return out


# ---------------------------------------------------------------- AUX blocks (MS-OXCRPC 2.2.2.2)
AUX_TYPES = {0x01: 'AUX_PERF_REQUESTID', 0x02: 'AUX_PERF_CLIENTINFO', 0x03: 'AUX_PERF_SERVERINFO',
             0x04: 'AUX_PERF_SESSIONINFO', 0x0A: 'AUX_CLIENT_CONTROL', 0x0B: 'AUX_PERF_PROCESSINFO',
             0x16: 'AUX_OSVERSIONINFO', 0x17: 'AUX_EXORGINFO', 0x18: 'AUX_PERF_ACCOUNTINFO',
             0x46: 'AUX_SERVER_CAPABILITIES', 0x48: 'AUX_ENDPOINT_CAPABILITIES', 0x4B: 'AUX_SERVER_SESSION_INFO'}


def _pad4(b):
    return b + b'\0' * (-len(b) % 4)


def aux_block(version, atype, body):
    body = _pad4(body)
    return struct.pack('<HBB', 4 + len(body), version, atype) + body


def aux_perf_clientinfo(machine='OCTEST-PC', user='alice', client_mode=1, client_id=1, adapter='Ethernet'):
    """2.2.2.2.4 AUX_PERF_CLIENTINFO: 28-byte fixed part (offsets count from the start of AUX_HEADER), then strings."""
    fixed = 4 + 28
    strings = b''
    offs = {}
    for key, s in (('machine', machine), ('user', user), ('adapter', adapter)):
        offs[key] = fixed + len(strings)
        strings += s.encode('utf-16-le') + b'\0\0'
    ip = bytes([127, 0, 0, 1])
    offs['ip'] = fixed + len(strings)
    strings += ip
    body = struct.pack('<IHHHHHHHHHHHH', 100000, client_id, offs['machine'], offs['user'], len(ip), offs['ip'], 0, 0,
                       offs['adapter'], 0, 0, client_mode, 0) + strings
    return aux_block(1, 0x02, body)


def aux_perf_processinfo(name='OUTLOOK.EXE', process_id=1):
    """2.2.2.2.6 AUX_PERF_PROCESSINFO: ProcessID, Reserved_1, ProcessGuid, ProcessNameOffset, Reserved_2, name."""
    import uuid as _uuid
    body = struct.pack('<HH', process_id, 0) + _uuid.uuid4().bytes_le + struct.pack('<HH', 4 + 24, 0) + \
        name.encode('utf-16-le') + b'\0\0'
    return aux_block(1, 0x0B, body)


def parse_aux(buf):
    """rgbAuxOut: RPC_HEADER_EXT chain whose payload is a sequence of AUX_HEADER blocks."""
    if not buf:
        return []
    blocks = []
    for ext in parse_ext_buffers(buf):
        p = ext['payload']
        pos = 0
        while pos + 4 <= len(p):
            size, ver, atype = struct.unpack_from('<HBB', p, pos)
            if size < 4 or pos + size > len(p):
                raise ExtBufError('bad AUX_HEADER Size %d at %d' % (size, pos))
            body = p[pos + 4:pos + size]
            blk = {'Size': size, 'Version': ver, 'Type': atype, 'name': AUX_TYPES.get(atype, 'unknown'),
                   'hex': body.hex()}
            if atype == 0x17 and len(body) >= 4:
                blk['OrgFlags'] = struct.unpack_from('<I', body)[0]
            if atype == 0x0A and len(body) >= 8:
                blk['EnableFlags'], blk['ExpiryTime'] = struct.unpack_from('<II', body)
            if atype == 0x48 and len(body) >= 4:
                blk['EndpointCapabilityFlag'] = struct.unpack_from('<I', body)[0]
            if atype == 0x46 and len(body) >= 4:
                blk['ServerCapabilityFlags'] = struct.unpack_from('<I', body)[0]
            blocks.append(blk)
            pos += size
    return blocks


# ---------------------------------------------------------------- versions (MS-OXCRPC 3.1.4.1.3)

def version_words(major, minor, build, rev):
    return [(major << 8) | minor, 0x8000 | build, rev]


def normalize_version(w):
    if w[1] & 0x8000:
        return '%d.%d.%d.%d' % (w[0] >> 8, w[0] & 0xFF, w[1] & 0x7FFF, w[2])
    return '%d.0.%d.%d' % (w[0], w[1], w[2])


OUTLOOK_2010 = version_words(14, 0, 6023, 1000)  # 14.0.6023.1000

# ---------------------------------------------------------------- NDR declarations (MS-OXCRPC 3.1.4 / 3.3.4, IDL 6)
from impacket import uuid as iuuid
from impacket.dcerpc.v5 import transport, epm, rpcrt
from impacket.dcerpc.v5.ndr import NDRCALL, NDRSTRUCT, NDRUniConformantArray, NDRUniConformantVaryingArray
from impacket.dcerpc.v5.dtypes import ULONG, USHORT, LPSTR, STR, UUID

MSRPC_UUID_EMSMDB = iuuid.uuidtup_to_bin(('A4F1DB00-CA47-1067-B31F-00DD010662DA', '0.81'))
MSRPC_UUID_ASYNCEMSMDB = iuuid.uuidtup_to_bin(('5261574A-4572-206E-B268-6B199213B4E4', '0.1'))


class CXH(NDRSTRUCT):
    """context handle (CXH / ACXH): 4-byte attributes + 16-byte UUID"""
    structure = (('context_handle_attributes', ULONG), ('context_handle_uuid', UUID))

    def __init__(self, data=None, isNDR64=False):
        NDRSTRUCT.__init__(self, data, isNDR64)
        if data is None:
            self['context_handle_uuid'] = b'\x00' * 16


def cxh_hex(h):
    return h.getData().hex()


class WORD3(NDRSTRUCT):
    structure = (('w0', USHORT), ('w1', USHORT), ('w2', USHORT))


class BYTES_IN(NDRUniConformantArray):
    item = 'c'


class BYTES_OUT(NDRUniConformantVaryingArray):
    item = 'c'


class EcDoConnectEx(NDRCALL):
    opnum = 10
    structure = (('szUserDN', STR), ('ulFlags', ULONG), ('ulConMod', ULONG), ('cbLimit', ULONG), ('ulCpid', ULONG),
                 ('ulLcidString', ULONG), ('ulLcidSort', ULONG), ('ulIcxrLink', ULONG),
                 ('usFCanConvertCodePages', USHORT), ('rgwClientVersion', WORD3), ('pulTimeStamp', ULONG),
                 ('rgbAuxIn', BYTES_IN), ('cbAuxIn', ULONG), ('pcbAuxOut', ULONG))


class EcDoConnectExResponse(NDRCALL):
    structure = (('pcxh', CXH), ('pcmsPollsMax', ULONG), ('pcRetry', ULONG), ('pcmsRetryDelay', ULONG),
                 ('picxr', USHORT), ('szDNPrefix', LPSTR), ('szDisplayName', LPSTR), ('rgwServerVersion', WORD3),
                 ('rgwBestVersion', WORD3), ('pulTimeStamp', ULONG), ('rgbAuxOut', BYTES_OUT), ('pcbAuxOut', ULONG),
                 ('ErrorCode', ULONG))


class EcDoRpcExt2(NDRCALL):
    opnum = 11
    structure = (('pcxh', CXH), ('pulFlags', ULONG), ('rgbIn', BYTES_IN), ('cbIn', ULONG), ('pcbOut', ULONG),
                 ('rgbAuxIn', BYTES_IN), ('cbAuxIn', ULONG), ('pcbAuxOut', ULONG))


class EcDoRpcExt2Response(NDRCALL):
    structure = (('pcxh', CXH), ('pulFlags', ULONG), ('rgbOut', BYTES_OUT), ('pcbOut', ULONG),
                 ('rgbAuxOut', BYTES_OUT), ('pcbAuxOut', ULONG), ('pulTransTime', ULONG), ('ErrorCode', ULONG))


class EcDoDisconnect(NDRCALL):
    opnum = 1
    structure = (('pcxh', CXH),)


class EcDoDisconnectResponse(NDRCALL):
    structure = (('pcxh', CXH), ('ErrorCode', ULONG))


class EcDummyRpc(NDRCALL):
    opnum = 6
    structure = ()


class EcDummyRpcResponse(NDRCALL):
    structure = (('ErrorCode', ULONG),)


class EcDoAsyncConnectEx(NDRCALL):
    opnum = 14
    structure = (('cxh', CXH),)


class EcDoAsyncConnectExResponse(NDRCALL):
    structure = (('pacxh', CXH), ('ErrorCode', ULONG))


class EcDoAsyncWaitEx(NDRCALL):
    opnum = 0
    structure = (('acxh', CXH), ('ulFlagsIn', ULONG))


class EcDoAsyncWaitExResponse(NDRCALL):
    structure = (('pulFlagsOut', ULONG), ('ErrorCode', ULONG))


class RawCall(NDRCALL):
    """Send an arbitrary stub for an opnum (reserved-opnum / fault probes)."""
    opnum = 0
    structure = (('stub', ':'),)


class RawCallResponse(NDRCALL):
    structure = (('stub', ':'),)


def _b(x):
    return b''.join(x) if isinstance(x, list) else bytes(x)


def _s(x):
    if x is None or x == 0:
        return None
    if isinstance(x, bytes):
        x = x.decode('latin-1')
    return x.rstrip('\0')


class RpcFault(Exception):
    pass


class EcError(Exception):
    def __init__(self, call, code):
        Exception.__init__(self, '%s returned 0x%08X' % (call, code))
        self.code = code


# ---------------------------------------------------------------- transport

def epm_lookup(host, epm_port, iface=MSRPC_UUID_EMSMDB, timeout=10):
    """ept_map over ncacn_ip_tcp at host:epm_port; returns the string binding."""
    t = transport.DCERPCTransportFactory('ncacn_ip_tcp:%s[%d]' % (host, epm_port))
    t.set_connect_timeout(timeout)
    dce = t.get_dce_rpc()
    dce.connect()
    try:
        return epm.hept_map(host, iface, protocol='ncacn_ip_tcp', dce=dce)
    finally:
        dce.disconnect()


def port_from_binding(binding):
    # ncacn_ip_tcp:127.0.0.1[6001]
    return int(binding.split('[', 1)[1].split(']', 1)[0])


def connect_dce(host, port, user, password, domain, level=6, iface=MSRPC_UUID_EMSMDB, timeout=30, proxy=None,
                http_auth='ntlm'):
    """ncacn_ip_tcp to host:port, or with `proxy` (an RPC proxy URL, e.g. https://h:443/rpc/rpcproxy.dll) ncacn_http
    (RPC over HTTP v2): `host` is then the RPC server name put in the ?host:port query and `port` its endpoint."""
    if proxy:
        from impacket.http import AUTH_BASIC, AUTH_NTLM
        t = transport.DCERPCTransportFactory('ncacn_http:%s[%d]' % (host, port))
        t.set_rpc_proxy_url(proxy)
        t.set_auth_type({'basic': AUTH_BASIC, 'ntlm': AUTH_NTLM}[http_auth])
        t.set_credentials(user, password, domain, '', '')   # the HTTP layer's credentials
    else:
        t = transport.DCERPCTransportFactory('ncacn_ip_tcp:%s[%d]' % (host, port))
    t.set_connect_timeout(timeout)
    dce = t.get_dce_rpc()
    if level > 1:
        dce.set_credentials(user, password, domain, '', '')
        dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
        dce.set_auth_level(level)
    dce.connect()
    dce.bind(iface)
    return dce


def call(dce, req):
    try:
        return dce.request(req, checkError=False)
    except rpcrt.DCERPCException as e:
        raise RpcFault(str(e))


# ---------------------------------------------------------------- session

class Session:
    """One EMSMDB session (context handle) over one authenticated association."""

    def __init__(self, dce, compress=True, xor=True, chain=True, pcb_out=0x8000, aux_out=0x1008,
                 compress_in=None, xor_in=None):
        self.dce = dce
        self.compress = compress
        self.xor = xor
        self.chain = chain
        self.pcb_out = pcb_out
        self.aux_out = aux_out
        self.compress_in = compress if compress_in is None else compress_in
        self.xor_in = xor if xor_in is None else xor_in
        self.cxh = None
        self.connect_info = None
        self.stats = {'calls': 0, 'bytes_in': 0, 'bytes_out': 0, 'compressed_out': 0, 'xor_out': 0, 'chained': 0,
                      'buffer_too_small': 0, 'ext_flags_seen': [], 'violations': []}

    # EcDoConnectEx (opnum 10)
    def connect(self, user_dn, version=OUTLOOK_2010, cpid=1252, lcid=0x409, flags=0, aux=True, aux_raw=None,
                aux_out=None):
        req = EcDoConnectEx()
        req['szUserDN'] = user_dn + '\0'
        req['ulFlags'] = flags
        req['ulConMod'] = 0x00340567
        req['cbLimit'] = 0
        req['ulCpid'] = cpid
        req['ulLcidString'] = lcid
        req['ulLcidSort'] = lcid
        req['ulIcxrLink'] = 0xFFFFFFFF
        req['usFCanConvertCodePages'] = 1
        req['rgwClientVersion']['w0'], req['rgwClientVersion']['w1'], req['rgwClientVersion']['w2'] = version
        req['pulTimeStamp'] = 0
        auxin = b''
        if aux:
            auxin = make_ext_buffer(aux_perf_clientinfo() + aux_perf_processinfo(), compress=False, xor=False)
        if aux_raw is not None:
            auxin = aux_raw
        req['rgbAuxIn'] = auxin
        req['cbAuxIn'] = len(auxin)
        req['pcbAuxOut'] = self.aux_out if aux_out is None else aux_out
        r = call(self.dce, req)
        info = {
            'ErrorCode': r['ErrorCode'],
            'pcmsPollsMax': r['pcmsPollsMax'], 'pcRetry': r['pcRetry'], 'pcmsRetryDelay': r['pcmsRetryDelay'],
            'picxr': r['picxr'], 'szDNPrefix': _s(r['szDNPrefix']), 'szDisplayName': _s(r['szDisplayName']),
            'rgwServerVersion': [r['rgwServerVersion'][k] for k in ('w0', 'w1', 'w2')],
            'rgwBestVersion': [r['rgwBestVersion'][k] for k in ('w0', 'w1', 'w2')],
            'pulTimeStamp': r['pulTimeStamp'], 'pcbAuxOut': r['pcbAuxOut'],
            'cxh': cxh_hex(r['pcxh']),
        }
        info['serverVersion'] = normalize_version(info['rgwServerVersion'])
        info['bestVersion'] = normalize_version(info['rgwBestVersion'])
        aux_out = _b(r['rgbAuxOut'])
        info['rgbAuxOut'] = aux_out.hex()
        try:
            info['aux'] = parse_aux(aux_out)
        except Exception as e:
            info['auxError'] = str(e)
        self.connect_info = info
        if r['ErrorCode'] != 0:
            raise EcError('EcDoConnectEx', r['ErrorCode'])
        self.cxh = r['pcxh']
        return info

    def pul_flags(self):
        return (0 if self.compress else NoCompression) | (0 if self.xor else NoXorMagic) | (Chain if self.chain else 0)

    # EcDoRpcExt2 (opnum 11): one round trip with an already built ROP buffer
    def rpc_raw(self, rop_buffer, pcb_out=None, flags=None, aux_in=b''):
        rgb = make_ext_buffer(rop_buffer, compress=self.compress_in, xor=self.xor_in)
        req = EcDoRpcExt2()
        req['pcxh'] = self.cxh
        req['pulFlags'] = self.pul_flags() if flags is None else flags
        req['rgbIn'] = rgb
        req['cbIn'] = len(rgb)
        req['pcbOut'] = self.pcb_out if pcb_out is None else pcb_out
        req['rgbAuxIn'] = aux_in
        req['cbAuxIn'] = len(aux_in)
        req['pcbAuxOut'] = self.aux_out
        r = call(self.dce, req)
        self.stats['calls'] += 1
        self.stats['bytes_in'] += len(rgb)
        self.cxh = r['pcxh']
        if r['ErrorCode'] != 0:
            raise EcError('EcDoRpcExt2', r['ErrorCode'])
        out = _b(r['rgbOut'])
        if len(out) != r['pcbOut']:
            raise ExtBufError('rgbOut length %d != pcbOut %d' % (len(out), r['pcbOut']))
        self.stats['bytes_out'] += len(out)
        exts = parse_ext_buffers(out)
        sent_flags = req['pulFlags']
        v = self.stats['violations']
        if r['pulFlags'] != 0:
            v.append('output pulFlags 0x%08X (MS-OXCRPC: server sets 0)' % r['pulFlags'])
        if len(exts) > 1 and not sent_flags & Chain:
            v.append('chained rgbOut although Chain was not requested')
        for e in exts:
            if e['Flags'] & EXT_COMPRESSED and sent_flags & NoCompression:
                v.append('compressed payload although NoCompression was set')
            if e['Flags'] & EXT_XOR and sent_flags & NoXorMagic:
                v.append('XOR payload although NoXorMagic was set')
            if e['SizeActual'] > MAX_PAYLOAD:
                v.append('payload SizeActual 0x%X > 0x8000' % e['SizeActual'])
        if len(out) > req['pcbOut']:
            v.append('rgbOut %d bytes > pcbOut %d' % (len(out), req['pcbOut']))
        del v[50:]
        for e in exts:
            if e['Flags'] & EXT_COMPRESSED:
                self.stats['compressed_out'] += 1
            if e['Flags'] & EXT_XOR:
                self.stats['xor_out'] += 1
            if e['Flags'] not in self.stats['ext_flags_seen']:
                self.stats['ext_flags_seen'].append(e['Flags'])
        if len(exts) > 1:
            self.stats['chained'] += 1
        return {'exts': exts, 'pulFlags': r['pulFlags'], 'pulTransTime': r['pulTransTime'],
                'aux': _b(r['rgbAuxOut'])}

    def execute(self, rops, handles, max_rounds=64):
        """Send `rops` with handle table `handles`; resend the unprocessed tail on RopBufferTooSmall.
        Returns (responses, handles)."""
        responses = []
        pending = list(rops)
        rounds = 0
        while pending:
            rounds += 1
            if rounds > max_rounds:
                raise ExtBufError('too many RopBufferTooSmall rounds')
            res = self.rpc_raw(build_rop_buffer(pending, handles))
            remaining = pending
            progressed = False
            resend = None
            for ext in res['exts']:
                part = split_response_payload(ext['payload'], remaining)
                handles = part['handles'] or handles
                for d in part['responses']:
                    if d['RopId'] == 0xFF:
                        self.stats['buffer_too_small'] += 1
                        continue
                    responses.append(d)
                    progressed = True
                if part['extra']:
                    responses.extend(part['extra'])
                    for x in part['extra']:
                        if x['name'] == 'unparsed' and x['RopId'] not in (0x2A, 0xF9):
                            self.stats['violations'].append(
                                'bytes after the last response (RopId byte 0x%02X, %d bytes) after %s'
                                % (x['RopId'], len(x['raw']), [q.name for q in pending]))
                if part['too_small']:
                    resend = remaining[part['stopped_at']:]
                    break
                if part['stopped_at'] is None:
                    remaining = []
                    break
                remaining = remaining[part['stopped_at']:]
            if resend is not None:
                if not progressed and len(resend) == len(pending):
                    raise ExtBufError('RopBufferTooSmall on the first ROP: response cannot fit pcbOut')
                pending = resend
                continue
            if remaining:
                # no response for ROPs that should have one: RopRelease-only tails are fine
                if any(r.has_response for r in remaining):
                    raise ExtBufError('no response for %s' % [r.name for r in remaining if r.has_response])
            pending = []
        return responses, handles

    # EcDoDisconnect (opnum 1)
    def disconnect(self):
        req = EcDoDisconnect()
        req['pcxh'] = self.cxh
        r = call(self.dce, req)
        return {'ErrorCode': r['ErrorCode'], 'cxh': cxh_hex(r['pcxh'])}

    # EcDummyRpc (opnum 6)
    def dummy(self):
        return call(self.dce, EcDummyRpc())['ErrorCode']

    # EcDoAsyncConnectEx (opnum 14)
    def async_connect(self):
        req = EcDoAsyncConnectEx()
        req['cxh'] = self.cxh
        r = call(self.dce, req)
        return r['ErrorCode'], r['pacxh']


def async_wait(dce_async, acxh, flags_in=0):
    """AsyncEMSMDB EcDoAsyncWaitEx (opnum 0) on a connection bound to AsyncEMSMDB. Blocks until the server answers."""
    req = EcDoAsyncWaitEx()
    req['acxh'] = acxh
    req['ulFlagsIn'] = flags_in
    r = call(dce_async, req)
    return {'ErrorCode': r['ErrorCode'], 'pulFlagsOut': r['pulFlagsOut']}


def start_async_wait(dce_async, acxh):
    """async_wait on a daemon thread. Returns a dict: 'started', 'thread'; when the wait ends, 'done' (time) and 'r'
    (the answer) or 'e' (the error as text)."""
    box = {'started': time.time()}

    def wait():
        try:
            box['r'] = async_wait(dce_async, acxh)
        except Exception as e:
            box['e'] = '%s: %s' % (type(e).__name__, e)
        box['done'] = time.time()
    t = threading.Thread(target=wait, daemon=True)
    box['thread'] = t
    t.start()
    return box


# ---------------------------------------------------------------- object-handle helper

class Mapi:
    """Keeps server object handles by name and runs ROPs one buffer at a time.

    Each call gets a fresh handle table: slot i holds the server handle of objs[i]; output slots start
    as 0xFFFFFFFF and the returned table tells the new handle."""

    def __init__(self, session):
        self.s = session
        self.h = {}

    def run(self, build, objs=(), outs=()):
        """build(idx) -> list of Rop; idx maps names in objs+outs to handle-table slots."""
        names = list(objs) + list(outs)
        idx = {n: i for i, n in enumerate(names)}
        table = [self.h[n] for n in objs] + [0xFFFFFFFF] * len(outs)
        rops = build(idx)
        responses, handles = self.s.execute(rops, table)
        for n in outs:
            i = idx[n]
            if i < len(handles) and handles[i] != 0xFFFFFFFF:
                self.h[n] = handles[i]
        return responses

    def one(self, build, objs=(), outs=()):
        resp = self.run(lambda idx: [build(idx)], objs, outs)
        return resp[0] if resp else None

    def release(self, *names):
        names = [n for n in names if n in self.h]
        if not names:
            return
        self.run(lambda idx: [RopRelease(idx[n]) for n in names], objs=names)
        for n in names:
            del self.h[n]
