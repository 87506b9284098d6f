// MS-NLMP 3.4 session security with extended session security: per-direction signing keys, sealing keys, RC4
// handles and sequence numbers. Signatures are MS-NLMP 2.2.2.9.2 NTLMSSP_MESSAGE_SIGNATURE for ESS.

import { Rc4 } from '../rc4.js';
import { AuthError } from '../errors.js';
import {
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_SIGNATURE_SIZE,
} from './constants.js';
import { sealkey, signkey, type Mode } from './crypto.js';
import { HmacMd5 } from '../md5.js';

/** What the DCE/RPC and HTTP layers use after authentication. */
export interface SecurityContext {
  /** 16 for NTLM. */
  readonly signatureSize: number;
  /** Negotiated NTLMSSP flags (check NTLMSSP_NEGOTIATE_SIGN / _SEAL against the requested auth level). */
  readonly flags: number;
  /** Signature over an outgoing message; advances our sequence number. */
  sign(message: Uint8Array): Buffer;
  /** `data` lies inside `message`: signature over the plaintext message, then data encrypted in place. */
  seal(data: Uint8Array, message: Uint8Array): Buffer;
  /** Checks an incoming signature; throws AuthError OC_AUTH_BAD_SIGNATURE; advances the peer's sequence number. */
  verify(message: Uint8Array, signature: Uint8Array): void;
  /** Decrypts `data` (inside `message`) in place, then verifies the signature over the plaintext message. */
  unseal(data: Uint8Array, message: Uint8Array, signature: Uint8Array): void;

  // The same on one buffer by offsets (DCE/RPC PDUs: the message is pdu[0, end), the signature follows it), so
  // that the per-PDU path allocates neither views, sequence-number nor signature buffers (with md5.ts: seal +
  // unseal/verify of a 112-byte PDU 4.2 -> 1.5 us, bench/crypto.ts).
  /** Writes the signature over buf[0, end) at buf[end, end + signatureSize). */
  signAt(buf: Uint8Array, end: number): void;
  /** Seals buf[dataStart, dataEnd) (inside buf[0, end)) in place; writes the signature at `end`. */
  sealAt(buf: Uint8Array, dataStart: number, dataEnd: number, end: number): void;
  /** Checks the signature buf[sigStart, sigEnd) over buf[0, end). */
  verifyAt(buf: Uint8Array, end: number, sigStart: number, sigEnd: number): void;
  /** Decrypts buf[dataStart, dataEnd) in place, then checks buf[sigStart, sigEnd) over buf[0, end). */
  unsealAt(buf: Uint8Array, dataStart: number, dataEnd: number, end: number, sigStart: number, sigEnd: number): void;
}

interface Direction {
  signKey: Buffer | null;
  /** HMAC-MD5 under signKey, pads precomputed (one MAC per PDU). */
  hmac: HmacMd5 | null;
  sealKey: Buffer;
  handle: Rc4;
  seq: number;
}

/**
 * One side of an established NTLM context. The server uses role 'Server' (sends with server-to-client keys,
 * receives with client-to-server keys); our client (ntlm/client.ts) and the tests' reference client use 'Client'.
 * After a failed verify/unseal the context refuses further use: RC4 state and sequence numbers can no longer be
 * trusted to match the peer's, and the connection is expected to end.
 */
export class NtlmSession implements SecurityContext {
  readonly signatureSize = NTLMSSP_SIGNATURE_SIZE;
  readonly flags: number;
  private readonly out: Direction;
  private readonly in: Direction;
  private broken = false;

  constructor(
    exportedSessionKey: Uint8Array,
    flags: number,
    readonly role: Mode,
  ) {
    this.flags = flags >>> 0;
    const peer: Mode = role === 'Server' ? 'Client' : 'Server';
    this.out = this.direction(exportedSessionKey, role);
    this.in = this.direction(exportedSessionKey, peer);
  }

  private direction(key: Uint8Array, mode: Mode): Direction {
    const sealKey = sealkey(this.flags, key, mode);
    const signKey = signkey(this.flags, key, mode);
    return { signKey, hmac: signKey ? new HmacMd5(signKey) : null, sealKey, handle: new Rc4(sealKey), seq: 0 };
  }

  /** Sequence numbers of the next message each way (diagnostics and tests). */
  get sequence(): { send: number; receive: number } {
    return { send: this.out.seq, receive: this.in.seq };
  }

  /**
   * Re-keys both RC4 handles from the sealing keys and keeps the sequence numbers. MS-SPNG 3.2.5.1/3.3.5.1 save
   * each handle before the mechListMIC and restore it after, so the first application message uses the same RC4
   * key state as the mechListMIC did; as the mechListMIC is always the first use of a handle, restoring equals
   * re-keying. Samba does the same: gensec_spnego calls gensec_may_reset_crypto(reset_full = !done_mic_check),
   * i.e. ntlmssp_sign_reset() without resetting sequence numbers once a mechListMIC was checked.
   */
  resetRc4(): void {
    this.out.handle = new Rc4(this.out.sealKey);
    this.in.handle = new Rc4(this.in.sealKey);
  }

  private usable(op: string, needSeal: boolean): void {
    if (this.broken) throw new AuthError('OC_AUTH_STATE', 'security context unusable after a failed check');
    if (!(this.flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
      throw new AuthError('OC_AUTH_STATE', `${op}: no session security without extended session security`);
    }
    const ok = needSeal ? this.flags & NTLMSSP_NEGOTIATE_SEAL : this.flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL);
    if (!ok) throw new AuthError('OC_AUTH_STATE', `${op}: ${needSeal ? 'sealing' : 'signing'} was not negotiated`);
  }

  /**
   * MS-NLMP 3.4.4.2 MAC over msg[start, end) into out[o, o + 16): version 1, HMAC_MD5(SigningKey, SeqNum ||
   * Message)[0..7], SeqNum. The checksum is still in clear: finishMac encrypts it (after the data when sealing).
   */
  private writeMac(d: Direction, msg: Uint8Array, start: number, end: number, out: Uint8Array, o: number): void {
    const seq = d.seq;
    out[o] = 1;
    out[o + 1] = 0;
    out[o + 2] = 0;
    out[o + 3] = 0;
    (d.hmac as HmacMd5).macSeq(seq, msg, start, end, out, o + 4, 8);
    out[o + 12] = seq & 0xff;
    out[o + 13] = (seq >>> 8) & 0xff;
    out[o + 14] = (seq >>> 16) & 0xff;
    out[o + 15] = seq >>> 24;
  }

  /** The checksum through the direction's RC4 handle (with key exchange); the sequence number advances. */
  private finishMac(d: Direction, out: Uint8Array, o: number): void {
    if (this.flags & NTLMSSP_NEGOTIATE_KEY_EXCH) d.handle.processRange(out, o + 4, o + 12);
    d.seq = (d.seq + 1) >>> 0;
  }

  /** Expected signature of an incoming message (scratch: verification allocates nothing). */
  private readonly expected = Buffer.alloc(NTLMSSP_SIGNATURE_SIZE);

  /**
   * Compares the signature buf[sigStart, sigEnd) with the one computed over msg[0, end) in constant time (the
   * sequence number is part of the compared bytes); any mismatch breaks the context. The comparison is a fixed
   * 16-byte XOR loop rather than crypto.timingSafeEqual, whose binding call and argument views cost more than the
   * comparison itself on every PDU.
   */
  private check(msg: Uint8Array, end: number, sig: Uint8Array, sigStart: number, sigEnd: number): void {
    if (sigEnd - sigStart !== NTLMSSP_SIGNATURE_SIZE) {
      this.broken = true;
      throw new AuthError('OC_AUTH_BAD_SIGNATURE', `signature is ${sigEnd - sigStart} bytes, expected 16`);
    }
    const expectSeq = this.in.seq;
    const e = this.expected;
    this.writeMac(this.in, msg, 0, end, e, 0);
    this.finishMac(this.in, e, 0);
    let diff = 0;
    for (let k = 0; k < NTLMSSP_SIGNATURE_SIZE; k++) diff |= (e[k] as number) ^ (sig[sigStart + k] as number);
    if (diff !== 0) {
      this.broken = true;
      const got = Buffer.from(sig.buffer, sig.byteOffset + sigStart, NTLMSSP_SIGNATURE_SIZE);
      const seqOk = got.readUInt32LE(12) === expectSeq && got.readUInt32LE(0) === 1;
      throw new AuthError('OC_AUTH_BAD_SIGNATURE', seqOk ? 'message signature mismatch' : 'unexpected sequence number', {
        expectedSeq: expectSeq,
      });
    }
  }

  sign(message: Uint8Array): Buffer {
    this.usable('sign', false);
    const sig = Buffer.allocUnsafe(NTLMSSP_SIGNATURE_SIZE);
    this.writeMac(this.out, message, 0, message.length, sig, 0);
    this.finishMac(this.out, sig, 0);
    return sig;
  }

  signAt(buf: Uint8Array, end: number): void {
    this.usable('sign', false);
    this.writeMac(this.out, buf, 0, end, buf, end);
    this.finishMac(this.out, buf, end);
  }

  seal(data: Uint8Array, message: Uint8Array): Buffer {
    this.usable('seal', true);
    // MS-NLMP 3.4.3 / Samba ntlmssp_seal_packet: checksum over the plaintext, then data, then the checksum
    // through the same RC4 handle.
    const sig = Buffer.allocUnsafe(NTLMSSP_SIGNATURE_SIZE);
    this.writeMac(this.out, message, 0, message.length, sig, 0);
    this.out.handle.process(data);
    this.finishMac(this.out, sig, 0);
    return sig;
  }

  sealAt(buf: Uint8Array, dataStart: number, dataEnd: number, end: number): void {
    this.usable('seal', true);
    this.writeMac(this.out, buf, 0, end, buf, end);
    this.out.handle.processRange(buf, dataStart, dataEnd);
    this.finishMac(this.out, buf, end);
  }

  verify(message: Uint8Array, signature: Uint8Array): void {
    this.usable('verify', false);
    this.check(message, message.length, signature, 0, signature.length);
  }

  verifyAt(buf: Uint8Array, end: number, sigStart: number, sigEnd: number): void {
    this.usable('verify', false);
    this.check(buf, end, buf, sigStart, sigEnd);
  }

  unseal(data: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    this.usable('unseal', true);
    this.in.handle.process(data);
    this.check(message, message.length, signature, 0, signature.length);
  }

  unsealAt(buf: Uint8Array, dataStart: number, dataEnd: number, end: number, sigStart: number, sigEnd: number): void {
    this.usable('unseal', true);
    this.in.handle.processRange(buf, dataStart, dataEnd);
    this.check(buf, end, buf, sigStart, sigEnd);
  }
}
