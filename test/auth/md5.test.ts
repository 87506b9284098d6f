import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HmacMd5, md5 } from '../../src/auth/md5.js';

describe('md5 and HMAC-MD5 (ours, for per-PDU signatures)', () => {
  it('RFC 1321 test suite', () => {
    expect(md5(Buffer.from('')).toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5(Buffer.from('abc')).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5(Buffer.from('1234567890'.repeat(8))).toString('hex')).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });
  it('RFC 2104 example: key "Jefe"', () => {
    expect(new HmacMd5(Buffer.from('Jefe')).mac(Buffer.from('what do ya want '), Buffer.from('for nothing?')).toString('hex')).toBe(
      '750c783e6ab0b503eaa86e310a5db738',
    );
  });
  it('agrees with OpenSSL for every length around the block boundaries and for long keys', () => {
    const key = randomBytes(16);
    const h = new HmacMd5(key);
    for (let n = 0; n < 300; n++) {
      const a = randomBytes(n % 7);
      const b = randomBytes(n);
      expect(h.mac(a, b)).toEqual(createHmac('md5', key).update(a).update(b).digest());
      expect(md5(b)).toEqual(createHash('md5').update(b).digest());
    }
    const longKey = randomBytes(100);
    expect(new HmacMd5(longKey).mac(Buffer.from('x'))).toEqual(createHmac('md5', longKey).update('x').digest());
  });
  it('property: equal to OpenSSL on arbitrary keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 2000 }), (k, m) => {
        expect(new HmacMd5(k).mac(m)).toEqual(createHmac('md5', k).update(m).digest());
      }),
      { numRuns: 500 },
    );
  });
});
