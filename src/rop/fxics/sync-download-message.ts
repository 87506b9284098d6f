// One message's part of the ICS download's contentsSync (MS-OXCFXICS 2.2.4.3.11-13, 2.2.4.3.18-19): the change header
// of each candidate (read in groups, checked against the restriction), its messageChangeFull up to IncrSyncMessage,
// which properties its content carries, the conflicting versions a conflict resolve message is sent as, and the
// progressTotal / progressPerMessage elements. Free functions of the IcsDownloadContext (sync-download.ts), called by
// the contents producer (sync-download-contents.ts).
//
// - A conflict resolve message (msInConflict, 3.1.5.6.2.1) is not synchronized itself: each conflicting version (an
//   embedded message on a PidTagInConflict attachment) goes out as a messageChange of the message's source key with
//   the version's change key, PCL and time (VERSION_TAGS on the attachment), and the client builds its own resolve
//   message; without that tracking the resolve message goes out whole (logged).
//
// Choices where the spec leaves room:
// - PartialItem (SendOptions 0x10, 2.2.3.1.1.1.1) says the client can take messageChangePartial; it is accepted and
//   messageChangeFull is always sent (a client that takes partial items takes full ones): the store keeps no
//   per-property-group change history (3.2.5.7) to build a partial change from. Not done: IncrSyncGroupInfo,
//   MetaTagIncrementalSyncMessagePartial, IncrSyncChgPartial.
// - progressTotal's ProgressInformation uses PidTagMessageSize as the size of each message (2.2.4.3.19 allows it);
//   GetBuffer's InProgressCount/TotalStepCount count messages.
import { eidGlobcntNumber } from '../../mapi/idset.js';
import { propId, type PropValue } from '../../mapi/props.js';
import { lookupProp, type RestrictionEvaluator } from '../../mapi/table/evaluate.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import { TAG } from '../../mapistore/tags.js';
import type { ChangeEntry, MessageObject, PropResult } from '../../mapistore/types.js';
import { Marker } from './markers.js';
import { clientIdOfKey, SYNC_EXTRA, SYNC_FLAGS, type ClientId } from './sync-download-common.js';
import type { IcsDownloadContext, MessageContentProducer } from './sync-download.js';
import type { FxSourceItem } from './writer.js';

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
export interface ConflictVersion {
  msg: MessageObject;
  changeKey: Buffer;
  pcl: Buffer;
  lastModified: bigint;
}

/** The header properties in HEADER_TAGS order from a store's answer for some of them. */
export const headerResults = (got: readonly PropResult[]): PropResult[] =>
  HEADER_TAGS.map((t) => got.find((r) => r.tag >>> 0 === t >>> 0) ?? { tag: t, error: SEC.NotFound });

const valueOf = (res: readonly PropResult[], tag: number): PropValue | undefined => {
  const r = res.find((x) => x.tag >>> 0 === tag >>> 0);
  return r && 'value' in r ? r.value : undefined;
};

/**
 * What a download keeps of each message to send, from the candidates' first reading until the message's turn (a
 * first sync of 100,000 messages keeps 100,000): what orders them and what progressTotal counts. Beyond
 * keepHeadersUpTo messages, the rest of the messageChangeHeader (Candidate) is read from the message when it is sent.
 */
export interface Queued {
  id: bigint;
  cn: bigint;
  assoc: boolean;
  size: number;
  delivery: bigint;
}

export interface Candidate extends Queued {
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
 * Whether candidate `m` is a conflict resolve message (PidTagMessageStatus msInConflict), from the opened message:
 * readHeader reads only what the store computes from its row (no status) unless a restriction needed all.
 */
export async function sendInConflict(m: Candidate, msg: MessageObject): Promise<boolean> {
  if (m.assoc) return false;
  if (m.inConflict) return true;
  const [r] = await msg.getProps([PidTagMessageStatus]);
  return !!r && 'value' in r && typeof r.value === 'number' && (r.value & MS_IN_CONFLICT) !== 0;
}

/** The header properties of a candidate; null when it fails the restriction, undefined when it is gone. */
export async function readHeader(ctx: IcsDownloadContext, c: ChangeEntry, evaluator: RestrictionEvaluator | null): Promise<Candidate | null | undefined> {
  let res: PropResult[];
  try {
    if (evaluator) {
      const all = await ctx.mb.getMessageProps(c.id);
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
      res = headerResults(await ctx.mb.getMessageProps(c.id, headerTags(ctx)));
    }
  } catch (e) {
    if (e instanceof StoreError && e.ec === SEC.NotFound) return undefined;
    throw e;
  }
  return candidateOf(ctx, c, res);
}

/** PidTagMessageStatus is read when the message is opened (sendInConflict); the delivery time only to order by it. */
export function headerTags(ctx: IcsDownloadContext): readonly number[] {
  return ctx.config.extraFlags & SYNC_EXTRA.OrderByDeliveryTime ? HEADER_TAGS_DELIVERY : HEADER_TAGS_ROW;
}

/** readHeader of candidates without a restriction, in one store call (MailboxStore.getMessagesProps). */
export async function readHeaders(ctx: IcsDownloadContext, group: readonly ChangeEntry[]): Promise<Array<Candidate | undefined>> {
  const got = await ctx.mb.getMessagesProps!(group.map((c) => c.id), headerTags(ctx));
  return group.map((c, k) => {
    const g = got[k];
    return g ? candidateOf(ctx, c, headerResults(g)) : undefined; // null: gone meanwhile
  });
}

/** A candidate from its header properties (HEADER_TAGS order). */
export function candidateOf(ctx: IcsDownloadContext, c: ChangeEntry, res: readonly PropResult[]): Candidate {
  const size = valueOf(res, TAG.MessageSize);
  const delivery = valueOf(res, TAG.MessageDeliveryTime);
  const status = valueOf(res, PidTagMessageStatus);
  const inConflict = !c.associated && typeof status === 'number' && (status & MS_IN_CONFLICT) !== 0;
  const sk = valueOf(res, TAG.SourceKey);
  const cid = (!ctx.noForeign && Buffer.isBuffer(sk) ? clientIdOfKey(sk) : null) ?? { guid: ctx.mb.replGuid.toLowerCase(), globcnt: eidGlobcntNumber(c.id) };
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
export async function conflictVersions(ctx: IcsDownloadContext, msg: MessageObject, mid: bigint): Promise<ConflictVersion[] | null> {
  const out: ConflictVersion[] = [];
  const fail = async (why: string): Promise<null> => {
    for (const v of out) await v.msg.discard();
    ctx.log.warn({ mid: `0x${mid.toString(16)}`, why }, 'ICS download: conflict resolve message sent whole');
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
export function messageChange(ctx: IcsDownloadContext, m: Candidate, progress: boolean, ver?: ConflictVersion): FxSourceItem[] | null {
  const head: FxSourceItem[] = [];
  if (progress) head.push(...progressPerMessage(m.size, m.assoc));
  const x = ctx.config.extraFlags;
  const stored = m.sourceKey;
  if (stored === null) return null;
  const sk = ctx.noForeign ? ctx.serverKey(m.id) : stored;
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
export function contentOpts(ctx: IcsDownloadContext, assoc: boolean): Parameters<MessageContentProducer>[1] {
  const { flags, propertyTags } = ctx.config;
  const only = (flags & SYNC_FLAGS.OnlySpecifiedProperties) !== 0 && !(assoc && flags & SYNC_FLAGS.IgnoreSpecifiedOnFAI);
  const ignoreList = assoc && (flags & SYNC_FLAGS.IgnoreSpecifiedOnFAI) !== 0;
  return {
    mb: ctx.mb,
    log: ctx.log,
    tags: only ? propertyTags : null,
    exclude: only || ignoreList ? new Set<number>() : new Set(propertyTags.map((t) => propId(t))),
    encode: ctx.encode,
    bestBody: (flags & SYNC_FLAGS.BestBody) !== 0,
  };
}

/** MS-OXCFXICS 2.2.4.3.19 / 2.2.4.3.18: the property tags of progressTotal and progressPerMessage. */
const PROGRESS_TOTAL_TAG = 0x00000102;
const PROGRESS_SIZE_TAG = 0x00000003;
const PROGRESS_FAI_TAG = 0x0000000b;

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
export function* progressTotal(list: readonly Queued[]): Generator<FxSourceItem> {
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
