// MS-OXCNOTIF 2.2.1.4.1.2 NotificationData (the body of RopNotify): NotificationFlags, then the fields its
// NotificationType and the T/U/S/M bits select, in the spec's order. TableRowData stays bytes (a PropertyRow over
// the table's columns, which only the table knows).
import { RopFormatError, type RopReader, type RopWriter } from '../../mapi/buffer.js';
import { custom } from './kit.js';

export const NotificationType = {
  NewMail: 0x0002,
  ObjectCreated: 0x0004,
  ObjectDeleted: 0x0008,
  ObjectModified: 0x0010,
  ObjectMoved: 0x0020,
  ObjectCopied: 0x0040,
  SearchComplete: 0x0080,
  TableModified: 0x0100,
} as const;

/** NotificationFlags bits above the 12-bit NotificationType. */
export const NotificationFlag = { T: 0x1000, U: 0x2000, S: 0x4000, M: 0x8000 } as const;

export const TableEventType = {
  TableChanged: 0x0001,
  TableRowAdded: 0x0003,
  TableRowDeleted: 0x0004,
  TableRowModified: 0x0005,
  TableRestrictionChanged: 0x0007,
} as const;

export interface NotificationData {
  NotificationFlags: number;
  TableEventType?: number;
  TableRowFolderID?: bigint;
  TableRowMessageID?: bigint;
  TableRowInstance?: number;
  InsertAfterTableRowFolderID?: bigint;
  InsertAfterTableRowID?: bigint;
  InsertAfterTableRowInstance?: number;
  TableRowData?: Buffer;
  FolderID?: bigint;
  MessageID?: bigint;
  ParentFolderID?: bigint;
  OldFolderID?: bigint;
  OldMessageID?: bigint;
  OldParentFolderID?: bigint;
  /** TagCount 0xFFFF (all properties) reads as null; absent when the type has no tags. */
  Tags?: number[] | null;
  TotalMessageCount?: number;
  UnreadMessageCount?: number;
  MessageFlags?: number;
  UnicodeFlag?: number;
  MessageClass?: string;
}

const OBJECT_TYPES = new Set<number>([0x0002, 0x0004, 0x0008, 0x0010, 0x0020, 0x0040]);

/** Which fields a NotificationFlags value carries. */
function shape(flags: number, tableEvent: number | undefined) {
  const type = flags & 0x0fff;
  const m = (flags & NotificationFlag.M) !== 0;
  const table = type === NotificationType.TableModified;
  const rowEvent = table && (tableEvent === 3 || tableEvent === 4 || tableEvent === 5);
  const insert = table && (tableEvent === 3 || tableEvent === 5);
  const moveCopy = type === NotificationType.ObjectMoved || type === NotificationType.ObjectCopied;
  const tree = type === NotificationType.ObjectCreated || type === NotificationType.ObjectDeleted || moveCopy;
  return {
    type,
    table,
    rowEvent,
    rowMessage: rowEvent && m,
    insert,
    insertMessage: insert && m,
    folder: OBJECT_TYPES.has(type) || type === NotificationType.SearchComplete,
    message: OBJECT_TYPES.has(type) && m,
    parent: tree && !m,
    old: moveCopy,
    oldMessage: moveCopy && m,
    oldParent: moveCopy && !m,
    tags: type === NotificationType.ObjectCreated || type === NotificationType.ObjectModified,
    total: (flags & NotificationFlag.T) !== 0,
    unread: (flags & NotificationFlag.U) !== 0,
    newMail: type === NotificationType.NewMail,
  };
}

const KNOWN = new Set<number>(Object.values(NotificationType));

export function readNotificationData(r: RopReader, codePage: number): NotificationData {
  const flags = r.u16();
  const type = flags & 0x0fff;
  if (!KNOWN.has(type)) throw new RopFormatError('OC_ROP_NOTIFICATION', `NotificationType 0x${type.toString(16)}`);
  const d: NotificationData = { NotificationFlags: flags };
  if (type === NotificationType.TableModified) d.TableEventType = r.u16();
  const s = shape(flags, d.TableEventType);
  if (s.rowEvent) d.TableRowFolderID = r.u64();
  if (s.rowMessage) {
    d.TableRowMessageID = r.u64();
    d.TableRowInstance = r.u32();
  }
  if (s.insert) d.InsertAfterTableRowFolderID = r.u64();
  if (s.insertMessage) {
    d.InsertAfterTableRowID = r.u64();
    d.InsertAfterTableRowInstance = r.u32();
  }
  if (s.insert) d.TableRowData = Buffer.from(r.bytes(r.u16(), 'TableRowData'));
  if (s.folder) d.FolderID = r.u64();
  if (s.message) d.MessageID = r.u64();
  if (s.parent) d.ParentFolderID = r.u64();
  if (s.old) d.OldFolderID = r.u64();
  if (s.oldMessage) d.OldMessageID = r.u64();
  if (s.oldParent) d.OldParentFolderID = r.u64();
  if (s.tags) {
    const n = r.u16();
    if (n === 0xffff) d.Tags = null;
    else {
      if (n * 4 > r.left) throw new RopFormatError('OC_ROP_COUNT', `TagCount ${n} exceeds the ${r.left} bytes left`);
      d.Tags = [];
      for (let i = 0; i < n; i++) d.Tags.push(r.u32());
    }
  }
  if (s.total) d.TotalMessageCount = r.u32();
  if (s.unread) d.UnreadMessageCount = r.u32();
  if (s.newMail) {
    d.MessageFlags = r.u32();
    d.UnicodeFlag = r.u8();
    d.MessageClass = d.UnicodeFlag !== 0 ? r.stringW() : r.string8(codePage);
  }
  return d;
}

export function writeNotificationData(w: RopWriter, d: NotificationData, codePage: number): void {
  const flags = d.NotificationFlags;
  w.u16(flags);
  if ((flags & 0x0fff) === NotificationType.TableModified) w.u16(d.TableEventType ?? 0);
  const s = shape(flags, d.TableEventType);
  if (s.rowEvent) w.u64(d.TableRowFolderID ?? 0n);
  if (s.rowMessage) w.u64(d.TableRowMessageID ?? 0n).u32(d.TableRowInstance ?? 0);
  if (s.insert) w.u64(d.InsertAfterTableRowFolderID ?? 0n);
  if (s.insertMessage) w.u64(d.InsertAfterTableRowID ?? 0n).u32(d.InsertAfterTableRowInstance ?? 0);
  if (s.insert) {
    const b = d.TableRowData ?? Buffer.alloc(0);
    if (b.length > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `TableRowData of ${b.length} bytes`);
    w.u16(b.length).bytes(b);
  }
  if (s.folder) w.u64(d.FolderID ?? 0n);
  if (s.message) w.u64(d.MessageID ?? 0n);
  if (s.parent) w.u64(d.ParentFolderID ?? 0n);
  if (s.old) w.u64(d.OldFolderID ?? 0n);
  if (s.oldMessage) w.u64(d.OldMessageID ?? 0n);
  if (s.oldParent) w.u64(d.OldParentFolderID ?? 0n);
  if (s.tags) {
    if (d.Tags === null) w.u16(0xffff);
    else {
      const t = d.Tags ?? [];
      if (t.length >= 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `${t.length} tags do not fit TagCount`);
      w.u16(t.length);
      for (const x of t) w.u32(x);
    }
  }
  if (s.total) w.u32(d.TotalMessageCount ?? 0);
  if (s.unread) w.u32(d.UnreadMessageCount ?? 0);
  if (s.newMail) {
    const uni = d.UnicodeFlag ?? 0;
    w.u32(d.MessageFlags ?? 0).u8(uni);
    if (uni !== 0) w.stringW(d.MessageClass ?? '');
    else w.string8(d.MessageClass ?? '', codePage);
  }
}

export const notificationData = <N extends string>(name: N) =>
  custom<N, NotificationData>(
    name,
    (r, env) => readNotificationData(r, env.ctx.codePage),
    (w, v, env) => writeNotificationData(w, v, env.ctx.codePage),
    'notificationData',
  );
