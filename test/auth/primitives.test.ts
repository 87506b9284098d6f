import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md4, ntHash } from '../../src/auth/md4.js';
import { Rc4, rc4 } from '../../src/auth/rc4.js';

describe('md4 (RFC 1320 A.5 test suite)', () => {
  const cases: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, hex] of cases) {
    it(`md4("${input.slice(0, 20)}")`, () => expect(md4(Buffer.from(input)).toString('hex')).toBe(hex));
  }
  it('NT hash of "Password" (MS-NLMP 4.2.1 NTOWFv1)', () => {
    expect(ntHash('Password').toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });
});

describe('rc4', () => {
  it('matches the RFC 6229 key 0x0102030405 keystream', () => {
    const ks = rc4(Buffer.from('0102030405', 'hex'), Buffer.alloc(16));
    expect(ks.toString('hex')).toBe('b2396305f03dc027ccc3524a0a1118a8');
  });
  it('keeps its position across calls', () => {
    const whole = rc4(Buffer.from('secret'), Buffer.alloc(40));
    const r = new Rc4(Buffer.from('secret'));
    const a = r.process(Buffer.alloc(13));
    const b = r.process(Buffer.alloc(27));
    expect(Buffer.concat([a, b])).toEqual(whole);
  });
  it('gives the keystream of a byte-at-a-time reference for any key, split and offset (the loop runs 4 bytes a turn)', () => {
    const reference = (key: Uint8Array, n: number): Buffer => {
      const s = Array.from({ length: 256 }, (_, k) => k);
      let j = 0;
      for (let k = 0; k < 256; k++) {
        j = (j + s[k]! + key[k % key.length]!) & 0xff;
        [s[k], s[j]] = [s[j]!, s[k]!];
      }
      const out = Buffer.alloc(n);
      let i = 0;
      j = 0;
      for (let k = 0; k < n; k++) {
        i = (i + 1) & 0xff;
        j = (j + s[i]!) & 0xff;
        [s[i], s[j]] = [s[j]!, s[i]!];
        out[k] = s[(s[i]! + s[j]!) & 0xff]!;
      }
      return out;
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 8 }), fc.integer({ min: 0, max: 7 }), (key, cuts, lead) => {
        const total = cuts.reduce((a, b) => a + b, 0);
        // a view that does not start its ArrayBuffer (the words go through a DataView of the view)
        const buf = Buffer.from(new ArrayBuffer(lead + total + 3), 3, lead + total);
        const r = new Rc4(key);
        let at = lead;
        for (const c of cuts) {
          r.processRange(buf, at, at + c);
          at += c;
        }
        expect(buf.subarray(lead)).toEqual(reference(key, total));
        expect(buf.subarray(0, lead)).toEqual(Buffer.alloc(lead));
      }),
      { numRuns: 300 },
    );
  });
});
