// Cutting a list into the batches of round trips (IMAP commands, SQL statements): by count, and by bytes where the
// items have sizes.

/**
 * `items` cut, in their order, into runs of at most `maxCount` items whose sizes (`sizeOf`) add up to at most
 * `maxBytes`; an item whose size alone passes maxBytes is a run of its own. Without sizeOf, runs of maxCount.
 */
export function batches<T>(items: readonly T[], maxCount: number, maxBytes = Infinity, sizeOf?: (item: T) => number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const size = sizeOf ? sizeOf(it) : 0;
    if (cur.length > 0 && (cur.length >= maxCount || bytes + size > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
