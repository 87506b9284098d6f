// The full message model of the embedded backend (MS-OXCMSG): message objects (LocalMessage) with recipients,
// attachments (LocalAttachment) and embedded messages, edited as a working copy and stored by save() in one
// transaction, and the entry points LocalMailbox calls (new, open, prefetch, batch save). The working copy and its
// stored form (message_content JSON, blobs) are message-content.ts; property access and streams prop-object.ts; the
// open copies and their blobs open-copies.ts; message status and flag bits message-status.ts.
// A save given ICS change tracking (save({ tracking }), RopSynchronizationImportMessageChange) writes the client's
// PCL, time and keys (ics-import.ts putTracking) in the same transaction as the message: all or nothing; a new message
// whose imported source key names an ID the client reserved (RopGetLocalReplicaIds) is stored under that MID
// (MS-OXCFXICS 3.3.5.2.1, ics-import.ts reservedIdOf).
// Every save stores PidTagHasAttachments with the message (and with each embedded message) from its attachments:
// computed.ts messageFlags derives MSGFLAG_HASATTACH from it, so tables, getMessageProps, opened objects and
// FastTransfer streams give the same PidTagMessageFlags without an attachment query per row (choice: a stored value
// rather than a column; messages saved before it get it once when the mailbox opens, backfillHasAttachments).
import { propId, type PropValue } from '../../../mapi/props.js';
import { notFound, SEC, StoreError } from '../../errors.js';
import { eidGlobcnt, eidReplId } from '../../../mapi/ids.js';
import { pclAfterChange } from '../../pcl.js';
import { checkValue, decodeStored, encodeStored, type StoredProps } from '../../propcodec.js';
import { MSGFLAG_ASSOCIATED, MSGFLAG_READ, MSGFLAG_UNMODIFIED, TAG } from '../../tags.js';
import type {
  AttachmentObject, IcsImportTracking, MessageObject, PropertyProblem, PropResult, RecipientChange, RecipientRow,
} from '../../types.js';
import { MSGFLAG_HASATTACH, PidTagHasAttachments, messageFlags, messagePropsOf } from './computed.js';
import { checkTracking, claimReservedId, putTracking, refresh, reservedIdOf, trackedModified, trackedPcl } from './ics-import.js';
import { MESSAGE_COMPUTED, REPL_ID, eid, g2n } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';
import {
  attSize, blobIds, bump, cloneAtt, cloneMsg, deMsg, msgSize, reads, serMsg, storedBlobIds, storeHasAttachments,
  type AttNode, type MsgNode, type Ser,
} from './message-content.js';
import { PidTagMessageStatus } from './message-status.js';
import { closeRoot, holderOf, newRoot, track, type Root } from './open-copies.js';
import { LocalPropObject, deleteValue, pick, setValue } from './prop-object.js';
import type { MessageRow } from './schema.js';
import * as ev from './events-emit.js';

// moved out of this module; still exported here for the modules and tests that import them from it
export { DEFAULT_MAX_VALUE, INLINE_MAX } from './prop-object.js';
export { backfillHasAttachments, copyContent, dropContent, storedBlobIds } from './message-content.js';
export { trackedOpenCopies } from './open-copies.js';
export { clearMessageFlags, getMessageStatus, setMessageStatus } from './message-status.js';

// MS-OXPROPS tags of the model
const PidTagRowid = 0x30000003;
const PidTagRecipientType = 0x0c150003;
const PidTagAttachNumber = 0x0e210003;
const PidTagAttachSize = 0x0e200003;
const PidTagAttachMethod = 0x37050003;
const ATTACH_COMPUTED = new Set([PidTagAttachNumber, PidTagAttachSize, TAG.ObjectType].map((t) => propId(t)));

// ---------------------------------------------------------------- messages

function recipientRow(rowId: number, m: Map<number, PropValue>): RecipientRow {
  const t = m.get(PidTagRecipientType);
  return { rowId, recipientType: typeof t === 'number' ? t : 0, props: [...m].map(([tag, value]) => ({ tag, value })) };
}

class LocalMessage extends LocalPropObject implements MessageObject {
  /** This copy changed the read flag (PidTagMessageFlags) or PidTagMessageStatus itself: its save stores them. */
  private readTouched = false;
  private statusTouched = false;
  /**
   * The computed properties, kept while neither the working copy (`msg.rev`) nor the mailbox (`writeGen`: saves,
   * moves, read flags, imports) changed: ICS and FastTransfer read them several times per message.
   */
  private cache: { gen: number; rev: number; map: Map<number, PropValue> } | null = null;
  /** The stored row this copy was read from, while the mailbox has not changed since (openMessage passes it). */
  private row: { gen: number; row: MessageRow } | null = null;
  constructor(
    root: Root,
    private readonly msg: MsgNode,
    readonly fid: bigint,
    private midG: number | null,
    private readonly assoc: boolean,
    /** For an embedded message: stores the working copy into its attachment object. */
    private readonly parent: ((m: MsgNode) => void) | null,
    /** CN of the stored message this copy was read from (null: new or embedded); a save finding another is stale. */
    private baseCn: number | null = null,
    row?: MessageRow,
  ) {
    super(root, msg);
    if (row) this.row = { gen: root.mb.writeGen, row };
  }

  get mid(): bigint | null {
    return this.midG === null ? null : eid(this.midG);
  }

  get embedded(): boolean {
    return this.parent !== null;
  }

  protected isComputed(tag: number): boolean {
    return MESSAGE_COMPUTED.has(propId(tag)) || propId(tag) === propId(PidTagHasAttachments);
  }

  protected override setOne(tag: number, v: PropValue): void {
    if (tag === TAG.MessageFlags) {
      this.msg.read = ((v as number) & MSGFLAG_READ) !== 0;
      bump(this.msg);
      this.readTouched = true;
      // read, associated, unmodified and has-attachment are the store's: never kept as a stored bit
      v = (v as number) & ~(MSGFLAG_READ | MSGFLAG_ASSOCIATED | MSGFLAG_UNMODIFIED | MSGFLAG_HASATTACH);
    }
    if (propId(tag) === propId(PidTagMessageStatus)) this.statusTouched = true;
    setValue(this.msg, tag, v);
  }

  override async deleteProps(tags: readonly number[]): Promise<PropertyProblem[]> {
    if (tags.some((t) => propId(t) === propId(PidTagMessageStatus))) this.statusTouched = true;
    return super.deleteProps(tags);
  }

  /** The computed properties (shared with the cache: callers must not change the map). */
  computed(): Map<number, PropValue> {
    const m = this.msg;
    const gen = this.root.mb.writeGen;
    const rev = m.rev ?? 0;
    const c = this.cache;
    if (c && c.gen === gen && c.rev === rev) return c.map;
    const all = this.compute();
    this.cache = { gen, rev, map: all };
    return all;
  }

  private storedRow(): MessageRow | undefined {
    if (this.midG === null || this.parent !== null) return undefined;
    const gen = this.root.mb.writeGen;
    if (this.row && this.row.gen === gen && this.row.row.mid === this.midG) return this.row.row;
    const row = this.root.mb.st.message.get(this.midG) as MessageRow | undefined;
    this.row = row ? { gen, row } : null;
    return row;
  }

  private compute(): Map<number, PropValue> {
    const m = this.msg;
    const size = msgSize(m);
    const row = this.storedRow();
    // this copy's attachments (what a save stores as PidTagHasAttachments); copied with forEach (new Map(map) makes a
    // [key, value] array per entry)
    const props = new Map<number, PropValue>();
    m.props.forEach((v, t) => props.set(t, v));
    props.set(PidTagHasAttachments, m.attachments.size > 0);
    let all: Map<number, PropValue>;
    if (row) {
      all = messagePropsOf(this.root.mb.pctx, row, props, size, m.read);
    } else {
      all = props;
      all.set(TAG.ObjectType, 5);
      all.set(TAG.MessageFlags, messageFlags(all, m.read, this.assoc));
      all.set(TAG.MessageSize, size);
      all.set(TAG.MessageSizeExtended, BigInt(size));
      all.set(TAG.Read, m.read);
      all.set(TAG.Associated, this.assoc);
      if (this.parent === null) {
        all.set(TAG.FolderId, this.fid);
        all.set(TAG.ParentFolderId, this.fid);
      }
    }
    return all;
  }

  async readRecipients(fromRowId = 0, max = Number.MAX_SAFE_INTEGER): Promise<RecipientRow[]> {
    return [...this.msg.recipients.keys()].filter((k) => k >= fromRowId).sort((a, b) => a - b).slice(0, max)
      .map((k) => recipientRow(k, this.msg.recipients.get(k) as Map<number, PropValue>));
  }

  async modifyRecipients(changes: readonly RecipientChange[]): Promise<void> {
    // check everything first: a bad row changes nothing
    const next = new Map(this.msg.recipients);
    for (const c of changes) {
      if (!Number.isInteger(c.rowId) || c.rowId < 0 || c.rowId > 0xffffffff) throw new StoreError('OC_STORE_BAD_ROW', SEC.InvalidParam, `bad RowId ${c.rowId}`);
      if (!c.props || c.props.length === 0) {
        next.delete(c.rowId);
        continue;
      }
      const m = new Map<number, PropValue>();
      for (const v of c.props) {
        if (!checkValue(v.tag, v.value)) throw new StoreError('OC_STORE_BAD_VALUE', SEC.InvalidParam, `recipient value does not fit tag 0x${(v.tag >>> 0).toString(16)}`);
        if (propId(v.tag) === propId(PidTagRowid)) continue;
        m.set(v.tag >>> 0, v.value);
      }
      m.set(PidTagRowid, c.rowId);
      next.set(c.rowId, m);
    }
    this.msg.recipients = next;
    bump(this.msg);
  }

  async setRecipients(rows: readonly RecipientChange[]): Promise<void> {
    const keep = this.msg.recipients;
    this.msg.recipients = new Map();
    bump(this.msg);
    try {
      await this.modifyRecipients(rows);
    } catch (e) {
      this.msg.recipients = keep;
      bump(this.msg);
      throw e;
    }
  }

  async attachmentTable(tags?: readonly number[]): Promise<{ attachNum: number; props: PropResult[] }[]> {
    return [...this.msg.attachments.keys()].sort((a, b) => a - b).map((n) => {
      const a = this.msg.attachments.get(n) as AttNode;
      return { attachNum: n, props: pick(attComputed(n, a), a.blobs, tags) };
    });
  }

  async createAttachment(): Promise<AttachmentObject> {
    const n = this.msg.nextAttach++;
    return new LocalAttachment(this.root, { props: new Map(), blobs: new Map(), embedded: null }, n, this.msg, this.fid);
  }

  async openAttachment(attachNum: number): Promise<AttachmentObject> {
    const a = this.msg.attachments.get(attachNum);
    if (!a) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `attachment ${attachNum} not found`);
    return new LocalAttachment(this.root, cloneAtt(a), attachNum, this.msg, this.fid);
  }

  async deleteAttachment(attachNum: number): Promise<void> {
    if (!this.msg.attachments.delete(attachNum)) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `attachment ${attachNum} not found`);
    bump(this.msg);
  }

  async save(opts: { force?: boolean; tracking?: IcsImportTracking } = {}): Promise<bigint> {
    const t = opts.tracking;
    if (this.parent) {
      if (t) throw new StoreError('OC_STORE_BAD_TRACKING', SEC.InvalidParam, 'an embedded message has no change tracking');
      storeHasAttachments(this.msg);
      this.parent(cloneMsg(this.msg));
      return 0n;
    }
    if (t) checkTracking(t);
    const mb = this.root.mb;
    return mb.serial(async () => {
      const f = mb.folderKey(this.fid);
      const old = this.midG === null ? undefined : (mb.st.message.get(this.midG) as MessageRow | undefined);
      if (this.midG !== null && !old) throw new StoreError('OC_STORE_OBJECT_DELETED', SEC.ObjectDeleted, 'the message was deleted');
      // MS-OXCMSG 3.2.5.3: another handle saved the message since this copy was read: ecObjectModified unless ForceSave
      if (old && this.baseCn !== null && old.cn !== this.baseCn && !opts.force) {
        throw new StoreError('OC_STORE_CONFLICT', SEC.ObjectModified, 'the message was changed by another save');
      }
      if (old) {
        // read state and message status change outside saves (RopSetReadFlags, RopSetMessageStatus): keep the stored
        // ones unless this copy set them itself
        if (!this.readTouched) this.msg.read = old.read !== 0;
        bump(this.msg);
        if (!this.statusTouched) {
          // a number: the JSON text has it (big holds only strings and binaries)
          const st = decodeStored(old.props, null).get(PidTagMessageStatus);
          if (st === undefined) deleteValue(this.msg, PidTagMessageStatus);
          else setValue(this.msg, PidTagMessageStatus, st);
        }
      }
      // MS-OXCFXICS 3.3.5.2.1: a new imported message whose source key names an ID the client reserved takes it
      const own = !old && t?.sourceKey ? reservedIdOf(mb, t.sourceKey) : null;
      const g = await mb.ids(old || own !== null ? 1 : 2);
      const mid = old ? old.mid : (own ?? g2n(g));
      const cn = old || own !== null ? g : g + 1n;
      const now = Date.now();
      // an ICS import (MS-OXCFXICS 3.2.5.9.4.2): the client's time and PCL, its keys in ics_keys, all in this transaction
      const modified = (t && trackedModified(t)) ?? now;
      const pclOf = (stored: Buffer | null): Buffer => {
        const p = pclAfterChange(stored, mb.replGuid, cn);
        return t ? trackedPcl(p, t) : p;
      };
      // PidTagHasAttachments is stored with the message, so every reader (computed.ts) derives the same value
      storeHasAttachments(this.msg);
      const size = msgSize(this.msg);
      const stored = encodeStored(this.msg.props);
      const refs = blobIds(this.msg);
      mb.write(() => {
        if (own !== null) claimReservedId(mb, own);
        // another object of the same message saved first and dropped a value this copy still refers to
        const exists = mb.sql('SELECT 1 FROM blobs WHERE id = ?');
        for (const id of refs) {
          if (!exists.get(id)) throw new StoreError('OC_STORE_CONFLICT', SEC.ObjectModified, 'the message was changed by another save');
        }
        const before = old ? storedBlobIds(mb, mid) : new Set<number>();
        if (old) {
          mb.sql('UPDATE messages SET props = ?, big = ?, size = ?, read = ?, cn = ?, modified = ?, pcl = ? WHERE mid = ?')
            .run(stored.text, stored.big, size, this.msg.read ? 1 : 0, g2n(cn), modified, pclOf(old.pcl), mid);
        } else {
          mb.st.insMessage.run(mid, f.fid, this.assoc ? 1 : 0, this.msg.read ? 1 : 0, g2n(cn), now, modified,
            pclOf(null), size, stored.text, stored.big);
        }
        if (t) putTracking(mb, 'message', mid, g2n(cn), t);
        mb.sql('INSERT OR REPLACE INTO message_content (mid, data) VALUES (?, ?)').run(mid, JSON.stringify(serMsg(this.msg, true)));
        for (const id of before) {
          if (refs.has(id)) continue;
          const other = holderOf(mb, this.root, id);
          if (!other) mb.blobs.drop(id);
          else {
            mb.sql('UPDATE blobs SET state = 0 WHERE id = ?').run(id);
            other.staged.add(id);
          }
        }
        for (const id of refs) mb.blobs.markStored(id);
        mb.noteCn(cn);
      });
      // this copy now refers to stored blobs: another copy's save must see it
      if (refs.size > 0) track(this.root);
      if (t) refresh(mb, 'message', mid);
      for (const id of refs) this.root.staged.delete(id);
      this.midG = mid;
      this.baseCn = g2n(cn);
      this.readTouched = false;
      this.statusTouched = false;
      ev.messageSaved(mb, this.fid, eid(mid), !old, this.assoc);
      return eid(mid);
    });
  }

  /**
   * @internal saveNewMessages: the row and content of this never-saved top-level copy of `mb` as its save() would
   * store them, or null when it cannot be saved in a batch (saved before, embedded, another mailbox, a blob-backed
   * value: save() itself handles those).
   */
  newRowData(mb: LocalMailbox): NewRowData | null {
    if (this.parent || this.midG !== null || this.root.mb !== mb || !this.root.top) return null;
    storeHasAttachments(this.msg);
    if (blobIds(this.msg).size > 0) return null;
    return {
      fid: this.fid,
      assoc: this.assoc,
      read: this.msg.read,
      size: msgSize(this.msg),
      stored: encodeStored(this.msg.props),
      content: JSON.stringify(serMsg(this.msg, true)),
    };
  }

  /** @internal saveNewMessages stored this copy as message `mid` with CN `cn`: the copy is now a saved one. */
  markSaved(mid: number, cn: number): void {
    this.midG = mid;
    this.baseCn = cn;
    this.readTouched = false;
    this.statusTouched = false;
  }

  async discard(): Promise<void> {
    if (this.parent) return;
    const mb = this.root.mb;
    closeRoot(this.root);
    const ids = [...this.root.staged];
    this.root.staged.clear();
    if (ids.length === 0 || !mb.db.open) return;
    mb.db.transaction(() => {
      const st = mb.sql('SELECT state FROM blobs WHERE id = ?');
      for (const id of ids) if ((st.get(id) as { state: number } | undefined)?.state === 0) mb.blobs.drop(id);
    })();
  }
}

function attComputed(n: number, a: AttNode): Map<number, PropValue> {
  const all = new Map(a.props);
  all.set(TAG.ObjectType, 7);
  all.set(PidTagAttachNumber, n);
  all.set(PidTagAttachSize, attSize(a));
  return all;
}

class LocalAttachment extends LocalPropObject implements AttachmentObject {
  constructor(root: Root, private readonly att: AttNode, readonly attachNum: number, private readonly owner: MsgNode, private readonly fid: bigint) {
    super(root, att);
  }

  protected isComputed(tag: number): boolean {
    return ATTACH_COMPUTED.has(propId(tag));
  }

  computed(): Map<number, PropValue> {
    return attComputed(this.attachNum, this.att);
  }

  async openEmbeddedMessage(create: boolean): Promise<MessageObject> {
    if (!this.att.embedded) {
      if (!create) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `attachment ${this.attachNum} has no embedded message`);
      this.att.embedded = { props: new Map(), blobs: new Map(), read: false, recipients: new Map(), attachments: new Map(), nextAttach: 0 };
      setValue(this.att, PidTagAttachMethod, 5);
    }
    return new LocalMessage(this.root, cloneMsg(this.att.embedded), this.fid, null, false, (m) => {
      this.att.embedded = m;
      bump(this.att);
    });
  }

  async save(): Promise<void> {
    this.owner.attachments.set(this.attachNum, cloneAtt(this.att));
    bump(this.owner);
    this.owner.nextAttach = Math.max(this.owner.nextAttach, this.attachNum + 1);
  }

  async discard(): Promise<void> {}
}

// ---------------------------------------------------------------- entry points (LocalMailbox)

type NewRowData = NewRow & { fid: bigint };

/**
 * MailboxStore.saveNewMessages (called in the mailbox's serial chain): new messages of one folder stored as their
 * save() would store them (mid = g, cn = g + 1 each, as save() allocates), in one transaction, with one read of the
 * folder and of the counts for the events. Per message this leaves out what save() repeats: the serial step, a
 * savepoint, the folder look-ups, the counts, the last-CN update.
 */
export async function saveNewMessages(mb: LocalMailbox, fid: bigint, msgs: readonly MessageObject[]): Promise<{ mid: bigint; cn: bigint }[]> {
  const f = mb.folderKey(fid);
  if (msgs.length === 0) return [];
  const rows: NewRowData[] = [];
  const seen = new Set<MessageObject>();
  for (const m of msgs) {
    const d = m instanceof LocalMessage && !seen.has(m) ? m.newRowData(mb) : null;
    seen.add(m);
    if (!d || d.fid !== fid) throw new StoreError('OC_STORE_NOT_BATCHABLE', SEC.InvalidParam, 'a message of the batch cannot be saved with the others');
    rows.push(d);
  }
  const out = insertNewRows(mb, fid, f.fid, await mb.ids(2 * rows.length), rows);
  msgs.forEach((m, i) => (m as LocalMessage).markSaved(g2n(eidGlobcnt(out[i]!.mid)), g2n(eidGlobcnt(out[i]!.cn))));
  return out;
}

/** A new message row for insertNewRows; `content` the message_content JSON (null: no recipients or attachments row). */
export interface NewRow {
  assoc: boolean;
  read: boolean;
  size: number;
  stored: StoredProps;
  content: string | null;
}

/**
 * Stores new messages of folder `fid` (folder row GLOBCNT `fidG`) from GLOBCNT `g` on, MID g + 2i and CN g + 2i + 1 as
 * save() lays them out, in one transaction with one last-CN update; then an objectCreated per message and one
 * ObjectModified of the folder. saveNewMessages and bulkInsertMessages.
 */
export function insertNewRows(mb: LocalMailbox, fid: bigint, fidG: number, g: bigint, rows: readonly NewRow[]): { mid: bigint; cn: bigint }[] {
  const now = Date.now();
  const base = g2n(g);
  const content = mb.sql('INSERT OR REPLACE INTO message_content (mid, data) VALUES (?, ?)');
  mb.write(() => {
    rows.forEach((r, i) => {
      const mid = base + 2 * i;
      mb.st.insMessage.run(mid, fidG, r.assoc ? 1 : 0, r.read ? 1 : 0, mid + 1, now, now, pclAfterChange(null, mb.replGuid, BigInt(mid + 1)), r.size, r.stored.text, r.stored.big);
      if (r.content !== null) content.run(mid, r.content);
    });
    mb.noteCn(g + BigInt(2 * rows.length - 1));
  });
  const out = rows.map((_, i) => ({ mid: eid(base + 2 * i), cn: eid(base + 2 * i + 1) }));
  ev.messagesCreated(mb, fid, out.map((o) => o.mid), (i) => rows[i]!.assoc);
  return out;
}

export async function newMessage(mb: LocalMailbox, fid: bigint, o: { associated?: boolean } = {}): Promise<MessageObject> {
  mb.folderKey(fid);
  const node: MsgNode = { props: new Map(), blobs: new Map(), read: false, recipients: new Map(), attachments: new Map(), nextAttach: 0 };
  return new LocalMessage(newRoot(mb, node), node, fid, null, o.associated ?? false, null);
}

type OpenRow = MessageRow & { content_data: string | null };

const readOpenRow = (mb: LocalMailbox, mid: bigint): OpenRow | undefined =>
  eidReplId(mid) === REPL_ID ? (reads(mb).open.get(g2n(eidGlobcnt(mid))) as OpenRow | undefined) : undefined;

function openedFrom(mb: LocalMailbox, got: OpenRow): LocalMessage {
  const { content_data, ...r } = got;
  const node = deMsg(content_data === null ? null : (JSON.parse(content_data) as Ser), decodeStored(r.props, r.big), r.read !== 0);
  // the object keeps its row for the computed properties, which read only the other columns: not the stored values
  r.props = '';
  r.big = null;
  return new LocalMessage(newRoot(mb, node), node, eid(r.fid), r.mid, r.assoc !== 0, null, r.cn, r);
}

/** MailboxStore.prefetchMessages: the rows read now in one run, each object built (decoded) when its opener is called. */
export async function prefetchMessages(mb: LocalMailbox, mids: readonly bigint[]): Promise<Array<() => Promise<MessageObject>>> {
  const gen = mb.writeGen;
  const rows = mids.map((mid) => readOpenRow(mb, mid));
  return mids.map((mid, k) => async () => {
    // a write since the read may have changed or removed the message: read it again then
    const got = (mb.writeGen === gen ? rows[k] : undefined) ?? readOpenRow(mb, mid);
    rows[k] = undefined; // the row is not kept past its opening (a second call reads it again)
    if (!got) throw notFound('message', mid);
    return openedFrom(mb, got);
  });
}

export async function openMessage(mb: LocalMailbox, mid: bigint): Promise<MessageObject> {
  const got = readOpenRow(mb, mid);
  if (!got) throw notFound('message', mid);
  return openedFrom(mb, got);
}
