// MS-OXCNOTIF over a real socket: the whole server (startServer), the project's DCE/RPC client at PKT_PRIVACY.
// Session 1 of alice registers for notifications (RopRegisterNotification) and waits in EcDoAsyncWaitEx on another
// connection; session 2 of alice (or the store, standing in for delivery) changes the mailbox. The wait completes,
// and the next EcDoRpcExt2 of session 1 carries the RopNotify responses (decoded with the codec), followed by a
// RopPending when pcbOut is too small for all of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/dcerpc/client.js';
import { ASYNCEMSMDB, EMSMDB } from '../../src/dcerpc/well-known.js';
import { NOTIFICATION_PENDING } from '../../src/emsmdb/async.js';
import { readExtendedBuffer, writeExtendedBuffer } from '../../src/emsmdb/extbuf.js';
import { EcDoAsyncConnectEx_in, EcDoAsyncConnectEx_out, EcDoAsyncWaitEx_in, EcDoAsyncWaitEx_out } from '../../src/emsmdb/idl.js';
import { RopReader } from '../../src/mapi/buffer.js';
import { TAG } from '../../src/mapistore/tags.js';
import type { MailboxStore } from '../../src/mapistore/types.js';
import type { ContextHandle } from '../../src/ndr/index.js';
import { NotificationFlag, NotificationType, type NotificationData } from '../../src/rop/codec/notification-data.js';
import { RopNotify } from '../../src/rop/codec/RopNotify.js';
import { RopPending } from '../../src/rop/codec/RopPending.js';
import { encodeRopRequests, splitRopBuffer } from '../../src/rop/dispatch.js';
import { loadRopRegistry, type RopRegistry } from '../../src/rop/registry.js';
import type { RopRequestHeader, RopResponse } from '../../src/rop/types.js';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/full-server.js';
import { connectEx, OUTLOOK_2010, rpcExt2 } from './helpers.js';

type Req = RopRequestHeader & Record<string, unknown>;
const N = 0xffffffff;

let ts: TestServer;
let aliceDn: string;
let registry: RopRegistry;
let mb: MailboxStore;
const clients: RpcClient[] = [];

beforeAll(async () => {
  ts = await startTestServer({ emsmdb: { asyncWaitSeconds: 5 } } as never, [['alice', PASSWORD]]);
  const alice = (await ts.directory.findUser('alice'))!;
  aliceDn = alice.legacyExchangeDN;
  registry = await loadRopRegistry([]);
  mb = await ts.server.store!.openMailbox({ username: 'alice', displayName: alice.displayName, legacyDn: aliceDn });
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await ts?.close();
});

async function connect(iface = EMSMDB): Promise<RpcClient> {
  const c = await RpcClient.connect({ host: '127.0.0.1', port: ts.server.ports.rpc, auth: { type: 10, level: 6, username: 'alice', password: PASSWORD, domain: 'TEST' } });
  clients.push(c);
  await c.bind(iface);
  return c;
}

interface Session {
  c: RpcClient;
  cxh: ContextHandle;
  /** Runs ROP requests; returns the decoded responses (RopNotify / RopPending after them), the handle table. */
  rops(requests: Req[], handles: number[], pcbOut?: number): Promise<{ res: Array<RopResponse & Record<string, unknown>>; notifies: Array<{ NotificationHandle: number; LogonId: number; NotificationData: NotificationData }>; pending: number | null; handles: number[] }>;
}

async function session(): Promise<Session> {
  const c = await connect();
  const out = await connectEx(c, aliceDn, OUTLOOK_2010);
  expect(out.result).toBe(0);
  const cxh = out.pcxh;
  const rops: Session['rops'] = async (requests, handles, pcbOut = 0x40000) => {
    const rgbIn = writeExtendedBuffer([encodeRopRequests(registry, requests, handles)], { compress: false, xor: false, maxOut: 0x40000 });
    const r = await rpcExt2(c, cxh, rgbIn, { pcbOut });
    expect(r.result).toBe(0);
    expect(r.rgbOut.length).toBeLessThanOrEqual(pcbOut);
    const [payload] = readExtendedBuffer(r.rgbOut, { maxPayloads: 1 });
    const split = splitRopBuffer(payload!);
    const rd = new RopReader(split.rops);
    const res: Array<RopResponse & Record<string, unknown>> = [];
    for (const q of requests) {
      const codec = registry.codec(q.RopId)!;
      if (codec.hasResponse) res.push(codec.decodeResponse(rd, { codePage: 1252 }, q) as RopResponse & Record<string, unknown>);
    }
    const notifies: Array<{ NotificationHandle: number; LogonId: number; NotificationData: NotificationData }> = [];
    let pending: number | null = null;
    while (rd.left > 0) {
      const id = split.rops[rd.pos];
      if (id === RopNotify.RopId) notifies.push(RopNotify.decodeResponse(rd, { codePage: 1252 }, {} as never) as never);
      else if (id === RopPending.RopId) pending = (RopPending.decodeResponse(rd, { codePage: 1252 }, {} as never) as unknown as { SessionIndex: number }).SessionIndex;
      else throw new Error(`unexpected RopId 0x${id!.toString(16)} after the responses`);
    }
    return { res, notifies, pending, handles: split.handles };
  };
  return { c, cxh, rops };
}

const logon = (): Req => ({ RopId: 0xfe, LogonId: 0, InputHandleIndex: undefined as unknown as number, OutputHandleIndex: 0, LogonFlags: 1, OpenFlags: 0x0100040c, StoreState: 0, Essdn: aliceDn });
const register = (types: number, fid?: bigint): Req => ({
  RopId: 0x29,
  LogonId: 0,
  InputHandleIndex: 0,
  OutputHandleIndex: 1,
  NotificationTypes: types,
  Reserved: 0,
  WantWholeStore: fid === undefined ? 1 : 0,
  ...(fid === undefined ? {} : { FolderId: fid, MessageId: 0n }),
});

async function asyncWaiter(s: Session): Promise<() => Promise<{ pulFlagsOut: number; result: number }>> {
  const ac = EcDoAsyncConnectEx_out.decode(await s.c.call(14, EcDoAsyncConnectEx_in.encode({ cxh: s.cxh })));
  expect(ac.result).toBe(0);
  const w = await connect(ASYNCEMSMDB);
  return () => w.call(0, EcDoAsyncWaitEx_in.encode({ acxh: ac.pacxh, ulFlagsIn: 0 })).then((b) => EcDoAsyncWaitEx_out.decode(b));
}

describe('notifications over EMSMDB', () => {
  it('a folder created in another session completes EcDoAsyncWaitEx within 1 s; the next EcDoRpcExt2 carries the RopNotify', async () => {
    const s1 = await session();
    const s2 = await session();
    const reg = await s1.rops([logon(), register(0xfe)], [N, N]);
    expect(reg.res.map((r) => r.ReturnValue)).toEqual([0, 0]);
    const regHandle = reg.handles[1]!;
    const wait = await asyncWaiter(s1);
    const pending = wait();
    await new Promise((r) => setTimeout(r, 100)); // the wait is parked on the server
    const t0 = Date.now();
    const made = await s2.rops(
      [
        logon(),
        { RopId: 0x02, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 1, FolderId: mb.special.ipmSubtree, OpenModeFlags: 0 },
        { RopId: 0x1c, LogonId: 0, InputHandleIndex: 1, OutputHandleIndex: 2, FolderType: 1, UseUnicodeStrings: 1, OpenExisting: 0, Reserved: 0, DisplayName: 'From session 2', Comment: '' },
      ],
      [N, N, N],
    );
    expect(made.res.map((r) => r.ReturnValue)).toEqual([0, 0, 0]);
    const fid = made.res[2]!.FolderId as bigint;
    expect(await pending).toEqual({ pulFlagsOut: NOTIFICATION_PENDING, result: 0 });
    expect(Date.now() - t0).toBeLessThan(1000);
    // session 2 registered nothing: its own reply carried no RopNotify
    expect(made.notifies).toEqual([]);
    // no ROP request at all: the reply is the notifications (MS-OXCNOTIF 3.1.5.6)
    const got = await s1.rops([], [N]);
    const created = got.notifies.find((n) => (n.NotificationData.NotificationFlags & 0xfff) === NotificationType.ObjectCreated);
    expect(created).toMatchObject({ NotificationHandle: regHandle, LogonId: 0, NotificationData: { FolderID: fid, ParentFolderID: mb.special.ipmSubtree } });
    expect(got.pending).toBeNull();
    // drained: a second call has none
    expect((await s1.rops([], [N])).notifies).toEqual([]);
  });

  it('a new message delivered to the Inbox (the store standing in for delivery) reaches an Inbox registration as NewMail', async () => {
    const s1 = await session();
    const reg = await s1.rops([logon(), register(NotificationType.NewMail, mb.special.inbox)], [N, N]);
    expect(reg.res[1]!.ReturnValue).toBe(0);
    const wait = await asyncWaiter(s1);
    const pending = wait();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const m = await mb.newMessage(mb.special.inbox);
    await m.setProps([{ tag: TAG.Subject, value: 'hello' }, { tag: TAG.MessageClass, value: 'IPM.Note' }]);
    const mid = await m.save();
    await mb.notifyNewMail(mb.special.inbox, mid);
    expect((await pending).pulFlagsOut).toBe(NOTIFICATION_PENDING);
    expect(Date.now() - t0).toBeLessThan(1000);
    const got = await s1.rops([], [N]);
    expect(got.notifies).toHaveLength(1);
    expect(got.notifies[0]!.NotificationData).toMatchObject({
      NotificationFlags: NotificationType.NewMail | NotificationFlag.M,
      FolderID: mb.special.inbox,
      MessageID: mid,
      MessageClass: 'IPM.Note',
    });
  });

  it('with a small pcbOut: RopNotify responses that fit, then RopPending; the wait completes at once while some remain', async () => {
    const s1 = await session();
    const reg = await s1.rops([logon(), register(NotificationType.ObjectCreated)], [N, N]);
    expect(reg.res[1]!.ReturnValue).toBe(0);
    for (let i = 0; i < 20; i++) await mb.createMessage(mb.special.drafts, { props: [{ tag: TAG.Subject, value: `n${i}` }] });
    // 8 (RPC_HEADER_EXT) + 2 (RopSize) + 4 (handle table) + 5 x 26 (RopNotify) + 3 (RopPending)
    const small = await s1.rops([], [N], 8 + 2 + 4 + 5 * 26 + 3);
    expect(small.notifies).toHaveLength(5);
    expect(small.pending).toBe(ts.server.emsmdbSessions!.get(s1.cxh.uuid)!.icxr);
    const wait = await asyncWaiter(s1);
    const t0 = Date.now();
    expect((await wait()).pulFlagsOut).toBe(NOTIFICATION_PENDING);
    expect(Date.now() - t0).toBeLessThan(500);
    const rest = await s1.rops([], [N]);
    expect(rest.notifies).toHaveLength(15);
    expect(rest.pending).toBeNull();
    const mids = new Set([...small.notifies, ...rest.notifies].map((n) => n.NotificationData.MessageID));
    expect(mids.size).toBe(20);
  });
});
