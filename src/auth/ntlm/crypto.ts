// MS-NLMP 3.3 (responses), 3.4.4-3.4.5 (MAC, KXKEY, SIGNKEY, SEALKEY), 6 (primitives). Pure functions of their
// inputs, so the 4.2 vectors can be recomputed one value at a time. MD5/HMAC-MD5 come from node:crypto (default
// provider); MD4, RC4 and DES are ours.

import { createHash, createHmac } from 'node:crypto';
import { md4, ntHash } from '../md4.js';
import { Rc4, rc4 } from '../rc4.js';
import { des7, desl } from '../des.js';
import {
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_DATAGRAM,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_LM_KEY,
  NTLMSSP_REQUEST_NON_NT_SESSION_KEY,
} from './constants.js';
import { crc32 } from '../../util/crc32.js';

export { crc32 };

export type Mode = 'Client' | 'Server';

export function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RC4K(K, D) of MS-NLMP 6: a fresh key schedule per call. */
export function rc4k(key: Uint8Array, data: Uint8Array): Buffer {
  return rc4(key, data);
}

/**
 * Uppercase as Windows does for NTOWFv2: one code point to one code point. JavaScript's toUpperCase() may
 * expand ("ß" -> "SS"); Windows (RtlUpcaseUnicodeString) and Samba (toupper_m) do not, so such characters stay.
 */
export function upcase(s: string): string {
  let out = '';
  for (const ch of s) {
    const u = ch.toUpperCase();
    out += [...u].length === 1 ? u : ch;
  }
  return out;
}

/** MS-NLMP 3.3.1 NTOWFv1 = MD4(UNICODE(Passwd)). */
export function ntowfv1(password: string): Buffer {
  return ntHash(password);
}

/** MS-NLMP 3.3.1 LMOWFv1 (OEM uppercase password, 14 bytes, two DES blocks of "KGS!@#$%"). Tests only. */
export function lmowfv1(password: string): Buffer {
  const p = Buffer.alloc(14);
  Buffer.from(password.toUpperCase(), 'latin1').copy(p, 0, 0, 14);
  const magic = Buffer.from('KGS!@#$%', 'latin1');
  return Buffer.concat([des7(p.subarray(0, 7), magic), des7(p.subarray(7, 14), magic)]);
}

/** MS-NLMP 3.3.2 NTOWFv2 from the stored NT hash: HMAC_MD5(ntHash, UNICODE(Uppercase(User) || UserDom)). */
export function ntowfv2(ntHashValue: Uint8Array, user: string, domain: string): Buffer {
  return hmacMd5(ntHashValue, Buffer.from(upcase(user) + domain, 'utf16le'));
}

/** MS-NLMP 3.3.2 temp = Responserversion, HiResponserversion, Z(6), Time, ClientChallenge, Z(4), ServerName, Z(4). */
export function ntlmv2Temp(time: Uint8Array, clientChallenge: Uint8Array, serverName: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    time,
    clientChallenge,
    Buffer.alloc(4),
    serverName,
    Buffer.alloc(4),
  ]);
}

/** MS-NLMP 3.3.2 NTProofStr and SessionBaseKey for a given temp (the NTLMv2_CLIENT_CHALLENGE bytes). */
export function ntlmv2Proof(
  responseKeyNT: Uint8Array,
  serverChallenge: Uint8Array,
  temp: Uint8Array,
): { ntProofStr: Buffer; sessionBaseKey: Buffer } {
  const ntProofStr = hmacMd5(responseKeyNT, serverChallenge, temp);
  return { ntProofStr, sessionBaseKey: hmacMd5(responseKeyNT, ntProofStr) };
}

/** MS-NLMP 3.3.2 LmChallengeResponse (LMv2). */
export function lmv2Response(responseKeyLM: Uint8Array, serverChallenge: Uint8Array, clientChallenge: Uint8Array): Buffer {
  return Buffer.concat([hmacMd5(responseKeyLM, serverChallenge, clientChallenge), clientChallenge]);
}

/** MS-NLMP 3.3.1 NtChallengeResponse without ESS: DESL(ResponseKeyNT, ServerChallenge). Tests only (refused). */
export function ntlmv1Response(responseKey: Uint8Array, serverChallenge: Uint8Array): Buffer {
  return desl(responseKey, serverChallenge);
}

/** MS-NLMP 3.3.1 NtChallengeResponse with ESS: DESL(ResponseKeyNT, MD5(ServerChallenge || ClientChallenge)[0..7]). */
export function ntlmv1EssResponse(
  responseKeyNT: Uint8Array,
  serverChallenge: Uint8Array,
  clientChallenge: Uint8Array,
): Buffer {
  return desl(responseKeyNT, md5(serverChallenge, clientChallenge).subarray(0, 8));
}

/** MS-NLMP 3.3.1 SessionBaseKey = MD4(NTOWFv1). */
export function sessionBaseKeyV1(ntowf: Uint8Array): Buffer {
  return md4(ntowf);
}

/** MS-NLMP 3.4.5.1 KXKEY for NTLMv1 with extended session security. */
export function kxkeyEss(sessionBaseKey: Uint8Array, serverChallenge: Uint8Array, lmChallengeResponse: Uint8Array): Buffer {
  return hmacMd5(sessionBaseKey, serverChallenge, lmChallengeResponse.subarray(0, 8));
}

/** MS-NLMP 3.4.5.1 KXKEY for NTLMv1 without extended session security. Tests only (refused by the server). */
export function kxkeyV1(flags: number, sessionBaseKey: Buffer, lmChallengeResponse: Uint8Array, lmowf: Uint8Array): Buffer {
  if (flags & NTLMSSP_NEGOTIATE_LM_KEY) {
    const lm8 = lmChallengeResponse.subarray(0, 8);
    const k2 = Buffer.from([lmowf[7] as number, 0xbd, 0xbd, 0xbd, 0xbd, 0xbd, 0xbd]);
    return Buffer.concat([des7(lmowf.subarray(0, 7), lm8), des7(k2, lm8)]);
  }
  if (flags & NTLMSSP_REQUEST_NON_NT_SESSION_KEY) return Buffer.concat([lmowf.subarray(0, 8), Buffer.alloc(8)]);
  return sessionBaseKey;
}

const CLIENT_SIGN = Buffer.from('session key to client-to-server signing key magic constant\0', 'latin1');
const SERVER_SIGN = Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1');
const CLIENT_SEAL = Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1');
const SERVER_SEAL = Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1');

/** MS-NLMP 3.4.5.2 SIGNKEY; null without extended session security. */
export function signkey(flags: number, exportedSessionKey: Uint8Array, mode: Mode): Buffer | null {
  if (!(flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) return null;
  return md5(exportedSessionKey, mode === 'Client' ? CLIENT_SIGN : SERVER_SIGN);
}

/** MS-NLMP 3.4.5.3 SEALKEY, including the 128/56/40-bit cut. */
export function sealkey(flags: number, exportedSessionKey: Uint8Array, mode: Mode, ntlmRevision = 0x0f): Buffer {
  const k = Buffer.from(exportedSessionKey);
  if (flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) {
    const cut = flags & NTLMSSP_NEGOTIATE_128 ? k : flags & NTLMSSP_NEGOTIATE_56 ? k.subarray(0, 7) : k.subarray(0, 5);
    return md5(cut, mode === 'Client' ? CLIENT_SEAL : SERVER_SEAL);
  }
  if (flags & NTLMSSP_NEGOTIATE_LM_KEY || (flags & NTLMSSP_NEGOTIATE_DATAGRAM && ntlmRevision >= 0x0f)) {
    return flags & NTLMSSP_NEGOTIATE_56
      ? Buffer.concat([k.subarray(0, 7), Buffer.from([0xa0])])
      : Buffer.concat([k.subarray(0, 5), Buffer.from([0xe5, 0x38, 0xb0])]);
  }
  return k;
}

/** MS-NLMP 3.2.5.1.2 MIC over NEGOTIATE || CHALLENGE || AUTHENTICATE (with its MIC field zeroed). */
export function computeMic(
  exportedSessionKey: Uint8Array,
  negotiate: Uint8Array,
  challenge: Uint8Array,
  authenticateZeroMic: Uint8Array,
): Buffer {
  return hmacMd5(exportedSessionKey, negotiate, challenge, authenticateZeroMic);
}

/**
 * MS-NLMP 3.4.4.1 MAC without extended session security (connection-oriented). The server refuses this mode;
 * the function exists so the 4.2.2 example can be recomputed. Returns the 16-byte NTLMSSP_MESSAGE_SIGNATURE as
 * the 4.2.2.4 example prints it (the RC4'd RandomPad is kept, as in the example's assembled signature).
 */
export function macWithoutEss(handle: Rc4, seqNum: number, message: Uint8Array, randomPad = 0): Buffer {
  const sig = Buffer.alloc(16);
  sig.writeUInt32LE(1, 0);
  const pad = Buffer.alloc(4);
  pad.writeUInt32LE(randomPad, 0);
  handle.process(pad).copy(sig, 4);
  const ck = Buffer.alloc(4);
  ck.writeUInt32LE(crc32(message), 0);
  handle.process(ck).copy(sig, 8);
  const seq = handle.process(Buffer.alloc(4));
  sig.writeUInt32LE((seq.readUInt32LE(0) ^ seqNum) >>> 0, 12);
  return sig;
}
