// Codec for the three NTLMSSP messages, AV_PAIR lists, VERSION and the NTLMv2 client challenge (MS-NLMP 2.2).
// Decoders only take subarrays of their input; every payload descriptor is checked against the bytes present.
// Strings stay raw bytes here: the server decodes them with the negotiated character set.

import { AuthError, need } from '../errors.js';
import {
  MsvAvEOL,
  NTLMSSP_NEGOTIATE_VERSION,
  NTLMSSP_SIGNATURE,
  NtLmAuthenticate,
  NtLmChallenge,
  NtLmNegotiate,
} from './constants.js';

// MS-NLMP 2.2.2.10 VERSION
export interface NtlmVersion {
  ProductMajorVersion: number;
  ProductMinorVersion: number;
  ProductBuild: number;
  NTLMRevisionCurrent: number;
}

// MS-NLMP 2.2.1.1 NEGOTIATE_MESSAGE
export interface NegotiateMessage {
  NegotiateFlags: number;
  DomainName: Buffer;
  WorkstationName: Buffer;
  Version: NtlmVersion | null;
}

// MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE
export interface ChallengeMessage {
  NegotiateFlags: number;
  TargetName: Buffer;
  ServerChallenge: Buffer;
  TargetInfo: Buffer;
  Version: NtlmVersion | null;
}

// MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE
export interface AuthenticateMessage {
  NegotiateFlags: number;
  LmChallengeResponse: Buffer;
  NtChallengeResponse: Buffer;
  DomainName: Buffer;
  UserName: Buffer;
  Workstation: Buffer;
  EncryptedRandomSessionKey: Buffer;
  Version: NtlmVersion | null;
  /** Bytes 72..88 when no payload starts before 88 (a MIC may be there); null otherwise. */
  MIC: Buffer | null;
}

// MS-NLMP 2.2.2.1 AV_PAIR
export interface AvPair {
  AvId: number;
  Value: Buffer;
}

// MS-NLMP 2.2.2.7 NTLMv2_CLIENT_CHALLENGE
export interface Ntlmv2ClientChallenge {
  RespType: number;
  HiRespType: number;
  TimeStamp: bigint;
  ChallengeFromClient: Buffer;
  AvPairs: AvPair[];
}

const MAX_AV_PAIRS = 256;

function header(buf: Buffer, type: number, minSize: number, name: string): void {
  need(buf.length >= minSize, `${name} shorter than ${minSize} bytes`);
  need(buf.subarray(0, 8).equals(NTLMSSP_SIGNATURE), `${name} lacks the NTLMSSP signature`);
  const t = buf.readUInt32LE(8);
  need(t === type, `expected NTLMSSP message type ${type}, got ${t}`);
}

/** One (Len u16, MaxLen u16, BufferOffset u32) descriptor; an empty field's offset is ignored, as the spec allows. */
function field(buf: Buffer, at: number, payloadMin: number, name: string): Buffer {
  const len = buf.readUInt16LE(at);
  const off = buf.readUInt32LE(at + 4);
  if (len === 0) return buf.subarray(0, 0);
  need(off >= payloadMin, `${name} points into the fixed header`);
  need(off <= buf.length && len <= buf.length - off, `${name} runs past the end of the message`);
  return buf.subarray(off, off + len);
}

function fieldOffset(buf: Buffer, at: number): number | null {
  return buf.readUInt16LE(at) === 0 ? null : buf.readUInt32LE(at + 4);
}

export function decodeVersion(b: Buffer): NtlmVersion {
  need(b.length >= 8, 'VERSION shorter than 8 bytes');
  return {
    ProductMajorVersion: b.readUInt8(0),
    ProductMinorVersion: b.readUInt8(1),
    ProductBuild: b.readUInt16LE(2),
    NTLMRevisionCurrent: b.readUInt8(7),
  };
}

export function encodeVersion(v: NtlmVersion | null): Buffer {
  const b = Buffer.alloc(8);
  if (v) {
    b.writeUInt8(v.ProductMajorVersion, 0);
    b.writeUInt8(v.ProductMinorVersion, 1);
    b.writeUInt16LE(v.ProductBuild, 2);
    b.writeUInt8(v.NTLMRevisionCurrent, 7);
  }
  return b;
}

export function decodeNegotiate(buf: Buffer): NegotiateMessage {
  header(buf, NtLmNegotiate, 32, 'NEGOTIATE_MESSAGE');
  const flags = buf.readUInt32LE(12);
  let payloadMin = 32;
  let version: NtlmVersion | null = null;
  // impacket and old clients send the 32-byte form without a Version field.
  if (flags & NTLMSSP_NEGOTIATE_VERSION && buf.length >= 40) {
    version = decodeVersion(buf.subarray(32, 40));
    payloadMin = 40;
  }
  return {
    NegotiateFlags: flags,
    DomainName: field(buf, 16, payloadMin, 'DomainNameFields'),
    WorkstationName: field(buf, 24, payloadMin, 'WorkstationFields'),
    Version: version,
  };
}

export function decodeChallenge(buf: Buffer): ChallengeMessage {
  header(buf, NtLmChallenge, 48, 'CHALLENGE_MESSAGE');
  const flags = buf.readUInt32LE(20);
  const hasVersion = (flags & NTLMSSP_NEGOTIATE_VERSION) !== 0 && buf.length >= 56;
  const payloadMin = hasVersion ? 56 : 48;
  return {
    NegotiateFlags: flags,
    TargetName: field(buf, 12, payloadMin, 'TargetNameFields'),
    ServerChallenge: buf.subarray(24, 32),
    TargetInfo: field(buf, 40, payloadMin, 'TargetInfoFields'),
    Version: hasVersion ? decodeVersion(buf.subarray(48, 56)) : null,
  };
}

const AUTH_FIELDS = [12, 20, 28, 36, 44, 52] as const;

export function decodeAuthenticate(buf: Buffer): AuthenticateMessage {
  header(buf, NtLmAuthenticate, 64, 'AUTHENTICATE_MESSAGE');
  const flags = buf.readUInt32LE(60);
  // The fixed part is 64 bytes; Version (8) and MIC (16) follow only when no payload starts inside them.
  let payloadStart = buf.length;
  for (const at of AUTH_FIELDS) {
    const off = fieldOffset(buf, at);
    if (off !== null) payloadStart = Math.min(payloadStart, off);
  }
  const hasVersion = (flags & NTLMSSP_NEGOTIATE_VERSION) !== 0 && payloadStart >= 72;
  return {
    NegotiateFlags: flags,
    LmChallengeResponse: field(buf, 12, 64, 'LmChallengeResponseFields'),
    NtChallengeResponse: field(buf, 20, 64, 'NtChallengeResponseFields'),
    DomainName: field(buf, 28, 64, 'DomainNameFields'),
    UserName: field(buf, 36, 64, 'UserNameFields'),
    Workstation: field(buf, 44, 64, 'WorkstationFields'),
    EncryptedRandomSessionKey: field(buf, 52, 64, 'EncryptedRandomSessionKeyFields'),
    Version: hasVersion ? decodeVersion(buf.subarray(64, 72)) : null,
    MIC: payloadStart >= 88 ? buf.subarray(72, 88) : null,
  };
}

/** Lays out payload fields after a fixed header; returns the descriptors' values in order. */
class PayloadWriter {
  private readonly parts: Buffer[] = [];
  private cursor: number;

  constructor(private readonly fixed: Buffer) {
    this.cursor = fixed.length;
  }

  /** Writes field bytes at the cursor; an empty field gets offset 0 or the cursor, as the caller's source does. */
  put(descriptorAt: number, data: Buffer, emptyOffset: 'zero' | 'cursor'): void {
    need(data.length <= 0xffff, 'NTLMSSP payload field longer than 65535 bytes');
    this.fixed.writeUInt16LE(data.length, descriptorAt);
    this.fixed.writeUInt16LE(data.length, descriptorAt + 2);
    const off = data.length === 0 && emptyOffset === 'zero' ? 0 : this.cursor;
    this.fixed.writeUInt32LE(off, descriptorAt + 4);
    this.parts.push(data);
    this.cursor += data.length;
  }

  finish(): Buffer {
    return Buffer.concat([this.fixed, ...this.parts]);
  }
}

function fixedHeader(size: number, type: number): Buffer {
  const b = Buffer.alloc(size);
  NTLMSSP_SIGNATURE.copy(b, 0);
  b.writeUInt32LE(type, 8);
  return b;
}

export function encodeNegotiate(m: NegotiateMessage): Buffer {
  const fixed = fixedHeader(m.Version ? 40 : 32, NtLmNegotiate);
  fixed.writeUInt32LE(m.NegotiateFlags >>> 0, 12);
  if (m.Version) encodeVersion(m.Version).copy(fixed, 32);
  const w = new PayloadWriter(fixed);
  w.put(16, m.DomainName, 'cursor');
  w.put(24, m.WorkstationName, 'cursor');
  return w.finish();
}

/** Layout of MS-NLMP 4.2.x: 56-byte header (Version zero unless negotiated), TargetName, then TargetInfo. */
export function encodeChallenge(m: ChallengeMessage): Buffer {
  need(m.ServerChallenge.length === 8, 'ServerChallenge must be 8 bytes');
  const fixed = fixedHeader(56, NtLmChallenge);
  fixed.writeUInt32LE(m.NegotiateFlags >>> 0, 20);
  m.ServerChallenge.copy(fixed, 24);
  encodeVersion(m.Version).copy(fixed, 48);
  const w = new PayloadWriter(fixed);
  w.put(12, m.TargetName, 'zero');
  w.put(40, m.TargetInfo, 'zero');
  return w.finish();
}

/** Layout of MS-NLMP 4.2.x and Windows: header (+Version, +MIC), Domain, User, Workstation, Lm, Nt, session key. */
export function encodeAuthenticate(m: AuthenticateMessage): Buffer {
  const size = m.MIC ? 88 : m.Version ? 72 : 64;
  const fixed = fixedHeader(size, NtLmAuthenticate);
  fixed.writeUInt32LE(m.NegotiateFlags >>> 0, 60);
  if (size >= 72) encodeVersion(m.Version).copy(fixed, 64);
  if (m.MIC) {
    need(m.MIC.length === 16, 'MIC must be 16 bytes');
    m.MIC.copy(fixed, 72);
  }
  const w = new PayloadWriter(fixed);
  w.put(28, m.DomainName, 'cursor');
  w.put(36, m.UserName, 'cursor');
  w.put(44, m.Workstation, 'cursor');
  w.put(12, m.LmChallengeResponse, 'cursor');
  w.put(20, m.NtChallengeResponse, 'cursor');
  w.put(52, m.EncryptedRandomSessionKey, 'cursor');
  return w.finish();
}

/** Parses AV_PAIRs up to and including MsvAvEOL; bytes after EOL are ignored (NTLMv2 blobs carry Z(4) there). */
export function decodeAvPairs(b: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let at = 0;
  for (;;) {
    need(b.length - at >= 4, 'AV_PAIR list not terminated by MsvAvEOL');
    need(pairs.length < MAX_AV_PAIRS, 'too many AV_PAIRs');
    const id = b.readUInt16LE(at);
    const len = b.readUInt16LE(at + 2);
    at += 4;
    need(len <= b.length - at, 'AV_PAIR value runs past the end of the list');
    if (id === MsvAvEOL) return pairs;
    pairs.push({ AvId: id, Value: b.subarray(at, at + len) });
    at += len;
  }
}

export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    need(p.Value.length <= 0xffff, 'AV_PAIR value longer than 65535 bytes');
    const h = Buffer.alloc(4);
    h.writeUInt16LE(p.AvId, 0);
    h.writeUInt16LE(p.Value.length, 2);
    parts.push(h, p.Value);
  }
  parts.push(Buffer.alloc(4)); // MsvAvEOL
  return Buffer.concat(parts);
}

/** The NTLMv2_CLIENT_CHALLENGE inside an NTLMv2_RESPONSE (the bytes after NTProofStr). */
export function decodeNtlmv2ClientChallenge(temp: Buffer): Ntlmv2ClientChallenge {
  need(temp.length >= 32, 'NTLMv2_CLIENT_CHALLENGE shorter than 32 bytes');
  const resp = temp.readUInt8(0);
  const hi = temp.readUInt8(1);
  if (resp !== 1 || hi !== 1) {
    throw new AuthError('OC_AUTH_MALFORMED', `NTLMv2 response type ${resp}/${hi}, expected 1/1`);
  }
  return {
    RespType: resp,
    HiRespType: hi,
    TimeStamp: temp.readBigUInt64LE(8),
    ChallengeFromClient: temp.subarray(16, 24),
    AvPairs: decodeAvPairs(temp.subarray(28)),
  };
}

export function findAvPair(pairs: readonly AvPair[], id: number): Buffer | null {
  return pairs.find((p) => p.AvId === id)?.Value ?? null;
}
