// NDR 2.0 marshalling engine: declarative schemas compiled once into encoders/decoders (see README.md).
import {
  conformantArray,
  conformantBytes,
  conformantVaryingArray,
  conformantVaryingBytes,
  fixedArray,
  varyingArray,
  varyingBytes,
} from './arrays.js';
import { custom, lazy } from './misc.js';
import { full, ref, unique } from './pointers.js';
import {
  contextHandle,
  enum16,
  f32,
  f64,
  fixedBytes,
  guid,
  i16,
  i32,
  i64,
  i8,
  range,
  u16,
  u32,
  u64,
  u8,
  virtual,
} from './primitives.js';
import { string, stringBytes, varyingString, varyingWString, wstring } from './strings.js';
import { params, struct } from './struct.js';
import { union } from './union.js';

export const ndr = {
  u8,
  u16,
  u32,
  i8,
  i16,
  i32,
  u64,
  i64,
  /** MIDL `hyper` (signed 64-bit). */
  hyper: i64,
  f32,
  f64,
  enum16,
  guid,
  fixedBytes,
  range,
  contextHandle,
  virtual,
  struct,
  fixedArray,
  conformantArray,
  varyingArray,
  conformantVaryingArray,
  conformantBytes,
  conformantVaryingBytes,
  varyingBytes,
  string,
  wstring,
  stringBytes,
  varyingString,
  varyingWString,
  ref,
  unique,
  full,
  union,
  lazy,
  custom,
  params,
} as const;

export { NdrReader, MAX_STUB_LENGTH } from './reader.js';
export { NdrWriter } from './writer.js';
export { NdrError, NdrErrorCode } from './errors.js';
export {
  DecodeContext,
  EncodeContext,
  decodeComplete,
  encodeComplete,
  ndrLimits,
  setNdrLimits,
  type CountRef,
  type DecodeOptions,
  type DecodeResult,
  type EncodeOptions,
  type Infer,
  type NdrParent,
  type NdrType,
} from './type.js';
export type { ContextHandle, NdrVirtual } from './primitives.js';
export type { LengthOpts, SizeOpts } from './arrays.js';
export type { StringOpts } from './strings.js';
export type { PointerBox, PointerKind } from './pointers.js';
export type { UnionArms, UnionSpec, UnionValue } from './union.js';
export type { CustomSpec } from './misc.js';
export type { Fields, StructValue } from './struct.js';
