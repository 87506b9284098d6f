// NDR 2.0 structures (C706 14.3.7) and operation parameter lists.
//
// struct: members in object-key order; alignment = the largest member alignment, applied before the first
// member. A struct whose last wire member is conformant (a conformant array or string, or a conformant struct)
// is itself conformant: its max_count is written by whoever owns the outermost struct, before that struct's
// alignment (C706 14.3.7.1-2; pidl: ndr_push_array_size then ndr_push_align). The member's offset and
// actual_count (if varying) stay in place. Scalars of all members first, then each member's deferred referents.
//
// params: [in] or [out] parameters of an operation (C706 14.3.12.3 / MS-RPCE 2.2.5). Each parameter is
// marshalled completely before the next one; a top-level [ref] pointer has no referent id, a top-level
// [unique]/[ptr] pointer is its id followed at once by its referent. [in] handle_t parameters are left out.
//
// The struct phases are compiled once into straight-line JS (new Function) with primitive members inlined;
// member names go into the generated source only as JSON string literals.
import { encodeError, schemaError } from './errors.js';
import type { NdrVirtual } from './primitives.js';
import { Primitive } from './primitives.js';
import { PointerType } from './pointers.js';
import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';
import {
  Composite,
  decodeComplete,
  encodeComplete,
  type Built,
  type DecodeContext,
  type EncodeContext,
  type NdrParent,
  type NdrType,
} from './type.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fields = { readonly [name: string]: NdrType<any> };

type Simplify<T> = { [K in keyof T]: T[K] } & {};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type VirtualKeys<F> = { [K in keyof F]: F[K] extends NdrVirtual<any> ? K : never }[keyof F];
type ValueOf<X> = X extends NdrType<infer T> ? T : never;

/** TS value of a struct/params: every member, virtual members optional. */
export type StructValue<F extends Fields> = Simplify<
  { -readonly [K in Exclude<keyof F, VirtualKeys<F>>]: ValueOf<F[K]> } & {
    -readonly [K in VirtualKeys<F>]?: ValueOf<F[K]>;
  }
>;

function memberNames(owner: string, fields: Fields): string[] {
  const keys = Object.keys(fields);
  for (const k of keys) {
    if (k === '__proto__') throw schemaError(`${owner}: member name __proto__ is not allowed`);
    const t = fields[k] as NdrType<unknown> | undefined;
    if (t === undefined || typeof t.encodeScalars !== 'function') throw schemaError(`${owner}.${k}: not an NDR type`);
  }
  return keys;
}

function checkRefs(owner: string, keys: readonly string[], types: readonly NdrType<unknown>[]): void {
  for (let i = 0; i < types.length; i++) {
    const t = types[i] as NdrType<unknown>;
    if (!t.ready) continue;
    for (const ref of t.refs) {
      if (!keys.includes(ref)) throw schemaError(`${owner}.${keys[i]}: size/length/switch reference '${ref}' is not a member`);
    }
  }
}

export class StructType<V> extends Composite<V> {
  readonly kind = 'struct';
  private readonly keys: string[];
  private readonly types: NdrType<unknown>[];

  constructor(
    private readonly structName: string,
    fields: Fields,
  ) {
    super();
    this.keys = memberNames(structName, fields);
    this.types = this.keys.map((k) => fields[k] as NdrType<unknown>);
    this.prepareIfReady();
  }

  override get name(): string {
    return this.structName;
  }
  get refs(): readonly string[] {
    return [];
  }
  protected children(): readonly NdrType<unknown>[] {
    return this.types;
  }

  protected build(): Built<V> {
    const { keys, types, structName } = this;
    const wire: number[] = [];
    types.forEach((t, i) => {
      if (!t.isVirtual) wire.push(i);
    });
    const last = wire.length ? (wire[wire.length - 1] as number) : -1;
    let align = 1;
    let minSize = 0;
    let hasBuffers = false;
    for (const i of wire) {
      const t = types[i] as NdrType<unknown>;
      if (t.conformant && i !== last) throw schemaError(`${structName}.${keys[i]}: a conformant member must be the last one`);
      align = Math.max(align, t.align);
      minSize += t.minSize;
      if (t.hasBuffers) hasBuffers = true;
    }
    checkRefs(structName, keys, types);
    const conformant = last >= 0 && (types[last] as NdrType<unknown>).conformant;

    // Generated code: T<i> = member types, E = encodeError.
    const lit = (i: number): string => JSON.stringify(keys[i]);
    const prim = (i: number): Primitive<unknown> | undefined => {
      const t = types[i];
      return t instanceof Primitive && t.inlineRead !== undefined ? t : undefined;
    };
    const es: string[] = [
      `if (typeof v !== 'object' || v === null) throw E(${JSON.stringify(`${structName}: not an object`)});`,
    ];
    if (align > 1) es.push(`w.align(${align});`);
    const ds: string[] = [];
    if (align > 1) ds.push(`r.align(${align});`);
    ds.push(`const o = {${keys.map((k) => `${JSON.stringify(k)}: undefined`).join(', ')}};`);
    const eb: string[] = [];
    const db: string[] = [];
    for (const i of wire) {
      const t = types[i] as NdrType<unknown>;
      const p = prim(i);
      if (p) {
        es.push(`${(p.inlineWrite as string).replace('$', `v[${lit(i)}]`)};`);
        ds.push(`o[${lit(i)}] = ${p.inlineRead as string};`);
      } else {
        es.push(`T${i}.encodeScalars(w, v[${lit(i)}], ctx, v);`);
        ds.push(`o[${lit(i)}] = T${i}.decodeScalars(r, ctx, o, ${i === last ? 'conf' : '-1'});`);
      }
      if (t.hasBuffers) {
        eb.push(`T${i}.encodeBuffers(w, v[${lit(i)}], ctx, v);`);
        db.push(`o[${lit(i)}] = T${i}.decodeBuffers(r, o[${lit(i)}], ctx, o);`);
      }
    }
    ds.push('return o;');
    db.push('return o;');
    const argNames = types.map((_, i) => `T${i}`);
    const src =
      `return {\n` +
      `encodeScalars(w, v, ctx, parent) {\n${es.join('\n')}\n},\n` +
      `encodeBuffers(w, v, ctx, parent) {\n${eb.join('\n')}\n},\n` +
      `decodeScalars(r, ctx, parent, conf) {\n${ds.join('\n')}\n},\n` +
      `decodeBuffers(r, o, ctx, parent) {\n${db.join('\n')}\n},\n` +
      `};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const make = new Function(...argNames, 'E', src) as (...a: unknown[]) => Built<V>;
    const fns = make(...types, encodeError);

    const b: Built<V> = {
      align,
      minSize,
      conformant,
      hasBuffers,
      encodeScalars: fns.encodeScalars,
      decodeScalars: fns.decodeScalars,
    };
    if (hasBuffers) {
      b.encodeBuffers = fns.encodeBuffers;
      b.decodeBuffers = fns.decodeBuffers;
    }
    if (conformant) {
      const lt = types[last] as NdrType<unknown>;
      const lk = keys[last] as string;
      b.encodeConformance = (w: NdrWriter, v: V, ctx: EncodeContext) => {
        if (typeof v !== 'object' || v === null) throw encodeError(`${structName}: not an object`);
        lt.encodeConformance(w, (v as Record<string, unknown>)[lk], ctx, v as NdrParent);
      };
    }
    return b;
  }
}

/** `struct name { ... }`: members in key order. */
export function struct<const F extends Fields>(name: string, fields: F): NdrType<StructValue<F>> {
  return new StructType<StructValue<F>>(name, fields);
}

/** An operation's [in] or [out] parameter list. */
export class ParamsType<V> extends Composite<V> {
  readonly kind = 'params';
  private readonly keys: string[];
  private readonly types: NdrType<unknown>[];

  constructor(fields: Fields) {
    super();
    this.keys = memberNames('params', fields);
    this.types = this.keys.map((k) => fields[k] as NdrType<unknown>);
    this.prepareIfReady();
  }

  get refs(): readonly string[] {
    return [];
  }
  protected children(): readonly NdrType<unknown>[] {
    // top-level pointers' targets are marshalled here, so their layout is needed too
    return this.types.map((t) => (t instanceof PointerType ? (t.target as NdrType<unknown>) : t));
  }

  protected build(): Built<V> {
    const { keys, types } = this;
    checkRefs('params', keys, types);
    let minSize = 0;
    for (const t of types) if (!t.isVirtual) minSize += t.minSize;
    const n = keys.length;
    return {
      align: 1,
      minSize,
      conformant: false,
      hasBuffers: false,
      encodeScalars: (w: NdrWriter, v: V, ctx: EncodeContext) => {
        if (typeof v !== 'object' || v === null) throw encodeError('params: not an object');
        const o = v as Record<string, unknown>;
        for (let i = 0; i < n; i++) {
          const t = types[i] as NdrType<unknown>;
          if (t.isVirtual) continue;
          const k = keys[i] as string;
          if (t instanceof PointerType) t.encodeTop(w, o[k], ctx, o);
          else encodeComplete(t, w, o[k], ctx, o);
        }
      },
      decodeScalars: (r: NdrReader, ctx: DecodeContext) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) o[keys[i] as string] = undefined;
        for (let i = 0; i < n; i++) {
          const t = types[i] as NdrType<unknown>;
          if (t.isVirtual) continue;
          const k = keys[i] as string;
          o[k] = t instanceof PointerType ? t.decodeTop(r, ctx, o) : decodeComplete(t, r, ctx, o);
        }
        return o as V;
      },
    };
  }
}

/** An operation's [in] or [out] parameters, in IDL order (see file comment). */
export function params<const F extends Fields>(fields: F): NdrType<StructValue<F>> {
  return new ParamsType<StructValue<F>>(fields);
}
