// MS-OXCDATA 2.12 restrictions in ROP buffers: known bytes, round trips of generated trees, hostile depth
// (a coded too-complex error, not a stack overflow) and arbitrary/mutated bytes (a value or a coded error).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RopFormatError, RopReader, RopWriter } from '../../src/mapi/buffer.js';
import { PT } from '../../src/mapi/props.js';
import type { Restriction } from '../../src/mapi/restriction.js';
import { readRestriction, RestrictionTooComplexError, writeRestriction, type RopRestriction } from '../../src/mapi/ropres.js';
import { readPropertyValue, writePropertyValue } from '../../src/mapi/ropprops.js';
import { ProtocolError } from '../../src/util/errors.js';

const CP = 1252;

function enc(res: RopRestriction): Buffer {
  const w = new RopWriter(16);
  writeRestriction(w, res, CP);
  return Buffer.from(w.result());
}

function coded(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
  }
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const tagged = fc.oneof(
  fc.record({ tag: fc.constant(0x0037001f), value: fc.string({ maxLength: 10 }).filter((s) => !s.includes('\0')) }),
  fc.record({ tag: fc.constant(0x0e080003), value: fc.integer({ min: -100, max: 100 }) }),
  fc.record({ tag: fc.constant(0x0e1b000b), value: fc.boolean() }),
);

const { tree } = fc.letrec<{ tree: RopRestriction; leaf: RopRestriction }>((t) => ({
  leaf: fc.oneof(
    fc.record({ type: fc.constant('content' as const), fuzzyLevel: u32, propTag: u32, value: tagged }),
    fc.record({ type: fc.constant('property' as const), relop: fc.integer({ min: 0, max: 6 }), propTag: u32, value: tagged }),
    fc.record({ type: fc.constant('compareProps' as const), relop: fc.integer({ min: 0, max: 6 }), propTag1: u32, propTag2: u32 }),
    fc.record({ type: fc.constant('bitmask' as const), relBMR: fc.integer({ min: 0, max: 1 }), propTag: u32, mask: u32 }),
    fc.record({ type: fc.constant('size' as const), relop: fc.integer({ min: 0, max: 6 }), propTag: u32, cb: u32 }),
    fc.record({ type: fc.constant('exist' as const), propTag: u32 }),
  ),
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    t('leaf'),
    fc.record({ type: fc.constant('and' as const), res: fc.array(t('tree') as fc.Arbitrary<never>, { maxLength: 4 }) }),
    fc.record({ type: fc.constant('or' as const), res: fc.array(t('tree') as fc.Arbitrary<never>, { maxLength: 4 }) }),
    fc.record({ type: fc.constant('not' as const), res: t('tree') as fc.Arbitrary<never> }),
    fc.record({ type: fc.constant('sub' as const), subObject: u32, res: t('tree') as fc.Arbitrary<never> }),
    fc.record({ type: fc.constant('comment' as const), values: fc.array(tagged, { maxLength: 3 }), res: fc.option(t('tree'), { nil: null }) }),
    fc.record({ type: fc.constant('count' as const), count: u32, res: t('tree') }),
  ),
}));

describe('restrictions (MS-OXCDATA 2.12) in ROP buffers', () => {
  it('reads a known buffer: NOT(content prefix|ignorecase on PidTagMessageClass) (MS-OXCFOLD 4.8.1)', () => {
    const hex = '0203020001001f001a001f001a00490050004d002e005400610073006b000000';
    const r = readRestriction(new RopReader(Buffer.from(hex, 'hex')), CP);
    expect(r).toEqual({
      type: 'not',
      res: { type: 'content', fuzzyLevel: 0x00010002, propTag: 0x001a001f, value: { tag: 0x001a001f, value: 'IPM.Task' } },
    });
    expect(enc(r).toString('hex')).toBe(hex);
  });

  it('comment and count restrictions (2.12.10, 2.12.12)', () => {
    const c: RopRestriction = { type: 'comment', values: [{ tag: 0x0e080003, value: 7 }], res: { type: 'exist', propTag: 0x0037001f } };
    expect(enc(c).toString('hex')).toBe('0a01' + '0300080e07000000' + '01' + '081f003700');
    expect(readRestriction(new RopReader(enc(c)), CP)).toEqual(c);
    const n: RopRestriction = { type: 'comment', values: [], res: null };
    expect(enc(n).toString('hex')).toBe('0a0000');
    const k: RopRestriction = { type: 'count', count: 5, res: { type: 'exist', propTag: 1 } };
    expect(enc(k).toString('hex')).toBe('0b05000000' + '0801000000');
  });

  it('round-trips generated trees', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const b = enc(t);
        const r = new RopReader(b);
        expect(readRestriction(r, CP, { maxDepth: 256, maxNodes: 100_000 })).toEqual(t);
        expect(r.left).toBe(0);
      }),
    );
  });

  it('a 1,000-deep nesting is a RestrictionTooComplexError, not a stack overflow', () => {
    for (const wrap of [(x: RopRestriction): RopRestriction => ({ type: 'not', res: x as Restriction }), (x: RopRestriction): RopRestriction => ({ type: 'and', res: [x as Restriction] })]) {
      let t: RopRestriction = { type: 'exist', propTag: 1 };
      for (let i = 0; i < 1000; i++) t = wrap(t);
      const b = enc(t); // the writer is iterative
      expect(() => readRestriction(new RopReader(b), CP)).toThrow(RestrictionTooComplexError);
      try {
        readRestriction(new RopReader(b), CP, { maxDepth: 1_000_000, maxNodes: 1_000_000 });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(RestrictionTooComplexError);
        expect((e as RestrictionTooComplexError).code).toBe('OC_ROP_TOO_COMPLEX');
      }
    }
    // raw bytes too: 100,000 NOT bytes
    expect(() => readRestriction(new RopReader(Buffer.alloc(100_000, 0x02)), CP)).toThrow(RestrictionTooComplexError);
  });

  it('too many nodes is a RestrictionTooComplexError', () => {
    const t: RopRestriction = { type: 'or', res: Array.from({ length: 50 }, (): Restriction => ({ type: 'exist', propTag: 1 })) };
    expect(() => readRestriction(new RopReader(enc(t)), CP, { maxDepth: 10, maxNodes: 20 })).toThrow(RestrictionTooComplexError);
  });

  it('truncated or unknown bytes are RopFormatErrors', () => {
    expect(() => readRestriction(new RopReader(Buffer.from('00ffff', 'hex')), CP)).toThrow(RopFormatError);
    expect(() => readRestriction(new RopReader(Buffer.from('0c', 'hex')), CP)).toThrow(RopFormatError);
    expect(() => readRestriction(new RopReader(Buffer.from('0801', 'hex')), CP)).toThrow(RopFormatError);
  });

  it('arbitrary bytes give a restriction or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        coded(() => readRestriction(new RopReader(bytes), CP));
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated valid encodings give a restriction or a coded error', () => {
    fc.assert(
      fc.property(tree, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (t, muts, cut) => {
        const b = enc(t);
        for (const [at, v] of muts) b[at % b.length] = v;
        coded(() => readRestriction(new RopReader(b.subarray(0, cut % (b.length + 1))), CP));
        coded(() => readRestriction(new RopReader(b), CP));
      }),
      { numRuns: 3000 },
    );
  });

  it('PtypRestriction values are kept as the restriction\'s bytes', () => {
    const b = enc({ type: 'exist', propTag: 0x0037001f });
    const v = readPropertyValue(new RopReader(b), PT.SRESTRICT, CP);
    expect(v).toEqual(b);
    const w = new RopWriter();
    writePropertyValue(w, PT.SRESTRICT, v, CP);
    expect(Buffer.from(w.result())).toEqual(b);
  });
});
