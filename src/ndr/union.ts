// NDR 2.0 discriminated unions (C706 14.3.8). The discriminant is marshalled first, then the selected arm;
// for a non-encapsulated union ([switch_is(f)] field) NDR 2.0 still marshals the discriminant inline, a second
// time after the field f (C706 14.3.8, MS-RPCE 2.2.4.8). Value: { tag, value }.
//
// Alignment. The union's own alignment (seen by an enclosing struct) is the largest of the discriminant's and
// all arms' (pidl find_largest_alignment). Inside the union, by default the discriminant and then the selected
// arm each align themselves: Samba's NDR20 behaviour (ndr_push_union_align is a no-op for NDR20), checked
// byte for byte against Samba's rpcecho echo_Info ([switch_type(uint16)], arms of 1..8-byte alignment) in
// fixtures/ndr/echo_TestCall2_out_*.json. With `msUnion: true` the selected arm is aligned to the largest arm
// alignment after the discriminant: the [ms_union] extension of MS-RPCE 2.2.4.5 to C706 14.3.8 (which some
// Windows IDLs enable for all their unions). The two differ only when the selected arm is less aligned than
// the widest arm and the discriminant leaves the offset unaligned for the widest arm; MS-OXNSPI/MS-OXCRPC
// unions (u32 discriminant, arms of at most 4-byte alignment) are laid out the same either way.
import { NdrError, NdrErrorCode, encodeError, schemaError } from './errors.js';
import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';
import { Composite, refNames, type Built, type CountRef, type NdrType } from './type.js';

/** Arms by discriminant value; null = an empty arm. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UnionArms = { readonly [tag: number]: NdrType<any> | null };

type ArmValue<A> = A extends NdrType<infer V> ? V : null;

/** { tag, value } per arm, plus { tag: number, value } for the default arm if there is one. */
export type UnionValue<A extends UnionArms, D> =
  | { [K in keyof A & number]: { tag: K; value: ArmValue<A[K]> } }[keyof A & number]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | (D extends NdrType<any> | null ? { tag: number; value: ArmValue<D> } : never);

export interface UnionSpec<A extends UnionArms, D> {
  /** For messages. */
  name?: string;
  /** The discriminant's wire type: u8, u16, u32, i16, i32 or enum16. */
  switchType: NdrType<number>;
  arms: A;
  /** Arm for any other discriminant; without it an unknown discriminant is OC_NDR_BAD_UNION_TAG. */
  default?: D;
  /**
   * [switch_is]: the sibling field (or function of the parent) that must equal the discriminant. Encoding and
   * decoding check it; a sibling still undefined (ndr.virtual) receives the decoded discriminant.
   */
  switchIs?: CountRef;
  /** [ms_union] arm alignment (see file comment). */
  msUnion?: boolean;
}

interface ArmValueShape {
  tag: number;
  value: unknown;
}

export class UnionType<V> extends Composite<V> {
  readonly kind = 'union';
  private readonly arms: Map<number, NdrType<unknown> | null>;
  private readonly dflt: NdrType<unknown> | null | undefined;

  constructor(private readonly spec: UnionSpec<UnionArms, unknown>) {
    super();
    this.arms = new Map();
    for (const k of Object.keys(spec.arms)) {
      const tag = Number(k);
      if (!Number.isInteger(tag)) throw schemaError(`${this.name}: arm key ${k} is not an integer`);
      this.arms.set(tag, spec.arms[tag] ?? null);
    }
    this.dflt = spec.default as NdrType<unknown> | null | undefined;
    this.prepareIfReady();
  }

  override get name(): string {
    return this.spec.name ?? 'union';
  }
  get refs(): readonly string[] {
    return refNames(this.spec.switchIs);
  }
  protected children(): readonly NdrType<unknown>[] {
    const out: NdrType<unknown>[] = [this.spec.switchType];
    for (const a of this.arms.values()) if (a) out.push(a);
    if (this.dflt) out.push(this.dflt);
    return out;
  }

  protected build(): Built<V> {
    const name = this.name;
    const sw = this.spec.switchType;
    const switchIs = this.spec.switchIs;
    const arms = this.arms;
    const dflt = this.dflt;
    const hasDefault = dflt !== undefined;
    let armAlign = 1;
    let minArm = Infinity;
    let hasBuffers = false;
    for (const a of [...arms.values(), ...(hasDefault ? [dflt] : [])]) {
      if (a === null) {
        minArm = 0;
        continue;
      }
      if (a.conformant) throw schemaError(`${name}: a union arm cannot be conformant (${a.name})`);
      if (a.isVirtual) throw schemaError(`${name}: a union arm cannot be virtual`);
      armAlign = Math.max(armAlign, a.align);
      minArm = Math.min(minArm, a.minSize);
      if (a.hasBuffers) hasBuffers = true;
    }
    if (minArm === Infinity) minArm = 0;
    const msAlign = this.spec.msUnion ? armAlign : 1;

    const armFor = (tag: number): NdrType<unknown> | null | undefined => {
      const a = arms.get(tag);
      return a !== undefined ? a : dflt;
    };
    const expectedTag = (parent: Record<string, unknown> | undefined): unknown => {
      if (switchIs === undefined || parent === undefined) return undefined;
      return typeof switchIs === 'string' ? parent[switchIs] : switchIs(parent);
    };

    const b: Built<V> = {
      align: Math.max(sw.align, armAlign),
      minSize: sw.minSize + minArm,
      conformant: false,
      hasBuffers,
      encodeScalars: (w: NdrWriter, v, ctx, parent) => {
        const u = v as unknown as ArmValueShape;
        if (typeof u !== 'object' || u === null) throw encodeError(`${name}: not a { tag, value } object`);
        const tag = u.tag;
        const arm = armFor(tag);
        if (arm === undefined) throw encodeError(`${name}: no arm for discriminant ${String(tag)}`);
        const exp = expectedTag(parent);
        if (exp !== undefined && exp !== tag) throw encodeError(`${name}: discriminant ${tag} but switch_is gives ${String(exp)}`);
        sw.encodeScalars(w, tag, ctx, parent);
        if (msAlign > 1) w.align(msAlign);
        if (arm !== null) arm.encodeScalars(w, u.value, ctx, parent);
      },
      decodeScalars: (r: NdrReader, ctx, parent) => {
        const at = r.pos;
        const tag = sw.decodeScalars(r, ctx, parent, -1);
        const arm = armFor(tag);
        if (arm === undefined) throw new NdrError(NdrErrorCode.BAD_UNION_TAG, `${name}: no arm for discriminant ${tag}`, at);
        if (switchIs !== undefined && parent !== undefined) {
          const exp = expectedTag(parent);
          if (exp === undefined && typeof switchIs === 'string') parent[switchIs] = tag;
          else if (exp !== tag) {
            throw new NdrError(NdrErrorCode.BAD_UNION_TAG, `${name}: discriminant ${tag} but switch_is gives ${String(exp)}`, at);
          }
        }
        if (msAlign > 1) r.align(msAlign);
        const value = arm === null ? null : arm.decodeScalars(r, ctx, parent, -1);
        return { tag, value } as V;
      },
    };
    if (hasBuffers) {
      b.encodeBuffers = (w, v, ctx, parent) => {
        const u = v as unknown as ArmValueShape;
        const arm = armFor(u.tag);
        if (arm && arm.hasBuffers) arm.encodeBuffers(w, u.value, ctx, parent);
      };
      b.decodeBuffers = (r, v, ctx, parent) => {
        const u = v as unknown as ArmValueShape;
        const arm = armFor(u.tag);
        if (arm && arm.hasBuffers) u.value = arm.decodeBuffers(r, u.value, ctx, parent);
        return v;
      };
    }
    return b;
  }
}

export function union<const A extends UnionArms, D extends NdrType<unknown> | null | undefined = undefined>(
  spec: UnionSpec<A, D>,
): NdrType<UnionValue<A, D>> {
  return new UnionType<UnionValue<A, D>>(spec as unknown as UnionSpec<UnionArms, unknown>);
}
