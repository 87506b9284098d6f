// Table engine (src/mapi/table, MS-OXCTABL) on a 10,000-row contents table with 10 columns, generated
// deterministically: sort by PidTagMessageDeliveryTime (PT_SYSTIME) descending, a one-level categorization by sender
// (all expanded), a restriction (unread and subject substring), and RopQueryRows of the whole table in 50-row
// batches (rows/s). Each figure is the median of several rounds after a warm-up.
import { type PropValue } from '../src/mapi/props.js';
import { BOOKMARK, SORT, TableView, type TableRow } from '../src/mapi/table/index.js';

const SUBJECT = 0x0037001f;
const TIME = 0x0e060040;
const SENDER = 0x0c1a001f;
const FLAGS = 0x0e070003;
const SIZE = 0x0e080003;
const IMPORTANCE = 0x00170003;
const CLASS = 0x001a001f;
const HASATTACH = 0x0e1b000b;
const SEARCHKEY = 0x300b0102;
const MID = 0x674a0014;
const FID = 0x67480014;
const COLUMNS = [FID, MID, SUBJECT, SENDER, TIME, FLAGS, SIZE, IMPORTANCE, CLASS, HASATTACH];

function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

export function makeRows(n: number, seed = 7): TableRow[] {
  const r = prng(seed);
  const senders = ['Alice Liddell', 'Bob Smith', 'Carol Jones', 'Dave Müller', 'Eve Martin', 'Frank Zhou', 'Grace Hopper', 'Heidi Klum'];
  const words = ['meeting', 'budget', 'report', 'invoice', 'travel', 'review', 'lunch', 'release', 'draft', 'agenda'];
  const rows: TableRow[] = [];
  for (let i = 0; i < n; i++) {
    const id = (BigInt(i + 1) << 16n) | 1n;
    const props = new Map<number, PropValue>([
      [FID, 0x1_0001n],
      [MID, id],
      [SUBJECT, `${words[Math.floor(r() * words.length)]} ${words[Math.floor(r() * words.length)]} ${i}`],
      [SENDER, senders[Math.floor(r() * senders.length)] as string],
      [TIME, 133_000_000_000_000_000n + BigInt(Math.floor(r() * 1e12))],
      [FLAGS, r() < 0.3 ? 0 : 1],
      [SIZE, Math.floor(r() * 100_000)],
      [IMPORTANCE, Math.floor(r() * 3)],
      [CLASS, 'IPM.Note'],
      [HASATTACH, r() < 0.2],
      [SEARCHKEY, Buffer.alloc(16, i & 0xff)],
    ]);
    rows.push({ id, props });
  }
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(fn: () => void, rounds: number): number {
  fn();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

export async function benchTable(): Promise<Array<{ name: string; value: number; unit: string; notes?: string }>> {
  const N = 10_000;
  const rows = makeRows(N);
  const view = new TableView(rows);
  view.setColumns(COLUMNS);

  const sortMs = time(() => view.sortTable([{ tag: TIME, order: SORT.DESCEND }]), 21);
  const catMs = time(
    () =>
      view.sortTable(
        [
          { tag: SENDER, order: SORT.ASCEND },
          { tag: TIME, order: SORT.DESCEND },
        ],
        1,
        1,
      ),
    15,
  );
  const restrictMs = time(
    () =>
      view.restrict({
        type: 'and',
        res: [
          { type: 'bitmask', relBMR: 0, propTag: FLAGS, mask: 1 },
          { type: 'content', fuzzyLevel: 0x10001, propTag: SUBJECT, value: { tag: SUBJECT, value: 'BUDGET' } },
        ],
      }),
    15,
  );
  view.restrict(null);
  view.sortTable([{ tag: TIME, order: SORT.DESCEND }]);
  let read = 0;
  const queryMs = time(() => {
    view.seekRow(BOOKMARK.BEGINNING, 0);
    read = 0;
    for (;;) {
      const r = view.queryRows(50);
      read += r.rows.length;
      if (r.rows.length === 0) break;
    }
  }, 21);
  const rowsPerSec = Math.round((read / queryMs) * 1000);
  const notes = `${N} rows, ${COLUMNS.length} columns, median of 21`;
  return [
    { name: 'table sort 10k rows by PT_SYSTIME', value: Number(sortMs.toFixed(2)), unit: 'ms', notes },
    { name: 'table sort + categorize 10k rows (sender, 1 level, expanded)', value: Number(catMs.toFixed(2)), unit: 'ms', notes },
    { name: 'table restrict 10k rows (bitmask AND content)', value: Number(restrictMs.toFixed(2)), unit: 'ms', notes },
    { name: 'table QueryRows whole table in 50-row batches', value: rowsPerSec, unit: 'rows/s', notes: `${notes}; target > 100,000 rows/s` },
  ];
}
