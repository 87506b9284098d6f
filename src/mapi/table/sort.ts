// Stable multi-key sorting of table rows (MS-OXCTABL 2.2.2.3 RopSortTable) without a comparator in the hot path,
// so sorting 10,000 rows takes a few milliseconds.
import type { PropValue } from '../props.js';
import { compareKeys } from './compare.js';

/**
 * Stable multi-key sort of row positions: keys[k][i] is row i's k-th sort key (undefined: missing, always last).
 * Each key becomes dense ranks (native numeric sorts: numbers directly, bigints as exact high/low halves, strings
 * through their code-unit order, other kinds through compareKeys), ranks of successive keys are combined and
 * re-ranked, and the final order is one native sort of rank * n + position, so ties keep their input order.
 */
export function sortOrder(keys: ReadonlyArray<ReadonlyArray<PropValue | undefined>>, desc: readonly boolean[]): Uint32Array {
  const n = keys[0]?.length ?? 0;
  let combined: Float64Array | null = null;
  for (let k = 0; k < keys.length; k++) {
    for (const r of columnRanks(keys[k] as ReadonlyArray<PropValue | undefined>, desc[k] === true)) {
      if (combined === null) combined = r.ranks;
      else {
        const width = r.count + 1;
        const pair = new Float64Array(n);
        for (let i = 0; i < n; i++) pair[i] = (combined[i] as number) * width + (r.ranks[i] as number);
        combined = denseRanks(pair).ranks;
      }
    }
  }
  const out = new Uint32Array(n);
  if (combined === null) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
  // stable counting sort on the dense ranks (0..n)
  const start = new Uint32Array(n + 2);
  for (let i = 0; i < n; i++) {
    const r = (combined[i] as number) + 1;
    start[r] = (start[r] as number) + 1;
  }
  for (let r = 1; r < start.length; r++) start[r] = (start[r] as number) + (start[r - 1] as number);
  for (let i = 0; i < n; i++) {
    const r = combined[i] as number;
    out[start[r] as number] = i;
    start[r] = (start[r] as number) + 1;
  }
  return out;
}

/** Dense ranks 0..count-1 of numeric values (equal values share a rank): a native sort, then binary searches. */
function denseRanks(vals: Float64Array): { ranks: Float64Array; count: number } {
  const sorted = Float64Array.from(vals).sort();
  let count = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[count - 1]) sorted[count++] = sorted[i] as number;
  }
  const ranks = new Float64Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i] as number;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    ranks[i] = lo;
  }
  return { ranks, count };
}

/** One or two rank columns for a sort key (bigints: high then low 32-bit halves), direction and missing applied. */
function columnRanks(col: ReadonlyArray<PropValue | undefined>, desc: boolean): Array<{ ranks: Float64Array; count: number }> {
  const n = col.length;
  let kinds = 0; // 1 number, 2 bigint, 4 string, 8 other
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (v === undefined) continue;
    const t = typeof v;
    kinds |= t === 'number' && !Number.isNaN(v) ? 1 : t === 'bigint' ? 2 : t === 'string' ? 4 : 8;
  }
  const finish = (r: { ranks: Float64Array; count: number }): { ranks: Float64Array; count: number } => {
    // present values: 0..count-1 (reversed when descending), missing: count
    const { ranks, count } = r;
    for (let i = 0; i < n; i++) {
      if (col[i] === undefined) ranks[i] = count;
      else if (desc) ranks[i] = count - 1 - (ranks[i] as number);
    }
    return { ranks, count: count + 1 };
  };
  const present = (fill: (v: PropValue) => number): Float64Array => {
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (v !== undefined) f[i] = fill(v);
    }
    return f;
  };
  const rankPresent = (vals: Float64Array): { ranks: Float64Array; count: number } => {
    // rank only the present values (missing rows get fixed by finish)
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (col[i] !== undefined) idx.push(i);
    const sub = new Float64Array(idx.length);
    for (let j = 0; j < idx.length; j++) sub[j] = vals[idx[j] as number] as number;
    const r = denseRanks(sub);
    const ranks = new Float64Array(n);
    for (let j = 0; j < idx.length; j++) ranks[idx[j] as number] = r.ranks[j] as number;
    return { ranks, count: r.count };
  };
  if (kinds === 0 || kinds === 1) return [finish(rankPresent(present((v) => v as number)))];
  if (kinds === 2 || kinds === 3) {
    // doubles order bigints monotonically; when no two present values share a double the ranks are exact
    const approx = rankPresent(present((v) => Number(v as number | bigint)));
    let presentCount = 0;
    for (let i = 0; i < n; i++) if (col[i] !== undefined) presentCount++;
    if (approx.count === presentCount || kinds === 3) return [finish(approx)];
    const hi = rankPresent(present((v) => Number((v as bigint) >> 32n)));
    const lo = rankPresent(present((v) => Number((v as bigint) & 0xffffffffn)));
    return [finish(hi), finish(lo)];
  }
  if (kinds === 4) {
    const uniq = [...new Set(col)].filter((x): x is string => typeof x === 'string').sort();
    const rank = new Map<string, number>();
    for (let i = 0; i < uniq.length; i++) rank.set(uniq[i] as string, i);
    const ranks = present((v) => rank.get(v as string) as number);
    return [finish({ ranks, count: uniq.length })];
  }
  // mixed kinds, binary, multi-valued: order the present rows with compareKeys, then assign dense ranks
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (col[i] !== undefined) idx.push(i);
  idx.sort((a, b) => compareKeys(col[a] as PropValue, col[b] as PropValue));
  const ranks = new Float64Array(n);
  let count = 0;
  for (let j = 0; j < idx.length; j++) {
    if (j > 0 && compareKeys(col[idx[j - 1] as number] as PropValue, col[idx[j] as number] as PropValue) !== 0) count++;
    ranks[idx[j] as number] = count;
  }
  return [finish({ ranks, count: idx.length > 0 ? count + 1 : 0 })];
}

