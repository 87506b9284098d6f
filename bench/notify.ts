// Notification latency (issue 6: "from submit to EcDoAsyncWaitEx completion, p50/p99 with 100 connected sessions"),
// on the real path: the whole server (startServer, temp dataDir, built-in directory) and the project's RpcClient
// (NTLM, PKT_PRIVACY) over loopback.
//
// Setup: USERS users with SESSIONS_PER_USER EMSMDB sessions each (100 sessions). Every session logs on, registers for
// NewMail on its whole store (RopRegisterNotification) and parks an EcDoAsyncWaitEx on its own AsyncEMSMDB
// connection (100 connections, plus one EMSMDB connection per user).
// Timed: a message submitted to one user (round robin over the users) by a sender's own EMSMDB session. The message
// is composed in the sender's Outbox through the store (untimed: what RopCreateMessage .. RopSaveChangesMessage
// leave behind), then one EcDoRpcExt2 carries RopOpenMessage + RopSubmitMessage + RopRelease; local delivery
// (src/transport) puts the copy in the recipient's Inbox and raises NewMail. Latency per session = from just before
// that EcDoRpcExt2 is sent to the moment the recipient session's EcDoAsyncWaitEx answer is decoded by the client;
// each submission gives SESSIONS_PER_USER samples. After each one every woken session fetches its RopNotify with an
// empty EcDoRpcExt2 (checked: one NewMail in its Inbox; outside the timed window) and parks a new wait. A second
// figure, "to RopNotify", runs to the end of that EcDoRpcExt2 (what a client needs to show the mail).
// BENCH_NOTIFY_MODE=store replaces the submission by a store delivery stand-in (MailboxStore save + notifyNewMail in
// the server's process); the rows say which one ran. In store mode a third figure starts at the NewMail event, to
// tell the notification path from the store's own time.
//
// Client and server share this process and its 2 cores, as the other loopback benches do: the figures include both
// sides' sealing and the event loop they share.
import fs from 'node:fs';
import { RpcClient } from '../src/dcerpc/client.js';
import { AUTHN } from '../src/dcerpc/constants.js';
import { ASYNCEMSMDB, EMSMDB } from '../src/dcerpc/well-known.js';
import { openDirectory } from '../src/directory/builtin.js';
import { NOTIFICATION_PENDING } from '../src/emsmdb/async.js';
import { readExtendedBuffer } from '../src/emsmdb/extbuf.js';
import { EcDoAsyncConnectEx_in, EcDoAsyncConnectEx_out, EcDoAsyncWaitEx_in, EcDoAsyncWaitEx_out } from '../src/emsmdb/idl.js';
import { RopReader } from '../src/mapi/buffer.js';
import { TAG } from '../src/mapistore/tags.js';
import type { MailboxStore } from '../src/mapistore/types.js';
import type { ContextHandle } from '../src/ndr/index.js';
import { NotificationType, type NotificationData } from '../src/rop/codec/notification-data.js';
import { RopNotify } from '../src/rop/codec/RopNotify.js';
import { splitRopBuffer } from '../src/rop/dispatch.js';
import { NO_HANDLE } from '../src/rop/handles.js';
import { loadRopRegistry, type RopRegistry } from '../src/rop/registry.js';
import { startServer } from '../src/server.js';
import { silentLogger } from '../src/util/log.js';
import { benchConfig, connectEx, CPID, logonRequest, percentile, r2, readResponses, ropsIn, rpcExt2 as ext2, type Req } from './common.js';

const USERS = 10;
const SESSIONS_PER_USER = 10;
const WARMUP_DELIVERIES = 20;
const DELIVERIES = Math.max(10, Number(process.env.BENCH_NOTIFY_DELIVERIES ?? 200));
const PASSWORD = 'Bench-Passw0rd!';
const MODE: 'submit' | 'store' = process.env.BENCH_NOTIFY_MODE === 'store' ? 'store' : 'submit';
const PidTagRecipientType = 0x0c150003;
const PidTagAddressType = 0x3002001f;
const PidTagEmailAddress = 0x3003001f;
const MAPI_TO = 1;

export interface NotifyBenchRow {
  name: string;
  value: number;
  unit: string;
  notes?: string;
}

interface BenchSession {
  user: number;
  emsmdb: RpcClient;
  async: RpcClient;
  cxh: ContextHandle;
  acxh: ContextHandle;
  wait: Promise<number> | null;
}

async function connect(port: number, username: string, iface: typeof EMSMDB): Promise<RpcClient> {
  const c = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: AUTHN.RPC_C_AUTHN_WINNT, level: 6, username, password: PASSWORD, domain: 'BENCH' } });
  await c.bind(iface);
  return c;
}

async function rpcExt2(c: RpcClient, cxh: ContextHandle, registry: RopRegistry, reqs: Req[], handles: number[]): Promise<{ res: Array<Record<string, unknown>>; notifies: NotificationData[]; handles: number[] }> {
  const [out] = readExtendedBuffer(await ext2(c, cxh, ropsIn(registry, reqs, handles, true)), { maxPayloads: 1 });
  const { rops, handles: hs } = splitRopBuffer(out!);
  const rd = new RopReader(rops);
  const res = readResponses(registry, reqs, rd);
  const notifies: NotificationData[] = [];
  while (rd.left > 0) {
    if (rops[rd.pos] !== RopNotify.RopId) throw new Error(`unexpected RopId 0x${rops[rd.pos]!.toString(16)} after the responses`);
    notifies.push((RopNotify.decodeResponse(rd, { codePage: CPID }, {} as never) as unknown as { NotificationData: NotificationData }).NotificationData);
  }
  return { res, notifies, handles: hs };
}

export async function benchNotify(): Promise<NotifyBenchRow[]> {
  const { tmp, config } = benchConfig('ocng-bench-notify-', { emsmdb: { maxSessionsPerUser: SESSIONS_PER_USER + 2, asyncWaitSeconds: 600 } });
  const log = silentLogger();
  const dir = openDirectory(config, log);
  const clients: RpcClient[] = [];
  const sessions: BenchSession[] = [];
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const users: Array<Awaited<ReturnType<typeof dir.addUser>>> = [];
    for (let u = 0; u < USERS; u++) users.push(await dir.addUser({ username: `nb${u}`, password: PASSWORD }));
    const senderUser = await dir.addUser({ username: 'nbsender', password: PASSWORD });
    server = await startServer(config, log, { directory: dir });
    const port = server.ports.rpc;
    const registry = await loadRopRegistry();

    /** EcDoConnectEx + RopLogon (+ RopRegisterNotification) on `emsmdb`; returns the CXH and the logon handle. */
    const open = async (emsmdb: RpcClient, dn: string, register: boolean): Promise<{ cxh: ContextHandle; logon: number }> => {
      const cxh = await connectEx(emsmdb, dn, [0x0e00, 0x8000 | 4760, 1000]);
      const reqs: Req[] = [logonRequest(dn)];
      if (register) reqs.push({ RopId: 0x29, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 1, NotificationTypes: NotificationType.NewMail, Reserved: 0, WantWholeStore: 1 });
      const r = await rpcExt2(emsmdb, cxh, registry, reqs, reqs.map(() => NO_HANDLE));
      return { cxh, logon: r.handles[0]! };
    };

    const mailboxes: MailboxStore[] = [];
    for (let u = 0; u < USERS; u++) {
      const user = users[u]!;
      mailboxes.push(await server.store!.openMailbox({ username: user.username, displayName: user.displayName || user.username, legacyDn: user.legacyExchangeDN }));
      const emsmdb = await connect(port, user.username, EMSMDB);
      clients.push(emsmdb);
      for (let k = 0; k < SESSIONS_PER_USER; k++) {
        const { cxh } = await open(emsmdb, user.legacyExchangeDN, true);
        const ac = EcDoAsyncConnectEx_out.decode(await emsmdb.call(14, EcDoAsyncConnectEx_in.encode({ cxh })));
        if (ac.result !== 0) throw new Error(`EcDoAsyncConnectEx 0x${ac.result.toString(16)}`);
        const async = await connect(port, user.username, ASYNCEMSMDB);
        clients.push(async);
        sessions.push({ user: u, emsmdb, async, cxh, acxh: ac.pacxh, wait: null });
      }
    }
    // the sender: its own EMSMDB session (submit mode)
    const senderMb = await server.store!.openMailbox({ username: senderUser.username, displayName: senderUser.displayName || senderUser.username, legacyDn: senderUser.legacyExchangeDN });
    const senderConn = await connect(port, senderUser.username, EMSMDB);
    clients.push(senderConn);
    const sender = await open(senderConn, senderUser.legacyExchangeDN, false);

    /** Parks an EcDoAsyncWaitEx; the promise gives the time its answer was decoded (ms, performance.now()). */
    const park = (s: BenchSession): void => {
      s.wait = s.async.call(0, EcDoAsyncWaitEx_in.encode({ acxh: s.acxh, ulFlagsIn: 0 })).then((b) => {
        const t = performance.now();
        const r = EcDoAsyncWaitEx_out.decode(b);
        if (r.result !== 0 || r.pulFlagsOut !== NOTIFICATION_PENDING) throw new Error(`EcDoAsyncWaitEx ${r.result} flags ${r.pulFlagsOut}`);
        return t;
      });
    };
    for (const s of sessions) park(s);
    await new Promise((r) => setTimeout(r, 200)); // every wait parked on the server

    const toWake: number[] = [];
    const toNotify: number[] = [];
    /** store mode: from the NewMail event (notifyNewMail) to the wake, and the store's own save time. */
    const fromEvent: number[] = [];
    const stored: number[] = [];
    /** submit mode: the sender's EcDoRpcExt2 (RopOpenMessage + RopSubmitMessage + RopRelease) round trip. */
    const submitRtt: number[] = [];

    /** Composes the message to user `u` in the sender's Outbox (untimed), as a client's save leaves it. */
    const compose = async (u: number, i: number): Promise<bigint> => {
      const m = await senderMb.newMessage(senderMb.special.outbox);
      await m.setProps([
        { tag: TAG.MessageClass, value: 'IPM.Note' },
        { tag: TAG.Subject, value: `notification bench ${i}` },
      ]);
      const to = users[u]!;
      await m.setRecipients([
        {
          rowId: 0,
          props: [
            { tag: PidTagRecipientType, value: MAPI_TO },
            { tag: TAG.DisplayName, value: to.displayName || to.username },
            { tag: PidTagAddressType, value: 'EX' },
            { tag: PidTagEmailAddress, value: to.legacyExchangeDN },
          ],
        },
      ]);
      return m.save();
    };

    const deliver = async (i: number, record: boolean): Promise<void> => {
      const u = i % USERS;
      const mb = mailboxes[u]!;
      const mine = sessions.filter((s) => s.user === u);
      let t0: number;
      let tn = 0;
      let mid: bigint | null = null;
      if (MODE === 'submit') {
        const draft = await compose(u, i);
        t0 = performance.now();
        await rpcExt2(
          senderConn,
          sender.cxh,
          registry,
          [
            { RopId: 0x03, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 1, CodePageId: 0x0fff, FolderId: senderMb.special.outbox, OpenModeFlags: 1, MessageId: draft },
            { RopId: 0x32, LogonId: 0, InputHandleIndex: 1, SubmitFlags: 0 },
            { RopId: 0x01, LogonId: 0, InputHandleIndex: 1 },
          ],
          [sender.logon, NO_HANDLE],
        );
        if (record) submitRtt.push(performance.now() - t0);
      } else {
        t0 = performance.now();
        const m = await mb.newMessage(mb.special.inbox);
        await m.setProps([
          { tag: TAG.MessageClass, value: 'IPM.Note' },
          { tag: TAG.Subject, value: `delivery ${i}` },
        ]);
        mid = await m.save();
        tn = performance.now();
        await mb.notifyNewMail(mb.special.inbox, mid);
        if (record) stored.push(tn - t0);
      }
      await Promise.all(
        mine.map(async (s) => {
          const woke = await s.wait!;
          const got = await rpcExt2(s.emsmdb, s.cxh, registry, [], [NO_HANDLE]);
          const t2 = performance.now();
          park(s);
          const n = got.notifies.filter((x) => (x.NotificationFlags & 0x0fff) === NotificationType.NewMail && x.FolderID === mb.special.inbox);
          if (n.length !== 1 || (mid !== null && n[0]!.MessageID !== mid)) throw new Error(`session of user ${u}: ${got.notifies.length} notifications, not one NewMail in its Inbox`);
          if (record) {
            toWake.push(woke - t0);
            toNotify.push(t2 - t0);
            if (MODE === 'store') fromEvent.push(woke - tn);
          }
        }),
      );
    };
    for (let i = 0; i < WARMUP_DELIVERIES; i++) await deliver(i, false);
    const c0 = process.cpuUsage();
    for (let i = 0; i < DELIVERIES; i++) await deliver(i, true);
    const cpu = process.cpuUsage(c0);
    for (const a of [toWake, toNotify, fromEvent, stored, submitRtt]) a.sort((x, y) => x - y);
    const from = MODE === 'submit' ? 'submit' : 'delivery';
    const how =
      MODE === 'submit'
        ? 'RopSubmitMessage from a sender session (EX recipient, local delivery to the Inbox)'
        : 'store delivery stand-in (save + notifyNewMail in the server process)';
    const notes = `${USERS * SESSIONS_PER_USER} sessions (${USERS} users x ${SESSIONS_PER_USER}), each registered + parked; ${DELIVERIES} messages x ${SESSIONS_PER_USER} sessions woken; ${how}; loopback, PKT_PRIVACY`;
    const rows: NotifyBenchRow[] = [
      { name: `notification latency p50 (${from} -> EcDoAsyncWaitEx done)`, value: r2(percentile(toWake, 0.5)), unit: 'ms', notes },
      { name: `notification latency p99 (${from} -> EcDoAsyncWaitEx done)`, value: r2(percentile(toWake, 0.99)), unit: 'ms', notes: `max ${r2(toWake[toWake.length - 1]!)} ms over ${toWake.length} samples` },
      { name: `notification latency p50 (${from} -> RopNotify in hand)`, value: r2(percentile(toNotify, 0.5)), unit: 'ms', notes: 'wait done + EcDoRpcExt2 carrying the RopNotify' },
      { name: `notification latency p99 (${from} -> RopNotify in hand)`, value: r2(percentile(toNotify, 0.99)), unit: 'ms', notes: '' },
    ];
    if (MODE === 'submit') {
      rows.push({
        name: 'RopSubmitMessage EcDoRpcExt2 round trip p50',
        value: r2(percentile(submitRtt, 0.5)),
        unit: 'ms',
        notes: `p99 ${r2(percentile(submitRtt, 0.99))} ms: RopOpenMessage + RopSubmitMessage + RopRelease, delivery done before the answer`,
      });
    } else {
      rows.push({
        name: 'notification latency p50 (NewMail event -> EcDoAsyncWaitEx done)',
        value: r2(percentile(fromEvent, 0.5)),
        unit: 'ms',
        notes: `p99 ${r2(percentile(fromEvent, 0.99))} ms: the notification path alone (the rows above include the store's save: p50 ${r2(percentile(stored, 0.5))} ms, p99 ${r2(percentile(stored, 0.99))} ms)`,
      });
    }
    rows.push({
      name: 'notification CPU per message',
      value: Math.round((cpu.user + cpu.system) / DELIVERIES),
      unit: 'us',
      notes: `client + server: ${MODE === 'submit' ? 'compose, submit, delivery' : 'save'}, ${SESSIONS_PER_USER} waits, ${SESSIONS_PER_USER} EcDoRpcExt2, ${SESSIONS_PER_USER} new waits`,
    });
    return rows;
  } finally {
    // the waits parked last end when their connections close
    for (const s of sessions) s.wait?.catch(() => undefined);
    for (const c of clients) await c.close().catch(() => undefined);
    await server?.close();
    await dir.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// `npx tsx bench/notify.ts` runs this section alone
if (import.meta.url === `file://${process.argv[1]}`) {
  benchNotify().then(
    (rows) => {
      for (const r of rows) console.log(`${r.name}: ${r.value} ${r.unit}${r.notes ? `  (${r.notes})` : ''}`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
