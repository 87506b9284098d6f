// Issue 7 ICS state codec bench (section `idset`): MS-OXCFXICS GLOBSET/IDSET encode and decode (src/mapi/globset.ts,
// src/mapi/idset.ts). Workloads: 10,000 scattered ids (a folder whose messages were deleted here and there, the worst
// case for MetaTagIdsetGiven), and a CNSET of one long range plus 1,000 stray CNs. Figures are the median time per
// operation over many repetitions after a warm-up, in microseconds of wall-clock time (the work is pure CPU, no I/O).
import { GlobSet, IdSet, decodeIdsetReplGuid, encodeIdsetReplGuid } from '../src/mapi/idset.js';
import { median, r2 } from './common.js';

interface Row {
  name: string;
  value: number;
  unit: string;
  notes: string;
}

function timeUs(f: () => void, reps: number): number {
  for (let i = 0; i < Math.min(20, reps); i++) f(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    f();
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return median(samples);
}

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31);
}

export async function benchIdset(): Promise<Row[]> {
  const guid = '5d6b4c0c-8a46-4e1e-9f6f-2f0d1c9b7a11';
  const rnd = lcg(7);
  const scattered = new IdSet<string>();
  const vals: number[] = [];
  for (let i = 0; i < 10000; i++) vals.push(0x10000 + (rnd() % 60000));
  scattered.map.set(guid, GlobSet.fromValues(vals));
  const ranges = scattered.get(guid)?.rangeCount() ?? 0;
  const bytes = encodeIdsetReplGuid(scattered);

  const cn = new IdSet<string>();
  cn.addGlobcnt(guid, 1, 500000);
  for (let i = 0; i < 1000; i++) cn.addGlobcnt(guid, 600000 + (rnd() % 1000000));
  const cnBytes = encodeIdsetReplGuid(cn);

  const rows: Row[] = [
    { name: 'IDSET encode, 10,000 scattered ids', value: r2(timeUs(() => encodeIdsetReplGuid(scattered), 200)), unit: 'us', notes: `${ranges} ranges -> ${bytes.length} bytes` },
    { name: 'IDSET decode, 10,000 scattered ids', value: r2(timeUs(() => decodeIdsetReplGuid(bytes), 200)), unit: 'us', notes: `${bytes.length} bytes` },
    { name: 'CNSET encode, 1 range + 1,000 CNs', value: r2(timeUs(() => encodeIdsetReplGuid(cn), 500)), unit: 'us', notes: `${cnBytes.length} bytes` },
    { name: 'CNSET decode, 1 range + 1,000 CNs', value: r2(timeUs(() => decodeIdsetReplGuid(cnBytes), 500)), unit: 'us', notes: '' },
  ];
  const a = scattered.get(guid) as GlobSet;
  const b = GlobSet.fromValues(vals.map((v) => v + 1));
  rows.push({ name: 'GlobSet union+difference, 2 x ~8,000 ranges', value: r2(timeUs(() => a.union(b).difference(a), 200)), unit: 'us', notes: '' });
  return rows;
}
