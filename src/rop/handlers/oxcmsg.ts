// MS-OXCMSG 3.2.5 message and attachment ROPs on the store's message model (MailboxStore.newMessage/openMessage ->
// MessageObject, AttachmentObject): open, create and save messages, recipients, read flags and message status,
// embedded messages, attachments and the attachment table. Property ROPs on these objects go through
// prpt-target.ts; streams through the stream handlers.
//
// Choices where the spec leaves room:
// - every object edits its own working copy; nothing is stored before RopSaveChangesMessage of the top-level
//   message (RopSaveChangesAttachment puts an attachment into its message object, an embedded message's save into
//   its attachment object). Released without save, the changes are dropped;
// - changes to an object opened read-only are accepted into its working copy and refused at its save with
//   ecAccessDenied (MS-OXCMSG 3.2.5.3 leaves open when to refuse); so are saves without the folder right (Create for
//   a new message, EditAny for a stored one: which user created a stored message is not tracked yet, so EditOwned
//   alone does not allow saving one);
// - RopOpenMessage needs ReadAny (ecAccessDenied), ReadWrite also EditAny (ecAccessDenied); BestAccess opens
//   read/write when EditAny is granted, read-only otherwise; OpenSoftDeleted opens live messages only (no
//   soft-deleted messages are kept); a MessageId not in FolderId is ecNotFound; CodePageId is not kept (strings
//   are stored as Unicode);
// - RopSaveChangesMessage: a message another handle saved since this one read it is ecObjectModified unless
//   ForceSave (the store checks the message's CN); KeepOpenReadOnly leaves the object read-only, no flag or
//   KeepOpenReadWrite leaves its mode as it was; an embedded message answers the MessageId RopOpenEmbeddedMessage
//   gave it (a fresh id of the mailbox: embedded messages have no MID of their own);
// - RopSetReadFlags and every other ROP here run to their end at once (WantAsynchronous is answered with the
//   final response: MS-OXCMSG 2.2.3.10.1 WantAsynchronous says the client is prepared for asynchronous processing,
//   not that it is owed it); an empty MessageIds list changes nothing; ids not in the folder are skipped and make
//   PartialCompletion 1; rfClearNotifyRead / rfClearNotifyUnread clear mfNotifyRead / mfNotifyUnread without
//   touching mfRead; rfGenerateReceiptOnly changes nothing here (read receipts belong to the sending code);
//   rfClearReadFlag with rfGenerateReceiptOnly is ecInvalidParam (contradictory, MS-OXCMSG 2.2.3.10.1);
// - RopSetMessageReadFlag on a saved message changes the stored read state at once (other sessions see it) and the
//   object's working copy; on a new or embedded message only the working copy. ReadStatusChanged is nonzero only
//   for a public-folder logon whose read state changed, and then carries LogonId and ClientData back
//   (MS-OXCMSG 2.2.3.11.2);
// - RopSetMessageStatus / RopGetMessageStatus need ReadAny on the folder; the status is kept without a new CN;
// - RopReadRecipients returns the rows with RowId >= RowId that fit (ecNotFound when there is none, ecBufferTooSmall
//   when not even one fits) over the recipient columns the object announced at open (or, for a new message, over
//   the columns of its recipients now);
// - the attachment table shows the attachments of the message object's working copy and follows its
//   RopSaveChangesAttachment / RopDeleteAttachment; RopCreateAttachment rows appear at their save.
import type { PropValue } from '../../mapi/props.js';
import { TableView, type TableRow } from '../../mapi/table/index.js';
import type { MessageObject, PropResult } from '../../mapistore/types.js';
import type { ModifyRecipientRow, ReadRecipientRow } from '../codec/recipient-row.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult, ServerObject } from '../types.js';
import {
  AttachmentServerObject, checkedLogon, FolderObject, folderRights, guard, LOGON_FLAG_PRIVATE, LogonObject, MessageServerObject,
  RIGHTS, sessionUserOf, TableObject, type MailboxHandlerDeps,
} from './objects.js';
import {
  badRecipientColumns, openMessageBody, recipientColumns, recipientRowSize, toRecipientChange, toRecipientRow, type OpenMessageBody,
} from './oxcmsg-recipients.js';

// MS-OXCROPS 2.2.6 RopIds of the message and attachment ROPs
export const MESSAGE_ROP = {
  RopOpenMessage: 0x03,
  RopCreateMessage: 0x06,
  RopSaveChangesMessage: 0x0c,
  RopRemoveAllRecipients: 0x0d,
  RopModifyRecipients: 0x0e,
  RopReadRecipients: 0x0f,
  RopReloadCachedInformation: 0x10,
  RopSetMessageReadFlag: 0x11,
  RopGetMessageStatus: 0x1f,
  RopSetMessageStatus: 0x20,
  RopGetAttachmentTable: 0x21,
  RopOpenAttachment: 0x22,
  RopCreateAttachment: 0x23,
  RopDeleteAttachment: 0x24,
  RopSaveChangesAttachment: 0x25,
  RopOpenEmbeddedMessage: 0x46,
  RopGetValidAttachments: 0x52,
  RopSetReadFlags: 0x66,
} as const;

// MS-OXCMSG 2.2.3.1.1 OpenModeFlags (RopOpenMessage), 2.2.3.12.1 OpenAttachmentFlags
export const OPEN_MODE = { ReadOnly: 0x00, ReadWrite: 0x01, BestAccess: 0x03, OpenSoftDeleted: 0x04 } as const;
// MS-OXCMSG 2.2.3.16.1 RopOpenEmbeddedMessage OpenModeFlags
export const EMBEDDED_MODE = { ReadOnly: 0x00, ReadWrite: 0x01, Create: 0x02 } as const;
// MS-OXCMSG 2.2.3.3.1 SaveFlags
export const SAVE_FLAGS = { KeepOpenReadOnly: 0x01, KeepOpenReadWrite: 0x02, ForceSave: 0x04 } as const;
// MS-OXCMSG 2.2.3.10.1 / 2.2.3.11.1 ReadFlags
export const READ_FLAGS = {
  SuppressReceipt: 0x01,
  ClearReadFlag: 0x04,
  GenerateReceiptOnly: 0x10,
  ClearNotifyRead: 0x20,
  ClearNotifyUnread: 0x40,
} as const;
// MS-OXCMSG 2.2.1.6 PidTagMessageFlags bits
export const MSGFLAG = { Read: 0x01, NotifyRead: 0x100, NotifyUnread: 0x200 } as const;

const PidTagMessageFlags = 0x0e070003;
const PidTagInstanceKey = 0x0ff60102;
const PidTagSubject = 0x0037001f;
const PidTagSubjectPrefix = 0x003d001f;
const PidTagNormalizedSubject = 0x0e1d001f;
/** First id of the named-property range. */
const NAMED_FIRST = 0x8000;
/** RopId + handle index + ReturnValue. */
const HEAD = 6;

// Request fields of the kit-defined codecs (src/rop/codec/Rop*.ts), as the decoders produce them
type H = RopRequestHeader;
type RopOpenMessageRequest = H & { CodePageId: number; FolderId: bigint; OpenModeFlags: number; MessageId: bigint };
type RopCreateMessageRequest = H & { CodePageId: number; FolderId: bigint; AssociatedFlag: number };
type RopSaveChangesMessageRequest = H & { ResponseHandleIndex?: number; SaveFlags: number };
type RopModifyRecipientsRequest = H & { RecipientColumns: number[]; RecipientRows: ModifyRecipientRow[] };
type RopReadRecipientsRequest = H & { RowId: number; Reserved: number };
type RopGetMessageStatusRequest = H & { MessageId: bigint };
type RopSetMessageStatusRequest = H & { MessageId: bigint; MessageStatusFlags: number; MessageStatusMask: number };
type RopSetReadFlagsRequest = H & { WantAsynchronous: number; ReadFlags: number; MessageIds: bigint[] };
type RopSetMessageReadFlagRequest = H & { ResponseHandleIndex?: number; ReadFlags: number; ClientData?: Buffer };
type RopOpenEmbeddedMessageRequest = H & { CodePageId: number; OpenModeFlags: number };
type RopOpenAttachmentRequest = H & { OpenAttachmentFlags: number; AttachmentID: number };

/** Recipient columns an object announced (RopOpenMessage & co.), for its RopReadRecipients. */
const announced = new WeakMap<MessageServerObject, number[]>();
/** The MessageId RopOpenEmbeddedMessage gave an embedded message object. */
const embeddedIds = new WeakMap<MessageServerObject, bigint>();
/** Open attachment tables of a message object (refreshed when its attachments change). */
const attachmentTables = new WeakMap<MessageServerObject, Set<TableObject>>();

const writable = (mode: number): boolean => (mode & OPEN_MODE.ReadWrite) !== 0;
const has = (rights: number, right: number): boolean => (rights & right) !== 0;

/** The message object of the call, of the request's logon. */
function messageOf(req: RopRequestHeader, ctx: RopContext): MessageServerObject | undefined {
  const logon = checkedLogon(req, ctx);
  const m = ctx.input;
  return logon && m instanceof MessageServerObject && m.logon === logon ? m : undefined;
}

function attachmentOf(req: RopRequestHeader, ctx: RopContext): AttachmentServerObject | undefined {
  const logon = checkedLogon(req, ctx);
  const a = ctx.input;
  return logon && a instanceof AttachmentServerObject && a.logon === logon ? a : undefined;
}

function folderOf(req: RopRequestHeader, ctx: RopContext): { folder: FolderObject; logon: LogonObject } | undefined {
  const logon = checkedLogon(req, ctx);
  const f = ctx.input;
  return logon && f instanceof FolderObject && f.logon === logon ? { folder: f, logon } : undefined;
}

/** A logon or folder input of the request's logon (RopOpenMessage, RopCreateMessage). */
function logonOrFolder(req: RopRequestHeader, ctx: RopContext): LogonObject | undefined {
  const logon = checkedLogon(req, ctx);
  if (!logon) return undefined;
  if (ctx.input instanceof FolderObject && ctx.input.logon !== logon) return undefined;
  return logon;
}

const valueOf = (r: PropResult | undefined): PropValue | undefined => (r && 'value' in r ? r.value : undefined);
const strOf = (r: PropResult | undefined): string | undefined => {
  const v = valueOf(r);
  return typeof v === 'string' ? v : undefined;
};

/** The RopOpenMessage-shaped body of a message object's working copy, recipient rows fitted to `space`. */
async function openBody(m: MessageObject, codePage: number, space: number): Promise<OpenMessageBody> {
  const [p, n, s] = await m.getProps([PidTagSubjectPrefix, PidTagNormalizedSubject, PidTagSubject]);
  let prefix = strOf(p);
  let normalized = strOf(n);
  const subject = strOf(s);
  if (normalized === undefined && subject !== undefined) {
    normalized = prefix !== undefined && subject.startsWith(prefix) ? subject.slice(prefix.length) : subject;
  }
  if (prefix === undefined && normalized !== undefined) prefix = '';
  const hasNamed = (await m.listProps()).some((t) => t >>> 16 >= NAMED_FIRST);
  const recipients = await m.readRecipients();
  return openMessageBody({ hasNamed, prefix, normalized }, recipients, codePage, space);
}

/** Attachment table rows of a message object's working copy. */
async function attachmentRows(m: MessageObject): Promise<TableRow[]> {
  const rows = await m.attachmentTable();
  return rows.map((r) => {
    const props = new Map<number, PropValue>();
    for (const x of r.props) props.set(x.tag >>> 0, 'value' in x ? x.value : x.error);
    // PidTagInstanceKey (MS-OXPROPS) tells the table rows apart: the AttachmentID, 4 bytes little-endian
    if (!props.has(PidTagInstanceKey)) {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(r.attachNum >>> 0);
      props.set(PidTagInstanceKey, k);
    }
    return { id: BigInt(r.attachNum), props };
  });
}

async function refreshAttachmentTables(m: MessageServerObject): Promise<void> {
  const set = attachmentTables.get(m);
  if (!set || set.size === 0) return;
  const rows = await attachmentRows(m.msg);
  for (const t of set) t.view.refresh(rows);
}

export function createMessageHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();
  const on = <Req extends RopRequestHeader, B>(
    id: number,
    kinds: RopHandlerEntry['inputKinds'],
    fn: (req: Req, ctx: RopContext) => Promise<RopResult<B>> | RopResult<B>,
    failBody?: Partial<B>,
  ): void => {
    m.set(id, {
      inputKinds: kinds,
      handle: async (req: Req, ctx: RopContext) => {
        const r = await guard(ctx, () => fn(req, ctx));
        return r.ec !== ec.Success && !r.response && failBody ? { ...r, response: failBody } : r;
      },
    });
  };
  const MESSAGES = ['message', 'embeddedMessage'] as const;

  // MS-OXCMSG 3.2.5.1 RopOpenMessage: on the logon or any folder of the mailbox
  on<RopOpenMessageRequest, OpenMessageBody>(MESSAGE_ROP.RopOpenMessage, ['logon', 'folder'], async (req, ctx) => {
    const logon = logonOrFolder(req, ctx);
    if (!logon) return { ec: ec.NullObject };
    const store = logon.store;
    if (!(await store.folderExists(req.FolderId))) return { ec: ec.NotFound };
    if ((await store.folderOfMessage(req.MessageId)) !== req.FolderId) return { ec: ec.NotFound };
    const rights = await folderRights(logon, req.FolderId);
    if (!has(rights, RIGHTS.ReadAny | RIGHTS.FolderOwner)) return { ec: ec.AccessDenied };
    const canWrite = has(rights, RIGHTS.EditAny | RIGHTS.FolderOwner);
    const asked = req.OpenModeFlags & OPEN_MODE.BestAccess;
    let mode: number = OPEN_MODE.ReadOnly;
    if (asked === OPEN_MODE.BestAccess) mode = canWrite ? OPEN_MODE.ReadWrite : OPEN_MODE.ReadOnly;
    else if (asked & OPEN_MODE.ReadWrite) {
      if (!canWrite) return { ec: ec.AccessDenied };
      mode = OPEN_MODE.ReadWrite;
    }
    const msg = await store.openMessage(req.MessageId);
    const obj = new MessageServerObject(req.LogonId, logon, logon, msg, mode);
    const body = await openBody(msg, ctx.codePage, ctx.outputSpace - HEAD);
    announced.set(obj, body.RecipientColumns);
    return { ec: ec.Success, created: obj, response: body };
  });

  // MS-OXCMSG 3.2.5.2 RopCreateMessage: a draft in FolderId, stored by RopSaveChangesMessage
  on<RopCreateMessageRequest, { HasMessageId: number }>(MESSAGE_ROP.RopCreateMessage, ['logon', 'folder'], async (req, ctx) => {
    const logon = logonOrFolder(req, ctx);
    if (!logon) return { ec: ec.NullObject };
    if (!(await logon.store.folderExists(req.FolderId))) return { ec: ec.NotFound };
    if (!has(await folderRights(logon, req.FolderId), RIGHTS.Create | RIGHTS.FolderOwner)) return { ec: ec.AccessDenied };
    const msg = await logon.store.newMessage(req.FolderId, { associated: req.AssociatedFlag !== 0 });
    const obj = new MessageServerObject(req.LogonId, logon, logon, msg, OPEN_MODE.ReadWrite);
    return { ec: ec.Success, created: obj, response: { HasMessageId: 0 } };
  });

  // MS-OXCMSG 3.2.5.3 RopSaveChangesMessage (ResponseHandleIndex: the folder or, embedded, the message's handle)
  on<RopSaveChangesMessageRequest, { InputHandleIndex: number; MessageId: bigint }>(MESSAGE_ROP.RopSaveChangesMessage, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    if (!writable(o.openMode)) return { ec: ec.AccessDenied };
    if (!o.msg.embedded) {
      const rights = await folderRights(o.logon, o.msg.fid);
      const need = o.msg.mid === null ? RIGHTS.Create : RIGHTS.EditAny;
      if (!has(rights, need | RIGHTS.FolderOwner)) return { ec: ec.AccessDenied };
    }
    const mid = await o.msg.save({ force: (req.SaveFlags & SAVE_FLAGS.ForceSave) !== 0 });
    if ((req.SaveFlags & 0x03) === SAVE_FLAGS.KeepOpenReadOnly) o.openMode = OPEN_MODE.ReadOnly;
    if (o.msg.embedded && o.parent instanceof AttachmentServerObject) await refreshAttachmentTables(o.parent.message);
    const MessageId = o.msg.embedded ? (embeddedIds.get(o) ?? 0n) : mid;
    return { ec: ec.Success, response: { InputHandleIndex: req.InputHandleIndex, MessageId } };
  });

  // MS-OXCMSG 3.2.5.4 RopRemoveAllRecipients (Reserved ignored)
  on<RopRequestHeader, Record<string, never>>(MESSAGE_ROP.RopRemoveAllRecipients, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    await o.msg.setRecipients([]);
    return { ec: ec.Success, response: {} };
  });

  // MS-OXCMSG 3.2.5.5 RopModifyRecipients: all rows checked first; a bad column set or value changes nothing
  on<RopModifyRecipientsRequest, Record<string, never>>(MESSAGE_ROP.RopModifyRecipients, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    const bad = badRecipientColumns(req.RecipientColumns);
    if (bad) {
      ctx.log.info({ reason: bad }, 'RopModifyRecipients: bad RecipientColumns');
      return { ec: ec.InvalidParam };
    }
    const dn = sessionUserOf(ctx)?.legacyExchangeDN ?? '';
    const changes = req.RecipientRows.map((r) => toRecipientChange(r, req.RecipientColumns, dn));
    await o.msg.modifyRecipients(changes);
    return { ec: ec.Success, response: {} };
  });

  // MS-OXCMSG 3.2.5.6 RopReadRecipients
  on<RopReadRecipientsRequest, { RecipientRows: ReadRecipientRow[] }>(MESSAGE_ROP.RopReadRecipients, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    const rows = await o.msg.readRecipients(req.RowId);
    if (rows.length === 0) return { ec: ec.NotFound };
    const cols = announced.get(o) ?? recipientColumns(await o.msg.readRecipients());
    let used = HEAD + 1;
    const out: ReadRecipientRow[] = [];
    for (const r of rows) {
      if (out.length === 0xff) break;
      const row = toRecipientRow(r, cols);
      const size = 4 + 1 + 2 + 2 + 2 + recipientRowSize(row, cols, ctx.codePage);
      if (used + size > ctx.outputSpace) break;
      used += size;
      out.push({ RowId: r.rowId, RecipientType: r.recipientType & 0xff, CodePageId: ctx.codePage, Reserved: 0, RecipientRow: row, Columns: cols });
    }
    if (out.length === 0) return { ec: ec.BufferTooSmall };
    return { ec: ec.Success, response: { RecipientRows: out } };
  });

  // MS-OXCMSG 3.2.5.7 RopReloadCachedInformation: the RopOpenMessage body of the object's working copy
  on<RopRequestHeader, OpenMessageBody>(MESSAGE_ROP.RopReloadCachedInformation, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    const body = await openBody(o.msg, ctx.codePage, ctx.outputSpace - HEAD);
    announced.set(o, body.RecipientColumns);
    return { ec: ec.Success, response: body };
  });

  // MS-OXCMSG 3.2.5.9 RopGetMessageStatus / 3.2.5.8 RopSetMessageStatus: on the folder, by MID
  on<RopGetMessageStatusRequest, { MessageStatusFlags: number }>(MESSAGE_ROP.RopGetMessageStatus, ['folder'], async (req, ctx) => {
    const f = folderOf(req, ctx);
    if (!f) return { ec: ec.NullObject };
    if (!has(await folderRights(f.logon, f.folder.fid), RIGHTS.ReadAny | RIGHTS.FolderOwner)) return { ec: ec.AccessDenied };
    return { ec: ec.Success, response: { MessageStatusFlags: await f.logon.store.getMessageStatus(f.folder.fid, req.MessageId) } };
  });
  on<RopSetMessageStatusRequest, { MessageStatusFlags: number }>(MESSAGE_ROP.RopSetMessageStatus, ['folder'], async (req, ctx) => {
    const f = folderOf(req, ctx);
    if (!f) return { ec: ec.NullObject };
    if (!has(await folderRights(f.logon, f.folder.fid), RIGHTS.ReadAny | RIGHTS.FolderOwner)) return { ec: ec.AccessDenied };
    const before = await f.logon.store.setMessageStatus(f.folder.fid, req.MessageId, req.MessageStatusFlags, req.MessageStatusMask);
    return { ec: ec.Success, response: { MessageStatusFlags: before } };
  });

  // MS-OXCMSG 3.2.5.10 RopSetReadFlags: PartialCompletion follows the ReturnValue whatever it is
  on<RopSetReadFlagsRequest, { PartialCompletion: number }>(
    MESSAGE_ROP.RopSetReadFlags,
    ['folder'],
    async (req, ctx) => {
      const f = folderOf(req, ctx);
      if (!f) return { ec: ec.NullObject };
      const flags = req.ReadFlags;
      if ((flags & READ_FLAGS.ClearReadFlag) && (flags & READ_FLAGS.GenerateReceiptOnly)) {
        ctx.log.info({ readFlags: flags }, 'RopSetReadFlags: rfClearReadFlag with rfGenerateReceiptOnly');
        return { ec: ec.InvalidParam };
      }
      if (!has(await folderRights(f.logon, f.folder.fid), RIGHTS.ReadAny | RIGHTS.FolderOwner)) return { ec: ec.AccessDenied };
      const store = f.logon.store;
      const asked = [...new Set(req.MessageIds)];
      const clear = (flags & READ_FLAGS.ClearNotifyRead ? MSGFLAG.NotifyRead : 0) | (flags & READ_FLAGS.ClearNotifyUnread ? MSGFLAG.NotifyUnread : 0);
      // the ids of the folder (clearing no bits just finds them)
      const present = asked.length > 0 ? await store.clearMessageFlags(f.folder.fid, asked, clear) : [];
      const readChange = (flags & (READ_FLAGS.GenerateReceiptOnly | READ_FLAGS.ClearNotifyRead | READ_FLAGS.ClearNotifyUnread)) === 0;
      if (readChange && present.length > 0) await store.setReadFlags(f.folder.fid, present, (flags & READ_FLAGS.ClearReadFlag) === 0);
      return { ec: ec.Success, response: { PartialCompletion: present.length < asked.length ? 1 : 0 } };
    },
    { PartialCompletion: 0 },
  );

  // MS-OXCMSG 3.2.5.11 RopSetMessageReadFlag (ResponseHandleIndex: the folder's handle)
  on<RopSetMessageReadFlagRequest, { ReadStatusChanged: number; LogonId: number; ClientData: Buffer }>(
    MESSAGE_ROP.RopSetMessageReadFlag,
    MESSAGES,
    async (req, ctx) => {
      const o = messageOf(req, ctx);
      if (!o) return { ec: ec.NullObject };
      const flags = req.ReadFlags;
      if ((flags & READ_FLAGS.ClearReadFlag) && (flags & READ_FLAGS.GenerateReceiptOnly)) return { ec: ec.InvalidParam };
      const cur = valueOf((await o.msg.getProps([PidTagMessageFlags]))[0]);
      const curFlags = typeof cur === 'number' ? cur : 0;
      const before = (curFlags & MSGFLAG.Read) !== 0;
      let after = before;
      const clear = (flags & READ_FLAGS.ClearNotifyRead ? MSGFLAG.NotifyRead : 0) | (flags & READ_FLAGS.ClearNotifyUnread ? MSGFLAG.NotifyUnread : 0);
      const readChange = (flags & (READ_FLAGS.GenerateReceiptOnly | READ_FLAGS.ClearNotifyRead | READ_FLAGS.ClearNotifyUnread)) === 0;
      if (readChange) after = (flags & READ_FLAGS.ClearReadFlag) === 0;
      const mid = o.msg.embedded ? null : o.msg.mid;
      if (mid !== null) {
        const fid = await o.logon.store.folderOfMessage(mid);
        if (fid === null) return { ec: ec.ObjectDeleted };
        if (readChange) await o.logon.store.setReadFlags(fid, [mid], after);
        if (clear) await o.logon.store.clearMessageFlags(fid, [mid], clear);
      }
      if (readChange || clear) {
        const next = ((curFlags & ~clear & ~MSGFLAG.Read) | (after ? MSGFLAG.Read : 0)) >>> 0;
        if (next !== curFlags >>> 0) await o.msg.setProps([{ tag: PidTagMessageFlags, value: next | 0 }]);
      }
      const publicLogon = (o.logon.logonFlags & LOGON_FLAG_PRIVATE) === 0;
      if (publicLogon && after !== before) {
        return { ec: ec.Success, response: { ReadStatusChanged: 1, LogonId: req.LogonId, ClientData: req.ClientData ?? Buffer.alloc(24) } };
      }
      return { ec: ec.Success, response: { ReadStatusChanged: 0 } };
    },
  );

  // MS-OXCMSG 3.2.5.16 RopOpenEmbeddedMessage: the message in an attachment (Create makes one)
  on<RopOpenEmbeddedMessageRequest, OpenMessageBody & { Reserved: number; MessageId: bigint }>(
    MESSAGE_ROP.RopOpenEmbeddedMessage,
    ['attachment'],
    async (req, ctx) => {
      const a = attachmentOf(req, ctx);
      if (!a) return { ec: ec.NullObject };
      const create = (req.OpenModeFlags & EMBEDDED_MODE.Create) !== 0;
      const rw = create || (req.OpenModeFlags & EMBEDDED_MODE.ReadWrite) !== 0;
      if (rw && !writable(a.openMode)) return { ec: ec.AccessDenied };
      const msg = await a.att.openEmbeddedMessage(create);
      const obj = new MessageServerObject(req.LogonId, a, a.logon, msg, rw ? OPEN_MODE.ReadWrite : OPEN_MODE.ReadOnly);
      const MessageId = await a.logon.store.newId();
      embeddedIds.set(obj, MessageId);
      const body = await openBody(msg, ctx.codePage, ctx.outputSpace - HEAD - 9);
      announced.set(obj, body.RecipientColumns);
      return { ec: ec.Success, created: obj, response: { Reserved: 0, MessageId, ...body } };
    },
  );

  // MS-OXCMSG 3.2.5.17 RopGetAttachmentTable: a table over the message object's attachments
  on<RopRequestHeader & { TableFlags: number }, Record<string, never>>(MESSAGE_ROP.RopGetAttachmentTable, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    const t = new TableObject(req.LogonId, o, o.logon, { type: 'attachments', message: o }, req.TableFlags, new TableView(await attachmentRows(o.msg)));
    let set = attachmentTables.get(o);
    if (!set) attachmentTables.set(o, (set = new Set()));
    set.add(t);
    const dispose = t.dispose?.bind(t);
    (t as ServerObject).dispose = () => {
      set?.delete(t);
      dispose?.();
    };
    return { ec: ec.Success, created: t, response: {} };
  });

  // MS-OXCMSG 3.2.5.12 RopOpenAttachment
  on<RopOpenAttachmentRequest, Record<string, never>>(MESSAGE_ROP.RopOpenAttachment, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    const asked = req.OpenAttachmentFlags & OPEN_MODE.BestAccess;
    let mode: number = OPEN_MODE.ReadOnly;
    if (asked === OPEN_MODE.BestAccess) mode = o.openMode & OPEN_MODE.ReadWrite;
    else if (asked & OPEN_MODE.ReadWrite) {
      if (!writable(o.openMode)) return { ec: ec.AccessDenied };
      mode = OPEN_MODE.ReadWrite;
    }
    const att = await o.msg.openAttachment(req.AttachmentID);
    return { ec: ec.Success, created: new AttachmentServerObject(req.LogonId, o, o.logon, att, o, mode), response: {} };
  });

  // MS-OXCMSG 3.2.5.13 RopCreateAttachment: the next AttachmentID of the message (never reused)
  on<RopRequestHeader, { AttachmentID: number }>(MESSAGE_ROP.RopCreateAttachment, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    const att = await o.msg.createAttachment();
    const obj = new AttachmentServerObject(req.LogonId, o, o.logon, att, o, OPEN_MODE.ReadWrite);
    return { ec: ec.Success, created: obj, response: { AttachmentID: att.attachNum } };
  });

  // MS-OXCMSG 3.2.5.14 RopDeleteAttachment (stored with the message's save)
  on<RopRequestHeader & { AttachmentID: number }, Record<string, never>>(MESSAGE_ROP.RopDeleteAttachment, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    await o.msg.deleteAttachment(req.AttachmentID);
    await refreshAttachmentTables(o);
    return { ec: ec.Success, response: {} };
  });

  // MS-OXCMSG 3.2.5.15 RopSaveChangesAttachment (ResponseHandleIndex: the message's handle)
  on<RopRequestHeader & { SaveFlags: number }, Record<string, never>>(MESSAGE_ROP.RopSaveChangesAttachment, ['attachment'], async (req, ctx) => {
    const a = attachmentOf(req, ctx);
    if (!a) return { ec: ec.NullObject };
    if (!writable(a.openMode)) return { ec: ec.AccessDenied };
    await a.att.save();
    await refreshAttachmentTables(a.message);
    return { ec: ec.Success, response: {} };
  });

  // MS-OXCMSG 3.2.5.18 RopGetValidAttachments: the AttachmentIDs of the message object's working copy
  on<RopRequestHeader, { AttachmentIdArray: number[] }>(MESSAGE_ROP.RopGetValidAttachments, MESSAGES, async (req, ctx) => {
    const o = messageOf(req, ctx);
    if (!o) return { ec: ec.NullObject };
    const rows = await o.msg.attachmentTable([]);
    return { ec: ec.Success, response: { AttachmentIdArray: rows.map((r) => r.attachNum) } };
  });

  return m;
}
