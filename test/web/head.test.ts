import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyScanner } from '../../src/web/body.js';
import { parseHead, type HeadResult } from '../../src/web/head.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function head(r: HeadResult) {
  if (r.kind !== 'head') throw new Error(`expected a head, got ${JSON.stringify(r)}`);
  return r;
}

describe('HTTP head parser', () => {
  it('reads an impacket RPC_IN_DATA head (MS-RPCH 2.1.2.1.1)', () => {
    const text =
      'RPC_IN_DATA /rpc/rpcproxy.dll?exch01:6004 HTTP/1.1\r\nHost: exch01\r\nUser-Agent: MSRPC\r\nCache-Control: no-cache\r\n' +
      'Connection: Keep-Alive\r\nExpect: 100-continue\r\nAccept: application/rpc\r\nPragma: No-cache\r\nContent-Length: 1073741824\r\n\r\n';
    const r = head(parseHead(b(text + '\x05\x00\x14')));
    expect(r.head.method).toBe('RPC_IN_DATA');
    expect(r.head.target).toBe('/rpc/rpcproxy.dll?exch01:6004');
    expect(r.head.version).toBe('1.1');
    expect(r.head.get('user-agent')).toBe('MSRPC');
    expect(r.length).toBe(text.length);
    expect(r.body).toEqual({ kind: 'length', length: 1073741824 });
    expect(r.expectContinue).toBe(true);
    expect(r.keepAlive).toBe(true);
  });

  it('reads a Samba HTTP/1.0 head with keep-alive and no Host requirement', () => {
    const r = head(parseHead(b('RPC_OUT_DATA /rpc/rpcproxy.dll?x:6004 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 76\r\n\r\n')));
    expect(r.head.version).toBe('1.0');
    expect(r.keepAlive).toBe(true);
    expect(r.expectContinue).toBe(false);
    expect(head(parseHead(b('GET / HTTP/1.0\r\n\r\n'))).keepAlive).toBe(false);
    expect(head(parseHead(b('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'))).keepAlive).toBe(false);
  });

  it('skips blank lines before the request line and waits for the whole head', () => {
    expect(parseHead(b('\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n'))).toEqual({ kind: 'incomplete' });
    expect(head(parseHead(b('\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'))).length).toBe(29);
  });

  it.each([
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 'OC_HTTP_BAD_TRANSFER_ENCODING'],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 'OC_HTTP_BAD_CONTENT_LENGTH'],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 'OC_HTTP_BAD_CONTENT_LENGTH'],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n', 'OC_HTTP_BAD_CONTENT_LENGTH'],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n', 'OC_HTTP_BAD_CONTENT_LENGTH'],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999\r\n\r\n', 'OC_HTTP_BAD_CONTENT_LENGTH'],
    ['GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'OC_HTTP_BAD_TRANSFER_ENCODING'],
    ['GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 'OC_HTTP_BAD_TRANSFER_ENCODING'],
    ['GET / HTTP/1.1\r\nHost : a\r\n\r\n', 'OC_HTTP_BAD_HEADER'],
    ['GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n', 'OC_HTTP_BAD_HEADER'],
    ['GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n', 'OC_HTTP_BAD_HEADER'],
    ['GET / HTTP/1.1\r\n\r\n', 'OC_HTTP_BAD_HOST'],
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'OC_HTTP_BAD_HOST'],
    ['GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 'OC_HTTP_BAD_REQUEST_LINE'],
    ['GET / HTTP/2.0\r\nHost: a\r\n\r\n', 'OC_HTTP_BAD_VERSION'],
    ['G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 'OC_HTTP_BAD_REQUEST_LINE'],
  ])('refuses %j with %s', (text, code) => {
    const r = parseHead(b(text));
    expect(r.kind).toBe('error');
    if (r.kind === 'error') {
      expect(r.code).toBe(code);
      expect(r.status).toBe(code === 'OC_HTTP_BAD_VERSION' ? 505 : 400);
    }
  });

  it('accepts repeated identical Content-Length values', () => {
    expect(head(parseHead(b('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n'))).body).toEqual({ kind: 'length', length: 5 });
  });

  it('limits the head size and the header count', () => {
    const limits = { maxHeadBytes: 1024, maxHeaders: 10 };
    const big = 'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'a'.repeat(1100) + '\r\n\r\n';
    expect(parseHead(b(big), limits)).toMatchObject({ kind: 'error', code: 'OC_HTTP_HEAD_TOO_LARGE' });
    // without the end of the head, as soon as the limit is reached
    expect(parseHead(b(big.slice(0, 1024)), limits)).toMatchObject({ kind: 'error', code: 'OC_HTTP_HEAD_TOO_LARGE' });
    expect(parseHead(b(big.slice(0, 1023)), limits)).toEqual({ kind: 'incomplete' });
    const many = 'GET / HTTP/1.1\r\nHost: a\r\n' + Array.from({ length: 10 }, (_, i) => `X-${i}: v\r\n`).join('') + '\r\n';
    expect(parseHead(b(many), limits)).toMatchObject({ kind: 'error', code: 'OC_HTTP_TOO_MANY_HEADERS' });
  });
});

// ---- properties ----

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const validHead = fc
  .record({
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'RPC_IN_DATA', 'RPC_OUT_DATA'), token),
    target: fc.stringMatching(/^\/[\x21-\x7e]{0,40}$/),
    version: fc.constantFrom('1.0', '1.1'),
    headers: fc.array(fc.tuple(token.filter((t) => !/^(host|content-length|transfer-encoding)$/i.test(t)), value), { maxLength: 12 }),
    length: fc.option(fc.nat({ max: 2 ** 31 })),
  })
  .map((h) => {
    const lines = [`${h.method} ${h.target} HTTP/${h.version}`, 'Host: exch01', ...h.headers.map(([k, v]) => `${k}: ${v}`)];
    if (h.length !== null) lines.push(`Content-Length: ${h.length}`);
    return { ...h, text: lines.join('\r\n') + '\r\n\r\n' };
  });

function check(r: HeadResult): void {
  if (r.kind === 'error') {
    expect(r.code).toMatch(/^OC_HTTP_[A-Z_]+$/);
    expect([400, 505]).toContain(r.status);
  } else if (r.kind === 'head') {
    expect(r.length).toBeGreaterThan(0);
    expect(r.head.headers.length).toBeLessThanOrEqual(100);
  }
}

describe('HTTP head parser properties', () => {
  it('round-trips generated heads, and every prefix is incomplete', () => {
    fc.assert(
      fc.property(validHead, (h) => {
        const buf = b(h.text + 'BODY');
        const r = head(parseHead(buf));
        expect(r.head.method).toBe(h.method);
        expect(r.head.target).toBe(h.target);
        expect(r.length).toBe(h.text.length);
        expect(r.head.headers.length).toBe(h.headers.length + 1 + (h.length === null ? 0 : 1));
        expect(r.body).toEqual(h.length ? { kind: 'length', length: h.length } : { kind: 'none' });
        // split at every byte: a prefix never yields a different answer
        for (let i = 0; i < h.text.length; i++) expect(parseHead(buf.subarray(0, i))).toEqual({ kind: 'incomplete' });
      }),
      { numRuns: 300 },
    );
  });

  it('gives a head or a coded error for arbitrary and mutated bytes, never an exception', () => {
    const mutated = fc
      .tuple(validHead, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
      .map(([h, muts]) => {
        const buf = b(h.text);
        for (const [pos, byte] of muts) buf[pos % buf.length] = byte;
        return buf;
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a))), (buf) => {
        const whole = parseHead(buf, { maxHeadBytes: 512, maxHeaders: 8 });
        check(whole);
        // prefixes are incomplete, or already the same error
        for (let i = 0; i < buf.length; i++) {
          const r = parseHead(buf.subarray(0, i), { maxHeadBytes: 512, maxHeaders: 8 });
          check(r);
          if (r.kind === 'head') expect(whole.kind === 'head' && whole.length === r.length).toBe(true);
          if (r.kind === 'error') expect(whole).toEqual(r);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('request body framing', () => {
  it('ends a chunked body after the last chunk and trailers, fed at every split', () => {
    const body = b('5;ext=1\r\nhello\r\n1A\r\n' + 'x'.repeat(26) + '\r\n0\r\nX-Trailer: 1\r\n\r\n');
    const next = b('GET / HTTP/1.1\r\n');
    const all = Buffer.concat([body, next]);
    for (let cut = 0; cut <= all.length; cut++) {
      const s = new BodyScanner({ kind: 'chunked' });
      const a = s.feed(all.subarray(0, cut));
      if (cut < body.length) {
        expect(a).toEqual({ kind: 'more' });
        expect(s.feed(all.subarray(cut))).toEqual({ kind: 'done', used: body.length - cut });
      } else expect(a).toEqual({ kind: 'done', used: body.length });
    }
  });

  it('counts a Content-Length body and refuses bad chunk framing', () => {
    const s = new BodyScanner({ kind: 'length', length: 10 });
    expect(s.feed(b('12345'))).toEqual({ kind: 'more' });
    expect(s.feed(b('67890GET'))).toEqual({ kind: 'done', used: 5 });
    expect(new BodyScanner({ kind: 'chunked' }).feed(b('zz\r\n'))).toMatchObject({ kind: 'error' });
    expect(new BodyScanner({ kind: 'chunked' }).feed(b('3\r\nabcX'))).toMatchObject({ kind: 'error' });
    expect(new BodyScanner({ kind: 'chunked' }).feed(b('1234567890abcd\r\n'))).toMatchObject({ kind: 'error' });
  });

  it('never throws on arbitrary chunked input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 300 }), (a, cut) => {
        const buf = Buffer.from(a);
        const s = new BodyScanner({ kind: 'chunked' });
        const r1 = s.feed(buf.subarray(0, Math.min(cut, buf.length)));
        expect(['more', 'done', 'error']).toContain(r1.kind);
        if (r1.kind === 'more') expect(['more', 'done', 'error']).toContain(s.feed(buf.subarray(Math.min(cut, buf.length))).kind);
      }),
    );
  });
});
