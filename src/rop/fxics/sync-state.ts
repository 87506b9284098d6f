// MS-OXCFXICS 2.2.1.1 ICS state (MetaTagIdsetGiven, MetaTagCnsetSeen, MetaTagCnsetSeenFAI, MetaTagCnsetRead), its
// upload through RopSynchronizationUploadStateStreamBegin/Continue/End (2.2.3.2.2, 3.2.5.9.2) and its download
// through RopSynchronizationGetTransferState (2.2.3.2.3.1, 3.2.5.9.3.1) and the `state` element (2.2.4.3.24).
// Shared by the ICS download context (sync-download.ts) and the ICS upload collector (K5): both hold an
// `IcsStateHolder` and the handlers in handlers/oxcfxics-sync.ts serve the state ROPs on either.
//
// Choices where the spec leaves room (each one place, below):
// - The four properties are kept apart, all in REPLGUID form (IdSet<string>): replicas this server does not know
//   are kept as the client sent them and written back unchanged.
// - MetaTagIdsetGiven is accepted with either tag (0x40170003 as the spec names it, 0x40170102 as some clients send
//   it) and in either IDSET form: REPLGUID (what 2.2.1.1.1 says) or REPLID (seen from some clients); REPLID 1 is this
//   mailbox's replica, other REPLIDs are dropped (they can never name a server id). The REPLGUID form is tried first;
//   the REPLID form when that fails or names no replica of this mailbox while the REPLID form names ours. Bytes that
//   are no REPLGUID IDSET and, read as a REPLID one, name no REPLID 1 are refused (they name nothing of ours and are
//   most likely corrupt).
// - The CNSETs are accepted in REPLGUID form only (2.2.1.1.2-4); one naming a CN of this mailbox's replica above the
//   last CN issued is refused (ecInvalidParam): such a state was not made by this server.
// - An upload is one property at a time: Begin while another is in progress, Continue or End without Begin, and any
//   state upload once the download has started are refused with ecError. More bytes than TransferBufferSize, fewer at
//   End, a TransferBufferSize over MAX_STATE_BYTES and an unknown StateProperty are refused with ecInvalidParam.
//   Bytes that do not decode as an IDSET (IdsetError: truncated, ranges reversed or overlapping, unknown commands,
//   ...) are refused with ecRpcFormat (0x4B6), the SHOULD of 3.1.5.4.3.2 (ecFormatError is the MAY). Every refusal
//   has a log line and leaves the property as it was.
// - RopSynchronizationGetTransferState returns a snapshot: changes to the context after the ROP do not reach it. On
//   an upload context the snapshot has no MetaTagIdsetGiven (3.2.5.2.1: the server ignores it in upload operations
//   and does not download it back; 3.3.5.13: the client merges its own back in): the `state` element then carries
//   MetaTagCnsetSeen (and for contents MetaTagCnsetSeenFAI, MetaTagCnsetRead) only.
import {
  IdSet, IdsetError, decodeIdsetReplGuid, decodeIdsetReplId, encodeIdsetReplGuid,
} from '../../mapi/idset.js';
import type { Logger } from '../../util/log.js';
import { ec } from '../ec.js';
import { Marker, MetaTag, MetaTagIdsetGivenBinary } from './markers.js';
import type { FxElement, FxEncodeOptions } from './props.js';
import type { FxSourceBuffer as SourceBuffer, FxSourceLike } from './source.js';
import { FxStreamProducer, TransferStatus } from './writer.js';

/** The state properties a client may upload (MS-OXCFXICS 2.2.3.2.2.1.1). */
export const STATE_TAGS = {
  IdsetGiven: MetaTag.MetaTagIdsetGiven,
  IdsetGivenBinary: MetaTagIdsetGivenBinary,
  CnsetSeen: MetaTag.MetaTagCnsetSeen,
  CnsetSeenFAI: MetaTag.MetaTagCnsetSeenFAI,
  CnsetRead: MetaTag.MetaTagCnsetRead,
} as const;

/** Largest state property accepted (bytes). A 10,000-message folder's IDSET is a few KiB; this leaves ample room. */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

export type StatePropName = 'idsetGiven' | 'cnsetSeen' | 'cnsetSeenFAI' | 'cnsetRead';

/** MS-OXCFXICS 2.2.1.1 the ICS state of a synchronization context, every set in REPLGUID form. */
export interface IcsState {
  /** Ids (MIDs or FIDs) the client has. */
  idsetGiven: IdSet<string>;
  /** CNs of normal messages (contents) or folders (hierarchy) the client has seen. */
  cnsetSeen: IdSet<string>;
  /** CNs of FAI messages the client has seen (contents only). */
  cnsetSeenFAI: IdSet<string>;
  /** Read-state CNs the client has seen (contents only). */
  cnsetRead: IdSet<string>;
}

export function emptyState(): IcsState {
  return { idsetGiven: new IdSet<string>(), cnsetSeen: new IdSet<string>(), cnsetSeenFAI: new IdSet<string>(), cnsetRead: new IdSet<string>() };
}

export function cloneState(s: IcsState): IcsState {
  return { idsetGiven: s.idsetGiven.clone(), cnsetSeen: s.cnsetSeen.clone(), cnsetSeenFAI: s.cnsetSeenFAI.clone(), cnsetRead: s.cnsetRead.clone() };
}

/** The state property a StateProperty tag names, or undefined. */
export function statePropOf(tag: number): StatePropName | undefined {
  switch (tag >>> 0) {
    case STATE_TAGS.IdsetGiven:
    case STATE_TAGS.IdsetGivenBinary:
      return 'idsetGiven';
    case STATE_TAGS.CnsetSeen:
      return 'cnsetSeen';
    case STATE_TAGS.CnsetSeenFAI:
      return 'cnsetSeenFAI';
    case STATE_TAGS.CnsetRead:
      return 'cnsetRead';
    default:
      return undefined;
  }
}

/** The REPLID-form IdSet of this mailbox's ids (REPLID 1) as REPLGUID form. */
function replIdToGuidForm(s: IdSet<number>, replGuid: string): IdSet<string> {
  return s.toReplGuid((r) => (r === 1 ? replGuid : undefined));
}

/**
 * Decodes one uploaded state property (see the header comment for the forms accepted). Throws IdsetError when the
 * bytes are not an IDSET.
 */
export function decodeStateProperty(prop: StatePropName, bytes: Uint8Array, replGuid: string): IdSet<string> {
  const guid = replGuid.toLowerCase();
  if (prop !== 'idsetGiven') return decodeIdsetReplGuid(bytes);
  let asGuid: IdSet<string> | undefined;
  let guidErr: unknown;
  try {
    asGuid = decodeIdsetReplGuid(bytes);
  } catch (e) {
    guidErr = e;
  }
  if (asGuid && (asGuid.isEmpty() || asGuid.get(guid) !== undefined)) return asGuid;
  let asId: IdSet<number> | undefined;
  try {
    asId = decodeIdsetReplId(bytes);
  } catch (e) {
    if (asGuid) return asGuid;
    throw guidErr ?? e;
  }
  if (asId.get(1) === undefined) {
    if (asGuid) return asGuid;
    // not a REPLGUID IDSET, and as a REPLID one it names nothing of this mailbox: bytes that happen to parse, refused
    // with the REPLGUID form's error
    throw guidErr;
  }
  return replIdToGuidForm(asId, guid);
}

/** One state property being uploaded (between Begin and End). */
interface PendingUpload {
  prop: StatePropName;
  size: number;
  parts: Buffer[];
  got: number;
}

/**
 * The ICS state of one synchronization context (download or upload) and the upload in progress. `locked`: the
 * download has started, state uploads are refused from then on.
 */
export class IcsStateHolder {
  state: IcsState = emptyState();
  private pending: PendingUpload | null = null;
  locked = false;

  constructor(readonly replGuid: string) {}

  /** RopSynchronizationUploadStateStreamBegin. */
  begin(stateProperty: number, transferBufferSize: number, log: Logger): number {
    if (this.locked) return refuse(log, ec.Error, 'state upload after the download started');
    if (this.pending) return refuse(log, ec.Error, 'state upload begun while another is in progress');
    const prop = statePropOf(stateProperty);
    if (!prop) return refuse(log, ec.InvalidParam, `unknown state property 0x${(stateProperty >>> 0).toString(16)}`);
    if (transferBufferSize > MAX_STATE_BYTES) return refuse(log, ec.InvalidParam, `state property of ${transferBufferSize} bytes is too large`);
    this.pending = { prop, size: transferBufferSize >>> 0, parts: [], got: 0 };
    return ec.Success;
  }

  /** RopSynchronizationUploadStateStreamContinue. */
  continue(data: Uint8Array, log: Logger): number {
    const p = this.pending;
    if (!p) return refuse(log, ec.Error, 'state upload continued without a begin');
    if (p.got + data.length > p.size) {
      this.pending = null;
      return refuse(log, ec.InvalidParam, `state property longer than the ${p.size} bytes announced`);
    }
    p.parts.push(Buffer.from(data));
    p.got += data.length;
    return ec.Success;
  }

  /**
   * RopSynchronizationUploadStateStreamEnd: the property takes the uploaded value (or stays as it was on failure).
   * `maxCn`: the GLOBCNT of the mailbox's current CN; a CNSET naming a CN of this replica above it (never issued) is
   * refused with ecInvalidParam.
   */
  end(log: Logger, maxCn?: number): number {
    const p = this.pending;
    this.pending = null;
    if (!p) return refuse(log, ec.Error, 'state upload ended without a begin');
    if (p.got !== p.size) return refuse(log, ec.InvalidParam, `state property of ${p.got} bytes, ${p.size} announced`);
    let value: IdSet<string>;
    try {
      value = decodeStateProperty(p.prop, Buffer.concat(p.parts), this.replGuid);
    } catch (e) {
      // MS-OXCFXICS 3.1.5.4.3.2: a decoding failure SHOULD be answered with ecRpcFormat
      if (e instanceof IdsetError) return refuse(log, ec.RpcFormat, `corrupt ${p.prop}: ${e.code}: ${e.message}`);
      throw e;
    }
    if (maxCn !== undefined && p.prop !== 'idsetGiven') {
      const top = value.get(this.replGuid.toLowerCase())?.max();
      if (top !== undefined && top > maxCn) return refuse(log, ec.InvalidParam, `${p.prop} names CN ${top}, never issued (last ${maxCn})`);
    }
    this.state = { ...this.state, [p.prop]: value };
    return ec.Success;
  }

  /** True while a property upload is between Begin and End. */
  get uploading(): boolean {
    return this.pending !== null;
  }
}

function refuse(log: Logger, code: number, why: string): number {
  log.info({ why }, 'ICS state upload refused');
  return code;
}

/**
 * MS-OXCFXICS 2.2.4.3.24 the `state` element: IncrSyncStateBegin, MetaTagIdsetGiven, MetaTagCnsetSeen, for contents
 * also MetaTagCnsetSeenFAI and MetaTagCnsetRead, IncrSyncStateEnd. `idsetGiven: false`: without MetaTagIdsetGiven
 * (the state of an upload context, 3.2.5.2.1).
 */
export function stateElements(s: IcsState, kind: 'contents' | 'hierarchy', opts: { idsetGiven?: boolean } = {}): FxElement[] {
  const out: FxElement[] = [{ kind: 'marker', tag: Marker.IncrSyncStateBegin }];
  if (opts.idsetGiven !== false) out.push({ kind: 'prop', tag: MetaTag.MetaTagIdsetGiven, value: encodeIdsetReplGuid(s.idsetGiven) });
  out.push({ kind: 'prop', tag: MetaTag.MetaTagCnsetSeen, value: encodeIdsetReplGuid(s.cnsetSeen) });
  if (kind === 'contents') {
    out.push(
      { kind: 'prop', tag: MetaTag.MetaTagCnsetSeenFAI, value: encodeIdsetReplGuid(s.cnsetSeenFAI) },
      { kind: 'prop', tag: MetaTag.MetaTagCnsetRead, value: encodeIdsetReplGuid(s.cnsetRead) },
    );
  }
  out.push({ kind: 'marker', tag: Marker.IncrSyncStateEnd });
  return out;
}

/** Turns a K2 producer's answer into the FxSourceLike buffer GetBuffer serves. */
export function toSourceBuffer(b: import('./writer.js').FxBuffer): SourceBuffer {
  const out: SourceBuffer = { data: b.TransferBuffer, status: b.TransferStatus, progress: b.InProgressCount, total: b.TotalStepCount };
  if (b.TransferStatus === TransferStatus.Error) {
    const e = b.error as { ec?: unknown } | undefined;
    out.ec = typeof e?.ec === 'number' ? e.ec : ec.Error;
  }
  return out;
}

/**
 * The FastTransfer download context of RopSynchronizationGetTransferState: its stream is one `state` element (a
 * snapshot taken when the ROP ran). `idsetGiven: false` for an upload context (no MetaTagIdsetGiven, 3.2.5.2.1).
 */
export class StateTransferSource implements FxSourceLike {
  readonly kind = 'fxSource' as const;
  private readonly producer: FxStreamProducer;

  constructor(
    readonly logonId: number,
    public parent: import('../types.js').ServerObject | null,
    snapshot: IcsState,
    kind: 'contents' | 'hierarchy',
    opts: FxEncodeOptions,
    state: { idsetGiven?: boolean } = {},
  ) {
    this.producer = new FxStreamProducer(stateElements(snapshot, kind, state), opts);
  }

  async nextBuffer(max: number): Promise<SourceBuffer> {
    return toSourceBuffer(await this.producer.getBuffer(max));
  }

  dispose(): void {
    void this.producer.close();
  }
}
