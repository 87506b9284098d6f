#!/usr/bin/python3
"""Samba's Python bindings (Debian python3-samba 4.17) carry raw NSPI calls: Samba does the transport, the bind and
the NTLMSSP/SPNEGO signing and sealing (and checks ours strictly); the stubs are built and the replies parsed with
impacket 0.10's nspi classes, so neither side of the check is our own NDR code. Samba has no NSPI interface of its
own: a raw ClientConnection to the NSPI syntax rides on an authenticated basis connection (mgmt), as
shared/oracles/samba_oracle.py `raw-nspi` shows (ClientConnection with credentials alone segfaults in 4.17).

  samba_nspi.py BINDING USER PASSWORD all|bind [--page N]
    BINDING e.g. 'ncacn_ip_tcp:127.0.0.1[16100,seal]' (SPNEGO, Samba's default) or '...[16100,seal,ntlm]'
    all:  NspiBind, NspiGetSpecialTable, NspiQueryRows through the whole GAL, NspiResolveNamesW, NspiUnbind
    bind: NspiBind alone (one call on the connection)

Prints one JSON object (rows as impacket_nspi.py prints them).
"""
import argparse, json, os, sys, traceback
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from impacket.dcerpc.v5 import nspi
from impacket.dcerpc.v5.dtypes import NULL
from samba.dcerpc import base, mgmt
from samba.param import LoadParm
from samba.credentials import Credentials, DONT_USE_KERBEROS
from impacket_nspi import NspiGetSpecialTableStrict, guid, is_null, mids, mkstat, rowset, stat_json, tag_array

NSPI_SYNTAX = ('f5cc5a18-4264-101a-8c59-08002b2f8426', 56)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('binding')
    ap.add_argument('user')
    ap.add_argument('password')
    ap.add_argument('what', choices=['all', 'bind'])
    ap.add_argument('--page', type=int, default=100)
    ap.add_argument('--resolve', action='append', default=[])
    a = ap.parse_args()
    lp = LoadParm(); lp.load('/dev/null')
    creds = Credentials(); creds.guess(lp)
    creds.set_username(a.user); creds.set_password(a.password); creds.set_domain('TEST')
    creds.set_workstation('CLIENT1'); creds.set_kerberos_state(DONT_USE_KERBEROS)
    out = {}
    try:
        basis = mgmt.mgmt(a.binding, lp, creds)
        raw = base.ClientConnection(a.binding, NSPI_SYNTAX, lp, creds, basis_connection=basis)

        def call(req, resp_cls):
            return resp_cls(raw.request(req.opnum, req.getData()))

        req = nspi.NspiBind(); req['dwFlags'] = 0; req['pStat'] = mkstat()
        r = call(req, nspi.NspiBindResponse)
        out['bind'] = {'result': r['ErrorCode'], 'guid': guid(r['pServerGuid'])}
        h = r['contextHandle']
        if a.what == 'all':
            req = NspiGetSpecialTableStrict(); req['hRpc'] = h; req['dwFlags'] = nspi.NspiUnicodeStrings; req['pStat'] = mkstat(); req['lpVersion'] = 0
            r = call(req, nspi.NspiGetSpecialTableResponse)
            out['special'] = {'result': r['ErrorCode'], 'rows': rowset(r['ppRows'])}
            cols = [0x3001001F, 0x39FE001F, 0x3003001F, 0x3A17001F]
            stat = mkstat()
            pages = []
            for _ in range(10000):
                req = nspi.NspiQueryRows(); req['hRpc'] = h; req['dwFlags'] = 0; req['pStat'] = stat
                req['dwETableCount'] = 0; req['lpETable'] = NULL; req['Count'] = a.page; req['pPropTags'] = tag_array(cols)
                r = call(req, nspi.NspiQueryRowsResponse)
                rows = rowset(r['ppRows']) or []
                pages.append({'result': r['ErrorCode'], 'stat': stat_json(r['pStat']), 'rows': rows})
                stat = r['pStat']
                if r['ErrorCode'] != 0 or not rows or stat['CurrentRec'] == nspi.MID_END_OF_TABLE:
                    break
            out['pages'] = pages
            if a.resolve:
                req = nspi.NspiResolveNamesW(); req['hRpc'] = h; req['Reserved'] = 0; req['pStat'] = mkstat()
                req['pPropTags'] = tag_array([0x3001001F, 0x39FE001F])
                req['paStr']['Count'] = len(a.resolve)
                for n in a.resolve:
                    w = nspi.LPWSTR(); w['Data'] = n + '\x00'; req['paStr']['Strings'].append(w)
                r = call(req, nspi.NspiResolveNamesWResponse)
                out['resolve'] = {'result': r['ErrorCode'], 'mids': mids(r['ppMIds']), 'rows': rowset(r['ppRows'])}
            req = nspi.NspiUnbind(); req['contextHandle'] = h; req['Reserved'] = 0
            out['unbind'] = call(req, nspi.NspiUnbindResponse)['ErrorCode']
        out['ok'] = True
    except Exception as e:
        out = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e), 'trace': traceback.format_exc()}
    print(json.dumps(out, ensure_ascii=True))


if __name__ == '__main__':
    main()
