#!/usr/bin/python3
"""impacket (Debian python3-impacket 0.10) as an independent client of our DCE/RPC runtime.
Prints one JSON object. Run with /usr/bin/python3.

  epm    --port P                     ept_map EMSMDB/AsyncEMSMDB/NSPI/RFR over ncacn_ip_tcp and ncacn_http towers
  lookup --port P --max N             ept_lookup through every entry with lookup handles (N entries per call)
  mgmt   --port P --level L [-u -p]   bind mgmt at auth level L (NTLM, auth_type 10) and call inq_if_ids etc.
  stats  --port P --level L           inq_stats and inq_princ_name (non-empty request stubs)
  tamper --port P [-u -p]             sealed bind, then a request whose sealed stub was altered in flight
"""
import argparse, json, socket, struct, sys
from impacket import uuid as iuuid
from impacket.dcerpc.v5 import transport, epm, mgmt, rpcrt
from impacket.dcerpc.v5.dtypes import NULL, ULONG
from impacket.dcerpc.v5.ndr import NDRCALL


# impacket 0.10 has no ept_lookup_handle_free (C706 O opnum 4): declare it here
class ept_lookup_handle_free(NDRCALL):
    opnum = 4
    structure = (('entry_handle', epm.ept_lookup_handle_t),)


class ept_lookup_handle_freeResponse(NDRCALL):
    structure = (('entry_handle', epm.ept_lookup_handle_t), ('status', ULONG))


epm.ept_lookup_handle_free = ept_lookup_handle_free
epm.ept_lookup_handle_freeResponse = ept_lookup_handle_freeResponse

IFACES = {
    'EMSMDB': iuuid.uuidtup_to_bin(('A4F1DB00-CA47-1067-B31F-00DD010662DA', '0.81')),
    'AsyncEMSMDB': iuuid.uuidtup_to_bin(('5261574A-4572-206E-B268-6B199213B4E4', '0.1')),
    'NSPI': iuuid.uuidtup_to_bin(('F5CC5A18-4264-101A-8C59-08002B2F8426', '56.0')),
    'RFR': iuuid.uuidtup_to_bin(('1544F5E0-613C-11D1-93DF-00C04FD7BD09', '1.0')),
}


def dce_for(port, level=1, user='alice', password='', domain='TEST'):
    t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % port)
    t.set_connect_timeout(10)
    dce = t.get_dce_rpc()
    if level > 1:
        dce.set_credentials(user, password, domain, '', '')
        dce.set_auth_type(rpcrt.RPC_C_AUTHN_WINNT)
        dce.set_auth_level(level)
    dce.connect()
    return dce


def cmd_epm(a):
    out = {}
    for name, ifc in IFACES.items():
        for proto in ('ncacn_ip_tcp', 'ncacn_http'):
            dce = dce_for(a.port)
            try:
                out['%s %s' % (name, proto)] = epm.hept_map('127.0.0.1', ifc, protocol=proto, dce=dce)
            except Exception as e:
                out['%s %s' % (name, proto)] = 'ERROR ' + str(e)
            dce.disconnect()
    # an interface nobody registered
    dce = dce_for(a.port)
    try:
        out['unknown'] = epm.hept_map('127.0.0.1', iuuid.uuidtup_to_bin(('12345678-1234-1234-1234-123456789012', '1.0')), protocol='ncacn_ip_tcp', dce=dce)
    except Exception as e:
        out['unknown'] = 'ERROR ' + str(e)
    dce.disconnect()
    print(json.dumps(out))


def cmd_lookup(a):
    dce = dce_for(a.port)
    dce.bind(epm.MSRPC_UUID_PORTMAP)
    handle = epm.ept_lookup_handle_t()
    entries, calls, handles = [], 0, []
    while True:
        req = epm.ept_lookup()
        req['inquiry_type'] = epm.RPC_C_EP_ALL_ELTS
        req['object'] = NULL
        req['Ifid'] = NULL
        req['vers_option'] = epm.RPC_C_VERS_ALL
        req['entry_handle'] = handle
        req['max_ents'] = a.max
        resp = dce.request(req)
        calls += 1
        for i in range(resp['num_ents']):
            e = resp['entries'][i]
            tower = epm.EPMTower(b''.join(e['tower']['tower_octet_string']))
            entries.append({
                'binding': epm.PrintStringBinding(tower['Floors']),
                'uuid': iuuid.bin_to_string(tower['Floors'][0]['InterfaceUUID']),
                'annotation': b''.join(e['annotation']).rstrip(b'\0').decode(),
            })
        handle = resp['entry_handle']
        handles.append(not handle.isNull())
        if handle.isNull() or calls > 100:
            break
    # a handle left half-way, then freed
    req = epm.ept_lookup()
    req['inquiry_type'] = epm.RPC_C_EP_ALL_ELTS; req['object'] = NULL; req['Ifid'] = NULL
    req['vers_option'] = epm.RPC_C_VERS_ALL; req['entry_handle'] = epm.ept_lookup_handle_t(); req['max_ents'] = 1
    resp = dce.request(req)
    fr = epm.ept_lookup_handle_free()
    fr['entry_handle'] = resp['entry_handle']
    freed = dce.request(fr)
    print(json.dumps({'entries': entries, 'calls': calls, 'handles': handles,
                      'freed_status': freed['status'], 'freed_null': freed['entry_handle'].isNull()}))


def cmd_mgmt(a):
    try:
        dce = dce_for(a.port, a.level, a.user, a.password)
        dce.bind(mgmt.MSRPC_UUID_MGMT)
        r = mgmt.hinq_if_ids(dce)
        ids = [iuuid.bin_to_string(r['if_id_vector']['if_id'][i]['Uuid']).lower() for i in range(r['if_id_vector']['count'])]
        listening = mgmt.his_server_listening(dce)['status']
        stats = mgmt.hinq_stats(dce)
        req = mgmt.inq_princ_name(); req['authn_proto'] = rpcrt.RPC_C_AUTHN_WINNT; req['princ_name_size'] = 64
        princ = b''.join(dce.request(req)['princ_name']).rstrip(b'\0').decode()
        dce.disconnect()
        print(json.dumps({'ok': True, 'if_ids': ids, 'listening_status': listening, 'stats_count': stats['count'], 'princ_name': princ}))
    except Exception as e:
        print(json.dumps({'ok': False, 'error': str(e)}))


def cmd_stats(a):
    """mgmt calls whose request stubs are not empty (inq_stats, inq_princ_name) at auth level --level."""
    try:
        dce = dce_for(a.port, a.level, a.user, a.password)
        dce.bind(mgmt.MSRPC_UUID_MGMT)
        stats = mgmt.hinq_stats(dce)
        req = mgmt.inq_princ_name(); req['authn_proto'] = rpcrt.RPC_C_AUTHN_WINNT; req['princ_name_size'] = 64
        princ = b''.join(dce.request(req)['princ_name']).rstrip(b'\0').decode()
        dce.disconnect()
        print(json.dumps({'ok': True, 'stats': [stats['statistics'][i] for i in range(stats['count'])], 'princ_name': princ}))
    except Exception as e:
        print(json.dumps({'ok': False, 'error': str(e)}))


def cmd_tamper(a):
    """Flips one bit at offset --offset of the next request PDU (24 = first sealed stub byte of inq_stats)."""
    dce = dce_for(a.port, 6, a.user, a.password)
    dce.bind(mgmt.MSRPC_UUID_MGMT)
    mgmt.hinq_stats(dce)           # one good sealed call first
    t = dce.get_rpc_transport()
    orig = t.send
    def send(data, forceWriteAndx=0, forceRecv=0):
        if data[2] == 0:              # a request PDU
            data = bytearray(data); data[a.offset] ^= 0x01; data = bytes(data)
        return orig(data, forceWriteAndx=forceWriteAndx, forceRecv=forceRecv)
    t.send = send
    result = {}
    try:
        mgmt.hinq_stats(dce)
        result['tampered'] = 'accepted'
    except Exception as e:
        result['tampered'] = str(e)
    # impacket blocks forever reading a closed socket: look at the socket directly
    sock = t.get_socket()
    sock.settimeout(5)
    try:
        result['after'] = 'closed' if sock.recv(16) == b'' else 'data'
    except socket.timeout:
        result['after'] = 'open'
    except OSError as e:
        result['after'] = 'closed'
    print(json.dumps(result))


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['epm', 'lookup', 'mgmt', 'stats', 'tamper'])
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--max', type=int, default=500)
    ap.add_argument('--offset', type=int, default=24)
    ap.add_argument('--level', type=int, default=1)
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    a = ap.parse_args()
    globals()['cmd_' + a.cmd](a)
