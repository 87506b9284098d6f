// RFC 9112 section 2-6: the HTTP/1.x request head as the front door reads it from a raw socket (Node's http parser
// refuses the RPC_IN_DATA / RPC_OUT_DATA methods of MS-RPCH 2.1.2.1). A pure function over the bytes received so
// far: it answers "need more", a parsed head with its body framing, or a coded error with the HTTP status to send.
import type { HttpRequestHead } from './types.js';

export interface HeadLimits {
  /** Most bytes of request line + header fields + the blank line. */
  maxHeadBytes: number;
  /** Most header fields. */
  maxHeaders: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = { maxHeadBytes: 16 * 1024, maxHeaders: 100 };

/** How the request body is delimited (RFC 9112 6.3). */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

export type HeadErrorCode =
  | 'OC_HTTP_HEAD_TOO_LARGE'
  | 'OC_HTTP_TOO_MANY_HEADERS'
  | 'OC_HTTP_BAD_REQUEST_LINE'
  | 'OC_HTTP_BAD_VERSION'
  | 'OC_HTTP_BAD_HEADER'
  | 'OC_HTTP_BAD_CONTENT_LENGTH'
  | 'OC_HTTP_BAD_TRANSFER_ENCODING'
  | 'OC_HTTP_BAD_HOST';

export interface ParsedHead {
  kind: 'head';
  head: HttpRequestHead;
  /** Bytes of the buffer the head used (leading blank lines included); the body starts there. */
  length: number;
  body: BodyFraming;
  /** Whether the connection stays open after this request (RFC 9112 9.3). */
  keepAlive: boolean;
  /** `Expect: 100-continue` was sent (RFC 9110 10.1.1). */
  expectContinue: boolean;
}

export type HeadResult =
  | { kind: 'incomplete' }
  | ParsedHead
  | { kind: 'error'; code: HeadErrorCode; status: 400 | 505; message: string };

// tchar (RFC 9110 5.6.2)
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

const MAX_LEADING_CRLF = 8;
const CONTENT_LENGTH_RE = /^\d{1,15}$/;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!TCHAR[s.charCodeAt(i)]) return false;
  return true;
}

/** field-value: VCHAR, SP, HTAB, obs-text; no other control characters. */
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

function err(code: HeadErrorCode, message: string, status: 400 | 505 = 400): HeadResult {
  return { kind: 'error', code, status, message };
}

class Head implements HttpRequestHead {
  constructor(
    readonly method: string,
    readonly target: string,
    readonly version: '1.0' | '1.1',
    readonly headers: ReadonlyArray<readonly [string, string]>,
  ) {}

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const [k, v] of this.headers) if (k.toLowerCase() === n) return v;
    return undefined;
  }

  all(name: string): string[] {
    const n = name.toLowerCase();
    return this.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  }
}

/** Comma-separated list members of every field with this name, trimmed and lower-cased, empties dropped. */
function listValues(head: Head, name: string): string[] {
  return head
    .all(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');
}

/**
 * Parses the head at the start of `buf`. `incomplete` until the blank line arrives (an error as soon as the limit
 * is passed without one), so a caller feeds the bytes as they come and calls again.
 */
export function parseHead(buf: Buffer, limits: HeadLimits = DEFAULT_HEAD_LIMITS): HeadResult {
  // RFC 9112 2.2: ignore at least one empty line before the request line.
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a && start < 2 * MAX_LEADING_CRLF) start += 2;
  const end = buf.indexOf('\r\n\r\n', start, 'latin1');
  if (end < 0) {
    return buf.length - start >= limits.maxHeadBytes
      ? err('OC_HTTP_HEAD_TOO_LARGE', `request head exceeds ${limits.maxHeadBytes} bytes`)
      : { kind: 'incomplete' };
  }
  if (end + 4 - start > limits.maxHeadBytes) return err('OC_HTTP_HEAD_TOO_LARGE', `request head exceeds ${limits.maxHeadBytes} bytes`);
  const text = buf.toString('latin1', start, end);
  const lines = text.split('\r\n');
  const requestLine = lines[0] ?? '';
  const parts = requestLine.split(' ');
  if (parts.length !== 3) return err('OC_HTTP_BAD_REQUEST_LINE', 'request line is not "method target version"');
  const [method, target, ver] = parts as [string, string, string];
  if (!isToken(method)) return err('OC_HTTP_BAD_REQUEST_LINE', 'bad method');
  if (target.length === 0 || !/^[\x21-\x7e]+$/.test(target)) return err('OC_HTTP_BAD_REQUEST_LINE', 'bad request target');
  if (!/^HTTP\/\d\.\d$/.test(ver)) return err('OC_HTTP_BAD_REQUEST_LINE', 'bad HTTP version');
  if (ver !== 'HTTP/1.0' && ver !== 'HTTP/1.1') return err('OC_HTTP_BAD_VERSION', `${ver} is not supported`, 505);
  const version = ver === 'HTTP/1.0' ? '1.0' : '1.1';

  if (lines.length - 1 > limits.maxHeaders) return err('OC_HTTP_TOO_MANY_HEADERS', `more than ${limits.maxHeaders} header fields`);
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    // no obs-fold (RFC 9112 5.2), no whitespace between name and colon (5.1)
    if (colon <= 0) return err('OC_HTTP_BAD_HEADER', 'header line without a field name');
    const name = line.slice(0, colon);
    if (!isToken(name)) return err('OC_HTTP_BAD_HEADER', 'bad header field name');
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!isFieldValue(value)) return err('OC_HTTP_BAD_HEADER', `bad value of ${name}`);
    headers.push([name, value]);
  }
  const head = new Head(method, target, version, headers);

  const hosts = head.all('host');
  if (hosts.length > 1) return err('OC_HTTP_BAD_HOST', 'more than one Host field');
  if (version === '1.1' && hosts.length === 0) return err('OC_HTTP_BAD_HOST', 'HTTP/1.1 request without Host');

  // Body framing (RFC 9112 6.1-6.3): Transfer-Encoding wins, but both together is how smuggling starts: refused.
  let body: BodyFraming = { kind: 'none' };
  const te = head.all('transfer-encoding');
  const cl = head.all('content-length');
  if (te.length > 0) {
    if (cl.length > 0) return err('OC_HTTP_BAD_TRANSFER_ENCODING', 'both Transfer-Encoding and Content-Length');
    if (version === '1.0') return err('OC_HTTP_BAD_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 request');
    const codings = listValues(head, 'transfer-encoding');
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      return err('OC_HTTP_BAD_TRANSFER_ENCODING', 'only Transfer-Encoding: chunked is accepted');
    }
    body = { kind: 'chunked' };
  } else if (cl.length > 0) {
    const values = cl.flatMap((v) => v.split(',')).map((v) => v.trim());
    const first = values[0] as string;
    if (!values.every((v) => v === first) || !CONTENT_LENGTH_RE.test(first)) {
      return err('OC_HTTP_BAD_CONTENT_LENGTH', 'Content-Length is not one decimal number');
    }
    const length = Number(first);
    if (length > 0) body = { kind: 'length', length };
  }

  const connection = listValues(head, 'connection');
  const keepAlive = version === '1.1' ? !connection.includes('close') : connection.includes('keep-alive');
  const expectContinue = listValues(head, 'expect').includes('100-continue');
  return { kind: 'head', head, length: end + 4, body, keepAlive, expectContinue };
}
