#!/usr/bin/python3
"""Regenerates fixtures/ndr/*.json: reference NDR 2.0 encodings of real structures, made by independent
implementations, for test/ndr/fixtures.test.ts (decode(hex) == value, encode(value) == hex).

  /usr/bin/python3 test/ndr/gen_fixtures.py      (Debian python3-impacket 0.10, python3-samba 4.x)

impacket fills alignment gaps with marker bytes (0xaa, 0xbf, ...) and draws random referent ids; this script
loads impacket's ndr.py with the gaps zeroed and the referent ids numbered 0x00020000, +4 in the order they
are written (what Windows and Samba do), so the bytes can be compared exactly. Every encoding that Samba's
generated marshallers (samba.ndr.ndr_pack_in/_out) can also produce is produced a second time with Samba and
must be byte-identical; the fixture then names both sources.

Value conventions in the JSON: Buffer -> {"$hex": "..."}, bigint -> {"$bigint": "..."}, GUIDs lower case,
unions {"tag": n, "value": ...}, null pointers null.
"""
import importlib.util, json, os, re, struct, sys, types
from binascii import hexlify

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'ndr')

# ---- impacket ndr.py with zero padding and Windows-style referent ids ----------------------------------
_spec = importlib.util.find_spec('impacket.dcerpc.v5.ndr')
_src = open(_spec.origin).read()
_src, npad = re.subn(r"b'\\x(?:aa|AB|ab|bb|bc|bd|be|bf|ca|cb|cc|ce|dd|ee|ef)'", "b'\\\\x00'", _src)
assert npad >= 10, npad
_mod = types.ModuleType('impacket.dcerpc.v5.ndr')
_mod.__file__ = _spec.origin
sys.modules['impacket.dcerpc.v5.ndr'] = _mod
exec(compile(_src, _spec.origin, 'exec'), _mod.__dict__)
ndr = _mod

_next = [0x20000, 4]
_orig_ptr_getData = ndr.NDRPOINTER.getData
def _ptr_getData(self, soFar=0):
    if 'ReferentID' in self.fields and self.fields['ReferentID'] != 0 and not getattr(self, '_idset', False):
        self.fields['ReferentID'] = _next[0]
        _next[0] += _next[1]
        self._idset = True
    return _orig_ptr_getData(self, soFar)
ndr.NDRPOINTER.getData = _ptr_getData

def fresh_ids(full=False):
    """[unique] ids: 0x00020000, +4 (Windows, Samba); [ptr] full-pointer ids: 1, 2, ... (Windows and Samba
    number full pointers from their translation table; impacket's hept_map notes Windows 2003 insists)."""
    _next[0], _next[1] = (1, 1) if full else (0x20000, 4)

from impacket import uuid as iuuid                      # noqa: E402
from impacket.dcerpc.v5 import epm, mgmt, nspi, dtypes   # noqa: E402

from samba.dcerpc import epmapper, misc                  # noqa: E402
from samba.dcerpc import mgmt as smgmt                   # noqa: E402
from samba.ndr import ndr_pack_in, ndr_pack_out, ndr_pack  # noqa: E402

def hx(b):
    return {'$hex': hexlify(b).decode()}

def guid_bytes(g):
    return iuuid.string_to_bin(g)

def write(name, source, schema, data, value, note=None):
    os.makedirs(OUT, exist_ok=True)
    doc = {'source': source, 'schema': schema, 'hex': hexlify(data).decode(), 'value': value}
    if note:
        doc['note'] = note
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(doc, f, indent=2)
        f.write('\n')
    print('%-32s %5d bytes  %s' % (name, len(data), source))

def impacket_bytes(call, full=False):
    fresh_ids(full)
    return call.getData()

def same(a, b, what):
    if a != b:
        print('MISMATCH', what)
        print(' impacket', hexlify(a).decode())
        print(' samba   ', hexlify(b).decode())
        sys.exit(1)

# ---- towers (twr_t octets) -----------------------------------------------------------------------------
NDR20 = '8a885d04-1ceb-11c9-9fe8-08002b104860'

def tower_octets(iface, major, minor, port, ip):
    """Floor encoding of C706 App. L; built by hand: it is opaque bytes to NDR."""
    def floor(lhs, rhs):
        return struct.pack('<H', len(lhs)) + lhs + struct.pack('<H', len(rhs)) + rhs
    f = [floor(b'\x0d' + guid_bytes(iface) + struct.pack('<H', major), struct.pack('<H', minor)),
         floor(b'\x0d' + guid_bytes(NDR20) + struct.pack('<H', 2), struct.pack('<H', 0)),
         floor(b'\x0b', struct.pack('<H', 0)),
         floor(b'\x07', struct.pack('>H', port)),
         floor(b'\x09', bytes(ip))]
    return struct.pack('<H', len(f)) + b''.join(f)

def samba_twr(octets):
    """Samba's epm_twr_t is { tower_length; [subcontext(4)] epm_tower tower }: the same bytes as the NDR
    conformant struct { tower_length; [size_is(tower_length)] byte octets[] }; Samba parses the floors."""
    from samba.ndr import ndr_unpack
    return ndr_unpack(epmapper.epm_twr_t, struct.pack('<II', len(octets), len(octets)) + octets)

EMSMDB = 'a4f1db00-ca47-1067-b31f-00dd010662da'
NSPI = 'f5cc5a18-4264-101a-8c59-08002b2f8426'
RFR = '1544f5e0-613c-11d1-93df-00c04fd7bd09'
MAP_TOWER = tower_octets(EMSMDB, 0, 81, 0, [0, 0, 0, 0])
TOWER_A = tower_octets(EMSMDB, 0, 81, 6001, [192, 168, 1, 10])
TOWER_B = tower_octets(NSPI, 56, 0, 6004, [192, 168, 1, 10])

def i_twr(t, octets):
    t['tower_length'] = len(octets)
    t['tower_octet_string'] = list(octets)

# ---- epm: ept_map request ------------------------------------------------------------------------------
def gen_ept_map_request():
    req = epm.ept_map()
    req['obj'] = ndr.NULL
    i_twr(req['map_tower'], MAP_TOWER)
    req['entry_handle']['context_handle_attributes'] = 0
    req['entry_handle']['context_handle_uuid'] = b'\x00' * 16
    req['max_towers'] = 4
    data = impacket_bytes(req, full=True)
    s = epmapper.epm_Map()
    s.in_object = None
    s.in_map_tower = samba_twr(MAP_TOWER)
    s.in_entry_handle = misc.policy_handle()
    s.in_max_towers = 4
    same(data, ndr_pack_in(s), 'ept_map request')
    write('epm_ept_map_request', 'impacket 0.10 epm.ept_map; samba 4 ndr_pack_in(epmapper.epm_Map) identical',
          'ept_map_in', data,
          {'object': None,
           'map_tower': {'tower_length': len(MAP_TOWER), 'tower_octet_string': hx(MAP_TOWER)},
           'entry_handle': {'attributes': 0, 'uuid': '00000000-0000-0000-0000-000000000000'},
           'max_towers': 4})

# ---- epm: ept_map response -----------------------------------------------------------------------------
HANDLE_UUID = '6e0b1c9a-3f2d-4c5e-8a71-0123456789ab'

def gen_ept_map_response():
    resp = epm.ept_mapResponse()
    resp['entry_handle']['context_handle_attributes'] = 0
    resp['entry_handle']['context_handle_uuid'] = guid_bytes(HANDLE_UUID)
    resp['num_towers'] = 2
    towers = []
    for octets in (TOWER_A, TOWER_B):
        p = epm.twr_p_t()
        i_twr(p, octets)
        towers.append(p)
    resp['ITowers'] = towers
    resp.fields['ITowers'].fields['MaximumCount'] = 4
    resp['status'] = 0
    data = impacket_bytes(resp, full=True)
    s = epmapper.epm_Map()
    s.in_max_towers = 4
    h = misc.policy_handle()
    h.handle_type = 0
    h.uuid = misc.GUID(HANDLE_UUID)
    s.out_entry_handle = h
    s.out_num_towers = 2
    tws = []
    for octets in (TOWER_A, TOWER_B):
        tp = epmapper.epm_twr_p_t()
        tp.twr = samba_twr(octets)
        tws.append(tp)
    s.out_towers = tws
    s.result = 0
    same(data, ndr_pack_out(s), 'ept_map response')
    write('epm_ept_map_response', 'impacket 0.10 epm.ept_mapResponse; samba 4 ndr_pack_out(epmapper.epm_Map) identical',
          'ept_map_out', data,
          {'entry_handle': {'attributes': 0, 'uuid': HANDLE_UUID},
           'num_towers': 2,
           'max_towers': 4,
           'towers': [{'tower_length': len(o), 'tower_octet_string': hx(o)} for o in (TOWER_A, TOWER_B)],
           'status': 0})

# ---- epm: ept_lookup response --------------------------------------------------------------------------
ENTRIES = [('00000000-0000-0000-0000-000000000000', TOWER_A, 'Exchange EMSMDB'),
           ('11111111-2222-3333-4444-555555555555', TOWER_B, ''),
           ('00000000-0000-0000-0000-000000000000', None, 'no tower')]

def gen_ept_lookup_response():
    resp = epm.ept_lookupResponse()
    resp['entry_handle']['context_handle_attributes'] = 0
    resp['entry_handle']['context_handle_uuid'] = guid_bytes(HANDLE_UUID)
    resp['num_ents'] = len(ENTRIES)
    ents = []
    for obj, octets, ann in ENTRIES:
        e = epm.ept_entry_t()
        e['object'] = guid_bytes(obj)
        if octets is None:
            e['tower'] = ndr.NULL
        else:
            i_twr(e['tower'], octets)
        e['annotation'] = list((ann + '\x00').encode('latin-1'))
        ents.append(e)
    resp['entries'] = ents
    resp.fields['entries'].fields['MaximumCount'] = 5
    resp['status'] = 0
    data = impacket_bytes(resp, full=True)
    s = epmapper.epm_Lookup()
    s.in_max_ents = 5
    h = misc.policy_handle()
    h.uuid = misc.GUID(HANDLE_UUID)
    s.out_entry_handle = h
    s.out_num_ents = len(ENTRIES)
    sents = []
    for obj, octets, ann in ENTRIES:
        e = epmapper.epm_entry_t()
        e.object = misc.GUID(obj)
        if octets is not None:
            e.tower = samba_twr(octets)
        e.annotation = ann
        sents.append(e)
    s.out_entries = sents
    s.result = 0
    same(data, ndr_pack_out(s), 'ept_lookup response')
    write('epm_ept_lookup_response', 'impacket 0.10 epm.ept_lookupResponse; samba 4 ndr_pack_out(epmapper.epm_Lookup) identical',
          'ept_lookup_out', data,
          {'entry_handle': {'attributes': 0, 'uuid': HANDLE_UUID},
           'num_ents': len(ENTRIES),
           'max_ents': 5,
           'entries': [{'object': obj,
                        'tower': None if octets is None else {'tower_length': len(octets), 'tower_octet_string': hx(octets)},
                        'annotation': ann} for obj, octets, ann in ENTRIES],
           'status': 0})

# ---- mgmt: inq_if_ids response -------------------------------------------------------------------------
IFS = [(EMSMDB, 0, 81), (NSPI, 56, 0), (RFR, 1, 0)]

def gen_inq_if_ids_response():
    resp = mgmt.inq_if_idsResponse()
    resp['if_id_vector']['count'] = len(IFS)
    items = []
    for u, ma, mi in IFS:
        p = epm.PRPC_IF_ID()
        p['Uuid'] = guid_bytes(u)
        p['VersMajor'] = ma
        p['VersMinor'] = mi
        items.append(p)
    resp['if_id_vector']['if_id'] = items
    resp['status'] = 0
    data = impacket_bytes(resp)
    s = smgmt.inq_if_ids()
    v = smgmt.rpc_if_id_vector_t()
    sids = []
    for u, ma, mi in IFS:
        # Samba's mgmt.idl: ndr_syntax_id_p { [unique] ndr_syntax_id *id } with if_version a u32, which is
        # rpc_if_id_t's vers_major u16 + vers_minor u16 on the wire
        i = misc.ndr_syntax_id()
        i.uuid = misc.GUID(u)
        i.if_version = ma | (mi << 16)
        p = smgmt.ndr_syntax_id_p()
        p.id = i
        sids.append(p)
    v.count = len(IFS)
    v.if_id = sids
    s.out_if_id_vector = v
    s.result = 0
    same(data, ndr_pack_out(s), 'inq_if_ids response')
    write('mgmt_inq_if_ids_response', 'impacket 0.10 mgmt.inq_if_idsResponse; samba 4 ndr_pack_out(mgmt.inq_if_ids) identical',
          'inq_if_ids_out', data,
          {'if_id_vector': {'count': len(IFS),
                            'if_id': [{'uuid': u, 'vers_major': ma, 'vers_minor': mi} for u, ma, mi in IFS]},
           'status': 0})

# ---- NSPI structures (impacket only: Samba has no NSPI IDL) --------------------------------------------
class Wrap(ndr.NDRCALL):
    """A one-member NDRCALL: impacket writes the member completely (scalars, then referents)."""
    structure = ()

def wrap(cls, member):
    W = type('Wrap_' + cls.__name__, (ndr.NDRCALL,), {'structure': (('x', cls),)})
    w = W()
    w['x'] = member
    return impacket_bytes(w)

def gen_stat():
    st = nspi.STAT()
    vals = dict(SortType=0, ContainerID=0x1234, CurrentRec=0, Delta=-5, NumPos=7, TotalRecs=42,
                CodePage=1252, TemplateLocale=0x409, SortLocale=0x409)
    for k, v in vals.items():
        st[k] = v
    write('nspi_STAT', 'impacket 0.10 nspi.STAT (MS-OXNSPI 2.3.7)', 'STAT', wrap(nspi.STAT, st), vals)

GUID_A = '0102030405060708090a0b0c0d0e0f10'
GUID_A_STR = '04030201-0605-0807-090a-0b0c0d0e0f10'

def nd(cls, v):
    x = cls()
    x['Data'] = v
    return x

def i_pv(tag, arm, value):
    """(impacket PropertyValue_r, JSON value) for property tag `tag`."""
    pv = nspi.PropertyValue_r()
    pv['ulPropTag'] = tag
    pv['ulReserved'] = 0
    t = tag & 0xffff
    pv['Value']['tag'] = t
    u = pv['Value']
    if arm in ('i', 'l', 'b', 'err', 'lReserved'):
        u[arm] = value
        jv = value
    elif arm == 'lpszA':
        u[arm] = value + '\x00'
        jv = value
    elif arm == 'lpszW':
        u[arm] = value + '\x00'
        jv = value
    elif arm == 'bin':
        u[arm]['cValues'] = len(value)
        u[arm]['lpb'] = list(value)
        jv = {'cb': len(value), 'lpb': hx(value)}
    elif arm == 'lpguid':
        u[arm] = bytes.fromhex(GUID_A)
        jv = GUID_A_STR
    elif arm == 'ft':
        u[arm]['dwLowDateTime'] = value[0]
        u[arm]['dwHighDateTime'] = value[1]
        jv = {'dwLowDateTime': value[0], 'dwHighDateTime': value[1]}
    elif arm == 'MVl':
        u[arm]['cValues'] = len(value)
        u[arm]['lpl'] = [nd(dtypes.LONG, x) for x in value]
        jv = {'cValues': len(value), 'lpl': value}
    elif arm == 'MVi':
        u[arm]['cValues'] = len(value)
        u[arm]['lpi'] = [nd(dtypes.SHORT, x) for x in value]
        jv = {'cValues': len(value), 'lpi': value}
    elif arm == 'MVszA':
        u[arm]['cValues'] = len(value)
        arr = []
        for s in value:
            p = dtypes.LPSTR()
            p['Data'] = s + '\x00'
            arr.append(p)
        u[arm]['lppszA'] = arr
        jv = {'cValues': len(value), 'lppszA': value}
    elif arm == 'MVszW':
        u[arm]['cValues'] = len(value)
        arr = []
        for s in value:
            p = dtypes.LPWSTR()
            p['Data'] = s + '\x00'
            arr.append(p)
        u[arm]['lppszW'] = arr
        jv = {'cValues': len(value), 'lppszW': value}
    elif arm == 'MVbin':
        u[arm]['cValues'] = len(value)
        arr = []
        for b in value:
            x = nspi.Binary_r()
            x['cValues'] = len(b)
            x['lpb'] = list(b)
            arr.append(x)
        u[arm]['lpbin'] = arr
        jv = {'cValues': len(value), 'lpbin': [{'cb': len(b), 'lpb': hx(b)} for b in value]}
    else:
        raise ValueError(arm)
    return pv, {'ulPropTag': tag, 'ulReserved': 0, 'Value': {'tag': t, 'value': jv}}

ROW_PROPS = [
    (0x3001001F, 'lpszW', 'Zoë Example'),                  # PidTagDisplayName
    (0x3003001E, 'lpszA', 'zoe@example.com'),              # PidTagEmailAddress (8-bit)
    (0x0FFF0102, 'bin', bytes(range(1, 24))),              # PidTagEntryId
    (0x39000003, 'l', 0),                                  # PidTagDisplayType
    (0x3A4D0002, 'i', -2),                                 # a PtypInteger16
    (0x3A4E000B, 'b', 1),                                  # a PtypBoolean
    (0x0FFE000A, 'err', 0x8004010F),                       # PtypErrorCode
    (0x8000101F, 'MVszW', ['SMTP:zoe@example.com', 'X500:/o=Org']),
    (0x8001101E, 'MVszA', ['one', '', 'three']),
    (0x80021102, 'MVbin', [b'\x01\x02\x03', b'', b'\xff' * 5]),
    (0x80031003, 'MVl', [1, -1, 0x7fffffff]),
    (0x80041002, 'MVi', [7, -7, 0]),
    (0x80050048, 'lpguid', None),
    (0x30070040, 'ft', (0x11223344, 0x01d9aabb)),
    (0x80060001, 'lReserved', 0),
]

def gen_property_row():
    row = nspi.PropertyRow_r()
    row['Reserved'] = 0
    row['cValues'] = len(ROW_PROPS)
    pvs, jvs = [], []
    for tag, arm, value in ROW_PROPS:
        pv, jv = i_pv(tag, arm, value)
        pvs.append(pv)
        jvs.append(jv)
    row['lpProps'] = pvs
    write('nspi_PropertyRow_r', 'impacket 0.10 nspi.PropertyRow_r (MS-OXNSPI 2.3.2, PROP_VAL_UNION 2.3.1.11)',
          'PropertyRow_r', wrap(nspi.PropertyRow_r, row),
          {'Reserved': 0, 'cValues': len(ROW_PROPS), 'lpProps': jvs})

def gen_property_rowset():
    rs = nspi.PropertyRowSet_r()
    rows, jrows = [], []
    for i, props in enumerate([ROW_PROPS[:3], [], ROW_PROPS[7:10]]):
        r = nspi.PropertyRow_r()
        r['Reserved'] = 0
        r['cValues'] = len(props)
        pvs, jvs = [], []
        for tag, arm, value in props:
            pv, jv = i_pv(tag, arm, value)
            pvs.append(pv)
            jvs.append(jv)
        if props:
            r['lpProps'] = pvs
        else:
            r['lpProps'] = ndr.NULL
        rows.append(r)
        jrows.append({'Reserved': 0, 'cValues': len(props), 'lpProps': jvs if props else None})
    rs['cRows'] = len(rows)
    rs['aRow'] = rows
    write('nspi_PropertyRowSet_r', 'impacket 0.10 nspi.PropertyRowSet_r (MS-OXNSPI 2.3.3; conformant struct of structs with pointers)',
          'PropertyRowSet_r', wrap(nspi.PropertyRowSet_r, rs), {'cRows': len(rows), 'aRow': jrows})

def i_res(j):
    """(impacket Restriction_r) from the JSON restriction j."""
    r = nspi.Restriction_r()
    r['rt'] = j['rt']
    r['res']['tag'] = j['rt']
    u = r['res']
    v = j['res']['value']
    if j['rt'] in (0, 1):
        arm = 'resAnd' if j['rt'] == 0 else 'resOr'
        u[arm]['cRes'] = v['cRes']
        u[arm]['lpRes'] = [i_res(x) for x in v['lpRes']]
    elif j['rt'] == 2:
        u['resNot']['lpRes'] = i_res(v['lpRes'])
    elif j['rt'] in (3, 4):
        arm = 'resContent' if j['rt'] == 3 else 'resProperty'
        for k in v:
            if k != 'lpProp':
                u[arm][k] = v[k]
        pv = v['lpProp']
        arm_name = {0x1F: 'lpszW', 0x1E: 'lpszA', 0x03: 'l'}[pv['Value']['tag']]
        ipv, _ = i_pv(pv['ulPropTag'], arm_name, pv['Value']['value'])
        u[arm]['lpProp'] = ipv
    elif j['rt'] in (5, 6, 7, 8):
        arm = {5: 'resCompareProps', 6: 'resBitMask', 7: 'resSize', 8: 'resExist'}[j['rt']]
        for k in v:
            u[arm][k] = v[k]
    elif j['rt'] == 9:
        u['resSubRestriction']['ulSubObject'] = v['ulSubObject']
        u['resSubRestriction']['lpRes'] = i_res(v['lpRes'])
    return r

def pv_json(tag, value):
    return {'ulPropTag': tag, 'ulReserved': 0, 'Value': {'tag': tag & 0xffff, 'value': value}}

RESTRICTION = {
    'rt': 0, 'res': {'tag': 0, 'value': {'cRes': 4, 'lpRes': [
        {'rt': 3, 'res': {'tag': 3, 'value': {'ulFuzzyLevel': 0x10002, 'ulPropTag': 0x3001001F,
                                                'lpProp': pv_json(0x3001001F, 'zoe')}}},
        {'rt': 2, 'res': {'tag': 2, 'value': {'lpRes':
            {'rt': 8, 'res': {'tag': 8, 'value': {'ulReserved1': 0, 'ulPropTag': 0x39000003, 'ulReserved2': 0}}}}}},
        {'rt': 1, 'res': {'tag': 1, 'value': {'cRes': 2, 'lpRes': [
            {'rt': 4, 'res': {'tag': 4, 'value': {'relop': 4, 'ulPropTag': 0x39000003,
                                                    'lpProp': pv_json(0x39000003, 6)}}},
            {'rt': 6, 'res': {'tag': 6, 'value': {'relBMR': 1, 'ulPropTag': 0x0FFE0003, 'ulMask': 0x10}}},
        ]}}},
        {'rt': 9, 'res': {'tag': 9, 'value': {'ulSubObject': 0x0E12000D, 'lpRes':
            {'rt': 7, 'res': {'tag': 7, 'value': {'relop': 2, 'ulPropTag': 0x3001001F, 'cb': 10}}}}}},
    ]}},
}

def gen_restriction():
    write('nspi_Restriction_r', 'impacket 0.10 nspi.Restriction_r (MS-OXNSPI 2.3.4, recursive union)',
          'Restriction_r', wrap(nspi.Restriction_r, i_res(RESTRICTION)), RESTRICTION)

# ---- Samba's rpcecho test interface: union arm alignment, hyper, conformant struct/array parameters -------
from samba.dcerpc import echo  # noqa: E402

def gen_echo():
    for lvl in (1, 3, 4, 5, 6, 7):
        c = echo.TestCall2()
        c.in_level = lvl
        info = getattr(echo, 'info%d' % lvl)()
        if lvl <= 4:
            info.v = 0x11
            jv = {'v': {'$bigint': '17'} if lvl == 4 else 0x11}
        elif lvl == 5:
            info.v1, info.v2 = 0x22, 0x33
            jv = {'v1': 0x22, 'v2': {'$bigint': '51'}}
        elif lvl == 6:
            x = echo.info1(); x.v = 0x44
            info.v1, info.info1 = 0x22, x
            jv = {'v1': 0x22, 'info1': {'v': 0x44}}
        else:
            x = echo.info4(); x.v = 0x55
            info.v1, info.info4 = 0x22, x
            jv = {'v1': 0x22, 'info4': {'v': {'$bigint': '85'}}}
        c.out_info = info
        c.result = 0
        write('echo_TestCall2_out_%d' % lvl, 'samba 4 ndr_pack_out(echo.TestCall2) level %d ([switch_type(uint16)] union echo_Info)' % lvl,
              'echo_TestCall2_out', ndr_pack_out(c), {'level': lvl, 'info': {'tag': lvl, 'value': jv}, 'result': 0})
    s = echo.SourceData()
    s.in_len = 5
    s.out_data = [1, 2, 3, 4, 5]
    write('echo_SourceData_out', 'samba 4 ndr_pack_out(echo.SourceData) ([out, size_is(len)] with len an [in])',
          'echo_SourceData_out', ndr_pack_out(s), {'len': 5, 'data': hx(bytes([1, 2, 3, 4, 5]))})
    t = echo.TestSurrounding()
    sur = echo.Surrounding()
    sur.x, sur.surrounding = 3, [1, 2, 3]
    t.in_data = sur
    write('echo_TestSurrounding_in', 'samba 4 ndr_pack_in(echo.TestSurrounding) ([in,ref] conformant struct)',
          'echo_TestSurrounding_in', ndr_pack_in(t), {'data': {'x': 3, 'surrounding': [1, 2, 3]}})
    e = echo.EchoData()
    e.in_len, e.in_in_data = 3, [7, 8, 9]
    write('echo_EchoData_in', 'samba 4 ndr_pack_in(echo.EchoData) ([in, size_is(len)] uint8 in_data[])',
          'echo_EchoData_in', ndr_pack_in(e), {'len': 3, 'in_data': hx(bytes([7, 8, 9]))})

if __name__ == '__main__':
    gen_ept_map_request()
    gen_ept_map_response()
    gen_ept_lookup_response()
    gen_inq_if_ids_response()
    gen_stat()
    gen_property_row()
    gen_property_rowset()
    gen_restriction()
    gen_echo()
