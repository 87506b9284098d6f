// src/directory/password.ts: the HTTP Basic hash, with its cost parameter (lowered only for throw-away test data).
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_N, hashPassword, verifyPasswordHash } from '../../src/directory/password.js';

describe('password hashes', () => {
  it('keep their own scrypt N: a cheap hash verifies like a default one', async () => {
    const cheap = await hashPassword('Pässwörd', 1024);
    expect(cheap).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPasswordHash(cheap, 'Pässwörd')).toBe(true);
    expect(await verifyPasswordHash(cheap, 'wrong')).toBe(false);
    expect(DEFAULT_SCRYPT_N).toBe(32768);
    expect(await hashPassword('x')).toMatch(/^scrypt\$32768\$/);
  });
  it('refuses a cost that is not a power of two from 2^10 to 2^20', async () => {
    for (const n of [0, 512, 1000, 3 << 10, 1 << 21, Number.NaN]) {
      await expect(hashPassword('x', n), String(n)).rejects.toMatchObject({ code: 'OC_DIR_SCRYPT_COST' });
    }
  });
});
