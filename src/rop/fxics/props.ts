// MS-OXCFXICS 2.2.4.1 lexical structure of a FastTransfer stream: the elements (markers, property values,
// meta-properties) and the serialization of one propValue:
//   propValue      = propTag [namedPropInfo] value          (namedPropInfo when the PropertyId is >= 0x8000)
//   namedPropInfo  = PropertySet(GUID, 16) (%x00 Dispid(u32) / %x01 Name(UTF-16LE, NUL-terminated))
//   fixedSizeValue : Integer16 2, Integer32/Floating32/ErrorCode 4, Boolean 2, Floating64/Currency/FloatingTime/
//                    Integer64/Time 8, Guid 16
//   varSizeValue   = length(u32) bytes       (String, String8, CodePageString, Binary, ServerId, Object)
//   mvValue        = count(u32) *(fixedSizeValue / length(u32) bytes)
// Strings carry their NUL terminator inside `length` (2 bytes for PtypString, 1 for PtypString8 / CodePageString).
//
// Choices where the spec leaves room (each one stated once here):
// - PtypBoolean is a 2-byte value in the stream (low byte 0/1, high byte 0); any non-zero value reads as true.
// - CodePageString (type 0x8000 | cpid, MS-OXCFXICS 2.2.4.1.3): read as a PT_STRING8 property whose text is decoded
//   with that code page (element.codePage records it); 0x84B0 (code page 1200, UTF-16LE) reads as PT_UNICODE. Written only in FxStringMode 'cpid' and only when the code
//   page fits 15 bits (65001 cannot: such strings go out as PtypString). On input a type whose low 15 bits are not a
//   supported code page but whose 16 bits are (0xFDE9 = 65001) reads with the 16-bit value.
// - String values on input end at the first NUL; text after it is dropped. An odd PtypString length is malformed.
// - A zero `length` / count is written and accepted although the 2.2.4.1 grammar says "MUST be greater than 0":
//   Exchange itself sends an empty PidTagParentSourceKey with length 0 (fixtures/vectors/ms-oxcfxics-stream.json).
// - Named properties: the stream carries (GUID, LID/name) beside the sender's PropertyId; `NamedPropMapper` turns a
//   local id into its name on output (Store.getNames) and a name into a local id on input (Store.getNamedIds, create).
// - Types without a stream form (PtypUnspecified, PtypNull, PtypRestriction, PtypRuleAction, multi-valued Boolean,
//   ErrorCode, ServerId, Object) are refused with FxStreamError OC_FX_PROPTYPE; content producers filter them with
//   `isFxPropType` first.
import { ProtocolError } from '../../util/errors.js';
import { readGuid, writeGuid } from '../../util/guid.js';
import { decode as cpDecode, encode as cpEncode, isSupported as cpSupported } from '../../mapi/codepage.js';
import { MV_FLAG, PT, makeTag, propId, propType, type PropValue } from '../../mapi/props.js';
import { MNID_ID, MNID_STRING, propertyNameKey, type PropertyName } from '../../mapi/named.js';
import { big, bin, fixedWidth, num } from '../../mapi/ropprops.js';
import { isMarker, wireValueType } from './markers.js';

/** Malformed or unencodable FastTransfer stream content (codes OC_FX_*); the ROP handler chooses the ec and logs it. */
export class FxStreamError extends ProtocolError {}

/** An element of a FastTransfer stream, as produced by the parser and consumed by the writer. */
export type FxElement = FxMarker | FxProp;

/** MS-OXCFXICS 2.2.4.1.4: a marker (a bare PropertyTag from `Marker`). */
export interface FxMarker {
  kind: 'marker';
  tag: number;
}

/**
 * A property value or meta-property (MS-OXCFXICS 2.2.4.1.5): `tag` carries the type; for a named property
 * (PropertyId >= 0x8000) `name` is its (GUID, LID/name). On output the writer fills a missing `name` through the
 * NamedPropMapper; on input the parser sets `name` and keeps the sender's id in `tag` (use
 * NamedPropMapper.toLocal to get the mailbox's id). `codePage`: set by the parser for a CodePageString value; on
 * output, the code page of a PT_STRING8 value when it is not the connection's.
 */
export interface FxProp {
  kind: 'prop';
  tag: number;
  value: PropValue;
  name?: PropertyName;
  codePage?: number;
}

/** How string values are written (RopFastTransferSourceCopy* SendOptions / SynchronizationConfigure, MS-OXCFXICS 2.2.3.1.1.1): */
export type FxStringMode =
  /** every PT_STRING8 / PT_UNICODE value as PtypString (SendOptions Unicode, or ForceUnicode) */
  | 'unicode'
  /** every string value as PtypString8 in `codePage` (neither Unicode nor UseCpid) */
  | 'string8'
  /** every string value as CodePageString 0x8000|codePage (UseCpid without Unicode) */
  | 'cpid'
  /** each value with its own tag type (PT_UNICODE as PtypString, PT_STRING8 as PtypString8) */
  | 'keep';

export interface FxEncodeOptions {
  strings: FxStringMode;
  /** The code page of 8-bit strings (the connection's / Logon's code page). */
  codePage: number;
}

export interface FxDecodeLimits {
  /** Largest varSizeValue accepted (bytes). */
  maxValueSize: number;
  /** Largest multi-valued count accepted. */
  maxMvCount: number;
}

export const DEFAULT_FX_LIMITS: FxDecodeLimits = { maxValueSize: 64 * 1024 * 1024, maxMvCount: 1 << 20 };

/** Byte size of a fixed-size value of `type` (MS-OXCFXICS 2.2.4.1.3), or 0 when the type is not fixed-size. */
export function fixedSize(type: number): number {
  return type === PT.BOOLEAN ? 2 : fixedWidth(type);
}

/** Code page 1200 (UTF-16LE): a CodePageString of it (0x84B0) is a PtypString in all but its type. */
export const CP_UTF16LE = 1200;

/** True when a CodePageString of `cp` can be read (UTF-16LE or a code page codepage.ts knows). */
export function isCodePageReadable(cp: number): boolean {
  return cp === CP_UTF16LE || cpSupported(cp);
}

/** True for a CodePageString property type (0x8000 | cpid). */
export function isCodePageType(type: number): boolean {
  return (type & 0x8000) !== 0;
}

/** The code page of a CodePageString type (see the header comment for 0xFDE9). */
export function codePageOfType(type: number): number {
  const cp = type & 0x7fff;
  if (!isCodePageReadable(cp) && cpSupported(type & 0xffff)) return type & 0xffff;
  return cp;
}

/** True for the variable-size types (u32 length + bytes), CodePageString included. */
export function isVarType(type: number): boolean {
  if (isCodePageType(type)) return true;
  return type === PT.STRING8 || type === PT.UNICODE || type === PT.BINARY || type === PT.SVREID || type === PT.OBJECT;
}

const MV_SINGLES: ReadonlySet<number> = new Set([PT.I2, PT.LONG, PT.R4, PT.DOUBLE, PT.CURRENCY, PT.APPTIME, PT.I8, PT.SYSTIME, PT.CLSID, PT.STRING8, PT.UNICODE, PT.BINARY]);

/** True when values of `type` have a FastTransfer stream serialization (writers filter stored properties with it). */
export function isFxPropType(type: number): boolean {
  const t = type & 0xffff;
  if (isCodePageType(t)) return true;
  if (t & MV_FLAG) return MV_SINGLES.has(t & ~MV_FLAG);
  return fixedSize(t) > 0 || isVarType(t);
}

// ---- named properties ----------------------------------------------------------------------------------------------

/** The store calls a NamedPropMapper needs (a Store / mailbox satisfies it). */
export interface NamedPropResolver {
  getNames(ids: readonly number[]): Promise<(PropertyName | null)[]>;
  getNamedIds(names: readonly PropertyName[], create: boolean): Promise<number[]>;
}

/**
 * Named-property translation for one transfer, with a cache both ways so that a stream asks the store once per id.
 * `toWire(id)`: the name of a local id (undefined when the id has no name: the writer then omits the property).
 * `toLocal(name, type)`: the local tag for a received name (created when needed); 0 when the store refuses.
 */
export class NamedPropMapper {
  private readonly names = new Map<number, PropertyName | null>();
  private readonly ids = new Map<string, number>();

  constructor(private readonly resolver: NamedPropResolver) {}

  async toWire(id: number): Promise<PropertyName | undefined> {
    if (id < 0x8000) return undefined;
    let n = this.names.get(id);
    if (n === undefined) {
      const [got] = await this.resolver.getNames([id]);
      n = got ?? null;
      this.names.set(id, n);
      if (n) this.ids.set(propertyNameKey(n), id);
    }
    return n ?? undefined;
  }

  async toLocal(name: PropertyName, type: number): Promise<number> {
    const key = propertyNameKey(name);
    let id = this.ids.get(key);
    if (id === undefined) {
      const [got] = await this.resolver.getNamedIds([name], true);
      id = got ?? 0;
      if (id !== 0) {
        this.ids.set(key, id);
        this.names.set(id, name);
      }
    }
    return id === 0 ? 0 : makeTag(id, type);
  }

  /** A parsed element with its named tag mapped to the local id (unchanged when not named; null when unmappable). */
  async localize(el: FxProp): Promise<FxProp | null> {
    if (!el.name || propId(el.tag) < 0x8000) return el;
    const tag = await this.toLocal(el.name, propType(el.tag));
    if (tag === 0) return null;
    return { ...el, tag };
  }
}

/** MS-OXCFXICS 2.2.4.1.1 namedPropInfo bytes of `name`. */
export function encodeNamedPropInfo(name: PropertyName): Buffer {
  if (name.lid !== undefined) {
    const b = Buffer.alloc(21);
    writeGuid(name.guid, b, 0);
    b[16] = MNID_ID;
    b.writeUInt32LE(name.lid >>> 0, 17);
    return b;
  }
  if (name.name !== undefined) {
    const s = Buffer.from(name.name + '\0', 'utf16le');
    const b = Buffer.alloc(17 + s.length);
    writeGuid(name.guid, b, 0);
    b[16] = MNID_STRING;
    s.copy(b, 17);
    return b;
  }
  throw new FxStreamError('OC_FX_NAME', 'a named property without LID or name');
}

// ---- value encoding ------------------------------------------------------------------------------------------------

/**
 * A piece of an encoded element for the writer: `atomic` pieces go whole into one buffer; the others (the bytes of a
 * varSizeValue) may be split at any byte (see writer.ts for the rule).
 */
export interface FxSegment {
  bytes: Buffer;
  atomic: boolean;
  /** Split granularity of a non-atomic piece (2: a PtypString's UTF-16 bytes, split only at even offsets). */
  align: number;
  /** Bytes of it already handed out (the writer's cursor; 0 when made). */
  off: number;
}

/** A segment (every one made with the same four fields in the same order: one object shape for the writer). */
const seg = (bytes: Buffer, atomic: boolean, align = 1): FxSegment => ({ bytes, atomic, align, off: 0 });

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** Writes a fixed-size value of `type` (MS-OXCFXICS 2.2.4.1.3) into `b` at `at`; returns the offset after it. */
export function writeFixed(type: number, v: unknown, b: Buffer, at: number): number {
  switch (type) {
    case PT.I2:
      b.writeUInt16LE(num(v) & 0xffff, at);
      return at + 2;
    case PT.BOOLEAN:
      b.writeUInt16LE(v ? 1 : 0, at);
      return at + 2;
    case PT.LONG:
    case PT.ERROR:
      b.writeUInt32LE(num(v) >>> 0, at);
      return at + 4;
    case PT.R4:
      b.writeFloatLE(num(v), at);
      return at + 4;
    case PT.DOUBLE:
    case PT.APPTIME:
      b.writeDoubleLE(num(v), at);
      return at + 8;
    case PT.CURRENCY:
    case PT.I8:
    case PT.SYSTIME:
      b.writeBigUInt64LE(BigInt.asUintN(64, big(v)), at);
      return at + 8;
    case PT.CLSID:
      writeGuid(String(v), b, at);
      return at + 16;
    default:
      throw new FxStreamError('OC_FX_PROPTYPE', `type 0x${type.toString(16)} is not fixed-size`);
  }
}

/** A fixed-size value of `type` (MS-OXCFXICS 2.2.4.1.3). */
export function encodeFixed(type: number, v: unknown): Buffer {
  const b = Buffer.allocUnsafe(fixedSize(type));
  writeFixed(type, v, b, 0);
  return b;
}

/** Whether `s` is pure ASCII: its UTF-8 form is one byte per UTF-16 unit only then (~3x faster than a regex test on a body). */
const isAscii = (s: string): boolean => Buffer.byteLength(s, 'utf8') === s.length;

/** `s` in code page `cp` followed by a NUL byte; pure ASCII (the same in every code page codepage.ts writes) in one buffer. */
function withNul8(s: string, cp: number): Buffer {
  if (isAscii(s) && cpSupported(cp)) {
    const b = Buffer.allocUnsafe(s.length + 1);
    b.write(s, 0, 'latin1');
    b[s.length] = 0;
    return b;
  }
  return Buffer.concat([cpEncode(s, cp), Buffer.alloc(1)]);
}

/** The bytes (without the u32 length) of a variable-size value written with wire type `type`. */
export function encodeVarBytes(type: number, v: unknown, codePage: number): Buffer {
  if (isCodePageType(type)) return withNul8(String(v ?? ''), codePageOfType(type));
  switch (type) {
    case PT.UNICODE: {
      // one buffer, the terminator written in place (no `s + '\0'` copy of a body-sized string)
      const s = String(v ?? '');
      const b = Buffer.allocUnsafe(2 * s.length + 2);
      b.write(s, 0, 'utf16le');
      b[2 * s.length] = 0;
      b[2 * s.length + 1] = 0;
      return b;
    }
    case PT.STRING8:
      return withNul8(String(v ?? ''), codePage);
    case PT.BINARY:
    case PT.SVREID:
    case PT.OBJECT:
      return bin(v);
    default:
      throw new FxStreamError('OC_FX_PROPTYPE', `type 0x${type.toString(16)} is not variable-size`);
  }
}

/**
 * The wire type a value of stored type `type` is written with under `opts` (string conversion; other types as-is).
 * `codePage` is the value's own code page for PT_STRING8 when known.
 */
export function wireTypeFor(type: number, opts: FxEncodeOptions, codePage?: number): number {
  const t = type & 0xffff;
  const single = t & ~MV_FLAG;
  if (single !== PT.UNICODE && single !== PT.STRING8 && !isCodePageType(t)) return t;
  const mv = (t & MV_FLAG) !== 0 && !isCodePageType(t);
  switch (opts.strings) {
    case 'unicode':
      return mv ? PT.MV_UNICODE : PT.UNICODE;
    case 'string8':
      return mv ? PT.MV_STRING8 : PT.STRING8;
    case 'cpid': {
      const cp = codePage ?? opts.codePage;
      if (mv) return PT.MV_STRING8;
      return cp > 0 && cp < 0x8000 ? 0x8000 | cp : PT.UNICODE;
    }
    case 'keep':
      return isCodePageType(t) ? (mv ? PT.MV_STRING8 : PT.STRING8) : t;
  }
}

/**
 * Encodes one propValue element (tag, namedPropInfo, value) as writer segments. The name of a named property
 * (PropertyId >= 0x8000) must be in `el.name` (the writer resolves it before calling). Unencodable types:
 * FxStreamError OC_FX_PROPTYPE.
 */
export function encodeProp(el: FxProp, opts: FxEncodeOptions): FxSegment[] {
  const storedType = wireValueType(el.tag);
  const idsetGiven = storedType !== (el.tag & 0xffff);
  const type = idsetGiven ? storedType : wireTypeFor(storedType, opts, el.codePage);
  if (!isFxPropType(type)) throw new FxStreamError('OC_FX_PROPTYPE', `property 0x${(el.tag >>> 0).toString(16)} has no FastTransfer serialization`);
  const tag = idsetGiven ? el.tag >>> 0 : makeTag(propId(el.tag), type);
  let info: Buffer | undefined;
  if (propId(tag) >= 0x8000 && !isMarker(tag)) {
    if (!el.name) throw new FxStreamError('OC_FX_NAME', `named property 0x${(tag >>> 0).toString(16)} without a name`);
    info = encodeNamedPropInfo(el.name);
  }
  const infoLen = info ? info.length : 0;
  const mv = (type & MV_FLAG) !== 0 && !isCodePageType(type);
  const fixed = mv ? 0 : fixedSize(type);
  // the atomic head: tag, namedPropInfo, then the fixed-size value, the length or the count
  const head = Buffer.allocUnsafe(4 + infoLen + (fixed > 0 ? fixed : 4));
  head.writeUInt32LE(tag, 0);
  if (info) info.copy(head, 4);
  const at = 4 + infoLen;
  if (fixed > 0) {
    writeFixed(type, el.value, head, at);
    return [seg(head, true)];
  }
  const cp = el.codePage ?? opts.codePage;
  if (!mv) {
    const b = encodeVarBytes(type, el.value, cp);
    head.writeUInt32LE(b.length, at);
    return [
      seg(head, true),
      seg(b, false, type === PT.UNICODE ? 2 : 1),
    ];
  }
  const single = type & ~MV_FLAG;
  const arr = (Array.isArray(el.value) ? el.value : []) as unknown[];
  head.writeUInt32LE(arr.length, at);
  const segs: FxSegment[] = [seg(head, true)];
  const n = fixedSize(single);
  if (n > 0) {
    if (arr.length > 0) {
      const vals = Buffer.allocUnsafe(n * arr.length);
      // each value is its own token: a buffer may end between two of them
      for (let i = 0; i < arr.length; i++) {
        writeFixed(single, arr[i], vals, i * n);
        segs.push(seg(vals.subarray(i * n, i * n + n), true));
      }
    }
    return segs;
  }
  for (const x of arr) {
    const b = encodeVarBytes(single, x, cp);
    segs.push(seg(u32(b.length), true), seg(b, false, single === PT.UNICODE ? 2 : 1));
  }
  return segs;
}

/** Encodes a marker (a bare tag). */
export function encodeMarker(tag: number): Buffer {
  return u32(tag);
}

/** Encodes a whole element into one Buffer (tests, small streams; the writer streams segments instead). */
export function encodeElement(el: FxElement, opts: FxEncodeOptions): Buffer {
  if (el.kind === 'marker') return encodeMarker(el.tag);
  return Buffer.concat(encodeProp(el, opts).map((s) => s.bytes));
}

// ---- value decoding (used by the incremental parser on complete pieces) ---------------------------------------------

/** A fixed-size value of `type` from exactly fixedSize(type) bytes. */
export function decodeFixed(type: number, b: Buffer, at = 0): PropValue {
  switch (type) {
    case PT.I2:
      return b.readInt16LE(at);
    case PT.BOOLEAN:
      return b.readUInt16LE(at) !== 0;
    case PT.LONG:
      return b.readInt32LE(at);
    case PT.ERROR:
      return b.readUInt32LE(at);
    case PT.R4:
      return b.readFloatLE(at);
    case PT.DOUBLE:
    case PT.APPTIME:
      return b.readDoubleLE(at);
    case PT.CURRENCY:
      return b.readBigInt64LE(at);
    case PT.I8:
    case PT.SYSTIME:
      return b.readBigUInt64LE(at);
    case PT.CLSID:
      return readGuid(b, at);
    default:
      throw new FxStreamError('OC_FX_PROPTYPE', `type 0x${type.toString(16)} is not fixed-size`);
  }
}

function cutNul8(b: Buffer): Buffer {
  const i = b.indexOf(0);
  return i >= 0 ? b.subarray(0, i) : b;
}

/** A variable-size value of wire `type` from its bytes (after the length). */
export function decodeVar(type: number, b: Buffer, codePage: number): PropValue {
  if (isCodePageType(type)) return codePageOfType(type) === CP_UTF16LE ? decodeVar(PT.UNICODE, b, codePage) : cpDecode(cutNul8(b), codePageOfType(type));
  switch (type) {
    case PT.UNICODE: {
      if (b.length % 2 !== 0) throw new FxStreamError('OC_FX_STRING', `odd PtypString length ${b.length}`);
      const s = b.toString('utf16le');
      const nul = s.indexOf('\0');
      return nul >= 0 ? s.slice(0, nul) : s;
    }
    case PT.STRING8:
      return cpDecode(cutNul8(b), codePage);
    case PT.BINARY:
    case PT.SVREID:
    case PT.OBJECT:
      return Buffer.from(b);
    default:
      throw new FxStreamError('OC_FX_PROPTYPE', `type 0x${type.toString(16)} is not variable-size`);
  }
}
