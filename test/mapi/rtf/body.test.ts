// src/mapi/rtf/body.ts: PidTagRtfCompressed <-> PidTagHtml / PidTagBody, PidTagNativeBody (MS-OXCMSG 2.2.1.58.2,
// MS-OXBBODY 2.1.3.1). Fixtures: fixtures/vectors/ms-oxrtfcp.json (MS-OXRTFCP section 4).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NATIVE_BODY_HTML,
  NATIVE_BODY_PLAIN,
  NATIVE_BODY_RTF,
  NATIVE_BODY_UNDEFINED,
  bodiesFromRtf,
  nativeBody,
  rtfFromHtml,
  rtfFromText,
} from '../../../src/mapi/rtf/body.js';
import { encode } from '../../../src/mapi/codepage.js';
import { compressRtf, decompressRtf, storeRtfUncompressed } from '../../../src/mapi/rtf/lzfu.js';
import { isOcError } from '../../../src/util/errors.js';

const example1 = Buffer.from(
  (
    JSON.parse(readFileSync(new URL('../../../fixtures/vectors/ms-oxrtfcp.json', import.meta.url), 'utf8')) as {
      vectors: { compressed: string }[];
    }
  ).vectors[0]?.compressed as string,
  'hex',
);

describe('bodiesFromRtf', () => {
  it('reads plain RTF (MS-OXRTFCP example 1) as kind rtf with its text', () => {
    expect(bodiesFromRtf(example1)).toEqual({ text: 'hello world', kind: 'rtf' });
  });
  it('reads an HTML-encapsulating RTF written by Outlook-style RTF, uncompressed form too', () => {
    const rtf = Buffer.from(
      "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}{\\*\\htmltag64}" +
        "{\\*\\htmltag19 <html>}{\\*\\htmltag50 <body>}{\\*\\htmltag64 <p>}caf\\'e9{\\*\\htmltag72 </p>}" +
        '\\htmlrtf \\par\\htmlrtf0 {\\*\\htmltag58 </body>}{\\*\\htmltag27 </html>}}',
      'latin1',
    );
    for (const v of [compressRtf(rtf), storeRtfUncompressed(rtf)]) {
      const b = bodiesFromRtf(v);
      expect(b.kind).toBe('html');
      expect(b.cpid).toBe(1252);
      expect(b.html?.toString('latin1')).toBe('<html><body><p>caf\u00e9</p></body></html>');
      expect(b.text).toBe('caf\u00e9\r\n');
    }
  });
  it('returns the HTML in the requested code page, else the \\ansicpg, else UTF-8', () => {
    const r = rtfFromHtml(Buffer.from('<p>\u00e9\u4e2d</p>', 'utf8'), 65001);
    expect(bodiesFromRtf(r, { cpid: 65001 }).html?.toString('utf8')).toBe('<p>\u00e9\u4e2d</p>');
    const b = bodiesFromRtf(r, { cpid: 1252 });
    expect(b.cpid).toBe(65001);
    expect(b.html?.toString('utf8')).toBe('<p>\u00e9\u4e2d</p>');
    const c = bodiesFromRtf(rtfFromHtml(Buffer.from('<p>\u00e9</p>', 'latin1'), 1252), { cpid: 1252 });
    expect(c.cpid).toBe(1252);
    expect(c.html?.equals(Buffer.from('<p>\u00e9</p>', 'latin1'))).toBe(true);
  });
  it('gives coded errors for values that are not compressed RTF or not RTF', () => {
    for (const bad of [Buffer.alloc(3), storeRtfUncompressed(Buffer.from('not rtf'))]) {
      let err: unknown;
      try {
        bodiesFromRtf(bad);
      } catch (e) {
        err = e;
      }
      expect(isOcError(err)).toBe(true);
    }
  });
});

describe('round trips through compressed RTF', () => {
  it('HTML -> RTF -> HTML gives the same bytes in the same code page', () => {
    const html =
      '<html>\r\n<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head>\r\n' +
      '<body><p>\u041f\u0440\u0438\u0432\u0435\u0442 &laquo;{x}&raquo;</p>\n</body></html>';
    const bytes = encode(html, 1251);
    const back = bodiesFromRtf(rtfFromHtml(bytes, 1251), { cpid: 1251 });
    expect(back.cpid).toBe(1251);
    expect(back.html?.equals(bytes)).toBe(true);
    expect(decompressRtf(rtfFromHtml(bytes, 1251)).toString('latin1')).toContain('\\ansicpg1251\\fromhtml1');
  });
  it('random HTML-ish UTF-8 and text survive', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 60 }), (a, t) => {
        const html = Buffer.from(`<div>${a}</div>`, 'utf8');
        expect(bodiesFromRtf(rtfFromHtml(html, 65001), { cpid: 65001 }).html?.equals(html)).toBe(true);
        expect(bodiesFromRtf(rtfFromText(t))).toEqual({ text: t, kind: 'text' });
      }),
      { numRuns: 200 },
    );
  });
});

describe('nativeBody (MS-OXCMSG 2.2.1.58.2 values, MS-OXBBODY 2.1.3.1 choice)', () => {
  const html = Buffer.from('<p>x</p>');
  const rtfHtml = rtfFromHtml(html, 1252);
  const rtfText = rtfFromText('x');
  it('uses the RTF when in sync or alone, as the format it encapsulates', () => {
    expect(nativeBody({ rtfCompressed: example1, rtfInSync: true, body: 'x' })).toBe(NATIVE_BODY_RTF);
    expect(nativeBody({ rtfCompressed: rtfHtml, rtfInSync: true, body: 'x' })).toBe(NATIVE_BODY_HTML);
    expect(nativeBody({ rtfCompressed: rtfText, rtfInSync: true, html })).toBe(NATIVE_BODY_PLAIN);
    expect(nativeBody({ rtfCompressed: example1 })).toBe(NATIVE_BODY_RTF);
  });
  it('prefers HTML, then plain text, over an RTF that is not in sync', () => {
    expect(nativeBody({ rtfCompressed: example1, rtfInSync: false, html, body: 'x' })).toBe(NATIVE_BODY_HTML);
    expect(nativeBody({ rtfCompressed: example1, rtfInSync: false, body: 'x' })).toBe(NATIVE_BODY_PLAIN);
    expect(nativeBody({ html })).toBe(NATIVE_BODY_HTML);
    expect(nativeBody({ body: '' })).toBe(NATIVE_BODY_PLAIN);
  });
  it('is undefined without a body; an unreadable RTF counts as absent', () => {
    expect(nativeBody({})).toBe(NATIVE_BODY_UNDEFINED);
    expect(nativeBody({ rtfCompressed: Buffer.alloc(20), rtfInSync: true })).toBe(NATIVE_BODY_UNDEFINED);
    expect(nativeBody({ rtfCompressed: Buffer.alloc(20), rtfInSync: true, body: 'x' })).toBe(NATIVE_BODY_PLAIN);
  });
});
