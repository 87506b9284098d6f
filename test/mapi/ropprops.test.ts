// MS-OXCDATA 2.11 / 2.8.1 / 2.6.1 / 2.7 ROP-buffer property encodings: known bytes, round trips of generated
// values, and arbitrary bytes into the readers (a value or a coded RopFormatError, never a RangeError/TypeError).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RopFormatError, RopReader, RopWriter } from '../../src/mapi/buffer.js';
import { MAPI_E, PT, type PropValue } from '../../src/mapi/props.js';
import {
  readPropertyName,
  readPropertyProblems,
  readPropertyRow,
  readPropertyValue,
  readPropTags,
  readTaggedValue,
  readTypedValue,
  writePropertyName,
  writePropertyProblems,
  writePropertyRow,
  writePropertyValue,
  writeTaggedValue,
  writeTypedValue,
  type RowCell,
} from '../../src/mapi/ropprops.js';
import { ProtocolError } from '../../src/util/errors.js';

const CP = 1252;

function enc(fn: (w: RopWriter) => void): Buffer {
  const w = new RopWriter(8);
  fn(w);
  return Buffer.from(w.result());
}

/** Anything a reader throws must be a coded protocol error (RopFormatError, UnknownCodePageError, ...). */
function coded(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
  }
}

const i16 = fc.integer({ min: -0x8000, max: 0x7fff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const f64 = fc.double({ noNaN: true });
const f32 = fc.float({ noNaN: true }).map((x) => Math.fround(x));
const str = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\0'));
const ascii = fc.string({ unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const guid = fc.uuid({ version: [1, 2, 3, 4, 5] });
const bin = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));

/** [type, value generator] for every type with a ROP-buffer value encoding. */
const typed: Array<[number, fc.Arbitrary<PropValue>]> = [
  [PT.NULL, fc.constant(null)],
  [PT.I2, i16],
  [PT.LONG, i32],
  [PT.R4, f32],
  [PT.DOUBLE, f64],
  [PT.CURRENCY, i64],
  [PT.APPTIME, f64],
  [PT.ERROR, u32],
  [PT.BOOLEAN, fc.boolean()],
  [PT.I8, u64], // PtypInteger64 is unsigned inside the program (EIDs)
  [PT.STRING8, ascii],
  [PT.UNICODE, str],
  [PT.SYSTIME, u64],
  [PT.CLSID, guid],
  [PT.SVREID, bin],
  [PT.BINARY, bin],
  [PT.MV_I2, fc.array(i16, { maxLength: 5 })],
  [PT.MV_LONG, fc.array(i32, { maxLength: 5 })],
  [PT.MV_R4, fc.array(f32, { maxLength: 5 })],
  [PT.MV_DOUBLE, fc.array(f64, { maxLength: 5 })],
  [PT.MV_CURRENCY, fc.array(i64, { maxLength: 5 })],
  [PT.MV_APPTIME, fc.array(f64, { maxLength: 5 })],
  [PT.MV_I8, fc.array(u64, { maxLength: 5 })],
  [PT.MV_STRING8, fc.array(ascii, { maxLength: 5 })],
  [PT.MV_UNICODE, fc.array(str, { maxLength: 5 })],
  [PT.MV_SYSTIME, fc.array(u64, { maxLength: 5 })],
  [PT.MV_CLSID, fc.array(guid, { maxLength: 5 })],
  [PT.MV_BINARY, fc.array(bin, { maxLength: 5 })],
];
const typedValue = fc.oneof(...typed.map(([t, a]) => a.map((value) => ({ type: t, value }))));

describe('PropertyValue (MS-OXCDATA 2.11.2.1) in ROP buffers', () => {
  it('encodes the widths of 2.11.1.1: binary count u16, multi-value count u32, boolean 1 byte', () => {
    expect(enc((w) => writePropertyValue(w, PT.BINARY, Buffer.from([1, 2]), CP)).toString('hex')).toBe('02000102');
    expect(enc((w) => writePropertyValue(w, PT.MV_LONG, [1, -1], CP)).toString('hex')).toBe('0200000001000000ffffffff');
    expect(enc((w) => writePropertyValue(w, PT.BOOLEAN, true, CP)).toString('hex')).toBe('01');
    expect(enc((w) => writePropertyValue(w, PT.UNICODE, 'Hi', CP)).toString('hex')).toBe('480069000000');
    expect(enc((w) => writePropertyValue(w, PT.STRING8, 'é', CP)).toString('hex')).toBe('e900');
    expect(enc((w) => writePropertyValue(w, PT.MV_BINARY, [Buffer.from([7])], CP)).toString('hex')).toBe('01000000010007');
  });

  it('reads an MV_INSTANCE column value as the single value', () => {
    const b = enc((w) => writePropertyValue(w, PT.UNICODE, 'x', CP));
    expect(readPropertyValue(new RopReader(b), PT.MV_UNICODE | 0x2000, CP)).toBe('x');
  });

  it('round-trips every type (TypedPropertyValue and TaggedPropertyValue)', () => {
    fc.assert(
      fc.property(typedValue, fc.integer({ min: 1, max: 0x7fff }), ({ type, value }, id) => {
        const b = enc((w) => writeTypedValue(w, type, value, CP));
        const r = new RopReader(b);
        expect(readTypedValue(r, CP)).toEqual({ type, value });
        expect(r.left).toBe(0);
        const tag = ((id << 16) | type) >>> 0;
        const b2 = enc((w) => writeTaggedValue(w, { tag, value }, CP));
        expect(readTaggedValue(new RopReader(b2), CP)).toEqual({ tag, value });
        expect(enc((w) => writeTaggedValue(w, readTaggedValue(new RopReader(b2), CP), CP))).toEqual(b2);
      }),
    );
  });

  it('a count larger than the bytes left is a RopFormatError before allocating', () => {
    const b = Buffer.from('ffffffff00', 'hex');
    expect(() => readPropertyValue(new RopReader(b), PT.MV_UNICODE, CP)).toThrow(RopFormatError);
    expect(() => readPropertyValue(new RopReader(Buffer.from('ffff00', 'hex')), PT.BINARY, CP)).toThrow(RopFormatError);
    expect(() => readPropertyValue(new RopReader(Buffer.alloc(4)), 0x0049, CP)).toThrow(RopFormatError);
  });

  it('arbitrary bytes give a value or a coded error for every type', () => {
    const types = [...typed.map(([t]) => t), PT.SRESTRICT, PT.ACTIONS, PT.OBJECT, PT.UNSPECIFIED, 0x1001, 0xffff, 0x300b];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 64 }), (type, bytes) => {
        coded(() => readPropertyValue(new RopReader(bytes), type, CP));
        coded(() => readTypedValue(new RopReader(bytes), CP));
        coded(() => readTaggedValue(new RopReader(bytes), CP));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid encodings give a value or a coded error', () => {
    fc.assert(
      fc.property(typedValue, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), ({ type, value }, muts, cut) => {
        const b = enc((w) => writeTypedValue(w, type, value, CP));
        for (const [at, v] of muts) if (b.length) b[at % b.length] = v;
        const sliced = b.subarray(0, b.length ? cut % (b.length + 1) : 0);
        coded(() => readTypedValue(new RopReader(sliced), CP));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('PropertyRow (MS-OXCDATA 2.8.1)', () => {
  it('writes a StandardPropertyRow when every cell is a value, else a FlaggedPropertyRow', () => {
    const cols = [0x0037001f, 0x0e080003];
    expect(enc((w) => writePropertyRow(w, cols, ['a', 5], CP)).toString('hex')).toBe('006100000005000000');
    expect(enc((w) => writePropertyRow(w, cols, ['a', undefined], CP)).toString('hex')).toBe('0100610000000a0f010480');
    expect(enc((w) => writePropertyRow(w, cols, [{ error: MAPI_E.NOT_ENOUGH_MEMORY }, 5], CP)).toString('hex')).toBe('010a0e000780' + '0005000000');
  });

  it('PtypUnspecified columns carry TypedPropertyValues (FlaggedPropertyValueWithType when flagged)', () => {
    const cols = [0x00370000, 0x0e080003];
    const std = enc((w) => writePropertyRow(w, cols, [{ type: PT.UNICODE, value: 'a' }, 5], CP));
    expect(std.toString('hex')).toBe('001f006100000005000000');
    expect(readPropertyRow(new RopReader(std), cols, CP)).toEqual([{ type: PT.UNICODE, value: 'a' }, 5]);
    const fl = enc((w) => writePropertyRow(w, cols, [{ type: PT.UNICODE, value: 'a' }, undefined], CP));
    expect(readPropertyRow(new RopReader(fl), cols, CP)).toEqual([{ type: PT.UNICODE, value: 'a' }, { error: MAPI_E.NOT_FOUND }]);
  });

  it('reads flag 0x01 (not present) as undefined', () => {
    expect(readPropertyRow(new RopReader(Buffer.from('0101', 'hex')), [0x0e080003], CP)).toEqual([undefined]);
  });

  it('round-trips generated rows', () => {
    const cell = fc.oneof(typedValue.map((tv) => ({ tv, cell: tv.value as RowCell })), u32.map((e) => ({ tv: undefined, cell: { error: e } as RowCell })));
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 8 }), (cells) => {
        const cols = cells.map((c, i) => (((i + 1) << 16) | (c.tv ? c.tv.type : PT.LONG)) >>> 0);
        const vals = cells.map((c) => c.cell);
        const b = enc((w) => writePropertyRow(w, cols, vals, CP));
        const r = new RopReader(b);
        expect(readPropertyRow(r, cols, CP)).toEqual(vals);
        expect(r.left).toBe(0);
      }),
    );
  });

  it('arbitrary bytes give a row or a coded error', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...typed.map(([t]) => t), 0), { maxLength: 6 }), fc.uint8Array({ maxLength: 64 }), (types, bytes) => {
        const cols = types.map((t, i) => ((i + 1) << 16) | t);
        coded(() => readPropertyRow(new RopReader(bytes), cols, CP));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('PropertyName (MS-OXCDATA 2.6.1), PropertyProblem (2.7), PropertyTags', () => {
  const name = fc.oneof(
    fc.record({ guid, lid: u32 }),
    fc.record({ guid, name: fc.string({ maxLength: 60 }).filter((s) => !s.includes('\0')) }),
    fc.constant({ guid: '00000000-0000-0000-0000-000000000000' }),
  );

  it('round-trips names (Kind 0x00 LID, 0x01 string with NameSize incl. the terminator, 0xFF none)', () => {
    // Kind 0xFF is one byte (MS-OXCPRPT 3.2.5.9 "no other return data"), though MS-OXCDATA 2.6.1 draws a GUID
    expect(enc((w) => writePropertyName(w, { guid: '00020329-0000-0000-c000-000000000046' })).toString('hex')).toBe('ff');
    const b = enc((w) => writePropertyName(w, { guid: '00062002-0000-0000-c000-000000000046', name: 'TestProp1' }));
    expect(b.toString('hex')).toBe('010220060000000000c000000000000046145400650073007400500072006f00700031000000');
    fc.assert(
      fc.property(name, (n) => {
        const x = enc((w) => writePropertyName(w, n));
        expect(readPropertyName(new RopReader(x))).toEqual(n);
      }),
    );
  });

  it('round-trips problems', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ Index: fc.integer({ min: 0, max: 0xffff }), PropertyTag: u32, ErrorCode: u32 }), { maxLength: 5 }), (p) => {
        const x = enc((w) => writePropertyProblems(w, p));
        expect(readPropertyProblems(new RopReader(x))).toEqual(p);
      }),
    );
  });

  it('arbitrary bytes into the readers give a value or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 0xffff }), (bytes, n) => {
        coded(() => readPropertyName(new RopReader(bytes)));
        coded(() => readPropertyProblems(new RopReader(bytes)));
        coded(() => readPropTags(new RopReader(bytes), n));
      }),
      { numRuns: 2000 },
    );
  });
});
