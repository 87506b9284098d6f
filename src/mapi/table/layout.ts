// The rows of a table view (TableView, view.ts) and their order: the leaf rows (one per store row, or one per value
// of the MV_INSTANCE column), restricted, sorted (multi-key, stable; MaximumCategory orders) and grouped into
// categories, the visible rows after expand/collapse, and where an entry is among them. Free functions of a
// TableView's @internal state, run by the constructor, setColumns, sort, restrict, expand, collapse,
// set-collapse-state, refresh and reset.
import { MV_FLAG, MV_INSTANCE, propId, type PropValue } from '../props.js';
import { fnv1a } from './bookmarks.js';
import { buildCategories, flattenAll, flattenVisible, type CatNode, type CategoryLevel, type CategoryState, type Entry, type Leaf } from './categories.js';
import { foldCase, sortKey } from './compare.js';
import { RestrictionEvaluator, lookupProp } from './evaluate.js';
import { sortOrder } from './sort.js';
import { MSGFLAG_READ, PidTagMessageFlags, SORT, TABLE_EC, TableError, type SortOrder } from './types.js';
import type { TableView } from './view.js';

/** The MV_INSTANCE property of sort orders and columns, if any; TableError ecTooComplex for two of them. */
export function pickMvi(orders: readonly SortOrder[], cols: readonly number[]): number | null {
  let found: number | null = null;
  for (const t of [...orders.map((s) => s.tag), ...cols]) {
    if ((t & MV_INSTANCE) === 0 || (t & MV_FLAG) === 0) continue;
    if (found === null) found = t >>> 0;
    else if (propId(found) !== propId(t)) throw new TableError('OC_TABLE_TOO_COMPLEX', TABLE_EC.TooComplex, 'more than one MV_INSTANCE property');
  }
  return found;
}

/** Leaf rows: one per base row, or one per value of the MV_INSTANCE property (a row without values: one, inst 0). */
export function rebuildInstances(view: TableView): void {
  const out: Leaf[] = [];
  const mvi = view.cells.mviTag;
  for (const row of view.base) {
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
  view.instances = out;
}

/** Restricts, sorts, categorizes and lays out; keeps the cursor index (callers reposition it). */
export function rebuild(view: TableView): void {
  let leaves = view.instances;
  if (view.restriction) {
    const ev = new RestrictionEvaluator(view.restriction, view.opts.subObjects);
    leaves = leaves.filter((l) => ev.matches(view.cells.leafGetter(l), l.row.id));
  } else {
    leaves = leaves.slice();
  }
  for (const l of leaves) l.parent = null;
  // sort keys (MaximumCategory entries are not row keys)
  const rowKeys = view.sortOrders.filter((s) => s.order !== SORT.MAX_CATEGORY);
  const keys: Array<Array<PropValue | undefined>> = rowKeys.map((s) => keyColumn(view, leaves, s.tag));
  if (rowKeys.length > 0) {
    const order = sortOrder(keys, rowKeys.map((s) => s.order === SORT.DESCEND));
    const sorted: Leaf[] = new Array(order.length);
    for (let i = 0; i < order.length; i++) sorted[i] = leaves[order[i] as number] as Leaf;
    leaves = sorted;
    if (view.cells.categorizedCount > 0) {
      for (let k = 0; k < keys.length; k++) {
        const col = keys[k] as Array<PropValue | undefined>;
        const out: Array<PropValue | undefined> = new Array(order.length);
        for (let i = 0; i < order.length; i++) out[i] = col[order[i] as number];
        keys[k] = out;
      }
    }
  }
  view.categoriesById.clear();
  if (view.cells.categorizedCount > 0) {
    const levels = categoryLevels(view);
    const maxKeys: Array<Array<PropValue | undefined>> = [];
    for (const lv of levels) {
      if (lv.maxKeyIndex !== undefined) {
        const tag = (view.sortOrders[lv.maxKeyIndex] as SortOrder).tag;
        lv.maxKeyIndex = keys.length + maxKeys.length;
        maxKeys.push(keyColumn(view, leaves, tag));
      }
    }
    const allKeys = [...keys, ...maxKeys];
    view.roots = buildCategories(leaves, {
      levels,
      expandedCount: view.expandedCount,
      keys: allKeys,
      value: (leaf, level) => view.cells.leafValue(leaf, (levels[level] as CategoryLevel).tag),
      unread: unreadFlags(leaves),
      state: (key) => view.catState.get(key),
      newId: () => view.nextCategoryId++,
    });
    view.all = flattenAll(view.roots);
    for (const e of view.all) {
      if (e.kind === 1) {
        view.categoriesById.set(e.id, e);
        if (!view.catState.has(e.key)) view.catState.set(e.key, { id: e.id, expanded: e.expanded });
        else (view.catState.get(e.key) as CategoryState).id = e.id;
      }
    }
  } else {
    view.roots = null;
    view.all = leaves;
  }
  for (let i = 0; i < view.all.length; i++) (view.all[i] as Entry).ord = i;
  view.visible = view.roots ? flattenVisible(view.roots) : view.all;
  if (view.cursor > view.visible.length) view.cursor = view.visible.length;
}

/** Sort keys of a column for the leaves (strings case-folded), undefined where missing. */
function keyColumn(view: TableView, leaves: readonly Leaf[], tag: number): Array<PropValue | undefined> {
  const out: Array<PropValue | undefined> = new Array(leaves.length);
  const plain = (tag & MV_INSTANCE) === 0;
  for (let i = 0; i < leaves.length; i++) {
    const l = leaves[i] as Leaf;
    let v = plain ? l.row.props.get(tag) : undefined;
    if (v === undefined) v = view.cells.leafValue(l, tag);
    out[i] = v === undefined ? undefined : typeof v === 'string' ? foldCase(v) : sortKey(v);
  }
  return out;
}

/** Category levels from the sort orders: the first CategoryCount plain orders, with their MaximumCategory. */
function categoryLevels(view: TableView): CategoryLevel[] {
  const levels: CategoryLevel[] = [];
  let plain = 0;
  let lastWasCategory = false;
  for (let j = 0; j < view.sortOrders.length; j++) {
    const s = view.sortOrders[j] as SortOrder;
    if (s.order === SORT.MAX_CATEGORY) {
      const lv = levels[levels.length - 1];
      if (lastWasCategory && lv && lv.maxKeyIndex === undefined) {
        lv.maxKeyIndex = j; // remapped to a key column by rebuild()
        const later = view.sortOrders.slice(j + 1).find((o) => o.order !== SORT.MAX_CATEGORY && propId(o.tag) === propId(s.tag));
        lv.maxDescending = later?.order === SORT.DESCEND;
      }
      continue;
    }
    lastWasCategory = plain < view.cells.categorizedCount;
    if (lastWasCategory) levels.push({ tag: s.tag, keyIndex: plain });
    plain++;
  }
  return levels;
}

/** Recomputes the visible rows after expand/collapse; the cursor stays on its row or the next visible one. */
export function relayout(view: TableView): void {
  const cur = view.cursor < view.visible.length ? (view.visible[view.cursor] as Entry) : null;
  view.visible = view.roots ? flattenVisible(view.roots) : view.all;
  view.cursor = positionOf(view, cur).pos;
}

/** Position of an entry in the visible rows, or of the next visible one when it is hidden (null: the end). */
export function positionOf(view: TableView, e: Entry | null): { pos: number; hidden: boolean } {
  const v = view.visible;
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

/** The category with PidTagInstID `id`; TableError ecNotFound when there is none. */
export function category(view: TableView, id: bigint): CatNode {
  const n = view.categoriesById.get(id);
  if (!n) throw new TableError('OC_TABLE_NOT_FOUND', TABLE_EC.NotFound, `no category ${id}`);
  return n;
}

/** The entry of row `rowId` and `instance` (a header row: its category id, instance 0), null when there is none. */
export function findEntry(view: TableView, rowId: bigint, instance: number): Entry | null {
  for (const e of view.all) {
    if (e.kind === 0 ? e.row.id === rowId && e.inst === instance : e.id === rowId && instance === 0) return e;
  }
  return null;
}

/** A hash of the sort orders and counts: a collapse state taken under other ones changes nothing (setCollapseState). */
export function sortSignature(view: TableView): number {
  const s = JSON.stringify([view.sortOrders, view.cells.categorizedCount, view.expandedCount]);
  return fnv1a(Buffer.from(s, 'utf8'));
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
