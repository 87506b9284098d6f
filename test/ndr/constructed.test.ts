// Structures, conformance hoisting, pointers, unions, parameters, recursion and limits (C706 14.3), with hex
// derived by hand from the rules (offsets in the comments).
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ndr, ndrLimits, setNdrLimits, type Infer, type NdrType } from '../../src/ndr/index.js';
import { OcError } from '../../src/util/errors.js';
import { hex } from './helpers.js';
import { Restriction_r } from './schemas.js';

function both<T>(t: NdrType<T>, value: T, h: string): void {
  expect(t.encode(value).toString('hex')).toBe(hex(h).toString('hex'));
  expect(t.decode(hex(h))).toEqual(value);
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof OcError) return e.code;
    throw e;
  }
  return undefined;
}

describe('conformant structures', () => {
  const inner = ndr.struct('inner', { n: ndr.u32, data: ndr.conformantArray(ndr.u16, { sizeIs: 'n' }) });
  const outer = ndr.struct('outer', { a: ndr.u16, inner });

  it('hoist max_count to the start of the outermost struct', () => {
    // 0 max_count, 4 a, 6 pad, 8 n, 12 data
    both(outer, { a: 1, inner: { n: 2, data: [10, 11] } }, '02000000 0100 0000 02000000 0a00 0b00');
  });

  it('put the max_count at the start of a pointer referent', () => {
    const holder = ndr.struct('holder', { x: ndr.u8, p: ndr.unique(outer) });
    // 0 x, 4 referent id; referent: 8 max_count, 12 a, 16 n, 20 data
    both(holder, { x: 1, p: { a: 1, inner: { n: 2, data: [10, 11] } } }, '01000000 00000200 02000000 0100 0000 02000000 0a00 0b00');
  });

  it('an embedded [string] last member makes a conformant-varying struct', () => {
    both(ndr.struct('named', { x: ndr.u32, name: ndr.string() }), { x: 7, name: 'ab' }, '03000000 07000000 00000000 03000000 616200');
  });

  it('size_is naming a sibling is checked when decoding (OC_NDR_SIZE_MISMATCH)', () => {
    expect(code(() => inner.decode(hex('03000000 02000000 0a000b000c00')))).toBe('OC_NDR_SIZE_MISMATCH');
    expect(code(() => inner.encode({ n: 3, data: [1, 2] }))).toBe('OC_NDR_ENCODE');
  });

  it('size_is/length_is functions (PropertyTagArray_r: size_is(cValues + 1), length_is(cValues))', () => {
    const PropertyTagArray_r = ndr.struct('PropertyTagArray_r', {
      cValues: ndr.u32,
      aulPropTag: ndr.conformantVaryingArray(ndr.u32, { sizeIs: (p: { cValues: number }) => p.cValues + 1, lengthIs: 'cValues' }),
    });
    both(PropertyTagArray_r, { cValues: 2, aulPropTag: [0x3001001f, 0x0fff0102] }, '03000000 02000000 00000000 02000000 1f000130 0201ff0f');
    expect(code(() => PropertyTagArray_r.decode(hex('04000000 02000000 00000000 02000000 1f000130 0201ff0f')))).toBe('OC_NDR_SIZE_MISMATCH');
    expect(code(() => PropertyTagArray_r.decode(hex('03000000 02000000 00000000 01000000 1f000130')))).toBe('OC_NDR_SIZE_MISMATCH');
  });

  it('refuse schemas that cannot be marshalled (OC_NDR_SCHEMA)', () => {
    expect(code(() => ndr.struct('bad', { a: ndr.conformantArray(ndr.u8), b: ndr.u32 }))).toBe('OC_NDR_SCHEMA');
    expect(code(() => ndr.struct('bad', { a: ndr.u32, b: ndr.conformantArray(ndr.u8, { sizeIs: 'nope' }) }))).toBe('OC_NDR_SCHEMA');
    expect(code(() => ndr.conformantArray(inner))).toBe('OC_NDR_SCHEMA');
    expect(code(() => ndr.union({ switchType: ndr.u32, arms: { 1: inner } }))).toBe('OC_NDR_SCHEMA');
  });

  it('refuse non-objects and non-arrays when encoding', () => {
    expect(code(() => outer.encode(null as never))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.conformantArray(ndr.u8).encode('ab' as never))).toBe('OC_NDR_ENCODE');
  });
});

describe('pointers', () => {
  it('top-level: [ref] has no referent id, [unique] is id + referent at once', () => {
    const p = ndr.params({ r: ndr.ref(ndr.u32), u: ndr.unique(ndr.u32), n: ndr.unique(ndr.u32), x: ndr.u16 });
    both(p, { r: 1, u: 2, n: null, x: 3 }, '01000000 00000200 02000000 00000000 0300');
  });

  it('top-level pointer to pointer: ref -> unique -> referent', () => {
    const p = ndr.params({ pp: ndr.ref(ndr.unique(ndr.u16)), x: ndr.u32 });
    both(p, { pp: 9, x: 1 }, '00000200 0900 0000 01000000');
    both(p, { pp: null, x: 1 }, '00000000 01000000');
  });

  it('[unique] T ** (RfrGetNewDSA ppszServer): outer null, pointer to null, pointer to a value', () => {
    const p = ndr.params({ pp: ndr.unique(ndr.unique(ndr.string())), x: ndr.u16 });
    both(p, { pp: null, x: 1 }, '00000000 0100');
    both(p, { pp: { value: null }, x: 1 }, '00000200 00000000 0100');
    both(p, { pp: { value: 'ab' }, x: 1 }, '00000200 04000200 03000000 00000000 03000000 616200 00 0100');
    const s = ndr.struct('S', { pp: ndr.full(ndr.unique(ndr.u16)), y: ndr.u16 });
    both(s, { pp: { value: 5 }, y: 2 }, '01000000 0200 0000 00000200 0500');
    expectTypeOf<Infer<typeof p>['pp']>().toEqualTypeOf<{ value: string | null } | null>();
  });

  it('embedded: ids 0x00020000 +4 in the scalars, referents deferred in order', () => {
    const s = ndr.struct('S', { a: ndr.unique(ndr.u32), b: ndr.unique(ndr.u32), c: ndr.unique(ndr.u32) });
    both(s, { a: 1, b: null, c: 3 }, '00000200 00000000 04000200 01000000 03000000');
  });

  it('an embedded [ref] must not be null', () => {
    const s = ndr.struct('S', { p: ndr.ref(ndr.u32) });
    both(s, { p: 5 }, '00000200 05000000');
    expect(code(() => s.decode(hex('00000000 05000000')))).toBe('OC_NDR_NULL_REF');
    expect(code(() => s.encode({ p: null as unknown as number }))).toBe('OC_NDR_ENCODE');
  });

  it('arrays of structs with pointers: all scalars first, then each element\'s referents depth-first', () => {
    const B = ndr.struct('B', { c: ndr.unique(ndr.u16), d: ndr.u16 });
    const E = ndr.struct('E', { a: ndr.unique(ndr.u32), b: ndr.unique(B) });
    both(
      ndr.conformantArray(E),
      [
        { a: 1, b: { c: 2, d: 3 } },
        { a: null, b: { c: null, d: 4 } },
      ],
      // 0 max; E0: 4 a id, 8 b id; E1: 12 a null, 16 b id; E0 referents: 20 a=1, 24 B{c id, d=3}, 30 c=2;
      // E1 referents: 32 B{c null, d=4}
      '02000000 00000200 04000200 00000000 08000200 01000000 0c000200 0300 0200 00000000 0400',
    );
  });

  it('union arms with pointers defer their referents like struct members', () => {
    const s = ndr.struct('S', { u: ndr.union({ switchType: ndr.u32, arms: { 1: ndr.unique(ndr.u32) } }), x: ndr.u32 });
    both(s, { u: { tag: 1, value: 9 }, x: 3 }, '01000000 00000200 03000000 09000000');
  });

  it('full pointers: ids 1, 2, ...; no aliasing when encoding', () => {
    const s = ndr.struct('F', { a: ndr.full(ndr.u32), b: ndr.full(ndr.u32), c: ndr.unique(ndr.u32) });
    both(s, { a: 7, b: 7, c: 1 }, '01000000 02000000 00000200 07000000 07000000 01000000');
  });

  it('full pointers: the same id decodes to the same value, its referent read once', () => {
    const X = ndr.struct('X', { v: ndr.u32 });
    const s = ndr.struct('G', { a: ndr.full(X), b: ndr.full(X), n: ndr.u32 });
    const { value, length } = s.decodeWithLength(hex('05000000 05000000 08000000 09000000'));
    expect(value).toEqual({ a: { v: 9 }, b: { v: 9 }, n: 8 });
    expect(value.a).toBe(value.b);
    expect(length).toBe(16);
  });

  it('full pointers: an id reused for another type, or a referent pointing at itself, is OC_NDR_BAD_POINTER', () => {
    const h = ndr.struct('H', { a: ndr.full(ndr.u32), b: ndr.full(ndr.u16) });
    expect(code(() => h.decode(hex('01000000 01000000 07000000')))).toBe('OC_NDR_BAD_POINTER');
    type Node = { v: number; next: Node | null };
    const Node: NdrType<Node> = ndr.struct('Node', { v: ndr.u32, next: ndr.full(ndr.lazy(() => Node)) });
    expect(Node.decode(hex('05000000 01000000 06000000 00000000'))).toEqual({ v: 5, next: { v: 6, next: null } });
    expect(code(() => Node.decode(hex('05000000 01000000 06000000 01000000')))).toBe('OC_NDR_BAD_POINTER');
  });
});

describe('unions', () => {
  const U = ndr.union({
    switchType: ndr.u32,
    arms: { 1: ndr.u32, 2: null, 3: ndr.unique(ndr.wstring()) },
    default: ndr.u16,
  });

  it('discriminant then arm; empty arm; default arm', () => {
    both(U, { tag: 1, value: 5 }, '01000000 05000000');
    both(U, { tag: 2, value: null }, '02000000');
    both(U, { tag: 9, value: 3 }, '09000000 0300');
    both(U, { tag: 3, value: 'a' }, '03000000 00000200 02000000 00000000 02000000 6100 0000');
  });

  it('an unknown discriminant without default is OC_NDR_BAD_UNION_TAG (OC_NDR_ENCODE when encoding)', () => {
    const V = ndr.union({ switchType: ndr.u16, arms: { 1: ndr.u8 } });
    expect(code(() => V.decode(hex('0200 05')))).toBe('OC_NDR_BAD_UNION_TAG');
    expect(code(() => V.encode({ tag: 2 as 1, value: 5 }))).toBe('OC_NDR_ENCODE');
  });

  it('each arm aligns itself by default; msUnion aligns the arm to the widest arm (MS-RPCE 2.2.4.5)', () => {
    const arms = { 1: ndr.u8, 2: ndr.hyper };
    both(ndr.union({ switchType: ndr.u16, arms }), { tag: 1, value: 5 }, '0100 05');
    both(ndr.union({ switchType: ndr.u16, arms, msUnion: true }), { tag: 1, value: 5 }, '0100 000000000000 05');
    both(ndr.union({ switchType: ndr.u16, arms }), { tag: 2, value: 5n }, '0200 000000000000 0500000000000000');
  });

  it('a union member aligns the enclosing struct to its widest arm', () => {
    const s = ndr.params({ a: ndr.u8, s: ndr.struct('S', { u: ndr.union({ switchType: ndr.u16, arms: { 1: ndr.u8, 2: ndr.hyper } }) }) });
    both(s, { a: 1, s: { u: { tag: 1, value: 2 } } }, '01 00000000000000 0100 02');
  });

  it('switchIs: the discriminant must equal the named sibling', () => {
    const s = ndr.struct('S', { k: ndr.u32, u: ndr.union({ switchType: ndr.u32, switchIs: 'k', arms: { 1: ndr.u32, 2: ndr.u16 } }) });
    both(s, { k: 2, u: { tag: 2, value: 5 } }, '02000000 02000000 0500');
    expect(code(() => s.decode(hex('01000000 02000000 0500')))).toBe('OC_NDR_BAD_UNION_TAG');
    expect(code(() => s.encode({ k: 1, u: { tag: 2, value: 5 } }))).toBe('OC_NDR_ENCODE');
  });
});

describe('parameters and virtual fields', () => {
  it('size_is naming a virtual [in] parameter: encoded from it (or the length), filled in when decoding', () => {
    const p = ndr.params({ n: ndr.virtual(), a: ndr.conformantVaryingArray(ndr.u8, { sizeIs: 'n' }) });
    expect(p.encode({ a: [1, 2] }).toString('hex')).toBe('020000000000000002000000' + '0102');
    both(p, { n: 5, a: [1, 2] }, '05000000 00000000 02000000 0102');
    expect(code(() => p.encode({ n: 1, a: [1, 2] }))).toBe('OC_NDR_ENCODE');
  });

  it('a conformant parameter writes its max_count in place', () => {
    both(ndr.params({ x: ndr.u16, a: ndr.conformantArray(ndr.u32) }), { x: 1, a: [2] }, '0100 0000 01000000 02000000');
  });
});

describe('recursion and limits', () => {
  type R = Infer<typeof Restriction_r>;
  const nest = (depth: number): R => {
    let r: R = { rt: 8, res: { tag: 8, value: { ulReserved1: 0, ulPropTag: 0x39000003, ulReserved2: 0 } } };
    for (let i = 0; i < depth; i++) r = { rt: 2, res: { tag: 2, value: { lpRes: r } } };
    return r;
  };

  it('decodes restrictions nested within the depth limit, refuses deeper ones (OC_NDR_DEPTH)', () => {
    const deep = nest(70);
    const bytes = Restriction_r.encode(deep);
    expect(code(() => Restriction_r.decode(bytes))).toBe('OC_NDR_DEPTH');
    expect(Restriction_r.decode(bytes, { maxDepth: 100 })).toEqual(deep);
    expect(Restriction_r.decode(Restriction_r.encode(nest(60)))).toEqual(nest(60));
  });

  it('counts array elements against maxElements (OC_NDR_LIMIT) before allocating', () => {
    const a = ndr.conformantArray(ndr.u8);
    const bytes = a.encode([1, 2, 3, 4, 5, 6]);
    expect(a.decode(bytes, { maxElements: 6 })).toEqual([1, 2, 3, 4, 5, 6]);
    expect(code(() => a.decode(bytes, { maxElements: 5 }))).toBe('OC_NDR_LIMIT');
  });

  it('process-wide defaults come from setNdrLimits', () => {
    const saved = { ...ndrLimits };
    const a = ndr.conformantArray(ndr.u16);
    const bytes = a.encode([1, 2, 3, 4]);
    try {
      setNdrLimits({ maxElements: 3 });
      expect(code(() => a.decode(bytes))).toBe('OC_NDR_LIMIT');
      expect(a.decode(bytes, { maxElements: 4 })).toEqual([1, 2, 3, 4]);
    } finally {
      setNdrLimits(saved);
    }
    expect(a.decode(bytes)).toEqual([1, 2, 3, 4]);
  });

  it('a type containing itself without a pointer is OC_NDR_SCHEMA on first use', () => {
    type Bad = { a: number; self: Bad };
    const Bad: NdrType<Bad> = ndr.struct('Bad', { a: ndr.u32, self: ndr.lazy(() => Bad) });
    expect(code(() => Bad.encode({ a: 1 } as Bad))).toBe('OC_NDR_SCHEMA');
  });

  it('a cyclic value fails to encode with OC_NDR_ENCODE, not a stack overflow', () => {
    type Node = { next: Node | null };
    const Node: NdrType<Node> = ndr.struct('Node', { next: ndr.unique(ndr.lazy(() => Node)) });
    const n: Node = { next: null };
    n.next = n;
    expect(code(() => Node.encode(n))).toBe('OC_NDR_ENCODE');
  });
});

describe('custom codecs', () => {
  it('sit in a schema with their own alignment', () => {
    const FILETIME64 = ndr.custom<bigint>({
      name: 'FILETIME',
      align: 4,
      minSize: 8,
      encodeScalars(w, v) {
        w.u32(Number(v & 0xffffffffn));
        w.u32(Number(v >> 32n));
      },
      decodeScalars(r) {
        const lo = r.u32();
        return (BigInt(r.u32()) << 32n) | BigInt(lo);
      },
    });
    both(ndr.struct('S', { a: ndr.u8, t: FILETIME64 }), { a: 1, t: 0x0102030405060708n }, '01000000 08070605 04030201');
  });
});

describe('inferred TS types', () => {
  it('follow the schema', () => {
    const S = ndr.struct('S', {
      n: ndr.u32,
      h: ndr.hyper,
      s: ndr.unique(ndr.wstring()),
      b: ndr.unique(ndr.conformantBytes()),
      v: ndr.virtual(),
      g: ndr.guid,
      l: ndr.conformantArray(ndr.u16),
    });
    type V = Infer<typeof S>;
    expectTypeOf<V['b']>().toEqualTypeOf<Buffer | null>();
    expectTypeOf<Omit<V, 'b'>>().toEqualTypeOf<{ n: number; h: bigint; s: string | null; v?: number; g: string; l: number[] }>();
    const U = ndr.union({ switchType: ndr.u32, arms: { 1: ndr.u32, 2: ndr.unique(ndr.wstring()), 3: null } });
    expectTypeOf<Infer<typeof U>>().toEqualTypeOf<
      { tag: 1; value: number } | { tag: 2; value: string | null } | { tag: 3; value: null }
    >();
    expect(true).toBe(true);
  });
});
