// Shared pieces of the FastTransfer content tests: building messages with recipients, attachments, embedded messages
// and large bodies through the store's message model, and a comparable description of a stored message (properties
// the copy carries, recipients, attachments, embedded messages; large values as their SHA-256).
import { createHash } from 'node:crypto';
import { PT, propId, propType, type PropValue, type TaggedValue } from '../../../src/mapi/props.js';
import { SEC } from '../../../src/mapistore/errors.js';
import type { MailboxStore, MessageObject, PropObject } from '../../../src/mapistore/types.js';
import { NOT_COPIED } from '../../../src/rop/fxics/content.js';

export const TAGS = {
  Subject: 0x0037001f,
  MessageClass: 0x001a001f,
  Body: 0x1000001f,
  Importance: 0x00170003,
  MessageFlags: 0x0e070003,
  Categories: 0x9000101f,
  DisplayName: 0x3001001f,
  EmailAddress: 0x3003001f,
  AddressType: 0x3002001f,
  RecipientType: 0x0c150003,
  AttachMethod: 0x37050003,
  AttachLongFilename: 0x3707001f,
  AttachDataBinary: 0x37010102,
  Comment: 0x3004001f,
  ContainerClass: 0x3613001f,
  CreationTime: 0x30070040,
  LastModificationTime: 0x30080040,
} as const;

/** Deterministic pseudo-random bytes. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A text of `chars` characters (UTF-16: 2 bytes each), with some non-Latin ones. */
export function text(chars: number, seed = 1): string {
  const alpha = 'abcdefghij klmnopqrstuvwxyz ÄÖÜ äöü 日本語 €\n';
  let s = '';
  let x = seed;
  for (let i = 0; i < chars; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += alpha[x % alpha.length];
  }
  return s;
}

async function writeStream(obj: PropObject, tag: number, data: Buffer): Promise<void> {
  const s = await obj.openStream(tag, 'create');
  for (let off = 0; off < data.length; off += 256 * 1024) await s.write(off, data.subarray(off, off + 256 * 1024));
  await s.commit();
  await s.close();
}

export interface RichOptions {
  /** Body characters (stored as a blob through a stream when large). */
  bodyChars?: number;
  recipients?: number;
  /** Attachment data bytes (one by-value attachment). */
  attachmentBytes?: number;
  embedded?: boolean;
  seed?: number;
  associated?: boolean;
  named?: number;
}

/** A saved message in `fid` with the parts asked for; returns its MID. */
export async function richMessage(mb: MailboxStore, fid: bigint, o: RichOptions = {}): Promise<bigint> {
  const seed = o.seed ?? 1;
  const msg = await mb.newMessage(fid, o.associated ? { associated: true } : {});
  const props: TaggedValue[] = [
    { tag: TAGS.Subject, value: `Subject ${seed} – äöü` },
    { tag: TAGS.MessageClass, value: o.associated ? 'IPM.Configuration.Test' : 'IPM.Note' },
    { tag: TAGS.Importance, value: seed % 3 },
  ];
  if (o.named) {
    const [id] = await mb.getNamedIds([{ guid: '00020329-0000-0000-c000-000000000046', name: 'Keywords' }], true);
    props.push({ tag: ((id as number) << 16) | PT.MV_UNICODE, value: ['red', `cat${seed}`] });
  }
  await msg.setProps(props);
  const body = text(o.bodyChars ?? 200, seed);
  if (body.length * 2 > 32 * 1024) await writeStream(msg, TAGS.Body, Buffer.from(body, 'utf16le'));
  else await msg.setProps([{ tag: TAGS.Body, value: body }]);
  const nr = o.recipients ?? 2;
  await msg.modifyRecipients(Array.from({ length: nr }, (_, i) => ({
    rowId: i,
    props: [
      { tag: TAGS.RecipientType, value: (i % 3) + 1 },
      { tag: TAGS.DisplayName, value: `Recipient ${i}` },
      { tag: TAGS.EmailAddress, value: `r${i}@example.com` },
      { tag: TAGS.AddressType, value: 'SMTP' },
    ],
  })));
  if (o.attachmentBytes !== undefined) {
    const att = await msg.createAttachment();
    await att.setProps([{ tag: TAGS.AttachMethod, value: 1 }, { tag: TAGS.AttachLongFilename, value: `file${seed}.bin` }]);
    const data = bytes(o.attachmentBytes, seed);
    if (data.length > 32 * 1024) await writeStream(att, TAGS.AttachDataBinary, data);
    else await att.setProps([{ tag: TAGS.AttachDataBinary, value: data }]);
    await att.save();
  }
  if (o.embedded) {
    const att = await msg.createAttachment();
    await att.setProps([{ tag: TAGS.AttachLongFilename, value: 'forwarded.msg' }]);
    const emb = await att.openEmbeddedMessage(true);
    await emb.setProps([{ tag: TAGS.Subject, value: 'Embedded' }, { tag: TAGS.MessageClass, value: 'IPM.Note' }, { tag: TAGS.Body, value: 'inner body' }]);
    await emb.modifyRecipients([{ rowId: 0, props: [{ tag: TAGS.RecipientType, value: 1 }, { tag: TAGS.DisplayName, value: 'Inner' }] }]);
    const inner = await emb.createAttachment();
    await inner.setProps([{ tag: TAGS.AttachMethod, value: 1 }, { tag: TAGS.AttachDataBinary, value: bytes(100, 7) }]);
    await inner.save();
    await emb.save();
    await att.save();
  }
  const mid = await msg.save();
  await msg.discard();
  return mid;
}

/** Properties compared between an original and its copy: what the copy carries, minus times the store sets. */
const IGNORED = new Set<number>([...NOT_COPIED, propId(TAGS.CreationTime), propId(TAGS.LastModificationTime), 0x0e210000 >>> 16]);

function show(v: PropValue): unknown {
  if (Buffer.isBuffer(v)) return v.length > 64 ? `sha256:${createHash('sha256').update(v).digest('hex')}` : `hex:${v.toString('hex')}`;
  if (typeof v === 'string' && v.length > 64) return `sha256:${createHash('sha256').update(v, 'utf16le').digest('hex')}`;
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return (v as PropValue[]).map((x) => show(x));
  return v;
}

/** name-keyed (for named ids) map of an object's properties that a copy must reproduce. */
async function propsOf(mb: MailboxStore, obj: PropObject): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const tags = [...new Set((await obj.listProps()).map((t) => t >>> 0))].filter((t) => !IGNORED.has(propId(t)) && propType(t) !== PT.OBJECT);
  const got = await obj.getProps(tags);
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i] as number;
    const r = got[i]!;
    let v: PropValue;
    if ('error' in r) {
      if (r.error !== SEC.NotEnoughMemory) continue;
      const s = await obj.openStream(tag, 'read');
      const parts: Buffer[] = [];
      for (let off = 0; off < s.size(); off += 65536) parts.push(await s.read(off, 65536));
      await s.close();
      const b = Buffer.concat(parts);
      v = propType(tag) === PT.UNICODE ? b.toString('utf16le') : b;
    } else v = r.value;
    let key = `0x${tag.toString(16).padStart(8, '0')}`;
    if (propId(tag) >= 0x8000) {
      const [n] = await mb.getNames([propId(tag)]);
      key = `${JSON.stringify(n)}:${propType(tag).toString(16)}`;
    }
    out[key] = show(v);
  }
  return out;
}

export interface MessageDescription {
  props: Record<string, unknown>;
  recipients: Record<string, unknown>[];
  attachments: { props: Record<string, unknown>; embedded: MessageDescription | null }[];
}

export async function describeObject(mb: MailboxStore, msg: MessageObject): Promise<MessageDescription> {
  const recipients = (await msg.readRecipients()).map((r) => Object.fromEntries(r.props.filter((p) => !IGNORED.has(propId(p.tag))).map((p) => [`0x${(p.tag >>> 0).toString(16)}`, show(p.value)])));
  const attachments: MessageDescription['attachments'] = [];
  for (const a of await msg.attachmentTable([])) {
    const att = await msg.openAttachment(a.attachNum);
    let embedded: MessageDescription | null = null;
    try {
      const emb = await att.openEmbeddedMessage(false);
      embedded = await describeObject(mb, emb);
    } catch {
      embedded = null;
    }
    attachments.push({ props: await propsOf(mb, att), embedded });
  }
  return { props: await propsOf(mb, msg), recipients, attachments };
}

export async function describeMessage(mb: MailboxStore, mid: bigint): Promise<MessageDescription> {
  const msg = await mb.openMessage(mid);
  try {
    return await describeObject(mb, msg);
  } finally {
    await msg.discard();
  }
}

/** The MIDs of a folder (normal or FAI). */
export async function midsOf(mb: MailboxStore, fid: bigint, associated = false): Promise<bigint[]> {
  return (await mb.contentsRows(fid, { associated, tags: [] })).map((r) => r.id);
}

/** Descriptions of a folder's messages, in subject order. */
export async function describeFolder(mb: MailboxStore, fid: bigint, associated = false): Promise<MessageDescription[]> {
  const out: MessageDescription[] = [];
  for (const mid of await midsOf(mb, fid, associated)) out.push(await describeMessage(mb, mid));
  return out.sort((a, b) => String(a.props['0x0037001f']).localeCompare(String(b.props['0x0037001f'])));
}
