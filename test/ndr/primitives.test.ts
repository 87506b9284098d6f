// Primitive types, alignment and padding (C706 14.2), byte arrays and strings (14.3.3-14.3.4), with hex
// derived by hand from the rules.
import { describe, expect, it } from 'vitest';
import { NdrError, ndr, type NdrType } from '../../src/ndr/index.js';
import { OcError } from '../../src/util/errors.js';
import { hex } from './helpers.js';

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

describe('primitives', () => {
  it('encode little-endian, both ways', () => {
    both(ndr.u8, 0xfe, 'fe');
    both(ndr.i8, -2, 'fe');
    both(ndr.u16, 0x1234, '3412');
    both(ndr.i16, -2, 'feff');
    both(ndr.u32, 0xdeadbeef, 'efbeadde');
    both(ndr.i32, -2, 'feffffff');
    both(ndr.u64, 0x0102030405060708n, '0807060504030201');
    both(ndr.i64, -2n, 'feffffffffffffff');
    both(ndr.hyper, 5n, '0500000000000000');
    both(ndr.f32, 1.5, '0000c03f');
    both(ndr.f64, -1.5, '000000000000f8bf');
    both(ndr.enum16, 2, '0200');
    both(ndr.fixedBytes(3), Buffer.from('abc'), '616263');
  });

  it('GUIDs: Data1..3 little-endian, Data4 as is (the NDR20 transfer syntax id)', () => {
    both(ndr.guid, '8a885d04-1ceb-11c9-9fe8-08002b104860', '045d888aeb1cc9119fe808002b104860');
  });

  it('context handle: attributes u32 + GUID, 20 bytes', () => {
    both(ndr.contextHandle, { attributes: 1, uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860' }, '01000000 045d888aeb1cc9119fe808002b104860');
  });

  it('refuses values that do not fit when encoding (OC_NDR_ENCODE)', () => {
    expect(code(() => ndr.u8.encode(256))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.i8.encode(128))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.u16.encode(1.5))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.u32.encode(-1))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.i32.encode(2 ** 31))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.u32.encode(Number.NaN))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.u32.encode('1' as unknown as number))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.u64.encode(-1n))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.u64.encode(1 as unknown as bigint))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.enum16.encode(0x8000))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.guid.encode('nope'))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.fixedBytes(2).encode(Buffer.alloc(3)))).toBe('OC_NDR_ENCODE');
  });

  it('enum16 above 0x7fff is OC_NDR_RANGE (Windows raises RPC_X_ENUM_VALUE_OUT_OF_RANGE)', () => {
    expect(code(() => ndr.enum16.decode(hex('0080')))).toBe('OC_NDR_RANGE');
  });

  it('range: decode outside is OC_NDR_RANGE, encode outside OC_NDR_ENCODE', () => {
    const r = ndr.range(ndr.u32, 10, 1024);
    both(r, 10, '0a000000');
    expect(code(() => r.decode(hex('09000000')))).toBe('OC_NDR_RANGE');
    expect(code(() => r.decode(hex('01040000')))).toBe('OC_NDR_RANGE');
    expect(code(() => r.encode(2000))).toBe('OC_NDR_ENCODE');
  });

  it('short input is OC_NDR_SHORT_BUFFER, an NdrError (a ProtocolError)', () => {
    let err: unknown;
    try {
      ndr.u32.decode(hex('010203'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NdrError);
    expect((err as NdrError).code).toBe('OC_NDR_SHORT_BUFFER');
    expect((err as NdrError).details).toMatchObject({ offset: 0 });
  });
});

describe('alignment and padding', () => {
  it('aligns each member to its size, relative to the stub start, padding with zeros', () => {
    const s = ndr.struct('S', { a: ndr.u8, b: ndr.u16, c: ndr.u8, d: ndr.u32, e: ndr.u8, f: ndr.hyper });
    both(s, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6n }, '01 00 0200 03 000000 04000000 05 000000 0600000000000000');
  });

  it('struct alignment is its largest member, applied before the first member', () => {
    const inner = ndr.struct('inner', { x: ndr.u8, h: ndr.hyper });
    const s = ndr.params({ a: ndr.u8, s: inner, b: ndr.u8 });
    // a at 0; inner aligned to 8: x at 8, h at 16; b at 24
    both(s, { a: 1, s: { x: 2, h: 3n }, b: 4 }, '01 00000000000000 02 00000000000000 0300000000000000 04');
  });

  it('nested struct alignment: inner {u16,u8} is 2-aligned, the next u32 realigns', () => {
    const s = ndr.struct('S', { a: ndr.u8, inner: ndr.struct('I', { x: ndr.u16, y: ndr.u8 }), c: ndr.u32 });
    both(s, { a: 1, inner: { x: 2, y: 3 }, c: 4 }, '01 00 0200 03 000000 04000000');
  });

  it('hyper after a u32 at offset 4 is padded to 8', () => {
    both(ndr.params({ a: ndr.u32, h: ndr.hyper }), { a: 1, h: 2n }, '01000000 00000000 0200000000000000');
  });

  it('does not require zero padding when decoding', () => {
    expect(ndr.params({ a: ndr.u8, b: ndr.u32 }).decode(hex('01 ffffff 02000000'))).toEqual({ a: 1, b: 2 });
  });

  it('realigns after strings', () => {
    const p = ndr.params({ s: ndr.ref(ndr.string()), v: ndr.u32, w: ndr.ref(ndr.wstring()), h: ndr.u16, q: ndr.hyper });
    both(
      p,
      { s: 'ab', v: 7, w: 'a', h: 9, q: 1n },
      // "ab": max 3, offset 0, actual 3, 'a' 'b' NUL, pad 1; v; "a": max 2, off 0, act 2, 'a' NUL (4 bytes);
      // h at 36 (no pad); q aligned from 38 to 40
      '03000000 00000000 03000000 616200 00 07000000 02000000 00000000 02000000 61000000 0900 0000 0100000000000000',
    );
  });
});

describe('byte arrays', () => {
  it('conformant: max_count then bytes', () => {
    both(ndr.conformantBytes(), Buffer.from([1, 2, 3]), '03000000 010203');
  });
  it('conformant-varying: max_count, offset 0, actual_count, bytes', () => {
    both(ndr.conformantVaryingBytes(), Buffer.from([1, 2]), '02000000 00000000 02000000 0102');
  });
  it('varying: offset, actual_count, bytes (no max_count)', () => {
    both(ndr.varyingBytes(8), Buffer.from([1, 2]), '00000000 02000000 0102');
    expect(code(() => ndr.varyingBytes(1).encode(Buffer.from([1, 2])))).toBe('OC_NDR_ENCODE');
  });
  it('empty arrays', () => {
    both(ndr.conformantBytes(), Buffer.alloc(0), '00000000');
    both(ndr.conformantVaryingBytes(), Buffer.alloc(0), '00000000 00000000 00000000');
    both(ndr.conformantArray(ndr.u32), [], '00000000');
    both(ndr.conformantVaryingArray(ndr.u16), [], '00000000 00000000 00000000');
  });
  it('an empty array of 8-aligned elements still aligns (as Windows stubs)', () => {
    both(ndr.params({ a: ndr.conformantArray(ndr.hyper), b: ndr.u32 }), { a: [], b: 5 }, '00000000 00000000 05000000');
  });
  it('decoded bytes are copies of the input', () => {
    const input = hex('03000000 010203');
    const v = ndr.conformantBytes().decode(input);
    input[4] = 0xff;
    expect([...v]).toEqual([1, 2, 3]);
  });
  it('varying: offset + actual_count > max_count is OC_NDR_BAD_COUNT', () => {
    expect(code(() => ndr.conformantVaryingBytes().decode(hex('02000000 01000000 02000000 0102')))).toBe('OC_NDR_BAD_COUNT');
    expect(code(() => ndr.conformantVaryingBytes().decode(hex('02000000 00000000 03000000 010203')))).toBe('OC_NDR_BAD_COUNT');
    expect(code(() => ndr.varyingBytes(1).decode(hex('00000000 02000000 0102')))).toBe('OC_NDR_BAD_COUNT');
  });
  it('a count larger than the bytes left is OC_NDR_BAD_COUNT', () => {
    expect(code(() => ndr.conformantBytes().decode(hex('ffffffff 0102')))).toBe('OC_NDR_BAD_COUNT');
    expect(code(() => ndr.conformantArray(ndr.u32).decode(hex('02000000 01000000')))).toBe('OC_NDR_BAD_COUNT');
  });
});

describe('strings', () => {
  it('[string] char: max, offset, actual (with NUL), chars + NUL; latin1', () => {
    both(ndr.string(), 'Zoé', '04000000 00000000 04000000 5a6fe900');
    both(ndr.string(), '', '01000000 00000000 01000000 00');
  });
  it('[string] wchar_t: UTF-16LE units, surrogate pairs kept', () => {
    both(ndr.wstring(), 'é😀', '04000000 00000000 04000000 e900 3dd8 00de 0000');
  });
  it('stringBytes: the bytes before the terminator', () => {
    both(ndr.stringBytes(), Buffer.from([0xc4, 0xe4]), '03000000 00000000 03000000 c4e400');
  });
  it('[string] char x[64] embedded: offset, actual, chars', () => {
    both(ndr.varyingString(64), 'ab', '00000000 03000000 616200');
    expect(code(() => ndr.varyingString(3).encode('abc'))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.varyingString(2).decode(hex('00000000 03000000 616200')))).toBe('OC_NDR_BAD_COUNT');
  });
  it('size_is on a string sets max_count (RfrGetFQDNFromServerDN)', () => {
    const p = ndr.params({ cb: ndr.u32, dn: ndr.ref(ndr.string({ sizeIs: 'cb' })) });
    both(p, { cb: 10, dn: 'ab' }, '0a000000 0a000000 00000000 03000000 616200');
    expect(code(() => p.encode({ cb: 2, dn: 'ab' }))).toBe('OC_NDR_ENCODE');
    expect(code(() => p.decode(hex('0b000000 0a000000 00000000 03000000 616200')))).toBe('OC_NDR_SIZE_MISMATCH');
  });
  it('the value is cut at the first NUL', () => {
    expect(ndr.string().decode(hex('06000000 00000000 06000000 6162 00 6364 00'))).toBe('ab');
    expect(ndr.wstring().decode(hex('03000000 00000000 03000000 6100 0000 0000'))).toBe('a');
  });
  it('refuses actual_count 0, a missing terminator, bad offsets and counts', () => {
    expect(code(() => ndr.string().decode(hex('01000000 00000000 00000000')))).toBe('OC_NDR_BAD_STRING');
    expect(code(() => ndr.string().decode(hex('02000000 00000000 02000000 6162')))).toBe('OC_NDR_BAD_STRING');
    expect(code(() => ndr.wstring().decode(hex('01000000 00000000 01000000 6100')))).toBe('OC_NDR_BAD_STRING');
    expect(code(() => ndr.string().decode(hex('02000000 01000000 02000000 6100')))).toBe('OC_NDR_BAD_COUNT');
    expect(code(() => ndr.string().decode(hex('ffffffff 00000000 ffffffff 6100')))).toBe('OC_NDR_BAD_COUNT');
  });
  it('refuses strings it cannot represent when encoding', () => {
    expect(code(() => ndr.string().encode('€'))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.string().encode('a\0b'))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.wstring().encode('a\0b'))).toBe('OC_NDR_ENCODE');
    expect(code(() => ndr.stringBytes().encode(Buffer.from([1, 0])))).toBe('OC_NDR_ENCODE');
  });
});
