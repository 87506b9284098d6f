// Property access shared by the embedded backend's message and attachment objects (objects.ts): the changes of a
// node's values (setValue, deleteValue), reads that answer blob-held values as NotEnoughMemory (pick), the base class
// LocalPropObject (getProps, setProps, deleteProps, openStream) and LocalStream, the property streams (MS-OXCPRPT):
// a write goes to a staged blob of the open copy (blobs.ts); a committed value up to INLINE_MAX is kept inline.
import { PT, makeTag, propId, propType, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { SEC, StoreError } from '../../errors.js';
import { pickProps } from '../../proppick.js';
import { checkValue, valueSize } from '../../propcodec.js';
import type { PropertyProblem, PropResult, PropStream, StreamMode } from '../../types.js';
import { deleteSameId } from './helpers.js';
import { bump, type BlobRef, type Node } from './message-content.js';
import type { Root } from './open-copies.js';

/** Stream-committed values up to this many bytes are kept inline (JSON); larger ones stay blobs. */
export const INLINE_MAX = 32 * 1024;
export const DEFAULT_MAX_VALUE = 64 * 1024 * 1024;

// ---------------------------------------------------------------- shared property access

const STREAMABLE = new Set<number>([PT.BINARY, PT.UNICODE, PT.STRING8]);

export function setValue(n: Node, tag: number, v: PropValue): void {
  bump(n);
  deleteSameId(n.props, tag);
  for (const t of [...n.blobs.keys()]) if (propId(t) === propId(tag)) n.blobs.delete(t);
  n.props.set(tag >>> 0, v);
}
export function deleteValue(n: Node, tag: number): void {
  bump(n);
  deleteSameId(n.props, tag);
  for (const t of [...n.blobs.keys()]) if (propId(t) === propId(tag)) n.blobs.delete(t);
}

/** The computed view plus blob-held values as NotEnoughMemory errors (MS-OXCPRPT 3.2.5.1: read those by stream). */
export function pick(all: Map<number, PropValue>, blobs: Map<number, BlobRef>, tags?: readonly number[]): PropResult[] {
  // as pickProps reports errors: under the PT_ERROR tag of the property
  const oom = (tag: number): PropResult => ({ tag: makeTag(propId(tag), PT.ERROR), error: SEC.NotEnoughMemory });
  if (!tags) return [...pickProps(all), ...[...blobs.keys()].map(oom)];
  if (blobs.size === 0) return pickProps(all, tags);
  return pickProps(all, tags).map((r, i) => {
    const tag = tags[i] as number;
    const hit = [...blobs.keys()].some((t) => propId(t) === propId(tag));
    return hit && 'error' in r ? oom(tag) : r;
  });
}

const toBytes = (tag: number, v: PropValue): Buffer =>
  propType(tag) === PT.UNICODE ? Buffer.from(v as string, 'utf16le') : propType(tag) === PT.STRING8 ? Buffer.from(v as string, 'latin1') : Buffer.from(v as Buffer);
const fromBytes = (tag: number, b: Buffer): PropValue =>
  propType(tag) === PT.UNICODE ? b.toString('utf16le', 0, b.length & ~1) : propType(tag) === PT.STRING8 ? b.toString('latin1') : b;

export abstract class LocalPropObject {
  constructor(protected readonly root: Root, protected readonly node: Node) {}

  abstract computed(): Map<number, PropValue>;
  protected abstract isComputed(tag: number): boolean;

  async getProps(tags?: readonly number[]): Promise<PropResult[]> {
    return pick(this.computed(), this.node.blobs, tags);
  }

  async listProps(): Promise<number[]> {
    return [...this.computed().keys(), ...this.node.blobs.keys()];
  }

  async setProps(values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    const problems: PropertyProblem[] = [];
    values.forEach((v, index) => {
      if (this.isComputed(v.tag)) return problems.push({ index, tag: v.tag, error: SEC.Computed });
      if (!checkValue(v.tag, v.value)) return problems.push({ index, tag: v.tag, error: SEC.InvalidParam });
      if (valueSize(v.tag, v.value) > this.root.mb.maxValueSize) return problems.push({ index, tag: v.tag, error: SEC.TooBig });
      this.setOne(v.tag >>> 0, v.value);
    });
    return problems;
  }

  protected setOne(tag: number, v: PropValue): void {
    setValue(this.node, tag, v);
  }

  async deleteProps(tags: readonly number[]): Promise<PropertyProblem[]> {
    const problems: PropertyProblem[] = [];
    tags.forEach((tag, index) => {
      if (this.isComputed(tag)) return problems.push({ index, tag, error: SEC.Computed });
      deleteValue(this.node, tag);
    });
    return problems;
  }

  async openStream(tag: number, mode: StreamMode): Promise<PropStream> {
    if (!STREAMABLE.has(propType(tag))) throw new StoreError('OC_STORE_NOT_STREAMABLE', SEC.NotSupported, `tag 0x${(tag >>> 0).toString(16)} is not streamable`);
    if (mode !== 'read' && this.isComputed(tag)) throw new StoreError('OC_STORE_COMPUTED', SEC.AccessDenied, 'computed property');
    const b = this.node.blobs.get(tag >>> 0);
    const v = this.node.props.get(tag >>> 0);
    if (mode === 'read' && !b && v === undefined) {
      const c = this.computed().get(tag >>> 0);
      if (c === undefined) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `property 0x${(tag >>> 0).toString(16)} not found`);
      return new LocalStream(this.root, this.node, tag >>> 0, mode, undefined, toBytes(tag, c));
    }
    return new LocalStream(this.root, this.node, tag >>> 0, mode, b?.id, v === undefined ? undefined : toBytes(tag, v));
  }
}

class LocalStream implements PropStream {
  /** The staged blob this stream writes (created on first write for readwrite, at open for create). */
  private own: number | null = null;
  private closed = false;

  constructor(
    private readonly root: Root,
    private readonly node: Node,
    readonly tag: number,
    private readonly mode: StreamMode,
    private src: number | undefined,
    private inline: Buffer | undefined,
  ) {
    if (mode === 'create') {
      this.src = undefined;
      this.inline = undefined;
    }
  }

  private get blobs() {
    return this.root.mb.blobs;
  }

  private check(): void {
    if (this.closed) throw new StoreError('OC_STORE_STREAM_CLOSED', SEC.InvalidParam, 'stream closed');
  }

  size(): number {
    if (this.own !== null) return this.blobs.size(this.own);
    if (this.src !== undefined) return this.blobs.size(this.src);
    return this.inline?.length ?? 0;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.check();
    if (offset < 0 || length < 0) throw new StoreError('OC_STORE_BAD_RANGE', SEC.InvalidParam, 'negative offset or length');
    if (this.own !== null) return this.blobs.read(this.own, offset, length);
    if (this.src !== undefined) return this.blobs.read(this.src, offset, length);
    const b = this.inline ?? Buffer.alloc(0);
    return Buffer.from(b.subarray(Math.min(offset, b.length), Math.min(b.length, offset + length)));
  }

  /** A staged blob of our own holding the current value (copy on first write). */
  private mine(): number {
    if (this.own === null) {
      this.own = this.src !== undefined ? this.blobs.create(this.src) : this.blobs.create(this.inline);
      this.root.staged.add(this.own);
    }
    return this.own;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check();
    if (this.mode === 'read') throw new StoreError('OC_STORE_STREAM_READONLY', SEC.AccessDenied, 'stream opened read-only');
    if (offset < 0) throw new StoreError('OC_STORE_BAD_RANGE', SEC.InvalidParam, 'negative offset');
    const max = this.root.mb.maxValueSize;
    if (offset + data.length > max) {
      throw new StoreError('OC_STORE_TOO_BIG', SEC.TooBig, `value of 0x${this.tag.toString(16)} would pass ${max} bytes`, { offset, length: data.length });
    }
    if (data.length === 0) return;
    this.blobs.write(this.mine(), offset, data);
  }

  async setSize(size: number): Promise<void> {
    this.check();
    if (this.mode === 'read') throw new StoreError('OC_STORE_STREAM_READONLY', SEC.AccessDenied, 'stream opened read-only');
    if (size < 0 || size > this.root.mb.maxValueSize) throw new StoreError('OC_STORE_TOO_BIG', SEC.TooBig, `stream size ${size}`);
    const id = this.mine();
    const cur = this.blobs.size(id);
    if (size > cur) this.blobs.write(id, size - 1, Buffer.alloc(1));
    else this.blobs.setSize(id, size);
  }

  async commit(): Promise<void> {
    this.check();
    if (this.mode === 'read') return;
    const id = this.mine();
    const size = this.blobs.size(id);
    if (size <= INLINE_MAX) {
      setValue(this.node, this.tag, fromBytes(this.tag, this.blobs.read(id, 0, size)));
      this.inline = this.blobs.read(id, 0, size);
      this.src = undefined;
      this.dropOwn();
    } else {
      deleteValue(this.node, this.tag);
      this.node.blobs.set(this.tag, { id, size });
      bump(this.node);
      // the committed blob is the object's now: further writes copy it first
      this.src = id;
      this.own = null;
    }
  }

  private dropOwn(): void {
    if (this.own === null) return;
    const id = this.own;
    this.own = null;
    this.root.staged.delete(id);
    this.root.mb.db.transaction(() => this.blobs.drop(id))();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropOwn();
  }
}
