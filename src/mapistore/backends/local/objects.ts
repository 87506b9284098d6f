// The full message model of the embedded backend (MS-OXCMSG, MS-OXCPRPT streams): message objects with recipients,
// attachments and embedded messages, edited as a working copy and stored by save() in one transaction. Small
// values live in the message row's JSON (top-level properties) and in message_content (recipients, attachments,
// embedded messages); values past INLINE_MAX live in blobs (blobs.ts) referenced by id.
// A save given ICS change tracking (save({ tracking }), RopSynchronizationImportMessageChange) writes the client's
// PCL, time and keys (ics-import.ts putTracking) in the same transaction as the message: all or nothing; a new message
// whose imported source key names an ID the client reserved (RopGetLocalReplicaIds) is stored under that MID
// (MS-OXCFXICS 3.3.5.2.1, ics-import.ts reservedIdOf).
// Every save stores PidTagHasAttachments with the message (and with each embedded message) from its attachments:
// computed.ts messageFlags derives MSGFLAG_HASATTACH from it, so tables, getMessageProps, opened objects and
// FastTransfer streams give the same PidTagMessageFlags without an attachment query per row (choice: a stored value
// rather than a column; messages saved before it get it once when the mailbox opens, backfillHasAttachments).
import { PT, makeTag, propId, propType, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { notFound, SEC, StoreError } from '../../errors.js';
import { eidGlobcnt, eidReplId } from '../../../mapi/ids.js';
import { pclAfterChange } from '../../pcl.js';
import { pickProps } from '../../proppick.js';
import { checkValue, decodeProps, decodeStored, encodeProps, encodeStored, valueSize, type StoredProps } from '../../propcodec.js';
import { MSGFLAG_ASSOCIATED, MSGFLAG_READ, MSGFLAG_UNMODIFIED, TAG } from '../../tags.js';
import type {
  AttachmentObject, IcsImportTracking, MessageObject, PropertyProblem, PropResult, PropStream, RecipientChange, RecipientRow, StreamMode,
} from '../../types.js';
import { MSGFLAG_HASATTACH, PidTagHasAttachments, messageFlags, messagePropsOf } from './computed.js';
import { checkTracking, claimReservedId, putTracking, refresh, reservedIdOf, trackedModified, trackedPcl } from './ics-import.js';
import { MESSAGE_COMPUTED, REPL_ID, deleteSameId, eid, g2n } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';
import type { MessageRow } from './schema.js';
import * as ev from './events-emit.js';

/** Stream-committed values up to this many bytes are kept inline (JSON); larger ones stay blobs. */
export const INLINE_MAX = 32 * 1024;
export const DEFAULT_MAX_VALUE = 64 * 1024 * 1024;

// MS-OXPROPS tags of the model
const PidTagRowid = 0x30000003;
const PidTagRecipientType = 0x0c150003;
const PidTagAttachNumber = 0x0e210003;
const PidTagAttachSize = 0x0e200003;
const PidTagAttachMethod = 0x37050003;
/** MS-OXCMSG 2.2.1.8 PidTagMessageStatus: kept outside change tracking (RopSetMessageStatus takes no CN). */
const PidTagMessageStatus = 0x0e170003;
const ATTACH_COMPUTED = new Set([PidTagAttachNumber, PidTagAttachSize, TAG.ObjectType].map((t) => propId(t)));

interface BlobRef { id: number; size: number }
/** `rev` counts the changes of a node's working copy (computed properties cached by LocalMessage follow it). */
interface Node { props: Map<number, PropValue>; blobs: Map<number, BlobRef>; rev?: number }
interface MsgNode extends Node {
  read: boolean;
  recipients: Map<number, Map<number, PropValue>>;
  attachments: Map<number, AttNode>;
  nextAttach: number;
}
interface AttNode extends Node { embedded: MsgNode | null }

// ---------------------------------------------------------------- (de)serialization

type Ser = { p?: string; b: [number, number, number][]; r?: [number, string][]; a?: [number, Ser][]; n?: number; rd?: boolean; e?: Ser | null };

const serBlobs = (n: Node): [number, number, number][] => [...n.blobs].map(([t, b]) => [t, b.id, b.size]);
const deBlobs = (b: [number, number, number][] | undefined): Map<number, BlobRef> => new Map((b ?? []).map(([t, id, size]) => [t, { id, size }]));

function serMsg(m: MsgNode, top: boolean): Ser {
  const s: Ser = {
    b: serBlobs(m),
    r: [...m.recipients].map(([k, v]) => [k, encodeProps(v)]),
    a: [...m.attachments].map(([k, a]) => [k, { p: encodeProps(a.props), b: serBlobs(a), e: a.embedded ? serMsg(a.embedded, false) : null }]),
    n: m.nextAttach,
  };
  if (!top) {
    s.p = encodeProps(m.props);
    s.rd = m.read;
  }
  return s;
}

function deMsg(s: Ser | null, props: Map<number, PropValue>, read: boolean): MsgNode {
  return {
    props,
    read,
    blobs: deBlobs(s?.b),
    recipients: new Map((s?.r ?? []).map(([k, v]) => [k, decodeProps(v)])),
    attachments: new Map((s?.a ?? []).map(([k, a]) => [k, {
      props: decodeProps(a.p), blobs: deBlobs(a.b), embedded: a.e ? deMsg(a.e, decodeProps(a.e.p), a.e.rd ?? false) : null,
    }])),
    nextAttach: s?.n ?? 0,
  };
}

const cloneMsg = (m: MsgNode): MsgNode => ({
  props: new Map(m.props), blobs: new Map(m.blobs), read: m.read,
  recipients: new Map([...m.recipients].map(([k, v]) => [k, new Map(v)])),
  attachments: new Map([...m.attachments].map(([k, a]) => [k, cloneAtt(a)])),
  nextAttach: m.nextAttach,
});
const cloneAtt = (a: AttNode): AttNode => ({ props: new Map(a.props), blobs: new Map(a.blobs), embedded: a.embedded ? cloneMsg(a.embedded) : null });

function blobIds(m: MsgNode, out = new Set<number>()): Set<number> {
  for (const b of m.blobs.values()) out.add(b.id);
  for (const a of m.attachments.values()) {
    for (const b of a.blobs.values()) out.add(b.id);
    if (a.embedded) blobIds(a.embedded, out);
  }
  return out;
}

/** 4 + valueSize for each property (forEach: for..of over the entries made a [tag, value] array per property, ~25 MB
 * of garbage in the IMAP bench's sync of 10,000 messages by a heap sampling profile). */
function valuesSize(props: Map<number, PropValue>): number {
  let s = 0;
  props.forEach((v, t) => {
    s += 4 + valueSize(t, v);
  });
  return s;
}
const propsSize = (n: Node): number => {
  let s = valuesSize(n.props);
  for (const b of n.blobs.values()) s += 4 + b.size;
  return s;
};
const attSize = (a: AttNode): number => propsSize(a) + (a.embedded ? msgSize(a.embedded) : 0);
/** PidTagMessageSize: properties, recipients, attachments and streamed values (roughly, as Exchange counts). */
function msgSize(m: MsgNode): number {
  let s = propsSize(m);
  for (const r of m.recipients.values()) s += valuesSize(r);
  for (const a of m.attachments.values()) s += attSize(a);
  return s;
}

/** Prepared statements of the hot read paths, per mailbox database (prepared once, not per call). */
const readStatements = new WeakMap<LocalMailbox['db'], { content: ReturnType<LocalMailbox['db']['prepare']>; open: ReturnType<LocalMailbox['db']['prepare']> }>();
function reads(mb: LocalMailbox) {
  let r = readStatements.get(mb.db);
  if (!r) {
    r = {
      content: mb.db.prepare('SELECT data FROM message_content WHERE mid = ?'),
      // openMessage: the row and its content in one statement
      open: mb.db.prepare('SELECT m.*, c.data AS content_data FROM messages m LEFT JOIN message_content c ON c.mid = m.mid WHERE m.mid = ?'),
    };
    readStatements.set(mb.db, r);
  }
  return r;
}

function loadContent(mb: LocalMailbox, mid: number): Ser | null {
  const r = reads(mb).content.get(mid) as { data: string } | undefined;
  return r ? (JSON.parse(r.data) as Ser) : null;
}

/** @internal the blobs of a stored message (for delete) */
export function storedBlobIds(mb: LocalMailbox, mid: number): Set<number> {
  const s = loadContent(mb, mid);
  return s ? blobIds(deMsg(s, new Map(), false)) : new Set();
}

/** @internal Inside a write(): removes the content and blobs of a deleted message. */
export function dropContent(mb: LocalMailbox, mid: number): void {
  for (const id of storedBlobIds(mb, mid)) mb.blobs.drop(id);
  mb.sql('DELETE FROM message_content WHERE mid = ?').run(mid);
}

/** @internal Inside a write(): gives a copied message its own content and blob copies. */
export function copyContent(mb: LocalMailbox, from: number, to: number): void {
  const s = loadContent(mb, from);
  if (!s) return;
  const m = deMsg(s, new Map(), false);
  const map = new Map<number, number>();
  for (const id of blobIds(m)) {
    const c = mb.blobs.create(id);
    mb.blobs.markStored(c);
    map.set(id, c);
  }
  const remap = (n: Node) => { for (const [t, b] of n.blobs) n.blobs.set(t, { id: map.get(b.id) as number, size: b.size }); };
  const walk = (x: MsgNode) => {
    remap(x);
    for (const a of x.attachments.values()) {
      remap(a);
      if (a.embedded) walk(a.embedded);
    }
  };
  walk(m);
  mb.sql('INSERT OR REPLACE INTO message_content (mid, data) VALUES (?, ?)').run(to, JSON.stringify(serMsg(m, true)));
}

/** Stores PidTagHasAttachments of a message node from its attachments (at save: readers need no attachment query). */
function storeHasAttachments(m: MsgNode): void {
  bump(m);
  m.props.set(PidTagHasAttachments, m.attachments.size > 0);
}

/**
 * Once per mailbox file: messages saved before PidTagHasAttachments was stored with them get it from their stored
 * attachments (one query over message_content, marked done in meta). Called when the mailbox opens.
 */
export function backfillHasAttachments(mb: LocalMailbox): void {
  const db = mb.db;
  if (db.prepare("SELECT 1 FROM meta WHERE k = 'has_attachments_stored'").get()) return;
  db.transaction(() => {
    const rows = db.prepare("SELECT m.mid, m.props, m.big FROM messages m JOIN message_content c ON c.mid = m.mid WHERE json_array_length(c.data, '$.a') > 0")
      .all() as { mid: number; props: string; big: Buffer | null }[];
    const up = db.prepare('UPDATE messages SET props = ?, big = ? WHERE mid = ?');
    for (const r of rows) {
      const props = decodeStored(r.props, r.big);
      if (props.get(PidTagHasAttachments) === true) continue;
      props.set(PidTagHasAttachments, true);
      const s = encodeStored(props);
      up.run(s.text, s.big, r.mid);
    }
    db.prepare("INSERT OR REPLACE INTO meta (k, v) VALUES ('has_attachments_stored', '1')").run();
  })();
}

// ---------------------------------------------------------------- shared property access

const STREAMABLE = new Set<number>([PT.BINARY, PT.UNICODE, PT.STRING8]);

/** Notes a change of `n` (cached computed properties are rebuilt). */
const bump = (n: Node): void => {
  n.rev = (n.rev ?? 0) + 1;
};

function setValue(n: Node, tag: number, v: PropValue): void {
  bump(n);
  deleteSameId(n.props, tag);
  for (const t of [...n.blobs.keys()]) if (propId(t) === propId(tag)) n.blobs.delete(t);
  n.props.set(tag >>> 0, v);
}
function deleteValue(n: Node, tag: number): void {
  bump(n);
  deleteSameId(n.props, tag);
  for (const t of [...n.blobs.keys()]) if (propId(t) === propId(tag)) n.blobs.delete(t);
}

/** The computed view plus blob-held values as NotEnoughMemory errors (MS-OXCPRPT 3.2.5.1: read those by stream). */
function pick(all: Map<number, PropValue>, blobs: Map<number, BlobRef>, tags?: readonly number[]): PropResult[] {
  // as pickProps reports errors: under the PT_ERROR tag of the property
  const oom = (tag: number): PropResult => ({ tag: makeTag(propId(tag), PT.ERROR), error: SEC.NotEnoughMemory });
  if (!tags) return [...pickProps(all), ...[...blobs.keys()].map(oom)];
  if (blobs.size === 0) return pickProps(all, tags);
  return pickProps(all, tags).map((r, i) => {
    const tag = tags[i] as number;
    const hit = [...blobs.keys()].some((t) => propId(t) === propId(tag));
    return hit && 'error' in r ? oom(tag) : r;
  });
}

const toBytes = (tag: number, v: PropValue): Buffer =>
  propType(tag) === PT.UNICODE ? Buffer.from(v as string, 'utf16le') : propType(tag) === PT.STRING8 ? Buffer.from(v as string, 'latin1') : Buffer.from(v as Buffer);
const fromBytes = (tag: number, b: Buffer): PropValue =>
  propType(tag) === PT.UNICODE ? b.toString('utf16le', 0, b.length & ~1) : propType(tag) === PT.STRING8 ? b.toString('latin1') : b;

/** The root draft of a top-level message: owns the staged blobs of it and everything below it. */
interface Root { mb: LocalMailbox; staged: Set<number>; top?: MsgNode; ref?: WeakRef<Root> }

/**
 * The open top-level message copies of each mailbox that refer to stored blobs (weakly held), so that a save does not
 * drop a blob another open copy still refers to: RopSaveChangesMessage ForceSave on that copy must still find its
 * values (MS-OXCMSG 3.2.5.3). Such a blob goes back to staged (state 0) and belongs to that copy: its save stores
 * it, its discard drops it.
 * Only copies with a blob are tracked (opened with one, or saved with one): a weak reference keeps its target through
 * V8's minor GCs, so tracking every copy kept the converted values of a mirror's thousands of imported messages
 * alive into the old generation (measured: ~100 MB more promoted per 10,000 messages).
 */
const openRoots = new WeakMap<LocalMailbox, Set<WeakRef<Root>>>();

/** Sizes of openRoots sets at which their dead entries (copies dropped without discard) are swept out. */
const sweepAt = new WeakMap<Set<WeakRef<Root>>, number>();
const SWEEP_MIN = 256;

function newRoot(mb: LocalMailbox, top: MsgNode): Root {
  const root: Root = { mb, staged: new Set(), top };
  if (blobIds(top).size > 0) track(root);
  return root;
}

/** Tracks `root` in openRoots (once). */
function track(root: Root): void {
  if (root.ref) return;
  let set = openRoots.get(root.mb);
  if (!set) openRoots.set(root.mb, (set = new Set()));
  root.ref = new WeakRef(root);
  set.add(root.ref);
  // a discarded copy leaves the set (closeRoot); one dropped without a discard leaves it here, when the set has
  // doubled since the last sweep, so that a long-running mailbox does not collect one entry per copy ever opened
  if (set.size >= (sweepAt.get(set) ?? SWEEP_MIN)) {
    for (const ref of set) if (!ref.deref()?.top) set.delete(ref);
    sweepAt.set(set, Math.max(SWEEP_MIN, 2 * set.size));
  }
}

/** How many open copies mailbox `mb` tracks (tests: discarded copies are not kept). */
export function trackedOpenCopies(mb: LocalMailbox): number {
  return openRoots.get(mb)?.size ?? 0;
}

/** Another open copy of the mailbox whose working copy refers to blob `id`. */
function holderOf(mb: LocalMailbox, self: Root, id: number): Root | undefined {
  const set = openRoots.get(mb);
  if (!set) return undefined;
  for (const ref of set) {
    const r = ref.deref();
    if (!r || !r.top) {
      set.delete(ref);
      continue;
    }
    if (r !== self && blobIds(r.top).has(id)) return r;
  }
  return undefined;
}

function closeRoot(root: Root): void {
  root.top = undefined;
  if (root.ref) openRoots.get(root.mb)?.delete(root.ref);
}

abstract class LocalPropObject {
  constructor(protected readonly root: Root, protected readonly node: Node) {}

  abstract computed(): Map<number, PropValue>;
  protected abstract isComputed(tag: number): boolean;

  async getProps(tags?: readonly number[]): Promise<PropResult[]> {
    return pick(this.computed(), this.node.blobs, tags);
  }

  async listProps(): Promise<number[]> {
    return [...this.computed().keys(), ...this.node.blobs.keys()];
  }

  async setProps(values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    const problems: PropertyProblem[] = [];
    values.forEach((v, index) => {
      if (this.isComputed(v.tag)) return problems.push({ index, tag: v.tag, error: SEC.Computed });
      if (!checkValue(v.tag, v.value)) return problems.push({ index, tag: v.tag, error: SEC.InvalidParam });
      if (valueSize(v.tag, v.value) > this.root.mb.maxValueSize) return problems.push({ index, tag: v.tag, error: SEC.TooBig });
      this.setOne(v.tag >>> 0, v.value);
    });
    return problems;
  }

  protected setOne(tag: number, v: PropValue): void {
    setValue(this.node, tag, v);
  }

  async deleteProps(tags: readonly number[]): Promise<PropertyProblem[]> {
    const problems: PropertyProblem[] = [];
    tags.forEach((tag, index) => {
      if (this.isComputed(tag)) return problems.push({ index, tag, error: SEC.Computed });
      deleteValue(this.node, tag);
    });
    return problems;
  }

  async openStream(tag: number, mode: StreamMode): Promise<PropStream> {
    if (!STREAMABLE.has(propType(tag))) throw new StoreError('OC_STORE_NOT_STREAMABLE', SEC.NotSupported, `tag 0x${(tag >>> 0).toString(16)} is not streamable`);
    if (mode !== 'read' && this.isComputed(tag)) throw new StoreError('OC_STORE_COMPUTED', SEC.AccessDenied, 'computed property');
    const b = this.node.blobs.get(tag >>> 0);
    const v = this.node.props.get(tag >>> 0);
    if (mode === 'read' && !b && v === undefined) {
      const c = this.computed().get(tag >>> 0);
      if (c === undefined) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `property 0x${(tag >>> 0).toString(16)} not found`);
      return new LocalStream(this.root, this.node, tag >>> 0, mode, undefined, toBytes(tag, c));
    }
    return new LocalStream(this.root, this.node, tag >>> 0, mode, b?.id, v === undefined ? undefined : toBytes(tag, v));
  }
}

class LocalStream implements PropStream {
  /** The staged blob this stream writes (created on first write for readwrite, at open for create). */
  private own: number | null = null;
  private closed = false;

  constructor(
    private readonly root: Root,
    private readonly node: Node,
    readonly tag: number,
    private readonly mode: StreamMode,
    private src: number | undefined,
    private inline: Buffer | undefined,
  ) {
    if (mode === 'create') {
      this.src = undefined;
      this.inline = undefined;
    }
  }

  private get blobs() {
    return this.root.mb.blobs;
  }

  private check(): void {
    if (this.closed) throw new StoreError('OC_STORE_STREAM_CLOSED', SEC.InvalidParam, 'stream closed');
  }

  size(): number {
    if (this.own !== null) return this.blobs.size(this.own);
    if (this.src !== undefined) return this.blobs.size(this.src);
    return this.inline?.length ?? 0;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.check();
    if (offset < 0 || length < 0) throw new StoreError('OC_STORE_BAD_RANGE', SEC.InvalidParam, 'negative offset or length');
    if (this.own !== null) return this.blobs.read(this.own, offset, length);
    if (this.src !== undefined) return this.blobs.read(this.src, offset, length);
    const b = this.inline ?? Buffer.alloc(0);
    return Buffer.from(b.subarray(Math.min(offset, b.length), Math.min(b.length, offset + length)));
  }

  /** A staged blob of our own holding the current value (copy on first write). */
  private mine(): number {
    if (this.own === null) {
      this.own = this.src !== undefined ? this.blobs.create(this.src) : this.blobs.create(this.inline);
      this.root.staged.add(this.own);
    }
    return this.own;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check();
    if (this.mode === 'read') throw new StoreError('OC_STORE_STREAM_READONLY', SEC.AccessDenied, 'stream opened read-only');
    if (offset < 0) throw new StoreError('OC_STORE_BAD_RANGE', SEC.InvalidParam, 'negative offset');
    const max = this.root.mb.maxValueSize;
    if (offset + data.length > max) {
      throw new StoreError('OC_STORE_TOO_BIG', SEC.TooBig, `value of 0x${this.tag.toString(16)} would pass ${max} bytes`, { offset, length: data.length });
    }
    if (data.length === 0) return;
    this.blobs.write(this.mine(), offset, data);
  }

  async setSize(size: number): Promise<void> {
    this.check();
    if (this.mode === 'read') throw new StoreError('OC_STORE_STREAM_READONLY', SEC.AccessDenied, 'stream opened read-only');
    if (size < 0 || size > this.root.mb.maxValueSize) throw new StoreError('OC_STORE_TOO_BIG', SEC.TooBig, `stream size ${size}`);
    const id = this.mine();
    const cur = this.blobs.size(id);
    if (size > cur) this.blobs.write(id, size - 1, Buffer.alloc(1));
    else this.blobs.setSize(id, size);
  }

  async commit(): Promise<void> {
    this.check();
    if (this.mode === 'read') return;
    const id = this.mine();
    const size = this.blobs.size(id);
    if (size <= INLINE_MAX) {
      setValue(this.node, this.tag, fromBytes(this.tag, this.blobs.read(id, 0, size)));
      this.inline = this.blobs.read(id, 0, size);
      this.src = undefined;
      this.dropOwn();
    } else {
      deleteValue(this.node, this.tag);
      this.node.blobs.set(this.tag, { id, size });
      bump(this.node);
      // the committed blob is the object's now: further writes copy it first
      this.src = id;
      this.own = null;
    }
  }

  private dropOwn(): void {
    if (this.own === null) return;
    const id = this.own;
    this.own = null;
    this.root.staged.delete(id);
    this.root.mb.db.transaction(() => this.blobs.drop(id))();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropOwn();
  }
}

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


// ---------------------------------------------------------------- message status and flag bits (MS-OXCMSG 2.2.3.8-10)
// Changed in place: no CN, ChangeKey, PCL or modification time (MS-OXCMSG 3.2.5.8: "changes only the
// PidTagMessageStatus property"); an open copy keeps the stored value at its save unless it set it itself.

function messageInFolder(mb: LocalMailbox, fid: bigint, mid: bigint): MessageRow {
  const f = mb.folderRow(fid);
  const r = mb.messageRow(mid);
  if (r.fid !== f.fid) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `message 0x${mid.toString(16)} is not in folder 0x${fid.toString(16)}`);
  return r;
}

export async function getMessageStatus(mb: LocalMailbox, fid: bigint, mid: bigint): Promise<number> {
  const v = decodeStored(messageInFolder(mb, fid, mid).props, null).get(PidTagMessageStatus);
  return typeof v === 'number' ? v >>> 0 : 0;
}

export async function setMessageStatus(mb: LocalMailbox, fid: bigint, mid: bigint, flags: number, mask: number): Promise<number> {
  const r = messageInFolder(mb, fid, mid);
  const props = decodeStored(r.props, r.big);
  const v = props.get(PidTagMessageStatus);
  const before = typeof v === 'number' ? v >>> 0 : 0;
  const after = ((before & ~mask) | (flags & mask)) >>> 0;
  if (after !== before) {
    props.set(PidTagMessageStatus, after | 0);
    const s = encodeStored(props);
    mb.write(() => mb.sql('UPDATE messages SET props = ?, big = ? WHERE mid = ?').run(s.text, s.big, r.mid));
  }
  return before;
}

export async function clearMessageFlags(mb: LocalMailbox, fid: bigint, mids: readonly bigint[], bits: number): Promise<bigint[]> {
  const f = mb.folderRow(fid);
  const out: bigint[] = [];
  const up: { mid: number; s: StoredProps }[] = [];
  for (const mid of mids) {
    let r: MessageRow;
    try {
      r = mb.messageRow(mid);
    } catch {
      continue;
    }
    if (r.fid !== f.fid) continue;
    out.push(mid);
    const props = decodeStored(r.props, r.big);
    const v = props.get(TAG.MessageFlags);
    if (typeof v === 'number' && (v & bits) !== 0) {
      props.set(TAG.MessageFlags, v & ~bits);
      up.push({ mid: r.mid, s: encodeStored(props) });
    }
  }
  if (up.length > 0) {
    mb.write(() => {
      const st = mb.sql('UPDATE messages SET props = ?, big = ? WHERE mid = ?');
      for (const u of up) st.run(u.s.text, u.s.big, u.mid);
    });
  }
  return out;
}
