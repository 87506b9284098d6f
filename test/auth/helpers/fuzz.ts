// Shared fast-check pieces for the authentication tests: mutations of a valid message, and the
// "a value or an AuthError, never another exception" check.
import fc from 'fast-check';
import { isAuthError } from '../../../src/auth/index.js';

export const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 400) };

/** Runs f; passes on a value or an AuthError, fails on anything else. */
export function valueOrAuthError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isAuthError(e)) throw e;
  }
}

export async function valueOrAuthErrorAsync(f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!isAuthError(e)) throw e;
  }
}

/** A valid message with bytes overwritten, truncated, extended or a 16/32-bit field set to an extreme value. */
export function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  const flips = fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
  const field = fc.tuple(fc.nat({ max: Math.max(0, base.length - 4) }), fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0xffff, 0xffffffff, base.length, base.length + 1));
  return fc.oneof(
    flips.map((fs) => {
      const b = Buffer.from(base);
      for (const [i, v] of fs) b[i] = v;
      return b;
    }),
    fc.nat({ max: base.length }).map((n) => base.subarray(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((x) => Buffer.concat([base, x])),
    field.map(([at, v]) => {
      const b = Buffer.from(base);
      if (v > 0xffff) b.writeUInt32LE(v >>> 0, at);
      else b.writeUInt16LE(v, at);
      return b;
    }),
  );
}
