// A MIME writer for MAPI messages (MS-OXCMAIL 2.1 and 2.2.2, MAPI to MIME), in two forms: mail leaving through SMTP
// (buildMime) and a message stored on IMAP with APPEND (buildMimeForStore, issue 8), after RFC 5322 (2.1.1 line
// length, 2.2.3 folding, 3.4 addresses, 3.6.4 identification fields), RFC 2045-2047 (MIME, encoded-words), RFC 2231
// (parameter values and continuations), RFC 2387 (multipart/related), RFC 2046 5.2.1 (message/rfc822).
// Mapping: PidTagSubject -> Subject, PidTagBody -> text/plain, PidTagHtml -> text/html (multipart/alternative when
// both), attachments -> multipart/mixed parts, inline attachments (PidTagAttachContentId with attRenderedInBody or
// PidTagAttachmentHidden) -> multipart/related beside the HTML, embedded messages -> message/rfc822 parts,
// PidTagImportance -> Importance and X-Priority, PidTagSensitivity -> Sensitivity, PidTagConversationIndex /
// PidTagConversationTopic -> Thread-Index / Thread-Topic, PidTagMessageLocaleId -> Content-Language.
//
// Choices where the specs leave room:
// - header lines are folded before a space so that lines stay within 78 characters where the text allows it
//   (RFC 5322 2.1.1 SHOULD); a line that would still pass 998 characters is never written: unstructured text is then
//   written as encoded-words, message ids longer than 990 characters are left out, and anything else that cannot
//   be made to fit is an OC_MIME_LINE_TOO_LONG error.
// - header text is written as is only when it is printable ASCII, has no `=?` (which readers would take for an
//   encoded-word), no leading or trailing space and no word too long to fold; else as RFC 2047 B encoded-words in
//   UTF-8 (at most 42 bytes of text each, so `Subject: ` and one word fit in 78 characters). CR and LF in header
//   text become spaces. Display names follow the same rule: bare atoms, a quoted string (for specials and space
//   runs), or encoded-words (non-ASCII, `=?`).
// - text bodies are quoted-printable UTF-8, HTML bodies (in their PidTagInternetCodepage, labelled with every
//   charset the MIME reader maps to a page; UTF-16 ones rewritten as UTF-8) and attachments base64 (76-character lines); file names are
//   quoted strings when printable ASCII without `=?`, else RFC 2231 `filename*=utf-8''...` (and `name*=` on
//   Content-Type); a parameter longer than 70 characters is split into RFC 2231 continuations.
// - Thread-Index is one base64 word (split with spaces only past 900 characters, which base64 readers skip).
// - an RTF-only body (PidTagRtfCompressed without PidTagBody or PidTagHtml) is given its text and HTML by
//   bodiesFromRtfOnly before the MIME is written (the SMTP submission and the IMAP write-back call it); buildMime
//   itself writes no body from RTF; a message with neither body nor attachments gets an empty text/plain part.
// - inline parts are `Content-Disposition: inline`, except text/plain and text/html ones, which are marked
//   `attachment` (readers take an inline text part for body text); X-MS-Has-Attach is `yes` when an attachment is
//   neither inline nor hidden, else left out.
// - SMTP form: Bcc recipients never appear in the headers (they are only in the SMTP envelope); an embedded
//   message's file name is its display name or subject with `.eml`.
// - IMAP store form: Bcc is kept (MS-OXCMAIL: a stored draft keeps its Bcc); From is the represented sender
//   (PidTagSentRepresenting*), Sender the sender (PidTagSender*) when its address differs; Date is
//   PidTagClientSubmitTime or the time of writing; Message-ID is PidTagInternetMessageId or a new
//   `<hex@domain>` that is returned for the store to record; embedded messages get Date and Message-ID only when
//   they have them, and their display name as file name. Messages of class IPM.Note.SMIME* are not rebuilt (the
//   result says to keep the original MIME, which holds the signature); calendar items (IPM.Appointment*,
//   IPM.Schedule.Meeting*) are OC_MIME_CALENDAR_ITEM and other non-mail items (contacts, tasks, notes, journal,
//   distribution lists) OC_MIME_NOT_MAIL: those belong to CalDAV/CardDAV or the local store.
import { randomBytes } from 'node:crypto';
import { PT, propId, propType, type PropValue } from '../mapi/props.js';
import { ATTACH_EMBEDDED_MSG, MAPI_BCC, MAPI_CC, MAPI_TO, type MessageObject, type RecipientRow } from '../mapistore/types.js';
import { decode as decodeCodepage, isSupported } from '../mapi/codepage.js';
import { bodiesFromRtf } from '../mapi/rtf/body.js';
import { isOcError } from '../util/errors.js';
import { readAllValues } from './copy.js';
import {
  PRINTABLE, WORD_MAX, addressField, base64Lines, checkLines, cleanMessageId, foldField, idPieces, mimeParamPieces, quotedPrintable, rfc5322Date,
  textPieces, withParams, type MailAddress,
} from './mime-encode.js';
import { T, filetimeToDate } from './tags.js';

/** A message read whole for conversion. */
export interface LoadedMessage {
  values: Map<number, PropValue>;
  recipients: RecipientRow[];
  attachments: LoadedAttachment[];
}
export interface LoadedAttachment {
  values: Map<number, PropValue>;
  embedded?: LoadedMessage;
}

/** Reads a message with its recipients and attachments (embedded messages recursively) into memory. */
export async function loadMessage(msg: MessageObject): Promise<LoadedMessage> {
  const values = await readAllValues(msg);
  const recipients = await msg.readRecipients();
  const attachments: LoadedAttachment[] = [];
  for (const { attachNum } of await msg.attachmentTable([T.AttachMethod])) {
    const a = await msg.openAttachment(attachNum);
    try {
      const av = await readAllValues(a);
      const att: LoadedAttachment = { values: av };
      if (av.get(T.AttachMethod) === ATTACH_EMBEDDED_MSG) {
        const e = await a.openEmbeddedMessage(false);
        try {
          att.embedded = await loadMessage(e);
        } finally {
          await e.discard();
        }
      }
      attachments.push(att);
    } finally {
      await a.discard();
    }
  }
  return { values, recipients, attachments };
}

/** MAPI_TO / MAPI_CC / MAPI_BCC of a row, without the flag bits (MAPI_P1 0x10000000, submitted 0x80000000). */
export const rcptType = (r: RecipientRow): number => r.recipientType & 0x0f;

/** A string property by id, whether stored as PT_UNICODE or PT_STRING8. */
export function strProp(values: ReadonlyMap<number, PropValue> | readonly { tag: number; value: PropValue }[], tag: number): string | undefined {
  const id = propId(tag);
  const entries: Iterable<[number, PropValue]> = values instanceof Map ? values.entries() : (values as readonly { tag: number; value: PropValue }[]).map((v) => [v.tag, v.value] as [number, PropValue]);
  for (const [t, v] of entries) {
    if (propId(t) !== id) continue;
    if ((propType(t) === PT.UNICODE || propType(t) === PT.STRING8) && typeof v === 'string') return v;
  }
  return undefined;
}

export interface MimeEnvelope {
  from: MailAddress;
  /** The actual sender when it is not `from` (send on behalf: RFC 5322 Sender). */
  sender?: MailAddress;
  date: Date;
  messageId: string;
  /** The SMTP address of a recipient row (null: left out of the headers). */
  addressOf: (row: RecipientRow) => MailAddress | null;
}

/**
 * The charset label of an HTML body's PidTagInternetCodepage: every page the MIME reader gives (src/mime/to-mapi.ts
 * codepageOf), so a received message forwarded or stored again keeps its label. UTF-16 (1200, 1201) is not a mail
 * charset: such a body is written as UTF-8 (htmlBytes).
 */
const CODEPAGE_CHARSET: Record<number, string> = {
  65001: 'utf-8', 1252: 'windows-1252', 28591: 'iso-8859-1', 20127: 'us-ascii', 1250: 'windows-1250', 1251: 'windows-1251',
  28592: 'iso-8859-2', 28605: 'iso-8859-15', 932: 'shift_jis', 936: 'gb2312', 949: 'ks_c_5601-1987', 950: 'big5', 50220: 'iso-2022-jp',
  28593: 'iso-8859-3', 28594: 'iso-8859-4', 28595: 'iso-8859-5', 28596: 'iso-8859-6', 28597: 'iso-8859-7', 28598: 'iso-8859-8',
  28599: 'iso-8859-9', 28603: 'iso-8859-13', 1253: 'windows-1253', 1254: 'windows-1254', 1255: 'windows-1255', 1256: 'windows-1256',
  1257: 'windows-1257', 1258: 'windows-1258', 20866: 'koi8-r', 21866: 'koi8-u', 51932: 'euc-jp', 54936: 'gb18030',
};
const UTF16_PAGES: Record<number, 'utf-16le' | 'utf-16be'> = { 1200: 'utf-16le', 1201: 'utf-16be' };

/**
 * An HTML body's bytes and charset label. A page without a label here (UTF-16; Thai 874 and the other pages an RTF
 * body may name) is rewritten as UTF-8 when src/mapi/codepage.ts decodes it; an unknown page is left as it is,
 * labelled UTF-8.
 */
function htmlBytes(html: PropValue, cp: PropValue | undefined): { bytes: Buffer; charset: string } {
  if (typeof html === 'string') return { bytes: Buffer.from(html, 'utf8'), charset: 'utf-8' };
  const bytes = Buffer.isBuffer(html) ? html : Buffer.alloc(0);
  const page = typeof cp === 'number' ? cp : 65001;
  const label = CODEPAGE_CHARSET[page];
  if (label) return { bytes, charset: label };
  const utf16 = UTF16_PAGES[page];
  if (utf16) return { bytes: Buffer.from(new TextDecoder(utf16).decode(bytes), 'utf8'), charset: 'utf-8' };
  if (isSupported(page)) return { bytes: Buffer.from(decodeCodepage(bytes, page), 'utf8'), charset: 'utf-8' };
  return { bytes, charset: 'utf-8' };
}
const PidTagInternetCodepage = 0x3fde0003;
const PidTagMessageLocaleId = 0x3ff10003;
const PidTagHtmlUnicode = 0x1013001f;
const PidTagSensitivity = 0x00360003;
const PidTagConversationIndex = 0x00710102;
const PidTagConversationTopic = 0x0070001f;
const PidTagAttachFlags = 0x37140003;
const PidTagAttachmentHidden = 0x7ffe000b;
const PidTagAttachContentLocation = 0x3713001f;
/** MS-OXCMSG 2.2.2.18 attRenderedInBody. */
const ATT_RENDERED_IN_BODY = 0x04;

/** Language tags of common Windows LCIDs (MS-LCID) for Content-Language. */
const LCID_TAG: Record<number, string> = {
  1033: 'en-US', 2057: 'en-GB', 1031: 'de-DE', 2055: 'de-CH', 3079: 'de-AT', 1036: 'fr-FR', 1040: 'it-IT', 3082: 'es-ES', 1043: 'nl-NL',
  1041: 'ja-JP', 2052: 'zh-CN', 1028: 'zh-TW', 1042: 'ko-KR', 1049: 'ru-RU', 1046: 'pt-BR', 2070: 'pt-PT', 1053: 'sv-SE', 1044: 'nb-NO',
  1030: 'da-DK', 1035: 'fi-FI', 1045: 'pl-PL', 1029: 'cs-CZ', 1038: 'hu-HU', 1055: 'tr-TR', 1032: 'el-GR',
};

const SENSITIVITY_WORD: Record<number, string> = { 1: 'Personal', 2: 'Private', 3: 'Company-Confidential' };

const EXT_TYPES: Record<string, string> = {
  txt: 'text/plain', htm: 'text/html', html: 'text/html', pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
  gif: 'image/gif', zip: 'application/zip', doc: 'application/msword', xls: 'application/vnd.ms-excel', csv: 'text/csv', xml: 'application/xml',
  json: 'application/json', ics: 'text/calendar', eml: 'message/rfc822',
};

// ---- RTF-only bodies -----------------------------------------------------------------------------------------------

const PidTagRtfCompressed = 0x10090102;
/** Property ids of PidTagBody and PidTagHtml (any property type). */
const BODY_IDS = new Set([propId(T.Body), propId(T.Html)]);

/**
 * The bodies of an RTF-only message (and of its embedded messages) filled in from PidTagRtfCompressed, in place;
 * returns the RTF values that could not be read (their errors), for the caller to log.
 */
export function bodiesFromRtfOnly(m: LoadedMessage): Error[] {
  const failed: Error[] = [];
  const rtf = m.values.get(PidTagRtfCompressed);
  if (rtf instanceof Uint8Array && ![...m.values.keys()].some((tag) => BODY_IDS.has(propId(tag)))) {
    try {
      const cp = m.values.get(PidTagInternetCodepage);
      const b = bodiesFromRtf(rtf, typeof cp === 'number' ? { cpid: cp } : {});
      m.values.set(T.Body, b.text);
      if (b.kind === 'html' && b.html) {
        m.values.set(T.Html, b.html);
        m.values.set(PidTagInternetCodepage, b.cpid ?? 65001);
      }
    } catch (e) {
      if (!isOcError(e)) throw e;
      failed.push(e as Error);
    }
  }
  for (const a of m.attachments) if (a.embedded) failed.push(...bodiesFromRtfOnly(a.embedded));
  return failed;
}

// ---- message structure ----------------------------------------------------------------------------------------------

function boundary(): string {
  return `----=_ocng_${randomBytes(12).toString('hex')}`;
}

interface Part {
  /** Content-Type of the part (for multipart/related's `type`). */
  type: string;
  headers: string;
  body: string;
}

function multipart(subtype: string, parts: Part[], extra: string[][] = []): Part {
  const b = boundary();
  const body = parts.map((p) => `--${b}\r\n${p.headers}\r\n${p.body}`).join('') + `--${b}--\r\n`;
  const type = `multipart/${subtype}`;
  return { type, headers: foldField('Content-Type', withParams(type, [...extra, [`boundary="${b}"`]])), body };
}

function bodyParts(m: LoadedMessage): Part | null {
  const text = strProp(m.values, T.Body);
  const html = m.values.get(T.Html) ?? strProp(m.values, PidTagHtmlUnicode);
  const parts: Part[] = [];
  if (text !== undefined) {
    parts.push({
      type: 'text/plain',
      headers: foldField('Content-Type', ['text/plain;', 'charset=utf-8']) + foldField('Content-Transfer-Encoding', ['quoted-printable']),
      body: quotedPrintable(text),
    });
  }
  if (html !== undefined) {
    const { bytes, charset } = htmlBytes(html, m.values.get(PidTagInternetCodepage));
    parts.push({
      type: 'text/html',
      headers: foldField('Content-Type', ['text/html;', `charset=${charset}`]) + foldField('Content-Transfer-Encoding', ['base64']),
      body: base64Lines(bytes),
    });
  }
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : multipart('alternative', parts);
}

/** An attachment shown in the HTML body: it has a Content-ID and is rendered in the body or hidden. */
function isInline(a: LoadedAttachment): boolean {
  if (a.embedded || !strProp(a.values, T.AttachContentId)) return false;
  const flags = a.values.get(PidTagAttachFlags);
  return (typeof flags === 'number' && (flags & ATT_RENDERED_IN_BODY) !== 0) || a.values.get(PidTagAttachmentHidden) === true;
}

function attachmentPart(a: LoadedAttachment, w: Writer, inline: boolean): Part {
  const v = a.values;
  if (a.embedded) {
    const subject = strProp(a.embedded.values, T.Subject) ?? '';
    const display = strProp(v, T.DisplayName);
    const name = w.mode === 'store' ? display || undefined : (display || subject || 'message') + '.eml';
    const inner = writeMessage(a.embedded, w.embedded(a.embedded));
    return {
      type: 'message/rfc822',
      headers:
        foldField('Content-Type', ['message/rfc822']) +
        foldField('Content-Transfer-Encoding', [is7bit(inner) ? '7bit' : '8bit']) +
        foldField('Content-Disposition', withParams('attachment', name === undefined ? [] : [mimeParamPieces('filename', name)])),
      body: inner.toString('latin1') + '\r\n',
    };
  }
  const name = strProp(v, T.AttachLongFilename) ?? strProp(v, T.AttachFilename) ?? strProp(v, T.DisplayName) ?? 'attachment';
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  const tag = strProp(v, T.AttachMimeTag);
  const type = (tag && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(tag) ? tag : '') || EXT_TYPES[ext] || 'application/octet-stream';
  const data = v.get(T.AttachDataBinary);
  const bytes = Buffer.isBuffer(data) ? data : Buffer.alloc(0);
  const cid = strProp(v, T.AttachContentId)?.replace(/[<>\s]/g, '');
  const location = strProp(v, PidTagAttachContentLocation);
  return {
    type,
    headers:
      foldField('Content-Type', withParams(type, [mimeParamPieces('name', name)])) +
      foldField('Content-Transfer-Encoding', ['base64']) +
      // an inline text part is marked attachment: readers take inline text/plain or text/html for body text
      foldField('Content-Disposition', withParams(inline && !/^text\/(plain|html)$/i.test(type) ? 'inline' : 'attachment', [mimeParamPieces('filename', name)])) +
      (cid && PRINTABLE.test(cid) && cid.length <= 990 ? foldField('Content-ID', [`<${cid}>`]) : '') +
      (location && PRINTABLE.test(location) && !/\s/.test(location) && location.length <= 990 ? foldField('Content-Location', [location]) : ''),
    body: base64Lines(bytes),
  };
}

const is7bit = (b: Buffer): boolean => !b.some((c) => c > 0x7f);

/** The message content: bodies, inline parts in multipart/related with the HTML, the rest in multipart/mixed. */
function contentOf(m: LoadedMessage, w: Writer): Part {
  const body = bodyParts(m);
  const hasHtml = m.values.get(T.Html) !== undefined || strProp(m.values, PidTagHtmlUnicode) !== undefined;
  const inline = hasHtml ? m.attachments.filter(isInline) : [];
  const rest = m.attachments.filter((a) => !inline.includes(a));
  let main = body;
  if (body && inline.length > 0) main = multipart('related', [body, ...inline.map((a) => attachmentPart(a, w, true))], [[`type="${body.type}"`]]);
  const atts = rest.map((a) => attachmentPart(a, w, false));
  if (atts.length > 0) return multipart('mixed', main ? [main, ...atts] : atts);
  return main ?? { type: 'text/plain', headers: foldField('Content-Type', ['text/plain;', 'charset=utf-8']) + foldField('Content-Transfer-Encoding', ['7bit']), body: '' };
}

// ---- the two forms --------------------------------------------------------------------------------------------------

/** What writing one (possibly embedded) message needs. */
interface Writer {
  mode: 'smtp' | 'store';
  from: MailAddress | null;
  sender: MailAddress | null;
  date: Date | null;
  messageId: string;
  addressOf: (row: RecipientRow) => MailAddress | null;
  contentLanguage?: string;
  embedded: (m: LoadedMessage) => Writer;
}

function writeMessage(m: LoadedMessage, w: Writer): Buffer {
  const lists: Record<number, MailAddress[]> = { [MAPI_TO]: [], [MAPI_CC]: [], [MAPI_BCC]: [] };
  for (const r of m.recipients) {
    const type = rcptType(r) || MAPI_TO;
    if (type === MAPI_BCC && w.mode === 'smtp') continue;
    const a = w.addressOf(r);
    if (a) lists[type]?.push(a);
  }
  let head = '';
  if (w.from) head += addressField('From', [w.from]);
  if (w.sender && (!w.from || w.sender.address.toLowerCase() !== w.from.address.toLowerCase())) head += addressField('Sender', [w.sender]);
  head += addressField('To', lists[MAPI_TO]!);
  head += addressField('Cc', lists[MAPI_CC]!);
  head += addressField('Bcc', lists[MAPI_BCC]!);
  const subject = strProp(m.values, T.Subject) ?? (m.values.has(T.NormalizedSubject) ? (strProp(m.values, T.SubjectPrefix) ?? '') + (strProp(m.values, T.NormalizedSubject) ?? '') : undefined);
  if (subject !== undefined) head += foldField('Subject', textPieces(subject));
  if (w.date) head += foldField('Date', rfc5322Date(w.date).split(' '));
  const messageId = cleanMessageId(w.messageId);
  if (messageId) head += foldField('Message-ID', [messageId]);
  const inReplyTo = idPieces(strProp(m.values, T.InReplyToId) ?? '');
  if (inReplyTo.length > 0) head += foldField('In-Reply-To', inReplyTo);
  const refs = idPieces(strProp(m.values, T.InternetReferences) ?? '');
  if (refs.length > 0) head += foldField('References', refs);
  const topic = strProp(m.values, PidTagConversationTopic);
  if (topic) head += foldField('Thread-Topic', textPieces(topic));
  const index = m.values.get(PidTagConversationIndex);
  if (Buffer.isBuffer(index) && index.length > 0) {
    const b64 = index.toString('base64');
    head += foldField('Thread-Index', b64.length <= WORD_MAX ? [b64] : (b64.match(/.{1,76}/g) ?? []));
  }
  const imp = m.values.get(T.Importance);
  if (imp === 0) head += foldField('Importance', ['low']) + foldField('X-Priority', ['5']);
  if (imp === 2) head += foldField('Importance', ['high']) + foldField('X-Priority', ['1']);
  const sens = m.values.get(PidTagSensitivity);
  if (typeof sens === 'number' && SENSITIVITY_WORD[sens]) head += foldField('Sensitivity', [SENSITIVITY_WORD[sens]!]);
  const locale = m.values.get(PidTagMessageLocaleId);
  const language = w.contentLanguage ?? (typeof locale === 'number' ? LCID_TAG[locale] : undefined);
  if (language && /^[A-Za-z0-9-]{1,64}$/.test(language)) head += foldField('Content-Language', [language]);
  if (m.attachments.some((a) => !isInline(a) && a.values.get(PidTagAttachmentHidden) !== true)) head += foldField('X-MS-Has-Attach', ['yes']);
  head += foldField('MIME-Version', ['1.0']);
  const root = contentOf(m, w);
  // a part's last CRLF belongs to the boundary after it (RFC 2046 5.1.1); a single-part message has none
  const rootBody = root.type.startsWith('multipart/') ? root.body : root.body.replace(/\r\n$/, '');
  return Buffer.from(checkLines(head + root.headers) + '\r\n' + rootBody, 'latin1');
}

function embeddedFrom(m: LoadedMessage): MailAddress | null {
  const address = strProp(m.values, T.SentRepresentingSmtpAddress) ?? strProp(m.values, T.SenderSmtpAddress);
  if (!address) return null;
  return { name: strProp(m.values, T.SentRepresentingName) ?? strProp(m.values, T.SenderName) ?? '', address };
}

function embeddedDate(m: LoadedMessage): Date | null {
  const t = m.values.get(T.ClientSubmitTime) ?? m.values.get(T.MessageDeliveryTime);
  return typeof t === 'bigint' ? filetimeToDate(t) : null;
}

/** The RFC 5322 message (headers and MIME body) of a loaded message, for SMTP (no Bcc header). */
export function buildMime(m: LoadedMessage, env: MimeEnvelope): Buffer {
  const smtpWriter = (e: MimeEnvelope): Writer => ({
    mode: 'smtp',
    from: e.from,
    sender: e.sender ?? null,
    date: e.date,
    messageId: e.messageId,
    addressOf: e.addressOf,
    // an attached message's recipients are its own rows (the envelope's lookup is the outer message's, by row number:
    // it would give the outer recipients, Bcc included); its Bcc is left out as the outer message's is
    embedded: (inner) => smtpWriter({
      ...env, sender: undefined, from: embeddedFrom(inner) ?? env.from, date: embeddedDate(inner) ?? env.date, messageId: '', addressOf: (r) => rowAddress(r, {}),
    }),
  });
  return writeMessage(m, smtpWriter(env));
}

export interface StoreMimeOptions {
  /** Domain of a generated Message-ID (server.dnsDomain). */
  domain: string;
  /** Date when the message has no PidTagClientSubmitTime (default: now). */
  now?: Date;
  /** From when the message names no sender (a new draft): normally the mailbox owner. */
  defaultFrom?: MailAddress;
  /** The SMTP address of a non-SMTP address (an EX legacyExchangeDN), or null; such addresses are left out without it. */
  resolveAddress?: (addressType: string, address: string) => string | null;
  /** Content-Language; default from PidTagMessageLocaleId when the LCID is a known one. */
  contentLanguage?: string;
}

export type StoreMimeResult =
  | { kind: 'mime'; mime: Buffer; messageId: string; generatedMessageId: boolean }
  /** S/MIME: the message's original MIME (which holds the signature or encryption) must be stored unchanged. */
  | { kind: 'original'; messageClass: string }
  | { kind: 'unsupported'; code: 'OC_MIME_CALENDAR_ITEM' | 'OC_MIME_NOT_MAIL'; messageClass: string };

/** The SMTP address of a party (prefix Sender / SentRepresenting) or a recipient row's values. */
function smtpOf(smtp: string | undefined, type: string | undefined, address: string | undefined, opts: Pick<StoreMimeOptions, 'resolveAddress'>): string | null {
  if (smtp) return smtp;
  if (!address) return null;
  if (!type || type.toUpperCase() === 'SMTP') return address.includes('@') ? address : null;
  return opts.resolveAddress?.(type, address) ?? null;
}

function party(values: ReadonlyMap<number, PropValue>, prefix: 'Sender' | 'SentRepresenting', opts: StoreMimeOptions): MailAddress | null {
  const t = T as Record<string, number>;
  const address = smtpOf(strProp(values, t[`${prefix}SmtpAddress`]!), strProp(values, t[`${prefix}AddressType`]!), strProp(values, t[`${prefix}EmailAddress`]!), opts);
  return address ? { name: strProp(values, t[`${prefix}Name`]!) ?? '', address } : null;
}

/** A recipient row's own address: PidTagSmtpAddress, an SMTP PidTagEmailAddress, or another type through `resolveAddress`. */
function rowAddress(r: RecipientRow, opts: Pick<StoreMimeOptions, 'resolveAddress'>): MailAddress | null {
  const address = smtpOf(strProp(r.props, T.SmtpAddress), strProp(r.props, T.AddressType), strProp(r.props, T.EmailAddress), opts);
  return address ? { name: strProp(r.props, T.DisplayName) ?? strProp(r.props, T.RecipientDisplayName) ?? '', address } : null;
}

function storeWriter(m: LoadedMessage, opts: StoreMimeOptions, top: boolean, messageId: string): Writer {
  const from = party(m.values, 'SentRepresenting', opts) ?? party(m.values, 'Sender', opts) ?? (top ? (opts.defaultFrom ?? null) : null);
  const t = m.values.get(T.ClientSubmitTime);
  return {
    mode: 'store',
    from,
    sender: party(m.values, 'Sender', opts),
    date: typeof t === 'bigint' ? filetimeToDate(t) : top ? (opts.now ?? new Date()) : null,
    messageId,
    contentLanguage: top ? opts.contentLanguage : undefined,
    addressOf: (r) => rowAddress(r, opts),
    embedded: (inner) => storeWriter(inner, opts, false, idPieces(strProp(inner.values, T.InternetMessageId) ?? '')[0] ?? ''),
  };
}

const CALENDAR_CLASS = /^IPM\.(Appointment|Schedule\.Meeting|OLE\.CLASS\.\{00061055-0000-0000-C000-000000000046\})(\.|$)/i;
const NOT_MAIL_CLASS = /^IPM\.(Contact|DistList|Task|TaskRequest|StickyNote|Activity)(\.|$)/i;

/** The RFC 5322 message to store on IMAP (APPEND) for a loaded message: Bcc kept, MS-OXCMAIL headers, ids kept or made. */
export function buildMimeForStore(m: LoadedMessage, opts: StoreMimeOptions): StoreMimeResult {
  const messageClass = strProp(m.values, T.MessageClass) || 'IPM.Note';
  if (/^IPM\.Note\.SMIME(\.|$)/i.test(messageClass)) return { kind: 'original', messageClass };
  if (CALENDAR_CLASS.test(messageClass)) return { kind: 'unsupported', code: 'OC_MIME_CALENDAR_ITEM', messageClass };
  if (NOT_MAIL_CLASS.test(messageClass)) return { kind: 'unsupported', code: 'OC_MIME_NOT_MAIL', messageClass };
  const given = idPieces(strProp(m.values, T.InternetMessageId) ?? '')[0];
  const messageId = given ?? `<${randomBytes(16).toString('hex')}@${opts.domain}>`;
  const mime = writeMessage(m, storeWriter(m, opts, true, messageId));
  return { kind: 'mime', mime, messageId, generatedMessageId: given === undefined };
}
