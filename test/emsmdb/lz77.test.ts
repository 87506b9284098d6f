// MS-XCA 2.3/2.4 Plain LZ77 as MS-OXCRPC 3.1.4.1.1.2 uses it: the spec vectors, every length form, round trips of
// compress() on generated buffers, and the decoder's bounds (a Buffer of exactly sizeActual bytes or a coded error).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mailCorpus } from '../../bench/lz77.js';
import { Lz77Error } from '../../src/emsmdb/errors.js';
import { compress, compressBound, decompress, LZ77_DEFAULT_TUNING } from '../../src/emsmdb/lz77.js';
import { codeOf, fixture, hex, mutated, prng, RUNS, valueOrCodedError } from './helpers.js';

const xca = fixture('ms-xca-3.1-lz77.json');
const vector = (id: string) => xca.vectors.find((v: { id: string }) => v.id === id);

describe('MS-XCA 3.1 vectors (fixtures/emsmdb/ms-xca-3.1-lz77.json)', () => {
  for (const id of ['xca-3.1-literals', 'xca-3.1-long-match']) {
    it(`${id} decodes to the exact bytes`, () => {
      const v = vector(id);
      const out = decompress(hex(v.compressed), hex(v.uncompressed).length);
      expect(out.toString('hex')).toBe(v.uncompressed);
    });
    it(`${id} round-trips through compress()`, () => {
      const plain = hex(vector(id).uncompressed);
      const c = compress(plain);
      expect(decompress(c, plain.length).equals(plain)).toBe(true);
      // not required (any valid stream will do), but ours happens to match the spec's choice
      expect(c.toString('hex')).toBe(vector(id).compressed);
    });
  }

  it('MS-OXCRPC 3.1.4.1.1.2.2.3: metadata 0x0018 is a 3-byte match 4 bytes back', () => {
    const v = vector('oxcrpc-metadata-0x0018');
    // flags: 4 literals, the match, then end bits; literals "abcd"; metadata 0x0018
    const out = decompress(hex('ffffff0f' + '61626364' + '1800'), 7);
    expect(out.toString('latin1')).toBe('abcdabc');
    expect(v.offsetBack).toBe(4);
    expect(v.length).toBe(3);
  });
});

describe('length forms', () => {
  it('shares one nibble byte between two long matches (low nibble first)', () => {
    // 10 literals, match (distance 10, length 12), match (distance 10, length 13), end
    const stream = hex('ffff3f00' + Buffer.from('abcdefghij').toString('hex') + '4f00' + '32' + '4f00');
    const expected = 'abcdefghij'.repeat(4).slice(0, 35);
    expect(decompress(stream, 35).toString('latin1')).toBe(expected);
  });

  it('decodes the 8-bit extra length (nibble 15, byte < 255)', () => {
    // 'a', match distance 1, length 3 + 7 + 15 + 100 = 125
    const stream = hex('ffffff7f' + '61' + '0700' + '0f' + '64');
    expect(decompress(stream, 126).equals(Buffer.alloc(126, 0x61))).toBe(true);
  });

  it('decodes the 16-bit absolute length form', () => {
    // 'a', match distance 1, W = 0x0126 -> length 297
    const stream = hex('ffffff7f' + '61' + '0700' + '0f' + 'ff' + '2601');
    expect(decompress(stream, 298).equals(Buffer.alloc(298, 0x61))).toBe(true);
  });

  it('decodes the MS-XCA 2.4 32-bit length form (W = 0, then a u32)', () => {
    // 'a', match distance 1, length 69997 + 3 = 70000
    const stream = hex('ffffff7f' + '61' + '0700' + '0f' + 'ff' + '0000' + '6d110100');
    expect(decompress(stream, 70001).equals(Buffer.alloc(70001, 0x61))).toBe(true);
  });

  it('compresses runs longer than 0xFFFF + 3 with the 16-bit form only (two matches)', () => {
    for (const n of [65538, 65539, 65540, 65541, 70000, 140000]) {
      const plain = Buffer.alloc(n, 0x5a);
      const c = compress(plain);
      expect(decompress(c, n).equals(plain)).toBe(true);
      // a 32-bit length would show as ff 00 00: never produced
      expect(c.includes(Buffer.from([0xff, 0x00, 0x00]))).toBe(false);
    }
  });

  it('encodes each length boundary and both nibble halves', () => {
    for (const len of [3, 9, 10, 24, 25, 279, 280, 281, 1000, 65538]) {
      // two long matches in a row exercise the shared nibble; separators keep the runs apart
      const plain = Buffer.concat([Buffer.from('xyz'), Buffer.alloc(len, 1), Buffer.from('Q'), Buffer.alloc(len, 2), Buffer.from('W'), Buffer.alloc(len, 3)]);
      expect(decompress(compress(plain), plain.length).equals(plain)).toBe(true);
    }
  });

  it('ends with a full flag word when the last one was used up', () => {
    // 32 literals fill the first flag word exactly: the end bit needs a new one
    const plain = Buffer.from('0123456789abcdefghijklmnopqrstuv');
    const c = compress(plain);
    expect(c.length).toBe(4 + 32 + 4);
    expect(c.subarray(36).toString('hex')).toBe('ffffffff');
    expect(decompress(c, 32).equals(plain)).toBe(true);
  });

  it('handles empty input both ways', () => {
    expect(compress(Buffer.alloc(0)).toString('hex')).toBe('ffffffff');
    expect(decompress(hex('ffffffff'), 0).length).toBe(0);
    expect(decompress(Buffer.alloc(0), 0).length).toBe(0);
  });
});

describe('decoder errors', () => {
  it('OC_LZ77_TRUNCATED: input ends before SizeActual bytes', () => {
    const v = vector('xca-3.1-long-match');
    const c = hex(v.compressed);
    for (let cut = 0; cut < c.length; cut++) expect(codeOf(() => decompress(c.subarray(0, cut), 300))).toBe('OC_LZ77_TRUNCATED');
    expect(codeOf(() => decompress(c, 301))).toBe('OC_LZ77_TRUNCATED'); // the end marker comes early
    expect(codeOf(() => decompress(Buffer.alloc(0), 1))).toBe('OC_LZ77_TRUNCATED');
  });

  it('OC_LZ77_BAD_DISTANCE: a match reaching before the start', () => {
    expect(codeOf(() => decompress(hex('ffffffff0000'), 3))).toBe('OC_LZ77_BAD_DISTANCE');
    expect(codeOf(() => decompress(hex('ffffff7f' + '61' + '0800'), 4))).toBe('OC_LZ77_BAD_DISTANCE'); // distance 2 after 1 byte
  });

  it('OC_LZ77_OVERRUN: a match longer than the bytes still owed', () => {
    expect(codeOf(() => decompress(hex(vector('xca-3.1-long-match').compressed), 299))).toBe('OC_LZ77_OVERRUN');
    // a 32-bit length of 4 GB is refused without copying
    expect(codeOf(() => decompress(hex('ffffff7f' + '61' + '0700' + '0f' + 'ff' + '0000' + 'ffffffff'), 1000))).toBe('OC_LZ77_OVERRUN');
  });

  it('OC_LZ77_BAD_LENGTH: an explicit length below 22 (MS-XCA 2.4)', () => {
    expect(codeOf(() => decompress(hex('ffffff7f' + '61' + '0700' + '0f' + 'ff' + '0500'), 100))).toBe('OC_LZ77_BAD_LENGTH');
    expect(codeOf(() => decompress(hex('ffffff7f' + '61' + '0700' + '0f' + 'ff' + '0000' + '15000000'), 100))).toBe('OC_LZ77_BAD_LENGTH');
  });

  it('OC_LZ77_TOO_LARGE: a size outside 0..maxOutput, before allocating', () => {
    for (const s of [-1, 1.5, Number.NaN, 2 ** 53, 16 * 1024 * 1024 + 1]) expect(codeOf(() => decompress(hex('ffffffff'), s))).toBe('OC_LZ77_TOO_LARGE');
    expect(codeOf(() => decompress(hex('ffffffff'), 0x8001, { maxOutput: 0x8000 }))).toBe('OC_LZ77_TOO_LARGE');
  });

  it('errors are Lz77Errors (ProtocolErrors) with details', () => {
    try {
      decompress(hex('ffffffff0000'), 3);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(Lz77Error);
      expect((e as Lz77Error).details).toMatchObject({ op: 0, dist: 1 });
    }
  });
});

/** Buffers up to 70,000 bytes: random, periodic with noise, long runs, small-alphabet text, or a mix of those. */
function build(shape: string, size: number, seed: number, param: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(size);
  switch (shape) {
    case 'random':
      for (let i = 0; i < size; i++) b[i] = r() & 0xff;
      break;
    case 'periodic': {
      const period = 1 + (param * 37) % 300;
      const pat = Buffer.alloc(period);
      for (let i = 0; i < period; i++) pat[i] = r() & 0xff;
      for (let i = 0; i < size; i++) b[i] = r() % 500 === 0 ? r() & 0xff : pat[i % period]!;
      break;
    }
    case 'runs': {
      let i = 0;
      while (i < size) {
        const k = r() % 3;
        const len = k === 0 ? 1 + (r() % 20) : k === 1 ? 100 + (r() % 1000) : 65536 + (r() % 5000);
        b.fill(r() & 0xff, i, Math.min(size, i + len));
        i += len;
      }
      break;
    }
    case 'text': {
      const alphabet = 2 + (param % 15);
      for (let i = 0; i < size; i++) b[i] = r() % 6 === 0 ? 0x20 : 0x61 + (r() % alphabet);
      break;
    }
    default: {
      let i = 0;
      while (i < size) {
        const n = Math.min(size - i, 1 + (r() % 9000));
        build(['random', 'periodic', 'runs', 'text'][r() % 4]!, n, r(), r()).copy(b, i);
        i += n;
      }
    }
  }
  return b;
}

const generated = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.from(u)) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        shape: fc.constantFrom('random', 'periodic', 'runs', 'text', 'mixed'),
        size: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 65_530, max: 70_000 })),
        seed: fc.integer(),
        param: fc.nat(),
      })
      .map(({ shape, size, seed, param }) => build(shape, size, seed, param)),
  },
);

describe('compress -> decompress', () => {
  it('round-trips 1,000 generated buffers (0..70,000 bytes; random, repetitive, runs > 0xFFFF + 3)', () => {
    let long = 0;
    fc.assert(
      fc.property(generated, (plain) => {
        if (plain.length > 0xffff + 3) long++;
        const c = compress(plain);
        expect(c.length).toBeLessThanOrEqual(compressBound(plain.length));
        expect(decompress(c, plain.length).equals(plain)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    expect(long).toBeGreaterThan(50);
  });

  it('round-trips the bench corpus and gets its work done (ratio below 0.5)', () => {
    let inBytes = 0;
    let outBytes = 0;
    for (const { data } of mailCorpus(400_000)) {
      const c = compress(data);
      expect(decompress(c, data.length).equals(data)).toBe(true);
      inBytes += data.length;
      outBytes += c.length;
    }
    expect(outBytes / inBytes).toBeLessThan(0.5);
  });

  it('round-trips with other tunings (one candidate, no skipping, deep chains, every or no position inside matches, short nice matches)', () => {
    const tunings = [
      { ...LZ77_DEFAULT_TUNING, maxChain: 1 },
      { ...LZ77_DEFAULT_TUNING, skipShift: 0, maxChain: 64, niceMatch: 258, maxInsert: 0x10000 },
      { ...LZ77_DEFAULT_TUNING, maxInsert: 8, insertStride: 0, skipShift: 1 },
      { ...LZ77_DEFAULT_TUNING, maxInsert: 3, insertStride: 1 },
      { ...LZ77_DEFAULT_TUNING, maxInsert: 4, insertStride: 5, niceMatch: 4 },
    ];
    fc.assert(
      fc.property(generated, fc.constantFrom(...tunings), (plain, t) => {
        expect(decompress(compress(plain, t), plain.length).equals(plain)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('does not depend on earlier calls (tables reused between calls)', () => {
    const a = build('text', 20_000, 1, 3);
    const b = build('text', 20_000, 2, 3);
    const first = compress(b);
    compress(a);
    expect(compress(b).equals(first)).toBe(true);
  });

  it('accepts a Uint8Array view with an offset', () => {
    const big = build('periodic', 5000, 7, 11);
    const view = new Uint8Array(big.buffer, big.byteOffset + 3, 4000);
    expect(decompress(compress(view), 4000).equals(Buffer.from(view))).toBe(true);
  });
});

describe('decompress on hostile input', () => {
  it('arbitrary bytes and sizes: exactly sizeActual bytes or an Lz77Error, quickly', () => {
    let slowest = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 100_000 })), (u, size) => {
        const t0 = performance.now();
        const r = valueOrCodedError(() => decompress(u, size), Lz77Error);
        slowest = Math.max(slowest, performance.now() - t0);
        if (Buffer.isBuffer(r)) expect(r.length).toBe(size);
      }),
      { numRuns: 2000 },
    );
    expect(slowest).toBeLessThan(250);
  });

  it('mutated valid streams: exactly sizeActual bytes or an Lz77Error', () => {
    const samples = mailCorpus(200_000).slice(0, 6).map(({ data }) => ({ c: compress(data.subarray(0, 3000)), n: Math.min(3000, data.length) }));
    samples.push({ c: hex(vector('xca-3.1-long-match').compressed), n: 300 });
    fc.assert(
      fc.property(fc.constantFrom(...samples).chain((s) => fc.tuple(mutated(s.c), fc.constant(s.n))), ([m, n]) => {
        const r = valueOrCodedError(() => decompress(m, n), Lz77Error);
        if (Buffer.isBuffer(r)) expect(r.length).toBe(n);
      }),
      RUNS,
    );
  });

  it('a stream of long overlapping matches decodes in linear time', () => {
    // 'a' then 256 matches of length 65538 at distance 1 (16 MiB): pairs share a nibble byte (0xff: 15 and 15)
    const parts = [hex('ffffff7f'), hex('61')];
    let flagsLeft = 31; // bits left in the first word after the literal
    const total = 1 + 256 * 65538;
    for (let i = 0; i < 256; i++) {
      parts.push(hex(i % 2 === 0 ? '0700' + 'ff' + 'ff' + 'ffff' : '0700' + 'ff' + 'ffff'));
      if (--flagsLeft === 0 && i < 255) {
        parts.push(hex('ffffffff'));
        flagsLeft = 32;
      }
    }
    const t0 = performance.now();
    const out = decompress(Buffer.concat(parts), total, { maxOutput: total });
    expect(out.length).toBe(total);
    expect(out[total - 1]).toBe(0x61);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
