// MS-OXCROPS 2.2.1 / 3.1.4, MS-OXCRPC 3.1.4.2.1.1: the ROP buffer loop. A request payload is RopSize (u16, counting
// itself), the ROP requests back to back, then the ServerObjectHandleTable (u32 each) to the end. For each request:
// decode with the registry's codec; resolve InputHandleIndex (and DestHandleIndex); check the handler's input kinds;
// run the handler; encode the response; bind a created object to OutputHandleIndex. The response payload has the
// same shape. Every ROP the registry knows gets a well-formed response (rule 2); RopRelease gets none.
//
// Choices where the specs leave room (each one place, below):
// - an unknown RopId (no codec) ends processing there: the responses so far are returned (the boundary of the next
//   request cannot be known);
// - a request that does not decode (truncated, bad counts) fails the whole buffer with a RopFormatError: the caller
//   (EcDoRpcExt2) answers ecRpcFormat and keeps the session;
// - when a response does not fit, RopBufferTooSmall carries the unprocessed request tail from that ROP on, and an
//   object the ROP created is released again so that the client's retry does not leave a duplicate behind.
import diagnostics_channel from 'node:diagnostics_channel';
import { RopFormatError, RopReader, RopWriter } from '../mapi/buffer.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { ec, ecName } from './ec.js';
import { NO_HANDLE, RopHandleTable } from './handles.js';
import type { AnyRopCodec, RopRegistry } from './registry.js';
import type { CodecContext, RopContext, RopRequestHeader, RopResponse, RopResult, ServerObject } from './types.js';

/** MS-OXCROPS 2.2.15.1 RopBufferTooSmall. */
export const ROP_BUFFER_TOO_SMALL = 0xff;
/** MS-OXCROPS 2.2.3.1 RopRelease (no response). */
export const ROP_RELEASE = 0x01;
/** RopId (1) + SizeNeeded (2) of RopBufferTooSmall before the request tail. */
const BUFFER_TOO_SMALL_HEAD = 3;
/** Smallest output space a ROP is given after the RopBufferTooSmall reserve for the requests behind it. */
const MIN_FILL_SPACE = 1024;

/** ROP events for tests and trace recorders (architecture rule 8): { ropId, logonId, returnValue }. */
export const ropChannel = diagnostics_channel.channel('ocng:rop');

/**
 * What a handler gets as `ctx.input` for a request without InputHandleIndex (RopLogon creates the first object of
 * a logon from nothing). Its kind is never checked.
 */
export const NO_INPUT: ServerObject = Object.freeze({ kind: 'logon', logonId: -1, parent: null }) as ServerObject;

/** The ROP state of one EMSMDB session: its handle table and its logons by LogonId. */
export class RopSessionState {
  readonly handles: RopHandleTable;
  readonly logons = new Map<number, ServerObject>();

  constructor(maxObjects: number) {
    this.handles = new RopHandleTable(maxObjects);
  }

  /** RopRelease: the object and its children; logons among them are forgotten. */
  release(handle: number): void {
    for (const o of this.handles.release(handle)) {
      if (o.kind === 'logon' && this.logons.get(o.logonId) === o) this.logons.delete(o.logonId);
    }
  }

  clear(): void {
    this.handles.clear();
    this.logons.clear();
  }
}

export interface DispatchOptions<Session = unknown> {
  registry: RopRegistry;
  state: RopSessionState;
  /** Passed to handlers as ctx.session (the EmsmdbSession). */
  session: Session;
  codePage: number;
  log: Logger;
  /** Largest response payload: RopSize + responses + handle table (MS-OXCRPC: min(pcbOut - 8, 0x8000)). */
  maxOutput: number;
}

export type DispatchResult =
  | {
      ok: true;
      /** The rgbOut payload: RopSize, ROP responses, ServerObjectHandleTable. */
      output: Buffer;
      /** Requests processed (RopRelease included). */
      processed: number;
      /** Why processing ended early: an unknown RopId, or RopBufferTooSmall written. */
      stopped?: 'unknownRop' | 'bufferTooSmall';
      /** The final request of the buffer and its response, when processing got to the end (response chaining). */
      last?: LastRop;
    }
  | { ok: false; error: RopFormatError };

function formatError(code: string, message: string): DispatchResult {
  return { ok: false, error: new RopFormatError(code, message) };
}

const isFormat = (e: unknown): boolean => e instanceof RopFormatError || e instanceof RangeError || e instanceof TypeError;

/**
 * Runs one ROP request payload (already taken out of its RPC_HEADER_EXT). Never throws for bad input: a payload that
 * is not a ROP buffer is `{ ok: false }`.
 */
export async function dispatchRopBuffer<Session>(payload: Uint8Array, opts: DispatchOptions<Session>): Promise<DispatchResult> {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length < 2) return formatError('OC_ROP_NO_ROPSIZE', `ROP buffer of ${buf.length} bytes has no RopSize`);
  const ropSize = buf.readUInt16LE(0);
  if (ropSize < 2 || ropSize > buf.length) return formatError('OC_ROP_BAD_ROPSIZE', `RopSize ${ropSize} outside 2..${buf.length}`);
  if ((buf.length - ropSize) % 4 !== 0) {
    return formatError('OC_ROP_BAD_HANDLE_TABLE', `${buf.length - ropSize} bytes after the ROPs are not a whole ServerObjectHandleTable`);
  }
  const nHandles = (buf.length - ropSize) / 4;
  const table = new Array<number>(nHandles);
  for (let i = 0; i < nHandles; i++) table[i] = buf.readUInt32LE(ropSize + 4 * i);

  const budget = opts.maxOutput - 2 - 4 * nHandles;
  if (budget < 0) return formatError('OC_ROP_OUTPUT_TOO_SMALL', `output limit ${opts.maxOutput} cannot hold the handle table`);

  const { registry, state, log } = opts;
  const cctx: CodecContext = {
    codePage: opts.codePage,
    // RopWritePerUserInformation's ReplGuid depends on the logon's OpenFlags (USE_PER_MDB_REPLID_MAPPING)
    logonOpenFlags: (id) => {
      const l = state.logons.get(id) as (ServerObject & { openFlags?: unknown }) | undefined;
      return typeof l?.openFlags === 'number' ? l.openFlags : undefined;
    },
  };
  const r = new RopReader(buf, 2, ropSize);
  const w = new RopWriter(Math.min(4096, budget + 2));
  w.u16(0); // RopSize, patched at the end
  let processed = 0;
  let stopped: 'unknownRop' | 'bufferTooSmall' | undefined;
  let last: LastRop | undefined;

  const resolve = (index: number | undefined): ServerObject | undefined => {
    if (index === undefined || index >= nHandles) return undefined;
    const h = table[index]!;
    return h === NO_HANDLE ? undefined : state.handles.get(h);
  };

  // objects this call bound: released again when the call fails as a whole (the client never learns their handles)
  const boundHere: number[] = [];
  const failCall = (error: RopFormatError): DispatchResult => {
    for (const h of boundHere) if (state.handles.get(h)) state.release(h);
    return { ok: false, error };
  };

  while (r.pos < ropSize) {
    const start = r.pos;
    const ropId = buf[start]!;
    const codec = registry.codec(ropId);
    if (!codec) {
      // MS-OXCROPS 2.2.2: a reserved RopId SHOULD fail the RPC (MS-OXCRPC 3.1.4.2: ecRpcFormat)
      log.info({ rop: `0x${ropId.toString(16)}`, at: start - 2 }, 'reserved RopId: the ROP buffer is refused');
      return failCall(new RopFormatError('OC_ROP_RESERVED', `reserved RopId 0x${ropId.toString(16)} at ${start - 2}`));
    }
    let req: RopRequestHeader;
    try {
      req = codec.decodeRequest(r, cctx);
    } catch (e) {
      if (e instanceof RopFormatError && e.code === 'OC_ROP_SERVER_ONLY') {
        // a RopId only servers send (RopNotify, RopPending, RopBackoff, RopBufferTooSmall): as unknown as any other
        log.info({ rop: codec.name, at: start - 2 }, 'server-only RopId in a request: the ROP buffer is refused');
        return failCall(e);
      }
      if (!isFormat(e)) log.warn({ rop: codec.name, err: describeError(e) }, 'ROP request decoder failed');
      // MS-OXCROPS 3.2.5.1: a ROP input buffer the server cannot parse fails the RPC with ecRpcFormat
      return failCall(e instanceof RopFormatError ? e : new RopFormatError('OC_ROP_DECODE', `${codec.name}: ${describeError(e)}`));
    }
    processed++;

    last = undefined;
    if (!codec.hasResponse) {
      // RopRelease: frees the object and its children; an empty or stale slot is ignored (no response to carry an ec)
      const idx = req.InputHandleIndex;
      if (idx < nHandles && table[idx] !== NO_HANDLE) state.release(table[idx]!);
      continue;
    }

    // "fill what fits" ROPs (RopReadStream, RopQueryRows, ...) get the room left minus what a RopBufferTooSmall for
    // the requests after them would need, so those are handed back rather than cut (MS-OXCROPS 2.2.15.1); when that
    // reserve would leave less than MIN_FILL_SPACE the ROP gets the whole room (a near-empty read looks like an end)
    const room = budget - (w.pos - 2);
    const reserve = r.pos < ropSize ? BUFFER_TOO_SMALL_HEAD + (ropSize - r.pos) : 0;
    const space = room - reserve >= MIN_FILL_SPACE ? room - reserve : room;
    const { res, created } = await runOne(codec, req, resolve, table, opts, space);

    const mark = w.pos;
    let encoded = encodeResponse(codec, w, res, cctx, req, log);
    if (!encoded) {
      // the handler's body did not encode: answer the bare failure
      w.pos = mark;
      if (created) disposeUnbound(created, log);
      encoded = encodeResponse(codec, w, { RopId: ropId, HandleIndex: res.HandleIndex, ReturnValue: ec.Error }, cctx, req, log);
      if (!encoded) {
        w.pos = mark;
        stopped = 'unknownRop';
        break;
      }
    }
    const used = w.pos - 2;
    if (used > budget) {
      // MS-OXCROPS 2.2.15.1: the response does not fit; hand the client back the requests from this one on
      const sizeNeeded = w.pos - mark;
      w.pos = mark;
      if (created) disposeUnbound(created, log);
      const tail = buf.subarray(start, ropSize);
      if (mark - 2 + BUFFER_TOO_SMALL_HEAD + tail.length <= budget) {
        w.u8(ROP_BUFFER_TOO_SMALL).u16(Math.min(sizeNeeded, 0xffff)).bytes(tail);
      } else {
        log.warn({ rop: codec.name, tail: tail.length }, 'no room even for RopBufferTooSmall; responses cut');
      }
      processed--;
      stopped = 'bufferTooSmall';
      break;
    }
    if (created) {
      if (res.ReturnValue === ec.Success) {
        const h = state.handles.add(created)!; // room checked before the handler ran
        table[req.OutputHandleIndex!] = h;
        boundHere.push(h);
        if (created.kind === 'logon') {
          // MS-OXCROPS: a RopLogon on a LogonId in use replaces that logon; the old one and its objects go
          const old = state.logons.get(created.logonId);
          const oldHandle = old && old !== created ? state.handles.handleOf(old) : undefined;
          if (oldHandle !== undefined) state.release(oldHandle);
          state.logons.set(created.logonId, created);
        }
      } else {
        disposeUnbound(created, log);
      }
    }
    if (ropChannel.hasSubscribers) ropChannel.publish({ ropId, name: codec.name, logonId: req.LogonId, returnValue: res.ReturnValue });
    last = { codec, request: req, requestBytes: buf.subarray(start, r.pos), response: res };
  }

  w.patchU16(0, w.pos);
  for (const h of table) w.u32(h);
  // the writer's buffer as it is when mostly used (a big response: no 32 KB copy), else a copy of what was written
  const output = w.pos * 4 >= w.buf.length * 3 ? w.result() : Buffer.from(w.result());
  if (stopped) return { ok: true, output, processed, stopped };
  return { ok: true, output, processed, ...(last ? { last } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Response chaining (MS-OXCRPC 3.1.4.2 pulFlags Chain, example 4.3): when the client allows it and the last ROP of
// the buffer is one that streams (RopQueryRows with EnablePackedBuffers, RopReadStream,
// RopFastTransferSourceGetBuffer), the server runs that ROP again for each further payload of rgbOut, each payload a
// whole ROP output buffer (RopSize, the response, the handle table), until the ROP is done, the client's request is
// satisfied, or pcbOut is used up. What "done" means is read from the response with the codecs' field names.

export interface LastRop {
  codec: AnyRopCodec;
  request: RopRequestHeader;
  /** The request as it came (a view into the payload). */
  requestBytes: Buffer;
  response: RopResponse;
}

export interface ChainState {
  codec: AnyRopCodec;
  request: RopRequestHeader & Record<string, unknown>;
  /** Rows (RopQueryRows) or bytes (RopReadStream) delivered so far. */
  delivered: number;
}

const QUERY_ROWS = 0x15;
const READ_STREAM = 0x2c;
/** RopFastTransferSourceGetBuffer. */
export const FT_SOURCE_GET_BUFFER = 0x4e;
/** MS-OXCTABL 2.2.2.5.1 QueryRowsFlags EnablePackedBuffers. */
const ENABLE_PACKED_BUFFERS = 0x02;
/** MS-OXCTABL 2.2.2.1.1 BOOKMARK_BEGINNING / BOOKMARK_END. */
const BOOKMARK_BEGINNING = 0x00;
const BOOKMARK_END = 0x02;
/** MS-OXCFXICS 2.2.3.1.1.5.1 TransferStatus Partial. */
const TRANSFER_STATUS_PARTIAL = 0x0001;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const byteLength = (v: unknown): number => (v instanceof Uint8Array ? v.length : 0);

/** Updates `state` with one more response of the chained ROP; false when nothing more is to be fetched. */
function chainContinues(state: ChainState, res: RopResponse & Record<string, unknown>): boolean {
  if (res.ReturnValue !== 0) return false;
  const q = state.request;
  switch (state.codec.RopId) {
    case QUERY_ROWS: {
      const n = num(res.RowCount);
      state.delivered += n;
      const atEnd = num(q.ForwardRead) ? res.Origin === BOOKMARK_END : res.Origin === BOOKMARK_BEGINNING;
      return n > 0 && !atEnd && state.delivered < num(q.RowCount);
    }
    case READ_STREAM: {
      const n = byteLength(res.Data);
      state.delivered += n;
      const max = q.ByteCount === 0xbabe ? num(q.MaximumByteCount) : num(q.ByteCount);
      return n > 0 && state.delivered < max;
    }
    case FT_SOURCE_GET_BUFFER:
      return res.TransferStatus === TRANSFER_STATUS_PARTIAL;
    default:
      return false;
  }
}

/** The chain that follows a buffer's last ROP, or null when that ROP does not chain or is already done. */
export function startChain(last: LastRop): ChainState | null {
  const q = last.request as RopRequestHeader & Record<string, unknown>;
  const id = last.codec.RopId;
  if (id !== QUERY_ROWS && id !== READ_STREAM && id !== FT_SOURCE_GET_BUFFER) return null;
  if (id === QUERY_ROWS && (num(q.QueryRowsFlags) & ENABLE_PACKED_BUFFERS) === 0) return null;
  const state: ChainState = { codec: last.codec, request: q, delivered: 0 };
  return chainContinues(state, last.response as RopResponse & Record<string, unknown>) ? state : null;
}

/** The request bytes for the next round of a chain: the same ROP asking for what is still wanted. */
export function nextChainedRequest(state: ChainState, codePage: number): Buffer {
  const q = { ...state.request };
  if (state.codec.RopId === QUERY_ROWS) q.RowCount = num(q.RowCount) - state.delivered;
  if (state.codec.RopId === READ_STREAM) {
    if (q.ByteCount === 0xbabe) q.MaximumByteCount = num(q.MaximumByteCount) - state.delivered;
    else q.ByteCount = num(q.ByteCount) - state.delivered;
  }
  const w = new RopWriter(64);
  state.codec.encodeRequest(w, q, { codePage });
  return Buffer.from(w.result());
}

/** After a chained round: whether another one is wanted (updates the state). */
export function advanceChain(state: ChainState, last: LastRop | undefined): boolean {
  if (!last || last.codec.RopId !== state.codec.RopId) return false;
  return chainContinues(state, last.response as RopResponse & Record<string, unknown>);
}

/** Whether a chained round's response is worth sending (it carries rows, bytes or a transfer buffer). */
export function chainedResponseUseful(last: LastRop | undefined): boolean {
  if (!last || last.response.ReturnValue !== 0) return false;
  const res = last.response as RopResponse & Record<string, unknown>;
  switch (last.codec.RopId) {
    case QUERY_ROWS:
      return num(res.RowCount) > 0;
    case READ_STREAM:
      return byteLength(res.Data) > 0;
    default:
      return true;
  }
}

interface Ran {
  res: RopResponse;
  created: ServerObject | undefined;
}

async function runOne<Session>(
  codec: AnyRopCodec,
  req: RopRequestHeader,
  resolve: (index: number | undefined) => ServerObject | undefined,
  table: number[],
  opts: DispatchOptions<Session>,
  outputSpace: number,
): Promise<Ran> {
  const ropId = codec.RopId;
  const HandleIndex = codec.responseHandleIndex(req);
  const fail = (ReturnValue: number, body?: Record<string, unknown>): Ran => failed(ropId, HandleIndex, ReturnValue, body);
  const { state, registry, log } = opts;

  // MS-OXCROPS 3.2.5.x / 3.1.4: the input object must exist
  let input: ServerObject;
  if (req.InputHandleIndex === undefined) {
    input = NO_INPUT;
  } else {
    const o = resolve(req.InputHandleIndex);
    if (!o) return fail(ec.NullObject);
    input = o;
  }
  // ROPs with a second handle (RopMoveCopyMessages, RopMoveFolder, RopCopyFolder, RopCopyProperties, RopCopyTo ...)
  const dest = (req as { DestHandleIndex?: unknown }).DestHandleIndex;
  if (typeof dest === 'number' && !resolve(dest)) return fail(ec.DstNullObject, { DestHandleIndex: dest });

  const entry = registry.handler(ropId);
  if (!entry) return fail(ec.NotImplemented);
  if (entry.inputKinds !== 'any' && input !== NO_INPUT && !entry.inputKinds.includes(input.kind)) return fail(ec.NotSupported);
  if (codec.createsObject) {
    const out = req.OutputHandleIndex;
    if (out === undefined || out >= table.length) return fail(ec.NullObject);
    if (state.handles.full) {
      log.info({ rop: codec.name, objects: state.handles.size }, 'per-session object limit reached');
      return fail(ec.MAPIOOM);
    }
  }

  const ctx: RopContext = {
    session: opts.session,
    logon: state.logons.get(req.LogonId),
    input,
    resolve,
    codePage: opts.codePage,
    outputSpace,
    log,
  };
  let result: RopResult;
  try {
    const r = entry.handle(req, ctx);
    result = r instanceof Promise ? await r : r;
  } catch (e) {
    log.error({ rop: codec.name, err: describeError(e) }, 'ROP handler failed');
    return fail(ec.Error);
  }
  const ReturnValue = result.ec >>> 0;
  // the handler's body and the response prefix: Object.assign, as an object spread here (bodies of every shape pass
  // through) took half the CPU time of a 20 x RopGetPropertiesSpecific buffer in bench/rop-real.ts
  const res = Object.assign({}, result.response) as RopResponse;
  res.RopId = ropId;
  res.HandleIndex = HandleIndex;
  res.ReturnValue = ReturnValue;
  if (ReturnValue !== ec.Success && log.isLevelEnabled?.('debug')) log.debug({ rop: codec.name, ec: ecName(ReturnValue) }, 'ROP failed');
  return { res, created: result.created };
}

function failed(RopId: number, HandleIndex: number, ReturnValue: number, body?: Record<string, unknown>): Ran {
  return { res: { RopId, HandleIndex, ReturnValue, ...body }, created: undefined };
}

function encodeResponse(codec: AnyRopCodec, w: RopWriter, res: RopResponse, cctx: CodecContext, req: RopRequestHeader, log: Logger): boolean {
  try {
    codec.encodeResponse(w, res, cctx, req);
    return true;
  } catch (e) {
    log.error({ rop: codec.name, err: describeError(e) }, 'ROP response did not encode');
    return false;
  }
}

function disposeUnbound(o: ServerObject, log: Logger): void {
  try {
    o.dispose?.();
  } catch (e) {
    log.warn({ err: describeError(e) }, 'dispose of an unbound object failed');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers to build and read ROP payloads (tests, the bench, the in-process runner)

/** A request payload: RopSize, the request buffers back to back, the handle table. */
export function buildRopBuffer(requests: readonly Uint8Array[], handles: readonly number[]): Buffer {
  const ropLen = requests.reduce((n, b) => n + b.length, 0);
  const out = Buffer.alloc(2 + ropLen + 4 * handles.length);
  out.writeUInt16LE(2 + ropLen, 0);
  let off = 2;
  for (const b of requests) {
    out.set(b, off);
    off += b.length;
  }
  for (const h of handles) {
    out.writeUInt32LE(h >>> 0, off);
    off += 4;
  }
  return out;
}

/** Splits a response payload into the response bytes (after RopSize) and the handle table. */
export function splitRopBuffer(payload: Uint8Array): { rops: Buffer; handles: number[] } {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length < 2) throw new RopFormatError('OC_ROP_NO_ROPSIZE', 'no RopSize');
  const ropSize = buf.readUInt16LE(0);
  if (ropSize < 2 || ropSize > buf.length || (buf.length - ropSize) % 4 !== 0) throw new RopFormatError('OC_ROP_BAD_ROPSIZE', `RopSize ${ropSize}`);
  const handles: number[] = [];
  for (let o = ropSize; o < buf.length; o += 4) handles.push(buf.readUInt32LE(o));
  return { rops: buf.subarray(2, ropSize), handles };
}

/** Encodes requests with their codecs (the inverse direction) into a payload. */
export function encodeRopRequests(
  registry: RopRegistry,
  requests: ReadonlyArray<RopRequestHeader & Record<string, unknown>>,
  handles: readonly number[],
  codePage = 1252,
): Buffer {
  const parts = requests.map((req) => {
    const codec = registry.codec(req.RopId);
    if (!codec) throw new RopFormatError('OC_ROP_UNKNOWN', `no codec for RopId 0x${req.RopId.toString(16)}`);
    const w = new RopWriter(64);
    codec.encodeRequest(w, req, { codePage });
    return Buffer.from(w.result());
  });
  return buildRopBuffer(parts, handles);
}

/** A small in-process EMSMDB stand-in: one session's ROP state, run buffers through the dispatcher (tests, bench). */
export class RopRunner<Session = unknown> {
  readonly state: RopSessionState;

  constructor(
    readonly registry: RopRegistry,
    private readonly opts: { session: Session; codePage?: number; log: Logger; maxObjects?: number; maxOutput?: number },
  ) {
    this.state = new RopSessionState(opts.maxObjects ?? 4096);
  }

  run(payload: Uint8Array, maxOutput = this.opts.maxOutput ?? 0x8000): Promise<DispatchResult> {
    return dispatchRopBuffer(payload, {
      registry: this.registry,
      state: this.state,
      session: this.opts.session,
      codePage: this.opts.codePage ?? 1252,
      log: this.opts.log,
      maxOutput,
    });
  }
}
