// `npm run bench`: NDR throughput, sealed DCE/RPC round trips against a real in-process server, and a raw-TCP
// echo baseline with the same message sizes, printed as one table. Closed-loop load: every connection sends its
// next call as soon as the previous answer arrived; calls are counted over a fixed window after a warm-up.
//
// Where the load runs: first in the server's process, then in a child process (this file, forked with
// --load-worker), where the server's CPU time per call can be read on its own. On 2 cores neither isolates the
// server: the sealed client does the same per-PDU work as the server (seal, unseal, two HMAC-MD5s), so throughput
// is bounded by client + server CPU either way. In one process the two share an event loop and batch well, and
// as client and server costs are alike on both sides, the calls/s ratio follows the server's CPU ratio: that is
// the ratio checked against the target. In two processes the sealed client is the bottleneck, the server wakes
// for 1-2 calls at a time (the raw echo server for about 12) and pays the wake-up costs per call, so that ratio
// comes out lower; it is printed for comparison. The "server path" row measures the server's own cost without
// sockets (PDUs fed to an RpcConnection), which other load on the machine disturbs least.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNtlmClient, createNtlmServer } from '../src/auth/index.js';
import { ntHash } from '../src/auth/md4.js';
import { loadConfig } from '../src/config/load.js';
import { buildAuth3, buildBind, NDR20, syntax } from '../src/dcerpc/client-pdus.js';
import { RpcClient, type RpcClientAuth } from '../src/dcerpc/client.js';
import { pduChannel, type RpcTransport } from '../src/dcerpc/connection.js';
import { AUTHN, AUTHN_LEVEL, PFC, PTYPE } from '../src/dcerpc/constants.js';
import { assemblePdu, encodeRequestPrefix, parsePdu } from '../src/dcerpc/pdu.js';
import { RpcServer } from '../src/dcerpc/server.js';
import { MGMT } from '../src/dcerpc/well-known.js';
import { createMgmtInterface } from '../src/epm/mgmt.js';
import { openDirectory } from '../src/directory/builtin.js';
import { startServer } from '../src/server.js';
import { silentLogger } from '../src/util/log.js';
import { benchNdr } from './ndr.js';

const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const USER = { username: 'bench', password: 'Bench-Passw0rd!', domain: 'BENCH' };
const SEALED_AUTH: RpcClientAuth = { type: 10, level: 6, ...USER };

interface LoadJob {
  kind: 'sealed' | 'raw';
  port: number;
  conns: number;
  /** raw only: bytes per request and per response */
  reqSize: number;
  respSize: number;
}
interface LoadResult {
  calls: number;
  seconds: number;
  /** CPU time (user + system) of the load generator's process during the window, in microseconds. */
  loadCpuUs: number;
  /** The same for the server's process (equal to loadCpuUs when they are one process). */
  serverCpuUs?: number;
  /** CPU time the whole machine was busy during the window (all processes), in microseconds. */
  machineCpuUs?: number;
}
interface Row {
  name: string;
  value: number | string;
  unit: string;
  notes: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuTotal = (u: NodeJS.CpuUsage) => u.user + u.system;
/** Busy CPU time of the whole machine so far (all cores, all processes), in microseconds. */
const machineBusyUs = () => os.cpus().reduce((t, c) => t + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0) * 1000;

/** Samples this process's and the machine's CPU time between a start and an end mark. */
function cpuWindow() {
  let p0: NodeJS.CpuUsage | null = null;
  let m0 = 0;
  const out = { serverCpuUs: 0, machineCpuUs: 0 };
  return {
    out,
    mark(phase: 'start' | 'end') {
      if (phase === 'start') {
        p0 = process.cpuUsage();
        m0 = machineBusyUs();
      } else if (p0) {
        out.serverCpuUs = cpuTotal(process.cpuUsage(p0));
        out.machineCpuUs = machineBusyUs() - m0;
      }
    },
  };
}

/** Runs `conns` closed loops; counts completed calls between warm-up end and the end of the window. */
async function closedLoop(conns: number, open: () => Promise<() => Promise<void>>, mark: Mark): Promise<LoadResult> {
  const calls = await Promise.all(Array.from({ length: conns }, open));
  let count = 0;
  let stop = false;
  const loops = calls.map(async (call) => {
    while (!stop) {
      await call();
      count++;
    }
  });
  await sleep(WARMUP_MS);
  mark('start');
  const cpu0 = process.cpuUsage();
  const c0 = count;
  const t0 = performance.now();
  await sleep(DURATION_MS);
  const c1 = count;
  const seconds = (performance.now() - t0) / 1000;
  const loadCpuUs = cpuTotal(process.cpuUsage(cpu0));
  mark('end');
  stop = true;
  await Promise.all(loops);
  return { calls: c1 - c0, seconds, loadCpuUs };
}

/** Tells the server's process where the measured window starts and ends (it samples its CPU time there). */
type Mark = (phase: 'start' | 'end') => void;

async function runLoad(job: LoadJob, mark: Mark): Promise<LoadResult> {
  if (job.kind === 'sealed') {
    const clients: RpcClient[] = [];
    const r = await closedLoop(job.conns, async () => {
      const c = await RpcClient.connect({ host: '127.0.0.1', port: job.port, auth: SEALED_AUTH });
      clients.push(c);
      await c.bind(MGMT);
      const empty = Buffer.alloc(0);
      return async () => {
        await c.call(0, empty); // mgmt inq_if_ids
      };
    }, mark);
    await Promise.all(clients.map((c) => c.close()));
    return r;
  }
  const sockets: net.Socket[] = [];
  const req = Buffer.alloc(job.reqSize, 0x5a);
  const r = await closedLoop(job.conns, async () => {
    const s = net.connect({ host: '127.0.0.1', port: job.port, noDelay: true });
    await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
    sockets.push(s);
    let got = 0;
    let wake: (() => void) | null = null;
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= job.respSize && wake) {
        got -= job.respSize;
        const w = wake;
        wake = null;
        w();
      }
    });
    return () =>
      new Promise<void>((res) => {
        wake = res;
        s.write(req);
      });
  }, mark);
  for (const s of sockets) s.destroy();
  return r;
}

/** Raw TCP "echo": answers every reqSize bytes received with respSize bytes. */
async function startRawServer(reqSize: number, respSize: number): Promise<{ port: number; close(): Promise<void> }> {
  const resp = Buffer.alloc(respSize, 0xa5);
  const sockets = new Set<net.Socket>();
  const srv = net.createServer({ noDelay: true }, (s) => {
    sockets.add(s);
    let pending = 0;
    s.on('data', (d: Buffer) => {
      pending += d.length;
      while (pending >= reqSize) {
        pending -= reqSize;
        s.write(resp);
      }
    });
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

/** In this process: the CPU time measured covers server and load generator together. */
async function inProcess(job: LoadJob): Promise<LoadResult> {
  const w = cpuWindow();
  const r = await runLoad(job, (phase) => w.mark(phase));
  return { ...r, ...w.out };
}

function inChild(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load-worker'], {
      // not the parent's flags (node --cpu-prof profiles the server only); BENCH_CHILD_EXECARGV profiles the load
      execArgv: process.env.BENCH_CHILD_EXECARGV ? process.env.BENCH_CHILD_EXECARGV.split(' ') : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const w = cpuWindow();
    child.on('message', (m: LoadResult | { phase: 'start' | 'end' }) => {
      if ('phase' in m) w.mark(m.phase);
      else resolve({ ...m, ...w.out });
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
    child.send(job);
  });
}

/** Sizes of one sealed mgmt inq_if_ids request and response PDU, as the server sees them. */
async function measurePduSizes(port: number): Promise<{ req: number; resp: number }> {
  const c = await RpcClient.connect({ host: '127.0.0.1', port, auth: SEALED_AUTH });
  await c.bind(MGMT);
  const sizes = { req: 0, resp: 0 };
  const listen = (m: unknown) => {
    const { direction, pdu } = m as { direction: 'in' | 'out'; pdu: Buffer };
    if (pdu[2] === 0) sizes.req = pdu.length;
    if (pdu[2] === 2 && direction === 'out') sizes.resp = pdu.length;
  };
  pduChannel.subscribe(listen);
  await c.call(0, Buffer.alloc(0));
  pduChannel.unsubscribe(listen);
  await c.close();
  return sizes;
}

/**
 * Server CPU time of one sealed mgmt inq_if_ids call without sockets: sealed request PDUs fed to an RpcConnection
 * (real NTLM acceptor, mgmt interface), responses collected by a fake transport. Batches of 1000 calls; returns
 * the fastest batch (the least disturbed by other processes) and the median.
 */
async function measureServerPath(): Promise<{ min: number; median: number }> {
  const log = silentLogger();
  const identity = { netbiosName: 'BENCH', netbiosDomain: 'BENCH', dnsHostName: 'bench.test', dnsDomainName: 'test' };
  const accept = { identity, lookup: async (u: string) => ({ username: u, ntHash: ntHash(USER.password) }), policy: { allowNtlmV1: false, maxClockSkewSeconds: 0 }, log };
  const rpc = new RpcServer({
    log,
    authenticators: (t) => (t === AUTHN.RPC_C_AUTHN_WINNT ? createNtlmServer(accept) : null),
    limits: { maxFragmentSize: 5840, maxRequestSize: 1 << 20, maxCallsPerConnection: 2000 },
    maxConnections: 1,
    maxAssociationGroups: 1,
    idleTimeoutSeconds: 0,
  });
  rpc.registry.register(createMgmtInterface({ registry: rpc.registry, stats: () => rpc.stats, principalName: 'BENCH$' }));
  let written: Buffer[] = [];
  const transport: RpcTransport = {
    info: { cid: 0, transport: 'ncacn_ip_tcp', peerAddress: '127.0.0.1', peerPort: 1, localAddress: '127.0.0.1', localPort: 2 },
    secondaryAddress: '2',
    write: (b) => written.push(b),
    close: () => {},
  };
  const conn = rpc.attach(transport)!;
  const client = createNtlmClient({ ...USER, seal: true, sign: true });
  const level = AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
  const mgmtCtx = [{ p_cont_id: 0, abstract_syntax: syntax(MGMT.uuid, MGMT.major, MGMT.minor), transfer_syntaxes: [NDR20] }];
  conn.receive(buildBind({ callId: 1, contexts: mgmtCtx, auth: { type: 10, level, token: (await client.step(null)).token! } }));
  await conn.drained;
  const ack = parsePdu(written.shift()!);
  const token = (await client.step(ack.kind === 'bind_ack' ? (ack.auth?.auth_value ?? null) : null)).token!;
  conn.receive(buildAuth3(1, { type: 10, level, token }));
  await conn.drained;
  const sec = client.security!;
  let callId = 2;
  const request = () => {
    const pdu = assemblePdu({ PTYPE: PTYPE.request, pfc_flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, call_id: callId++ }, encodeRequestPrefix(0, 0, 0), {
      trailer: { auth_type: 10, auth_level: level, auth_pad_length: 0, auth_context_id: 0 },
      value: 16,
    });
    sec.seal(pdu.subarray(24, 24), pdu.subarray(0, pdu.length - 16)).copy(pdu, pdu.length - 16);
    return pdu;
  };
  const batch = async (n: number): Promise<number> => {
    const pdus = Array.from({ length: n }, request);
    const cpu0 = process.cpuUsage();
    for (const p of pdus) conn.receive(p);
    await conn.drained;
    while (written.length < n) await new Promise((r) => setImmediate(r));
    const us = cpuTotal(process.cpuUsage(cpu0)) / n;
    for (const w of written) {
      const r = parsePdu(w);
      if (r.kind !== 'response' || !r.auth) throw new Error(`server path: ${r.kind} instead of a sealed response`);
      sec.unseal(r.raw.subarray(r.stubOffset, r.auth.trailerOffset), r.raw.subarray(0, r.auth.trailerOffset + 8), r.auth.auth_value);
    }
    written = [];
    return us;
  };
  for (let i = 0; i < 10; i++) await batch(1000);
  const runs: number[] = [];
  for (let i = 0; i < 30; i++) runs.push(await batch(1000));
  conn.close();
  runs.sort((a, b) => a - b);
  return { min: Math.round(runs[0]! * 10) / 10, median: Math.round(runs[15]! * 10) / 10 };
}

function fmt(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
}

function printTable(rows: Row[]): void {
  const head = ['benchmark', 'value', 'unit', 'notes'];
  const cells = rows.map((r) => [r.name, fmt(r.value), r.unit, r.notes]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => c.map((x, i) => (i === 1 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(' | ').trimEnd();
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('-|-'));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY; // e.g. "sealed-50" while profiling
  const rows: Row[] = [];
  if (!only) {
    for (const r of await benchNdr()) rows.push({ ...r, notes: r.unit === 'MB/s' ? '100 rows x 10 props, 1 s after warm-up' : '' });
  }

  if (!only || only.split(',').includes('server-path')) {
    const sp = await measureServerPath();
    rows.push({
      name: 'server path, sealed mgmt inq_if_ids, no sockets',
      value: sp.min,
      unit: 'us CPU/call',
      notes: `fastest of 30 batches of 1000 (median ${sp.median}): parse, unseal, dispatch, NDR, seal; no kernel`,
    });
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-bench-'));
  const config = loadConfig({
    env: {},
    cwd: tmp,
    overrides: { dataDir: tmp, log: { level: 'silent' }, directory: { demoUser: false }, rpc: { listen: '127.0.0.1', port: 0, epmPort: -1 } },
  });
  const log = silentLogger();
  const dir = openDirectory(config, log);
  await dir.addUser({ username: USER.username, password: USER.password });
  const server = await startServer(config, log, { directory: dir });
  const sizes = await measurePduSizes(server.ports.rpc);
  const raw = await startRawServer(sizes.req, sizes.resp);
  const window = `${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up`;

  const rate = (r: LoadResult) => Math.round(r.calls / r.seconds);
  const results = new Map<string, number>();
  const cpuPerCall = new Map<string, number>();
  let otherLoad = 0;
  const plan: Array<{ key: string; kind: LoadJob['kind']; conns: number; child: boolean }> = [];
  for (const child of [false, true]) {
    for (const conns of [1, 50]) {
      plan.push({ key: `sealed-${conns}${child ? '' : '-inproc'}`, kind: 'sealed', conns, child });
      plan.push({ key: `raw-${conns}${child ? '' : '-inproc'}`, kind: 'raw', conns, child });
    }
  }
  try {
    for (const p of plan) {
      if (only && !only.split(',').includes(p.key)) continue;
      const job: LoadJob = { kind: p.kind, port: p.kind === 'sealed' ? server.ports.rpc : raw.port, conns: p.conns, reqSize: sizes.req, respSize: sizes.resp };
      const r = p.child ? await inChild(job) : await inProcess(job);
      results.set(p.key, rate(r));
      const what =
        p.kind === 'sealed'
          ? `sealed mgmt inq_if_ids (NTLM, PKT_PRIVACY), ${p.conns} conn${p.conns > 1 ? 's' : ''}`
          : `raw TCP echo ${sizes.req} B -> ${sizes.resp} B, ${p.conns} conn${p.conns > 1 ? 's' : ''}`;
      const perCall = (us: number | undefined) => Math.round((us ?? 0) / Math.max(1, r.calls));
      const cpu = p.child
        ? `server ${perCall(r.serverCpuUs)} + client ${perCall(r.loadCpuUs)} us CPU/call`
        : `server+client ${perCall(r.serverCpuUs)} us CPU/call`;
      const others = ((r.machineCpuUs ?? 0) - (r.serverCpuUs ?? 0) - (p.child ? r.loadCpuUs : 0)) / (r.seconds * 1e6);
      otherLoad = Math.max(otherLoad, others);
      cpuPerCall.set(p.key, perCall(r.serverCpuUs));
      rows.push({
        name: what + (p.child ? '' : ' (in-process)'),
        value: rate(r),
        unit: 'calls/s',
        notes: `${p.child ? 'load in a child process' : 'load in the server process'}; ${cpu}; other processes ${others.toFixed(1)} cores`,
      });
    }
  } finally {
    await raw.close();
    await server.close();
    await dir.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  rows.push({ name: 'sealed request PDU size', value: sizes.req, unit: 'bytes', notes: 'empty stub + sec_trailer + 16-byte NTLM signature' });
  rows.push({ name: 'sealed response PDU size', value: sizes.resp, unit: 'bytes', notes: 'what the raw echo baseline exchanges too' });
  for (const suffix of ['-inproc', '']) {
    const s = results.get(`sealed-50${suffix}`);
    const r = results.get(`raw-50${suffix}`);
    if (s === undefined || r === undefined) continue;
    const ratio = s / r;
    const target =
      suffix === '-inproc'
        ? `target >= 0.5: ${ratio >= 0.5 ? 'MET' : 'NOT MET'} (load in the server process: see the header of bench/run.ts)`
        : 'for comparison: the sealed client process is the bottleneck here';
    rows.push({ name: `sealed / raw, 50 conns${suffix ? ' (in-process)' : ''}`, value: Math.round(ratio * 100) / 100, unit: 'ratio', notes: target });
    const sc = cpuPerCall.get(`sealed-50${suffix}`);
    const rc = cpuPerCall.get(`raw-50${suffix}`);
    if (suffix === '' && sc && rc) {
      rows.push({
        name: 'raw / sealed server CPU per call, 50 conns',
        value: Math.round((rc / sc) * 100) / 100,
        unit: 'ratio',
        notes: 'server process CPU only (load in a child process), wake-up costs included',
      });
    }
  }
  rows.push({
    name: 'machine',
    value: os.cpus().length,
    unit: 'cores',
    notes: `${process.version}; ${window}; up to ${otherLoad.toFixed(1)} cores busy with other processes during a run`,
  });
  printTable(rows);
}

if (process.argv[2] === '--load-worker') {
  process.once('message', (job) => {
    runLoad(job as LoadJob, (phase) => process.send!({ phase })).then(
      (r) => process.send!(r, () => process.exit(0)),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
} else {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
