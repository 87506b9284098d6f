import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeXid } from '../../src/mapi/ids.js';
import { decodePcl, encodePcl, mergePcl, pclAfterChange, pclIncludes } from '../../src/mapistore/pcl.js';
import { StoreError } from '../../src/mapistore/errors.js';
import { folderEntryId, messageEntryId } from '../../src/mapistore/entryid.js';
import { persistDataBlocks } from '../../src/mapistore/special.js';
import { checkValue, decodeProps, encodeProps } from '../../src/mapistore/propcodec.js';
import { PT, makeTag, type PropValue } from '../../src/mapi/props.js';

const G1 = '11111111-2222-4333-8444-555555555555';
const G2 = '01234567-89ab-4cde-8f01-23456789abcd';

describe('PidTagPredecessorChangeList (MS-OXCFXICS 2.2.2.4)', () => {
  it('is one SizedXid per namespace, keeping the highest LocalId', () => {
    const p1 = pclAfterChange(null, G1, 5n);
    expect(p1).toEqual(Buffer.concat([Buffer.from([22]), encodeXid(G1, 5n)]));
    const p2 = pclAfterChange(p1, G1, 9n);
    expect(decodePcl(p2)).toEqual([{ guid: G1, localId: encodeXid(G1, 9n).subarray(16) }]);
    // an older change does not lower it
    expect(pclAfterChange(p2, G1, 3n)).toEqual(p2);
    const p3 = pclAfterChange(p2, G2, 1n);
    expect(decodePcl(p3).map((e) => e.guid)).toEqual([G2, G1]);
    expect(pclIncludes(p3, p1)).toBe(true);
    expect(pclIncludes(p1, p3)).toBe(false);
  });

  it('merge is commutative, idempotent and round-trips', () => {
    const entry = fc.record({
      guid: fc.constantFrom(G1, G2, '00000000-0000-4000-8000-000000000001'),
      localId: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Buffer.from(b)),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.array(entry, { maxLength: 6 }), (a, b) => {
        const ab = encodePcl(mergePcl(a, b));
        expect(encodePcl(mergePcl(b, a))).toEqual(ab);
        expect(encodePcl(mergePcl(decodePcl(ab), decodePcl(ab)))).toEqual(ab);
        expect(pclIncludes(ab, encodePcl(mergePcl(a)))).toBe(true);
      }),
    );
  });

  it('rejects malformed bytes with a coded error, never a RangeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        try {
          decodePcl(b);
        } catch (e) {
          expect(e).toBeInstanceOf(StoreError);
        }
      }),
    );
  });
});

describe('entry IDs (MS-OXCDATA 2.2.4)', () => {
  it('encodes folder and message entry IDs', () => {
    const f = folderEntryId(G1, G2, 0x1234n);
    expect(f.length).toBe(46);
    expect(f.readUInt32LE(0)).toBe(0);
    expect(f.readUInt16LE(20)).toBe(1);
    expect(f.subarray(38, 44).toString('hex')).toBe('000000001234');
    const m = messageEntryId(G1, G2, 0x1234n, 0x5678n);
    expect(m.length).toBe(70);
    expect(m.readUInt16LE(20)).toBe(7);
    expect(m.subarray(62, 68).toString('hex')).toBe('000000005678');
  });

  it('builds PersistData blocks ending with the sentinel', () => {
    const eid = folderEntryId(G1, G2, 7n);
    const b = persistDataBlocks([[0x8004, eid]]);
    expect(b.readUInt16LE(0)).toBe(0x8004);
    expect(b.readUInt16LE(2)).toBe(4 + 46 + 4);
    expect(b.readUInt16LE(4)).toBe(1);
    expect(b.readUInt16LE(6)).toBe(46);
    expect(b.subarray(8, 54)).toEqual(eid);
    expect(b.subarray(b.length - 4)).toEqual(Buffer.alloc(4));
  });
});

describe('stored property values', () => {
  it('round-trip every type', () => {
    const m = new Map<number, PropValue>([
      [makeTag(0x6700, PT.LONG), -5],
      [makeTag(0x6701, PT.I8), -(1n << 63n)],
      [makeTag(0x6702, PT.SYSTIME), 133000000000000000n],
      [makeTag(0x6703, PT.BINARY), Buffer.from([0, 1, 255])],
      [makeTag(0x6704, PT.UNICODE), 'hé\u{1F600}'],
      [makeTag(0x6705, PT.BOOLEAN), true],
      [makeTag(0x6706, PT.DOUBLE), 1.5],
      [makeTag(0x6707, PT.MV_BINARY), [Buffer.from('a'), Buffer.alloc(0)]],
      [makeTag(0x6708, PT.MV_I8), [1n, 2n]],
      [makeTag(0x6709, PT.MV_UNICODE), ['x', 'y']],
      [makeTag(0x670a, PT.CLSID), G1],
      [makeTag(0x670b, PT.SRESTRICT), Buffer.from([0x08, 0x1f, 0x00, 0x37, 0x00])],
      [makeTag(0x670c, PT.ACTIONS), Buffer.from([0x01, 0x00, 0x01, 0x00, 0x06])],
    ]);
    expect(decodeProps(encodeProps(m))).toEqual(m);
  });

  it('keeps PtypRestriction / PtypRuleAction values as their bytes; refuses other shapes and multi-valued forms', () => {
    fc.assert(
      fc.property(fc.constantFrom(PT.SRESTRICT, PT.ACTIONS), fc.uint8Array({ maxLength: 300 }), (type, bytes) => {
        const tag = makeTag(0x6ff0, type);
        const v = Buffer.from(bytes);
        expect(checkValue(tag, v)).toBe(true);
        const back = decodeProps(encodeProps(new Map([[tag, v]]))).get(tag);
        expect(Buffer.isBuffer(back) && back.equals(v)).toBe(true);
      }),
    );
    for (const type of [PT.SRESTRICT, PT.ACTIONS]) {
      expect(checkValue(makeTag(0x6ff0, type), 'text')).toBe(false);
      expect(checkValue(makeTag(0x6ff0, type | 0x1000), [Buffer.alloc(1)])).toBe(false);
    }
  });
});
