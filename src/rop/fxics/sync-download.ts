// MS-OXCFXICS ICS download: the synchronization download context of RopSynchronizationConfigure (2.2.3.2.1.1,
// 3.2.5.9.1.1) and its FastTransfer stream, contentsSync and hierarchySync (2.2.4.2, 2.2.4.3), computed as
// 3.2.5.3 "Determining What Differences To Download" says, from the store's change journal in O(changes).
//
//   contentsSync  = [progressTotal] *([progressPerMessage] messageChange) [deletions] [readStateChanges] state IncrSyncEnd
//   hierarchySync = *folderChange [deletions] state IncrSyncEnd
//
// How the differences are found (3.2.5.3, 3.2.5.6):
// - The high-water mark `hw` is the store's current CN when the download starts; changes with a CN above it are left
//   for the next synchronization (the state says nothing about them).
// - `since` is the end of the CNSET's first range when that range starts at GLOBCNT 1 (every CN up to it was seen),
//   else 0. changesSince(fid, 'message', since) then lists exactly the candidates (CN > since) from the (fid, cn)
//   index; each candidate is checked against the CNSET itself, so a CNSET with gaps (CNs a client imported itself)
//   is still honoured: the cost is the changes after the first gap, never the folder size.
// - Contents: a normal message is a change when Normal is set and its CN is not in MetaTagCnsetSeen; an FAI message
//   when FAI is set and its CN is not in MetaTagCnsetSeenFAI. A change that fails the restriction is reported as
//   no longer in scope when the client has it (MetaTagIdsetGiven) and IgnoreNoLongerInScope is not set.
// - Deletions (tombstones, soft and hard alike: MetaTagIdsetDeleted holds both, 2.2.1.3.1) only for ids in
//   MetaTagIdsetGiven, never with NoDeletions; an id that is live in the scope again is not reported.
// - Read-state changes (ReadState): messages whose read CN is above the first range of MetaTagCnsetRead and not in
//   it, that the client has and that are not sent whole in this stream (a full change carries PidTagMessageFlags).
// - The final state covers exactly what was sent: IdsetGiven = given + sent - deleted - no longer in scope;
//   CnsetSeen / CnsetSeenFAI / CnsetRead gain 1..hw only when Normal / FAI / ReadState was asked for.
// - Hierarchy: the live subtree below the synchronization folder, breadth first, so that a parent's folderChange
//   comes before its children's; a folder is a change when its CN is not in MetaTagCnsetSeen.
//
// - The client's namespace (3.3.5.2.3 foreign identifiers, 3.3.5.6 checkpointing): an object the client uploaded
//   under its own PidTagSourceKey (a GID of a RopGetLocalReplicaIds range, or an XID of its own GUID) is known to it
//   by that key, not by the server's id. The header carries the stored key (the store reports the client's), the
//   state's MetaTagIdsetGiven names the object by the key's (GUID, GLOBCNT), and an object counts as given when
//   IdsetGiven holds either that id or the server's (an upload collector's state names imports by server ids).
//   Deletions, no-longer-in-scope and read changes name it by the client's id; removed objects leave IdsetGiven under
//   both. With NoForeignIdentifiers (2.2.3.2.1.1.1) source keys and ids are the server's (GIDs of the FID/MID).
// - A conflict resolve message (msInConflict, 3.1.5.6.2.1) is not synchronized itself: each conflicting version (an
//   embedded message on a PidTagInConflict attachment) goes out as a messageChange of the message's source key with
//   the version's change key, PCL and time (VERSION_TAGS on the attachment), and the client builds its own resolve
//   message; without that tracking the resolve message goes out whole (logged).
//
// Choices where the spec leaves room (each one place, below):
// - REPLID-form IDSETs of the stream (deletions, read states) can name only this replica (REPLID 1): an object known
//   by a foreign GUID is named there by the server's id (logged once); the state keeps the client's namespace.
// - MetaTagFXDelProp goes before the recipients and the attachments of every messageChange (sync-content.ts).
// - PartialItem (SendOptions 0x10, 2.2.3.1.1.1.1) says the client can take messageChangePartial; it is accepted and
//   messageChangeFull is always sent (a client that takes partial items takes full ones): the store keeps no
//   per-property-group change history (3.2.5.7) to build a partial change from. Not done: IncrSyncGroupInfo,
//   MetaTagIncrementalSyncMessagePartial, IncrSyncChgPartial.
// - OrderByDeliveryTime: FAI messages first, then normal messages newest PidTagMessageDeliveryTime first; without
//   it, CN order (oldest change first).
// - PidTagParentSourceKey of a folder directly below the synchronization folder is empty (0 bytes): the source key
//   of the root of a hierarchy synchronization is zero-length (2.2.1.2.5); the others carry the parent's source key.
// - folderChange carries the folder's own properties; computed ones that describe contents (counts, sizes, access,
//   entry ids) are left out. Eid adds PidTagFolderId and PidTagParentFolderId, Cn adds PidTagChangeNumber.
// - progressTotal's ProgressInformation uses PidTagMessageSize as the size of each message (2.2.4.3.19 allows it);
//   GetBuffer's InProgressCount/TotalStepCount count messages.
// - Messages are read in groups of BATCH (header properties of a group at once) and each message's content is
//   streamed by the FastTransfer producer as the client pulls buffers, so memory does not grow with the folder.
import { eidFrom, eidGlobcntNumber, IdSet, encodeIdsetReplId, xidGlobcnt } from '../../mapi/idset.js';
import { encodeXid } from '../../mapi/ids.js';
import { PT, propId, propType, type PropValue } from '../../mapi/props.js';
import type { RopRestriction } from '../../mapi/ropres.js';
import { lookupProp, RestrictionEvaluator } from '../../mapi/table/evaluate.js';
import type { TableRestriction } from '../../mapi/table/types.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import { TAG } from '../../mapistore/tags.js';
import type { ChangeEntry, MailboxStore, MessageObject, PropResult } from '../../mapistore/types.js';
import type { Logger } from '../../util/log.js';
import type { ServerObject } from '../types.js';
import { Marker, MetaTag } from './markers.js';
import type { FxElement, FxEncodeOptions, FxStringMode } from './props.js';
import type { FxSourceBuffer as SourceBuffer, FxSourceLike } from './source.js';
import { cloneState, IcsStateHolder, stateElements, toSourceBuffer, type IcsState } from './sync-state.js';
import { FxStreamProducer, TransferStatus, type FxSourceItem, type FxSourceYield } from './writer.js';

/** MS-OXCFXICS 2.2.3.2.1.1.1 SynchronizationType. */
export const SYNC_TYPE = { Contents: 0x01, Hierarchy: 0x02 } as const;

/** MS-OXCFXICS 2.2.3.2.1.1.1 SynchronizationFlags. */
export const SYNC_FLAGS = {
  Unicode: 0x0001,
  NoDeletions: 0x0002,
  IgnoreNoLongerInScope: 0x0004,
  ReadState: 0x0008,
  FAI: 0x0010,
  Normal: 0x0020,
  OnlySpecifiedProperties: 0x0080,
  NoForeignIdentifiers: 0x0100,
  Reserved: 0x1000,
  BestBody: 0x2000,
  IgnoreSpecifiedOnFAI: 0x4000,
  Progress: 0x8000,
} as const;

/** MS-OXCFXICS 2.2.3.2.1.1.1 SynchronizationExtraFlags. */
export const SYNC_EXTRA = { Eid: 0x01, MessageSize: 0x02, Cn: 0x04, OrderByDeliveryTime: 0x08 } as const;

/** MS-OXCFXICS 2.2.3.1.1.1.1 SendOptions. */
export const SEND_OPTIONS = { Unicode: 0x01, UseCpid: 0x02, ForUpload: 0x03, RecoverMode: 0x04, ForceUnicode: 0x08, PartialItem: 0x10 } as const;

/** Messages whose header properties are read together. */
export const BATCH = 64;
/** Messages whose stored rows an ICS download reads at a time (MailboxStore.prefetchMessages). */
const PREFETCH_RUN = 16;
/** IcsDownloadContext.keepHeadersUpTo: at most ~2.5 MB of change headers are kept for a whole download. */
const KEEP_HEADERS = 4096;

/** MS-OXCFXICS 2.2.4.3.19 / 2.2.4.3.18: the property tags of progressTotal and progressPerMessage. */
const PROGRESS_TOTAL_TAG = 0x00000102;
const PROGRESS_SIZE_TAG = 0x00000003;
const PROGRESS_FAI_TAG = 0x0000000b;

/** What one message's content (propList messageChildren, 2.2.4.3.11) is produced from (K3's content.ts). */
export type MessageContentProducer = (
  msg: MessageObject,
  opts: { mb: MailboxStore; tags: readonly number[] | null; exclude: ReadonlySet<number>; encode: FxEncodeOptions; bestBody: boolean; log: Logger },
) => AsyncIterable<FxSourceYield> | Iterable<FxSourceYield>;

/** The parsed RopSynchronizationConfigure request (fields as the spec names them, checked by the handler). */
export interface SyncConfig {
  type: 'contents' | 'hierarchy';
  fid: bigint;
  sendOptions: number;
  flags: number;
  extraFlags: number;
  restriction: RopRestriction | null;
  propertyTags: readonly number[];
  /** The connection's code page (8-bit strings). */
  codePage: number;
  /** FxWriterOptions.readAhead for the stream (bytes produced ahead of the client; 0 or absent: none). */
  readAhead?: number;
}

/** Counters of the work a download did (bench and tests check O(changes) with them). */
export interface SyncStats {
  candidates: number;
  messagesSent: number;
  foldersSent: number;
  deleted: number;
  noLongerInScope: number;
  readChanges: number;
  storeCalls: number;
  /** Conflicting versions sent in place of conflict resolve messages. */
  conflictVersions: number;
}

/** The string mode of the stream from SendOptions and SynchronizationFlags (MS-OXCFXICS 2.2.3.1.1.1.1, 3.2.5.9.1.1). */
export function stringModeOf(sendOptions: number, flags: number): FxStringMode {
  if (sendOptions & SEND_OPTIONS.ForceUnicode) return 'unicode';
  if ((sendOptions & SEND_OPTIONS.Unicode) || (flags & SYNC_FLAGS.Unicode)) return 'keep';
  if (sendOptions & SEND_OPTIONS.UseCpid) return 'cpid';
  return 'string8';
}

/** Folder properties computed from contents or position, not sent in folderChange. */
const FOLDER_NOT_SENT = new Set<number>(
  [
    TAG.EntryId, TAG.ParentEntryId, TAG.RecordKey, TAG.InstanceKey, TAG.ObjectType, TAG.ContentCount, TAG.ContentUnreadCount,
    TAG.AssociatedContentCount, TAG.Subfolders, TAG.FolderChildCount, TAG.MessageSize, TAG.MessageSizeExtended, TAG.Access,
    TAG.Rights, TAG.Depth, TAG.AccessLevel, TAG.FolderId, TAG.ParentFolderId, TAG.ChangeNumber, TAG.SourceKey,
    TAG.ParentSourceKey, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.LastModificationTime, TAG.DisplayName,
  ].map((t) => propId(t)),
);

/** MS-OXCMSG 2.2.1.8 PidTagMessageStatus and its msInConflict bit; MS-OXPROPS PidTagInConflict (attachments). */
const PidTagMessageStatus = 0x0e170003;
const MS_IN_CONFLICT = 0x00000800;
const PidTagInConflict = 0x666c000b;
const PidTagAttachMethod = 0x37050003;
const ATTACH_EMBEDDED = 5;

/** The header properties of a message read in one call. */
const HEADER_TAGS = [
  TAG.SourceKey, TAG.LastModificationTime, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.Associated, TAG.Mid,
  TAG.MessageSize, TAG.ChangeNumber, TAG.MessageDeliveryTime, PidTagMessageStatus,
] as const;
/** An empty binary value (a header property the store did not give). */
const EMPTY = Buffer.alloc(0);
/** The header properties a store computes from its row (no stored text to read): what readHeader asks for. */
const HEADER_TAGS_ROW = HEADER_TAGS.filter((t) => t !== TAG.MessageDeliveryTime && t !== PidTagMessageStatus);
const HEADER_TAGS_DELIVERY = [...HEADER_TAGS_ROW, TAG.MessageDeliveryTime];

/**
 * Where a conflicting version keeps the change tracking it was made with: PidTagChangeKey, PidTagPredecessorChangeList
 * and PidTagLastModificationTime on its PidTagInConflict attachment (the store computes them on messages, embedded
 * ones included, so they cannot live on the embedded message).
 */
export const VERSION_TAGS = [TAG.ChangeKey, TAG.PredecessorChangeList, TAG.LastModificationTime] as const;

/** One conflicting version of a conflict resolve message (an embedded message of a PidTagInConflict attachment). */
interface ConflictVersion {
  msg: MessageObject;
  changeKey: Buffer;
  pcl: Buffer;
  lastModified: bigint;
}

/** The header properties in HEADER_TAGS order from a store's answer for some of them. */
const headerResults = (got: readonly PropResult[]): PropResult[] =>
  HEADER_TAGS.map((t) => got.find((r) => r.tag >>> 0 === t >>> 0) ?? { tag: t, error: SEC.NotFound });

const valueOf = (res: readonly PropResult[], tag: number): PropValue | undefined => {
  const r = res.find((x) => x.tag >>> 0 === tag >>> 0);
  return r && 'value' in r ? r.value : undefined;
};

/** The first range of a CNSET's replica when it starts at GLOBCNT 1 (everything up to it was seen), else 0. */
export function contiguousSeen(cnset: IdSet<string>, replGuid: string): number {
  const g = cnset.get(replGuid.toLowerCase());
  const first = g?.ranges()[0];
  return first && first.lo <= 1 ? first.hi : 0;
}

/**
 * An id as the client knows it (REPLGUID form): the GUID and GLOBCNT of the object's PidTagSourceKey. An object the
 * client uploaded with its own source key (RopSynchronizationImportMessageChange / ImportHierarchyChange) is known by
 * that key: a GID of the IDs it reserved with RopGetLocalReplicaIds (MS-OXCFXICS 3.3.5.6 checkpointing), or an XID
 * of its own namespace (3.3.5.2.3); IDSETs hold 6-byte GLOBCNTs only, so a key with another LocalId length cannot be
 * named in one and the server's id stands for it.
 */
export interface ClientId {
  guid: string;
  globcnt: number;
}

/** The ClientId of a 22-byte source key; null for other lengths. */
export function clientIdOfKey(sk: Uint8Array): ClientId | null {
  if (sk.length !== 22) return null;
  const x = xidGlobcnt(sk);
  return { guid: x.guid.toLowerCase(), globcnt: x.globcnt };
}

/** A removed object: the id the client knows it by, and the server's id. */
interface Removed {
  id: bigint;
  cid: ClientId;
}

/**
 * What a download keeps of each message to send, from the candidates' first reading until the message's turn (a
 * first sync of 100,000 messages keeps 100,000): what orders them and what progressTotal counts. Beyond
 * keepHeadersUpTo messages, the rest of the messageChangeHeader (Candidate) is read from the message when it is sent.
 */
interface Queued {
  id: bigint;
  cn: bigint;
  assoc: boolean;
  size: number;
  delivery: bigint;
}

interface Candidate extends Queued {
  /** How the client knows it after this download (from the source key sent). */
  cid: ClientId;
  /** A conflict resolve message (PidTagMessageStatus msInConflict). */
  inConflict: boolean;
  /** The messageChangeHeader values. */
  sourceKey: Buffer | null;
  lastModified: bigint;
  changeKey: Buffer;
  pcl: Buffer;
  /** PidTagChangeNumber as the store reports it (else the change's CN). */
  changeNumber: bigint;
}

/**
 * The ICS download context (server object kind 'icsDownload'): holds the uploaded state until the first GetBuffer,
 * then produces the stream lazily (FxSourceLike). `finalState` is the state the stream ends with.
 */
export class IcsDownloadContext implements ServerObject, FxSourceLike {
  readonly kind = 'icsDownload' as const;
  readonly holder: IcsStateHolder;
  readonly stats: SyncStats = { candidates: 0, messagesSent: 0, foldersSent: 0, deleted: 0, noLongerInScope: 0, readChanges: 0, storeCalls: 0, conflictVersions: 0 };
  private producer: FxStreamProducer | null = null;
  private finalState: IcsState | null = null;
  private completed = false;
  private warnedForeign = false;
  private readonly encode: FxEncodeOptions;

  /**
   * A contents download of more messages than this keeps only their Queued part until each one's turn (the rest of
   * its change header is read from the opened message then): ~0.15 instead of ~0.6 KB of heap per message.
   */
  keepHeadersUpTo = KEEP_HEADERS;

  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    private readonly mb: MailboxStore,
    readonly config: SyncConfig,
    private readonly content: MessageContentProducer,
    private readonly log: Logger,
  ) {
    this.holder = new IcsStateHolder(mb.replGuid);
    this.encode = { strings: stringModeOf(config.sendOptions, config.flags), codePage: config.codePage };
  }

  /** The synchronization kind (for the state element). */
  get syncKind(): 'contents' | 'hierarchy' {
    return this.config.type;
  }

  /**
   * The ICS state RopSynchronizationGetTransferState returns (3.2.5.9.3.1): the initial state until the stream has
   * been downloaded to its end, then the final one.
   */
  transferState(): IcsState {
    return cloneState(this.completed && this.finalState ? this.finalState : this.holder.state);
  }

  async nextBuffer(max: number): Promise<SourceBuffer> {
    if (!this.producer) {
      this.holder.locked = true;
      this.producer = new FxStreamProducer(this.items(), {
        ...this.encode,
        names: this.mb,
        readAhead: this.config.readAhead ?? 0,
        onSkip: (tag, reason) => this.log.debug({ tag: `0x${(tag >>> 0).toString(16)}`, reason }, 'property left out of the ICS stream'),
      });
    }
    const b = await this.producer.getBuffer(max);
    if (b.TransferStatus === TransferStatus.Done) this.completed = true;
    if (b.TransferStatus === TransferStatus.Error) this.log.warn({ err: describe(b.error) }, 'ICS download failed');
    return toSourceBuffer(b);
  }

  peekProducer(): FxStreamProducer | undefined {
    return this.producer ?? undefined;
  }

  dispose(): void {
    void this.producer?.close();
  }

  // ------------------------------------------------------------------ the client's namespace (follow-up 1)

  /** NoForeignIdentifiers: every id and source key in the server's own namespace (MS-OXCFXICS 2.2.3.2.1.1.1). */
  private get noForeign(): boolean {
    return (this.config.flags & SYNC_FLAGS.NoForeignIdentifiers) !== 0;
  }

  /** The server's GID of `id` (replica GUID + GLOBCNT, 22 bytes, MS-OXCDATA 2.2.1.3). */
  private serverKey(id: bigint): Buffer {
    return encodeXid(this.mb.replGuid, BigInt(eidGlobcntNumber(id)));
  }

  /** The id the client knows `id` by (one source-key look-up; the server's id with NoForeignIdentifiers). */
  private async clientIdOf(kind: 'folder' | 'message', id: bigint): Promise<ClientId> {
    const server = { guid: this.mb.replGuid.toLowerCase(), globcnt: eidGlobcntNumber(id) };
    if (this.noForeign) return server;
    this.stats.storeCalls++;
    let sk: Buffer;
    try {
      sk = await this.mb.sourceKeyOf(kind, id);
    } catch (e) {
      if (e instanceof StoreError && e.ec === SEC.NotFound) return server;
      throw e;
    }
    return clientIdOfKey(sk) ?? server;
  }

  /**
   * Whether the client has `id` (MetaTagIdsetGiven): by the id it knows it by, or by the server's id (an upload
   * collector's state names imports by their server ids). Null when not.
   */
  private async given(kind: 'folder' | 'message', id: bigint): Promise<Removed | null> {
    const given = this.holder.state.idsetGiven;
    if (given.isEmpty()) return null;
    const cid = await this.clientIdOf(kind, id);
    const guid = this.mb.replGuid.toLowerCase();
    return given.hasGlobcnt(cid.guid, cid.globcnt) || given.hasGlobcnt(guid, eidGlobcntNumber(id)) ? { id, cid } : null;
  }

  /**
   * The EID an IDSET of the stream (REPLID form: deletions, read states) names a removed object by: the client's id
   * under REPLID 1 when it is of this replica's GUID; the store maps no other GUID to a REPLID, so an object known by
   * a foreign GUID is named by the server's id (logged).
   */
  private wireId(r: Removed): bigint {
    if (r.cid.guid === this.mb.replGuid.toLowerCase()) return eidFrom(1, r.cid.globcnt);
    if (!this.warnedForeign) {
      this.warnedForeign = true;
      this.log.warn({ id: `0x${r.id.toString(16)}`, guid: r.cid.guid }, 'ICS download: no REPLID for a foreign source key GUID, server ids are sent');
    }
    return r.id;
  }

  /**
   * The whole stream as source items (pulled by the producer as buffers are asked for): the generator itself, not one
   * that delegates to it (every yield passing through a yield* costs a promise round of its own).
   */
  private items(): AsyncGenerator<FxSourceYield> {
    return this.config.type === 'hierarchy' ? this.hierarchyItems() : this.contentsItems();
  }

  // ------------------------------------------------------------------ contents

  private async *contentsItems(): AsyncGenerator<FxSourceYield> {
    const { mb, config } = this;
    const guid = mb.replGuid.toLowerCase();
    const st = this.holder.state;
    const flags = config.flags;
    const wantNormal = (flags & SYNC_FLAGS.Normal) !== 0;
    const wantFai = (flags & SYNC_FLAGS.FAI) !== 0;
    const hw = eidGlobcntNumber(await mb.currentCn());
    this.stats.storeCalls++;

    // candidates: CN > since, CN <= hw, not in the CNSET of their kind
    let since = hw;
    if (wantNormal) since = Math.min(since, contiguousSeen(st.cnsetSeen, guid));
    if (wantFai) since = Math.min(since, contiguousSeen(st.cnsetSeenFAI, guid));
    const needDeletes = (flags & SYNC_FLAGS.NoDeletions) === 0;
    let changes: ChangeEntry[] = wantNormal || wantFai || needDeletes ? await mb.changesSince(config.fid, 'message', eidFrom(1, since)) : [];
    this.stats.storeCalls++;
    const given = st.idsetGiven;

    const live = new Set<bigint>();
    let wanted: ChangeEntry[] = [];
    const tombs: ChangeEntry[] = [];
    for (const c of changes) {
      const g = eidGlobcntNumber(c.cn);
      if (!c.deleted) live.add(c.id); // live again (moved back): its tombstone is no deletion, even past hw
      if (g > hw) continue;
      if (c.deleted) {
        tombs.push(c);
        continue;
      }
      if (c.associated ? !wantFai || st.cnsetSeenFAI.hasGlobcnt(guid, g) : !wantNormal || st.cnsetSeen.hasGlobcnt(guid, g)) continue;
      wanted.push(c);
    }
    this.stats.candidates = wanted.length;

    // header properties in groups; the restriction decides what is in scope
    const evaluator = config.restriction ? new RestrictionEvaluator(config.restriction as TableRestriction) : null;
    // up to keepHeadersUpTo messages keep their whole change header from this reading; more keep only Queued
    const keep = wanted.length <= this.keepHeadersUpTo;
    const sendList: Queued[] = [];
    const outOfScope: bigint[] = [];
    for (let i = 0; i < wanted.length; i += BATCH) {
      const group = wanted.slice(i, i + BATCH);
      let heads: Array<Candidate | null | undefined>;
      if (evaluator === null && mb.getMessagesProps) {
        heads = await this.readHeaders(group);
        this.stats.storeCalls++;
      } else {
        heads = await Promise.all(group.map((c) => this.readHeader(c, evaluator)));
        this.stats.storeCalls += group.length;
      }
      group.forEach((c, k) => {
        const h = heads[k];
        if (h === undefined) return; // gone meanwhile: the next synchronization sees its tombstone
        if (h === null) {
          outOfScope.push(c.id);
          return;
        }
        sendList.push(keep ? h : { id: h.id, cn: h.cn, assoc: h.assoc, size: h.size, delivery: h.delivery });
      });
    }
    // (what the deletions below need of the change list is in tombs and live: the rest is let go now)
    changes = [];
    wanted = [];
    if (config.extraFlags & SYNC_EXTRA.OrderByDeliveryTime) {
      sendList.sort((a, b) => (a.assoc !== b.assoc ? (a.assoc ? -1 : 1) : a.assoc ? 0 : a.delivery > b.delivery ? -1 : a.delivery < b.delivery ? 1 : 0));
    }

    // progressTotal
    const progress = (flags & SYNC_FLAGS.Progress) !== 0;
    if (progress) yield* progressTotal(sendList);

    // messageChange elements
    const sent: ClientId[] = [];
    const sentIds = new Set<bigint>();
    const total = sendList.length;
    let n = 0;
    // The rows of PREFETCH_RUN messages are read at a time where the store can (MailboxStore.prefetchMessages: a row
    // costs ~3 times more read alone, between encoding and compressing); each message is built from its row when its
    // turn comes and discarded once its content is out. (Built a run at a time, the decoded messages waiting their
    // turn outlived V8's minor GCs: in the IMAP bench's first sync of 10,000 messages ~136 MB went into the old
    // generation against ~30 MB one at a time, and the server's peak RSS was 274-304 MB against 222-224 MB.)
    // Beyond keepHeadersUpTo, a message's change header is read from the message itself once it is open (its row has
    // just been read: see Queued), as it is then, with the order and the size of the first reading.
    let openers = new Map<bigint, () => Promise<MessageObject>>();
    for (let i = 0; i < sendList.length; i++) {
      const q = sendList[i]!;
      // the progress note goes out with the message's change header (one yield: see content.ts objectPropList)
      const note: FxSourceItem = { kind: 'progress', inProgressCount: n, totalStepCount: total };
      let m: Candidate | null = keep ? (q as Candidate) : null;
      let items = m ? this.messageChange(m, progress) : null;
      if (m && items === null) {
        yield note;
        continue;
      }
      if (mb.prefetchMessages && !openers.has(q.id)) {
        const run = sendList.slice(i, i + PREFETCH_RUN).map((c) => c.id);
        const got = await mb.prefetchMessages(run);
        this.stats.storeCalls++;
        openers = new Map(run.map((id, k) => [id, got[k]!]));
      }
      let msg: MessageObject;
      try {
        const open = openers.get(q.id);
        openers.delete(q.id);
        if (!open) this.stats.storeCalls++;
        msg = await (open ? open() : mb.openMessage(q.id));
      } catch (e) {
        if (e instanceof StoreError && (e.ec === SEC.NotFound || e.ec === SEC.ObjectDeleted)) {
          yield note;
          continue; // gone meanwhile
        }
        throw e;
      }
      if (!m) {
        try {
          const entry: ChangeEntry = { kind: 'message', id: q.id, cn: q.cn, associated: q.assoc, deleted: false, hard: false };
          m = { ...this.candidateOf(entry, headerResults(await msg.getProps(this.headerTags()))), size: q.size, delivery: q.delivery };
        } catch (e) {
          await msg.discard();
          throw e;
        }
        items = this.messageChange(m, progress);
        if (items === null) {
          await msg.discard();
          yield note;
          continue;
        }
      }
      // MS-OXCFXICS 3.1.5.6.2.1: a conflict resolve message is not synchronized itself; its conflicting versions
      // are, each as a messageChange of the same source key with its own change key and PCL, and the client builds
      // its own resolve message from them (the same winner rule, 3.1.5.6.2.2)
      const versions = (await this.sendInConflict(m, msg)) ? await this.conflictVersions(msg, m.id) : null;
      try {
        if (versions) {
          yield note;
          for (const [k, ver] of versions.entries()) {
            yield this.messageChange(m, progress && k === 0, ver) ?? [];
            yield* this.content(ver.msg, this.contentOpts(m.assoc));
          }
          this.stats.conflictVersions += versions.length;
        } else {
          items!.unshift(note);
          yield items!;
          yield* this.content(msg, this.contentOpts(m.assoc));
        }
      } finally {
        for (const ver of versions ?? []) await ver.msg.discard();
        await msg.discard();
      }
      sent.push(m.cid);
      sentIds.add(m.id);
      n++;
      this.stats.messagesSent++;
    }
    yield { kind: 'progress', inProgressCount: n, totalStepCount: total };

    // deletions: only what the client has, and not live again in the folder
    const deleted: Removed[] = [];
    if (needDeletes) {
      for (const t of tombs) {
        if (live.has(t.id)) continue;
        const r = await this.given('message', t.id);
        if (r) deleted.push(r);
      }
    }
    const ignoreNlis = (flags & SYNC_FLAGS.IgnoreNoLongerInScope) !== 0;
    const nlis: Removed[] = [];
    if (!ignoreNlis) {
      for (const id of outOfScope) {
        const r = await this.given('message', id);
        if (r) nlis.push(r);
      }
    }
    this.stats.deleted = deleted.length;
    this.stats.noLongerInScope = nlis.length;
    if (deleted.length > 0 || nlis.length > 0) yield* deletionsElement(deleted.map((r) => this.wireId(r)), nlis.map((r) => this.wireId(r)));

    // readStateChanges
    // (a client without any id - a first synchronization - has no read state to be told about)
    if (flags & SYNC_FLAGS.ReadState && !given.isEmpty()) {
      const readSince = contiguousSeen(st.cnsetRead, guid);
      const reads = await mb.readChangesSince(config.fid, eidFrom(1, readSince));
      this.stats.storeCalls++;
      const read: bigint[] = [];
      const unread: bigint[] = [];
      for (const r of reads) {
        const g = eidGlobcntNumber(r.cn);
        // readChangesSince lists messages of this folder only
        if (g > hw || st.cnsetRead.hasGlobcnt(guid, g) || sentIds.has(r.id)) continue;
        const known = await this.given('message', r.id);
        if (known) (r.read ? read : unread).push(this.wireId(known));
      }
      this.stats.readChanges = read.length + unread.length;
      if (read.length > 0 || unread.length > 0) yield* readStateElement(read, unread);
    }

    // final state
    const fin: IcsState = {
      idsetGiven: idsetAfter(given, guid, sent, [...deleted, ...nlis]),
      cnsetSeen: wantNormal ? withUpTo(st.cnsetSeen, guid, hw) : st.cnsetSeen.clone(),
      cnsetSeenFAI: wantFai ? withUpTo(st.cnsetSeenFAI, guid, hw) : st.cnsetSeenFAI.clone(),
      cnsetRead: flags & SYNC_FLAGS.ReadState ? withUpTo(st.cnsetRead, guid, hw) : st.cnsetRead.clone(),
    };
    this.finalState = fin;
    yield* stateElements(fin, 'contents');
    yield { kind: 'marker', tag: Marker.IncrSyncEnd };
  }

  /**
   * Whether candidate `m` is a conflict resolve message (PidTagMessageStatus msInConflict), from the opened message:
   * readHeader reads only what the store computes from its row (no status) unless a restriction needed all.
   */
  private async sendInConflict(m: Candidate, msg: MessageObject): Promise<boolean> {
    if (m.assoc) return false;
    if (m.inConflict) return true;
    const [r] = await msg.getProps([PidTagMessageStatus]);
    return !!r && 'value' in r && typeof r.value === 'number' && (r.value & MS_IN_CONFLICT) !== 0;
  }

  /** The header properties of a candidate; null when it fails the restriction, undefined when it is gone. */
  private async readHeader(c: ChangeEntry, evaluator: RestrictionEvaluator | null): Promise<Candidate | null | undefined> {
    let res: PropResult[];
    try {
      if (evaluator) {
        const all = await this.mb.getMessageProps(c.id);
        const map = new Map<number, PropValue>();
        for (const r of all) if ('value' in r) map.set(r.tag >>> 0, r.value);
        let ok = false;
        try {
          ok = evaluator.matches((t) => lookupProp(map, t), c.id);
        } catch {
          ok = false;
        }
        if (!ok) return null;
        res = headerResults(all);
      } else {
        res = headerResults(await this.mb.getMessageProps(c.id, this.headerTags()));
      }
    } catch (e) {
      if (e instanceof StoreError && e.ec === SEC.NotFound) return undefined;
      throw e;
    }
    return this.candidateOf(c, res);
  }

  /** PidTagMessageStatus is read when the message is opened (sendInConflict); the delivery time only to order by it. */
  private headerTags(): readonly number[] {
    return this.config.extraFlags & SYNC_EXTRA.OrderByDeliveryTime ? HEADER_TAGS_DELIVERY : HEADER_TAGS_ROW;
  }

  /** readHeader of candidates without a restriction, in one store call (MailboxStore.getMessagesProps). */
  private async readHeaders(group: readonly ChangeEntry[]): Promise<Array<Candidate | undefined>> {
    const got = await this.mb.getMessagesProps!(group.map((c) => c.id), this.headerTags());
    return group.map((c, k) => {
      const g = got[k];
      return g ? this.candidateOf(c, headerResults(g)) : undefined; // null: gone meanwhile
    });
  }

  /** A candidate from its header properties (HEADER_TAGS order). */
  private candidateOf(c: ChangeEntry, res: readonly PropResult[]): Candidate {
    const size = valueOf(res, TAG.MessageSize);
    const delivery = valueOf(res, TAG.MessageDeliveryTime);
    const status = valueOf(res, PidTagMessageStatus);
    const inConflict = !c.associated && typeof status === 'number' && (status & MS_IN_CONFLICT) !== 0;
    const sk = valueOf(res, TAG.SourceKey);
    const cid = (!this.noForeign && Buffer.isBuffer(sk) ? clientIdOfKey(sk) : null) ?? { guid: this.mb.replGuid.toLowerCase(), globcnt: eidGlobcntNumber(c.id) };
    const lm = valueOf(res, TAG.LastModificationTime);
    const ck = valueOf(res, TAG.ChangeKey);
    const pcl = valueOf(res, TAG.PredecessorChangeList);
    const chn = valueOf(res, TAG.ChangeNumber);
    return {
      id: c.id, cid, cn: c.cn, assoc: c.associated, inConflict,
      sourceKey: Buffer.isBuffer(sk) ? sk : null,
      lastModified: typeof lm === 'bigint' ? lm : 0n,
      changeKey: Buffer.isBuffer(ck) ? ck : EMPTY,
      pcl: Buffer.isBuffer(pcl) ? pcl : EMPTY,
      changeNumber: typeof chn === 'bigint' ? chn : c.cn,
      size: typeof size === 'number' ? size : 0, delivery: typeof delivery === 'bigint' ? delivery : 0n,
    };
  }

  /**
   * The conflicting versions of conflict resolve message `msg` (attachments with PidTagInConflict TRUE holding an
   * embedded message), each with the change key, PCL and PidTagLastModificationTime it was made with (VERSION_TAGS on
   * the attachment, else on the embedded message). Null (the
   * resolve message is then sent as it is, logged) when there are fewer than two or one lacks its change key or PCL.
   */
  private async conflictVersions(msg: MessageObject, mid: bigint): Promise<ConflictVersion[] | null> {
    const out: ConflictVersion[] = [];
    const fail = async (why: string): Promise<null> => {
      for (const v of out) await v.msg.discard();
      this.log.warn({ mid: `0x${mid.toString(16)}`, why }, 'ICS download: conflict resolve message sent whole');
      return null;
    };
    const rows = await msg.attachmentTable([PidTagInConflict, PidTagAttachMethod]);
    for (const row of rows) {
      const [inc, method] = row.props;
      if (!inc || !('value' in inc) || inc.value !== true || !method || !('value' in method) || method.value !== ATTACH_EMBEDDED) continue;
      const att = await msg.openAttachment(row.attachNum);
      let emb: MessageObject;
      let tracking: PropResult[];
      try {
        tracking = await att.getProps(VERSION_TAGS);
        emb = await att.openEmbeddedMessage(false);
      } catch (e) {
        await att.discard();
        if (e instanceof StoreError && e.ec === SEC.NotFound) return fail('a version attachment has no embedded message');
        throw e;
      }
      await att.discard();
      // the version's change tracking: on its attachment (the store computes these on messages, embedded ones too)
      if (tracking.some((r) => !('value' in r))) tracking = await emb.getProps(VERSION_TAGS);
      const [ck, pcl, lm] = tracking.map((r) => ('value' in r ? r.value : undefined));
      out.push({ msg: emb, changeKey: Buffer.isBuffer(ck) ? ck : Buffer.alloc(0), pcl: Buffer.isBuffer(pcl) ? pcl : Buffer.alloc(0), lastModified: typeof lm === 'bigint' ? lm : 0n });
      if (!Buffer.isBuffer(ck) || ck.length === 0 || !Buffer.isBuffer(pcl) || pcl.length === 0) return fail('a version lacks its change key or PCL');
    }
    if (out.length < 2) return fail(`${out.length} conflicting version(s)`);
    return out;
  }

  /**
   * MS-OXCFXICS 2.2.4.3.11-13 messageChangeFull up to IncrSyncMessage: IncrSyncChg messageChangeHeader IncrSyncMessage.
   * `ver`: a conflicting version's change tracking instead of the message's.
   */
  private messageChange(m: Candidate, progress: boolean, ver?: ConflictVersion): FxSourceItem[] | null {
    const head: FxSourceItem[] = [];
    if (progress) head.push(...progressPerMessage(m.size, m.assoc));
    const x = this.config.extraFlags;
    const stored = m.sourceKey;
    if (stored === null) return null;
    const sk = this.noForeign ? this.serverKey(m.id) : stored;
    head.push({ kind: 'marker', tag: Marker.IncrSyncChg });
    // 2.2.4.3.13 messageChangeHeader: fixed positions first
    head.push({ kind: 'prop', tag: TAG.SourceKey, value: sk });
    head.push({ kind: 'prop', tag: TAG.LastModificationTime, value: ver ? ver.lastModified : m.lastModified });
    head.push({ kind: 'prop', tag: TAG.ChangeKey, value: ver ? ver.changeKey : m.changeKey });
    head.push({ kind: 'prop', tag: TAG.PredecessorChangeList, value: ver ? ver.pcl : m.pcl });
    head.push({ kind: 'prop', tag: TAG.Associated, value: m.assoc });
    if (x & SYNC_EXTRA.Eid) head.push({ kind: 'prop', tag: TAG.Mid, value: m.id });
    if (x & SYNC_EXTRA.MessageSize) head.push({ kind: 'prop', tag: TAG.MessageSize, value: m.size });
    if (x & SYNC_EXTRA.Cn) head.push({ kind: 'prop', tag: TAG.ChangeNumber, value: m.changeNumber });
    head.push({ kind: 'marker', tag: Marker.IncrSyncMessage });
    return head;
  }

  /**
   * Which properties a message carries (2.2.3.2.1.1.1): PropertyTags is an exclude list, or with
   * OnlySpecifiedProperties an include list (not for FAI messages with IgnoreSpecifiedOnFAI).
   */
  private contentOpts(assoc: boolean): Parameters<MessageContentProducer>[1] {
    const { flags, propertyTags } = this.config;
    const only = (flags & SYNC_FLAGS.OnlySpecifiedProperties) !== 0 && !(assoc && flags & SYNC_FLAGS.IgnoreSpecifiedOnFAI);
    const ignoreList = assoc && (flags & SYNC_FLAGS.IgnoreSpecifiedOnFAI) !== 0;
    return {
      mb: this.mb,
      log: this.log,
      tags: only ? propertyTags : null,
      exclude: only || ignoreList ? new Set<number>() : new Set(propertyTags.map((t) => propId(t))),
      encode: this.encode,
      bestBody: (flags & SYNC_FLAGS.BestBody) !== 0,
    };
  }

  // ------------------------------------------------------------------ hierarchy

  private async *hierarchyItems(): AsyncGenerator<FxSourceYield> {
    const { mb, config } = this;
    const guid = mb.replGuid.toLowerCase();
    const st = this.holder.state;
    const hw = eidGlobcntNumber(await mb.currentCn());
    const since = contiguousSeen(st.cnsetSeen, guid);
    const given = st.idsetGiven;
    const sent: ClientId[] = [];
    const live = new Set<bigint>();
    const tombs: ChangeEntry[] = [];
    // breadth first over the live subtree: parents before children
    const queue: bigint[] = [config.fid];
    while (queue.length > 0) {
      const fid = queue.shift() as bigint;
      let kids: bigint[];
      let changes: ChangeEntry[];
      try {
        [kids, changes] = await Promise.all([mb.children(fid), mb.changesSince(fid, 'folder', eidFrom(1, since))]);
      } catch (e) {
        if (e instanceof StoreError && e.ec === SEC.NotFound && fid !== config.fid) continue; // deleted meanwhile
        throw e;
      }
      this.stats.storeCalls += 2;
      for (const k of kids) {
        live.add(k);
        queue.push(k);
      }
      for (const c of changes) {
        const g = eidGlobcntNumber(c.cn);
        if (g > hw) continue;
        if (c.deleted) {
          tombs.push(c);
          continue;
        }
        if (st.cnsetSeen.hasGlobcnt(guid, g)) continue;
        const el = await this.folderChange(c.id, fid);
        this.stats.storeCalls++;
        if (!el) continue;
        yield* el.items;
        sent.push(el.cid);
        this.stats.foldersSent++;
      }
    }
    const deleted: Removed[] = [];
    if ((config.flags & SYNC_FLAGS.NoDeletions) === 0) {
      const seen = new Set<bigint>();
      for (const t of tombs) {
        if (live.has(t.id) || seen.has(t.id)) continue;
        seen.add(t.id);
        const r = await this.given('folder', t.id);
        if (r) deleted.push(r);
      }
    }
    this.stats.deleted = deleted.length;
    if (deleted.length > 0) yield* deletionsElement(deleted.map((r) => this.wireId(r)), []);
    const fin: IcsState = {
      idsetGiven: idsetAfter(given, guid, sent, deleted),
      cnsetSeen: withUpTo(st.cnsetSeen, guid, hw),
      cnsetSeenFAI: st.cnsetSeenFAI.clone(),
      cnsetRead: st.cnsetRead.clone(),
    };
    this.finalState = fin;
    yield* stateElements(fin, 'hierarchy');
    yield { kind: 'marker', tag: Marker.IncrSyncEnd };
  }

  /** MS-OXCFXICS 2.2.4.3.5 folderChange of `fid` (whose parent is `parent`); null when the folder is gone. */
  private async folderChange(fid: bigint, parent: bigint): Promise<{ items: FxElement[]; cid: ClientId } | null> {
    let props: PropResult[];
    try {
      props = await this.mb.getFolderProps(fid);
    } catch (e) {
      if (e instanceof StoreError && e.ec === SEC.NotFound) return null;
      throw e;
    }
    const map = new Map<number, PropValue>();
    for (const r of props) if ('value' in r) map.set(r.tag >>> 0, r.value);
    const x = this.config.extraFlags;
    const nf = this.noForeign;
    const storedSk = map.get(TAG.SourceKey);
    const sk = nf ? this.serverKey(fid) : Buffer.isBuffer(storedSk) ? storedSk : this.serverKey(fid);
    const parentSk = parent === this.config.fid ? Buffer.alloc(0) : nf ? this.serverKey(parent) : (map.get(TAG.ParentSourceKey) ?? Buffer.alloc(0));
    const out: FxElement[] = [
      { kind: 'marker', tag: Marker.IncrSyncChg },
      { kind: 'prop', tag: TAG.ParentSourceKey, value: parentSk },
      { kind: 'prop', tag: TAG.SourceKey, value: sk },
      { kind: 'prop', tag: TAG.LastModificationTime, value: map.get(TAG.LastModificationTime) ?? 0n },
      { kind: 'prop', tag: TAG.ChangeKey, value: map.get(TAG.ChangeKey) ?? Buffer.alloc(0) },
      { kind: 'prop', tag: TAG.PredecessorChangeList, value: map.get(TAG.PredecessorChangeList) ?? Buffer.alloc(0) },
      { kind: 'prop', tag: TAG.DisplayName, value: map.get(TAG.DisplayName) ?? '' },
    ];
    if (x & SYNC_EXTRA.Eid) {
      out.push({ kind: 'prop', tag: TAG.FolderId, value: fid });
      out.push({ kind: 'prop', tag: TAG.ParentFolderId, value: parent });
    }
    if (x & SYNC_EXTRA.Cn) out.push({ kind: 'prop', tag: TAG.ChangeNumber, value: map.get(TAG.ChangeNumber) ?? 0n });
    const { flags, propertyTags } = this.config;
    const only = (flags & SYNC_FLAGS.OnlySpecifiedProperties) !== 0;
    const listed = new Set(propertyTags.map((t) => propId(t)));
    for (const [tag, value] of map) {
      const id = propId(tag);
      if (FOLDER_NOT_SENT.has(id) || propType(tag) === PT.ERROR) continue;
      if (only ? !listed.has(id) : listed.has(id)) continue;
      out.push({ kind: 'prop', tag, value });
    }
    const cid = clientIdOfKey(sk) ?? { guid: this.mb.replGuid.toLowerCase(), globcnt: eidGlobcntNumber(fid) };
    return { items: out, cid };
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * given + sent - removed, in REPLGUID form: sent objects under the id their source key names (the client's own for
 * its imports), removed ones out under both that id and the server's.
 */
function idsetAfter(given: IdSet<string>, guid: string, sent: readonly ClientId[], removed: readonly Removed[]): IdSet<string> {
  const s = given.clone();
  for (const c of sent) s.addGlobcnt(c.guid, c.globcnt);
  for (const r of removed) {
    s.get(r.cid.guid)?.remove(r.cid.globcnt);
    s.get(guid)?.remove(eidGlobcntNumber(r.id));
  }
  for (const [k, g] of [...s.map]) if (g.isEmpty()) s.map.delete(k);
  return s;
}

/** cnset + 1..hw of this replica. */
function withUpTo(cnset: IdSet<string>, guid: string, hw: number): IdSet<string> {
  const s = cnset.clone();
  if (hw >= 1) s.addGlobcnt(guid, 1, hw);
  return s;
}

/** MS-OXCFXICS 2.2.4.3.4 deletions: IncrSyncDel, MetaTagIdsetDeleted, MetaTagIdsetNoLongerInScope (REPLID IDSETs). */
function* deletionsElement(deleted: readonly bigint[], nlis: readonly bigint[]): Generator<FxSourceItem> {
  yield { kind: 'marker', tag: Marker.IncrSyncDel };
  if (deleted.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetDeleted, value: encodeIdsetReplId(IdSet.fromIds(deleted)) };
  if (nlis.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetNoLongerInScope, value: encodeIdsetReplId(IdSet.fromIds(nlis)) };
}

/** MS-OXCFXICS 2.2.4.3.22 readStateChanges: IncrSyncRead, MetaTagIdsetRead, MetaTagIdsetUnread (REPLID IDSETs). */
function* readStateElement(read: readonly bigint[], unread: readonly bigint[]): Generator<FxSourceItem> {
  yield { kind: 'marker', tag: Marker.IncrSyncRead };
  if (read.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetRead, value: encodeIdsetReplId(IdSet.fromIds(read)) };
  if (unread.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetUnread, value: encodeIdsetReplId(IdSet.fromIds(unread)) };
}

/** MS-OXCFXICS 2.2.2.7 ProgressInformation (32 bytes). */
export function encodeProgressInformation(fai: { count: number; size: number }, normal: { count: number; size: number }): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt16LE(0, 0); // Version
  b.writeUInt16LE(0, 2); // Padding1
  b.writeUInt32LE(fai.count >>> 0, 4);
  b.writeBigUInt64LE(BigInt(fai.size), 8);
  b.writeUInt32LE(normal.count >>> 0, 16);
  b.writeUInt32LE(0, 20); // Padding2
  b.writeBigUInt64LE(BigInt(normal.size), 24);
  return b;
}

/** MS-OXCFXICS 2.2.4.3.19 progressTotal. */
function* progressTotal(list: readonly Queued[]): Generator<FxSourceItem> {
  const fai = { count: 0, size: 0 };
  const normal = { count: 0, size: 0 };
  for (const m of list) {
    const t = m.assoc ? fai : normal;
    t.count++;
    t.size += m.size;
  }
  yield { kind: 'marker', tag: Marker.IncrSyncProgressMode };
  yield { kind: 'prop', tag: PROGRESS_TOTAL_TAG, value: encodeProgressInformation(fai, normal) };
}

/** MS-OXCFXICS 2.2.4.3.18 progressPerMessage. */
function progressPerMessage(size: number, assoc: boolean): FxSourceItem[] {
  return [
    { kind: 'marker', tag: Marker.IncrSyncProgressPerMsg },
    { kind: 'prop', tag: PROGRESS_SIZE_TAG, value: size },
    { kind: 'prop', tag: PROGRESS_FAI_TAG, value: assoc },
  ];
}
