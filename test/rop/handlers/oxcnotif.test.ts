// MS-OXCNOTIF through the ROP engine: two sessions (RopRunners with their own notification queues) on one real
// LocalStore, so one MailboxStore and one event bus. Session A registers (RopRegisterNotification) or opens tables;
// session B, or the store directly (standing in for delivery), changes the mailbox; A's queue is drained into a ROP
// output buffer (appendNotifications, as EcDoRpcExt2 does) and the RopNotify responses are decoded with the codec.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RopReader } from '../../../src/mapi/buffer.js';
import type { MailboxEvent } from '../../../src/mapistore/events.js';
import { TAG } from '../../../src/mapistore/tags.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { NotificationFlag, NotificationType, readNotificationData, TableEventType, type NotificationData } from '../../../src/rop/codec/notification-data.js';
import { RopNotify } from '../../../src/rop/codec/RopNotify.js';
import { RopPending } from '../../../src/rop/codec/RopPending.js';
import { buildRopBuffer, splitRopBuffer } from '../../../src/rop/dispatch.js';
import { ec } from '../../../src/rop/ec.js';
import { createMailboxHandlers } from '../../../src/rop/handlers/index.js';
import { appendNotifications, isQueuedNotification, notificationDataOf, type QueuedNotification } from '../../../src/rop/handlers/notif-queue.js';
import { tableSettled } from '../../../src/rop/handlers/notif-tables.js';
import type { TableObject } from '../../../src/rop/handlers/objects.js';
import { readPropertyRow } from '../../../src/mapi/ropprops.js';
import { ALICE, N, logonReq, makeEnv, openFolder, release, type Env, type Req, type Session } from './harness.js';

const ALL_TYPES = 0xfe;

class TestSession {
  readonly user = ALICE;
  queue: unknown[] = [];
  notify(n: unknown): void {
    this.queue.push(n);
  }
  take(): QueuedNotification[] {
    const q = this.queue.filter(isQueuedNotification);
    this.queue = [];
    return q;
  }
}

interface Side extends Session {
  session: TestSession;
  /** The queued notifications as RopNotify responses of an empty ROP buffer, decoded. */
  drain(room?: number): { notifies: Array<{ NotificationHandle: number; LogonId: number; NotificationData: NotificationData }>; pending: number | null };
}

let env: Env;
let mb: MailboxStore;
let a: Side;
let b: Side;

/** A session of Alice's on the env's store whose ctx.session queues what the handlers notify. */
function side(): Side {
  const session = new TestSession();
  const s = env.session(ALICE, session);
  const drain = (room = 0x8000) => {
    const empty = buildRopBuffer([], [N]);
    const r = appendNotifications(empty, session.take(), {
      room,
      handleOf: (o) => s.runner.state.handles.handleOf(o),
      sessionIndex: 7,
      codePage: 1252,
    });
    for (const x of r.rest) session.queue.push(x);
    const { rops, handles } = splitRopBuffer(r.output);
    expect(handles).toEqual([N]);
    const rd = new RopReader(rops);
    const notifies: ReturnType<Side['drain']>['notifies'] = [];
    let pending: number | null = null;
    while (rd.left > 0) {
      const id = rops[rd.pos];
      if (id === RopNotify.RopId) notifies.push(RopNotify.decodeResponse(rd, { codePage: 1252 }, {} as never) as never);
      else if (id === RopPending.RopId) pending = (RopPending.decodeResponse(rd, { codePage: 1252 }, {} as never) as { SessionIndex: number }).SessionIndex;
      else throw new Error(`unexpected RopId ${id}`);
    }
    return { notifies, pending };
  };
  return { ...s, session, drain };
}

beforeEach(async () => {
  env = await makeEnv(ALICE, createMailboxHandlers);
  a = side();
  b = side();
  mb = await env.store.openMailbox({ username: ALICE.username, displayName: ALICE.displayName, legacyDn: ALICE.legacyExchangeDN });
});
afterEach(() => env.close());

const register = (inp: number, out: number, types: number, scope: { fid?: bigint; mid?: bigint } | 'store'): Req => ({
  RopId: 0x29,
  LogonId: 0,
  InputHandleIndex: inp,
  OutputHandleIndex: out,
  NotificationTypes: types,
  Reserved: 0,
  WantWholeStore: scope === 'store' ? 1 : 0,
  ...(scope === 'store' ? {} : { FolderId: scope.fid ?? 0n, MessageId: scope.mid ?? 0n }),
});

/** Logs on (LogonId 0) and registers; returns the registration's handle. */
async function logonAndRegister(s: Side, types: number, scope: { fid?: bigint; mid?: bigint } | 'store'): Promise<number> {
  const { res, handles } = await s.call([logonReq(0, 0, ALICE.legacyExchangeDN), register(0, 1, types, scope)], [N, N]);
  expect(res.map((r) => r.ReturnValue)).toEqual([0, 0]);
  return handles[1]!;
}

const msg = (subject: string) => ({ props: [{ tag: TAG.Subject, value: subject }, { tag: TAG.MessageClass, value: 'IPM.Note' }] });

describe('RopRegisterNotification', () => {
  it('whole store: a folder created by another session reaches the registering session as a RopNotify', async () => {
    const h = await logonAndRegister(a, ALL_TYPES, 'store');
    const { handles } = await b.call([logonReq(0, 0, ALICE.legacyExchangeDN), openFolder(0, 1, mb.special.ipmSubtree)], [N, N]);
    const cf = await b.call(
      [{ RopId: 0x1c, LogonId: 0, InputHandleIndex: 1, OutputHandleIndex: 2, FolderType: 1, UseUnicodeStrings: 1, OpenExisting: 0, Reserved: 0, DisplayName: 'Projects', Comment: '' }],
      [handles[0]!, handles[1]!, N],
    );
    expect(cf.res[0]!.ReturnValue).toBe(0);
    const fid = cf.res[0]!.FolderId as bigint;
    const { notifies, pending } = a.drain();
    expect(pending).toBeNull();
    const created = notifies.filter((n) => (n.NotificationData.NotificationFlags & 0x0fff) === NotificationType.ObjectCreated);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ NotificationHandle: h, LogonId: 0 });
    expect(created[0]!.NotificationData).toMatchObject({ NotificationFlags: NotificationType.ObjectCreated, FolderID: fid, ParentFolderID: mb.special.ipmSubtree, Tags: [] });
    // the session that made the change has no registration: nothing queued there
    expect(b.session.take()).toEqual([]);
  });

  it('whole store: message created, modified, read, moved, copied and deleted, each with its type and IDs', async () => {
    const h = await logonAndRegister(a, ALL_TYPES, 'store');
    const inbox = mb.special.inbox;
    const drafts = mb.special.drafts;
    const mid = await mb.createMessage(inbox, msg('one'));
    let n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n[0]).toMatchObject({ NotificationFlags: NotificationType.ObjectCreated | NotificationFlag.M, FolderID: inbox, MessageID: mid });
    // the folder's counts follow (T and U bits)
    expect(n[1]).toMatchObject({
      NotificationFlags: NotificationType.ObjectModified | NotificationFlag.T | NotificationFlag.U,
      FolderID: inbox,
      TotalMessageCount: 1,
      UnreadMessageCount: 1,
    });
    expect(a.drain().notifies).toEqual([]);

    await mb.setMessageProps(mid, [{ tag: TAG.Subject, value: 'changed' }]);
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n[0]).toMatchObject({ NotificationFlags: NotificationType.ObjectModified | NotificationFlag.M, FolderID: inbox, MessageID: mid });

    await mb.setReadFlags(inbox, [mid], true);
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n[0]).toMatchObject({ NotificationFlags: NotificationType.ObjectModified | NotificationFlag.M, MessageID: mid, Tags: [TAG.MessageFlags, TAG.Read] });
    expect(n[1]).toMatchObject({ FolderID: inbox, TotalMessageCount: 1, UnreadMessageCount: 0 });

    const copy = await mb.moveCopyMessages(inbox, [mid], drafts, true);
    const copied = copy.ids.get(mid)!;
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n[0]).toMatchObject({ NotificationFlags: NotificationType.ObjectCopied | NotificationFlag.M, FolderID: drafts, MessageID: copied, OldFolderID: inbox, OldMessageID: mid });

    await mb.moveCopyMessages(inbox, [mid], drafts, false);
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n[0]).toMatchObject({ NotificationFlags: NotificationType.ObjectMoved | NotificationFlag.M, FolderID: drafts, MessageID: mid, OldFolderID: inbox, OldMessageID: mid });
    // counts of both folders
    expect(n.filter((x) => x.MessageID === undefined).map((x) => x.FolderID).sort()).toEqual([drafts, inbox].sort());

    await mb.deleteMessages(drafts, [copied]);
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n[0]).toMatchObject({ NotificationFlags: NotificationType.ObjectDeleted | NotificationFlag.M, FolderID: drafts, MessageID: copied });
    expect(n[1]).toMatchObject({ FolderID: drafts, TotalMessageCount: 1 });
    void h;
  });

  it('folder events: created, renamed, moved, copied, deleted', async () => {
    await logonAndRegister(a, ALL_TYPES, 'store');
    const top = mb.special.ipmSubtree;
    const { fid } = await mb.createFolder(top, { displayName: 'A' });
    const { fid: other } = await mb.createFolder(top, { displayName: 'B' });
    a.drain();
    await mb.setFolderProps(fid, [{ tag: TAG.DisplayName, value: 'A2' }]);
    let n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n).toEqual([expect.objectContaining({ NotificationFlags: NotificationType.ObjectModified | NotificationFlag.T | NotificationFlag.U, FolderID: fid, Tags: [TAG.DisplayName] })]);
    await mb.moveFolder(fid, other);
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n).toEqual([expect.objectContaining({ NotificationFlags: NotificationType.ObjectMoved, FolderID: fid, ParentFolderID: other, OldFolderID: fid, OldParentFolderID: top })]);
    const copyFid = await mb.copyFolder(fid, top, { newName: 'A3' });
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n).toEqual([expect.objectContaining({ NotificationFlags: NotificationType.ObjectCopied, FolderID: copyFid, ParentFolderID: top, OldFolderID: fid, OldParentFolderID: other })]);
    await mb.deleteFolder(copyFid, 0);
    n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n).toEqual([expect.objectContaining({ NotificationFlags: NotificationType.ObjectDeleted, FolderID: copyFid, ParentFolderID: top })]);
  });

  it('a folder registration sees its own folder and its messages only; the types mask filters', async () => {
    const inbox = mb.special.inbox;
    await logonAndRegister(a, NotificationType.NewMail | NotificationType.ObjectCreated, { fid: inbox });
    await mb.createMessage(mb.special.drafts, msg('elsewhere'));
    await mb.createFolder(inbox, { displayName: 'sub' }); // a subfolder: reported to the store, not the folder
    expect(a.drain().notifies).toEqual([]);
    const mid = await mb.createMessage(inbox, msg('hello'));
    await mb.setMessageProps(mid, [{ tag: TAG.Subject, value: 'x' }]); // ObjectModified: not asked for
    await mb.notifyNewMail(inbox, mid);
    const n = a.drain().notifies.map((x) => x.NotificationData);
    expect(n).toHaveLength(2);
    expect(n[0]).toMatchObject({ NotificationFlags: NotificationType.ObjectCreated | NotificationFlag.M, FolderID: inbox, MessageID: mid });
    expect(n[1]).toMatchObject({
      NotificationFlags: NotificationType.NewMail | NotificationFlag.M,
      FolderID: inbox,
      MessageID: mid,
      MessageFlags: 0,
      UnicodeFlag: 1,
      MessageClass: 'IPM.Note',
    });
  });

  it('a message registration sees that message only', async () => {
    const inbox = mb.special.inbox;
    const m1 = await mb.createMessage(inbox, msg('1'));
    const m2 = await mb.createMessage(inbox, msg('2'));
    await logonAndRegister(a, NotificationType.ObjectModified | NotificationType.ObjectDeleted, { fid: inbox, mid: m1 });
    await mb.setMessageProps(m2, [{ tag: TAG.Subject, value: 'x' }]);
    expect(a.drain().notifies).toEqual([]);
    await mb.setMessageProps(m1, [{ tag: TAG.Subject, value: 'y' }]);
    await mb.deleteMessages(inbox, [m1]);
    const n = a.drain().notifies.map((x) => x.NotificationData.NotificationFlags & 0x0fff);
    expect(n).toEqual([NotificationType.ObjectModified, NotificationType.ObjectDeleted]);
  });

  it('a MessageObject saved through the store reports ObjectCreated, then ObjectModified on the next save', async () => {
    await logonAndRegister(a, ALL_TYPES, 'store');
    const m = await mb.newMessage(mb.special.inbox);
    await m.setProps([{ tag: TAG.Subject, value: 'draft' }]);
    const mid = await m.save();
    await m.setProps([{ tag: TAG.Subject, value: 'draft 2' }]);
    await m.save();
    const n = a.drain().notifies.map((x) => x.NotificationData).filter((x) => x.MessageID === mid);
    expect(n.map((x) => x.NotificationFlags & 0x0fff)).toEqual([NotificationType.ObjectCreated, NotificationType.ObjectModified]);
  });

  it('an unknown folder or message is ecNotFound; RopRelease (and releasing the logon) unsubscribes', async () => {
    const { res } = await a.call([logonReq(0, 0, ALICE.legacyExchangeDN), register(0, 1, ALL_TYPES, { fid: 0x7777_0001n })], [N, N]);
    expect(res[1]!.ReturnValue).toBe(ec.NotFound);
    const before = mb.events.size;
    const h = await logonAndRegister(a, ALL_TYPES, 'store');
    expect(mb.events.size).toBe(before + 1);
    await a.call([release(0)], [h]);
    expect(mb.events.size).toBe(before);
    await mb.createMessage(mb.special.inbox, msg('after release'));
    expect(a.drain().notifies).toEqual([]);
    // released through its logon
    const { handles } = await a.call([logonReq(0, 0, ALICE.legacyExchangeDN), register(0, 1, ALL_TYPES, 'store')], [N, N]);
    expect(mb.events.size).toBe(before + 1);
    await a.call([release(0)], [handles[0]!]);
    expect(mb.events.size).toBe(before);
  });

  it('notifications queued for an object released before delivery are dropped, not sent with a stale handle', async () => {
    const h = await logonAndRegister(a, ALL_TYPES, 'store');
    await mb.createMessage(mb.special.inbox, msg('x'));
    expect(a.session.queue.length).toBeGreaterThan(0);
    await a.call([release(0)], [h]);
    expect(a.drain().notifies).toEqual([]);
  });

  it('RopPending follows the RopNotify responses that fit when the output buffer is small; the rest stay queued', async () => {
    await logonAndRegister(a, NotificationType.ObjectCreated, 'store');
    for (let i = 0; i < 10; i++) await mb.createMessage(mb.special.inbox, msg(`m${i}`));
    expect(a.session.queue).toHaveLength(10);
    // each RopNotify of a message ObjectCreated: RopId 1 + handle 4 + LogonId 1 + flags 2 + FID 8 + MID 8 + TagCount 2 = 26
    // bytes; 100 bytes hold three and the RopPending (SessionIndex 7, the drain's)
    const first = a.drain(100);
    expect(first.notifies.length).toBe(3);
    expect(first.pending).toBe(7);
    expect(a.session.queue).toHaveLength(7);
    const rest = a.drain();
    expect(rest.notifies).toHaveLength(7);
    expect(rest.pending).toBeNull();
    const mids = [...first.notifies, ...rest.notifies].map((n) => n.NotificationData.MessageID);
    expect(new Set(mids).size).toBe(10);
  });

  it('a throwing listener neither fails the change nor keeps the other subscribers from their events', async () => {
    await logonAndRegister(a, ALL_TYPES, 'store');
    const unsub = mb.events.subscribe(() => {
      throw new Error('bad listener');
    });
    try {
      const mid = await mb.createMessage(mb.special.inbox, msg('still stored'));
      expect(await mb.messageExists(mid)).toBe(true);
      expect(a.drain().notifies.some((n) => n.NotificationData.MessageID === mid)).toBe(true);
    } finally {
      unsub();
    }
  });

  it('notifyNewMail refuses a message that is not in the folder', async () => {
    const mid = await mb.createMessage(mb.special.drafts, msg('x'));
    await expect(mb.notifyNewMail(mb.special.inbox, mid)).rejects.toMatchObject({ ec: ec.NotFound });
  });
});

describe('table notifications and refresh', () => {
  const contentsTable = (inp: number, out: number, flags: number): Req => ({ RopId: 0x05, LogonId: 0, InputHandleIndex: inp, OutputHandleIndex: out, TableFlags: flags });
  const hierarchyTable = (inp: number, out: number, flags: number): Req => ({ RopId: 0x04, LogonId: 0, InputHandleIndex: inp, OutputHandleIndex: out, TableFlags: flags });
  const setColumns = (tags: number[]): Req => ({ RopId: 0x12, LogonId: 0, InputHandleIndex: 0, SetColumnsFlags: 0, PropertyTags: tags });
  const queryRows = (tags: number[]): Req => ({ RopId: 0x15, LogonId: 0, InputHandleIndex: 0, QueryRowsFlags: 0, ForwardRead: 1, RowCount: 100, Columns: tags });
  const seekBegin: Req = { RopId: 0x18, LogonId: 0, InputHandleIndex: 0, Origin: 0, RowCount: 0, WantRowMovedCount: 0 };

  async function openTable(req: (inp: number, out: number, flags: number) => Req, fid: bigint, flags: number, cols: number[]) {
    const { handles } = await a.call([logonReq(0, 0, ALICE.legacyExchangeDN), openFolder(0, 1, fid), req(1, 2, flags)], [N, N, N]);
    const t = handles[2]!;
    const r = await a.call([setColumns(cols), queryRows(cols)], [t]);
    expect(r.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    return { t, rows: r.res[1]!.RowCount as number };
  }

  /** Waits until the row-level events of table handle `t` of session A are queued. */
  const settled = (t: number) => tableSettled(a.runner.state.handles.get(t) as TableObject);
  const ROW = NotificationType.TableModified | NotificationFlag.M;
  const subjectOf = (d: NotificationData) => readPropertyRow(new RopReader(d.TableRowData!), [TAG.Subject], 1252)[0];

  it('a contents table gets row-level events for single message changes by another session', async () => {
    const inbox = mb.special.inbox;
    const m1 = await mb.createMessage(inbox, msg('a'));
    const { t, rows } = await openTable(contentsTable, inbox, 0, [TAG.Subject]);
    expect(rows).toBe(1);
    // added: after a's row, with the row data for the table's columns
    const m2 = await mb.createMessage(inbox, msg('b'));
    await settled(t);
    let n = a.drain().notifies;
    expect(n.map((x) => x.NotificationHandle)).toEqual([t]);
    expect(n[0]!.NotificationData).toMatchObject({
      NotificationFlags: ROW, TableEventType: TableEventType.TableRowAdded, TableRowFolderID: inbox, TableRowMessageID: m2, TableRowInstance: 0,
      InsertAfterTableRowFolderID: inbox, InsertAfterTableRowID: m1, InsertAfterTableRowInstance: 0,
    });
    expect(subjectOf(n[0]!.NotificationData)).toBe('b');
    // modified: the new row data
    await mb.setMessageProps(m2, [{ tag: TAG.Subject, value: 'b2' }]);
    await settled(t);
    n = a.drain().notifies;
    expect(n.map((x) => x.NotificationData.TableEventType)).toEqual([TableEventType.TableRowModified]);
    expect(subjectOf(n[0]!.NotificationData)).toBe('b2');
    // deleted: the row's ids only
    await mb.deleteMessages(inbox, [m1]);
    await settled(t);
    n = a.drain().notifies;
    expect(n.map((x) => x.NotificationData)).toEqual([
      { NotificationFlags: ROW, TableEventType: TableEventType.TableRowDeleted, TableRowFolderID: inbox, TableRowMessageID: m1, TableRowInstance: 0 },
    ]);
    // a move out of the folder: deleted; the row now first: InsertAfter zeros
    const m0 = await mb.createMessage(inbox, msg('c'));
    await settled(t);
    await mb.moveCopyMessages(inbox, [m2], mb.special.drafts, false);
    await settled(t);
    await mb.setMessageProps(m0, [{ tag: TAG.Subject, value: 'c2' }]);
    await settled(t);
    n = a.drain().notifies;
    expect(n.map((x) => [x.NotificationData.TableEventType, x.NotificationData.TableRowMessageID])).toEqual([
      [TableEventType.TableRowAdded, m0],
      [TableEventType.TableRowDeleted, m2],
      [TableEventType.TableRowModified, m0],
    ]);
    expect(n[0]!.NotificationData).toMatchObject({ InsertAfterTableRowFolderID: inbox, InsertAfterTableRowID: m2 });
    expect(n[2]!.NotificationData).toMatchObject({ InsertAfterTableRowFolderID: 0n, InsertAfterTableRowID: 0n });
    // the table reads as the events said
    const r = await a.call([seekBegin, queryRows([TAG.Subject])], [t]);
    expect(r.res[1]!.RowCount).toBe(1);
    // a change in another folder leaves the table alone
    await mb.createMessage(mb.special.drafts, msg('d'));
    await settled(t);
    expect(a.drain().notifies).toEqual([]);
  });

  it('a burst of changes queues one TABLE_CHANGED per read; a restricted-out row sends nothing', async () => {
    const inbox = mb.special.inbox;
    await mb.createMessage(inbox, msg('a'));
    const { t, rows } = await openTable(contentsTable, inbox, 0, [TAG.Subject]);
    expect(rows).toBe(1);
    // two messages at once, then one more before the client reads again: one notification
    await mb.bulkInsertMessages(inbox, [msg('b'), msg('c')]);
    await mb.createMessage(inbox, msg('d'));
    await settled(t);
    const n = a.drain().notifies;
    expect(n).toEqual([{ RopId: RopNotify.RopId, HandleIndex: 0, ReturnValue: 0, NotificationHandle: t, LogonId: 0, NotificationData: { NotificationFlags: NotificationType.TableModified, TableEventType: TableEventType.TableChanged } }]);
    let r = await a.call([seekBegin, queryRows([TAG.Subject])], [t]);
    expect(r.res[1]!.RowCount).toBe(4);
    // read again: single changes are row-level again; one the restriction hides sends nothing
    const restrict: Req = {
      RopId: 0x14, LogonId: 0, InputHandleIndex: 0, RestrictFlags: 0,
      Restriction: { type: 'content', fuzzyLevel: 0x10001, propTag: TAG.Subject, value: { tag: TAG.Subject, value: 'keep' } },
    };
    r = await a.call([restrict], [t]);
    expect(r.res[0]!.ReturnValue).toBe(0);
    await mb.createMessage(inbox, msg('other'));
    await settled(t);
    expect(a.drain().notifies).toEqual([]);
    await mb.createMessage(inbox, msg('keep this'));
    await settled(t);
    expect(a.drain().notifies.map((x) => x.NotificationData.TableEventType)).toEqual([TableEventType.TableRowAdded]);
    // emptying the folder (one folder event, no message events): TABLE_CHANGED, and the table reads empty
    await mb.emptyFolder(inbox);
    await settled(t);
    expect(a.drain().notifies.map((x) => x.NotificationData.TableEventType)).toEqual([TableEventType.TableChanged]);
    r = await a.call([seekBegin, queryRows([TAG.Subject])], [t]);
    expect(r.res[1]!.RowCount).toBe(0);
  });

  it('the cursor stays on its row across a refresh', async () => {
    const inbox = mb.special.inbox;
    for (let i = 0; i < 5; i++) await mb.createMessage(inbox, msg(`m${i}`));
    const { t } = await openTable(contentsTable, inbox, 0, [TAG.Subject]);
    await a.call([seekBegin, { RopId: 0x18, LogonId: 0, InputHandleIndex: 0, Origin: 0, RowCount: 2, WantRowMovedCount: 0 }], [t]);
    await mb.createMessage(inbox, msg('m5'));
    const r = await a.call([{ RopId: 0x17, LogonId: 0, InputHandleIndex: 0 }], [t]);
    expect(r.res[0]).toMatchObject({ Numerator: 2, Denominator: 6 });
  });

  it('a categorized contents table gets TABLE_CHANGED for a single change', async () => {
    const inbox = mb.special.inbox;
    await mb.createMessage(inbox, msg('a'));
    const { t } = await openTable(contentsTable, inbox, 0, [TAG.Subject]);
    const sort: Req = { RopId: 0x13, LogonId: 0, InputHandleIndex: 0, SortTableFlags: 0, CategorizedCount: 1, ExpandedCount: 1, SortOrders: [{ PropertyTag: TAG.Subject, Order: 0 }] };
    expect((await a.call([sort], [t])).res[0]!.ReturnValue).toBe(0);
    await mb.createMessage(inbox, msg('b'));
    await settled(t);
    expect(a.drain().notifies.map((x) => x.NotificationData)).toEqual([{ NotificationFlags: NotificationType.TableModified, TableEventType: TableEventType.TableChanged }]);
  });

  it('NoNotifications (0x10): the table is still refreshed, but nothing is queued', async () => {
    const inbox = mb.special.inbox;
    const { t, rows } = await openTable(contentsTable, inbox, 0x10, [TAG.Subject]);
    expect(rows).toBe(0);
    await mb.createMessage(inbox, msg('a'));
    expect(a.drain().notifies).toEqual([]);
    const r = await a.call([seekBegin, queryRows([TAG.Subject])], [t]);
    expect(r.res[1]!.RowCount).toBe(1);
  });

  it('a hierarchy table sees folders created and deleted, and subfolders removed by emptying the folder', async () => {
    const top = mb.special.ipmSubtree;
    const { t, rows } = await openTable(hierarchyTable, top, 0, [TAG.DisplayName]);
    const { fid } = await mb.createFolder(top, { displayName: 'New one' });
    expect(a.drain().notifies.map((n) => n.NotificationHandle)).toEqual([t]);
    let r = await a.call([seekBegin, queryRows([TAG.DisplayName])], [t]);
    expect(r.res[1]!.RowCount).toBe(rows + 1);
    await mb.deleteFolder(fid, 0);
    r = await a.call([seekBegin, queryRows([TAG.DisplayName])], [t]);
    expect(r.res[1]!.RowCount).toBe(rows);
    a.drain();
    // a table on a folder whose subfolders go with emptyFolder
    const { fid: parent } = await mb.createFolder(top, { displayName: 'Parent' });
    await mb.createFolder(parent, { displayName: 'Child 1' });
    await mb.createFolder(parent, { displayName: 'Child 2' });
    const h2 = await a.call([openFolder(0, 1, parent), hierarchyTable(1, 2, 0)], [a.runner.state.handles.handleOf(a.runner.state.logons.get(0)!)!, N, N]);
    const t2 = h2.handles[2]!;
    r = await a.call([setColumns([TAG.DisplayName]), queryRows([TAG.DisplayName])], [t2]);
    expect(r.res[1]!.RowCount).toBe(2);
    a.drain();
    await mb.emptyFolder(parent);
    expect(a.drain().notifies.map((n) => n.NotificationHandle)).toContain(t2);
    r = await a.call([seekBegin, queryRows([TAG.DisplayName])], [t2]);
    expect(r.res[1]!.RowCount).toBe(0);
  });

  it('a contents table of a folder deleted meanwhile reads as empty', async () => {
    const { fid } = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Doomed' });
    await mb.createMessage(fid, msg('x'));
    const { t, rows } = await openTable(contentsTable, fid, 0, [TAG.Subject]);
    expect(rows).toBe(1);
    await mb.deleteFolder(fid, 0x01 | 0x04);
    const r = await a.call([seekBegin, queryRows([TAG.Subject])], [t]);
    expect(r.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    expect(r.res[1]!.RowCount).toBe(0);
  });

  it('an FAI contents table (Associated 0x02) follows FAI messages only', async () => {
    const inbox = mb.special.inbox;
    const { t, rows } = await openTable(contentsTable, inbox, 0x02, [TAG.Subject]);
    expect(rows).toBe(0);
    await mb.createMessage(inbox, msg('normal'));
    expect(a.drain().notifies).toEqual([]);
    await mb.createMessage(inbox, { ...msg('fai'), associated: true });
    await settled(t);
    expect(a.drain().notifies.map((n) => n.NotificationHandle)).toEqual([t]);
    const r = await a.call([seekBegin, queryRows([TAG.Subject])], [t]);
    expect(r.res[1]!.RowCount).toBe(1);
  });

  it('releasing a table stops its watch', async () => {
    const inbox = mb.special.inbox;
    const before = mb.events.size;
    const { t } = await openTable(contentsTable, inbox, 0, [TAG.Subject]);
    expect(mb.events.size).toBe(before + 1);
    await a.call([release(0)], [t]);
    expect(mb.events.size).toBe(before);
  });
});

describe('NotificationData of store events', () => {
  const id = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });
  const event = fc.record(
    {
      type: fc.constantFrom('newMail', 'objectCreated', 'objectDeleted', 'objectModified', 'objectMoved', 'objectCopied', 'searchComplete') as fc.Arbitrary<MailboxEvent['type']>,
      fid: id,
      mid: id,
      parentFid: id,
      oldFid: id,
      oldMid: id,
      oldParentFid: id,
      associated: fc.boolean(),
      messageClass: fc.string({ maxLength: 40 }).map((s) => s.replace(/\0/g, '')),
      messageFlags: fc.integer({ min: 0, max: 0xffffffff }),
      tags: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 }),
      totalCount: fc.integer({ min: 0, max: 0xffffffff }),
      unreadCount: fc.integer({ min: 0, max: 0xffffffff }),
    },
    { requiredKeys: ['type', 'fid'] },
  );

  it('every event encodes as a RopNotify that the codec decodes back to the same NotificationData', () => {
    fc.assert(
      fc.property(event, fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 255 }), (ev, handle, logonId) => {
        if (ev.type === 'newMail' && ev.mid === undefined) return; // NewMail is always about a message
        const data = notificationDataOf(ev as MailboxEvent);
        const target = { kind: 'notification' as const, logonId, parent: null };
        const r = appendNotifications(buildRopBuffer([], []), [{ target, logonId, data }], { room: 0x8000, handleOf: () => handle, sessionIndex: 1, codePage: 1252 });
        expect(r.sent).toBe(1);
        const { rops } = splitRopBuffer(r.output);
        const rd = new RopReader(rops);
        const res = RopNotify.decodeResponse(rd, { codePage: 1252 }, {} as never) as unknown as { NotificationHandle: number; LogonId: number; NotificationData: NotificationData };
        expect(rd.left).toBe(0);
        expect(res.NotificationHandle).toBe(handle);
        expect(res.LogonId).toBe(logonId);
        expect(res.NotificationData).toEqual(data);
        // and the body alone through the NotificationData decoder
        expect(readNotificationData(new RopReader(rops.subarray(6)), 1252)).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });

  it('appendNotifications never exceeds its room and keeps the handle table whole', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 30 }), fc.array(fc.integer({ min: 0, max: 0xfffffffe }), { maxLength: 4 }), (room, n, table) => {
        const target = { kind: 'notification' as const, logonId: 0, parent: null };
        const q = Array.from({ length: n }, (_, i) => ({ target, logonId: 0, data: notificationDataOf({ type: 'objectDeleted', fid: BigInt(i + 1), mid: BigInt(i + 100) }) }));
        const payload = buildRopBuffer([Buffer.from([0x01, 0x00, 0x00])], table);
        const r = appendNotifications(payload, q, { room, handleOf: () => 5, sessionIndex: 3, codePage: 1252 });
        expect(r.output.length - payload.length).toBeLessThanOrEqual(room);
        expect(r.sent + r.rest.length).toBe(n);
        expect(r.pending).toBe(r.rest.length > 0 && room >= 3);
        expect(splitRopBuffer(r.output).handles).toEqual(table);
      }),
    );
  });
});
