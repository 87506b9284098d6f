#!/usr/bin/python3
"""impacket (Debian python3-impacket 0.10) against our RFR interface (MS-OXABREF): RfrGetNewDSA and
RfrGetFQDNFromServerDN through impacket's oxabref helpers. Prints one JSON object. Run with /usr/bin/python3.

  impacket_rfr.py --port P --level L [-u U -p P] --user-dn DN --dn DN [--dn DN ...]

Output: {"ok": true, "new_dsa": <ppszServer>, "fqdn": {<dn>: <fqdn> | "error 0x..." | "fault ..."}}
or {"ok": false, "error": "..."} when the bind or RfrGetNewDSA fails.
"""
import argparse, json
from impacket.dcerpc.v5 import oxabref, rpcrt, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--level', type=int, default=6)
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('--user-dn', default='')
    ap.add_argument('--dn', action='append', default=[])
    a = ap.parse_args()
    out = {}
    try:
        t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % a.port)
        t.set_connect_timeout(10)
        dce = t.get_dce_rpc()
        if a.level > 1:
            dce.set_credentials(a.user, a.password, 'TEST', '', '')
            dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
            dce.set_auth_level(a.level)
        dce.connect()
        dce.bind(oxabref.MSRPC_UUID_OXABREF)
        r = oxabref.hRfrGetNewDSA(dce, a.user_dn)
        out['new_dsa'] = r['ppszServer']
    except Exception as e:
        print(json.dumps({'ok': False, 'error': str(e)}))
        return
    fqdn = {}
    for dn in a.dn:
        try:
            fqdn[dn] = oxabref.hRfrGetFQDNFromServerDN(dce, dn)['ppszServerFQDN']
        except oxabref.DCERPCSessionError as e:
            fqdn[dn] = 'error 0x%08x' % e.get_error_code()
        except DCERPCException as e:
            fqdn[dn] = 'fault ' + str(e)
    out['fqdn'] = fqdn
    out['ok'] = True
    dce.disconnect()
    print(json.dumps(out, default=lambda b: b.decode('latin-1') if isinstance(b, bytes) else str(b)))


if __name__ == '__main__':
    main()
