// Header fields (RFC 5322 2.2, 2.2.3 unfolding, 3.2.2 comments) and MIME parameters: Content-Type (RFC 2045 5.1),
// Content-Disposition (RFC 2183), parameter value continuations and charsets (RFC 2231 3, 4).
//
// Choices where the RFCs leave room, as mail readers do:
// - a field's raw bytes (with folding) are kept; its value is unfolded, the leading whitespace after the colon and
//   trailing whitespace removed, and decoded from bytes as UTF-8 when valid, else latin1.
// - parameter names are case-insensitive (kept lower-case); the first occurrence of a name wins.
// - an unquoted value runs to the next `;` (so `name=my file.pdf` keeps its space); a quoted value may hold
//   RFC 2047 encoded-words (not allowed by RFC 2047 5, but Outlook and others emit them) and they are decoded.
// - RFC 2231 continuations are joined in section order; missing sections are skipped; `name*` wins over `name`.
import { decode2231, decodeCharset, decodeWords, utf8OrLatin1 } from './text.js';

export interface HeaderField {
  /** The field name as written. */
  name: string;
  /** Unfolded value text (not RFC 2047 decoded). */
  value: string;
  /** The field's bytes as in the message, folding and line ending included. */
  raw: Buffer;
}

/** Unfolds a field's raw value bytes and decodes them (UTF-8 when valid, else latin1). */
export function fieldValue(raw: Buffer): string {
  return utf8OrLatin1(raw).replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '').replace(/^[ \t]+|[ \t\r\n]+$/g, '');
}

/** The first field with a name (case-insensitive). */
export function getHeader(headers: readonly HeaderField[], name: string): string | undefined {
  const l = name.toLowerCase();
  for (const h of headers) if (h.name.toLowerCase() === l) return h.value;
  return undefined;
}

/** All fields with a name, in order. */
export function getHeaders(headers: readonly HeaderField[], name: string): string[] {
  const l = name.toLowerCase();
  return headers.filter((h) => h.name.toLowerCase() === l).map((h) => h.value);
}

/** Removes RFC 5322 comments (nested parentheses) outside quoted strings. */
export function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      if (depth === 0) out += c + s[i + 1];
      i++;
    } else if (quoted) {
      out += c;
      if (c === '"') quoted = false;
    } else if (c === '"' && depth === 0) {
      quoted = true;
      out += c;
    } else if (c === '(') depth++;
    else if (c === ')' && depth > 0) {
      depth--;
      if (depth === 0) out += ' ';
    } else if (depth === 0) out += c;
  }
  return out;
}

export interface MimeValue {
  /** The value before the first `;`, lower-case (`text/plain`, `attachment`). */
  value: string;
  params: Map<string, string>;
}

interface RawParam {
  name: string;
  value: string;
  quoted: boolean;
}

function splitParams(s: string): { head: string; params: RawParam[] } {
  const params: RawParam[] = [];
  let i = 0;
  const n = s.length;
  const readUntilSemi = (): string => {
    let v = '';
    while (i < n && s[i] !== ';') v += s[i++];
    return v;
  };
  const head = readUntilSemi();
  while (i < n) {
    i++; // ';'
    while (i < n && /[ \t]/.test(s[i]!)) i++;
    let name = '';
    while (i < n && s[i] !== '=' && s[i] !== ';') name += s[i++];
    name = name.trim().toLowerCase();
    if (i >= n || s[i] === ';') continue; // a parameter without value: ignored
    i++; // '='
    while (i < n && /[ \t]/.test(s[i]!)) i++;
    if (s[i] === '"') {
      i++;
      let v = '';
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        v += s[i++];
      }
      i++; // closing quote (or end: an unterminated quoted value runs to the end)
      readUntilSemi(); // junk after the quote
      if (name) params.push({ name, value: v, quoted: true });
    } else {
      const v = readUntilSemi().trim();
      if (name) params.push({ name, value: v, quoted: false });
    }
  }
  return { head, params };
}

/** Parses `value; a=b; c*=utf-8''x; d*0="..."; d*1="..."` into its value and decoded parameters. */
export function parseMimeValue(text: string): MimeValue {
  const { head, params } = splitParams(stripComments(text));
  const out = new Map<string, string>();
  const sections = new Map<string, { n: number; value: string; encoded: boolean }[]>();
  for (const p of params) {
    const m = /^([^*]+)\*(?:(\d{1,3})\*?)?$/.exec(p.name);
    if (m && (m[2] !== undefined || p.name.endsWith('*'))) {
      const base = m[1]!;
      const n = m[2] === undefined ? 0 : Number(m[2]);
      const list = sections.get(base) ?? [];
      if (!list.some((x) => x.n === n)) list.push({ n, value: p.value, encoded: p.name.endsWith('*') });
      sections.set(base, list);
    } else if (!out.has(p.name)) out.set(p.name, p.quoted || p.value.includes('=?') ? decodeWords(p.value) : p.value);
  }
  for (const [base, list] of sections) {
    list.sort((a, b) => a.n - b.n);
    // RFC 2231 4.1: only the first section names the charset; encoded sections are percent-decoded bytes in it
    let charset: string | undefined;
    const bytes: Buffer[] = [];
    for (const s of list) {
      if (s.encoded) {
        const d = decode2231(s.value, s.n === 0);
        if (s.n === 0) charset = d.charset;
        bytes.push(d.bytes);
      } else bytes.push(Buffer.from(s.value, 'utf8'));
    }
    out.set(base, decodeCharset(Buffer.concat(bytes), charset));
  }
  return { value: head.trim().toLowerCase(), params: out };
}
