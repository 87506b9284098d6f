// The in-memory form of a message object of the embedded backend (objects.ts) and its stored form: a node tree
// (properties, recipients, attachments, embedded messages, references to blobs) that message_content keeps as JSON
// beside the message row (top-level properties live in the row itself); values past INLINE_MAX (prop-object.ts) live
// in blobs (blobs.ts) referenced by id. Also the sizes (PidTagMessageSize), the content helpers of deletes and copies
// (dropContent, copyContent), and the stored PidTagHasAttachments: set by every save (storeHasAttachments) and given
// once to messages saved before it was stored (backfillHasAttachments, when the mailbox opens).
import type { PropValue } from '../../../mapi/props.js';
import { decodeProps, decodeStored, encodeProps, encodeStored, valueSize } from '../../propcodec.js';
import { PidTagHasAttachments } from './computed.js';
import type { LocalMailbox } from './mailbox.js';

export interface BlobRef { id: number; size: number }
/** `rev` counts the changes of a node's working copy (computed properties cached by LocalMessage follow it). */
export interface Node { props: Map<number, PropValue>; blobs: Map<number, BlobRef>; rev?: number }
export interface MsgNode extends Node {
  read: boolean;
  recipients: Map<number, Map<number, PropValue>>;
  attachments: Map<number, AttNode>;
  nextAttach: number;
}
export interface AttNode extends Node { embedded: MsgNode | null }

/** Notes a change of `n` (cached computed properties are rebuilt). */
export const bump = (n: Node): void => {
  n.rev = (n.rev ?? 0) + 1;
};

// ---------------------------------------------------------------- (de)serialization

export type Ser = { p?: string; b: [number, number, number][]; r?: [number, string][]; a?: [number, Ser][]; n?: number; rd?: boolean; e?: Ser | null };

const serBlobs = (n: Node): [number, number, number][] => [...n.blobs].map(([t, b]) => [t, b.id, b.size]);
const deBlobs = (b: [number, number, number][] | undefined): Map<number, BlobRef> => new Map((b ?? []).map(([t, id, size]) => [t, { id, size }]));

export function serMsg(m: MsgNode, top: boolean): Ser {
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

export function deMsg(s: Ser | null, props: Map<number, PropValue>, read: boolean): MsgNode {
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

export const cloneMsg = (m: MsgNode): MsgNode => ({
  props: new Map(m.props), blobs: new Map(m.blobs), read: m.read,
  recipients: new Map([...m.recipients].map(([k, v]) => [k, new Map(v)])),
  attachments: new Map([...m.attachments].map(([k, a]) => [k, cloneAtt(a)])),
  nextAttach: m.nextAttach,
});
export const cloneAtt = (a: AttNode): AttNode => ({ props: new Map(a.props), blobs: new Map(a.blobs), embedded: a.embedded ? cloneMsg(a.embedded) : null });

export function blobIds(m: MsgNode, out = new Set<number>()): Set<number> {
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
export const attSize = (a: AttNode): number => propsSize(a) + (a.embedded ? msgSize(a.embedded) : 0);
/** PidTagMessageSize: properties, recipients, attachments and streamed values (roughly, as Exchange counts). */
export function msgSize(m: MsgNode): number {
  let s = propsSize(m);
  for (const r of m.recipients.values()) s += valuesSize(r);
  for (const a of m.attachments.values()) s += attSize(a);
  return s;
}

/** Prepared statements of the hot read paths, per mailbox database (prepared once, not per call). */
const readStatements = new WeakMap<LocalMailbox['db'], { content: ReturnType<LocalMailbox['db']['prepare']>; open: ReturnType<LocalMailbox['db']['prepare']> }>();
export function reads(mb: LocalMailbox) {
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
export function storeHasAttachments(m: MsgNode): void {
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
