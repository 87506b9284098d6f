// NDR 2.0 stub writer, little-endian. Alignment is relative to offset 0 of the output (= the stub start);
// padding bytes are written as zero. The buffer grows geometrically; typed writes go through a DataView.
// Number writes check that the value fits (OcError OC_NDR_ENCODE otherwise): a wrong value is a programming
// error and must not silently wrap on the wire.
import { encodeError } from './errors.js';
import { MAX_STUB_LENGTH } from './reader.js';

export class NdrWriter {
  buf: Buffer;
  dv: DataView;
  /** Offset of the next byte to write (= bytes written so far). */
  pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity > 16 ? initialCapacity : 16);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > MAX_STUB_LENGTH) throw encodeError(`stub would exceed ${MAX_STUB_LENGTH} bytes`);
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    if (cap > MAX_STUB_LENGTH) cap = MAX_STUB_LENGTH;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
    this.dv = new DataView(nb.buffer, nb.byteOffset, nb.byteLength);
  }

  /** Writes zero padding up to a multiple of n (1, 2, 4 or 8). */
  align(n: number): void {
    const pad = -this.pos & (n - 1);
    if (pad === 0) return;
    this.ensure(pad);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < pad; i++) b[p++] = 0;
    this.pos = p;
  }

  u8(v: number): void {
    if ((v & 0xff) !== v) throw encodeError(`not a u8: ${String(v)}`);
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  i8(v: number): void {
    if ((v << 24) >> 24 !== v) throw encodeError(`not an i8: ${String(v)}`);
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    if ((v & 0xffff) !== v) throw encodeError(`not a u16: ${String(v)}`);
    this.align(2);
    this.ensure(2);
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  i16(v: number): void {
    if ((v << 16) >> 16 !== v) throw encodeError(`not an i16: ${String(v)}`);
    this.align(2);
    this.ensure(2);
    this.dv.setInt16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    if (v >>> 0 !== v) throw encodeError(`not a u32: ${String(v)}`);
    this.align(4);
    this.ensure(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    if ((v | 0) !== v) throw encodeError(`not an i32: ${String(v)}`);
    this.align(4);
    this.ensure(4);
    this.dv.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  u64(v: bigint): void {
    if (typeof v !== 'bigint' || BigInt.asUintN(64, v) !== v) throw encodeError(`not a u64 bigint: ${String(v)}`);
    this.align(8);
    this.ensure(8);
    this.dv.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  i64(v: bigint): void {
    if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) throw encodeError(`not an i64 bigint: ${String(v)}`);
    this.align(8);
    this.ensure(8);
    this.dv.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  f32(v: number): void {
    if (typeof v !== 'number') throw encodeError(`not a number: ${String(v)}`);
    this.align(4);
    this.ensure(4);
    this.dv.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    if (typeof v !== 'number') throw encodeError(`not a number: ${String(v)}`);
    this.align(8);
    this.ensure(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Copies bytes as they are (no alignment). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }

  /** n zero bytes. */
  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  /** A JS string whose code units are all <= 0xff, one byte each (caller checked). */
  latin1(s: string): void {
    this.ensure(s.length);
    if (this.buf.write(s, this.pos, s.length, 'latin1') !== s.length) throw encodeError('latin1 string not fully written');
    this.pos += s.length;
  }

  /** A JS string as UTF-16LE code units, 2 bytes each (lone surrogates kept as they are). */
  utf16(s: string): void {
    const n = s.length * 2;
    this.ensure(n);
    if (this.buf.write(s, this.pos, n, 'utf16le') !== n) throw encodeError('UTF-16 string not fully written');
    this.pos += n;
  }

  /** Overwrites a u32 already written at offset `at` (e.g. a count known only later). */
  patchU32(at: number, v: number): void {
    if (v >>> 0 !== v) throw encodeError(`not a u32: ${String(v)}`);
    this.dv.setUint32(at, v, true);
  }

  /** The bytes written so far (a view on the internal buffer; the writer must not be used afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
