// MS-NLMP 4.2.2-4.2.4: every printed value recomputed from the 4.2.1 inputs through our functions, and the
// spec's AUTHENTICATE_MESSAGEs fed to our server with the spec's ServerChallenge injected.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ntHash } from '../../src/auth/md4.js';
import { Rc4 } from '../../src/auth/rc4.js';
import { createNtlmServer } from '../../src/auth/index.js';
import * as C from '../../src/auth/ntlm/constants.js';
import {
  crc32,
  hmacMd5,
  kxkeyEss,
  kxkeyV1,
  lmowfv1,
  lmv2Response,
  macWithoutEss,
  ntlmv1EssResponse,
  ntlmv1Response,
  ntlmv2Proof,
  ntlmv2Temp,
  ntowfv1,
  ntowfv2,
  rc4k,
  sealkey,
  sessionBaseKeyV1,
  signkey,
} from '../../src/auth/ntlm/crypto.js';
import { desl } from '../../src/auth/des.js';
import {
  decodeAuthenticate,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
} from '../../src/auth/ntlm/messages.js';
import { NtlmSession } from '../../src/auth/ntlm/session.js';
import { makeNegotiate } from './helpers/ntlm-client.js';

const fx = JSON.parse(readFileSync(new URL('../../fixtures/auth/ms-nlmp-4.2.json', import.meta.url), 'utf8'));
type Vec = { id: string; challengeFlags: string; expected: Record<string, string>; gss_wrapex: Record<string, string>; messages: Record<string, string> };
const vec = (id: string): Vec => fx.vectors.find((v: Vec) => v.id === id);
const h = (s: string) => Buffer.from(s, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const I = fx.inputs;
const user = I.User as string;
const domain = I.UserDom as string;
const password = I.Passwd as string;
const random = h(I.RandomSessionKey);
const clientChallenge = h(I.ClientChallenge);
const serverChallenge = h(I.ServerChallenge);
const plaintext = h(I.plaintext_utf16le_Plaintext);
const specVersion = { ProductMajorVersion: 6, ProductMinorVersion: 0, ProductBuild: 6000, NTLMRevisionCurrent: 15 };
const u16 = (s: string) => Buffer.from(s, 'utf16le');

function fixedServer(allowNtlmV1: boolean) {
  return createNtlmServer({
    identity: { netbiosName: 'Server', netbiosDomain: 'Domain', dnsHostName: '', dnsDomainName: '' },
    lookup: async (u) => (u === 'User' ? { username: 'User', ntHash: ntHash(password) } : null),
    policy: { allowNtlmV1, maxClockSkewSeconds: 0 },
    randomBytes: (n) => (n === 8 ? Buffer.from(serverChallenge) : Buffer.alloc(n, 7)),
  });
}

function checkMessages(v: Vec, targetInfo: Buffer) {
  const chal = h(v.messages.CHALLENGE_MESSAGE as string);
  const built = encodeChallenge({
    NegotiateFlags: Number(v.challengeFlags),
    TargetName: u16('Server'),
    ServerChallenge: serverChallenge,
    TargetInfo: targetInfo,
    Version: specVersion,
  });
  expect(hex(built)).toBe(hex(chal));
  const dc = decodeChallenge(chal);
  expect(dc.NegotiateFlags).toBe(Number(v.challengeFlags));
  expect(hex(dc.ServerChallenge)).toBe(I.ServerChallenge);
  expect(dc.TargetName.toString('utf16le')).toBe('Server');
  const auth = h(v.messages.AUTHENTICATE_MESSAGE as string);
  const da = decodeAuthenticate(auth);
  expect(da.UserName.toString('utf16le')).toBe(user);
  expect(da.DomainName.toString('utf16le')).toBe(domain);
  expect(da.Workstation.toString('utf16le')).toBe('COMPUTER');
  expect(da.MIC).toBeNull();
  expect(da.Version).toEqual({ ProductMajorVersion: 5, ProductMinorVersion: 1, ProductBuild: 2600, NTLMRevisionCurrent: 15 });
  expect(hex(encodeAuthenticate(da))).toBe(hex(auth));
  return da;
}

describe('MS-NLMP 4.2.2 NTLM v1 (computed, refused by the server)', () => {
  const v = vec('nlmp-4.2.2-ntlmv1');
  const e = v.expected;
  const flags = Number(v.challengeFlags);
  const nt = ntowfv1(password);
  const lmowf = lmowfv1(password);
  const sbk = sessionBaseKeyV1(nt);
  it('4.2.2.1 LMOWFv1, NTOWFv1, session base key', () => {
    expect(hex(lmowf)).toBe(e.LMOWFv1);
    expect(hex(nt)).toBe(e.NTOWFv1);
    expect(hex(sbk)).toBe(e.SessionBaseKey);
  });
  it('4.2.2.2 responses and encrypted session keys', () => {
    expect(hex(ntlmv1Response(nt, serverChallenge))).toBe(e.NtChallengeResponse);
    expect(hex(desl(lmowf, serverChallenge))).toBe(e.LmChallengeResponse);
    const lmResp = h(e.LmChallengeResponse as string);
    expect(hex(kxkeyV1(flags, sbk, lmResp, lmowf))).toBe(e.SessionBaseKey);
    expect(hex(rc4k(kxkeyV1(flags, sbk, lmResp, lmowf), random))).toBe(e.EncryptedRandomSessionKey);
    const nonNt = kxkeyV1(flags | C.NTLMSSP_REQUEST_NON_NT_SESSION_KEY, sbk, lmResp, lmowf);
    expect(hex(rc4k(nonNt, random))).toBe(e.EncryptedRandomSessionKey_if_REQUEST_NON_NT_SESSION_KEY);
    const lmKey = kxkeyV1(flags | C.NTLMSSP_NEGOTIATE_LM_KEY, sbk, lmResp, lmowf);
    expect(hex(lmKey)).toBe(e.KeyExchangeKey_if_LM_KEY);
    expect(hex(rc4k(lmKey, random))).toBe(e.EncryptedRandomSessionKey_if_LM_KEY);
  });
  it('4.2.2.4 GSS_WrapEx without extended session security', () => {
    const w = v.gss_wrapex;
    const key = sealkey(flags, random, 'Client');
    expect(hex(key)).toBe(I.RandomSessionKey);
    expect(signkey(flags, random, 'Client')).toBeNull();
    const handle = new Rc4(key);
    expect(hex(handle.process(Buffer.from(plaintext)))).toBe(w.sealedData);
    expect(crc32(plaintext).toString(16).padStart(8, '0')).toBe(hex(Buffer.from(h(w.crc32 as string)).reverse()));
    expect(hex(macWithoutEss(handle, 0, plaintext))).toBe(w.signature);
  });
  it('4.2.2.3 messages encode and decode byte for byte', () => {
    const da = checkMessages(v, Buffer.alloc(0));
    expect(hex(da.NtChallengeResponse)).toBe(e.NtChallengeResponse);
    expect(hex(da.LmChallengeResponse)).toBe(e.LmChallengeResponse);
    expect(hex(da.EncryptedRandomSessionKey)).toBe(e.EncryptedRandomSessionKey);
  });
  it('the server refuses the 4.2.2 AUTHENTICATE_MESSAGE (NTLMv1 without ESS)', async () => {
    const srv = fixedServer(true);
    await srv.accept(makeNegotiate());
    await expect(srv.accept(h(v.messages.AUTHENTICATE_MESSAGE as string))).rejects.toMatchObject({
      code: 'OC_AUTH_UNSUPPORTED',
    });
  });
});

describe('MS-NLMP 4.2.3 NTLM v1 with client challenge', () => {
  const v = vec('nlmp-4.2.3-ntlmv1-ess');
  const e = v.expected;
  const w = v.gss_wrapex;
  const flags = Number(v.challengeFlags);
  const nt = ntowfv1(password);
  it('4.2.3.1-2 keys and responses', () => {
    expect(hex(nt)).toBe(e.NTOWFv1);
    const sbk = sessionBaseKeyV1(nt);
    expect(hex(sbk)).toBe(e.SessionBaseKey);
    const lm = Buffer.concat([clientChallenge, Buffer.alloc(16)]);
    expect(hex(lm)).toBe(e.LmChallengeResponse);
    expect(hex(kxkeyEss(sbk, serverChallenge, lm))).toBe(e.KeyExchangeKey);
    expect(hex(ntlmv1EssResponse(nt, serverChallenge, clientChallenge))).toBe(e.NtChallengeResponse);
  });
  it('4.2.3.4 GSS_WrapEx: keys, sealed data, signature', () => {
    const kx = h(e.KeyExchangeKey as string);
    expect(hex(sealkey(flags, kx, 'Client'))).toBe(w.sealKey_client);
    expect(hex(signkey(flags, kx, 'Client') as Buffer)).toBe(w.signKey_client);
    const client = new NtlmSession(kx, flags, 'Client');
    const data = Buffer.from(plaintext);
    const sig = client.seal(data, data);
    expect(hex(data)).toBe(w.sealedData);
    expect(hex(sig)).toBe(w.signature);
    expect(hex(sig.subarray(4, 12))).toBe(w.checksum);
  });
  it('4.2.3.3 messages encode and decode byte for byte', () => {
    checkMessages(v, Buffer.alloc(0));
  });
  it('the server accepts the 4.2.3 AUTHENTICATE_MESSAGE when policy allows NTLMv1 and unseals 4.2.3.4', async () => {
    const srv = fixedServer(true);
    const negFlags = C.NTLMSSP_NEGOTIATE_UNICODE | C.NTLMSSP_REQUEST_TARGET | C.NTLMSSP_NEGOTIATE_SIGN |
      C.NTLMSSP_NEGOTIATE_SEAL | C.NTLMSSP_NEGOTIATE_NTLM | C.NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
      C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | C.NTLMSSP_NEGOTIATE_VERSION | C.NTLMSSP_NEGOTIATE_56;
    const ch = await srv.accept(makeNegotiate(negFlags));
    expect(ch.done).toBe(false);
    expect(hex(decodeChallenge(ch.token as Buffer).ServerChallenge)).toBe(I.ServerChallenge);
    const r = await srv.accept(h(v.messages.AUTHENTICATE_MESSAGE as string));
    if (!r.done) throw new Error('not done');
    expect(r.token).toBeNull();
    expect(r.user).toEqual({ username: 'User', domain: 'Domain', workstation: 'COMPUTER' });
    const data = h(w.sealedData as string);
    r.security.unseal(data, data, h(w.signature as string));
    expect(hex(data)).toBe(I.plaintext_utf16le_Plaintext);
  });
  it('the same message is refused when policy forbids NTLMv1', async () => {
    const srv = fixedServer(false);
    await srv.accept(makeNegotiate());
    await expect(srv.accept(h(v.messages.AUTHENTICATE_MESSAGE as string))).rejects.toMatchObject({
      code: 'OC_AUTH_UNSUPPORTED',
    });
  });
});

describe('MS-NLMP 4.2.4 NTLMv2', () => {
  const v = vec('nlmp-4.2.4-ntlmv2');
  const e = v.expected;
  const w = v.gss_wrapex;
  const flags = Number(v.challengeFlags);
  const serverName = encodeAvPairs([
    { AvId: C.MsvAvNbDomainName, Value: u16('Domain') },
    { AvId: C.MsvAvNbComputerName, Value: u16('Server') },
  ]);
  it('4.2.4.1-2 NTOWFv2, temp, NTProofStr, responses, keys', () => {
    const key = ntowfv2(ntHash(password), user, domain);
    expect(hex(key)).toBe(e.NTOWFv2);
    expect(hex(key)).toBe(e.LMOWFv2);
    const temp = ntlmv2Temp(h(I.Time), clientChallenge, serverName);
    expect(hex(temp)).toBe(e.temp);
    const { ntProofStr, sessionBaseKey } = ntlmv2Proof(key, serverChallenge, temp);
    expect(hex(ntProofStr)).toBe(e.NTProofStr);
    expect(hex(Buffer.concat([ntProofStr, temp]))).toBe(e.NtChallengeResponse);
    expect(hex(sessionBaseKey)).toBe(e.SessionBaseKey);
    expect(hex(sessionBaseKey)).toBe(e.KeyExchangeKey);
    expect(hex(lmv2Response(key, serverChallenge, clientChallenge))).toBe(e.LmChallengeResponse);
    expect(hex(rc4k(sessionBaseKey, random))).toBe(e.EncryptedRandomSessionKey);
    expect(hex(rc4k(sessionBaseKey, h(e.EncryptedRandomSessionKey as string)))).toBe(e.ExportedSessionKey);
  });
  it('4.2.4.4 GSS_WrapEx: keys, checksum before and after RC4, sealed data, signature', () => {
    expect(hex(sealkey(flags, random, 'Client'))).toBe(w.sealKey_client);
    const sk = signkey(flags, random, 'Client') as Buffer;
    expect(hex(sk)).toBe(w.signKey_client);
    expect(hex(hmacMd5(sk, Buffer.alloc(4), plaintext).subarray(0, 8))).toBe(w.checksum_beforeRC4);
    const client = new NtlmSession(random, flags, 'Client');
    const data = Buffer.from(plaintext);
    const sig = client.seal(data, data);
    expect(hex(data)).toBe(w.sealedData);
    expect(hex(sig.subarray(4, 12))).toBe(w.checksum_afterRC4);
    expect(hex(sig)).toBe(w.signature);
  });
  it('4.2.4.3 messages encode and decode byte for byte', () => {
    const da = checkMessages(v, serverName);
    expect(hex(da.NtChallengeResponse)).toBe(e.NtChallengeResponse);
    expect(hex(da.LmChallengeResponse)).toBe(e.LmChallengeResponse);
    expect(hex(da.EncryptedRandomSessionKey)).toBe(e.EncryptedRandomSessionKey);
  });
  it('the server accepts the 4.2.4 AUTHENTICATE_MESSAGE and unseals the 4.2.4.4 output', async () => {
    const srv = fixedServer(false);
    await srv.accept(makeNegotiate());
    const r = await srv.accept(h(v.messages.AUTHENTICATE_MESSAGE as string));
    if (!r.done) throw new Error('not done');
    expect(r.user).toEqual({ username: 'User', domain: 'Domain', workstation: 'COMPUTER' });
    expect(r.security.flags).toBe(0xe2888235);
    const data = h(w.sealedData as string);
    r.security.unseal(data, data, h(w.signature as string));
    expect(hex(data)).toBe(I.plaintext_utf16le_Plaintext);
  });
  it('the server refuses the 4.2.4 message under a clock-skew policy (its Time is 1601)', async () => {
    const srv = createNtlmServer({
      identity: { netbiosName: 'Server', netbiosDomain: 'Domain', dnsHostName: '', dnsDomainName: '' },
      lookup: async () => ({ username: 'User', ntHash: ntHash(password) }),
      policy: { allowNtlmV1: false, maxClockSkewSeconds: 300 },
      randomBytes: (n) => Buffer.from(serverChallenge.subarray(0, n)),
    });
    await srv.accept(makeNegotiate());
    await expect(srv.accept(h(v.messages.AUTHENTICATE_MESSAGE as string))).rejects.toMatchObject({
      code: 'OC_AUTH_CLOCK_SKEW',
    });
  });
  it('a wrong password against the 4.2.4 message is a logon failure', async () => {
    const srv = createNtlmServer({
      identity: { netbiosName: 'Server', netbiosDomain: 'Domain', dnsHostName: '', dnsDomainName: '' },
      lookup: async () => ({ username: 'User', ntHash: ntHash('password') }),
      policy: { allowNtlmV1: false, maxClockSkewSeconds: 0 },
      randomBytes: (n) => Buffer.from(serverChallenge.subarray(0, n)),
    });
    await srv.accept(makeNegotiate());
    await expect(srv.accept(h(v.messages.AUTHENTICATE_MESSAGE as string))).rejects.toMatchObject({
      code: 'OC_AUTH_LOGON_FAILURE',
    });
  });
});
