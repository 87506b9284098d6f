// fast-check properties over several schemas (flat, nested pointers, conformant structs, unions, recursion,
// parameters): (a) generated values round-trip; (b) arbitrary bytes and (c) mutated valid encodings decode to a
// value or an NdrError (never another exception), quickly; a value decoded from mutated bytes re-encodes and
// decodes to itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NdrError, ndr, type Infer, type NdrType } from '../../src/ndr/index.js';
import * as S from './schemas.js';

const u32 = fc.nat({ max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const i16 = fc.integer({ min: -0x8000, max: 0x7fff });
const bytes = (max = 40) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const latin1 = fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const wide = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\0'));
const guid = fc.uuid({ version: [1, 2, 3, 4, 5] }).map((g) => g.toLowerCase());
const small = <T>(a: fc.Arbitrary<T>, max = 5) => fc.array(a, { maxLength: max });

// ---- schemas ----
const Flat = ndr.struct('Flat', {
  a: ndr.u8,
  b: ndr.i16,
  c: ndr.u32,
  d: ndr.i32,
  e: ndr.hyper,
  f: ndr.f64,
  g: ndr.guid,
  h: ndr.enum16,
  i: ndr.u64,
  j: ndr.f32,
  k: ndr.fixedBytes(3),
  l: ndr.i8,
  m: ndr.contextHandle,
});
const flatArb: fc.Arbitrary<Infer<typeof Flat>> = fc.record({
  a: fc.nat({ max: 255 }),
  b: i16,
  c: u32,
  d: i32,
  e: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  f: fc.double(),
  g: guid,
  h: fc.nat({ max: 0x7fff }),
  i: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  j: fc.float(),
  k: fc.uint8Array({ minLength: 3, maxLength: 3 }).map((b) => Buffer.from(b)),
  l: fc.integer({ min: -128, max: 127 }),
  m: fc.record({ attributes: u32, uuid: guid }),
});

const Inner = ndr.struct('Inner', {
  s: ndr.unique(ndr.string()),
  arr: ndr.unique(ndr.conformantArray(ndr.unique(ndr.u32))),
  b: ndr.full(ndr.conformantBytes()),
  h: ndr.unique(ndr.hyper),
});
const Nested = ndr.struct('Nested', {
  name: ndr.unique(ndr.wstring()),
  inner: ndr.unique(Inner),
  x: ndr.u16,
  list: ndr.unique(ndr.conformantVaryingArray(Inner)),
});
const innerArb = fc.record({
  s: fc.option(latin1),
  arr: fc.option(small(fc.option(u32))),
  b: fc.option(bytes()),
  h: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
});
const nestedArb: fc.Arbitrary<Infer<typeof Nested>> = fc.record({
  name: fc.option(wide),
  inner: fc.option(innerArb),
  x: fc.nat({ max: 0xffff }),
  list: fc.option(small(innerArb, 3)),
});

const twrArb = bytes(60).map((b) => ({ tower_length: b.length, tower_octet_string: b }));

type PV = S.PropertyValue_r;
const pv = (type: number, value: fc.Arbitrary<unknown>): fc.Arbitrary<PV> =>
  fc.tuple(fc.nat({ max: 0xffff }), value).map(([id, v]) => ({ ulPropTag: ((id << 16) | type) >>> 0, ulReserved: 0, Value: { tag: type, value: v } }) as PV);
const bin = bytes().map((b) => ({ cb: b.length, lpb: b as Buffer | null }));
const ft = fc.record({ dwLowDateTime: u32, dwHighDateTime: u32 });
const mvOf = <T>(field: string, a: fc.Arbitrary<T>) =>
  small(a).map((xs) => ({ cValues: xs.length, [field]: xs.length ? xs : null }) as Record<string, unknown>);
const propValueArb: fc.Arbitrary<PV> = fc.oneof(
  pv(0x0002, i16),
  pv(0x0003, i32),
  pv(0x000b, fc.nat({ max: 1 })),
  pv(0x001e, fc.option(latin1)),
  pv(0x0102, bin),
  pv(0x001f, fc.option(wide)),
  pv(0x0048, fc.option(guid)),
  pv(0x0040, ft),
  pv(0x000a, u32),
  pv(0x1002, mvOf('lpi', i16)),
  pv(0x1003, mvOf('lpl', i32)),
  pv(0x101e, mvOf('lppszA', fc.option(latin1))),
  pv(0x1102, mvOf('lpbin', bin)),
  pv(0x1048, mvOf('lpguid', fc.option(guid))),
  pv(0x101f, mvOf('lppszW', fc.option(wide))),
  pv(0x1040, mvOf('lpft', ft)),
  pv(0x0001, i32),
);
const rowSetArb = small(small(propValueArb, 6), 4).map((rows) => ({
  cRows: rows.length,
  aRow: rows.map((props) => ({ Reserved: 0, cValues: props.length, lpProps: props.length ? props : null })),
}));

type R = S.Restriction_r;
const leafArb: fc.Arbitrary<R> = fc.oneof(
  fc.record({ relop: u32, ulPropTag: u32, cb: u32 }).map((v) => ({ rt: 7, res: { tag: 7, value: v } })),
  fc.record({ ulReserved1: u32, ulPropTag: u32, ulReserved2: u32 }).map((v) => ({ rt: 8, res: { tag: 8, value: v } })),
  fc.record({ relBMR: u32, ulPropTag: u32, ulMask: u32 }).map((v) => ({ rt: 6, res: { tag: 6, value: v } })),
  fc.record({ ulFuzzyLevel: u32, ulPropTag: u32, lpProp: fc.option(propValueArb) }).map((v) => ({ rt: 3, res: { tag: 3, value: v } })),
);
const restrictionArb: fc.Arbitrary<R> = fc.letrec<{ r: R }>((tie) => ({
  r: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    small(tie('r'), 3).map((xs) => ({ rt: 0, res: { tag: 0, value: { cRes: xs.length, lpRes: xs.length ? xs : null } } })),
    small(tie('r'), 3).map((xs) => ({ rt: 1, res: { tag: 1, value: { cRes: xs.length, lpRes: xs.length ? xs : null } } })),
    fc.option(tie('r')).map((x) => ({ rt: 2, res: { tag: 2, value: { lpRes: x } } })),
    fc.tuple(u32, fc.option(tie('r'))).map(([o, x]) => ({ rt: 9, res: { tag: 9, value: { ulSubObject: o, lpRes: x } } })),
  ),
})).r;

const lookupArb = fc
  .tuple(small(fc.record({ object: guid, tower: fc.option(twrArb), annotation: latin1.filter((s) => s.length < 64) }), 4), fc.nat({ max: 3 }))
  .map(([entries, extra]) => ({
    entry_handle: { attributes: 0, uuid: '00000000-0000-0000-0000-000000000000' },
    num_ents: entries.length,
    max_ents: entries.length + extra,
    entries,
    status: 0,
  }));

/** Random stubs made of u32 words that look like counts, referent ids and tags (reach deeper than noise). */
const wordsArb = fc
  .array(
    fc.oneof(
      fc.nat({ max: 8 }),
      fc.constantFrom(0x20000, 0x20004, 1, 2, 0x1e, 0x1f, 0x102, 0x1003, 0x101f, 0x1102, 0x3001001f, 0xffffffff, 0x7fffffff),
      fc.nat({ max: 0xffffffff }),
    ),
    { maxLength: 120, size: 'max' },
  )
  .map((ws) => {
    const b = Buffer.alloc(ws.length * 4);
    ws.forEach((w, i) => b.writeUInt32LE(w, i * 4));
    return b;
  });

interface Case {
  name: string;
  type: NdrType<unknown>;
  arb: fc.Arbitrary<unknown>;
}
const cases: Case[] = [
  { name: 'flat struct of primitives', type: Flat as NdrType<unknown>, arb: flatArb },
  { name: 'nested unique/full pointers', type: Nested as NdrType<unknown>, arb: nestedArb },
  { name: 'conformant struct twr_t', type: S.twr_t as NdrType<unknown>, arb: twrArb },
  { name: 'union PropertyValue_r', type: S.PropertyValue_r as NdrType<unknown>, arb: propValueArb },
  { name: 'conformant struct of rows PropertyRowSet_r', type: S.PropertyRowSet_r as NdrType<unknown>, arb: rowSetArb },
  { name: 'recursive Restriction_r', type: S.Restriction_r as NdrType<unknown>, arb: restrictionArb },
  { name: 'params ept_lookup [out]', type: S.ept_lookup_out as NdrType<unknown>, arb: lookupArb },
];

/** Decodes; returns the value or undefined for an NdrError; rethrows anything else. Checks the time taken. */
function tryDecode(t: NdrType<unknown>, b: Uint8Array): { value: unknown } | undefined {
  const t0 = performance.now();
  try {
    return { value: t.decode(b) };
  } catch (e) {
    if (e instanceof NdrError && e.code.startsWith('OC_NDR_')) return undefined;
    throw e;
  } finally {
    expect(performance.now() - t0).toBeLessThan(250);
  }
}

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'count'; at: number; value: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('count' as const), at: fc.nat(), value: fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000, 0, 1) }),
);

function mutate(src: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of ms) {
    const n = b.length;
    if (m.kind === 'truncate') b = b.subarray(0, n ? m.at % n : 0);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, m.at % (n + 1)), Buffer.from([m.byte]), b.subarray(m.at % (n + 1))]);
    else if (n === 0) continue;
    else if (m.kind === 'flip') b[m.at % n] = (b[m.at % n] as number) ^ m.mask;
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, m.at % n), b.subarray((m.at % n) + 1)]);
    else if (n >= 4) b.writeUInt32LE(m.value, (m.at % Math.floor(n / 4)) * 4);
  }
  return b;
}

describe('NDR properties', () => {
  for (const c of cases) {
    describe(c.name, () => {
      it('round-trips generated values', () => {
        fc.assert(
          fc.property(c.arb, (v) => {
            const b = c.type.encode(v);
            const back = c.type.decodeWithLength(b);
            expect(back.value).toEqual(v);
            expect(back.length).toBe(b.length);
            expect(c.type.encode(back.value).equals(b)).toBe(true);
          }),
          { numRuns: 300 },
        );
      });

      it('decodes arbitrary bytes to a value or an NdrError', () => {
        fc.assert(
          fc.property(fc.oneof(fc.uint8Array({ maxLength: 600, size: 'max' }), wordsArb), (b) => {
            tryDecode(c.type, b);
          }),
          { numRuns: 1500 },
        );
      });

      it('decodes mutated encodings to a value or an NdrError; decoded values re-encode', () => {
        fc.assert(
          fc.property(c.arb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (v, ms) => {
            const r = tryDecode(c.type, mutate(c.type.encode(v), ms));
            if (r) {
              const again = c.type.encode(r.value);
              expect(c.type.decode(again)).toEqual(r.value);
            }
          }),
          { numRuns: 1000 },
        );
      });
    });
  }

  it('refuses huge counts quickly without allocating', () => {
    const t0 = performance.now();
    for (const t of [ndr.conformantArray(ndr.u8), ndr.conformantArray(S.PropertyValue_r), ndr.conformantBytes(), ndr.wstring()]) {
      expect(tryDecode(t as NdrType<unknown>, Buffer.from('ffffffff00000000ffffffff41000000', 'hex'))).toBeUndefined();
    }
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
