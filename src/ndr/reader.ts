// NDR 2.0 stub reader, little-endian only (drep 0x10: the dcerpc layer refuses other data representations).
// Alignment is relative to offset 0 of the buffer handed in (= the start of the stub, C706 14.2.2); padding
// bytes are skipped without being checked. Every read checks the bytes left and throws NdrError, never RangeError.
import { NdrError, NdrErrorCode } from './errors.js';

/** Largest stub this module handles; keeps all offset arithmetic in 31-bit integers. */
export const MAX_STUB_LENGTH = 0x7fff_ffff;

export class NdrReader {
  /** The stub as a Buffer (a view, no copy). */
  readonly buf: Buffer;
  readonly dv: DataView;
  /** Offset of the next byte to read; may pass `end` after align(), a later read then fails. */
  pos = 0;
  readonly end: number;

  constructor(data: Uint8Array) {
    if (data.length > MAX_STUB_LENGTH) {
      throw new NdrError(NdrErrorCode.LIMIT, `stub of ${data.length} bytes is too large`, 0);
    }
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.end = this.buf.length;
  }

  /** Bytes left after the current position (0 when an alignment pad ran past the end). */
  get remaining(): number {
    const r = this.end - this.pos;
    return r > 0 ? r : 0;
  }

  /** Skips padding up to a multiple of n (1, 2, 4 or 8). */
  align(n: number): void {
    this.pos = (this.pos + n - 1) & ~(n - 1);
  }

  /** Throws SHORT_BUFFER unless n bytes are left. */
  need(n: number): void {
    if (n > this.end - this.pos) this.short(n);
  }

  short(n: number): never {
    throw new NdrError(NdrErrorCode.SHORT_BUFFER, `need ${n} bytes, ${this.remaining} left`, this.pos);
  }

  u8(): number {
    const p = this.pos;
    if (p >= this.end) this.short(1);
    this.pos = p + 1;
    return this.buf[p] as number;
  }

  i8(): number {
    return (this.u8() << 24) >> 24;
  }

  u16(): number {
    const p = (this.pos + 1) & ~1;
    if (p + 2 > this.end) { this.pos = p; this.short(2); }
    this.pos = p + 2;
    return this.dv.getUint16(p, true);
  }

  i16(): number {
    return (this.u16() << 16) >> 16;
  }

  u32(): number {
    const p = (this.pos + 3) & ~3;
    if (p + 4 > this.end) { this.pos = p; this.short(4); }
    this.pos = p + 4;
    return this.dv.getUint32(p, true);
  }

  i32(): number {
    const p = (this.pos + 3) & ~3;
    if (p + 4 > this.end) { this.pos = p; this.short(4); }
    this.pos = p + 4;
    return this.dv.getInt32(p, true);
  }

  u64(): bigint {
    const p = (this.pos + 7) & ~7;
    if (p + 8 > this.end) { this.pos = p; this.short(8); }
    this.pos = p + 8;
    return this.dv.getBigUint64(p, true);
  }

  i64(): bigint {
    const p = (this.pos + 7) & ~7;
    if (p + 8 > this.end) { this.pos = p; this.short(8); }
    this.pos = p + 8;
    return this.dv.getBigInt64(p, true);
  }

  f32(): number {
    const p = (this.pos + 3) & ~3;
    if (p + 4 > this.end) { this.pos = p; this.short(4); }
    this.pos = p + 4;
    return this.dv.getFloat32(p, true);
  }

  f64(): number {
    const p = (this.pos + 7) & ~7;
    if (p + 8 > this.end) { this.pos = p; this.short(8); }
    this.pos = p + 8;
    return this.dv.getFloat64(p, true);
  }

  /** n bytes as a new Buffer (a copy: decoded values never alias the input). */
  bytes(n: number): Buffer {
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, p, p + n);
    return out;
  }

  /** Skips n bytes. */
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}
