// A minimal MIME writer for mail leaving through SMTP (RFC 5322 message format, RFC 2045-2047 MIME, RFC 2231
// parameter values), after the mapping MS-OXCMAIL describes for the common properties: PidTagSubject -> Subject,
// PidTagBody -> text/plain, PidTagHtml -> text/html (multipart/alternative when both), attachments ->
// multipart/mixed parts, embedded messages (afEmbeddedMessage) -> message/rfc822 parts.
//
// Choices where the RFCs leave room: header text outside printable ASCII is written as RFC 2047 B encoded-words in
// UTF-8; text bodies as quoted-printable UTF-8, HTML bodies and attachments as base64 (76-character lines); file
// names outside ASCII as RFC 2231 `filename*=utf-8''...` (and `name*=` on Content-Type); an RTF-only body
// (PidTagRtfCompressed without PidTagBody) is not converted: the message goes out without a body part. Bcc
// recipients never appear in the headers (they are only in the SMTP envelope).
import { randomBytes } from 'node:crypto';
import { PT, propId, propType, type PropValue } from '../mapi/props.js';
import { ATTACH_EMBEDDED_MSG, MAPI_BCC, MAPI_CC, MAPI_TO, type MessageObject, type RecipientRow } from '../mapistore/types.js';
import { readAllValues } from './copy.js';
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

export interface MailAddress {
  name: string;
  address: string;
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

// ---- header encoding ------------------------------------------------------------------------------------------------

const PRINTABLE = /^[\x20-\x7e]*$/;

/** RFC 2047 B encoded-words (UTF-8), each at most 75 characters, split on character boundaries. */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (Buffer.byteLength(cur + ch, 'utf8') > 45) {
      words.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur) words.push(cur);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** Unstructured header text (Subject): as is when printable ASCII, else encoded-words. */
export function headerText(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  return PRINTABLE.test(clean) && !/=\?/.test(clean) ? clean : encodeWords(clean);
}

const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/;

/** An address as a header mailbox: `Name <a@b>`, the name quoted or encoded as needed. */
export function formatAddress(a: MailAddress): string {
  const name = a.name.replace(/[\r\n]+/g, ' ').trim();
  if (!name || name === a.address) return `<${a.address}>`;
  if (!PRINTABLE.test(name)) return `${encodeWords(name)} <${a.address}>`;
  if (ATEXT_PHRASE.test(name) && !/=\?/.test(name)) return `${name} <${a.address}>`;
  return `"${name.replace(/(["\\])/g, '\\$1')}" <${a.address}>`;
}

function header(name: string, value: string): string {
  return `${name}: ${value}\r\n`;
}

function addressHeader(name: string, list: MailAddress[]): string {
  return list.length === 0 ? '' : `${name}: ${list.map(formatAddress).join(',\r\n ')}\r\n`;
}

/** RFC 5322 date-time in UTC. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

// ---- body encodings -------------------------------------------------------------------------------------------------

/** base64 in lines of 76 characters. */
export function base64Lines(b: Buffer): string {
  const s = b.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += 76) lines.push(s.slice(i, i + 76));
  return lines.join('\r\n') + (lines.length > 0 ? '\r\n' : '');
}

/** RFC 2045 6.7 quoted-printable of text (line breaks become CRLF; lines soft-broken at 76 characters). */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r\n|\r|\n/g, '\n').split('\n')) {
    const bytes = Buffer.from(line, 'utf8');
    let cur = '';
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      const last = i === bytes.length - 1;
      let enc: string;
      if ((c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !last)) enc = String.fromCharCode(c);
      else enc = '=' + c.toString(16).toUpperCase().padStart(2, '0');
      if (cur.length + enc.length > 75) {
        out.push(cur + '=');
        cur = '';
      }
      cur += enc;
    }
    out.push(cur);
  }
  return out.join('\r\n') + '\r\n';
}

/** A MIME parameter: `name="value"` for printable ASCII, RFC 2231 `name*=utf-8''%xx` otherwise. */
export function mimeParam(name: string, value: string): string {
  if (PRINTABLE.test(value)) return `${name}="${value.replace(/(["\\])/g, '\\$1')}"`;
  const enc = [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0')))
    .join('');
  return `${name}*=utf-8''${enc}`;
}

const CODEPAGE_CHARSET: Record<number, string> = {
  65001: 'utf-8', 1252: 'windows-1252', 28591: 'iso-8859-1', 20127: 'us-ascii', 1250: 'windows-1250', 1251: 'windows-1251',
  28592: 'iso-8859-2', 28605: 'iso-8859-15', 932: 'shift_jis', 936: 'gb2312', 949: 'ks_c_5601-1987', 950: 'big5', 50220: 'iso-2022-jp',
};
const PidTagInternetCodepage = 0x3fde0003;

const EXT_TYPES: Record<string, string> = {
  txt: 'text/plain', htm: 'text/html', html: 'text/html', pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
  gif: 'image/gif', zip: 'application/zip', doc: 'application/msword', xls: 'application/vnd.ms-excel', csv: 'text/csv', xml: 'application/xml',
  json: 'application/json', ics: 'text/calendar', eml: 'message/rfc822',
};

function boundary(): string {
  return `----=_ocng_${randomBytes(12).toString('hex')}`;
}

interface Part {
  headers: string;
  body: string;
}

function multipart(subtype: string, parts: Part[]): Part {
  const b = boundary();
  const body = parts.map((p) => `--${b}\r\n${p.headers}\r\n${p.body}`).join('') + `--${b}--\r\n`;
  return { headers: header('Content-Type', `multipart/${subtype}; boundary="${b}"`), body };
}

function bodyParts(m: LoadedMessage): Part | null {
  const text = strProp(m.values, T.Body);
  const html = m.values.get(T.Html) ?? strProp(m.values, 0x1013001f);
  const parts: Part[] = [];
  if (text !== undefined) {
    parts.push({
      headers: header('Content-Type', 'text/plain; charset=utf-8') + header('Content-Transfer-Encoding', 'quoted-printable'),
      body: quotedPrintable(text),
    });
  }
  if (html !== undefined) {
    const cp = m.values.get(PidTagInternetCodepage);
    const bytes = typeof html === 'string' ? Buffer.from(html, 'utf8') : Buffer.isBuffer(html) ? html : Buffer.alloc(0);
    const charset = typeof html === 'string' ? 'utf-8' : (CODEPAGE_CHARSET[typeof cp === 'number' ? cp : 65001] ?? 'utf-8');
    parts.push({ headers: header('Content-Type', `text/html; charset=${charset}`) + header('Content-Transfer-Encoding', 'base64'), body: base64Lines(bytes) });
  }
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : multipart('alternative', parts);
}

function attachmentPart(a: LoadedAttachment, env: MimeEnvelope): Part {
  const v = a.values;
  if (a.embedded) {
    const subject = strProp(a.embedded.values, T.Subject) ?? '';
    const name = (strProp(v, T.DisplayName) || subject || 'message') + '.eml';
    const inner = buildMime(a.embedded, { ...env, sender: undefined, from: embeddedFrom(a.embedded) ?? env.from, date: embeddedDate(a.embedded) ?? env.date, messageId: '' });
    return {
      headers: header('Content-Type', 'message/rfc822') + header('Content-Transfer-Encoding', is7bit(inner) ? '7bit' : '8bit') + header('Content-Disposition', `attachment; ${mimeParam('filename', name)}`),
      body: inner.toString('latin1') + '\r\n',
    };
  }
  const name = strProp(v, T.AttachLongFilename) ?? strProp(v, T.AttachFilename) ?? strProp(v, T.DisplayName) ?? 'attachment';
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  const type = strProp(v, T.AttachMimeTag) || EXT_TYPES[ext] || 'application/octet-stream';
  const data = v.get(T.AttachDataBinary);
  const bytes = Buffer.isBuffer(data) ? data : Buffer.alloc(0);
  const cid = strProp(v, T.AttachContentId);
  return {
    headers:
      header('Content-Type', `${type}; ${mimeParam('name', name)}`) +
      header('Content-Transfer-Encoding', 'base64') +
      header('Content-Disposition', `attachment; ${mimeParam('filename', name)}`) +
      (cid ? header('Content-ID', `<${cid.replace(/[<>\r\n]/g, '')}>`) : ''),
    body: base64Lines(bytes),
  };
}

const is7bit = (b: Buffer): boolean => !b.some((c) => c > 0x7f);

function embeddedFrom(m: LoadedMessage): MailAddress | null {
  const address = strProp(m.values, T.SentRepresentingSmtpAddress) ?? strProp(m.values, T.SenderSmtpAddress);
  if (!address) return null;
  return { name: strProp(m.values, T.SentRepresentingName) ?? strProp(m.values, T.SenderName) ?? '', address };
}

function embeddedDate(m: LoadedMessage): Date | null {
  const t = m.values.get(T.ClientSubmitTime) ?? m.values.get(T.MessageDeliveryTime);
  return typeof t === 'bigint' ? filetimeToDate(t) : null;
}

/** The RFC 5322 message (headers and MIME body) of a loaded message. */
export function buildMime(m: LoadedMessage, env: MimeEnvelope): Buffer {
  const to: MailAddress[] = [];
  const cc: MailAddress[] = [];
  for (const r of m.recipients) {
    const type = rcptType(r);
    if (type === MAPI_BCC) continue;
    const a = env.addressOf(r);
    if (!a) continue;
    if (type === MAPI_CC) cc.push(a);
    else if (type === MAPI_TO || type === 0) to.push(a);
  }
  let head = '';
  head += addressHeader('From', [env.from]);
  if (env.sender && env.sender.address.toLowerCase() !== env.from.address.toLowerCase()) head += addressHeader('Sender', [env.sender]);
  head += addressHeader('To', to);
  head += addressHeader('Cc', cc);
  const subject = strProp(m.values, T.Subject);
  if (subject !== undefined) head += header('Subject', headerText(subject));
  head += header('Date', rfc5322Date(env.date));
  if (env.messageId) head += header('Message-ID', env.messageId);
  const inReplyTo = strProp(m.values, T.InReplyToId);
  if (inReplyTo) head += header('In-Reply-To', inReplyTo.replace(/[\r\n]/g, ''));
  const refs = strProp(m.values, T.InternetReferences);
  if (refs) head += header('References', refs.replace(/[\r\n]+/g, ' '));
  const imp = m.values.get(T.Importance);
  if (imp === 0) head += header('Importance', 'low');
  if (imp === 2) head += header('Importance', 'high');
  head += header('MIME-Version', '1.0');
  const body = bodyParts(m);
  const atts = m.attachments.map((a) => attachmentPart(a, env));
  let root: Part;
  if (atts.length > 0) root = multipart('mixed', body ? [body, ...atts] : atts);
  else root = body ?? { headers: header('Content-Type', 'text/plain; charset=utf-8') + header('Content-Transfer-Encoding', '7bit'), body: '' };
  // a part's last CRLF belongs to the boundary after it (RFC 2046 5.1.1); a single-part message has none
  const rootBody = root.headers.startsWith('Content-Type: multipart/') ? root.body : root.body.replace(/\r\n$/, '');
  return Buffer.from(head + root.headers + '\r\n' + rootBody, 'latin1');
}
