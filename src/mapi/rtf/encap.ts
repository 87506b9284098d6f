// HTML and plain text encapsulated in RTF (MS-OXRTFEX) and text from RTF.
//
// Encapsulation (MS-OXRTFEX 2.1.1 / 2.1.2, examples in section 3): a header
// `{\rtf1\ansi\ansicpg<cp>\fromhtml1 \deff0{\fonttbl...}` (or `\fromtext` for text), then, in document order, each
// HTML markup piece (tag, comment, doctype, the raw content of <script>/<style>, and any text outside <body> when the
// document has one) as a `{\*\htmltag<N> ...}` group, and the body text as plain RTF text. Choices where the spec
// leaves room:
// - an empty {\*\htmltag64} (INBODY, TagType P) follows the header, as MS-OXRTFEX 2.1.1 recommends.
// - N (HTMLTagParameter) = destination (bits 0-1: 0 in body, 1 in head, 2 elsewhere inside <html>, 3 outside it)
//   | 8 for an end tag | tag type << 4 (1 html, 2 head, 3 body, 4 p, 15 any other tag, 0 for what is not a tag:
//   text, comments, raw <script>/<style> content). The type and end-tag bit values are read off Outlook's output
//   ({\*\htmltag19 <html>}, {\*\htmltag72 </p>}); readers ignore N (MS-OXRTFEX 2.1.3.1 SHOULD), so nothing
//   depends on them.
// - CR/LF inside body text go into an htmltag group (raw CR/LF in RTF are not text); CRLF is written \par, a lone
//   CR or LF \'0d / \'0a, so de-encapsulation gives back the same characters.
// - a character entity in body text stays in an htmltag group and its character is written for RTF readers only,
//   inside \htmlrtf ... \htmlrtf0; <br>, </p>, </div>, </li>, </tr>, </h1-6> add an \htmlrtf \par for RTF readers.
// - characters above U+007F are written \uN (signed 16-bit; surrogate pairs as two) followed by their bytes in the
//   header's code page as \'hh, or "?" when that page has no mapping (\ucN set in a group when not 1 byte).
// - for code page 65001 (and any page codepage.ts does not know) the header says \ansicpg1252: RTF has no UTF-8
//   text, and every non-ASCII character is \uN anyway.
// De-encapsulation and text extraction are in reader.ts (MS-OXRTFEX 2.1.3, 2.2.3.1).
import { decode as cpDecode, encode as cpEncode, isSupported, CP_UTF8 } from '../codepage.js';
import { extract, rtfInfo, RtfSyntaxError } from './reader.js';

export { rtfInfo, RtfSyntaxError, RTF_NOT_RTF, RTF_DEPTH, RTF_SYNTAX, RTF_INPUT_TOO_LARGE } from './reader.js';
export type { RtfInfo } from './reader.js';

export const RTF_NOT_ENCAPSULATED = 'OC_RTF_NOT_ENCAPSULATED';

// Windows code page -> MSFT-RTF \fcharset
const CP_CHARSET: Record<number, number> = {
  932: 128, 949: 129, 936: 134, 950: 136, 1253: 161, 1254: 162, 1258: 163, 1255: 177, 1256: 178, 1257: 186,
  1251: 204, 874: 222, 1250: 238,
};

/** The \ansicpg written for `cpid`. */
export function rtfCodePage(cpid: number): number {
  return cpid !== CP_UTF8 && isSupported(cpid) && cpid < 65000 ? cpid : 1252;
}

const hex2 = (b: number): string => `\\'${b.toString(16).padStart(2, '0')}`;

/** One non-ASCII UTF-16 unit (or pair) as \uN plus its fallback in `cpg`. */
function uniEscape(ch: string, cpg: number): string {
  const units = Array.from({ length: ch.length }, (_, k) => ch.charCodeAt(k));
  const u = (c: number): string => `\\u${c > 32767 ? c - 65536 : c}`;
  if (units.length === 2) return `${u(units[0] as number)}?${u(units[1] as number)}?`;
  const bytes = cpEncode(ch, cpg);
  const ok = cpDecode(bytes, cpg) === ch;
  const fb = ok ? Array.from(bytes, hex2).join('') : '?';
  const n = ok ? bytes.length : 1;
  return n === 1 ? `${u(units[0] as number)}${fb}` : `{\\uc${n}${u(units[0] as number)}${fb}}`;
}

/** `s` as RTF text: \, {, } escaped, controls as \'hh (TAB as \tab), non-ASCII as \uN; CR/LF per `crlf`. */
function escape(s: string, cpg: number, crlf: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d && s.charCodeAt(i + 1) === 0x0a) {
      out += crlf;
      i++;
    } else if (c === 0x5c || c === 0x7b || c === 0x7d) out += '\\' + s[i];
    else if (c === 0x09) out += '\\tab ';
    else if (c < 0x20 || c === 0x7f) out += hex2(c);
    else if (c < 0x80) out += s[i];
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += uniEscape(s.slice(i, i + 2), cpg);
      i++;
    } else out += uniEscape(s[i] as string, cpg);
  }
  return out;
}

function header(kind: 'fromhtml1' | 'fromtext', cpg: number): string {
  const cs = CP_CHARSET[cpg] ?? 0;
  return (
    `{\\rtf1\\ansi\\ansicpg${cpg}\\${kind} \\deff0{\\fonttbl{\\f0\\fswiss\\fcharset${cs} Arial;}` +
    `{\\f1\\fmodern\\fcharset${cs} Courier New;}{\\f2\\fnil\\fcharset2 Symbol;}}\r\n` +
    `{\\colortbl\\red0\\green0\\blue0;\\red0\\green0\\blue255;}\r\n\\uc1\\pard\\plain\\deftab360 \\f0\\fs20 `
  );
}

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae',
};

function entityChar(name: string): string | undefined {
  if (name.startsWith('#')) {
    const v = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return Number.isFinite(v) && v > 0 && v <= 0x10ffff && (v < 0xd800 || v > 0xdfff) ? String.fromCodePoint(v) : undefined;
  }
  return ENTITIES[name.toLowerCase()];
}

const TAG_TYPE: Record<string, number> = { html: 1, head: 2, body: 3, p: 4 };

const PAR_AFTER = /^<(br\b|\/(p|div|li|tr|h[1-6])\b)/i;

/** MS-OXRTFEX 2.1.1: `html` (already decoded from its code page) encapsulated in RTF with \ansicpg`cpg`. */
export function encapsulateHtml(html: string, cpid: number): Buffer {
  const cpg = rtfCodePage(cpid);
  const parts: string[] = [header('fromhtml1', cpg), '{\\*\\htmltag64}\r\n'];
  const hasBody = /<body[\s>/]/i.test(html);
  let loc = hasBody ? 3 : 0; // where text/tags are: 0 body, 1 head, 2 html, 3 outside
  const tag = (s: string, flags = 0): void => {
    parts.push(`{\\*\\htmltag${loc | flags} ${escape(s, cpg, '\\par ')}}`);
  };
  const text = (s: string): void => {
    if (loc !== 0) return tag(s);
    const re = /\r\n|\r|\n|&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{0,31});?/g;
    let last = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      if (m.index > last) parts.push(escape(s.slice(last, m.index), cpg, '\\par '));
      last = m.index + m[0].length;
      if (m[0][0] !== '&') {
        tag(m[0]);
        continue;
      }
      const ch = entityChar(m[1] as string);
      tag(m[0]);
      if (ch !== undefined) parts.push(`\\htmlrtf ${escape(ch, cpg, '\\par ')}\\htmlrtf0 `);
    }
    if (last < s.length) parts.push(escape(s.slice(last), cpg, '\\par '));
  };
  const n = html.length;
  let i = 0;
  let textStart = 0;
  while (i < n) {
    if (html.charCodeAt(i) !== 0x3c || !/[a-zA-Z/!?]/.test(html[i + 1] ?? '')) {
      i++;
      continue;
    }
    if (i > textStart) text(html.slice(textStart, i));
    let end: number;
    if (html.startsWith('<!--', i)) {
      const e = html.indexOf('-->', i + 4);
      end = e < 0 ? n : e + 3;
    } else {
      let q = 0;
      end = n;
      for (let k = i + 1; k < n; k++) {
        const c = html.charCodeAt(k);
        if (q !== 0) {
          if (c === q) q = 0;
        } else if (c === 0x22 || c === 0x27) q = c;
        else if (c === 0x3e) {
          end = k + 1;
          break;
        }
      }
    }
    const t = html.slice(i, end);
    const name = /^<\/?([a-zA-Z][a-zA-Z0-9]*)/.exec(t)?.[1]?.toLowerCase();
    const closing = t[1] === '/';
    tag(t, (closing ? 8 : 0) | ((name === undefined ? 0 : (TAG_TYPE[name] ?? 15)) << 4));
    if (!closing && name === 'html' && loc === 3) loc = 2;
    if (!closing && name === 'head') loc = 1;
    if (!closing && name === 'body') loc = 0;
    if (closing && name === 'head') loc = 2;
    if (closing && name === 'body') loc = 2;
    if (closing && name === 'html') loc = 3;
    if (loc === 0 && PAR_AFTER.test(t)) parts.push('\\htmlrtf \\par\\htmlrtf0 ');
    parts.push('\r\n');
    i = end;
    if (!closing && (name === 'script' || name === 'style')) {
      const close = html.slice(i).search(new RegExp(`</${name}`, 'i'));
      const rawEnd = close < 0 ? n : i + close;
      if (rawEnd > i) {
        tag(html.slice(i, rawEnd));
        parts.push('\r\n');
      }
      i = rawEnd;
    }
    textStart = i;
  }
  if (n > textStart) text(html.slice(textStart));
  parts.push('}');
  return Buffer.from(parts.join(''), 'latin1');
}

/** MS-OXRTFEX 2.1.2: plain `text` encapsulated in RTF (\fromtext). */
export function encapsulateText(text: string, cpid = 1252): Buffer {
  const cpg = rtfCodePage(cpid);
  return Buffer.from(`${header('fromtext', cpg)}${escape(text, cpg, '\\par\r\n')}}`, 'latin1');
}

/** MS-OXRTFEX 2.1.3.1: the HTML of a \fromhtml1 document, as a JS string. */
export function deencapsulateHtml(rtf: Uint8Array): string {
  if (rtfInfo(rtf).from !== 'html') throw new RtfSyntaxError(RTF_NOT_ENCAPSULATED, 'no \\fromhtml1 in the RTF header');
  return extract(rtf, 'html');
}

/** MS-OXRTFEX 2.1.3.3: the text of a \fromtext document. */
export function deencapsulateText(rtf: Uint8Array): string {
  if (rtfInfo(rtf).from !== 'text') throw new RtfSyntaxError(RTF_NOT_ENCAPSULATED, 'no \\fromtext in the RTF header');
  return extract(rtf, 'text');
}

/** The text an RTF reader shows for `rtf` (for PidTagBody of an RTF-only message). */
export function rtfToText(rtf: Uint8Array): string {
  return extract(rtf, 'plain');
}
