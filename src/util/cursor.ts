// A bounds-checked little-endian reader over buf[start, end) whose reads name what they read: the small binary
// formats parsed byte by byte (DCE/RPC PDU headers, TNEF) subclass it and say which error a short read is.
export abstract class ByteCursor {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** The error for a read of `n` bytes for `what` that does not fit before `end`. */
  protected abstract short(n: number, what: string): Error;

  get left(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n < 0 || n > this.end - this.pos) throw this.short(n, what);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** The next `n` bytes (a view, not a copy). */
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
}
