// NDR 2.0 pointers (C706 14.3.10-14.3.12). Embedded in a struct, array or union, a pointer's scalar part is
// its referent id (u32, 4-aligned; 0 = null, never 0 for [ref]) and its referent is deferred: written in the
// buffers phase, completely (max_count, scalars, its own referents), in the order the ids appeared.
// As a top-level parameter (ndr.params) a [ref] pointer has no referent id and a [unique]/[ptr] pointer's
// referent follows its id at once; params handles that.
// Encoding numbers non-null [unique]/[ref] ids 0x00020000, +4 each in wire order (as Windows and Samba), and
// [ptr] full pointers 1, 2, ... (as Windows' and Samba's full-pointer tables do; impacket's hept_map notes that
// Windows 2003 refuses other ids in ept_map; Samba's epm_Map encoding is byte-identical to ours). Full pointers
// are encoded without aliasing (each non-null pointer gets its own id and referent); decoding honours
// aliasing: the first pointer with an id reads the referent, later pointers with the same id share that value.
import { NdrError, NdrErrorCode, encodeError } from './errors.js';
import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';
import {
  NdrBase,
  decodeComplete,
  encodeComplete,
  type DecodeContext,
  type EncodeContext,
  type NdrParent,
  type NdrType,
} from './type.js';

export type PointerKind = 'ref' | 'unique' | 'full';

/**
 * Value of a [unique]/[ptr] pointer whose referent is itself a pointer (`[unique] T **`, e.g. MS-OXABREF
 * RfrGetNewDSA ppszServer): null is the outer null pointer, { value: null } a non-null pointer to a null one.
 */
export interface PointerBox<V> {
  value: V;
}

export class PointerType<T, V> extends NdrBase<V> {
  readonly align = 4;
  readonly minSize = 4;
  readonly conformant = false;
  readonly hasBuffers = true;
  readonly ready = true;
  /** [unique]/[ptr] to a pointer: the value is a PointerBox (see there). */
  readonly boxed: boolean;

  constructor(
    readonly kind: PointerKind,
    readonly target: NdrType<T>,
  ) {
    super();
    this.boxed = kind !== 'ref' && target instanceof PointerType;
  }

  override get name(): string {
    return `${this.kind}(${this.target.ready ? this.target.name : '…'})`;
  }

  /** The target's sibling references: a pointer passes its parent on to its referent. */
  get refs(): readonly string[] {
    return this.target.ready ? this.target.refs : [];
  }

  /**
   * A [ref] pointer's value is its referent's value; when the referent is itself a pointer (`[ref] T **`),
   * null means that inner pointer is null. Otherwise null is a null pointer (an error for [ref]).
   */
  private get refToPointer(): boolean {
    return this.kind === 'ref' && this.target instanceof PointerType;
  }

  encodeScalars(w: NdrWriter, v: V, ctx: EncodeContext): void {
    if ((v === null || v === undefined) && !this.refToPointer) {
      if (this.kind === 'ref') throw encodeError(`${this.name}: null [ref] pointer`);
      w.u32(0);
    } else {
      w.u32(this.kind === 'full' ? ctx.newFullPointerId() : ctx.newReferentId());
    }
  }

  override encodeBuffers(w: NdrWriter, v: V, ctx: EncodeContext, parent: NdrParent): void {
    if (v === null || v === undefined) {
      if (this.refToPointer) encodeComplete(this.target, w, v as unknown as T, ctx, parent);
    } else if (this.boxed) {
      if (typeof v !== 'object') throw encodeError(`${this.name}: a pointer to a pointer takes { value } or null`);
      encodeComplete(this.target, w, (v as unknown as PointerBox<T>).value, ctx, parent);
    } else {
      encodeComplete(this.target, w, v as unknown as T, ctx, parent);
    }
  }

  /** Returns the referent id as a placeholder; decodeBuffers turns it into the value. */
  decodeScalars(r: NdrReader): V {
    const id = r.u32();
    if (id === 0 && this.kind === 'ref') throw new NdrError(NdrErrorCode.NULL_REF, `${this.name}: null embedded [ref] pointer`, r.pos - 4);
    return id as unknown as V;
  }

  override decodeBuffers(r: NdrReader, v: V, ctx: DecodeContext, parent: NdrParent): V {
    const id = v as unknown as number;
    if (id === 0) return null as V;
    if (this.boxed) return { value: this.readReferent(r, id, ctx, parent) } as unknown as V;
    return this.readReferent(r, id, ctx, parent) as unknown as V;
  }

  private readReferent(r: NdrReader, id: number, ctx: DecodeContext, parent: NdrParent): T {
    if (this.kind !== 'full') return decodeComplete(this.target, r, ctx, parent);
    const map = (ctx.fullPtrs ??= new Map());
    const seen = map.get(id);
    if (seen !== undefined) {
      if (seen.type !== this.target) {
        throw new NdrError(NdrErrorCode.BAD_POINTER, `full pointer id 0x${id.toString(16)} reused for another type`, r.pos);
      }
      if (!seen.done) {
        throw new NdrError(NdrErrorCode.BAD_POINTER, `full pointer id 0x${id.toString(16)} refers to itself`, r.pos);
      }
      return seen.value as T;
    }
    const entry = { type: this.target as NdrType<unknown>, value: undefined as unknown, done: false };
    map.set(id, entry);
    entry.value = decodeComplete(this.target, r, ctx, parent);
    entry.done = true;
    return entry.value as T;
  }

  /** Top-level (parameter) form: no referent id for [ref], id then the referent at once otherwise. */
  encodeTop(w: NdrWriter, v: V, ctx: EncodeContext, parent: NdrParent): void {
    if (this.kind === 'ref') {
      if ((v === null || v === undefined) && !this.refToPointer) throw encodeError(`${this.name}: null [ref] parameter`);
      encodeComplete(this.target, w, v as unknown as T, ctx, parent);
    } else {
      this.encodeScalars(w, v, ctx);
      this.encodeBuffers(w, v, ctx, parent);
    }
  }

  decodeTop(r: NdrReader, ctx: DecodeContext, parent: NdrParent): V {
    if (this.kind === 'ref') return decodeComplete(this.target, r, ctx, parent) as unknown as V;
    const id = r.u32();
    return this.decodeBuffers(r, id as unknown as V, ctx, parent);
  }
}

/** `[ref] T *`: never null; its value is the referent's (`[ref] T **`: the inner pointer's T or null). */
export function ref<T>(target: NdrType<T>): PointerType<T, T> {
  return new PointerType<T, T>('ref', target);
}

/** `[unique] T *`: T or null (`[unique] T **`: PointerBox or null). */
export function unique<T, V>(target: PointerType<T, V>): PointerType<V, PointerBox<V> | null>;
export function unique<T>(target: NdrType<T>): PointerType<T, T | null>;
export function unique<T>(target: NdrType<T>): PointerType<T, unknown> {
  return new PointerType<T, unknown>('unique', target);
}

/** `[ptr] T *` (full pointer): T or null, aliasing honoured when decoding (`[ptr] T **`: PointerBox or null). */
export function full<T, V>(target: PointerType<T, V>): PointerType<V, PointerBox<V> | null>;
export function full<T>(target: NdrType<T>): PointerType<T, T | null>;
export function full<T>(target: NdrType<T>): PointerType<T, unknown> {
  return new PointerType<T, unknown>('full', target);
}
