// MAPI property types and values inside the program (MS-OXCDATA 2.11.1). Wire encodings differ per protocol (NDR in
// NSPI, ROP buffers, FastTransfer streams); they all convert to and from these values.

// MS-OXCDATA 2.11.1 property type values
export const PT = {
  UNSPECIFIED: 0x0000,
  NULL: 0x0001,
  I2: 0x0002,
  LONG: 0x0003,
  R4: 0x0004,
  DOUBLE: 0x0005,
  CURRENCY: 0x0006,
  APPTIME: 0x0007,
  ERROR: 0x000a,
  BOOLEAN: 0x000b,
  OBJECT: 0x000d,
  I8: 0x0014,
  STRING8: 0x001e,
  UNICODE: 0x001f,
  SYSTIME: 0x0040,
  CLSID: 0x0048,
  SVREID: 0x00fb,
  SRESTRICT: 0x00fd,
  ACTIONS: 0x00fe,
  BINARY: 0x0102,
  MV_I2: 0x1002,
  MV_LONG: 0x1003,
  MV_R4: 0x1004,
  MV_DOUBLE: 0x1005,
  MV_CURRENCY: 0x1006,
  MV_APPTIME: 0x1007,
  MV_I8: 0x1014,
  MV_STRING8: 0x101e,
  MV_UNICODE: 0x101f,
  MV_SYSTIME: 0x1040,
  MV_CLSID: 0x1048,
  MV_BINARY: 0x1102,
} as const;

/** Multi-valued flag of a property type (MS-OXCDATA 2.11.1.1). */
export const MV_FLAG = 0x1000;
/** MV_INSTANCE: one table row per value of a multi-valued column (MS-OXCTABL 2.2.2.1.1). */
export const MV_INSTANCE = 0x2000;

export const propType = (tag: number): number => tag & 0xffff;
export const propId = (tag: number): number => tag >>> 16;
export const makeTag = (id: number, type: number): number => (((id & 0xffff) << 16) | (type & 0xffff)) >>> 0;
/** The same property with another type (e.g. a PT_UNICODE tag asked for as PT_STRING8). */
export const withType = (tag: number, type: number): number => makeTag(propId(tag), type);

/**
 * A property value inside the program, by type:
 * I2, LONG, ERROR, R4, DOUBLE, APPTIME -> number; I8, CURRENCY, SYSTIME (FILETIME, 100 ns since 1601) -> bigint;
 * BOOLEAN -> boolean; STRING8, UNICODE -> string (code-page conversion happens at the wire); CLSID -> lower-case
 * GUID string; BINARY, SVREID -> Buffer; NULL -> null; MV_x -> an array of the single-valued representation.
 */
export type PropValue = number | bigint | boolean | string | Buffer | null | number[] | bigint[] | string[] | Buffer[];

export interface TaggedValue {
  tag: number;
  value: PropValue;
}

/** MAPI error codes carried as PT_ERROR values and returned by calls (MS-OXCDATA 2.4). */
export const MAPI_E = {
  SUCCESS: 0x00000000,
  CALL_FAILED: 0x80004005,
  NOT_ENOUGH_MEMORY: 0x8007000e,
  INVALID_PARAMETER: 0x80070057,
  NO_ACCESS: 0x80070005,
  NOT_FOUND: 0x8004010f,
  NO_SUPPORT: 0x80040102,
  BAD_CHARWIDTH: 0x80040103,
  STRING_TOO_LONG: 0x80040105,
  UNKNOWN_FLAGS: 0x80040106,
  INVALID_ENTRYID: 0x80040107,
  TOO_BIG: 0x80040305,
  TOO_COMPLEX: 0x80040117,
  TABLE_TOO_BIG: 0x80040403,
  AMBIGUOUS_RECIP: 0x80040700,
  NOT_INITIALIZED: 0x80040605,
  INVALID_BOOKMARK: 0x80040405,
  UNKNOWN_CPID: 0x8004011e,
  UNKNOWN_LCID: 0x8004011f,
  LOGON_FAILED: 0x80040111,
  INVALID_OBJECT: 0x80040108,
  NOT_ENOUGH_RESOURCES: 0x8004010e,
  /** MS-OXCDATA 2.4.3 ErrorsReturned (MAPI_W_ERRORS_RETURNED): success with errors for some properties. */
  ERRORS_RETURNED: 0x00040380,
  /** MS-OXCDATA 2.4.3 PartialCompletion (MAPI_W_PARTIAL_COMPLETION). */
  WARN_PARTIAL_COMPLETION: 0x00040680,
} as const;

/** FILETIME (100 ns ticks since 1601-01-01 UTC) of a JS Date. */
export function toFileTime(d: Date): bigint {
  return BigInt(d.getTime()) * 10000n + 116444736000000000n;
}

export function fromFileTime(ft: bigint): Date {
  return new Date(Number((ft - 116444736000000000n) / 10000n));
}
