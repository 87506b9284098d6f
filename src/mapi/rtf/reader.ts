// RTF reader for body extraction: a tokenizer (MSFT-RTF "RTF syntax": groups, control words with an optional signed
// parameter and a space delimiter, control symbols, \'hh) and one walker with three outputs:
// - 'html': MS-OXRTFEX 2.1.3.1 / 2.1.3.2 de-encapsulation of \fromhtml1 documents: the content of
//   {\*\htmltag<N> ...} groups and the text outside \htmlrtf ... \htmlrtf0 are copied; \*\mhtmltag and every other
//   \* destination are dropped; the HTMLTagParameter N is ignored (2.1.3.1.3 SHOULD);
// - 'text': the same for \fromtext documents (2.1.3.3): the text outside \htmlrtf, no htmltag groups;
// - 'plain': what an RTF reader renders, for PidTagBody of an RTF-only message: \htmlrtf is not honoured, all \*
//   destinations and the header/picture/object groups are skipped.
// In all three: \par, \line, \sect, \page, \row -> CRLF; \tab, \cell -> TAB; \uN (signed 16-bit, then \ucN fallback
// characters skipped) -> that UTF-16 unit; \'hh -> bytes decoded in the code page of the current font (its
// \fcharset in \fonttbl) or, inside an htmltag group and by default, the \ansicpg of the header; \~ -> U+00A0,
// \_ -> U+2011, \- -> nothing; \lquote, \rquote, \ldblquote, \rdblquote, \bullet, \emdash, \endash -> their
// characters; "\<CR|LF>" -> CRLF (MSFT-RTF: same as \par); raw CR/LF -> nothing.
// Bounds: input at most RTF_MAX_INPUT bytes, group nesting at most RTF_MAX_DEPTH, a control word at most 32
// letters and 10 parameter digits. Text after the root group closes is ignored (stores leave NULs there); a
// document that ends with groups still open is accepted. \htmlrtf, \ucN and the font are group-scoped.
import { decode as cpDecode, isSupported } from '../codepage.js';
import { ProtocolError } from '../../util/errors.js';

export const RTF_NOT_RTF = 'OC_RTF_NOT_RTF';
export const RTF_DEPTH = 'OC_RTF_DEPTH';
export const RTF_SYNTAX = 'OC_RTF_SYNTAX';
export const RTF_INPUT_TOO_LARGE = 'OC_RTF_INPUT_TOO_LARGE';

/** RTF text that cannot be read. */
export class RtfSyntaxError extends ProtocolError {}

export const RTF_MAX_DEPTH = 256;
export const RTF_MAX_INPUT = 64 * 1024 * 1024;

export type Token =
  | { t: '{' }
  | { t: '}' }
  | { t: 'w'; word: string; param: number | undefined }
  | { t: 'hex'; byte: number }
  | { t: 'sym'; ch: string }
  | { t: 'text'; byte: number };

const isAlpha = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const hexVal = (c: number): number =>
  isDigit(c) ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;

/** MSFT-RTF tokens of `rtf`, in order. */
export function* tokenize(rtf: Uint8Array): Generator<Token> {
  const n = rtf.length;
  let i = 0;
  while (i < n) {
    const c = rtf[i] as number;
    if (c === 0x7b) {
      i++;
      yield { t: '{' };
    } else if (c === 0x7d) {
      i++;
      yield { t: '}' };
    } else if (c === 0x5c) {
      i++;
      if (i >= n) return;
      const d = rtf[i] as number;
      if (isAlpha(d)) {
        const s = i;
        while (i < n && isAlpha(rtf[i] as number)) {
          if (i - s >= 32) throw new RtfSyntaxError(RTF_SYNTAX, 'control word longer than 32 letters');
          i++;
        }
        const word = Buffer.from(rtf.buffer, rtf.byteOffset + s, i - s).toString('latin1');
        let param: number | undefined;
        let neg = false;
        if (i < n && rtf[i] === 0x2d && i + 1 < n && isDigit(rtf[i + 1] as number)) {
          neg = true;
          i++;
        }
        if (i < n && isDigit(rtf[i] as number)) {
          const ds = i;
          let v = 0;
          while (i < n && isDigit(rtf[i] as number)) {
            if (i - ds >= 10) throw new RtfSyntaxError(RTF_SYNTAX, 'control word parameter longer than 10 digits');
            v = v * 10 + ((rtf[i] as number) - 0x30);
            i++;
          }
          param = neg ? -v : v;
        }
        if (i < n && rtf[i] === 0x20) i++;
        if (word === 'bin' && param !== undefined && param > 0) {
          i += Math.min(param, n - i); // MSFT-RTF \binN: N raw bytes (picture data), never text
          continue;
        }
        yield { t: 'w', word, param };
      } else if (d === 0x27) {
        const h1 = i + 1 < n ? hexVal(rtf[i + 1] as number) : -1;
        const h2 = i + 2 < n ? hexVal(rtf[i + 2] as number) : -1;
        if (h1 < 0 || h2 < 0) throw new RtfSyntaxError(RTF_SYNTAX, "\\' without two hex digits");
        i += 3;
        yield { t: 'hex', byte: (h1 << 4) | h2 };
      } else if (d === 0x0d || d === 0x0a) {
        i++;
        yield { t: 'w', word: 'par', param: undefined };
      } else {
        i++;
        yield { t: 'sym', ch: String.fromCharCode(d) };
      }
    } else if (c === 0x0d || c === 0x0a) {
      i++;
    } else {
      i++;
      yield { t: 'text', byte: c };
    }
  }
}

export type Mode = 'html' | 'text' | 'plain';

export interface RtfInfo {
  /** \fromhtml1 / \fromtext in the header (before the first text or nested group of the root). */
  from: 'html' | 'text' | undefined;
  /** \ansicpg of the header (1252 when absent or unsupported). */
  ansiCpg: number;
}

interface State {
  skip: boolean;
  htmlrtf: boolean;
  inTag: boolean;
  uc: number;
  cp: number;
  /** Group kind while its first control word is not read yet / header tables. */
  fresh: boolean;
  fonttbl: boolean;
}

// MSFT-RTF \fcharset -> Windows code page
const CHARSET_CP: Record<number, number> = {
  128: 932, 129: 949, 134: 936, 136: 950, 161: 1253, 162: 1254, 163: 1258, 177: 1255, 178: 1256, 186: 1257,
  204: 1251, 222: 874, 238: 1250,
};

// Groups whose content is never body text
const SKIP_GROUPS = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'info', 'pict', 'header', 'headerl', 'headerr', 'headerf', 'footer',
  'footerl', 'footerr', 'footerf', 'object', 'themedata', 'colorschememapping', 'datastore', 'latentstyles',
  'listtable', 'listoverridetable', 'rsidtbl', 'generator', 'xmlnstbl', 'filetbl', 'revtbl', 'fldinst',
  'nonshppict', 'shpinst', 'pgdsctbl', 'mmathPr', 'listtext', 'pntext', 'pntxta', 'pntxtb', 'bkmkstart', 'bkmkend',
]);

const WORD_CHARS: Record<string, string> = {
  par: '\r\n', line: '\r\n', sect: '\r\n', page: '\r\n', row: '\r\n', tab: '\t', cell: '\t',
  lquote: '\u2018', rquote: '\u2019', ldblquote: '\u201c', rdblquote: '\u201d', bullet: '\u2022',
  emdash: '\u2014', endash: '\u2013', emspace: '\u2003', enspace: '\u2002',
};

function checkStart(rtf: Uint8Array): void {
  if (rtf.length > RTF_MAX_INPUT) throw new RtfSyntaxError(RTF_INPUT_TOO_LARGE, `RTF of ${rtf.length} bytes`);
  let i = 0;
  while (i < rtf.length && (rtf[i] === 0x20 || rtf[i] === 0x0d || rtf[i] === 0x0a || rtf[i] === 0x09)) i++;
  if (Buffer.from(rtf.buffer, rtf.byteOffset + i, Math.min(5, rtf.length - i)).toString('latin1') !== '{\\rtf') {
    throw new RtfSyntaxError(RTF_NOT_RTF, 'not an RTF document');
  }
}

/** MS-OXRTFEX 2.2.3.1 recognition: \fromhtml1 or \fromtext in the header; the \ansicpg. */
export function rtfInfo(rtf: Uint8Array): RtfInfo {
  checkStart(rtf);
  let depth = 0;
  let from: RtfInfo['from'];
  let ansiCpg = 1252;
  let seen = 0;
  for (const tok of tokenize(rtf)) {
    if (++seen > 4096) break;
    if (tok.t === '{') {
      if (++depth > 1) break;
    } else if (tok.t === '}') break;
    else if (tok.t === 'w') {
      if (tok.word === 'fromhtml' && tok.param === 1) from = 'html';
      else if (tok.word === 'fromtext') from = 'text';
      else if (tok.word === 'ansicpg' && tok.param !== undefined && isSupported(tok.param)) ansiCpg = tok.param;
    } else if (tok.t === 'text' || tok.t === 'hex') break;
  }
  return { from, ansiCpg };
}

/** The text (or, in 'html' mode, the HTML source) `rtf` carries, as a JS string. */
export function extract(rtf: Uint8Array, mode: Mode): string {
  const info = rtfInfo(rtf);
  const out: string[] = [];
  let pending: number[] = [];
  let pendingCp = info.ansiCpg;
  const flush = (): void => {
    if (pending.length === 0) return;
    out.push(cpDecode(Uint8Array.from(pending), pendingCp));
    pending = [];
  };
  const fonts = new Map<number, number>();
  let fontNo: number | undefined;
  let st: State = {
    skip: false, htmlrtf: false, inTag: false, uc: 1, cp: info.ansiCpg, fresh: false, fonttbl: false,
  };
  const stack: State[] = [];
  let started = false;
  let skipChars = 0; // \uN fallback still to skip
  let star = false; // the group began with \*

  const emits = (): boolean => {
    if (st.skip) return false;
    if (mode === 'plain') return true;
    if (mode === 'html' && st.inTag) return true;
    return !st.htmlrtf;
  };
  const emitStr = (s: string): void => {
    if (!emits()) return;
    flush();
    out.push(s);
  };
  const emitByte = (b: number): void => {
    if (!emits()) return;
    const cp = st.inTag ? info.ansiCpg : st.cp;
    if (pending.length > 0 && cp !== pendingCp) flush();
    pendingCp = cp;
    pending.push(b);
  };

  for (const tok of tokenize(rtf)) {
    if (tok.t === '{') {
      skipChars = 0;
      if (!started) {
        started = true;
        continue;
      }
      if (stack.length >= RTF_MAX_DEPTH) throw new RtfSyntaxError(RTF_DEPTH, `groups nested deeper than ${RTF_MAX_DEPTH}`);
      stack.push(st);
      st = { ...st, fresh: true };
      star = false;
      continue;
    }
    if (tok.t === '}') {
      skipChars = 0;
      const parent = stack.pop();
      if (parent === undefined) break; // the root group closed
      st = parent;
      star = false;
      continue;
    }
    if (!started) throw new RtfSyntaxError(RTF_NOT_RTF, 'text before the root group');
    const fresh = st.fresh;
    st.fresh = false;
    if (skipChars > 0) {
      skipChars--; // MSFT-RTF \ucN: a text byte, \'hh or control word counts as one fallback character
      continue;
    }
    switch (tok.t) {
      case 'text':
        if (st.fonttbl) continue;
        emitByte(tok.byte);
        break;
      case 'hex':
        if (st.fonttbl) continue;
        emitByte(tok.byte);
        break;
      case 'sym':
        if (tok.ch === '*') {
          if (fresh) {
            star = true;
            st.fresh = true; // the destination word follows
          }
        } else if (tok.ch === '\\' || tok.ch === '{' || tok.ch === '}') {
          if (!st.fonttbl) emitByte(tok.ch.charCodeAt(0));
        } else if (tok.ch === '~') emitStr('\u00a0');
        else if (tok.ch === '_') emitStr('\u2011');
        break;
      case 'w': {
        const { word, param } = tok;
        if (fresh) {
          if (star) {
            star = false;
            if (mode === 'html' && word === 'htmltag' && !st.skip) {
              st.inTag = true;
              continue;
            }
            st.skip = true;
            continue;
          }
          if (word === 'fonttbl') {
            st.fonttbl = true;
            st.skip = true;
            continue;
          }
          if (SKIP_GROUPS.has(word)) {
            st.skip = true;
            continue;
          }
        }
        if (word === 'f' && param !== undefined) {
          if (st.fonttbl) {
            fontNo = param;
            fonts.set(param, info.ansiCpg);
          } else st.cp = fonts.get(param) ?? info.ansiCpg;
          continue;
        }
        if (word === 'fcharset' && st.fonttbl && fontNo !== undefined && param !== undefined) {
          const cp = CHARSET_CP[param];
          if (cp !== undefined && isSupported(cp)) fonts.set(fontNo, cp);
          continue;
        }
        if (word === 'cpg' && st.fonttbl && fontNo !== undefined && param !== undefined && isSupported(param)) {
          fonts.set(fontNo, param);
          continue;
        }
        if (word === 'htmlrtf') {
          st.htmlrtf = param !== 0;
          continue;
        }
        if (word === 'uc' && param !== undefined) {
          st.uc = Math.max(0, Math.min(param, 16));
          continue;
        }
        if (word === 'u' && param !== undefined) {
          if (!st.fonttbl) {
            flush();
            emitStr(String.fromCharCode(param < 0 ? param + 65536 : param & 0xffff));
          }
          skipChars = st.uc;
          continue;
        }
        const ch = WORD_CHARS[word];
        if (ch !== undefined && !st.fonttbl) emitStr(ch);
        break;
      }
    }
  }
  flush();
  return out.join('');
}
