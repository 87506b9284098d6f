// EMSMDB and AsyncEMSMDB over a real socket: the whole server (startServer) and the project's DCE/RPC client at
// PKT_PRIVACY with NTLM. RopLogon runs through the real handlers (a mailbox is provisioned in the server's dataDir),
// or ends the ROP buffer (unknown RopId) while the codec modules are being written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient, RpcClientError } from '../../src/dcerpc/client.js';
import { FAULT } from '../../src/dcerpc/constants.js';
import { ASYNCEMSMDB, EMSMDB } from '../../src/dcerpc/well-known.js';
import { AuxType, parseAuxBlocks } from '../../src/emsmdb/aux.js';
import { ASYNC_EC, NOTIFICATION_PENDING } from '../../src/emsmdb/async.js';
import { EMSMDB_EC, normalizeVersion, SERVER_VERSION } from '../../src/emsmdb/emsmdb.js';
import { RHE_FLAG_COMPRESSED, RHE_FLAG_XORMAGIC, readExtendedBuffer, writeExtendedBuffer } from '../../src/emsmdb/extbuf.js';
import {
  EcDoAsyncConnectEx_in,
  EcDoAsyncConnectEx_out,
  EcDoAsyncWaitEx_in,
  EcDoAsyncWaitEx_out,
  EcDoDisconnect_in,
  EcDoDisconnect_out,
  EcDoRpcExt2_in,
  EcDummyRpc_out,
  EcRRegisterPushNotification_in,
  EcRRegisterPushNotification_out,
} from '../../src/emsmdb/idl.js';
import { buildRopBuffer, splitRopBuffer } from '../../src/rop/dispatch.js';
import { ec } from '../../src/rop/ec.js';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/full-server.js';
import { connectEx as connectExAs, OUTLOOK_2007, rpcExt2 } from './helpers.js';

let ts: TestServer;
let aliceDn: string;
let bobDn: string;
const clients: RpcClient[] = [];

beforeAll(async () => {
  ts = await startTestServer({ emsmdb: { asyncWaitSeconds: 1, maxSessionsPerUser: 20 } } as never, [
    ['alice', PASSWORD],
    ['bob', PASSWORD],
  ]);
  aliceDn = (await ts.directory.findUser('alice'))!.legacyExchangeDN;
  bobDn = (await ts.directory.findUser('bob'))!.legacyExchangeDN;
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await ts?.close();
});

async function client(user = 'alice', level: 2 | 6 = 6): Promise<RpcClient> {
  const c = await RpcClient.connect({ host: '127.0.0.1', port: ts.server.ports.rpc, auth: { type: 10, level, username: user, password: PASSWORD, domain: 'TEST' } });
  clients.push(c);
  await c.bind(EMSMDB);
  return c;
}

/** EcDoConnectEx as Outlook 2007 by default (ulConMod set: the server ignores it). */
const connectEx = (c: RpcClient, dn: string, version = OUTLOOK_2007, pcbAuxOut = 0x1008) => connectExAs(c, dn, version, { pcbAuxOut, ulConMod: 0x12345678 });

/** MS-OXCROPS 2.2.3.1.1 RopLogon request, written by hand (the codec may not exist yet). */
function ropLogon(dn: string): Buffer {
  const essdn = Buffer.from(dn + '\0', 'latin1');
  const b = Buffer.alloc(14 + essdn.length);
  b[0] = 0xfe; // RopId
  b[1] = 0; // LogonId
  b[2] = 0; // OutputHandleIndex
  b[3] = 0x01; // LogonFlags: Private
  b.writeUInt32LE(0x01000000, 4); // OpenFlags: USE_PER_MDB_REPLID_MAPPING
  b.writeUInt32LE(0, 8); // StoreState
  b.writeUInt16LE(essdn.length, 12);
  essdn.copy(b, 14);
  return b;
}

async function expectFault(p: Promise<unknown>, status: number): Promise<void> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RpcClientError);
  expect((e as RpcClientError).status).toBe(status);
}

describe('EMSMDB over ncacn_ip_tcp at PKT_PRIVACY', () => {
  it('EcDoConnectEx with the user own DN creates a session with server version, DN prefix, display name and AUX', async () => {
    const c = await client();
    const r = await connectEx(c, aliceDn);
    expect(r.result).toBe(0);
    expect(r.pcxh.uuid).not.toBe('00000000-0000-0000-0000-000000000000');
    expect(normalizeVersion(r.rgwServerVersion)).toEqual(SERVER_VERSION);
    expect(r.rgwServerVersion[1]! & 0x8000).toBe(0x8000);
    expect(r.rgwBestVersion).toEqual(OUTLOOK_2007);
    expect(r.szDNPrefix!.toString('latin1')).toMatch(/^\/o=.*\/cn=Configuration\/cn=Servers\/cn=EXCH01$/);
    expect(r.szDisplayName!.length).toBeGreaterThan(0);
    expect(r.pcmsPollsMax).toBeGreaterThan(0);
    expect(r.picxr).toBeGreaterThan(0);
    expect(r.pcbAuxOut).toBe(r.rgbAuxOut.length);
    const [aux] = readExtendedBuffer(r.rgbAuxOut, { maxPayloads: 1 });
    const types = parseAuxBlocks(aux!).map((b) => b.Type);
    expect(types).toEqual([AuxType.AUX_TYPE_EXORGINFO, AuxType.AUX_TYPE_CLIENT_CONTROL, AuxType.AUX_TYPE_ENDPOINT_CAPABILITIES]);
    // a small pcbAuxOut gets fewer blocks, never more than asked for
    const small = await connectEx(c, aliceDn, OUTLOOK_2007, 16);
    expect(small.result).toBe(0);
    // the shape of MS-OXCRPC 4.1's rgbAuxOut (there with PUBLIC_FOLDERS_ENABLED; here without public folders)
    expect(small.rgbAuxOut.toString('hex')).toBe('00000400080008000800011700000000');
    expect(small.pcbAuxOut).toBe(16);
    expect((await connectEx(c, aliceDn, OUTLOOK_2007, 15)).pcbAuxOut).toBe(0);
  });

  it("refuses someone else's DN (ecLoginPerm), an unknown DN (ecUnknownUser) and an old client (ecVersionMismatch)", async () => {
    const c = await client();
    const other = await connectEx(c, bobDn);
    expect(other.result).toBe(EMSMDB_EC.LoginPerm);
    expect(other.pcxh.uuid).toBe('00000000-0000-0000-0000-000000000000');
    expect((await connectEx(c, '/o=Nowhere/ou=x/cn=Recipients/cn=nobody')).result).toBe(EMSMDB_EC.UnknownUser);
    const old = await connectEx(c, aliceDn, [11, 0x1000, 0]);
    expect(old.result).toBe(EMSMDB_EC.VersionMismatch);
    expect(normalizeVersion(old.rgwBestVersion)).toEqual([12, 0, 0, 0]);
  });

  it('refuses a session below PKT_PRIVACY with ecNotEncrypted', async () => {
    const c = await client('alice', 2);
    expect((await connectEx(c, aliceDn)).result).toBe(EMSMDB_EC.NotEncrypted);
  });

  it('EcDoRpcExt2 takes compressed + XORed input and answers compressed + XORed output through the dispatcher', async () => {
    const c = await client();
    const { pcxh } = await connectEx(c, aliceDn);
    const payload = buildRopBuffer([ropLogon(aliceDn), ropLogon(aliceDn), ropLogon(aliceDn)], [0xffffffff]);
    const rgbIn = writeExtendedBuffer([payload], { compress: true, xor: true, maxOut: 0x40000 });
    expect(rgbIn.readUInt16LE(2) & (RHE_FLAG_COMPRESSED | RHE_FLAG_XORMAGIC)).toBe(RHE_FLAG_COMPRESSED | RHE_FLAG_XORMAGIC);
    const r = await rpcExt2(c, pcxh, rgbIn);
    expect(r.result).toBe(0);
    expect(r.pulFlags).toBe(0);
    expect(r.pcbOut).toBe(r.rgbOut.length);
    expect(r.rgbOut.readUInt16LE(2) & RHE_FLAG_XORMAGIC).toBe(RHE_FLAG_XORMAGIC);
    const [out] = readExtendedBuffer(r.rgbOut, { maxPayloads: 1 });
    const { rops, handles } = splitRopBuffer(out!);
    // three RopLogons on LogonId 0 into slot 0: each succeeds and replaces the one before (the slot holds the last)
    expect(handles).toHaveLength(1);
    expect(handles[0]).not.toBe(0xffffffff);
    let at = 0;
    for (let i = 0; i < 3; i++) {
      expect(rops[at]).toBe(0xfe);
      expect(rops[at + 1]).toBe(0);
      expect(rops.readUInt32LE(at + 2)).toBe(ec.Success);
      at += 6 + 1 + 13 * 8 + 1 + 16 + 2 + 16 + 8 + 8 + 4; // private-mailbox RopLogon success response
    }
    expect(at).toBe(rops.length);
    // NoXorMagic + NoCompression: plain output
    const plain = await rpcExt2(c, pcxh, writeExtendedBuffer([payload], { compress: false, xor: false, maxOut: 0x40000 }), { flags: 3 });
    expect(plain.result).toBe(0);
    expect(plain.rgbOut.readUInt16LE(2)).toBe(0x0004);
  });

  it('answers ecRpcFormat for malformed rgbIn and bad ROP buffers, ecRpcFailed for tiny buffers; the session survives', async () => {
    const c = await client();
    const { pcxh } = await connectEx(c, aliceDn);
    const bad = [
      Buffer.from('0000010004000400deadbeef', 'hex'), // compressed flag with Size == SizeActual
      writeExtendedBuffer([Buffer.from([9, 0, 1])], { compress: false, xor: true, maxOut: 100 }), // RopSize past the end
      Buffer.concat([writeExtendedBuffer([Buffer.from([2, 0])], { compress: false, xor: false, maxOut: 100 }), Buffer.from([1])]),
    ];
    for (const b of bad) {
      const r = await rpcExt2(c, pcxh, b);
      expect(r.result).toBe(EMSMDB_EC.RpcFormat);
      expect(r.pcbOut).toBe(0);
    }
    expect((await rpcExt2(c, pcxh, Buffer.alloc(4))).result).toBe(EMSMDB_EC.RpcFailed);
    const small = await rpcExt2(c, pcxh, writeExtendedBuffer([Buffer.from([2, 0])], { compress: false, xor: false, maxOut: 100 }), { pcbOut: 4 });
    expect(small.result).toBe(EMSMDB_EC.RpcFailed);
    const okay = await rpcExt2(c, pcxh, writeExtendedBuffer([Buffer.from([2, 0])], { compress: false, xor: false, maxOut: 100 }));
    expect(okay.result).toBe(0);
    // pcbOut is honoured: the handle table alone needs 8 + 2 + 4 bytes
    const withTable = writeExtendedBuffer([buildRopBuffer([], [0xffffffff])], { compress: false, xor: false, maxOut: 100 });
    const tight = await rpcExt2(c, pcxh, withTable, { pcbOut: 14 });
    expect(tight.result).toBe(0);
    expect(tight.rgbOut.length).toBe(14);
    expect((await rpcExt2(c, pcxh, withTable, { pcbOut: 13 })).result).toBe(EMSMDB_EC.RpcFormat);
    // cbIn above BIG_RANGE: RPC_X_BAD_STUB_DATA
    const stub = EcDoRpcExt2_in.encode({ pcxh, pulFlags: 0, rgbIn: Buffer.alloc(8), cbIn: 8, pcbOut: 0x3fffe, rgbAuxIn: Buffer.alloc(0), cbAuxIn: 0, pcbAuxOut: 0 });
    const at = stub.indexOf(Buffer.from([0xfe, 0xff, 0x03, 0x00]));
    stub.writeUInt32LE(0x40001, at);
    await expectFault(c.call(11, stub), FAULT.nca_s_fault_ndr);
  });

  it('EcDummyRpc, EcRRegisterPushNotification (ecNotSupported) and reserved opnums (nca_s_op_rng_error)', async () => {
    const c = await client();
    const { pcxh } = await connectEx(c, aliceDn);
    expect(EcDummyRpc_out.decode(await c.call(6, Buffer.alloc(0))).result).toBe(0);
    const push = EcRRegisterPushNotification_in.encode({
      pcxh,
      iRpc: 0,
      rgbContext: Buffer.alloc(4),
      cbContext: 4,
      grbitAdviseBits: 0xffffffff,
      rgbCallbackAddress: Buffer.alloc(16),
      cbCallbackAddress: 16,
    });
    const pr = EcRRegisterPushNotification_out.decode(await c.call(4, push));
    expect(pr.result).toBe(EMSMDB_EC.NotSupported);
    for (const opnum of [0, 2, 3, 5, 7, 8, 9, 12, 13, 15]) await expectFault(c.call(opnum, Buffer.alloc(0)), FAULT.nca_s_op_rng_error);
  });

  it('EcDoDisconnect ends the session: the handle comes back zeroed and is refused afterwards', async () => {
    const c = await client();
    const { pcxh } = await connectEx(c, aliceDn);
    const before = ts.server.emsmdbSessions!.size;
    const d = EcDoDisconnect_out.decode(await c.call(1, EcDoDisconnect_in.encode({ pcxh })));
    expect(d.result).toBe(0);
    expect(d.pcxh.uuid).toBe('00000000-0000-0000-0000-000000000000');
    expect(ts.server.emsmdbSessions!.size).toBe(before - 1);
    await expectFault(rpcExt2(c, pcxh, Buffer.alloc(8)), FAULT.nca_s_fault_context_mismatch);
  });

  it("another user cannot use alice's session handle", async () => {
    const a = await client();
    const { pcxh } = await connectEx(a, aliceDn);
    const b = await client('bob');
    await expectFault(rpcExt2(b, pcxh, Buffer.alloc(8)), FAULT.nca_s_fault_access_denied);
  });

  it('EcDoAsyncWaitEx completes after the wait without, and at once with, a pending notification', async () => {
    const c = await client();
    const { pcxh } = await connectEx(c, aliceDn);
    const ac = EcDoAsyncConnectEx_out.decode(await c.call(14, EcDoAsyncConnectEx_in.encode({ cxh: pcxh })));
    expect(ac.result).toBe(0);
    // the wait runs on its own connection (another association group), as Outlook's async calls may
    const w = await RpcClient.connect({ host: '127.0.0.1', port: ts.server.ports.rpc, auth: { type: 10, level: 6, username: 'alice', password: PASSWORD, domain: 'TEST' } });
    clients.push(w);
    await w.bind(ASYNCEMSMDB);
    const wait = () => w.call(0, EcDoAsyncWaitEx_in.encode({ acxh: ac.pacxh, ulFlagsIn: 0 })).then((b) => EcDoAsyncWaitEx_out.decode(b));
    const t0 = Date.now();
    const idle = await wait();
    expect(idle).toEqual({ pulFlagsOut: 0, result: 0 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const session = ts.server.emsmdbSessions!.get(pcxh.uuid)!;
    const t1 = Date.now();
    const pending = wait();
    setTimeout(() => session.notify({ kind: 'test' }), 100);
    expect(await pending).toEqual({ pulFlagsOut: NOTIFICATION_PENDING, result: 0 });
    expect(Date.now() - t1).toBeLessThan(900);
    expect(session.takeNotifications()).toEqual([{ kind: 'test' }]);
    // after EcDoDisconnect the ACXH is rejected
    await c.call(1, EcDoDisconnect_in.encode({ pcxh }));
    expect((await wait()).result).toBe(ASYNC_EC.Rejected);
  });

  it('limits sessions per user', async () => {
    const c = await client('bob');
    const results: number[] = [];
    for (let i = 0; i < 21; i++) results.push((await connectEx(c, bobDn)).result);
    expect(results.slice(0, 20).every((r) => r === 0)).toBe(true);
    expect(results[20]).toBe(EMSMDB_EC.SessionLimit);
  });
});
