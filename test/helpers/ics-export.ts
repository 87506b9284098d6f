// The store's side of the cached-mode comparisons: messages exported in the canonical form test/interop/emsmdb/
// cached_mode.py prints what it receives in (hex of each little-endian value, strings as UTF-16LE whatever their
// stored width, named properties by GUID and LID/name, recipients and attachments with embedded messages), for
// test/interop/emsmdb-ics.test.ts (embedded store) and test/integration/imap-session.test.ts (IMAP backend).
import { PT, type PropValue } from '../../src/mapi/props.js';
import type { MailboxStore, MessageObject, PropResult } from '../../src/mapistore/types.js';
import { encodeFixed } from '../../src/rop/fxics/props.js';
import { eidString } from './emsmdb-mailbox.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const PidTagAttachMethod = 0x37050003;

// Per-object identifiers and computed values the store answers for a message that are not part of its content in a
// FastTransfer stream (MS-OXCFXICS 3.2.5.8.1.1 / MS-OXCMSG 2.2.1: the entry IDs, record/instance keys, access, the
// object type; the message size is sent in the change header / progress data, not as content).
export const NOT_CONTENT = new Set([
  0x0fff0102, 0x0e090102, 0x0ff90102, 0x0ffb0102, 0x0ffa0102, 0x0ff80102, 0x0ff60102, 0x0ff40003, 0x0ff70003,
  0x0ffe0003, 0x674a0014, 0x67480014, 0x0e080003, 0x0e080014, 0x66700102, 0x67490014,
  // computed from other properties (MS-OXPROPS / MS-OXCMSG 2.2.1): PidTagRead (MSGFLAG_READ of PidTagMessageFlags),
  // PidTagAttachSize, PidTagHasAttachments (MSGFLAG_HASATTACH of PidTagMessageFlags, compared, and the attachments
  // themselves) and PidTagAssociated of an embedded message; PidTagParentSourceKey: a message's folder is the synchronized folder, the
  // messageChangeHeader (MS-OXCFXICS 2.2.4.3, contentsSync) carries SourceKey, LastModificationTime, ChangeKey, PCL, Associated,
  // Mid, MessageSize, ChangeNumber only
  0x0e69000b, 0x0e200003, 0x65e10102, 0x0e1b000b,
]);
/** Computed on embedded messages only (top-level ones keep it in the comparison: the change header carries it). */
const EMBEDDED_COMPUTED = new Set(['0x67AA000B']);


function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
/** Fixed-size types written as their FastTransfer bytes (src/rop/fxics/props.ts encodeFixed). */
const FIXED = new Set<number>([PT.I2, PT.LONG, PT.ERROR, PT.R4, PT.DOUBLE, PT.APPTIME, PT.I8, PT.CURRENCY, PT.SYSTIME]);

function scalar(t: number, v: PropValue): unknown {
  if (t === PT.BOOLEAN) return Boolean(v);
  if (t === PT.UNICODE || t === PT.STRING8) return Buffer.from(String(v), 'utf16le').toString('hex');
  if (FIXED.has(t)) return encodeFixed(t, v).toString('hex');
  return Buffer.isBuffer(v) ? v.toString('hex') : Buffer.from(v as unknown as Uint8Array).toString('hex');
}

export async function canonProps(mb: MailboxStore, props: readonly (PropResult | { tag: number; value: PropValue })[]): Promise<Json> {
  const out: Json = {};
  for (const p of props) {
    if (!('value' in p)) continue;
    const tag = p.tag >>> 0;
    if (NOT_CONTENT.has(tag)) continue;
    let t = tag & 0xffff;
    if (t === PT.OBJECT || (t & 0xffff) === PT.ERROR) continue;
    if (t === PT.STRING8) t = PT.UNICODE;
    if (t === 0x101e) t = 0x101f;
    const id = tag >>> 16;
    let key = `0x${hex8(((id << 16) | t) >>> 0)}`;
    if (id >= 0x8000) {
      const [name] = await mb.getNames([id]);
      if (!name) continue;
      const k = name.lid !== undefined ? `lid:0x${name.lid.toString(16).toUpperCase().padStart(4, '0')}` : `name:${name.name}`;
      key = `${name.guid.toLowerCase()}/${k}/0x${t.toString(16).toUpperCase().padStart(4, '0')}`;
    }
    const v = p.value;
    out[key] = t & 0x1000 ? (v as unknown[]).map((x) => scalar(t & ~0x3000, x as PropValue)) : scalar(t, v);
  }
  return out;
}

export async function exportMessage(mb: MailboxStore, m: MessageObject, props: PropResult[], embedded = false): Promise<Json> {
  const recips = await m.readRecipients();
  const atts = await m.attachmentTable();
  const attachments: Json[] = [];
  for (const a of atts) {
    const at = await m.openAttachment(a.attachNum);
    const ap = await at.getProps();
    const e: Json = { props: await canonProps(mb, ap) };
    const method = ap.find((x) => x.tag === PidTagAttachMethod);
    if (method && 'value' in method && method.value === 5) {
      const em = await at.openEmbeddedMessage(false);
      e.embedded = await exportMessage(mb, em, await em.getProps(), true);
      await em.discard();
    }
    await at.discard();
    attachments.push(e);
  }
  const own = await canonProps(mb, props);
  if (embedded) for (const k of EMBEDDED_COMPUTED) delete own[k];
  return {
    props: own,
    recipients: await Promise.all(recips.map((r) => canonProps(mb, r.props))),
    attachments,
  };
}

export async function exportMessages(mb: MailboxStore, mids: bigint[]): Promise<Json> {
  const out: Json = {};
  for (const mid of mids) {
    const m = await mb.openMessage(mid);
    try {
      // the properties of the opened message (what RopOpenMessage + RopGetPropertiesAll answer online)
      out[eidString(mid)] = await exportMessage(mb, m, await m.getProps());
    } finally {
      await m.discard();
    }
  }
  return out;
}
