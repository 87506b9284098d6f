// DES (encryption only) for NTLMv1 DESL: the classic FIPS 46 worked example, and agreement with OpenSSL's
// default-provider 3DES used with three equal keys (which is single DES).
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { desEncryptBlock, desl, expandDesKey } from '../../src/auth/des.js';

describe('DES', () => {
  it('encrypts the textbook block (key 133457799BBCDFF1)', () => {
    const c = desEncryptBlock(Buffer.from('133457799bbcdff1', 'hex'), Buffer.from('0123456789abcdef', 'hex'));
    expect(c.toString('hex')).toBe('85e813540f0ab405');
  });

  it('agrees with OpenSSL des-ede3-ecb(K||K||K) on random keys and blocks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (k, p) => {
        const c = createCipheriv('des-ede3-ecb', Buffer.concat([k, k, k]), null);
        c.setAutoPadding(false);
        expect(desEncryptBlock(k, p)).toEqual(c.update(p));
      }),
      { numRuns: 200 },
    );
  });

  it('spreads 7-byte keys over 8 bytes and computes DESL over three keys', () => {
    expect(expandDesKey(Buffer.from('ffffffffffffff', 'hex')).toString('hex')).toBe('fefefefefefefefe');
    expect(desl(Buffer.alloc(16), Buffer.alloc(8))).toHaveLength(24);
    expect(() => desl(Buffer.alloc(15), Buffer.alloc(8))).toThrow(RangeError);
  });
});
