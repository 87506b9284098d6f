// NDR 2.0 strings (C706 14.3.4, MIDL [string]): conformant-varying arrays of char (1 byte) or wchar_t
// (2 bytes) whose transmitted part ends with a NUL unit: max_count (hoisted when embedded last in a struct),
// offset, actual_count (counting the NUL), units. `[string] char x[n]` embedded in a struct is a varying
// array: offset, actual_count, units (e.g. ept_entry_t.annotation[64], C706 App. O).
// Encoders write offset 0 and actual_count = length + 1 (and max_count = actual_count unless sizeIs says
// more). Decoders require actual_count >= 1, offset + actual_count <= max_count and a NUL last unit, and
// cut the value at the first NUL. char strings map byte <-> char one to one (latin1); code-page conversion is
// the caller's business (ndr.stringBytes gives the bytes).
import { NdrError, NdrErrorCode, encodeError, schemaError } from './errors.js';
import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';
import {
  MAX_STRING_UNITS,
  NdrBase,
  checkCount,
  encodeCount,
  refNames,
  type CountRef,
  type DecodeContext,
  type EncodeContext,
  type NdrParent,
  type NdrType,
} from './type.js';

type Form = 'char' | 'wchar' | 'bytes';

// Not a char string: a NUL (the terminator is ours to add) or a code unit above 0xff.
const BAD_CHAR = /[^\x01-\xff]/;

/** Number of units (without terminator) of a value, validated. */
function unitsOf(form: Form, v: unknown, what: string): number {
  if (form === 'bytes') {
    if (!(v instanceof Uint8Array)) throw encodeError(`${what}: not a Buffer`);
    if (v.indexOf(0) !== -1) throw encodeError(`${what}: contains a NUL byte`);
    return v.length;
  }
  if (typeof v !== 'string') throw encodeError(`${what}: not a string`);
  if (form === 'char' ? BAD_CHAR.test(v) : v.indexOf('\0') !== -1) {
    throw encodeError(`${what}: ${form === 'char' ? 'contains NUL or a char above 0xff' : 'contains NUL'}`);
  }
  return v.length;
}

function writeUnits(w: NdrWriter, form: Form, v: string | Buffer): void {
  if (form === 'wchar') {
    w.utf16(v as string);
    w.ensure(2);
    w.buf[w.pos] = 0;
    w.buf[w.pos + 1] = 0;
    w.pos += 2;
  } else {
    if (form === 'char') w.latin1(v as string);
    else w.bytes(v as Buffer);
    w.ensure(1);
    w.buf[w.pos++] = 0;
  }
}

/**
 * Reads offset, actual_count and the units of a string whose max_count is `max`; returns the value up to
 * the first NUL.
 */
function readString(r: NdrReader, form: Form, max: number, what: string): string | Buffer {
  const at = r.pos;
  const offset = r.u32();
  const actual = r.u32();
  if (actual === 0) throw new NdrError(NdrErrorCode.BAD_STRING, `${what}: actual_count 0 (no terminator)`, at);
  if (offset + actual > max) {
    throw new NdrError(NdrErrorCode.BAD_COUNT, `${what}: offset ${offset} + actual_count ${actual} > max_count ${max}`, at);
  }
  const unit = form === 'wchar' ? 2 : 1;
  if (actual * unit > r.end - r.pos) {
    throw new NdrError(NdrErrorCode.BAD_COUNT, `${what}: ${actual} units cannot fit in ${r.remaining} bytes`, r.pos);
  }
  if (actual > MAX_STRING_UNITS) throw new NdrError(NdrErrorCode.LIMIT, `${what}: ${actual} units is too long`, at);
  const b = r.buf;
  const start = r.pos;
  const end = start + actual * unit;
  r.pos = end;
  if (unit === 2) {
    if (b[end - 1] !== 0 || b[end - 2] !== 0) throw new NdrError(NdrErrorCode.BAD_STRING, `${what}: not NUL-terminated`, end - 2);
    let p = start;
    while (b[p] !== 0 || b[p + 1] !== 0) p += 2;
    return b.toString('utf16le', start, p);
  }
  if (b[end - 1] !== 0) throw new NdrError(NdrErrorCode.BAD_STRING, `${what}: not NUL-terminated`, end - 1);
  const nul = b.indexOf(0, start);
  if (form === 'char') return b.toString('latin1', start, nul);
  return Buffer.from(b.subarray(start, nul));
}

/** `[string] char *` / `[string] wchar_t *` referents, or the same embedded last in a struct (hoisted). */
class ConformantString<V extends string | Buffer> extends NdrBase<V> {
  readonly align = 4;
  readonly conformant = true;
  readonly hasBuffers = false;
  readonly ready = true;
  readonly minSize: number;

  constructor(
    readonly kind: string,
    private readonly form: Form,
    private readonly sizeIs: CountRef | undefined,
  ) {
    super();
    this.minSize = form === 'wchar' ? 10 : 9;
  }

  get refs(): readonly string[] {
    return refNames(this.sizeIs);
  }

  override encodeConformance(w: NdrWriter, v: V, _ctx: EncodeContext, parent: NdrParent): void {
    const n = unitsOf(this.form, v, this.kind) + 1;
    const max = encodeCount(this.sizeIs, parent, n, this.kind);
    if (max < n) throw encodeError(`${this.kind}: size_is ${max} < ${n} units with terminator`);
    w.u32(max);
  }

  encodeScalars(w: NdrWriter, v: V, _ctx: EncodeContext, _parent: NdrParent): void {
    const n = unitsOf(this.form, v, this.kind) + 1;
    w.u32(0);
    w.u32(n);
    writeUnits(w, this.form, v);
  }

  decodeScalars(r: NdrReader, _ctx: DecodeContext, parent: NdrParent, conf: number): V {
    if (conf < 0) throw schemaError(`${this.kind} decoded without its conformance`);
    checkCount(this.sizeIs, parent, conf, r, `${this.kind} size_is`);
    return readString(r, this.form, conf, this.kind) as V;
  }
}

/** `[string] char x[n]` / `[string] wchar_t x[n]` embedded: offset, actual_count, units. */
class VaryingString extends NdrBase<string> {
  readonly align = 4;
  readonly conformant = false;
  readonly hasBuffers = false;
  readonly ready = true;
  readonly refs: readonly string[] = [];
  readonly minSize: number;

  constructor(
    readonly kind: string,
    private readonly form: 'char' | 'wchar',
    private readonly max: number,
  ) {
    super();
    this.minSize = form === 'wchar' ? 10 : 9;
  }

  encodeScalars(w: NdrWriter, v: string): void {
    const n = unitsOf(this.form, v, this.kind) + 1;
    if (n > this.max) throw encodeError(`${this.kind}: ${n} units with terminator, max ${this.max}`);
    w.u32(0);
    w.u32(n);
    writeUnits(w, this.form, v);
  }

  decodeScalars(r: NdrReader): string {
    return readString(r, this.form, this.max, this.kind) as string;
  }
}

export interface StringOpts {
  /** [size_is]: max_count from a sibling (default: length + 1). */
  sizeIs?: CountRef;
}

/** `[string] char x[]` as a JS string (latin1: one char per byte). */
export function string(opts: StringOpts = {}): NdrType<string> {
  return new ConformantString<string>('string', 'char', opts.sizeIs);
}

/** `[string] wchar_t x[]` as a JS string (UTF-16LE). */
export function wstring(opts: StringOpts = {}): NdrType<string> {
  return new ConformantString<string>('wstring', 'wchar', opts.sizeIs);
}

/** `[string] char x[]` as the bytes before the terminator (for code-page conversion by the caller). */
export function stringBytes(opts: StringOpts = {}): NdrType<Buffer> {
  return new ConformantString<Buffer>('stringBytes', 'bytes', opts.sizeIs);
}

/** `[string] char x[n]` embedded in a struct (offset + actual_count, no max_count). */
export function varyingString(n: number): NdrType<string> {
  return new VaryingString(`varyingString(${n})`, 'char', n);
}

/** `[string] wchar_t x[n]` embedded in a struct. */
export function varyingWString(n: number): NdrType<string> {
  return new VaryingString(`varyingWString(${n})`, 'wchar', n);
}
