// MS-OXCFXICS 2.2.2.6 GLOBSET: a set of GLOBCNTs, and its compact command encoding (2.2.2.6.1-2.2.2.6.5 Push,
// Pop, Bitmask, Range, End; encoding 3.1.5.4.3.1, decoding 3.1.5.4.3.2).
//
// Choices where the spec leaves room:
// - A GLOBCNT is a 48-bit counter; inside the program it is a plain `number` (exact up to 2^53), not a bigint: set
//   algebra over thousands of ranges stays cheap. Values outside 0..2^48-1 are refused with a RangeError (a
//   programming error, not wire input).
// - A GlobSet keeps sorted, disjoint, non-adjacent inclusive ranges (adjacent ranges are merged), so two equal sets
//   have equal `ranges()`.
// - Encoder (3.1.5.4.3.1 allows several encodings of one set): push the high-order bytes common to a group of
//   ranges (a Push completing 6 bytes is a singleton and pops itself, 3.1.5.4.3.1.1); a range whose ends differ
//   right below the stack is a Range; at stack depth 5, two or more ranges within 9 values of the current start are
//   one Bitmask, a lone range a Range, a lone value a 1-byte Push; Pop after each group; End with an empty stack.
//   For the spec's worked examples this gives the spec's bytes (fixtures/vectors/ms-oxcfxics-idset.json).
// - Decoder (3.1.5.4.3.2): accepts every command sequence the spec allows (pushes totalling up to 6 bytes, pops of
//   whole pushes, Bitmask at depth 5, Range at depth 0-5), in any range order. Refused with an IdsetError (the
//   handler answers ecRpcFormat, as 3.1.5.4.3.2 says): an unknown command, a Push past 6 bytes, a Pop with nothing
//   pushed, a Bitmask at another depth or reaching past low byte 0xff, a Range with Low > High, a range or value
//   overlapping another, truncation, more than `maxRanges` ranges. Bytes still on the stack at End are ignored
//   (encoders MUST pop them, 3.1.5.4.3.1.5, but they change no value).
import { OcError } from '../util/errors.js';

export const GLOBCNT_LIMIT = 2 ** 48; // exclusive upper bound

/** Malformed GLOBSET/IDSET bytes (`code` is one of IDSET_ERRORS). ROP handlers answer ecRpcFormat (0x4B6). */
export class IdsetError extends OcError {}

/** Error codes of IdsetError. */
export const IDSET_ERRORS = {
  TRUNCATED: 'OC_IDSET_TRUNCATED',
  STACK_OVERFLOW: 'OC_IDSET_STACK_OVERFLOW',
  STACK_UNDERFLOW: 'OC_IDSET_STACK_UNDERFLOW',
  BAD_COMMAND: 'OC_IDSET_BAD_COMMAND',
  BAD_DEPTH: 'OC_IDSET_BAD_DEPTH',
  BAD_BITMASK: 'OC_IDSET_BAD_BITMASK',
  RANGE_REVERSED: 'OC_IDSET_RANGE_REVERSED',
  OVERLAP: 'OC_IDSET_OVERLAP',
  TOO_BIG: 'OC_IDSET_TOO_BIG',
  DUPLICATE_REPLICA: 'OC_IDSET_DUPLICATE_REPLICA',
} as const;

function checkValue(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= GLOBCNT_LIMIT) throw new RangeError(`GLOBCNT out of range: ${v}`);
}

/** One inclusive range of GLOBCNTs. */
export interface GlobRange {
  lo: number;
  hi: number;
}

/**
 * A set of GLOBCNTs (MS-OXCFXICS 2.2.2.6) as sorted, merged inclusive ranges. Mutable through add/addRange/
 * remove*; union/difference/intersect return new sets.
 */
export class GlobSet {
  /** Flat [lo0, hi0, lo1, hi1, ...], sorted, disjoint, with hi_i + 1 < lo_{i+1}. */
  private r: number[];

  constructor(ranges?: Iterable<GlobRange>) {
    this.r = [];
    if (ranges) for (const x of ranges) this.addRange(x.lo, x.hi);
  }

  /** A set of the given values (any order, duplicates allowed); O(n log n). */
  static fromValues(values: Iterable<number>): GlobSet {
    const a = Array.from(values);
    for (const v of a) checkValue(v);
    a.sort((x, y) => x - y);
    const s = new GlobSet();
    const r = s.r;
    for (const v of a) {
      const n = r.length;
      if (n > 0 && v <= (r[n - 1] as number) + 1) {
        if (v > (r[n - 1] as number)) r[n - 1] = v;
      } else r.push(v, v);
    }
    return s;
  }

  /** A set from ranges already sorted, disjoint and non-adjacent (trusted; used by the decoder and set ops). */
  static fromSortedFlat(flat: number[]): GlobSet {
    const s = new GlobSet();
    s.r = flat;
    return s;
  }

  clone(): GlobSet {
    return GlobSet.fromSortedFlat(this.r.slice());
  }

  /** Index of the first range whose hi >= v (in ranges, not flat), or count if none. */
  private find(v: number): number {
    let lo = 0;
    let hi = this.r.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.r[2 * mid + 1] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(v: number): this {
    return this.addRange(v, v);
  }

  /** Adds lo..hi inclusive (lo <= hi). */
  addRange(lo: number, hi: number): this {
    checkValue(lo);
    checkValue(hi);
    if (lo > hi) throw new RangeError(`reversed range ${lo}..${hi}`);
    const r = this.r;
    // first range that could merge: hi_i >= lo - 1
    const i = this.find(lo - 1);
    let j = i;
    let nlo = lo;
    let nhi = hi;
    const n = r.length >> 1;
    while (j < n && (r[2 * j] as number) <= hi + 1) {
      nlo = Math.min(nlo, r[2 * j] as number);
      nhi = Math.max(nhi, r[2 * j + 1] as number);
      j++;
    }
    r.splice(2 * i, 2 * (j - i), nlo, nhi);
    return this;
  }

  remove(v: number): this {
    return this.removeRange(v, v);
  }

  removeRange(lo: number, hi: number): this {
    if (lo > hi) return this;
    const r = this.r;
    const i = this.find(lo);
    const n = r.length >> 1;
    let j = i;
    const keep: number[] = [];
    while (j < n && (r[2 * j] as number) <= hi) {
      const a = r[2 * j] as number;
      const b = r[2 * j + 1] as number;
      if (a < lo) keep.push(a, lo - 1);
      if (b > hi) keep.push(hi + 1, b);
      j++;
    }
    r.splice(2 * i, 2 * (j - i), ...keep);
    return this;
  }

  has(v: number): boolean {
    const i = this.find(v);
    return i < this.r.length >> 1 && (this.r[2 * i] as number) <= v;
  }

  isEmpty(): boolean {
    return this.r.length === 0;
  }

  /** Number of GLOBCNTs in the set. */
  size(): number {
    let n = 0;
    for (let i = 0; i < this.r.length; i += 2) n += (this.r[i + 1] as number) - (this.r[i] as number) + 1;
    return n;
  }

  /** Number of ranges. */
  rangeCount(): number {
    return this.r.length >> 1;
  }

  /** The ranges, ascending. */
  ranges(): GlobRange[] {
    const out: GlobRange[] = [];
    for (let i = 0; i < this.r.length; i += 2) out.push({ lo: this.r[i] as number, hi: this.r[i + 1] as number });
    return out;
  }

  /** Flat [lo, hi, ...] copy of the ranges. */
  flat(): number[] {
    return this.r.slice();
  }

  min(): number | undefined {
    return this.r[0];
  }

  max(): number | undefined {
    return this.r[this.r.length - 1];
  }

  /** Every value, ascending (beware of huge ranges). */
  *values(): IterableIterator<number> {
    for (let i = 0; i < this.r.length; i += 2) {
      const hi = this.r[i + 1] as number;
      for (let v = this.r[i] as number; v <= hi; v++) yield v;
    }
  }

  [Symbol.iterator](): IterableIterator<number> {
    return this.values();
  }

  equals(o: GlobSet): boolean {
    if (o.r.length !== this.r.length) return false;
    for (let i = 0; i < this.r.length; i++) if (o.r[i] !== this.r[i]) return false;
    return true;
  }

  union(o: GlobSet): GlobSet {
    const a = this.r;
    const b = o.r;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    const push = (lo: number, hi: number): void => {
      const n = out.length;
      if (n > 0 && lo <= (out[n - 1] as number) + 1) {
        if (hi > (out[n - 1] as number)) out[n - 1] = hi;
      } else out.push(lo, hi);
    };
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && (a[i] as number) <= (b[j] as number))) {
        push(a[i] as number, a[i + 1] as number);
        i += 2;
      } else {
        push(b[j] as number, b[j + 1] as number);
        j += 2;
      }
    }
    return GlobSet.fromSortedFlat(out);
  }

  intersect(o: GlobSet): GlobSet {
    const a = this.r;
    const b = o.r;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const lo = Math.max(a[i] as number, b[j] as number);
      const hi = Math.min(a[i + 1] as number, b[j + 1] as number);
      if (lo <= hi) out.push(lo, hi);
      if ((a[i + 1] as number) < (b[j + 1] as number)) i += 2;
      else j += 2;
    }
    return GlobSet.fromSortedFlat(out);
  }

  /** this \ o */
  difference(o: GlobSet): GlobSet {
    const a = this.r;
    const b = o.r;
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < a.length; i += 2) {
      let lo = a[i] as number;
      const hi = a[i + 1] as number;
      while (j < b.length && (b[j + 1] as number) < lo) j += 2;
      let k = j;
      while (k < b.length && (b[k] as number) <= hi) {
        if ((b[k] as number) > lo) out.push(lo, (b[k] as number) - 1);
        lo = (b[k + 1] as number) + 1;
        if (lo > hi) break;
        k += 2;
      }
      if (lo <= hi) out.push(lo, hi);
    }
    return GlobSet.fromSortedFlat(out);
  }

  toString(): string {
    return `{${this.ranges()
      .map((x) => (x.lo === x.hi ? `${x.lo}` : `${x.lo}-${x.hi}`))
      .join(',')}}`;
  }
}

// ---- wire form ---------------------------------------------------------------------------------------------------

const CMD_END = 0x00;
const CMD_BITMASK = 0x42;
const CMD_POP = 0x50;
const CMD_RANGE = 0x52;

/** Byte `k` (0 = most significant) of the 6-byte big-endian form of v. */
function byteAt(v: number, k: number): number {
  // GLOBCNTs below 2^32 (every mailbox for a long time): integer shifts instead of a division
  if (v <= 0xffffffff) return k < 2 ? 0 : (v >>> ((5 - k) << 3)) & 0xff;
  return Math.floor(v / POW256[5 - k]!) % 256;
}
const POW256 = [1, 2 ** 8, 2 ** 16, 2 ** 24, 2 ** 32, 2 ** 40];

/** Growable byte buffer for the encoder. */
class Out {
  buf: Buffer = Buffer.allocUnsafe(64);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  /** Bytes k0..k1-1 of the 6-byte big-endian form of v. */
  bytesOf(v: number, k0: number, k1: number): void {
    this.room(k1 - k0);
    for (let k = k0; k < k1; k++) this.buf[this.len++] = byteAt(v, k);
  }
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** Number of equal leading bytes of a and b from byte `depth` on. */
function commonBytes(a: number, b: number, depth: number): number {
  let k = depth;
  while (k < 6 && byteAt(a, k) === byteAt(b, k)) k++;
  return k - depth;
}

/**
 * MS-OXCFXICS 3.1.5.4.3.1 Encoding. The ranges flat[from..to) all share their first `depth` bytes, which are on the
 * common byte stack. Emits commands for them and leaves the stack as it found it.
 */
function encodeScope(flat: number[], from: number, to: number, depth: number, out: Out): void {
  const first = flat[from] as number;
  const last = flat[to - 1] as number;
  const k = commonBytes(first, last, depth);
  if (k > 0) {
    // 3.1.5.4.3.1.1 Push the high-order bytes the whole group shares. A push completing 6 bytes is a singleton range
    // and its bytes leave the stack by themselves (no Pop).
    out.byte(k);
    out.bytesOf(first, depth, depth + k);
    if (depth + k === 6) return;
    encodeScope(flat, from, to, depth + k, out);
    out.byte(CMD_POP); // 3.1.5.4.3.1.2
    return;
  }
  if (depth === 5) {
    encodeLowBytes(flat, from, to, out);
    return;
  }
  // Nothing in common at `depth`: ranges whose ends differ at `depth` become Range commands; each run of ranges
  // lying inside one subtree (same byte at `depth`) is encoded as a group of its own.
  let i = from;
  while (i < to) {
    const lo = flat[i] as number;
    const hi = flat[i + 1] as number;
    const b = byteAt(lo, depth);
    if (byteAt(hi, depth) !== b) {
      out.byte(CMD_RANGE); // 3.1.5.4.3.1.4
      out.bytesOf(lo, depth, 6);
      out.bytesOf(hi, depth, 6);
      i += 2;
      continue;
    }
    let j = i + 2;
    while (j < to && byteAt(flat[j + 1] as number, depth) === b) j += 2;
    encodeScope(flat, i, j, depth, out);
    i = j;
  }
}

/**
 * Stack depth 5: the low bytes of flat[from..to). When two or more ranges fall within 9 values from the current
 * start, one Bitmask (3 bytes, 3.1.5.4.3.1.3) covers them; a lone range is a Range (3 bytes), a lone value a 1-byte
 * Push (2 bytes).
 */
function encodeLowBytes(flat: number[], from: number, to: number, out: Out): void {
  let i = from;
  let s = (flat[i] as number) % 256; // first value of range i not yet written
  while (i < to) {
    const hi = (flat[i + 1] as number) % 256;
    const windowEnd = s + 8;
    const next = i + 2 < to ? (flat[i + 2] as number) % 256 : 256;
    if (hi >= windowEnd || next > windowEnd) {
      if (s === hi) {
        out.byte(1);
        out.byte(s);
      } else {
        out.byte(CMD_RANGE);
        out.byte(s);
        out.byte(hi);
      }
      i += 2;
      if (i < to) s = (flat[i] as number) % 256;
      continue;
    }
    // Bitmask: StartingValue s (included), bit n = s + n + 1.
    const start = s;
    let mask = 0;
    let j = i;
    let a = s;
    for (;;) {
      const b = (flat[j + 1] as number) % 256;
      const top = Math.min(b, windowEnd);
      for (let v = Math.max(a, start + 1); v <= top; v++) mask |= 1 << (v - start - 1);
      if (b > windowEnd) {
        // range j continues after the window
        i = j;
        s = windowEnd + 1;
        break;
      }
      j += 2;
      if (j >= to || (flat[j] as number) % 256 > windowEnd) {
        i = j;
        if (i < to) s = (flat[i] as number) % 256;
        break;
      }
      a = (flat[j] as number) % 256;
    }
    out.byte(CMD_BITMASK);
    out.byte(start);
    out.byte(mask);
  }
}

/** MS-OXCFXICS 2.2.2.6: the GLOBSET wire form of `set` (commands, ending with End). */
export function encodeGlobSet(set: GlobSet): Buffer {
  const out = new Out();
  writeGlobSet(set, out);
  return out.take();
}

function writeGlobSet(set: GlobSet, out: Out): void {
  const flat = set.flat();
  if (flat.length > 0) encodeScope(flat, 0, flat.length, 0, out);
  out.byte(CMD_END); // 3.1.5.4.3.1.5: the stack is empty here
}

/** Limits on decoding, to bound memory from hostile input. */
export interface GlobSetDecodeLimits {
  /** Most ranges one GLOBSET may hold before merging (default 1,000,000). */
  maxRanges?: number;
}

/**
 * MS-OXCFXICS 3.1.5.4.3.2 Decoding: one GLOBSET starting at `offset`; returns the set and the offset after its End
 * command. Throws IdsetError on malformed input and nothing else; every command consumes at least one byte, so it
 * cannot loop.
 */
export function decodeGlobSet(buf: Uint8Array, offset = 0, limits: GlobSetDecodeLimits = {}): { set: GlobSet; end: number } {
  const maxRanges = limits.maxRanges ?? 1_000_000;
  const flat: number[] = [];
  let sorted = true;
  let prefix = 0; // value of the bytes on the stack
  let depth = 0; // bytes on the stack
  const pushSizes: number[] = [];
  let p = offset;
  const at = (): number => p - offset;
  const need = (n: number, what: string): void => {
    if (p + n > buf.length) throw new IdsetError(IDSET_ERRORS.TRUNCATED, `GLOBSET truncated in ${what} at byte ${at()}`);
  };
  /** prefix followed by the n bytes at q: the top bytes of a GLOBCNT, as a number of (depth + n) bytes */
  const withBytes = (q: number, n: number): number => {
    let v = prefix;
    for (let k = 0; k < n; k++) v = v * 256 + (buf[q + k] as number);
    return v;
  };
  const add = (lo: number, hi: number): void => {
    const n = flat.length;
    if (n > 0) {
      const lastHi = flat[n - 1] as number;
      if (lo === lastHi + 1) {
        flat[n - 1] = hi;
        return;
      }
      if (lo <= lastHi) {
        if (lo >= (flat[n - 2] as number)) {
          throw new IdsetError(IDSET_ERRORS.OVERLAP, `GLOBSET range ${lo}-${hi} overlaps the previous one (at byte ${at()})`);
        }
        sorted = false; // before the previous range: checked for overlaps once sorted
      }
    }
    if (n >= 2 * maxRanges) throw new IdsetError(IDSET_ERRORS.TOO_BIG, `GLOBSET has more than ${maxRanges} ranges`);
    flat.push(lo, hi);
  };
  for (;;) {
    need(1, 'command');
    const cmd = buf[p++] as number;
    if (cmd === CMD_END) break;
    if (cmd >= 0x01 && cmd <= 0x06) {
      // 3.1.5.4.3.2.1 Push; a stack of 6 bytes is one GLOBCNT (a singleton range) and those bytes go at once.
      if (depth + cmd > 6) {
        throw new IdsetError(IDSET_ERRORS.STACK_OVERFLOW, `GLOBSET Push of ${cmd} bytes onto ${depth} (at byte ${at() - 1})`);
      }
      need(cmd, 'Push');
      const v = withBytes(p, cmd);
      p += cmd;
      if (depth + cmd === 6) add(v, v);
      else {
        prefix = v;
        depth += cmd;
        pushSizes.push(cmd);
      }
      continue;
    }
    if (cmd === CMD_POP) {
      // 3.1.5.4.3.2.2 Pop: removes the bytes of the last Push.
      const n = pushSizes.pop();
      if (n === undefined) throw new IdsetError(IDSET_ERRORS.STACK_UNDERFLOW, `GLOBSET Pop on an empty stack (at byte ${at() - 1})`);
      depth -= n;
      prefix = Math.floor(prefix / POW256[n]!);
      continue;
    }
    if (cmd === CMD_BITMASK) {
      // 3.1.5.4.3.2.3 Bitmask: only with 5 bytes on the stack.
      if (depth !== 5) {
        throw new IdsetError(IDSET_ERRORS.BAD_DEPTH, `GLOBSET Bitmask with ${depth} bytes on the stack, not 5 (at byte ${at() - 1})`);
      }
      need(2, 'Bitmask');
      const start = buf[p] as number;
      const mask = buf[p + 1] as number;
      p += 2;
      if (start + (32 - Math.clz32(mask)) > 255) {
        throw new IdsetError(IDSET_ERRORS.BAD_BITMASK, `GLOBSET Bitmask 0x${mask.toString(16)} from ${start} passes the low byte 0xff`);
      }
      const base = prefix * 256;
      let runLo = start;
      for (let bit = 0; bit <= 8; bit++) {
        // value start+bit+1 is in the set when bit `bit` is set (bit 8: never, closes the last run)
        if (bit < 8 && mask & (1 << bit)) {
          if (runLo < 0) runLo = start + bit + 1;
        } else if (runLo >= 0) {
          add(base + runLo, base + start + bit);
          runLo = -1;
        }
      }
      continue;
    }
    if (cmd === CMD_RANGE) {
      // 3.1.5.4.3.2.4 Range: LowValue and HighValue of 6 - depth bytes each (depth <= 5 here).
      const n = 6 - depth;
      need(2 * n, 'Range');
      const lo = withBytes(p, n);
      const hi = withBytes(p + n, n);
      p += 2 * n;
      if (lo > hi) throw new IdsetError(IDSET_ERRORS.RANGE_REVERSED, `GLOBSET Range ${lo}-${hi} is reversed (at byte ${at() - 1 - 2 * n})`);
      add(lo, hi);
      continue;
    }
    throw new IdsetError(IDSET_ERRORS.BAD_COMMAND, `GLOBSET command 0x${cmd.toString(16)} unknown (at byte ${at() - 1})`);
  }
  // 3.1.5.4.3.2.5 End. Bytes left on the stack are ignored (the encoder MUST pop them first, 3.1.5.4.3.1.5, but they
  // change no value).
  return { set: GlobSet.fromSortedFlat(sorted ? flat : sortAndCheck(flat)), end: p };
}

/** Ranges given out of order: sort them, refuse overlaps, merge adjacent ones. */
function sortAndCheck(flat: number[]): number[] {
  const idx: number[] = [];
  for (let i = 0; i < flat.length; i += 2) idx.push(i);
  idx.sort((a, b) => (flat[a] as number) - (flat[b] as number));
  const out: number[] = [];
  for (const i of idx) {
    const lo = flat[i] as number;
    const hi = flat[i + 1] as number;
    const n = out.length;
    if (n > 0 && lo <= (out[n - 1] as number)) {
      throw new IdsetError(IDSET_ERRORS.OVERLAP, `GLOBSET range ${lo}-${hi} overlaps another`);
    }
    if (n > 0 && lo === (out[n - 1] as number) + 1) out[n - 1] = hi;
    else out.push(lo, hi);
  }
  return out;
}
