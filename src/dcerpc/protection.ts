// Fragmenting, signing and sealing of request and response stubs, and their verification (MS-RPCE 2.2.2.11-12,
// C706 12.6.2): one implementation for the server's responses and the client's requests. With NTLM the signature
// covers the PDU from its first byte to the end of the sec_trailer; sealing encrypts the stub and its auth padding,
// which pads the stub to 16 bytes.
import { AUTH_PAD_ALIGN, AUTHN_LEVEL, COMMON_HEADER_SIZE, PFC, PTYPE, SEC_TRAILER_SIZE } from './constants.js';
import type { AuthVerifier } from './pdu.js';
import type { RpcSecurityContext } from './security.js';

/** How one direction of a call is protected: the security context and its sec_trailer values. */
export interface Protection {
  type: number;
  level: number;
  contextId: number;
  security: RpcSecurityContext;
}

/** Request and response PDUs both have 24-byte headers: 16 common + alloc_hint, p_cont_id, opnum|cancel_count. */
const HEADER = COMMON_HEADER_SIZE + 8;

export interface FragmentTarget {
  ptype: typeof PTYPE.request | typeof PTYPE.response;
  callId: number;
  pContId: number;
  /** request: the opnum; response: cancel_count (0). */
  opnum: number;
  maxXmit: number;
}

/** Stub bytes one fragment of at most maxXmit bytes carries (a multiple of 16 when signed or sealed). */
export function fragmentRoom(maxXmit: number, prot: Protection | null): number {
  const protect = prot !== null && prot.level >= AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT;
  const room = maxXmit - HEADER - (protect ? SEC_TRAILER_SIZE + prot.security.signatureSize : 0);
  return protect ? room - (room % AUTH_PAD_ALIGN) : room;
}

/**
 * The PDUs of `stub`, each of at most maxXmit bytes and signed or sealed on its own (non-last fragments carry whole
 * 16-byte blocks, so only the last one is padded), one after another in one buffer: a response of many fragments
 * costs one allocation and, on a byte-stream transport, one write.
 */
export function encodeFragments(t: FragmentTarget, stub: Buffer, prot: Protection | null): Buffer {
  const protect = prot !== null && prot.level >= AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT;
  const sigSize = protect ? prot.security.signatureSize : 0;
  const room = fragmentRoom(t.maxXmit, prot);
  const count = stub.length === 0 ? 1 : Math.ceil(stub.length / room);
  const lastLen = stub.length - (count - 1) * room;
  const lastPad = protect ? (AUTH_PAD_ALIGN - (lastLen % AUTH_PAD_ALIGN)) % AUTH_PAD_ALIGN : 0;
  const overhead = HEADER + (protect ? SEC_TRAILER_SIZE + sigSize : 0);
  const out = Buffer.allocUnsafe(count * overhead + stub.length + lastPad);
  let off = 0;
  let o = 0;
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    const len = last ? lastLen : room;
    const pad = last ? lastPad : 0;
    const total = overhead + len + pad;
    out[o] = 5;
    out[o + 1] = 0;
    out[o + 2] = t.ptype;
    out[o + 3] = (i === 0 ? PFC.FIRST_FRAG : 0) | (last ? PFC.LAST_FRAG : 0);
    out.writeUInt32BE(0x10000000, o + 4);
    out.writeUInt16LE(total, o + 8);
    out.writeUInt16LE(sigSize, o + 10);
    out.writeUInt32LE(t.callId >>> 0, o + 12);
    out.writeUInt32LE(stub.length - off, o + 16); // alloc_hint: what remains from this fragment on
    out.writeUInt16LE(t.pContId, o + 20);
    out.writeUInt16LE(t.opnum, o + 22); // response: cancel_count 0 + reserved 0
    stub.copy(out, o + HEADER, off, off + len);
    off += len;
    if (protect) {
      let p = o + HEADER + len;
      out.fill(0, p, p + pad);
      p += pad;
      out[p] = prot.type;
      out[p + 1] = prot.level;
      out[p + 2] = pad;
      out[p + 3] = 0;
      out.writeUInt32LE(prot.contextId >>> 0, p + 4);
      // the signature covers its PDU from the first byte: the security context gets a view of this PDU alone
      const pdu = out.subarray(o, o + total);
      const sigOff = p + SEC_TRAILER_SIZE - o;
      if (prot.level === AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY) prot.security.sealAt(pdu, HEADER, HEADER + len + pad, sigOff);
      else prot.security.signAt(pdu, sigOff);
    }
    o += total;
  }
  return out;
}

/** Calls `each` with a view of every PDU in `data` (what encodeFragments made), in order; returns their count. */
export function forEachPdu(data: Buffer, each: (pdu: Buffer) => void): number {
  let n = 0;
  for (let o = 0; o < data.length; n++) {
    const len = data.readUInt16LE(o + 8);
    each(data.subarray(o, o + len));
    o += len;
  }
  return n;
}

/** The number of PDUs in `data` (what encodeFragments made). */
export function countPdus(data: Buffer): number {
  let n = 0;
  for (let o = 0; o < data.length; n++) o += data.readUInt16LE(o + 8);
  return n;
}

/**
 * Verifies (PKT, PKT_INTEGRITY) or unseals and verifies (PKT_PRIVACY) one received request or response fragment
 * in place; at CONNECT level the verifier is not checked per PDU. Throws the security context's error.
 */
export function unprotectFragment(prot: Protection, raw: Buffer, stubOffset: number, v: AuthVerifier): void {
  if (prot.level < AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT) return;
  const end = v.trailerOffset + SEC_TRAILER_SIZE;
  if (prot.level === AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY) {
    prot.security.unsealAt(raw, stubOffset, v.trailerOffset, end, end, raw.length);
  } else {
    prot.security.verifyAt(raw, end, end, raw.length);
  }
}
