// ndr.lazy for recursive types (e.g. MS-OXNSPI Restriction_r), with the decode depth limit, and ndr.custom
// for hand-written codecs of irregular types placed beside a schema.
import { NdrError, NdrErrorCode, encodeError, schemaError } from './errors.js';
import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';
import { NdrBase, type DecodeContext, type EncodeContext, type NdrParent, type NdrType } from './type.js';

/**
 * Refers to a type defined later (`ndr.lazy(() => Restriction_r)`). The thunk is called on first use. Each
 * nesting level through a lazy type counts against DecodeOptions.maxDepth (OC_NDR_DEPTH beyond it).
 */
class LazyType<T> extends NdrBase<T> {
  readonly kind = 'lazy';
  private t: NdrType<T> | undefined;
  private resolving = false;

  constructor(private readonly thunk: () => NdrType<T>) {
    super();
  }

  private get target(): NdrType<T> {
    if (this.t === undefined) {
      if (this.resolving) throw schemaError('ndr.lazy refers to itself');
      this.resolving = true;
      try {
        const t = this.thunk();
        if (t === undefined || t === null) throw schemaError('ndr.lazy thunk returned nothing (used before its type was defined?)');
        this.t = t;
      } finally {
        this.resolving = false;
      }
    }
    return this.t;
  }

  override get name(): string {
    return this.t ? `lazy(${this.t.name})` : 'lazy';
  }
  get align(): number {
    return this.target.align;
  }
  get minSize(): number {
    return this.target.minSize;
  }
  get conformant(): boolean {
    return this.target.conformant;
  }
  get hasBuffers(): boolean {
    return this.target.hasBuffers;
  }
  get ready(): boolean {
    return this.t !== undefined && this.t.ready;
  }
  get refs(): readonly string[] {
    return this.t !== undefined && this.t.ready ? this.t.refs : [];
  }

  override encodeConformance(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    this.target.encodeConformance(w, v, ctx, parent);
  }
  encodeScalars(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    if (++ctx.depth > ctx.maxDepth) throw encodeError(`value nested deeper than ${ctx.maxDepth} levels`);
    this.target.encodeScalars(w, v, ctx, parent);
    ctx.depth--;
  }
  override encodeBuffers(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    if (++ctx.depth > ctx.maxDepth) throw encodeError(`value nested deeper than ${ctx.maxDepth} levels`);
    this.target.encodeBuffers(w, v, ctx, parent);
    ctx.depth--;
  }
  decodeScalars(r: NdrReader, ctx: DecodeContext, parent: NdrParent, conf: number): T {
    if (++ctx.depth > ctx.maxDepth) throw new NdrError(NdrErrorCode.DEPTH, `nested deeper than ${ctx.maxDepth} levels`, r.pos);
    const v = this.target.decodeScalars(r, ctx, parent, conf);
    ctx.depth--;
    return v;
  }
  override decodeBuffers(r: NdrReader, v: T, ctx: DecodeContext, parent: NdrParent): T {
    if (++ctx.depth > ctx.maxDepth) throw new NdrError(NdrErrorCode.DEPTH, `nested deeper than ${ctx.maxDepth} levels`, r.pos);
    const out = this.target.decodeBuffers(r, v, ctx, parent);
    ctx.depth--;
    return out;
  }
}

export function lazy<T>(thunk: () => NdrType<T>): NdrType<T> {
  return new LazyType<T>(thunk);
}

/** A hand-written codec; the phases have the NdrType signatures (see type.ts). */
export interface CustomSpec<T> {
  name?: string;
  align: 1 | 2 | 4 | 8;
  minSize: number;
  /** Defaults to false; when true, also give encodeBuffers and decodeBuffers. */
  hasBuffers?: boolean;
  encodeScalars(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void;
  encodeBuffers?(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void;
  decodeScalars(r: NdrReader, ctx: DecodeContext, parent: NdrParent): T;
  decodeBuffers?(r: NdrReader, v: T, ctx: DecodeContext, parent: NdrParent): T;
}

class CustomType<T> extends NdrBase<T> {
  readonly kind = 'custom';
  readonly conformant = false;
  readonly ready = true;
  readonly refs: readonly string[] = [];
  readonly align: number;
  readonly minSize: number;
  readonly hasBuffers: boolean;

  constructor(private readonly spec: CustomSpec<T>) {
    super();
    if (![1, 2, 4, 8].includes(spec.align)) throw schemaError(`custom ${spec.name ?? ''}: align must be 1, 2, 4 or 8`);
    this.align = spec.align;
    this.minSize = spec.minSize;
    this.hasBuffers = spec.hasBuffers === true;
    if (this.hasBuffers && (!spec.encodeBuffers || !spec.decodeBuffers)) {
      throw schemaError(`custom ${spec.name ?? ''}: hasBuffers needs encodeBuffers and decodeBuffers`);
    }
  }

  override get name(): string {
    return this.spec.name ?? 'custom';
  }
  encodeScalars(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    this.spec.encodeScalars(w, v, ctx, parent);
  }
  override encodeBuffers(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    if (this.spec.encodeBuffers) this.spec.encodeBuffers(w, v, ctx, parent);
  }
  decodeScalars(r: NdrReader, ctx: DecodeContext, parent: NdrParent): T {
    return this.spec.decodeScalars(r, ctx, parent);
  }
  override decodeBuffers(r: NdrReader, v: T, ctx: DecodeContext, parent: NdrParent): T {
    return this.spec.decodeBuffers ? this.spec.decodeBuffers(r, v, ctx, parent) : v;
  }
}

export function custom<T>(spec: CustomSpec<T>): NdrType<T> {
  return new CustomType<T>(spec);
}
