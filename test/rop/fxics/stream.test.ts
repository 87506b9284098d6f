// MS-OXCFXICS 2.2.4.1 FastTransfer stream layer: the blog sample stream from Exchange (fixtures), known encodings
// of each value type, writer buffer splitting (random sizes, tiny ones included) and laziness, parser round trips
// at random split points, and arbitrary bytes into the parser (an element list or an FxStreamError, never a hang).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PT, makeTag, type PropValue } from '../../../src/mapi/props.js';
import { Marker, MetaTag, MetaTagIdsetGivenBinary, describeTag, isMarker, isMetaTag, markerName } from '../../../src/rop/fxics/markers.js';
import { FxNestingChecker, FxStreamParser, parseAll } from '../../../src/rop/fxics/parser.js';
import { FxStreamError, NamedPropMapper, encodeElement, encodeProp, type FxElement, type FxEncodeOptions, type FxProp } from '../../../src/rop/fxics/props.js';
import { FxStreamProducer, TransferStatus, effectiveBufferSize, produceAll, type FxSourceItem, type FxSourceYield } from '../../../src/rop/fxics/writer.js';
import { arbElements } from './arb.js';

const KEEP: FxEncodeOptions = { strings: 'keep', codePage: 1252 };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface VectorEl {
  marker?: string;
  tag?: string;
  binary?: string;
  u64?: string;
  i32?: number;
  bool?: boolean;
  string?: string;
}
const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/vectors/ms-oxcfxics-stream.json', import.meta.url), 'utf8')) as {
  vectors: { id: string; hex: string; length: number; elements: VectorEl[] }[];
};

function fromVector(v: VectorEl): FxElement {
  if (v.marker) return { kind: 'marker', tag: Marker[v.marker as keyof typeof Marker] };
  const tag = Number(v.tag) >>> 0;
  let value: PropValue;
  if (v.binary !== undefined) value = Buffer.from(v.binary, 'hex');
  else if (v.u64 !== undefined) value = BigInt(v.u64);
  else if (v.i32 !== undefined) value = v.i32;
  else if (v.bool !== undefined) value = v.bool;
  else value = v.string ?? '';
  return { kind: 'prop', tag, value };
}

/** Parses `bytes` pushed in pieces cut at `cuts` (sorted offsets). */
function parseSplit(bytes: Buffer, cuts: number[]): FxElement[] {
  const p = new FxStreamParser({ codePage: 1252 });
  const out: FxElement[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...p.push(bytes.subarray(at, c)));
    at = c;
  }
  p.end();
  return out;
}

async function* gen(items: FxSourceItem[], batch = 1): AsyncGenerator<FxSourceYield> {
  if (batch <= 1) for (const i of items) yield i;
  else for (let i = 0; i < items.length; i += batch) yield items.slice(i, i + batch);
}

describe('markers and meta-properties (MS-OXCFXICS 2.2.4.1.4 / 2.2.4.1.5)', () => {
  it('has the 24 markers with distinct values, none of them a meta-property', () => {
    const values = Object.values(Marker);
    expect(values).toHaveLength(24);
    expect(new Set(values).size).toBe(24);
    for (const v of values) {
      expect(isMarker(v)).toBe(true);
      expect(isMetaTag(v)).toBe(false);
    }
    expect(markerName(0x40090003)).toBe('StartTopFld');
    expect(Marker.IncrSyncGroupInfo).toBe(0x407b0102);
    expect(isMarker(0x40090102)).toBe(false);
    expect(describeTag(MetaTag.MetaTagCnsetSeen)).toBe('MetaTagCnsetSeen');
    expect(describeTag(0x0037001f)).toBe('0x0037001F');
  });
});

describe('spec sample stream (fixtures/vectors/ms-oxcfxics-stream.json)', () => {
  for (const v of fixture.vectors) {
    const bytes = Buffer.from(v.hex, 'hex');
    const want = v.elements.map(fromVector);
    it(`${v.id}: parses whole and split at every byte`, () => {
      expect(bytes.length).toBe(v.length);
      expect(parseAll(bytes, { codePage: 1252 })).toEqual(want);
      for (let i = 0; i <= bytes.length; i++) expect(parseSplit(bytes, [i])).toEqual(want);
      // one byte at a time
      expect(parseSplit(bytes, Array.from({ length: bytes.length }, (_, i) => i))).toEqual(want);
    });
    it(`${v.id}: encodes back to the same bytes`, async () => {
      expect(hex(Buffer.concat(want.map((e) => encodeElement(e, KEEP))))).toBe(v.hex);
      expect(hex(await produceAll(new FxStreamProducer(want, KEEP), 12))).toBe(v.hex);
    });
  }
});

describe('value serialization (MS-OXCFXICS 2.2.4.1.3)', () => {
  const enc = (el: FxProp, opts = KEEP): string => hex(encodeElement(el, opts));
  it('fixed-size values, PtypBoolean as 2 bytes', () => {
    expect(enc({ kind: 'prop', tag: 0x10f4000b, value: true })).toBe('0b00f4100100');
    expect(enc({ kind: 'prop', tag: 0x0e070003, value: -1 })).toBe('0300070effffffff');
    expect(enc({ kind: 'prop', tag: 0x00170002, value: 2 })).toBe('020017000200');
    expect(enc({ kind: 'prop', tag: 0x67480014, value: 0x0102030405060708n })).toBe('140048670807060504030201');
  });
  it('strings carry their NUL terminator in the length; conversion by mode', () => {
    const s: FxProp = { kind: 'prop', tag: 0x0037001f, value: 'Hé' };
    expect(enc(s)).toBe('1f003700' + '06000000' + '4800e9000000');
    expect(enc(s, { strings: 'string8', codePage: 1252 })).toBe('1e003700' + '03000000' + '48e900');
    // CodePageString 0x8000 | 1252 = 0x84E4
    expect(enc(s, { strings: 'cpid', codePage: 1252 })).toBe('e4843700' + '03000000' + '48e900');
    // 65001 does not fit 15 bits: PtypString instead
    expect(enc(s, { strings: 'cpid', codePage: 65001 })).toBe('1f003700' + '06000000' + '4800e9000000');
    expect(enc({ kind: 'prop', tag: 0x0037001e, value: 'Hé' }, { strings: 'unicode', codePage: 1252 })).toBe('1f003700' + '06000000' + '4800e9000000');
  });
  it('reads a CodePageString as PT_STRING8 with its code page', () => {
    const els = parseAll(Buffer.from('e4843700' + '03000000' + '48e900', 'hex'));
    expect(els).toEqual([{ kind: 'prop', tag: 0x0037001e, value: 'Hé', codePage: 1252 }]);
    // 0x84B0: code page 1200 = UTF-16LE, read as PT_UNICODE
    expect(parseAll(Buffer.from('b0843700' + '06000000' + '4800e9000000', 'hex'))).toEqual([{ kind: 'prop', tag: 0x0037001f, value: 'Hé' }]);
    expect(() => parseAll(Buffer.from('02803700' + '01000000' + '00', 'hex'))).toThrow(/code page 2 is not supported/);
  });
  it('binary, multi-valued, MetaTagIdsetGiven (declared PtypInteger32, serialized as binary)', () => {
    expect(enc({ kind: 'prop', tag: 0x10090102, value: Buffer.from([1, 2]) })).toBe('02010910' + '02000000' + '0102');
    expect(enc({ kind: 'prop', tag: 0x8001101f, value: ['a', ''], name: { guid: '00020329-0000-0000-c000-000000000046', name: 'K' } })).toBe(
      '1f100180' + '2903020000000000c000000000000046' + '01' + '4b000000' + '02000000' + '04000000' + '61000000' + '02000000' + '0000',
    );
    expect(enc({ kind: 'prop', tag: MetaTag.MetaTagIdsetGiven, value: Buffer.from([9]) })).toBe('03001740' + '01000000' + '09');
    expect(parseAll(Buffer.from('02011740' + '01000000' + '09', 'hex'))).toEqual([{ kind: 'prop', tag: MetaTag.MetaTagIdsetGiven, value: Buffer.from([9]) }]);
    expect(MetaTagIdsetGivenBinary).toBe(0x40170102);
  });
  it('named property with a LID', () => {
    const el: FxProp = { kind: 'prop', tag: 0x80050003, value: 7, name: { guid: '00062008-0000-0000-c000-000000000046', lid: 0x8510 } };
    const b = encodeElement(el, KEEP);
    expect(hex(b)).toBe('03000580' + '0820060000000000c000000000000046' + '00' + '10850000' + '07000000');
    expect(parseAll(b)).toEqual([el]);
  });
  it('refuses what has no stream form', () => {
    expect(() => encodeProp({ kind: 'prop', tag: 0x00010001, value: null }, KEEP)).toThrow(FxStreamError);
    expect(() => encodeProp({ kind: 'prop', tag: 0x80010003, value: 1 }, KEEP)).toThrow(/without a name/);
  });
});

describe('parser errors', () => {
  const err = (h: string, opts = {}): string => {
    try {
      parseAll(Buffer.from(h, 'hex'), opts);
    } catch (e) {
      expect(e).toBeInstanceOf(FxStreamError);
      return (e as FxStreamError).code;
    }
    return 'none';
  };
  it('gives typed errors', () => {
    expect(err('01000100')).toBe('OC_FX_PROPTYPE'); // PtypNull tag where an element is expected
    expect(err('0300')).toBe('OC_FX_TRUNCATED');
    expect(err('030037000100')).toBe('OC_FX_TRUNCATED');
    expect(err('02010910ffffffff')).toBe('OC_FX_LENGTH');
    expect(err('0201091010000000', { maxValueSize: 15 })).toBe('OC_FX_LENGTH');
    expect(err('03100910ffffff7f', { maxMvCount: 100 })).toBe('OC_FX_LENGTH');
    expect(err('03000180' + '00'.repeat(16) + '02')).toBe('OC_FX_NAME');
    expect(err('1f003700' + '03000000' + '410000')).toBe('OC_FX_STRING');
    expect(err('03000180' + '00'.repeat(16) + '01' + '4100'.repeat(600), { maxNameBytes: 64 })).toBe('OC_FX_NAME');
  });
  it('stays broken after an error', () => {
    const p = new FxStreamParser();
    expect(() => p.push(Buffer.from('01000100', 'hex'))).toThrow(FxStreamError);
    expect(() => p.push(Buffer.from('03000940', 'hex'))).toThrow(FxStreamError);
  });
});

describe('round trips (fast-check)', () => {
  it('elements -> bytes -> elements, split at random points', () => {
    fc.assert(
      fc.property(arbElements, fc.array(fc.nat(), { maxLength: 12 }), (els, rawCuts) => {
        const bytes = Buffer.concat(els.map((e) => encodeElement(e, KEEP)));
        const cuts = [...new Set(rawCuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
        expect(parseSplit(bytes, cuts)).toEqual(els);
      }),
      { numRuns: 400 },
    );
  });

  it('writer buffers of random sizes concatenate to the encoding and end only where the spec allows', async () => {
    await fc.assert(
      fc.asyncProperty(arbElements, fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 5 }), async (els, sizes, batch) => {
        // allowed cut offsets: segment boundaries, plus inside non-atomic segments (even offsets for PtypString)
        const allowed = new Set<number>([0]);
        let off = 0;
        for (const e of els) {
          const segs = e.kind === 'marker' ? [{ bytes: encodeElement(e, KEEP), atomic: true }] : encodeProp(e, KEEP);
          const wide = e.kind === 'prop' && ((e.tag & 0xefff) === PT.UNICODE);
          for (const s of segs) {
            if (!s.atomic) for (let i = 1; i < s.bytes.length; i++) if (!wide || i % 2 === 0) allowed.add(off + i);
            off += s.bytes.length;
            allowed.add(off);
          }
        }
        const want = Buffer.concat(els.map((e) => encodeElement(e, KEEP)));
        const p = new FxStreamProducer(gen(els, batch), KEEP);
        const parts: Buffer[] = [];
        let pos = 0;
        let n = 0;
        let size = sizes[0] as number;
        for (;;) {
          const r = await p.getBuffer(size);
          expect(r.TransferBuffer.length).toBeLessThanOrEqual(size);
          pos += r.TransferBuffer.length;
          parts.push(r.TransferBuffer);
          expect(allowed.has(pos)).toBe(true);
          if (r.TransferStatus === TransferStatus.Done) break;
          if (r.TransferStatus === TransferStatus.NoRoom) {
            expect(r.TransferBuffer.length).toBe(0);
            size *= 2;
            continue;
          }
          expect(r.TransferStatus).toBe(TransferStatus.Partial);
          size = sizes[++n % sizes.length] as number;
          expect(++n).toBeLessThan(100000);
        }
        expect(Buffer.concat(parts).equals(want)).toBe(true);
        expect(p.done).toBe(true);
        expect(parseAll(Buffer.concat(parts))).toEqual(els);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes give elements or an FxStreamError, whole or split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(), (u, c) => {
        const b = Buffer.from(u);
        for (const cuts of [[], [c % (b.length + 1)]]) {
          try {
            parseSplit(b, cuts);
          } catch (e) {
            expect(e).toBeInstanceOf(FxStreamError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid streams give elements or an FxStreamError', () => {
    fc.assert(
      fc.property(arbElements, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (els, muts) => {
        const b = Buffer.concat(els.map((e) => encodeElement(e, KEEP)));
        if (b.length === 0) return;
        for (const [i, v] of muts) b[i % b.length] = v;
        try {
          parseAll(b, { maxValueSize: 1 << 16 });
        } catch (e) {
          expect(e).toBeInstanceOf(FxStreamError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('FxStreamProducer', () => {
  it('pulls lazily: one element beyond what the buffer needs', async () => {
    let pulled = 0;
    async function* many(): AsyncGenerator<FxSourceItem> {
      for (let i = 0; i < 100000; i++) {
        pulled++;
        yield { kind: 'prop', tag: 0x0e070003, value: i };
      }
    }
    const p = new FxStreamProducer(many(), KEEP);
    const r = await p.getBuffer(80); // 10 elements of 8 bytes
    expect(r.TransferStatus).toBe(TransferStatus.Partial);
    expect(r.TransferBuffer.length).toBe(80);
    expect(pulled).toBeLessThanOrEqual(11);
    await p.close();
  });

  it('streams a large value from its source in pieces, never more than asked', async () => {
    const total = 100_000;
    const reads: number[] = [];
    const item: FxSourceItem = {
      kind: 'propStream',
      tag: 0x37010102,
      length: total,
      read: async (offset, max) => {
        reads.push(max);
        return Buffer.alloc(Math.min(max, total - offset), offset % 251);
      },
    };
    const p = new FxStreamProducer(gen([{ kind: 'marker', tag: Marker.NewAttach }, item, { kind: 'marker', tag: Marker.EndAttach }]), KEEP);
    const all = await produceAll(p, 4096);
    expect(all.length).toBe(4 + 8 + total + 4);
    expect(Math.max(...reads)).toBeLessThanOrEqual(4096);
    const els = parseAll(all);
    expect(els).toHaveLength(3);
    expect((els[1] as FxProp).tag).toBe(0x37010102);
    expect(((els[1] as FxProp).value as Buffer).length).toBe(total);
  });

  it('splits a streamed PtypString only at even offsets, even when the source returns odd pieces', async () => {
    const text = Buffer.from('streamed body text\0', 'utf16le');
    const item: FxSourceItem = {
      kind: 'propStream',
      tag: 0x1000001f,
      length: text.length,
      read: async (offset, max) => text.subarray(offset, offset + Math.min(max, 3)),
    };
    const p = new FxStreamProducer([item], KEEP);
    const bufs: Buffer[] = [];
    for (;;) {
      const r = await p.getBuffer(9);
      bufs.push(r.TransferBuffer);
      if (r.TransferStatus === TransferStatus.Done) break;
      expect(r.TransferStatus).toBe(TransferStatus.Partial);
    }
    let pos = 0;
    for (const b of bufs.slice(0, -1)) {
      pos += b.length;
      if (pos > 8) expect((pos - 8) % 2).toBe(0);
    }
    expect(parseAll(Buffer.concat(bufs))).toEqual([{ kind: 'prop', tag: 0x1000001f, value: 'streamed body text' }]);
  });

  it('answers Done with the last bytes when they fill the buffer exactly', async () => {
    const p = new FxStreamProducer([{ kind: 'marker', tag: Marker.StartMessage }, { kind: 'marker', tag: Marker.EndMessage }], KEEP);
    expect((await p.getBuffer(4)).TransferStatus).toBe(TransferStatus.Partial);
    const last = await p.getBuffer(4);
    expect(last.TransferStatus).toBe(TransferStatus.Done);
    expect(hex(last.TransferBuffer)).toBe('03000d40');
    expect((await p.getBuffer(0)).TransferStatus).toBe(TransferStatus.Done);
  });

  it('answers NoRoom without losing data when not even one atomic element fits', async () => {
    const el: FxProp = { kind: 'prop', tag: 0x80010003, value: 1, name: { guid: '00020329-0000-0000-c000-000000000046', name: 'a long property name' } };
    const p = new FxStreamProducer([el], KEEP);
    expect((await p.getBuffer(0)).TransferStatus).toBe(TransferStatus.NoRoom);
    const r = await p.getBuffer(10);
    expect(r.TransferStatus).toBe(TransferStatus.NoRoom);
    expect(r.TransferBuffer.length).toBe(0);
    const r2 = await p.getBuffer(1000);
    expect(r2.TransferStatus).toBe(TransferStatus.Done);
    expect(parseAll(r2.TransferBuffer)).toEqual([el]);
  });

  it('reports progress and Done', async () => {
    const p = new FxStreamProducer(
      [
        { kind: 'progress', inProgressCount: 0, totalStepCount: 2 },
        { kind: 'marker', tag: Marker.StartMessage },
        { kind: 'progress', inProgressCount: 1, totalStepCount: 2 },
        { kind: 'marker', tag: Marker.EndMessage },
      ],
      KEEP,
    );
    const a = await p.getBuffer(4);
    // the read-ahead that tells Partial from Done has passed the second progress note
    expect(a).toMatchObject({ TransferStatus: TransferStatus.Partial, InProgressCount: 1, TotalStepCount: 2 });
    expect(a.TransferBuffer.length).toBe(4);
    const b = await p.getBuffer(100);
    expect(b).toMatchObject({ TransferStatus: TransferStatus.Done, InProgressCount: 2, TotalStepCount: 2 });
    const c = await p.getBuffer(100);
    expect(c.TransferStatus).toBe(TransferStatus.Done);
    expect(c.TransferBuffer.length).toBe(0);
  });

  it('ends with TransferStatus Error when the source fails', async () => {
    async function* bad(): AsyncGenerator<FxSourceItem> {
      yield { kind: 'marker', tag: Marker.StartMessage };
      throw new Error('store down');
    }
    const p = new FxStreamProducer(bad(), KEEP);
    const r = await p.getBuffer(100);
    expect(r.TransferStatus).toBe(TransferStatus.Error);
    expect(String(r.error)).toMatch(/store down/);
    expect((await p.getBuffer(100)).TransferStatus).toBe(TransferStatus.Error);
    expect(p.done).toBe(true);
  });

  it('resolves named properties through the store and skips unnamed ids', async () => {
    const names = new Map([[0x8003, { guid: '00062008-0000-0000-c000-000000000046', lid: 0x8580 }]]);
    let calls = 0;
    const resolver = {
      getNames: async (ids: readonly number[]) => {
        calls++;
        return ids.map((i) => names.get(i) ?? null);
      },
      getNamedIds: async () => [0x8123],
    };
    const skipped: number[] = [];
    const p = new FxStreamProducer(
      [
        { kind: 'prop', tag: 0x80030003, value: 1 },
        { kind: 'prop', tag: 0x80030003, value: 2 },
        { kind: 'prop', tag: 0x80040003, value: 3 },
      ],
      { ...KEEP, names: resolver, onSkip: (t) => skipped.push(t) },
    );
    const els = parseAll(await produceAll(p));
    expect(els).toEqual([
      { kind: 'prop', tag: 0x80030003, value: 1, name: names.get(0x8003) },
      { kind: 'prop', tag: 0x80030003, value: 2, name: names.get(0x8003) },
    ]);
    expect(calls).toBe(2); // 0x8003 once (cached), 0x8004 once
    expect(skipped).toEqual([0x80040003]);
    // input side: the sender's id becomes the mailbox's
    const m = new NamedPropMapper(resolver);
    expect(await m.localize(els[0] as FxProp)).toEqual({ ...(els[0] as FxProp), tag: makeTag(0x8123, 3) });
  });

  it('effectiveBufferSize honours 0xBABE', () => {
    expect(effectiveBufferSize(0xbabe, 0x8000, 30000)).toBe(30000);
    expect(effectiveBufferSize(0xbabe, 1000, 30000)).toBe(1000);
    expect(effectiveBufferSize(4096, undefined, 30000)).toBe(4096);
    expect(effectiveBufferSize(40000, undefined, 30000)).toBe(30000);
  });
});

describe('FxNestingChecker', () => {
  const m = (tag: number): FxElement => ({ kind: 'marker', tag });
  it('accepts nested elements and refuses mismatches', () => {
    const c = new FxNestingChecker();
    for (const t of [Marker.StartTopFld, Marker.StartMessage, Marker.NewAttach, Marker.StartEmbed, Marker.EndEmbed, Marker.EndAttach, Marker.EndMessage, Marker.EndFolder]) c.feed(m(t));
    c.end();
    const d = new FxNestingChecker();
    d.feed(m(Marker.StartMessage));
    expect(() => d.feed(m(Marker.EndFolder))).toThrow(FxStreamError);
    const e = new FxNestingChecker();
    e.feed(m(Marker.StartRecip));
    expect(() => e.end()).toThrow(/not closed/);
  });
});
