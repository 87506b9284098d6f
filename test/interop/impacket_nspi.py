#!/usr/bin/python3
"""impacket (Debian python3-impacket 0.10) against our NSPI interface (MS-OXNSPI) over ncacn_ip_tcp (or ncacn_http with --proxy URL --server NAME --port 6004): every opnum the
address book acceptance names, in one session. Prints one JSON object with what the server answered; the vitest
side (test/interop/nspi.test.ts) checks every value against the directory. Run with /usr/bin/python3.

  impacket_nspi.py suite --port P [-u U -p PW] [--level 6] --spec SPEC.json
  impacket_nspi.py wire --port P [-u U -p PW] [--level 6] --spec SPEC.json   (what Wireshark can dissect)
  impacket_nspi.py getprops-helper --port P [-u U -p PW] --dn DN [--tag T ...]

SPEC (written by the test): {"page": n, "seek": [...], "dns": [...], "props": {dn: [tags]}, "proplist": [dn],
"anr": [...], "resolve": [...], "resolve8": [...], "group": dn, "self": dn, "other": dn, "cert": hex}

impacket 0.10 quirks worked around here (each class below says which): NspiGetMatches and NspiModProps are
commented out of nspi.py; NspiSeekEntries marshals lpETable/pPropTags inline where MS-OXNSPI has [unique]
pointers; NspiGetIDsFromNames sends structs where MS-NSPI has pointers to them; NspiGetSpecialTable and NspiGetProps
pass pStat as [unique] where MS-OXNSPI has [ref] (the server accepts both; the spec's form is used here, impacket's
own helpers where named). Values out: [tag, value] pairs in row order; strings (PT_UNICODE) as str, PT_STRING8 as
{"a": hex of the bytes}, binaries as {"bin": hex}, PT_ERROR as {"err": code}, PT_OBJECT as {"obj": 0}.
"""
import argparse, json, sys, traceback
from impacket import uuid as iuuid
from impacket.dcerpc.v5 import transport, nspi, rpcrt, ndr
from impacket.dcerpc.v5.dtypes import NULL, DWORD, ULONG
from impacket.dcerpc.v5.ndr import NDRCALL
from impacket.dcerpc.v5.rpcrt import DCERPCException


# ---- the calls impacket 0.10 lacks or marshals differently from MS-OXNSPI --------------------------------------
class NspiGetMatches(NDRCALL):
    """MS-OXNSPI 3.1.4.1.10 (commented out in impacket 0.10)."""
    opnum = 5
    structure = (('hRpc', nspi.handle_t), ('Reserved1', DWORD), ('pStat', nspi.STAT), ('pReserved', nspi.PPropertyTagArray_r),
                 ('Reserved2', DWORD), ('Filter', nspi.PRestriction_r), ('lpPropName', nspi.PPropertyName_r),
                 ('ulRequested', DWORD), ('pPropTags', nspi.PPropertyTagArray_r))
class NspiGetMatchesResponse(NDRCALL):
    structure = (('pStat', nspi.STAT), ('ppOutMIds', nspi.PPropertyTagArray_r), ('ppRows', nspi.PPropertyRowSet_r), ('ErrorCode', ULONG))

class NspiGetSpecialTableStrict(NDRCALL):
    """MS-OXNSPI 3.1.4.1.3 with pStat and lpVersion by [ref] (what Outlook sends)."""
    opnum = 12
    structure = (('hRpc', nspi.handle_t), ('dwFlags', DWORD), ('pStat', nspi.STAT), ('lpVersion', DWORD))
NspiGetSpecialTableStrictResponse = nspi.NspiGetSpecialTableResponse

class NspiGetPropsStrict(NDRCALL):
    """MS-OXNSPI 3.1.4.1.7 with pStat by [ref]."""
    opnum = 9
    structure = (('hRpc', nspi.handle_t), ('dwFlags', DWORD), ('pStat', nspi.STAT), ('pPropTags', nspi.PPropertyTagArray_r))
NspiGetPropsStrictResponse = nspi.NspiGetPropsResponse

class NspiSeekEntriesStrict(NDRCALL):
    """MS-OXNSPI 3.1.4.1.9: lpETable and pPropTags are [unique] pointers (impacket 0.10 marshals the structs inline)."""
    opnum = 4
    structure = (('hRpc', nspi.handle_t), ('Reserved', DWORD), ('pStat', nspi.STAT), ('pTarget', nspi.PropertyValue_r),
                 ('lpETable', nspi.PPropertyTagArray_r), ('pPropTags', nspi.PPropertyTagArray_r))
NspiSeekEntriesStrictResponse = nspi.NspiSeekEntriesResponse

class NspiModProps(NDRCALL):
    """MS-OXNSPI 3.1.4.1.14 (commented out in impacket 0.10)."""
    opnum = 11
    structure = (('hRpc', nspi.handle_t), ('Reserved', DWORD), ('pStat', nspi.STAT), ('pPropTags', nspi.PPropertyTagArray_r),
                 ('pRow', nspi.PropertyRow_r))
class NspiModPropsResponse(NDRCALL):
    structure = (('ErrorCode', ULONG),)

class PPropertyName_r_ARRAY(ndr.NDRUniConformantArray):
    item = nspi.PPropertyName_r
class NspiGetIDsFromNamesMsNspi(NDRCALL):
    """MS-NSPI 3.1.4.17: pNames is an array of pointers to PropertyName_r (impacket sends the structs)."""
    opnum = 18
    structure = (('hRpc', nspi.handle_t), ('Reserved', DWORD), ('dwFlags', DWORD), ('cPropNames', DWORD), ('pNames', PPropertyName_r_ARRAY))
NspiGetIDsFromNamesMsNspiResponse = nspi.NspiGetIDsFromNamesResponse

class NspiResortRestriction(NDRCALL):
    opnum = 6
    structure = (('hRpc', nspi.handle_t), ('Reserved', DWORD), ('pStat', nspi.STAT), ('pInMIds', nspi.PropertyTagArray_r),
                 ('ppOutMIds', nspi.PPropertyTagArray_r))
class NspiResortRestrictionResponse(NDRCALL):
    structure = (('pStat', nspi.STAT), ('ppOutMIds', nspi.PPropertyTagArray_r), ('ErrorCode', ULONG))

# dce.request finds a call's response class by name in the module that defines the request class
for _n in ('NspiGetMatches', 'NspiGetSpecialTableStrict', 'NspiGetPropsStrict', 'NspiSeekEntriesStrict', 'NspiModProps',
           'NspiGetIDsFromNamesMsNspi', 'NspiResortRestriction'):
    setattr(nspi, _n + 'Response', globals()[_n + 'Response'])

PR_DISPLAY_NAME_W = 0x3001001F
PR_EMS_AB_CONTAINERID = 0xFFFD0003


# ---- values ------------------------------------------------------------------------------------------------------
def guid(u):
    """A FlatUID_r (impacket's UUID: 16 bytes in 'Data') as a lower-case GUID string, None for NULL."""
    if u is None or u == NULL or len(u) == 0:
        return None
    return iuuid.bin_to_string(u if isinstance(u, bytes) else u['Data']).lower()

def raw8(lpstr):
    """The bytes of an impacket LPSTR, as sent (its STR's raw field; ['Data'] would decode them as UTF-8 if it can)."""
    inner = lpstr.fields['Data']
    raw = inner.fields['Data'] if hasattr(inner, 'fields') else inner
    return raw if isinstance(raw, bytes) else raw.encode('latin-1')

def pval(prop):
    tag = prop['ulPropTag'] & 0xFFFFFFFF
    typ = tag & 0xFFFF
    arm = prop['Value'].structure[0][0]
    v = prop['Value'].fields[arm]
    if typ == 0x0002:
        val = int(v['Data'])
    elif typ == 0x0003:
        val = int(v['Data']) & 0xFFFFFFFF
    elif typ == 0x000B:
        val = bool(int(v['Data']))
    elif typ == 0x001E:
        val = {'a': raw8(v)[:-1].hex()}
    elif typ == 0x001F:
        val = v['Data'][:-1]
    elif typ == 0x0102:
        val = {'bin': b''.join(v['lpb']).hex() if not is_null(v['lpb']) else ''}
    elif typ == 0x0048:
        val = guid(v)
    elif typ == 0x000A:
        val = {'err': int(v['Data']) & 0xFFFFFFFF}
    elif typ == 0x1003:
        val = [int(x['Data']) & 0xFFFFFFFF for x in v['lpl']]
    elif typ == 0x101E:
        val = [{'a': raw8(x)[:-1].hex()} for x in v['lppszA']]
    elif typ == 0x101F:
        val = [x['Data'][:-1] for x in v['lppszW']]
    elif typ == 0x1102:
        val = [{'bin': b''.join(x['lpb']).hex()} for x in v['lpbin']]
    elif typ in (0x000D, 0x0000, 0x0001):
        val = {'obj': int(v['Data'])}
    else:
        val = {'type': typ}
    return [tag, val]

def is_null(p):
    """A NULL pointer as impacket decodes it (b'' / '' / NULL)."""
    return p is None or isinstance(p, (bytes, str)) or p == NULL

def row(r):
    if is_null(r) or is_null(r['lpProps']):
        return []
    return [pval(p) for p in r['lpProps']]

def rowset(rs):
    if is_null(rs):
        return None
    return [row(r) for r in rs['aRow']]

def mids(arr):
    if is_null(arr):
        return None
    return [m['Data'] & 0xFFFFFFFF for m in arr['aulPropTag']]

def stat_json(s):
    return {k: (s[k] & 0xFFFFFFFF if k != 'Delta' else s[k]) for k in
            ('SortType', 'ContainerID', 'CurrentRec', 'Delta', 'NumPos', 'TotalRecs', 'CodePage', 'TemplateLocale', 'SortLocale')}

def tags(t, lst):
    """Fills an impacket PropertyTagArray_r as MS-OXNSPI has it: cValues = n, max_count n + 1."""
    for x in lst:
        d = DWORD(); d['Data'] = x; t['aulPropTag'].append(d)
    t['cValues'] = len(lst)
    t.fields['aulPropTag'].fields['MaximumCount'] = len(lst) + 1

def tag_array(lst):
    t = nspi.PropertyTagArray_r(); tags(t, lst); return t

def mkstat(**kw):
    s = nspi.STAT()
    s['CodePage'] = 1252; s['TemplateLocale'] = 0x409; s['SortLocale'] = 0x409
    for k, v in kw.items():
        s[k] = v
    return s

def ec_of(e):
    """The MAPI code of a DCERPCSessionError (ErrorCode != 0), or a fault description."""
    code = getattr(e, 'error_code', None)
    if code is not None:
        return code & 0xFFFFFFFF
    return 'fault ' + str(e)


class Session:
    def __init__(self, a):
        if a.proxy:
            # ncacn_http (RPC over HTTP v2) to --server[--port] through the RPC proxy at --proxy
            from impacket.http import AUTH_BASIC, AUTH_NTLM
            t = transport.DCERPCTransportFactory('ncacn_http:%s[%d]' % (a.server, a.port))
            t.set_rpc_proxy_url(a.proxy)
            t.set_auth_type({'ntlm': AUTH_NTLM, 'basic': AUTH_BASIC}[a.http_auth])
            t.set_credentials(a.user, a.password, 'TEST', '', '')
        else:
            t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % a.port)
        t.set_connect_timeout(10)
        self.dce = dce = t.get_dce_rpc()
        dce.set_credentials(a.user, a.password, 'TEST', '', '')
        dce.set_auth_type(a.auth_type)
        dce.set_auth_level(a.level)
        dce.connect()
        dce.bind(nspi.MSRPC_UUID_NSPI)
        r = nspi.hNspiBind(dce, mkstat())
        self.bind = {'result': r['ErrorCode'], 'guid': guid(r['pServerGuid'])}
        self.h = r['contextHandle']

    def request(self, req):
        """The response, or {'ErrorCode': code} for an error result."""
        try:
            return self.dce.request(req)
        except nspi.DCERPCSessionError as e:
            return {'ErrorCode': e.get_error_code() & 0xFFFFFFFF, 'error': True}

    def get_props(self, mid, tl, flags=0, cp=1252, container=0):
        req = NspiGetPropsStrict(); req['hRpc'] = self.h; req['dwFlags'] = flags
        req['pStat'] = mkstat(CurrentRec=mid, CodePage=cp, ContainerID=container)
        req['pPropTags'] = tag_array(tl)
        r = self.dce.request(req, checkError=False)
        return {'result': r['ErrorCode'] & 0xFFFFFFFF, 'row': None if is_null(r['ppRows']) else row(r['ppRows'])}

    def dn_to_mid(self, dns):
        return mids(nspi.hNspiDNToMId(self.dce, self.h, pNames=dns)['ppOutMIds'])

    def query_rows(self, stat, count, tl, flags=0, table=None):
        req = nspi.NspiQueryRows(); req['hRpc'] = self.h; req['dwFlags'] = flags; req['pStat'] = stat; req['Count'] = count
        if table:
            for m in table:
                d = DWORD(); d['Data'] = m; req['lpETable'].append(d)
            req['dwETableCount'] = len(table)
        else:
            req['lpETable'] = NULL; req['dwETableCount'] = 0
        if tl is None:
            req['pPropTags'] = NULL
        else:
            req['pPropTags'] = tag_array(tl)
        return self.dce.request(req, checkError=False)

    def get_matches(self, stat, restriction, tl, requested=1000, prop_name=None):
        req = NspiGetMatches(); req['hRpc'] = self.h; req['Reserved1'] = 0; req['pStat'] = stat; req['pReserved'] = NULL
        req['Reserved2'] = 0; req['Filter'] = restriction if restriction is not None else NULL
        req['lpPropName'] = NULL if prop_name is None else prop_name
        req['ulRequested'] = requested
        req['pPropTags'] = tag_array(tl)
        r = self.dce.request(req, checkError=False)
        return {'result': r['ErrorCode'] & 0xFFFFFFFF, 'stat': stat_json(r['pStat']), 'mids': mids(r['ppOutMIds']), 'rows': rowset(r['ppRows'])}


def anr_restriction(text):
    """RES_PROPERTY RELOP_EQ PR_ANR_W (MS-OXNSPI 3.1.4.4: ANR is a property restriction on PidTagAnr)."""
    res = nspi.Restriction_r(); res['rt'] = 4; res['res']['tag'] = 4
    res['res']['resProperty']['relop'] = 4; res['res']['resProperty']['ulPropTag'] = 0x360C001F
    pv = nspi.PropertyValue_r(); pv['ulPropTag'] = 0x360C001F; pv['ulReserved'] = 0
    pv['Value']['tag'] = 0x1F; pv['Value']['lpszW'] = text + '\x00'
    res['res']['resProperty']['lpProp'] = pv
    return res


def suite(a, spec):
    s = Session(a)
    out = {'bind': s.bind}
    dce, h = s.dce, s.h
    page = spec.get('page', 37)

    # ---- NspiGetSpecialTable: the hierarchy table, Unicode and 8-bit, then impacket's own helper with our version
    req = NspiGetSpecialTableStrict(); req['hRpc'] = h; req['dwFlags'] = nspi.NspiUnicodeStrings; req['pStat'] = mkstat(); req['lpVersion'] = 0
    r = dce.request(req)
    version = r['lpVersion']
    out['special'] = {'result': r['ErrorCode'], 'version': version, 'rows': rowset(r['ppRows'])}
    req['dwFlags'] = 0
    r = dce.request(req)
    out['special8'] = rowset(r['ppRows'])
    r = nspi.hNspiGetSpecialTable(dce, h, lpVersion=version)
    out['special_same_version'] = {'result': r['ErrorCode'], 'rows': None if is_null(r['ppRows']) else r['ppRows']['cRows']}
    r = nspi.hNspiGetSpecialTable(dce, h)
    out['special_impacket'] = {'result': r['ErrorCode'], 'rows': rowset(r['ppRows'])}

    cols = spec['columns']
    # ---- NspiQueryRows: the whole GAL forwards, `page` rows at a time
    stat = mkstat()
    pages = []
    for _ in range(10000):
        r = s.query_rows(stat, page, cols)
        pages.append({'result': r['ErrorCode'], 'stat': stat_json(r['pStat']), 'rows': rowset(r['ppRows'])})
        if r['ErrorCode'] != 0 or not r['ppRows']['cRows']:
            break
        stat = r['pStat']
        if stat['CurrentRec'] == nspi.MID_END_OF_TABLE:
            break
    out['forward'] = pages
    # ---- and backwards: from the end, Delta = -page, the rows that precede each position
    back = []
    cur = nspi.MID_END_OF_TABLE
    count = page
    for _ in range(10000):
        r = s.query_rows(mkstat(CurrentRec=cur, Delta=-count), count, cols)
        got = rowset(r['ppRows']) or []
        st = stat_json(r['pStat'])
        back.append({'result': r['ErrorCode'], 'stat': st, 'rows': got})
        if r['ErrorCode'] != 0 or not got:
            break
        start = st['NumPos'] - len(got)
        if start <= 0:
            break
        # the page before ends where this one began: a bookmark there, and no more rows than remain before it
        count = min(page, start)
        u = nspi.hNspiUpdateStat(dce, h, mkstat(CurrentRec=nspi.MID_BEGINNING_OF_TABLE, Delta=start), plDelta=0)
        cur = u['pStat']['CurrentRec']
    out['backward'] = back
    # ---- each address list of the hierarchy (ContainerID from the table), whole, one call each
    lists = {}
    for rr in out['special']['rows']:
        d = dict((t, v) for t, v in rr)
        r = s.query_rows(mkstat(ContainerID=d[PR_EMS_AB_CONTAINERID]), 5000, [PR_DISPLAY_NAME_W])
        lists[d[PR_DISPLAY_NAME_W]] = {'result': r['ErrorCode'], 'total': r['pStat']['TotalRecs'],
                                       'names': [x[0][1] for x in (rowset(r['ppRows']) or [])]}
    out['lists'] = lists
    # ---- the default columns (8-bit, code page 1252) of the first rows
    r = s.query_rows(mkstat(), 5, None)
    out['default_columns'] = {'result': r['ErrorCode'], 'rows': rowset(r['ppRows'])}
    # ---- NspiUpdateStat with plDelta, and fractional positioning
    u = nspi.hNspiUpdateStat(dce, h, mkstat(CurrentRec=nspi.MID_BEGINNING_OF_TABLE, Delta=10), plDelta=0)
    out['update_stat'] = {'result': u['ErrorCode'], 'stat': stat_json(u['pStat']), 'delta': u['plDelta']}
    u = nspi.hNspiUpdateStat(dce, h, mkstat(CurrentRec=nspi.MID_CURRENT, NumPos=1, TotalRecs=2), plDelta=0)
    out['update_stat_fraction'] = {'result': u['ErrorCode'], 'stat': stat_json(u['pStat'])}

    # ---- NspiSeekEntries (MS-OXNSPI form), and impacket's own helper
    seeks = {}
    for target in spec['seek']:
        req = NspiSeekEntriesStrict(); req['hRpc'] = h; req['Reserved'] = 0; req['pStat'] = mkstat()
        req['pTarget']['ulPropTag'] = PR_DISPLAY_NAME_W; req['pTarget']['ulReserved'] = 0
        req['pTarget']['Value']['tag'] = 0x1F; req['pTarget']['Value']['lpszW'] = target + '\x00'
        req['lpETable'] = NULL
        req['pPropTags'] = tag_array([PR_DISPLAY_NAME_W])
        r = dce.request(req, checkError=False)
        seeks[target] = {'result': r['ErrorCode'] & 0xFFFFFFFF, 'stat': stat_json(r['pStat']), 'rows': rowset(r['ppRows'])}
    out['seek'] = seeks

    # ---- NspiDNToMId
    out['dntomid'] = s.dn_to_mid(spec['dns'])
    mid_of = dict(zip(spec['dns'], out['dntomid']))

    # ---- NspiGetProps (the spec's form; Unicode and code page 1252; fEphID)
    props = {}
    for dn, tl in spec['props'].items():
        props[dn] = {'w': s.get_props(mid_of[dn], tl), 'eph': s.get_props(mid_of[dn], [0x0FFF0102], flags=nspi.fEphID)}
    out['props'] = props
    # 8-bit strings in 1252 and in UTF-8
    probe = spec['props8']
    out['props8'] = {str(cp): s.get_props(mid_of[probe['dn']], probe['tags'], cp=cp) for cp in (1252, 65001)}
    # impacket's own helper (pStat [unique], pPropTags cValues one too many): must read the same object
    try:
        r = nspi.hNspiGetProps(dce, h, CurrentRec=mid_of[probe['dn']], dwFlags=0, CodePage=1252, pPropTags=[PR_DISPLAY_NAME_W, 0x39FE001F])
        out['props_impacket_helper'] = {'result': r['ErrorCode'], 'row': row(r['ppRows'])}
    except nspi.DCERPCSessionError as e:
        out['props_impacket_helper'] = {'result': e.get_error_code() & 0xFFFFFFFF, 'row': None}
    except DCERPCException as e:
        out['props_impacket_helper'] = {'fault': str(e)}

    # ---- NspiGetPropList
    out['proplist'] = {}
    for dn in spec['proplist']:
        r = nspi.hNspiGetPropList(dce, h, dwMId=mid_of[dn], dwFlags=0, CodePage=1252)
        ru = nspi.hNspiGetPropList(dce, h, dwMId=mid_of[dn], dwFlags=nspi.fSkipObjects, CodePage=nspi.CP_WINUNICODE)
        out['proplist'][dn] = {'result': r['ErrorCode'], 'tags': mids(r['ppOutMIds']), 'unicode_skip': mids(ru['ppOutMIds'])}

    # ---- NspiQueryColumns
    r = nspi.hNspiQueryColumns(dce, h, dwFlags=0)
    ru = nspi.hNspiQueryColumns(dce, h)   # NspiUnicodeProptypes
    out['columns'] = {'result': r['ErrorCode'], 'tags': mids(r['ppColumns']), 'unicode': mids(ru['ppColumns'])}

    # ---- NspiGetMatches: ANR restrictions, and the members of a group (PR_EMS_AB_MEMBER as the container)
    out['anr'] = {t: s.get_matches(mkstat(), anr_restriction(t), [PR_DISPLAY_NAME_W]) for t in spec['anr']}
    out['members'] = s.get_matches(mkstat(CurrentRec=mid_of[spec['group']], ContainerID=0x8009000D), None, [PR_DISPLAY_NAME_W, 0x3003001F])
    out['member_of'] = s.get_matches(mkstat(CurrentRec=mid_of[spec['self']], ContainerID=0x8008000D), None, [PR_DISPLAY_NAME_W])

    # ---- NspiResortRestriction
    req = NspiResortRestriction(); req['hRpc'] = h; req['Reserved'] = 0; req['pStat'] = mkstat()
    resort_in = [mid_of[d] for d in spec['dns'] if mid_of[d]]
    req['pInMIds'] = tag_array(list(reversed(resort_in))); req['ppOutMIds'] = NULL
    r = dce.request(req, checkError=False)
    out['resort'] = {'result': r['ErrorCode'], 'in': list(reversed(resort_in)), 'out': mids(r['ppOutMIds'])}

    # ---- NspiResolveNamesW (unique, ambiguous, unresolved), NspiResolveNames in 1252
    cols_r = [PR_DISPLAY_NAME_W, 0x39FE001F, 0x3003001F]
    r = nspi.hNspiResolveNamesW(dce, h, pPropTags=cols_r, paStr=spec['resolve'])
    out['resolve'] = {'result': r['ErrorCode'], 'mids': mids(r['ppMIds']), 'rows': rowset(r['ppRows'])}
    req = nspi.NspiResolveNames(); req['hRpc'] = h; req['Reserved'] = 0; req['pStat'] = mkstat(CodePage=1252)
    req['pPropTags'] = tag_array([PR_DISPLAY_NAME_W])
    req['paStr']['Count'] = len(spec['resolve8'])
    for x in spec['resolve8']:
        lp = nspi.LPSTR(); lp['Data'] = x.encode('cp1252') + b'\x00'; req['paStr']['Strings'].append(lp)
    r = dce.request(req, checkError=False)
    out['resolve8'] = {'result': r['ErrorCode'], 'mids': mids(r['ppMIds']), 'rows': rowset(r['ppRows'])}

    # ---- NspiGetNamesFromIDs / NspiGetIDsFromNames (MS-NSPI opnums 17/18)
    name_tags = spec['name_tags']
    r = nspi.hNspiGetNamesFromIDs(dce, h, pPropTags=name_tags)
    names = [] if is_null(r['ppNames']) else r['ppNames']['aulPropTag']
    out['names'] = {'result': r['ErrorCode'], 'tags': mids(r['ppReturnedPropTags']),
                    'names': [{'guid': guid(n['lpguid']), 'id': n['lID']} for n in names]}
    req = NspiGetIDsFromNamesMsNspi(); req['hRpc'] = h; req['Reserved'] = 0; req['dwFlags'] = 0; req['cPropNames'] = len(names)
    arr = []
    for n in names:
        pn = nspi.PPropertyName_r(); pn['lpguid'] = n['lpguid']; pn['ulReserved'] = 0; pn['lID'] = n['lID']; arr.append(pn)
    req['pNames'] = arr
    r = dce.request(req, checkError=False)
    out['ids'] = {'result': r['ErrorCode'], 'tags': mids(r['ppPropTags'])}

    # ---- NspiCompareMIds
    cmp = {}
    for i, (x, y) in enumerate(spec['compare']):
        req = nspi.NspiCompareMIds(); req['hRpc'] = h; req['Reserved'] = 0; req['pStat'] = mkstat(); req['MId1'] = mid_of[x]; req['MId2'] = mid_of[y]
        r = dce.request(req, checkError=False)
        cmp[str(i)] = {'result': r['ErrorCode'], 'value': r['plResult']}
    out['compare'] = cmp

    # ---- NspiGetTemplateInfo: the details templates of a user and a distribution list, locale 0x409
    t = {}
    for typ in (0, 1):
        r = nspi.hNspiGetTemplateInfo(dce, h, ulType=typ, dwCodePage=1252, dwLocaleID=0x409, dwFlags=nspi.TI_TEMPLATE | nspi.TI_SCRIPT)
        t[str(typ)] = {'result': r['ErrorCode'], 'row': row(r['ppData'])}
    for name, typ, loc in (('other_locale', 0, 0x0436), ('unknown_type', 0x200, 0x409)):
        try:
            r = nspi.hNspiGetTemplateInfo(dce, h, ulType=typ, dwCodePage=1252, dwLocaleID=loc, dwFlags=nspi.TI_TEMPLATE)
            t[name] = {'result': r['ErrorCode'], 'row': row(r['ppData'])}
        except nspi.DCERPCSessionError as e:
            t[name] = e.get_error_code() & 0xFFFFFFFF
    out['template'] = t

    # ---- NspiModProps: our own certificate, then someone else's (refused)
    cert = bytes.fromhex(spec['cert'])
    def mod_props(dn):
        req = NspiModProps(); req['hRpc'] = h; req['Reserved'] = 0; req['pStat'] = mkstat(CurrentRec=mid_of[dn])
        req['pPropTags'] = tag_array([0x8C6A1102])
        rw = nspi.PropertyRow_r(); rw['Reserved'] = 0; rw['cValues'] = 1
        pv = nspi.PropertyValue_r(); pv['ulPropTag'] = 0x8C6A1102; pv['ulReserved'] = 0; pv['Value']['tag'] = 0x1102
        b = nspi.Binary_r(); b['cValues'] = len(cert); b['lpb'] = cert
        pv['Value']['MVbin']['cValues'] = 1; pv['Value']['MVbin']['lpbin'].append(b)
        rw['lpProps'].append(pv)
        req['pRow'] = rw
        return dce.request(req, checkError=False)['ErrorCode'] & 0xFFFFFFFF
    out['modprops'] = {'self': mod_props(spec['self']), 'other': mod_props(spec['other']),
                       'self_after': s.get_props(mid_of[spec['self']], [0x8C6A1102]),
                       'other_after': s.get_props(mid_of[spec['other']], [0x8C6A1102])}

    # ---- NspiModLinkAtt: add `other` as our delegate (its Ephemeral entry ID), read back, remove again
    eph = bytes.fromhex(out['props'][spec['other']]['eph']['row'][0][1]['bin'])
    def mod_link(flags, target_mid):
        req = nspi.NspiModLinkAtt(); req['hRpc'] = h; req['dwFlags'] = flags; req['ulPropTag'] = 0x8015000D; req['dwMId'] = target_mid
        b = nspi.Binary_r(); b['cValues'] = len(eph); b['lpb'] = eph
        req['lpEntryIds']['cValues'] = 1; req['lpEntryIds']['lpbin'].append(b)
        return dce.request(req, checkError=False)['ErrorCode'] & 0xFFFFFFFF
    ml = {'add': mod_link(0, mid_of[spec['self']])}
    ml['after_add'] = s.get_props(mid_of[spec['self']], [0x8015101F])
    ml['backlink'] = s.get_props(mid_of[spec['other']], [0x8110101F])
    ml['other_refused'] = mod_link(0, mid_of[spec['other']])
    ml['members_refused'] = None
    req = nspi.NspiModLinkAtt(); req['hRpc'] = h; req['dwFlags'] = 0; req['ulPropTag'] = 0x8009000D; req['dwMId'] = mid_of[spec['group']]
    b = nspi.Binary_r(); b['cValues'] = len(eph); b['lpb'] = eph
    req['lpEntryIds']['cValues'] = 1; req['lpEntryIds']['lpbin'].append(b)
    ml['members_refused'] = dce.request(req, checkError=False)['ErrorCode'] & 0xFFFFFFFF
    ml['delete'] = mod_link(nspi.fDelete, mid_of[spec['self']])
    ml['after_delete'] = s.get_props(mid_of[spec['self']], [0x8015101F])
    out['modlinkatt'] = ml

    # ---- NspiUnbind
    r = nspi.hNspiUnbind(dce, h)
    out['unbind'] = r['ErrorCode']
    dce.disconnect()
    return out


def wire(a, spec):
    """The calls Wireshark 4.0's nspi dissector models (opnums 0, 1, 3, 5, 7, 9, 12), with the parameter forms and
    value types it reads correctly (MS-OXNSPI's [ref] pStat, no NULL pPropTags, single-valued properties, PROPERTY
    and AND restrictions): what test/interop/nspi-tshark.test.ts records."""
    s = Session(a)
    dce, h = s.dce, s.h
    out = {'bind': s.bind}
    req = NspiGetSpecialTableStrict(); req['hRpc'] = h; req['dwFlags'] = nspi.NspiUnicodeStrings; req['pStat'] = mkstat(); req['lpVersion'] = 0
    r = dce.request(req)
    special = rowset(r['ppRows'])
    out['special'] = [dict((t, v) for t, v in rr) for rr in special]
    cols = spec['columns']
    stat = mkstat()
    rows = []
    for _ in range(1000):
        r = s.query_rows(stat, spec.get('page', 100), cols)
        got = rowset(r['ppRows']) or []
        rows += got
        stat = r['pStat']
        if r['ErrorCode'] != 0 or not got or stat['CurrentRec'] == nspi.MID_END_OF_TABLE:
            break
    out['gal'] = rows
    users = [d[PR_EMS_AB_CONTAINERID] for d in out['special'] if d.get(PR_DISPLAY_NAME_W) == 'All Users'][0]
    r = s.query_rows(mkstat(ContainerID=users), 20, cols)
    out['users'] = rowset(r['ppRows'])
    mids_ = s.dn_to_mid(spec['dns'])
    out['dntomid'] = mids_
    r = s.query_rows(mkstat(), 10, cols, table=[m for m in mids_ if m])
    out['explicit'] = rowset(r['ppRows'])
    out['anr'] = {t: s.get_matches(mkstat(), anr_restriction(t), [PR_DISPLAY_NAME_W]) for t in spec['anr']}
    # AND(ANR, PR_DISPLAY_TYPE == DT_MAILUSER)
    res = nspi.Restriction_r(); res['rt'] = 0; res['res']['tag'] = 0
    dt = nspi.Restriction_r(); dt['rt'] = 4; dt['res']['tag'] = 4
    dt['res']['resProperty']['relop'] = 4; dt['res']['resProperty']['ulPropTag'] = 0x39000003
    pv = nspi.PropertyValue_r(); pv['ulPropTag'] = 0x39000003; pv['ulReserved'] = 0; pv['Value']['tag'] = 0x3; pv['Value']['l'] = 0
    dt['res']['resProperty']['lpProp'] = pv
    res['res']['resAnd']['cRes'] = 2
    res['res']['resAnd']['lpRes'] = [anr_restriction(spec['anr'][0]), dt]
    out['and'] = s.get_matches(mkstat(), res, [PR_DISPLAY_NAME_W])
    out['props'] = [s.get_props(m, spec['props']) for m in mids_ if m]
    r = nspi.hNspiUnbind(dce, h)
    out['unbind'] = r['ErrorCode']
    dce.disconnect()
    return out


def getprops_helper(a):
    """impacket's own hNspiGetProps helper alone (pStat [unique]; pPropTags with cValues one above its tags)."""
    s = Session(a)
    mid = s.dn_to_mid([a.dn])[0]
    r = nspi.hNspiGetProps(s.dce, s.h, CurrentRec=mid, dwFlags=0, CodePage=1252, pPropTags=[int(t, 0) for t in a.tag])
    out = {'mid': mid, 'result': r['ErrorCode'], 'row': row(r['ppRows'])}
    nspi.hNspiUnbind(s.dce, s.h)
    s.dce.disconnect()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('what', choices=['suite', 'wire', 'getprops-helper'])
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--level', type=int, default=6)
    ap.add_argument('--auth-type', type=int, default=rpcrt.RPC_C_AUTHN_WINNT)
    ap.add_argument('--proxy', help='RPC proxy URL: ncacn_http to --server[--port] through it')
    ap.add_argument('--server', default='127.0.0.1')
    ap.add_argument('--http-auth', choices=['ntlm', 'basic'], default='ntlm')
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('--spec')
    ap.add_argument('--dn')
    ap.add_argument('--tag', action='append', default=[])
    a = ap.parse_args()
    try:
        if a.what in ('suite', 'wire'):
            with open(a.spec) as f:
                out = (suite if a.what == 'suite' else wire)(a, json.load(f))
        else:
            out = getprops_helper(a)
        out['ok'] = True
    except Exception as e:
        out = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e), 'trace': traceback.format_exc()}
    print(json.dumps(out, ensure_ascii=True))


if __name__ == '__main__':
    main()
