// Reading a stored message whole and copying it into another mailbox (issue 6 item 3): the property values, the
// recipient rows, the attachments and embedded messages (MS-OXCMSG 2.2). Values the store keeps as streams (larger
// than the inline limit: getProps answers them with NotEnoughMemory) are copied through PropStreams in 64 KiB
// pieces, so a long body is never held twice.
import { MAPI_E, PT, propId, propType, type PropValue, type TaggedValue } from '../mapi/props.js';
import { ATTACH_EMBEDDED_MSG, type MessageObject, type PropObject, type RecipientRow } from '../mapistore/types.js';
import { T } from './tags.js';

const CHUNK = 64 * 1024;

/** All properties of an object: inline values plus the tags of the values only a stream can read. */
export async function listValues(obj: PropObject): Promise<{ values: Map<number, PropValue>; streamed: number[] }> {
  const tags = await obj.listProps();
  const res = tags.length > 0 ? await obj.getProps(tags) : [];
  const values = new Map<number, PropValue>();
  const streamed: number[] = [];
  res.forEach((r, i) => {
    const tag = tags[i]! >>> 0;
    if ('value' in r) values.set(tag, r.value);
    else if (r.error === MAPI_E.NOT_ENOUGH_MEMORY) streamed.push(tag);
  });
  return { values, streamed };
}

/** Reads one streamed value whole (for MIME: bodies and attachment data). */
export async function readStreamed(obj: PropObject, tag: number): Promise<PropValue> {
  const s = await obj.openStream(tag, 'read');
  try {
    const parts: Buffer[] = [];
    const size = s.size();
    for (let off = 0; off < size; off += CHUNK) parts.push(await s.read(off, Math.min(CHUNK, size - off)));
    const b = Buffer.concat(parts);
    if (propType(tag) === PT.UNICODE) return b.toString('utf16le', 0, b.length & ~1);
    if (propType(tag) === PT.STRING8) return b.toString('latin1');
    return b;
  } finally {
    await s.close();
  }
}

/** All values of an object, streamed ones read whole. */
export async function readAllValues(obj: PropObject): Promise<Map<number, PropValue>> {
  const { values, streamed } = await listValues(obj);
  for (const tag of streamed) values.set(tag, await readStreamed(obj, tag));
  return values;
}

async function copyStream(src: PropObject, dst: PropObject, tag: number): Promise<void> {
  const s = await src.openStream(tag, 'read');
  try {
    const d = await dst.openStream(tag, 'create');
    try {
      const size = s.size();
      for (let off = 0; off < size; off += CHUNK) await d.write(off, await s.read(off, Math.min(CHUNK, size - off)));
      await d.commit();
    } finally {
      await d.close();
    }
  } finally {
    await s.close();
  }
}

/** Copies the properties of `src` onto `dst` (computed ones are refused by the store and skipped), streams included. */
async function copyProps(src: PropObject, dst: PropObject, skipIds: ReadonlySet<number>): Promise<void> {
  const { values, streamed } = await listValues(src);
  const out: TaggedValue[] = [];
  for (const [tag, value] of values) if (!skipIds.has(propId(tag)) && propType(tag) !== PT.ERROR) out.push({ tag, value });
  if (out.length > 0) await dst.setProps(out);
  for (const tag of streamed) if (!skipIds.has(propId(tag))) await copyStream(src, dst, tag);
}

export interface CopyOptions {
  /** Property ids not copied onto the top-level message. */
  skipIds?: ReadonlySet<number>;
  /** Which recipient rows to keep (default all). */
  keepRecipient?: (row: RecipientRow) => boolean;
}

const NONE = new Set<number>();
// the attachment's number and size are the store's; embedded messages come through openEmbeddedMessage
const ATTACH_SKIP = new Set<number>([0x0e21 /* PidTagAttachNumber */, 0x0e20 /* PidTagAttachSize */]);

/** Copies a message (properties, recipients, attachments, embedded messages, recursively) into `dst` without saving it. */
export async function copyMessageInto(src: MessageObject, dst: MessageObject, opts: CopyOptions = {}): Promise<void> {
  await copyProps(src, dst, opts.skipIds ?? NONE);
  const rows = await src.readRecipients();
  const keep = opts.keepRecipient ?? (() => true);
  const kept = rows.filter(keep);
  if (kept.length > 0) await dst.setRecipients(kept.map((r) => ({ rowId: r.rowId, props: r.props })));
  for (const { attachNum } of await src.attachmentTable([T.AttachMethod])) {
    const sa = await src.openAttachment(attachNum);
    try {
      const da = await dst.createAttachment();
      try {
        await copyProps(sa, da, ATTACH_SKIP);
        const method = (await sa.getProps([T.AttachMethod]))[0];
        if (method && 'value' in method && method.value === ATTACH_EMBEDDED_MSG) {
          const se = await sa.openEmbeddedMessage(false);
          try {
            const de = await da.openEmbeddedMessage(true);
            try {
              await copyMessageInto(se, de);
              await de.save();
            } catch (e) {
              await de.discard().catch(() => {});
              throw e;
            }
          } finally {
            await se.discard();
          }
        }
        await da.save();
      } catch (e) {
        await da.discard();
        throw e;
      }
    } finally {
      await sa.discard();
    }
  }
}
