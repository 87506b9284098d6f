// MS-OXCPRPT 1.3.3 / 3.2.5.13-26: the Stream server object behind RopOpenStream, and the small in-memory stream
// used for folder and store (logon) properties, which the store keeps inline (no PropStream there).
//
// Choices where the spec leaves room:
// - a stream keeps its own seek pointer (the store's PropStream is positionless); RopRelease without
//   RopCommitStream drops what was written (PropStream.close()), for every parent kind;
// - folder and logon streams hold the value in memory, bounded by MEMORY_STREAM_MAX (1 MiB): folder properties
//   opened as streams are small (MS-OXCPRPT 2.2.14 only requires PtypBinary there); RopCommitStream writes the value
//   back with setFolderProps / setStoreProps;
// - the stream error codes below are MS-OXCDATA 2.4.1's "Stream*" values; they live here (not in src/rop/ec.ts, which
//   another part of the work owns) and can move there as they are.
import type { PropValue, TaggedValue } from '../../mapi/props.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import type { PropertyProblem, PropResult, PropStream } from '../../mapistore/types.js';
import type { ServerObject } from '../types.js';
import type { LogonObject } from './objects.js';

/** MS-OXCDATA 2.4.1 stream error codes (STG_E_*), as MS-OXCPRPT 3.2.5.x answers them. */
export const STREAM_EC = {
  /** STG_E_ACCESSDENIED: write access to a stream opened read-only. */
  StreamAccessDenied: 0x80030005,
  /** STG_E_SEEKERROR: a seek before the start or past the largest stream size (2^31). */
  StreamSeekError: 0x80030019,
  /** STG_E_INVALIDPARAMETER: a bad RopSeekStream Origin. */
  StreamInvalidParam: 0x80030057,
  /** STG_E_MEDIUMFULL: the stream cannot grow that far. */
  StreamSizeError: 0x80030070,
} as const;

/** MS-OXCPRPT 3.2.5.18: a seek pointer (and so a stream) never passes 2^31 bytes. */
export const STREAM_MAX_POSITION = 2 ** 31;
/** Largest folder / store property value a stream may hold (kept in memory until RopCommitStream). */
export const MEMORY_STREAM_MAX = 1024 * 1024;

/** Where a stream was opened (MS-OXCPRPT 2.2.14: folder, message and attachment objects; the logon for store props). */
export type StreamParentKind = 'logon' | 'folder' | 'message' | 'embeddedMessage' | 'attachment';

/** RopReadStream reads ahead this much (aligned to the store's 64 KiB chunks): one store read serves several ROPs. */
export const READ_AHEAD = 256 * 1024;
const READ_ALIGN = 64 * 1024;

/**
 * A Stream object (ObjectKind 'stream'): the open value, its seek pointer, and whether it may be written. Sequential
 * RopReadStream calls (each at most one ROP output buffer, about 32 KiB) are served from a read-ahead window of
 * READ_AHEAD bytes, so the store reads each 64 KiB chunk once; the window is dropped on every change of the value
 * through this object (the store's stream is this object's own working copy: nothing else changes it).
 */
export class StreamServerObject implements ServerObject {
  readonly kind = 'stream' as const;
  /** The seek pointer (MS-OXCPRPT 3.2.5.18): 0 at open. */
  position = 0;
  private disposed = false;
  private window: Buffer | null = null;
  private windowAt = 0;
  /** The value's size as last read (the store asks SQLite each time); dropped with the window. */
  private knownSize: number | null = null;
  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly logon: LogonObject,
    readonly value: PropStream,
    readonly writable: boolean,
    readonly parentKind: StreamParentKind,
  ) {}

  /** Up to `n` bytes from the seek pointer (fewer at the end), advancing it. A view of the read-ahead window. */
  async readNext(n: number): Promise<Buffer> {
    const size = (this.knownSize ??= this.value.size());
    const end = Math.min(size, this.position + Math.max(0, n));
    if (end <= this.position) return Buffer.alloc(0);
    const w = this.window;
    if (!w || this.position < this.windowAt || end > this.windowAt + w.length) {
      const from = this.position - (this.position % READ_ALIGN);
      this.window = await this.value.read(from, Math.max(READ_AHEAD, end - from));
      this.windowAt = from;
    }
    const out = this.window!.subarray(this.position - this.windowAt, end - this.windowAt);
    this.position += out.length;
    return out;
  }

  /** Drops the read-ahead window (the value changed through this object). */
  changed(): void {
    this.window = null;
    this.knownSize = null;
  }

  dispose(): void {
    this.window = null;
    if (this.disposed) return;
    this.disposed = true;
    // RopRelease (or the parent's release): uncommitted writes are dropped
    this.value.close().catch(() => {});
  }
}

/** How a memory stream reads its starting value and stores a committed one (folder or store properties). */
export interface MemoryStreamTarget {
  get(tags: readonly number[]): Promise<PropResult[]>;
  set(values: readonly TaggedValue[]): Promise<PropertyProblem[]>;
}

const tooBig = (what: string): StoreError => new StoreError('OC_STORE_TOO_BIG', SEC.TooBig, what);

/**
 * A PropStream over a folder or store property held in memory (at most `limit` bytes). `initial` is the current value
 * (null: the property is missing or the stream was opened with Create, so it starts empty).
 */
export class MemoryPropStream implements PropStream {
  private data: Buffer;
  private closed = false;

  constructor(
    readonly tag: number,
    initial: Buffer | null,
    private readonly target: MemoryStreamTarget,
    private readonly limit = MEMORY_STREAM_MAX,
  ) {
    this.data = initial ? Buffer.from(initial) : Buffer.alloc(0);
  }

  /** Opens a stream on `tag` of a folder or the store; null when the property is missing (ReadOnly/ReadWrite: NotFound). */
  static async open(tag: number, create: boolean, target: MemoryStreamTarget, limit = MEMORY_STREAM_MAX): Promise<MemoryPropStream | null> {
    if (create) return new MemoryPropStream(tag, null, target, limit);
    const [r] = await target.get([tag]);
    if (!r || 'error' in r) return null;
    const v: PropValue = r.value;
    if (!Buffer.isBuffer(v)) return null;
    if (v.length > limit) throw tooBig(`value of 0x${(tag >>> 0).toString(16)} is ${v.length} bytes, more than a memory stream holds`);
    return new MemoryPropStream(tag, v, target, limit);
  }

  private check(): void {
    if (this.closed) throw new StoreError('OC_STORE_STREAM_CLOSED', SEC.InvalidParam, 'stream closed');
  }

  size(): number {
    return this.data.length;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.check();
    const from = Math.min(offset, this.data.length);
    return Buffer.from(this.data.subarray(from, Math.min(this.data.length, offset + Math.max(0, length))));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check();
    if (offset < 0) throw new StoreError('OC_STORE_BAD_RANGE', SEC.InvalidParam, 'negative offset');
    const end = offset + data.length;
    if (end > this.limit) throw tooBig(`stream of 0x${(this.tag >>> 0).toString(16)} would pass ${this.limit} bytes`);
    if (data.length === 0) return;
    if (end > this.data.length) {
      const grown = Buffer.alloc(end);
      this.data.copy(grown);
      this.data = grown;
    }
    this.data.set(data, offset);
  }

  async setSize(size: number): Promise<void> {
    this.check();
    if (size < 0 || size > this.limit) throw tooBig(`stream size ${size}`);
    if (size <= this.data.length) {
      this.data = Buffer.from(this.data.subarray(0, size));
      return;
    }
    const grown = Buffer.alloc(size);
    this.data.copy(grown);
    this.data = grown;
  }

  async commit(): Promise<void> {
    this.check();
    const problems = await this.target.set([{ tag: this.tag, value: Buffer.from(this.data) }]);
    const p = problems[0];
    if (p) throw new StoreError('OC_STORE_STREAM_COMMIT', p.error, `commit of 0x${(this.tag >>> 0).toString(16)} refused`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
