// batches (src/util/batches.ts): the cutting of IMAP commands and SQL statements into runs by count and by bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batches } from '../../src/util/batches.js';

describe('batches', () => {
  it('keeps the order, bounds each run by count and by bytes (a larger item alone), and cuts only where it must', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 5000 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 20000 }),
        (sizes, maxCount, maxBytes) => {
          const items = sizes.map((size, i) => ({ i, size }));
          const out = batches(items, maxCount, maxBytes, (x) => x.size);
          expect(out.flat()).toEqual(items);
          const bytes = (b: typeof items): number => b.reduce((n, x) => n + x.size, 0);
          for (const b of out) {
            expect(b.length).toBeGreaterThan(0);
            expect(b.length).toBeLessThanOrEqual(maxCount);
            if (b.length > 1) expect(bytes(b)).toBeLessThanOrEqual(maxBytes);
          }
          for (let i = 0; i + 1 < out.length; i++) expect(out[i]!.length === maxCount || bytes(out[i]!) + out[i + 1]![0]!.size > maxBytes).toBe(true);
        },
      ),
    );
  });

  it('without sizes, runs of maxCount (the last one shorter)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 100 }), fc.integer({ min: 1, max: 20 }), (items, n) => {
        const out = batches(items, n);
        expect(out.flat()).toEqual(items);
        out.forEach((b, k) => expect(b.length).toBe(k === out.length - 1 ? items.length - n * (out.length - 1) : n));
      }),
    );
    expect(batches([], 5)).toEqual([]);
  });
});
