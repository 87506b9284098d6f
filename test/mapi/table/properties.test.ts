// src/mapi/table: fast-check properties of sorting, restricting, seeking and the opaque byte forms.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PropValue } from '../../../src/mapi/props.js';
import { RELOP } from '../../../src/mapi/restriction.js';
import {
  BOOKMARK,
  PidTagInstID,
  PidTagRowType,
  SORT,
  TABLE_EC,
  TBL,
  TableError,
  TableView,
  compareKeys,
  sortKey,
  type TableRestriction,
  type TableRow,
} from '../../../src/mapi/table/index.js';

const STR = 0x0037001f;
const TIME = 0x0e060040;
const LONG = 0x0e080003;
const BIN = 0x300b0102;
const TAGS = [STR, TIME, LONG, BIN];

const arbRows = fc
  .array(
    fc.record(
      {
        s: fc.string({ maxLength: 4, unit: fc.constantFrom('a', 'A', 'b', 'B', 'é', 'z') }),
        t: fc.bigInt({ min: 0n, max: 20n }),
        l: fc.integer({ min: -3, max: 3 }),
        b: fc.uint8Array({ maxLength: 3 }).map((u) => Buffer.from(u)),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 40 },
  )
  .map((rs) =>
    rs.map((r, i): TableRow => {
      const p = new Map<number, PropValue>();
      if (r.s !== undefined) p.set(STR, r.s);
      if (r.t !== undefined) p.set(TIME, r.t);
      if (r.l !== undefined) p.set(LONG, r.l);
      if (r.b !== undefined) p.set(BIN, r.b);
      return { id: BigInt(i + 1), props: p };
    }),
  );

const arbSort = fc.array(fc.record({ tag: fc.constantFrom(...TAGS), order: fc.constantFrom(SORT.ASCEND, SORT.DESCEND) }), { minLength: 1, maxLength: 3 });

const arbLeaf: fc.Arbitrary<TableRestriction> = fc.oneof(
  fc.record({ type: fc.constant('exist' as const), propTag: fc.constantFrom(...TAGS) }),
  fc.record({
    type: fc.constant('property' as const),
    relop: fc.integer({ min: 0, max: 5 }),
    propTag: fc.constant(LONG),
    value: fc.integer({ min: -3, max: 3 }).map((v) => ({ tag: LONG, value: v as PropValue })),
  }),
  fc.record({
    type: fc.constant('content' as const),
    fuzzyLevel: fc.constantFrom(0, 1, 2, 0x10001, 0x30002),
    propTag: fc.constant(STR),
    value: fc.constantFrom('a', 'B', 'é', '').map((v) => ({ tag: STR, value: v as PropValue })),
  }),
  fc.record({ type: fc.constant('bitmask' as const), relBMR: fc.constantFrom(0, 1), propTag: fc.constant(LONG), mask: fc.integer({ min: 0, max: 7 }) }),
);
const arbRes: fc.Arbitrary<TableRestriction> = fc.letrec<{ r: TableRestriction }>((tie) => ({
  r: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbLeaf,
    fc.record({ type: fc.constant('not' as const), res: tie('r') }),
    fc.record({ type: fc.constant('and' as const), res: fc.array(tie('r'), { maxLength: 3 }) }),
    fc.record({ type: fc.constant('or' as const), res: fc.array(tie('r'), { maxLength: 3 }) }),
  ),
})).r;

function ids(v: TableView): bigint[] {
  v.setColumns([PidTagInstID]);
  v.seekRow(BOOKMARK.BEGINNING, 0);
  return v.queryRows(100_000).rows.map((r) => r[0] as bigint);
}

describe('table properties', () => {
  it('sorting is a permutation, ordered by the keys, missing values last, stable', () => {
    fc.assert(
      fc.property(arbRows, arbSort, (rows, orders) => {
        const v = new TableView(rows);
        v.sortTable(orders);
        const out = ids(v);
        expect([...out].sort((a, b) => (a < b ? -1 : 1))).toEqual(rows.map((r) => r.id));
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (let i = 1; i < out.length; i++) {
          const a = byId.get(out[i - 1] as bigint) as TableRow;
          const b = byId.get(out[i] as bigint) as TableRow;
          let c = 0;
          for (const o of orders) {
            const x = a.props.get(o.tag);
            const y = b.props.get(o.tag);
            if (x === undefined && y === undefined) continue;
            if (x === undefined) { c = 1; break; }
            if (y === undefined) { c = -1; break; }
            const k = compareKeys(sortKey(x), sortKey(y));
            if (k !== 0) { c = o.order === SORT.DESCEND ? -k : k; break; }
          }
          expect(c).toBeLessThanOrEqual(0);
          if (c === 0) expect(a.id < b.id).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('restrict(AND(a, b)) = restrict(a) ∩ restrict(b); OR is the union; NOT the complement', () => {
    fc.assert(
      fc.property(arbRows, arbRes, arbRes, (rows, a, b) => {
        const v = new TableView(rows);
        const run = (r: TableRestriction | null) => {
          v.restrict(r);
          return new Set(ids(v));
        };
        const ra = run(a);
        const rb = run(b);
        const and = run({ type: 'and', res: [a, b] });
        const or = run({ type: 'or', res: [a, b] });
        const not = run({ type: 'not', res: a });
        expect(and).toEqual(new Set([...ra].filter((x) => rb.has(x))));
        expect(or).toEqual(new Set([...ra, ...rb]));
        expect(not).toEqual(new Set(rows.map((r) => r.id).filter((x) => !ra.has(x))));
      }),
      { numRuns: 300 },
    );
  });

  it('seek then queryPosition agree; queryRows forward reads what is left', () => {
    fc.assert(
      fc.property(
        arbRows,
        fc.constantFrom(BOOKMARK.BEGINNING, BOOKMARK.CURRENT, BOOKMARK.END),
        fc.integer({ min: -60, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (rows, origin, count, start) => {
          const v = new TableView(rows);
          const n = rows.length;
          v.seekRow(BOOKMARK.BEGINNING, start);
          const before = v.queryPosition().numerator;
          expect(before).toBe(Math.min(start, n));
          const base = origin === BOOKMARK.BEGINNING ? 0 : origin === BOOKMARK.CURRENT ? before : n;
          const r = v.seekRow(origin, count);
          const pos = v.queryPosition();
          expect(pos.denominator).toBe(n);
          expect(pos.numerator).toBe(Math.max(0, Math.min(n, base + count)));
          expect(r.rowsSought).toBe(pos.numerator - base);
          expect(r.hasSoughtLess).toBe(r.rowsSought !== count);
          v.setColumns([PidTagInstID]);
          expect(v.queryRows(1000, true, true).rows.length).toBe(n - pos.numerator);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fractional seek lands inside the table, monotonic in the fraction', () => {
    fc.assert(
      fc.property(arbRows, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 0xffffffff }), (rows, a, b, den) => {
        const v = new TableView(rows);
        const [x, y] = a <= b ? [a, b] : [b, a];
        v.seekRowFractional(x % (den + 1), den);
        const p1 = v.queryPosition().numerator;
        v.seekRowFractional(y % (den + 1), den);
        const p2 = v.queryPosition().numerator;
        expect(p1).toBeGreaterThanOrEqual(0);
        expect(p2).toBeLessThanOrEqual(rows.length);
        if (x % (den + 1) <= y % (den + 1)) expect(p1).toBeLessThanOrEqual(p2);
      }),
    );
  });

  it('categorized tables: every leaf appears once under its header, header counts add up', () => {
    fc.assert(
      fc.property(arbRows, (rows) => {
        const v = new TableView(rows);
        v.sortTable([{ tag: LONG, order: SORT.ASCEND }, { tag: STR, order: SORT.DESCEND }, { tag: TIME, order: SORT.ASCEND }], 2, 2);
        v.setColumns([PidTagRowType, PidTagInstID, 0x36020003]);
        const all = v.queryRows(100_000).rows;
        const leaves = all.filter((r) => r[0] === TBL.LEAF_ROW).map((r) => r[1] as bigint);
        expect(leaves.length).toBe(rows.length);
        expect(new Set(leaves).size).toBe(rows.length);
        let topSum = 0;
        v.sortTable([{ tag: LONG, order: SORT.ASCEND }, { tag: STR, order: SORT.DESCEND }], 2, 0);
        v.setColumns([0x36020003]);
        for (const r of v.queryRows(100_000).rows) topSum += r[0] as number;
        expect(topSum).toBe(rows.length);
      }),
      { numRuns: 200 },
    );
  });

  it('junk bookmarks and junk collapse states give coded errors, never something else', () => {
    const v = new TableView([{ id: 1n, props: new Map([[STR, 'x']]) }]);
    v.sortTable([{ tag: STR, order: SORT.ASCEND }], 1, 1);
    const good = v.getCollapseState(1n, 0);
    const goodBm = v.createBookmark();
    const mutate = (b: Buffer) =>
      fc.tuple(fc.nat(b.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const c = Buffer.from(b);
        c[i] = (c[i] as number) ^ x;
        return c;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)), mutate(good)), (junk) => {
        try {
          v.setCollapseState(junk);
        } catch (e) {
          expect(e).toBeInstanceOf(TableError);
          expect([TABLE_EC.InvalidParam]).toContain((e as TableError).ec);
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 32 }).map((u) => Buffer.from(u)), mutate(goodBm)), (junk) => {
        for (const f of [() => v.seekRowBookmark(junk, 0), () => v.freeBookmark(junk), () => v.findRow({ type: 'exist', propTag: STR }, BOOKMARK.CUSTOM, junk)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(TableError);
            expect((e as TableError).ec).toBe(TABLE_EC.InvalidBookmark);
          }
        }
      }),
      { numRuns: 500 },
    );
    void RELOP;
  });
});
