// Categorized views (MS-OXCTABL 2.2.2.3 RopSortTable with CategoryCount/ExpandedCount, 3.2.5.x expand/collapse):
// the sorted leaf rows grouped into a tree of category header rows, one level per category column. Levels below
// ExpandedCount start expanded, the rest collapsed (ExpandedCount 0: only top-level headers are visible;
// CategoryCount - 1: every header, no leaf; CategoryCount: everything). A category exists only while it has rows.
// A MaximumCategory sort order orders the categories of the level before it by the largest value of its column
// among their rows (direction: that of a later sort order on the same property, else ascending; rows without the
// value are ignored, categories without any come last).
import { propId, type PropValue } from '../props.js';
import { compareKeys } from './compare.js';
import type { TableRow } from './types.js';

export interface Leaf {
  readonly kind: 0;
  readonly row: TableRow;
  /** MV_INSTANCE instance number (1-based), 0 when the row is not expanded by value. */
  readonly inst: number;
  /** The value of the MV_INSTANCE property for this instance. */
  readonly mv: PropValue | undefined;
  readonly key: string;
  parent: CatNode | null;
  ord: number;
}

export interface CatNode {
  readonly kind: 1;
  readonly id: bigint;
  readonly depth: number;
  readonly tag: number;
  /** The category value (of its first row), undefined when the rows lack the property. */
  readonly value: PropValue | undefined;
  readonly parent: CatNode | null;
  /** Identity of the category across rebuilds: the sort keys of its path. */
  readonly key: string;
  children: CatNode[] | null;
  leaves: Leaf[];
  expanded: boolean;
  contentCount: number;
  unreadCount: number;
  ord: number;
}

export type Entry = Leaf | CatNode;

export interface CategoryLevel {
  /** Category column (as given in the sort order). */
  tag: number;
  /** Index of the level's key in the per-leaf key arrays. */
  keyIndex: number;
  /** MaximumCategory: order this level's categories by the max of this key index. */
  maxKeyIndex?: number;
  maxDescending?: boolean;
}

export interface CategoryState {
  id: bigint;
  expanded: boolean;
}

export interface BuildContext {
  levels: CategoryLevel[];
  expandedCount: number;
  /** Sort keys per leaf, by leaf position in `leaves`: keys[k][i]. */
  keys: Array<Array<PropValue | undefined>>;
  /** Raw category value of a leaf for a level. */
  value(leaf: Leaf, level: number): PropValue | undefined;
  /** 1 for an unread leaf, by position in `leaves`. */
  unread: Uint8Array;
  /** Remembered state of a category by key (kept across refresh / set by RopSetCollapseState). */
  state(key: string): CategoryState | undefined;
  newId(): bigint;
}

export function serializeKey(v: PropValue | undefined): string {
  if (v === undefined) return 'u';
  if (v === null) return 'n';
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'bigint') return `b${v}`;
  if (typeof v === 'number') return `d${v}`;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
  return `a${(v as PropValue[]).map((x) => serializeKey(x)).join('\u0002')}`;
}

/** Groups sorted leaves (positions `order` into the key arrays) into category trees. */
export function buildCategories(leaves: Leaf[], ctx: BuildContext): CatNode[] {
  const roots: CatNode[] = [];
  group(leaves, 0, leaves.length, 0, null, '', roots, ctx);
  return roots;
}

function group(leaves: Leaf[], from: number, to: number, level: number, parent: CatNode | null, parentKey: string, out: CatNode[], ctx: BuildContext): void {
  const lv = ctx.levels[level] as CategoryLevel;
  const keys = ctx.keys[lv.keyIndex] as Array<PropValue | undefined>;
  let i = from;
  while (i < to) {
    const k = keys[i];
    let j = i + 1;
    while (j < to && eqKey(keys[j], k)) j++;
    const first = leaves[i] as Leaf;
    const key = `${parentKey}\u0001${serializeKey(k)}`;
    const st = ctx.state(key);
    const node: CatNode = {
      kind: 1,
      id: st?.id ?? ctx.newId(),
      depth: level,
      tag: lv.tag,
      value: ctx.value(first, level),
      parent,
      key,
      children: null,
      leaves: [],
      expanded: st ? st.expanded : level < ctx.expandedCount,
      contentCount: j - i,
      unreadCount: 0,
      ord: 0,
    };
    if (level + 1 < ctx.levels.length) {
      node.children = [];
      group(leaves, i, j, level + 1, node, key, node.children, ctx);
    } else {
      node.leaves = leaves.slice(i, j);
      for (const l of node.leaves) l.parent = node;
    }
    let unread = 0;
    const u = ctx.unread;
    for (let x = i; x < j; x++) unread += u[x] as number;
    node.unreadCount = unread;
    out.push(node);
    i = j;
  }
  if (lv.maxKeyIndex !== undefined) orderByMax(out, from, ctx.keys[lv.maxKeyIndex] as Array<PropValue | undefined>, lv.maxDescending === true);
}

function eqKey(a: PropValue | undefined, b: PropValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return compareKeys(a, b) === 0;
}

function orderByMax(nodes: CatNode[], from: number, keys: Array<PropValue | undefined>, desc: boolean): void {
  // positions of leaves: nodes cover consecutive ranges starting at `from`, in their current order
  const maxes = new Map<CatNode, PropValue | undefined>();
  let pos = from;
  for (const n of nodes) {
    let m: PropValue | undefined;
    for (let x = pos; x < pos + n.contentCount; x++) {
      const v = keys[x];
      if (v !== undefined && (m === undefined || compareKeys(v, m) > 0)) m = v;
    }
    maxes.set(n, m);
    pos += n.contentCount;
  }
  nodes.sort((a, b) => {
    const x = maxes.get(a);
    const y = maxes.get(b);
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    const c = compareKeys(x, y);
    return desc ? -c : c;
  });
}

/** Every entry in table order, headers before their content (the order `ord` numbers). */
export function flattenAll(roots: CatNode[], out: Entry[] = []): Entry[] {
  for (const n of roots) {
    out.push(n);
    if (n.children) flattenAll(n.children, out);
    else for (const l of n.leaves) out.push(l);
  }
  return out;
}

/** The entries a client sees: headers whose ancestors are expanded, and the content of expanded headers. */
export function flattenVisible(roots: CatNode[], out: Entry[] = []): Entry[] {
  for (const n of roots) {
    out.push(n);
    if (!n.expanded) continue;
    if (n.children) flattenVisible(n.children, out);
    else for (const l of n.leaves) out.push(l);
  }
  return out;
}

/** Does a category header's path include a category column matching `tag` (by property id)? */
export function headerValue(node: CatNode, tag: number): { found: boolean; value: PropValue | undefined } {
  const id = propId(tag);
  for (let n: CatNode | null = node; n; n = n.parent) if (propId(n.tag) === id) return { found: true, value: n.value };
  return { found: false, value: undefined };
}
