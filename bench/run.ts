// `npm run bench`: NDR throughput, crypto, LZ77 (bench/lz77.ts, with issue 4's MB/s targets as MET / NOT MET rows),
// the NSPI address book at 50,000 entries (bench/nsp.ts, with issue 3's targets as MET / NOT MET rows), the ROP engine
// (bench/rop-real.ts in-process ROPs/s and RopQueryRows rows/s, bench/rop.ts EcDoRpcExt2 over loopback, bench/table.ts
// the table engine; issue 4's targets as MET / NOT MET rows), RPC over HTTPS against direct TCP (bench/rpch.ts: bulk
// NspiQueryRows download ratio and 200 concurrent virtual connections, issue 5's target as a MET / NOT MET row), sealed
// DCE/RPC round trips against a real in-process server, and a raw-TCP echo baseline with the same message sizes,
// printed as one table. BENCH_ONLY=nsp,lz77,ndr,rpc (any of ndr, crypto, server-path, lz77, nsp, rop, rpch, stream, notify, idset, ics, ics-emsmdb, imap-emsmdb, rpc)
// runs some sections only. Closed-loop load (bench/load.ts): every
// connection sends its next call as soon as the previous answer arrived, with one promise per call for both kinds;
// calls are counted over a window after a warm-up.
//
// Where the load runs: first in the server's process, then in a child process (this file, forked with
// --load-worker), where the server's CPU time per call can be read on its own. On 2 cores neither isolates the
// server: the sealed client does the same per-PDU work as the server (seal, unseal, two HMAC-MD5s), so throughput
// is bounded by client + server CPU either way. In one process the two share an event loop and batch well, and
// as client and server costs are alike on both sides, the calls/s ratio follows the server's CPU ratio. In two
// processes each side also pays the wake-ups of the other. The target (sealed >= 0.5 x raw with 50 connections)
// is checked in both. The "server path" row measures the server's own cost without sockets (PDUs fed to an
// RpcConnection), which other load on the machine disturbs least.
//
// Methodology for the 50-connection rows: BENCH_ROUNDS rounds (default 5) of one sealed and one raw run, in
// alternating order (sealed first, then raw first, ...), each a fresh load with a 2 s window after its own 1 s
// warm-up (BENCH_DURATION_MS, BENCH_WARMUP_MS). The ratio is the median of the per-round ratios: the two runs of a
// round are adjacent in time, so a slow spell on a shared machine (other VMs on the host show up as a run 30-50%
// slower than its neighbours) moves both or shows up as one outlier round, rather than deciding the result as the
// single 3 s sealed window against the single raw one of the previous version did. calls/s are the median of the
// rounds, with their range in the notes (BENCH_VERBOSE=1 prints every run). The sealed loop now awaits the client's
// promise directly, one promise per call like the raw loop (it used to add an async wrapper per call). The
// measured work is unchanged: full NTLM sign + seal and verification both ways over loopback TCP, the same sizes
// and connection counts for the raw baseline.
import fs from 'node:fs';
import os from 'node:os';
import { RpcClient } from '../src/dcerpc/client.js';
import { pduChannel } from '../src/dcerpc/connection.js';
import { MGMT } from '../src/dcerpc/well-known.js';
import { openDirectory } from '../src/directory/builtin.js';
import { startServer } from '../src/server.js';
import { silentLogger } from '../src/util/log.js';
import { DURATION_MS, inChild, inProcess, loadWorker, SEALED_AUTH, startRawServer, USER, WARMUP_MS, type LoadJob, type LoadResult } from './load.js';
import { benchCrypto } from './crypto.js';
import { benchLz77 } from './lz77.js';
import { benchNdr } from './ndr.js';
import { benchNsp } from './nsp.js';
import { benchRop } from './rop.js';
import { benchRopReal } from './rop-real.js';
import { benchRpch } from './rpch.js';
import { benchStream } from './stream.js';
import { benchTable } from './table.js';
import { benchNotify } from './notify.js';
import { benchIdset } from './idset.js';
import { benchIcsDownload } from './ics-download.js';
import { benchIcsEmsmdb } from './ics-emsmdb.js';
import { benchImapEmsmdb } from './imap-emsmdb.js';
import { measureServerPath } from './server-path.js';
import { benchConfig, median, r2 } from './common.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));

interface Row {
  name: string;
  value: number | string;
  unit: string;
  notes: string;
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

/** Issue 3's targets, read from benchNsp's rows (by name), as MET / NOT MET rows. */
function nspTargets(nsp: Row[]): Row[] {
  const find = (prefix: string) => nsp.find((r) => r.name.startsWith(prefix));
  const load = find('NSPI address book load');
  const p50 = find('NspiResolveNamesW p50 (loopback, PKT_PRIVACY)');
  const out: Row[] = [];
  if (load && typeof load.value === 'number') {
    out.push({ name: 'target: address book load < 2 s', value: load.value < 2000 ? 'MET' : 'NOT MET', unit: '', notes: `${load.value} ms CPU, ${load.name.replace(/^NSPI address book load \((.*)\)$/, '$1')}, directory in memory` });
  }
  if (p50 && typeof p50.value === 'number') {
    out.push({ name: 'target: NspiResolveNamesW p50 < 2 ms (loopback, PKT_PRIVACY)', value: p50.value < 2 ? 'MET' : 'NOT MET', unit: '', notes: `${p50.value} ms (p99 ${find('NspiResolveNamesW p99 (loopback, PKT_PRIVACY)')?.value ?? '?'} ms)` });
  }
  return out;
}

/** Issue 4's LZ77 targets, read from benchLz77's rows (by name), as MET / NOT MET rows. */
function lz77Targets(lz: Row[]): Row[] {
  const out: Row[] = [];
  const ratio = lz.find((r) => r.name.startsWith('lz77 compressed / uncompressed'))?.value;
  for (const [prefix, what, min] of [['lz77 compress', 'compress', 100], ['lz77 decompress', 'decompress', 300]] as const) {
    const r = lz.find((x) => x.name.startsWith(prefix));
    if (!r || typeof r.value !== 'number') continue;
    out.push({ name: `target: LZ77 ${what} >= ${min} MB/s`, value: r.value >= min ? 'MET' : 'NOT MET', unit: '', notes: `${r.value} MB/s on CPU time (median)${what === 'compress' ? `, ratio ${ratio ?? '?'}` : ''}` });
  }
  return out;
}

/** Issue 4's ROP targets, read from the rop section's rows (by name), as MET / NOT MET rows. */
function ropTargets(rop: Row[]): Row[] {
  const find = (prefix: string) => rop.find((r) => r.name.startsWith(prefix));
  const rops = find('ROPs/s in-process');
  const p50 = find('EcDoRpcExt2 p50');
  const out: Row[] = [];
  if (rops && typeof rops.value === 'number') {
    out.push({ name: 'target: ROPs/s in-process >= 50,000', value: rops.value >= 50_000 ? 'MET' : 'NOT MET', unit: '', notes: `${fmt(rops.value)} ROPs/s per CPU second (one core), 20 RopGetPropertiesSpecific per buffer` });
  }
  if (p50 && typeof p50.value === 'number') {
    out.push({ name: 'target: EcDoRpcExt2 p50 < 1 ms (20 ROPs)', value: p50.value < 1 ? 'MET' : 'NOT MET', unit: '', notes: `${p50.value} ms (p99 ${find('EcDoRpcExt2 p99')?.value ?? '?'} ms), loopback, PKT_PRIVACY, LZ77+XOR` });
  }
  return out;
}

async function main(): Promise<void> {
  // BENCH_ONLY selects sections (ndr, crypto, server-path, rpc, nsp, lz77, rop, rpch) or single RPC runs (e.g.
  // "sealed-50" while profiling); BENCH_VERBOSE=1 prints each RPC run
  const only = process.env.BENCH_ONLY?.split(',').map((x) => x.trim());
  const want = (section: string) => !only || only.includes(section);
  const rows: Row[] = [];
  if (want('ndr')) {
    const ndrNotes: Record<string, string> = { 'MB/s': '100 rows x 10 props, 1 s after warm-up', ns: 'per encode, 1 s after warm-up' };
    for (const r of await benchNdr()) rows.push({ ...r, notes: ndrNotes[r.unit] ?? '' });
  }

  if (want('crypto')) rows.push(...benchCrypto());

  if (want('server-path')) {
    const sp = await measureServerPath();
    rows.push({
      name: 'server path, sealed mgmt inq_if_ids, no sockets',
      value: sp.min,
      unit: 'us CPU/call',
      notes: `fastest of 30 batches of 1000 (median ${sp.median}): parse, unseal, dispatch, NDR, seal; no kernel`,
    });
  }

  if (want('lz77')) {
    const lz = (await benchLz77()).map((r) => ({ ...r, notes: r.notes ?? '' }));
    rows.push(...lz, ...lz77Targets(lz));
  }

  if (want('nsp')) {
    const nsp = await benchNsp();
    rows.push(...nsp, ...nspTargets(nsp));
  }

  if (want('rop')) {
    const rop: Row[] = [...(await benchRopReal()), ...(await benchRop()), ...(await benchTable())].map((r) => ({ ...r, notes: r.notes ?? '' }));
    rows.push(...rop, ...ropTargets(rop));
  }

  // RPC over HTTPS (issue 5): its rows include the MET / NOT MET target row
  if (want('rpch')) rows.push(...(await benchRpch()).map((r) => ({ ...r, notes: r.notes ?? '' })));

  // issue 6: a 25 MB attachment through RopReadStream against raw sealed calls of the same sizes (bench/stream.ts);
  // its rows include the MET / NOT MET target row
  if (want('stream')) rows.push(...(await benchStream()));

  // notification latency with 100 sessions (issue 6, bench/notify.ts); after the stream section, whose CPU-time
  // ratio is disturbed by the heap the 100 sessions leave behind
  if (want('notify')) rows.push(...(await benchNotify()).map((r) => ({ ...r, notes: r.notes ?? '' })));

  // issue 7: ICS state codec, GLOBSET/IDSET encode and decode (bench/idset.ts)
  if (want('idset')) rows.push(...(await benchIdset()));

  // issue 7: ICS download, first sync of 10,000 messages and an incremental sync of 10 changes (bench/ics-download.ts)
  if (want('ics')) rows.push(...(await benchIcsDownload()));

  // issue 7: the same first sync (1,000 and 10,000 messages) and incremental sync through EMSMDB over loopback at
  // PKT_PRIVACY with LZ77 + XOR, the server in a child process (bench/ics-emsmdb.ts)
  if (want('ics-emsmdb')) rows.push(...(await benchIcsEmsmdb()));

  // issue 8: the IMAP backend: raw FETCH, first mirror, first and incremental cached-mode sync (bench/imap-emsmdb.ts)
  if (want('imap-emsmdb')) rows.push(...(await benchImapEmsmdb()));

  const runRpc = (key: string) => !only || only.includes('rpc') || only.includes(key);
  const rpcWanted = !only || only.some((k) => k === 'rpc' || /^(sealed|raw)-\d+/.test(k));
  if (!rpcWanted) {
    rows.push({ name: 'machine', value: os.cpus().length, unit: 'cores', notes: process.version });
    printTable(rows);
    return;
  }

  const { tmp, config } = benchConfig('ocng-bench-');
  const log = silentLogger();
  const dir = openDirectory(config, log);
  await dir.addUser({ username: USER.username, password: USER.password });
  const server = await startServer(config, log, { directory: dir });
  const sizes = await measurePduSizes(server.ports.rpc);
  const raw = await startRawServer(sizes.req, sizes.resp);

  // One entry per configuration (kind, connections, where the load runs), with the result of each of its runs.
  const runs = new Map<string, { kind: LoadJob['kind']; conns: number; child: boolean; results: LoadResult[] }>();
  const plan: string[] = [];
  for (const child of [false, true]) {
    const key = (kind: string, conns: number) => `${kind}-${conns}${child ? '' : '-inproc'}`;
    for (const conns of [1, 50]) {
      for (const kind of ['sealed', 'raw'] as const) runs.set(key(kind, conns), { kind, conns, child, results: [] });
    }
    plan.push(key('sealed', 1), key('raw', 1));
    for (let r = 0; r < ROUNDS; r++) plan.push(...(r % 2 ? [key('raw', 50), key('sealed', 50)] : [key('sealed', 50), key('raw', 50)]));
  }
  let otherLoad = 0;
  try {
    for (const k of plan) {
      if (!runRpc(k)) continue;
      const p = runs.get(k)!;
      const job: LoadJob = { kind: p.kind, port: p.kind === 'sealed' ? server.ports.rpc : raw.port, conns: p.conns, reqSize: sizes.req, respSize: sizes.resp };
      const r = p.child ? await inChild(job) : await inProcess(job);
      p.results.push(r);
      if (process.env.BENCH_VERBOSE) {
        const cpu = Math.round((r.serverCpuUs ?? 0) / Math.max(1, r.calls));
        console.error(`${k}: ${Math.round(r.calls / r.seconds)} calls/s, server process ${cpu} us CPU/call`);
      }
      const others = ((r.machineCpuUs ?? 0) - (r.serverCpuUs ?? 0) - (p.child ? r.loadCpuUs : 0)) / (r.seconds * 1e6);
      otherLoad = Math.max(otherLoad, others);
    }
  } finally {
    await raw.close();
    await server.close();
    await dir.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const rate = (r: LoadResult) => r.calls / r.seconds;
  const perCall = (us: number | undefined, r: LoadResult) => (us ?? 0) / Math.max(1, r.calls);
  for (const [, p] of runs) {
    if (p.results.length === 0) continue;
    const rates = p.results.map(rate);
    const what =
      p.kind === 'sealed'
        ? `sealed mgmt inq_if_ids (NTLM, PKT_PRIVACY), ${p.conns} conn${p.conns > 1 ? 's' : ''}`
        : `raw TCP echo ${sizes.req} B -> ${sizes.resp} B, ${p.conns} conn${p.conns > 1 ? 's' : ''}`;
    const serverUs = Math.round(median(p.results.map((r) => perCall(r.serverCpuUs, r))));
    const clientUs = Math.round(median(p.results.map((r) => perCall(r.loadCpuUs, r))));
    const cpu = p.child ? `server ${serverUs} + client ${clientUs} us CPU/call` : `server+client ${serverUs} us CPU/call`;
    const spread = rates.length > 1 ? `median of ${rates.length} runs (${Math.round(Math.min(...rates))}-${Math.round(Math.max(...rates))}); ` : '';
    rows.push({
      name: what + (p.child ? '' : ' (in-process)'),
      value: Math.round(median(rates)),
      unit: 'calls/s',
      notes: `${p.child ? 'load in a child process' : 'load in the server process'}; ${spread}${cpu}`,
    });
  }
  rows.push({ name: 'sealed request PDU size', value: sizes.req, unit: 'bytes', notes: 'empty stub + sec_trailer + 16-byte NTLM signature' });
  rows.push({ name: 'sealed response PDU size', value: sizes.resp, unit: 'bytes', notes: 'what the raw echo baseline exchanges too' });
  for (const suffix of ['-inproc', '']) {
    const s = runs.get(`sealed-50${suffix}`)!.results;
    const r = runs.get(`raw-50${suffix}`)!.results;
    const n = Math.min(s.length, r.length);
    if (n === 0) continue;
    const ratios = Array.from({ length: n }, (_, i) => rate(s[i]!) / rate(r[i]!));
    const ratio = median(ratios);
    const where = suffix ? 'load in the server process' : 'load in a child process';
    rows.push({
      name: `sealed / raw, 50 conns${suffix ? ' (in-process)' : ''}`,
      value: r2(ratio),
      unit: 'ratio',
      notes: `target >= 0.5: ${ratio >= 0.5 ? 'MET' : 'NOT MET'} (${where}); median of per-round ratios ${ratios.map((x) => x.toFixed(2)).join(', ')}`,
    });
    if (!suffix) {
      const sc = median(s.map((x) => perCall(x.serverCpuUs, x)));
      const rc = median(r.map((x) => perCall(x.serverCpuUs, x)));
      rows.push({
        name: 'raw / sealed server CPU per call, 50 conns',
        value: r2(rc / sc),
        unit: 'ratio',
        notes: 'server process CPU only (load in a child process), wake-up costs included',
      });
    }
  }
  rows.push({
    name: 'machine',
    value: os.cpus().length,
    unit: 'cores',
    notes: `${process.version}; ${DURATION_MS / 1000} s windows after ${WARMUP_MS / 1000} s warm-up, ${ROUNDS} rounds at 50 conns; up to ${otherLoad.toFixed(1)} cores busy with other processes during a run`,
  });
  printTable(rows);
}

if (process.argv[2] === '--load-worker') {
  loadWorker();
} else {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
