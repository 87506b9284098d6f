// src/mapi/rtf/lzfu.ts: MS-OXRTFCP compressed RTF. Fixtures: fixtures/vectors/ms-oxrtfcp.json (MS-OXRTFCP section 4).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMPTYPE_COMPRESSED,
  RTF_PREFIX,
  RtfCompressionError,
  compressRtf,
  decompressRtf,
  readRtfHeader,
  rtfCrc,
  storeRtfUncompressed,
} from '../../../src/mapi/rtf/lzfu.js';
import { isOcError } from '../../../src/util/errors.js';

interface Vector {
  id: string;
  compressed: string;
  uncompressed: string;
  uncompressedAscii: string;
  rawSize: number;
}
const vectors = (
  JSON.parse(readFileSync(new URL('../../../fixtures/vectors/ms-oxrtfcp.json', import.meta.url), 'utf8')) as {
    vectors: Vector[];
  }
).vectors;

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof RtfCompressionError) return e.code;
    throw e;
  }
};

/** Recompute the CRC so that a mutated body reaches the decoder. */
const fixCrc = (b: Buffer): Buffer => {
  if (b.length >= 16) b.writeUInt32LE(rtfCrc(b, 16, Math.min(b.length, b.readUInt32LE(0) + 4)), 12);
  return b;
};

describe('MS-OXRTFCP section 4 examples', () => {
  it('has the 207-byte dictionary prefix of 2.1.3.1', () => {
    expect(RTF_PREFIX.length).toBe(207);
  });
  for (const v of vectors) {
    it(`${v.id}: decompresses to the spec's RTF`, () => {
      const out = decompressRtf(Buffer.from(v.compressed, 'hex'));
      expect(out.toString('hex')).toBe(v.uncompressed);
      expect(out.toString('latin1')).toBe(v.uncompressedAscii);
      expect(readRtfHeader(Buffer.from(v.compressed, 'hex')).rawSize).toBe(v.rawSize);
    });
    it(`${v.id}: compresses to the spec's bytes`, () => {
      expect(compressRtf(Buffer.from(v.uncompressed, 'hex')).toString('hex')).toBe(v.compressed);
    });
  }
});

describe('header and errors', () => {
  const good = Buffer.from((vectors[0] as Vector).compressed, 'hex');
  it('reads the UNCOMPRESSED (MELA) form', () => {
    const rtf = Buffer.from('{\\rtf1 plain}');
    const v = storeRtfUncompressed(rtf);
    expect(v.readUInt32LE(0)).toBe(rtf.length + 12);
    expect(v.readUInt32LE(12)).toBe(0);
    expect(decompressRtf(v).equals(rtf)).toBe(true);
    expect(code(() => decompressRtf(Buffer.concat([v.subarray(0, 16), Buffer.from('{\\rtf1')])))).toBe('OC_RTF_TRUNCATED');
  });
  it('accepts trailing padding after COMPSIZE + 4', () => {
    expect(decompressRtf(Buffer.concat([good, Buffer.alloc(7)])).toString('latin1')).toBe(
      (vectors[0] as Vector).uncompressedAscii,
    );
  });
  it('rejects a short buffer, an unknown COMPTYPE, a bad CRC, an over-limit or wrong RAWSIZE', () => {
    expect(code(() => decompressRtf(good.subarray(0, 15)))).toBe('OC_RTF_TOO_SHORT');
    expect(code(() => decompressRtf(good.subarray(0, good.length - 1)))).toBe('OC_RTF_TRUNCATED');
    const t = Buffer.from(good);
    t.writeUInt32LE(0x12345678, 8);
    expect(code(() => decompressRtf(t))).toBe('OC_RTF_BAD_COMPTYPE');
    const c = Buffer.from(good);
    c[20] = (c[20] as number) ^ 1;
    expect(code(() => decompressRtf(c))).toBe('OC_RTF_CRC');
    expect(code(() => decompressRtf(good, { maxRawSize: 42 }))).toBe('OC_RTF_TOO_LARGE');
    const big = Buffer.from(good);
    big.writeUInt32LE(0xffffffff, 4);
    expect(code(() => decompressRtf(big))).toBe('OC_RTF_TOO_LARGE');
    const small = Buffer.from(good);
    small.writeUInt32LE(10, 4);
    expect(code(() => decompressRtf(small))).toBe('OC_RTF_RAWSIZE');
    const more = Buffer.from(good);
    more.writeUInt32LE(44, 4);
    expect(code(() => decompressRtf(more))).toBe('OC_RTF_RAWSIZE');
  });
  it('writes COMPSIZE, RAWSIZE, COMPTYPE LZFu and the CRC of the body', () => {
    const rtf = Buffer.from('{\\rtf1\\ansi hello hello hello}');
    const c = compressRtf(rtf);
    const h = readRtfHeader(c);
    expect(h).toEqual({ compSize: c.length - 4, rawSize: rtf.length, compType: COMPTYPE_COMPRESSED, crc: rtfCrc(c, 16) });
  });
  it('compresses the empty input to the end reference alone', () => {
    const c = compressRtf(Buffer.alloc(0));
    expect(c.subarray(16).toString('hex')).toBe('010cf0'); // control 0x01, reference to write position 207
    expect(decompressRtf(c).length).toBe(0);
  });
});

describe('round trips and hostile input', () => {
  const rtfLike = fc
    .array(
      fc.constantFrom('{', '}', '\\par ', '\\b ', '\\b0 ', '\\f0', '\\fs20 ', 'hello', ' world', '\r\n', '\\u233?', "\\'e9", 'a'),
      { maxLength: 400 },
    )
    .map((a) => Buffer.from(`{\\rtf1\\ansi\\ansicpg1252${a.join('')}}`, 'latin1'));
  it('decompress(compress(x)) = x for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), (a) => {
        expect(decompressRtf(compressRtf(a)).equals(Buffer.from(a))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
  it('decompress(compress(x)) = x for RTF-like text, and compresses it', () => {
    fc.assert(
      fc.property(rtfLike, (r) => {
        const c = compressRtf(r);
        expect(decompressRtf(c).equals(r)).toBe(true);
        if (r.length > 400) expect(c.length).toBeLessThan(r.length);
      }),
      { numRuns: 200 },
    );
  });
  it('round-trips long runs and data past the 4096-byte dictionary', () => {
    for (const r of [Buffer.alloc(300_000, 0x61), Buffer.from('{\\rtf1 ' + 'abcdefghij'.repeat(5000) + '}')]) {
      const c = compressRtf(r);
      expect(c.length).toBeLessThan(r.length / 5);
      expect(decompressRtf(c).equals(r)).toBe(true);
    }
  });
  it('arbitrary bytes give a value or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (a, fix) => {
        const b = Buffer.from(a);
        if (fix && b.length >= 16) {
          b.writeUInt32LE(b.length - 4, 0);
          b.writeUInt32LE(COMPTYPE_COMPRESSED, 8);
          fixCrc(b);
        }
        try {
          decompressRtf(b, { maxRawSize: 1 << 20 });
        } catch (e) {
          expect(isOcError(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('mutated compressed values (CRC fixed up) give a value or a coded error', () => {
    fc.assert(
      fc.property(rtfLike, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (r, muts) => {
        const c = compressRtf(r);
        for (const [at, v] of muts) c[16 + (at % (c.length - 16))] = v;
        if (muts.length % 2 === 0) c.writeUInt32LE(Math.max(0, c.readUInt32LE(4) + (muts[0]?.[1] ?? 0) - 128), 4);
        fixCrc(c);
        try {
          const out = decompressRtf(c);
          expect(out.length).toBe(c.readUInt32LE(4));
        } catch (e) {
          expect(isOcError(e)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
