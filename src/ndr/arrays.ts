// NDR 2.0 uni-dimensional arrays (C706 14.3.3): fixed, conformant (max_count), varying (offset, actual_count)
// and conformant-varying, with element values T[]; plus byte fast paths whose value is a Buffer.
// Element alignment: the elements start aligned to the element type even when there are none, as Windows
// stubs do (Wine array_write_variance_and_marshall aligns before the count check); pidl aligns only per
// element, which differs only for empty arrays of 8-aligned elements.
// Elements' scalars come first, then each element's deferred referents in element order (C706 14.3.12.3).
import { NdrError, NdrErrorCode, encodeError, schemaError } from './errors.js';
import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';
import {
  Composite,
  NdrBase,
  checkCount,
  checkFits,
  encodeCount,
  refNames,
  type Built,
  type CountRef,
  type DecodeContext,
  type EncodeContext,
  type NdrParent,
  type NdrType,
} from './type.js';

export interface SizeOpts {
  /** size_is: sibling field name or function of the parent; default: the value's length. */
  sizeIs?: CountRef;
}
export interface LengthOpts {
  /** length_is: sibling field name or function of the parent; default: the value's length. */
  lengthIs?: CountRef;
}

function checkElem(name: string, elem: NdrType<unknown>): void {
  if (elem.conformant) throw schemaError(`${name}: array elements cannot be conformant (${elem.name})`);
  if (elem.isVirtual) throw schemaError(`${name}: array elements cannot be virtual`);
}

function asArray<T>(v: T[], what: string): T[] {
  if (!Array.isArray(v)) throw encodeError(`${what}: not an array`);
  return v;
}

type ArrayKind = 'fixed' | 'conformant' | 'varying' | 'conformantVarying';

/** All four array kinds of T[] (one class keeps the element loops in one place). */
class ArrayType<T> extends Composite<T[]> {
  constructor(
    readonly kind: ArrayKind,
    private readonly elem: NdrType<T>,
    /** fixedArray: element count; varyingArray: max count. */
    private readonly fixed: number,
    private readonly sizeIs: CountRef | undefined,
    private readonly lengthIs: CountRef | undefined,
  ) {
    super();
    this.prepareIfReady();
  }

  override get name(): string {
    return `${this.kind}Array(${this.elem.name})`;
  }
  get refs(): readonly string[] {
    return refNames(this.sizeIs, this.lengthIs);
  }
  protected children(): readonly NdrType<unknown>[] {
    return [this.elem];
  }

  protected build(): Built<T[]> {
    const { elem, kind, fixed, sizeIs, lengthIs } = this;
    const name = this.name;
    checkElem(name, elem);
    const ea = elem.align;
    const emin = elem.minSize;
    const hasBuffers = elem.hasBuffers;
    const varying = kind === 'varying' || kind === 'conformantVarying';

    const writeElems = (w: NdrWriter, arr: T[], ctx: EncodeContext, parent: NdrParent): void => {
      w.align(ea);
      for (let i = 0; i < arr.length; i++) elem.encodeScalars(w, arr[i] as T, ctx, parent);
    };
    const readElems = (r: NdrReader, n: number, ctx: DecodeContext, parent: NdrParent): T[] => {
      r.align(ea);
      checkFits(r, n, emin, name);
      ctx.addElements(n, r);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = elem.decodeScalars(r, ctx, parent, -1);
      return out;
    };

    const b: Built<T[]> = {
      align: varying ? Math.max(4, ea) : ea,
      minSize: kind === 'fixed' ? fixed * emin : varying ? 8 : 0,
      conformant: kind === 'conformant' || kind === 'conformantVarying',
      hasBuffers,
      encodeScalars: (w, v, ctx, parent) => {
        const arr = asArray(v, name);
        if (kind === 'fixed') {
          if (arr.length !== fixed) throw encodeError(`${name}: ${arr.length} elements, need ${fixed}`);
        } else if (kind === 'conformant') {
          // max_count was checked against the length by encodeConformance
        } else {
          const actual = encodeCount(lengthIs, parent, arr.length, name);
          if (actual !== arr.length) throw encodeError(`${name}: length_is ${actual} but ${arr.length} elements`);
          if (kind === 'varying' && actual > fixed) throw encodeError(`${name}: ${actual} elements, max ${fixed}`);
          w.u32(0);
          w.u32(actual);
        }
        writeElems(w, arr, ctx, parent);
      },
      decodeScalars: (r, ctx, parent, conf) => {
        if (kind === 'fixed') return readElems(r, fixed, ctx, parent);
        if (kind === 'conformant') {
          if (conf < 0) throw schemaError(`${name} decoded without its conformance`);
          checkCount(sizeIs, parent, conf, r, `${name} size_is`);
          return readElems(r, conf, ctx, parent);
        }
        const max = kind === 'varying' ? fixed : conf;
        if (max < 0) throw schemaError(`${name} decoded without its conformance`);
        const at = r.pos;
        const offset = r.u32();
        const actual = r.u32();
        if (offset + actual > max) {
          throw new NdrError(NdrErrorCode.BAD_COUNT, `${name}: offset ${offset} + actual_count ${actual} > max_count ${max}`, at);
        }
        if (kind === 'conformantVarying') checkCount(sizeIs, parent, conf, r, `${name} size_is`);
        checkCount(lengthIs, parent, actual, r, `${name} length_is`);
        return readElems(r, actual, ctx, parent);
      },
    };
    if (b.conformant) {
      b.encodeConformance = (w, v, _ctx, parent) => {
        const arr = asArray(v, name);
        const max = encodeCount(sizeIs, parent, arr.length, name);
        if (kind === 'conformant' ? max !== arr.length : max < arr.length) {
          throw encodeError(`${name}: size_is ${max} but ${arr.length} elements`);
        }
        w.u32(max);
      };
    }
    if (hasBuffers) {
      b.encodeBuffers = (w, arr, ctx, parent) => {
        for (let i = 0; i < arr.length; i++) elem.encodeBuffers(w, arr[i] as T, ctx, parent);
      };
      b.decodeBuffers = (r, arr, ctx, parent) => {
        for (let i = 0; i < arr.length; i++) arr[i] = elem.decodeBuffers(r, arr[i] as T, ctx, parent);
        return arr;
      };
    }
    return b;
  }
}

/** `T x[n]`: exactly n elements inline. */
export function fixedArray<T>(elem: NdrType<T>, n: number): NdrType<T[]> {
  return new ArrayType<T>('fixed', elem, n, undefined, undefined);
}

/** `[size_is(s)] T x[]`: max_count (hoisted when embedded last in a struct), then the elements. */
export function conformantArray<T>(elem: NdrType<T>, opts: SizeOpts = {}): NdrType<T[]> {
  return new ArrayType<T>('conformant', elem, 0, opts.sizeIs, undefined);
}

/** `[length_is(l)] T x[maxCount]`: offset (0), actual_count, the elements. */
export function varyingArray<T>(elem: NdrType<T>, maxCount: number, opts: LengthOpts = {}): NdrType<T[]> {
  return new ArrayType<T>('varying', elem, maxCount, undefined, opts.lengthIs);
}

/** `[size_is(s), length_is(l)] T x[]`: max_count (hoisted when embedded), offset (0), actual_count, elements. */
export function conformantVaryingArray<T>(elem: NdrType<T>, opts: SizeOpts & LengthOpts = {}): NdrType<T[]> {
  return new ArrayType<T>('conformantVarying', elem, 0, opts.sizeIs, opts.lengthIs);
}

/** Byte arrays (`byte`/`unsigned char` elements) as Buffers. */
class BytesType extends NdrBase<Buffer> {
  readonly hasBuffers = false;
  readonly ready = true;
  readonly align: number;
  readonly minSize: number;
  readonly conformant: boolean;

  constructor(
    readonly kind: 'conformantBytes' | 'conformantVaryingBytes' | 'varyingBytes',
    private readonly maxCount: number,
    private readonly sizeIs: CountRef | undefined,
    private readonly lengthIs: CountRef | undefined,
  ) {
    super();
    const varying = kind !== 'conformantBytes';
    this.align = varying ? 4 : 1;
    this.minSize = varying ? 8 : 0;
    this.conformant = kind !== 'varyingBytes';
  }

  get refs(): readonly string[] {
    return refNames(this.sizeIs, this.lengthIs);
  }

  private check(v: Buffer): Buffer {
    if (!(v instanceof Uint8Array)) throw encodeError(`${this.kind}: not a Buffer`);
    return v;
  }

  override encodeConformance(w: NdrWriter, v: Buffer, _ctx: EncodeContext, parent: NdrParent): void {
    const b = this.check(v);
    const max = encodeCount(this.sizeIs, parent, b.length, this.kind);
    if (this.kind === 'conformantBytes' ? max !== b.length : max < b.length) {
      throw encodeError(`${this.kind}: size_is ${max} but ${b.length} bytes`);
    }
    w.u32(max);
  }

  encodeScalars(w: NdrWriter, v: Buffer, _ctx: EncodeContext, parent: NdrParent): void {
    const b = this.check(v);
    if (this.kind !== 'conformantBytes') {
      const actual = encodeCount(this.lengthIs, parent, b.length, this.kind);
      if (actual !== b.length) throw encodeError(`${this.kind}: length_is ${actual} but ${b.length} bytes`);
      if (this.kind === 'varyingBytes' && actual > this.maxCount) {
        throw encodeError(`${this.kind}: ${actual} bytes, max ${this.maxCount}`);
      }
      w.u32(0);
      w.u32(actual);
    }
    w.bytes(b);
  }

  decodeScalars(r: NdrReader, _ctx: DecodeContext, parent: NdrParent, conf: number): Buffer {
    const kind = this.kind;
    if (kind !== 'varyingBytes') {
      if (conf < 0) throw schemaError(`${kind} decoded without its conformance`);
      checkCount(this.sizeIs, parent, conf, r, `${kind} size_is`);
    }
    let n = conf;
    if (kind !== 'conformantBytes') {
      const max = kind === 'varyingBytes' ? this.maxCount : conf;
      const at = r.pos;
      const offset = r.u32();
      n = r.u32();
      if (offset + n > max) {
        throw new NdrError(NdrErrorCode.BAD_COUNT, `${kind}: offset ${offset} + actual_count ${n} > max_count ${max}`, at);
      }
      checkCount(this.lengthIs, parent, n, r, `${kind} length_is`);
    }
    checkFits(r, n, 1, kind);
    return r.bytes(n);
  }
}

/** `[size_is(s)] byte x[]` as a Buffer. */
export function conformantBytes(opts: SizeOpts = {}): NdrType<Buffer> {
  return new BytesType('conformantBytes', 0, opts.sizeIs, undefined);
}

/** `[size_is(s), length_is(l)] byte x[]` as a Buffer (the transmitted bytes). */
export function conformantVaryingBytes(opts: SizeOpts & LengthOpts = {}): NdrType<Buffer> {
  return new BytesType('conformantVaryingBytes', 0, opts.sizeIs, opts.lengthIs);
}

/** `[length_is(l)] byte x[maxCount]` as a Buffer (the transmitted bytes). */
export function varyingBytes(maxCount: number, opts: LengthOpts = {}): NdrType<Buffer> {
  return new BytesType('varyingBytes', maxCount, undefined, opts.lengthIs);
}
