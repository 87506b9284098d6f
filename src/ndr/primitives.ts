// NDR 2.0 primitive types (C706 14.2): each is aligned to its size; little-endian. Also the fixed-size
// building blocks that behave like primitives: GUID (struct of u32,u16,u16,u8[8]: 16 bytes, align 4),
// context handles (MS-RPCE 2.2.5.2.x ndr_context_handle: u32 attributes + GUID, 20 bytes), fixed byte runs,
// [range] wrappers and virtual fields (in the TS value, not on the wire).
import { readGuid, writeGuid } from '../util/guid.js';
import { NdrError, NdrErrorCode, encodeError } from './errors.js';
import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';
import { NdrBase, type DecodeContext, type EncodeContext, type NdrParent, type NdrType } from './type.js';

/**
 * A fixed-size type with no pointers and no conformance. `inlineRead`/`inlineWrite` are JS expressions the
 * struct compiler pastes into generated code instead of a call (reader `r`, writer `w`, `$` = the value).
 */
export class Primitive<T> extends NdrBase<T> {
  readonly conformant = false;
  readonly hasBuffers = false;
  readonly ready = true;
  readonly refs: readonly string[] = [];

  constructor(
    readonly kind: string,
    readonly align: number,
    readonly minSize: number,
    private readonly write: (w: NdrWriter, v: T) => void,
    private readonly read: (r: NdrReader) => T,
    readonly inlineRead?: string,
    readonly inlineWrite?: string,
  ) {
    super();
  }

  encodeScalars(w: NdrWriter, v: T, _ctx?: EncodeContext, _parent?: NdrParent): void {
    this.write(w, v);
  }

  decodeScalars(r: NdrReader, _ctx?: DecodeContext, _parent?: NdrParent, _conf?: number): T {
    return this.read(r);
  }
}

export const u8 = new Primitive<number>('u8', 1, 1, (w, v) => w.u8(v), (r) => r.u8(), 'r.u8()', 'w.u8($)');
export const i8 = new Primitive<number>('i8', 1, 1, (w, v) => w.i8(v), (r) => r.i8(), 'r.i8()', 'w.i8($)');
export const u16 = new Primitive<number>('u16', 2, 2, (w, v) => w.u16(v), (r) => r.u16(), 'r.u16()', 'w.u16($)');
export const i16 = new Primitive<number>('i16', 2, 2, (w, v) => w.i16(v), (r) => r.i16(), 'r.i16()', 'w.i16($)');
export const u32 = new Primitive<number>('u32', 4, 4, (w, v) => w.u32(v), (r) => r.u32(), 'r.u32()', 'w.u32($)');
export const i32 = new Primitive<number>('i32', 4, 4, (w, v) => w.i32(v), (r) => r.i32(), 'r.i32()', 'w.i32($)');
export const u64 = new Primitive<bigint>('u64', 8, 8, (w, v) => w.u64(v), (r) => r.u64(), 'r.u64()', 'w.u64($)');
export const i64 = new Primitive<bigint>('i64', 8, 8, (w, v) => w.i64(v), (r) => r.i64(), 'r.i64()', 'w.i64($)');
export const f32 = new Primitive<number>('f32', 4, 4, (w, v) => w.f32(v), (r) => r.f32(), 'r.f32()', 'w.f32($)');
export const f64 = new Primitive<number>('f64', 8, 8, (w, v) => w.f64(v), (r) => r.f64(), 'r.f64()', 'w.f64($)');

/**
 * A MIDL `enum` (not v1_enum): 16 bits on the wire. Windows stubs refuse values above 0x7fff
 * (RPC_X_ENUM_VALUE_OUT_OF_RANGE), so do we, both ways.
 */
export const enum16 = new Primitive<number>(
  'enum16',
  2,
  2,
  (w, v) => {
    if ((v & 0x7fff) !== v) throw encodeError(`enum value ${String(v)} is not in 0..0x7fff`);
    w.u16(v);
  },
  (r) => {
    const v = r.u16();
    if (v > 0x7fff) throw new NdrError(NdrErrorCode.RANGE, `enum value ${v} above 0x7fff`, r.pos - 2);
    return v;
  },
);

function writeGuidAt(w: NdrWriter, v: string): void {
  if (typeof v !== 'string') throw encodeError(`not a GUID: ${String(v)}`);
  w.align(4);
  w.ensure(16);
  // writeGuid validates a GUID the first time it meets it and then copies its cached wire form: no regular
  // expression per GUID written (~0.3 us of a mgmt inq_if_ids response with 2 GUIDs, bench/ndr.ts).
  try {
    writeGuid(v, w.buf, w.pos);
  } catch {
    throw encodeError(`not a GUID: ${v}`);
  }
  w.pos += 16;
}

function readGuidAt(r: NdrReader): string {
  r.align(4);
  r.need(16);
  const g = readGuid(r.buf, r.pos);
  r.pos += 16;
  return g;
}

/** GUID / UUID (MS-DTYP 2.3.4.2), a lower-case string inside the program. */
export const guid = new Primitive<string>('guid', 4, 16, writeGuidAt, readGuidAt);

/** MS-RPCE context handle on the wire (ndr_context_handle): u32 attributes + GUID. */
export interface ContextHandle {
  attributes: number;
  uuid: string;
}

export const contextHandle = new Primitive<ContextHandle>(
  'contextHandle',
  4,
  20,
  (w, v) => {
    if (typeof v !== 'object' || v === null) throw encodeError('context handle is not an object');
    w.u32(v.attributes);
    writeGuidAt(w, v.uuid);
  },
  (r) => {
    const attributes = r.u32();
    return { attributes, uuid: readGuidAt(r) };
  },
);

/** n bytes inline (`byte x[n]`), as a Buffer of exactly n bytes. */
export function fixedBytes(n: number): NdrType<Buffer> {
  return new Primitive<Buffer>(
    `fixedBytes(${n})`,
    1,
    n,
    (w, v) => {
      if (!(v instanceof Uint8Array) || v.length !== n) throw encodeError(`fixedBytes(${n}): need ${n} bytes`);
      w.bytes(v);
    },
    (r) => r.bytes(n),
  );
}

/** `[range(min, max)]`: decoding a value outside is OC_NDR_RANGE, encoding one is OC_NDR_ENCODE. */
export function range<T extends number | bigint>(t: NdrType<T>, min: T, max: T): NdrType<T> {
  const what = `range(${t.name}, ${String(min)}, ${String(max)})`;
  return new Primitive<T>(
    what,
    t.align,
    t.minSize,
    (w, v) => {
      if (!(v >= min && v <= max)) throw encodeError(`${String(v)} outside ${what}`);
      t.encodeScalars(w, v, undefined as unknown as EncodeContext, undefined);
    },
    (r) => {
      const at = r.pos;
      const v = t.decodeScalars(r, undefined as unknown as DecodeContext, undefined, -1);
      if (!(v >= min && v <= max)) throw new NdrError(NdrErrorCode.RANGE, `${String(v)} outside ${what}`, at);
      return v;
    },
  );
}

/** Marker type of ndr.virtual fields (optional in the struct's TS type). */
export interface NdrVirtual<T> extends NdrType<T> {
  readonly isVirtual: true;
}

class Virtual<T> extends NdrBase<T> implements NdrVirtual<T> {
  readonly kind = 'virtual';
  readonly align = 1;
  readonly minSize = 0;
  readonly conformant = false;
  readonly hasBuffers = false;
  readonly ready = true;
  readonly refs: readonly string[] = [];
  override get isVirtual(): true {
    return true;
  }
  encodeScalars(): void {}
  decodeScalars(): T {
    return undefined as T;
  }
}

/**
 * A field of the TS value that is not on the wire, e.g. an [in] parameter that a response's size_is names.
 * Encoding: read by sizeIs/lengthIs/switchIs (when left undefined, the array's own length is used).
 * Decoding: receives the count read from the wire if an array's sizeIs/lengthIs names it, else stays undefined.
 */
export function virtual<T = number>(): NdrVirtual<NoInfer<T>> {
  return new Virtual<T>();
}
