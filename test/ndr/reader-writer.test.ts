// NdrReader / NdrWriter as used by hand-written codecs.
import { describe, expect, it } from 'vitest';
import { NdrError, NdrReader, NdrWriter } from '../../src/ndr/index.js';

describe('NdrWriter', () => {
  it('grows past its initial capacity, aligning relative to offset 0 with zero padding', () => {
    const w = new NdrWriter(16);
    w.u8(0xff);
    w.u32(1);
    w.u8(0xff);
    w.u64(2n);
    for (let i = 0; i < 1000; i++) w.u16(i);
    const b = w.finish();
    expect(b.length).toBe(24 + 2000);
    expect(b.subarray(0, 24).toString('hex')).toBe('ff000000 01000000 ff00000000000000 0200000000000000'.replace(/ /g, ''));
    expect(b.readUInt16LE(24 + 2 * 999)).toBe(999);
  });

  it('patches a u32 written earlier', () => {
    const w = new NdrWriter();
    w.u32(0);
    w.bytes(Buffer.from('abc'));
    w.patchU32(0, 3);
    expect(w.finish().toString('hex')).toBe('03000000616263');
  });
});

describe('NdrReader', () => {
  it('reads aligned values relative to offset 0 of the view it is given', () => {
    const base = Buffer.from('99 01 000000 02000000'.replace(/ /g, ''), 'hex');
    const r = new NdrReader(base.subarray(1));
    expect(r.u8()).toBe(1);
    expect(r.u32()).toBe(2);
    expect(r.remaining).toBe(0);
  });

  it('an alignment gap running past the end fails on the next read with OC_NDR_SHORT_BUFFER', () => {
    const r = new NdrReader(Buffer.from([1, 2]));
    r.u8();
    r.align(8);
    expect(r.remaining).toBe(0);
    expect(() => r.u8()).toThrow(NdrError);
    expect(() => new NdrReader(Buffer.from([1])).bytes(2)).toThrow(/need 2 bytes/);
  });
});
