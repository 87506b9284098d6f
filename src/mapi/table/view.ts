// MS-OXCTABL table view: columns, sort and categories, restriction, cursor, bookmarks, expand/collapse and collapse
// states over rows handed over by the store. The visible rows are an array recomputed only by sort, restrict,
// expand, collapse, set-collapse-state, refresh and reset; the cursor is an index into it, so reading rows costs
// O(rows read).
//
// Choices where MS-OXCTABL leaves room (each documented at the method):
// - rows missing a sort property come last in both directions (MAPI SSortOrder: "all NULL entries placed last");
// - RopQueryRows backwards (ForwardRead FALSE) returns the RowCount rows before the cursor in table order and, when
//   advancing, leaves the cursor on the first of them (3.2.5.5);
// - a bookmark survives refresh(): when its row went away it moves to the next row that is still there and reports
//   RowNoLongerVisible from then on; sort, restrict and reset invalidate every bookmark (ecInvalidBookmark).
//
// This module holds the view's state and its ROP operations; the row layout (MV_INSTANCE rows, restriction, sort,
// categories, positions) is in layout.ts and the cursor's seeking and the bookmark slots in cursor.ts, free functions
// of the state marked @internal here.
import { encodeBookmark, invalidBookmark, encodeCollapseState, decodeCollapseState } from './bookmarks.js';
import type { CatNode, CategoryState, Entry, Leaf } from './categories.js';
import { Cells, type Getter } from './cells.js';
import { checkBookmark, invalidate, newBookmark, originPos, resolveBookmark, seekFrom, type BookmarkSlot } from './cursor.js';
import { RestrictionEvaluator, validateRestriction } from './evaluate.js';
import { category, findEntry, pickMvi, positionOf, rebuild, rebuildInstances, relayout, sortSignature } from './layout.js';
import {
  BOOKMARK,
  SORT,
  TABLE_EC,
  TBLSTAT,
  TableError,
  type SortOrder,
  type SubObjectsHook,
  type TableCell,
  type TableRestriction,
  type TableRow,
} from './types.js';
import type { RestrictionLimits } from '../restriction.js';

export interface TableViewOptions {
  /** Rows of a message's recipients/attachments for SUBRESTRICTION. */
  subObjects?: SubObjectsHook;
  restrictionLimits?: RestrictionLimits;
  /** Most live bookmarks per view (RopCreateBookmark beyond it: ecTooComplex... mapped by the handler). */
  maxBookmarks?: number;
}

export interface QueryRowsResult {
  /** BOOKMARK.BEGINNING / CURRENT / END as RopQueryRows reports it. */
  origin: number;
  rows: TableCell[][];
}

export interface SeekResult {
  hasSoughtLess: boolean;
  /** Signed number of rows moved (0 unless wantMovedCount). */
  rowsSought: number;
}

export class TableView {
  /** @internal */ base: readonly TableRow[];
  private columns: number[] = [];
  private getters: Getter[] = [];
  /** @internal */ sortOrders: SortOrder[] = [];
  /** @internal */ expandedCount = 0;
  /** @internal */ restriction: TableRestriction | null = null;
  /** @internal */ readonly cells = new Cells();

  /** @internal */ instances: Leaf[] = [];
  /** @internal */ roots: CatNode[] | null = null;
  /** @internal */ all: Entry[] = [];
  /** @internal */ visible: Entry[] = [];
  /** @internal */ categoriesById = new Map<bigint, CatNode>();
  /** @internal */ catState = new Map<string, CategoryState>();
  /** @internal */ nextCategoryId = 1n;

  /** @internal */ cursor = 0;
  /** @internal */ generation = 1;
  /** @internal */ readonly token = (Math.random() * 0x100000000) >>> 0;
  /** @internal */ bookmarks = new Map<number, BookmarkSlot>();
  /** @internal */ nextBookmark = 1;
  /** @internal */ readonly opts: TableViewOptions;

  constructor(rows: readonly TableRow[], opts: TableViewOptions = {}) {
    this.base = rows;
    this.opts = opts;
    rebuildInstances(this);
    rebuild(this);
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.1 RopSetColumns

  /**
   * Sets the columns rows are returned with. A string column may be asked with either string type (the stored
   * value is returned; the codec converts). A column with MV_INSTANCE returns one row per value of that
   * multi-valued property (the cell holds the single value). Only one MV_INSTANCE property per view
   * (ecTooComplex otherwise). The cursor stays, unless the MV_INSTANCE property changes (rows change: cursor to
   * the beginning, bookmarks invalid).
   */
  setColumns(tags: readonly number[]): void {
    const mvi = pickMvi(this.sortOrders, tags);
    this.columns = tags.map((t) => t >>> 0);
    this.getters = this.columns.map((t) => this.cells.getter(t));
    if (mvi !== this.cells.mviTag) {
      this.cells.mviTag = mvi;
      rebuildInstances(this);
      invalidate(this);
      rebuild(this);
    }
  }

  getColumns(): readonly number[] {
    return this.columns;
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.2 RopSortTable

  /**
   * Sorts (multi-key, stable) and categorizes. The first `categorizedCount` sort orders that are not
   * MaximumCategory are category columns; levels below `expandedCount` start expanded. Moves the cursor to the
   * beginning and invalidates every bookmark. Throws TableError (ecInvalidParam) for counts out of range or an
   * unknown order, ecTooComplex for two MV_INSTANCE properties.
   */
  sortTable(sortOrders: readonly SortOrder[], categorizedCount = 0, expandedCount = 0): void {
    const orders = sortOrders.map((s) => ({ tag: s.tag >>> 0, order: s.order }));
    for (const s of orders) {
      if (s.order !== SORT.ASCEND && s.order !== SORT.DESCEND && s.order !== SORT.MAX_CATEGORY) throw invalidParam(`sort order ${s.order}`);
    }
    const plain = orders.filter((s) => s.order !== SORT.MAX_CATEGORY).length;
    if (categorizedCount < 0 || categorizedCount > plain) throw invalidParam('CategoryCount exceeds the sort orders');
    if (expandedCount < 0 || expandedCount > categorizedCount) throw invalidParam('ExpandedCount exceeds CategoryCount');
    const mvi = pickMvi(orders, this.columns);
    this.sortOrders = orders;
    this.cells.categorizedCount = categorizedCount;
    this.expandedCount = expandedCount;
    this.catState.clear();
    if (mvi !== this.cells.mviTag) {
      this.cells.mviTag = mvi;
      rebuildInstances(this);
    }
    invalidate(this);
    rebuild(this);
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.3 RopRestrict

  /**
   * Keeps the rows matching `restriction` (null removes it). Validated first (checkRestriction limits; RELOP_RE
   * and unknown operators -> TableError ecTooComplex). Moves the cursor to the beginning, invalidates bookmarks.
   */
  restrict(restriction: TableRestriction | null): void {
    if (restriction) validateRestriction(restriction, this.opts.restrictionLimits);
    this.restriction = restriction;
    invalidate(this);
    rebuild(this);
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.15 RopResetTable

  /** Removes columns, sort order, categories and restriction; cursor to the beginning; bookmarks invalid. */
  resetTable(): void {
    this.columns = [];
    this.getters = [];
    this.sortOrders = [];
    this.cells.categorizedCount = 0;
    this.expandedCount = 0;
    this.restriction = null;
    this.catState.clear();
    if (this.cells.mviTag !== null) {
      this.cells.mviTag = null;
      rebuildInstances(this);
    }
    invalidate(this);
    rebuild(this);
  }

  /**
   * The store changed: replaces the underlying rows and rebuilds the view with the same columns, sort, categories
   * (keeping their ids and expanded states) and restriction. The cursor stays on its row, or moves to the next row
   * still present; bookmarks do the same and report RowNoLongerVisible when their row went away.
   */
  refresh(rows: readonly TableRow[]): void {
    const oldAll = this.all;
    const oldCursorEntry = this.cursor < this.visible.length ? (this.visible[this.cursor] as Entry) : null;
    this.base = rows;
    rebuildInstances(this);
    rebuild(this);
    const byKey = new Map<string, Entry>();
    for (const e of this.all) byKey.set(e.key, e);
    // survivor[i]: the first entry at or after oldAll[i] (in the old order) that still exists
    const survivor: Array<Entry | null> = new Array(oldAll.length + 1);
    survivor[oldAll.length] = null;
    for (let i = oldAll.length - 1; i >= 0; i--) survivor[i] = byKey.get((oldAll[i] as Entry).key) ?? survivor[i + 1] ?? null;
    const remap = (e: Entry | null): { target: Entry | null; gone: boolean } => {
      if (e === null) return { target: null, gone: false };
      const same = byKey.get(e.key);
      if (same) return { target: same, gone: false };
      return { target: survivor[e.ord] ?? null, gone: true };
    };
    for (const slot of this.bookmarks.values()) {
      const r = remap(slot.target);
      slot.target = r.target;
      if (r.gone) slot.moved = true;
    }
    this.cursor = positionOf(this, remap(oldCursorEntry).target).pos;
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.5 RopQueryRows

  /**
   * Reads up to `count` rows from the cursor. Forward: the rows at the cursor; the cursor moves past them unless
   * `noAdvance`; origin END when no rows follow, else CURRENT. Backward: the `count` rows before the cursor, in
   * table order; the cursor moves to the first of them unless `noAdvance`; origin BEGINNING when none precede,
   * else CURRENT. A handler that fits fewer rows in its buffer reads with noAdvance and then
   * seekRow(BOOKMARK.CURRENT, ±sent).
   */
  queryRows(count: number, forward = true, noAdvance = false): QueryRowsResult {
    const n = Math.max(0, Math.floor(count));
    const len = this.visible.length;
    let from: number;
    let to: number;
    if (forward) {
      from = Math.min(this.cursor, len);
      to = Math.min(len, from + n);
    } else {
      to = Math.min(this.cursor, len);
      from = Math.max(0, to - n);
    }
    const rows: TableCell[][] = new Array(to - from);
    const getters = this.getters;
    const nc = getters.length;
    for (let i = from; i < to; i++) {
      const e = this.visible[i] as Entry;
      const cells: TableCell[] = new Array(nc);
      for (let c = 0; c < nc; c++) cells[c] = (getters[c] as Getter)(e);
      rows[i - from] = cells;
    }
    let origin: number;
    if (forward) {
      if (!noAdvance) this.cursor = to;
      origin = to >= len ? BOOKMARK.END : BOOKMARK.CURRENT;
    } else {
      if (!noAdvance) this.cursor = from;
      origin = from <= 0 ? BOOKMARK.BEGINNING : BOOKMARK.CURRENT;
    }
    return { origin, rows };
  }

  /** Whether the rows are one per store row: no categories and no MV_INSTANCE column (row-level notifications). */
  get flat(): boolean {
    return this.cells.categorizedCount === 0 && this.cells.mviTag === null;
  }

  /**
   * Where the row with id `rowId` (instance 0) is among the visible rows and the id of the row before it (null for
   * the first row): MS-OXCNOTIF 2.2.1.4.1.2 TableRow* / InsertAfterTableRow* of a row-level table notification.
   * Null when the row is not visible (filtered out, or not there).
   */
  locateRow(rowId: bigint): { pos: number; prevId: bigint | null } | null {
    const e = findEntry(this, rowId, 0);
    if (!e) return null;
    const at = positionOf(this, e);
    if (at.hidden) return null;
    const prev = at.pos > 0 ? (this.visible[at.pos - 1] as Entry) : null;
    return { pos: at.pos, prevId: prev === null ? null : prev.kind === 0 ? prev.row.id : prev.id };
  }

  /** The cells of one visible row (by position) in column order, or null past the end. */
  rowAt(pos: number): TableCell[] | null {
    const e = this.visible[pos];
    if (!e) return null;
    return this.getters.map((g) => g(e));
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.7 RopSeekRow, 3.2.5.8 RopSeekRowBookmark, 3.2.5.9 RopSeekRowFractional, 3.2.5.6 RopQueryPosition

  /** Moves the cursor `rowCount` rows (signed) from BEGINNING, CURRENT or END, clamped to the table. */
  seekRow(origin: number, rowCount: number, wantMovedCount = true): SeekResult {
    return seekFrom(this, originPos(this, origin), rowCount, wantMovedCount);
  }

  /**
   * Seeks from a custom bookmark. A bookmark whose row was deleted, filtered out by a refresh or hidden by a
   * collapse reports rowNoLongerVisible and counts from the next visible row. Throws TableError
   * (ecInvalidBookmark) for stale or foreign bookmarks.
   */
  seekRowBookmark(bookmark: Uint8Array, rowCount: number, wantMovedCount = true): SeekResult & { rowNoLongerVisible: boolean } {
    const at = resolveBookmark(this, bookmark);
    return { rowNoLongerVisible: at.noLongerVisible, ...seekFrom(this, at.pos, rowCount, wantMovedCount) };
  }

  /** Numerator 0: beginning; numerator >= denominator: end; else row floor(numerator * rows / denominator). */
  seekRowFractional(numerator: number, denominator: number): void {
    const len = this.visible.length;
    const num = numerator >>> 0;
    const den = denominator >>> 0;
    if (num === 0) this.cursor = 0;
    else if (num >= den) this.cursor = len;
    else this.cursor = Math.min(len, Math.floor((num * len) / den));
  }

  /** Numerator: the cursor's row index; denominator: the number of visible rows. */
  queryPosition(): { numerator: number; denominator: number } {
    return { numerator: this.cursor, denominator: this.visible.length };
  }

  /** Number of visible rows (header rows included). */
  get rowCount(): number {
    return this.visible.length;
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.11 RopCreateBookmark, 3.2.5.14(FreeBookmark)

  /** A bookmark of the row at the cursor (or of the end of the table). */
  createBookmark(): Buffer {
    const max = this.opts.maxBookmarks ?? 10_000;
    if (this.bookmarks.size >= max) throw new TableError('OC_TABLE_TOO_COMPLEX', TABLE_EC.TooComplex, 'too many bookmarks');
    const target = this.cursor < this.visible.length ? (this.visible[this.cursor] as Entry) : null;
    return newBookmark(this, target, false);
  }

  /** Frees a bookmark; TableError (ecInvalidBookmark) when it is not a live bookmark of this view. */
  freeBookmark(bookmark: Uint8Array): void {
    const ref = checkBookmark(this, bookmark);
    this.bookmarks.delete(ref);
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.14 RopFindRow

  /**
   * Finds the first row matching `restriction` from BEGINNING, CURRENT, END or CUSTOM (`bookmark`), forward or
   * backward (backward starts at the origin row itself, or at the last row from END). Header rows are matched on
   * their computed properties. On a match the cursor moves to it and its cells are returned; without one
   * row is null (the handler answers ecNotFound) and the cursor stays.
   */
  findRow(restriction: TableRestriction, origin: number, bookmark: Uint8Array | null = null, backward = false): { rowNoLongerVisible: boolean; row: TableCell[] | null; position: number } {
    validateRestriction(restriction, this.opts.restrictionLimits);
    let start: number;
    let noLongerVisible = false;
    if (origin === BOOKMARK.CUSTOM) {
      if (!bookmark) throw invalidBookmark('BOOKMARK_CUSTOM without a bookmark');
      const at = resolveBookmark(this, bookmark);
      start = at.pos;
      noLongerVisible = at.noLongerVisible;
    } else {
      start = originPos(this, origin);
    }
    const ev = new RestrictionEvaluator(restriction, this.opts.subObjects);
    const len = this.visible.length;
    if (!backward) {
      for (let i = start; i < len; i++) {
        const e = this.visible[i] as Entry;
        if (ev.matches(this.cells.getterFor(e), rowIdOf(e))) {
          this.cursor = i;
          return { rowNoLongerVisible: noLongerVisible, row: this.rowAt(i), position: i };
        }
      }
    } else {
      for (let i = Math.min(start, len - 1); i >= 0; i--) {
        const e = this.visible[i] as Entry;
        if (ev.matches(this.cells.getterFor(e), rowIdOf(e))) {
          this.cursor = i;
          return { rowNoLongerVisible: noLongerVisible, row: this.rowAt(i), position: i };
        }
      }
    }
    return { rowNoLongerVisible: noLongerVisible, row: null, position: -1 };
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.16 RopExpandRow, 3.2.5.17 RopCollapseRow

  /**
   * Expands the category with PidTagInstID `categoryId`: returns how many rows became visible and the first
   * `maxRows` of them. TableError ecNotFound for an unknown id, ecNotCollapsed when already expanded.
   */
  expandRow(categoryId: bigint, maxRows: number): { expandedRowCount: number; rows: TableCell[][] } {
    const node = category(this, categoryId);
    if (node.expanded) throw new TableError('OC_TABLE_NOT_CATEGORY', TABLE_EC.NotCollapsed, 'category is not collapsed');
    const before = this.visible.length;
    node.expanded = true;
    this.catState.set(node.key, { id: node.id, expanded: true });
    relayout(this);
    const added = this.visible.length - before;
    const rows: TableCell[][] = [];
    const at = positionOf(this, node);
    if (!at.hidden) {
      const n = Math.min(Math.max(0, maxRows), added);
      for (let i = 1; i <= n; i++) rows.push(this.rowAt(at.pos + i) as TableCell[]);
    }
    return { expandedRowCount: added, rows };
  }

  /** Collapses the category `categoryId`: returns how many rows were hidden. ecNotExpanded when collapsed. */
  collapseRow(categoryId: bigint): number {
    const node = category(this, categoryId);
    if (!node.expanded) throw new TableError('OC_TABLE_NOT_CATEGORY', TABLE_EC.NotExpanded, 'category is not expanded');
    const before = this.visible.length;
    node.expanded = false;
    this.catState.set(node.key, { id: node.id, expanded: false });
    relayout(this);
    return before - this.visible.length;
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.18 RopGetCollapseState, 3.2.5.19 RopSetCollapseState

  /** The expanded/collapsed state of every category and the row (PidTagInstID, PidTagInstanceNum) to come back to. */
  getCollapseState(rowId: bigint, instance: number): Buffer {
    const states: Array<[string, boolean]> = [];
    for (const [key, st] of this.catState) states.push([key, st.expanded]);
    return encodeCollapseState({ signature: sortSignature(this), rowId, instance, states });
  }

  /**
   * Restores a collapse state and returns a bookmark of its row (or of the next row when that row is gone).
   * TableError (ecInvalidParam) for malformed bytes. A state taken under another sort order changes nothing and
   * yields a bookmark that is not valid (ecInvalidBookmark when used), as MS-OXCTABL 2.2.2.20 describes.
   */
  setCollapseState(bytes: Uint8Array): Buffer {
    const s = decodeCollapseState(bytes);
    if (s.signature !== sortSignature(this)) {
      return encodeBookmark({ token: this.token, generation: this.generation, number: 0 });
    }
    for (const [key, expanded] of s.states) {
      const cur = this.catState.get(key);
      this.catState.set(key, { id: cur?.id ?? this.nextCategoryId++, expanded });
    }
    for (const n of this.categoriesById.values()) {
      const st = this.catState.get(n.key);
      if (st) n.expanded = st.expanded;
    }
    relayout(this);
    const target = findEntry(this, s.rowId, s.instance);
    if (target) return newBookmark(this, target, false);
    return newBookmark(this, this.visible[0] ?? null, true);
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.12 RopQueryColumnsAll, 3.2.5.4 RopGetStatus

  /** Every property tag present in any underlying row (first-seen order). */
  queryColumnsAll(): number[] {
    const seen = new Set<number>();
    for (const r of this.base) for (const t of r.props.keys()) seen.add(t);
    return [...seen];
  }

  /** The engine works synchronously: always TBLSTAT_COMPLETE. */
  getStatus(): number {
    return TBLSTAT.COMPLETE;
  }
}

function rowIdOf(e: Entry): bigint {
  return e.kind === 0 ? e.row.id : e.id;
}

function invalidParam(msg: string): TableError {
  return new TableError('OC_TABLE_INVALID_PARAM', TABLE_EC.InvalidParam, msg);
}
