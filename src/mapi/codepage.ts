// Code-page conversion of 8-bit strings (PT_STRING8 / PtypString8, MS-OXCDATA 2.11.1; MS-OXNSPI 3.1.4.3 String
// Handling): the Windows code pages Outlook sends as STAT.CodePage and PidTagMessageCodepage, to and from JS strings.
//
// Decoding: single-byte pages through a 256-entry table (built once from Node's TextDecoder, with the exceptions
// below); double-byte pages (932, 936, 949, 950) through TextDecoder; UTF-8 through TextDecoder; T.61 (20261) by
// hand. Encoding: reverse tables built lazily, on first use of a page, from the same decoders (single-byte: the 128
// upper bytes; double-byte: every lead/trail pair once); a character without a mapping becomes "?", as
// WideCharToMultiByte does without best-fit mapping. ASCII strings take a fast path both ways.
//
// Exceptions to the WHATWG decoders behind TextDecoder: Node 20's "windows-1252" decodes 0x80-0x9F as ISO-8859-1
// (checked on v20.20: 0x80 gives U+0080, not U+20AC), so 1252's upper half is written out here; the WHATWG
// Encoding Standard maps the labels us-ascii/iso-8859-1/iso-8859-9/iso-8859-11 to windows-1252/1254/874, while
// Windows' 20127 is 7-bit (bytes >= 0x80 decode to U+FFFD here) and 28591/28599/28601 have C1 controls at
// 0x80-0x9F, so those are corrected too.
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { ProtocolError } from '../util/errors.js';

/** OcError code of an unknown or unsupported code page (the NSPI handlers answer MAPI_E_UNKNOWN_CPID). */
export const CODEPAGE_UNKNOWN = 'OC_CODEPAGE_UNKNOWN';

export class UnknownCodePageError extends ProtocolError {
  constructor(readonly codePage: number) {
    super(CODEPAGE_UNKNOWN, `code page ${codePage} is not supported`, { codePage });
  }
}

export const CP_UTF8 = 65001;
export const CP_USASCII = 20127;
export const CP_TELETEX = 20261;
export const CP_LATIN1 = 28591;
/** What Outlook sends when nothing else is configured (Western European). */
export const CP_DEFAULT = 1252;

type Kind = 'single' | 'double' | 'utf8' | 't61';

interface PageDef {
  kind: Kind;
  /** WHATWG label of the TextDecoder behind it. */
  label?: string;
  /** Single-byte: byte -> UTF-16 code unit overrides of the decoder. */
  fix?: (table: Uint16Array) => void;
  /** Double-byte: lead bytes in order of preference when several byte pairs decode to the same character. */
  leads?: number[];
  /** Double-byte: is `t` a trail byte. */
  trail?: (t: number) => boolean;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** C1 controls at 0x80-0x9F, as the real ISO-8859 pages have. */
const c1 = (t: Uint16Array): void => {
  for (let b = 0x80; b < 0xa0; b++) t[b] = b;
};

// Windows-1252 0x80-0x9F (the rest is ISO-8859-1); 0x81, 0x8D, 0x8F, 0x90, 0x9D map to the C1 controls as Windows does
const CP1252_HIGH = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

const PAGES: Record<number, PageDef> = {
  1250: { kind: 'single', label: 'windows-1250' },
  1251: { kind: 'single', label: 'windows-1251' },
  1252: {
    kind: 'single',
    fix: (t) => {
      for (let b = 0x80; b < 0x100; b++) t[b] = b;
      CP1252_HIGH.forEach((c, i) => (t[0x80 + i] = c));
    },
  },
  1253: { kind: 'single', label: 'windows-1253' },
  1254: { kind: 'single', label: 'windows-1254' },
  1255: { kind: 'single', label: 'windows-1255' },
  1256: { kind: 'single', label: 'windows-1256' },
  1257: { kind: 'single', label: 'windows-1257' },
  1258: { kind: 'single', label: 'windows-1258' },
  874: { kind: 'single', label: 'windows-874' },
  [CP_USASCII]: { kind: 'single', fix: (t) => t.fill(0xfffd, 0x80) },
  [CP_LATIN1]: { kind: 'single', fix: (t) => t.forEach((_, b) => (t[b] = b)) },
  28592: { kind: 'single', label: 'iso-8859-2' },
  28593: { kind: 'single', label: 'iso-8859-3' },
  28594: { kind: 'single', label: 'iso-8859-4' },
  28595: { kind: 'single', label: 'iso-8859-5' },
  28596: { kind: 'single', label: 'iso-8859-6' },
  28597: { kind: 'single', label: 'iso-8859-7' },
  28598: { kind: 'single', label: 'iso-8859-8' },
  28599: { kind: 'single', label: 'windows-1254', fix: c1 },
  28600: { kind: 'single', label: 'iso-8859-10' },
  28601: { kind: 'single', label: 'windows-874', fix: c1 },
  28603: { kind: 'single', label: 'iso-8859-13' },
  28604: { kind: 'single', label: 'iso-8859-14' },
  28605: { kind: 'single', label: 'iso-8859-15' },
  // Shift_JIS: the NEC-selected IBM extensions (leads 0xED, 0xEE) duplicate the IBM extensions (0xFA-0xFC); Windows
  // encodes the latter, and for the other duplicates the lowest code (JIS X 0208 before NEC row 13).
  932: {
    kind: 'double',
    label: 'shift_jis',
    leads: [...range(0x81, 0x9f), ...range(0xe0, 0xec), ...range(0xef, 0xfc), 0xed, 0xee],
    trail: (t) => t >= 0x40 && t <= 0xfc && t !== 0x7f,
  },
  936: { kind: 'double', label: 'gbk', leads: range(0x81, 0xfe), trail: (t) => t >= 0x40 && t <= 0xfe && t !== 0x7f },
  949: { kind: 'double', label: 'euc-kr', leads: range(0x81, 0xfe), trail: (t) => t >= 0x41 && t <= 0xfe },
  // Big5: standard Big5 (leads 0xA1-0xFE) before the HKSCS additions the WHATWG decoder also knows
  950: {
    kind: 'double',
    label: 'big5',
    leads: [...range(0xa1, 0xfe), ...range(0x81, 0xa0)],
    trail: (t) => (t >= 0x40 && t <= 0x7e) || (t >= 0xa1 && t <= 0xfe),
  },
  [CP_UTF8]: { kind: 'utf8', label: 'utf-8' },
  [CP_TELETEX]: { kind: 't61' },
};

/** True when decode/encode handle `codePage`. */
export function isSupported(codePage: number): boolean {
  return Object.prototype.hasOwnProperty.call(PAGES, codePage);
}

/** Every supported code page. */
export function supportedCodePages(): number[] {
  return Object.keys(PAGES).map(Number);
}

function pageOf(codePage: number): PageDef {
  if (!isSupported(codePage)) throw new UnknownCodePageError(codePage);
  return PAGES[codePage] as PageDef;
}

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

// ---- single-byte pages --------------------------------------------------------------------------------------------

const singleTables = new Map<number, Uint16Array>();

/** byte -> UTF-16 code unit (0xFFFD: unassigned). */
function singleTable(codePage: number, def: PageDef): Uint16Array {
  let t = singleTables.get(codePage);
  if (t) return t;
  t = new Uint16Array(256);
  for (let b = 0; b < 0x80; b++) t[b] = b;
  if (def.label) {
    const d = decoder(def.label);
    for (let b = 0x80; b < 0x100; b++) {
      const s = d.decode(Uint8Array.of(b));
      t[b] = s.length === 1 ? s.charCodeAt(0) : 0xfffd;
    }
  }
  def.fix?.(t);
  singleTables.set(codePage, t);
  return t;
}

/** UTF-16LE scratch space of decodeSingle, grown on demand (one string conversion instead of per-character work). */
let scratch = Buffer.allocUnsafe(1024);

function decodeSingle(b: Uint8Array, t: Uint16Array): string {
  const n = b.length;
  if (scratch.length < 2 * n) scratch = Buffer.allocUnsafe(Math.max(2 * n, 2 * scratch.length));
  const out = scratch;
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    const c = t[b[i] as number] as number;
    out[j] = c & 0xff;
    out[j + 1] = c >> 8;
  }
  return out.toString('utf16le', 0, 2 * n);
}

/** Code unit -> byte + 1 (0: no mapping), for the code units 0x80-0xFFFF. */
const singleReverse = new Map<number, Uint8Array>();
/** Code unit -> byte pair (lead << 8 | trail) or single byte (0: no mapping). */
const doubleReverse = new Map<number, Uint16Array>();

function singleReverseTable(codePage: number, def: PageDef): Uint8Array {
  let r = singleReverse.get(codePage);
  if (r) return r;
  const t = singleTable(codePage, def);
  r = new Uint8Array(0x10000);
  for (let b = 0x80; b < 0x100; b++) {
    const c = t[b] as number;
    if (c !== 0xfffd && c >= 0x80 && r[c] === 0) r[c] = b - 0x7f; // byte + 1 - 0x80, fits 1..128
  }
  singleReverse.set(codePage, r);
  return r;
}

function doubleReverseTable(codePage: number, def: PageDef): Uint16Array {
  let r = doubleReverse.get(codePage);
  if (r) return r;
  r = new Uint16Array(0x10000);
  const d = decoder(def.label as string);
  const leads = new Set(def.leads);
  for (let b = 0x80; b < 0x100; b++) {
    if (leads.has(b)) continue;
    const s = d.decode(Uint8Array.of(b));
    if (s.length === 1 && s !== '\ufffd' && r[s.charCodeAt(0)] === 0) r[s.charCodeAt(0)] = b;
  }
  const pair = new Uint8Array(2);
  const trail = def.trail as (t: number) => boolean;
  for (const lead of def.leads as number[]) {
    pair[0] = lead;
    for (let t = 0x40; t < 0x100; t++) {
      if (!trail(t)) continue;
      pair[1] = t;
      const s = d.decode(pair);
      if (s.length !== 1 || s === '\ufffd') continue;
      const c = s.charCodeAt(0);
      if (c >= 0x80 && r[c] === 0) r[c] = (lead << 8) | t;
    }
  }
  doubleReverse.set(codePage, r);
  return r;
}

// ---- T.61 (CP_TELETEX, 20261: ITU-T T.61 / Windows' 20261) ---------------------------------------------------------

// T.61 supplementary set: single characters (0xA1-0xBF, 0xE0-0xFE)
const T61_SINGLE: Record<number, number> = {
  0xa1: 0x00a1, 0xa2: 0x00a2, 0xa3: 0x00a3, 0xa4: 0x0024, 0xa5: 0x00a5, 0xa6: 0x0023, 0xa7: 0x00a7, 0xa8: 0x00a4,
  0xab: 0x00ab, 0xb0: 0x00b0, 0xb1: 0x00b1, 0xb2: 0x00b2, 0xb3: 0x00b3, 0xb4: 0x00d7, 0xb5: 0x00b5, 0xb6: 0x00b6,
  0xb7: 0x00b7, 0xb8: 0x00f7, 0xbb: 0x00bb, 0xbc: 0x00bc, 0xbd: 0x00bd, 0xbe: 0x00be, 0xbf: 0x00bf, 0xe0: 0x2126,
  0xe1: 0x00c6, 0xe2: 0x0110, 0xe3: 0x00aa, 0xe4: 0x0126, 0xe6: 0x0132, 0xe7: 0x013f, 0xe8: 0x0141, 0xe9: 0x00d8,
  0xea: 0x0152, 0xeb: 0x00ba, 0xec: 0x00de, 0xed: 0x0166, 0xee: 0x014a, 0xef: 0x0149, 0xf0: 0x0138, 0xf1: 0x00e6,
  0xf2: 0x0111, 0xf3: 0x00f0, 0xf4: 0x0127, 0xf5: 0x0131, 0xf6: 0x0133, 0xf7: 0x0140, 0xf8: 0x0142, 0xf9: 0x00f8,
  0xfa: 0x0153, 0xfb: 0x00df, 0xfc: 0x00fe, 0xfd: 0x0167, 0xfe: 0x014b,
};
// T.61 non-spacing diacritics (0xC1-0xCF), each followed by the base letter: byte -> combining mark
const T61_DIACRITIC: Record<number, number> = {
  0xc1: 0x0300, 0xc2: 0x0301, 0xc3: 0x0302, 0xc4: 0x0303, 0xc5: 0x0304, 0xc6: 0x0306, 0xc7: 0x0307, 0xc8: 0x0308,
  0xca: 0x030a, 0xcb: 0x0327, 0xcd: 0x030b, 0xce: 0x0328, 0xcf: 0x030c,
};
let t61Reverse: Map<number, number> | null = null;
let t61Marks: Map<number, number> | null = null;

function decodeT61(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const x = b[i] as number;
    if (x < 0x80) out += String.fromCharCode(x);
    else if (T61_SINGLE[x] !== undefined) out += String.fromCharCode(T61_SINGLE[x]);
    else if (T61_DIACRITIC[x] !== undefined && i + 1 < b.length && (b[i + 1] as number) >= 0x20 && (b[i + 1] as number) < 0x80) {
      out += (String.fromCharCode(b[++i] as number) + String.fromCharCode(T61_DIACRITIC[x])).normalize('NFC');
    } else out += '\ufffd';
  }
  return out;
}

function encodeT61(s: string): Buffer {
  if (!t61Reverse || !t61Marks) {
    t61Reverse = new Map(Object.entries(T61_SINGLE).map(([b, c]) => [c, Number(b)]));
    t61Reverse.set(0x03a9, 0xe0); // GREEK CAPITAL LETTER OMEGA, what NFC makes of the OHM SIGN
    t61Marks = new Map(Object.entries(T61_DIACRITIC).map(([b, c]) => [c, Number(b)]));
  }
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80) {
      out.push(c);
      continue;
    }
    const single = t61Reverse.get(c);
    if (single !== undefined) {
      out.push(single);
      continue;
    }
    const nfd = ch.normalize('NFD');
    const base = nfd.charCodeAt(0);
    const mark = nfd.length === 2 ? t61Marks.get(nfd.charCodeAt(1)) : undefined;
    if (mark !== undefined && base >= 0x20 && base < 0x80) out.push(mark, base);
    else out.push(0x3f);
  }
  return Buffer.from(out);
}

// ---- public API ---------------------------------------------------------------------------------------------------

/**
 * The JS string of 8-bit text in `codePage`. Undecodable bytes become U+FFFD; never throws for any bytes of a
 * supported page. UnknownCodePageError for an unsupported page.
 */
export function decode(bytes: Uint8Array, codePage: number): string {
  const def = pageOf(codePage);
  if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  switch (def.kind) {
    case 'single':
      return decodeSingle(bytes, singleTable(codePage, def));
    case 'double':
    case 'utf8':
      return decoder(def.label as string).decode(bytes);
    case 't61':
      return decodeT61(bytes);
  }
}

// eslint-disable-next-line no-control-regex
const ASCII_RE = /^[\x00-\x7f]*$/;

/**
 * `str` in `codePage`: characters without a mapping become "?" (one per code point). UnknownCodePageError for an
 * unsupported page.
 */
export function encode(str: string, codePage: number): Buffer {
  const def = pageOf(codePage);
  if (ASCII_RE.test(str)) return Buffer.from(str, 'latin1');
  switch (def.kind) {
    case 'utf8':
      return Buffer.from(str, 'utf8');
    case 't61':
      return encodeT61(str);
    case 'single': {
      const r = singleReverseTable(codePage, def);
      const out = Buffer.allocUnsafe(str.length);
      let n = 0;
      for (let i = 0; i < str.length; i++) {
        const c = str.charCodeAt(i);
        if (c < 0x80) out[n++] = c;
        else {
          const m = r[c] as number;
          out[n++] = m === 0 ? 0x3f : m + 0x7f;
          if (c >= 0xd800 && c < 0xdc00 && i + 1 < str.length) {
            const d = str.charCodeAt(i + 1);
            if (d >= 0xdc00 && d < 0xe000) i++; // a surrogate pair is one character: one "?"
          }
        }
      }
      return out.subarray(0, n);
    }
    case 'double': {
      const r = doubleReverseTable(codePage, def);
      const out = Buffer.allocUnsafe(str.length * 2);
      let n = 0;
      for (let i = 0; i < str.length; i++) {
        const c = str.charCodeAt(i);
        if (c < 0x80) {
          out[n++] = c;
          continue;
        }
        const m = r[c] as number;
        if (m === 0) {
          out[n++] = 0x3f;
          if (c >= 0xd800 && c < 0xdc00 && i + 1 < str.length) {
            const d = str.charCodeAt(i + 1);
            if (d >= 0xdc00 && d < 0xe000) i++;
          }
        } else if (m < 0x100) out[n++] = m;
        else {
          out[n++] = m >> 8;
          out[n++] = m & 0xff;
        }
      }
      return out.subarray(0, n);
    }
  }
}
