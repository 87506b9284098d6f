// FxStreamProducer.peek (what compress-ahead reads): the answers it predicts from the bytes already produced are
// exactly those getBuffer then gives for the same sizes (bytes, TransferStatus, progress counts), it says "cannot
// tell" (null) rather than guess, and peeking changes nothing the reader gets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FxStreamProducer, TransferStatus, type FxBuffer, type FxSourceItem, type FxWriterOptions } from '../../../src/rop/fxics/writer.js';
import { arbElement } from './arb.js';

const KEEP: FxWriterOptions = { strings: 'keep', codePage: 1252 };

const arbItem: fc.Arbitrary<FxSourceItem> = fc.oneof(
  { arbitrary: arbElement, weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('progress' as const), inProgressCount: fc.nat(50), totalStepCount: fc.nat(50) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('raw' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }), atomic: fc.boolean() }), weight: 1 },
);

async function* source(items: readonly FxSourceItem[], failAt: number): AsyncGenerator<FxSourceItem> {
  for (let i = 0; i < items.length; i++) {
    if (i === failAt) throw new Error('store down');
    yield items[i] as FxSourceItem;
  }
}

const strip = ({ error: _e, ...b }: FxBuffer): Omit<FxBuffer, 'error'> => b;

/** Until no read-ahead runs (what is buffered then stays as it is until the next getBuffer). */
async function settled(p: FxStreamProducer): Promise<void> {
  while (p.readingAhead) await new Promise<void>((r) => setImmediate(r));
}

/** Every answer for the sizes (cycled); before each call, peeks `depth` answers ahead and checks them against the calls that follow. */
async function drive(p: FxStreamProducer, sizes: readonly number[], depth: number, settle = true): Promise<{ answers: Omit<FxBuffer, 'error'>[]; peeked: number }> {
  const answers: Omit<FxBuffer, 'error'>[] = [];
  let peeked = 0;
  const pending: Array<{ size: number; b: FxBuffer }> = [];
  for (let n = 0; n < 10_000; n++) {
    const size = sizes[n % sizes.length] as number;
    if (depth > 0 && pending.length === 0) {
      // after the read-ahead is done, or while it may still be running (it only adds bytes)
      if (settle) await settled(p);
      else await new Promise<void>((r) => setImmediate(r));
      const c = p.peekCursor();
      for (let k = 0; k < depth; k++) {
        const s = sizes[(n + k) % sizes.length] as number;
        const before = { ...c };
        const b = p.peek(c, s);
        if (!b) {
          expect(c).toEqual(before); // "cannot tell" leaves the cursor where it was
          break;
        }
        pending.push({ size: s, b });
        if (b.TransferStatus !== TransferStatus.Partial) break;
      }
    }
    const real = await p.getBuffer(size);
    const next = pending.shift();
    if (next) {
      expect(next.size).toBe(size);
      expect(strip(next.b)).toEqual(strip(real));
      peeked++;
    }
    answers.push(strip(real));
    if (real.TransferStatus !== TransferStatus.Partial) return { answers, peeked }; // Done, NoRoom, Error
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error('producer did not finish');
}

describe('FxStreamProducer.peek', () => {
  it('property: peeked answers are the answers getBuffer gives next; peeking changes none of them', async () => {
    let total = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbItem, { maxLength: 40 }),
        fc.array(fc.integer({ min: 8, max: 300 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(0, 64, 2000, 100_000),
        fc.option(fc.nat(45), { nil: -1 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (items, sizes, readAhead, failAt, depth, settle) => {
          const plain = await drive(new FxStreamProducer(source(items, failAt), { ...KEEP, readAhead }), sizes, 0);
          const peeking = await drive(new FxStreamProducer(source(items, failAt), { ...KEEP, readAhead }), sizes, depth, settle);
          expect(peeking.answers).toEqual(plain.answers);
          total += peeking.peeked;
        },
      ),
      { numRuns: 250 },
    );
    expect(total).toBeGreaterThan(20); // the property did compare predictions, not only nulls
  });

  it('says null where it cannot tell: nothing produced yet, a streamed value, a closed producer', async () => {
    const p = new FxStreamProducer(source([{ kind: 'prop', tag: 0x0e080003, value: 1 }], -1), { ...KEEP, readAhead: 1000 });
    expect(p.peek(p.peekCursor(), 100)).toBeNull(); // nothing pulled yet
    const streamed = new FxStreamProducer(
      (function* (): Generator<FxSourceItem> {
        yield { kind: 'prop', tag: 0x0e080003, value: 1 };
        yield { kind: 'propStream', tag: 0x1000001e, length: 4, read: async () => Buffer.from('abc\0') };
        yield { kind: 'prop', tag: 0x0e080003, value: 2 };
      })(),
      { ...KEEP, readAhead: 1000 },
    );
    const first = await streamed.getBuffer(8); // the first property whole
    expect(first.TransferStatus).toBe(TransferStatus.Partial);
    await settled(streamed);
    const c = streamed.peekCursor();
    const a = streamed.peek(c, 100); // the streamed value's head, then its bytes: null
    expect(a).toBeNull();
    await streamed.close();
    expect(streamed.peek(streamed.peekCursor(), 100)).toBeNull();
  });
});
