// MS-OXCRPC 3.1.4.1.1.2 LZ77 + DIRECT2 compression of RPC_HEADER_EXT payloads: the MS-XCA 2.3/2.4 "Plain LZ77"
// bit format (32-bit flag words consumed from bit 31 down; a 0 bit is a literal, a 1 bit a match or, with the input
// exhausted, the end; 16-bit match metadata = (distance - 1) << 3 | min(length - 3, 7); longer lengths go on in a
// nibble shared by two matches, then a byte, then a 16-bit absolute length - 3, then (decoding only) a 32-bit one).
//
// decompress() is bounded: it writes exactly sizeActual bytes or throws an Lz77Error; it never reads or writes out of
// its buffers, allocates only the sizeActual the caller vouched for (after checking it against a limit), and never
// loops longer than the input and output sizes allow. As Windows' decoder does, it stops as soon as the output is
// full; whatever follows (normally the end bit and the padding of the last flag word) is not looked at.
//
// compress() keeps hash chains over 4-byte prefixes in the 8 KiB window (tables reused between calls, invalidated
// by moving a base offset instead of clearing them), searches a bounded number of candidates, parses greedily, and
// strides through incompressible stretches (Lz77Tuning says how much of each).
// Matches are capped at 0xFFFF + 3 bytes, the longest the 16-bit form holds, so peers that lack the 32-bit form
// (MS-OXCRPC never produces it) can read every stream.
import { EmsmdbEncodeError, Lz77Error } from './errors.js';

/** Largest sizeActual decompress() accepts unless told otherwise (RPC_HEADER_EXT holds at most 0xFFFF). */
export const LZ77_DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

export interface DecompressOptions {
  /** Refuse a sizeActual above this many bytes (default LZ77_DEFAULT_MAX_OUTPUT). */
  maxOutput?: number;
}

/** MS-XCA 2.4 Plain LZ77 decompression of `src` into exactly `sizeActual` bytes. */
export function decompress(src: Uint8Array, sizeActual: number, opts: DecompressOptions = {}): Buffer {
  const maxOutput = opts.maxOutput ?? LZ77_DEFAULT_MAX_OUTPUT;
  if (!Number.isSafeInteger(sizeActual) || sizeActual < 0 || sizeActual > maxOutput) {
    throw new Lz77Error('OC_LZ77_TOO_LARGE', `LZ77 output size ${sizeActual} outside 0..${maxOutput}`, { sizeActual, maxOutput });
  }
  const size = sizeActual;
  if (size === 0) return Buffer.alloc(0);
  const n = src.length;
  // Even the densest stream needs a flag word and one literal before anything can be copied.
  if (n < 5) throw truncated(0, 0, size);
  const out = Buffer.allocUnsafe(size); // every byte is written before it is returned, or we throw
  let ip = 0;
  let op = 0;
  let flags = 0;
  let nflags = 0; // unread bits left in `flags`; the next one is bit nflags - 1
  let half = -1; // position of the byte whose high nibble the next long match uses (-1: none)

  while (op < size) {
    if (nflags === 0) {
      if (ip + 4 > n) throw truncated(ip, op, size);
      flags = src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24);
      ip += 4;
      nflags = 32;
    }
    // Zero bits before the next one bit: that many literals in a row.
    const unread = nflags === 32 ? flags : flags & ((1 << nflags) - 1);
    const run = nflags - 1 - (31 - Math.clz32(unread));
    if (run > 0) {
      let k = size - op;
      if (run < k) k = run;
      if (ip + k > n) throw truncated(ip, op, size);
      for (let i = 0; i < k; i++) out[op + i] = src[ip + i]!;
      op += k;
      ip += k;
      nflags -= k;
      continue;
    }
    nflags--;
    // A one bit: a match, or the end of the stream if the input is used up (too early: we still owe bytes).
    if (ip + 2 > n) throw truncated(ip, op, size);
    const m = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    const dist = (m >>> 3) + 1;
    let len = m & 7;
    if (len === 7) {
      if (half < 0) {
        if (ip >= n) throw truncated(ip, op, size);
        half = ip;
        len = src[ip++]! & 0x0f;
      } else {
        len = src[half]! >>> 4;
        half = -1;
      }
      if (len === 15) {
        if (ip >= n) throw truncated(ip, op, size);
        len = src[ip++]!;
        if (len === 255) {
          if (ip + 2 > n) throw truncated(ip, op, size);
          len = src[ip]! | (src[ip + 1]! << 8);
          ip += 2;
          if (len === 0) {
            if (ip + 4 > n) throw truncated(ip, op, size);
            len = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24)) >>> 0;
            ip += 4;
          }
          if (len < 15 + 7) {
            throw new Lz77Error('OC_LZ77_BAD_LENGTH', `LZ77 explicit match length ${len} below 22 at input offset ${ip}`, { at: ip, len });
          }
          // the 16- and 32-bit forms hold length - 3 in full
        } else {
          len += 15 + 7;
        }
      } else {
        len += 7;
      }
    }
    len += 3;
    if (dist > op) {
      throw new Lz77Error('OC_LZ77_BAD_DISTANCE', `LZ77 match reaches ${dist} bytes back from output offset ${op}`, { at: ip, op, dist });
    }
    if (len > size - op) {
      throw new Lz77Error('OC_LZ77_OVERRUN', `LZ77 match of ${len} bytes at output offset ${op} passes SizeActual ${size}`, { at: ip, op, len, size });
    }
    let from = op - dist;
    const end = op + len;
    if (len <= 16) {
      while (op < end) out[op++] = out[from++]!;
    } else if (dist >= len) {
      out.copyWithin(op, from, from + len);
      op = end;
    } else if (dist === 1) {
      out.fill(out[from]!, op, end);
      op = end;
    } else {
      // Overlapping: the output repeats with period dist; copy ever longer non-overlapping stretches of it.
      while (op < end) {
        let chunk = op - from;
        if (chunk > end - op) chunk = end - op;
        out.copyWithin(op, from, from + chunk);
        op += chunk;
      }
    }
  }
  return out;
}

function truncated(ip: number, op: number, size: number): Lz77Error {
  return new Lz77Error('OC_LZ77_TRUNCATED', `LZ77 input ends at offset ${ip} with ${op} of ${size} bytes decoded`, { at: ip, op, size });
}

// ---- compression ----------------------------------------------------------------------------------------------

const WINDOW = 8192; // 13-bit distance field: distances 1..8192
const WMASK = WINDOW - 1;
const MIN_MATCH = 3;
const MAX_MATCH = 0xffff + 3; // the 16-bit length form
const HASH_BITS = 15;
const HASH_SHIFT = 32 - HASH_BITS;
const HASH_MUL = 0x9e3779b1 | 0;
/** Search effort; the defaults were chosen with bench/lz77.ts (speed against ratio on the mail-like corpus). */
export interface Lz77Tuning {
  /** Candidates examined per position. */
  maxChain: number;
  /** Stop searching once a match this long is found. */
  niceMatch: number;
  /** Index every position inside matches up to this long; longer ones every insertStride-th and at their last 3. */
  maxInsert: number;
  /** Inside a match longer than maxInsert, index every this-many positions (0: none but the last three). */
  insertStride: number;
  /**
   * After 2^skipShift positions in a row without a match, search only every 2nd position, then every 3rd, ...
   * (incompressible stretches cost less; 0: search every position).
   */
  skipShift: number;
}
// Measured on the bench corpus (CPU time, same process, alternating): chain 24 / nice 64 / full lazy gives ratio 0.372
// at about 0.45x the speed of chain 6 / lazy 8 (ratio 0.386); greedy parsing (lazyBelow 0) is ~3% faster at 0.388;
// skipShift 5 costs 0.004 of ratio and makes incompressible stretches (base64 of random data) about 2x faster.
// Issue 4 (compress >= 100 MB/s on CPU time), bench corpus, one tuning per process, 6 processes each interleaved,
// median CPU time of 25 passes: a process runs in one of two JIT states, "slow" or "fast" (seen with every tuning,
// independent of machine load). MB/s slow / fast, ratio: chain 6 lazy 8 (the earlier defaults) 91 / 120-126, 0.385;
// chain 6 greedy 92-99 / 135-142, 0.388; chain 4 greedy 100 / 139-144, 0.393; chain 3 greedy 102-106 / 145-150,
// 0.397; chain 2 greedy 102-108 / 148-156, 0.404. Chain 3 greedy: +13-19% speed for 3% more bytes. Then a 4-byte hash
// with one 32-bit candidate check (no 3-byte matches) and plain Uint8Array access: 116-128 / 143-171 MB/s, ratio 0.401.
// Then positions inside matches longer than 6 indexed only every 16th (and the last three), measured 2026-11-27 in
// one process, alternating, median of 6 CPU-time passes: bench corpus 133-135 -> 203-211 MB/s, ratio 0.4008 ->
// 0.4019; 13 MB of payloads of a Cached Exchange Mode first sync (the ics-emsmdb bench's FastTransfer stream) 107-110
// -> 133-135 MB/s (after the last-three fix: 106-107 -> 123-126 in a slower hour), ratio 0.348 -> 0.338 (fewer
// positions inside repeats crowd the 3-deep chains); the imap-emsmdb bench's stream (8-bit text of random-letter
// words) 66-71 -> 67-82 MB/s, ratio 0.476 -> 0.478. Indexing none of them
// (the earlier maxInsert) was as fast but lost runs that resume after a small change: bench corpus ratio 0.438.
// Then (2026-11-27, late) match lengths found a word at a time (the lowest set bit of the XOR of two 32-bit words
// gives the first differing byte), a 15-bit hash (fewer collisions to walk past) and chains of 2: pseudo-English
// mail text in 32 KiB payloads, one tuning per process, best of 8 passes, 3 processes each: 111-113 -> 137-146 MB/s
// at the same ratio (0.438; chains of 2 alone with the 13-bit hash gave 0.444); bench corpus 238 -> 275-296 MB/s,
// ratio 0.40 either way; in CPU profiles of the IMAP bench's first sync of 10,000 messages LZ77 took 878-1104 ms
// against 1251 ms. Then (2026-11-28) the search written inside the main loop instead of a function returning a packed
// length and distance, and the lazy matching (off by default since issue 4) dropped: byte-identical output (1,572
// inputs and tunings), 8-bit pseudo-English mail in 32,000-byte payloads 44-46 -> 51-58 MB/s (median of 10 CPU-time
// passes, 4 processes alternating, a slow day: the bench's copy loop at 190 MB/s).
export const LZ77_DEFAULT_TUNING: Readonly<Lz77Tuning> = { maxChain: 2, niceMatch: 32, maxInsert: 6, insertStride: 16, skipShift: 5 };

// Shared between calls (compress() is synchronous). A table entry is position + base; entries below this call's
// base belong to earlier calls and read as "empty".
const HEAD = new Int32Array(1 << HASH_BITS);
const PREV = new Int32Array(WINDOW);
let tableBase = 1;
/** Output scratch, grown on demand (the result is copied out at its exact size: no compressBound-sized buffer per call). */
let SCRATCH = new Uint8Array(0);
const SCRATCH_MAX = 0x20000;
/** Positions plus the table base must stay below 2^31. */
const MAX_COMPRESS_INPUT = 0x40000000;

/** Worst case of compress() for n input bytes: every byte a literal, one flag word per 32 elements and the end bit. */
export function compressBound(n: number): number {
  return n + 4 * (Math.floor(n / 32) + 1) + 4;
}

/**
 * MS-XCA 2.3 Plain LZ77 compression. Any valid stream is acceptable to peers; this one favours speed.
 *
 * Candidates for position p come from a hash of its 4 bytes and are checked with one 32-bit compare (3-byte matches,
 * which MS-XCA allows, are given up: +1% of output on the bench corpus for about +20% of speed); the longest of at
 * most maxChain candidates is taken at once (greedy parsing).
 */
export function compress(src: Uint8Array, tuning: Readonly<Lz77Tuning> = LZ77_DEFAULT_TUNING): Buffer {
  const { maxChain, niceMatch, maxInsert, skipShift } = tuning;
  const insertStride = tuning.insertStride ?? 0;
  if (src.length > MAX_COMPRESS_INPUT) {
    throw new EmsmdbEncodeError('OC_LZ77_INPUT_TOO_LARGE', `LZ77 input of ${src.length} bytes (positions must stay 31-bit)`, { length: src.length });
  }
  const skipLimit = skipShift > 0 ? skipShift : 31;
  let misses = 0; // positions searched in a row without finding a match
  const n = src.length;
  if (tableBase + n + 1 > 0x7fff0000) {
    HEAD.fill(0);
    PREV.fill(0);
    tableBase = 1;
  }
  const head = HEAD;
  const prev = PREV;
  // plain Uint8Arrays (not Buffers) in the hot loop: one element-access shape, whatever the caller passed
  src = Object.getPrototypeOf(src) === Uint8Array.prototype ? src : new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const b = tableBase;
  const bound = compressBound(n);
  // payloads (<= 64 KiB) share the scratch; a rare large input gets its own, not kept
  if (SCRATCH.length < bound && bound <= SCRATCH_MAX) SCRATCH = new Uint8Array(Math.max(bound, 0x9000));
  const out = SCRATCH.length >= bound ? SCRATCH : new Uint8Array(bound);
  const odv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let op = 4;
  let flagPos = 0;
  let flags = 0;
  let flagCount = 0;
  let half = -1; // byte whose high nibble is free for the next long match
  const lastHashable = n - 4; // positions > this cannot start a 4-byte prefix (the hash covers 4 bytes)
  let p = 0;

  while (p < n) {
    let len = 0;
    let dist = 0;
    if (p <= lastHashable) {
      // The longest match for src[p..] among at most maxChain chained earlier positions; p joins the chains. (One
      // loop with the search inside it, not a function returning a packed length and distance: ~10-15% faster.)
      const w0 = dv.getInt32(p, true);
      const h = Math.imul(w0, HASH_MUL) >>> HASH_SHIFT;
      let cand = head[h]! - b;
      head[h] = p + b;
      prev[p & WMASK] = cand + b;
      let maxLen = n - p;
      if (maxLen > MAX_MATCH) maxLen = MAX_MATCH;
      let chain = maxChain;
      while (cand >= 0 && chain-- > 0) {
        const d = p - cand;
        if (d > WINDOW) break;
        // (a candidate must beat the best so far: its byte at that length is looked at first)
        if ((len === 0 || src[cand + len] === src[p + len]) && dv.getInt32(cand, true) === w0) {
          // 4 bytes at a time; the first differing byte of a word is its lowest set bit of the XOR (little-endian)
          let l = 4;
          for (;;) {
            if (l + 4 > maxLen) {
              while (l < maxLen && src[cand + l] === src[p + l]) l++;
              break;
            }
            const x = dv.getInt32(cand + l, true) ^ dv.getInt32(p + l, true);
            if (x !== 0) {
              l += (31 - Math.clz32(x & -x)) >>> 3;
              break;
            }
            l += 4;
          }
          if (l > len) {
            len = l;
            dist = d;
            if (l >= niceMatch || l >= maxLen) break;
          }
        }
        cand = prev[cand & WMASK]! - b;
      }
    }
    if (len === 0) {
      // literals: one, or more after a long run without matches (the last 3 bytes cannot start a match)
      let k = 1 + (++misses >>> skipLimit);
      if (k > n - p) k = n - p;
      while (k-- > 0) {
        out[op++] = src[p++]!;
        flags <<= 1;
        if (++flagCount === 32) {
          odv.setInt32(flagPos, flags, true);
          flagCount = 0;
          flagPos = op;
          op += 4;
        }
      }
      continue;
    }
    misses = 0;
    // Emit the match (len, dist) at p.
    let l = len - MIN_MATCH;
    const meta = (dist - 1) << 3;
    if (l < 7) {
      out[op++] = meta | l;
      out[op++] = meta >>> 8;
    } else {
      out[op++] = meta | 7;
      out[op++] = meta >>> 8;
      l -= 7;
      let extra = false;
      if (half < 0) {
        half = op;
        if (l < 15) {
          out[op++] = l;
        } else {
          out[op++] = 15;
          extra = true;
        }
      } else {
        if (l < 15) {
          out[half] = out[half]! | (l << 4);
        } else {
          out[half] = out[half]! | 0xf0;
          extra = true;
        }
        half = -1;
      }
      if (extra) {
        l -= 15;
        if (l < 255) {
          out[op++] = l;
        } else {
          out[op++] = 255;
          l += 15 + 7; // = len - 3, at most 0xFFFF
          out[op++] = l;
          out[op++] = l >>> 8;
        }
      }
    }
    flags = (flags << 1) | 1;
    if (++flagCount === 32) {
      odv.setInt32(flagPos, flags, true);
      flagCount = 0;
      flagPos = op;
      op += 4;
    }
    // Index the positions the match covers (p is already in).
    const end = p + len;
    const stop = end - 1 < lastHashable ? end - 1 : lastHashable;
    let i = p + 1;
    if (len > maxInsert) {
      // a long match: every insertStride-th position, then its last three
      const tail = end - 3 < stop + 1 ? end - 3 : stop + 1;
      if (insertStride > 0) for (; i < tail; i += insertStride) {
        const hi = Math.imul(dv.getInt32(i, true), HASH_MUL) >>> HASH_SHIFT;
        prev[i & WMASK] = head[hi]!;
        head[hi] = i + b;
      }
      // (every position the loop indexed is below end - 3: none is indexed twice)
      i = end - 3 > p + 1 ? end - 3 : p + 1;
    }
    for (; i <= stop; i++) {
      const hi = Math.imul(dv.getInt32(i, true), HASH_MUL) >>> HASH_SHIFT;
      prev[i & WMASK] = head[hi]!;
      head[hi] = i + b;
    }
    p = end;
  }
  // Terminating 1 bit(s): the unused bits of the last flag word are set (a full word if none is left).
  if (flagCount === 0) flags = -1;
  else flags = (flags << (32 - flagCount)) | ((1 << (32 - flagCount)) - 1);
  odv.setInt32(flagPos, flags | 0, true);
  tableBase = b + n + 1;
  const result = Buffer.allocUnsafe(op);
  result.set(out.subarray(0, op));
  return result;
}
