// Properties the embedded backend computes for folders and messages (MS-OXCFOLD 2.2.2, MS-OXCMSG 2.2.1,
// MS-OXCFXICS 2.2.1.2): IDs, entry IDs, counts, access, change tracking, times. PidTagMessageFlags carries the
// store's bits MSGFLAG_READ, MSGFLAG_ASSOCIATED and MSGFLAG_HASATTACH (from the PidTagHasAttachments every save stores,
// objects.ts), never stored ones (messageFlags), so every reader gives the same value.
//
// Objects a client imported through ICS (ics-import.ts) keep the keys the client knows them by: their own
// PidTagSourceKey when it is not the server's XID, PidTagParentSourceKey from an imported parent folder, and, while the
// imported version is the current one (same CN), its PidTagChangeKey and exact PidTagLastModificationTime (the stored
// PCL already is the imported one). Applied here, so every reader agrees: contents and hierarchy tables, search
// folders, restrictions, notifications, getFolderProps/getMessageProps and opened message objects. The lookup is in
// memory (PropCtx.imported, one map per kind): no query per row, and nothing at all when the mailbox has no imports.
import type Database from 'better-sqlite3';
import { encodeXid } from '../../../mapi/ids.js';
import { toFileTime, type PropValue } from '../../../mapi/props.js';
import { folderEntryId, messageEntryId } from '../../entryid.js';
import { decodeProps, decodeStored } from '../../propcodec.js';
import {
  ACCESS_CREATE_ASSOCIATED, ACCESS_CREATE_CONTENTS, ACCESS_CREATE_HIERARCHY, ACCESS_DELETE, ACCESS_MODIFY, ACCESS_READ,
  MSGFLAG_ASSOCIATED, MSGFLAG_READ, RIGHTS_OWNER, TAG,
} from '../../tags.js';
import { eid, instanceKey } from './helpers.js';
import type { FolderRow, MessageRow } from './schema.js';

export interface PropCtx {
  mailboxGuid: string;
  replGuid: string;
  /** SELECT assoc, count(*) AS n, sum(read = 0) AS unread, sum(size) AS size FROM messages WHERE fid = ? GROUP BY assoc */
  counts: Database.Statement;
  /** SELECT count(*) AS n FROM folders WHERE parent = ? */
  childCount: Database.Statement;
  /** Keys of imported objects (ics-import.ts importedKeys); absent: none. */
  imported?: ImportedKeys;
}

/** The change tracking a client gave an imported folder or message (one ics_keys row). */
export interface ImportedKey {
  /** The client's PidTagSourceKey (null: the server's XID of the id). */
  sourceKey: Buffer | null;
  /** PidTagChangeKey of the imported version (null: the server's). */
  changeKey: Buffer | null;
  /** CN of the stored version the change key and time belong to. */
  cn: number;
  /** PidTagLastModificationTime (FILETIME) of the imported version, null: the stored time. */
  modified: bigint | null;
}

/** In-memory view of the imported keys of a mailbox, by GLOBCNT. */
export interface ImportedKeys {
  /** Whether anything was imported at all (the fast path of every row). */
  any(): boolean;
  folder(g: number): ImportedKey | undefined;
  message(g: number): ImportedKey | undefined;
}

/** Puts the client's keys of an imported object (`own`) and of its imported parent folder into `m`. */
function applyImported(m: Map<number, PropValue>, own: ImportedKey | undefined, parent: ImportedKey | undefined, cn: number): void {
  if (own?.sourceKey) m.set(TAG.SourceKey, own.sourceKey);
  if (parent?.sourceKey && m.has(TAG.ParentSourceKey)) m.set(TAG.ParentSourceKey, parent.sourceKey);
  if (own && own.cn === cn) {
    if (own.changeKey) m.set(TAG.ChangeKey, own.changeKey);
    if (own.modified !== null) m.set(TAG.LastModificationTime, own.modified);
  }
}

/** MS-OXPROPS PidTagHasAttachments and MS-OXCMSG 2.2.1.6 MSGFLAG_HASATTACH of PidTagMessageFlags. */
export const PidTagHasAttachments = 0x0e1b000b;
export const MSGFLAG_HASATTACH = 0x10;

/**
 * PidTagMessageFlags of a message from its stored properties: the stored bits without the ones the store owns, plus
 * MSGFLAG_READ, MSGFLAG_ASSOCIATED and MSGFLAG_HASATTACH from the read state, the FAI flag and the stored
 * PidTagHasAttachments (written by every save from the message's attachments, objects.ts): the same value for table
 * rows, getMessageProps, opened message objects and FastTransfer streams, with no attachment query per row.
 */
export function messageFlags(props: Map<number, PropValue>, read: boolean, assoc: boolean): number {
  const v = props.get(TAG.MessageFlags);
  const stored = (typeof v === 'number' ? v : 0) & ~(MSGFLAG_READ | MSGFLAG_ASSOCIATED | MSGFLAG_HASATTACH);
  return stored | (read ? MSGFLAG_READ : 0) | (assoc ? MSGFLAG_ASSOCIATED : 0) | (props.get(PidTagHasAttachments) === true ? MSGFLAG_HASATTACH : 0);
}

export const xid = (ctx: PropCtx, g: number | bigint): Buffer => encodeXid(ctx.replGuid, BigInt(g));
export const feid = (ctx: PropCtx, g: number): Buffer => folderEntryId(ctx.mailboxGuid, ctx.replGuid, BigInt(g));

export function folderProps(ctx: PropCtx, r: FolderRow): Map<number, PropValue> {
  const m = decodeProps(r.props);
  let count = 0, unread = 0, assoc = 0, size = 0;
  for (const c of ctx.counts.all(r.fid) as { assoc: number; n: number; unread: number; size: number | null }[]) {
    if (c.assoc) assoc = c.n;
    else {
      count = c.n;
      unread = c.unread;
    }
    size += c.size ?? 0;
  }
  const kids = (ctx.childCount.get(r.fid) as { n: number }).n;
  const special = r.special !== null;
  m.set(TAG.DisplayName, r.name);
  m.set(TAG.ObjectType, 3);
  m.set(TAG.FolderId, eid(r.fid));
  m.set(TAG.ParentFolderId, r.parent === null ? 0n : eid(r.parent));
  m.set(TAG.EntryId, feid(ctx, r.fid));
  m.set(TAG.ParentEntryId, feid(ctx, r.parent ?? r.fid));
  m.set(TAG.RecordKey, feid(ctx, r.fid));
  m.set(TAG.InstanceKey, instanceKey(r.fid));
  m.set(TAG.FolderType, r.folder_type);
  m.set(TAG.ContentCount, count);
  m.set(TAG.ContentUnreadCount, unread);
  m.set(TAG.AssociatedContentCount, assoc);
  m.set(TAG.Subfolders, kids > 0);
  m.set(TAG.FolderChildCount, kids);
  m.set(TAG.MessageSize, Math.min(size, 0x7fffffff));
  m.set(TAG.MessageSizeExtended, BigInt(size));
  m.set(TAG.Access, ACCESS_MODIFY | ACCESS_READ | (special ? 0 : ACCESS_DELETE) | ACCESS_CREATE_HIERARCHY | ACCESS_CREATE_CONTENTS | ACCESS_CREATE_ASSOCIATED);
  m.set(TAG.Rights, RIGHTS_OWNER);
  if (!m.has(TAG.AttributeHidden)) m.set(TAG.AttributeHidden, false);
  m.set(TAG.SourceKey, xid(ctx, r.fid));
  if (r.parent !== null) m.set(TAG.ParentSourceKey, xid(ctx, r.parent));
  m.set(TAG.ChangeKey, xid(ctx, r.cn));
  m.set(TAG.PredecessorChangeList, r.pcl);
  m.set(TAG.ChangeNumber, eid(r.cn));
  m.set(TAG.CreationTime, toFileTime(new Date(r.created)));
  m.set(TAG.LastModificationTime, toFileTime(new Date(r.modified)));
  const imp = ctx.imported;
  if (imp?.any()) applyImported(m, imp.folder(r.fid), r.parent === null ? undefined : imp.folder(r.parent), r.cn);
  return m;
}

export function messageProps(ctx: PropCtx, r: MessageRow): Map<number, PropValue> {
  return messagePropsOf(ctx, r, decodeStored(r.props, r.big), r.size, r.read !== 0);
}

/**
 * The computed view of message row `r` over its stored properties already decoded (`m`, changed in place and
 * returned), with `size` and `read` in place of the row's: an opened message object's working copy gives its own.
 */
export function messagePropsOf(ctx: PropCtx, r: MessageRow, m: Map<number, PropValue>, size: number, read: boolean): Map<number, PropValue> {
  const flags = messageFlags(m, read, r.assoc !== 0);
  m.set(PidTagHasAttachments, m.get(PidTagHasAttachments) === true);
  m.set(TAG.ObjectType, 5);
  m.set(TAG.Mid, eid(r.mid));
  m.set(TAG.FolderId, eid(r.fid));
  m.set(TAG.ParentFolderId, eid(r.fid));
  const entryId = messageEntryId(ctx.mailboxGuid, ctx.replGuid, BigInt(r.fid), BigInt(r.mid));
  m.set(TAG.EntryId, entryId);
  m.set(TAG.ParentEntryId, feid(ctx, r.fid));
  m.set(TAG.RecordKey, Buffer.from(entryId));
  m.set(TAG.InstanceKey, instanceKey(r.mid));
  m.set(TAG.MessageSize, size);
  m.set(TAG.MessageSizeExtended, BigInt(size));
  m.set(TAG.MessageFlags, flags);
  m.set(TAG.Read, read);
  m.set(TAG.Associated, r.assoc !== 0);
  m.set(TAG.Access, ACCESS_MODIFY | ACCESS_READ | ACCESS_DELETE);
  m.set(TAG.AccessLevel, 1);
  m.set(TAG.SourceKey, xid(ctx, r.mid));
  m.set(TAG.ParentSourceKey, xid(ctx, r.fid));
  m.set(TAG.ChangeKey, xid(ctx, r.cn));
  m.set(TAG.PredecessorChangeList, r.pcl);
  m.set(TAG.ChangeNumber, eid(r.cn));
  m.set(TAG.CreationTime, toFileTime(new Date(r.created)));
  m.set(TAG.LastModificationTime, toFileTime(new Date(r.modified)));
  const imp = ctx.imported;
  if (imp?.any()) applyImported(m, imp.message(r.mid), imp.folder(r.fid), r.cn);
  return m;
}

