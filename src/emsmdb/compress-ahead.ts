// Compress-ahead for FastTransfer downloads (Cached Exchange Mode syncs, copy operations): while the client reads one
// EcDoRpcExt2 response of RopFastTransferSourceGetBuffer payloads, the server predicts the payloads the client's next,
// identical request will get and LZ77-compresses them (MS-OXCRPC 3.1.4.1.1.2), so that the next response only has
// to be sealed and sent. LZ77 is most of the CPU a chained response costs.
//
// The prediction only reads: it walks the stream bytes the producer has ready (its read-ahead, writer.ts peek()) as
// the next GetBuffer calls would hand them out, and builds each payload as dispatchRopBuffer and the GetBuffer
// handler would (RopSize, the response, the handle table), with the sizes the response chaining would give them
// (emsmdb.ts chainResponses: each payload at most 32 KB, the compressed ones adding up within pcbOut). Nothing is
// handed out and no state changes. A prediction is used only for a payload whose bytes are exactly the predicted ones:
// the compressed form depends on nothing else, so a wrong guess (another request, another size, a changed stream)
// costs the CPU spent and nothing more; the first payload that differs drops the rest of the prediction.
// Only requests of exactly one RopFastTransferSourceGetBuffer are predicted (what a client downloading sends).
import type { Logger } from 'pino';
import { RopReader, RopWriter } from '../mapi/buffer.js';
import { FT_SOURCE_GET_BUFFER as GET_BUFFER, type RopSessionState } from '../rop/dispatch.js';
import { isFxSourceLike } from '../rop/fxics/source.js';
import { effectiveBufferSize, TransferStatus, type FxBuffer } from '../rop/fxics/writer.js';
import { GET_BUFFER_HEAD } from '../rop/handlers/oxcfxics-copy.js';
import type { AnyRopCodec, RopRegistry } from '../rop/registry.js';
import { MAX_CHAINED_PAYLOADS, MAX_PAYLOAD_SIZE, payloadData, RPC_HEADER_EXT_SIZE } from './extbuf.js';


/** The payloads predicted for the next request, in order, with the bytes each travels as. */
export class CompressedAhead {
  /** data null: the payload travels as it is (compressing did not shrink it). */
  private items: Array<{ payload: Buffer; data: Uint8Array | null }> = [];
  private next = 0;
  private stopped = false;
  /** Payloads taken from the prediction / payloads that differed from it (tests, logs). */
  hits = 0;
  misses = 0;

  /** Stops predicting (the next request has come); what was predicted stays usable. */
  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Payloads predicted (whether or not used since). */
  size = 0;

  /** A predicted payload and what payloadData made of it. */
  add(payload: Buffer, data: Uint8Array): void {
    this.items.push({ payload, data: data === payload ? null : data });
    this.size++;
  }

  /**
   * What payloadData(p) gives (the compressed bytes, or `p` itself) when `p` is exactly the payload predicted next;
   * otherwise undefined, and the rest of the prediction is dropped (it followed from a different payload).
   */
  take(p: Uint8Array): Uint8Array | undefined {
    const it = this.items[this.next];
    if (!it) return undefined;
    if (it.payload.length === p.length && it.payload.equals(p)) {
      this.next++;
      this.hits++;
      return it.data ?? p;
    }
    this.misses++;
    this.items = [];
    this.next = 0;
    return undefined;
  }
}

export interface AheadRequest {
  /** The client's ROP buffer (RopSize, ROP requests, handle table), as dispatched. */
  rops: Buffer;
  pcbOut: number;
  /** The client set Chain: the response carries further payloads while pcbOut has room. */
  chain: boolean;
}

export interface AheadDeps {
  registry: RopRegistry;
  state: RopSessionState;
  codePage: number;
  log: Logger;
}

/**
 * Predicts and compresses the payloads of the next request if it repeats `req` (see the header comment), one payload
 * per turn of the event loop, until `ahead` is stopped, the prediction is complete, or the producer has no more bytes
 * ready. Never rejects.
 */
export async function compressAhead(ahead: CompressedAhead, req: AheadRequest, deps: AheadDeps): Promise<void> {
  try {
    await predict(ahead, req, deps);
  } catch (e) {
    deps.log.debug({ err: e instanceof Error ? e.message : String(e) }, 'compress-ahead stopped');
  }
}

async function predict(ahead: CompressedAhead, req: AheadRequest, deps: AheadDeps): Promise<void> {
  const buf = req.rops;
  if (buf.length < 3 || buf[2] !== GET_BUFFER) return;
  const ropSize = buf.readUInt16LE(0);
  if (ropSize < 3 || ropSize > buf.length || (buf.length - ropSize) % 4 !== 0) return;
  const codec = deps.registry.codec(GET_BUFFER);
  if (!codec) return;
  const cctx = { codePage: deps.codePage, logonOpenFlags: () => undefined };
  const r = new RopReader(buf, 2, ropSize);
  const q = codec.decodeRequest(r, cctx) as { InputHandleIndex: number; BufferSize: number; MaximumBufferSize?: number };
  if (r.pos !== ropSize) return; // more than the one ROP
  const nHandles = (buf.length - ropSize) / 4;
  const table: number[] = [];
  for (let i = 0; i < nHandles; i++) table.push(buf.readUInt32LE(ropSize + 4 * i));
  if (q.InputHandleIndex >= nHandles) return;
  const obj = deps.state.handles.get(table[q.InputHandleIndex]!);
  if (!isFxSourceLike(obj) || !obj.peekProducer) return;
  const producer = obj.peekProducer();
  if (!producer) return;
  const tick = () => new Promise<void>((res) => setImmediate(res));
  await tick(); // the response goes out first
  if (ahead.isStopped) return;

  const cursor = producer.peekCursor();
  const handleIndex = codec.responseHandleIndex(q);
  // One payload as dispatchRopBuffer makes it for this request alone, with `maxOutput` for RopSize + response +
  // handles. The read-ahead runs in slices between these turns: a payload whose bytes are not ready yet is tried again
  // after the next slice (so the next reply's payloads are compressed as their bytes come, before the read-ahead goes
  // on to the reply after it).
  const payloadFor = async (maxOutput: number): Promise<{ payload: Buffer; fx: FxBuffer } | null> => {
    const budget = maxOutput - 2 - 4 * nHandles;
    if (budget < 0) return null;
    const size = effectiveBufferSize(q.BufferSize, q.MaximumBufferSize, Math.min(Math.max(0, budget - GET_BUFFER_HEAD), 0xffff));
    for (;;) {
      const fx = producer.peek(cursor, size);
      if (fx) {
        const payload = encodePayload(codec, q, handleIndex, fx, table, cctx, budget);
        return payload ? { payload, fx } : null;
      }
      if (!producer.readingAhead) return null;
      await tick();
      if (ahead.isStopped) return null;
    }
  };

  let p = await payloadFor(Math.min(req.pcbOut - RPC_HEADER_EXT_SIZE, MAX_PAYLOAD_SIZE));
  if (!p) return;
  let data = payloadData(p.payload, true);
  ahead.add(p.payload, data);
  if (!req.chain) return;
  let used = RPC_HEADER_EXT_SIZE + data.length;
  let count = 1;
  // the chained request is this ROP again (emsmdb.ts chainResponses: buildRopBuffer of nextChainedRequest)
  const chainedLength = ropSize + 4 * nHandles;
  while (p.fx.TransferStatus === TransferStatus.Partial && count < MAX_CHAINED_PAYLOADS) {
    await new Promise<void>((res) => setImmediate(res));
    if (ahead.isStopped) return;
    const room = Math.min(MAX_PAYLOAD_SIZE, req.pcbOut - used - RPC_HEADER_EXT_SIZE);
    if (room < chainedLength + 16) return;
    p = await payloadFor(room);
    if (!p) return;
    data = payloadData(p.payload, true);
    ahead.add(p.payload, data);
    used += RPC_HEADER_EXT_SIZE + data.length;
    count++;
  }
}

/** RopSize, the GetBuffer response for `fx`, the handle table: the bytes dispatchRopBuffer returns for it. */
function encodePayload(
  codec: AnyRopCodec, q: unknown, handleIndex: number, fx: FxBuffer, table: readonly number[], cctx: { codePage: number }, budget: number,
): Buffer | null {
  // RopSize + response + handle table, written into a buffer of that size (the result is a view of it)
  const w = new RopWriter(2 + GET_BUFFER_HEAD + fx.TransferBuffer.length + 4 * table.length);
  w.u16(0);
  codec.encodeResponse(
    w,
    {
      RopId: GET_BUFFER,
      HandleIndex: handleIndex,
      ReturnValue: 0,
      TransferStatus: fx.TransferStatus,
      InProgressCount: fx.InProgressCount,
      TotalStepCount: fx.TotalStepCount,
      Reserved: 0,
      TransferBuffer: fx.TransferBuffer,
    },
    cctx as never,
    q as never,
  );
  if (w.pos - 2 > budget) return null;
  w.patchU16(0, w.pos);
  for (const h of table) w.u32(h);
  return w.result();
}
