// A small NTLM client built from our own primitives, for edge cases the independent clients (impacket, Samba)
// cannot produce on demand: tampered MICs, odd flags, v1, OEM, empty domains. The real judges are the Python
// helpers next to this folder.

import { randomBytes } from 'node:crypto';
import * as C from '../../../src/auth/ntlm/constants.js';
import {
  computeMic,
  kxkeyEss,
  lmv2Response,
  ntlmv1EssResponse,
  ntlmv2Proof,
  ntlmv2Temp,
  ntowfv2,
  rc4k,
  sessionBaseKeyV1,
} from '../../../src/auth/ntlm/crypto.js';
import {
  decodeAvPairs,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  type AvPair,
} from '../../../src/auth/ntlm/messages.js';
import { NtlmSession } from '../../../src/auth/ntlm/session.js';
import { ntHash } from '../../../src/auth/md4.js';

export const CLIENT_FLAGS =
  C.NTLMSSP_NEGOTIATE_UNICODE | C.NTLMSSP_REQUEST_TARGET | C.NTLMSSP_NEGOTIATE_SIGN | C.NTLMSSP_NEGOTIATE_SEAL |
  C.NTLMSSP_NEGOTIATE_NTLM | C.NTLMSSP_NEGOTIATE_ALWAYS_SIGN | C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
  C.NTLMSSP_NEGOTIATE_TARGET_INFO | C.NTLMSSP_NEGOTIATE_VERSION | C.NTLMSSP_NEGOTIATE_128 |
  C.NTLMSSP_NEGOTIATE_KEY_EXCH | C.NTLMSSP_NEGOTIATE_56;

export function makeNegotiate(flags = CLIENT_FLAGS): Buffer {
  return encodeNegotiate({
    NegotiateFlags: flags >>> 0,
    DomainName: Buffer.alloc(0),
    WorkstationName: Buffer.alloc(0),
    Version: flags & C.NTLMSSP_NEGOTIATE_VERSION
      ? { ProductMajorVersion: 10, ProductMinorVersion: 0, ProductBuild: 19041, NTLMRevisionCurrent: 15 }
      : null,
  });
}

export interface AuthOptions {
  negotiate: Buffer;
  challenge: Buffer;
  user: string;
  password: string;
  domain: string;
  workstation?: string;
  /** NTLMv1 with ESS instead of NTLMv2. */
  v1?: boolean;
  /** Add MsvAvFlags 0x2 and a MIC (v2 only). */
  mic?: boolean;
  /** Corrupt the MIC after computing it. */
  badMic?: boolean;
  /** Flags for the AUTHENTICATE (default: the CHALLENGE's). */
  flags?: number;
  /** Domain used inside NTOWFv2 (default: `domain`), for the empty-UserDom quirk. */
  ntowfDomain?: string;
  /** NTLMv2 blob time (FILETIME); default: the CHALLENGE's MsvAvTimestamp or zero. */
  time?: bigint;
  oem?: boolean;
}

export interface AuthResult {
  token: Buffer;
  session: NtlmSession;
  exportedSessionKey: Buffer;
  flags: number;
}

export function makeAuthenticate(o: AuthOptions): AuthResult {
  const ch = decodeChallenge(o.challenge);
  const flags = (o.flags ?? ch.NegotiateFlags) >>> 0;
  const enc = (s: string) => Buffer.from(s, o.oem ? 'latin1' : 'utf16le');
  const hash = ntHash(o.password);
  const cc = randomBytes(8);
  let nt: Buffer;
  let lm: Buffer;
  let kx: Buffer;
  let withMic = false;
  if (o.v1) {
    lm = Buffer.concat([cc, Buffer.alloc(16)]);
    nt = ntlmv1EssResponse(hash, ch.ServerChallenge, cc);
    kx = kxkeyEss(sessionBaseKeyV1(hash), ch.ServerChallenge, lm);
  } else {
    const pairs: AvPair[] = decodeAvPairs(ch.TargetInfo);
    const tsPair = pairs.find((p) => p.AvId === C.MsvAvTimestamp);
    const time = Buffer.alloc(8);
    if (o.time !== undefined) time.writeBigUInt64LE(o.time, 0);
    else if (tsPair) tsPair.Value.copy(time);
    if (o.mic) {
      const f = Buffer.alloc(4);
      f.writeUInt32LE(C.MSV_AV_FLAG_MIC_PRESENT, 0);
      pairs.push({ AvId: C.MsvAvFlags, Value: f });
      withMic = true;
    }
    const key = ntowfv2(hash, o.user, o.ntowfDomain ?? o.domain);
    const temp = ntlmv2Temp(time, cc, encodeAvPairs(pairs));
    const { ntProofStr, sessionBaseKey } = ntlmv2Proof(key, ch.ServerChallenge, temp);
    nt = Buffer.concat([ntProofStr, temp]);
    lm = tsPair ? Buffer.alloc(24) : lmv2Response(key, ch.ServerChallenge, cc);
    kx = sessionBaseKey;
  }
  let exported: Buffer = kx;
  let encKey: Buffer = Buffer.alloc(0);
  if (flags & C.NTLMSSP_NEGOTIATE_KEY_EXCH) {
    exported = randomBytes(16);
    encKey = rc4k(kx, exported);
  }
  const msg = {
    NegotiateFlags: flags,
    LmChallengeResponse: lm,
    NtChallengeResponse: nt,
    DomainName: enc(o.domain),
    UserName: enc(o.user),
    Workstation: enc(o.workstation ?? 'WS1'),
    EncryptedRandomSessionKey: encKey,
    Version: { ProductMajorVersion: 10, ProductMinorVersion: 0, ProductBuild: 19041, NTLMRevisionCurrent: 15 },
    MIC: withMic ? Buffer.alloc(16) : null,
  };
  let token = encodeAuthenticate(msg);
  if (withMic) {
    const mic = computeMic(exported, o.negotiate, o.challenge, token);
    if (o.badMic) mic[0] = (mic[0] as number) ^ 1;
    mic.copy(token, C.MIC_OFFSET);
  }
  return { token, session: new NtlmSession(exported, flags, 'Client'), exportedSessionKey: exported, flags };
}

export const IDENTITY = {
  netbiosName: 'EXCH01',
  netbiosDomain: 'TEST',
  dnsHostName: 'exch01.test.example',
  dnsDomainName: 'test.example',
};

export const ACCOUNTS: Record<string, string> = { alice: 'Passw0rd!', bob: 'hunter2' };

/** Case-insensitive lookup over ACCOUNTS, ignoring the domain. */
export async function lookup(username: string): Promise<{ username: string; ntHash: Buffer } | null> {
  const name = Object.keys(ACCOUNTS).find((n) => n.toLowerCase() === username.toLowerCase());
  return name ? { username: name, ntHash: ntHash(ACCOUNTS[name] as string) } : null;
}
