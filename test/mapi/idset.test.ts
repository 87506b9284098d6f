// src/mapi/globset.ts + src/mapi/idset.ts: MS-OXCFXICS GLOBSET/IDSET/CNSET codec and set algebra.
// Fixtures: fixtures/vectors/ms-oxcfxics-idset.json (MS-OXCFXICS 2.2.2.4, 2.2.2.6, 3.1.5.4.3).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GLOBCNT_LIMIT,
  GlobSet,
  IdSet,
  IdsetError,
  cnsetAdd,
  cnsetContains,
  cnsetMaxCn,
  cnsetMaxGlobcnt,
  cnsetUpTo,
  decodeGlobSet,
  decodeIdsetReplGuid,
  decodeIdsetReplId,
  decodeSizedXid,
  eidFrom,
  eidGlobcntNumber,
  eidReplicaId,
  encodeGlobSet,
  encodeIdsetReplGuid,
  encodeIdsetReplId,
  encodeSizedXid,
  xidGlobcnt,
} from '../../src/mapi/idset.js';
import { eidGlobcnt, encodeXid, makeEid } from '../../src/mapi/ids.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const g = (s: string): number => parseInt(s, 16);

interface Vector {
  id: string;
  section: string;
  kind: 'globset' | 'idset-replid' | 'idset-replguid';
  hex: string;
  ranges?: [string, string][];
  replicas?: { replid?: number; replguid?: string; ranges: [string, string][] }[];
  canonical: boolean;
}
interface Bad {
  id: string;
  hex: string;
  code: string;
}
const FIX = JSON.parse(readFileSync(new URL('../../fixtures/vectors/ms-oxcfxics-idset.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
  bad: Bad[];
};

const toRanges = (r: [string, string][]): { lo: number; hi: number }[] => r.map(([a, b]) => ({ lo: g(a), hi: g(b) }));

function expectIdsetError(f: () => unknown, code?: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(IdsetError);
    if (code) expect((e as IdsetError).code).toBe(code);
    return;
  }
  throw new Error('expected an IdsetError');
}

describe('MS-OXCFXICS fixtures', () => {
  for (const v of FIX.vectors) {
    it(`${v.id} (${v.section})`, () => {
      const bytes = hex(v.hex);
      if (v.kind === 'globset') {
        const { set, end } = decodeGlobSet(bytes);
        expect(end).toBe(bytes.length);
        expect(set.ranges()).toEqual(toRanges(v.ranges ?? []));
        const again = encodeGlobSet(set);
        if (v.canonical) expect(again.toString('hex')).toBe(bytes.toString('hex'));
        expect(decodeGlobSet(again).set.equals(set)).toBe(true);
      } else if (v.kind === 'idset-replid') {
        const s = decodeIdsetReplId(bytes);
        const want = new IdSet<number>();
        for (const r of v.replicas ?? []) want.map.set(r.replid as number, new GlobSet(toRanges(r.ranges)));
        expect(s.equals(want)).toBe(true);
        expect(s.replicas()).toEqual((v.replicas ?? []).map((r) => r.replid));
        const again = encodeIdsetReplId(want);
        if (v.canonical) expect(again.toString('hex')).toBe(bytes.toString('hex'));
        expect(decodeIdsetReplId(again).equals(want)).toBe(true);
      } else {
        const s = decodeIdsetReplGuid(bytes);
        const want = new IdSet<string>();
        for (const r of v.replicas ?? []) want.map.set(r.replguid as string, new GlobSet(toRanges(r.ranges)));
        expect(s.equals(want)).toBe(true);
        expect(s.replicas()).toEqual((v.replicas ?? []).map((r) => r.replguid));
        const again = encodeIdsetReplGuid(want);
        if (v.canonical) expect(again.toString('hex')).toBe(bytes.toString('hex'));
        expect(decodeIdsetReplGuid(again).equals(want)).toBe(true);
      }
    });
  }

  for (const b of FIX.bad) {
    it(`refuses ${b.id} with ${b.code}`, () => {
      expectIdsetError(() => decodeGlobSet(hex(b.hex)), b.code);
    });
  }

  it('the Bitmask example of 3.1.5.4.3.1.3 yields {1-3, 5, 7-9} under any 5-byte prefix', () => {
    const { set } = decodeGlobSet(hex('05 123456789a 42 01 eb 50 00'));
    const base = 0x123456789a * 256;
    expect([...set.values()]).toEqual([1, 2, 3, 5, 7, 8, 9].map((x) => base + x));
  });
});

describe('GLOBSET decoder: further refusals and leniencies', () => {
  it('accepts ranges out of order when they do not overlap, and merges neighbours', () => {
    const { set } = decodeGlobSet(hex('06 000000000009 52 000000000001 000000000005 06 000000000006 00'));
    expect(set.ranges()).toEqual([{ lo: 1, hi: 6 }, { lo: 9, hi: 9 }]);
  });
  it('refuses out-of-order ranges that overlap', () => {
    expectIdsetError(() => decodeGlobSet(hex('06 000000000009 52 000000000001 000000000009 00')), 'OC_IDSET_OVERLAP');
  });
  it('refuses a value given twice', () => {
    expectIdsetError(() => decodeGlobSet(hex('06 000000000009 06 000000000009 00')), 'OC_IDSET_OVERLAP');
  });
  it('ignores bytes still on the stack at End (encoders must pop them; no value changes)', () => {
    // Push 2, then a Push 4 completing 6 bytes (a singleton that pops itself): 2 bytes remain at End
    expect(decodeGlobSet(hex('02 0000 04 00000001 00')).set.ranges()).toEqual([{ lo: 1, hi: 1 }]);
  });
  it('a Bitmask of 0 is the StartingValue alone', () => {
    expect(decodeGlobSet(hex('05 0000000000 42 ff 00 50 00')).set.ranges()).toEqual([{ lo: 255, hi: 255 }]);
  });
  it('stops at End and reports where (IDSET framing)', () => {
    const b = hex('06 000000000001 00 ffff');
    expect(decodeGlobSet(b).end).toBe(8);
    expect(decodeGlobSet(b, 0).set.size()).toBe(1);
  });
  it('bounds the number of ranges', () => {
    const parts: string[] = [];
    for (let i = 0; i < 20; i += 2) parts.push('06' + i.toString(16).padStart(12, '0'));
    expectIdsetError(() => decodeGlobSet(hex(parts.join('') + '00'), 0, { maxRanges: 5 }), 'OC_IDSET_TOO_BIG');
  });
  it('IDSET: truncated replica key, key without GLOBSET, and a replica named twice are refused', () => {
    expectIdsetError(() => decodeIdsetReplId(hex('01')), 'OC_IDSET_TRUNCATED');
    expectIdsetError(() => decodeIdsetReplId(hex('0100')), 'OC_IDSET_TRUNCATED');
    expectIdsetError(() => decodeIdsetReplId(hex('0100 00 0100 00')), 'OC_IDSET_DUPLICATE_REPLICA');
    expectIdsetError(() => decodeIdsetReplGuid(hex('00'.repeat(15))), 'OC_IDSET_TRUNCATED');
    expectIdsetError(() => decodeIdsetReplGuid(hex('00'.repeat(16) + '00' + '00'.repeat(16) + '00')), 'OC_IDSET_DUPLICATE_REPLICA');
    expect(decodeIdsetReplId(Buffer.alloc(0)).isEmpty()).toBe(true);
  });
});

// ---- properties ---------------------------------------------------------------------------------------------------

/** GLOBCNT values that exercise every byte boundary: small, clustered near boundaries, and anywhere in 48 bits. */
const globcnt = fc.oneof(
  fc.integer({ min: 0, max: 600 }),
  fc.integer({ min: 0, max: GLOBCNT_LIMIT - 1 }),
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -3, max: 3 })).map(([k, d]) => Math.min(GLOBCNT_LIMIT - 1, Math.max(0, 256 ** k + d))),
  fc.tuple(fc.integer({ min: 0, max: GLOBCNT_LIMIT - 1 - 1000 }), fc.integer({ min: 0, max: 40 })).map(([b, d]) => b - (b % 256) + d),
);
const globRange = fc.tuple(globcnt, fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 70000 }))).map(([lo, n]) => ({
  lo,
  hi: Math.min(GLOBCNT_LIMIT - 1, lo + n),
}));
const globSet = fc.array(globRange, { maxLength: 40 }).map((rs) => new GlobSet(rs));
const guidArb = fc.uuid().map((u) => u.toLowerCase());

describe('round trips (fast-check)', () => {
  it('GLOBSET: decode(encode(x)) == x, consuming every byte', () => {
    fc.assert(
      fc.property(globSet, (s) => {
        const b = encodeGlobSet(s);
        const { set, end } = decodeGlobSet(b);
        expect(end).toBe(b.length);
        expect(set.ranges()).toEqual(s.ranges());
      }),
      { numRuns: 2000 },
    );
  });
  it('GLOBSET: dense clusters use Bitmasks and still round-trip', () => {
    const clustered = fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 300 }).map((a) => GlobSet.fromValues(a.map((x) => 0x0123456789 * 256 + x)));
    fc.assert(
      fc.property(clustered, (s) => {
        expect(decodeGlobSet(encodeGlobSet(s)).set.equals(s)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
  it('IDSET REPLID form', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), globSet), { maxLength: 6 }), (pairs) => {
        const s = new IdSet<number>();
        for (const [r, gs] of pairs) s.map.set(r, gs);
        const d = decodeIdsetReplId(encodeIdsetReplId(s));
        expect(d.equals(s)).toBe(true);
        const keys = d.replicas();
        expect(keys).toEqual([...keys].sort((a, b) => a - b));
      }),
      { numRuns: 500 },
    );
  });
  it('IDSET REPLGUID form (ascending wire bytes)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(guidArb, globSet), { maxLength: 6 }), (pairs) => {
        const s = new IdSet<string>();
        for (const [k, gs] of pairs) s.map.set(k, gs);
        const b = encodeIdsetReplGuid(s);
        const d = decodeIdsetReplGuid(b);
        expect(d.equals(s)).toBe(true);
        // keys appear in ascending order of their 16 wire bytes
        let p = 0;
        let prev: Buffer | null = null;
        while (p < b.length) {
          const key = b.subarray(p, p + 16);
          if (prev) expect(Buffer.compare(prev, key)).toBeLessThan(0);
          prev = Buffer.from(key);
          p = decodeGlobSet(b, p + 16).end;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('set algebra against a Set<number> model', () => {
  const small = fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 12 }))), { maxLength: 30 });
  const build = (items: (number | [number, number])[]): { s: GlobSet; m: Set<number> } => {
    const s = new GlobSet();
    const m = new Set<number>();
    for (const it of items) {
      if (typeof it === 'number') {
        s.add(it);
        m.add(it);
      } else {
        s.addRange(it[0], it[0] + it[1]);
        for (let v = it[0]; v <= it[0] + it[1]; v++) m.add(v);
      }
    }
    return { s, m };
  };
  const sorted = (m: Set<number>): number[] => [...m].sort((a, b) => a - b);
  const wellFormed = (s: GlobSet): void => {
    const f = s.flat();
    for (let i = 0; i < f.length; i += 2) {
      expect(f[i]!).toBeLessThanOrEqual(f[i + 1]!);
      if (i > 0) expect(f[i]!).toBeGreaterThan(f[i - 1]! + 1);
    }
  };

  it('add/addRange/has/size/values/min/max', () => {
    fc.assert(
      fc.property(small, (items) => {
        const { s, m } = build(items);
        wellFormed(s);
        expect([...s.values()]).toEqual(sorted(m));
        expect(s.size()).toBe(m.size);
        expect(s.isEmpty()).toBe(m.size === 0);
        for (let v = 0; v <= 320; v++) if (s.has(v) !== m.has(v)) expect(s.has(v)).toBe(m.has(v));
        expect(s.min()).toBe(m.size ? Math.min(...m) : undefined);
        expect(s.max()).toBe(m.size ? Math.max(...m) : undefined);
        expect(GlobSet.fromValues(m).equals(s)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
  it('union, difference, intersect, remove', () => {
    fc.assert(
      fc.property(small, small, fc.integer({ min: 0, max: 310 }), fc.integer({ min: 0, max: 20 }), (a, b, rlo, rn) => {
        const A = build(a);
        const B = build(b);
        const u = A.s.union(B.s);
        const d = A.s.difference(B.s);
        const i = A.s.intersect(B.s);
        for (const x of [u, d, i]) wellFormed(x);
        expect([...u.values()]).toEqual(sorted(new Set([...A.m, ...B.m])));
        expect([...d.values()]).toEqual(sorted(new Set([...A.m].filter((x) => !B.m.has(x)))));
        expect([...i.values()]).toEqual(sorted(new Set([...A.m].filter((x) => B.m.has(x)))));
        // operands unchanged
        expect([...A.s.values()]).toEqual(sorted(A.m));
        const r = A.s.clone().removeRange(rlo, rlo + rn);
        wellFormed(r);
        expect([...r.values()]).toEqual(sorted(new Set([...A.m].filter((x) => x < rlo || x > rlo + rn))));
      }),
      { numRuns: 500 },
    );
  });
  it('refuses values outside 0..2^48-1 and reversed ranges (programming errors)', () => {
    expect(() => new GlobSet().add(-1)).toThrow(RangeError);
    expect(() => new GlobSet().add(GLOBCNT_LIMIT)).toThrow(RangeError);
    expect(() => new GlobSet().add(1.5)).toThrow(RangeError);
    expect(() => new GlobSet().addRange(5, 4)).toThrow(RangeError);
  });
});

describe('decoder on hostile bytes', () => {
  it('random bytes: a value or an IdsetError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        for (const f of [() => decodeGlobSet(b), () => decodeIdsetReplId(b), () => decodeIdsetReplGuid(b)]) {
          try {
            f();
          } catch (e) {
            if (!(e instanceof IdsetError)) throw e;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('command-shaped random bytes and mutated valid encodings: a value or an IdsetError; a value re-encodes', () => {
    const cmdByte = fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x42, 0x50, 0x52);
    const shaped = fc.array(fc.oneof(cmdByte, fc.integer({ min: 0, max: 255 })), { maxLength: 120 }).map((a) => Uint8Array.from(a));
    const mutated = fc
      .tuple(globSet, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 }))))
      .map(([s, muts]) => {
        const a = [...encodeGlobSet(s)];
        for (const [pos, val, op] of muts) {
          const p = a.length ? pos % a.length : 0;
          if (op === 0) a[p] = val;
          else if (op === 1) a.splice(p, 1);
          else a.splice(p, 0, val);
        }
        return Uint8Array.from(a);
      });
    fc.assert(
      fc.property(fc.oneof(shaped, mutated), (b) => {
        let r: { set: GlobSet; end: number } | undefined;
        try {
          r = decodeGlobSet(b);
        } catch (e) {
          if (!(e instanceof IdsetError)) throw e;
        }
        if (r) expect(decodeGlobSet(encodeGlobSet(r.set)).set.equals(r.set)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('EIDs, IdSet helpers, CNSETs, SizedXid', () => {
  const eidArb = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: GLOBCNT_LIMIT - 1 }));

  it('eidFrom/eidGlobcntNumber/eidReplicaId agree with src/mapi/ids.ts', () => {
    fc.assert(
      fc.property(eidArb, ([r, gc]) => {
        const e = makeEid(r, BigInt(gc));
        expect(eidFrom(r, gc)).toBe(e);
        expect(eidGlobcntNumber(e)).toBe(Number(eidGlobcnt(e)));
        expect(eidReplicaId(e)).toBe(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('fromIds/has/add/delete/eids', () => {
    fc.assert(
      fc.property(fc.array(eidArb.map(([r, gc]) => makeEid(r % 3, BigInt(gc % 500))), { maxLength: 60 }), (eids) => {
        const s = IdSet.fromIds(eids);
        const want = new Set(eids);
        for (const e of eids) expect(s.has(e)).toBe(true);
        expect(s.size()).toBe(want.size);
        expect(new Set(s.eids())).toEqual(want);
        const t = new IdSet<number>();
        for (const e of eids) t.add(e);
        expect(t.equals(s)).toBe(true);
        if (eids.length) {
          t.delete(eids[0]!);
          expect(t.has(eids[0]!)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('union/difference/intersect per replica', () => {
    const a = IdSet.fromIds([makeEid(1, 1n), makeEid(1, 2n), makeEid(2, 7n)]);
    const b = IdSet.fromIds([makeEid(1, 2n), makeEid(3, 9n)]);
    expect(new Set(a.union(b).eids())).toEqual(new Set([makeEid(1, 1n), makeEid(1, 2n), makeEid(2, 7n), makeEid(3, 9n)]));
    expect(new Set(a.difference(b).eids())).toEqual(new Set([makeEid(1, 1n), makeEid(2, 7n)]));
    expect([...a.intersect(b).eids()]).toEqual([makeEid(1, 2n)]);
    expect(a.difference(a).isEmpty()).toBe(true);
  });

  it('toReplGuid/toReplId map keys and drop unknown replicas', () => {
    const G1 = '11111111-2222-3333-4444-555555555555';
    const s = IdSet.fromIds([makeEid(1, 5n), makeEid(1, 6n), makeEid(9, 1n)]);
    const byGuid = s.toReplGuid((r) => (r === 1 ? G1 : undefined));
    expect(byGuid.replicas()).toEqual([G1]);
    expect(byGuid.get(G1)?.ranges()).toEqual([{ lo: 5, hi: 6 }]);
    const back = byGuid.toReplId((guid) => (guid === G1 ? 1 : undefined));
    expect([...back.eids()]).toEqual([makeEid(1, 5n), makeEid(1, 6n)]);
    expect(decodeIdsetReplGuid(encodeIdsetReplGuid(byGuid)).equals(byGuid)).toBe(true);
  });

  it('CNSET helpers', () => {
    const R = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    const other = '01234567-89ab-cdef-0123-456789abcdef';
    const c = cnsetUpTo(R, 10);
    expect(cnsetContains(c, makeEid(1, 10n), R)).toBe(true);
    expect(cnsetContains(c, makeEid(1, 11n), R)).toBe(false);
    expect(cnsetContains(c, makeEid(1, 5n), other)).toBe(false);
    expect(cnsetContains(c, makeEid(1, 5n), R.toUpperCase())).toBe(true);
    cnsetAdd(c, makeEid(1, 20n), R);
    expect(cnsetMaxGlobcnt(c, R)).toBe(20);
    expect(cnsetMaxCn(c, R, 1)).toBe(makeEid(1, 20n));
    expect(cnsetMaxCn(c, other, 1)).toBe(0n);
    expect(cnsetMaxGlobcnt(c, other)).toBe(0);
    expect(cnsetUpTo(R, 0).isEmpty()).toBe(true);
    expect(decodeIdsetReplGuid(encodeIdsetReplGuid(c)).get(R)?.ranges()).toEqual([{ lo: 1, hi: 10 }, { lo: 20, hi: 20 }]);
  });

  it('SizedXid and XID GLOBCNTs', () => {
    fc.assert(
      fc.property(guidArb, fc.integer({ min: 0, max: GLOBCNT_LIMIT - 1 }), (guid, gc) => {
        const b = encodeSizedXid(guid, gc);
        expect(b.subarray(1)).toEqual(encodeXid(guid, BigInt(gc)));
        const d = decodeSizedXid(Buffer.concat([hex('ff'), b]), 1);
        expect(d).toEqual({ guid, localId: b.subarray(17), globcnt: gc, end: 24 });
        expect(xidGlobcnt(b.subarray(1))).toEqual({ guid, globcnt: gc });
      }),
      { numRuns: 300 },
    );
    expect(() => decodeSizedXid(hex('10' + '00'.repeat(16)))).toThrow(/SizedXid/);
    expect(() => decodeSizedXid(hex('16' + '00'.repeat(10)))).toThrow(/SizedXid/);
    expect(() => decodeSizedXid(Buffer.alloc(0))).toThrow(/SizedXid/);
    expect(decodeSizedXid(hex('11' + '00'.repeat(17))).globcnt).toBeUndefined();
    expect(() => xidGlobcnt(Buffer.alloc(21))).toThrow(/22 bytes/);
  });

  it('10,000 scattered ids encode and decode to the same set', () => {
    const vals: number[] = [];
    let x = 12345;
    for (let i = 0; i < 10000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      vals.push(x % 200000);
    }
    const s = GlobSet.fromValues(vals);
    const b = encodeGlobSet(s);
    expect(decodeGlobSet(b).set.equals(s)).toBe(true);
    expect(b.length).toBeLessThan(s.rangeCount() * 4);
  });
});
