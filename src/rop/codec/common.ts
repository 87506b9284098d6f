// MS-OXCROPS 2.2.1 shared ROP framing: the request prefix (RopId, LogonId, InputHandleIndex[, OutputHandleIndex])
// and the response prefix (RopId, handle index, ReturnValue), plus defineRop() which builds a RopCodec from the
// ROP-specific body readers/writers so each codec module only states its own fields.
import { RopFormatError, RopReader as RopReaderCtor, type RopReader, type RopWriter } from '../../mapi/buffer.js';
import type { TaggedValue } from '../../mapi/props.js';
import {
  readPropertyName,
  readPropertyProblems,
  readPropertyRow,
  readTaggedValues,
  writePropertyName,
  writePropertyProblems,
  writeTaggedValue,
  type PropertyName,
  type PropertyProblem,
} from '../../mapi/ropprops.js';
import { readRestriction, RestrictionTooComplexError, writeRestriction, type RopRestriction } from '../../mapi/ropres.js';
import { ec } from '../ec.js';
import type { CodecContext, RopCodec, RopRequestHeader, RopResponse } from '../types.js';

export { readPropTags, writePropTags } from '../../mapi/ropprops.js';

/** Request prefix: RopId, LogonId, InputHandleIndex and, when `out`, OutputHandleIndex. Checks the RopId. */
export function readRequestHeader(r: RopReader, ropId: number, out: boolean): RopRequestHeader {
  const RopId = r.u8();
  if (RopId !== ropId) throw new RopFormatError('OC_ROP_ID', `expected RopId 0x${ropId.toString(16)}, got 0x${RopId.toString(16)}`);
  const LogonId = r.u8();
  const InputHandleIndex = r.u8();
  if (!out) return { RopId, LogonId, InputHandleIndex };
  return { RopId, LogonId, InputHandleIndex, OutputHandleIndex: r.u8() };
}

export function writeRequestHeader(w: RopWriter, h: RopRequestHeader, out: boolean): void {
  w.u8(h.RopId).u8(h.LogonId).u8(h.InputHandleIndex);
  if (out) w.u8(h.OutputHandleIndex ?? 0);
}

/** Response prefix: RopId, (Output|Input)HandleIndex, ReturnValue. */
export function writeResponseHeader(w: RopWriter, ropId: number, handleIndex: number, returnValue: number): void {
  w.u8(ropId).u8(handleIndex).u32(returnValue);
}

export function readResponseHeader(r: RopReader, ropId: number): { RopId: number; HandleIndex: number; ReturnValue: number } {
  const RopId = r.u8();
  if (RopId !== ropId) throw new RopFormatError('OC_ROP_ID', `expected RopId 0x${ropId.toString(16)}, got 0x${RopId.toString(16)}`);
  return { RopId, HandleIndex: r.u8(), ReturnValue: r.u32() };
}

/** A field the body writer needs; a missing one is a handler bug, reported with the ROP and field name. */
export function need<T>(v: T | undefined, rop: string, field: string): T {
  if (v === undefined) throw new RopFormatError('OC_ROP_MISSING_FIELD', `${rop} response lacks ${field}`);
  return v;
}

/** `n` u64 ids (FolderIds/MessageIds), the count checked against the bytes left first. */
export function readIds(r: RopReader, n: number): bigint[] {
  if (n * 8 > r.left) throw new RopFormatError('OC_ROP_COUNT', `id count ${n} exceeds the ${r.left} bytes left`);
  const out: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = r.u64();
  return out;
}

export function writeIds(w: RopWriter, ids: readonly bigint[]): void {
  for (const id of ids) w.u64(id);
}

/** A string whose form a flag selects: UTF-16LE when `unicode`, else 8-bit in the logon's code page. */
export function readStr(r: RopReader, unicode: boolean, ctx: CodecContext): string {
  return unicode ? r.stringW() : r.string8(ctx.codePage);
}

export function writeStr(w: RopWriter, s: string, unicode: boolean, ctx: CodecContext): void {
  if (unicode) w.stringW(s);
  else w.string8(s, ctx.codePage);
}

/** ASCII NUL-terminated string (fields the spec calls "null-terminated ASCII string"). */
export function readAscii(r: RopReader): string {
  return r.string8(20127);
}

export function writeAscii(w: RopWriter, s: string): void {
  w.string8(s, 20127);
}

/** u16-counted bytes (a copy). */
export function readSized16(r: RopReader, what: string): Buffer {
  const n = r.u16();
  return Buffer.from(r.bytes(n, what));
}

export function writeSized16(w: RopWriter, b: Uint8Array): void {
  w.u16(b.length).bytes(b);
}

export interface RopDef<Req extends RopRequestHeader, Body> {
  RopId: number;
  name: string;
  hasResponse?: boolean;
  createsObject?: boolean;
  /** ROP-specific request fields (after the prefix). */
  readReq(r: RopReader, ctx: CodecContext, h: RopRequestHeader): Omit<Req, keyof RopRequestHeader>;
  writeReq(w: RopWriter, req: Req, ctx: CodecContext): void;
  /** Success body (ReturnValue 0); omitted: no body. */
  readOk?(r: RopReader, ctx: CodecContext, req: Req): Partial<Body>;
  writeOk?(w: RopWriter, res: RopResponse<Body>, ctx: CodecContext, req: Req): void;
  /** Failure body for the ReturnValues the spec extends (e.g. ecDstNullObject); return false when there is none. */
  readFail?(r: RopReader, ctx: CodecContext, req: Req, returnValue: number): Partial<Body>;
  writeFail?(w: RopWriter, res: RopResponse<Body>, ctx: CodecContext, req: Req): void;
  responseHandleIndex?(req: Req): number;
}

/** Builds a RopCodec from its body readers/writers (MS-OXCROPS 2.2.1 prefixes handled here). */
export function defineRop<Req extends RopRequestHeader, Body = Record<string, unknown>>(d: RopDef<Req, Body>): RopCodec<Req, Body> {
  const out = d.createsObject ?? false;
  const handleOf = d.responseHandleIndex ?? ((req: Req) => (out ? (req.OutputHandleIndex ?? 0) : req.InputHandleIndex));
  return {
    RopId: d.RopId,
    name: d.name,
    hasResponse: d.hasResponse ?? true,
    createsObject: out,
    decodeRequest(r, ctx) {
      const h = readRequestHeader(r, d.RopId, out);
      return { ...h, ...d.readReq(r, ctx, h) } as Req;
    },
    encodeRequest(w, req, ctx) {
      writeRequestHeader(w, req, out);
      d.writeReq(w, req, ctx);
    },
    responseHandleIndex: handleOf,
    encodeResponse(w, res, ctx, req) {
      writeResponseHeader(w, d.RopId, res.HandleIndex, res.ReturnValue);
      if (res.ReturnValue === 0) d.writeOk?.(w, res, ctx, req);
      else d.writeFail?.(w, res, ctx, req);
    },
    decodeResponse(r, ctx, req) {
      const h = readResponseHeader(r, d.RopId);
      let body: Partial<Body> = {};
      if (h.ReturnValue === 0) body = d.readOk?.(r, ctx, req) ?? {};
      else if (d.readFail) body = d.readFail(r, ctx, req, h.ReturnValue);
      return { ...h, ...body } as RopResponse<Body>;
    },
  };
}

// ---- shared bodies ------------------------------------------------------------------------------------------------

/** `n` NUL-terminated ASCII strings (server names), the count checked against the bytes left first. */
export function readAsciiList(r: RopReader, n: number): string[] {
  if (n > r.left) throw new RopFormatError('OC_ROP_COUNT', `string count ${n} exceeds the ${r.left} bytes left`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(readAscii(r));
  return out;
}

/** Ghost information of a public folder (MS-OXCROPS 2.2.4.1.2): ServerCount u16, CheapServerCount u16, Servers. */
export interface GhostInfo {
  CheapServerCount: number;
  Servers: string[];
}

export function readGhostInfo(r: RopReader): GhostInfo {
  const n = r.u16();
  const CheapServerCount = r.u16();
  return { CheapServerCount, Servers: readAsciiList(r, n) };
}

export function writeGhostInfo(w: RopWriter, g: GhostInfo | undefined): void {
  const servers = g?.Servers ?? [];
  w.u16(servers.length).u16(g?.CheapServerCount ?? 0);
  for (const s of servers) writeAscii(w, s);
}

/**
 * RestrictionDataSize u16 + RestrictionData (MS-OXCDATA 2.12). Size 0: no restriction. A restriction past the
 * limits does not fail the buffer (its size is known): `tooComplex` is set and the handler answers ecTooComplex.
 */
export interface RestrictionField {
  Restriction?: RopRestriction;
  /** The RestrictionData bytes as received (a copy). */
  RestrictionData?: Buffer;
  RestrictionTooComplex?: boolean;
}

export function readRestrictionField(r: RopReader, ctx: CodecContext): RestrictionField {
  const size = r.u16();
  const bytes = r.bytes(size, 'RestrictionData');
  if (size === 0) return { RestrictionData: Buffer.alloc(0) };
  const sub = new RopReaderCtor(bytes);
  try {
    const Restriction = readRestriction(sub, ctx.codePage);
    if (sub.left !== 0) throw new RopFormatError('OC_ROP_RESTRICTION', `${sub.left} bytes after the restriction in RestrictionData`);
    return { Restriction, RestrictionData: Buffer.from(bytes) };
  } catch (e) {
    if (e instanceof RestrictionTooComplexError) return { RestrictionData: Buffer.from(bytes), RestrictionTooComplex: true };
    throw e;
  }
}

/** Writes RestrictionDataSize + the restriction (the model when given, else the raw bytes, else size 0). */
export function writeRestrictionField(w: RopWriter, f: RestrictionField, ctx: CodecContext): void {
  const at = w.pos;
  w.u16(0);
  if (f.Restriction) writeRestriction(w, f.Restriction, ctx.codePage);
  else if (f.RestrictionData) w.bytes(f.RestrictionData);
  const size = w.pos - at - 2;
  if (size > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `a ${size}-byte restriction does not fit RestrictionDataSize`);
  w.patchU16(at, size);
}

/**
 * Rows of a row-carrying response (RopQueryRows, RopFindRow, RopExpandRow): encoded by the handler (so it can fit
 * them to the output space) and carried as bytes. Decoding needs the columns; without them the rest of the buffer
 * is taken as the rows (tests and the bench client pass `columns`).
 */
export function readRowBytes(r: RopReader, rowCount: number, columns: readonly number[] | undefined, ctx: CodecContext): Buffer {
  const start = r.pos;
  if (rowCount === 0) return Buffer.alloc(0);
  if (!columns) {
    r.pos = r.end;
    return Buffer.from(r.buf.subarray(start, r.end));
  }
  if (rowCount > r.left) throw new RopFormatError('OC_ROP_COUNT', `RowCount ${rowCount} exceeds the ${r.left} bytes left`);
  for (let i = 0; i < rowCount; i++) readPropertyRow(r, columns, ctx.codePage);
  return Buffer.from(r.buf.subarray(start, r.pos));
}

/** True for the ReturnValues whose response still carries the body (MS-OXCDATA 2.4.3 ecWarnWithErrors). */
export const isOkOrWarn = (rv: number): boolean => rv === ec.Success || rv === ec.WarnWithErrors;

/**
 * The response of the move/copy ROPs with a DestHandleIndex (RopMoveCopyMessages, RopMoveFolder, RopCopyFolder):
 * PartialCompletion whatever the ReturnValue, preceded by DestHandleIndex u32 for ecDstNullObject (0x503).
 */
export interface MoveCopyResponse {
  DestHandleIndex: number;
  PartialCompletion: number;
}

export const ecDstNullObject = ec.DstNullObject;

export function readMoveCopyBody(r: RopReader, returnValue: number): Partial<MoveCopyResponse> {
  if (returnValue === ecDstNullObject) {
    const DestHandleIndex = r.u32();
    return { DestHandleIndex, PartialCompletion: r.u8() };
  }
  return { PartialCompletion: r.u8() };
}

export function writeMoveCopyBody(w: RopWriter, s: Partial<MoveCopyResponse> & { ReturnValue: number }): void {
  if (s.ReturnValue === ecDstNullObject) w.u32(s.DestHandleIndex ?? 0);
  w.u8(s.PartialCompletion ?? 0);
}

/** PropertyValueSize u16 (bytes of what follows: count + values), PropertyValueCount u16, TaggedPropertyValues. */
export function readSizedTaggedValues(r: RopReader, ctx: CodecContext): TaggedValue[] {
  const size = r.u16();
  const sub = new RopReaderCtor(r.bytes(size, 'PropertyValues'));
  const n = sub.u16();
  const vals = readTaggedValues(sub, n, ctx.codePage);
  if (sub.left !== 0) throw new RopFormatError('OC_ROP_SIZE', `${sub.left} bytes after the PropertyValues in PropertyValueSize`);
  return vals;
}

export function writeSizedTaggedValues(w: RopWriter, vals: readonly TaggedValue[], ctx: CodecContext): void {
  const at = w.pos;
  w.u16(0).u16(vals.length);
  for (const v of vals) writeTaggedValue(w, v, ctx.codePage);
  const size = w.pos - at - 2;
  if (size > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `${size} bytes of PropertyValues do not fit PropertyValueSize`);
  w.patchU16(at, size);
}

/** The body of the property-writing ROPs: PropertyProblemCount u16 + PropertyProblems. */
export function readProblemsBody(r: RopReader): { PropertyProblems: PropertyProblem[] } {
  return { PropertyProblems: readPropertyProblems(r) };
}

export function writeProblemsBody(w: RopWriter, s: { PropertyProblems?: readonly PropertyProblem[] | undefined }): void {
  writePropertyProblems(w, s.PropertyProblems ?? []);
}

/** `n` u16 PropertyIds, the count checked against the bytes left first. */
export function readPropIds(r: RopReader, n: number): number[] {
  if (n * 2 > r.left) throw new RopFormatError('OC_ROP_COUNT', `PropertyIdCount ${n} exceeds the ${r.left} bytes left`);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = r.u16();
  return out;
}

export function writePropIds(w: RopWriter, ids: readonly number[]): void {
  for (const id of ids) w.u16(id);
}

/** `n` PropertyNames (MS-OXCDATA 2.6.1); each takes at least 1 byte (Kind 0xFF). */
export function readPropertyNames(r: RopReader, n: number): PropertyName[] {
  if (n > r.left) throw new RopFormatError('OC_ROP_COUNT', `PropertyNameCount ${n} exceeds the ${r.left} bytes left`);
  const out: PropertyName[] = [];
  for (let i = 0; i < n; i++) out.push(readPropertyName(r));
  return out;
}

export function writePropertyNames(w: RopWriter, names: readonly PropertyName[]): void {
  for (const n of names) writePropertyName(w, n);
}
