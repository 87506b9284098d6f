// MS-OXCTABL 3.2.5 table ROPs on TableObjects (created by RopGetHierarchyTable / RopGetContentsTable in oxcfold.ts):
// columns, sort and categories, restriction, cursor reads fitted to the output buffer, bookmarks, FindRow,
// expand/collapse and collapse states. The TableView (src/mapi/table) does the work; these handlers map fields and
// errors and encode rows (tabl-rows.ts).
//
// Choices where the spec leaves room:
// - every ROP works synchronously: TableStatus is always TBLSTAT_COMPLETE and RopAbort answers ecUnableToAbort
//   (MS-OXCTABL 3.2.5.6: nothing asynchronous is in progress);
// - RopQueryRows, RopFindRow and RopExpandRow before RopSetColumns answer ecNullObject (objects.ts: MS-OXCTABL
//   3.2.5.1 — a table without columns has nothing to return);
// - RopQueryRows sends as many whole rows as fit in the output space and moves the cursor by exactly that many;
//   when rows remain and not even one fits it answers ecBufferTooSmall (MS-OXCTABL 3.2.5.5);
// - RopFindRow without a restriction answers ecInvalidParam; a found row that does not fit: ecBufferTooSmall;
// - a table whose rows changed in the store since they were read is refreshed before the ROP runs (notif-tables.ts).
import { RopWriter } from '../../mapi/buffer.js';
import { writePropertyRow } from '../../mapi/ropprops.js';
import type { TableRestriction } from '../../mapi/table/index.js';
import { BOOKMARK } from '../../mapi/table/index.js';
import type { RopAbortRequest } from '../codec/RopAbort.js';
import type { RopCollapseRowRequest } from '../codec/RopCollapseRow.js';
import type { RopCreateBookmarkRequest } from '../codec/RopCreateBookmark.js';
import type { RopExpandRowRequest } from '../codec/RopExpandRow.js';
import type { RopFindRowRequest } from '../codec/RopFindRow.js';
import type { RopFreeBookmarkRequest } from '../codec/RopFreeBookmark.js';
import type { RopGetCollapseStateRequest } from '../codec/RopGetCollapseState.js';
import type { RopQueryRowsRequest } from '../codec/RopQueryRows.js';
import type { RopRestrictRequest } from '../codec/RopRestrict.js';
import type { RopSeekRowRequest } from '../codec/RopSeekRow.js';
import type { RopSeekRowBookmarkRequest } from '../codec/RopSeekRowBookmark.js';
import type { RopSeekRowFractionalRequest } from '../codec/RopSeekRowFractional.js';
import type { RopSetCollapseStateRequest } from '../codec/RopSetCollapseState.js';
import type { RopSetColumnsRequest } from '../codec/RopSetColumns.js';
import type { RopSortTableRequest } from '../codec/RopSortTable.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopResult } from '../types.js';
import { guard, TableObject, type MailboxHandlerDeps } from './objects.js';
import { encodeRow, packRows, rowShape, toRowCells } from './tabl-rows.js';
import { refreshIfDirty } from './notif-tables.js';

// MS-OXCROPS 2.2.x RopIds of the table ROPs
const ROP = {
  SetColumns: 0x12,
  SortTable: 0x13,
  Restrict: 0x14,
  QueryRows: 0x15,
  GetStatus: 0x16,
  QueryPosition: 0x17,
  SeekRow: 0x18,
  SeekRowBookmark: 0x19,
  SeekRowFractional: 0x1a,
  CreateBookmark: 0x1b,
  QueryColumnsAll: 0x37,
  Abort: 0x38,
  FindRow: 0x4f,
  ExpandRow: 0x59,
  CollapseRow: 0x5a,
  GetCollapseState: 0x6b,
  SetCollapseState: 0x6c,
  ResetTable: 0x81,
  FreeBookmark: 0x89,
} as const;

/** MS-OXCTABL 2.2.2.1.3 TBLSTAT_COMPLETE. */
const TBLSTAT_COMPLETE = 0x00;
/** MS-OXCDATA 2.4.2 ecUnableToAbort (MAPI_E_UNABLE_TO_ABORT). */
export const ecUnableToAbort = ec.UnableToAbort;
/** MS-OXCTABL 2.2.2.5.1 QueryRowsFlags NoAdvance. */
const QUERY_ROWS_NO_ADVANCE = 0x01;
/** MS-OXCTABL 2.2.2.14.1 FindRowFlags Backwards. */
const FIND_ROW_BACKWARDS = 0x01;

/** Fixed parts of the responses (RopId, HandleIndex, ReturnValue + the fields before RowData). */
const QUERY_ROWS_FIXED = 6 + 1 + 2;
const FIND_ROW_FIXED = 6 + 1 + 1;
const EXPAND_ROW_FIXED = 6 + 4 + 2;
/** Rows read from the view per step while packing a RopQueryRows response. */
const QUERY_CHUNK = 64;

function tableOf(ctx: RopContext): TableObject | undefined {
  return ctx.input instanceof TableObject ? ctx.input : undefined;
}

type Body = Record<string, unknown>;

/** Runs `fn` on the input table (ecNotSupported for another object kind, errors of the engine as their ec). */
function onTable<Req>(fn: (t: TableObject, req: Req, ctx: RopContext) => RopResult<Body> | Promise<RopResult<Body>>): RopHandlerEntry {
  return {
    inputKinds: ['table'],
    handle: (req: Req, ctx: RopContext) => {
      const t = tableOf(ctx);
      if (!t) return { ec: ec.NotSupported };
      // the store changed since the rows were read (notif-tables.ts): read them again first
      return guard(ctx, async () => {
        await refreshIfDirty(t, ctx);
        return fn(t, req, ctx);
      });
    },
  };
}

const complete = (): RopResult<Body> => ({ ec: ec.Success, response: { TableStatus: TBLSTAT_COMPLETE } });

// MS-OXCTABL 3.2.5.5 RopQueryRows
function queryRows(t: TableObject, req: RopQueryRowsRequest, ctx: RopContext): RopResult<Body> {
  if (!t.columnsSet) return { ec: ec.NullObject };
  const view = t.view;
  const shape = rowShape(view, view.getColumns(), t.tableFlags);
  const forward = req.ForwardRead !== 0;
  const noAdvance = (req.QueryRowsFlags & QUERY_ROWS_NO_ADVANCE) !== 0;
  const space = ctx.outputSpace - QUERY_ROWS_FIXED;
  const start = view.queryPosition().numerator;
  const total = view.rowCount;
  const parts: Buffer[] = [];
  const w = new RopWriter(forward ? Math.min(Math.max(space, 16), 0x10000) : 16);
  let sent = 0;
  let used = 0;
  let full = false;
  while (!full && sent < req.RowCount) {
    const want = Math.min(QUERY_CHUNK, req.RowCount - sent);
    const { rows } = view.queryRows(want, forward, false);
    if (rows.length === 0) break;
    let taken = 0;
    if (forward) {
      // straight into one writer, a row that does not fit is taken back
      for (const r of rows) {
        const mark = w.pos;
        writePropertyRow(w, shape.columns, toRowCells(shape, r), ctx.codePage);
        if (w.pos > space) {
          w.pos = mark;
          full = true;
          break;
        }
        taken++;
      }
    } else {
      // backwards the chunk is in table order and the rows nearest the cursor come last
      for (let i = rows.length - 1; i >= 0; i--) {
        const b = encodeRow(shape, rows[i]!, ctx.codePage, space - used);
        if (!b) {
          full = true;
          break;
        }
        parts.push(b);
        used += b.length;
        taken++;
      }
    }
    sent += taken;
    // give back what was read and not sent
    if (taken < rows.length) view.seekRow(BOOKMARK.CURRENT, forward ? taken - rows.length : rows.length - taken, false);
    if (rows.length < want) break;
  }
  if (sent === 0 && req.RowCount > 0 && (forward ? start < total : start > 0)) return { ec: ec.BufferTooSmall };
  const pos = view.queryPosition().numerator;
  const Origin = forward ? (pos >= view.rowCount ? BOOKMARK.END : BOOKMARK.CURRENT) : pos <= 0 ? BOOKMARK.BEGINNING : BOOKMARK.CURRENT;
  if (noAdvance) view.seekRow(BOOKMARK.BEGINNING, start, false);
  const RowData = forward ? Buffer.from(w.result()) : Buffer.concat(parts.reverse());
  return { ec: ec.Success, response: { Origin, RowCount: sent, RowData } };
}

// MS-OXCTABL 3.2.5.14 RopFindRow
function findRow(t: TableObject, req: RopFindRowRequest, ctx: RopContext): RopResult<Body> {
  if (req.RestrictionTooComplex) return { ec: ec.TooComplex };
  if (!t.columnsSet) return { ec: ec.NullObject };
  if (!req.Restriction) return { ec: ec.InvalidParam };
  const backward = (req.FindRowFlags & FIND_ROW_BACKWARDS) !== 0;
  const view = t.view;
  const before = view.queryPosition().numerator;
  const bookmark = req.Origin === BOOKMARK.CUSTOM ? req.Bookmark : null;
  const found = view.findRow(req.Restriction as TableRestriction, req.Origin, bookmark, backward);
  if (!found.row) return { ec: ec.NotFound };
  const shape = rowShape(view, view.getColumns(), t.tableFlags);
  const RowData = encodeRow(shape, found.row, ctx.codePage, ctx.outputSpace - FIND_ROW_FIXED);
  if (!RowData) {
    view.seekRow(BOOKMARK.BEGINNING, before, false);
    return { ec: ec.BufferTooSmall };
  }
  return { ec: ec.Success, response: { RowNoLongerVisible: found.rowNoLongerVisible ? 1 : 0, HasRowData: 1, RowData } };
}

// MS-OXCTABL 3.2.5.16 RopExpandRow
function expandRow(t: TableObject, req: RopExpandRowRequest, ctx: RopContext): RopResult<Body> {
  if (!t.columnsSet) return { ec: ec.NullObject };
  const view = t.view;
  const r = view.expandRow(req.CategoryId, req.MaxRowCount);
  const shape = rowShape(view, view.getColumns(), t.tableFlags);
  const { data, count } = packRows(shape, r.rows, ctx.codePage, ctx.outputSpace - EXPAND_ROW_FIXED);
  return { ec: ec.Success, response: { ExpandedRowCount: r.expandedRowCount, RowCount: count, RowData: data } };
}

export function createTableHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();

  // MS-OXCTABL 3.2.5.1 RopSetColumns
  m.set(
    ROP.SetColumns,
    onTable<RopSetColumnsRequest>((t, req) => {
      if (req.PropertyTags.length === 0) return { ec: ec.InvalidParam };
      t.view.setColumns(req.PropertyTags);
      t.columnsSet = true;
      return complete();
    }),
  );

  // MS-OXCTABL 3.2.5.2 RopSortTable
  m.set(
    ROP.SortTable,
    onTable<RopSortTableRequest>((t, req) => {
      t.view.sortTable(
        req.SortOrders.map((s) => ({ tag: s.PropertyTag, order: s.Order })),
        req.CategorizedCount,
        req.ExpandedCount,
      );
      return complete();
    }),
  );

  // MS-OXCTABL 3.2.5.3 RopRestrict
  m.set(
    ROP.Restrict,
    onTable<RopRestrictRequest>((t, req) => {
      if (req.RestrictionTooComplex) return { ec: ec.TooComplex };
      t.view.restrict((req.Restriction as TableRestriction | undefined) ?? null);
      return complete();
    }),
  );

  m.set(ROP.QueryRows, onTable<RopQueryRowsRequest>(queryRows));

  // MS-OXCTABL 3.2.5.6 RopAbort: nothing runs asynchronously here
  m.set(ROP.Abort, onTable<RopAbortRequest>(() => ({ ec: ecUnableToAbort })));

  // MS-OXCTABL 3.2.5.4 RopGetStatus
  m.set(ROP.GetStatus, onTable(() => ({ ec: ec.Success, response: { TableStatus: TBLSTAT_COMPLETE } })));

  // MS-OXCTABL 3.2.5.7 RopQueryPosition
  m.set(
    ROP.QueryPosition,
    onTable((t) => {
      const p = t.view.queryPosition();
      return { ec: ec.Success, response: { Numerator: p.numerator, Denominator: p.denominator } };
    }),
  );

  // MS-OXCTABL 3.2.5.8 RopSeekRow
  m.set(
    ROP.SeekRow,
    onTable<RopSeekRowRequest>((t, req) => {
      if (req.Origin !== BOOKMARK.BEGINNING && req.Origin !== BOOKMARK.CURRENT && req.Origin !== BOOKMARK.END) return { ec: ec.InvalidParam };
      // HasSoughtLess and RowsSought are always filled in (MS-OXCTABL 2.2.2.9.2: ignored without WantRowMovedCount)
      const r = t.view.seekRow(req.Origin, req.RowCount, true);
      return { ec: ec.Success, response: { HasSoughtLess: r.hasSoughtLess ? 1 : 0, RowsSought: r.rowsSought } };
    }),
  );

  // MS-OXCTABL 3.2.5.9 RopSeekRowBookmark
  m.set(
    ROP.SeekRowBookmark,
    onTable<RopSeekRowBookmarkRequest>((t, req) => {
      const r = t.view.seekRowBookmark(req.Bookmark, req.RowCount, true);
      return {
        ec: ec.Success,
        response: { RowNoLongerVisible: r.rowNoLongerVisible ? 1 : 0, HasSoughtLess: r.hasSoughtLess ? 1 : 0, RowsSought: r.rowsSought },
      };
    }),
  );

  // MS-OXCTABL 3.2.5.10 RopSeekRowFractional
  m.set(
    ROP.SeekRowFractional,
    onTable<RopSeekRowFractionalRequest>((t, req) => {
      if (req.Denominator === 0) return { ec: ec.InvalidParam };
      t.view.seekRowFractional(req.Numerator, req.Denominator);
      return { ec: ec.Success, response: {} };
    }),
  );

  // MS-OXCTABL 3.2.5.11 RopCreateBookmark
  m.set(ROP.CreateBookmark, onTable<RopCreateBookmarkRequest>((t) => ({ ec: ec.Success, response: { Bookmark: t.view.createBookmark() } })));

  // MS-OXCTABL 3.2.5.15 RopFreeBookmark
  m.set(
    ROP.FreeBookmark,
    onTable<RopFreeBookmarkRequest>((t, req) => {
      t.view.freeBookmark(req.Bookmark);
      return { ec: ec.Success, response: {} };
    }),
  );

  // MS-OXCTABL 3.2.5.13 RopQueryColumnsAll
  m.set(ROP.QueryColumnsAll, onTable((t) => ({ ec: ec.Success, response: { PropertyTags: t.view.queryColumnsAll() } })));

  m.set(ROP.FindRow, onTable<RopFindRowRequest>(findRow));

  // MS-OXCTABL 3.2.5.15 RopResetTable: columns, sort, categories and restriction removed, cursor at the beginning
  m.set(
    ROP.ResetTable,
    onTable((t) => {
      t.view.resetTable();
      t.columnsSet = false;
      return { ec: ec.Success, response: {} };
    }),
  );

  m.set(ROP.ExpandRow, onTable<RopExpandRowRequest>(expandRow));

  // MS-OXCTABL 3.2.5.17 RopCollapseRow
  m.set(
    ROP.CollapseRow,
    onTable<RopCollapseRowRequest>((t, req) => ({ ec: ec.Success, response: { CollapsedRowCount: t.view.collapseRow(req.CategoryId) } })),
  );

  // MS-OXCTABL 3.2.5.18 RopGetCollapseState
  m.set(
    ROP.GetCollapseState,
    onTable<RopGetCollapseStateRequest>((t, req) => ({
      ec: ec.Success,
      response: { CollapseState: t.view.getCollapseState(req.RowId, req.RowInstanceNumber) },
    })),
  );

  // MS-OXCTABL 3.2.5.19 RopSetCollapseState
  m.set(
    ROP.SetCollapseState,
    onTable<RopSetCollapseStateRequest>((t, req) => ({ ec: ec.Success, response: { Bookmark: t.view.setCollapseState(req.CollapseState) } })),
  );

  return m;
}
