// src/mapi/table/evaluate.ts: every restriction type over row properties (MS-OXCDATA 2.12).
import { describe, expect, it } from 'vitest';
import { MV_INSTANCE, type PropValue } from '../../../src/mapi/props.js';
import { BMR, FL, RELOP } from '../../../src/mapi/restriction.js';
import {
  PidTagMessageAttachments,
  PidTagMessageRecipients,
  RestrictionEvaluator,
  TABLE_EC,
  TableError,
  lookupProp,
  validateRestriction,
  valueSize,
  type TableRestriction,
  type TableRow,
} from '../../../src/mapi/table/index.js';

const SUBJECT = 0x0037001f;
const SUBJECT8 = 0x0037001e;
const SIZE = 0x0e080003;
const FLAGS = 0x0e070003;
const TIME = 0x0e060040;
const TIME2 = 0x00390040;
const CATS = 0x8001101f;
const BIN = 0x300b0102;
const LONGS = 0x80021003;
const RECIP_NAME = 0x3001001f;

const props = new Map<number, PropValue>([
  [SUBJECT, 'Réunion Budget Q3'],
  [SIZE, 2048],
  [FLAGS, 0x11],
  [TIME, 1000n],
  [TIME2, 2000n],
  [CATS, ['Red', 'Blue']],
  [BIN, Buffer.from([1, 2, 3, 4])],
  [LONGS, [5, 10]],
]);
const get = (t: number) => lookupProp(props, t);

const subs = (id: bigint, sub: number): TableRow[] =>
  id === 7n && sub === PidTagMessageRecipients
    ? [{ id: 0n, props: new Map([[RECIP_NAME, 'Alice Smith']]) }, { id: 1n, props: new Map([[RECIP_NAME, 'Bob']]) }]
    : [];

function m(r: TableRestriction, hook = true): boolean {
  return new RestrictionEvaluator(r, hook ? subs : undefined).matches(get, 7n);
}

const content = (fuzzyLevel: number, value: PropValue, propTag = SUBJECT, vtag = propTag): TableRestriction => ({
  type: 'content',
  fuzzyLevel,
  propTag,
  value: { tag: vtag, value },
});
const prop = (relop: number, propTag: number, value: PropValue, vtag = propTag): TableRestriction => ({ type: 'property', relop, propTag, value: { tag: vtag, value } });

describe('content restriction', () => {
  it('FL_FULLSTRING, FL_SUBSTRING, FL_PREFIX, case-sensitive by default', () => {
    expect(m(content(FL.FL_FULLSTRING, 'Réunion Budget Q3'))).toBe(true);
    expect(m(content(FL.FL_FULLSTRING, 'réunion budget q3'))).toBe(false);
    expect(m(content(FL.FL_SUBSTRING, 'Budget'))).toBe(true);
    expect(m(content(FL.FL_SUBSTRING, 'budget'))).toBe(false);
    expect(m(content(FL.FL_PREFIX, 'Réu'))).toBe(true);
    expect(m(content(FL.FL_PREFIX, 'Budget'))).toBe(false);
  });

  it('FL_IGNORECASE, FL_IGNORENONSPACE, FL_LOOSE', () => {
    expect(m(content(FL.FL_SUBSTRING | FL.FL_IGNORECASE, 'BUDGET'))).toBe(true);
    expect(m(content(FL.FL_PREFIX | FL.FL_IGNORECASE, 'reunion'))).toBe(false);
    expect(m(content(FL.FL_PREFIX | FL.FL_IGNORENONSPACE, 'Reunion'))).toBe(true);
    expect(m(content(FL.FL_PREFIX | FL.FL_IGNORECASE | FL.FL_IGNORENONSPACE, 'REUNION'))).toBe(true);
    expect(m(content(FL.FL_FULLSTRING | FL.FL_LOOSE, 'reunion budget q3'))).toBe(true);
    expect(m(content(0x10 | FL.FL_IGNORECASE, 'bud'))).toBe(true); // prefix on any word
  });

  it('the other string type of the same property, multi-valued strings, binary, missing, mismatched', () => {
    expect(m(content(FL.FL_SUBSTRING, 'Budget', SUBJECT8))).toBe(true);
    expect(m(content(FL.FL_FULLSTRING, 'Blue', CATS, 0x8001001f))).toBe(true);
    expect(m(content(FL.FL_FULLSTRING, 'Green', CATS, 0x8001001f))).toBe(false);
    expect(m(content(FL.FL_SUBSTRING, Buffer.from([2, 3]), BIN))).toBe(true);
    expect(m(content(FL.FL_PREFIX, Buffer.from([2, 3]), BIN))).toBe(false);
    expect(m(content(FL.FL_PREFIX, Buffer.from([1, 2]), BIN))).toBe(true);
    expect(m(content(FL.FL_FULLSTRING, Buffer.from([1, 2, 3, 4]), BIN))).toBe(true);
    expect(m(content(FL.FL_SUBSTRING, 'x', 0x1234001f))).toBe(false);
    expect(m(content(FL.FL_SUBSTRING, 5, SIZE))).toBe(false);
  });
});

describe('property restriction', () => {
  it('every relop on integers, times and strings', () => {
    const cases: Array<[number, boolean, boolean, boolean]> = [
      // relop, 2048 vs 1000, 2048 vs 2048, 2048 vs 4096
      [RELOP.RELOP_LT, false, false, true],
      [RELOP.RELOP_LE, false, true, true],
      [RELOP.RELOP_GT, true, false, false],
      [RELOP.RELOP_GE, true, true, false],
      [RELOP.RELOP_EQ, false, true, false],
      [RELOP.RELOP_NE, true, false, true],
    ];
    for (const [relop, a, b, c] of cases) {
      expect([m(prop(relop, SIZE, 1000)), m(prop(relop, SIZE, 2048)), m(prop(relop, SIZE, 4096))]).toEqual([a, b, c]);
    }
    expect(m(prop(RELOP.RELOP_LT, TIME, 1001n))).toBe(true);
    expect(m(prop(RELOP.RELOP_EQ, SUBJECT, 'réunion budget q3'))).toBe(true); // strings compare case-insensitively
    expect(m(prop(RELOP.RELOP_GT, SUBJECT, 'Q'))).toBe(true);
  });

  it('missing properties and mismatched types are false for every relop', () => {
    for (let relop = 0; relop <= 5; relop++) {
      expect(m(prop(relop, 0x12340003, 1))).toBe(false);
      expect(m(prop(relop, SIZE, 'x', 0x0e08001f))).toBe(false);
    }
  });

  it('multi-valued: any value satisfies a single-valued comparison; an MV value compares whole lists', () => {
    expect(m(prop(RELOP.RELOP_EQ, CATS, 'blue', 0x8001001f))).toBe(true);
    expect(m(prop(RELOP.RELOP_EQ, (CATS | MV_INSTANCE) >>> 0, 'red', 0x8001001f))).toBe(true);
    expect(m(prop(RELOP.RELOP_GT, LONGS, 7, 0x80020003))).toBe(true);
    expect(m(prop(RELOP.RELOP_GT, LONGS, 10, 0x80020003))).toBe(false);
    expect(m(prop(RELOP.RELOP_NE, LONGS, 5, 0x80020003))).toBe(true);
    expect(m(prop(RELOP.RELOP_EQ, LONGS, [5, 10]))).toBe(true);
    expect(m(prop(RELOP.RELOP_EQ, LONGS, [5]))).toBe(false);
    expect(m(prop(RELOP.RELOP_GT, LONGS, [5]))).toBe(true);
  });

  it('RELOP_RE is refused as too complex', () => {
    const e = (() => {
      try {
        validateRestriction(prop(RELOP.RELOP_RE, SUBJECT, 'R.*'));
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(TableError);
    expect((e as TableError).ec).toBe(TABLE_EC.TooComplex);
  });
});

describe('other restrictions', () => {
  it('compareProps', () => {
    const cp = (relop: number, a = TIME, b = TIME2): TableRestriction => ({ type: 'compareProps', relop, propTag1: a, propTag2: b });
    expect(m(cp(RELOP.RELOP_LT))).toBe(true);
    expect(m(cp(RELOP.RELOP_GE))).toBe(false);
    expect(m(cp(RELOP.RELOP_EQ, TIME, TIME))).toBe(true);
    expect(m(cp(RELOP.RELOP_EQ, TIME, 0x12340040))).toBe(false);
    expect(m(cp(RELOP.RELOP_NE, TIME, SUBJECT))).toBe(false);
  });

  it('bitmask', () => {
    const bm = (relBMR: number, mask: number, propTag = FLAGS): TableRestriction => ({ type: 'bitmask', relBMR, propTag, mask });
    expect(m(bm(BMR.BMR_NEZ, 0x01))).toBe(true);
    expect(m(bm(BMR.BMR_EQZ, 0x01))).toBe(false);
    expect(m(bm(BMR.BMR_EQZ, 0x02))).toBe(true);
    expect(m(bm(BMR.BMR_NEZ, 0x80000010))).toBe(true);
    expect(m(bm(BMR.BMR_EQZ, 0x02, 0x12340003))).toBe(false);
  });

  it('size (strings with their terminator, UTF-16 for PT_UNICODE)', () => {
    const sz = (relop: number, propTag: number, cb: number): TableRestriction => ({ type: 'size', relop, propTag, cb });
    expect(valueSize(0x1f, 'ab')).toBe(6);
    expect(valueSize(0x1e, 'ab')).toBe(3);
    expect(m(sz(RELOP.RELOP_EQ, BIN, 4))).toBe(true);
    expect(m(sz(RELOP.RELOP_GT, BIN, 3))).toBe(true);
    expect(m(sz(RELOP.RELOP_EQ, SUBJECT, ('Réunion Budget Q3'.length + 1) * 2))).toBe(true);
    expect(m(sz(RELOP.RELOP_EQ, SIZE, 4))).toBe(true);
    expect(m(sz(RELOP.RELOP_EQ, TIME, 8))).toBe(true);
    expect(m(sz(RELOP.RELOP_LT, 0x12340102, 100))).toBe(false);
  });

  it('exist, and/or/not', () => {
    const ex = (propTag: number): TableRestriction => ({ type: 'exist', propTag });
    expect(m(ex(SUBJECT))).toBe(true);
    expect(m(ex(SUBJECT8))).toBe(true);
    expect(m(ex(0x12340003))).toBe(false);
    expect(m({ type: 'and', res: [ex(SUBJECT), ex(SIZE)] })).toBe(true);
    expect(m({ type: 'and', res: [ex(SUBJECT), ex(0x12340003)] })).toBe(false);
    expect(m({ type: 'and', res: [] })).toBe(true);
    expect(m({ type: 'or', res: [ex(0x12340003), ex(SIZE)] })).toBe(true);
    expect(m({ type: 'or', res: [] })).toBe(false);
    expect(m({ type: 'not', res: ex(0x12340003) })).toBe(true);
  });

  it('sub-restrictions over recipients through the hook; false without one', () => {
    const sub: TableRestriction = { type: 'sub', subObject: PidTagMessageRecipients, res: content(FL.FL_PREFIX | FL.FL_IGNORECASE, 'alice', RECIP_NAME) };
    expect(m(sub)).toBe(true);
    expect(m(sub, false)).toBe(false);
    expect(m({ ...sub, subObject: PidTagMessageAttachments })).toBe(false);
    expect(m({ type: 'sub', subObject: PidTagMessageRecipients, res: content(0, 'Carol', RECIP_NAME) })).toBe(false);
  });

  it('comment evaluates its restriction; count lets the first N matches through', () => {
    expect(m({ type: 'comment', values: [{ tag: SUBJECT, value: 'note' }], res: null })).toBe(true);
    expect(m({ type: 'comment', values: [], res: { type: 'exist', propTag: 0x12340003 } })).toBe(false);
    const count: TableRestriction = { type: 'count', count: 2, res: { type: 'exist', propTag: SUBJECT } };
    const ev = new RestrictionEvaluator(count);
    expect([ev.matches(get, 1n), ev.matches(get, 2n), ev.matches(get, 3n)]).toEqual([true, true, false]);
    expect(new RestrictionEvaluator({ type: 'count', count: 0, res: { type: 'exist', propTag: SUBJECT } }).matches(get, 1n)).toBe(false);
  });

  it('validateRestriction bounds depth and size, also through comment and count', () => {
    let deep: TableRestriction = { type: 'exist', propTag: SUBJECT };
    for (let i = 0; i < 100; i++) deep = i % 2 ? { type: 'not', res: deep } : { type: 'count', count: 1, res: deep };
    expect(() => validateRestriction(deep)).toThrow(TableError);
    const wide: TableRestriction = { type: 'or', res: Array.from({ length: 20_000 }, () => ({ type: 'exist' as const, propTag: SUBJECT })) };
    expect(() => validateRestriction(wide)).toThrow(TableError);
    expect(() => validateRestriction({ type: 'bitmask', relBMR: 9, propTag: FLAGS, mask: 1 })).toThrow(TableError);
    expect(() => validateRestriction({ type: 'comment', values: [], res: { type: 'exist', propTag: SUBJECT } })).not.toThrow();
  });
});
