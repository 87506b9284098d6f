// src/mapi/codepage.ts: known byte <-> character pairs per code page (from the code page charts: Microsoft's
// "Code Page 1252" etc., ISO/IEC 8859-x, JIS X 0208 / CP932, GB 2312 / CP936, KS X 1001 / CP949, Big5 / CP950,
// ITU-T T.61), round trips, and properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODEPAGE_UNKNOWN, UnknownCodePageError, decode, encode, isSupported, supportedCodePages } from '../../src/mapi/codepage.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// [code page, bytes (hex), text]
const PAIRS: Array<[number, string, string]> = [
  [1252, '80', '€'],
  [1252, 'e9', 'é'],
  [1252, '9f', 'Ÿ'],
  [1252, '8a9a', 'Šš'],
  [1252, '81', '\u0081'],
  [1252, '4869', 'Hi'],
  [1250, '8ab9e8', 'Šąč'],
  [1251, 'c0ff80b8', 'АяЂё'],
  [1253, 'c1e1a2', 'ΑαΆ'],
  [1254, 'd0fdde', 'ĞıŞ'],
  [1255, 'e0a4', 'א₪'],
  [1256, 'c781', 'اپ'],
  [1257, 'c0e0', 'Ąą'],
  [1258, 'c3d0', 'ĂĐ'],
  [874, 'a180', 'ก€'],
  [932, '93fa967b', '日本'],
  [932, 'b1', 'ｱ'],
  [932, '8754', 'Ⅰ'],
  [932, 'fa5c', '纊'],
  [932, '81ca', '￢'],
  [932, '5c7e', '\\~'],
  [936, 'c0eec0d7', '李雷'],
  [936, '80', '€'],
  [949, 'c7d1b1b9', '한국'],
  [950, 'a4a4a4e5', '中文'],
  [20127, '41', 'A'],
  [28591, '80e9', '\u0080é'],
  [28592, 'a1', 'Ą'],
  [28593, 'a1', 'Ħ'],
  [28594, 'a1', 'Ą'],
  [28595, 'b0c0', 'АР'],
  [28596, 'c7', 'ا'],
  [28597, 'c1', 'Α'],
  [28598, 'e0', 'א'],
  [28599, 'd080', 'Ğ\u0080'],
  [28600, 'a1', 'Ą'],
  [28601, 'a180', 'ก\u0080'],
  [28603, 'c0', 'Ą'],
  [28604, 'a1', 'Ḃ'],
  [28605, 'a4', '€'],
  [65001, '5a6fc3ab20e69d8e', 'Zoë 李'],
  [20261, 'c265', 'é'],
  [20261, 'fb', 'ß'],
  [20261, 'e8', 'Ł'],
  [20261, 'cf63', 'č'],
];

describe('known pairs', () => {
  for (const [cp, bytes, text] of PAIRS) {
    it(`${cp}: ${bytes} <-> ${JSON.stringify(text)}`, () => {
      expect(decode(hex(bytes), cp)).toBe(text);
      expect(encode(text, cp).toString('hex')).toBe(bytes);
    });
  }
});

describe('unmapped characters and bytes', () => {
  it('characters without a mapping become "?" (one per character, surrogate pairs included)', () => {
    expect(encode('é€', 20127).toString()).toBe('??');
    expect(encode('a€b', 28591).toString()).toBe('a?b');
    expect(encode('李', 1252).toString()).toBe('?');
    expect(encode('x😀y', 1252).toString()).toBe('x?y');
    expect(encode('x😀y', 932).toString()).toBe('x?y');
    expect(encode('\u2126\u03a9', 20261).toString('hex')).toBe('e0e0');
    expect(encode('¬', 932).toString()).toBe('?'); // no best-fit mapping to 0x81CA
    expect(encode('ẞ', 20261).toString()).toBe('?');
  });
  it('bytes without a character decode to U+FFFD', () => {
    expect(decode(hex('e9'), 20127)).toBe('\ufffd');
    expect(decode(hex('a5'), 28593)).toBe('\ufffd');
    expect(decode(hex('ff'), 932)).toBe('\ufffd');
    expect(decode(hex('c9'), 20261)).toBe('\ufffd');
  });
  it('the Windows-1252 upper half is not read as ISO-8859-1 (Node 20 TextDecoder bug)', () => {
    expect(decode(hex('8085939499'), 1252)).toBe('€…“”™');
    expect(decode(hex('80'), 28591)).toBe('\u0080');
  });
});

describe('code page support', () => {
  it('supports the pages Outlook sends', () => {
    for (const cp of [1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258, 874, 932, 936, 949, 950, 20127, 20261, 65001]) {
      expect(isSupported(cp), String(cp)).toBe(true);
    }
    for (let cp = 28591; cp <= 28605; cp++) if (cp !== 28602) expect(isSupported(cp), String(cp)).toBe(true);
  });
  it('an unknown code page is a coded error (MAPI_E_UNKNOWN_CPID for the handlers)', () => {
    for (const cp of [0, 1200, 1234, 28602, 0xffffffff]) {
      expect(isSupported(cp)).toBe(false);
      expect(() => decode(hex('41'), cp)).toThrow(UnknownCodePageError);
      expect(() => encode('A', cp)).toThrow(expect.objectContaining({ code: CODEPAGE_UNKNOWN, codePage: cp }));
    }
  });
});

const SINGLE_BYTE = supportedCodePages().filter((cp) => ![932, 936, 949, 950, 65001, 20261].includes(cp));

describe('round trips', () => {
  it('single-byte pages: every assigned byte maps back to itself', () => {
    for (const cp of SINGLE_BYTE) {
      for (let b = 0; b < 256; b++) {
        const s = decode(Uint8Array.of(b), cp);
        if (s === '\ufffd') continue;
        expect(encode(s, cp)[0], `${cp} byte ${b.toString(16)}`).toBe(b);
      }
    }
  });
  it('double-byte pages: sample texts round-trip', () => {
    const texts: Record<number, string> = {
      932: 'アドレス帳の名前 ｶﾀｶﾅ 髙橋',
      936: '全球地址列表 张伟',
      949: '전체 주소 목록 김민준',
      950: '全域通訊清單 陳大文',
    };
    for (const [cp, t] of Object.entries(texts)) expect(decode(encode(t, Number(cp)), Number(cp))).toBe(t);
  });
  it('UTF-8 and T.61 round-trip their repertoire', () => {
    expect(decode(encode('Zoë 李雷 😀', 65001), 65001)).toBe('Zoë 李雷 😀');
    expect(decode(encode('Ångström Łódź ñ ß', 20261), 20261)).toBe('Ångström Łódź ñ ß');
  });
});

describe('properties (fast-check)', () => {
  const pages = supportedCodePages();
  it('arbitrary bytes decode without throwing on every supported page', () => {
    fc.assert(
      fc.property(fc.constantFrom(...pages), fc.uint8Array({ maxLength: 300 }), (cp, b) => {
        expect(typeof decode(b, cp)).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
  it('single-byte pages: encode(decode(x)) is stable (equal to x where every byte is assigned)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SINGLE_BYTE), fc.uint8Array({ maxLength: 200 }), (cp, b) => {
        const s = decode(b, cp);
        const back = encode(s, cp);
        expect(decode(back, cp)).toBe(s.replace(/\ufffd/g, '?'));
        if (!s.includes('\ufffd')) expect(Buffer.compare(back, Buffer.from(b))).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
  it('any string encodes without throwing and the ASCII part survives', () => {
    fc.assert(
      fc.property(fc.constantFrom(...pages), fc.string({ unit: 'binary', maxLength: 100 }), (cp, s) => {
        const b = encode(s, cp);
        const ascii = s.replace(/[^\x00-\x7f]/g, '');
        if (ascii === s) expect(b.toString('latin1')).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });
  it('long texts: ASCII fast path and chunked table decode agree with per-character decoding', () => {
    const long = 'é'.repeat(20000) + 'abc';
    const b = encode(long, 1252);
    expect(b.length).toBe(20003);
    expect(decode(b, 1252)).toBe(long);
    const ascii = 'x'.repeat(50000);
    expect(decode(encode(ascii, 932), 932)).toBe(ascii);
  });
});
