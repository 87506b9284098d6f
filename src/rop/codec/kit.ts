// MS-OXCROPS 2.2 declarative ROP buffer layouts: one field list per request and response, compiled into a RopCodec
// (architecture rule 1: one source of truth per wire structure; a reply's size is the length of its encoding).
// Used by the codecs of OTHER_CODECS (messages, streams, notifications, permissions/rules, transport, FastTransfer, ICS).
import { RopFormatError, type RopReader, type RopWriter } from '../../mapi/buffer.js';
import type { CodecContext, RopCodec, RopRequestHeader, RopResponse } from '../types.js';

/** What a field's read/write sees besides the bytes: the code page, and the object decoded so far (conditions). */
export interface FieldEnv {
  ctx: CodecContext;
  /** The fields read or being written so far (request fields, or response fields). */
  obj: Record<string, unknown>;
  /** The decoded request, when reading/writing a response. */
  req?: Record<string, unknown>;
}

/**
 * One wire field. `kind` names its shape for generic tools (tests generate values from it); `custom` fields carry
 * their own codec.
 */
export interface Field<N extends string = string, T = unknown> {
  readonly name: N;
  readonly kind: string;
  read(r: RopReader, env: FieldEnv): T;
  write(w: RopWriter, v: T, env: FieldEnv): void;
  /** For `when` fields: the condition (the field is absent, value undefined, when false). */
  readonly cond?: (env: FieldEnv) => boolean;
  /** For arrays / conditionals: the inner field. */
  readonly inner?: Field;
  /** Fixed byte length for `fixed` fields; count width for counted arrays. */
  readonly size?: number;
  /** For struct arrays: the element's fields. */
  readonly fields?: readonly Field[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyField = Field<string, any>;
type ValueOf<F> = F extends Field<string, infer T> ? T : never;
/** The object type of a field list. */
export type Shape<Fs extends readonly AnyField[]> = { [F in Fs[number] as F['name']]: ValueOf<F> };

const prim = <N extends string, T>(kind: string, rd: (r: RopReader) => T, wr: (w: RopWriter, v: T) => void) =>
  (name: N): Field<N, T> => ({ name, kind, read: (r) => rd(r), write: (w, v) => wr(w, v) });

export const u8 = <N extends string>(name: N) => prim<N, number>('u8', (r) => r.u8(), (w, v) => w.u8(v ?? 0))(name);
export const u16 = <N extends string>(name: N) => prim<N, number>('u16', (r) => r.u16(), (w, v) => w.u16(v ?? 0))(name);
export const u32 = <N extends string>(name: N) => prim<N, number>('u32', (r) => r.u32(), (w, v) => w.u32(v ?? 0))(name);
export const i32 = <N extends string>(name: N) => prim<N, number>('i32', (r) => r.i32(), (w, v) => w.i32(v ?? 0))(name);
export const u64 = <N extends string>(name: N) => prim<N, bigint>('u64', (r) => r.u64(), (w, v) => w.u64(v ?? 0n))(name);
export const i64 = <N extends string>(name: N) => prim<N, bigint>('i64', (r) => r.i64(), (w, v) => w.i64(v ?? 0n))(name);
export const guid = <N extends string>(name: N) =>
  prim<N, string>('guid', (r) => r.guid(), (w, v) => w.guid(v ?? '00000000-0000-0000-0000-000000000000'))(name);

/** `n` bytes as they are. */
export function fixed<N extends string>(name: N, n: number): Field<N, Buffer> {
  return {
    name,
    kind: 'fixed',
    size: n,
    read: (r) => Buffer.from(r.bytes(n, name)),
    write: (w, v) => {
      const b = v ?? Buffer.alloc(n);
      if (b.length !== n) throw new RopFormatError('OC_ROP_FIELD', `${name} must be ${n} bytes, not ${b.length}`);
      w.bytes(b);
    },
  };
}

/** NUL-terminated 8-bit string in the logon's code page. */
export function str8<N extends string>(name: N): Field<N, string> {
  return { name, kind: 'str8', read: (r, e) => r.string8(e.ctx.codePage), write: (w, v, e) => void w.string8(v ?? '', e.ctx.codePage) };
}

/** NUL-terminated UTF-16LE string. */
export function strW<N extends string>(name: N): Field<N, string> {
  return { name, kind: 'strW', read: (r) => r.stringW(), write: (w, v) => void w.stringW(v ?? '') };
}

function putCount(w: RopWriter, width: 1 | 2 | 4, n: number, name: string): void {
  const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
  if (n > max) throw new RopFormatError('OC_ROP_TOO_BIG', `${name}: ${n} does not fit a ${width}-byte count`);
  if (width === 1) w.u8(n);
  else if (width === 2) w.u16(n);
  else w.u32(n);
}

function getCount(r: RopReader, width: 1 | 2 | 4): number {
  return width === 1 ? r.u8() : width === 2 ? r.u16() : r.u32();
}

/** A size-prefixed byte array (`DataSize` u16/u32 + `Data`); the size is the length of the bytes. */
export function sized<N extends string>(name: N, width: 1 | 2 | 4 = 2): Field<N, Buffer> {
  return {
    name,
    kind: 'sized',
    size: width,
    read: (r) => Buffer.from(r.bytes(getCount(r, width), name)),
    write: (w, v) => {
      const b = v ?? Buffer.alloc(0);
      putCount(w, width, b.length, name);
      w.bytes(b);
    },
  };
}

/** A counted array of `elem` (count u8/u16/u32 first); the count is checked against the bytes left. */
export function counted<N extends string, T>(name: N, width: 1 | 2 | 4, elem: Field<string, T>, minElemSize = 1): Field<N, T[]> {
  return {
    name,
    kind: 'counted',
    size: width,
    inner: elem as Field,
    read: (r, e) => {
      const n = getCount(r, width);
      if (n * minElemSize > r.left) throw new RopFormatError('OC_ROP_COUNT', `${name}: count ${n} exceeds the ${r.left} bytes left`);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(elem.read(r, e));
      return out;
    },
    write: (w, v, e) => {
      const a = v ?? [];
      putCount(w, width, a.length, name);
      for (const x of a) elem.write(w, x, e);
    },
  };
}

/** A structure of `fields` (the element of a counted array); its conditional fields see the structure's own fields. */
export function struct<N extends string, Fs extends readonly AnyField[]>(name: N, fields: Fs): Field<N, Shape<Fs>> {
  return {
    name,
    kind: 'struct',
    fields,
    read: (r, e) => {
      const obj: Record<string, unknown> = {};
      const inner = { ...e, obj };
      for (const f of fields) {
        if (f.cond && !f.cond(inner)) continue;
        obj[f.name] = f.read(r, inner);
      }
      return obj as Shape<Fs>;
    },
    write: (w, v, e) => {
      const obj = (v ?? {}) as Record<string, unknown>;
      const inner = { ...e, obj };
      for (const f of fields) {
        if (f.cond && !f.cond(inner)) continue;
        f.write(w, obj[f.name], inner);
      }
    },
  };
}

/** A field present only when `cond` holds (decoded objects omit it otherwise). */
export function when<N extends string, T>(cond: (env: FieldEnv) => boolean, f: Field<N, T>): Field<N, T | undefined> {
  return { ...f, cond, inner: f as Field } as Field<N, T | undefined>;
}

/** A field with a hand-written codec. */
export function custom<N extends string, T>(
  name: N,
  read: (r: RopReader, env: FieldEnv) => T,
  write: (w: RopWriter, v: T, env: FieldEnv) => void,
  kind = 'custom',
): Field<N, T> {
  return { name, kind, read, write };
}

/** Reads `fields` into an object (absent conditionals left out). */
export function readFields(r: RopReader, fields: readonly AnyField[], env: Omit<FieldEnv, 'obj'>, into: Record<string, unknown> = {}): Record<string, unknown> {
  const e: FieldEnv = { ...env, obj: into };
  for (const f of fields) {
    if (f.cond && !f.cond(e)) continue;
    into[f.name] = f.read(r, e);
  }
  return into;
}

export function writeFields(w: RopWriter, fields: readonly AnyField[], obj: Record<string, unknown>, env: Omit<FieldEnv, 'obj'>): void {
  const e: FieldEnv = { ...env, obj };
  for (const f of fields) {
    if (f.cond && !f.cond(e)) continue;
    f.write(w, obj[f.name], e);
  }
}

/** Which index the response prefix carries (MS-OXCROPS 2.2.1). */
export type HandleKind = 'input' | 'output' | 'response';

/**
 * When the response body is written:
 * - 'success': only when ReturnValue is 0 (the usual 6-byte failure response);
 * - 'always': the spec has one response buffer whose fields follow ReturnValue whatever it is;
 * - a function: picks the body field list for a ReturnValue (null = no body), for ROPs with special failures.
 */
export type BodyMode = 'success' | 'always' | ((returnValue: number) => readonly AnyField[] | null);

export interface RopLayout<Req extends readonly AnyField[], Res extends readonly AnyField[]> {
  RopId: number;
  name: string;
  /** OutputHandleIndex in the request and response prefix. */
  createsObject?: boolean;
  /** ResponseHandleIndex before InputHandleIndex in the request, and in the response prefix. */
  responseHandle?: boolean;
  request: Req;
  response: Res;
  body?: BodyMode;
}

export type KitRequest<Fs extends readonly AnyField[]> = RopRequestHeader & { ResponseHandleIndex?: number } & Shape<Fs>;

/** The compiled codec, with its layout kept for tests and tools. */
export interface KitCodec<Req extends readonly AnyField[] = readonly AnyField[], Res extends readonly AnyField[] = readonly AnyField[]>
  extends RopCodec<KitRequest<Req>, Shape<Res>> {
  readonly layout: RopLayout<Req, Res>;
}

function bodyFields(layout: RopLayout<readonly AnyField[], readonly AnyField[]>, rv: number): readonly AnyField[] | null {
  const mode = layout.body ?? 'success';
  if (mode === 'success') return rv === 0 ? layout.response : null;
  if (mode === 'always') return layout.response;
  return mode(rv >>> 0);
}

export function defineRop<const Req extends readonly AnyField[], const Res extends readonly AnyField[]>(layout: RopLayout<Req, Res>): KitCodec<Req, Res> {
  const creates = layout.createsObject === true;
  const respHandle = layout.responseHandle === true;
  type Q = KitRequest<Req>;
  const handleOf = (req: Q): number =>
    creates ? (req.OutputHandleIndex ?? 0) : respHandle ? (req.ResponseHandleIndex ?? 0) : req.InputHandleIndex;
  return {
    RopId: layout.RopId,
    name: layout.name,
    hasResponse: true,
    createsObject: creates,
    layout,
    decodeRequest(r, ctx) {
      const RopId = r.u8();
      if (RopId !== layout.RopId) throw new RopFormatError('OC_ROP_ID', `${layout.name}: RopId 0x${RopId.toString(16)}`);
      const LogonId = r.u8();
      const head: Record<string, unknown> = { RopId, LogonId };
      if (respHandle) head.ResponseHandleIndex = r.u8();
      head.InputHandleIndex = r.u8();
      if (creates) head.OutputHandleIndex = r.u8();
      return readFields(r, layout.request, { ctx }, head) as Q;
    },
    encodeRequest(w, req, ctx) {
      w.u8(layout.RopId).u8(req.LogonId);
      if (respHandle) w.u8(req.ResponseHandleIndex ?? 0);
      w.u8(req.InputHandleIndex);
      if (creates) w.u8(req.OutputHandleIndex ?? 0);
      writeFields(w, layout.request, req as Record<string, unknown>, { ctx });
    },
    responseHandleIndex: handleOf,
    encodeResponse(w, res, ctx, req) {
      w.u8(layout.RopId).u8(res.HandleIndex).u32(res.ReturnValue);
      const fields = bodyFields(layout, res.ReturnValue);
      if (fields) writeFields(w, fields, res as Record<string, unknown>, { ctx, req: req as Record<string, unknown> });
    },
    decodeResponse(r, ctx, req) {
      const RopId = r.u8();
      if (RopId !== layout.RopId) throw new RopFormatError('OC_ROP_ID', `${layout.name} response: RopId 0x${RopId.toString(16)}`);
      const HandleIndex = r.u8();
      const ReturnValue = r.u32();
      const out: Record<string, unknown> = { RopId, HandleIndex, ReturnValue };
      const fields = bodyFields(layout, ReturnValue);
      if (fields) readFields(r, fields, { ctx, req: req as Record<string, unknown> }, out);
      return out as RopResponse<Shape<Res>>;
    },
  };
}

/** A u16-counted list of 8-byte IDs (FIDs/MIDs). */
export const ids16 = <N extends string>(name: N) => counted(name, 2, u64('id'), 8);
/** A u16-counted list of PropertyTags. */
export const tags16 = <N extends string>(name: N) => counted(name, 2, u32('tag'), 4);

/**
 * A ROP that only the server sends (RopNotify, RopPending, RopBackoff, RopBufferTooSmall): the response is the RopId
 * followed by `fields` (no handle index, no ReturnValue; decoded responses carry HandleIndex 0 and ReturnValue 0).
 * A request with such a RopId is malformed: decodeRequest throws RopFormatError OC_ROP_SERVER_ONLY.
 */
export function defineServerRop<const Res extends readonly AnyField[]>(layout: { RopId: number; name: string; response: Res }): KitCodec<readonly [], Res> {
  const only = (): never => {
    throw new RopFormatError('OC_ROP_SERVER_ONLY', `${layout.name} (0x${layout.RopId.toString(16)}) is sent by servers only`);
  };
  return {
    RopId: layout.RopId,
    name: layout.name,
    hasResponse: true,
    createsObject: false,
    layout: { ...layout, request: [] as const },
    decodeRequest: only,
    encodeRequest: only,
    responseHandleIndex: (req) => req.InputHandleIndex,
    encodeResponse(w, res, ctx) {
      w.u8(layout.RopId);
      writeFields(w, layout.response, res as Record<string, unknown>, { ctx });
    },
    decodeResponse(r, ctx) {
      const RopId = r.u8();
      if (RopId !== layout.RopId) throw new RopFormatError('OC_ROP_ID', `${layout.name}: RopId 0x${RopId.toString(16)}`);
      const out: Record<string, unknown> = { RopId, HandleIndex: 0, ReturnValue: 0 };
      readFields(r, layout.response, { ctx }, out);
      return out as RopResponse<Shape<Res>>;
    },
  };
}
