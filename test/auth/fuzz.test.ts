// Arbitrary and mutated bytes into every decoder and into the full accept() flows: each gives a value or an
// AuthError, never another exception and never a hang (each run is synchronous or awaits only our code).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNtlmServer, createSpnegoServer, isAuthError, type NtlmServerOptions } from '../../src/auth/index.js';
import {
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  decodeNtlmv2ClientChallenge,
} from '../../src/auth/ntlm/messages.js';
import { encodeTlv } from '../../src/auth/spnego/der.js';
import { decodeNegotiationToken, encodeNegTokenInit, encodeNegTokenResp, OID_NTLMSSP } from '../../src/auth/spnego/tokens.js';
import { IDENTITY, lookup, makeAuthenticate, makeNegotiate } from './helpers/ntlm-client.js';
import { mutated, RUNS, valueOrAuthError, valueOrAuthErrorAsync } from './helpers/fuzz.js';

const opts: NtlmServerOptions = {
  identity: IDENTITY,
  lookup,
  policy: { allowNtlmV1: true, maxClockSkewSeconds: 300 },
  randomBytes: (n) => Buffer.alloc(n, 0x5a),
};

const negotiate = makeNegotiate();
const sample = (() => {
  const ch = Buffer.from(
    '4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000',
    'hex',
  );
  return { challenge: ch, auth: makeAuthenticate({ negotiate, challenge: ch, user: 'alice', password: 'Passw0rd!', domain: 'TEST', mic: true }).token };
})();

describe('NTLM decoders', () => {
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (u) => {
        const b = Buffer.from(u);
        for (const d of [decodeNegotiate, decodeChallenge, decodeAuthenticate, decodeAvPairs, decodeNtlmv2ClientChallenge]) {
          valueOrAuthError(() => d(b));
        }
      }),
      RUNS,
    );
  });

  it('arbitrary bytes behind a valid signature and message type', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.uint8Array({ maxLength: 200 }), (type, u) => {
        const b = Buffer.concat([Buffer.from('NTLMSSP\0'), Buffer.from([type, 0, 0, 0]), Buffer.from(u)]);
        for (const d of [decodeNegotiate, decodeChallenge, decodeAuthenticate]) valueOrAuthError(() => d(b));
      }),
      RUNS,
    );
  });

  it('mutated NEGOTIATE, CHALLENGE and AUTHENTICATE messages', () => {
    fc.assert(fc.property(mutated(negotiate), (b) => valueOrAuthError(() => decodeNegotiate(b))), RUNS);
    fc.assert(fc.property(mutated(sample.challenge), (b) => valueOrAuthError(() => decodeChallenge(b))), RUNS);
    fc.assert(fc.property(mutated(sample.auth), (b) => {
      valueOrAuthError(() => {
        const m = decodeAuthenticate(b);
        if (m.NtChallengeResponse.length > 16) decodeNtlmv2ClientChallenge(m.NtChallengeResponse.subarray(16));
      });
    }), RUNS);
  });
});

describe('SPNEGO decoder', () => {
  const init = encodeNegTokenInit({ mechTypes: ['1.2.840.113554.1.2.2', OID_NTLMSSP], mechToken: negotiate });
  const respTok = encodeNegTokenResp({ negState: 1, supportedMech: OID_NTLMSSP, responseToken: sample.challenge, mechListMIC: Buffer.alloc(16, 1) });

  it('arbitrary bytes, and arbitrary bytes under each top-level tag', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (u) => valueOrAuthError(() => decodeNegotiationToken(Buffer.from(u)))), RUNS);
    fc.assert(
      fc.property(fc.constantFrom(0x60, 0xa0, 0xa1, 0x30), fc.uint8Array({ maxLength: 120 }), (tag, u) => {
        const b = Buffer.concat([Buffer.from([tag, u.length]), Buffer.from(u)]);
        valueOrAuthError(() => decodeNegotiationToken(b));
      }),
      RUNS,
    );
  });

  it('mutated NegTokenInit and NegTokenResp', () => {
    fc.assert(fc.property(mutated(init), (b) => valueOrAuthError(() => decodeNegotiationToken(b))), RUNS);
    fc.assert(fc.property(mutated(respTok), (b) => valueOrAuthError(() => decodeNegotiationToken(b))), RUNS);
  });

  it('deep nesting is refused, not recursed into', () => {
    for (const outer of [0xa0, 0xa1]) {
      let t: Buffer = Buffer.from('0400', 'hex');
      for (let i = 0; i < 500; i++) t = encodeTlv(i % 2 ? 0x30 : outer, t);
      expect(() => decodeNegotiationToken(t)).toThrow(expect.objectContaining({ code: 'OC_AUTH_MALFORMED' }));
    }
  });
});

describe('full accept() flows', () => {
  it('NTLM server: mutated NEGOTIATE, then mutated AUTHENTICATE against a real CHALLENGE', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(negotiate), async (b) => {
        await valueOrAuthErrorAsync(() => createNtlmServer(opts).accept(b));
      }),
      RUNS,
    );
    const srv0 = createNtlmServer(opts);
    const ch = await srv0.accept(negotiate);
    const good = makeAuthenticate({ negotiate, challenge: ch.token as Buffer, user: 'alice', password: 'Passw0rd!', domain: 'TEST', mic: true }).token;
    await fc.assert(
      fc.asyncProperty(mutated(good), async (b) => {
        const srv = createNtlmServer(opts);
        await srv.accept(negotiate);
        await valueOrAuthErrorAsync(() => srv.accept(b));
      }),
      RUNS,
    );
  });

  it('SPNEGO server: arbitrary and mutated first tokens, then mutated second tokens', async () => {
    const init = encodeNegTokenInit({ mechTypes: [OID_NTLMSSP], mechToken: negotiate });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(init), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u))), async (b) => {
        await valueOrAuthErrorAsync(() => createSpnegoServer(opts).accept(b));
      }),
      RUNS,
    );
    const probe = createSpnegoServer(opts);
    const r1 = await probe.accept(init);
    const t = decodeNegotiationToken(r1.token as Buffer);
    const challenge = t.kind === 'resp' ? (t.resp.responseToken as Buffer) : Buffer.alloc(0);
    const a = makeAuthenticate({ negotiate, challenge, user: 'alice', password: 'Passw0rd!', domain: 'TEST', mic: true });
    const second = encodeNegTokenResp({ responseToken: a.token, mechListMIC: Buffer.alloc(16, 3) });
    await fc.assert(
      fc.asyncProperty(mutated(second), async (b) => {
        const srv = createSpnegoServer(opts);
        await srv.accept(init);
        await valueOrAuthErrorAsync(() => srv.accept(b));
      }),
      RUNS,
    );
  });

  it('after any failure the authenticator stays failed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (u) => {
        const srv = createSpnegoServer(opts);
        const first = await srv.accept(Buffer.from(u)).then(() => 'ok', (e: unknown) => e);
        if (first !== 'ok') {
          expect(isAuthError(first)).toBe(true);
          await expect(srv.accept(Buffer.from(u))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
        }
      }),
      { numRuns: 200 },
    );
  });
});
