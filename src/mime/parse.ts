// A bounded MIME structure parser over a Buffer: RFC 5322 2.1-2.2 (header block, unfolding), RFC 2045 5-6
// (Content-Type, Content-Transfer-Encoding: base64, quoted-printable, 7bit/8bit/binary), RFC 2046 5.1 (multipart
// boundaries, preamble and epilogue) and 5.2.1 (message/rfc822), RFC 2183 (Content-Disposition).
//
// Choices where the RFCs leave room, as mail readers do (each tolerance adds a line to `warnings`):
// - line ends may be CRLF or bare LF; a leading mbox `From ` line is skipped; a line that is neither a field nor a
//   continuation ends the header block (the rest is body).
// - a multipart without boundary parameter, or whose boundary never appears, is kept as a leaf part; a missing
//   final boundary ends the last part at the end of its parent; a boundary line may carry trailing whitespace;
//   a boundary line is only recognised when the rest of its line is empty or `--` (so `--b` does not match `--bx`).
// - base64 skips characters outside the alphabet and bad padding; quoted-printable keeps a `=` not followed by two
//   hex digits, removes trailing whitespace of lines and soft breaks; unknown encodings are taken as 8bit.
// - message/rfc822 (and message/global) bodies are parsed as nested messages, after decoding a transfer encoding
//   (which RFC 2046 forbids but real mail has); a nested part's byte ranges then refer to the decoded buffer kept
//   in its `source`.
// - limits (options): input size (OC_MIME_TOO_LARGE), nesting depth (OC_MIME_TOO_DEEP), part count
//   (OC_MIME_TOO_MANY_PARTS) are errors; nothing else is.
import { fieldValue, getHeader, parseMimeValue, type HeaderField } from './header.js';
import { decodeBase64Loose } from './text.js';

/** The largest message parseMime reads unless told otherwise (OC_MIME_TOO_LARGE above it). */
export const MIME_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class MimeError extends Error {
  constructor(
    readonly code: 'OC_MIME_TOO_LARGE' | 'OC_MIME_TOO_DEEP' | 'OC_MIME_TOO_MANY_PARTS' | 'OC_MIME_BAD_INPUT',
    message: string,
  ) {
    super(message);
    this.name = 'MimeError';
  }
}

export interface MimeOptions {
  /** Largest input in bytes (default 64 MiB). */
  maxSize?: number;
  /** Deepest nesting of multiparts and message/rfc822 (default 24). */
  maxDepth?: number;
  /** Most parts in the whole tree (default 4096). */
  maxParts?: number;
}

export interface MimePart {
  headers: HeaderField[];
  /** Lower-case `type/subtype` (default text/plain, message/rfc822 inside multipart/digest). */
  contentType: string;
  /** Content-Type parameters (decoded, names lower-case). */
  params: Map<string, string>;
  /** Lower-case disposition (`inline`, `attachment`) or null. */
  disposition: string | null;
  dispositionParams: Map<string, string>;
  /** Lower-case Content-Transfer-Encoding (default 7bit). */
  encoding: string;
  /** The body after transfer decoding (empty for a multipart). */
  body: Buffer;
  /** Children of a multipart. */
  parts: MimePart[];
  /** The nested message of a message/rfc822 part. */
  message: MimePart | null;
  /** The buffer the ranges refer to. */
  source: Buffer;
  /** The part's bytes (header block and body) in `source`. */
  start: number;
  end: number;
  /** The body's bytes (before transfer decoding) in `source`. */
  bodyStart: number;
  bodyEnd: number;
}

export interface ParsedMessage {
  root: MimePart;
  warnings: string[];
}

interface Ctx {
  warnings: string[];
  parts: number;
  maxParts: number;
  maxDepth: number;
}

/** The index after the line starting at `i` (past its LF), and the index where its content ends (before CR LF). */
function lineAt(buf: Buffer, i: number, end: number): { next: number; contentEnd: number } {
  const lf = buf.indexOf(0x0a, i);
  const next = lf < 0 || lf >= end ? end : lf + 1;
  let contentEnd = lf < 0 || lf >= end ? end : lf;
  if (contentEnd > i && buf[contentEnd - 1] === 0x0d) contentEnd--;
  return { next, contentEnd };
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/** The header block of a part in [start, end): its fields and where the body begins. */
function parseHeaderBlock(buf: Buffer, start: number, end: number, ctx: Ctx, top: boolean): { headers: HeaderField[]; bodyStart: number } {
  const headers: HeaderField[] = [];
  let i = start;
  let cur: { nameEnd: number; start: number; name: string } | null = null;
  const close = (upTo: number): void => {
    if (!cur) return;
    const raw = buf.subarray(cur.start, upTo);
    headers.push({ name: cur.name, value: fieldValue(buf.subarray(cur.nameEnd, upTo)), raw });
    cur = null;
  };
  if (top && buf.subarray(i, Math.min(end, i + 5)).toString('latin1') === 'From ') {
    ctx.warnings.push('mbox From line skipped');
    i = lineAt(buf, i, end).next;
  }
  while (i < end) {
    const { next, contentEnd } = lineAt(buf, i, end);
    if (contentEnd === i) {
      close(i);
      return { headers, bodyStart: next };
    }
    const first = buf[i]!;
    if ((first === 0x20 || first === 0x09) && cur) {
      i = next;
      continue;
    }
    const head = buf.subarray(i, Math.min(contentEnd, i + 200)).toString('latin1');
    const m = FIELD_NAME.exec(head);
    if (!m) {
      close(i);
      ctx.warnings.push('header block ended by a line that is not a field');
      return { headers, bodyStart: i };
    }
    close(i);
    cur = { start: i, nameEnd: i + m[0].length, name: m[0].slice(0, -1).trim() };
    i = next;
  }
  close(end);
  return { headers, bodyStart: end };
}

/** RFC 2045 6.7 quoted-printable decoding (tolerant). */
export function decodeQuotedPrintable(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length);
  let o = 0;
  let i = 0;
  const n = b.length;
  const hex = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1);
  while (i < n) {
    // one line: [i, lineEnd) content, then its line break
    let lf = b.indexOf(0x0a, i);
    if (lf < 0) lf = n;
    let ce = lf > i && b[lf - 1] === 0x0d ? lf - 1 : lf;
    while (ce > i && (b[ce - 1] === 0x20 || b[ce - 1] === 0x09)) ce--; // trailing whitespace is not content
    let soft = false;
    for (let j = i; j < ce; j++) {
      const c = b[j]!;
      if (c === 0x3d) {
        if (j === ce - 1) {
          soft = true;
          break;
        }
        const h1 = hex(b[j + 1] ?? -1);
        const h2 = j + 2 < ce ? hex(b[j + 2]!) : -1;
        if (h1 >= 0 && h2 >= 0) {
          out[o++] = h1 * 16 + h2;
          j += 2;
          continue;
        }
      }
      out[o++] = c;
    }
    if (lf < n && !soft) {
      if (b[lf - 1] === 0x0d) out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
    i = lf + 1;
  }
  return out.subarray(0, o);
}

function decodeTransfer(raw: Buffer, encoding: string, ctx: Ctx): Buffer {
  switch (encoding) {
    case 'base64': {
      const { bytes, clean } = decodeBase64Loose(raw.toString('latin1'));
      if (!clean) ctx.warnings.push('base64 body with characters outside the alphabet or bad padding');
      return bytes;
    }
    case 'quoted-printable':
      return decodeQuotedPrintable(raw);
    case '7bit':
    case '8bit':
    case 'binary':
    case '':
      return raw;
    default:
      ctx.warnings.push(`unknown Content-Transfer-Encoding ${JSON.stringify(encoding.slice(0, 40))}: taken as 8bit`);
      return raw;
  }
}

/** Boundary delimiter lines of a multipart body in [start, end). */
function findBoundaries(buf: Buffer, start: number, end: number, boundary: string): { lineStart: number; next: number; close: boolean }[] {
  const delim = Buffer.from('--' + boundary, 'latin1');
  const found: { lineStart: number; next: number; close: boolean }[] = [];
  let i = start;
  while (i < end) {
    const at = buf.indexOf(delim, i);
    if (at < 0 || at + delim.length > end) break;
    i = at + 1;
    if (at !== start && buf[at - 1] !== 0x0a) continue;
    const { next, contentEnd } = lineAt(buf, at, end);
    let k = at + delim.length;
    let close = false;
    if (buf[k] === 0x2d && buf[k + 1] === 0x2d && k + 1 < contentEnd) {
      close = true;
      k += 2;
    }
    let rest = true;
    for (let j = k; j < contentEnd; j++) if (buf[j] !== 0x20 && buf[j] !== 0x09) rest = false;
    if (!rest) continue;
    found.push({ lineStart: at, next, close });
    i = next;
    if (close) break;
  }
  return found;
}

/** The end of a part's content before a delimiter line: its preceding line break belongs to the delimiter. */
function beforeDelimiter(buf: Buffer, partStart: number, lineStart: number): number {
  let e = lineStart;
  if (e > partStart && buf[e - 1] === 0x0a) e--;
  if (e > partStart && buf[e - 1] === 0x0d) e--;
  return e;
}

function parsePart(buf: Buffer, start: number, end: number, depth: number, ctx: Ctx, defaultType: string, top: boolean): MimePart {
  if (++ctx.parts > ctx.maxParts) throw new MimeError('OC_MIME_TOO_MANY_PARTS', `more than ${ctx.maxParts} MIME parts`);
  if (depth > ctx.maxDepth) throw new MimeError('OC_MIME_TOO_DEEP', `MIME nesting deeper than ${ctx.maxDepth}`);
  const { headers, bodyStart } = parseHeaderBlock(buf, start, end, ctx, top);
  const ctText = getHeader(headers, 'content-type');
  let contentType = defaultType;
  let params = new Map<string, string>();
  if (ctText !== undefined) {
    const ct = parseMimeValue(ctText);
    if (/^[a-z0-9!#$&.+^_-]+\/[a-z0-9!#$&.+^_-]+$/.test(ct.value)) {
      contentType = ct.value;
      params = ct.params;
    } else {
      ctx.warnings.push(`bad Content-Type ${JSON.stringify(ct.value.slice(0, 40))}: taken as ${defaultType === 'message/rfc822' ? defaultType : 'text/plain'}`);
      contentType = defaultType === 'message/rfc822' ? defaultType : 'text/plain';
      params = ct.params;
    }
  }
  const cd = getHeader(headers, 'content-disposition');
  const disp = cd === undefined ? null : parseMimeValue(cd);
  const encoding = (getHeader(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  const part: MimePart = {
    headers,
    contentType,
    params,
    disposition: disp && disp.value ? disp.value : null,
    dispositionParams: disp?.params ?? new Map(),
    encoding,
    body: Buffer.alloc(0),
    parts: [],
    message: null,
    source: buf,
    start,
    end,
    bodyStart: Math.min(bodyStart, end),
    bodyEnd: end,
  };
  const bs = part.bodyStart;
  if (contentType.startsWith('multipart/')) {
    const boundary = params.get('boundary');
    const lines = boundary ? findBoundaries(buf, bs, end, boundary) : [];
    if (!boundary || lines.length === 0) {
      ctx.warnings.push(boundary ? 'multipart boundary never found: kept as one text part' : 'multipart without boundary: kept as one text part');
      part.contentType = 'text/plain';
      part.body = decodeTransfer(buf.subarray(bs, end), encoding, ctx);
      return part;
    }
    const childDefault = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (let k = 0; k < lines.length; k++) {
      const l = lines[k]!;
      if (l.close) break;
      const nextLine = lines[k + 1];
      const cEnd = nextLine ? beforeDelimiter(buf, l.next, nextLine.lineStart) : end;
      if (!nextLine) ctx.warnings.push('multipart without final boundary');
      part.parts.push(parsePart(buf, l.next, Math.max(l.next, cEnd), depth + 1, ctx, childDefault, false));
    }
    return part;
  }
  const raw = buf.subarray(bs, end);
  part.body = decodeTransfer(raw, encoding, ctx);
  if (contentType === 'message/rfc822' || contentType === 'message/global') {
    // not transfer-encoded (the body is `raw` itself): parse in place so the nested ranges refer to the input
    const inPlace = part.body === raw;
    part.message = inPlace ? parsePart(buf, bs, end, depth + 1, ctx, 'text/plain', false) : parsePart(part.body, 0, part.body.length, depth + 1, ctx, 'text/plain', false);
  }
  return part;
}

/** Parses a whole RFC 5322 message. */
export function parseMime(input: Buffer, options: MimeOptions = {}): ParsedMessage {
  if (!Buffer.isBuffer(input)) throw new MimeError('OC_MIME_BAD_INPUT', 'input is not a Buffer');
  const maxSize = options.maxSize ?? MIME_MAX_MESSAGE_BYTES;
  if (input.length > maxSize) throw new MimeError('OC_MIME_TOO_LARGE', `message of ${input.length} bytes is larger than ${maxSize}`);
  const ctx: Ctx = { warnings: [], parts: 0, maxParts: options.maxParts ?? 4096, maxDepth: options.maxDepth ?? 24 };
  const root = parsePart(input, 0, input.length, 0, ctx, 'text/plain', true);
  return { root, warnings: ctx.warnings };
}

/** The part's file name: Content-Disposition filename, else Content-Type name (RFC 2183 2.3; RFC 1341 name). */
export function partFilename(p: MimePart): string | undefined {
  const n = p.dispositionParams.get('filename') ?? p.params.get('name');
  return n === undefined ? undefined : n;
}

/** The raw bytes of a part (header block and body), e.g. to pass a multipart/signed entity through untouched. */
export function partRaw(p: MimePart): Buffer {
  return p.source.subarray(p.start, p.end);
}
