// FxStreamProducer read-ahead (FxWriterOptions.readAhead, config emsmdb.fastTransferReadAhead): producing ahead of
// the reader while it is busy must not change a single answer (bytes, TransferStatus, progress counts), must stop
// at its bound, must hand a source failure over only where the reader reaches it, must yield to the event loop,
// and must stop pulling once the producer is closed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Marker } from '../../../src/rop/fxics/markers.js';
import { FxStreamProducer, TransferStatus, type FxBuffer, type FxSourceItem, type FxWriterOptions } from '../../../src/rop/fxics/writer.js';
import { arbElement } from './arb.js';

const KEEP: FxWriterOptions = { strings: 'keep', codePage: 1252 };
/** Lets a scheduled read-ahead run (it starts on setImmediate and yields on setImmediate). */
const idle = async (turns = 4): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
};

const arbItem: fc.Arbitrary<FxSourceItem> = fc.oneof(
  { arbitrary: arbElement, weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('progress' as const), inProgressCount: fc.nat(50), totalStepCount: fc.nat(50) }), weight: 1 },
);

async function* source(items: readonly FxSourceItem[], failAt: number): AsyncGenerator<FxSourceItem> {
  for (let i = 0; i < items.length; i++) {
    if (i === failAt) throw new Error('store down');
    yield items[i] as FxSourceItem;
  }
}

/** Every answer of a producer for the given buffer sizes, with idle turns between calls (room for the read-ahead). */
async function drive(p: FxStreamProducer, sizes: readonly number[]): Promise<Omit<FxBuffer, 'error'>[]> {
  const out: Omit<FxBuffer, 'error'>[] = [];
  let size = sizes[0] as number;
  for (let n = 0; n < 10_000; n++) {
    const { error, ...b } = await p.getBuffer(size);
    out.push(b);
    if (b.TransferStatus === TransferStatus.Done || b.TransferStatus === TransferStatus.Error) return out;
    size = b.TransferStatus === TransferStatus.NoRoom ? size * 2 : (sizes[n % sizes.length] as number);
    await idle();
  }
  throw new Error('producer did not finish');
}

describe('FxStreamProducer read-ahead', () => {
  it('gives the same answers as producing on demand (bytes, status, progress), failures included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbItem, { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.option(fc.nat(45), { nil: -1 }),
        async (items, sizes, readAhead, failAt) => {
          const plain = await drive(new FxStreamProducer(source(items, failAt), KEEP), sizes);
          const ahead = new FxStreamProducer(source(items, failAt), { ...KEEP, readAhead });
          expect(await drive(ahead, sizes)).toEqual(plain);
          expect(ahead.done).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('produces ahead between calls, up to its bound', async () => {
    let pulled = 0;
    function* many(): Generator<FxSourceItem> {
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield { kind: 'prop', tag: 0x0e080003, value: i }; // 8 bytes each
      }
    }
    const p = new FxStreamProducer(many(), { ...KEEP, readAhead: 4096 });
    const a = await p.getBuffer(64);
    expect(a.TransferStatus).toBe(TransferStatus.Partial);
    const before = pulled;
    await idle(20);
    expect(pulled).toBeGreaterThan(before + 400);
    expect(p.bufferedBytes).toBeGreaterThanOrEqual(4096);
    expect(p.bufferedBytes).toBeLessThanOrEqual(4096 + 8);
    const stable = pulled;
    await idle(20);
    expect(pulled).toBe(stable); // at the bound: nothing more until the reader takes some
    const b = await p.getBuffer(4000);
    expect(b.TransferBuffer.length).toBe(4000);
    // 8 bytes a value: the first buffer held values 0..7, this one holds 8..507, in order
    expect(b.TransferBuffer.readInt32LE(4)).toBe(8);
    expect(b.TransferBuffer.readInt32LE(4000 - 4)).toBe(507);
  });

  it('without readAhead it pulls only what the buffer needs', async () => {
    let pulled = 0;
    function* many(): Generator<FxSourceItem> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield { kind: 'marker', tag: Marker.StartMessage };
      }
    }
    const p = new FxStreamProducer(many(), KEEP);
    await p.getBuffer(40);
    await idle(10);
    expect(pulled).toBe(11); // ten markers and the one element of look-ahead
  });

  it('yields to the event loop while it produces', async () => {
    function* endless(): Generator<FxSourceItem> {
      for (;;) yield { kind: 'raw', bytes: Buffer.alloc(100) };
    }
    const p = new FxStreamProducer(endless(), { ...KEEP, readAhead: 8 << 20 });
    await p.getBuffer(10);
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    await new Promise<void>((r) => setTimeout(r, 5));
    expect(timerRan).toBe(true);
    expect(p.bufferedBytes).toBeGreaterThan(0);
    expect(p.bufferedBytes).toBeLessThan(8 << 20); // still going, in slices
    // a reader arriving meanwhile stops it and gets the next bytes in order
    const b = await p.getBuffer(50);
    expect(b.TransferStatus).toBe(TransferStatus.Partial);
    expect(b.TransferBuffer.length).toBe(50);
    await p.close();
  });

  it('close() stops a running read-ahead and ends the source', async () => {
    let pulled = 0;
    let ended = false;
    async function* slow(): AsyncGenerator<FxSourceItem> {
      try {
        for (;;) {
          pulled++;
          await new Promise<void>((r) => setImmediate(r));
          yield { kind: 'raw', bytes: Buffer.alloc(64) };
        }
      } finally {
        ended = true;
      }
    }
    const p = new FxStreamProducer(slow(), { ...KEEP, readAhead: 1 << 20 });
    await p.getBuffer(10);
    await idle(10);
    const during = pulled;
    expect(during).toBeGreaterThan(2);
    await p.close();
    expect(ended).toBe(true);
    const after = pulled;
    await idle(10);
    expect(pulled).toBe(after);
    expect(p.bufferedBytes).toBe(0);
  });

  it('hands a failure met ahead over only where the reader reaches it, as without read-ahead', async () => {
    async function* failing(): AsyncGenerator<FxSourceItem> {
      for (let i = 0; i < 10; i++) yield { kind: 'raw', bytes: Buffer.alloc(10, i) };
      throw new Error('backend gone');
    }
    const p = new FxStreamProducer(failing(), { ...KEEP, readAhead: 1 << 16 });
    const a = await p.getBuffer(25);
    expect(a.TransferStatus).toBe(TransferStatus.Partial);
    await idle(10); // the read-ahead meets the failure here, and keeps it
    const b = await p.getBuffer(30);
    expect(b.TransferStatus).toBe(TransferStatus.Partial);
    expect([...b.TransferBuffer]).toEqual([...Buffer.alloc(5, 2), ...Buffer.alloc(10, 3), ...Buffer.alloc(10, 4), ...Buffer.alloc(5, 5)]);
    // the buffer that reaches the failure is an Error without bytes (as when the source fails on demand)
    const c = await p.getBuffer(1000);
    expect(c.TransferStatus).toBe(TransferStatus.Error);
    expect(c.TransferBuffer.length).toBe(0);
    expect(String(c.error)).toMatch(/backend gone/);
    expect((await p.getBuffer(1000)).TransferStatus).toBe(TransferStatus.Error);
  });
});
