// The MIME writer's encoders (src/transport/mime.ts): RFC 2047 encoded-words, quoted-printable, RFC 2231 parameters
// and address formatting, checked by decoding them back (fast-check properties over arbitrary Unicode) and by
// Python's email package on a whole message.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMime, type LoadedMessage } from '../../src/transport/mime.js';
import { base64Lines, encodeWords, formatAddress, headerText, mimeParam, quotedPrintable } from '../../src/transport/mime-encode.js';
import { T } from '../../src/transport/tags.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function decodeWords(s: string): string {
  const bytes: Buffer[] = [];
  for (const w of s.split('\r\n ')) {
    const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(w);
    if (!m) throw new Error(`not an encoded-word: ${w}`);
    bytes.push(Buffer.from(m[1]!, 'base64'));
  }
  return Buffer.concat(bytes).toString('utf8');
}

function decodeQp(s: string): string {
  const soft = s.replace(/=\r\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]!;
    if (c === '=') {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0));
  }
  return Buffer.from(out).toString('utf8');
}

describe('MIME encoders', () => {
  it('encoded-words: ASCII only, each at most 75 characters, decode to the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), (text) => {
        const enc = encodeWords(text);
        expect(/^[\x20-\x7e\r\n]*$/.test(enc)).toBe(true);
        for (const w of enc.split('\r\n ')) expect(w.length).toBeLessThanOrEqual(75);
        expect(decodeWords(enc)).toBe(text);
      }),
    );
  });

  it('header text stays readable when it is printable ASCII', () => {
    expect(headerText('Quarterly figures')).toBe('Quarterly figures');
    expect(headerText('a =?x?= b')).toMatch(/^=\?UTF-8\?B\?/);
    expect(headerText('line\r\nbreak')).toBe('line break');
  });

  it('quoted-printable: lines of at most 76 characters, decodes to the text with CRLF line breaks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        const enc = quotedPrintable(text);
        for (const line of enc.split('\r\n')) {
          expect(line.length).toBeLessThanOrEqual(76);
          expect(/[ \t]$/.test(line)).toBe(false);
        }
        expect(/^[\x20-\x7e\r\n\t]*$/.test(enc)).toBe(true);
        expect(decodeQp(enc.slice(0, -2))).toBe(text.replace(/\r\n|\r|\n/g, '\r\n'));
      }),
    );
  });

  it('RFC 2231 parameters round-trip through percent-decoding', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }), (name) => {
        const p = mimeParam('filename', name);
        if (p.startsWith('filename="')) expect(p.slice(10, -1).replace(/\\(.)/g, '$1')).toBe(name);
        else {
          expect(p.startsWith("filename*=utf-8''")).toBe(true);
          expect(Buffer.from(decodeURIComponent(p.slice(17)), 'utf8').toString('utf8')).toBe(name);
        }
      }),
    );
  });

  it('base64 lines are 76 characters', () => {
    const b = base64Lines(Buffer.alloc(1000, 7));
    for (const l of b.trimEnd().split('\r\n')) expect(l.length).toBeLessThanOrEqual(76);
    expect(Buffer.from(b.replace(/\r\n/g, ''), 'base64')).toEqual(Buffer.alloc(1000, 7));
  });

  it('addresses: quoted, encoded or bare as needed, and Python reads them back', () => {
    const names = ['Plain Name', 'Doe, John', 'Quote "me"', 'Jürgen Groß', ''];
    const values = new Map<number, never>([[T.Subject, 'x' as never]]);
    const m: LoadedMessage = {
      values,
      recipients: names.map((n, i) => ({ rowId: i, recipientType: 1, props: [{ tag: T.DisplayName, value: n }] })),
      attachments: [],
    };
    const raw = buildMime(m, {
      from: { name: 'Sender', address: 's@example.com' },
      date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      messageId: '<id@example.com>',
      addressOf: (r) => ({ name: names[r.rowId]!, address: `u${r.rowId}@example.com` }),
    });
    expect(formatAddress({ name: 'Doe, John', address: 'd@x' })).toBe('"Doe, John" <d@x>');
    const r = spawnSync('/usr/bin/python3', [path.join(here, 'parse_mime.py')], { input: raw });
    expect(r.status, r.stderr.toString()).toBe(0);
    const out = JSON.parse(r.stdout.toString());
    expect(out.defects).toEqual([]);
    expect(out.to).toBe('Plain Name <u0@example.com>, "Doe, John" <u1@example.com>, "Quote \\"me\\"" <u2@example.com>, Jürgen Groß <u3@example.com>, u4@example.com');
    expect(out.date).toBe('Fri, 02 Jan 2026 03:04:05 +0000');
  });
});

describe('an attached message (message/rfc822) in mail sent through SMTP', () => {
  it('carries its own recipients, never the outer message\'s (Bcc above all)', () => {
    const row = (rowId: number, type: number, name: string, address: string) => ({
      rowId, recipientType: type, props: [{ tag: T.DisplayName, value: name }, { tag: T.SmtpAddress, value: address }],
    });
    const outer: LoadedMessage = {
      values: new Map<number, never>([[T.Subject, 'Fw: the report' as never]]),
      recipients: [row(0, 1, 'To One', 'to1@example.com'), row(1, 1, 'To Two', 'to2@example.com'), row(2, 3, 'Secret Bcc', 'secret@remote.org')],
      attachments: [{
        values: new Map<number, never>([[T.AttachMethod, 5 as never]]),
        embedded: {
          values: new Map<number, never>([[T.Subject, 'the report' as never]]),
          recipients: [row(0, 1, 'Inner A', 'a@inner.example'), row(1, 2, 'Inner B', 'b@inner.example'), row(2, 1, 'Inner C', 'c@inner.example')],
          attachments: [],
        },
      }],
    };
    const addresses = new Map(outer.recipients.map((r) => [r.rowId, { name: String(r.props[0]!.value), address: String(r.props[1]!.value) }]));
    const raw = buildMime(outer, {
      from: { name: 'Sender', address: 's@example.com' },
      date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      messageId: '<fw@example.com>',
      addressOf: (r) => addresses.get(r.rowId) ?? null,
    }).toString('latin1');
    expect(raw).not.toContain('secret@remote.org');
    const inner = raw.slice(raw.indexOf('message/rfc822'));
    expect(inner).toMatch(/^To: Inner A <a@inner\.example>, Inner C <c@inner\.example>\r$/m);
    expect(inner).toMatch(/^Cc: Inner B <b@inner\.example>\r$/m);
    expect(inner).not.toContain('to1@example.com');
  });
});

describe('HTML bodies in the code page they came in', () => {
  const build = (html: Buffer, cp: number): Record<string, unknown> => {
    const m: LoadedMessage = {
      values: new Map<number, never>([[T.Subject, 'cp' as never], [T.Html, html as never], [0x3fde0003, cp as never]]),
      recipients: [],
      attachments: [],
    };
    const raw = buildMime(m, { from: { name: 'S', address: 's@example.com' }, date: new Date(0), messageId: '<cp@example.com>', addressOf: () => null });
    const r = spawnSync('/usr/bin/python3', [path.join(here, 'parse_mime.py')], { input: raw });
    expect(r.status, r.stderr.toString()).toBe(0);
    return { ...JSON.parse(r.stdout.toString()), raw: raw.toString('latin1') };
  };

  it('a Greek (28597), Turkish (1254) or KOI8-R (20866) body keeps its label; Python reads the same text back', () => {
    // "Καλημέρα" in ISO-8859-7, "Günaydın" in windows-1254, "Привет" in KOI8-R
    const cases: [number, string, number[], string][] = [
      [28597, 'iso-8859-7', [0xca, 0xe1, 0xeb, 0xe7, 0xec, 0xdd, 0xf1, 0xe1], 'Καλημέρα'],
      [1254, 'windows-1254', [0x47, 0xfc, 0x6e, 0x61, 0x79, 0x64, 0xfd, 0x6e], 'Günaydın'],
      [20866, 'koi8-r', [0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4], 'Привет'],
    ];
    for (const [cp, label, word, text] of cases) {
      const out = build(Buffer.concat([Buffer.from('<p>'), Buffer.from(word), Buffer.from('</p>')]), cp);
      expect(out.raw).toContain(`charset=${label}`);
      expect(out.html).toContain(text);
    }
  });

  it('a UTF-16 body (1200) and a Thai one (874, which an RTF body may name) are written as UTF-8', () => {
    const out = build(Buffer.from('<p>Grüße 日本</p>', 'utf16le'), 1200);
    expect(out.raw).toContain('charset=utf-8');
    expect(out.html).toContain('<p>Grüße 日本</p>');
    // "สวัสดี" in windows-874
    const thai = build(Buffer.from([0x3c, 0x70, 0x3e, 0xca, 0xc7, 0xd1, 0xca, 0xb4, 0xd5, 0x3c, 0x2f, 0x70, 0x3e]), 874);
    expect(thai.raw).toContain('charset=utf-8');
    expect(thai.html).toContain('<p>สวัสดี</p>');
  });
});
