// Our NTLM and SPNEGO clients against our NTLM and SPNEGO servers (several sealed and signed messages each way,
// sequence numbers and RC4 state in step), the client's refusals of CHALLENGEs it must not answer, its SPNEGO
// corner cases, and fast-check on server tokens. The independent judges are client-samba.test.ts (Samba's
// GENSEC server) and client-impacket.test.ts (impacket recomputing every value).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createNtlmClient,
  createNtlmServer,
  createSpnegoClient,
  createSpnegoServer,
  type AuthStep,
  type ClientAuthenticator,
  type NtlmClientOptions,
  type NtlmServerOptions,
  type SecurityContext,
  type ServerAuthenticator,
} from '../../src/auth/index.js';
import * as C from '../../src/auth/ntlm/constants.js';
import { NtlmClient } from '../../src/auth/ntlm/client.js';
import { ntHash } from '../../src/auth/md4.js';
import {
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  decodeNtlmv2ClientChallenge,
  encodeAvPairs,
  encodeChallenge,
  findAvPair,
  type AvPair,
} from '../../src/auth/ntlm/messages.js';
import { NtlmSession } from '../../src/auth/ntlm/session.js';
import { SpnegoClient } from '../../src/auth/spnego/client.js';
import {
  NegState,
  OID_NTLMSSP,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  type NegTokenResp,
} from '../../src/auth/spnego/tokens.js';
import { mutated, RUNS, valueOrAuthErrorAsync } from './helpers/fuzz.js';
import { IDENTITY, lookup } from './helpers/ntlm-client.js';

const serverOpts: NtlmServerOptions = { identity: IDENTITY, lookup, policy: { allowNtlmV1: false, maxClockSkewSeconds: 300 } };
const alice = (o: Partial<NtlmClientOptions> = {}): NtlmClientOptions => ({
  username: 'alice', password: 'Passw0rd!', domain: 'TEST', workstation: 'BENCH01', seal: true, ...o,
});

function resp(token: Buffer | null): NegTokenResp {
  if (!token) throw new Error('no token');
  const t = decodeNegotiationToken(token);
  if (t.kind !== 'resp') throw new Error('expected NegTokenResp');
  return t.resp;
}

interface Handshake {
  client: ClientAuthenticator;
  final: AuthStep & { done: true };
  /** Client tokens in order. */
  sent: Buffer[];
  /** Server tokens in order. */
  received: (Buffer | null)[];
}

/** Drives client and server to the end; `tamper` may change a client token on its way. */
async function handshake(client: ClientAuthenticator, server: ServerAuthenticator, tamper?: (i: number, t: Buffer) => Buffer): Promise<Handshake> {
  const sent: Buffer[] = [];
  const received: (Buffer | null)[] = [];
  let c = await client.step(null);
  for (let i = 0; i < 6; i++) {
    expect(client.security === null).toBe(!c.done);
    const out = tamper ? tamper(i, c.token as Buffer) : (c.token as Buffer);
    sent.push(out);
    const s = await server.accept(out);
    received.push(s.token);
    if (s.done) {
      if (s.token) {
        expect(c.done).toBe(false);
        c = await client.step(s.token);
        expect(c.token).toBeNull();
      }
      expect(c.done).toBe(true);
      return { client, final: s, sent, received };
    }
    expect(c.done).toBe(false);
    c = await client.step(s.token);
  }
  throw new Error('exchange did not finish');
}

/** A DCE/RPC-shaped message: header, body (sealed part), trailer. */
function pdu(tag: string, i: number): { message: Buffer; body: Buffer } {
  const message = Buffer.concat([Buffer.alloc(24, 5 + i), Buffer.from(`${tag} ${i} `.repeat(1 + (i % 7))), Buffer.alloc(8, 0xa0)]);
  return { message, body: message.subarray(24, message.length - 8) };
}

/** Sealed (or signed) messages both ways, interleaved, `rounds` times. */
function traffic(client: SecurityContext, server: SecurityContext, rounds: number, seal: boolean): void {
  for (let i = 0; i < rounds; i++) {
    for (const [from, to, tag] of [[client, server, 'c2s'], [server, client, 's2c']] as const) {
      const { message, body } = pdu(tag, i);
      const plain = Buffer.from(message);
      if (seal) {
        const sig = from.seal(body, message);
        expect(body.equals(plain.subarray(24, plain.length - 8))).toBe(false);
        to.unseal(body, message, sig);
      } else {
        to.verify(message, from.sign(message));
      }
      expect(message.equals(plain)).toBe(true);
      // and a signed-only packet in between, as DCE/RPC sends with auth level integrity
      const extra = Buffer.from(`${tag} signed ${i}`);
      to.verify(extra, from.sign(extra));
    }
  }
}

describe('our NTLM client against our NTLM server', () => {
  it('seal: NEGOTIATE flags, NTLMv2 with MIC, then sealed and signed traffic both ways', async () => {
    const h = await handshake(createNtlmClient(alice()), createNtlmServer(serverOpts));
    expect(h.sent).toHaveLength(2);
    const neg = decodeNegotiate(h.sent[0] as Buffer);
    const want = C.NTLMSSP_NEGOTIATE_UNICODE | C.NTLMSSP_NEGOTIATE_NTLM | C.NTLMSSP_NEGOTIATE_SIGN | C.NTLMSSP_NEGOTIATE_SEAL |
      C.NTLMSSP_NEGOTIATE_KEY_EXCH | C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | C.NTLMSSP_NEGOTIATE_128 |
      C.NTLMSSP_NEGOTIATE_56 | C.NTLMSSP_NEGOTIATE_ALWAYS_SIGN | C.NTLMSSP_NEGOTIATE_VERSION;
    expect((neg.NegotiateFlags & want) >>> 0).toBe(want >>> 0);
    expect(neg.Version?.NTLMRevisionCurrent).toBe(15);
    const auth = decodeAuthenticate(h.sent[1] as Buffer);
    expect(auth.UserName.toString('utf16le')).toBe('alice');
    expect(auth.Workstation.toString('utf16le')).toBe('BENCH01');
    expect(auth.LmChallengeResponse.equals(Buffer.alloc(24))).toBe(true);
    expect(auth.EncryptedRandomSessionKey).toHaveLength(16);
    const blob = decodeNtlmv2ClientChallenge(auth.NtChallengeResponse.subarray(16));
    expect((findAvPair(blob.AvPairs, C.MsvAvFlags) as Buffer).readUInt32LE(0)).toBe(C.MSV_AV_FLAG_MIC_PRESENT);
    // the blob time is the server's MsvAvTimestamp
    const ch = decodeChallenge(h.received[0] as Buffer);
    expect(blob.TimeStamp).toBe((findAvPair(decodeAvPairs(ch.TargetInfo), C.MsvAvTimestamp) as Buffer).readBigUInt64LE(0));
    expect(auth.MIC?.equals(Buffer.alloc(16))).toBe(false);
    expect(h.final.user).toEqual({ username: 'alice', domain: 'TEST', workstation: 'BENCH01' });
    const cs = h.client.security as NtlmSession;
    expect(cs.role).toBe('Client');
    expect(cs.flags).toBe(auth.NegotiateFlags);
    expect(cs.sequence).toEqual({ send: 0, receive: 0 });
    traffic(cs, h.final.security, 6, true);
    expect(cs.sequence).toEqual({ send: 12, receive: 12 });
  });

  it('sign only: SEAL is neither requested nor usable; signed traffic both ways', async () => {
    const h = await handshake(createNtlmClient(alice({ seal: false, sign: true })), createNtlmServer(serverOpts));
    const s = h.client.security as SecurityContext;
    expect(s.flags & C.NTLMSSP_NEGOTIATE_SEAL).toBe(0);
    expect(s.flags & C.NTLMSSP_NEGOTIATE_SIGN).not.toBe(0);
    expect(() => s.seal(Buffer.alloc(4), Buffer.alloc(4))).toThrow(expect.objectContaining({ code: 'OC_AUTH_STATE' }));
    traffic(s, h.final.security, 4, false);
  });

  it('neither sign nor seal: authenticates; the context refuses to sign', async () => {
    const h = await handshake(createNtlmClient(alice({ seal: false })), createNtlmServer(serverOpts));
    const s = h.client.security as SecurityContext;
    expect(s.flags & (C.NTLMSSP_NEGOTIATE_SIGN | C.NTLMSSP_NEGOTIATE_SEAL)).toBe(0);
    expect(() => s.sign(Buffer.alloc(4))).toThrow(expect.objectContaining({ code: 'OC_AUTH_STATE' }));
  });

  it('an NT hash works like the password it came from', async () => {
    const h = await handshake(createNtlmClient({ username: 'ALICE', ntHash: ntHash('Passw0rd!'), domain: 'test', seal: true }), createNtlmServer(serverOpts));
    expect(h.final.user.username).toBe('alice');
    traffic(h.client.security as SecurityContext, h.final.security, 2, true);
  });

  it('a wrong password or an unknown user is OC_AUTH_LOGON_FAILURE on the server', async () => {
    for (const o of [alice({ password: 'wrong' }), alice({ username: 'mallory' }), alice({ ntHash: Buffer.alloc(16, 1) })]) {
      const client = createNtlmClient(o);
      const srv = createNtlmServer(serverOpts);
      const ch = await srv.accept((await client.step(null)).token as Buffer);
      const a = await client.step(ch.token);
      expect(a.done).toBe(true);
      await expect(srv.accept(a.token as Buffer)).rejects.toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
    }
  });

  it('is deterministic with injected randomness: same CHALLENGE, same AUTHENTICATE', async () => {
    const fixed = { randomBytes: (n: number) => Buffer.alloc(n, n), now: () => 1_700_000_000_000 };
    const srvOpts = { ...serverOpts, ...fixed };
    const a = await handshake(createNtlmClient(alice(fixed)), createNtlmServer(srvOpts));
    const b = await handshake(createNtlmClient(alice(fixed)), createNtlmServer(srvOpts));
    expect(a.sent[1]?.equals(b.sent[1] as Buffer)).toBe(true);
    const auth = decodeAuthenticate(a.sent[1] as Buffer);
    expect(decodeNtlmv2ClientChallenge(auth.NtChallengeResponse.subarray(16)).ChallengeFromClient.equals(Buffer.alloc(8, 8))).toBe(true);
  });

  it('50 concurrent sealed contexts stay independent', async () => {
    const hs = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      handshake(createNtlmClient(alice({ workstation: `WS${i}` })), createNtlmServer(serverOpts))));
    for (let round = 0; round < 3; round++) for (const h of hs) traffic(h.client.security as SecurityContext, h.final.security, 1, true);
    // a message sealed for one connection does not open on another
    const m = Buffer.from('for connection 0');
    const sig = (hs[0]?.client.security as SecurityContext).seal(m, m);
    expect(() => hs[1]?.final.security.unseal(m, m, sig)).toThrow(expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' }));
  });
});

describe('our SPNEGO client against our SPNEGO server', () => {
  it('seal: NegTokenInit(NTLM), mechListMIC both ways, RC4 re-keyed, numbers from 1, traffic both ways', async () => {
    const h = await handshake(createSpnegoClient(alice()), createSpnegoServer(serverOpts));
    expect(h.sent).toHaveLength(2);
    const init = decodeNegotiationToken(h.sent[0] as Buffer);
    expect(init.kind === 'init' && init.init.mechTypes).toEqual([OID_NTLMSSP]);
    expect(init.kind === 'init' && init.init.mechTypesDer.equals(encodeMechTypeList([OID_NTLMSSP]))).toBe(true);
    expect(resp(h.sent[1] as Buffer).mechListMIC).toHaveLength(16);
    const last = resp(h.final.token);
    expect(last.negState).toBe(NegState['accept-completed']);
    expect(last.mechListMIC).toHaveLength(16);
    expect((h.client.security as NtlmSession).sequence).toEqual({ send: 1, receive: 1 });
    expect((h.final.security as NtlmSession).sequence).toEqual({ send: 1, receive: 1 });
    traffic(h.client.security as SecurityContext, h.final.security, 6, true);
  });

  it('sign only: mechListMIC exchange, then signed traffic', async () => {
    const h = await handshake(createSpnegoClient(alice({ seal: false, sign: true })), createSpnegoServer(serverOpts));
    expect(resp(h.final.token).mechListMIC).toHaveLength(16);
    traffic(h.client.security as SecurityContext, h.final.security, 4, false);
  });

  it('neither sign nor seal: no mechListMIC either way', async () => {
    const h = await handshake(createSpnegoClient(alice({ seal: false })), createSpnegoServer(serverOpts));
    expect(resp(h.sent[1] as Buffer).mechListMIC).toBeNull();
    expect(resp(h.final.token).mechListMIC).toBeNull();
  });

  it('a wrong password is OC_AUTH_LOGON_FAILURE on the server', async () => {
    await expect(handshake(createSpnegoClient(alice({ password: 'nope' })), createSpnegoServer(serverOpts))).rejects.toMatchObject({
      code: 'OC_AUTH_LOGON_FAILURE',
    });
  });

  it('a server that ignores the optimistic token gets the same NEGOTIATE again', async () => {
    // The server sees our NegTokenInit without its mechToken, so it names NTLM and asks for the first token.
    const h = await handshake(createSpnegoClient(alice()), createSpnegoServer(serverOpts), (i, t) =>
      i === 0 ? encodeNegTokenInit({ mechTypes: [OID_NTLMSSP] }) : t);
    expect(h.sent).toHaveLength(3);
    expect(decodeNegotiate(resp(h.sent[1] as Buffer).responseToken as Buffer).NegotiateFlags & C.NTLMSSP_NEGOTIATE_SEAL).not.toBe(0);
    traffic(h.client.security as SecurityContext, h.final.security, 2, true);
  });

  it('a corrupted server mechListMIC is OC_AUTH_MIC_MISMATCH; a missing one too', async () => {
    for (const change of ['corrupt', 'drop'] as const) {
      const client = createSpnegoClient(alice());
      const srv = createSpnegoServer(serverOpts);
      const r1 = await srv.accept((await client.step(null)).token as Buffer);
      const r2 = await srv.accept((await client.step(r1.token)).token as Buffer);
      const t = resp(r2.token);
      const mic = Buffer.from(t.mechListMIC as Buffer);
      mic[4] = (mic[4] as number) ^ 1;
      const bad = encodeNegTokenResp({ ...t, mechListMIC: change === 'corrupt' ? mic : null });
      await expect(client.step(bad)).rejects.toMatchObject({ code: 'OC_AUTH_MIC_MISMATCH' });
      expect(client.security).toBeNull();
      await expect(client.step(r2.token)).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    }
  });

  it('server reject, another mechanism, or a NegTokenInit reply are refused', async () => {
    const cases: [Buffer, string][] = [
      [encodeNegTokenResp({ negState: NegState.reject }), 'OC_AUTH_UNSUPPORTED'],
      [encodeNegTokenResp({ negState: 1, supportedMech: '1.2.840.113554.1.2.2', responseToken: Buffer.alloc(8) }), 'OC_AUTH_UNSUPPORTED'],
      [encodeNegTokenInit({ mechTypes: [OID_NTLMSSP] }), 'OC_AUTH_STATE'],
      [encodeNegTokenResp({ negState: 0 }), 'OC_AUTH_MALFORMED'],
    ];
    for (const [token, code] of cases) {
      const client = createSpnegoClient(alice());
      await client.step(null);
      await expect(client.step(token), code).rejects.toMatchObject({ code });
    }
    const client = createSpnegoClient(alice());
    const srv = createSpnegoServer(serverOpts);
    const r1 = await srv.accept((await client.step(null)).token as Buffer);
    await client.step(r1.token);
    await expect(client.step(encodeNegTokenResp({ negState: NegState.reject }))).rejects.toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
  });

  it('late mechListMIC (server asks after its own): answered, RC4 re-keyed; no NTLM MIC without a server timestamp', async () => {
    // A CHALLENGE without MsvAvTimestamp: no NTLM MIC, so the client sends no mechListMIC with its AUTHENTICATE.
    const pairs: AvPair[] = [
      { AvId: C.MsvAvNbDomainName, Value: Buffer.from('TEST', 'utf16le') },
      { AvId: C.MsvAvNbComputerName, Value: Buffer.from('EXCH01', 'utf16le') },
    ];
    const flags = 0xe2898235; // Windows-like: 56, KEY_EXCH, 128, VERSION, TARGET_INFO, ESS, TARGET_TYPE_DOMAIN, ALWAYS_SIGN, NTLM, SEAL, SIGN, REQUEST_TARGET, UNICODE
    const challenge = encodeChallenge({
      NegotiateFlags: flags, TargetName: Buffer.from('TEST', 'utf16le'), ServerChallenge: Buffer.from('0123456789abcdef', 'hex'),
      TargetInfo: encodeAvPairs(pairs), Version: null,
    });
    const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const rand = [Buffer.alloc(8, 7), key];
    const client = new SpnegoClient(alice({ randomBytes: () => rand.shift() as Buffer, now: () => Date.UTC(2024, 0, 1) }));
    await client.step(null);
    const r2 = await client.step(encodeNegTokenResp({ negState: 1, supportedMech: OID_NTLMSSP, responseToken: challenge }));
    const t2 = resp(r2.token);
    expect(r2.done).toBe(false);
    expect(t2.mechListMIC).toBeNull();
    const auth = decodeAuthenticate(t2.responseToken as Buffer);
    expect(auth.LmChallengeResponse).toHaveLength(24);
    expect(auth.LmChallengeResponse.equals(Buffer.alloc(24))).toBe(false); // LMv2
    expect(findAvPair(decodeNtlmv2ClientChallenge(auth.NtChallengeResponse.subarray(16)).AvPairs, C.MsvAvFlags)).toBeNull();
    // the "server" side, from the injected session key
    const server = new NtlmSession(key, auth.NegotiateFlags, 'Server');
    const mechTypes = encodeMechTypeList([OID_NTLMSSP]);
    const r3 = await client.step(encodeNegTokenResp({ negState: 1, mechListMIC: server.sign(mechTypes) }));
    expect(r3.done).toBe(true);
    server.verify(mechTypes, resp(r3.token).mechListMIC as Buffer);
    server.resetRc4();
    expect(client.security).not.toBeNull();
    const r4 = await client.step(encodeNegTokenResp({ negState: 0 }));
    expect(r4).toEqual({ token: null, done: true });
    traffic(client.security as SecurityContext, server, 3, true);
    await expect(client.step(encodeNegTokenResp({ negState: 0 }))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
  });
});

describe('what the NTLM client refuses', () => {
  async function challengeFrom(o: Partial<NtlmClientOptions>, edit: (flags: number, pairs: AvPair[]) => [number, AvPair[]]): Promise<Buffer> {
    const srv = createNtlmServer(serverOpts);
    const ch = decodeChallenge((await srv.accept((await createNtlmClient(alice(o)).step(null)).token as Buffer)).token as Buffer);
    const [flags, pairs] = edit(ch.NegotiateFlags, decodeAvPairs(ch.TargetInfo));
    return encodeChallenge({ ...ch, NegotiateFlags: flags >>> 0, TargetInfo: encodeAvPairs(pairs) });
  }

  it('CHALLENGEs that drop what was required', async () => {
    const cases: [Partial<NtlmClientOptions>, (f: number, p: AvPair[]) => [number, AvPair[]], string][] = [
      [{}, (f, p) => [f & ~C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, p], 'OC_AUTH_UNSUPPORTED'],
      [{}, (f, p) => [f & ~C.NTLMSSP_NEGOTIATE_SEAL, p], 'OC_AUTH_UNSUPPORTED'],
      [{ seal: false, sign: true }, (f, p) => [f & ~C.NTLMSSP_NEGOTIATE_SIGN, p], 'OC_AUTH_UNSUPPORTED'],
      [{}, (f, p) => [f & ~C.NTLMSSP_NEGOTIATE_128, p], 'OC_AUTH_UNSUPPORTED'],
      [{}, (f, p) => [(f & ~C.NTLMSSP_NEGOTIATE_UNICODE) | C.NTLM_NEGOTIATE_OEM, p], 'OC_AUTH_UNSUPPORTED'],
      [{}, (f, p) => [f, p.filter((x) => x.AvId !== C.MsvAvNbComputerName)], 'OC_AUTH_UNSUPPORTED'],
      [{}, (f, p) => [f, p.map((x) => (x.AvId === C.MsvAvTimestamp ? { AvId: x.AvId, Value: Buffer.alloc(7) } : x))], 'OC_AUTH_MALFORMED'],
    ];
    for (const [o, edit, code] of cases) {
      const client = createNtlmClient(alice(o));
      await client.step(null);
      await expect(client.step(await challengeFrom(o, edit))).rejects.toMatchObject({ code });
      expect(client.security).toBeNull();
    }
  });

  it('without sign or seal, 128-bit and the NetBIOS names are not required; KEY_EXCH is optional', async () => {
    const o = { seal: false };
    const ch = await challengeFrom(o, (f, p) => [f & ~(C.NTLMSSP_NEGOTIATE_128 | C.NTLMSSP_NEGOTIATE_KEY_EXCH), p.filter((x) => x.AvId !== C.MsvAvNbComputerName)]);
    const client = createNtlmClient(alice(o));
    await client.step(null);
    const r = await client.step(ch);
    expect(r.done).toBe(true);
    const auth = decodeAuthenticate(r.token as Buffer);
    expect(auth.EncryptedRandomSessionKey).toHaveLength(0);
    expect(auth.NegotiateFlags & C.NTLMSSP_NEGOTIATE_KEY_EXCH).toBe(0);
  });

  it('bad options and steps out of order are AuthErrors', async () => {
    expect(() => createNtlmClient({ username: 'alice', domain: 'TEST' })).toThrow(expect.objectContaining({ code: 'OC_AUTH_UNSUPPORTED' }));
    expect(() => createNtlmClient({ username: '', password: 'x', domain: 'TEST' })).toThrow(expect.objectContaining({ code: 'OC_AUTH_UNSUPPORTED' }));
    expect(() => createNtlmClient({ username: 'a', ntHash: Buffer.alloc(15), domain: 'TEST' })).toThrow(expect.objectContaining({ code: 'OC_AUTH_UNSUPPORTED' }));
    const a = new NtlmClient(alice());
    await expect(a.step(Buffer.alloc(60))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    const b = new NtlmClient(alice());
    await b.step(null);
    await expect(b.step(null)).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    expect(b.stateKind).toBe('failed');
    const done = new NtlmClient(alice());
    const srv = createNtlmServer(serverOpts);
    const ch = await srv.accept((await done.step(null)).token as Buffer);
    await done.step(ch.token);
    await expect(done.step(ch.token)).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    expect(done.security).not.toBeNull(); // a finished context survives a stray token
    const s = createSpnegoClient(alice());
    await expect(s.step(Buffer.alloc(4))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    const s2 = createSpnegoClient(alice());
    await s2.step(null);
    await expect(s2.step(null)).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
  });
});

describe('fast-check: server tokens into step() give a value or an AuthError', () => {
  it('NTLM: arbitrary bytes and mutated CHALLENGEs', async () => {
    const srv = createNtlmServer(serverOpts);
    const challenge = (await srv.accept((await createNtlmClient(alice()).step(null)).token as Buffer)).token as Buffer;
    const anyBytes = fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u));
    const typed = fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.concat([challenge.subarray(0, 12), Buffer.from(u)]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes, typed, mutated(challenge)), fc.boolean(), async (b, seal) => {
        const client = createNtlmClient(alice({ seal, sign: !seal }));
        await client.step(null);
        await valueOrAuthErrorAsync(async () => {
          const r = await client.step(b);
          expect(r.done).toBe(true);
          expect(client.security).not.toBeNull();
        });
      }),
      RUNS,
    );
  });

  it('NTLM: mutated AV_PAIR lists inside an otherwise valid CHALLENGE', async () => {
    const srv = createNtlmServer(serverOpts);
    const ch = decodeChallenge((await srv.accept((await createNtlmClient(alice()).step(null)).token as Buffer)).token as Buffer);
    await fc.assert(
      fc.asyncProperty(mutated(ch.TargetInfo), fc.integer({ min: 0, max: 0xffffffff }), async (ti, flags) => {
        const client = createNtlmClient(alice());
        await client.step(null);
        const msg = encodeChallenge({ ...ch, NegotiateFlags: flags >>> 0, TargetInfo: ti });
        await valueOrAuthErrorAsync(() => client.step(msg));
      }),
      RUNS,
    );
  });

  it('SPNEGO: arbitrary and mutated first replies (also with a mutated CHALLENGE inside), and final replies', async () => {
    const srv = createSpnegoServer(serverOpts);
    const c0 = createSpnegoClient(alice());
    const r1 = await srv.accept((await c0.step(null)).token as Buffer);
    const r2 = await srv.accept((await c0.step(r1.token)).token as Buffer);
    const challenge = resp(r1.token).responseToken as Buffer;
    const wrapped = mutated(challenge).map((c) => encodeNegTokenResp({ negState: 1, supportedMech: OID_NTLMSSP, responseToken: c }));
    const anyBytes = fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u));
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes, mutated(r1.token as Buffer), wrapped), async (b) => {
        const client = createSpnegoClient(alice());
        await client.step(null);
        await valueOrAuthErrorAsync(() => client.step(b));
      }),
      RUNS,
    );
    // final replies: the client state must match the server's, so replay the same randomness each run
    const fixed = () => ({ randomBytes: (n: number) => Buffer.alloc(n, 0x33), now: () => 1_700_000_000_000 });
    const srvF = createSpnegoServer({ ...serverOpts, ...fixed() });
    const cF = createSpnegoClient(alice(fixed()));
    const f1 = await srvF.accept((await cF.step(null)).token as Buffer);
    const f2 = await srvF.accept((await cF.step(f1.token)).token as Buffer);
    expect(f2.done).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes, mutated(f2.token as Buffer), mutated(r2.token as Buffer)), async (b) => {
        const client = createSpnegoClient(alice(fixed()));
        await client.step(null);
        await client.step(f1.token);
        await valueOrAuthErrorAsync(() => client.step(b));
      }),
      RUNS,
    );
  });
});
