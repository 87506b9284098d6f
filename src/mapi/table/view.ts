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
import { MV_FLAG, MV_INSTANCE, propId, type PropValue } from '../props.js';
import { encodeBookmark, decodeBookmark, invalidBookmark, encodeCollapseState, decodeCollapseState, fnv1a } from './bookmarks.js';
import { buildCategories, flattenAll, flattenVisible, type CatNode, type CategoryLevel, type CategoryState, type Entry, type Leaf } from './categories.js';
import { foldCase, sortKey } from './compare.js';
import { sortOrder } from './sort.js';
import { Cells, type Getter } from './cells.js';
import { RestrictionEvaluator, lookupProp, validateRestriction } from './evaluate.js';
import {
  BOOKMARK,
  MSGFLAG_READ,
  PidTagMessageFlags,
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

interface BookmarkSlot {
  /** null: the end of the table. */
  target: Entry | null;
  moved: boolean;
}

export class TableView {
  private base: readonly TableRow[];
  private columns: number[] = [];
  private getters: Getter[] = [];
  private sortOrders: SortOrder[] = [];
  private expandedCount = 0;
  private restriction: TableRestriction | null = null;
  private readonly cells = new Cells();

  private instances: Leaf[] = [];
  private roots: CatNode[] | null = null;
  private all: Entry[] = [];
  private visible: Entry[] = [];
  private categoriesById = new Map<bigint, CatNode>();
  private catState = new Map<string, CategoryState>();
  private nextCategoryId = 1n;

  private cursor = 0;
  private generation = 1;
  private readonly token = (Math.random() * 0x100000000) >>> 0;
  private bookmarks = new Map<number, BookmarkSlot>();
  private nextBookmark = 1;
  private readonly opts: TableViewOptions;

  constructor(rows: readonly TableRow[], opts: TableViewOptions = {}) {
    this.base = rows;
    this.opts = opts;
    this.rebuildInstances();
    this.rebuild();
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
    const mvi = this.pickMvi(this.sortOrders, tags);
    this.columns = tags.map((t) => t >>> 0);
    this.getters = this.columns.map((t) => this.cells.getter(t));
    if (mvi !== this.cells.mviTag) {
      this.cells.mviTag = mvi;
      this.rebuildInstances();
      this.invalidate();
      this.rebuild();
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
    const mvi = this.pickMvi(orders, this.columns);
    this.sortOrders = orders;
    this.cells.categorizedCount = categorizedCount;
    this.expandedCount = expandedCount;
    this.catState.clear();
    if (mvi !== this.cells.mviTag) {
      this.cells.mviTag = mvi;
      this.rebuildInstances();
    }
    this.invalidate();
    this.rebuild();
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
    this.invalidate();
    this.rebuild();
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
      this.rebuildInstances();
    }
    this.invalidate();
    this.rebuild();
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
    this.rebuildInstances();
    this.rebuild();
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
    this.cursor = this.positionOf(remap(oldCursorEntry).target).pos;
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
    const e = this.findEntry(rowId, 0);
    if (!e) return null;
    const at = this.positionOf(e);
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
    return this.seekFrom(this.originPos(origin), rowCount, wantMovedCount);
  }

  /**
   * Seeks from a custom bookmark. A bookmark whose row was deleted, filtered out by a refresh or hidden by a
   * collapse reports rowNoLongerVisible and counts from the next visible row. Throws TableError
   * (ecInvalidBookmark) for stale or foreign bookmarks.
   */
  seekRowBookmark(bookmark: Uint8Array, rowCount: number, wantMovedCount = true): SeekResult & { rowNoLongerVisible: boolean } {
    const at = this.resolveBookmark(bookmark);
    return { rowNoLongerVisible: at.noLongerVisible, ...this.seekFrom(at.pos, rowCount, wantMovedCount) };
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
    return this.newBookmark(target, false);
  }

  /** Frees a bookmark; TableError (ecInvalidBookmark) when it is not a live bookmark of this view. */
  freeBookmark(bookmark: Uint8Array): void {
    const ref = this.checkBookmark(bookmark);
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
      const at = this.resolveBookmark(bookmark);
      start = at.pos;
      noLongerVisible = at.noLongerVisible;
    } else {
      start = this.originPos(origin);
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
    const node = this.category(categoryId);
    if (node.expanded) throw new TableError('OC_TABLE_NOT_CATEGORY', TABLE_EC.NotCollapsed, 'category is not collapsed');
    const before = this.visible.length;
    node.expanded = true;
    this.catState.set(node.key, { id: node.id, expanded: true });
    this.relayout();
    const added = this.visible.length - before;
    const rows: TableCell[][] = [];
    const at = this.positionOf(node);
    if (!at.hidden) {
      const n = Math.min(Math.max(0, maxRows), added);
      for (let i = 1; i <= n; i++) rows.push(this.rowAt(at.pos + i) as TableCell[]);
    }
    return { expandedRowCount: added, rows };
  }

  /** Collapses the category `categoryId`: returns how many rows were hidden. ecNotExpanded when collapsed. */
  collapseRow(categoryId: bigint): number {
    const node = this.category(categoryId);
    if (!node.expanded) throw new TableError('OC_TABLE_NOT_CATEGORY', TABLE_EC.NotExpanded, 'category is not expanded');
    const before = this.visible.length;
    node.expanded = false;
    this.catState.set(node.key, { id: node.id, expanded: false });
    this.relayout();
    return before - this.visible.length;
  }

  // -------------------------------------------------------------------------------------------------------------
  // MS-OXCTABL 3.2.5.18 RopGetCollapseState, 3.2.5.19 RopSetCollapseState

  /** The expanded/collapsed state of every category and the row (PidTagInstID, PidTagInstanceNum) to come back to. */
  getCollapseState(rowId: bigint, instance: number): Buffer {
    const states: Array<[string, boolean]> = [];
    for (const [key, st] of this.catState) states.push([key, st.expanded]);
    return encodeCollapseState({ signature: this.sortSignature(), rowId, instance, states });
  }

  /**
   * Restores a collapse state and returns a bookmark of its row (or of the next row when that row is gone).
   * TableError (ecInvalidParam) for malformed bytes. A state taken under another sort order changes nothing and
   * yields a bookmark that is not valid (ecInvalidBookmark when used), as MS-OXCTABL 2.2.2.20 describes.
   */
  setCollapseState(bytes: Uint8Array): Buffer {
    const s = decodeCollapseState(bytes);
    if (s.signature !== this.sortSignature()) {
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
    this.relayout();
    const target = this.findEntry(s.rowId, s.instance);
    if (target) return this.newBookmark(target, false);
    return this.newBookmark(this.visible[0] ?? null, true);
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

  // -------------------------------------------------------------------------------------------------------------
  // internals

  private invalidate(): void {
    this.generation = (this.generation + 1) >>> 0 || 1;
    this.bookmarks.clear();
    this.cursor = 0;
  }

  private pickMvi(orders: readonly SortOrder[], cols: readonly number[]): number | null {
    let found: number | null = null;
    for (const t of [...orders.map((s) => s.tag), ...cols]) {
      if ((t & MV_INSTANCE) === 0 || (t & MV_FLAG) === 0) continue;
      if (found === null) found = t >>> 0;
      else if (propId(found) !== propId(t)) throw new TableError('OC_TABLE_TOO_COMPLEX', TABLE_EC.TooComplex, 'more than one MV_INSTANCE property');
    }
    return found;
  }

  /** Leaf rows: one per base row, or one per value of the MV_INSTANCE property (a row without values: one, inst 0). */
  private rebuildInstances(): void {
    const out: Leaf[] = [];
    const mvi = this.cells.mviTag;
    for (const row of this.base) {
      if (mvi !== null) {
        const v = lookupProp(row.props, (mvi & ~MV_INSTANCE) >>> 0);
        if (Array.isArray(v) && v.length > 0) {
          for (let i = 0; i < v.length; i++) {
            out.push({ kind: 0, row, inst: i + 1, mv: v[i] as PropValue, key: `l${row.id}:${i + 1}`, parent: null, ord: 0 });
          }
          continue;
        }
      }
      out.push({ kind: 0, row, inst: 0, mv: undefined, key: `l${row.id}:0`, parent: null, ord: 0 });
    }
    this.instances = out;
  }

  /** Restricts, sorts, categorizes and lays out; keeps the cursor index (callers reposition it). */
  private rebuild(): void {
    let leaves = this.instances;
    if (this.restriction) {
      const ev = new RestrictionEvaluator(this.restriction, this.opts.subObjects);
      leaves = leaves.filter((l) => ev.matches(this.cells.leafGetter(l), l.row.id));
    } else {
      leaves = leaves.slice();
    }
    for (const l of leaves) l.parent = null;
    // sort keys (MaximumCategory entries are not row keys)
    const rowKeys = this.sortOrders.filter((s) => s.order !== SORT.MAX_CATEGORY);
    const keys: Array<Array<PropValue | undefined>> = rowKeys.map((s) => this.keyColumn(leaves, s.tag));
    if (rowKeys.length > 0) {
      const order = sortOrder(keys, rowKeys.map((s) => s.order === SORT.DESCEND));
      const sorted: Leaf[] = new Array(order.length);
      for (let i = 0; i < order.length; i++) sorted[i] = leaves[order[i] as number] as Leaf;
      leaves = sorted;
      if (this.cells.categorizedCount > 0) {
        for (let k = 0; k < keys.length; k++) {
          const col = keys[k] as Array<PropValue | undefined>;
          const out: Array<PropValue | undefined> = new Array(order.length);
          for (let i = 0; i < order.length; i++) out[i] = col[order[i] as number];
          keys[k] = out;
        }
      }
    }
    this.categoriesById.clear();
    if (this.cells.categorizedCount > 0) {
      const levels = this.categoryLevels();
      const maxKeys: Array<Array<PropValue | undefined>> = [];
      for (const lv of levels) {
        if (lv.maxKeyIndex !== undefined) {
          const tag = (this.sortOrders[lv.maxKeyIndex] as SortOrder).tag;
          lv.maxKeyIndex = keys.length + maxKeys.length;
          maxKeys.push(this.keyColumn(leaves, tag));
        }
      }
      const allKeys = [...keys, ...maxKeys];
      this.roots = buildCategories(leaves, {
        levels,
        expandedCount: this.expandedCount,
        keys: allKeys,
        value: (leaf, level) => this.cells.leafValue(leaf, (levels[level] as CategoryLevel).tag),
        unread: unreadFlags(leaves),
        state: (key) => this.catState.get(key),
        newId: () => this.nextCategoryId++,
      });
      this.all = flattenAll(this.roots);
      for (const e of this.all) {
        if (e.kind === 1) {
          this.categoriesById.set(e.id, e);
          if (!this.catState.has(e.key)) this.catState.set(e.key, { id: e.id, expanded: e.expanded });
          else (this.catState.get(e.key) as CategoryState).id = e.id;
        }
      }
    } else {
      this.roots = null;
      this.all = leaves;
    }
    for (let i = 0; i < this.all.length; i++) (this.all[i] as Entry).ord = i;
    this.visible = this.roots ? flattenVisible(this.roots) : this.all;
    if (this.cursor > this.visible.length) this.cursor = this.visible.length;
  }

  /** Sort keys of a column for the leaves (strings case-folded), undefined where missing. */
  private keyColumn(leaves: readonly Leaf[], tag: number): Array<PropValue | undefined> {
    const out: Array<PropValue | undefined> = new Array(leaves.length);
    const plain = (tag & MV_INSTANCE) === 0;
    for (let i = 0; i < leaves.length; i++) {
      const l = leaves[i] as Leaf;
      let v = plain ? l.row.props.get(tag) : undefined;
      if (v === undefined) v = this.cells.leafValue(l, tag);
      out[i] = v === undefined ? undefined : typeof v === 'string' ? foldCase(v) : sortKey(v);
    }
    return out;
  }

  /** Category levels from the sort orders: the first CategoryCount plain orders, with their MaximumCategory. */
  private categoryLevels(): CategoryLevel[] {
    const levels: CategoryLevel[] = [];
    let plain = 0;
    let lastWasCategory = false;
    for (let j = 0; j < this.sortOrders.length; j++) {
      const s = this.sortOrders[j] as SortOrder;
      if (s.order === SORT.MAX_CATEGORY) {
        const lv = levels[levels.length - 1];
        if (lastWasCategory && lv && lv.maxKeyIndex === undefined) {
          lv.maxKeyIndex = j; // remapped to a key column by rebuild()
          const later = this.sortOrders.slice(j + 1).find((o) => o.order !== SORT.MAX_CATEGORY && propId(o.tag) === propId(s.tag));
          lv.maxDescending = later?.order === SORT.DESCEND;
        }
        continue;
      }
      lastWasCategory = plain < this.cells.categorizedCount;
      if (lastWasCategory) levels.push({ tag: s.tag, keyIndex: plain });
      plain++;
    }
    return levels;
  }

  /** Recomputes the visible rows after expand/collapse; the cursor stays on its row or the next visible one. */
  private relayout(): void {
    const cur = this.cursor < this.visible.length ? (this.visible[this.cursor] as Entry) : null;
    this.visible = this.roots ? flattenVisible(this.roots) : this.all;
    this.cursor = this.positionOf(cur).pos;
  }

  /** Position of an entry in the visible rows, or of the next visible one when it is hidden (null: the end). */
  private positionOf(e: Entry | null): { pos: number; hidden: boolean } {
    const v = this.visible;
    if (e === null) return { pos: v.length, hidden: false };
    let lo = 0;
    let hi = v.length;
    const ord = e.ord;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((v[mid] as Entry).ord < ord) lo = mid + 1;
      else hi = mid;
    }
    return { pos: lo, hidden: v[lo] !== e };
  }

  private originPos(origin: number): number {
    switch (origin) {
      case BOOKMARK.BEGINNING:
        return 0;
      case BOOKMARK.CURRENT:
        return this.cursor;
      case BOOKMARK.END:
        return this.visible.length;
      default:
        throw invalidBookmark(`origin ${origin}`);
    }
  }

  private seekFrom(pos: number, rowCount: number, wantMovedCount: boolean): SeekResult {
    const len = this.visible.length;
    const want = Math.trunc(rowCount);
    const target = Math.max(0, Math.min(len, pos + want));
    const moved = target - pos;
    this.cursor = target;
    if (!wantMovedCount) return { hasSoughtLess: false, rowsSought: 0 };
    return { hasSoughtLess: Math.abs(moved) < Math.abs(want), rowsSought: moved };
  }

  private newBookmark(target: Entry | null, moved: boolean): Buffer {
    const number = this.nextBookmark;
    this.nextBookmark = (this.nextBookmark + 1) >>> 0 || 1;
    this.bookmarks.set(number, { target, moved });
    return encodeBookmark({ token: this.token, generation: this.generation, number });
  }

  private checkBookmark(bytes: Uint8Array): number {
    const ref = decodeBookmark(bytes);
    if (ref.token !== this.token) throw invalidBookmark('bookmark of another table');
    if (ref.generation !== this.generation) throw invalidBookmark('bookmark invalidated by sort, restrict or reset');
    if (!this.bookmarks.has(ref.number)) throw invalidBookmark('unknown or freed bookmark');
    return ref.number;
  }

  private resolveBookmark(bytes: Uint8Array): { pos: number; noLongerVisible: boolean } {
    const slot = this.bookmarks.get(this.checkBookmark(bytes)) as BookmarkSlot;
    const at = this.positionOf(slot.target);
    return { pos: at.pos, noLongerVisible: slot.moved || at.hidden };
  }

  private category(id: bigint): CatNode {
    const n = this.categoriesById.get(id);
    if (!n) throw new TableError('OC_TABLE_NOT_FOUND', TABLE_EC.NotFound, `no category ${id}`);
    return n;
  }

  private findEntry(rowId: bigint, instance: number): Entry | null {
    for (const e of this.all) {
      if (e.kind === 0 ? e.row.id === rowId && e.inst === instance : e.id === rowId && instance === 0) return e;
    }
    return null;
  }

  private sortSignature(): number {
    const s = JSON.stringify([this.sortOrders, this.cells.categorizedCount, this.expandedCount]);
    return fnv1a(Buffer.from(s, 'utf8'));
  }

}

/** 1 for rows without mfRead in PidTagMessageFlags (counted in PidTagContentUnreadCount). */
function unreadFlags(leaves: readonly Leaf[]): Uint8Array {
  const out = new Uint8Array(leaves.length);
  for (let i = 0; i < leaves.length; i++) {
    const f = (leaves[i] as Leaf).row.props.get(PidTagMessageFlags);
    out[i] = typeof f !== 'number' || (f & MSGFLAG_READ) === 0 ? 1 : 0;
  }
  return out;
}

function rowIdOf(e: Entry): bigint {
  return e.kind === 0 ? e.row.id : e.id;
}

function invalidParam(msg: string): TableError {
  return new TableError('OC_TABLE_INVALID_PARAM', TABLE_EC.InvalidParam, msg);
}

