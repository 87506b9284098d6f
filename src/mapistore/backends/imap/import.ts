// IMAP -> mailbox mirror, one message: RFC 5322 bytes fetched from IMAP (RFC 9051 BODY.PEEK[], INTERNALDATE,
// FLAGS) made into a message of the LocalMailbox with the MessageObject API (MS-OXCMSG 2.2.3: properties,
// recipient rows, attachments, embedded messages), so change tracking (CN, ChangeKey, PCL, ICS) is the store's own.
// The MIME -> MAPI mapping is src/mime (docs/mime.md, MS-OXCMAIL 2.2.3); the IMAP flags map as follows:
//   \Seen -> read (PidTagMessageFlags MSGFLAG_READ, kept by the store apart from the other flags);
//   \Flagged -> PidTagFlagStatus 2 (followupFlagged, MS-OXOFLAG 2.2.1.1);
//   \Answered -> PidTagLastVerbExecuted 102 (NOTEVERBREPLYTOSENDER), $Forwarded -> 104 (NOTEVERBFORWARD),
//     forwarded winning when both are set (MS-OXOMSG 2.2.1.34);
//   \Draft -> MSGFLAG_UNSENT (MS-OXCMSG 2.2.1.6);
//   keywords that are categories -> PidNameKeywords (MS-OXCMSG 2.2.1.17; keywords.ts).
//
// Choices where the specs leave room:
// - a message that cannot be converted (MimeError or a converter failure, no header field at all, a value the
//   store refuses) is still
//   created: PidTagSubject from its Subject field when one can be read, PidTagMessageDeliveryTime from INTERNALDATE,
//   and the raw bytes as one attachment `message.eml` (message/rfc822), with a warning. It is never skipped.
// - properties the store refuses (PropertyProblems of setProps) are left out with a warning each.
// - named properties from a TNEF part are mapped to this mailbox's ids (created when new).
import { toFileTime, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { MIME_MAX_MESSAGE_BYTES, MimeError, parseMime } from '../../../mime/parse.js';
import { mimeToMapi } from '../../../mime/to-mapi.js';
import { decodeWords, utf8OrLatin1 } from '../../../mime/text.js';
import type { TnefNamedValue } from '../../../mime/tnef.js';
import type { LoadedMessage } from '../../../transport/mime.js';
import { T } from '../../../transport/tags.js';
import { StoreError } from '../../errors.js';
import { IMAP_FLAG } from '../../index/types.js';
import { MSGFLAG_READ } from '../../tags.js';
import { ATTACH_BY_VALUE, type MailboxStore, type MessageObject } from '../../types.js';
import { isCategoryKeyword, keywordsTag } from './keywords.js';

/** MS-OXOFLAG 2.2.1.1 PidTagFlagStatus, MS-OXOMSG 2.2.1.34 PidTagLastVerbExecuted. */
export const PidTagFlagStatus = 0x10900003;
export const PidTagLastVerbExecuted = 0x10810003;
export const FOLLOWUP_FLAGGED = 2;
export const NOTEVERB_REPLY_TO_SENDER = 102;
export const NOTEVERB_FORWARD = 104;
/** MS-OXCMSG 2.2.1.6 MSGFLAG_UNSENT. */
export const MSGFLAG_UNSENT = 0x08;

/**
 * IMAP_FLAG bits of an IMAP flag list (system flags and the RFC 5550 / RFC 3503 keywords the index keeps, and
 * Keywords when a keyword is a category).
 */
export function flagBits(flags: Iterable<string> | undefined): number {
  let bits = 0;
  for (const f of flags ?? []) {
    if (isCategoryKeyword(f)) {
      bits |= IMAP_FLAG.Keywords;
      continue;
    }
    switch (f.toLowerCase()) {
      case '\\seen': bits |= IMAP_FLAG.Seen; break;
      case '\\answered': bits |= IMAP_FLAG.Answered; break;
      case '\\flagged': bits |= IMAP_FLAG.Flagged; break;
      case '\\deleted': bits |= IMAP_FLAG.Deleted; break;
      case '\\draft': bits |= IMAP_FLAG.Draft; break;
      case '$forwarded': bits |= IMAP_FLAG.Forwarded; break;
      case '$mdnsent': bits |= IMAP_FLAG.MdnSent; break;
      default: break;
    }
  }
  return bits;
}

/** The follow-up flag and last verb of these IMAP_FLAG bits: values to set and tags to delete. */
export function flagProps(bits: number): { set: TaggedValue[]; del: number[] } {
  const set: TaggedValue[] = [];
  const del: number[] = [];
  if (bits & IMAP_FLAG.Flagged) set.push({ tag: PidTagFlagStatus, value: FOLLOWUP_FLAGGED });
  else del.push(PidTagFlagStatus);
  if (bits & IMAP_FLAG.Forwarded) set.push({ tag: PidTagLastVerbExecuted, value: NOTEVERB_FORWARD });
  else if (bits & IMAP_FLAG.Answered) set.push({ tag: PidTagLastVerbExecuted, value: NOTEVERB_REPLY_TO_SENDER });
  else del.push(PidTagLastVerbExecuted);
  return { set, del };
}

export interface ImportInput {
  uid: number;
  source: Buffer;
  internalDate: Date | null;
  /** IMAP_FLAG bits. */
  flags: number;
  /** The categories of its keywords (keywords.ts); none when absent. */
  categories?: string[];
}

export interface ImportResult {
  mid: bigint;
  /** Conversion and store warnings (tolerated brokenness, refused properties, the fallback). */
  warnings: string[];
  /** True when the message could not be converted and was kept as raw MIME. */
  fallback: boolean;
}

type WithNamed = { named?: TnefNamedValue[] };

/** Makes the message of one IMAP message in folder `fid`; never throws for bad message bytes. */
export async function importMessage(mb: MailboxStore, fid: bigint, input: ImportInput): Promise<ImportResult> {
  const { msg, warnings } = await prepareImport(mb, fid, input);
  return msg ? saveOrFallback(mb, fid, input, msg, warnings) : importFallback(mb, fid, input, warnings);
}

/** Saves a message of prepareImport and discards the copy; when the store refuses it, the raw-MIME fallback instead. */
export async function saveOrFallback(mb: MailboxStore, fid: bigint, input: ImportInput, msg: MessageObject, warnings: string[]): Promise<ImportResult> {
  try {
    return { mid: await msg.save(), warnings, fallback: false };
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    warnings.push(refusedBy(e));
  } finally {
    // saved or not, this copy is done with: the store stops tracking it (and its converted values) now, not at
    // some later full GC (a mirror imports thousands in a row)
    await msg.discard();
  }
  return importFallback(mb, fid, input, warnings);
}

/**
 * The converted message of one IMAP message, filled but not saved (the caller saves and discards it), with the
 * conversion's warnings; null when it cannot be converted or the store refused it while filling (then
 * importFallback stores it as raw MIME). Never throws for bad message bytes.
 */
export async function prepareImport(mb: MailboxStore, fid: bigint, input: ImportInput): Promise<{ msg: MessageObject | null; warnings: string[] }> {
  const warnings: string[] = [];
  let converted: (LoadedMessage & WithNamed) | null = null;
  try {
    const parsed = parseMime(input.source);
    if (parsed.root.headers.length === 0) {
      warnings.push('no header field: not an RFC 5322 message');
    } else {
      const m = mimeToMapi(parsed, input.internalDate ? { deliveryTime: input.internalDate } : {});
      warnings.push(...m.warnings);
      converted = m;
    }
  } catch (e) {
    // a MimeError is a message beyond the parser's limits; anything else is a converter fault on these bytes:
    // either way the message is kept as raw MIME (logged by the caller), the folder's sync goes on
    if (!(e instanceof Error)) throw e;
    warnings.push(e instanceof MimeError ? `${e.code}: ${e.message}` : `conversion failed (${e.name}: ${e.message})`);
  }
  if (!converted) return { msg: null, warnings };
  const msg = await mb.newMessage(fid);
  try {
    await fill(mb, msg, converted, warnings);
    await msg.setProps([...topProps(input, converted.values), ...(await categoryProps(mb, input))]);
    return { msg, warnings };
  } catch (e) {
    await msg.discard();
    if (!(e instanceof StoreError)) throw e;
    warnings.push(refusedBy(e));
    return { msg: null, warnings };
  }
}

/** The warning for a converted message the store refused (it is then kept as raw MIME). */
function refusedBy(e: StoreError): string {
  return `the store refused the converted message (${e.code}: ${e.message})`;
}

/** The message kept as raw MIME (attachment message.eml) of an IMAP message that could not be converted or stored. */
export async function importFallback(mb: MailboxStore, fid: bigint, input: ImportInput, warnings: string[]): Promise<ImportResult> {
  warnings.push('kept as raw MIME (attachment message.eml)');
  return { mid: await fallbackMessage(mb, fid, input, warnings), warnings, fallback: true };
}

/** Delivery time and flags of a top-level message. */
function topProps(input: ImportInput, values: Map<number, PropValue> | null): TaggedValue[] {
  const old = values?.get(T.MessageFlags);
  let flags = typeof old === 'number' ? old : 0;
  if (input.flags & IMAP_FLAG.Seen) flags |= MSGFLAG_READ;
  if (input.flags & IMAP_FLAG.Draft) flags |= MSGFLAG_UNSENT;
  const out: TaggedValue[] = [{ tag: T.MessageFlags, value: flags }, ...flagProps(input.flags).set];
  if (input.internalDate) out.push({ tag: T.MessageDeliveryTime, value: toFileTime(input.internalDate) });
  return out;
}

/** PidNameKeywords of a message whose keywords are categories (the named property is created when new). */
async function categoryProps(mb: MailboxStore, input: ImportInput): Promise<TaggedValue[]> {
  if (!input.categories || input.categories.length === 0) return [];
  const tag = await keywordsTag(mb, true);
  return tag ? [{ tag, value: input.categories }] : [];
}

async function setAll(mb: MailboxStore, obj: { setProps(v: readonly TaggedValue[]): Promise<{ tag: number; error: number }[]> }, values: Map<number, PropValue>, named: TnefNamedValue[] | undefined, warnings: string[]): Promise<void> {
  const list: TaggedValue[] = [...values].map(([tag, value]) => ({ tag, value }));
  if (named && named.length > 0) {
    const ids = await mb.getNamedIds(named.map((n) => n.name), true);
    named.forEach((n, i) => {
      const id = ids[i] ?? 0;
      if (id !== 0) list.push({ tag: ((id << 16) | n.type) >>> 0, value: n.value });
    });
  }
  for (const p of await obj.setProps(list)) warnings.push(`property 0x${(p.tag >>> 0).toString(16).padStart(8, '0')} refused (0x${(p.error >>> 0).toString(16)})`);
}

/** Properties, recipients and attachments (embedded messages recursively) of a converted message. */
async function fill(mb: MailboxStore, msg: MessageObject, m: LoadedMessage & WithNamed, warnings: string[]): Promise<void> {
  await setAll(mb, msg, m.values, m.named, warnings);
  if (m.recipients.length > 0) {
    await msg.setRecipients(
      m.recipients.map((r, i) => ({
        rowId: i,
        props: r.props.some((p) => p.tag >>> 0 === T.RecipientType) ? r.props : [{ tag: T.RecipientType, value: r.recipientType }, ...r.props],
      })),
    );
  }
  for (const a of m.attachments) {
    const att = await msg.createAttachment();
    await setAll(mb, att, a.values, (a as WithNamed).named, warnings);
    if (a.embedded) {
      const inner = await att.openEmbeddedMessage(true);
      await fill(mb, inner, a.embedded as LoadedMessage & WithNamed, warnings);
      await inner.save();
    }
    await att.save();
  }
}

/**
 * The stand-in for a message too large to convert (over MIME_MAX_MESSAGE_BYTES, fetched as BODY.PEEK[HEADER] only):
 * its own header fields but those about its body (Content-*, MIME-Version; folded lines with them), then a text/plain
 * body saying so, so that the mirrored message has its sender, recipients, date and subject. The write-back never
 * APPENDs over such a message (writeback.ts saveMessage), so the original stays whole on the server.
 */
export function stubSource(header: Buffer, size: number): Buffer {
  // latin1 keeps every byte of the header as it came (8-bit fields included)
  // well-formed fields only (RFC 5322 2.2: a name of printable characters but ":", then ":"), with their folded lines;
  // a line that is neither (or a continuation with no field before it) is left out, with its continuations
  const kept: string[] = [];
  let skipping = true;
  for (const line of header.toString('latin1').split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (!skipping) kept.push(line);
      continue;
    }
    skipping = !/^[!-9;-~]+[ \t]*:/.test(line) || /^(content-[!-9;-~]*|mime-version)[ \t]*:/i.test(line);
    if (!skipping) kept.push(line);
  }
  const mib = (n: number): string => (n / (1024 * 1024)).toFixed(1);
  const note =
    `This message is ${mib(size)} MB on the mail server: larger than the ${mib(MIME_MAX_MESSAGE_BYTES)} MB this server converts for Outlook, ` +
    'so only its header fields are shown here. Open it in another mail client or in webmail. It can be flagged, moved or deleted here; ' +
    'a change to its content is not saved to the mail server.\r\n';
  return Buffer.concat([
    Buffer.from(`${kept.join('\r\n')}${kept.length > 0 ? '\r\n' : ''}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`, 'latin1'),
    Buffer.from(note, 'utf8'),
  ]);
}

/** The Subject field of raw bytes (RFC 5322 3.6.5, unfolded, RFC 2047 decoded), '' when there is none. */
export function rawSubject(source: Buffer): string {
  const head = source.subarray(0, Math.min(source.length, 64 * 1024));
  const text = utf8OrLatin1(head);
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  const m = /(?:^|\n)subject:[ \t]*((?:[^\r\n]*)(?:\r?\n[ \t][^\r\n]*)*)/i.exec(block);
  if (!m) return '';
  return decodeWords(m[1]!.replace(/\r?\n(?=[ \t])/g, '')).trim();
}

async function fallbackMessage(mb: MailboxStore, fid: bigint, input: ImportInput, warnings: string[]): Promise<bigint> {
  const msg = await mb.newMessage(fid);
  const refused = (problems: { tag: number; error: number }[]): void => {
    for (const p of problems) warnings.push(`property 0x${(p.tag >>> 0).toString(16).padStart(8, '0')} refused (0x${(p.error >>> 0).toString(16)})`);
  };
  refused(await msg.setProps([{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: rawSubject(input.source) }, ...topProps(input, null), ...(await categoryProps(mb, input))]));
  const att = await msg.createAttachment();
  refused(await att.setProps([
    { tag: T.AttachMethod, value: ATTACH_BY_VALUE },
    { tag: T.AttachDataBinary, value: input.source },
    { tag: T.AttachLongFilename, value: 'message.eml' },
    { tag: T.AttachMimeTag, value: 'message/rfc822' },
    { tag: T.DisplayName, value: 'message.eml' },
  ]));
  await att.save();
  try {
    return await msg.save();
  } finally {
    await msg.discard();
  }
}
