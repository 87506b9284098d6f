// Byte reader and writer for ROP buffers (MS-OXCROPS 2.2.1): little-endian integers, GUIDs, counted bytes,
// NUL-terminated 8-bit (code page) and UTF-16LE strings. Every read is bounds-checked and fails with a coded
// RopFormatError, never a RangeError; the dispatcher turns that into the spec's answer for a truncated ROP.
import { decode as decodeCp, encode as encodeCp } from './codepage.js';
import { ProtocolError } from '../util/errors.js';
import { readGuid, writeGuid } from '../util/guid.js';

/** A ROP buffer that does not hold what its fields say (truncated, bad counts, unterminated strings). */
export class RopFormatError extends ProtocolError {}

export class RopReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  get left(): number {
    return this.end - this.pos;
  }

  need(n: number, what = 'field'): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new RopFormatError('OC_ROP_SHORT', `ROP buffer too short for ${what}: need ${n} bytes at ${this.pos}, ${this.left} left`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  guid(): string {
    this.need(16, 'GUID');
    const g = readGuid(this.buf, this.pos);
    this.pos += 16;
    return g;
  }

  /** `n` bytes (a copy-free view; copy before keeping it past the call). */
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A NUL-terminated 8-bit string in `codePage` (the terminator is consumed, not returned). */
  string8(codePage: number): string {
    const at = this.buf.indexOf(0, this.pos);
    if (at < 0 || at >= this.end) throw new RopFormatError('OC_ROP_STRING', `unterminated 8-bit string at ${this.pos}`);
    const s = decodeCp(this.buf.subarray(this.pos, at), codePage);
    this.pos = at + 1;
    return s;
  }

  /** A NUL-terminated UTF-16LE string (the terminator is consumed). */
  stringW(): string {
    let i = this.pos;
    while (i + 1 < this.end) {
      if (this.buf[i] === 0 && this.buf[i + 1] === 0) {
        const s = this.buf.toString('utf16le', this.pos, i);
        this.pos = i + 2;
        return s;
      }
      i += 2;
    }
    throw new RopFormatError('OC_ROP_STRING', `unterminated UTF-16 string at ${this.pos}`);
  }
}

export class RopWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // double; a large write that doubling does not hold (a 32 KB TransferBuffer into a 4 KB start) gets what it needs
    // plus some room for what follows (a handle table), not the next power of two
    let size = this.buf.length * 2;
    if (size < this.pos + n) size = this.pos + n + 256;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  i16(v: number): this {
    this.room(2);
    this.buf.writeInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.room(4);
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  i64(v: bigint): this {
    this.room(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  f32(v: number): this {
    this.room(4);
    this.buf.writeFloatLE(v, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    return this;
  }

  guid(g: string): this {
    this.room(16);
    writeGuid(g, this.buf, this.pos);
    this.pos += 16;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** NUL-terminated 8-bit string in `codePage`. */
  string8(s: string, codePage: number): this {
    this.bytes(encodeCp(s, codePage));
    return this.u8(0);
  }

  /** NUL-terminated UTF-16LE string. */
  stringW(s: string): this {
    const n = Buffer.byteLength(s, 'utf16le');
    this.room(n + 2);
    this.buf.write(s, this.pos, 'utf16le');
    this.pos += n;
    this.buf[this.pos++] = 0;
    this.buf[this.pos++] = 0;
    return this;
  }

  /** Overwrites a u16 at an earlier position (sizes known only after the body). */
  patchU16(at: number, v: number): void {
    this.buf.writeUInt16LE(v & 0xffff, at);
  }

  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }

  /** The bytes written so far (a view). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
