#!/usr/bin/python3
"""Regenerates fixtures/nsp/*.json: NSPI (MS-OXNSPI / MS-NSPI) request and response stubs encoded by impacket's
nspi.py classes, for test/nsp/idl.test.ts (decode(hex) == value, encode(value) == hex).

  /usr/bin/python3 test/nsp/gen_fixtures.py      (Debian python3-impacket 0.10)

As in test/ndr/gen_fixtures.py, impacket's ndr.py is loaded with alignment gaps zeroed and referent ids numbered
0x00020000, +4 in the order they are written (Windows, Samba). Where impacket 0.10 departs from the IDL this
script declares the IDL's form with impacket's own types, and says so in the fixture:
  - FlatUID_r is `BYTE ab[16]` (alignment 1); impacket uses its GUID (alignment 4): GUID.getAlignment is patched to 1
    (NSPI's only GUIDs are FlatUID_r).
  - NspiGetSpecialTable / NspiGetProps pass pStat (and lpVersion) by [ref]; impacket's classes use [unique]
    pointers. Both forms are written: the spec's (what Outlook sends) and impacket's (which the server also accepts).
  - NspiGetMatches is commented out in impacket; NspiGetIDsFromNames sends structs where MS-NSPI has pointers.
  - PropertyTagArray_r's max_count is cValues + 1 (the IDL's size_is), as impacket's helpers set it.

Value conventions in the JSON: Buffer -> {"$hex": "..."}, GUIDs lower case, unions {"tag": n, "value": ...}, null
pointers null; 8-bit strings are Buffers (bytes in the code page).
"""
import importlib.util, json, os, re, sys, types
from binascii import hexlify

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'fixtures', 'nsp')
# a copy of the steering repository's shared/vectors/ms-oxnspi-example-sequence.json (MS-OXNSPI section 4 values)
VECTORS = os.path.join(OUT, 'vectors', 'ms-oxnspi-example-sequence.json')

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

_next = [0x20000]
_orig_ptr_getData = ndr.NDRPOINTER.getData
def _ptr_getData(self, soFar=0):
    if 'ReferentID' in self.fields and self.fields['ReferentID'] != 0 and not getattr(self, '_idset', False):
        self.fields['ReferentID'] = _next[0]
        _next[0] += 4
        self._idset = True
    return _orig_ptr_getData(self, soFar)
ndr.NDRPOINTER.getData = _ptr_getData

from impacket import uuid as iuuid                      # noqa: E402
from impacket.dcerpc.v5 import dtypes, nspi             # noqa: E402
from impacket.dcerpc.v5.dtypes import NULL, DWORD, ULONG, LONG, LPSTR, LPWSTR  # noqa: E402

dtypes.GUID.getAlignment = lambda self: 1               # FlatUID_r: BYTE ab[16]

def encode(call):
    _next[0] = 0x20000
    return call.getData()

def hx(b):
    return {'$hex': hexlify(b).decode()}

written = []

def write(name, source, schema, data, value, note=None, encodes_as=None):
    os.makedirs(OUT, exist_ok=True)
    doc = {'source': source, 'schema': schema, 'hex': hexlify(data).decode(), 'value': value}
    if encodes_as is not None:
        doc['encodesAs'] = hexlify(encodes_as).decode()
    if note:
        doc['note'] = note
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write('\n')
    written.append(name)
    print('%-40s %5d bytes  %s' % (name, len(data), source))

IMPACKET = 'impacket 0.10 nspi.py'

# ---- values -------------------------------------------------------------------------------------------
HANDLE_UUID = '6e0b1c9a-3f2d-4c5e-8a71-0123456789ab'
SERVER_GUID = '868bbcab-3379-48c4-a1ef-1b53e63bdc46'    # MS-OXNSPI 4: abbc8b86 7933c448 a1ef1b53 e63bdc46
GUID_A = '0102030405060708090a0b0c0d0e0f10'
GUID_A_STR = '04030201-0605-0807-090a-0b0c0d0e0f10'
PS_PUBLIC_STRINGS = '00020329-0000-0000-c000-000000000046'

def handle(h=None, uuid=HANDLE_UUID):
    h = h if h is not None else nspi.handle_t()
    h['context_handle_attributes'] = 0
    h['context_handle_uuid'] = iuuid.string_to_bin(uuid)
    return h, {'attributes': 0, 'uuid': uuid}

STAT_VALS = dict(SortType=0, ContainerID=0, CurrentRec=0, Delta=0, NumPos=0, TotalRecs=0,
                 CodePage=1252, TemplateLocale=0x409, SortLocale=0x409)

def stat(target, **over):
    vals = dict(STAT_VALS, **over)
    for k, v in vals.items():
        target[k] = v
    return vals

def set_tags(t, tags):
    """Fills an impacket PropertyTagArray_r (max_count = cValues + 1); returns its JSON."""
    t['cValues'] = len(tags)
    t['aulPropTag'] = [nd(DWORD, x) for x in tags]
    t.fields['aulPropTag'].fields['MaximumCount'] = len(tags) + 1
    return {'cValues': len(tags), 'aulPropTag': list(tags)}

def ptags(tags):
    t = nspi.PropertyTagArray_r()
    return t, set_tags(t, tags)

def nd(cls, v):
    x = cls()
    x['Data'] = v
    return x

def lpstr(b):
    p = LPSTR()
    p['Data'] = b + b'\x00'
    return p

def lpwstr(s):
    p = LPWSTR()
    p['Data'] = s + '\x00'
    return p

def i_pv(tag, value):
    """(impacket PropertyValue_r, JSON) for property tag `tag` and a Python value of its type."""
    pv = nspi.PropertyValue_r()
    pv['ulPropTag'] = tag
    pv['ulReserved'] = 0
    t = tag & 0xffff
    pv['Value']['tag'] = t
    u = pv['Value']
    if t in (0x0002, 0x0003, 0x000b, 0x000a, 0x0001, 0x000d):
        arm = {0x0002: 'i', 0x0003: 'l', 0x000b: 'b', 0x000a: 'err', 0x0001: 'lReserved', 0x000d: 'lReserved'}[t]
        u[arm] = value
        jv = value
    elif t == 0x001e:
        u['lpszA'] = value + b'\x00'
        jv = hx(value)
    elif t == 0x001f:
        u['lpszW'] = value + '\x00'
        jv = value
    elif t == 0x0102:
        u['bin']['cValues'] = len(value)
        u['bin']['lpb'] = list(value) if value else NULL
        jv = {'cb': len(value), 'lpb': hx(value) if value else None}
    elif t == 0x0048:
        u['lpguid'] = iuuid.string_to_bin(value)
        jv = value
    elif t == 0x0040:
        u['ft']['dwLowDateTime'], u['ft']['dwHighDateTime'] = value
        jv = {'dwLowDateTime': value[0], 'dwHighDateTime': value[1]}
    elif t == 0x1003:
        u['MVl']['cValues'] = len(value)
        u['MVl']['lpl'] = [nd(LONG, x) for x in value]
        jv = {'cValues': len(value), 'lpl': value}
    elif t == 0x1002:
        u['MVi']['cValues'] = len(value)
        u['MVi']['lpi'] = [nd(dtypes.SHORT, x) for x in value]
        jv = {'cValues': len(value), 'lpi': value}
    elif t == 0x101e:
        u['MVszA']['cValues'] = len(value)
        u['MVszA']['lppszA'] = [lpstr(b) for b in value]
        jv = {'cValues': len(value), 'lppszA': [hx(b) for b in value]}
    elif t == 0x101f:
        u['MVszW']['cValues'] = len(value)
        u['MVszW']['lppszW'] = [lpwstr(s) for s in value]
        jv = {'cValues': len(value), 'lppszW': value}
    elif t == 0x1102:
        u['MVbin']['cValues'] = len(value)
        arr = []
        for b in value:
            x = nspi.Binary_r()
            x['cValues'] = len(b)
            x['lpb'] = list(b) if b else NULL
            arr.append(x)
        u['MVbin']['lpbin'] = arr
        jv = {'cValues': len(value), 'lpbin': [{'cb': len(b), 'lpb': hx(b) if b else None} for b in value]}
    elif t == 0x1048:
        u['MVguid']['cValues'] = len(value)
        arr = []
        for g in value:
            p = nspi.PFlatUID_r()
            p['Data'] = iuuid.string_to_bin(g)
            arr.append(p)
        u['MVguid']['lpguid'] = arr
        jv = {'cValues': len(value), 'lpguid': value}
    else:
        raise ValueError(hex(tag))
    return pv, {'ulPropTag': tag, 'ulReserved': 0, 'Value': {'tag': t, 'value': jv}}

def i_row(props):
    row = nspi.PropertyRow_r()
    row['Reserved'] = 0
    row['cValues'] = len(props)
    pvs, jvs = [], []
    for tag, value in props:
        pv, jv = i_pv(tag, value)
        pvs.append(pv)
        jvs.append(jv)
    row['lpProps'] = pvs if props else NULL
    return row, {'Reserved': 0, 'cValues': len(props), 'lpProps': jvs if props else None}

def i_rowset(rows):
    rs = nspi.PropertyRowSet_r()
    irows, jrows = [], []
    for props in rows:
        r, j = i_row(props)
        irows.append(r)
        jrows.append(j)
    rs['cRows'] = len(rows)
    rs['aRow'] = irows
    return rs, {'cRows': len(rows), 'aRow': jrows}

ENTRYID = bytes.fromhex('87000000') + iuuid.string_to_bin(SERVER_GUID) + bytes.fromhex('01000000' '00000000' '11100000')
PERM_ENTRYID = (bytes(4) + iuuid.string_to_bin('c840a7dc-42c0-1a10-b4b9-08002b2fe182') + bytes.fromhex('0100000000000000')
                + b'/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=zoe\x00')

# Two address book rows mixing PT_STRING8 (code page 1252), PT_UNICODE, PT_BINARY, multi-valued and PT_ERROR values;
# the PT_CLSID value follows a 3-byte string8 referent, so FlatUID_r's alignment 1 shows.
ROWS = [
    [(0x0FFF0102, ENTRYID),                                   # PidTagEntryId (Ephemeral)
     (0x3001001F, 'Zoë Example'),                             # PidTagDisplayName
     (0x3003001E, b'Zo\xeb Ex'),                             # PidTagEmailAddress as PT_STRING8 (1252 "Zoë Ex", 7 bytes)
     (0x80050048, GUID_A_STR),                                # a PT_CLSID
     (0x39000003, 0),                                         # PidTagDisplayType DT_MAILUSER
     (0x3A4E000B, 1),                                         # a PtypBoolean
     (0x3A4D0002, -2),                                        # a PtypInteger16
     (0x3A17000A, 0x8004010F),                                # PidTagTitle: PT_ERROR MAPI_E_NOT_FOUND
     (0x800F101F, ['SMTP:zoe@example.com', 'smtp:z@example.com', 'X500:/o=Org']),  # PidTagAddressBookProxyAddresses
     (0x8001101E, [b'one', b'', b'caf\xe9']),                 # a PT_MV_STRING8
     (0x80021102, [b'\x01\x02\x03', b'', b'\xff' * 5]),       # a PT_MV_BINARY
     (0x80031003, [1, -1, 0x7fffffff]),                       # a PT_MV_LONG
     (0x80041002, [7, -7, 0]),                                # a PT_MV_I2
     (0x80061048, [PS_PUBLIC_STRINGS, GUID_A_STR]),           # a PT_MV_CLSID
     (0x30070040, (0x11223344, 0x01d9aabb)),                  # PidTagCreationTime
     (0x80070001, 0),                                         # PT_NULL
     (0x0FFE0102, b'')],                                      # an empty PT_BINARY (NULL lpb)
    [(0x0FFF0102, PERM_ENTRYID),
     (0x3001001F, '李雷'),
     (0x3003001E, b'\xc0\xee\xc0\xd7'),                       # "李雷" in code page 936 (GBK)
     (0x3A17001F, 'Engineer')],
]

# ---- NspiBind / NspiUnbind (opnums 0, 1) ----------------------------------------------------------------
def gen_bind():
    req = nspi.NspiBind()
    req['dwFlags'] = 0
    sv = stat(req['pStat'])
    req['pServerGuid'] = bytes(16)
    write('NspiBind_in', IMPACKET + ' NspiBind (MS-OXNSPI 3.1.4.1.1)', 'NspiBind_in', encode(req),
          {'dwFlags': 0, 'pStat': sv, 'pServerGuid': '00000000-0000-0000-0000-000000000000'})
    resp = nspi.NspiBindResponse()
    resp['pServerGuid'] = iuuid.string_to_bin(SERVER_GUID)
    _, hv = handle(resp['contextHandle'])
    resp['ErrorCode'] = 0
    write('NspiBind_out', IMPACKET + ' NspiBindResponse', 'NspiBind_out', encode(resp),
          {'pServerGuid': SERVER_GUID, 'contextHandle': hv, 'result': 0})
    req = nspi.NspiBind()
    req['dwFlags'] = 0x20          # fAnonymousLogin
    sv = stat(req['pStat'], CodePage=nspi.CP_TELETEX)
    req['pServerGuid'] = NULL
    write('NspiBind_in_anonymous_null_guid', IMPACKET + ' NspiBind with a NULL pServerGuid (hNspiBind default CodePage CP_TELETEX)',
          'NspiBind_in', encode(req), {'dwFlags': 0x20, 'pStat': sv, 'pServerGuid': None})

def gen_unbind():
    req = nspi.NspiUnbind()
    _, hv = handle(req['contextHandle'])
    req['Reserved'] = 0
    write('NspiUnbind_in', IMPACKET + ' NspiUnbind (MS-OXNSPI 3.1.4.1.2)', 'NspiUnbind_in', encode(req),
          {'contextHandle': hv, 'Reserved': 0})
    resp = nspi.NspiUnbindResponse()
    _, hv = handle(resp['contextHandle'], '00000000-0000-0000-0000-000000000000')
    resp['ErrorCode'] = 1
    write('NspiUnbind_out', IMPACKET + ' NspiUnbindResponse (return value 1, MS-OXNSPI 3.1.4.1.2)', 'NspiUnbind_out',
          encode(resp), {'contextHandle': hv, 'result': 1})

# ---- NspiUpdateStat (opnum 2) -------------------------------------------------------------------------------
def gen_update_stat():
    req = nspi.NspiUpdateStat()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    sv = stat(req['pStat'], CurrentRec=0x1928, Delta=-3)
    req['plDelta'] = 0
    write('NspiUpdateStat_in', IMPACKET + ' NspiUpdateStat (MS-OXNSPI 3.1.4.1.4)', 'NspiUpdateStat_in', encode(req),
          {'hRpc': hv, 'Reserved': 0, 'pStat': sv, 'plDelta': 0})
    resp = nspi.NspiUpdateStatResponse()
    sv = stat(resp['pStat'], CurrentRec=0x1925, NumPos=4, TotalRecs=22)
    resp['plDelta'] = -3
    resp['ErrorCode'] = 0
    write('NspiUpdateStat_out', IMPACKET + ' NspiUpdateStatResponse', 'NspiUpdateStat_out', encode(resp),
          {'pStat': sv, 'plDelta': -3, 'result': 0})

# ---- NspiQueryRows (opnum 3) --------------------------------------------------------------------------------
def gen_query_rows():
    req = nspi.NspiQueryRows()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = nspi.fEphID
    sv = stat(req['pStat'], ContainerID=0x1000, TotalRecs=0xFFFFFFFF)
    mids = [0x1001, 0x1002, 0x1003]
    req['dwETableCount'] = len(mids)
    req['lpETable'] = [nd(DWORD, m) for m in mids]
    req['Count'] = 2
    tags = [0x0FFF0102, 0x3001001F, 0x3003001E, 0x39FE001F]
    req['pPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(req.fields['pPropTags'].fields['Data'], tags)
    write('NspiQueryRows_in', IMPACKET + ' NspiQueryRows (MS-OXNSPI 3.1.4.1.8) with an explicit table', 'NspiQueryRows_in',
          encode(req), {'hRpc': hv, 'dwFlags': 2, 'pStat': sv, 'dwETableCount': 3, 'lpETable': mids, 'Count': 2,
                        'pPropTags': tv})
    resp = nspi.NspiQueryRowsResponse()
    sv = stat(resp['pStat'], CurrentRec=0x1003, NumPos=2, TotalRecs=3)
    rs, rj = i_rowset(ROWS)
    resp['ppRows'] = rs
    resp['ErrorCode'] = 0
    write('NspiQueryRows_out', IMPACKET + ' NspiQueryRowsResponse: two rows of string8/unicode/binary/MV/error values',
          'NspiQueryRows_out', encode(resp), {'pStat': sv, 'ppRows': rj, 'result': 0})
    resp = nspi.NspiQueryRowsResponse()
    sv = stat(resp['pStat'])
    resp['ppRows'] = NULL
    resp['ErrorCode'] = 0x80040111
    write('NspiQueryRows_out_error', IMPACKET + ' NspiQueryRowsResponse with a NULL ppRows and an error', 'NspiQueryRows_out',
          encode(resp), {'pStat': sv, 'ppRows': None, 'result': 0x80040111})

# ---- NspiGetMatches (opnum 5; commented out in impacket 0.10: declared here from MS-OXNSPI 3.1.4.1.10) -------
class NspiGetMatches(ndr.NDRCALL):
    opnum = 5
    structure = (
        ('hRpc', nspi.handle_t), ('Reserved1', DWORD), ('pStat', nspi.STAT), ('pReserved', nspi.PPropertyTagArray_r),
        ('Reserved2', DWORD), ('Filter', nspi.PRestriction_r), ('lpPropName', nspi.PPropertyName_r),
        ('ulRequested', DWORD), ('pPropTags', nspi.PPropertyTagArray_r),
    )

class NspiGetMatchesResponse(ndr.NDRCALL):
    structure = (('pStat', nspi.STAT), ('ppOutMIds', nspi.PPropertyTagArray_r), ('ppRows', nspi.PPropertyRowSet_r),
                 ('ErrorCode', ULONG))

def pv_json(tag, value):
    return i_pv(tag, value)[1]

# Outlook's ANR-style filter: AND(CONTENT(display name prefix), NOT(EXIST(PidTagAddressBookHierarchicalIsHierarchicalGroup)),
# OR(PROPERTY(display type == DT_MAILUSER), PROPERTY(8-bit SMTP address == ...)))
FILTER = {
    'rt': 0, 'res': {'tag': 0, 'value': {'cRes': 3, 'lpRes': [
        {'rt': 3, 'res': {'tag': 3, 'value': {'ulFuzzyLevel': 0x00010002, 'ulPropTag': 0x3001001F,
                                                'lpProp': pv_json(0x3001001F, 'zo')}}},
        {'rt': 2, 'res': {'tag': 2, 'value': {'lpRes':
            {'rt': 8, 'res': {'tag': 8, 'value': {'ulReserved1': 0, 'ulPropTag': 0x8CDD000B, 'ulReserved2': 0}}}}}},
        {'rt': 1, 'res': {'tag': 1, 'value': {'cRes': 2, 'lpRes': [
            {'rt': 4, 'res': {'tag': 4, 'value': {'relop': 4, 'ulPropTag': 0x39000003,
                                                    'lpProp': pv_json(0x39000003, 0)}}},
            {'rt': 4, 'res': {'tag': 4, 'value': {'relop': 4, 'ulPropTag': 0x39FE001E,
                                                    'lpProp': pv_json(0x39FE001E, b'zoe@example.com')}}},
        ]}}},
    ]}},
}

def i_res(j):
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
        raw = pv['Value']['value']
        raw = bytes.fromhex(raw['$hex']) if isinstance(raw, dict) else raw
        u[arm]['lpProp'] = i_pv(pv['ulPropTag'], raw)[0]
    elif j['rt'] in (5, 6, 7, 8):
        arm = {5: 'resCompareProps', 6: 'resBitMask', 7: 'resSize', 8: 'resExist'}[j['rt']]
        for k in v:
            u[arm][k] = v[k]
    elif j['rt'] == 9:
        u['resSubRestriction']['ulSubObject'] = v['ulSubObject']
        u['resSubRestriction']['lpRes'] = i_res(v['lpRes'])
    return r

def gen_get_matches():
    req = NspiGetMatches()
    _, hv = handle(req['hRpc'])
    req['Reserved1'] = 0
    sv = stat(req['pStat'])
    req['pReserved'] = NULL
    req['Reserved2'] = 0
    req['Filter'] = i_res(FILTER)
    req['lpPropName'] = NULL
    req['ulRequested'] = 50
    req['pPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(req.fields['pPropTags'].fields['Data'], [0x3001001F, 0x39FE001F])
    write('NspiGetMatches_in', IMPACKET + ' types in MS-OXNSPI 3.1.4.1.10 NspiGetMatches (AND/OR/NOT/CONTENT/PROPERTY/EXIST filter)',
          'NspiGetMatches_in', encode(req),
          {'hRpc': hv, 'Reserved1': 0, 'pStat': sv, 'pReserved': None, 'Reserved2': 0, 'Filter': FILTER,
           'lpPropName': None, 'ulRequested': 50, 'pPropTags': tv})
    # the lpPropName form: MIds held by a property of one object (CurrentRec)
    req = NspiGetMatches()
    _, hv = handle(req['hRpc'])
    req['Reserved1'] = 0
    sv = stat(req['pStat'], CurrentRec=0x1001, ContainerID=0x8009101E)
    req['pReserved'] = NULL
    req['Reserved2'] = 0
    req['Filter'] = NULL
    req['lpPropName'] = nspi.PropertyName_r()
    req['lpPropName']['lpguid'] = iuuid.string_to_bin(PS_PUBLIC_STRINGS)
    req['lpPropName']['ulReserved'] = 0
    req['lpPropName']['lID'] = 0x8009
    req['ulRequested'] = 1000
    req['pPropTags'] = NULL
    write('NspiGetMatches_in_propname', IMPACKET + ' types in MS-OXNSPI 3.1.4.1.10 NspiGetMatches with lpPropName',
          'NspiGetMatches_in', encode(req),
          {'hRpc': hv, 'Reserved1': 0, 'pStat': sv, 'pReserved': None, 'Reserved2': 0, 'Filter': None,
           'lpPropName': {'lpguid': PS_PUBLIC_STRINGS, 'ulReserved': 0, 'lID': 0x8009}, 'ulRequested': 1000,
           'pPropTags': None})
    resp = NspiGetMatchesResponse()
    sv = stat(resp['pStat'], TotalRecs=2)
    resp['ppOutMIds'] = nspi.PropertyTagArray_r()
    mv = set_tags(resp.fields['ppOutMIds'].fields['Data'], [0x1001, 0x1003])
    rs, rj = i_rowset([[(0x3001001F, 'Zoë Example'), (0x39FE001F, 'zoe@example.com')],
                       [(0x3001001F, 'Zora'), (0x39FE000A, 0x8004010F)]])
    resp['ppRows'] = rs
    resp['ErrorCode'] = 0
    write('NspiGetMatches_out', IMPACKET + ' types in MS-OXNSPI 3.1.4.1.10 NspiGetMatches response', 'NspiGetMatches_out',
          encode(resp), {'pStat': sv, 'ppOutMIds': mv, 'ppRows': rj, 'result': 0})

# ---- NspiDNToMId (opnum 7) ----------------------------------------------------------------------------------
DNS = [b'/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=zoe',
       b'/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01',
       b'/guid=0102030405060708090A0B0C0D0E0F10']

def gen_dn_to_mid():
    req = nspi.NspiDNToMId()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    req['pNames']['Count'] = len(DNS)
    req['pNames']['Strings'] = [lpstr(d) for d in DNS]
    write('NspiDNToMId_in', IMPACKET + ' NspiDNToMId (MS-OXNSPI 3.1.4.1.13)', 'NspiDNToMId_in', encode(req),
          {'hRpc': hv, 'Reserved': 0, 'pNames': {'Count': len(DNS), 'Strings': [hx(d) for d in DNS]}})
    resp = nspi.NspiDNToMIdResponse()
    resp['ppOutMIds'] = nspi.PropertyTagArray_r()
    mv = set_tags(resp.fields['ppOutMIds'].fields['Data'], [0x1001, 0, 0])
    resp['ErrorCode'] = 0
    write('NspiDNToMId_out', IMPACKET + ' NspiDNToMIdResponse', 'NspiDNToMId_out', encode(resp), {'ppOutMIds': mv, 'result': 0})

# ---- NspiGetPropList (8), NspiCompareMIds (10), NspiQueryColumns (16) --------------------------------------------
def gen_small():
    req = nspi.NspiGetPropList()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = nspi.fSkipObjects
    req['dwMId'] = 0x1001
    req['CodePage'] = 1252
    write('NspiGetPropList_in', IMPACKET + ' NspiGetPropList (MS-OXNSPI 3.1.4.1.6)', 'NspiGetPropList_in', encode(req),
          {'hRpc': hv, 'dwFlags': 1, 'dwMId': 0x1001, 'CodePage': 1252})
    resp = nspi.NspiGetPropListResponse()      # impacket names the out parameter ppOutMIds
    resp['ppOutMIds'] = nspi.PropertyTagArray_r()
    tv = set_tags(resp.fields['ppOutMIds'].fields['Data'], [0x0FFF0102, 0x3001001F, 0x39FE001F])
    resp['ErrorCode'] = 0
    write('NspiGetPropList_out', IMPACKET + ' NspiGetPropListResponse', 'NspiGetPropList_out', encode(resp),
          {'ppPropTags': tv, 'result': 0})
    req = nspi.NspiCompareMIds()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    sv = stat(req['pStat'])
    req['MId1'] = 0x1001
    req['MId2'] = 0x1003
    write('NspiCompareMIds_in', IMPACKET + ' NspiCompareMIds (MS-OXNSPI 3.1.4.1.12)', 'NspiCompareMIds_in', encode(req),
          {'hRpc': hv, 'Reserved': 0, 'pStat': sv, 'MId1': 0x1001, 'MId2': 0x1003})
    resp = nspi.NspiCompareMIdsResponse()
    resp['plResult'] = -2
    resp['ErrorCode'] = 0
    write('NspiCompareMIds_out', IMPACKET + ' NspiCompareMIdsResponse', 'NspiCompareMIds_out', encode(resp),
          {'plResult': -2, 'result': 0})
    req = nspi.NspiQueryColumns()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    req['dwFlags'] = nspi.NspiUnicodeProptypes
    write('NspiQueryColumns_in', IMPACKET + ' NspiQueryColumns (MS-OXNSPI 3.1.4.1.5)', 'NspiQueryColumns_in', encode(req),
          {'hRpc': hv, 'Reserved': 0, 'dwFlags': 0x80000000})
    resp = nspi.NspiQueryColumnsResponse()
    resp['ppColumns'] = nspi.PropertyTagArray_r()
    tv = set_tags(resp.fields['ppColumns'].fields['Data'], [0x3001001F, 0x39FE001F, 0x3A17001F])
    resp['ErrorCode'] = 0
    write('NspiQueryColumns_out', IMPACKET + ' NspiQueryColumnsResponse', 'NspiQueryColumns_out', encode(resp),
          {'ppColumns': tv, 'result': 0})

# ---- NspiGetProps (opnum 9): the spec's [ref] pStat and impacket's [unique] one ----------------------------------
class NspiGetPropsStrict(ndr.NDRCALL):
    opnum = 9
    structure = (('hRpc', nspi.handle_t), ('dwFlags', DWORD), ('pStat', nspi.STAT), ('pPropTags', nspi.PPropertyTagArray_r))

def gen_get_props():
    tags = [0x3001001F, 0x3003001E, 0x0FFF0102]
    out = {}
    for cls, name, note in ((NspiGetPropsStrict, 'NspiGetProps_in', 'MS-OXNSPI 3.1.4.1.7 form ([ref] pStat), what Outlook sends'),
                            (nspi.NspiGetProps, 'NspiGetProps_in_impacket', 'impacket 0.10 class: pStat as a [unique] pointer')):
        req = cls()
        _, hv = handle(req['hRpc'])
        req['dwFlags'] = nspi.fEphID
        sv = stat(req['pStat'], CurrentRec=0x1001)
        req['pPropTags'] = nspi.PropertyTagArray_r()
        tv = set_tags(req.fields['pPropTags'].fields['Data'], tags)
        out[name] = (encode(req), {'hRpc': hv, 'dwFlags': 2, 'pStat': sv, 'pPropTags': tv}, note)
    data, value, note = out['NspiGetProps_in']
    write('NspiGetProps_in', IMPACKET + ' types, ' + note, 'NspiGetProps_in', data, value)
    write('NspiGetProps_request_strict', IMPACKET + ' types, ' + note, 'NspiGetProps_request', data, value)
    idata, ivalue, inote = out['NspiGetProps_in_impacket']
    write('NspiGetProps_request_impacket', IMPACKET + ' NspiGetProps (' + inote + ')', 'NspiGetProps_request', idata, ivalue,
          note='decoded as the spec form; encodes as the spec form', encodes_as=data)
    # impacket's hNspiGetProps helper itself: cValues = len(pPropTags) + 1 (one more than the tags it sends)
    class Capture:
        def request(self, req, *args, **kw):
            self.data = encode(req)
            return None
    cap = Capture()
    hh, hv = handle()
    nspi.hNspiGetProps(cap, hh, ContainerID=0, CurrentRec=0x1001, dwFlags=nspi.fEphID, CodePage=1252, pPropTags=tags)
    hstat = dict(STAT_VALS, CurrentRec=0x1001, TemplateLocale=0, SortLocale=0)
    sreq = NspiGetPropsStrict()
    handle(sreq['hRpc'])
    sreq['dwFlags'] = nspi.fEphID
    stat(sreq['pStat'], **hstat)
    sreq['pPropTags'] = nspi.PropertyTagArray_r()
    set_tags(sreq.fields['pPropTags'].fields['Data'], tags)
    write('NspiGetProps_request_impacket_helper', IMPACKET + ' hNspiGetProps (pStat [unique]; pPropTags cValues = 4 for 3 tags)',
          'NspiGetProps_request', cap.data,
          {'hRpc': hv, 'dwFlags': 2, 'pStat': hstat, 'pPropTags': {'cValues': len(tags), 'aulPropTag': list(tags)}},
          note='the off-by-one cValues is read as the tags sent; encodes as the spec form', encodes_as=encode(sreq))
    resp = nspi.NspiGetPropsResponse()
    row, rj = i_row(ROWS[1])
    resp['ppRows'] = row
    resp['ErrorCode'] = 0x00040380
    write('NspiGetProps_out', IMPACKET + ' NspiGetPropsResponse (MAPI_W_ERRORS_RETURNED)', 'NspiGetProps_out', encode(resp),
          {'ppRows': rj, 'result': 0x00040380})

# ---- NspiGetSpecialTable (opnum 12) ------------------------------------------------------------------------------
class NspiGetSpecialTableStrict(ndr.NDRCALL):
    opnum = 12
    structure = (('hRpc', nspi.handle_t), ('dwFlags', DWORD), ('pStat', nspi.STAT), ('lpVersion', DWORD))

HIERARCHY = [
    [(0x0FFF0102, bytes.fromhex('87000000') + iuuid.string_to_bin(SERVER_GUID) + bytes.fromhex('01000000' '00010000' '00000000')),
     (0x36000003, 0x00000001 | 0x00000002),          # PidTagContainerFlags AB_RECIPIENTS | AB_SUBCONTAINERS
     (0x30050003, 0),                                 # PidTagDepth
     (0xFFFD0003, 0),                                 # PidTagAddressBookContainerId
     (0x3001001F, ''),                                # PidTagDisplayName (the GAL's is empty)
     (0xFE00000B, 1)],                                # PidTagAddressBookIsMaster
]

def gen_special_table():
    req = NspiGetSpecialTableStrict()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = nspi.NspiUnicodeStrings
    sv = stat(req['pStat'])
    req['lpVersion'] = 0
    data = encode(req)
    value = {'hRpc': hv, 'dwFlags': 4, 'pStat': sv, 'lpVersion': 0}
    src = 'impacket 0.10 types in the MS-OXNSPI 3.1.4.1.3 form (shared/oracles/impacket_oracle.py NspiGetSpecialTableStrict, Outlook\'s 64 bytes)'
    write('NspiGetSpecialTable_in', src, 'NspiGetSpecialTable_in', data, value)
    write('NspiGetSpecialTable_request_strict', src, 'NspiGetSpecialTable_request', data, value)
    for lpv, name in ((NULL, 'NspiGetSpecialTable_request_impacket'), (7, 'NspiGetSpecialTable_request_impacket_version')):
        req = nspi.NspiGetSpecialTable()
        _, hv = handle(req['hRpc'])
        req['dwFlags'] = nspi.NspiUnicodeStrings
        req['pStat'] = nspi.STAT()
        stat(req.fields['pStat'].fields['Data'])
        req['lpVersion'] = lpv
        strict = dict(value, lpVersion=0 if lpv is NULL else lpv)
        expect = NspiGetSpecialTableStrict()
        handle(expect['hRpc'])
        expect['dwFlags'] = 4
        stat(expect['pStat'])
        expect['lpVersion'] = strict['lpVersion']
        write(name, IMPACKET + ' NspiGetSpecialTable (pStat and lpVersion [unique]: 68 or 72 bytes)', 'NspiGetSpecialTable_request',
              encode(req), strict, note='decoded as the spec form (a NULL lpVersion reads as 0)', encodes_as=encode(expect))
    resp = nspi.NspiGetSpecialTableResponse()
    resp['lpVersion'] = 1
    rs, rj = i_rowset(HIERARCHY)
    resp['ppRows'] = rs
    resp['ErrorCode'] = 0
    write('NspiGetSpecialTable_out', IMPACKET + ' NspiGetSpecialTableResponse (an address book hierarchy table, MS-OXNSPI 4 columns)',
          'NspiGetSpecialTable_out', encode(resp), {'lpVersion': 1, 'ppRows': rj, 'result': 0})

# ---- NspiGetTemplateInfo (opnum 13) ------------------------------------------------------------------------------
def gen_template_info():
    req = nspi.NspiGetTemplateInfo()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = nspi.TI_TEMPLATE | nspi.TI_SCRIPT
    req['ulType'] = 0          # DT_MAILUSER
    req['pDN'] = NULL
    req['dwCodePage'] = 1252
    req['dwLocaleID'] = 0x409
    write('NspiGetTemplateInfo_in', IMPACKET + ' NspiGetTemplateInfo (MS-OXNSPI 3.1.4.1.18), NULL pDN', 'NspiGetTemplateInfo_in',
          encode(req), {'hRpc': hv, 'dwFlags': 5, 'ulType': 0, 'pDN': None, 'dwCodePage': 1252, 'dwLocaleID': 0x409})
    req = nspi.NspiGetTemplateInfo()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = nspi.TI_TEMPLATE
    req['ulType'] = 0
    dn = b'/o=NT5/ou=00000000000000000000000000000000/cn=409/cn=0'
    req['pDN'] = dn + b'\x00'
    req['dwCodePage'] = 1252
    req['dwLocaleID'] = 0x409
    write('NspiGetTemplateInfo_in_dn', IMPACKET + ' NspiGetTemplateInfo with pDN', 'NspiGetTemplateInfo_in', encode(req),
          {'hRpc': hv, 'dwFlags': 1, 'ulType': 0, 'pDN': hx(dn), 'dwCodePage': 1252, 'dwLocaleID': 0x409})
    resp = nspi.NspiGetTemplateInfoResponse()
    row, rj = i_row([(0x00010102, bytes(range(16)) + b'\x00\x00\x00\x00'), (0x0004101E, [b'script', b'line 2'])])
    resp['ppData'] = row
    resp['ErrorCode'] = 0
    write('NspiGetTemplateInfo_out', IMPACKET + ' NspiGetTemplateInfoResponse (TI_TEMPLATE binary, TI_SCRIPT strings)',
          'NspiGetTemplateInfo_out', encode(resp), {'ppData': rj, 'result': 0})

# ---- NspiModProps (11), NspiModLinkAtt (14) -----------------------------------------------------------------------
def gen_modify():
    req = nspi.NspiModLinkAtt()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = nspi.fDelete
    req['ulPropTag'] = 0x8015101E             # PidTagAddressBookPublicDelegates (impacket's hNspiModLinkAtt leaves the type to the caller)
    req['dwMId'] = 0x1001
    ids = [ENTRYID, PERM_ENTRYID]
    req['lpEntryIds']['cValues'] = len(ids)
    arr = []
    for b in ids:
        x = nspi.Binary_r()
        x['cValues'] = len(b)
        x['lpb'] = list(b)
        arr.append(x)
    req['lpEntryIds']['lpbin'] = arr
    write('NspiModLinkAtt_in', IMPACKET + ' NspiModLinkAtt (MS-OXNSPI 3.1.4.1.15), two entry IDs', 'NspiModLinkAtt_in', encode(req),
          {'hRpc': hv, 'dwFlags': 1, 'ulPropTag': 0x8015101E, 'dwMId': 0x1001,
           'lpEntryIds': {'cValues': 2, 'lpbin': [{'cb': len(b), 'lpb': hx(b)} for b in ids]}})
    resp = nspi.NspiModLinkAttResponse()
    resp['ErrorCode'] = 0x80070005
    write('NspiModLinkAtt_out', IMPACKET + ' NspiModLinkAttResponse (MAPI_E_NO_ACCESS)', 'NspiModLinkAtt_out', encode(resp),
          {'result': 0x80070005})

class NspiModProps(ndr.NDRCALL):
    opnum = 11
    structure = (('hRpc', nspi.handle_t), ('Reserved', DWORD), ('pStat', nspi.STAT), ('pPropTags', nspi.PPropertyTagArray_r),
                 ('pRow', nspi.PropertyRow_r))

def gen_mod_props():
    req = NspiModProps()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    sv = stat(req['pStat'], CurrentRec=0x1001)
    req['pPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(req.fields['pPropTags'].fields['Data'], [0x8C6A1102])
    row, rj = i_row([(0x8C6A1102, [b'\x30\x82\x01\x0a', b'\x30\x03\x02\x01\x01'])])    # PidTagUserX509Certificate
    req['pRow'] = row
    write('NspiModProps_in', IMPACKET + ' types in MS-OXNSPI 3.1.4.1.14 NspiModProps (commented out in impacket 0.10)',
          'NspiModProps_in', encode(req), {'hRpc': hv, 'Reserved': 0, 'pStat': sv, 'pPropTags': tv, 'pRow': rj})

# ---- NspiGetNamesFromIDs (17), NspiGetIDsFromNames (18): MS-NSPI 3.1.4.16/17 --------------------------------------
class NspiGetIDsFromNamesMsNspi(ndr.NDRCALL):
    """MS-NSPI 3.1.4.17: [in, size_is(cPropNames)] PropertyName_r ** pNames, an array of pointers (impacket 0.10 sends the
    structs themselves, a conformant-varying array)."""
    opnum = 18

class PPropertyName_r_ARRAY(ndr.NDRUniConformantArray):
    item = nspi.PPropertyName_r

NspiGetIDsFromNamesMsNspi.structure = (('hRpc', nspi.handle_t), ('Reserved', DWORD), ('dwFlags', DWORD),
                                       ('cPropNames', DWORD), ('pNames', PPropertyName_r_ARRAY))

def gen_names():
    req = nspi.NspiGetNamesFromIDs()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    req['lpguid'] = iuuid.string_to_bin(PS_PUBLIC_STRINGS)
    req['pPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(req.fields['pPropTags'].fields['Data'], [0x8001001F, 0x8002101F])
    write('NspiGetNamesFromIDs_in', IMPACKET + ' NspiGetNamesFromIDs (MS-NSPI 3.1.4.16)', 'NspiGetNamesFromIDs_in', encode(req),
          {'hRpc': hv, 'Reserved': 0, 'lpguid': PS_PUBLIC_STRINGS, 'pPropTags': tv})
    req = nspi.NspiGetNamesFromIDs()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    req['lpguid'] = NULL
    req['pPropTags'] = NULL
    write('NspiGetNamesFromIDs_in_all', IMPACKET + ' NspiGetNamesFromIDs with NULL lpguid and pPropTags (all names)',
          'NspiGetNamesFromIDs_in', encode(req), {'hRpc': hv, 'Reserved': 0, 'lpguid': None, 'pPropTags': None})
    resp = nspi.NspiGetNamesFromIDsResponse()
    resp['ppReturnedPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(resp.fields['ppReturnedPropTags'].fields['Data'], [0x8001001F, 0x8002101F])
    names = []
    for lid in (0x8001, 0x8002):
        n = nspi.PropertyName_r()
        n['lpguid'] = iuuid.string_to_bin(PS_PUBLIC_STRINGS)
        n['ulReserved'] = 0
        n['lID'] = lid
        names.append(n)
    resp['ppNames'] = nspi.PropertyNameSet_r()
    resp.fields['ppNames'].fields['Data']['cNames'] = 2
    resp.fields['ppNames'].fields['Data']['aulPropTag'] = names      # impacket's name for aNames
    resp['ErrorCode'] = 0
    write('NspiGetNamesFromIDs_out', IMPACKET + ' NspiGetNamesFromIDsResponse', 'NspiGetNamesFromIDs_out', encode(resp),
          {'ppReturnedPropTags': tv,
           'ppNames': {'cNames': 2, 'aNames': [{'lpguid': PS_PUBLIC_STRINGS, 'ulReserved': 0, 'lID': lid} for lid in (0x8001, 0x8002)]},
           'result': 0})
    req = NspiGetIDsFromNamesMsNspi()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    req['dwFlags'] = nspi.NspiVerifyNames
    req['cPropNames'] = 2
    arr = []
    jn = []
    for guid, lid in ((PS_PUBLIC_STRINGS, 0x8001), (GUID_A_STR, -1)):
        p = nspi.PPropertyName_r()
        p['lpguid'] = iuuid.string_to_bin(guid)
        p['ulReserved'] = 0
        p['lID'] = lid
        arr.append(p)
        jn.append({'lpguid': guid, 'ulReserved': 0, 'lID': lid})
    req['pNames'] = arr
    write('NspiGetIDsFromNames_in', 'impacket 0.10 types in the MS-NSPI 3.1.4.17 form (array of PropertyName_r pointers)',
          'NspiGetIDsFromNames_in', encode(req), {'hRpc': hv, 'Reserved': 0, 'dwFlags': 2, 'cPropNames': 2, 'pNames': jn})
    resp = nspi.NspiGetIDsFromNamesResponse()
    resp['ppPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(resp.fields['ppPropTags'].fields['Data'], [0x80010000, 0x0000000A])
    resp['ErrorCode'] = 0x00040380
    write('NspiGetIDsFromNames_out', IMPACKET + ' NspiGetIDsFromNamesResponse (one name unknown)', 'NspiGetIDsFromNames_out',
          encode(resp), {'ppPropTags': tv, 'result': 0x00040380})

# ---- NspiResolveNames (19), NspiResolveNamesW (20) ----------------------------------------------------------------
def gen_resolve():
    tags = [0x3001001F, 0x39FE001F, 0x0FFF0102]
    req = nspi.NspiResolveNamesW()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    sv = stat(req['pStat'])
    req['pPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(req.fields['pPropTags'].fields['Data'], tags)
    strs = ['zoe', 'Zoë Example', 'nobody@example.com']
    req['paStr']['Count'] = len(strs)                    # impacket's name for paWStr
    req['paStr']['Strings'] = [lpwstr(s) for s in strs]
    write('NspiResolveNamesW_in', IMPACKET + ' NspiResolveNamesW (MS-OXNSPI 3.1.4.1.17)', 'NspiResolveNamesW_in', encode(req),
          {'hRpc': hv, 'Reserved': 0, 'pStat': sv, 'pPropTags': tv, 'paWStr': {'Count': 3, 'Strings': strs}})
    resp = nspi.NspiResolveNamesWResponse()
    resp['ppMIds'] = nspi.PropertyTagArray_r()
    mv = set_tags(resp.fields['ppMIds'].fields['Data'], [0x1001, 0x1001, 0])    # resolved, resolved, MID_UNRESOLVED
    rs, rj = i_rowset([[(0x3001001F, 'Zoë Example'), (0x39FE001F, 'zoe@example.com'), (0x0FFF0102, ENTRYID)]] * 2)
    resp['ppRows'] = rs
    resp['ErrorCode'] = 0
    write('NspiResolveNamesW_out', IMPACKET + ' NspiResolveNamesWResponse', 'NspiResolveNamesW_out', encode(resp),
          {'ppMIds': mv, 'ppRows': rj, 'result': 0})
    req = nspi.NspiResolveNames()
    _, hv = handle(req['hRpc'])
    req['Reserved'] = 0
    sv = stat(req['pStat'])
    req['pPropTags'] = NULL
    strs = [b'zo\xeb', b'bob']
    req['paStr']['Count'] = len(strs)
    req['paStr']['Strings'] = [lpstr(s) for s in strs]
    write('NspiResolveNames_in', IMPACKET + ' NspiResolveNames (MS-OXNSPI 3.1.4.1.16), 8-bit names in code page 1252',
          'NspiResolveNames_in', encode(req),
          {'hRpc': hv, 'Reserved': 0, 'pStat': sv, 'pPropTags': None, 'paStr': {'Count': 2, 'Strings': [hx(s) for s in strs]}})
    resp = nspi.NspiResolveNamesResponse()
    resp['ppMIds'] = nspi.PropertyTagArray_r()
    mv = set_tags(resp.fields['ppMIds'].fields['Data'], [0x1001, 1])             # resolved, MID_AMBIGUOUS
    resp['ppRows'] = NULL
    resp['ErrorCode'] = 0
    write('NspiResolveNames_out', IMPACKET + ' NspiResolveNamesResponse without rows', 'NspiResolveNames_out', encode(resp),
          {'ppMIds': mv, 'ppRows': None, 'result': 0})

# ---- MS-OXNSPI section 4: the example sequence's wire values -----------------------------------------------------
def gen_example_sequence():
    seq = json.load(open(VECTORS))
    src = 'MS-OXNSPI 4 example sequence values (fixtures/nsp/vectors/ms-oxnspi-example-sequence.json), encoded by impacket 0.10 nspi.py'
    steps = {s['call'].split(' ')[0]: s for s in seq['steps']}

    def sv_of(d):
        return {('SortType' if k.startswith('hIndex') else k): v for k, v in d.items()}

    bind = steps['NspiBind']
    req = nspi.NspiBind()
    req['dwFlags'] = int(bind['request']['dwFlags'], 16)
    sv = sv_of(bind['request']['pStat'])
    stat(req['pStat'], **sv)
    req['pServerGuid'] = bytes(16)
    write('ms-oxnspi-4_NspiBind_in', src, 'NspiBind_in', encode(req),
          {'dwFlags': 0, 'pStat': sv, 'pServerGuid': '00000000-0000-0000-0000-000000000000'},
          note='the example passes a pointer to 16 bytes to be returned; their input value is not given (zeros here)')
    resp = nspi.NspiBindResponse()
    resp['pServerGuid'] = bytes.fromhex(bind['response']['pServerGuid'])
    _, hv = handle(resp['contextHandle'])
    resp['ErrorCode'] = bind['response']['return']
    assert bind['response']['pServerGuidAsUuid'] == SERVER_GUID
    write('ms-oxnspi-4_NspiBind_out', src, 'NspiBind_out', encode(resp),
          {'pServerGuid': bind['response']['pServerGuidAsUuid'], 'contextHandle': hv, 'result': 0},
          note='the context handle is opaque in the example; this one is ours')

    gst = steps['NspiGetSpecialTable']
    req = NspiGetSpecialTableStrict()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = int(gst['request']['dwFlags'].split(' ')[0], 16)
    sv = sv_of(gst['request']['pStat'])
    stat(req['pStat'], **sv)
    req['lpVersion'] = 0
    write('ms-oxnspi-4_NspiGetSpecialTable_in', src, 'NspiGetSpecialTable_in', encode(req),
          {'hRpc': hv, 'dwFlags': 4, 'pStat': sv, 'lpVersion': 0}, note='lpVersion is not given in the example (0 here)')

    qr = steps['NspiQueryRows']
    req = nspi.NspiQueryRows()
    _, hv = handle(req['hRpc'])
    req['dwFlags'] = qr['request']['dwFlags']
    sv = sv_of(qr['request']['pStat'])
    stat(req['pStat'], **sv)
    req['dwETableCount'] = qr['request']['dwETableCount']
    req['lpETable'] = NULL
    req['Count'] = qr['request']['Count']
    tags = [0x0FFF0102, 0x3001001F, 0x39FE001F, 0x3A17001F]
    req['pPropTags'] = nspi.PropertyTagArray_r()
    tv = set_tags(req.fields['pPropTags'].fields['Data'], tags)
    write('ms-oxnspi-4_NspiQueryRows_in', src, 'NspiQueryRows_in', encode(req),
          {'hRpc': hv, 'dwFlags': 0, 'pStat': sv, 'dwETableCount': 0, 'lpETable': None, 'Count': 2, 'pPropTags': tv},
          note='PidTagDisplayName taken as PT_UNICODE (0x3001001F); the example names it without a type')
    resp = nspi.NspiQueryRowsResponse()
    sv = sv_of(qr['response']['pStat'])
    stat(resp['pStat'], **sv)
    rows = [[(0x0FFF0102, ENTRYID), (0x3001001F, 'Zoë Example'), (0x39FE001F, 'zoe@example.com'), (0x3A17000A, 0x8004010F)],
            [(0x0FFF0102, ENTRYID[:28] + bytes.fromhex('28190000')), (0x3001001F, 'Zora'), (0x39FE001F, 'zora@example.com'),
             (0x3A17001F, 'Engineer')]]
    assert len(rows) == qr['response']['cRows'] and all(len(r) == qr['response']['cValuesPerRow'] for r in rows)
    rs, rj = i_rowset(rows)
    resp['ppRows'] = rs
    resp['ErrorCode'] = 0
    write('ms-oxnspi-4_NspiQueryRows_out', src, 'NspiQueryRows_out', encode(resp), {'pStat': sv, 'ppRows': rj, 'result': 0},
          note='pStat, cRows and the 4 columns per row are the example\'s; the row values are ours')

    ub = steps['NspiUnbind']
    req = nspi.NspiUnbind()
    _, hv = handle(req['contextHandle'])
    req['Reserved'] = ub['request']['dwFlags']
    write('ms-oxnspi-4_NspiUnbind_in', src, 'NspiUnbind_in', encode(req), {'contextHandle': hv, 'Reserved': 0})
    resp = nspi.NspiUnbindResponse()
    _, hv = handle(resp['contextHandle'], '00000000-0000-0000-0000-000000000000')
    resp['ErrorCode'] = ub['response']['return']
    write('ms-oxnspi-4_NspiUnbind_out', src, 'NspiUnbind_out', encode(resp), {'contextHandle': hv, 'result': 1},
          note='NspiUnbind returns 1 on success; the destroyed handle comes back zeroed')

def main():
    for f in os.listdir(OUT) if os.path.isdir(OUT) else []:
        if f.endswith('.json'):
            os.unlink(os.path.join(OUT, f))
    gen_bind()
    gen_unbind()
    gen_update_stat()
    gen_query_rows()
    gen_get_matches()
    gen_dn_to_mid()
    gen_small()
    gen_get_props()
    gen_special_table()
    gen_template_info()
    gen_modify()
    gen_mod_props()
    gen_names()
    gen_resolve()
    gen_example_sequence()
    print(len(written), 'fixtures in', os.path.normpath(OUT))

if __name__ == '__main__':
    main()
