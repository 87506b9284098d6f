// MS-OXCFXICS 3.2.5.9.4 ICS upload: RopSynchronizationOpenCollector, RopSynchronizationImportMessageChange,
// RopSynchronizationImportHierarchyChange, RopSynchronizationImportDeletes, RopSynchronizationImportReadStateChanges,
// RopSynchronizationImportMessageMove, RopGetLocalReplicaIds and RopSetLocalReplicaMidsetDeleted. The collector
// object and the conflict rules are src/rop/fxics/sync-upload.ts; the returned message object
// src/rop/fxics/sync-upload-message.ts; the store side src/mapistore/backends/local/ics-import.ts.
//
// Choices where the spec leaves room:
// - every request is checked whole before anything is stored (fixed-position properties, XID sizes, PCLs, flags:
//   ecInvalidParam with a log line); unknown ImportFlag / ImportDeleteFlags bits are refused (3.2.5.9.4.2, .5 SHOULD);
// - RopSynchronizationImportMessageChange: a source key the server does not know is a new message (a new MID; its
//   source key, change key, PCL and time are the client's); a known one is compared by PCL (3.1.5.6.1): the server's
//   includes the client's -> ecSyncIgnore; the client's includes the server's -> the client's version replaces it;
//   neither -> ecSyncConflict with FailOnConflict, else accepted and resolved at save (sync-upload-message.ts); a
//   source key of a message deleted on the server -> ecSyncObjectDeleted;
// - RopSynchronizationImportHierarchyChange: a parent source key the server does not know is ecSyncNoParent; a known
//   folder is compared by PCL, conflicts resolved by last writer wins (folders: the server's on a tie); the server
//   newer is ecSyncIgnore;
// - RopSynchronizationImportDeletes: already deleted objects are ignored, unknown source keys recorded (so no later
//   import restores them); a folder delete takes its subtree and messages; a special folder refuses the whole ROP
//   (ecAccessDenied) before anything is deleted;
// - RopSynchronizationImportReadStateChanges: FAI messages are ignored (3.2.5.9.4.6 MUST); source keys the server
//   does not have (deleted there: the client learns it from the next download) are skipped rather than failing the
//   ROP; a message of another folder than the collector's changes too (the ROP MUST give what RopSetMessageReadFlag
//   message by message gives, and that works on any message of the mailbox);
// - IDs (MS-OXCFXICS 3.3.5.2.1, 2.2.3.2.4.7): a new message or folder, or a moved message, whose source key
//   (DestinationMessageId for a move) is a GID of this mailbox's replica GUID naming an ID the client reserved with
//   RopGetLocalReplicaIds (not given up, not used) gets that ID; any other key (a foreign GUID, an ID not reserved
//   or already used) gets a fresh server ID and the key is kept as the client's (ics-import.ts reservedIdOf);
// - RopSynchronizationImportMessageMove: the moved message takes DestinationMessageId as its source key and
//   ChangeNumber as its change key, move and tracking in one transaction; when the server's PCL does not include the client's, the move is done and the
//   answer is SyncClientChangeNewer (the client uploads its version next); an unknown source folder is ecNotFound,
//   an unknown or deleted message ecSyncObjectDeleted;
// - RopGetLocalReplicaIds: IdCount 0 is ecInvalidParam; the range is the index's, never given out again;
// - RopSetLocalReplicaMidsetDeleted: ranges of another replica GUID are ignored; Min > Max is ecInvalidParam.
import { decodeLongTermId, globcntBytes } from '../../mapi/ids.js';
import type { TaggedValue } from '../../mapi/props.js';
import { DEL_FOLDERS, DEL_MESSAGES, DELETE_HARD_DELETE, type MailboxStore } from '../../mapistore/types.js';
import { decodePcl } from '../../mapistore/pcl.js';
import { TAG } from '../../mapistore/tags.js';
import type { LongTermIdRange } from '../codec/RopSetLocalReplicaMidsetDeleted.js';
import type { MessageReadState } from '../codec/RopSynchronizationImportReadStateChanges.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult } from '../types.js';
import { checkedLogon, FolderObject, guard, LogonObject, MessageServerObject, type MailboxHandlerDeps } from './objects.js';
import {
  comparePcl, IcsUploadObject, IMPORT_DELETE_FLAG, IMPORT_FLAG, ImportFormatError, lastWriterWins, parseHierarchyChange, parseMessageChange,
} from '../fxics/sync-upload.js';
import { ImportedMessage, purgeMessage, type ImportPlan } from '../fxics/sync-upload-message.js';

// MS-OXCROPS 2.2.13 RopIds
export const UPLOAD_ROP = {
  RopSynchronizationImportMessageChange: 0x72,
  RopSynchronizationImportHierarchyChange: 0x73,
  RopSynchronizationImportDeletes: 0x74,
  RopSynchronizationImportMessageMove: 0x78,
  RopSynchronizationOpenCollector: 0x7e,
  RopGetLocalReplicaIds: 0x7f,
  RopSynchronizationImportReadStateChanges: 0x80,
  RopSetLocalReplicaMidsetDeleted: 0x93,
} as const;

/** PidTagResolveMethod (MS-OXCFXICS 2.2.1.4.1) on a folder and its RESOLVE_METHOD_LAST_WRITER_WINS bit. */
const PidTagResolveMethod = 0x3fe70003;
const RESOLVE_METHOD_LAST_WRITER_WINS = 0x1;
const PT_MV_BINARY = 0x1102;
/** Largest IdCount of one RopGetLocalReplicaIds (a client asks for a few thousand at most). */
export const MAX_LOCAL_REPLICA_IDS = 1 << 24;

type H = RopRequestHeader;
type OpenCollectorReq = H & { OutputHandleIndex: number; IsContentsCollector: number };
type ImportMessageChangeReq = H & { OutputHandleIndex: number; ImportFlag: number; PropertyValues: TaggedValue[] };
type ImportHierarchyChangeReq = H & { HierarchyValues: TaggedValue[]; PropertyValues: TaggedValue[] };
type ImportDeletesReq = H & { ImportDeleteFlags: number; PropertyValues: TaggedValue[] };
type ImportReadStatesReq = H & { MessageReadStates: MessageReadState[] };
type ImportMoveReq = H & { SourceFolderId: Buffer; SourceMessageId: Buffer; PredecessorChangeList: Buffer; DestinationMessageId: Buffer; ChangeNumber: Buffer };
type GetLocalReplicaIdsReq = H & { IdCount: number };
type SetMidsetDeletedReq = H & { LongTermIdRanges: LongTermIdRange[] };

const isXid = (b: Buffer): boolean => b.length >= 17 && b.length <= 24;

function collectorOf(req: H, ctx: RopContext): IcsUploadObject | undefined {
  const logon = checkedLogon(req, ctx);
  const c = ctx.input;
  return logon && c instanceof IcsUploadObject && c.logon === logon ? c : undefined;
}

function refuse(ctx: RopContext, code: number, why: string): RopResult<never> {
  ctx.log.info({ why }, 'ICS import refused');
  return { ec: code };
}

async function lastWriterWinsFolder(store: MailboxStore, fid: bigint): Promise<boolean> {
  const [r] = await store.getFolderProps(fid, [PidTagResolveMethod]);
  return !!r && 'value' in r && typeof r.value === 'number' && (r.value & RESOLVE_METHOD_LAST_WRITER_WINS) !== 0;
}

function isSpecial(store: MailboxStore, fid: bigint): boolean {
  return Object.values(store.special).includes(fid);
}

export function createUploadHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();
  const on = <Req extends H, B>(id: number, kinds: RopHandlerEntry['inputKinds'], fn: (req: Req, ctx: RopContext) => Promise<RopResult<B>>): void => {
    m.set(id, {
      inputKinds: kinds,
      handle: (req: Req, ctx: RopContext) =>
        guard(ctx, async () => {
          try {
            return await fn(req, ctx);
          } catch (e) {
            if (e instanceof ImportFormatError) return refuse(ctx, ec.InvalidParam, e.message);
            throw e;
          }
        }),
    });
  };

  // MS-OXCFXICS 3.2.5.9.4.1 RopSynchronizationOpenCollector: on a folder
  on<OpenCollectorReq, Record<string, never>>(UPLOAD_ROP.RopSynchronizationOpenCollector, ['folder'], async (req, ctx) => {
    const logon = checkedLogon(req, ctx);
    const f = ctx.input;
    if (!logon || !(f instanceof FolderObject) || f.logon !== logon) return { ec: ec.NullObject };
    return { ec: ec.Success, created: new IcsUploadObject(req.LogonId, f, logon, f.fid, req.IsContentsCollector !== 0), response: {} };
  });

  // MS-OXCFXICS 3.2.5.9.4.2 RopSynchronizationImportMessageChange
  on<ImportMessageChangeReq, { MessageId: bigint }>(UPLOAD_ROP.RopSynchronizationImportMessageChange, ['icsUpload'], async (req, ctx) => {
    const c = collectorOf(req, ctx);
    if (!c) return { ec: ec.NullObject };
    if (!c.contents) return refuse(ctx, ec.InvalidParam, 'message import on a hierarchy collector');
    if (req.ImportFlag & ~(IMPORT_FLAG.Associated | IMPORT_FLAG.FailOnConflict)) return refuse(ctx, ec.InvalidParam, `unknown ImportFlag 0x${req.ImportFlag.toString(16)}`);
    const v = parseMessageChange(req.PropertyValues);
    const store = c.logon.store;
    const associated = (req.ImportFlag & IMPORT_FLAG.Associated) !== 0;
    const found = await store.findBySourceKey('message', v.sourceKey);
    let plan: ImportPlan;
    let wc;
    if (found?.deleted) return refuse(ctx, ec.SyncObjectDeleted, 'the message was deleted on the server');
    if (!found) {
      plan = { kind: 'new', associated };
      wc = await store.newMessage(c.fid, { associated });
    } else {
      const info = await store.messageChangeInfo(found.id);
      const verdict = comparePcl(info.pcl, v.pcl);
      if (verdict === 'serverNewer') return { ec: ec.SyncIgnore };
      if (verdict === 'conflict' && req.ImportFlag & IMPORT_FLAG.FailOnConflict) return refuse(ctx, ec.SyncConflict, 'conflicting version, FailOnConflict');
      wc = await store.openMessage(found.id);
      const lww = associated || (await lastWriterWinsFolder(store, wc.fid));
      await purgeMessage(wc);
      plan = verdict === 'clientNewer'
        ? { kind: 'update', mid: found.id, associated }
        : { kind: 'conflict', mid: found.id, associated, lastWriterWins: lww, server: { lastModified: info.lastModified, changeKey: info.changeKey, pcl: info.pcl } };
    }
    const msg = new ImportedMessage(store, wc, plan, v, c);
    // OpenModeFlags ReadWrite: the client fills and saves it
    const obj = new MessageServerObject(req.LogonId, c, c.logon, msg, 0x01);
    return { ec: ec.Success, created: obj, response: { MessageId: 0n } };
  });

  // MS-OXCFXICS 3.2.5.9.4.3 RopSynchronizationImportHierarchyChange
  on<ImportHierarchyChangeReq, { FolderId: bigint }>(UPLOAD_ROP.RopSynchronizationImportHierarchyChange, ['icsUpload'], async (req, ctx) => {
    const c = collectorOf(req, ctx);
    if (!c) return { ec: ec.NullObject };
    if (c.contents) return refuse(ctx, ec.InvalidParam, 'hierarchy import on a contents collector');
    const v = parseHierarchyChange(req.HierarchyValues);
    const store = c.logon.store;
    let parent = c.fid;
    if (v.parentSourceKey.length > 0) {
      const p = await store.findBySourceKey('folder', v.parentSourceKey);
      if (!p || p.deleted) return refuse(ctx, ec.SyncNoParent, 'unknown parent folder');
      parent = p.id;
    }
    const found = await store.findBySourceKey('folder', v.sourceKey);
    if (found?.deleted) return refuse(ctx, ec.SyncObjectDeleted, 'the folder was deleted on the server');
    const tracking = { sourceKey: v.sourceKey, changeKey: v.changeKey as Buffer | null, pcl: v.pcl, lastModified: v.lastModified };
    const imp = { parent, displayName: v.displayName, props: req.PropertyValues, tracking };
    if (!found) {
      const fid = await store.importFolder(null, imp);
      c.noteChange(fid, (await store.folderChangeInfo(fid)).cn, false);
      return { ec: ec.Success, response: { FolderId: 0n } };
    }
    if (found.id === c.fid) return refuse(ctx, ec.InvalidParam, 'the collector folder itself');
    const info = await store.folderChangeInfo(found.id);
    const verdict = comparePcl(info.pcl, v.pcl);
    if (verdict === 'serverNewer') return { ec: ec.SyncIgnore };
    if (verdict === 'conflict' && lastWriterWins(info, v, 'folder') === 'server') {
      await store.bumpChange('folder', found.id, v.pcl);
      return { ec: ec.Success, response: { FolderId: 0n } };
    }
    await store.importFolder(found.id, imp);
    // a conflict the client's version won gives a merged PCL: the client downloads it (it has not seen the server's part)
    if (verdict === 'clientNewer') c.noteChange(found.id, (await store.folderChangeInfo(found.id)).cn, false);
    return { ec: ec.Success, response: { FolderId: 0n } };
  });

  // MS-OXCFXICS 3.2.5.9.4.5 RopSynchronizationImportDeletes
  on<ImportDeletesReq, Record<string, never>>(UPLOAD_ROP.RopSynchronizationImportDeletes, ['icsUpload'], async (req, ctx) => {
    const c = collectorOf(req, ctx);
    if (!c) return { ec: ec.NullObject };
    const flags = req.ImportDeleteFlags;
    if (flags & ~(IMPORT_DELETE_FLAG.Hierarchy | IMPORT_DELETE_FLAG.HardDelete)) return refuse(ctx, ec.InvalidParam, `unknown ImportDeleteFlags 0x${flags.toString(16)}`);
    const hierarchy = (flags & IMPORT_DELETE_FLAG.Hierarchy) !== 0;
    if (hierarchy === c.contents) return refuse(ctx, ec.InvalidParam, 'ImportDeleteFlags Hierarchy does not match the collector');
    const [pv] = req.PropertyValues;
    if (req.PropertyValues.length !== 1 || !pv || (pv.tag & 0xffff) !== PT_MV_BINARY || !Array.isArray(pv.value)) {
      return refuse(ctx, ec.InvalidParam, 'PropertyValues is not one PtypMultipleBinary');
    }
    const keys = pv.value as Buffer[];
    if (keys.some((k) => !Buffer.isBuffer(k) || !isXid(k))) return refuse(ctx, ec.InvalidParam, 'a source key is not an XID');
    const store = c.logon.store;
    const kind = hierarchy ? 'folder' : 'message';
    const live: bigint[] = [];
    const unknown: Buffer[] = [];
    for (const k of keys) {
      const f = await store.findBySourceKey(kind, k);
      if (!f) unknown.push(k);
      else if (!f.deleted && !live.includes(f.id)) live.push(f.id);
    }
    const hard = (flags & IMPORT_DELETE_FLAG.HardDelete) !== 0;
    if (hierarchy) {
      if (live.some((fid) => isSpecial(store, fid) || fid === c.fid)) return refuse(ctx, ec.AccessDenied, 'a special folder or the collector folder');
      for (const fid of live) {
        if (!(await store.folderExists(fid))) continue; // went with a parent deleted before it
        const r = await store.deleteFolder(fid, DEL_MESSAGES | DEL_FOLDERS | (hard ? DELETE_HARD_DELETE : 0));
        if (r.partial) return refuse(ctx, r.reason ?? ec.Error, 'folder delete left the folder');
      }
    } else {
      const byFolder = new Map<bigint, bigint[]>();
      for (const mid of live) {
        const fid = await store.folderOfMessage(mid);
        if (fid === null) continue;
        byFolder.set(fid, [...(byFolder.get(fid) ?? []), mid]);
      }
      for (const [fid, mids] of byFolder) await store.deleteMessages(fid, mids, { hard });
    }
    if (unknown.length > 0) await store.recordDeletedSourceKeys(kind, unknown);
    c.noteDeleted(live);
    return { ec: ec.Success, response: {} };
  });

  // MS-OXCFXICS 3.2.5.9.4.6 RopSynchronizationImportReadStateChanges
  on<ImportReadStatesReq, Record<string, never>>(UPLOAD_ROP.RopSynchronizationImportReadStateChanges, ['icsUpload'], async (req, ctx) => {
    const c = collectorOf(req, ctx);
    if (!c) return { ec: ec.NullObject };
    if (!c.contents) return refuse(ctx, ec.InvalidParam, 'read states on a hierarchy collector');
    if (req.MessageReadStates.some((s) => !isXid(s.MessageId))) return refuse(ctx, ec.InvalidParam, 'a MessageId is not an XID');
    const store = c.logon.store;
    const changes: { mid: bigint; read: boolean }[] = [];
    for (const s of req.MessageReadStates) {
      const f = await store.findBySourceKey('message', s.MessageId);
      if (f && !f.deleted) changes.push({ mid: f.id, read: s.MarkAsRead !== 0 });
    }
    const r = await store.importReadStates(c.fid, changes);
    if (r.cn !== null) c.noteRead(r.cn);
    return { ec: ec.Success, response: {} };
  });

  // MS-OXCFXICS 3.2.5.9.4.4 RopSynchronizationImportMessageMove
  on<ImportMoveReq, { MessageId: bigint }>(UPLOAD_ROP.RopSynchronizationImportMessageMove, ['icsUpload'], async (req, ctx) => {
    const c = collectorOf(req, ctx);
    if (!c) return { ec: ec.NullObject };
    if (!c.contents) return refuse(ctx, ec.InvalidParam, 'message move on a hierarchy collector');
    for (const [name, b] of [['SourceFolderId', req.SourceFolderId], ['SourceMessageId', req.SourceMessageId], ['DestinationMessageId', req.DestinationMessageId], ['ChangeNumber', req.ChangeNumber]] as const) {
      if (!isXid(b)) return refuse(ctx, ec.InvalidParam, `${name} is not an XID`);
    }
    try {
      decodePcl(req.PredecessorChangeList);
    } catch {
      return refuse(ctx, ec.InvalidParam, 'PredecessorChangeList does not parse');
    }
    const store = c.logon.store;
    const src = await store.findBySourceKey('folder', req.SourceFolderId);
    if (!src || src.deleted) return refuse(ctx, ec.NotFound, 'unknown source folder');
    const msg = await store.findBySourceKey('message', req.SourceMessageId);
    if (!msg || msg.deleted || (await store.folderOfMessage(msg.id)) !== src.id) return refuse(ctx, ec.SyncObjectDeleted, 'unknown or deleted message');
    const dup = await store.findBySourceKey('message', req.DestinationMessageId);
    if (dup && !dup.deleted && dup.id !== msg.id) return refuse(ctx, ec.InvalidParam, 'DestinationMessageId names another message');
    const before = await store.messageChangeInfo(msg.id);
    const verdict = comparePcl(before.pcl, req.PredecessorChangeList);
    // the move and its tracking in one transaction; a DestinationMessageId naming an ID the client reserved
    // (RopGetLocalReplicaIds) becomes the message's ID in the destination (MS-OXCFXICS 3.3.5.2.1)
    const mid = await store.importMessageMove(msg.id, c.fid, {
      sourceKey: req.DestinationMessageId, changeKey: req.ChangeNumber, pcl: req.PredecessorChangeList, pclMode: verdict === 'serverNewer' ? 'replace' : 'merge',
    });
    const after = await store.messageChangeInfo(mid);
    const [a] = await store.getMessageProps(mid, [TAG.Associated]);
    c.noteChange(mid, after.cn, !!a && 'value' in a && a.value === true);
    if (verdict !== 'serverNewer') return { ec: ec.SyncClientChangeNewer };
    return { ec: ec.Success, response: { MessageId: 0n } };
  });

  // MS-OXCFXICS 2.2.3.2.4.7 RopGetLocalReplicaIds (MS-OXCROPS 2.2.13.13): on the logon
  on<GetLocalReplicaIdsReq, { ReplGuid: string; GlobalCount: Buffer }>(UPLOAD_ROP.RopGetLocalReplicaIds, ['logon'], async (req, ctx) => {
    const logon = checkedLogon(req, ctx);
    if (!logon || !(ctx.input instanceof LogonObject)) return { ec: ec.NullObject };
    if (req.IdCount < 1 || req.IdCount > MAX_LOCAL_REPLICA_IDS) return refuse(ctx, ec.InvalidParam, `IdCount ${req.IdCount}`);
    const first = await logon.store.allocateClientRange(req.IdCount);
    return { ec: ec.Success, response: { ReplGuid: logon.store.replGuid, GlobalCount: globcntBytes(first) } };
  });

  // MS-OXCFXICS RopSetLocalReplicaMidsetDeleted (MS-OXCROPS 2.2.13.12): on a folder
  on<SetMidsetDeletedReq, Record<string, never>>(UPLOAD_ROP.RopSetLocalReplicaMidsetDeleted, ['folder'], async (req, ctx) => {
    const logon = checkedLogon(req, ctx);
    if (!logon || !(ctx.input instanceof FolderObject)) return { ec: ec.NullObject };
    const ranges: { first: bigint; last: bigint }[] = [];
    for (const r of req.LongTermIdRanges) {
      const lo = decodeLongTermId(r.MinLongTermId);
      const hi = decodeLongTermId(r.MaxLongTermId);
      if (lo.guid !== hi.guid) return refuse(ctx, ec.InvalidParam, 'a range spans two replicas');
      if (lo.globcnt > hi.globcnt) return refuse(ctx, ec.InvalidParam, 'a range ends before it starts');
      if (lo.guid.toLowerCase() !== logon.store.replGuid.toLowerCase()) continue;
      ranges.push({ first: lo.globcnt, last: hi.globcnt });
    }
    if (ranges.length > 0) await logon.store.recordDeletedRanges(ranges);
    return { ec: ec.Success, response: {} };
  });

  return m;
}
