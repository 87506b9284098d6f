// NTLM server behaviour on cases the independent clients do not produce on demand (reference client built
// from our own primitives; impacket.test.ts and samba.test.ts are the independent judges).
import { describe, expect, it } from 'vitest';
import { createNtlmServer, type NtlmServerOptions } from '../../src/auth/index.js';
import * as C from '../../src/auth/ntlm/constants.js';
import {
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  encodeAuthenticate,
  encodeNegotiate,
  findAvPair,
} from '../../src/auth/ntlm/messages.js';
import { NtlmServer, toFiletime } from '../../src/auth/ntlm/server.js';
import { NtlmSession } from '../../src/auth/ntlm/session.js';
import { CLIENT_FLAGS, IDENTITY, lookup, makeAuthenticate, makeNegotiate, type AuthOptions } from './helpers/ntlm-client.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

function opts(over: Partial<NtlmServerOptions> = {}): NtlmServerOptions {
  return { identity: IDENTITY, lookup, policy: { allowNtlmV1: false, maxClockSkewSeconds: 300 }, now: () => NOW, ...over };
}

async function logon(o: Partial<AuthOptions> & { negFlags?: number; server?: Partial<NtlmServerOptions> } = {}) {
  const srv = createNtlmServer(opts(o.server));
  const negotiate = makeNegotiate(o.negFlags);
  const ch = await srv.accept(negotiate);
  if (ch.done) throw new Error('done too early');
  const a = makeAuthenticate({ negotiate, challenge: ch.token, user: 'alice', password: 'Passw0rd!', domain: 'TEST', ...o });
  return { srv, challenge: ch.token, a, accept: () => srv.accept(a.token) };
}

function roundTrip(server: { seal: NtlmSession['seal']; unseal: NtlmSession['unseal']; sign: NtlmSession['sign']; verify: NtlmSession['verify'] }, client: NtlmSession, n: number) {
  for (let i = 0; i < n; i++) {
    const msg = Buffer.from(`hdr${i}|payload number ${i}|trl`);
    const data = msg.subarray(4 + String(i).length, msg.length - 4);
    const plain = Buffer.from(msg);
    const sig = client.seal(data, msg);
    server.unseal(data, msg, sig);
    expect(msg).toEqual(plain);
    const back = Buffer.from(`reply ${i}`);
    const sig2 = server.seal(back, back);
    client.unseal(back, back, sig2);
    expect(back.toString()).toBe(`reply ${i}`);
    const m = Buffer.from(`signed ${i}`);
    server.verify(m, client.sign(m));
    client.verify(m, server.sign(m));
  }
}

describe('CHALLENGE_MESSAGE', () => {
  it('answers with the negotiated flags, our names, a timestamp and a version', async () => {
    const srv = createNtlmServer(opts({ randomBytes: (n) => Buffer.alloc(n, 0x42) }));
    const r = await srv.accept(makeNegotiate());
    if (r.done) throw new Error('done');
    const ch = decodeChallenge(r.token);
    const f = ch.NegotiateFlags;
    for (const bit of [C.NTLMSSP_NEGOTIATE_UNICODE, C.NTLMSSP_REQUEST_TARGET, C.NTLMSSP_NEGOTIATE_NTLM, C.NTLMSSP_NEGOTIATE_SIGN,
      C.NTLMSSP_NEGOTIATE_SEAL, C.NTLMSSP_NEGOTIATE_ALWAYS_SIGN, C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
      C.NTLMSSP_NEGOTIATE_TARGET_INFO, C.NTLMSSP_NEGOTIATE_VERSION, C.NTLMSSP_NEGOTIATE_128, C.NTLMSSP_NEGOTIATE_56,
      C.NTLMSSP_NEGOTIATE_KEY_EXCH, C.NTLMSSP_TARGET_TYPE_DOMAIN]) {
      expect(f & bit, `flag 0x${bit.toString(16)}`).toBeTruthy();
    }
    expect(f & (C.NTLM_NEGOTIATE_OEM | C.NTLMSSP_TARGET_TYPE_SERVER | C.NTLMSSP_NEGOTIATE_LM_KEY)).toBe(0);
    expect(ch.ServerChallenge).toEqual(Buffer.alloc(8, 0x42));
    expect(ch.TargetName.toString('utf16le')).toBe('TEST');
    expect(ch.Version).toEqual({ ProductMajorVersion: 10, ProductMinorVersion: 0, ProductBuild: 17763, NTLMRevisionCurrent: 15 });
    const av = decodeAvPairs(ch.TargetInfo);
    const s = (id: number) => findAvPair(av, id)?.toString('utf16le');
    expect(s(C.MsvAvNbDomainName)).toBe('TEST');
    expect(s(C.MsvAvNbComputerName)).toBe('EXCH01');
    expect(s(C.MsvAvDnsDomainName)).toBe('test.example');
    expect(s(C.MsvAvDnsComputerName)).toBe('exch01.test.example');
    expect(s(C.MsvAvDnsTreeName)).toBe('test.example');
    expect(findAvPair(av, C.MsvAvTimestamp)?.readBigUInt64LE(0)).toBe(toFiletime(NOW));
  });

  it('echoes only what the client asked: no 128/56 without SIGN or SEAL, no Version unless asked', async () => {
    const srv = createNtlmServer(opts());
    const flags = C.NTLMSSP_NEGOTIATE_UNICODE | C.NTLMSSP_NEGOTIATE_NTLM | C.NTLMSSP_NEGOTIATE_128 | C.NTLMSSP_NEGOTIATE_56 |
      C.NTLMSSP_NEGOTIATE_LM_KEY | C.NTLMSSP_NEGOTIATE_DATAGRAM | C.NTLMSSP_NEGOTIATE_IDENTIFY;
    const r = await srv.accept(makeNegotiate(flags));
    const ch = decodeChallenge(r.token as Buffer);
    expect(ch.NegotiateFlags & (C.NTLMSSP_NEGOTIATE_128 | C.NTLMSSP_NEGOTIATE_56 | C.NTLMSSP_NEGOTIATE_LM_KEY |
      C.NTLMSSP_NEGOTIATE_DATAGRAM | C.NTLMSSP_NEGOTIATE_IDENTIFY | C.NTLMSSP_NEGOTIATE_VERSION | C.NTLMSSP_NEGOTIATE_SIGN)).toBe(0);
    expect(ch.Version).toBeNull();
  });

  it('uses OEM when the client does not ask for Unicode, and refuses a client asking for neither', async () => {
    const oem = C.NTLM_NEGOTIATE_OEM | C.NTLMSSP_NEGOTIATE_NTLM | C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
      C.NTLMSSP_NEGOTIATE_TARGET_INFO | C.NTLMSSP_NEGOTIATE_SIGN;
    const { challenge, accept } = await logon({ negFlags: oem, oem: true });
    const ch = decodeChallenge(challenge);
    expect(ch.NegotiateFlags & C.NTLMSSP_NEGOTIATE_UNICODE).toBe(0);
    expect(ch.NegotiateFlags & C.NTLM_NEGOTIATE_OEM).toBeTruthy();
    expect(ch.TargetName.toString('latin1')).toBe('TEST');
    const r = await accept();
    expect(r.done && r.user).toEqual({ username: 'alice', domain: 'TEST', workstation: 'WS1' });
    const srv = createNtlmServer(opts());
    await expect(srv.accept(makeNegotiate(C.NTLMSSP_NEGOTIATE_NTLM))).rejects.toMatchObject({ code: 'OC_AUTH_MALFORMED' });
  });

  it('refuses SIGN or SEAL without extended session security already at NEGOTIATE', async () => {
    const srv = createNtlmServer(opts());
    const flags = CLIENT_FLAGS & ~C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;
    await expect(srv.accept(makeNegotiate(flags))).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });
  });
});

describe('AUTHENTICATE_MESSAGE', () => {
  it('NTLMv2 with a MIC and KEY_EXCH: authenticated, traffic both ways', async () => {
    const { a, accept } = await logon({ mic: true });
    const r = await accept();
    if (!r.done) throw new Error('not done');
    expect(r.token).toBeNull();
    expect(r.user).toEqual({ username: 'alice', domain: 'TEST', workstation: 'WS1' });
    expect(r.security.flags).toBe(a.flags);
    roundTrip(r.security, a.session, 6);
  });

  it('NTLMv2 without KEY_EXCH uses the KeyExchangeKey as session key', async () => {
    const { a, accept } = await logon({ negFlags: CLIENT_FLAGS & ~C.NTLMSSP_NEGOTIATE_KEY_EXCH });
    expect(a.flags & C.NTLMSSP_NEGOTIATE_KEY_EXCH).toBe(0);
    const r = await accept();
    if (!r.done) throw new Error('not done');
    roundTrip(r.security, a.session, 3);
  });

  it('56-bit and 40-bit sealing keys', async () => {
    for (const cut of [C.NTLMSSP_NEGOTIATE_56, 0]) {
      const { a, accept } = await logon({ negFlags: (CLIENT_FLAGS & ~(C.NTLMSSP_NEGOTIATE_128 | C.NTLMSSP_NEGOTIATE_56)) | cut });
      const r = await accept();
      if (!r.done) throw new Error('not done');
      roundTrip(r.security, a.session, 2);
    }
  });

  it('a MIC that does not verify is OC_AUTH_MIC_MISMATCH', async () => {
    const { accept } = await logon({ mic: true, badMic: true });
    await expect(accept()).rejects.toMatchObject({ code: 'OC_AUTH_MIC_MISMATCH' });
  });

  it('MsvAvFlags announcing a MIC in a message without room for one is malformed', async () => {
    const { srv, a } = await logon({ mic: true });
    const m = decodeAuthenticate(a.token);
    await expect(srv.accept(encodeAuthenticate({ ...m, MIC: null }))).rejects.toMatchObject({ code: 'OC_AUTH_MALFORMED' });
  });

  it('accepts a client that computed NTOWFv2 with an empty UserDom (MS-NLMP 3.2.5.1.2)', async () => {
    const { accept } = await logon({ ntowfDomain: '' });
    expect((await accept()).done).toBe(true);
  });

  it('uses the user and domain exactly as sent: lookup is case-insensitive, the canonical name comes back', async () => {
    const { accept } = await logon({ user: 'ALICE', domain: 'test' });
    const r = await accept();
    expect(r.done && r.user).toEqual({ username: 'alice', domain: 'test', workstation: 'WS1' });
  });

  it('wrong password and unknown user: same code, same message', async () => {
    const e1 = await (await logon({ password: 'wrong' })).accept().catch((e: unknown) => e);
    const e2 = await (await logon({ user: 'nobody' })).accept().catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
    expect(e2).toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
    expect((e1 as Error).message).toBe((e2 as Error).message);
    expect((e1 as { details?: unknown }).details).toBeUndefined();
  });

  it('clock skew: refused outside the window, accepted inside, not checked with 0', async () => {
    const old = toFiletime(NOW - 3600_000);
    await expect((await logon({ time: old })).accept()).rejects.toMatchObject({ code: 'OC_AUTH_CLOCK_SKEW' });
    await expect((await logon({ time: toFiletime(NOW + 3600_000) })).accept()).rejects.toMatchObject({ code: 'OC_AUTH_CLOCK_SKEW' });
    expect((await (await logon({ time: toFiletime(NOW - 200_000) })).accept()).done).toBe(true);
    const lax = await logon({ time: old, server: { policy: { allowNtlmV1: false, maxClockSkewSeconds: 0 } } });
    expect((await lax.accept()).done).toBe(true);
  });

  it('NTLMv1 with ESS only when allowed', async () => {
    const yes = await logon({ v1: true, server: { policy: { allowNtlmV1: true, maxClockSkewSeconds: 300 } } });
    const r = await yes.accept();
    if (!r.done) throw new Error('not done');
    roundTrip(r.security, yes.a.session, 2);
    await expect((await logon({ v1: true })).accept()).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });
  });

  it('anonymous, LM-only and NTLMv1 without ESS are OC_AUTH_UNSUPPORTED', async () => {
    const { srv, a } = await logon({});
    const m = decodeAuthenticate(a.token);
    const anon = encodeAuthenticate({ ...m, UserName: Buffer.alloc(0), NtChallengeResponse: Buffer.alloc(0), LmChallengeResponse: Buffer.alloc(1) });
    await expect(srv.accept(anon)).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });

    const s2 = await logon({});
    const m2 = decodeAuthenticate(s2.a.token);
    const lmOnly = encodeAuthenticate({ ...m2, NtChallengeResponse: Buffer.alloc(0), LmChallengeResponse: Buffer.alloc(24, 1) });
    await expect(s2.srv.accept(lmOnly)).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });

    const noEss = C.NTLMSSP_NEGOTIATE_UNICODE | C.NTLMSSP_NEGOTIATE_NTLM;
    const s3 = await logon({ negFlags: noEss, v1: true, server: { policy: { allowNtlmV1: true, maxClockSkewSeconds: 0 } } });
    await expect(s3.accept()).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });

    const s4 = await logon({});
    const m4 = decodeAuthenticate(s4.a.token);
    const anonFlag = encodeAuthenticate({ ...m4, NegotiateFlags: m4.NegotiateFlags | C.NTLMSSP_NEGOTIATE_ANONYMOUS });
    await expect(s4.srv.accept(anonFlag)).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });
  });

  it('an AUTHENTICATE adding variant flags the CHALLENGE did not offer is refused', async () => {
    const neg = CLIENT_FLAGS & ~C.NTLMSSP_NEGOTIATE_KEY_EXCH;
    const { accept } = await logon({ negFlags: neg, flags: CLIENT_FLAGS });
    await expect(accept()).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });
  });

  it('KEY_EXCH with SIGN but no EncryptedRandomSessionKey is malformed', async () => {
    const { srv, a } = await logon({});
    const m = decodeAuthenticate(a.token);
    await expect(srv.accept(encodeAuthenticate({ ...m, EncryptedRandomSessionKey: Buffer.alloc(0) }))).rejects.toMatchObject({
      code: 'OC_AUTH_MALFORMED',
    });
  });

  it('responses of impossible lengths are malformed', async () => {
    for (const len of [1, 23, 30, 47]) {
      const { srv, a } = await logon({});
      const m = decodeAuthenticate(a.token);
      await expect(srv.accept(encodeAuthenticate({ ...m, NtChallengeResponse: Buffer.alloc(len, 9) }))).rejects.toMatchObject({
        code: 'OC_AUTH_MALFORMED',
      });
    }
  });
});

describe('state machine', () => {
  it('a token after completion or after a failure is OC_AUTH_STATE', async () => {
    const ok = await logon({});
    await ok.accept();
    await expect(ok.srv.accept(ok.a.token)).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    const bad = await logon({ password: 'x' });
    await expect(bad.accept()).rejects.toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
    await expect(bad.srv.accept(bad.a.token)).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
  });

  it('an AUTHENTICATE first, or a NEGOTIATE second, is malformed', async () => {
    const srv = createNtlmServer(opts());
    const negotiate = makeNegotiate();
    const other = createNtlmServer(opts());
    const ch = await other.accept(negotiate);
    const a = makeAuthenticate({ negotiate, challenge: ch.token as Buffer, user: 'alice', password: 'Passw0rd!', domain: 'TEST' });
    await expect(srv.accept(a.token)).rejects.toMatchObject({ code: 'OC_AUTH_MALFORMED' });
    const srv2 = createNtlmServer(opts());
    await srv2.accept(negotiate);
    await expect(srv2.accept(negotiate)).rejects.toMatchObject({ code: 'OC_AUTH_MALFORMED' });
  });

  it('a second token while the first is still being verified is OC_AUTH_STATE', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const srv = new NtlmServer(opts({ lookup: async (u) => { await gate; return lookup(u); } }));
    const negotiate = makeNegotiate();
    const ch = await srv.step(negotiate);
    const a = makeAuthenticate({ negotiate, challenge: ch.kind === 'challenge' ? ch.token : Buffer.alloc(0), user: 'alice', password: 'Passw0rd!', domain: 'TEST' });
    const first = srv.step(a.token);
    await expect(srv.step(a.token)).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    release();
    expect((await first).kind).toBe('authenticated');
  });

  it('tokens over the size limit are malformed', async () => {
    const srv = createNtlmServer(opts({ maxTokenSize: 100 }));
    const big = encodeNegotiate({ NegotiateFlags: CLIENT_FLAGS, DomainName: Buffer.alloc(200, 0x41), WorkstationName: Buffer.alloc(0), Version: null });
    await expect(srv.accept(big)).rejects.toMatchObject({ code: 'OC_AUTH_MALFORMED' });
  });
});

describe('security context', () => {
  it('is unusable after a bad signature', async () => {
    const { a, accept } = await logon({});
    const r = await accept();
    if (!r.done) throw new Error('not done');
    const m = Buffer.from('message');
    const sig = a.session.sign(m);
    sig[6] = (sig[6] as number) ^ 1;
    expect(() => r.security.verify(m, sig)).toThrow(expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' }));
    expect(() => r.security.sign(m)).toThrow(expect.objectContaining({ code: 'OC_AUTH_STATE' }));
  });

  it('rejects replayed and reordered messages (sequence numbers)', async () => {
    const { a, accept } = await logon({});
    const r = await accept();
    if (!r.done) throw new Error('not done');
    const m0 = Buffer.from('zero');
    const s0 = a.session.sign(m0);
    const m1 = Buffer.from('one');
    const s1 = a.session.sign(m1);
    expect(() => r.security.verify(m1, s1)).toThrow(expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' }));
    const again = await logon({});
    const r2 = await again.accept();
    if (!r2.done) throw new Error('not done');
    const t0 = again.a.session.sign(m0);
    r2.security.verify(m0, t0);
    expect(() => r2.security.verify(m0, t0)).toThrow(expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' }));
    expect(s0).toHaveLength(16);
  });

  it('SIGN without SEAL: sign works, seal is refused; short signatures are bad', async () => {
    const { a, accept } = await logon({ negFlags: CLIENT_FLAGS & ~C.NTLMSSP_NEGOTIATE_SEAL });
    const r = await accept();
    if (!r.done) throw new Error('not done');
    const m = Buffer.from('abc');
    r.security.verify(m, a.session.sign(m));
    expect(() => r.security.seal(m, m)).toThrow(expect.objectContaining({ code: 'OC_AUTH_STATE' }));
    expect(() => r.security.verify(m, Buffer.alloc(8))).toThrow(expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' }));
  });
});
