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
 * Writes `stub` as PDUs of at most maxXmit bytes, each assembled in one buffer and then signed or sealed on its own
 * (non-last fragments carry whole 16-byte blocks, so only the last one is padded). `send` gets each PDU in order.
 */
export function sendFragments(t: FragmentTarget, stub: Buffer, prot: Protection | null, send: (pdu: Buffer) => void): void {
  const protect = prot !== null && prot.level >= AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT;
  const sigSize = protect ? prot.security.signatureSize : 0;
  const room = fragmentRoom(t.maxXmit, prot);
  let off = 0;
  do {
    const len = Math.min(stub.length - off, room);
    const flags = (off === 0 ? PFC.FIRST_FRAG : 0) | (off + len >= stub.length ? PFC.LAST_FRAG : 0);
    const pad = protect ? (AUTH_PAD_ALIGN - (len % AUTH_PAD_ALIGN)) % AUTH_PAD_ALIGN : 0;
    const total = HEADER + len + (protect ? pad + SEC_TRAILER_SIZE + sigSize : 0);
    const pdu = Buffer.allocUnsafe(total);
    pdu[0] = 5;
    pdu[1] = 0;
    pdu[2] = t.ptype;
    pdu[3] = flags;
    pdu.writeUInt32BE(0x10000000, 4);
    pdu.writeUInt16LE(total, 8);
    pdu.writeUInt16LE(sigSize, 10);
    pdu.writeUInt32LE(t.callId >>> 0, 12);
    pdu.writeUInt32LE(stub.length - off, 16); // alloc_hint: what remains from this fragment on
    pdu.writeUInt16LE(t.pContId, 20);
    pdu.writeUInt16LE(t.opnum, 22); // response: cancel_count 0 + reserved 0
    stub.copy(pdu, HEADER, off, off + len);
    off += len;
    if (protect) {
      let p = HEADER + len;
      pdu.fill(0, p, p + pad);
      p += pad;
      pdu[p] = prot.type;
      pdu[p + 1] = prot.level;
      pdu[p + 2] = pad;
      pdu[p + 3] = 0;
      pdu.writeUInt32LE(prot.contextId >>> 0, p + 4);
      const sigOff = p + SEC_TRAILER_SIZE;
      if (prot.level === AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY) prot.security.sealAt(pdu, HEADER, HEADER + len + pad, sigOff);
      else prot.security.signAt(pdu, sigOff);
    }
    send(pdu);
  } while (off < stub.length);
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
