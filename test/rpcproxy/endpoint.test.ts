// `?host:port` parsing and mapping (MS-RPCH 2.2.2; Exchange's 6001/6002/6004/593).
import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_PORTS, mapEndpoint, parseRpcTarget } from '../../src/rpcproxy/endpoint.js';

describe('RPC proxy targets', () => {
  it('parses the nocert and withcert paths, any case, with DNS, NetBIOS and IP literal names', () => {
    expect(parseRpcTarget('/rpc/rpcproxy.dll?exch01.test.local:6001')).toEqual({ path: '/rpc/rpcproxy.dll', host: 'exch01.test.local', port: 6001 });
    expect(parseRpcTarget('/RPC/RpcProxy.DLL?EXCH01:6004')).toMatchObject({ host: 'EXCH01', port: 6004 });
    expect(parseRpcTarget('/rpcwithcert/rpcproxy.dll?10.0.0.1:593')).toMatchObject({ host: '10.0.0.1', port: 593 });
    expect(parseRpcTarget('/rpc/rpcproxy.dll?[::1]:6002')).toMatchObject({ host: '::1', port: 6002 });
    expect(parseRpcTarget('/rpc/rpcproxy.dll?fe80::1:6002')).toMatchObject({ host: 'fe80::1', port: 6002 });
  });
  it('refuses anything else', () => {
    for (const t of [
      '/rpc/rpcproxy.dll',
      '/rpc/rpcproxy.dll?exch01',
      '/rpc/rpcproxy.dll?:6001',
      '/rpc/rpcproxy.dll?exch01:1234567',
      '/rpc/rpcproxy.dll?exch01:0',
      '/rpc/rpcproxy.dll?exch01:99999',
      '/rpc/other.dll?exch01:6001',
      '/rpc/rpcproxy.dll?ex ch01:6001',
      '/rpc/rpcproxy.dll?%zz:6001',
      `/rpc/rpcproxy.dll?${'a'.repeat(1024)}:6001`,
    ]) {
      expect(parseRpcTarget(t), t).toBeNull();
    }
  });
  it('maps our names and the four ports; other servers and ports are not ours', () => {
    const names = ['exch01.test.local', 'EXCH01'];
    expect(mapEndpoint('EXCH01.test.local', 6001, names, DEFAULT_HTTP_PORTS)).toMatchObject({ name: 'emsmdb', interfaces: ['EMSMDB', 'AsyncEMSMDB'] });
    expect(mapEndpoint('exch01', 6002, names, DEFAULT_HTTP_PORTS)?.name).toBe('rfr');
    expect(mapEndpoint('exch01', 6004, names, DEFAULT_HTTP_PORTS)?.name).toBe('nspi');
    expect(mapEndpoint('exch01', 593, names, DEFAULT_HTTP_PORTS)?.name).toBe('epm');
    expect(mapEndpoint('exch01', 6003, names, DEFAULT_HTTP_PORTS)).toBeNull();
    expect(mapEndpoint('dc01.test.local', 6001, names, DEFAULT_HTTP_PORTS)).toBeNull();
    expect(mapEndpoint('anything', 6001, ['*'], { ...DEFAULT_HTTP_PORTS, emsmdb: 16001 })).toBeNull();
    expect(mapEndpoint('anything', 16001, ['*'], { ...DEFAULT_HTTP_PORTS, emsmdb: 16001 })?.name).toBe('emsmdb');
  });
});
