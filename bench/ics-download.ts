// Issue 7 ICS download bench (section `ics`), in process on the embedded store (no RPC: the EMSMDB path is measured
// by the interop bench): a first contents synchronization of 10,000 messages of about 10 KB each (messages/s, MB/s,
// peak RSS growth) and an incremental synchronization of 10 changes in that folder (ms, with the store calls and
// candidates it cost: O(changes) means 10 candidates and a few dozen store calls, whatever the folder size). The
// stream is drained with 32 KiB GetBuffer-sized buffers and parsed by nothing (the bytes are counted and dropped).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalStore } from '../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../src/mapistore/index/sqlite.js';
import type { MailboxStore } from '../src/mapistore/types.js';
import { parseAll } from '../src/rop/fxics/parser.js';
import { syncMessageContent } from '../src/rop/fxics/sync-content.js';
import { IcsDownloadContext, SYNC_EXTRA, SYNC_FLAGS } from '../src/rop/fxics/sync-download.js';
import { TransferStatus } from '../src/rop/fxics/writer.js';
import { silentLogger } from '../src/util/log.js';
import { r2 } from './common.js';

interface Row {
  name: string;
  value: number | string;
  unit: string;
  notes: string;
}

const N = Number(process.env.BENCH_ICS_MESSAGES ?? 10_000);
const log = silentLogger();
const FLAGS = SYNC_FLAGS.Unicode | SYNC_FLAGS.ReadState | SYNC_FLAGS.FAI | SYNC_FLAGS.Normal;

async function run(mb: MailboxStore, fid: bigint, state: { tag: number; data: Buffer }[], keepState: boolean) {
  const ctx = new IcsDownloadContext(0, null, mb, {
    type: 'contents', fid, sendOptions: 0x01, flags: FLAGS, extraFlags: SYNC_EXTRA.Eid | SYNC_EXTRA.Cn, restriction: null, propertyTags: [], codePage: 1252,
  }, syncMessageContent, log);
  for (const s of state) {
    ctx.holder.begin(s.tag, s.data.length, log);
    ctx.holder.continue(s.data, log);
    ctx.holder.end(log);
  }
  let bytes = 0;
  let tail: Buffer[] = [];
  for (;;) {
    const b = await ctx.nextBuffer(32 * 1024);
    bytes += b.data.length;
    if (keepState) tail.push(b.data);
    if (tail.length > 64) tail = tail.slice(-64);
    if (b.status === TransferStatus.Done) break;
    if (b.status !== TransferStatus.Partial) throw new Error(`status ${b.status}`);
  }
  // the state is at the end of the stream: read it back from the last buffers (parse from its IncrSyncStateBegin)
  let next: { tag: number; data: Buffer }[] = [];
  if (keepState) {
    const all = Buffer.concat(tail);
    const at = all.lastIndexOf(Buffer.from([0x03, 0x00, 0x3a, 0x40]));
    next = parseAll(all.subarray(at)).filter((e) => e.kind === 'prop').map((e) => ({ tag: (e as { tag: number }).tag, data: (e as { value: Buffer }).value }));
  }
  return { bytes, stats: ctx.stats, next };
}

export async function benchIcsDownload(): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-bench-ics-'));
  const store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
  try {
    const mb = await store.openMailbox({ username: 'bench', displayName: 'Bench', legacyDn: '/o=bench/cn=bench' });
    const fid = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Big' })).fid;
    const body = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(90); // ~10 KB as UTF-16
    for (let i = 0; i < N; i += 1000) {
      await mb.bulkInsertMessages(fid, Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
        props: [
          { tag: 0x0037001f, value: `message ${i + k}` },
          { tag: 0x1000001f, value: body },
          { tag: 0x001a001f, value: 'IPM.Note' },
          { tag: 0x0e060040, value: 130000000000000000n + BigInt(i + k) },
        ],
        read: (i + k) % 2 === 0,
      })));
    }
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = process.hrtime.bigint();
    const first = await run(mb, fid, [], true);
    const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);

    const mids = (await mb.contentsRows(fid, { tags: [] })).map((r) => r.id);
    for (let k = 0; k < 10; k++) await mb.setMessageProps(mids[Math.floor((k * mids.length) / 10)]!, [{ tag: 0x0037001f, value: `changed ${k}` }]);
    const samples: number[] = [];
    let inc = await run(mb, fid, first.next, false);
    for (let r = 0; r < 5; r++) {
      const t = process.hrtime.bigint();
      inc = await run(mb, fid, first.next, false);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    samples.sort((a, b) => a - b);
    const incMs = samples[Math.floor(samples.length / 2)]!;
    const rows: Row[] = [
      { name: `ICS first sync, ${N} msgs x ~10 KB (in process)`, value: r2(N / (firstMs / 1000)), unit: 'msgs/s', notes: `${r2(first.bytes / 1048576 / (firstMs / 1000))} MB/s, ${r2(first.bytes / 1048576)} MB in ${r2(firstMs)} ms` },
      { name: 'ICS first sync peak RSS growth', value: r2((peak - rss0) / 1048576), unit: 'MB', notes: `RSS ${r2(peak / 1048576)} MB at peak` },
      { name: `ICS incremental sync, 10 changes in ${N}`, value: r2(incMs), unit: 'ms', notes: `candidates ${inc.stats.candidates}, store calls ${inc.stats.storeCalls}, ${inc.bytes} bytes` },
      {
        name: 'target: incremental 10 of 10,000 < 50 ms, O(changes)',
        value: incMs < 50 && inc.stats.candidates === 10 && inc.stats.storeCalls < 40 ? 'MET' : 'NOT MET',
        unit: '',
        notes: `${r2(incMs)} ms, ${inc.stats.storeCalls} store calls`,
      },
    ];
    return rows;
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// standalone: npx tsx bench/ics-download.ts
if (process.argv[1] && /ics-download\.[jt]s$/.test(process.argv[1])) {
  benchIcsDownload().then((rows) => console.table(rows), (e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
