// RFC 9112 6-7: finds where a request body ends, so that the front door can pass exactly one request to the route
// server (or throw away the body of a request it answered itself) and read the next head after it. Only framing is
// checked; the bytes are not kept. A state machine fed chunk by chunk.
import type { BodyFraming } from './head.js';

const MAX_LINE = 4096;

type State =
  | { kind: 'length'; left: number }
  | { kind: 'size'; line: number; digits: number; value: number; ext: boolean; cr: boolean }
  | { kind: 'data'; left: number }
  | { kind: 'data-cr' }
  | { kind: 'data-lf' }
  | { kind: 'trailer'; line: number; cr: boolean; total: number }
  | { kind: 'done' }
  | { kind: 'error'; message: string };

export type FeedResult =
  | { kind: 'more' }
  /** The body ended after `used` bytes of this chunk; the rest belongs to the next request. */
  | { kind: 'done'; used: number }
  | { kind: 'error'; message: string };

export class BodyScanner {
  private st: State;

  constructor(framing: BodyFraming) {
    this.st =
      framing.kind === 'none'
        ? { kind: 'done' }
        : framing.kind === 'length'
          ? { kind: 'length', left: framing.length }
          : { kind: 'size', line: 0, digits: 0, value: 0, ext: false, cr: false };
  }

  get done(): boolean {
    return this.st.kind === 'done';
  }

  feed(buf: Buffer): FeedResult {
    let i = 0;
    while (i <= buf.length) {
      const st = this.st;
      if (st.kind === 'done') return { kind: 'done', used: i };
      if (st.kind === 'error') return { kind: 'error', message: st.message };
      if (i === buf.length) return { kind: 'more' };
      if (st.kind === 'length' || st.kind === 'data') {
        const n = Math.min(st.left, buf.length - i);
        i += n;
        const left = st.left - n;
        if (left > 0) this.st = { kind: st.kind, left };
        else this.st = st.kind === 'length' ? { kind: 'done' } : { kind: 'data-cr' };
        continue;
      }
      const c = buf[i++] as number;
      this.st = step(st, c);
    }
    return { kind: 'more' };
  }
}

function fail(message: string): State {
  return { kind: 'error', message };
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function step(st: Exclude<State, { kind: 'length' | 'data' | 'done' | 'error' }>, c: number): State {
  switch (st.kind) {
    case 'size': {
      if (st.line + 1 > MAX_LINE) return fail('chunk-size line too long');
      if (st.cr) {
        if (c !== 0x0a) return fail('CR without LF after chunk size');
        if (st.digits === 0) return fail('chunk without a size');
        return st.value === 0 ? { kind: 'trailer', line: 0, cr: false, total: 0 } : { kind: 'data', left: st.value };
      }
      if (c === 0x0d) return { ...st, cr: true, line: st.line + 1 };
      if (st.ext) {
        if (c < 0x20 && c !== 0x09) return fail('control character in a chunk extension');
        return { ...st, line: st.line + 1 };
      }
      const h = hexValue(c);
      if (h >= 0) {
        if (st.digits >= 12) return fail('chunk size too large');
        return { ...st, line: st.line + 1, digits: st.digits + 1, value: st.value * 16 + h };
      }
      if ((c === 0x3b || c === 0x20 || c === 0x09) && st.digits > 0) return { ...st, ext: true, line: st.line + 1 };
      return fail('bad character in chunk size');
    }
    case 'data-cr':
      return c === 0x0d ? { kind: 'data-lf' } : fail('chunk data not followed by CRLF');
    case 'data-lf':
      return c === 0x0a ? { kind: 'size', line: 0, digits: 0, value: 0, ext: false, cr: false } : fail('chunk data not followed by CRLF');
    case 'trailer': {
      if (st.total + 1 > 4 * MAX_LINE) return fail('trailer section too long');
      if (st.cr) {
        if (c !== 0x0a) return fail('CR without LF in the trailer section');
        return st.line === 0 ? { kind: 'done' } : { kind: 'trailer', line: 0, cr: false, total: st.total + 1 };
      }
      if (c === 0x0d) return { ...st, cr: true, total: st.total + 1 };
      if (c === 0x0a || (c < 0x20 && c !== 0x09)) return fail('control character in the trailer section');
      return { ...st, line: st.line + 1, total: st.total + 1 };
    }
  }
}
