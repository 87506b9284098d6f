// The encodings of the MIME writer (mime.ts; MS-OXCMAIL 2.1 and 2.2.2): header text, addresses, message ids and dates
// after RFC 5322 (2.1.1 line length, 2.2.3 folding, 3.4 addresses, 3.6.4 identification fields) and RFC 2047
// (encoded-words), body text as RFC 2045 quoted-printable or base64, and MIME parameters after RFC 2231 (values and
// continuations). The choices where the specs leave room are in mime.ts's header comment (header lines, header text,
// text bodies, file names).

import { domainToASCII } from 'node:url';

export interface MailAddress {
  name: string;
  address: string;
}

// ---- errors ---------------------------------------------------------------------------------------------------------

export class MimeWriteError extends Error {
  constructor(
    readonly code: 'OC_MIME_LINE_TOO_LONG',
    message: string,
  ) {
    super(message);
    this.name = 'MimeWriteError';
  }
}

// ---- header encoding ------------------------------------------------------------------------------------------------

export const PRINTABLE = /^[\x20-\x7e]*$/;
/** RFC 5322 2.1.1: the SHOULD and the MUST. */
const FOLD_AT = 78;
const LINE_MAX = 998;
/** Longest unbreakable word written as is (room for the field name and the folding space). */
export const WORD_MAX = 900;

/** RFC 2047 B encoded-words (UTF-8), each at most 75 characters (42 bytes of text), split on character boundaries. */
function encodedWordList(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (Buffer.byteLength(cur + ch, 'utf8') > 42) {
      words.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur || words.length === 0) words.push(cur);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`);
}

/** Encoded-words of a text, folded onto continuation lines. */
export function encodeWords(text: string): string {
  return encodedWordList(text).join('\r\n ');
}

/** The words of unstructured header text (Subject, Thread-Topic): as is when that reads back unchanged, else encoded-words. */
export function textPieces(text: string): string[] {
  const clean = text.replace(/[\r\n]+/g, ' ');
  const pieces = clean.split(' ');
  const asIs = PRINTABLE.test(clean) && !clean.includes('=?') && !/^ | $/.test(clean) && pieces.every((p) => p.length <= WORD_MAX);
  return asIs ? pieces : encodedWordList(clean);
}

/** Unstructured header text (Subject) unfolded: as is when printable ASCII, else encoded-words. */
export function headerText(text: string): string {
  return textPieces(text).join(' ');
}

/**
 * A header field: `Name:` and the pieces, each after one space; a line break goes before a piece (the space then
 * starts the continuation line) when the line would pass 78 characters. Empty pieces (space runs) never start a line.
 */
export function foldField(name: string, pieces: readonly string[]): string {
  let out = `${name}:`;
  let line = out.length;
  let hasText = false;
  for (const p of pieces) {
    if (hasText && p !== '' && line + 1 + p.length > FOLD_AT) {
      out += '\r\n ' + p;
      line = 1 + p.length;
    } else {
      out += ' ' + p;
      line += 1 + p.length;
    }
    if (p !== '') hasText = true;
  }
  return out + '\r\n';
}

/**
 * An address with its domain in ASCII (IDNA: `jörg@bücher.de` -> `jörg@xn--bcher-kva.de`), as SMTP and RFC 5322
 * headers need it; the local part as it is. A domain IDNA refuses stays as it is.
 */
export function idnAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0 || PRINTABLE.test(address.slice(at + 1))) return address;
  const ascii = domainToASCII(address.slice(at + 1));
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

/** True when an address's local part (before the last @) is ASCII: without SMTPUTF8 no other can be sent. */
export const asciiLocalPart = (address: string): boolean => PRINTABLE.test(address.slice(0, Math.max(0, address.lastIndexOf('@'))));

/** A header string's UTF-8 bytes, one character per byte (the header is written as latin1): RFC 6532 8-bit text. */
const utf8Bytes = (s: string): string => (PRINTABLE.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1'));

const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/** The pieces of a mailbox: `Name <a@b>` with the name as atoms, a quoted string or encoded-words. */
function addressPieces(a: MailAddress): string[] {
  const name = a.name.replace(/[\r\n]+/g, ' ').trim();
  // the domain in IDNA; a local part outside ASCII as UTF-8 (RFC 6532: only a store or relay with SMTPUTF8 takes it)
  const addr = `<${utf8Bytes(idnAddress(a.address.replace(/[\r\n<>]/g, '')))}>`;
  if (!name || name === a.address) return [addr];
  if (!PRINTABLE.test(name) || name.includes('=?') || name.length > WORD_MAX) return [...encodedWordList(name), addr];
  if (ATEXT_PHRASE.test(name)) return [...name.split(' '), addr];
  return [`"${name.replace(/(["\\])/g, '\\$1')}"`, addr];
}

/** An address as a header mailbox: `Name <a@b>`, the name quoted or encoded as needed. */
export function formatAddress(a: MailAddress): string {
  return addressPieces(a).join(' ');
}

export function addressField(name: string, list: MailAddress[]): string {
  if (list.length === 0) return '';
  const pieces: string[] = [];
  list.forEach((a, i) => {
    const p = addressPieces(a);
    if (i < list.length - 1) p[p.length - 1] += ',';
    pieces.push(...p);
  });
  return foldField(name, pieces);
}

/** Message ids of a field value (msg-id list): printable words of at most 990 characters; others are left out. */
export function idPieces(value: string): string[] {
  return value.split(/\s+/).filter((w) => w !== '' && w.length <= 990 && PRINTABLE.test(w));
}

/**
 * The Message-ID a client gave (PidTagInternetMessageId) as a header may carry it: its first printable word, or null.
 * A value with a line break must never reach a header as it is (the rest would become header fields of its own).
 */
export function cleanMessageId(value: string | undefined): string | null {
  return idPieces(value ?? '')[0] ?? null;
}

/** RFC 5322 date-time in UTC. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

export function checkLines(head: string): string {
  for (const line of head.split('\r\n')) {
    if (line.length > LINE_MAX) throw new MimeWriteError('OC_MIME_LINE_TOO_LONG', `header line of ${line.length} characters: ${line.slice(0, 40)}...`);
  }
  return head;
}

// ---- body encodings -------------------------------------------------------------------------------------------------

/** base64 in lines of 76 characters. */
export function base64Lines(b: Buffer): string {
  const s = b.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += 76) lines.push(s.slice(i, i + 76));
  return lines.join('\r\n') + (lines.length > 0 ? '\r\n' : '');
}

const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * RFC 2045 6.7 quoted-printable of text (line breaks become CRLF; lines soft-broken at 76 characters). Written byte
 * by byte into one buffer: bodies of several MiB are encoded in tens of milliseconds, not a second.
 */
export function quotedPrintable(text: string): string {
  const src = Buffer.from(text.replace(/\r\n|\r/g, '\n'), 'utf8');
  // at most 3 characters per byte, a soft break ("=" CRLF) per 73 or more characters, CRLF for LF, the final CRLF
  const out = Buffer.allocUnsafe(src.length * 4 + 8);
  let o = 0;
  let col = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      col = 0;
      continue;
    }
    const last = i + 1 === src.length || src[i + 1] === 0x0a;
    const plain = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !last);
    const n = plain ? 1 : 3;
    if (col + n > 75) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      col = 0;
    }
    if (plain) out[o++] = c;
    else {
      out[o++] = 0x3d;
      out[o++] = HEX_DIGITS[c >> 4]!;
      out[o++] = HEX_DIGITS[c & 15]!;
    }
    col += n;
  }
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  return out.toString('latin1', 0, o);
}

const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;
const quoteParam = (v: string): string => `"${v.replace(/(["\\])/g, '\\$1')}"`;
const pctEncode = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => (ATTR_CHAR.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0'))).join('');
const plainParam = (v: string): boolean => PRINTABLE.test(v) && !v.includes('=?');

/** A MIME parameter: `name="value"` for printable ASCII without `=?`, RFC 2231 `name*=utf-8''%xx` otherwise. */
export function mimeParam(name: string, value: string): string {
  return plainParam(value) ? `${name}=${quoteParam(value)}` : `${name}*=utf-8''${pctEncode(value)}`;
}

/** A MIME parameter as one or more RFC 2231 3 sections (`name*0=...; name*1=...`) of at most about 70 characters. */
export function mimeParamPieces(name: string, value: string): string[] {
  const single = mimeParam(name, value);
  if (single.length <= 70) return [single];
  const plain = plainParam(value);
  const chunks: string[] = [];
  let cur = '';
  for (const ch of value) {
    const enc = plain ? quoteParam(ch).slice(1, -1) : pctEncode(ch);
    if (cur.length + enc.length > 54 && cur) {
      chunks.push(cur);
      cur = '';
    }
    cur += enc;
  }
  if (cur) chunks.push(cur);
  return chunks.map((c, i) => (plain ? `${name}*${i}="${c}"` : i === 0 ? `${name}*0*=utf-8''${c}` : `${name}*${i}*=${c}`));
}

/** `value; p1; p2` as field pieces (each parameter after `;`). */
export function withParams(value: string, params: string[][]): string[] {
  const flat = params.flat();
  return flat.length === 0 ? [value] : [value + ';', ...flat.map((p, i) => (i < flat.length - 1 ? p + ';' : p))];
}
