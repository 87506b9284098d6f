#!/usr/bin/python3
"""impacket (Debian python3-impacket 0.10) over ncacn_http through our RPC over HTTP proxy (RPC over HTTP v2): NSPI
(NspiBind, NspiGetSpecialTable, NspiQueryRows through the whole table, NspiUnbind) and RFR (RfrGetNewDSA), with HTTP
authentication (NTLM or Basic) and NTLM inside at the given level. Prints one JSON object. Run with /usr/bin/python3.

  impacket_http.py nspi|rfr|both --proxy http://127.0.0.1:P/rpc/rpcproxy.dll --server NAME [--nspi-port 6004]
      [--rfr-port 6002] [--http-auth ntlm|basic] [-u U -p PW] [--rpc-user U --rpc-password PW] [--level 6] [--page N]
"""
import argparse, json, traceback
from impacket import uuid as iuuid
from impacket.dcerpc.v5 import transport, nspi, oxabref, rpcrt
from impacket.dcerpc.v5.dtypes import NULL, DWORD
from impacket.dcerpc.v5.ndr import NDRCALL
from impacket.http import AUTH_BASIC, AUTH_NTLM


class NspiGetSpecialTableStrict(NDRCALL):
    """MS-OXNSPI 3.1.4.1.3 with pStat and lpVersion by [ref] (impacket 0.10 sends [unique])."""
    opnum = 12
    structure = (('hRpc', nspi.handle_t), ('dwFlags', DWORD), ('pStat', nspi.STAT), ('lpVersion', DWORD))
NspiGetSpecialTableStrictResponse = nspi.NspiGetSpecialTableResponse
nspi.NspiGetSpecialTableStrict = NspiGetSpecialTableStrict
nspi.NspiGetSpecialTableStrictResponse = NspiGetSpecialTableStrictResponse


def dce_for(a, port, iface):
    t = transport.DCERPCTransportFactory('ncacn_http:%s[%d]' % (a.server, port))
    t.set_rpc_proxy_url(a.proxy)
    t.set_auth_type({'ntlm': AUTH_NTLM, 'basic': AUTH_BASIC}[a.http_auth])
    t.set_credentials(a.user, a.password, 'TEST', '', '')
    t.set_connect_timeout(20)
    dce = t.get_dce_rpc()
    if a.level > 1:
        dce.set_credentials(a.rpc_user or a.user, a.rpc_password or a.password, 'TEST', '', '')
        dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
        dce.set_auth_level(a.level)
    dce.connect()
    dce.bind(iface)
    return dce


def text(v):
    return v if isinstance(v, str) else repr(v)


def run_nspi(a, out):
    dce = dce_for(a, a.nspi_port, nspi.MSRPC_UUID_NSPI)
    stat = nspi.STAT(); stat['CodePage'] = 1252; stat['TemplateLocale'] = stat['SortLocale'] = 0x409
    r = nspi.hNspiBind(dce, stat)
    h = r['contextHandle']
    out['bind'] = {'guid': iuuid.bin_to_string(r['pServerGuid']) if r['pServerGuid'] != NULL else None}
    req = NspiGetSpecialTableStrict(); req['hRpc'] = h; req['dwFlags'] = nspi.NspiUnicodeStrings; req['pStat'] = stat; req['lpVersion'] = 0
    r = dce.request(req)
    out['special'] = [text(row.get(0x3001001F)) for row in nspi.simplifyPropertyRowSet(r['ppRows'])]
    names = []
    stat = nspi.STAT(); stat['CodePage'] = 1252; stat['TemplateLocale'] = stat['SortLocale'] = 0x409
    for _ in range(10000):
        r = nspi.hNspiQueryRows(dce, h, pStat=stat, Count=a.page, pPropTags=[0x3001001F, 0x3003001F])
        rows = nspi.simplifyPropertyRowSet(r['ppRows']) if r['ppRows'] != NULL else []
        names += [text(row.get(0x3001001F)) for row in rows]
        stat = r['pStat']
        if not rows or stat['CurrentRec'] == nspi.MID_END_OF_TABLE:
            break
    out['rows'] = names
    out['unbind'] = nspi.hNspiUnbind(dce, h)['ErrorCode']
    dce.disconnect()


def run_rfr(a, out):
    dce = dce_for(a, a.rfr_port, oxabref.MSRPC_UUID_OXABREF)
    r = oxabref.hRfrGetNewDSA(dce, a.user_dn)
    out['new_dsa'] = r['ppszServer']
    dce.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('what', choices=['nspi', 'rfr', 'both'])
    ap.add_argument('--proxy', required=True)
    ap.add_argument('--server', required=True)
    ap.add_argument('--nspi-port', type=int, default=6004)
    ap.add_argument('--rfr-port', type=int, default=6002)
    ap.add_argument('--http-auth', choices=['ntlm', 'basic'], default='ntlm')
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('--rpc-user')
    ap.add_argument('--rpc-password')
    ap.add_argument('--level', type=int, default=6)
    ap.add_argument('--page', type=int, default=50)
    ap.add_argument('--user-dn', default='')
    a = ap.parse_args()
    out = {}
    try:
        if a.what in ('nspi', 'both'):
            run_nspi(a, out)
        if a.what in ('rfr', 'both'):
            run_rfr(a, out)
        out['ok'] = True
    except Exception as e:
        out['ok'] = False
        out['error'] = str(e)
        out['trace'] = traceback.format_exc()
    print(json.dumps(out))


if __name__ == '__main__':
    main()
