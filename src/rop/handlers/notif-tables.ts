// MS-OXCNOTIF 3.1.4.2 / 2.2.1.4.1.2 table notifications, and open tables following the store: every contents,
// hierarchy, permissions and rules TableObject watches its mailbox's change events from creation to release. A change
// that touches the table marks it dirty; the next table ROP on it reads the rows again (with the reader the module
// that makes such tables registered: the same function that made the rows, so a delegate's hierarchy table keeps
// its visibility filter, oxcfold.ts) and rebuilds the view in place
// (TableView.refresh keeps columns, sort, categories, restriction, and the cursor on its row or the next one still
// there). When the table was opened without TableFlags NoNotifications (MS-OXCFOLD 2.2.1.13.1 / 2.2.1.14.1, 0x10)
// and its session has a notification queue, a TableModified notification is queued for it.
//
// Choices where the spec leaves room (MS-OXCNOTIF 3.2.5.7: the client must handle any of the three levels):
// - row-level events (TABLE_ROW_ADDED 0x0003, TABLE_ROW_DELETED 0x0004, TABLE_ROW_MODIFIED 0x0005) for a contents
//   table whose columns are set and whose rows are one per message (no categories, no MV_INSTANCE column), when a
//   single message is created, changed, deleted, moved or copied while the table is up to date: the table is read
//   again at once, the message's row is looked up before and after, and the event carries the row's FID / MID
//   (instance 0), the row before it (InsertAfterTableRow*, zeros for the first row) and the row's PropertyRow for
//   the table's columns (TableRowData, written as RopQueryRows writes rows). A message that neither was nor is a row
//   of the view (restricted out) sends nothing;
// - everything else is TABLE_CHANGED (TableEventType 0x0001), the form that asks the client to read the table again:
//   folder events, hierarchy / permissions / rules tables, categorized views, a change that arrives while a
//   row-level event is still being made, or when the row data does not fit (> 0xFFFF bytes);
// - one TABLE_CHANGED per burst: none is queued while the table is still dirty (the client has not read it since
//   the last one), so a thousand deliveries at once make one notification per read, not a thousand;
// - a table ROP waits for a row-level event being made, so it never sees rows older than the events sent;
// - a recursive hierarchy table reacts to every folder change of the mailbox (no ancestry walk per event);
// - permissions and rules tables follow the ObjectModified the store reports for their folder when its list or its
//   rules change (tags FOLDER_TABLE_TAG, events.ts), and empty when the folder is deleted;
// - the queue (and the code page of TableRowData) is the session of the first table ROP on the table (tables are
//   created by folder ROPs, which run before the table is known to any session's table handlers); changes before
//   that only mark the table dirty.
import { FOLDER_TABLE_TAG, type MailboxEvent } from '../../mapistore/events.js';
import { StoreError } from '../../mapistore/errors.js';
import { TAG } from '../../mapistore/tags.js';
import type { TableRow } from '../../mapi/table/index.js';
import { NotificationFlag, NotificationType, TableEventType, type NotificationData } from '../codec/notification-data.js';
import type { RopContext } from '../types.js';
import { sinkOf, type NotificationSink } from './notif-queue.js';
import type { TableObject, TableSource } from './objects.js';
import { encodeRow, forgetStoredTypes, rowShape } from './tabl-rows.js';

/** MS-OXCFOLD 2.2.1.13.1 / 2.2.1.14.1 TableFlags NoNotifications. */
export const TABLE_FLAG_NO_NOTIFICATIONS = 0x10;

/** Where a table's notifications go: the session's queue and its code page (for TableRowData strings). */
interface Sink {
  sink: NotificationSink;
  codePage: number | undefined;
}

/** Per table: the row-level event being made, change generation, whether a TABLE_CHANGED is out for this dirt. */
interface WatchState {
  task: Promise<void> | null;
  gen: number;
  changedQueued: boolean;
  refreshing: boolean;
  /** A message event of this tick was seen: the folder counts event that follows it is part of the same change. */
  absorbCounts: boolean;
}

const sinks = new WeakMap<TableObject, Sink>();
const states = new WeakMap<TableObject, WatchState>();

function stateOf(t: TableObject): WatchState {
  let s = states.get(t);
  if (!s) states.set(t, (s = { task: null, gen: 0, changedQueued: false, refreshing: false, absorbCounts: false }));
  return s;
}

/** Reads the rows of an open table again (as the ROP that opened it made them). */
export type TableRowsReader = (t: TableObject) => Promise<TableRow[]>;
type WatchedSource = Extract<TableSource, { type: 'contents' | 'hierarchy' | 'permissions' | 'rules' }>;
const readers = new Map<WatchedSource['type'], TableRowsReader>();

/**
 * How tables of a source type are read again; the module that makes such tables registers at load (oxcfold.ts:
 * contents and hierarchy, oxcperm.ts: permissions, oxorule.ts: rules). A table without a reader is not refreshed.
 */
export function setTableRowsReader(type: WatchedSource['type'], read: TableRowsReader): void {
  readers.set(type, read);
}

const watched = (src: TableSource): src is WatchedSource =>
  src.type === 'contents' || src.type === 'hierarchy' || src.type === 'permissions' || src.type === 'rules';

/** Whether a store event changes the rows of a table over `src`. */
export function eventAffects(src: TableSource, ev: MailboxEvent): boolean {
  if (ev.type === 'newMail' || ev.type === 'searchComplete') return false; // an ObjectCreated comes with the mail
  const folderEvent = ev.mid === undefined;
  switch (src.type) {
    case 'contents':
      // the folder's counts moved (emptied, or a search folder's results changed), or the folder itself went (the
      // table empties); a change of the folder's other properties (name, permissions, rules) leaves the rows alone
      if (folderEvent) return ev.fid === src.fid && (ev.type === 'objectDeleted' || (!src.associated && ev.type === 'objectModified' && countsMoved(ev)));
      return (ev.fid === src.fid || ev.oldFid === src.fid) && (ev.associated ?? false) === src.associated;
    case 'hierarchy':
      if (!folderEvent) return false;
      if (src.recursive) return ev.fid !== src.fid;
      return ev.parentFid === src.fid || ev.oldParentFid === src.fid;
    case 'permissions':
    case 'rules': {
      if (!folderEvent || ev.fid !== src.fid) return false;
      if (ev.type === 'objectDeleted') return true;
      return ev.type === 'objectModified' && (ev.tags === undefined || ev.tags.includes(FOLDER_TABLE_TAG[src.type]));
    }
    default:
      return false;
  }
}

const COUNT_TAGS: ReadonlySet<number> = new Set([TAG.ContentCount, TAG.ContentUnreadCount]);

/** A folder ObjectModified that may mean other rows (its tags unknown, or its message counts among them). */
function countsMoved(ev: MailboxEvent): boolean {
  return ev.tags === undefined || ev.tags.some((t) => COUNT_TAGS.has(t >>> 0));
}

/** A folder ObjectModified about its message counts only (what the store adds after each message change). */
function countsOnly(ev: MailboxEvent): boolean {
  return ev.mid === undefined && ev.type === 'objectModified' && ev.tags !== undefined && ev.tags.length > 0 && ev.tags.every((t) => COUNT_TAGS.has(t >>> 0));
}

const ROW_EVENTS = new Set<MailboxEvent['type']>(['objectCreated', 'objectModified', 'objectDeleted', 'objectMoved', 'objectCopied']);

/** Whether `ev` can be told to the client as a row-level event of table `t` (see the header). */
function rowLevel(t: TableObject, st: WatchState, ev: MailboxEvent): boolean {
  return (
    t.source.type === 'contents' &&
    ev.mid !== undefined &&
    ROW_EVENTS.has(ev.type) &&
    !t.dirty &&
    st.task === null &&
    !st.refreshing &&
    t.columnsSet &&
    t.view.flat &&
    (t.tableFlags & TABLE_FLAG_NO_NOTIFICATIONS) === 0 &&
    sinks.get(t)?.codePage !== undefined &&
    readers.has('contents')
  );
}

function queueTableChanged(t: TableObject, st: WatchState): void {
  if (st.changedQueued || (t.tableFlags & TABLE_FLAG_NO_NOTIFICATIONS) !== 0) return;
  const s = sinks.get(t);
  if (!s) return;
  st.changedQueued = true;
  s.sink.notify({
    target: t,
    logonId: t.logonId,
    data: { NotificationFlags: NotificationType.TableModified, TableEventType: TableEventType.TableChanged },
  });
}

/** Subscribes a new table to its mailbox's events; returns the unsubscribe function (null: nothing to watch). */
export function watchTable(t: TableObject): (() => void) | null {
  const src = t.source;
  if (!watched(src)) return null;
  const events = (t.logon as { store?: { events?: { subscribe?: unknown } } }).store?.events;
  if (!events || typeof events.subscribe !== 'function') return null;
  return t.logon.store.events.subscribe((ev) => {
    if (!eventAffects(src, ev)) return;
    const st = stateOf(t);
    // the counts event the store emits right after message events (same commit, same tick) tells nothing new
    if (countsOnly(ev) && st.absorbCounts) return;
    if (ev.mid !== undefined && !st.absorbCounts) {
      st.absorbCounts = true;
      queueMicrotask(() => {
        st.absorbCounts = false;
      });
    }
    st.gen++;
    if (rowLevel(t, st, ev)) {
      t.dirty = true;
      const task = rowEvent(t, st, ev, st.gen);
      st.task = task;
      void task.finally(() => {
        if (st.task === task) st.task = null;
      });
      return;
    }
    t.dirty = true;
    queueTableChanged(t, st);
  });
}

/**
 * A row-level event for `ev` (one message): reads the rows, looks the message's row up before and after, refreshes
 * the view and queues TABLE_ROW_ADDED / DELETED / MODIFIED. A later change while the rows were read leaves the
 * table dirty (that change queued TABLE_CHANGED); a failure falls back to TABLE_CHANGED.
 */
async function rowEvent(t: TableObject, st: WatchState, ev: MailboxEvent, gen: number): Promise<void> {
  const read = readers.get('contents') as TableRowsReader;
  const src = t.source as Extract<TableSource, { type: 'contents' }>;
  try {
    const rows = await read(t);
    if (st.gen !== gen || t.unwatch === null) return;
    const ids = [...new Set([ev.mid, ev.oldMid].filter((x): x is bigint => x !== undefined))];
    const before = ids.map((id) => t.view.locateRow(id));
    t.view.refresh(rows);
    forgetStoredTypes(t.view);
    t.dirty = false;
    const s = sinks.get(t) as Sink;
    const shape = rowShape(t.view, t.view.getColumns(), t.tableFlags);
    const out: NotificationData[] = [];
    ids.forEach((id, i) => {
      const was = before[i];
      const now = t.view.locateRow(id);
      const head = { NotificationFlags: NotificationType.TableModified | NotificationFlag.M, TableRowFolderID: src.fid, TableRowMessageID: id, TableRowInstance: 0 };
      if (!now) {
        if (was) out.push({ ...head, TableEventType: TableEventType.TableRowDeleted });
        return;
      }
      const data = encodeRow(shape, t.view.rowAt(now.pos) ?? [], s.codePage as number, 0xffff);
      if (!data) throw new Error('row data too large for a row-level notification');
      out.push({
        ...head,
        TableEventType: was ? TableEventType.TableRowModified : TableEventType.TableRowAdded,
        InsertAfterTableRowFolderID: now.prevId === null ? 0n : src.fid,
        InsertAfterTableRowID: now.prevId ?? 0n,
        InsertAfterTableRowInstance: 0,
        TableRowData: data,
      });
    });
    for (const data of out) s.sink.notify({ target: t, logonId: t.logonId, data });
  } catch {
    if (t.unwatch === null) return;
    t.dirty = true;
    queueTableChanged(t, st);
  }
}

/** Resolves when no row-level event is being made for the table (tests; table ROPs wait in refreshIfDirty). */
export async function tableSettled(t: TableObject): Promise<void> {
  const st = states.get(t);
  while (st?.task) await st.task;
}

/**
 * Before a table ROP: remembers the session's queue for the table's notifications and, when the store changed since
 * the rows were read, reads them again (a folder deleted in the meantime leaves the table empty).
 */
export async function refreshIfDirty(t: TableObject, ctx: Pick<RopContext, 'session'> & Partial<Pick<RopContext, 'codePage'>>): Promise<void> {
  if (!sinks.has(t)) {
    const s = sinkOf(ctx);
    if (s) sinks.set(t, { sink: s, codePage: ctx.codePage });
  }
  const st = stateOf(t);
  while (st.task) await st.task;
  if (!t.dirty) return;
  t.dirty = false;
  // the client reads the table now: a change from here on is worth a new TABLE_CHANGED
  st.changedQueued = false;
  const src = t.source;
  const read = watched(src) ? readers.get(src.type) : undefined;
  if (!watched(src) || !read) return;
  const store = t.logon.store;
  let rows: TableRow[];
  st.refreshing = true;
  try {
    rows = await read(t);
  } catch (e) {
    if (!(e instanceof StoreError) || (await store.folderExists(src.fid))) {
      t.dirty = true;
      throw e;
    }
    rows = [];
  } finally {
    st.refreshing = false;
  }
  t.view.refresh(rows);
  forgetStoredTypes(t.view);
}
