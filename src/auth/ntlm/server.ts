// MS-NLMP 3.2.5.1 connection-oriented NTLM server: NEGOTIATE in, CHALLENGE out, AUTHENTICATE in, security
// context out. The state is an explicit value; any error moves it to 'failed' for good.

import { randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../util/log.js';
import { AuthError, need } from '../errors.js';
import {
  MSV_AV_FLAG_MIC_PRESENT,
  MIC_OFFSET,
  MIC_SIZE,
  MsvAvDnsComputerName,
  MsvAvDnsDomainName,
  MsvAvDnsTreeName,
  MsvAvFlags,
  MsvAvNbComputerName,
  MsvAvNbDomainName,
  MsvAvTimestamp,
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN,
  NTLMSSP_NEGOTIATE_ANONYMOUS,
  NTLMSSP_NEGOTIATE_DATAGRAM,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_IDENTIFY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_LM_KEY,
  NTLMSSP_NEGOTIATE_NTLM,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_NEGOTIATE_TARGET_INFO,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLMSSP_NEGOTIATE_VERSION,
  NTLMSSP_REQUEST_NON_NT_SESSION_KEY,
  NTLMSSP_REQUEST_TARGET,
  NTLMSSP_REVISION_W2K3,
  NTLMSSP_TARGET_TYPE_DOMAIN,
  NTLM_NEGOTIATE_OEM,
} from './constants.js';
import {
  computeMic,
  kxkeyEss,
  ntlmv1EssResponse,
  ntlmv2Proof,
  ntowfv2,
  rc4k,
  sessionBaseKeyV1,
} from './crypto.js';
import {
  decodeAuthenticate,
  decodeNegotiate,
  decodeNtlmv2ClientChallenge,
  encodeAvPairs,
  encodeChallenge,
  findAvPair,
  type AvPair,
  type NtlmVersion,
} from './messages.js';
import { NtlmSession } from './session.js';

export interface ServerIdentity {
  netbiosName: string;
  netbiosDomain: string;
  dnsHostName: string;
  dnsDomainName: string;
}

export interface NtlmAccount {
  /** Canonical spelling, as the directory stores it. */
  username: string;
  ntHash: Buffer;
}

/** Finds an account by the user and domain names the client sent; null when there is none. */
export type AccountLookup = (username: string, domain: string) => Promise<NtlmAccount | null>;

export interface NtlmPolicy {
  /** Accept NTLMv1 responses; only ever with extended session security. */
  allowNtlmV1: boolean;
  /** Largest accepted difference between the NTLMv2 blob timestamp and our clock; 0 = no check. */
  maxClockSkewSeconds: number;
}

export interface AuthenticatedUser {
  username: string;
  domain: string;
  workstation: string;
}

export interface NtlmServerOptions {
  identity: ServerIdentity;
  lookup: AccountLookup;
  policy: NtlmPolicy;
  log?: Logger;
  /** Randomness for the server challenge (tests inject a fixed one). */
  randomBytes?: (size: number) => Buffer;
  /** Clock in milliseconds since 1970 for MsvAvTimestamp and the skew check (tests inject one). */
  now?: () => number;
  /** VERSION sent in the CHALLENGE when the client asks for it. */
  version?: NtlmVersion;
  /** Largest token accepted (bytes). */
  maxTokenSize?: number;
}

export const DEFAULT_VERSION: NtlmVersion = {
  ProductMajorVersion: 10,
  ProductMinorVersion: 0,
  ProductBuild: 17763,
  NTLMRevisionCurrent: NTLMSSP_REVISION_W2K3,
};
export const DEFAULT_MAX_TOKEN_SIZE = 65536;

/** Flags we may echo from the client's NEGOTIATE (MS-NLMP 3.2.5.1.1: only what we support). */
const ECHOED = NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NTLMSSP_NEGOTIATE_VERSION | NTLMSSP_NEGOTIATE_KEY_EXCH;
/**
 * Flags that select a protocol variant; the AUTHENTICATE may not add any we did not offer. 128/56 are left out:
 * they only cut the sealing key, both sides derive it from the AUTHENTICATE's flags, and impacket keeps 56 in
 * its AUTHENTICATE although a CHALLENGE without SIGN/SEAL does not echo it (MS-NLMP 2.2.2.5 W).
 */
const SECURITY_BITS = NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_LM_KEY | NTLMSSP_NEGOTIATE_DATAGRAM | NTLMSSP_NEGOTIATE_IDENTIFY |
  NTLMSSP_REQUEST_NON_NT_SESSION_KEY;

/** 100 ns ticks between 1601-01-01 and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116444736000000000n;
export function toFiletime(ms: number): bigint {
  return FILETIME_UNIX_EPOCH + BigInt(Math.floor(ms)) * 10000n;
}

type State =
  | { kind: 'initial' }
  | {
      kind: 'challenged';
      negotiate: Buffer;
      challenge: Buffer;
      serverChallenge: Buffer;
      flags: number;
    }
  | { kind: 'verifying' }
  | { kind: 'done' }
  | { kind: 'failed' };

/** What the NTLM state machine yields; SPNEGO needs micPresent and the concrete session. */
export type NtlmResult =
  | { kind: 'challenge'; token: Buffer }
  | { kind: 'authenticated'; user: AuthenticatedUser; session: NtlmSession; micPresent: boolean; ntlmV2: boolean };

const LOGON_FAILURE = 'logon failure: unknown user name or bad password';

export class NtlmServer {
  private state: State = { kind: 'initial' };
  private readonly rand: (size: number) => Buffer;
  private readonly now: () => number;
  private readonly maxTokenSize: number;

  constructor(private readonly opts: NtlmServerOptions) {
    this.rand = opts.randomBytes ?? cryptoRandomBytes;
    this.now = opts.now ?? Date.now;
    this.maxTokenSize = opts.maxTokenSize ?? DEFAULT_MAX_TOKEN_SIZE;
  }

  get stateKind(): State['kind'] {
    return this.state.kind;
  }

  async step(token: Buffer): Promise<NtlmResult> {
    const st = this.state;
    if (st.kind === 'done' || st.kind === 'failed' || st.kind === 'verifying') {
      throw new AuthError('OC_AUTH_STATE', `NTLM token received in state ${st.kind}`);
    }
    try {
      if (token.length > this.maxTokenSize) {
        throw new AuthError('OC_AUTH_MALFORMED', `NTLM token of ${token.length} bytes exceeds ${this.maxTokenSize}`);
      }
      if (st.kind === 'initial') {
        const r = this.negotiate(token);
        this.state = r.next;
        return { kind: 'challenge', token: r.next.challenge };
      }
      this.state = { kind: 'verifying' };
      const r = await this.authenticate(token, st);
      this.state = { kind: 'done' };
      return r;
    } catch (e) {
      this.state = { kind: 'failed' };
      throw e;
    }
  }

  // MS-NLMP 3.2.5.1.1
  private negotiate(token: Buffer): { next: Extract<State, { kind: 'challenged' }> } {
    const msg = decodeNegotiate(token);
    const cf = msg.NegotiateFlags;
    const unicode = (cf & NTLMSSP_NEGOTIATE_UNICODE) !== 0;
    need(unicode || (cf & NTLM_NEGOTIATE_OEM) !== 0, 'NEGOTIATE asks for neither Unicode nor OEM');
    if (cf & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) && !(cf & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'signing or sealing without extended session security');
    }
    let flags = NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
      NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_TARGET_TYPE_DOMAIN | (cf & ECHOED);
    flags |= unicode ? NTLMSSP_NEGOTIATE_UNICODE : NTLM_NEGOTIATE_OEM;
    if (cf & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)) flags |= cf & (NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56);
    flags >>>= 0;

    const id = this.opts.identity;
    const str = (s: string) => Buffer.from(s, unicode ? 'utf16le' : 'latin1');
    const u16 = (s: string) => Buffer.from(s, 'utf16le');
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64LE(toFiletime(this.now()), 0);
    // Windows order: NbDomainName, NbComputerName, DnsDomainName, DnsComputerName, DnsTreeName, Timestamp.
    const pairs: AvPair[] = [
      { AvId: MsvAvNbDomainName, Value: u16(id.netbiosDomain) },
      { AvId: MsvAvNbComputerName, Value: u16(id.netbiosName) },
    ];
    if (id.dnsDomainName) pairs.push({ AvId: MsvAvDnsDomainName, Value: u16(id.dnsDomainName) });
    if (id.dnsHostName) pairs.push({ AvId: MsvAvDnsComputerName, Value: u16(id.dnsHostName) });
    if (id.dnsDomainName) pairs.push({ AvId: MsvAvDnsTreeName, Value: u16(id.dnsDomainName) });
    pairs.push({ AvId: MsvAvTimestamp, Value: ts });

    const serverChallenge = Buffer.from(this.rand(8).subarray(0, 8));
    need(serverChallenge.length === 8, 'random source returned fewer than 8 bytes');
    const challenge = encodeChallenge({
      NegotiateFlags: flags,
      TargetName: str(id.netbiosDomain),
      ServerChallenge: serverChallenge,
      TargetInfo: encodeAvPairs(pairs),
      Version: flags & NTLMSSP_NEGOTIATE_VERSION ? (this.opts.version ?? DEFAULT_VERSION) : null,
    });
    this.opts.log?.debug({ clientFlags: hex32(cf), flags: hex32(flags) }, 'NTLM NEGOTIATE -> CHALLENGE');
    return { next: { kind: 'challenged', negotiate: Buffer.from(token), challenge, serverChallenge, flags } };
  }

  // MS-NLMP 3.2.5.1.2
  private async authenticate(token: Buffer, st: Extract<State, { kind: 'challenged' }>): Promise<NtlmResult> {
    const msg = decodeAuthenticate(token);
    const af = msg.NegotiateFlags >>> 0;
    const unicode = (st.flags & NTLMSSP_NEGOTIATE_UNICODE) !== 0;
    const text = (b: Buffer, name: string): string => {
      if (!unicode) return b.toString('latin1');
      need(b.length % 2 === 0, `${name} has an odd length in Unicode`);
      return b.toString('utf16le');
    };
    const user = text(msg.UserName, 'UserName');
    const domain = text(msg.DomainName, 'DomainName');
    const workstation = text(msg.Workstation, 'Workstation');
    const nt = msg.NtChallengeResponse;
    const lm = msg.LmChallengeResponse;

    if (af & NTLMSSP_NEGOTIATE_ANONYMOUS || (user === '' && nt.length === 0 && (lm.length === 0 || (lm.length === 1 && lm[0] === 0)))) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'anonymous (null session) logon refused');
    }
    const extra = (af & SECURITY_BITS & ~st.flags) >>> 0;
    if (extra) throw new AuthError('OC_AUTH_UNSUPPORTED', `AUTHENTICATE adds flags not offered: ${hex32(extra)}`);
    const ess = (af & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) !== 0;
    if (af & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) && !ess) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'signing or sealing without extended session security');
    }
    if (nt.length === 0) throw new AuthError('OC_AUTH_UNSUPPORTED', 'LM-only authentication refused');
    need(nt.length >= 24, `NtChallengeResponse of ${nt.length} bytes`);
    const v2 = nt.length > 24;
    if (!v2) {
      if (!ess) throw new AuthError('OC_AUTH_UNSUPPORTED', 'NTLMv1 without extended session security refused');
      if (!this.opts.policy.allowNtlmV1) throw new AuthError('OC_AUTH_UNSUPPORTED', 'NTLMv1 refused by policy');
      need(lm.length === 24, `NTLMv1 LmChallengeResponse of ${lm.length} bytes`);
    }
    need(!v2 || nt.length >= 48, `NTLMv2 response of ${nt.length} bytes`);
    const temp = nt.subarray(16);
    const blob = v2 ? decodeNtlmv2ClientChallenge(temp) : null;
    const keyExch = (af & NTLMSSP_NEGOTIATE_KEY_EXCH) !== 0;
    const encKey = msg.EncryptedRandomSessionKey;
    if (keyExch) {
      need(encKey.length === 16 || !(af & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)), 'KEY_EXCH without a 16-byte EncryptedRandomSessionKey');
    }
    const avFlags = blob ? findAvPair(blob.AvPairs, MsvAvFlags) : null;
    const micPresent = avFlags !== null && avFlags.length >= 4 && (avFlags.readUInt32LE(0) & MSV_AV_FLAG_MIC_PRESENT) !== 0;
    if (micPresent) need(msg.MIC !== null, 'MsvAvFlags announces a MIC but the message has no room for one');

    let account = await this.opts.lookup(user, domain);
    if (account && account.ntHash.length !== 16) {
      this.opts.log?.warn({ user: account.username }, 'directory returned an NT hash that is not 16 bytes');
      account = null;
    }
    // An unknown user is checked against a random hash so both failures take the same path and time.
    const hash = account?.ntHash ?? cryptoRandomBytes(16);
    let kxkey: Buffer | null = null;
    if (v2) {
      const proof = nt.subarray(0, 16);
      // MS-NLMP 3.2.5.1.2: servers SHOULD also accept clients that used an empty UserDom.
      for (const dom of domain === '' ? [domain] : [domain, '']) {
        const r = ntlmv2Proof(ntowfv2(hash, user, dom), st.serverChallenge, temp);
        if (timingSafeEqual(r.ntProofStr, proof)) {
          kxkey = r.sessionBaseKey;
          break;
        }
      }
    } else {
      const expected = ntlmv1EssResponse(hash, st.serverChallenge, lm.subarray(0, 8));
      if (timingSafeEqual(expected, nt)) kxkey = kxkeyEss(sessionBaseKeyV1(hash), st.serverChallenge, lm);
    }
    if (!account || !kxkey) {
      this.opts.log?.debug({ user, domain, workstation, known: account !== null }, 'NTLM logon failure');
      throw new AuthError('OC_AUTH_LOGON_FAILURE', LOGON_FAILURE);
    }

    // Like Samba and Windows clients: with KEY_EXCH a 16-byte key is always unwrapped (MS-NLMP asks for it with
    // SIGN or SEAL; a client that sends one without them computed its MIC and keys from the unwrapped key).
    const exported = keyExch && encKey.length === 16 ? rc4k(kxkey, encKey) : kxkey;
    if (micPresent) {
      const zeroed = Buffer.from(token);
      zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + MIC_SIZE);
      const mic = computeMic(exported, st.negotiate, st.challenge, zeroed);
      if (!timingSafeEqual(mic, msg.MIC as Buffer)) {
        throw new AuthError('OC_AUTH_MIC_MISMATCH', 'AUTHENTICATE_MESSAGE MIC does not verify');
      }
    }
    const skew = this.opts.policy.maxClockSkewSeconds;
    if (blob && skew > 0) {
      const diff = blob.TimeStamp - toFiletime(this.now());
      const abs = diff < 0n ? -diff : diff;
      if (abs > BigInt(Math.floor(skew)) * 10_000_000n) {
        throw new AuthError('OC_AUTH_CLOCK_SKEW', 'NTLMv2 timestamp outside the allowed clock skew', {
          skewSeconds: Number(abs / 10_000_000n),
        });
      }
    }
    const session = new NtlmSession(exported, af, 'Server');
    const result: AuthenticatedUser = { username: account.username, domain, workstation };
    this.opts.log?.debug({ ...result, v2, mic: micPresent, flags: hex32(af) }, 'NTLM authenticated');
    return { kind: 'authenticated', user: result, session, micPresent, ntlmV2: v2 };
  }
}

function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
