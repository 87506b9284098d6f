// The MIME structure parser (src/mime/parse.ts), header parameters (src/mime/header.ts) and text decoding
// (src/mime/text.ts), with header samples seen in real mail, plus fast-check properties on arbitrary and mutated
// bytes (a value or a MimeError, never another exception or a hang).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getHeader, parseMimeValue } from '../../src/mime/header.js';
import { MimeError, decodeQuotedPrintable, parseMime, partFilename, partRaw } from '../../src/mime/parse.js';
import { decodeCharset, decodeWords } from '../../src/mime/text.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8');

describe('RFC 2047 encoded-words', () => {
  it.each([
    ['=?ISO-8859-1?Q?Andr=E9?= Pirard', 'André Pirard'],
    ['=?UTF-8?B?w6lsw6hW?=', 'élèV'],
    ['=?utf-8?q?a?= =?utf-8?q?b?=', 'ab'],
    ['=?utf-8?q?a?=\r\n =?utf-8?q?b?=', 'ab'],
    ['(=?ISO-8859-1?Q?a?= b)', '(a b)'],
    ['=?utf-8?B?5pel?= =?utf-8?B?5pys?=', '日本'],
    ['=?UTF-8?B?5pc=?= =?UTF-8?B?pQ==?=', '日'], // a character split across two words (Outlook does this)
    ['=?koi8-r?B?8NLJ18XU?=', 'Привет'],
    ['=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=', '日本語'],
    ['=?windows-1252?Q?=80_5?=', '€ 5'],
    ['=?utf-8*en?q?hi?=', 'hi'],
    ['=?x-unknown?q?hi?= there', '=?x-unknown?q?hi?= there'],
    ['no words', 'no words'],
  ])('%s', (v, expected) => {
    expect(decodeWords(v)).toBe(expected);
  });

  it('unknown charset falls back and warns', () => {
    const w: string[] = [];
    expect(decodeCharset(Buffer.from('caf\xe9', 'latin1'), 'x-mac-unknown', w)).toBe('café');
    expect(w).toHaveLength(1);
  });
});

describe('MIME parameters', () => {
  it.each([
    ['text/plain; charset="utf-8"', 'text/plain', { charset: 'utf-8' }],
    ['TEXT/HTML;CHARSET=ISO-8859-1 (comment)', 'text/html', { charset: 'ISO-8859-1' }],
    ["application/pdf; name*=utf-8''%C3%A9t%C3%A9.pdf", 'application/pdf', { name: 'été.pdf' }],
    ["application/pdf; name*=iso-8859-1'fr'%E9t%E9.pdf", 'application/pdf', { name: 'été.pdf' }],
    ["application/pdf; name*0*=utf-8''%C3%A9; name*1=\"t\"; name*2*=%C3%A9.pdf", 'application/pdf', { name: 'été.pdf' }],
    ['application/pdf; name="=?UTF-8?B?w6l0w6kucGRm?="', 'application/pdf', { name: 'été.pdf' }],
    ['application/pdf; name=my file.pdf', 'application/pdf', { name: 'my file.pdf' }],
    ['multipart/mixed; boundary="----=_Part_0_1\\"x"', 'multipart/mixed', { boundary: '----=_Part_0_1"x' }],
    ['image/png; NAME="a.png"; name="b.png"', 'image/png', { name: 'a.png' }],
    ["attachment; filename*=\"UTF-8''%E2%82%AC.txt\"", 'attachment', { filename: '€.txt' }],
  ])('%s', (v, value, params) => {
    const r = parseMimeValue(v);
    expect(r.value).toBe(value);
    expect(Object.fromEntries(r.params)).toEqual(params);
  });
});

describe('quoted-printable', () => {
  it('decodes hex, soft breaks, keeps a bad escape, drops trailing whitespace', () => {
    expect(decodeQuotedPrintable(Buffer.from('h=C3=A9llo =\r\nworld  \r\n=3d=ZZ=\n')).toString('utf8')).toBe('héllo world\r\n==ZZ');
  });
});

describe('parseMime', () => {
  it('unfolds headers, keeps raw bytes, decodes 8-bit header bytes', () => {
    const raw = Buffer.concat([crlf('Subject: a\n\tb\nX-Latin: '), Buffer.from('caf\xe9', 'latin1'), crlf('\nX-Utf: café\n\nbody')]);
    const { root, warnings } = parseMime(raw);
    expect(getHeader(root.headers, 'subject')).toBe('a\tb');
    expect(root.headers[0]!.raw.toString()).toBe('Subject: a\r\n\tb\r\n');
    expect(getHeader(root.headers, 'x-latin')).toBe('café');
    expect(getHeader(root.headers, 'x-utf')).toBe('café');
    expect(root.body.toString()).toBe('body');
    expect(root.contentType).toBe('text/plain');
    expect(warnings).toEqual([]);
  });

  it('multipart: preamble and epilogue ignored, nested parts, byte ranges, bare LF', () => {
    const src =
      'Content-Type: multipart/mixed; boundary=outer\n\npreamble\n--outer\nContent-Type: multipart/alternative; boundary="inner"\n\n--inner\n' +
      'Content-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<b>x</b>\n--inner--\n--outer\nContent-Type: image/png; name=a.png\n' +
      'Content-Transfer-Encoding: base64\n\niVBO\nRw==\n--outer--\nepilogue\n';
    const { root, warnings } = parseMime(Buffer.from(src));
    expect(warnings).toEqual([]);
    expect(root.parts.map((p) => p.contentType)).toEqual(['multipart/alternative', 'image/png']);
    expect(root.parts[0]!.parts.map((p) => p.body.toString())).toEqual(['plain', '<b>x</b>']);
    expect(root.parts[1]!.body.toString('hex')).toBe('89504e47');
    expect(partFilename(root.parts[1]!)).toBe('a.png');
    expect(partRaw(root.parts[0]!.parts[0]!).toString()).toBe('Content-Type: text/plain\n\nplain');
  });

  it('a boundary that is a prefix of a longer line is not a delimiter', () => {
    const src = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--bx\r\ntwo\r\n--b--\r\n';
    const { root } = parseMime(Buffer.from(src));
    expect(root.parts.map((p) => p.body.toString())).toEqual(['one\r\n--bx\r\ntwo']);
  });

  it('tolerates a missing final boundary, bad base64 and an unknown encoding, with warnings', () => {
    const src = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGV*sbG8\r\n--b\r\nContent-Transfer-Encoding: x-uue\r\n\r\nzz\r\n';
    const { root, warnings } = parseMime(Buffer.from(src));
    expect(root.parts.map((p) => p.body.toString())).toEqual(['hello', 'zz\r\n']);
    expect(warnings).toHaveLength(3);
  });

  it('message/rfc822 is parsed as a nested message, also when (wrongly) base64 encoded', () => {
    const inner = 'Subject: inner\r\n\r\nhi';
    for (const [cte, body] of [['7bit', inner], ['base64', Buffer.from(inner).toString('base64')]]) {
      const src = `Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${body}\r\n--b--\r\n`;
      const m = parseMime(Buffer.from(src)).root.parts[0]!.message!;
      expect(getHeader(m.headers, 'subject')).toBe('inner');
      expect(m.body.toString()).toBe('hi');
      expect(partRaw(m).toString()).toBe(inner);
    }
  });

  it('limits: size, depth and part count are coded errors', () => {
    expect(() => parseMime(Buffer.alloc(100), { maxSize: 10 })).toThrow(expect.objectContaining({ code: 'OC_MIME_TOO_LARGE' }));
    let deep = 'x';
    for (let i = 0; i < 30; i++) deep = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${deep}\r\n--b${i}--\r\n`;
    expect(() => parseMime(Buffer.from(deep))).toThrow(expect.objectContaining({ code: 'OC_MIME_TOO_DEEP' }));
    const many = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n' + '--b\r\n\r\nx\r\n'.repeat(50) + '--b--';
    expect(() => parseMime(Buffer.from(many), { maxParts: 20 })).toThrow(expect.objectContaining({ code: 'OC_MIME_TOO_MANY_PARTS' }));
  });

  const seed = Buffer.from(
    'From: a@b.c\r\nSubject: =?utf-8?q?x?=\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain; charset=iso-8859-1\r\n' +
      'Content-Transfer-Encoding: quoted-printable\r\n\r\nx=E9=\r\n\r\n--q\r\nContent-Type: message/rfc822\r\n\r\nSubject: i\r\nContent-Type: multipart/alternative; boundary=r\r\n\r\n--r\r\n\r\nt\r\n--r--\r\n' +
      '--q\r\nContent-Disposition: attachment; filename*0*=utf-8\'\'%C3; filename*1*=%A9\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--q--\r\n',
  );
  const check = (b: Buffer): void => {
    try {
      const r = parseMime(b, { maxDepth: 8, maxParts: 200 });
      expect(r.root).toBeDefined();
    } catch (e) {
      expect(e).toBeInstanceOf(MimeError);
    }
  };

  it('arbitrary bytes give a message or a MimeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (a) => check(Buffer.from(a))), { numRuns: 500 });
  });

  it('mutated messages give a message or a MimeError', () => {
    const mutation = fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'del', 'dup')), { maxLength: 12 });
    fc.assert(
      fc.property(mutation, (ops) => {
        let b = Buffer.from(seed);
        for (const [at, v, op] of ops) {
          const i = at % Math.max(1, b.length);
          if (op === 'set') b[i] = v;
          else if (op === 'del') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          else b = Buffer.concat([b.subarray(0, i), b.subarray(i, i + 40), b.subarray(i)]);
        }
        check(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('deep nesting without boundaries and many delimiters stay fast', () => {
    const t = Date.now();
    check(Buffer.from('Content-Type: multipart/mixed; boundary=a\r\n\r\n' + '--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n'.repeat(5000)));
    check(Buffer.from('Content-Type: multipart/mixed; boundary=a\r\n\r\n' + '--a\r\n'.repeat(100000)));
    expect(Date.now() - t).toBeLessThan(3000);
  });
});
