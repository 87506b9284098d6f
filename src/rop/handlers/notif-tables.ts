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
// - the notification is TABLE_CHANGED (MS-OXCNOTIF 2.2.1.4.1.2 TableEventType 0x0001), the form that asks the client
//   to read the table again; row-level events are not sent;
// - one TABLE_CHANGED per burst: none is queued while the table is still dirty (the client has not read it since
//   the last one), so a thousand deliveries make one notification per read, not a thousand;
// - a recursive hierarchy table reacts to every folder change of the mailbox (no ancestry walk per event);
// - permissions and rules tables follow the ObjectModified the store reports for their folder when its list or its
//   rules change (tags FOLDER_TABLE_TAG, events.ts), and empty when the folder is deleted;
// - the queue is the session of the first table ROP on the table (tables are created by folder ROPs, which run
//   before the table is known to any session's table handlers); changes before that only mark the table dirty.
import { FOLDER_TABLE_TAG, type MailboxEvent } from '../../mapistore/events.js';
import { StoreError } from '../../mapistore/errors.js';
import type { TableRow } from '../../mapi/table/index.js';
import { NotificationType, TableEventType } from '../codec/notification-data.js';
import type { RopContext } from '../types.js';
import { sinkOf, type NotificationSink } from './notif-queue.js';
import type { TableObject, TableSource } from './objects.js';
import { forgetStoredTypes } from './tabl-rows.js';

/** MS-OXCFOLD 2.2.1.13.1 / 2.2.1.14.1 TableFlags NoNotifications. */
export const TABLE_FLAG_NO_NOTIFICATIONS = 0x10;

const sinks = new WeakMap<TableObject, NotificationSink>();

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
      // the folder's counts moved (emptied), or the folder itself went (the table empties)
      if (folderEvent) return ev.fid === src.fid && (ev.type === 'objectDeleted' || (!src.associated && ev.type === 'objectModified'));
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

/** Subscribes a new table to its mailbox's events; returns the unsubscribe function (null: nothing to watch). */
export function watchTable(t: TableObject): (() => void) | null {
  const src = t.source;
  if (!watched(src)) return null;
  const events = (t.logon as { store?: { events?: { subscribe?: unknown } } }).store?.events;
  if (!events || typeof events.subscribe !== 'function') return null;
  return t.logon.store.events.subscribe((ev) => {
    if (!eventAffects(src, ev)) return;
    const was = t.dirty;
    t.dirty = true;
    if (was || (t.tableFlags & TABLE_FLAG_NO_NOTIFICATIONS) !== 0) return;
    sinks.get(t)?.notify({
      target: t,
      logonId: t.logonId,
      data: { NotificationFlags: NotificationType.TableModified, TableEventType: TableEventType.TableChanged },
    });
  });
}

/**
 * Before a table ROP: remembers the session's queue for the table's notifications and, when the store changed since
 * the rows were read, reads them again (a folder deleted in the meantime leaves the table empty).
 */
export async function refreshIfDirty(t: TableObject, ctx: Pick<RopContext, 'session'>): Promise<void> {
  if (!sinks.has(t)) {
    const s = sinkOf(ctx);
    if (s) sinks.set(t, s);
  }
  if (!t.dirty) return;
  t.dirty = false;
  const src = t.source;
  const read = watched(src) ? readers.get(src.type) : undefined;
  if (!watched(src) || !read) return;
  const store = t.logon.store;
  let rows: TableRow[];
  try {
    rows = await read(t);
  } catch (e) {
    if (!(e instanceof StoreError) || (await store.folderExists(src.fid))) {
      t.dirty = true;
      throw e;
    }
    rows = [];
  }
  t.view.refresh(rows);
  forgetStoredTypes(t.view);
}
