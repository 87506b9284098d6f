// MS-OXCDATA 2.11 property values in ROP buffers: PropertyValue (2.11.2.1), TypedPropertyValue (2.11.3),
// TaggedPropertyValue (2.11.4), FlaggedPropertyValue(WithType) (2.11.5/2.11.6), PropertyRow (2.8.1),
// PropertyName (2.6.1) and PropertyProblem (2.7). COUNT widths follow 2.11.1.1 for ROP buffers: a PtypBinary byte
// count is u16, a PtypMultiple* value count is u32. Every read is bounded by the bytes left (RopFormatError).
import { RopFormatError, type RopReader, type RopWriter } from './buffer.js';
import { MAPI_E, MV_FLAG, MV_INSTANCE, PT, propType, type PropValue, type TaggedValue } from './props.js';
import { KIND_NONE, MNID_ID, MNID_STRING, type PropertyName } from './named.js';
import { readRestrictionBytes } from './ropres.js';
import { NIL_GUID } from '../util/guid.js';

export type { PropertyName } from './named.js';

/**
 * Byte size of a fixed-size value of `type` other than PtypBoolean (MS-OXCDATA 2.11.1; the same in ROP buffers and in
 * FastTransfer streams, src/rop/fxics/props.ts), or 0 for any other type. PtypBoolean is 1 byte in ROP buffers and 2 in
 * a FastTransfer stream, so each caller sizes it.
 */
export function fixedWidth(type: number): number {
  switch (type) {
    case PT.I2:
      return 2;
    case PT.LONG:
    case PT.R4:
    case PT.ERROR:
      return 4;
    case PT.DOUBLE:
    case PT.CURRENCY:
    case PT.APPTIME:
    case PT.I8:
    case PT.SYSTIME:
      return 8;
    case PT.CLSID:
      return 16;
    default:
      return 0;
  }
}

/** Smallest encoding of one element of a multi-valued type (for count checks before allocating). */
function minSize(type: number): number {
  const fixed = fixedWidth(type);
  if (fixed > 0) return fixed;
  // a PtypString is at least its 2-byte terminator, a PtypBinary its u16 count; anything else at least 1 byte
  return type === PT.UNICODE || type === PT.BINARY ? 2 : 1;
}

function badType(type: number): RopFormatError {
  return new RopFormatError('OC_ROP_PROPTYPE', `property type 0x${type.toString(16).padStart(4, '0')} has no ROP-buffer value encoding`);
}

function readSingle(r: RopReader, type: number, codePage: number): PropValue {
  switch (type) {
    case PT.NULL:
      return null;
    case PT.I2:
      return r.i16();
    case PT.LONG:
      return r.i32();
    case PT.ERROR:
      return r.u32();
    case PT.R4:
      return r.f32();
    case PT.DOUBLE:
    case PT.APPTIME:
      return r.f64();
    case PT.CURRENCY:
      return r.i64();
    case PT.I8:
      // PtypInteger64 values inside the program are unsigned 64-bit: they are mostly EIDs (PidTagMid, PidTagFolderId,
      // change numbers), which the store keeps as unsigned bigints; the wire bytes are the same either way
      return r.u64();
    case PT.SYSTIME:
      return r.u64();
    case PT.BOOLEAN:
      return r.u8() !== 0;
    case PT.STRING8:
      return r.string8(codePage);
    case PT.UNICODE:
      return r.stringW();
    case PT.CLSID:
      return r.guid();
    case PT.BINARY:
    case PT.SVREID: {
      const n = r.u16();
      return Buffer.from(r.bytes(n, 'binary value'));
    }
    case PT.SRESTRICT:
      // MS-OXCDATA 2.12: the restriction itself; validated here and kept as its bytes
      return Buffer.from(readRestrictionBytes(r, codePage));
    case PT.ACTIONS: {
      // MS-OXORULE 2.2.5 RuleAction in ROP buffers: NoOfActions u16, then ActionBlocks (ActionLength u16 + bytes);
      // kept as its bytes for the rules codec.
      const start = r.pos;
      const n = r.u16();
      for (let i = 0; i < n; i++) r.bytes(r.u16(), 'ActionBlock');
      return Buffer.from(r.buf.subarray(start, r.pos));
    }
    default:
      throw badType(type);
  }
}

/** A PropertyValue (MS-OXCDATA 2.11.2.1) of `type` (an MV_INSTANCE bit reads the single value). */
export function readPropertyValue(r: RopReader, type: number, codePage: number): PropValue {
  let t = type & 0xffff;
  if (t & MV_INSTANCE) t &= ~(MV_INSTANCE | MV_FLAG);
  if (t & MV_FLAG) {
    const single = t & ~MV_FLAG;
    if (single === PT.NULL || single === PT.BOOLEAN || single === PT.ERROR || single === PT.SRESTRICT || single === PT.ACTIONS || single === PT.SVREID || single === PT.UNSPECIFIED || single === PT.OBJECT) throw badType(t);
    const count = r.u32();
    if (count * minSize(single) > r.left) {
      throw new RopFormatError('OC_ROP_COUNT', `multi-valued count ${count} exceeds the ${r.left} bytes left`);
    }
    const out: unknown[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = readSingle(r, single, codePage);
    return out as PropValue;
  }
  return readSingle(r, t, codePage);
}

// Value coercions for the encoders (here and in the FastTransfer stream, src/rop/fxics/props.ts): a value of the
// wrong JS type for its property type encodes as 0 / empty rather than throwing.

/** A numeric value as a number (bigint converted, boolean 0/1, anything else 0). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return 0;
}

/** A 64-bit value as a bigint (a finite number truncated, anything else 0n). */
export function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  return 0n;
}

/** A binary value as a Buffer (a Uint8Array viewed without copying, anything else empty). */
export function bin(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.alloc(0);
}

function writeSingle(w: RopWriter, type: number, v: PropValue, codePage: number): void {
  switch (type) {
    case PT.NULL:
      return;
    case PT.I2:
      w.u16(num(v));
      return;
    case PT.LONG:
    case PT.ERROR:
      w.u32(num(v));
      return;
    case PT.R4:
      w.f32(num(v));
      return;
    case PT.DOUBLE:
    case PT.APPTIME:
      w.f64(num(v));
      return;
    case PT.CURRENCY:
    case PT.I8:
      w.i64(big(v));
      return;
    case PT.SYSTIME:
      w.u64(big(v));
      return;
    case PT.BOOLEAN:
      w.u8(v ? 1 : 0);
      return;
    case PT.STRING8:
      w.string8(String(v ?? ''), codePage);
      return;
    case PT.UNICODE:
      w.stringW(String(v ?? ''));
      return;
    case PT.CLSID:
      w.guid(String(v));
      return;
    case PT.BINARY:
    case PT.SVREID: {
      const b = bin(v);
      if (b.length > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `a ${b.length}-byte binary value does not fit a u16 count`);
      w.u16(b.length).bytes(b);
      return;
    }
    case PT.SRESTRICT:
    case PT.ACTIONS:
      w.bytes(bin(v));
      return;
    default:
      throw badType(type);
  }
}

/** Writes a PropertyValue (MS-OXCDATA 2.11.2.1) of `type`. */
export function writePropertyValue(w: RopWriter, type: number, v: PropValue, codePage: number): void {
  let t = type & 0xffff;
  if (t & MV_INSTANCE) t &= ~(MV_INSTANCE | MV_FLAG);
  if (t & MV_FLAG) {
    const single = t & ~MV_FLAG;
    const arr = (Array.isArray(v) ? v : []) as PropValue[];
    w.u32(arr.length);
    for (const x of arr) writeSingle(w, single, x, codePage);
    return;
  }
  writeSingle(w, t, v, codePage);
}

/** MS-OXCDATA 2.11.4 TaggedPropertyValue: PropertyTag u32 + PropertyValue. */
export function readTaggedValue(r: RopReader, codePage: number): TaggedValue {
  const tag = r.u32();
  return { tag, value: readPropertyValue(r, propType(tag), codePage) };
}

export function writeTaggedValue(w: RopWriter, tv: TaggedValue, codePage: number): void {
  w.u32(tv.tag);
  writePropertyValue(w, propType(tv.tag), tv.value, codePage);
}

/** MS-OXCDATA 2.11.3 TypedPropertyValue: PropertyType u16 + PropertyValue. */
export function readTypedValue(r: RopReader, codePage: number): { type: number; value: PropValue } {
  const type = r.u16();
  return { type, value: readPropertyValue(r, type, codePage) };
}

export function writeTypedValue(w: RopWriter, type: number, value: PropValue, codePage: number): void {
  w.u16(type);
  writePropertyValue(w, type, value, codePage);
}

// ---- PropertyRow (MS-OXCDATA 2.8.1) -------------------------------------------------------------------------------

/** A value found as an error (PtypErrorCode), e.g. MAPI_E_NOT_ENOUGH_MEMORY for a value too big for the row. */
export interface ErrorCell {
  error: number;
}
/** The cell of a PtypUnspecified column: the value carries its own type (TypedPropertyValue). */
export interface TypedCell {
  type: number;
  value: PropValue;
}
/** One cell of a row: a value, an error, a typed value (PtypUnspecified column), or undefined = not found. */
export type RowCell = PropValue | ErrorCell | TypedCell | undefined;

export function isErrorCell(c: RowCell): c is ErrorCell {
  return typeof c === 'object' && c !== null && !Array.isArray(c) && !Buffer.isBuffer(c) && 'error' in c;
}

export function isTypedCell(c: RowCell): c is TypedCell {
  return typeof c === 'object' && c !== null && !Array.isArray(c) && !Buffer.isBuffer(c) && 'type' in c && 'value' in c;
}

// MS-OXCDATA 2.11.5 FlaggedPropertyValue Flag values
const FLAG_VALUE = 0x00;
const FLAG_ABSENT = 0x01;
const FLAG_ERROR = 0x0a;

/**
 * A PropertyRow for `columns`: StandardPropertyRow (Flag 0x00) when every cell is a value, else
 * FlaggedPropertyRow (Flag 0x01) where a not-found cell is written as error MAPI_E_NOT_FOUND (Flag 0x0A), as
 * Exchange answers in MS-OXCPRPT 4.3.2.
 */
export function writePropertyRow(w: RopWriter, columns: readonly number[], cells: readonly RowCell[], codePage: number): void {
  let flagged = false;
  for (let i = 0; i < columns.length; i++) {
    const c = cells[i];
    if (c === undefined || isErrorCell(c)) {
      flagged = true;
      break;
    }
  }
  w.u8(flagged ? 1 : 0);
  for (let i = 0; i < columns.length; i++) {
    const colType = propType(columns[i] as number);
    const c = cells[i];
    if (colType === PT.UNSPECIFIED) {
      // 2.11.3 TypedPropertyValue (standard) / 2.11.6 FlaggedPropertyValueWithType: Type, [Flag], value
      if (c === undefined || isErrorCell(c)) {
        w.u16(PT.ERROR).u8(FLAG_ERROR).u32(c === undefined ? MAPI_E.NOT_FOUND : c.error);
        continue;
      }
      const tc = isTypedCell(c) ? c : { type: PT.NULL, value: null };
      w.u16(tc.type);
      if (flagged) w.u8(FLAG_VALUE);
      writePropertyValue(w, tc.type, tc.value, codePage);
      continue;
    }
    if (!flagged) {
      writePropertyValue(w, colType, c as PropValue, codePage);
      continue;
    }
    if (c === undefined) w.u8(FLAG_ERROR).u32(MAPI_E.NOT_FOUND);
    else if (isErrorCell(c)) w.u8(FLAG_ERROR).u32(c.error);
    else {
      w.u8(FLAG_VALUE);
      writePropertyValue(w, colType, isTypedCell(c) ? c.value : c, codePage);
    }
  }
}

function readFlagged(r: RopReader, type: number, codePage: number): RowCell {
  const flag = r.u8();
  switch (flag) {
    case FLAG_VALUE:
      return readPropertyValue(r, type, codePage);
    case FLAG_ABSENT:
      return undefined;
    case FLAG_ERROR:
      return { error: r.u32() };
    default:
      throw new RopFormatError('OC_ROP_ROWFLAG', `FlaggedPropertyValue flag 0x${flag.toString(16)}`);
  }
}

/** Reads a PropertyRow for `columns` (either form). Not-present cells (Flag 0x01) become undefined. */
export function readPropertyRow(r: RopReader, columns: readonly number[], codePage: number): RowCell[] {
  const flag = r.u8();
  if (flag !== 0 && flag !== 1) throw new RopFormatError('OC_ROP_ROWFLAG', `PropertyRow flag 0x${flag.toString(16)}`);
  const out: RowCell[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const colType = propType(columns[i] as number);
    if (colType === PT.UNSPECIFIED) {
      const type = r.u16();
      if (flag === 0) out[i] = { type, value: readPropertyValue(r, type, codePage) };
      else {
        const c = readFlagged(r, type, codePage);
        out[i] = c === undefined || isErrorCell(c) ? c : { type, value: c as PropValue };
      }
      continue;
    }
    out[i] = flag === 0 ? readPropertyValue(r, colType, codePage) : readFlagged(r, colType, codePage);
  }
  return out;
}

// ---- PropertyName (MS-OXCDATA 2.6.1) ------------------------------------------------------------------------------

/**
 * Kind 0xFF (no name) is the single byte 0xFF: MS-OXCPRPT 3.2.5.9 says "there is no other return data for this
 * entry" (MS-OXCDATA 2.6.1's diagram shows a GUID after every Kind; the processing rule is the more specific one).
 * It reads as `{ guid: NIL_GUID }` with neither lid nor name.
 */
export function readPropertyName(r: RopReader): PropertyName {
  const kind = r.u8();
  if (kind === KIND_NONE) return { guid: NIL_GUID };
  const guid = r.guid();
  switch (kind) {
    case MNID_ID:
      return { guid, lid: r.u32() };
    case MNID_STRING: {
      const size = r.u8();
      if (size % 2 !== 0) throw new RopFormatError('OC_ROP_NAME', `odd PropertyName NameSize ${size}`);
      const b = r.bytes(size, 'PropertyName Name');
      // Name is a NUL-terminated UTF-16LE string of NameSize bytes (terminator included)
      let s = b.toString('utf16le');
      const nul = s.indexOf('\0');
      if (nul >= 0) s = s.slice(0, nul);
      return { guid, name: s };
    }
    default:
      throw new RopFormatError('OC_ROP_NAME', `PropertyName Kind 0x${kind.toString(16)}`);
  }
}

export function writePropertyName(w: RopWriter, n: PropertyName): void {
  if (n.lid !== undefined) {
    w.u8(MNID_ID).guid(n.guid).u32(n.lid);
  } else if (n.name !== undefined) {
    const size = Buffer.byteLength(n.name, 'utf16le') + 2;
    if (size > 0xff) throw new RopFormatError('OC_ROP_NAME', `a PropertyName of ${size} bytes does not fit NameSize`);
    w.u8(MNID_STRING).guid(n.guid).u8(size).stringW(n.name);
  } else {
    w.u8(KIND_NONE);
  }
}

// ---- PropertyProblem (MS-OXCDATA 2.7) -----------------------------------------------------------------------------

export interface PropertyProblem {
  Index: number;
  PropertyTag: number;
  ErrorCode: number;
}

/** PropertyProblemCount u16 + PropertyProblem (Index u16, PropertyTag u32, ErrorCode u32) x n. */
export function readPropertyProblems(r: RopReader): PropertyProblem[] {
  const n = r.u16();
  if (n * 10 > r.left) throw new RopFormatError('OC_ROP_COUNT', `PropertyProblemCount ${n} exceeds the ${r.left} bytes left`);
  const out: PropertyProblem[] = [];
  for (let i = 0; i < n; i++) out.push({ Index: r.u16(), PropertyTag: r.u32(), ErrorCode: r.u32() });
  return out;
}

export function writePropertyProblems(w: RopWriter, p: readonly PropertyProblem[]): void {
  w.u16(p.length);
  for (const x of p) w.u16(x.Index).u32(x.PropertyTag).u32(x.ErrorCode);
}

/** `count` PropertyTags (u32 each); the count is checked against the bytes left before allocating. */
export function readPropTags(r: RopReader, count: number): number[] {
  if (count < 0 || count * 4 > r.left) throw new RopFormatError('OC_ROP_COUNT', `PropertyTagCount ${count} exceeds the ${r.left} bytes left`);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = r.u32();
  return out;
}

export function writePropTags(w: RopWriter, tags: readonly number[]): void {
  for (const t of tags) w.u32(t);
}

/** A u16 count followed by that many PropertyTags. */
export function readCountedPropTags(r: RopReader): number[] {
  return readPropTags(r, r.u16());
}

export function writeCountedPropTags(w: RopWriter, tags: readonly number[]): void {
  w.u16(tags.length);
  writePropTags(w, tags);
}

/** A u16 count followed by that many TaggedPropertyValues. */
export function readTaggedValues(r: RopReader, count: number, codePage: number): TaggedValue[] {
  if (count * 4 > r.left) throw new RopFormatError('OC_ROP_COUNT', `PropertyValueCount ${count} exceeds the ${r.left} bytes left`);
  const out: TaggedValue[] = [];
  for (let i = 0; i < count; i++) out.push(readTaggedValue(r, codePage));
  return out;
}
