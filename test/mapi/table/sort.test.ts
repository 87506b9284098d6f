// src/mapi/table/sort.ts: the rank-based multi-key sort agrees with a comparator sort on every kind of key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PropValue } from '../../../src/mapi/props.js';
import { compareKeys, sortOrder } from '../../../src/mapi/table/index.js';

function reference(keys: Array<Array<PropValue | undefined>>, desc: boolean[]): number[] {
  const n = keys[0]?.length ?? 0;
  const idx = Array.from({ length: n }, (_, i) => i);
  return idx.sort((a, b) => {
    for (let k = 0; k < keys.length; k++) {
      const x = (keys[k] as Array<PropValue | undefined>)[a];
      const y = (keys[k] as Array<PropValue | undefined>)[b];
      if (x === undefined && y === undefined) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const c = compareKeys(x, y);
      if (c !== 0) return desc[k] ? -c : c;
    }
    return a - b;
  });
}

const big = fc.oneof(fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), fc.bigInt({ min: 133_000_000_000_000_000n, max: 133_000_000_000_000_040n }));
const kinds: Array<fc.Arbitrary<PropValue>> = [
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: false }),
  big,
  fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'B', 'b', 'é', '\u{1F600}') }),
  fc.uint8Array({ maxLength: 3 }).map((u) => Buffer.from(u)),
  fc.boolean(),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
];

describe('sortOrder', () => {
  it('equals a stable comparator sort (missing last) for every key kind, bigints near 2^53 and beyond', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }).chain((n) =>
          fc.array(
            fc.tuple(
              fc.constantFrom(...kinds.keys()),
              fc.boolean(),
            ),
            { minLength: 1, maxLength: 3 },
          ).chain((spec) =>
            fc.tuple(
              fc.tuple(...spec.map(([kind]) => fc.array(fc.option(kinds[kind] as fc.Arbitrary<PropValue>, { nil: undefined }), { minLength: n, maxLength: n }))),
              fc.constant(spec.map(([, d]) => d)),
            ),
          ),
        ),
        ([keys, desc]) => {
          const k = keys as Array<Array<PropValue | undefined>>;
          expect([...sortOrder(k, desc)]).toEqual(reference(k, desc));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('exact on FILETIMEs closer than a double can tell apart', () => {
    const base = 133_000_000_000_000_000n;
    const keys = [[base + 3n, base + 1n, base + 2n, base, base + 1n]];
    expect([...sortOrder(keys, [false])]).toEqual([3, 1, 4, 2, 0]);
    expect([...sortOrder(keys, [true])]).toEqual([0, 2, 1, 4, 3]);
  });
});
