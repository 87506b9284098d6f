// Shared pieces for the EMSMDB wire tests: fixtures, fast-check settings, mutations, "a value or a coded error".
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ProtocolError } from '../../src/util/errors.js';

export const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 400) };

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/emsmdb/${name}`, import.meta.url), 'utf8')) as T;
}

export const hex = (s: string) => Buffer.from(s, 'hex');

/** Runs f; passes on a value or a ProtocolError of one of `classes` carrying an OC_ code, fails on anything else. */
export function valueOrCodedError(f: () => unknown, ...classes: Array<abstract new (...a: any[]) => ProtocolError>): unknown {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ProtocolError) || !/^OC_[A-Z0-9_]+$/.test(e.code)) throw e;
    if (classes.length && !classes.some((c) => e instanceof c)) throw e;
    return e;
  }
}

/** The code of the error f throws (fails the test if it does not throw a ProtocolError). */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  throw new Error('expected a ProtocolError, got a value');
}

/** A valid message with bytes overwritten, truncated, extended or a 16/32-bit field set to an extreme value. */
export function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  const flips = fc.array(fc.tuple(fc.nat({ max: Math.max(0, base.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
  const field = fc.tuple(fc.nat({ max: Math.max(0, base.length - 4) }), fc.constantFrom(0, 1, 7, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0xffffffff, base.length));
  return fc.oneof(
    flips.map((fs) => {
      const b = Buffer.from(base);
      for (const [i, v] of fs) if (i < b.length) b[i] = v;
      return b;
    }),
    fc.nat({ max: base.length }).map((n) => base.subarray(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((x) => Buffer.concat([base, x])),
    field.map(([at, v]) => {
      const b = Buffer.from(base);
      if (b.length < at + 4) return b;
      if (v > 0xffff) b.writeUInt32LE(v >>> 0, at);
      else b.writeUInt16LE(v, at);
      return b;
    }),
  );
}

/** xorshift32: cheap deterministic bytes for large generated buffers (fast-check picks the seed and shape). */
export function prng(seed: number): () => number {
  let x = seed | 0 || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}
