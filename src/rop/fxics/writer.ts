// MS-OXCFXICS 2.2.4.1 / 3.2.5.8.1.5 producing a FastTransfer stream for RopFastTransferSourceGetBuffer: a lazy,
// pull-based producer. The stream comes from an (async) iterable of source items (elements, raw bytes, streamed
// values, progress notes) or batches of them; each getBuffer(n) call pulls just enough items to fill at most n
// bytes, plus at most one item of read-ahead (to answer Done rather than Partial when the last bytes fill the
// buffer exactly). Only the current element's encoding is held (a streamed value not even that: it is read
// piecewise from its source); progress notes met in the read-ahead already count for the buffer being returned.
//
// Where a buffer may end: TransferStatus Partial (2.2.3.1.1.5.2) points to 2.2.4.1, whose lexical structure exists
// "to let its producers and consumers agree on rules that govern splitting of the stream". Our reading, the
// conservative one: never inside a terminal token - a marker, a propTag with its namedPropInfo, a fixed-size value,
// a length or count field; only the bytes of a variable-size value (string, binary, each var-size element of a
// multi-valued one) are split, at any byte, except a PtypString's UTF-16 bytes, split only at even offsets. (The
// parser accepts splits anywhere, as a consumer must.)
// Choice where the spec leaves room: when not even the next atomic element fits into an empty buffer, getBuffer
// returns no bytes with TransferStatus NoRoom (the "MAY" of MS-OXCFXICS 2.2.3.1.1.5.2) and the caller may retry with
// a larger buffer; nothing is lost.
// An exception from the source or the encoder ends the stream: TransferStatus Error, no bytes, the exception in
// `error` (the ROP handler logs it once and turns it into ReturnValue).
import { PT, propId } from '../../mapi/props.js';
import type { PropertyName } from '../../mapi/named.js';
import { encodeMarker, encodeNamedPropInfo, encodeProp, FxStreamError, NamedPropMapper, type FxElement, type FxEncodeOptions, type FxProp, type FxSegment, type NamedPropResolver } from './props.js';
import { isMarker } from './markers.js';

/** MS-OXCFXICS 2.2.3.1.1.5.2 TransferStatus. */
export const TransferStatus = {
  Error: 0x0000,
  Partial: 0x0001,
  NoRoom: 0x0002,
  Done: 0x0003,
} as const;
export type TransferStatusValue = (typeof TransferStatus)[keyof typeof TransferStatus];

/** Bytes copied into the stream as they are (`atomic`: never split; default false = may be split anywhere). */
export interface FxRaw {
  kind: 'raw';
  bytes: Uint8Array;
  atomic?: boolean;
}

/**
 * A variable-size property value read piecewise from its source (a large body or attachment data): written as
 * propTag [namedPropInfo] length(u32 = `length`) then the bytes from `read`. `tag` gives the wire type as is (no
 * string conversion: the bytes must already be the wire form, NUL terminator included for strings).
 */
export interface FxPropStream {
  kind: 'propStream';
  tag: number;
  name?: PropertyName;
  length: number;
  /** Up to `max` bytes from `offset`; must return at least one byte while offset < length. */
  read(offset: number, max: number): Promise<Uint8Array>;
}

/** Progress of the operation (no bytes): reported in InProgressCount / TotalStepCount of following buffers. */
export interface FxProgress {
  kind: 'progress';
  inProgressCount: number;
  totalStepCount: number;
}

/** What a content producer yields. */
export type FxSourceItem = FxElement | FxRaw | FxPropStream | FxProgress;
/**
 * One yield of a source: an item, or a batch of items (e.g. all properties of one object): an async generator
 * costs about a microsecond per yield, so a producer that yields batches is several times faster.
 */
export type FxSourceYield = FxSourceItem | readonly FxSourceItem[];

export interface FxWriterOptions extends FxEncodeOptions {
  /** Names of named properties (Store.getNames); without it a named property lacking `name` is an error. */
  names?: NamedPropResolver | NamedPropMapper;
  /**
   * What to do with a property the stream cannot carry (no FastTransfer type, or a named id without a name):
   * 'skip' (default) drops it, 'error' ends the stream with TransferStatus Error.
   */
  unencodable?: 'skip' | 'error';
  /** Called for each dropped property (for a log line). */
  onSkip?: (tag: number, reason: string) => void;
  /**
   * Read-ahead: after a Partial buffer, keep producing (encoding, not handing out) up to this many bytes of the
   * stream while the client is busy with what it got, in slices that yield to the event loop; the next getBuffer
   * stops it and starts from what is ready. 0 or absent: produce only on demand. Streamed values (FxPropStream)
   * are not read ahead.
   */
  readAhead?: number;
}

/** One RopFastTransferSourceGetBuffer answer. */
export interface FxBuffer {
  TransferStatus: TransferStatusValue;
  InProgressCount: number;
  TotalStepCount: number;
  TransferBuffer: Buffer;
  /** With TransferStatus Error: what went wrong. */
  error?: unknown;
}

/** Where peek() stands: a piece index, the offset in that piece, and the progress counts reached. */
export interface FxPeekCursor {
  i: number;
  off: number;
  inProgress: number;
  total: number;
}

/** Lazy piece of a streamed value. */
interface LazySeg {
  lazy: FxPropStream;
  /** Bytes of the value handed out so far. */
  offset: number;
  /** Split granularity (2 for PtypString). */
  align: number;
  /** Bytes read but not yet handed out (at most align - 1). */
  carry: Buffer;
}
/** A progress note queued behind the bytes produced before it (read-ahead): applied when the reader reaches it. */
interface ProgressPiece {
  progress: FxProgress;
}
type Piece = FxSegment | LazySeg | ProgressPiece;

/** A GetBuffer answer of `out`'s bytes with the progress counts (Done reports every step as done). */
function fxBuffer(status: TransferStatusValue, inProgress: number, total: number, out: Buffer[]): FxBuffer {
  const r: FxBuffer = {
    TransferStatus: status,
    InProgressCount: Math.min(0xffff, inProgress),
    TotalStepCount: Math.min(0xffff, total),
    TransferBuffer: out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out),
  };
  if (status === TransferStatus.Done) r.InProgressCount = r.TotalStepCount;
  return r;
}

/** Bytes produced ahead between two yields to the event loop (other sessions' requests are not held up longer). */
const AHEAD_SLICE = 0x8000;

/**
 * The BufferSize a RopFastTransferSourceGetBuffer call may fill: BufferSize itself, or for the 0xBABE sentinel
 * min(MaximumBufferSize, room) where `room` is what the ROP output buffer has left (MS-OXCFXICS 3.2.5.8.1.5).
 */
export function effectiveBufferSize(BufferSize: number, MaximumBufferSize: number | undefined, room: number): number {
  if (BufferSize === 0xbabe) return Math.max(0, Math.min(MaximumBufferSize ?? room, room));
  return Math.max(0, Math.min(BufferSize, room));
}

/** The lazy FastTransfer stream producer of one download context. */
export class FxStreamProducer {
  private readonly it: Iterator<FxSourceYield> | AsyncIterator<FxSourceYield>;
  private queued: readonly FxSourceItem[] = [];
  private qi = 0;
  private readonly mapper: NamedPropMapper | undefined;
  /**
   * Pieces not yet handed out are pieces[ph..pn) (indexes, not shift(): read-ahead queues thousands; the array is
   * kept and its slots written again, not grown anew for every buffer).
   */
  private pieces: Piece[] = [];
  private ph = 0;
  private pn = 0;
  /** Bytes in pieces[ph..] not yet handed out (streamed values count their whole remaining length). */
  private buffered = 0;
  /** The read-ahead in progress, its stop request, and a source failure it met (thrown when the reader gets there). */
  private ahead: Promise<void> | undefined = undefined;
  private stopAhead = false;
  private aheadScheduled = false;
  private aheadFailure: { e: unknown } | undefined = undefined;
  private closed = false;
  private finished = false;
  private failed: unknown = undefined;
  private inProgress = 0;
  private total = 0;
  /** Bytes produced so far. */
  produced = 0;

  constructor(
    source: Iterable<FxSourceYield> | AsyncIterable<FxSourceYield>,
    private readonly opts: FxWriterOptions,
  ) {
    this.it = Symbol.asyncIterator in source ? (source as AsyncIterable<FxSourceYield>)[Symbol.asyncIterator]() : (source as Iterable<FxSourceYield>)[Symbol.iterator]();
    const n = opts.names;
    this.mapper = n === undefined ? undefined : n instanceof NamedPropMapper ? n : new NamedPropMapper(n);
  }

  /** True once the last buffer (Done) or an Error has been handed out. */
  get done(): boolean {
    return (this.finished && this.ph === this.pn) || this.failed !== undefined;
  }

  /** Bytes produced ahead and not yet handed out (tests, logs). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  private dropFirst(): void {
    this.pieces[this.ph++] = undefined as unknown as Piece;
    if (this.ph === this.pn) {
      this.ph = 0;
      this.pn = 0;
    } else if (this.ph >= 1024 && this.ph * 2 >= this.pn) {
      this.pieces.copyWithin(0, this.ph, this.pn);
      this.pieces.fill(undefined as unknown as Piece, this.pn - this.ph, this.pn);
      this.pn -= this.ph;
      this.ph = 0;
    }
  }

  private push(piece: Piece): void {
    this.pieces[this.pn++] = piece;
    if ('lazy' in piece) this.buffered += piece.lazy.length - piece.offset;
    else if ('bytes' in piece) this.buffered += piece.bytes.length - piece.off;
  }

  /** Progress notes at the head of the queue count for the buffer being returned (they precede what follows). */
  private takeProgress(): void {
    while (this.ph < this.pn) {
      const p = this.pieces[this.ph] as Piece;
      if (!('progress' in p)) return;
      this.inProgress = p.progress.inProgressCount;
      this.total = p.progress.totalStepCount;
      this.dropFirst();
    }
  }

  /** The next portion of at most `max` bytes (see the header comment for where it ends). */
  async getBuffer(max: number): Promise<FxBuffer> {
    if (this.ahead) {
      this.stopAhead = true;
      await this.ahead;
      this.stopAhead = false;
    }
    const b = await this.fill(max);
    if (b.TransferStatus === TransferStatus.Partial && (this.opts.readAhead ?? 0) > 0) this.scheduleAhead();
    return b;
  }

  private async fill(max: number): Promise<FxBuffer> {
    if (this.failed !== undefined) return this.answer(TransferStatus.Error, [], this.failed);
    const out: Buffer[] = [];
    let room = Math.max(0, Math.floor(max));
    if (room === 0 && !this.done) return this.answer(TransferStatus.NoRoom, out);
    try {
      for (;;) {
        if (this.ph === this.pn) {
          if (this.finished) return this.answer(TransferStatus.Done, out);
          const pending = this.pull();
          if (pending) await pending;
          // full: stop after at most one element of read-ahead (enough to tell Partial from Done)
          if (room === 0 && !this.finished && this.ph < this.pn) break;
          continue;
        }
        const p = this.pieces[this.ph] as Piece;
        if ('progress' in p) {
          this.takeProgress();
          continue;
        }
        if ('lazy' in p) {
          const left = p.lazy.length - p.offset;
          if (left <= 0) {
            this.dropFirst();
            continue;
          }
          if (room === 0) break;
          let want = Math.min(room, left);
          if (want < left && p.align > 1) want -= want % p.align;
          if (want === 0) {
            if (out.length === 0) return this.answer(TransferStatus.NoRoom, out);
            break;
          }
          let got = p.carry;
          const need = want - got.length;
          if (need > 0) {
            const b = await p.lazy.read(p.offset + got.length, need);
            if (b.length === 0) throw new FxStreamError('OC_FX_SHORT_SOURCE', `streamed value 0x${(p.lazy.tag >>> 0).toString(16)} ended at ${p.offset + got.length} of ${p.lazy.length} bytes`);
            const fresh = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, need));
            got = got.length === 0 ? fresh : Buffer.concat([got, fresh]);
          }
          // a short read may end inside a UTF-16 code unit: keep that byte for the next piece
          let emit = got.length;
          if (emit < left && p.align > 1) emit -= emit % p.align;
          p.carry = Buffer.from(got.subarray(emit));
          if (emit === 0) continue;
          out.push(got.subarray(0, emit));
          room -= emit;
          p.offset += emit;
          this.buffered -= emit;
          continue;
        }
        const left = p.bytes.length - p.off;
        if (left === 0) {
          this.dropFirst();
          continue;
        }
        if (p.atomic) {
          if (left > room) {
            if (out.length === 0) return this.answer(TransferStatus.NoRoom, out);
            break;
          }
          out.push(p.off === 0 ? p.bytes : p.bytes.subarray(p.off));
          room -= left;
          this.buffered -= left;
          this.dropFirst();
          continue;
        }
        let n = Math.min(room, left);
        const align = p.align;
        if (n < left && align > 1) n -= n % align;
        if (n === 0) {
          if (out.length === 0) return this.answer(TransferStatus.NoRoom, out);
          break;
        }
        out.push(p.bytes.subarray(p.off, p.off + n));
        p.off += n;
        room -= n;
        this.buffered -= n;
      }
    } catch (e) {
      this.failed = e;
      this.clearPieces();
      return this.answer(TransferStatus.Error, [], e);
    }
    this.takeProgress();
    return this.answer(TransferStatus.Partial, out);
  }

  private clearPieces(): void {
    this.pieces = [];
    this.ph = 0;
    this.pn = 0;
    this.buffered = 0;
  }

  /** Starts the read-ahead once the current turn of the event loop (the reply being sent) is over. */
  private scheduleAhead(): void {
    if (this.aheadScheduled || this.ahead || this.finished || this.closed) return;
    this.aheadScheduled = true;
    setImmediate(() => {
      this.aheadScheduled = false;
      if (this.ahead || this.finished || this.closed || this.failed !== undefined) return;
      this.ahead = this.produceAhead().finally(() => {
        this.ahead = undefined;
      });
    });
  }

  /** Pulls source items until `readAhead` bytes wait or the reader asks to stop; never rejects. */
  private async produceAhead(): Promise<void> {
    const target = this.opts.readAhead ?? 0;
    let sliceEnd = this.buffered + AHEAD_SLICE;
    try {
      while (!this.stopAhead && !this.finished && this.aheadFailure === undefined && this.buffered < target) {
        const pending = this.pull();
        if (pending) await pending;
        if (this.buffered >= sliceEnd) {
          await new Promise<void>((r) => setImmediate(r));
          sliceEnd = this.buffered + AHEAD_SLICE;
        }
      }
    } catch (e) {
      this.aheadFailure = { e };
    }
  }

  /** A cursor at the next byte getBuffer would hand out, for peek(). */
  peekCursor(): FxPeekCursor {
    const first = this.ph < this.pn ? (this.pieces[this.ph] as Piece) : undefined;
    return { i: this.ph, off: first && 'bytes' in first ? first.off : 0, inProgress: this.inProgress, total: this.total };
  }

  /** True while a read-ahead is running or about to (it adds bytes peek() may then see). */
  get readingAhead(): boolean {
    return this.ahead !== undefined || this.aheadScheduled;
  }

  /**
   * What getBuffer(max) would answer from the cursor if called now, computed from the bytes already produced without
   * handing anything out (the cursor moves past the answer); null, with the cursor unchanged, when that cannot be told
   * without producing more (or reading a streamed value), or the answer would be NoRoom or Error. Synchronous, so a
   * read-ahead (which only adds pieces) may run between two calls. Only valid until the next getBuffer.
   */
  peek(c: FxPeekCursor, max: number): FxBuffer | null {
    if (this.failed !== undefined || this.closed) return null;
    let room = Math.max(0, Math.floor(max));
    if (room === 0) return null;
    let i = c.i;
    let off = c.off;
    let inProgress = c.inProgress;
    let total = c.total;
    const out: Buffer[] = [];
    const answer = (status: TransferStatusValue): FxBuffer => {
      c.i = i;
      c.off = off;
      c.inProgress = inProgress;
      c.total = total;
      return fxBuffer(status, inProgress, total, out);
    };
    const next = (): void => {
      i++;
      const p = i < this.pn ? (this.pieces[i] as Piece) : undefined;
      off = p && 'bytes' in p ? p.off : 0;
    };
    for (;;) {
      if (i >= this.pn) {
        if (this.finished) return answer(TransferStatus.Done);
        return null; // getBuffer would pull more from the source here
      }
      const p = this.pieces[i] as Piece;
      if ('progress' in p) {
        inProgress = p.progress.inProgressCount;
        total = p.progress.totalStepCount;
        next();
        continue;
      }
      if ('lazy' in p) return null;
      const left = p.bytes.length - off;
      if (left === 0) {
        next();
        continue;
      }
      if (p.atomic) {
        if (left > room) {
          if (out.length === 0) return null;
          break;
        }
        out.push(off === 0 ? p.bytes : p.bytes.subarray(off));
        room -= left;
        next();
        continue;
      }
      let n = Math.min(room, left);
      const align = p.align;
      if (n < left && align > 1) n -= n % align;
      if (n === 0) {
        if (out.length === 0) return null;
        break;
      }
      out.push(p.bytes.subarray(off, off + n));
      off += n;
      room -= n;
    }
    // progress notes right after the answer's last byte count for it (takeProgress)
    while (i < this.pn) {
      const p = this.pieces[i] as Piece;
      if (!('progress' in p)) break;
      inProgress = p.progress.inProgressCount;
      total = p.progress.totalStepCount;
      next();
    }
    return answer(TransferStatus.Partial);
  }

  /** Stops the source (RopRelease of the download context before Done). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ahead) {
      this.stopAhead = true;
      await this.ahead;
    }
    this.clearPieces();
    this.queued = [];
    if (!this.finished) {
      this.finished = true;
      await this.it.return?.();
    }
  }

  private answer(status: TransferStatusValue, out: Buffer[], error?: unknown): FxBuffer {
    const r = fxBuffer(status, this.inProgress, this.total, out);
    this.produced += r.TransferBuffer.length;
    if (error !== undefined) r.error = error;
    return r;
  }

  /**
   * Pulls the next source item and turns it into pieces. Synchronous (no promise, no microtask) for a sync source
   * and items that need no store call; a promise otherwise.
   */
  private pull(): Promise<void> | undefined {
    if (this.aheadFailure !== undefined) {
      const { e } = this.aheadFailure;
      this.aheadFailure = undefined;
      throw e;
    }
    if (this.qi < this.queued.length) return this.accept(this.queued[this.qi++] as FxSourceItem);
    const n = this.it.next();
    if (n instanceof Promise) return n.then((r) => this.acceptResult(r));
    return this.acceptResult(n);
  }

  private acceptResult(r: IteratorResult<FxSourceYield>): Promise<void> | undefined {
    if (r.done) {
      this.finished = true;
      return undefined;
    }
    const v = r.value;
    if (!Array.isArray(v)) return this.accept(v as FxSourceItem);
    // a batch: taken one item per pull, like single yields
    this.queued = v;
    this.qi = 0;
    return undefined;
  }

  private accept(item: FxSourceItem): Promise<void> | undefined {
    switch (item.kind) {
      case 'progress':
        if (this.ph === this.pn) {
          this.inProgress = item.inProgressCount;
          this.total = item.totalStepCount;
        } else {
          this.push({ progress: item });
        }
        return undefined;
      case 'raw':
        this.push({ bytes: Buffer.from(item.bytes.buffer, item.bytes.byteOffset, item.bytes.byteLength), atomic: item.atomic ?? false, align: 1, off: 0 });
        return undefined;
      case 'marker':
        this.push({ bytes: encodeMarker(item.tag), atomic: true, align: 1, off: 0 });
        return undefined;
      case 'propStream':
        if (propId(item.tag) < 0x8000 || item.name) return this.acceptStream(item, item.name);
        return this.nameFor(item.tag, undefined).then((name) => (name === null ? undefined : this.acceptStream(item, name)));
      case 'prop':
        if (propId(item.tag) < 0x8000 || item.name) return this.acceptProp(item);
        return this.nameFor(item.tag, undefined).then((name) => (name === null ? undefined : this.acceptProp({ ...item, name: name as PropertyName })));
    }
  }

  private acceptStream(item: FxPropStream, name: PropertyName | undefined): undefined {
    const info = name && propId(item.tag) >= 0x8000 ? encodeNamedPropInfo(name) : undefined;
    const head = Buffer.allocUnsafe(8 + (info ? info.length : 0));
    head.writeUInt32LE(item.tag >>> 0, 0);
    if (info) info.copy(head, 4);
    head.writeUInt32LE(item.length >>> 0, head.length - 4);
    const wide = (item.tag & 0xffff) === PT.UNICODE;
    this.push({ bytes: head, atomic: true, align: 1, off: 0 });
    this.push({ lazy: item, offset: 0, align: wide ? 2 : 1, carry: Buffer.alloc(0) });
    return undefined;
  }

  private acceptProp(item: FxProp): undefined {
    let segs: FxSegment[];
    try {
      segs = encodeProp(item, this.opts);
    } catch (e) {
      if (e instanceof FxStreamError && e.code === 'OC_FX_PROPTYPE' && (this.opts.unencodable ?? 'skip') === 'skip') {
        this.opts.onSkip?.(item.tag, e.message);
        return undefined;
      }
      throw e;
    }
    // encodeProp's segments are the pieces (fresh objects, with the split granularity of their value)
    for (let i = 0; i < segs.length; i++) this.push(segs[i]!);
    return undefined;
  }

  /** The name of a named tag: given, resolved, undefined (not named), or null (skip this property). */
  private async nameFor(tag: number, given: PropertyName | undefined): Promise<PropertyName | undefined | null> {
    if (propId(tag) < 0x8000 || isMarker(tag)) return undefined;
    if (given) return given;
    const n = this.mapper ? await this.mapper.toWire(propId(tag)) : undefined;
    if (n) return n;
    if ((this.opts.unencodable ?? 'skip') === 'skip') {
      this.opts.onSkip?.(tag, 'named property id without a name');
      return null;
    }
    throw new FxStreamError('OC_FX_NAME', `named property 0x${(tag >>> 0).toString(16)} has no name`);
  }
}

/** Drains a producer into one Buffer with buffers of `size` bytes (tests and small in-process streams). */
export async function produceAll(p: FxStreamProducer, size = 0x7fff_ffff): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const b = await p.getBuffer(size);
    parts.push(b.TransferBuffer);
    if (b.TransferStatus === TransferStatus.Done) return Buffer.concat(parts);
    if (b.TransferStatus === TransferStatus.Error) throw b.error;
    if (b.TransferStatus === TransferStatus.NoRoom) throw new FxStreamError('OC_FX_NOROOM', `a ${size}-byte buffer cannot hold the next element`);
  }
}
