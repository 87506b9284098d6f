// Issue 7 ICS download through EMSMDB (section `ics-emsmdb`): a first Cached Exchange Mode contents synchronization of
// a folder of 1,000 and of 10,000 messages of about 10 KB each, over loopback TCP at PKT_PRIVACY with LZ77 + XOR, the
// way Outlook 2010 drives it, then an incremental synchronization of 10 changes in that folder. Targets (issue 7
// "Speed"): >= 2,000 messages/s for both first syncs, peak RSS < 300 MB for 10,000, incremental < 50 ms.
//
// The server runs in a child process (this file forked with --ics-emsmdb-child): the whole server (startServer: NTLM,
// DCE/RPC, EMSMDB sessions, the ROP engine with the server's handler maps, the embedded store) on a dataDir that
// another child process filled and left (so the server starts on a mailbox on disk, as after a restart, and its RSS is
// its own: the figures are the child's VmHWM from /proc, and its CPU time read over IPC). The client is this process:
// the project's RpcClient (NTLM, sealed), EcDoConnectEx as Outlook 2010 (14.0.7468), RopLogon, RopOpenFolder,
// RopSynchronizationConfigure (contents, Unicode | ReadState | FAI | Normal | Progress, SendOptions Unicode,
// SynchronizationExtraFlags Eid | MessageSize | Cn, no restriction, no property list), no state uploaded for the first
// sync (the context starts from the empty state), then EcDoRpcExt2 calls each carrying one
// RopFastTransferSourceGetBuffer with BufferSize 0xBABE and MaximumBufferSize 0x8000 (3.3.5.7.1: at least the output
// buffer's size), pcbOut 0x40000, pulFlags Chain (0x4: compression and XOR on, the server chains further GetBuffer
// responses into rgbOut, MS-OXCRPC 3.1.4.2), until TransferStatus Done. Every TransferBuffer goes through the
// project's incremental FastTransfer parser (src/rop/fxics/parser.ts): messages are counted on IncrSyncChg markers and
// the final ICS state is read from the stream (IncrSyncStateBegin .. IncrSyncStateEnd), so the client side does the
// work a real client does (inflate, unseal, parse), inside the timed window.
//
// The mailbox: one folder per size, messages made through the message API (MessageObject) like mail delivered to a
// user: subject, a plain-text body of pseudo-English words (as compressible as text is), message class, importance,
// delivery time, sender, icon, flag status on some, 1-3 recipients (To/Cc with SMTP addresses), a ~3 KB binary
// attachment on every 10th (its body shorter by as much) and an embedded message on every 50th; half of them read.
// ~10 KB of properties per message. Warm-up first syncs of a separate 200-message folder (BENCH_ICS_EMSMDB_WARM_ROUNDS,
// default 5; BENCH_ICS_EMSMDB_WARM_MESSAGES) run before the timed ones, so that the server has JIT-compiled its paths
// as a running server has (3 warm-ups of 1,000 messages measured no faster). No forced GC runs between the warm-up and
// the last timed sync: until 2026-11-27 one before and one after the first timed sync made the first three syncs of
// the 1,000-message folder take 360-540 ms instead of 220-390 ms (the GC drops objects optimized code embeds, V8
// deoptimizes it and optimizes again). Then RUNS timed first syncs
// (BENCH_ICS_EMSMDB_RUNS, default 5), each a new synchronization context from the empty state; the median run is
// reported with every run's time in the notes (on this shared 2-core machine single runs of the same code spread
// over +-20%), and the peak RSS is the first timed run's.
//
// The incremental sync: the server child changes the subject of 10 messages spread over the folder (setMessageProps),
// then the client opens a new synchronization context, uploads the state the first sync returned (4 properties,
// UploadStateStreamBegin/Continue/End each, in the same ROP buffer as RopSynchronizationConfigure, as Outlook batches
// them), and GetBuffers until Done: the time from that first EcDoRpcExt2 to Done, median of INC_RUNS runs (each with
// the same first-sync state, so each returns the same 10 changes; checked).
//
// Figures: messages/s and MB/s (FastTransfer stream bytes, uncompressed) on wall-clock time, with the CPU time of the
// server child and of the client process beside them (2 cores shared with other work: wall-clock time is what the
// target names; the CPU figures show how much of it is ours). BENCH_ICS_EMSMDB_SIZES (default "1000,10000") picks the
// folder sizes; BENCH_ICS_EMSMDB_PULFLAGS the GetBuffer calls' pulFlags (default 0x4; 0x7 for a run without LZ77/XOR,
// to see what compression costs); BENCH_ICS_EMSMDB_PROF=<dir> writes CPU profiles of the timed first sync
// (server child and client, inspector sampling every 200 us) into <dir>.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDirectory } from '../src/directory/builtin.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/types.js';
import type { PropValue } from '../src/mapi/props.js';
import { createStore } from '../src/mapistore/index.js';
import type { MailboxStore } from '../src/mapistore/types.js';
import { loadRopRegistry, type RopRegistry } from '../src/rop/registry.js';
import { startServer } from '../src/server.js';
import { createLogger, silentLogger } from '../src/util/log.js';
import { median, r2 } from './common.js';
import { BenchChild, cpuProfiler, IcsSyncClient, serveChild, type SyncResult } from './ics-client.js';

interface Row {
  name: string;
  value: number | string;
  unit: string;
  notes: string;
}

const USER = { username: 'icsbench', password: 'Bench-Passw0rd!', domain: 'BENCH' };
const SIZES = (process.env.BENCH_ICS_EMSMDB_SIZES ?? '1000,10000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const WARM_MESSAGES = Math.max(1, Number(process.env.BENCH_ICS_EMSMDB_WARM_MESSAGES ?? 200));
const WARM_ROUNDS = Math.max(1, Number(process.env.BENCH_ICS_EMSMDB_WARM_ROUNDS ?? 5));
const RUNS = Math.max(1, Number(process.env.BENCH_ICS_EMSMDB_RUNS ?? 5));
const INC_RUNS = Math.max(1, Number(process.env.BENCH_ICS_EMSMDB_INC_RUNS ?? 7));
const PCB_OUT = 0x40000;
/** MS-OXCRPC 3.1.4.2 pulFlags: Chain only (LZ77 and XOR stay on). */
const PUL_FLAGS = Number(process.env.BENCH_ICS_EMSMDB_PULFLAGS ?? 0x4);
const MAX_BUFFER = 0x8000;

/** MS-OXCFXICS 2.2.3.2.1.1.1: Unicode | ReadState | FAI | Normal | Progress; extra: Eid | MessageSize | Cn. */
const SYNC_FLAGS = 0x0001 | 0x0008 | 0x0010 | 0x0020 | 0x8000;
const SYNC_EXTRA = Number(process.env.BENCH_ICS_EMSMDB_EXTRA ?? 0x01 | 0x02 | 0x04);
const SYNC_OPTS = { syncFlags: SYNC_FLAGS, extraFlags: SYNC_EXTRA, pulFlags: PUL_FLAGS, pcbOut: PCB_OUT, maxBuffer: MAX_BUFFER };
const TARGET_RATE = 2000;
const TARGET_RSS_MB = 300;
const TARGET_INC_MS = 50;

const T = {
  subject: 0x0037001f, body: 0x1000001f, messageClass: 0x001a001f, importance: 0x00170003, delivery: 0x0e060040,
  senderName: 0x0c1a001f, senderEmail: 0x0c1f001f, flagStatus: 0x10900003, iconIndex: 0x10800003,
  recipientType: 0x0c150003, displayName: 0x3001001f, emailAddress: 0x3003001f, addrType: 0x3002001f, smtpAddress: 0x39fe001f,
  attachMethod: 0x37050003, attachData: 0x37010102, attachFilename: 0x3707001f, attachMime: 0x370e001f,
};

// ---------------------------------------------------------------------------------------------- the server child

/** The config of the server in `tmp` (what bench/common.ts benchConfig builds, for a dataDir the parent made). */
function configFor(tmp: string): Config {
  return loadConfig({
    env: {},
    cwd: tmp,
    overrides: { dataDir: tmp, log: { level: process.env.BENCH_ICS_EMSMDB_LOG ?? 'silent' }, directory: { demoUser: false }, rpc: { listen: '127.0.0.1', port: 0, epmPort: -1 } } as never,
  });
}

/** A deterministic pseudo-English text of about `chars` characters (a 400-word vocabulary, Zipf-ish choice). */
function textOf(seed: number, chars: number): string {
  let x = (seed * 2654435761) >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const parts: string[] = [];
  let n = 0;
  let sentence = 0;
  while (n < chars) {
    const w = VOCAB[Math.floor(VOCAB.length * rnd() * rnd())]!;
    const word = sentence === 0 ? w[0]!.toUpperCase() + w.slice(1) : w;
    sentence++;
    const end = sentence > 6 && rnd() < 0.15;
    const s = end ? `${word}.${rnd() < 0.2 ? '\r\n\r\n' : ' '}` : `${word} `;
    if (end) sentence = 0;
    parts.push(s);
    n += s.length;
  }
  return parts.join('');
}
const VOCAB = (() => {
  const base = ['the', 'of', 'and', 'to', 'in', 'is', 'for', 'that', 'on', 'with', 'as', 'we', 'it', 'be', 'by', 'this', 'are', 'from', 'at', 'or', 'meeting', 'report', 'invoice', 'project', 'please', 'thanks', 'regards', 'review', 'schedule', 'budget', 'customer', 'attached', 'update', 'question', 'deadline', 'team', 'quarter'];
  let x = 0x12345678;
  const out = [...base];
  while (out.length < 400) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const len = 3 + (x % 8);
    let w = '';
    for (let k = 0; k < len; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      w += 'etaoinshrdlcumwfgypbvk'[(x >>> 16) % 22];
    }
    out.push(w);
  }
  return out;
})();

/** One message of about 10 KB, through the message API. */
async function createMessage(mb: MailboxStore, fid: bigint, i: number): Promise<bigint> {
  const m = await mb.newMessage(fid);
  const hasAttach = i % 10 === 0;
  const props: { tag: number; value: PropValue }[] = [
    { tag: T.subject, value: `${['Weekly report', 'Invoice', 'Lunch on Friday', 'Re: project status', 'Budget review'][i % 5]} #${i}` },
    { tag: T.body, value: textOf(i + 1, hasAttach ? 3000 : 4500) },
    { tag: T.messageClass, value: 'IPM.Note' },
    { tag: T.importance, value: i % 3 },
    { tag: T.delivery, value: 133_000_000_000_000_000n + BigInt(i) * 600_000_000n },
    { tag: T.senderName, value: `Sender ${i % 37}` },
    { tag: T.senderEmail, value: `sender${i % 37}@example.org` },
    { tag: T.iconIndex, value: 0x100 },
  ];
  if (i % 5 === 2) props.push({ tag: T.flagStatus, value: 2 });
  await m.setProps(props);
  await m.setRecipients(
    Array.from({ length: 1 + (i % 3) }, (_, r) => ({
      rowId: r,
      props: [
        { tag: T.recipientType, value: r === 0 ? 1 : 2 },
        { tag: T.displayName, value: `Recipient ${r} of ${i % 101}` },
        { tag: T.addrType, value: 'SMTP' },
        { tag: T.emailAddress, value: `r${r}.${i % 101}@example.org` },
        { tag: T.smtpAddress, value: `r${r}.${i % 101}@example.org` },
      ],
    })),
  );
  if (hasAttach) {
    const a = await m.createAttachment();
    const data = Buffer.alloc(3000);
    for (let k = 0; k < data.length; k++) data[k] = (k * 31 + i * 7 + (k >> 5)) & 0xff;
    await a.setProps([
      { tag: T.attachMethod, value: 1 },
      { tag: T.attachFilename, value: `document${i}.pdf` },
      { tag: T.attachMime, value: 'application/pdf' },
      { tag: T.attachData, value: data },
    ]);
    await a.save();
  }
  if (i % 50 === 25) {
    const a = await m.createAttachment();
    await a.setProps([{ tag: T.attachMethod, value: 5 }, { tag: T.displayName, value: `Forwarded ${i}` }]);
    const e = await a.openEmbeddedMessage(true);
    await e.setProps([{ tag: T.subject, value: `Forwarded message ${i}` }, { tag: T.body, value: textOf(i + 7, 300) }, { tag: T.messageClass, value: 'IPM.Note' }]);
    await e.setRecipients([{ rowId: 0, props: [{ tag: T.recipientType, value: 1 }, { tag: T.displayName, value: 'Someone' }] }]);
    await e.save();
    await a.save();
  }
  const mid = await m.save();
  if (i % 2 === 0) await mb.setMessageProps(mid, [{ tag: 0x0e070003, value: 1 }]); // MSGFLAG_READ
  return mid;
}

type ChildMsg =
  | { op: 'populate'; tmp: string; folders: Array<{ name: string; n: number }> }
  | { op: 'serve'; tmp: string }
  | { op: 'modify'; fid: string; count: number }
  | { op: 'usage'; profile?: 'start' | 'stop'; name?: string; gc?: boolean }
  | { op: 'exit' };

const profiler = cpuProfiler(process.env.BENCH_ICS_EMSMDB_PROF);

async function childMain(): Promise<void> {
  const log = process.env.BENCH_ICS_EMSMDB_LOG ? createLogger({ level: process.env.BENCH_ICS_EMSMDB_LOG as 'info', destination: 2 }) : silentLogger();
  const send = (m: unknown) => process.send!(m);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let dir: ReturnType<typeof openDirectory> | undefined;
  let mbOf: (() => Promise<MailboxStore>) | undefined;
  serveChild<ChildMsg>(
    async (m) => {
      switch (m.op) {
        case 'populate': {
          const config = configFor(m.tmp);
          const d = openDirectory(config, log);
          const user = await d.addUser({ username: USER.username, password: USER.password });
          const store = createStore({ dataDir: config.dataDir, store: config.store, index: config.index });
          const mb = await store.openMailbox({ username: user.username, displayName: user.displayName, legacyDn: user.legacyExchangeDN });
          const fids: Record<string, string> = {};
          const t0 = Date.now();
          let total = 0;
          for (const f of m.folders) {
            const fid = (await mb.createFolder(mb.special.ipmSubtree, { displayName: f.name })).fid;
            for (let i = 0; i < f.n; i++) await createMessage(mb, fid, i);
            fids[f.name] = fid.toString();
            total += f.n;
          }
          const ms = Date.now() - t0;
          // the stored size of one typical message (PidTagMessageSize), for the notes
          const probe = (await mb.contentsRows(BigInt(fids[m.folders[0]!.name]!), { tags: [0x0e080003] })).slice(0, 20).map((r) => Number(r.props.get(0x0e080003) ?? 0));
          await store.close();
          await d.close();
          send({ op: 'populated', fids, dn: user.legacyExchangeDN, ms, total, msgSize: median(probe) });
          return;
        }
        case 'serve': {
          const config = configFor(m.tmp);
          dir = openDirectory(config, log);
          server = await startServer(config, log, { directory: dir });
          const user = (await dir.findUser(USER.username))!;
          const st = server.store!;
          mbOf = () => st.openMailbox({ username: user.username, displayName: user.displayName, legacyDn: user.legacyExchangeDN });
          send({ op: 'serving', port: server.ports.rpc });
          return;
        }
        case 'modify': {
          const mb = await mbOf!();
          const mids = (await mb.contentsRows(BigInt(m.fid), { tags: [] })).map((r) => r.id);
          for (let k = 0; k < m.count; k++) {
            await mb.setMessageProps(mids[Math.floor(((k + 0.5) * mids.length) / m.count)]!, [{ tag: T.subject, value: `changed ${k} at ${Date.now()}` }]);
          }
          send({ op: 'modified' });
          return;
        }
        case 'usage': {
          // BENCH_ICS_EMSMDB_PROF: a CPU profile of the timed first sync only (between its two 'usage' questions).
          // `gc`: a full GC (the server child runs with --expose-gc) after the CPU reading, for the heap still
          // reachable: asked for before the warm-up and after the last timed sync, never between timed syncs. A forced
          // GC there made the next two or three syncs of the folder 30-50% slower (optimized code embeds objects the
          // GC drops: "weak objects" deopts, then re-optimization), which no running server ever does to itself.
          if (m.profile === 'stop') await profiler.stop(`${m.name ?? 'first-sync'}-${process.pid}`);
          const c = process.cpuUsage();
          if (m.gc === true) global.gc?.();
          if (m.profile === 'start') await profiler.start();
          send({ op: 'usage', cpuUs: c.user + c.system, rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed, maxRssKb: process.resourceUsage().maxRSS });
          return;
        }
      }
    },
    async () => {
      await server?.close();
      await dir?.close();
    },
  );
}

// ---------------------------------------------------------------------------------------------- the parent side


/** VmHWM and VmRSS of a process (kB -> MB) from /proc; undefined where /proc is not there. */
function procMem(pid: number): { hwm: number; rss: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}



interface SizeResult {
  n: number;
  first: SyncResult;
  serverCpuMs: number;
  /** Wall-clock ms of each timed first sync, in run order. */
  runMs: number[];
  serverHwmMb: number;
  serverRssStartMb: number;
  /** Heap still reachable after a full GC once the sync is done, minus the same before it. */
  heapRetainedMb: number;
  clientPeakMb: number;
  inc: SyncResult[];
  incMs: number;
  /** Median CPU time of the server child / of the client per incremental sync. */
  incServerCpuMs: number;
  incClientCpuMs: number;
  /** Median server CPU between two readings 20 ms apart with nothing asked in between. */
  idleServerCpuMs: number;
  populateMs: number;
  msgSize: number;
}

async function benchSize(n: number, registry: RopRegistry): Promise<SizeResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-bench-icsrpc-'));
  const children: BenchChild[] = [];
  let client: IcsSyncClient | undefined;
  try {
    // fill the mailbox in one child process, then start the server in a fresh one on that dataDir
    const filler = new BenchChild(fileURLToPath(import.meta.url), '--ics-emsmdb-child', 'ics-emsmdb', []);
    children.push(filler);
    await filler.start();
    const pop = await filler.ask({ op: 'populate', tmp, folders: [{ name: 'Warm', n: WARM_MESSAGES }, { name: `Big ${n}`, n }] }, 'populated');
    await filler.stop();
    const fids = pop.fids as Record<string, string>;
    const server = new BenchChild(fileURLToPath(import.meta.url), '--ics-emsmdb-child', 'ics-emsmdb', ['--expose-gc']);
    children.push(server);
    await server.start();
    const port = (await server.ask({ op: 'serve', tmp }, 'serving')).port as number;
    client = (await IcsSyncClient.open(port, pop.dn as string, USER, registry, SYNC_OPTS)).client;
    // the heap baseline for "retained" (a full GC), before the warm-up rather than between it and the timed syncs
    const before = await server.ask({ op: 'usage', gc: true }, 'usage');
    // warm-up: first syncs of the 200-message folder (not counted), so that the server's paths are compiled
    for (let w = 0; w < WARM_ROUNDS; w++) {
      const warm = await client.sync(BigInt(fids.Warm!), []);
      if (warm.messages !== WARM_MESSAGES) throw new Error(`warm-up sync brought ${warm.messages} messages`);
    }
    global.gc?.();
    const startMem = procMem(server.proc.pid!);
    // the server's high-water mark from here: reset it (Linux clear_refs 5) so that it covers the timed sync only
    try {
      fs.writeFileSync(`/proc/${server.proc.pid}/clear_refs`, '5');
    } catch {
      /* not Linux: VmHWM then includes start-up and warm-up */
    }
    const fid = BigInt(fids[`Big ${n}`]!);
    let clientPeak = process.memoryUsage.rss();
    const sampler = setInterval(() => (clientPeak = Math.max(clientPeak, process.memoryUsage.rss())), 20);
    // RUNS timed first syncs, each a new synchronization context from the empty state; the median run is reported
    // (BENCH_ICS_EMSMDB_PROF: the first one is profiled)
    const runs: { sync: SyncResult; serverCpuMs: number }[] = [];
    let mem: ReturnType<typeof procMem> = undefined;
    for (let k = 0; k < RUNS; k++) {
      const b = await server.ask({ op: 'usage', ...(k === 0 ? { profile: 'start' as const } : {}) }, 'usage');
      if (k === 0) await profiler.start();
      const sync = await client.sync(fid, []);
      if (k === 0) await profiler.stop(`client-first-sync-${process.pid}`);
      const a = await server.ask({ op: 'usage', ...(k === 0 ? { profile: 'stop' as const } : {}) }, 'usage');
      if (sync.messages !== n) throw new Error(`first sync brought ${sync.messages} of ${n} messages`);
      runs.push({ sync, serverCpuMs: ((a.cpuUs as number) - (b.cpuUs as number)) / 1000 });
      if (k === 0) {
        // the peak RSS of the first timed sync (later runs are a server that has already grown to it)
        mem = procMem(server.proc.pid!);
      }
    }
    // what the syncs left reachable: a full GC after the last one
    const after = await server.ask({ op: 'usage', gc: true }, 'usage');
    const byTime = [...runs].sort((x, y) => x.sync.ms - y.sync.ms);
    const mid = byTime[Math.floor((byTime.length - 1) / 2)]!;
    const first = mid.sync;
    clearInterval(sampler);
    clientPeak = Math.max(clientPeak, process.memoryUsage.rss());

    await server.ask({ op: 'modify', fid: fid.toString(), count: 10 }, 'modified');
    const inc: SyncResult[] = [];
    await client.sync(fid, first.state); // warm-up of the incremental path
    const incServerCpu: number[] = [];
    // the server CPU between two back-to-back readings with no sync between them (IPC, timers, background threads)
    const idleCpu: number[] = [];
    for (let r = 0; r < 5; r++) {
      const c0 = (await server.ask({ op: 'usage' }, 'usage')).cpuUs as number;
      await new Promise((res) => setTimeout(res, 20));
      idleCpu.push((((await server.ask({ op: 'usage' }, 'usage')).cpuUs as number) - c0) / 1000);
    }
    for (let r = 0; r < INC_RUNS; r++) {
      // (BENCH_ICS_EMSMDB_PROF: the last run is profiled on the server)
      const prof = r === INC_RUNS - 1 ? { profile: 'start' as const } : {};
      const c0 = (await server.ask({ op: 'usage', ...prof }, 'usage')).cpuUs as number;
      const x = await client.sync(fid, first.state);
      incServerCpu.push((((await server.ask({ op: 'usage', ...(r === INC_RUNS - 1 ? { profile: 'stop' as const, name: 'incremental' } : {}) }, 'usage')).cpuUs as number) - c0) / 1000);
      if (x.messages !== 10) throw new Error(`incremental sync brought ${x.messages} changes, not 10`);
      inc.push(x);
    }
    return {
      n,
      first,
      serverCpuMs: mid.serverCpuMs,
      runMs: runs.map((x) => x.sync.ms),
      serverHwmMb: mem?.hwm ?? NaN,
      serverRssStartMb: startMem?.rss ?? NaN,
      heapRetainedMb: ((after.heapUsed as number) - (before.heapUsed as number)) / 1048576,
      clientPeakMb: clientPeak / 1048576,
      inc,
      incMs: median(inc.map((x) => x.ms)),
      incServerCpuMs: median(incServerCpu),
      incClientCpuMs: median(inc.map((x) => x.clientCpuMs)),
      idleServerCpuMs: median(idleCpu),
      populateMs: pop.ms as number,
      msgSize: pop.msgSize as number,
    };
  } finally {
    await client?.close();
    for (const c of children) await c.stop().catch(() => c.proc.kill());
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export async function benchIcsEmsmdb(): Promise<Row[]> {
  const registry = await loadRopRegistry(); // codecs only: the client encodes requests and reads responses
  const rows: Row[] = [];
  const targets: Row[] = [];
  const load0 = os.loadavg();
  for (const n of SIZES) {
    const r = await benchSize(n, registry);
    const s = r.first.ms / 1000;
    const rate = r.first.messages / s;
    const mb = r.first.streamBytes / 1048576;
    rows.push({
      name: `ICS first sync via EMSMDB, ${n.toLocaleString('en-US')} msgs (loopback, PKT_PRIVACY, ${PUL_FLAGS & 0x1 ? 'no LZ77' : 'LZ77'}${PUL_FLAGS & 0x2 ? '' : '+XOR'})`,
      value: Math.round(rate),
      unit: 'msgs/s',
      notes:
        `${r2(mb / s)} MB/s stream (${r2(mb)} MB in ${r2(r.first.ms)} ms wall; ${r2(r.first.wireBytes / 1048576)} MB rgbOut), ` +
        `${r.first.calls} EcDoRpcExt2 / ${r.first.getBuffers} GetBuffer; CPU server ${Math.round(r.serverCpuMs)} ms + client ${Math.round(r.first.clientCpuMs)} ms ` +
        `(${Math.round(r.first.messages / ((r.serverCpuMs + r.first.clientCpuMs) / 1000))} msgs per CPU s, server alone ${Math.round(r.first.messages / (r.serverCpuMs / 1000))}); ` +
        `stored message ~${r.msgSize} B; median of ${r.runMs.length} runs (ms in run order: ${r.runMs.map((x) => Math.round(x)).join(', ')})`,
    });
    rows.push({
      name: `ICS first sync via EMSMDB, ${n.toLocaleString('en-US')} msgs: server peak RSS`,
      value: r2(r.serverHwmMb),
      unit: 'MB',
      notes: `server child VmHWM over the timed sync (${r2(r.serverRssStartMb)} MB before it, after start-up + ${WARM_ROUNDS} warm-up syncs of ${WARM_MESSAGES} msgs; the first of the ${r.runMs.length} timed syncs; heap retained by warm-up and timed syncs, full GC before and after, ${r2(r.heapRetainedMb)} MB); client process peak ${r2(r.clientPeakMb)} MB, together <= ${r2(r.serverHwmMb + r.clientPeakMb)} MB`,
    });
    const incs = r.inc.map((x) => x.ms).sort((a, b) => a - b);
    rows.push({
      name: `ICS incremental sync via EMSMDB, 10 changes in ${n.toLocaleString('en-US')}`,
      value: r2(r.incMs),
      unit: 'ms',
      notes: `open folder + Configure + state upload + GetBuffer to Done, ${r.inc[0]!.calls} EcDoRpcExt2; median of ${incs.length} (${r2(incs[0]!)}-${r2(incs[incs.length - 1]!)}), CPU server ${r2(r.incServerCpuMs)} ms + client ${r2(r.incClientCpuMs)} ms (medians; the server's reading pair alone, 20 ms apart, ${r2(r.idleServerCpuMs)} ms); ${r.inc[0]!.streamBytes} B stream, state ${r.first.state.reduce((a, x) => a + x.data.length, 0)} B`,
    });
    targets.push({ name: `target: first sync ${n.toLocaleString('en-US')} msgs >= ${TARGET_RATE.toLocaleString('en-US')} msgs/s`, value: rate >= TARGET_RATE ? 'MET' : 'NOT MET', unit: '', notes: `${Math.round(rate)} msgs/s wall-clock` });
    if (n >= 10_000) {
      targets.push({ name: `target: peak RSS ${n.toLocaleString('en-US')} msgs < ${TARGET_RSS_MB} MB`, value: r.serverHwmMb < TARGET_RSS_MB ? 'MET' : 'NOT MET', unit: '', notes: `server ${r2(r.serverHwmMb)} MB (client ${r2(r.clientPeakMb)} MB, in its own process)` });
      targets.push({ name: `target: incremental 10 of ${n.toLocaleString('en-US')} < ${TARGET_INC_MS} ms`, value: r.incMs < TARGET_INC_MS ? 'MET' : 'NOT MET', unit: '', notes: `${r2(r.incMs)} ms median over EMSMDB` });
    }
  }
  const load1 = os.loadavg();
  rows.push(...targets);
  rows.push({ name: 'ics-emsmdb machine load', value: r2(Math.max(load0[0]!, load1[0]!)), unit: 'loadavg 1 min', notes: `${os.cpus().length} cores; load average before ${load0.map(r2).join('/')}, after ${load1.map(r2).join('/')}` });
  return rows;
}

if (process.argv[2] === '--ics-emsmdb-child') {
  void childMain();
} else if (process.argv[1] && /ics-emsmdb\.[jt]s$/.test(process.argv[1])) {
  // standalone: node dist/bench/ics-emsmdb.js
  benchIcsEmsmdb().then(
    (rows) => {
      for (const r of rows) console.log(`${r.name}: ${r.value} ${r.unit}${r.notes ? ` (${r.notes})` : ''}`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
