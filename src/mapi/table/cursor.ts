// The cursor and the custom bookmarks of a table view (TableView, view.ts): seeking from an origin, the bookmark
// slots (each names its row, or the end of the table) and their byte form (bookmarks.ts), and their invalidation.
// A bookmark survives refresh() (moved to the next row still there, then RowNoLongerVisible); sort, restrict and
// reset invalidate every bookmark (ecInvalidBookmark). Free functions of a TableView's @internal state.
import { decodeBookmark, encodeBookmark, invalidBookmark } from './bookmarks.js';
import type { Entry } from './categories.js';
import { positionOf } from './layout.js';
import { BOOKMARK } from './types.js';
import type { SeekResult, TableView } from './view.js';

export interface BookmarkSlot {
  /** null: the end of the table. */
  target: Entry | null;
  moved: boolean;
}

/**
 * A new generation (every bookmark invalid) and the cursor at the beginning: after sort, restrict, reset or a change
 * of the MV_INSTANCE column.
 */
export function invalidate(view: TableView): void {
  view.generation = (view.generation + 1) >>> 0 || 1;
  view.bookmarks.clear();
  view.cursor = 0;
}

/** The row index of BOOKMARK.BEGINNING, CURRENT or END; ecInvalidBookmark for another origin. */
export function originPos(view: TableView, origin: number): number {
  switch (origin) {
    case BOOKMARK.BEGINNING:
      return 0;
    case BOOKMARK.CURRENT:
      return view.cursor;
    case BOOKMARK.END:
      return view.visible.length;
    default:
      throw invalidBookmark(`origin ${origin}`);
  }
}

/** Moves the cursor `rowCount` rows (signed) from `pos`, clamped to the table. */
export function seekFrom(view: TableView, pos: number, rowCount: number, wantMovedCount: boolean): SeekResult {
  const len = view.visible.length;
  const want = Math.trunc(rowCount);
  const target = Math.max(0, Math.min(len, pos + want));
  const moved = target - pos;
  view.cursor = target;
  if (!wantMovedCount) return { hasSoughtLess: false, rowsSought: 0 };
  return { hasSoughtLess: Math.abs(moved) < Math.abs(want), rowsSought: moved };
}

/** A bookmark of `target` (null: the end of the table); `moved`: it reports RowNoLongerVisible. */
export function newBookmark(view: TableView, target: Entry | null, moved: boolean): Buffer {
  const number = view.nextBookmark;
  view.nextBookmark = (view.nextBookmark + 1) >>> 0 || 1;
  view.bookmarks.set(number, { target, moved });
  return encodeBookmark({ token: view.token, generation: view.generation, number });
}

/** The number of a live bookmark of this view; TableError (ecInvalidBookmark) for any other bytes. */
export function checkBookmark(view: TableView, bytes: Uint8Array): number {
  const ref = decodeBookmark(bytes);
  if (ref.token !== view.token) throw invalidBookmark('bookmark of another table');
  if (ref.generation !== view.generation) throw invalidBookmark('bookmark invalidated by sort, restrict or reset');
  if (!view.bookmarks.has(ref.number)) throw invalidBookmark('unknown or freed bookmark');
  return ref.number;
}

/** Where a bookmark's row is among the visible rows (the next visible row when it went away or is hidden). */
export function resolveBookmark(view: TableView, bytes: Uint8Array): { pos: number; noLongerVisible: boolean } {
  const slot = view.bookmarks.get(checkBookmark(view, bytes)) as BookmarkSlot;
  const at = positionOf(view, slot.target);
  return { pos: at.pos, noLongerVisible: slot.moved || at.hidden };
}
