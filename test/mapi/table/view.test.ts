// src/mapi/table/view.ts: TableView behaviour against hand-computed expectations (MS-OXCTABL).
import { describe, expect, it } from 'vitest';
import { MAPI_E, MV_INSTANCE, PT, type PropValue } from '../../../src/mapi/props.js';
import { RELOP } from '../../../src/mapi/restriction.js';
import {
  BOOKMARK,
  PidTagContentCount,
  PidTagContentUnreadCount,
  PidTagDepth,
  PidTagInstID,
  PidTagInstanceNum,
  PidTagRowType,
  SORT,
  TABLE_EC,
  TBL,
  TBLSTAT,
  TableError,
  TableView,
  type TableCell,
  type TableRow,
} from '../../../src/mapi/table/index.js';

const SUBJECT = 0x0037001f;
const SUBJECT8 = 0x0037001e;
const TIME = 0x0e060040;
const SENDER = 0x0c1a001f;
const FLAGS = 0x0e070003;
const IMPORTANCE = 0x00170003;
const CATS = 0x8001101f; // PT_MV_UNICODE
const CATS_I = (CATS | MV_INSTANCE) >>> 0;
const READ = 1;
const NF = { error: MAPI_E.NOT_FOUND };

function row(id: number, p: Record<number, PropValue>): TableRow {
  return { id: BigInt(id), props: new Map(Object.entries(p).map(([k, v]) => [Number(k) >>> 0, v])) };
}

const ROWS: TableRow[] = [
  row(1, { [SUBJECT]: 'banana', [TIME]: 300n, [SENDER]: 'Bob', [FLAGS]: READ, [CATS]: ['Red', 'Blue'], [IMPORTANCE]: 1 }),
  row(2, { [SUBJECT]: 'Apple', [TIME]: 100n, [SENDER]: 'alice', [FLAGS]: 0, [CATS]: ['Blue'], [IMPORTANCE]: 2 }),
  row(3, { [SUBJECT]: 'cherry', [TIME]: 200n, [SENDER]: 'Bob', [FLAGS]: 0, [CATS]: [], [IMPORTANCE]: 1 }),
  row(4, { [SUBJECT]: 'apple', [TIME]: 500n, [SENDER]: 'Carol', [FLAGS]: READ, [IMPORTANCE]: 0 }),
  row(5, { [TIME]: 400n, [SENDER]: 'alice', [FLAGS]: READ, [CATS]: ['Red'], [IMPORTANCE]: 2 }),
];

const ID_COLS = [PidTagInstID, PidTagInstanceNum, PidTagRowType, PidTagDepth];

/** Reads all rows from the beginning and describes each as "id" (leaf) or "H<value>" (header). */
function shape(v: TableView, valueTag = SENDER): string[] {
  v.setColumns([PidTagRowType, PidTagInstID, valueTag]);
  v.seekRow(BOOKMARK.BEGINNING, 0);
  return v.queryRows(1000).rows.map((r) => (r[0] === TBL.LEAF_ROW ? String(r[1]) : `H${cellText(r[2])}`));
}

function cellText(c: TableCell | undefined): string {
  if (c && typeof c === 'object' && 'error' in c) return '-';
  return String(c);
}

function ids(v: TableView): number[] {
  v.setColumns([PidTagInstID]);
  v.seekRow(BOOKMARK.BEGINNING, 0);
  return v.queryRows(1000).rows.map((r) => Number(r[0]));
}

function catId(v: TableView, pos: number): bigint {
  const cols = v.getColumns();
  v.setColumns([PidTagInstID]);
  const id = (v.rowAt(pos) as TableCell[])[0] as bigint;
  v.setColumns(cols);
  return id;
}

function tableErr(fn: () => unknown): TableError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TableError) return e;
    throw e;
  }
  throw new Error('no TableError thrown');
}

describe('setColumns and queryRows', () => {
  it('returns the columns in order, NOT_FOUND errors for missing ones, either string type', () => {
    const v = new TableView(ROWS);
    v.setColumns([SUBJECT8, TIME, 0x12340003]);
    const r = v.queryRows(2);
    expect(r.origin).toBe(BOOKMARK.CURRENT);
    expect(r.rows).toEqual([
      ['banana', 300n, NF],
      ['Apple', 100n, NF],
    ]);
    v.seekRow(BOOKMARK.BEGINNING, 4);
    expect(v.queryRows(10)).toEqual({ origin: BOOKMARK.END, rows: [[NF, 400n, NF]] });
    expect(v.queryRows(10)).toEqual({ origin: BOOKMARK.END, rows: [] });
  });

  it('PT_UNSPECIFIED columns take the property of any type; leaf rows carry computed row properties', () => {
    const v = new TableView(ROWS);
    v.setColumns([0x00370000, ...ID_COLS]);
    expect(v.queryRows(1).rows).toEqual([['banana', 1n, 0, TBL.LEAF_ROW, 0]]);
  });

  it('noAdvance leaves the cursor; backward reads return the rows before the cursor in table order', () => {
    const v = new TableView(ROWS);
    v.setColumns([PidTagInstID]);
    expect(v.queryRows(2, true, true).rows).toEqual([[1n], [2n]]);
    expect(v.queryPosition()).toEqual({ numerator: 0, denominator: 5 });
    v.seekRow(BOOKMARK.END, 0);
    const back = v.queryRows(2, false);
    expect(back).toEqual({ origin: BOOKMARK.CURRENT, rows: [[4n], [5n]] });
    expect(v.queryPosition().numerator).toBe(3);
    const back2 = v.queryRows(10, false, true);
    expect(back2).toEqual({ origin: BOOKMARK.BEGINNING, rows: [[1n], [2n], [3n]] });
    expect(v.queryPosition().numerator).toBe(3);
    v.queryRows(10, false);
    expect(v.queryPosition().numerator).toBe(0);
    expect(v.queryRows(3, false)).toEqual({ origin: BOOKMARK.BEGINNING, rows: [] });
  });

  it('MV_INSTANCE columns give one row per value with the single value in the cell', () => {
    const v = new TableView(ROWS);
    v.setColumns([PidTagInstID, PidTagInstanceNum, CATS_I]);
    expect(v.queryRows(100).rows).toEqual([
      [1n, 1, 'Red'],
      [1n, 2, 'Blue'],
      [2n, 1, 'Blue'],
      [3n, 0, NF],
      [4n, 0, NF],
      [5n, 1, 'Red'],
    ]);
    expect(v.rowCount).toBe(6);
    v.setColumns([PidTagInstID, CATS]);
    expect(v.rowCount).toBe(5);
    expect(v.queryRows(1).rows).toEqual([[1n, ['Red', 'Blue']]]);
  });

  it('refuses two different MV_INSTANCE properties', () => {
    const v = new TableView(ROWS);
    expect(tableErr(() => v.setColumns([CATS_I, 0x8002101f | MV_INSTANCE])).ec).toBe(TABLE_EC.TooComplex);
  });
});

describe('sortTable', () => {
  it('sorts strings case-insensitively and stably, missing values last in both directions', () => {
    const v = new TableView(ROWS);
    v.sortTable([{ tag: SUBJECT, order: SORT.ASCEND }]);
    expect(ids(v)).toEqual([2, 4, 1, 3, 5]);
    v.sortTable([{ tag: SUBJECT, order: SORT.DESCEND }]);
    expect(ids(v)).toEqual([3, 1, 2, 4, 5]);
  });

  it('sorts times and integers, with several keys', () => {
    const v = new TableView(ROWS);
    v.sortTable([{ tag: TIME, order: SORT.DESCEND }]);
    expect(ids(v)).toEqual([4, 5, 1, 3, 2]);
    v.sortTable([
      { tag: IMPORTANCE, order: SORT.DESCEND },
      { tag: TIME, order: SORT.ASCEND },
    ]);
    expect(ids(v)).toEqual([2, 5, 3, 1, 4]);
  });

  it('sorts binary bytewise (shorter prefix first) and booleans FALSE before TRUE', () => {
    const BIN = 0x300b0102;
    const BOOL = 0x0e1b000b;
    const rows = [
      row(1, { [BIN]: Buffer.from([2]), [BOOL]: true }),
      row(2, { [BIN]: Buffer.from([1, 5]), [BOOL]: false }),
      row(3, { [BIN]: Buffer.from([1]), [BOOL]: true }),
      row(4, { [BOOL]: false }),
    ];
    const v = new TableView(rows);
    v.sortTable([{ tag: BIN, order: SORT.ASCEND }]);
    expect(ids(v)).toEqual([3, 2, 1, 4]);
    v.sortTable([{ tag: BOOL, order: SORT.ASCEND }]);
    expect(ids(v)).toEqual([2, 4, 1, 3]);
  });

  it('sorts by the single values of an MV_INSTANCE property', () => {
    const v = new TableView(ROWS);
    v.sortTable([{ tag: CATS_I, order: SORT.ASCEND }]);
    v.setColumns([PidTagInstID, PidTagInstanceNum, CATS_I]);
    expect(v.queryRows(100).rows).toEqual([
      [1n, 2, 'Blue'],
      [2n, 1, 'Blue'],
      [1n, 1, 'Red'],
      [5n, 1, 'Red'],
      [3n, 0, NF],
      [4n, 0, NF],
    ]);
  });

  it('rejects counts out of range and unknown orders with ecInvalidParam', () => {
    const v = new TableView(ROWS);
    expect(tableErr(() => v.sortTable([{ tag: SUBJECT, order: 0 }], 2, 0)).ec).toBe(TABLE_EC.InvalidParam);
    expect(tableErr(() => v.sortTable([{ tag: SUBJECT, order: 0 }], 1, 2)).ec).toBe(TABLE_EC.InvalidParam);
    expect(tableErr(() => v.sortTable([{ tag: SUBJECT, order: 7 }])).ec).toBe(TABLE_EC.InvalidParam);
  });

  it('moves the cursor to the beginning', () => {
    const v = new TableView(ROWS);
    v.seekRow(BOOKMARK.BEGINNING, 3);
    v.sortTable([{ tag: TIME, order: SORT.ASCEND }]);
    expect(v.queryPosition().numerator).toBe(0);
  });
});

describe('categories', () => {
  const bySender = [
    { tag: SENDER, order: SORT.ASCEND },
    { tag: TIME, order: SORT.DESCEND },
  ];

  it('one level, expanded: header rows with counts, then their rows', () => {
    const v = new TableView(ROWS);
    v.sortTable(bySender, 1, 1);
    expect(shape(v)).toEqual(['Halice', '5', '2', 'HBob', '1', '3', 'HCarol', '4']);
    v.setColumns([PidTagRowType, PidTagDepth, PidTagInstanceNum, PidTagContentCount, PidTagContentUnreadCount, SENDER, SUBJECT]);
    expect(v.rowAt(0)).toEqual([TBL.EXPANDED_CATEGORY, 0, 0, 2, 1, 'alice', NF]);
    expect(v.rowAt(1)).toEqual([TBL.LEAF_ROW, 1, 0, NF, NF, 'alice', NF]);
    expect(v.rowAt(6)).toEqual([TBL.EXPANDED_CATEGORY, 0, 0, 1, 0, 'Carol', NF]);
  });

  it('one level, collapsed: expandRow/collapseRow counts and rows', () => {
    const v = new TableView(ROWS);
    v.sortTable(bySender, 1, 0);
    expect(shape(v)).toEqual(['Halice', 'HBob', 'HCarol']);
    const bob = catId(v, 1);
    v.setColumns([PidTagInstID]);
    const ex = v.expandRow(bob, 1);
    expect(ex.expandedRowCount).toBe(2);
    expect(ex.rows).toEqual([[1n]]);
    expect(shape(v)).toEqual(['Halice', 'HBob', '1', '3', 'HCarol']);
    v.setColumns([PidTagRowType]);
    expect(v.rowAt(1)).toEqual([TBL.EXPANDED_CATEGORY]);
    expect(tableErr(() => v.expandRow(bob, 10)).ec).toBe(TABLE_EC.NotCollapsed);
    expect(v.collapseRow(bob)).toBe(2);
    expect(tableErr(() => v.collapseRow(bob)).ec).toBe(TABLE_EC.NotExpanded);
    expect(tableErr(() => v.expandRow(999999n, 1)).ec).toBe(TABLE_EC.NotFound);
    expect(shape(v)).toEqual(['Halice', 'HBob', 'HCarol']);
  });

  const twoLevels = [
    { tag: SENDER, order: SORT.ASCEND },
    { tag: IMPORTANCE, order: SORT.DESCEND },
    { tag: TIME, order: SORT.DESCEND },
  ];

  it('two levels: ExpandedCount decides which levels start expanded', () => {
    const v = new TableView(ROWS);
    v.sortTable(twoLevels, 2, 2);
    expect(shape(v, IMPORTANCE)).toEqual(['H-', 'H2', '5', '2', 'H-', 'H1', '1', '3', 'H-', 'H0', '4']);
    v.sortTable(twoLevels, 2, 0);
    expect(shape(v)).toEqual(['Halice', 'HBob', 'HCarol']);
    v.sortTable(twoLevels, 2, 1);
    expect(shape(v, IMPORTANCE)).toEqual(['H-', 'H2', 'H-', 'H1', 'H-', 'H0']);
    v.setColumns([PidTagDepth, SENDER, IMPORTANCE, PidTagContentCount, PidTagRowType]);
    expect(v.rowAt(1)).toEqual([1, 'alice', 2, 2, TBL.COLLAPSED_CATEGORY]);
  });

  it('two levels: collapsing a parent hides its expanded children, expanding shows them again', () => {
    const v = new TableView(ROWS);
    v.sortTable(twoLevels, 2, 1);
    const alice = catId(v, 0);
    const alice2 = catId(v, 1);
    expect(v.expandRow(alice2, 10).expandedRowCount).toBe(2);
    expect(shape(v)).toEqual(['Halice', 'Halice', '5', '2', 'HBob', 'HBob', 'HCarol', 'HCarol']);
    expect(v.collapseRow(alice)).toBe(3);
    expect(shape(v)).toEqual(['Halice', 'HBob', 'HBob', 'HCarol', 'HCarol']);
    const ex = v.expandRow(alice, 10);
    expect(ex.expandedRowCount).toBe(3);
    expect(ex.rows.length).toBe(3);
    expect(v.rowCount).toBe(8);
  });

  it('header PidTagInstID values are distinct from each other and stable across refresh', () => {
    const v = new TableView(ROWS);
    v.sortTable(twoLevels, 2, 1);
    const before = [0, 1, 2, 3, 4, 5].map((i) => catId(v, i));
    expect(new Set(before).size).toBe(6);
    v.refresh(ROWS.slice());
    expect([0, 1, 2, 3, 4, 5].map((i) => catId(v, i))).toEqual(before);
  });

  it('collapse and expand keep the cursor on its row', () => {
    const v = new TableView(ROWS);
    v.sortTable(bySender, 1, 1);
    v.seekRow(BOOKMARK.BEGINNING, 4); // row 1 under Bob
    const alice = catId(v, 0);
    v.collapseRow(alice);
    expect(v.queryPosition().numerator).toBe(2);
    v.setColumns([PidTagInstID]);
    expect(v.queryRows(1, true, true).rows).toEqual([[1n]]);
    // collapsing the category the cursor is in moves it to the next visible row
    const bob = catId(v, 1);
    v.collapseRow(bob);
    v.setColumns([PidTagInstID, PidTagRowType]);
    expect(v.queryRows(1, true, true).rows[0]?.[1]).toBe(TBL.EXPANDED_CATEGORY);
    expect(v.queryPosition().numerator).toBe(2);
  });

  it('categories by an MV_INSTANCE property, rows without values under an empty category', () => {
    const v = new TableView(ROWS);
    v.sortTable([{ tag: CATS_I, order: SORT.ASCEND }, { tag: TIME, order: SORT.ASCEND }], 1, 1);
    expect(shape(v, CATS_I)).toEqual(['HBlue', '2', '1', 'HRed', '1', '5', 'H-', '3', '4']);
  });

  it('MaximumCategory orders categories by the largest value of their rows', () => {
    const v = new TableView(ROWS);
    v.sortTable(
      [
        { tag: SENDER, order: SORT.ASCEND },
        { tag: TIME, order: SORT.MAX_CATEGORY },
        { tag: TIME, order: SORT.DESCEND },
      ],
      1,
      1,
    );
    expect(shape(v)).toEqual(['HCarol', '4', 'Halice', '5', '2', 'HBob', '1', '3']);
  });

  it('restriction applies before categorizing: categories exist only with rows', () => {
    const v = new TableView(ROWS);
    v.sortTable(bySender, 1, 1);
    v.restrict({ type: 'property', relop: RELOP.RELOP_GE, propTag: TIME, value: { tag: TIME, value: 300n } });
    expect(shape(v)).toEqual(['Halice', '5', 'HBob', '1', 'HCarol', '4']);
  });
});

describe('seek and position', () => {
  it('seekRow clamps and reports what it moved', () => {
    const v = new TableView(ROWS);
    expect(v.seekRow(BOOKMARK.BEGINNING, 2)).toEqual({ hasSoughtLess: false, rowsSought: 2 });
    expect(v.seekRow(BOOKMARK.CURRENT, -5)).toEqual({ hasSoughtLess: true, rowsSought: -2 });
    expect(v.seekRow(BOOKMARK.END, -1)).toEqual({ hasSoughtLess: false, rowsSought: -1 });
    expect(v.queryPosition()).toEqual({ numerator: 4, denominator: 5 });
    expect(v.seekRow(BOOKMARK.CURRENT, 10)).toEqual({ hasSoughtLess: true, rowsSought: 1 });
    expect(v.seekRow(BOOKMARK.BEGINNING, 1, false)).toEqual({ hasSoughtLess: false, rowsSought: 0 });
    expect(v.queryPosition().numerator).toBe(1);
    expect(tableErr(() => v.seekRow(7, 0)).ec).toBe(TABLE_EC.InvalidBookmark);
  });

  it('seekRowFractional: 0 to the beginning, >= denominator to the end, else the proportional row', () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(i, { [TIME]: BigInt(i) }));
    const v = new TableView(rows);
    v.seekRowFractional(1, 2);
    expect(v.queryPosition()).toEqual({ numerator: 50, denominator: 100 });
    v.seekRowFractional(0, 0);
    expect(v.queryPosition().numerator).toBe(0);
    v.seekRowFractional(3, 3);
    expect(v.queryPosition().numerator).toBe(100);
    v.seekRowFractional(5, 4);
    expect(v.queryPosition().numerator).toBe(100);
    v.seekRowFractional(1, 3);
    expect(v.queryPosition().numerator).toBe(33);
    v.seekRowFractional(0xffffffff - 1, 0xffffffff);
    expect(v.queryPosition().numerator).toBe(99);
  });
});

describe('bookmarks', () => {
  it('seekRowBookmark returns to the bookmarked row', () => {
    const v = new TableView(ROWS);
    v.seekRow(BOOKMARK.BEGINNING, 3);
    const bm = v.createBookmark();
    v.seekRow(BOOKMARK.BEGINNING, 0);
    expect(v.seekRowBookmark(bm, 1)).toEqual({ rowNoLongerVisible: false, hasSoughtLess: false, rowsSought: 1 });
    expect(v.queryPosition().numerator).toBe(4);
    expect(v.seekRowBookmark(bm, -10)).toEqual({ rowNoLongerVisible: false, hasSoughtLess: true, rowsSought: -3 });
    v.freeBookmark(bm);
    expect(tableErr(() => v.seekRowBookmark(bm, 0)).ec).toBe(TABLE_EC.InvalidBookmark);
    expect(tableErr(() => v.freeBookmark(bm)).ec).toBe(TABLE_EC.InvalidBookmark);
  });

  it('a bookmark at the end stays at the end', () => {
    const v = new TableView(ROWS);
    v.seekRow(BOOKMARK.END, 0);
    const bm = v.createBookmark();
    v.seekRow(BOOKMARK.BEGINNING, 0);
    v.seekRowBookmark(bm, 0);
    expect(v.queryPosition().numerator).toBe(5);
  });

  it('sort, restrict and reset invalidate bookmarks', () => {
    const v = new TableView(ROWS);
    const a = v.createBookmark();
    v.restrict({ type: 'exist', propTag: SUBJECT });
    expect(tableErr(() => v.seekRowBookmark(a, 0)).ec).toBe(TABLE_EC.InvalidBookmark);
    const b = v.createBookmark();
    v.sortTable([{ tag: TIME, order: SORT.ASCEND }]);
    expect(tableErr(() => v.seekRowBookmark(b, 0)).ec).toBe(TABLE_EC.InvalidBookmark);
    const c = v.createBookmark();
    v.resetTable();
    expect(tableErr(() => v.findRow({ type: 'exist', propTag: TIME }, BOOKMARK.CUSTOM, c)).ec).toBe(TABLE_EC.InvalidBookmark);
  });

  it('a bookmark created after a restriction works; refresh that deletes its row gives RowNoLongerVisible and the next row', () => {
    const v = new TableView(ROWS);
    v.sortTable([{ tag: TIME, order: SORT.ASCEND }]); // 2,3,1,5,4
    v.restrict({ type: 'property', relop: RELOP.RELOP_NE, propTag: IMPORTANCE, value: { tag: IMPORTANCE, value: 0 } }); // 2,3,1,5
    v.setColumns([PidTagInstID]);
    v.seekRow(BOOKMARK.BEGINNING, 1);
    const bm = v.createBookmark(); // row 3
    v.seekRow(BOOKMARK.BEGINNING, 3); // cursor on 5
    v.refresh(ROWS.filter((r) => r.id !== 3n)); // 2,1,5
    expect(v.queryRows(1, true, true).rows).toEqual([[5n]]);
    const r = v.seekRowBookmark(bm, 0);
    expect(r.rowNoLongerVisible).toBe(true);
    expect(v.queryRows(1, true, true).rows).toEqual([[1n]]);
    // a row changed so that it no longer matches the restriction
    const bm1 = v.createBookmark(); // row 1
    v.refresh(ROWS.filter((x) => x.id !== 3n).map((x) => (x.id === 1n ? row(1, { [TIME]: 300n, [IMPORTANCE]: 0 }) : x)));
    expect(v.seekRowBookmark(bm1, 0).rowNoLongerVisible).toBe(true);
    expect(v.queryRows(1, true, true).rows).toEqual([[5n]]);
  });

  it('a bookmark on a row hidden by a collapse reports RowNoLongerVisible and seeks from the next visible row', () => {
    const v = new TableView(ROWS);
    v.sortTable(
      [
        { tag: SENDER, order: SORT.ASCEND },
        { tag: TIME, order: SORT.DESCEND },
      ],
      1,
      1,
    );
    v.seekRow(BOOKMARK.BEGINNING, 2); // row 2 under alice
    const bm = v.createBookmark();
    v.collapseRow(catId(v, 0));
    const r = v.seekRowBookmark(bm, 0);
    expect(r.rowNoLongerVisible).toBe(true);
    expect(v.queryPosition().numerator).toBe(1); // the Bob header
    v.expandRow(catId(v, 0), 0);
    expect(v.seekRowBookmark(bm, 0).rowNoLongerVisible).toBe(false);
    expect(v.queryPosition().numerator).toBe(2);
  });

  it('junk and foreign bookmarks are ecInvalidBookmark', () => {
    const v = new TableView(ROWS);
    const w = new TableView(ROWS);
    expect(tableErr(() => v.seekRowBookmark(Buffer.alloc(3), 0)).ec).toBe(TABLE_EC.InvalidBookmark);
    expect(tableErr(() => v.seekRowBookmark(Buffer.alloc(16), 0)).ec).toBe(TABLE_EC.InvalidBookmark);
    expect(tableErr(() => v.seekRowBookmark(w.createBookmark(), 0)).ec).toBe(TABLE_EC.InvalidBookmark);
  });
});

describe('findRow', () => {
  const isBob = { type: 'content' as const, fuzzyLevel: 0x10000, propTag: SENDER, value: { tag: SENDER, value: 'bob' } };

  it('finds forward from the beginning, the cursor and a bookmark; backward from the end', () => {
    const v = new TableView(ROWS);
    v.setColumns([PidTagInstID]);
    expect(v.findRow(isBob, BOOKMARK.BEGINNING)).toEqual({ rowNoLongerVisible: false, row: [1n], position: 0 });
    v.seekRow(BOOKMARK.CURRENT, 1);
    expect(v.findRow(isBob, BOOKMARK.CURRENT).row).toEqual([3n]);
    expect(v.queryPosition().numerator).toBe(2);
    expect(v.findRow(isBob, BOOKMARK.END, null, true).row).toEqual([3n]);
    v.seekRow(BOOKMARK.BEGINNING, 1);
    expect(v.findRow(isBob, BOOKMARK.CURRENT, null, true).row).toEqual([1n]);
    v.seekRow(BOOKMARK.BEGINNING, 3);
    const bm = v.createBookmark();
    v.seekRow(BOOKMARK.BEGINNING, 0);
    expect(v.findRow(isBob, BOOKMARK.CUSTOM, bm).row).toBe(null);
    expect(v.queryPosition().numerator).toBe(0);
    expect(v.findRow(isBob, BOOKMARK.CUSTOM, bm, true).row).toEqual([3n]);
  });

  it('matches header rows on their computed properties', () => {
    const v = new TableView(ROWS);
    v.sortTable([{ tag: SENDER, order: SORT.ASCEND }], 1, 0);
    v.setColumns([SENDER, PidTagContentCount]);
    const r = v.findRow({ type: 'property', relop: RELOP.RELOP_EQ, propTag: PidTagContentCount, value: { tag: PidTagContentCount, value: 1 } }, BOOKMARK.BEGINNING);
    expect(r.row).toEqual(['Carol', 1]);
  });

  it('refuses RELOP_RE', () => {
    const v = new TableView(ROWS);
    const res = { type: 'property' as const, relop: RELOP.RELOP_RE, propTag: SUBJECT, value: { tag: SUBJECT, value: 'a.*' } };
    expect(tableErr(() => v.findRow(res, BOOKMARK.BEGINNING)).ec).toBe(TABLE_EC.TooComplex);
    expect(tableErr(() => v.restrict(res)).ec).toBe(TABLE_EC.TooComplex);
  });
});

describe('collapse state', () => {
  const twoLevels = [
    { tag: SENDER, order: SORT.ASCEND },
    { tag: IMPORTANCE, order: SORT.DESCEND },
    { tag: TIME, order: SORT.DESCEND },
  ];

  it('round-trips into another view with the same sort, with a bookmark of the row', () => {
    const v = new TableView(ROWS);
    v.sortTable(twoLevels, 2, 1);
    v.expandRow(catId(v, 3), 0); // Bob / 1
    v.collapseRow(catId(v, 0)); // alice
    const expected = shape(v);
    expect(expected).toEqual(['Halice', 'HBob', 'HBob', '1', '3', 'HCarol', 'HCarol']);
    const state = v.getCollapseState(3n, 0);
    const w = new TableView(ROWS);
    w.sortTable(twoLevels, 2, 1);
    const bm = w.setCollapseState(state);
    expect(shape(w)).toEqual(expected);
    const r = w.seekRowBookmark(bm, 0);
    expect(r.rowNoLongerVisible).toBe(false);
    w.setColumns([PidTagInstID]);
    expect(w.queryRows(1).rows).toEqual([[3n]]);
  });

  it('under another sort order it changes nothing and the bookmark is invalid', () => {
    const v = new TableView(ROWS);
    v.sortTable(twoLevels, 2, 1);
    const state = v.getCollapseState(1n, 0);
    const w = new TableView(ROWS);
    w.sortTable(twoLevels, 2, 2);
    const bm = w.setCollapseState(state);
    expect(w.rowCount).toBe(11);
    expect(tableErr(() => w.seekRowBookmark(bm, 0)).ec).toBe(TABLE_EC.InvalidBookmark);
  });

  it('junk is ecInvalidParam', () => {
    const v = new TableView(ROWS);
    v.sortTable(twoLevels, 2, 1);
    const good = v.getCollapseState(1n, 0);
    for (const junk of [Buffer.alloc(0), Buffer.alloc(40), Buffer.concat([good, Buffer.from([0])]), good.subarray(0, good.length - 1)]) {
      expect(tableErr(() => v.setCollapseState(junk)).ec).toBe(TABLE_EC.InvalidParam);
    }
    const flipped = Buffer.from(good);
    flipped[30] = (flipped[30] as number) ^ 0xff;
    expect(tableErr(() => v.setCollapseState(flipped)).ec).toBe(TABLE_EC.InvalidParam);
  });
});

describe('refresh, reset, columns, status', () => {
  it('refresh keeps the cursor on its row and adds new rows in sort order', () => {
    const v = new TableView(ROWS);
    v.sortTable([{ tag: TIME, order: SORT.ASCEND }]); // 2,3,1,5,4
    v.setColumns([PidTagInstID]);
    v.seekRow(BOOKMARK.BEGINNING, 2); // on 1
    v.refresh([...ROWS, row(6, { [TIME]: 50n })]);
    expect(v.queryPosition()).toEqual({ numerator: 3, denominator: 6 });
    expect(v.queryRows(1, true, true).rows).toEqual([[1n]]);
    v.refresh(ROWS.filter((r) => r.id !== 1n));
    expect(v.queryRows(1, true, true).rows).toEqual([[5n]]);
    v.refresh([]);
    expect(v.queryPosition()).toEqual({ numerator: 0, denominator: 0 });
    expect(v.queryRows(10)).toEqual({ origin: BOOKMARK.END, rows: [] });
  });

  it('resetTable drops columns, sort, categories and restriction', () => {
    const v = new TableView(ROWS);
    v.setColumns([SUBJECT]);
    v.sortTable([{ tag: SENDER, order: SORT.ASCEND }], 1, 0);
    v.restrict({ type: 'exist', propTag: SUBJECT });
    v.resetTable();
    expect(v.getColumns()).toEqual([]);
    expect(ids(v)).toEqual([1, 2, 3, 4, 5]);
  });

  it('queryColumnsAll lists every tag present; getStatus is complete', () => {
    const v = new TableView(ROWS);
    expect(new Set(v.queryColumnsAll())).toEqual(new Set([SUBJECT, TIME, SENDER, FLAGS, CATS, IMPORTANCE]));
    expect(v.getStatus()).toBe(TBLSTAT.COMPLETE);
  });

  it('an empty table', () => {
    const v = new TableView([]);
    v.sortTable([{ tag: SENDER, order: SORT.ASCEND }], 1, 1);
    expect(v.queryRows(10)).toEqual({ origin: BOOKMARK.END, rows: [] });
    expect(v.queryPosition()).toEqual({ numerator: 0, denominator: 0 });
    v.seekRowFractional(1, 2);
    expect(v.queryPosition().numerator).toBe(0);
  });

  it('PT types are as documented', () => {
    expect(PT.UNICODE).toBe(0x1f);
  });
});

describe('restrictions on MV_INSTANCE rows', () => {
  it('an MV_INSTANCE tag in a restriction tests the instance value; a plain MV tag any value', () => {
    const v = new TableView(ROWS);
    v.setColumns([PidTagInstID, PidTagInstanceNum, CATS_I]);
    v.restrict({ type: 'property', relop: RELOP.RELOP_EQ, propTag: CATS_I, value: { tag: 0x8001001f, value: 'red' } });
    expect(v.queryRows(100).rows).toEqual([
      [1n, 1, 'Red'],
      [5n, 1, 'Red'],
    ]);
    v.restrict({ type: 'property', relop: RELOP.RELOP_EQ, propTag: CATS, value: { tag: 0x8001001f, value: 'red' } });
    expect(v.queryRows(100).rows).toEqual([
      [1n, 1, 'Red'],
      [1n, 2, 'Blue'],
      [5n, 1, 'Red'],
    ]);
  });
});

describe('refresh with categories', () => {
  it('a new row joins its category, an emptied category disappears, bookmarks on it move on', () => {
    const v = new TableView(ROWS);
    v.sortTable(
      [
        { tag: SENDER, order: SORT.ASCEND },
        { tag: TIME, order: SORT.DESCEND },
      ],
      1,
      1,
    );
    v.seekRow(BOOKMARK.BEGINNING, 6); // Carol header
    const bm = v.createBookmark();
    v.refresh([...ROWS.filter((r) => r.id !== 4n), row(9, { [SENDER]: 'ALICE', [TIME]: 999n })]);
    expect(shape(v)).toEqual(['HALICE', '9', '5', '2', 'HBob', '1', '3']); // a header shows its first row's value
    const r = v.seekRowBookmark(bm, 0);
    expect(r.rowNoLongerVisible).toBe(true);
    expect(v.queryPosition()).toEqual({ numerator: 7, denominator: 7 });
  });
});
