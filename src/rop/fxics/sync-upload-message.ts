// MS-OXCFXICS 3.2.5.9.4.2 the message object RopSynchronizationImportMessageChange returns: a store MessageObject
// (so RopSetProperties, RopModifyRecipients, RopCreateAttachment, streams ... work on it as on any message, through
// the oxcmsg/oxcprpt handlers) whose RopSaveChangesMessage stores the client's version with its change tracking and,
// for a conflicting version, resolves the conflict (MS-OXCFXICS 3.1.5.6.2). Nothing is stored before that save: a
// collector released (or a session cut) before it drops the whole message; the save stores the message and its
// change tracking (source key, change key, PCL, time) in one transaction (MessageObject.save({ tracking })), so a
// failing save stores neither.
//
// Choices where the spec leaves room:
// - an existing message's object starts empty (3.2.5.9.4.2: client-settable properties and subobjects purged); the
//   client's upload is the whole message;
// - a conflict on a normal message in a folder without RESOLVE_METHOD_LAST_WRITER_WINS makes a conflict resolve
//   message (3.1.5.6.2.1): the last writer's content (3.1.5.6.2.2), msInConflict in PidTagMessageStatus, and both
//   versions (the server's first, then the client's) as embedded-message attachments with PidTagInConflict TRUE and
//   each version's change key, PCL and time on its attachment (what the ICS download sends the versions with);
//   its PCL is the merge of both PCLs plus the server's new CN (it is a new version the client downloads);
// - FAI messages and folders with RESOLVE_METHOD_LAST_WRITER_WINS take the last writer's version without a conflict
//   resolve message; a server version that wins gets a new CN and the merged PCL (bumpChange), so the client
//   downloads it.
import { SEC } from '../../mapistore/errors.js';
import { TAG } from '../../mapistore/tags.js';
import { encodePcl, mergePcl, decodePcl } from '../../mapistore/pcl.js';
import type {
  AttachmentObject, MailboxStore, MessageObject, PropObject, PropResult, PropStream, PropertyProblem, RecipientChange, RecipientRow, StreamMode,
} from '../../mapistore/types.js';
import type { TaggedValue } from '../../mapi/props.js';
import { lastWriterWins, type IcsUploadObject, type ImportedVersion } from './sync-upload.js';

// MS-OXPROPS / MS-OXCMSG tags used here
const PidTagMessageStatus = 0x0e170003;
const PidTagInConflict = 0x666c000b;
const PidTagAttachMethod = 0x37050003;
/** MS-OXCMSG 2.2.1.8 msInConflict. */
export const MS_IN_CONFLICT = 0x00000800;
const ATTACH_EMBEDDED_MSG = 5;
const STREAM_CHUNK = 64 * 1024;

/** What the import found on the server (RopSynchronizationImportMessageChange), resolved at save. */
export type ImportPlan =
  | { kind: 'new'; associated: boolean }
  | { kind: 'update'; mid: bigint; associated: boolean }
  | { kind: 'conflict'; mid: bigint; associated: boolean; lastWriterWins: boolean; server: { lastModified: bigint; changeKey: Buffer; pcl: Buffer } };

/** Copies the values of `src` to `dst` (large ones through streams); computed ones are skipped. */
async function copyProps(src: PropObject, dst: PropObject): Promise<void> {
  const tags = await src.listProps();
  const got: PropResult[] = await src.getProps(tags);
  const values: TaggedValue[] = [];
  const big: number[] = [];
  got.forEach((r, i) => {
    if ('value' in r) values.push({ tag: r.tag, value: r.value });
    else if (r.error === SEC.NotEnoughMemory) big.push(tags[i] as number);
  });
  await dst.setProps(values);
  for (const tag of big) {
    const from = await src.openStream(tag, 'read');
    const to = await dst.openStream(tag, 'create');
    try {
      const size = from.size();
      for (let off = 0; off < size; off += STREAM_CHUNK) await to.write(off, await from.read(off, STREAM_CHUNK));
      await to.commit();
    } finally {
      await from.close();
      await to.close();
    }
  }
}

/** Copies properties, recipients and attachments (embedded messages included) of `src` into `dst` (not saved). */
export async function copyMessage(src: MessageObject, dst: MessageObject): Promise<void> {
  await copyProps(src, dst);
  const rows = await src.readRecipients();
  await dst.setRecipients(rows.map((r) => ({ rowId: r.rowId, props: r.props })));
  for (const a of await src.attachmentTable([PidTagAttachMethod])) {
    const sa = await src.openAttachment(a.attachNum);
    const da = await dst.createAttachment();
    await copyProps(sa, da);
    const method = a.props[0];
    if (method && 'value' in method && method.value === ATTACH_EMBEDDED_MSG) {
      const se = await sa.openEmbeddedMessage(false).catch(() => null);
      if (se) {
        const de = await da.openEmbeddedMessage(true);
        await copyMessage(se, de);
        await de.save();
      }
    }
    await da.save();
  }
}

/** Removes every client-settable property, recipient and attachment of a working copy (nothing stored). */
export async function purgeMessage(m: MessageObject): Promise<void> {
  await m.deleteProps(await m.listProps());
  await m.setRecipients([]);
  for (const a of await m.attachmentTable([])) await m.deleteAttachment(a.attachNum);
}

/** The change tracking a conflicting version was made with (kept on its attachment). */
interface VersionTracking { changeKey: Buffer; pcl: Buffer; lastModified: bigint }

/**
 * Adds `version` to `target` as an attachment holding it as an embedded message, PidTagInConflict TRUE, and the
 * version's PidTagChangeKey, PidTagPredecessorChangeList and PidTagLastModificationTime on the attachment (the store
 * computes these on messages, embedded ones too): the ICS download sends each version with them (sync-download.ts
 * VERSION_TAGS), so the client detects the conflict itself (MS-OXCFXICS 3.1.5.6.2.1).
 */
async function addConflictVersion(target: MessageObject, version: MessageObject, t: VersionTracking): Promise<void> {
  const att = await target.createAttachment();
  const emb = await att.openEmbeddedMessage(true);
  await copyMessage(version, emb);
  await emb.save();
  await att.setProps([
    { tag: PidTagInConflict, value: true },
    { tag: TAG.ChangeKey, value: t.changeKey },
    { tag: TAG.PredecessorChangeList, value: t.pcl },
    { tag: TAG.LastModificationTime, value: t.lastModified },
  ]);
  await att.save();
}

const mergedPcl = (...pcls: Buffer[]): Buffer => encodePcl(mergePcl(...pcls.map((p) => (p.length > 0 ? decodePcl(p) : []))));

/**
 * The message object of an import: a working copy (new, or the existing message purged) whose save() stores the
 * client's version as the plan says.
 */
export class ImportedMessage implements MessageObject {
  private savedMid: bigint | null = null;

  constructor(
    private readonly store: MailboxStore,
    private readonly wc: MessageObject,
    private readonly plan: ImportPlan,
    private readonly version: ImportedVersion,
    private readonly collector: IcsUploadObject,
  ) {}

  get fid(): bigint { return this.wc.fid; }
  get mid(): bigint | null { return this.savedMid ?? this.wc.mid; }
  get embedded(): boolean { return false; }

  getProps(tags?: readonly number[]): Promise<PropResult[]> { return this.wc.getProps(tags); }
  listProps(): Promise<number[]> { return this.wc.listProps(); }
  setProps(values: readonly TaggedValue[]): Promise<PropertyProblem[]> { return this.wc.setProps(values); }
  deleteProps(tags: readonly number[]): Promise<PropertyProblem[]> { return this.wc.deleteProps(tags); }
  openStream(tag: number, mode: StreamMode): Promise<PropStream> { return this.wc.openStream(tag, mode); }
  readRecipients(fromRowId?: number, max?: number): Promise<RecipientRow[]> { return this.wc.readRecipients(fromRowId, max); }
  modifyRecipients(changes: readonly RecipientChange[]): Promise<void> { return this.wc.modifyRecipients(changes); }
  setRecipients(rows: readonly RecipientChange[]): Promise<void> { return this.wc.setRecipients(rows); }
  attachmentTable(tags?: readonly number[]): Promise<{ attachNum: number; props: PropResult[] }[]> { return this.wc.attachmentTable(tags); }
  createAttachment(): Promise<AttachmentObject> { return this.wc.createAttachment(); }
  openAttachment(attachNum: number): Promise<AttachmentObject> { return this.wc.openAttachment(attachNum); }
  deleteAttachment(attachNum: number): Promise<void> { return this.wc.deleteAttachment(attachNum); }
  discard(): Promise<void> { return this.wc.discard(); }

  /** RopSaveChangesMessage: stores the client's version (MS-OXCFXICS 3.2.5.9.4.2) and returns the MID. */
  async save(opts: { force?: boolean } = {}): Promise<bigint> {
    if (this.savedMid !== null && this.plan.kind !== 'new') {
      // a second save of the same import is a plain save of the stored message
      return this.wc.save(opts);
    }
    const v = this.version;
    const p = this.plan;
    let mid: bigint;
    let seen = true;
    if (p.kind === 'new' || p.kind === 'update') {
      // the message and its tracking in one transaction: a failing save stores neither
      mid = await this.wc.save({ ...opts, tracking: { sourceKey: v.sourceKey, changeKey: v.changeKey, pcl: v.pcl, pclMode: 'replace', lastModified: v.lastModified } });
    } else {
      const winner = lastWriterWins(p.server, v, 'message');
      if (p.lastWriterWins) {
        if (winner === 'client') {
          // a merged version: the server's change key, the PCL of both
          mid = await this.wc.save({ ...opts, tracking: { changeKey: null, pcl: v.pcl, lastModified: v.lastModified } });
        } else {
          await this.wc.discard();
          mid = p.mid;
          await this.store.bumpChange('message', mid, v.pcl);
        }
      } else {
        mid = await this.resolveMessage(p.mid, winner);
      }
      // a version succeeding both: the client must download it (see how the conflict went, and take its PCL)
      seen = false;
    }
    this.savedMid = mid;
    if (seen) {
      const info = await this.store.messageChangeInfo(mid);
      this.collector.noteChange(mid, info.cn, p.associated);
    }
    return mid;
  }

  /** MS-OXCFXICS 3.1.5.6.2.1 the conflict resolve message replacing message `mid`. */
  private async resolveMessage(mid: bigint, winner: 'server' | 'client'): Promise<bigint> {
    const server = await this.store.openMessage(mid);
    const result = await this.store.openMessage(mid);
    try {
      await purgeMessage(result);
      await copyMessage(winner === 'server' ? server : this.wc, result);
      const p = this.plan as Extract<ImportPlan, { kind: 'conflict' }>;
      const v = this.version;
      await addConflictVersion(result, server, p.server);
      await addConflictVersion(result, this.wc, { changeKey: v.changeKey, pcl: v.pcl, lastModified: v.lastModified });
      const [st] = await result.getProps([PidTagMessageStatus]);
      const status = st && 'value' in st && typeof st.value === 'number' ? st.value : 0;
      await result.setProps([{ tag: PidTagMessageStatus, value: (status | MS_IN_CONFLICT) | 0 }]);
      return await result.save({ tracking: { changeKey: null, pcl: mergedPcl(this.version.pcl) } });
    } catch (e) {
      // nothing of the resolution is stored: the message stays the server's version
      await result.discard();
      throw e;
    } finally {
      await server.discard();
      await this.wc.discard();
    }
  }
}
