#!/usr/bin/python3
"""Samba's Python bindings (Debian python3-samba 4.17) as a strict, independent client: they verify our NTLM
signatures and seals. Prints one JSON object. Run with /usr/bin/python3.

  samba_rpc.py BINDING epm|mgmt|epm1|mgmt1 [PASSWORD]      (epm1/mgmt1: a single call on the connection)
  BINDING e.g. 'ncacn_ip_tcp:127.0.0.1[16100,seal]' (SPNEGO, Samba's default) or '...[16100,sign,ntlm]'
"""
import json, struct, sys
from samba.dcerpc import epmapper, mgmt, misc
from samba.param import LoadParm
from samba.credentials import Credentials, DONT_USE_KERBEROS

binding, what = sys.argv[1], sys.argv[2]
password = sys.argv[3] if len(sys.argv) > 3 else 'Passw0rd!'
lp = LoadParm(); lp.load('/dev/null')
creds = Credentials(); creds.guess(lp)
creds.set_username('alice'); creds.set_password(password); creds.set_domain('TEST')
creds.set_workstation('CLIENT1'); creds.set_kerberos_state(DONT_USE_KERBEROS)


def tower_for(uuid_str, vers_major, vers_minor, proto):
    fl = []
    f = epmapper.epm_floor(); f.lhs.protocol = epmapper.EPM_PROTOCOL_UUID
    f.lhs.lhs_data = misc.GUID(uuid_str).__ndr_pack__() + struct.pack('<H', vers_major)
    f.rhs = epmapper.epm_rhs_uuid(); f.rhs.unknown = struct.pack('<H', vers_minor); fl.append(f)
    f = epmapper.epm_floor(); f.lhs.protocol = epmapper.EPM_PROTOCOL_UUID
    f.lhs.lhs_data = misc.GUID('8a885d04-1ceb-11c9-9fe8-08002b104860').__ndr_pack__() + struct.pack('<H', 2)
    f.rhs = epmapper.epm_rhs_uuid(); f.rhs.unknown = struct.pack('<H', 0); fl.append(f)
    f = epmapper.epm_floor(); f.lhs.protocol = epmapper.EPM_PROTOCOL_NCACN; f.lhs.lhs_data = b''
    f.rhs = epmapper.epm_rhs_ncacn(); f.rhs.minor_version = 0; fl.append(f)
    f = epmapper.epm_floor(); f.lhs.protocol = proto; f.lhs.lhs_data = b''
    f.rhs = epmapper.epm_rhs_tcp() if proto == epmapper.EPM_PROTOCOL_TCP else epmapper.epm_rhs_http()
    f.rhs.port = 0; fl.append(f)
    f = epmapper.epm_floor(); f.lhs.protocol = epmapper.EPM_PROTOCOL_IP; f.lhs.lhs_data = b''
    f.rhs = epmapper.epm_rhs_ip(); f.rhs.ipaddr = '0.0.0.0'; fl.append(f)
    t = epmapper.epm_tower(); t.num_floors = len(fl); t.floors = fl
    tw = epmapper.epm_twr_t(); tw.tower = t
    return tw


try:
    if what in ('epm', 'epm1'):
        c = epmapper.epmapper(binding, lp, creds)
        out = {}
        ifaces = (('EMSMDB', 'a4f1db00-ca47-1067-b31f-00dd010662da', 0, 81),
                  ('NSPI', 'f5cc5a18-4264-101a-8c59-08002b2f8426', 56, 0),
                  ('RFR', '1544f5e0-613c-11d1-93df-00c04fd7bd09', 1, 0))
        protos = (('tcp', epmapper.EPM_PROTOCOL_TCP), ('http', epmapper.EPM_PROTOCOL_HTTP))
        if what == 'epm1':
            ifaces, protos = ifaces[:1], protos[:1]
        for name, u, ma, mi in ifaces:
            for pname, proto in protos:
                h = misc.policy_handle()
                handle, towers, result = c.epm_Map(None, tower_for(u, ma, mi, proto), h, 4)
                ports = [t.twr.tower.floors[3].rhs.port for t in towers if t is not None and t.twr is not None]
                out['%s %s' % (name, pname)] = {'result': result, 'ports': ports}
        print(json.dumps({'ok': True, 'map': out}))
    elif what in ('mgmt', 'mgmt1'):
        c = mgmt.mgmt(binding, lp, creds)
        v = c.inq_if_ids()
        ids = sorted(str(v.if_id[i].id.uuid) for i in range(v.count))
        out = {'ok': True, 'if_ids': ids}
        if what == 'mgmt':
            listening = c.is_server_listening()
            out['listening'] = list(listening) if isinstance(listening, tuple) else listening
        print(json.dumps(out))
except Exception as e:
    print(json.dumps({'ok': False, 'error': str(e)}))
