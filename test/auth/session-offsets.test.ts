// NtlmSession's in-place, by-offset protection (signAt, sealAt, verifyAt, unsealAt: what DCE/RPC uses per PDU)
// against the MS-NLMP 4.2.4.4 vector and against the view-based API, and its refusals.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as C from '../../src/auth/ntlm/constants.js';
import { NtlmSession } from '../../src/auth/ntlm/session.js';

const fx = JSON.parse(readFileSync(new URL('../../fixtures/auth/ms-nlmp-4.2.json', import.meta.url), 'utf8'));
const v = fx.vectors.find((x: { id: string }) => x.id === 'nlmp-4.2.4-ntlmv2');
const h = (s: string) => Buffer.from(s, 'hex');

const ESS = C.NTLMSSP_NEGOTIATE_SIGN | C.NTLMSSP_NEGOTIATE_SEAL | C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | C.NTLMSSP_NEGOTIATE_128;
const pair = (flags: number, key = randomBytes(16)) => ({ server: new NtlmSession(key, flags, 'Server'), client: new NtlmSession(key, flags, 'Client') });
const badSignature = expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' });

describe('NtlmSession by offsets', () => {
  it('MS-NLMP 4.2.4.4: sealAt gives the spec sealed data and signature', () => {
    const plaintext = h(fx.inputs.plaintext_utf16le_Plaintext);
    const buf = Buffer.concat([plaintext, Buffer.alloc(16)]);
    new NtlmSession(h(fx.inputs.RandomSessionKey), Number(v.challengeFlags), 'Client').sealAt(buf, 0, plaintext.length, plaintext.length);
    expect(buf.subarray(0, plaintext.length).toString('hex')).toBe(v.gss_wrapex.sealedData);
    expect(buf.subarray(plaintext.length).toString('hex')).toBe(v.gss_wrapex.signature);
  });

  it('property: the same bytes as seal/sign on views, and the peer unseals and verifies them', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(300),
        fc.nat(300),
        fc.integer({ min: 1, max: 5 }),
        (keyExch, message, a, b, rounds) => {
          const flags = ESS | (keyExch ? C.NTLMSSP_NEGOTIATE_KEY_EXCH : 0);
          const key = randomBytes(16);
          const viaViews = pair(flags, key);
          const viaOffsets = pair(flags, key);
          const end = message.length;
          const dataStart = Math.min(a, b) % (end + 1);
          const dataEnd = Math.max(dataStart, Math.max(a, b) % (end + 1));
          for (let r = 0; r < rounds; r++) {
            // sealed
            const x = Buffer.from(message);
            const sig = viaViews.server.seal(x.subarray(dataStart, dataEnd), x);
            const y = Buffer.concat([message, Buffer.alloc(16)]);
            viaOffsets.server.sealAt(y, dataStart, dataEnd, end);
            expect(y.subarray(0, end)).toEqual(x);
            expect(y.subarray(end)).toEqual(sig);
            viaOffsets.client.unsealAt(y, dataStart, dataEnd, end, end, end + 16);
            expect(y.subarray(0, end)).toEqual(Buffer.from(message));
            viaViews.client.unseal(x.subarray(dataStart, dataEnd), x, sig);
            // signed
            const z = Buffer.concat([message, Buffer.alloc(16)]);
            viaOffsets.client.signAt(z, end);
            expect(z.subarray(end)).toEqual(viaViews.client.sign(message));
            viaOffsets.server.verifyAt(z, end, end, end + 16);
            viaViews.server.verify(message, z.subarray(end));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a changed message, a changed signature, a replay and a short signature; then the context is unusable', () => {
    const make = () => {
      const { server, client } = pair(ESS | C.NTLMSSP_NEGOTIATE_KEY_EXCH);
      const pdu = Buffer.concat([Buffer.from('header..stub-to-be-seal!trailer.'), Buffer.alloc(16)]);
      client.sealAt(pdu, 8, 24, 32);
      return { server, client, pdu };
    };
    // a header byte, a sealed byte, the checksum, the sequence number
    for (const at of [2, 12, 40, 47]) {
      const { server, pdu } = make();
      pdu[at] = (pdu[at] as number) ^ 1;
      expect(() => server.unsealAt(pdu, 8, 24, 32, 32, 48)).toThrow(badSignature);
      expect(() => server.verifyAt(pdu, 32, 32, 48)).toThrow(expect.objectContaining({ code: 'OC_AUTH_STATE' }));
    }
    const replay = make();
    const copy = Buffer.from(replay.pdu);
    replay.server.unsealAt(replay.pdu, 8, 24, 32, 32, 48);
    expect(() => replay.server.unsealAt(copy, 8, 24, 32, 32, 48)).toThrow(badSignature);
    const short = make();
    expect(() => short.server.unsealAt(short.pdu, 8, 24, 32, 32, 44)).toThrow(badSignature);
  });
});
