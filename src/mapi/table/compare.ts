// Value ordering for sorting and restriction relops. Strings compare case-insensitively in a locale-independent way
// (String.prototype.toLowerCase, then UTF-16 code units); binary values compare bytewise with a shorter prefix first;
// integers, floating point, times (FILETIME bigint) and booleans (FALSE < TRUE) compare numerically; multi-valued
// values compare element by element, then by count. Values of different kinds order by a fixed kind rank, so the
// order is total and sorting is deterministic.
import type { PropValue } from '../props.js';

/** Case fold used for ordering and for FL_IGNORECASE. */
export function foldCase(s: string): string {
  return s.toLowerCase();
}

const MARKS = /\p{M}+/gu;

/** Drops non-spacing marks (FL_IGNORENONSPACE): NFD with the combining marks removed. */
export function stripNonSpacing(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return s.normalize('NFKD').replace(MARKS, '');
}

function kindRank(v: PropValue): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    default:
      return Buffer.isBuffer(v) ? 5 : 6;
  }
}

/**
 * Three-way comparison of two sort keys (strings already case-folded by `sortKey`). Mixed number/bigint compare
 * numerically.
 */
export function compareKeys(a: PropValue, b: PropValue): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : nanOrder(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    const x = typeof a === 'number' ? a : Number(a);
    const y = typeof b === 'number' ? b : Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareKeys(a[i] as PropValue, b[i] as PropValue);
      if (c !== 0) return c;
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  const ra = kindRank(a);
  const rb = kindRank(b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

function nanOrder(a: number, b: number): number {
  // NaN sorts after every number and equals itself, keeping the order total
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  return na === nb ? 0 : na ? 1 : -1;
}

/** The sort key of a value: strings case-folded (also inside multi-valued strings), the rest unchanged. */
export function sortKey(v: PropValue): PropValue {
  if (typeof v === 'string') return foldCase(v);
  if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'string') return (v as string[]).map(foldCase);
  return v;
}

/** Three-way comparison of two property values for restrictions (strings case-insensitive). */
export function compareValues(a: PropValue, b: PropValue): number {
  return compareKeys(sortKey(a), sortKey(b));
}

/** Whether two values are of kinds a relop can compare (same kind; number/bigint mix allowed). */
export function comparable(a: PropValue, b: PropValue): boolean {
  const ra = kindRank(a);
  const rb = kindRank(b);
  if (ra === rb) return true;
  return (ra === 2 || ra === 3) && (rb === 2 || rb === 3);
}
