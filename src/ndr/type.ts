// The schema node contract shared by every NDR 2.0 type, the per-call contexts, and the helpers that marshal
// a type "completely" (conformance, scalars, deferred referents) at the top of a stub or as a pointer referent.
//
// Two-phase marshalling (C706 14.3.12.3, Samba pidl NDR_SCALARS / NDR_BUFFERS):
//   encodeScalars  writes the inline part: numbers, referent ids of embedded pointers, union discriminants,
//                  array elements' scalars, offsets/actual counts of varying arrays.
//   encodeBuffers  writes the deferred part: each non-null pointer's referent, completely (its own scalars,
//                  then its own deferred referents), in the order the pointers appeared in the scalar phase.
// A conformant type (conformant array or string, or a struct ending in one) has its max_count written by
// whoever owns it (encodeConformance): the outermost struct writes it before its own alignment (C706 14.3.7.1).
// Decoding mirrors this: decodeScalars returns the value with placeholders for pointers (their referent ids),
// decodeBuffers reads the referents and returns the final value.
//
// `parent` is the struct/params object that holds the value (or the one holding the pointer or array that
// holds it): size_is/length_is/switch_is read sibling fields from it. While decoding it is the object being
// built, holding every field decoded so far.
import { constants as bufferConstants } from 'node:buffer';
import { NdrError, NdrErrorCode, encodeError, schemaError } from './errors.js';
import { NdrReader } from './reader.js';
import { NdrWriter } from './writer.js';

/** The struct or params object a field lives in (see file comment). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NdrParent = Record<string, any> | undefined;

/** Per-decode limits. */
export interface DecodeOptions {
  /** Most array elements (of T[] arrays, summed over the whole stub). Byte arrays and strings don't count. */
  maxElements?: number;
  /** Deepest nesting of recursive types (ndr.lazy). */
  maxDepth?: number;
}

/** Process-wide default limits (the config layer may change them with setNdrLimits). */
export const ndrLimits: Required<DecodeOptions> = { maxElements: 1 << 20, maxDepth: 64 };

export function setNdrLimits(opts: DecodeOptions): void {
  if (opts.maxElements !== undefined) ndrLimits.maxElements = opts.maxElements;
  if (opts.maxDepth !== undefined) ndrLimits.maxDepth = opts.maxDepth;
}

/** Longest JS string V8 can make; longer wire strings are refused with OC_NDR_LIMIT instead of a RangeError. */
export const MAX_STRING_UNITS = bufferConstants.MAX_STRING_LENGTH;

interface FullPtrEntry {
  type: NdrType<unknown>;
  value: unknown;
  done: boolean;
}

/** State of one decode call. */
export class DecodeContext {
  readonly maxElements: number;
  readonly maxDepth: number;
  elements = 0;
  depth = 0;
  /** Full pointer referent id -> referent, for aliasing (created on first use). */
  fullPtrs: Map<number, FullPtrEntry> | undefined = undefined;

  constructor(opts?: DecodeOptions) {
    this.maxElements = opts?.maxElements ?? ndrLimits.maxElements;
    this.maxDepth = opts?.maxDepth ?? ndrLimits.maxDepth;
  }

  /** Accounts for n array elements about to be allocated. */
  addElements(n: number, r: NdrReader): void {
    this.elements += n;
    if (this.elements > this.maxElements) {
      throw new NdrError(NdrErrorCode.LIMIT, `more than ${this.maxElements} array elements`, r.pos);
    }
  }
}

export interface EncodeOptions {
  /**
   * First [ptr] referent id to use. A call's full-pointer table spans its request and its response (Windows NDR
   * engine; Wireshark's dissector models it so), so a response numbers its new full pointers after the request's.
   */
  firstFullPointerId?: number;
}

export interface DecodeResult<T> {
  value: T;
  /** Bytes consumed. */
  length: number;
  /** Largest [ptr] referent id met (0 when none). */
  maxFullPointerId: number;
}

/** State of one encode call. */
export class EncodeContext {
  /** Next [unique]/[ref] referent id: 0x00020000, then +4 (as Windows and Samba). */
  nextId = 0x0002_0000;
  /** Next [ptr] full-pointer referent id: 1, 2, ... (Windows and Samba number full pointers by their table). */
  nextFullId = 1;
  depth = 0;
  /** Nesting limit of recursive values, so that a cyclic or absurd value fails with OcError, not a stack overflow. */
  readonly maxDepth = 1000;

  newReferentId(): number {
    const id = this.nextId;
    this.nextId += 4;
    return id;
  }

  newFullPointerId(): number {
    return this.nextFullId++;
  }
}

/**
 * A schema node. Phases (see file comment):
 * - encodeConformance(w, v, ctx, parent): only when `conformant`; writes the hoisted max_count.
 * - encodeScalars(w, v, ctx, parent) / encodeBuffers(w, v, ctx, parent).
 * - decodeScalars(r, ctx, parent, conf): conf = the max_count read by the owner, or -1 when not conformant.
 * - decodeBuffers(r, v, ctx, parent): v = what decodeScalars returned; returns the final value.
 */
export interface NdrType<T> {
  /** Constructor name, e.g. 'u32', 'struct', 'unique'. */
  readonly kind: string;
  /** Spec name for messages (struct name, or the kind). */
  readonly name: string;
  /** NDR 2.0 alignment of the scalar part: 1, 2, 4 or 8. */
  readonly align: number;
  /** Least number of wire bytes of the scalar part (bounds element counts before allocation). */
  readonly minSize: number;
  /** Has a max_count that the enclosing struct hoists (C706 14.3.7). */
  readonly conformant: boolean;
  /** encodeBuffers/decodeBuffers may do something (contains pointers). */
  readonly hasBuffers: boolean;
  /** Layout known; false only while waiting on an unresolved ndr.lazy. */
  readonly ready: boolean;
  /** Sibling field names read through sizeIs/lengthIs/switchIs (checked by the enclosing struct). */
  readonly refs: readonly string[];
  /** Present in the value, absent on the wire (ndr.virtual). */
  readonly isVirtual: boolean;

  encodeConformance(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void;
  encodeScalars(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void;
  encodeBuffers(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void;
  decodeScalars(r: NdrReader, ctx: DecodeContext, parent: NdrParent, conf: number): T;
  decodeBuffers(r: NdrReader, v: T, ctx: DecodeContext, parent: NdrParent): T;

  /** The complete encoding of v as a stub starting at offset 0 (conformance, scalars, referents). */
  encode(v: T, opts?: EncodeOptions): Buffer;
  /** Decodes a complete encoding at offset 0 of buf; trailing bytes are ignored. */
  decode(buf: Uint8Array, opts?: DecodeOptions): T;
  /** Like decode, also returning the number of bytes consumed. */
  decodeWithLength(buf: Uint8Array, opts?: DecodeOptions): DecodeResult<T>;
}

/** The TS value type of a schema. */
export type Infer<X> = X extends NdrType<infer T> ? T : never;

/** Writes t completely: max_count if conformant, scalars, then deferred referents. */
export function encodeComplete<T>(t: NdrType<T>, w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
  if (t.conformant) t.encodeConformance(w, v, ctx, parent);
  t.encodeScalars(w, v, ctx, parent);
  if (t.hasBuffers) t.encodeBuffers(w, v, ctx, parent);
}

/** Reads t completely (the mirror of encodeComplete). */
export function decodeComplete<T>(t: NdrType<T>, r: NdrReader, ctx: DecodeContext, parent: NdrParent): T {
  const conf = t.conformant ? r.u32() : -1;
  const v = t.decodeScalars(r, ctx, parent, conf);
  return t.hasBuffers ? t.decodeBuffers(r, v, ctx, parent) : v;
}

/** Largest stub encoded through a spare writer (and copied out) rather than a writer of its own. */
const SMALL_STUB = 2048;
/** Writers of small encodes, reused; a stack, as an encoder may encode another value while it runs. */
const spareWriters: NdrWriter[] = [];

/** Base of all schema nodes: the whole-stub helpers and defaults for the optional phases. */
export abstract class NdrBase<T> implements NdrType<T> {
  abstract readonly kind: string;
  abstract readonly align: number;
  abstract readonly minSize: number;
  abstract readonly conformant: boolean;
  abstract readonly hasBuffers: boolean;
  abstract readonly ready: boolean;
  abstract readonly refs: readonly string[];
  get name(): string {
    return this.kind;
  }
  get isVirtual(): boolean {
    return false;
  }

  encodeConformance(_w: NdrWriter, _v: T, _ctx: EncodeContext, _parent: NdrParent): void {
    throw schemaError(`${this.name} is not conformant`);
  }
  abstract encodeScalars(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void;
  encodeBuffers(_w: NdrWriter, _v: T, _ctx: EncodeContext, _parent: NdrParent): void {}
  abstract decodeScalars(r: NdrReader, ctx: DecodeContext, parent: NdrParent, conf: number): T;
  decodeBuffers(_r: NdrReader, v: T, _ctx: DecodeContext, _parent: NdrParent): T {
    return v;
  }

  /** Initial writer capacity: the size of the previous encoding of this type (at most 256 KiB). */
  private sizeHint = 256;

  encode(v: T, opts?: EncodeOptions): Buffer {
    const ctx = new EncodeContext();
    if (opts?.firstFullPointerId !== undefined) ctx.nextFullId = opts.firstFullPointerId;
    if (this.sizeHint <= SMALL_STUB) {
      // Small stubs (most calls) go through a reused writer and are copied out: one Buffer per encode instead of
      // a writer, its buffer, a DataView and the result's view (mgmt inq_if_ids response 0.65 -> 0.5 us,
      // bench/ndr.ts). Larger ones keep their own writer, sized from the last encoding: no copy.
      const w = spareWriters.pop() ?? new NdrWriter(SMALL_STUB);
      w.pos = 0;
      try {
        encodeComplete<T>(this, w, v, ctx, undefined);
        this.sizeHint = w.pos < 256 ? 256 : w.pos > 0x40000 ? 0x40000 : w.pos;
        const out = Buffer.allocUnsafe(w.pos);
        w.buf.copy(out, 0, 0, w.pos);
        return out;
      } finally {
        if (w.buf.length <= SMALL_STUB && spareWriters.length < 4) spareWriters.push(w);
      }
    }
    const w = new NdrWriter(this.sizeHint);
    encodeComplete<T>(this, w, v, ctx, undefined);
    this.sizeHint = w.pos < 256 ? 256 : w.pos > 0x40000 ? 0x40000 : w.pos;
    return w.finish();
  }

  decode(buf: Uint8Array, opts?: DecodeOptions): T {
    return decodeComplete<T>(this, new NdrReader(buf), new DecodeContext(opts), undefined);
  }

  decodeWithLength(buf: Uint8Array, opts?: DecodeOptions): DecodeResult<T> {
    const r = new NdrReader(buf);
    const ctx = new DecodeContext(opts);
    const value = decodeComplete<T>(this, r, ctx, undefined);
    let maxFullPointerId = 0;
    if (ctx.fullPtrs) for (const id of ctx.fullPtrs.keys()) if (id > maxFullPointerId) maxFullPointerId = id;
    return { value, length: r.pos, maxFullPointerId };
  }
}

/** Layout and phase functions computed when a composite is prepared. */
export interface Built<T> {
  align: number;
  minSize: number;
  conformant: boolean;
  hasBuffers: boolean;
  encodeConformance?: (w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent) => void;
  encodeScalars: (w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent) => void;
  encodeBuffers?: (w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent) => void;
  decodeScalars: (r: NdrReader, ctx: DecodeContext, parent: NdrParent, conf: number) => T;
  decodeBuffers?: (r: NdrReader, v: T, ctx: DecodeContext, parent: NdrParent) => T;
}

/**
 * A type built from other types. Its layout and phase functions are computed once ("prepared"): at definition
 * time when all its children are ready, otherwise (a child is an unresolved ndr.lazy) on first use. Preparing
 * installs the compiled phase functions as own properties, so the prototype methods below run at most once.
 */
export abstract class Composite<T> extends NdrBase<T> {
  private _state: 0 | 1 | 2 = 0;
  private _align = 1;
  private _minSize = 0;
  private _conformant = false;
  private _hasBuffers = false;

  /** Direct children whose layout the build needs (pointer targets excluded). */
  protected abstract children(): readonly NdrType<unknown>[];
  protected abstract build(): Built<T>;

  get align(): number {
    if (this._state !== 2) this.prepare();
    return this._align;
  }
  get minSize(): number {
    if (this._state !== 2) this.prepare();
    return this._minSize;
  }
  get conformant(): boolean {
    if (this._state !== 2) this.prepare();
    return this._conformant;
  }
  get hasBuffers(): boolean {
    if (this._state !== 2) this.prepare();
    return this._hasBuffers;
  }
  get ready(): boolean {
    return this._state === 2;
  }

  /** Call at the end of a subclass constructor. */
  protected prepareIfReady(): void {
    for (const c of this.children()) if (!c.ready) return;
    this.prepare();
  }

  prepare(): void {
    if (this._state === 2) return;
    if (this._state === 1) throw schemaError(`${this.name} contains itself without a pointer in between`);
    this._state = 1;
    let b: Built<T>;
    try {
      b = this.build();
    } finally {
      this._state = 0;
    }
    this._align = b.align;
    this._minSize = b.minSize;
    this._conformant = b.conformant;
    this._hasBuffers = b.hasBuffers;
    if (b.encodeConformance) this.encodeConformance = b.encodeConformance;
    this.encodeScalars = b.encodeScalars;
    this.encodeBuffers = b.encodeBuffers ?? noEncodeBuffers;
    this.decodeScalars = b.decodeScalars;
    this.decodeBuffers = b.decodeBuffers ?? noDecodeBuffers;
    this._state = 2;
  }

  encodeScalars(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    this.prepare();
    this.encodeScalars(w, v, ctx, parent);
  }
  override encodeBuffers(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    this.prepare();
    this.encodeBuffers(w, v, ctx, parent);
  }
  override encodeConformance(w: NdrWriter, v: T, ctx: EncodeContext, parent: NdrParent): void {
    if (this._state !== 2) {
      this.prepare();
      this.encodeConformance(w, v, ctx, parent);
      return;
    }
    super.encodeConformance(w, v, ctx, parent);
  }
  decodeScalars(r: NdrReader, ctx: DecodeContext, parent: NdrParent, conf: number): T {
    this.prepare();
    return this.decodeScalars(r, ctx, parent, conf);
  }
  override decodeBuffers(r: NdrReader, v: T, ctx: DecodeContext, parent: NdrParent): T {
    this.prepare();
    return this.decodeBuffers(r, v, ctx, parent);
  }
}

function noEncodeBuffers(): void {}
function noDecodeBuffers<T>(_r: NdrReader, v: T): T {
  return v;
}

/** A size_is / length_is / switch_is source: a sibling field name, or a function of the parent object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CountRef = string | ((parent: any) => number);

export function refNames(...refs: (CountRef | undefined)[]): string[] {
  const out: string[] = [];
  for (const r of refs) if (typeof r === 'string') out.push(r);
  return out;
}

/**
 * The count to encode for `ref`: the sibling's value (when it is undefined, e.g. an ndr.virtual left out,
 * `fallback`), or the function's result. Must be a u32.
 */
export function encodeCount(ref: CountRef | undefined, parent: NdrParent, fallback: number, what: string): number {
  if (ref === undefined) return fallback;
  let n: unknown;
  if (typeof ref === 'string') {
    n = parent === undefined ? undefined : parent[ref];
    if (n === undefined) return fallback;
  } else {
    n = ref(parent);
  }
  if (typeof n !== 'number' || n >>> 0 !== n) throw encodeError(`${what}: count ${String(n)} is not a u32`);
  return n;
}

/**
 * Checks a count read from the wire against `ref` while decoding. A sibling field that is still undefined
 * (an ndr.virtual, or a field after the array) receives the wire value; otherwise it must be equal.
 */
export function checkCount(ref: CountRef | undefined, parent: NdrParent, wire: number, r: NdrReader, what: string): void {
  if (ref === undefined || parent === undefined) return;
  let expected: unknown;
  if (typeof ref === 'string') {
    expected = parent[ref];
    if (expected === undefined) {
      parent[ref] = wire;
      return;
    }
  } else {
    expected = ref(parent);
  }
  if (expected !== wire) {
    throw new NdrError(NdrErrorCode.SIZE_MISMATCH, `${what} is ${wire} on the wire, ${String(expected)} expected`, r.pos);
  }
}

/** Throws BAD_COUNT unless n elements of at least minSize bytes (0 counts as 1) can still follow. */
export function checkFits(r: NdrReader, n: number, minSize: number, what: string): void {
  const unit = minSize > 0 ? minSize : 1;
  if (n * unit > r.end - r.pos) {
    throw new NdrError(NdrErrorCode.BAD_COUNT, `${what}: ${n} elements cannot fit in ${r.remaining} bytes`, r.pos);
  }
}
