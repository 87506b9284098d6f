// Closed-loop load for bench/run.ts: sealed DCE/RPC calls through our client, or a raw TCP echo of the same sizes;
// run in this process (beside the server) or in a child process (bench/run.js --load-worker).
import { fork } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { RpcClient, type RpcClientAuth } from '../src/dcerpc/client.js';
import { MGMT } from '../src/dcerpc/well-known.js';

export const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
export const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
export const USER = { username: 'bench', password: 'Bench-Passw0rd!', domain: 'BENCH' };
export const SEALED_AUTH: RpcClientAuth = { type: 10, level: 6, ...USER };

export interface LoadJob {
  kind: 'sealed' | 'raw';
  port: number;
  conns: number;
  /** raw only: bytes per request and per response */
  reqSize: number;
  respSize: number;
}

export interface LoadResult {
  calls: number;
  seconds: number;
  /** CPU time (user + system) of the load generator's process during the window, in microseconds. */
  loadCpuUs: number;
  /** The same for the server's process (equal to loadCpuUs when they are one process). */
  serverCpuUs?: number;
  /** CPU time the whole machine was busy during the window (all processes), in microseconds. */
  machineCpuUs?: number;
}

/** Tells the server's process where the measured window starts and ends (it samples its CPU time there). */
export type Mark = (phase: 'start' | 'end') => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const cpuTotal = (u: NodeJS.CpuUsage) => u.user + u.system;
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

/**
 * Runs `conns` closed loops (each sends its next call as soon as the previous answer arrived; one promise per call
 * for both kinds); counts completed calls between warm-up end and the end of the window.
 */
async function closedLoop(conns: number, open: () => Promise<() => Promise<unknown>>, mark: Mark): Promise<LoadResult> {
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

export async function runLoad(job: LoadJob, mark: Mark): Promise<LoadResult> {
  if (job.kind === 'sealed') {
    const clients: RpcClient[] = [];
    const empty = Buffer.alloc(0);
    const r = await closedLoop(
      job.conns,
      async () => {
        const c = await RpcClient.connect({ host: '127.0.0.1', port: job.port, auth: SEALED_AUTH });
        clients.push(c);
        await c.bind(MGMT);
        return () => c.call(0, empty); // mgmt inq_if_ids
      },
      mark,
    );
    await Promise.all(clients.map((c) => c.close()));
    return r;
  }
  const sockets: net.Socket[] = [];
  const req = Buffer.alloc(job.reqSize, 0x5a);
  const r = await closedLoop(
    job.conns,
    async () => {
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
    },
    mark,
  );
  for (const s of sockets) s.destroy();
  return r;
}

/** Raw TCP "echo": answers every reqSize bytes received with respSize bytes. */
export async function startRawServer(reqSize: number, respSize: number): Promise<{ port: number; close(): Promise<void> }> {
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
export async function inProcess(job: LoadJob): Promise<LoadResult> {
  const w = cpuWindow();
  const r = await runLoad(job, (phase) => w.mark(phase));
  return { ...r, ...w.out };
}

/** In a child process (bench/run.js --load-worker): the server's own CPU time is measured apart. */
export function inChild(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./run.js', import.meta.url)), ['--load-worker'], {
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

/** The child's side of inChild. */
export function loadWorker(): void {
  process.once('message', (job) => {
    runLoad(job as LoadJob, (phase) => process.send!({ phase })).then(
      (r) => process.send!(r, () => process.exit(0)),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
