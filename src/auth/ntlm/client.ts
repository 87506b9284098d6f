// MS-NLMP 3.1.5.1 connection-oriented NTLM client: NEGOTIATE out, CHALLENGE in, AUTHENTICATE out, security
// context out. NTLMv2 only, with extended session security; the MIC (MsvAvFlags 0x2) is added whenever the
// server's TargetInfo carries an MsvAvTimestamp (3.1.5.1.2). The state is an explicit value; any error moves it
// to 'failed' for good. Used by our own DCE/RPC client (benchmarks, tests) and later by RPC over HTTP tests.

import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { ntHash } from '../md4.js';
import { AuthError, need } from '../errors.js';
import type { ClientAuthenticator } from '../types.js';
import {
  MIC_OFFSET,
  MSV_AV_FLAG_MIC_PRESENT,
  MsvAvFlags,
  MsvAvNbComputerName,
  MsvAvNbDomainName,
  MsvAvTimestamp,
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_NTLM,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLMSSP_NEGOTIATE_VERSION,
  NTLMSSP_REQUEST_TARGET,
  NTLMSSP_REVISION_W2K3,
} from './constants.js';
import { computeMic, lmv2Response, ntlmv2Proof, ntlmv2Temp, ntowfv2, rc4k } from './crypto.js';
import {
  decodeAvPairs,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  findAvPair,
  type AvPair,
  type NtlmVersion,
} from './messages.js';
import { DEFAULT_MAX_TOKEN_SIZE, toFiletime } from './server.js';
import { NtlmSession } from './session.js';

export interface NtlmClientOptions {
  username: string;
  /** Either the password or its NT hash (MD4 of the UTF-16LE password); ntHash wins when both are given. */
  password?: string;
  ntHash?: Buffer;
  /** UserDom as used in NTOWFv2 and sent in the AUTHENTICATE_MESSAGE, spelled as given. */
  domain: string;
  workstation?: string;
  /** Request NTLMSSP_NEGOTIATE_SIGN (and require the server to grant it, with 128-bit keys). */
  sign?: boolean;
  /** Request NTLMSSP_NEGOTIATE_SEAL and _SIGN (and require the server to grant them, with 128-bit keys). */
  seal?: boolean;
  /**
   * Randomness (tests inject a fixed one). Called twice per exchange, in this order: 8 bytes for the NTLMv2
   * client challenge, then 16 bytes for the exported session key (only when KEY_EXCH was negotiated).
   */
  randomBytes?: (n: number) => Buffer;
  /** Clock in milliseconds since 1970, for the NTLMv2 blob time when the server sent no MsvAvTimestamp. */
  now?: () => number;
}

/** VERSION we send (Windows 10 2004; NTLMSSP_REVISION_W2K3). */
export const CLIENT_VERSION: NtlmVersion = {
  ProductMajorVersion: 10,
  ProductMinorVersion: 0,
  ProductBuild: 19041,
  NTLMRevisionCurrent: NTLMSSP_REVISION_W2K3,
};

/** Flags every NEGOTIATE_MESSAGE of ours carries; SIGN and SEAL are added on request. */
const ALWAYS = NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_NTLM |
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_VERSION |
  NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_56;

/** What the CHALLENGE leg yields; SPNEGO needs micPresent and the concrete session. */
export interface NtlmClientResult {
  /** The AUTHENTICATE_MESSAGE. */
  token: Buffer;
  session: NtlmSession;
  /** The AUTHENTICATE carries a MIC (MsvAvFlags 0x2): the server sent an MsvAvTimestamp. */
  micPresent: boolean;
  /** NegotiateFlags of the AUTHENTICATE_MESSAGE, from which both sides derive their keys. */
  flags: number;
}

type State =
  | { kind: 'initial' }
  | { kind: 'negotiated'; negotiate: Buffer }
  | { kind: 'done'; session: NtlmSession }
  | { kind: 'failed' };

function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

export class NtlmClient implements ClientAuthenticator {
  private state: State = { kind: 'initial' };
  private readonly rand: (n: number) => Buffer;
  private readonly now: () => number;
  private readonly hash: Buffer;
  /** Flags of our NEGOTIATE_MESSAGE. */
  readonly requestedFlags: number;
  /** Flags the CHALLENGE must grant. */
  private readonly required: number;

  constructor(private readonly opts: NtlmClientOptions) {
    if (!opts.username) throw new AuthError('OC_AUTH_UNSUPPORTED', 'NTLM client: anonymous logon is not supported');
    if (opts.ntHash !== undefined) {
      if (opts.ntHash.length !== 16) throw new AuthError('OC_AUTH_UNSUPPORTED', 'NTLM client: ntHash must be 16 bytes');
      this.hash = Buffer.from(opts.ntHash);
    } else if (opts.password !== undefined) {
      this.hash = ntHash(opts.password);
    } else {
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'NTLM client: a password or an ntHash is required');
    }
    this.rand = opts.randomBytes ?? cryptoRandomBytes;
    this.now = opts.now ?? Date.now;
    let flags = ALWAYS;
    if (opts.sign) flags |= NTLMSSP_NEGOTIATE_SIGN;
    if (opts.seal) flags |= NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL;
    this.requestedFlags = flags >>> 0;
    let required = NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;
    // Like Windows' ClientRequire128bitEncryption (MS-NLMP 3.1.1.1) and Samba's required_flags: what was asked
    // for protection must be granted, with 128-bit keys.
    if (opts.sign || opts.seal) required |= (flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)) | NTLMSSP_NEGOTIATE_128;
    this.required = required >>> 0;
  }

  get stateKind(): State['kind'] {
    return this.state.kind;
  }

  get security(): NtlmSession | null {
    return this.state.kind === 'done' ? this.state.session : null;
  }

  async step(serverToken: Buffer | null): Promise<{ token: Buffer | null; done: boolean }> {
    if (serverToken === null) return { token: this.start(), done: false };
    const r = this.respond(serverToken);
    return { token: r.token, done: true };
  }

  /** MS-NLMP 3.1.5.1.1: the NEGOTIATE_MESSAGE (no domain or workstation supplied, as Windows sends it). */
  start(): Buffer {
    if (this.state.kind !== 'initial') {
      const was = this.state.kind;
      if (was !== 'done') this.state = { kind: 'failed' };
      throw new AuthError('OC_AUTH_STATE', `NTLM client started in state ${was}`);
    }
    const negotiate = encodeNegotiate({
      NegotiateFlags: this.requestedFlags,
      DomainName: Buffer.alloc(0),
      WorkstationName: Buffer.alloc(0),
      Version: CLIENT_VERSION,
    });
    this.state = { kind: 'negotiated', negotiate };
    return negotiate;
  }

  /** MS-NLMP 3.1.5.1.2: CHALLENGE_MESSAGE in, AUTHENTICATE_MESSAGE and the session out. */
  respond(challenge: Buffer): NtlmClientResult {
    const st = this.state;
    if (st.kind !== 'negotiated') {
      // A finished context stays usable; anything else out of order ends the exchange.
      if (st.kind !== 'done') this.state = { kind: 'failed' };
      throw new AuthError('OC_AUTH_STATE', `NTLM CHALLENGE received in state ${st.kind}`);
    }
    try {
      const r = this.authenticate(st.negotiate, challenge);
      this.state = { kind: 'done', session: r.session };
      return r;
    } catch (e) {
      this.state = { kind: 'failed' };
      throw e;
    }
  }

  private authenticate(negotiate: Buffer, challenge: Buffer): NtlmClientResult {
    if (challenge.length > DEFAULT_MAX_TOKEN_SIZE) {
      throw new AuthError('OC_AUTH_MALFORMED', `NTLM token of ${challenge.length} bytes exceeds ${DEFAULT_MAX_TOKEN_SIZE}`);
    }
    const ch = decodeChallenge(challenge);
    const sf = ch.NegotiateFlags >>> 0;
    const missing = (this.required & ~sf) >>> 0;
    if (missing) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', `CHALLENGE does not grant required flags ${hex32(missing)}`, {
        serverFlags: hex32(sf),
      });
    }
    // The AUTHENTICATE carries what both sides support; the keys of both sides derive from these flags.
    const flags = (this.requestedFlags & sf) >>> 0;

    const pairs: AvPair[] = decodeAvPairs(ch.TargetInfo.length > 0 ? ch.TargetInfo : Buffer.alloc(4));
    const integrity = (flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)) !== 0;
    if (integrity && (!findAvPair(pairs, MsvAvNbComputerName) || !findAvPair(pairs, MsvAvNbDomainName))) {
      // MS-NLMP 3.1.5.1.2: without both NetBIOS names and with integrity or confidentiality, logon fails.
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'CHALLENGE TargetInfo lacks MsvAvNbComputerName or MsvAvNbDomainName');
    }
    const serverTime = findAvPair(pairs, MsvAvTimestamp);
    if (serverTime) need(serverTime.length === 8, `MsvAvTimestamp of ${serverTime.length} bytes`);
    const micPresent = serverTime !== null;
    const time = Buffer.alloc(8);
    if (serverTime) serverTime.copy(time);
    else time.writeBigUInt64LE(toFiletime(this.now()), 0);
    if (micPresent) {
      // MS-NLMP 2.2.2.1: MsvAvFlags with bit 0x2 (MIC present), OR-ed into one the server may have sent.
      const i = pairs.findIndex((p) => p.AvId === MsvAvFlags);
      const f = Buffer.alloc(4);
      const old = i >= 0 && (pairs[i] as AvPair).Value.length >= 4 ? (pairs[i] as AvPair).Value.readUInt32LE(0) : 0;
      f.writeUInt32LE((old | MSV_AV_FLAG_MIC_PRESENT) >>> 0, 0);
      if (i >= 0) pairs[i] = { AvId: MsvAvFlags, Value: f };
      else pairs.push({ AvId: MsvAvFlags, Value: f });
    }

    const clientChallenge = Buffer.from(this.rand(8).subarray(0, 8));
    need(clientChallenge.length === 8, 'random source returned fewer than 8 bytes');
    // MS-NLMP 3.3.2 ComputeResponse for NTLMv2.
    const responseKey = ntowfv2(this.hash, this.opts.username, this.opts.domain);
    const temp = ntlmv2Temp(time, clientChallenge, encodeAvPairs(pairs));
    const { ntProofStr, sessionBaseKey } = ntlmv2Proof(responseKey, ch.ServerChallenge, temp);
    const nt = Buffer.concat([ntProofStr, temp]);
    // MS-NLMP 3.1.5.1.2: with an MsvAvTimestamp the LmChallengeResponse is Z(24), else LMv2.
    const lm = micPresent ? Buffer.alloc(24) : lmv2Response(responseKey, ch.ServerChallenge, clientChallenge);

    // MS-NLMP 3.4.5.1 KXKEY for NTLMv2 is the SessionBaseKey; 3.1.5.1.2 key exchange.
    let exported: Buffer = sessionBaseKey;
    let encryptedKey: Buffer = Buffer.alloc(0);
    if (flags & NTLMSSP_NEGOTIATE_KEY_EXCH) {
      exported = Buffer.from(this.rand(16).subarray(0, 16));
      need(exported.length === 16, 'random source returned fewer than 16 bytes');
      encryptedKey = rc4k(sessionBaseKey, exported);
    }

    const u16 = (s: string) => Buffer.from(s, 'utf16le');
    const token = encodeAuthenticate({
      NegotiateFlags: flags,
      LmChallengeResponse: lm,
      NtChallengeResponse: nt,
      DomainName: u16(this.opts.domain),
      UserName: u16(this.opts.username),
      Workstation: u16(this.opts.workstation ?? ''),
      EncryptedRandomSessionKey: encryptedKey,
      Version: flags & NTLMSSP_NEGOTIATE_VERSION ? CLIENT_VERSION : null,
      MIC: micPresent ? Buffer.alloc(16) : null,
    });
    if (micPresent) computeMic(exported, negotiate, challenge, token).copy(token, MIC_OFFSET);
    return { token, session: new NtlmSession(exported, flags, 'Client'), micPresent, flags };
  }
}
