// src/mapi/rtf/encap.ts + reader.ts: MS-OXRTFEX encapsulation / de-encapsulation and RTF text extraction.
// Fixtures: fixtures/vectors/ms-oxrtfex.json (cases built from MS-OXRTFEX 2.1.3, each naming its section).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deencapsulateHtml,
  deencapsulateText,
  encapsulateHtml,
  encapsulateText,
  rtfInfo,
  rtfToText,
  RtfSyntaxError,
} from '../../../src/mapi/rtf/encap.js';
import { isOcError } from '../../../src/util/errors.js';

interface Case {
  id: string;
  section: string;
  mode: 'html' | 'text' | 'plain';
  rtf: string;
  expected: string;
}
const cases = (
  JSON.parse(readFileSync(new URL('../../../fixtures/vectors/ms-oxrtfex.json', import.meta.url), 'utf8')) as {
    cases: Case[];
  }
).cases;
const l1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof RtfSyntaxError) return e.code;
    throw e;
  }
};

describe('de-encapsulation and text extraction (fixture cases)', () => {
  for (const c of cases) {
    it(`${c.id} (${c.section})`, () => {
      const rtf = l1(c.rtf);
      const got = c.mode === 'html' ? deencapsulateHtml(rtf) : c.mode === 'text' ? deencapsulateText(rtf) : rtfToText(rtf);
      expect(got).toBe(c.expected);
    });
  }
  it('plain text of the MS-OXRTFCP example 1 RTF', () => {
    expect(rtfToText(l1('{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n'))).toBe('hello world');
  });
});

describe('recognition (MS-OXRTFEX 2.2.3.1) and errors', () => {
  it('finds \\fromhtml1, \\fromtext and \\ansicpg in the header only', () => {
    expect(rtfInfo(l1('{\\rtf1\\ansi\\ansicpg1251\\fromhtml1 x}'))).toEqual({ from: 'html', ansiCpg: 1251 });
    expect(rtfInfo(l1('{\\rtf1\\ansi\\fromtext x}'))).toEqual({ from: 'text', ansiCpg: 1252 });
    expect(rtfInfo(l1('{\\rtf1\\ansi x\\fromhtml1 }')).from).toBeUndefined();
    expect(rtfInfo(l1('{\\rtf1\\ansi{\\fonttbl}\\fromhtml1 }')).from).toBeUndefined();
    expect(rtfInfo(l1('{\\rtf1\\fromhtml0 }')).from).toBeUndefined();
  });
  it('gives coded errors', () => {
    expect(code(() => rtfToText(l1('hello')))).toBe('OC_RTF_NOT_RTF');
    expect(code(() => rtfToText(l1('{\\rtf1 ' + '{'.repeat(300))))).toBe('OC_RTF_DEPTH');
    expect(code(() => rtfToText(l1("{\\rtf1 \\'zz}")))).toBe('OC_RTF_SYNTAX');
    expect(code(() => rtfToText(l1(`{\\rtf1 \\${'a'.repeat(40)}}`)))).toBe('OC_RTF_SYNTAX');
    expect(code(() => rtfToText(l1('{\\rtf1 \\fs12345678901}')))).toBe('OC_RTF_SYNTAX');
    expect(code(() => deencapsulateHtml(l1('{\\rtf1\\fromtext x}')))).toBe('OC_RTF_NOT_ENCAPSULATED');
    expect(code(() => deencapsulateText(l1('{\\rtf1 x}')))).toBe('OC_RTF_NOT_ENCAPSULATED');
  });
  it('skips \\binN data and text after the root group; accepts unclosed groups', () => {
    expect(rtfToText(l1('{\\rtf1 a{\\pict\\bin4 }}{x}b}c'))).toBe('ab');
    expect(rtfToText(l1('{\\rtf1 a{\\b b'))).toBe('ab');
  });
});

describe('encapsulation (MS-OXRTFEX 2.1.1 / 2.1.2)', () => {
  it('writes the header, the empty htmltag64 group and htmltag groups', () => {
    const rtf = encapsulateHtml('<html><body><p>Hi &amp; bye</p></body></html>', 1252).toString('latin1');
    expect(rtf.startsWith('{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 ')).toBe(true);
    expect(rtf).toContain('{\\*\\htmltag64}');
    expect(rtf).toContain('{\\*\\htmltag19 <html>}');
    expect(rtf).toContain('{\\*\\htmltag64 <p>}');
    expect(rtf).toContain('{\\*\\htmltag72 </p>}');
    expect(rtf).toContain('\\htmlrtf &\\htmlrtf0 ');
    expect(rtfToText(l1(rtf))).toBe('Hi & bye\r\n');
  });
  it('writes \\uN with the fallback of the code page, "?" when it has none, \\ucN for two bytes', () => {
    const r1251 = encapsulateHtml('<p>\u0430\u00e9</p>', 1251).toString('latin1');
    expect(r1251).toContain("\\u1072\\'e0\\u233?");
    expect(r1251).toContain('\\fcharset204');
    const r932 = encapsulateHtml('<p>\u3042</p>', 932).toString('latin1');
    expect(r932).toContain("{\\uc2\\u12354\\'82\\'a0}");
    const r65001 = encapsulateHtml('<p>\u{1f600}</p>', 65001).toString('latin1');
    expect(r65001).toContain('\\ansicpg1252');
    expect(r65001).toContain('\\u-10179?\\u-8704?');
  });
  it('encapsulates text (\\fromtext) and gets it back', () => {
    const t = 'line 1\r\nline {2}\\ \ttab\nlone LF\rlone CR \u20ac\u00e9';
    const rtf = encapsulateText(t);
    expect(rtf.toString('latin1').startsWith('{\\rtf1\\ansi\\ansicpg1252\\fromtext ')).toBe(true);
    expect(deencapsulateText(rtf)).toBe(t);
  });
});

const htmlish = fc
  .array(
    fc.oneof(
      fc.constantFrom('<p>', '</p>', '<br>', '<b class="x">', '</b>', '<!-- c -->', '&amp;', '&nbsp;', '&#x4e2d;', '&bogus;', '<', '>'),
      fc.constantFrom('\r\n', '\n', '\r', '\t', ' ', '{', '}', '\\', '1', 'a'),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((a) => a.join(''));

describe('round trips', () => {
  it('HTML -> RTF -> HTML gives the same HTML (fragments and whole documents)', () => {
    fc.assert(
      fc.property(htmlish, fc.boolean(), fc.constantFrom(1252, 1251, 932, 65001), (h, whole, cp) => {
        const html = whole
          ? `<!DOCTYPE html>\r\n<html><head><title>t${h}</title><style>p{a:b}</style></head>\n<body>${h}</body></html>\r\n`
          : h;
        expect(deencapsulateHtml(encapsulateHtml(html, cp))).toBe(html);
      }),
      { numRuns: 400 },
    );
  });
  it('text -> RTF -> text gives the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (t) => {
        expect(deencapsulateText(encapsulateText(t))).toBe(t);
      }),
      { numRuns: 400 },
    );
  });
});

describe('hostile input', () => {
  const check = (b: Buffer): void => {
    for (const f of [rtfToText, deencapsulateHtml, deencapsulateText, rtfInfo]) {
      try {
        f(b);
      } catch (e) {
        expect(isOcError(e)).toBe(true);
      }
    }
  };
  it('arbitrary bytes give a value or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (a, prefix) => {
        check(prefix ? Buffer.concat([l1('{\\rtf1\\fromhtml1 '), a]) : Buffer.from(a));
      }),
      { numRuns: 1500 },
    );
  });
  it('RTF-token soup gives a value or a coded error', () => {
    const tok = fc.constantFrom('{', '}', '\\*', '\\htmltag64 ', '\\htmlrtf', '\\htmlrtf0 ', '\\u-5', '\\u65535', '\\uc3', '\\uc-1',
      "\\'", "\\'4", "\\'41", '\\f1', '\\fonttbl', '\\fcharset128', '\\bin', '\\bin999 ', '\\par', 'x', ' ', '\\', '\\-', '\\~');
    fc.assert(
      fc.property(fc.array(tok, { maxLength: 80 }), (a) => check(l1(`{\\rtf1\\ansicpg932\\fromhtml1 ${a.join('')}`))),
      { numRuns: 1500 },
    );
  });
  it('mutated encapsulated documents give a value or a coded error', () => {
    fc.assert(
      fc.property(htmlish, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (h, muts) => {
        const b = encapsulateHtml(h, 1252);
        for (const [at, v] of muts) b[at % b.length] = v;
        check(b);
      }),
      { numRuns: 800 },
    );
  });
});
