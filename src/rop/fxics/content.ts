// MS-OXCFXICS 2.2.4.3 syntactic elements of FastTransfer streams produced from the store: propList of a folder,
// message, attachment or recipient, messageContent, message, messageList, folderContent and topFolder. Each producer
// is an async generator of writer.ts source items (FxSourceItem): the FxStreamProducer pulls them one at a time, so
// at most one message object is open and one property value is in memory at once; values the store keeps as blobs
// (large bodies, attachment data) travel as FxPropStream and are read piecewise from the store's PropStream.
//
// Grammar (MS-OXCFXICS 2.2.4.3, as the spec's syntactical structure section gives it):
//   topFolder        = StartTopFld folderContentNoDelProps EndFolder
//   folderContent    = propList ( MetaTagNewFXFolder / folderMessages ) [ MetaTagFXDelProp *subFolder ]
//   folderMessages   = *2( MetaTagFXDelProp messageList )       (NoDelProps variant: *2( messageList ))
//   subFolder        = StartSubFld folderContent EndFolder
//   messageList      = *( [MetaTagEcWarning] message )
//   message          = ( StartMessage / StartFAIMsg ) messageContent EndMessage
//   messageContent   = propList messageChildren
//   messageChildren  = [ MetaTagFXDelProp ] [ *recipient ] [ MetaTagFXDelProp ] [ *attachment ]
//   recipient        = StartRecip propList EndToRecip
//   attachment       = NewAttach PidTagAttachNumber attachmentContent EndAttach
//   attachmentContent = propList [embeddedMessage]
//   embeddedMessage  = StartEmbed messageContent EndEmbed
//
// Choices where the spec leaves room:
// - The include/exclude tag list of RopFastTransferSourceCopyProperties / CopyTo applies to the top object only
//   (as IMAPIProp::CopyTo's exclusion list does); descendants are copied whole. Tags compare by property id.
//   Subobjects are named by the tags of MS-OXCFXICS 2.2.1.7 (PidTagMessageRecipients, PidTagMessageAttachments,
//   PidTagContainerContents, PidTagFolderAssociatedContents, PidTagContainerHierarchy; an embedded message by
//   PidTagAttachDataObject).
// - MetaTagFXDelProp (value: the subobject tag) is written before the recipients, the attachments, each message list
//   and the subfolders of the top object of RopFastTransferSourceCopyTo / CopyProperties (`delProps`), where the
//   destination is an existing object whose subobjects are replaced; never inside messageList or topFolder (new
//   objects), which the NoDelProps grammar also says.
// - Folder messages: the FAI list first, then the normal list (each message says which it is by its start marker).
// - Properties that name the object itself or are computed by the store (IDs, entry IDs, source/change keys, PCL,
//   counts, sizes, PidTagAttachNumber outside its place after NewAttach) are not written: the destination gives the
//   copy its own (NOT_COPIED below); nor are the special-folder entry IDs of the root and the Inbox
//   (FOLDER_NOT_COPIED). PtypObject and PtypError values never travel.
// - Large (blob-kept) Unicode values stream as PtypString when strings go out as Unicode, as stored (ForUpload) or
//   as CodePageStrings (UseCpid: PtypString is a valid value there too, and needs no conversion of the whole value);
//   in the PtypString8 mode (and for blob-kept 8-bit strings) they are read whole (bounded by the store's
//   maxValueSize) and converted by the writer.
// - A message that disappears between listing and reading is skipped with a log line (the stream stays valid).
import { PT, propId, propType, type PropValue, type TaggedValue } from '../../mapi/props.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import { TAG } from '../../mapistore/tags.js';
import type { AttachmentObject, MailboxStore, MessageObject, PropObject, PropResult } from '../../mapistore/types.js';
import type { Logger } from '../../util/log.js';
import { Marker, MetaTag } from './markers.js';
import { isFxPropType, type FxStringMode } from './props.js';
import type { FxPropStream, FxSourceItem, FxSourceYield } from './writer.js';

/** MS-OXCFXICS 2.2.1.7 tags that denote subobjects (in include/exclude lists and as MetaTagFXDelProp values). */
export const SUBOBJECT = {
  PidTagContainerHierarchy: 0x360e000d,
  PidTagContainerContents: 0x360f000d,
  PidTagFolderAssociatedContents: 0x3610000d,
  PidTagMessageRecipients: 0x0e12000d,
  PidTagMessageAttachments: 0x0e13000d,
  PidTagAttachDataObject: 0x3701000d,
} as const;

/** MS-OXPROPS PidTagAttachNumber: follows NewAttach (MS-OXCFXICS 2.2.4.3 attachment). */
export const PidTagAttachNumber = 0x0e210003;
/** MS-OXPROPS PidTagAttachMethod (afEmbeddedMessage 5). */
export const PidTagAttachMethod = 0x37050003;
/** MS-OXPROPS PidTagRowid of a recipient. */
export const PidTagRowid = 0x30000003;
const ATTACH_EMBEDDED = 5;

/** Properties never written into a copy stream (the destination computes its own); compared by property id. */
export const NOT_COPIED: ReadonlySet<number> = new Set(
  [
    TAG.EntryId, TAG.ObjectType, TAG.RecordKey, TAG.InstanceKey, TAG.Access, TAG.AccessLevel, TAG.MappingSignature,
    TAG.FolderId, TAG.ParentFolderId, TAG.ParentEntryId, TAG.Mid, TAG.SourceKey, TAG.ParentSourceKey, TAG.ChangeKey,
    TAG.PredecessorChangeList, TAG.ChangeNumber, TAG.Associated, TAG.Read, TAG.MessageSize, TAG.MessageSizeExtended,
    TAG.ContentCount, TAG.ContentUnreadCount, TAG.AssociatedContentCount, TAG.Subfolders, TAG.FolderChildCount,
    TAG.Rights, TAG.Depth, TAG.FolderType,
    0x0e1b000b /* PidTagHasAttachments */, 0x0e200003 /* PidTagAttachSize */, PidTagAttachNumber,
  ].map((t) => propId(t)),
);

/** Which properties and subobjects of the top object travel (RopFastTransferSourceCopyTo / CopyProperties). */
export interface PropFilter {
  /** 'exclude': every property but `ids` (CopyTo); 'include': only `ids` (CopyProperties); 'all': everything. */
  mode: 'exclude' | 'include' | 'all';
  /** Property ids of the list. */
  ids: ReadonlySet<number>;
  /** False for Level != 0: no subobjects at all. */
  subObjects: boolean;
}

export const ALL_PROPS: PropFilter = { mode: 'all', ids: new Set(), subObjects: true };

export function propFilter(mode: 'exclude' | 'include', tags: readonly number[], subObjects: boolean): PropFilter {
  return { mode, ids: new Set(tags.map((t) => propId(t))), subObjects };
}

function passes(f: PropFilter, tag: number): boolean {
  if (f.mode === 'all') return true;
  const listed = f.ids.has(propId(tag));
  return f.mode === 'exclude' ? !listed : listed;
}

/** True when the subobject `sub` (a SUBOBJECT tag) travels under filter `f`. */
export function wantsSub(f: PropFilter, sub: number): boolean {
  return f.subObjects && passes(f, sub);
}

/** What the producers measure (for the memory bound: nothing larger than one inline value is ever held). */
export interface ContentStats {
  /** Largest value read into memory whole. */
  maxInlineBytes: number;
  /** Bytes handed over as FxPropStream (read piecewise). */
  streamedBytes: number;
  /** Messages written (top-level and embedded). */
  messages: number;
  /** Message objects open now / at most at once. */
  openMessages: number;
  maxOpenMessages: number;
}

export function newStats(): ContentStats {
  return { maxInlineBytes: 0, streamedBytes: 0, messages: 0, openMessages: 0, maxOpenMessages: 0 };
}

export interface ContentOptions {
  store: MailboxStore;
  /** How strings go out (SendOptions; the writer uses the same mode). */
  strings: FxStringMode;
  /** Values at least this large that the store reads by stream travel as FxPropStream (default 32 KiB). */
  streamThreshold?: number;
  log?: Logger;
  stats?: ContentStats;
}

const STREAM_STEP = 64 * 1024;

function noteInline(o: ContentOptions, v: PropValue): void {
  if (!o.stats) return;
  let n = 0;
  if (Buffer.isBuffer(v)) n = v.length;
  else if (typeof v === 'string') n = v.length * 2;
  else if (Array.isArray(v)) for (const x of v as unknown[]) n += Buffer.isBuffer(x) ? x.length : typeof x === 'string' ? x.length * 2 : 8;
  if (n > o.stats.maxInlineBytes) o.stats.maxInlineBytes = n;
}

/** A property that may travel at all (type with a stream form, not an object or error, not store-owned). */
function travels(tag: number): boolean {
  const t = propType(tag);
  if (t === PT.OBJECT || t === PT.ERROR || t === PT.UNSPECIFIED || t === PT.NULL) return false;
  return isFxPropType(t) && !NOT_COPIED.has(propId(tag));
}

/** One value the store keeps as a blob: streamed (binary, Unicode in Unicode modes) or read whole. */
async function* largeValue(obj: PropObject, tag: number, o: ContentOptions): AsyncGenerator<FxSourceYield> {
  const s = await obj.openStream(tag, 'read');
  try {
    const size = s.size();
    const t = propType(tag);
    const unicodeOut = o.strings === 'unicode' || o.strings === 'keep' || (o.strings === 'cpid' && t === PT.UNICODE);
    if (t === PT.BINARY || (t === PT.UNICODE && unicodeOut)) {
      // PtypString needs its NUL terminator inside the length (MS-OXCFXICS 2.2.4.1.3)
      const extra = t === PT.UNICODE ? 2 : 0;
      const item: FxPropStream = {
        kind: 'propStream',
        tag,
        length: size + extra,
        read: async (offset, max) => {
          if (offset >= size) return Buffer.alloc(Math.min(max, size + extra - offset));
          return s.read(offset, Math.min(max, STREAM_STEP, size - offset));
        },
      };
      if (o.stats) o.stats.streamedBytes += size;
      yield item;
      return;
    }
    const parts: Buffer[] = [];
    for (let off = 0; off < size; ) {
      const b = await s.read(off, Math.min(STREAM_STEP, size - off));
      if (b.length === 0) break;
      parts.push(b);
      off += b.length;
    }
    const bytes = Buffer.concat(parts);
    const value: PropValue = t === PT.UNICODE ? bytes.toString('utf16le', 0, bytes.length & ~1) : bytes.toString('latin1');
    noteInline(o, value);
    yield { kind: 'prop', tag, value };
  } finally {
    await s.close();
  }
}

/**
 * MS-OXCFXICS 2.2.4.3 propList of a message or attachment object: every property that travels and passes `f`
 * (`skip`: further property ids left out, e.g. PidTagAttachNumber written before).
 */
export async function* objectPropList(obj: PropObject, f: PropFilter, o: ContentOptions): AsyncGenerator<FxSourceYield> {
  const seen = new Set<number>();
  const tags: number[] = [];
  for (const t of await obj.listProps()) {
    const tag = t >>> 0;
    if (seen.has(tag) || !travels(tag) || !passes(f, tag)) continue;
    seen.add(tag);
    tags.push(tag);
  }
  if (tags.length === 0) return;
  const got = await obj.getProps(tags);
  // the inline values go out in batches (one yield each: an async generator yield costs about a microsecond, and
  // every producer above passes it on), a large value alone between them
  let batch: FxSourceItem[] = [];
  for (let i = 0; i < tags.length; i++) {
    const r = got[i] as PropResult;
    const tag = tags[i] as number;
    if ('error' in r) {
      if (r.error === SEC.NotEnoughMemory) {
        if (batch.length > 0) yield batch;
        batch = [];
        yield* largeValue(obj, tag, o);
      }
      continue;
    }
    noteInline(o, r.value);
    batch.push({ kind: 'prop', tag: r.tag >>> 0, value: r.value });
  }
  if (batch.length > 0) yield batch;
}

/** propList of a recipient row (its PidTagRowid included: the destination numbers rows by it). */
function* recipientPropList(props: readonly TaggedValue[], o: ContentOptions): Generator<FxSourceItem> {
  for (const p of props) {
    const tag = p.tag >>> 0;
    if (!isFxPropType(propType(tag)) || propType(tag) === PT.OBJECT || propType(tag) === PT.ERROR) continue;
    noteInline(o, p.value);
    yield { kind: 'prop', tag, value: p.value };
  }
}

const marker = (tag: number): FxSourceItem => ({ kind: 'marker', tag });
const delProp = (sub: number): FxSourceItem => ({ kind: 'prop', tag: MetaTag.MetaTagFXDelProp, value: sub | 0 });

/**
 * MS-OXCFXICS 2.2.4.3 messageContent = propList messageChildren, from an open message object. `f` filters the
 * top object's properties and subobjects; `delProps` writes MetaTagFXDelProp before recipients and attachments.
 */
export async function* messageContent(msg: MessageObject, f: PropFilter, o: ContentOptions, delProps = false): AsyncGenerator<FxSourceYield> {
  if (o.stats) o.stats.messages++;
  yield* objectPropList(msg, f, o);
  // markers and recipient rows go out in batches too (one yield per batch, see objectPropList); a batch is handed
  // over before an attachment's own content, which may stream a large value
  const out: FxSourceItem[] = [];
  if (wantsSub(f, SUBOBJECT.PidTagMessageRecipients)) {
    if (delProps) out.push(delProp(SUBOBJECT.PidTagMessageRecipients));
    for (const r of await msg.readRecipients()) {
      out.push(marker(Marker.StartRecip));
      for (const it of recipientPropList(r.props, o)) out.push(it);
      out.push(marker(Marker.EndToRecip));
    }
  }
  if (wantsSub(f, SUBOBJECT.PidTagMessageAttachments)) {
    if (delProps) out.push(delProp(SUBOBJECT.PidTagMessageAttachments));
    for (const row of await msg.attachmentTable([])) {
      const att = await msg.openAttachment(row.attachNum);
      try {
        out.push(marker(Marker.NewAttach), { kind: 'prop', tag: PidTagAttachNumber, value: row.attachNum });
        yield out.splice(0);
        yield* attachmentContent(att, ALL_PROPS, o);
        out.push(marker(Marker.EndAttach));
      } finally {
        await att.discard();
      }
    }
  }
  if (out.length > 0) yield out;
}

/** MS-OXCFXICS 2.2.4.3 attachmentContent = propList [embeddedMessage]. */
export async function* attachmentContent(att: AttachmentObject, f: PropFilter, o: ContentOptions, delProps = false): AsyncGenerator<FxSourceYield> {
  void delProps;
  yield* objectPropList(att, f, o);
  if (!wantsSub(f, SUBOBJECT.PidTagAttachDataObject)) return;
  const [method] = await att.getProps([PidTagAttachMethod]);
  if (!method || 'error' in method || method.value !== ATTACH_EMBEDDED) return;
  let emb: MessageObject;
  try {
    emb = await att.openEmbeddedMessage(false);
  } catch (e) {
    if (e instanceof StoreError && e.ec === SEC.NotFound) return;
    throw e;
  }
  try {
    yield marker(Marker.StartEmbed);
    yield* messageContent(emb, ALL_PROPS, o);
    yield marker(Marker.EndEmbed);
  } finally {
    await emb.discard();
  }
}

/** MS-OXCFXICS 2.2.4.3 message = (StartMessage / StartFAIMsg) messageContent EndMessage, read from the store by MID. */
export async function* storedMessage(mid: bigint, associated: boolean | undefined, o: ContentOptions): AsyncGenerator<FxSourceYield> {
  let msg: MessageObject;
  try {
    msg = await o.store.openMessage(mid);
  } catch (e) {
    if (e instanceof StoreError && (e.ec === SEC.NotFound || e.ec === SEC.ObjectDeleted)) {
      o.log?.info({ mid: `0x${mid.toString(16)}` }, 'FastTransfer: message gone before it was read; skipped');
      return;
    }
    throw e;
  }
  if (o.stats) {
    o.stats.openMessages++;
    o.stats.maxOpenMessages = Math.max(o.stats.maxOpenMessages, o.stats.openMessages);
  }
  try {
    let fai = associated;
    if (fai === undefined) {
      const [a] = await msg.getProps([TAG.Associated]);
      fai = !!a && !('error' in a) && a.value === true;
    }
    yield marker(fai ? Marker.StartFAIMsg : Marker.StartMessage);
    yield* messageContent(msg, ALL_PROPS, o);
    yield marker(Marker.EndMessage);
  } finally {
    if (o.stats) o.stats.openMessages--;
    await msg.discard();
  }
}

/**
 * MS-OXCFXICS 2.2.4.3 messageList of the given MIDs, with progress (one step per message). `progressBase` and
 * `progressTotal` place it inside a larger operation.
 */
export async function* messageList(
  mids: readonly { mid: bigint; associated?: boolean }[],
  o: ContentOptions,
  progress?: { done: number; total: number },
): AsyncGenerator<FxSourceYield> {
  const p = progress ?? { done: 0, total: mids.length };
  for (const m of mids) {
    yield { kind: 'progress', inProgressCount: p.done, totalStepCount: p.total };
    yield* storedMessage(m.mid, m.associated, o);
    p.done++;
  }
  yield { kind: 'progress', inProgressCount: p.done, totalStepCount: p.total };
}

/**
 * Special-folder entry IDs of the root and the Inbox (MS-OXOSFLD 2.2): they name this mailbox's special folders, so
 * a copy does not carry them (as the store's own copyFolder drops them).
 */
const FOLDER_NOT_COPIED: ReadonlySet<number> = new Set(
  [TAG.IpmAppointmentEntryId, TAG.IpmContactEntryId, TAG.IpmJournalEntryId, TAG.IpmNoteEntryId, TAG.IpmTaskEntryId,
    TAG.RemindersOnlineEntryId, TAG.IpmDraftsEntryId, TAG.AdditionalRenEntryIds, TAG.AdditionalRenEntryIdsEx].map((t) => propId(t)),
);

/** propList of a folder: its properties that travel and pass `f`. */
async function* folderPropList(fid: bigint, f: PropFilter, o: ContentOptions): AsyncGenerator<FxSourceYield> {
  for (const r of await o.store.getFolderProps(fid)) {
    if ('error' in r) continue;
    const tag = r.tag >>> 0;
    if (!travels(tag) || !passes(f, tag) || FOLDER_NOT_COPIED.has(propId(tag))) continue;
    noteInline(o, r.value);
    yield { kind: 'prop', tag, value: r.value };
  }
}

async function folderMids(store: MailboxStore, fid: bigint, associated: boolean): Promise<{ mid: bigint; associated: boolean }[]> {
  return (await store.contentsRows(fid, { associated, tags: [] })).map((r) => ({ mid: r.id, associated }));
}

export interface FolderContentOptions {
  /** MetaTagFXDelProp before each message list and the subfolders (folderContent) or not (NoDelProps). */
  delProps: boolean;
  /** Subfolders, recursively (RopFastTransferSourceCopyFolder CopySubfolders; CopyTo on a folder: always). */
  subfolders: boolean;
}

/**
 * MS-OXCFXICS 2.2.4.3 folderContent (delProps) or folderContentNoDelProps of folder `fid`: its properties, its
 * messages (FAI, then normal) and its subfolders as subFolder elements. `f` filters the top folder only.
 */
export async function* folderContent(fid: bigint, f: PropFilter, fo: FolderContentOptions, o: ContentOptions, progress?: { done: number; total: number }): AsyncGenerator<FxSourceYield> {
  yield* folderPropList(fid, f, o);
  for (const [assoc, sub] of [[true, SUBOBJECT.PidTagFolderAssociatedContents], [false, SUBOBJECT.PidTagContainerContents]] as const) {
    if (!wantsSub(f, sub)) continue;
    const mids = await folderMids(o.store, fid, assoc);
    if (fo.delProps) yield delProp(sub);
    const p = progress ?? { done: 0, total: mids.length };
    if (progress) p.total += mids.length;
    yield* messageList(mids, o, p);
  }
  if (fo.subfolders && wantsSub(f, SUBOBJECT.PidTagContainerHierarchy)) {
    const kids = await o.store.children(fid);
    if (fo.delProps && kids.length > 0) yield delProp(SUBOBJECT.PidTagContainerHierarchy);
    for (const kid of kids) {
      yield marker(Marker.StartSubFld);
      yield* folderContent(kid, ALL_PROPS, fo, o, progress);
      yield marker(Marker.EndFolder);
    }
  }
}

/** MS-OXCFXICS 2.2.4.3 topFolder = StartTopFld folderContentNoDelProps EndFolder (RopFastTransferSourceCopyFolder). */
export async function* topFolder(fid: bigint, subfolders: boolean, o: ContentOptions): AsyncGenerator<FxSourceYield> {
  const progress = { done: 0, total: 0 };
  yield marker(Marker.StartTopFld);
  yield* folderContent(fid, ALL_PROPS, { delProps: false, subfolders }, o, progress);
  yield marker(Marker.EndFolder);
  yield { kind: 'progress', inProgressCount: progress.done, totalStepCount: progress.total };
}
