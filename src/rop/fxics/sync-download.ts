// MS-OXCFXICS ICS download: the synchronization download context of RopSynchronizationConfigure (2.2.3.2.1.1,
// 3.2.5.9.1.1) and its FastTransfer stream, contentsSync and hierarchySync (2.2.4.2, 2.2.4.3), computed as
// 3.2.5.3 "Determining What Differences To Download" says, from the store's change journal in O(changes).
//
//   contentsSync  = [progressTotal] *([progressPerMessage] messageChange) [deletions] [readStateChanges] state IncrSyncEnd
//   hierarchySync = *folderChange [deletions] state IncrSyncEnd
//
// This module holds the context (IcsDownloadContext: the request, the ICS state, the stream, the client's namespace);
// the streams come from sync-download-contents.ts (contentsSync, with each message's part in
// sync-download-message.ts) and sync-download-hierarchy.ts (hierarchySync); what they share is in
// sync-download-common.ts (flags, client ids, final-state arithmetic, deletions).
//
// How the differences are found (3.2.5.3, 3.2.5.6):
// - The high-water mark `hw` is the store's current CN when the download starts; changes with a CN above it are left
//   for the next synchronization (the state says nothing about them).
// - `since` is the end of the CNSET's first range when that range starts at GLOBCNT 1 (every CN up to it was seen),
//   else 0. changesSince(fid, 'message', since) then lists exactly the candidates (CN > since) from the (fid, cn)
//   index; each candidate is checked against the CNSET itself, so a CNSET with gaps (CNs a client imported itself)
//   is still honoured: the cost is the changes after the first gap, never the folder size.
// - Deletions (tombstones, soft and hard alike: MetaTagIdsetDeleted holds both, 2.2.1.3.1) only for ids in
//   MetaTagIdsetGiven, never with NoDeletions; an id that is live in the scope again is not reported.
// - The final state covers exactly what was sent: IdsetGiven = given + sent - deleted - no longer in scope;
//   CnsetSeen / CnsetSeenFAI / CnsetRead gain 1..hw only when Normal / FAI / ReadState was asked for.
//
// - The client's namespace (3.3.5.2.3 foreign identifiers, 3.3.5.6 checkpointing): an object the client uploaded
//   under its own PidTagSourceKey (a GID of a RopGetLocalReplicaIds range, or an XID of its own GUID) is known to it
//   by that key, not by the server's id. The header carries the stored key (the store reports the client's), the
//   state's MetaTagIdsetGiven names the object by the key's (GUID, GLOBCNT), and an object counts as given when
//   IdsetGiven holds either that id or the server's (an upload collector's state names imports by server ids).
//   Deletions, no-longer-in-scope and read changes name it by the client's id; removed objects leave IdsetGiven under
//   both. With NoForeignIdentifiers (2.2.3.2.1.1.1) source keys and ids are the server's (GIDs of the FID/MID).
//
// Choices where the spec leaves room (each one place, in this module or the one named):
// - REPLID-form IDSETs of the stream (deletions, read states) can name only this replica (REPLID 1): an object known
//   by a foreign GUID is named there by the server's id (logged once); the state keeps the client's namespace.
// - MetaTagFXDelProp goes before the recipients and the attachments of every messageChange (sync-content.ts).
import { eidFrom, eidGlobcntNumber } from '../../mapi/idset.js';
import { encodeXid } from '../../mapi/ids.js';
import type { RopRestriction } from '../../mapi/ropres.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import type { MailboxStore, MessageObject } from '../../mapistore/types.js';
import type { Logger } from '../../util/log.js';
import type { ServerObject } from '../types.js';
import type { FxEncodeOptions, FxStringMode } from './props.js';
import type { FxSourceBuffer as SourceBuffer, FxSourceLike } from './source.js';
import { clientIdOfKey, SEND_OPTIONS, SYNC_FLAGS, type ClientId, type Removed } from './sync-download-common.js';
import { contentsItems } from './sync-download-contents.js';
import { hierarchyItems } from './sync-download-hierarchy.js';
import { cloneState, IcsStateHolder, toSourceBuffer, type IcsState } from './sync-state.js';
import { FxStreamProducer, TransferStatus, type FxSourceYield } from './writer.js';

export { clientIdOfKey, contiguousSeen, SEND_OPTIONS, SYNC_EXTRA, SYNC_FLAGS, SYNC_TYPE, type ClientId } from './sync-download-common.js';
export { BATCH } from './sync-download-contents.js';
export { encodeProgressInformation, VERSION_TAGS } from './sync-download-message.js';

/** IcsDownloadContext.keepHeadersUpTo: at most ~2.5 MB of change headers are kept for a whole download. */
const KEEP_HEADERS = 4096;

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

/**
 * The ICS download context (server object kind 'icsDownload'): holds the uploaded state until the first GetBuffer,
 * then produces the stream lazily (FxSourceLike). `finalState` is the state the stream ends with.
 */
export class IcsDownloadContext implements ServerObject, FxSourceLike {
  readonly kind = 'icsDownload' as const;
  readonly holder: IcsStateHolder;
  readonly stats: SyncStats = { candidates: 0, messagesSent: 0, foldersSent: 0, deleted: 0, noLongerInScope: 0, readChanges: 0, storeCalls: 0, conflictVersions: 0 };
  private producer: FxStreamProducer | null = null;
  /** @internal the state the stream ends with (set by its producer when it gets there) */
  finalState: IcsState | null = null;
  private completed = false;
  private warnedForeign = false;
  /** @internal */
  readonly encode: FxEncodeOptions;

  /**
   * A contents download of more messages than this keeps only their Queued part until each one's turn (the rest of
   * its change header is read from the opened message then): ~0.15 instead of ~0.6 KB of heap per message.
   */
  keepHeadersUpTo = KEEP_HEADERS;

  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    /** @internal */ readonly mb: MailboxStore,
    readonly config: SyncConfig,
    /** @internal */ readonly content: MessageContentProducer,
    /** @internal */ readonly log: Logger,
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

  /** @internal NoForeignIdentifiers: every id and source key in the server's own namespace (MS-OXCFXICS 2.2.3.2.1.1.1). */
  get noForeign(): boolean {
    return (this.config.flags & SYNC_FLAGS.NoForeignIdentifiers) !== 0;
  }

  /** @internal the server's GID of `id` (replica GUID + GLOBCNT, 22 bytes, MS-OXCDATA 2.2.1.3). */
  serverKey(id: bigint): Buffer {
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
   * @internal
   */
  async given(kind: 'folder' | 'message', id: bigint): Promise<Removed | null> {
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
   * @internal
   */
  wireId(r: Removed): bigint {
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
    return this.config.type === 'hierarchy' ? hierarchyItems(this) : contentsItems(this);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
