// What the IMAP copy of a mirrored message holds, as a key (issue 8 item 2: "MIME is rewritten only when content
// changes"): a save whose message has the same key before and after it changed only what IMAP keeps as flags and
// keywords, or what lives in the mailbox alone, so the write-back STOREs flags instead of APPENDing a new version.
//
// contentKey is a SHA-256 over the message's values, recipient rows and attachments (embedded messages recursively),
// leaving out what the MIME writer (buildMimeForStore, src/transport/mime.ts) never writes:
// - named properties (ids 0x8000 and up: the MIME writer reads none; categories, follow-up and reminder settings);
// - the read, follow-up and last-verb state (MS-OXCMSG 2.2.1.6 PidTagMessageFlags, MS-OXOFLAG PidTagFlagStatus and
//   its companions, MS-OXOMSG PidTagLastVerbExecuted), which are IMAP flags;
// - what the store maintains itself: identifiers, sizes, times of change, change tracking (MS-OXCFXICS PidTagChangeKey,
//   PidTagPredecessorChangeList), access.
// - PidTagRtfCompressed while the message has PidTagBody or PidTagHtml: the MIME writer builds the bodies from those
//   then (it reads the RTF only for a message without them), and Outlook uploads the RTF it got in the download.
// A string counts by its text, whether it is stored as PtypString8 or PtypString (a body imported as 8-bit text comes
// back from a Unicode client as PtypString). Any other property counts: an unknown one makes the save an edit (a new
// APPEND), which is what it was before.
import { createHash, type Hash } from 'node:crypto';
import { propId, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import type { LoadedAttachment, LoadedMessage } from '../../../transport/mime.js';

/** Property ids of a message that the MIME writer never writes. */
const NOT_CONTENT = new Set([
  0x0e07, // PidTagMessageFlags
  0x0e08, // PidTagMessageSize
  0x0e09, // PidTagParentEntryId
  0x0e17, // PidTagMessageStatus
  0x0e1b, // PidTagHasAttachments
  0x0e1f, // PidTagRtfInSync
  0x0e2b, // PidTagToDoItemFlags
  0x0e2c, // PidTagSwappedToDoStore
  0x0e2d, // PidTagSwappedToDoData
  0x0e69, // PidTagRead (PidTagMessageFlags' MSGFLAG_READ as a boolean)
  0x0e79, // PidTagTrustSender
  0x0ff4, // PidTagAccess
  0x0ff6, // PidTagInstanceKey
  0x0ff7, // PidTagAccessLevel
  0x0ff8, // PidTagMappingSignature
  0x0ff9, // PidTagRecordKey
  0x0ffa, // PidTagStoreRecordKey
  0x0ffb, // PidTagStoreEntryId
  0x0ffe, // PidTagObjectType
  0x0fff, // PidTagEntryId
  0x1080, // PidTagIconIndex
  0x1081, // PidTagLastVerbExecuted
  0x1082, // PidTagLastVerbExecutionTime
  0x1090, // PidTagFlagStatus
  0x1091, // PidTagFlagCompleteTime
  0x1095, // PidTagFollowupIcon
  0x1016, // PidTagNativeBody
  0x1096, // PidTagBlockStatus
  0x1097, // PidTagItemTemporaryFlags
  0x3007, // PidTagCreationTime
  0x3008, // PidTagLastModificationTime
  0x3ffa, // PidTagLastModifierName
  0x3ffb, // PidTagLastModifierEntryId
  0x65e0, // PidTagSourceKey
  0x65e1, // PidTagParentSourceKey
  0x65e2, // PidTagChangeKey
  0x65e3, // PidTagPredecessorChangeList
  0x6748, // PidTagFolderId
  0x6749, // PidTagParentFolderId
  0x674a, // PidTagMid
  0x67a4, // PidTagChangeNumber
]);

/** Property ids of a recipient row or an attachment that the store numbers or computes. */
const NOT_CONTENT_ROW = new Set([
  0x3000, // PidTagRowid
  0x0e20, // PidTagAttachSize
  0x0e21, // PidTagAttachNumber
  0x0ff6, // PidTagInstanceKey
  0x0ff9, // PidTagRecordKey
  0x0ffe, // PidTagObjectType
  0x3007, // PidTagCreationTime
  0x3008, // PidTagLastModificationTime
]);

const counts = (id: number, skip: ReadonlySet<number>): boolean => id < 0x8000 && !skip.has(id);

function value(h: Hash, v: PropValue | undefined): void {
  if (v === null || v === undefined) h.update('z;');
  else if (typeof v === 'number') h.update(`n${v};`);
  else if (typeof v === 'bigint') h.update(`b${v};`);
  else if (typeof v === 'boolean') h.update(v ? 't;' : 'f;');
  else if (typeof v === 'string') h.update(`s${v.length}:`).update(v, 'utf8');
  else if (Buffer.isBuffer(v) || v instanceof Uint8Array) h.update(`x${v.length}:`).update(v);
  else {
    h.update(`a${v.length}[`);
    for (const x of v as PropValue[]) value(h, x);
    h.update(']');
  }
}

const PT_STRING8 = 0x001e;
const PT_MV_STRING8 = 0x101e;
const ID_BODY = 0x1000;
const ID_HTML = 0x1013;
const ID_RTF = 0x1009;

/** The tag with PtypString8 read as PtypString (single and multiple), so a string counts by its text. */
const unicodeTag = (tag: number): number => {
  const t = tag & 0xffff;
  return (t === PT_STRING8 || t === PT_MV_STRING8 ? (tag & ~0xffff) | (t + 1) : tag) >>> 0;
};

function values(h: Hash, m: ReadonlyMap<number, PropValue> | readonly TaggedValue[], skip: ReadonlySet<number>): void {
  const all = m instanceof Map ? [...m].map(([tag, v]) => ({ tag, value: v })) : [...(m as readonly TaggedValue[])];
  // the RTF is content only for a message without the bodies the MIME writer uses first
  const bodies = all.some((p) => propId(p.tag) === ID_BODY || propId(p.tag) === ID_HTML);
  const list = all
    .filter((p) => counts(propId(p.tag), skip) && !(bodies && propId(p.tag) === ID_RTF))
    .map((p) => ({ tag: unicodeTag(p.tag), value: p.value }))
    .sort((a, b) => a.tag - b.tag);
  h.update(`{${list.length}`);
  for (const p of list) {
    h.update(`|${p.tag.toString(16)}=`);
    value(h, p.value);
  }
  h.update('}');
}

function message(h: Hash, m: LoadedMessage): void {
  values(h, m.values, NOT_CONTENT);
  h.update(`R${m.recipients.length}`);
  for (const r of m.recipients) {
    h.update(`r${r.recipientType}`);
    values(h, r.props, NOT_CONTENT_ROW);
  }
  h.update(`A${m.attachments.length}`);
  for (const a of m.attachments) attachment(h, a);
}

function attachment(h: Hash, a: LoadedAttachment): void {
  values(h, a.values, NOT_CONTENT_ROW);
  if (a.embedded) {
    h.update('E');
    message(h, a.embedded);
  }
}

/** The key of what a message's IMAP copy holds: equal keys, same MIME content. */
export function contentKey(m: LoadedMessage): string {
  const h = createHash('sha256');
  message(h, m);
  return h.digest('hex');
}
