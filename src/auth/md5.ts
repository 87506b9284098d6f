// RFC 1321 MD5 and RFC 2104 HMAC-MD5 with the key's inner and outer pad states computed once.
// NTLM signs every PDU with HMAC-MD5 under a per-session key over a few dozen bytes; node:crypto's createHmac
// costs ~2.4 us per call in object setup alone (measured in bench/run.ts), these small-message MACs ~0.3 us.

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;
const SHIFT = new Int32Array(S);

const INIT = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);

/** One 64-byte block at `off` of `b` into state `h` (4 words). */
function compress(h: Int32Array, b: Uint8Array, off: number, w: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const o = off + i * 4;
    w[i] = (b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24);
  }
  let a = h[0] as number;
  let bb = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (bb & c) | (~bb & d);
      g = i;
    } else if (i < 32) {
      f = (d & bb) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = bb ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (bb | ~d);
      g = (7 * i) & 15;
    }
    const t = d;
    d = c;
    c = bb;
    const x = (a + f + (K[i] as number) + (w[g] as number)) | 0;
    const s = SHIFT[i] as number;
    bb = (bb + ((x << s) | (x >>> (32 - s)))) | 0;
    a = t;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + bb) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
}

/** Streaming MD5 over byte arrays, starting from a given state and byte count. */
class Md5Stream {
  readonly h = new Int32Array(4);
  private readonly block = new Uint8Array(64);
  private readonly w = new Int32Array(16);
  private fill = 0;
  private total = 0;

  reset(state: Int32Array, bytesSoFar: number): void {
    this.h.set(state);
    this.fill = 0;
    this.total = bytesSoFar;
  }

  update(data: Uint8Array): void {
    let i = 0;
    const n = data.length;
    this.total += n;
    if (this.fill > 0) {
      const take = Math.min(64 - this.fill, n);
      this.block.set(data.subarray(0, take), this.fill);
      this.fill += take;
      i = take;
      if (this.fill < 64) return;
      compress(this.h, this.block, 0, this.w);
      this.fill = 0;
    }
    for (; i + 64 <= n; i += 64) compress(this.h, data, i, this.w);
    if (i < n) {
      this.block.set(data.subarray(i), 0);
      this.fill = n - i;
    }
  }

  /** Pads, finishes and writes the 16-byte digest into `out` at `off`. */
  finish(out: Uint8Array, off: number): void {
    const bits = this.total * 8;
    const blk = this.block;
    blk[this.fill++] = 0x80;
    if (this.fill > 56) {
      blk.fill(0, this.fill);
      compress(this.h, blk, 0, this.w);
      this.fill = 0;
    }
    blk.fill(0, this.fill, 56);
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 0x100000000) >>> 0;
    blk[56] = lo & 0xff;
    blk[57] = (lo >>> 8) & 0xff;
    blk[58] = (lo >>> 16) & 0xff;
    blk[59] = lo >>> 24;
    blk[60] = hi & 0xff;
    blk[61] = (hi >>> 8) & 0xff;
    blk[62] = (hi >>> 16) & 0xff;
    blk[63] = hi >>> 24;
    compress(this.h, blk, 0, this.w);
    for (let k = 0; k < 4; k++) {
      const v = this.h[k] as number;
      out[off + k * 4] = v & 0xff;
      out[off + k * 4 + 1] = (v >>> 8) & 0xff;
      out[off + k * 4 + 2] = (v >>> 16) & 0xff;
      out[off + k * 4 + 3] = v >>> 24;
    }
  }
}

export function md5(data: Uint8Array): Buffer {
  const s = new Md5Stream();
  s.reset(INIT, 0);
  s.update(data);
  const out = Buffer.allocUnsafe(16);
  s.finish(out, 0);
  return out;
}

/** HMAC-MD5 under one fixed key: the pads' states are computed once, each MAC costs the message blocks + 1. */
export class HmacMd5 {
  private readonly inner = new Int32Array(4);
  private readonly outer = new Int32Array(4);
  private readonly s = new Md5Stream();
  private readonly innerDigest = new Uint8Array(16);

  constructor(key: Uint8Array) {
    const k = new Uint8Array(64);
    k.set(key.length > 64 ? md5(key) : key);
    const pad = new Uint8Array(64);
    const w = new Int32Array(16);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] as number) ^ 0x36;
    this.inner.set(INIT);
    compress(this.inner, pad, 0, w);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] as number) ^ 0x5c;
    this.outer.set(INIT);
    compress(this.outer, pad, 0, w);
  }

  /** HMAC-MD5(key, a || b) written into a new 16-byte Buffer. */
  mac(a: Uint8Array, b?: Uint8Array): Buffer {
    const s = this.s;
    s.reset(this.inner, 64);
    s.update(a);
    if (b) s.update(b);
    s.finish(this.innerDigest, 0);
    s.reset(this.outer, 64);
    s.update(this.innerDigest);
    const out = Buffer.allocUnsafe(16);
    s.finish(out, 0);
    return out;
  }
}
