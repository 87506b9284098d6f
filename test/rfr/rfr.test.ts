// src/rfr: the MS-OXABREF schemas against impacket 0.10 oxabref.py encodings (hex below, made with the zero-padded,
// Windows-numbered impacket of test/nsp/gen_fixtures.py) and the handlers.
import { describe, expect, it } from 'vitest';
import { AUTHN_LEVEL } from '../../src/dcerpc/constants.js';
import type { CallContext } from '../../src/dcerpc/interface.js';
import type { Directory, DirectoryUser } from '../../src/directory/types.js';
import { MAPI_E } from '../../src/mapi/props.js';
import { serverDn } from '../../src/mapi/dn.js';
import { RfrGetFQDNFromServerDN_in, RfrGetFQDNFromServerDN_out, RfrGetNewDSA_in, RfrGetNewDSA_out } from '../../src/rfr/idl.js';
import { createRfrInterface, rfrGetFQDNFromServerDN, rfrGetNewDSA, type RfrOptions } from '../../src/rfr/rfr.js';
import { silentLogger } from '../../src/util/log.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const SDN = serverDn({ organization: 'First Organization', administrativeGroup: 'Exchange Administrative Group (FYDIBOHF23SPDLT)', netbiosName: 'EXCH01' });
const USER_DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';

// impacket 0.10: hRfrGetNewDSA(dce, USER_DN) request; RfrGetNewDSAResponse (ppszServer "exch01.test.local", no return value)
const NEWDSA_IN =
  '00000000' + '60000000' + '00000000' + '60000000' +
  '2f6f3d4669727374204f7267616e697a6174696f6e2f6f753d45786368616e67652041646d696e6973747261746976652047726f7570202846594449424f484632335350444c54292f636e3d526563697069656e74732f636e3d616c69636500' +
  '00000000' + '00000200' + '04000200' + '010000000000000001000000' + '00';
const NEWDSA_OUT_STRINGS = '00000000' + '00000200' + '04000200' + '120000000000000012000000' + '6578636830312e746573742e6c6f63616c00';
// impacket 0.10: hRfrGetFQDNFromServerDN(dce, SDN) request; RfrGetFQDNFromServerDNResponse("exch01.test.local", 0)
const FQDN_IN =
  '000000006f0000006f000000000000006f000000' +
  '2f6f3d4669727374204f7267616e697a6174696f6e2f6f753d45786368616e67652041646d696e6973747261746976652047726f7570202846594449424f484632335350444c54292f636e3d436f6e66696775726174696f6e2f636e3d536572766572732f636e3d45584348303100';
const FQDN_OUT = '00000200' + '120000000000000012000000' + '6578636830312e746573742e6c6f63616c00' + '0000' + '00000000';

const call = { log: silentLogger() } as unknown as CallContext;

function directory(known: string[]): Directory {
  return {
    findUser: async (n: string) => (known.includes(n.toLowerCase()) ? ({ username: 'alice' } as DirectoryUser) : null),
  } as unknown as Directory;
}
const opts: RfrOptions = { hostname: 'exch01.test.local', mailboxServerDn: () => SDN, directory: directory([USER_DN.toLowerCase()]) };

describe('RFR schemas (impacket 0.10 oxabref encodings)', () => {
  it('RfrGetNewDSA request', () => {
    const v = RfrGetNewDSA_in.decode(hex(NEWDSA_IN));
    expect(v).toEqual({ ulFlags: 0, pUserDN: USER_DN, ppszUnused: null, ppszServer: { value: '' } });
    expect(RfrGetNewDSA_in.encode(v).toString('hex')).toBe(NEWDSA_IN);
  });
  it('RfrGetNewDSA response: the pointers as impacket reads them, then the return value', () => {
    const b = RfrGetNewDSA_out.encode({ ppszUnused: null, ppszServer: { value: 'exch01.test.local' }, result: 0 });
    expect(b.toString('hex')).toBe(NEWDSA_OUT_STRINGS + '0000' + '00000000');
  });
  it('RfrGetFQDNFromServerDN request and response', () => {
    const v = RfrGetFQDNFromServerDN_in.decode(hex(FQDN_IN));
    expect(v).toEqual({ ulFlags: 0, cbMailboxServerDN: SDN.length + 1, szMailboxServerDN: SDN });
    expect(RfrGetFQDNFromServerDN_in.encode(v).toString('hex')).toBe(FQDN_IN);
    expect(RfrGetFQDNFromServerDN_out.encode({ ppszServerFQDN: 'exch01.test.local', result: 0 }).toString('hex')).toBe(FQDN_OUT);
    expect(RfrGetFQDNFromServerDN_out.encode({ ppszServerFQDN: null, result: MAPI_E.NOT_FOUND }).toString('hex')).toBe('000000000f010480');
  });
  it('cbMailboxServerDN outside [range(10,1024)] or unequal to the string size is refused', () => {
    const small = hex(FQDN_IN);
    small.writeUInt32LE(9, 4);
    expect(() => RfrGetFQDNFromServerDN_in.decode(small)).toThrow(expect.objectContaining({ code: 'OC_NDR_RANGE' }));
    const mismatch = hex(FQDN_IN);
    mismatch.writeUInt32LE(100, 4);
    expect(() => RfrGetFQDNFromServerDN_in.decode(mismatch)).toThrow(expect.objectContaining({ code: 'OC_NDR_SIZE_MISMATCH' }));
  });
});

describe('RFR handlers', () => {
  it('RfrGetNewDSA returns this server, with or without a user DN; an outer NULL stays NULL', async () => {
    expect(await rfrGetNewDSA(opts, { ulFlags: 0, pUserDN: USER_DN, ppszUnused: null, ppszServer: { value: '' } }, call)).toEqual({
      ppszUnused: null,
      ppszServer: { value: 'exch01.test.local' },
      result: 0,
    });
    expect(await rfrGetNewDSA(opts, { ulFlags: 0, pUserDN: '', ppszUnused: { value: 'x' }, ppszServer: { value: null } }, call)).toEqual({
      ppszUnused: { value: null },
      ppszServer: { value: 'exch01.test.local' },
      result: 0,
    });
    expect(await rfrGetNewDSA(opts, { ulFlags: 7, pUserDN: '/o=unknown', ppszUnused: null, ppszServer: null }, call)).toEqual({
      ppszUnused: null,
      ppszServer: null,
      result: MAPI_E.INVALID_PARAMETER,
    });
  });
  it('a directory failure does not fail RfrGetNewDSA', async () => {
    const broken = { ...opts, directory: { findUser: () => Promise.reject(new Error('down')) } as unknown as Directory };
    expect((await rfrGetNewDSA(broken, { ulFlags: 0, pUserDN: USER_DN, ppszUnused: null, ppszServer: { value: '' } }, call)).result).toBe(0);
  });
  it('RfrGetFQDNFromServerDN: our DN in any case, or its store DNs, give our FQDN', () => {
    for (const dn of [SDN, SDN.toUpperCase(), `${SDN}/cn=Microsoft Private MDB`, `${SDN.toLowerCase()}/CN=MICROSOFT PUBLIC MDB`]) {
      expect(rfrGetFQDNFromServerDN(opts, dn, call), dn).toEqual({ ppszServerFQDN: 'exch01.test.local', result: 0 });
    }
  });
  it('RfrGetFQDNFromServerDN: another server is MAPI_E_NOT_FOUND, a DN that is no server DN MAPI_E_INVALID_PARAMETER', () => {
    expect(rfrGetFQDNFromServerDN(opts, SDN.replace('EXCH01', 'EXCH02'), call)).toEqual({ ppszServerFQDN: null, result: MAPI_E.NOT_FOUND });
    expect(rfrGetFQDNFromServerDN(opts, SDN.replace('First', 'Other'), call)).toEqual({ ppszServerFQDN: null, result: MAPI_E.NOT_FOUND });
    expect(rfrGetFQDNFromServerDN(opts, USER_DN, call)).toEqual({ ppszServerFQDN: null, result: MAPI_E.INVALID_PARAMETER });
    expect(rfrGetFQDNFromServerDN(opts, 'exch01.test.local', call)).toEqual({ ppszServerFQDN: null, result: MAPI_E.INVALID_PARAMETER });
  });
  it('the interface: MS-OXABREF identity, two opnums, authentication required', () => {
    const i = createRfrInterface(opts);
    expect(i.uuid).toBe('1544f5e0-613c-11d1-93df-00c04fd7bd09');
    expect(i.version).toEqual({ major: 1, minor: 0 });
    expect(i.minAuthLevel).toBe(AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_CONNECT);
    expect(Object.entries(i.ops).map(([k, o]) => [Number(k), o.name])).toEqual([
      [0, 'RfrGetNewDSA'],
      [1, 'RfrGetFQDNFromServerDN'],
    ]);
  });
});
