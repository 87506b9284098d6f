// MS-NLMP 3.4 session security with extended session security: per-direction signing keys, sealing keys, RC4
// handles and sequence numbers. Signatures are MS-NLMP 2.2.2.9.2 NTLMSSP_MESSAGE_SIGNATURE for ESS.

import { timingSafeEqual } from 'node:crypto';
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

  /** MS-NLMP 3.4.4.2 MAC: checksum from the current handle state, sequence number in clear. */
  private mac(d: Direction, message: Uint8Array): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(d.seq, 0);
    const checksum = (d.hmac as HmacMd5).mac(seq, message).subarray(0, 8);
    if (this.flags & NTLMSSP_NEGOTIATE_KEY_EXCH) d.handle.process(checksum);
    const sig = Buffer.alloc(NTLMSSP_SIGNATURE_SIZE);
    sig.writeUInt32LE(1, 0);
    checksum.copy(sig, 4);
    seq.copy(sig, 12);
    d.seq = (d.seq + 1) >>> 0;
    return sig;
  }

  private check(message: Uint8Array, signature: Uint8Array): void {
    if (signature.length !== NTLMSSP_SIGNATURE_SIZE) {
      this.broken = true;
      throw new AuthError('OC_AUTH_BAD_SIGNATURE', `signature is ${signature.length} bytes, expected 16`);
    }
    const expectSeq = this.in.seq;
    const expected = this.mac(this.in, message);
    if (!timingSafeEqual(expected, signature)) {
      this.broken = true;
      const got = Buffer.from(signature);
      const seqOk = got.readUInt32LE(12) === expectSeq && got.readUInt32LE(0) === 1;
      throw new AuthError('OC_AUTH_BAD_SIGNATURE', seqOk ? 'message signature mismatch' : 'unexpected sequence number', {
        expectedSeq: expectSeq,
      });
    }
  }

  sign(message: Uint8Array): Buffer {
    this.usable('sign', false);
    return this.mac(this.out, message);
  }

  seal(data: Uint8Array, message: Uint8Array): Buffer {
    this.usable('seal', true);
    // MS-NLMP 3.4.3 / Samba ntlmssp_seal_packet: checksum over the plaintext, then data, then the checksum
    // through the same RC4 handle.
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(this.out.seq, 0);
    const checksum = (this.out.hmac as HmacMd5).mac(seq, message).subarray(0, 8);
    this.out.handle.process(data);
    if (this.flags & NTLMSSP_NEGOTIATE_KEY_EXCH) this.out.handle.process(checksum);
    const sig = Buffer.alloc(NTLMSSP_SIGNATURE_SIZE);
    sig.writeUInt32LE(1, 0);
    checksum.copy(sig, 4);
    seq.copy(sig, 12);
    this.out.seq = (this.out.seq + 1) >>> 0;
    return sig;
  }

  verify(message: Uint8Array, signature: Uint8Array): void {
    this.usable('verify', false);
    this.check(message, signature);
  }

  unseal(data: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    this.usable('unseal', true);
    this.in.handle.process(data);
    this.check(message, signature);
  }
}
