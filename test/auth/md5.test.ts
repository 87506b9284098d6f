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
  it('property: macSeq over a slice of a view at any byte offset equals OpenSSL over seq || slice', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 700 }), fc.nat(7), fc.nat(), fc.nat(), fc.nat(),
        (k, m, off, a, b, seq) => {
          const view = new Uint8Array(new ArrayBuffer(m.length + 8), off, m.length);
          view.set(m);
          const start = m.length === 0 ? 0 : a % (m.length + 1);
          const end = start + (m.length === start ? 0 : b % (m.length - start + 1));
          const out = Buffer.alloc(12);
          new HmacMd5(k).macSeq(seq, view, start, end, out, 2, 8);
          const s = Buffer.alloc(4);
          s.writeUInt32LE(seq >>> 0);
          expect(out.subarray(2, 10)).toEqual(createHmac('md5', k).update(s).update(m.subarray(start, end)).digest().subarray(0, 8));
        }),
      { numRuns: 500 },
    );
  });
});
