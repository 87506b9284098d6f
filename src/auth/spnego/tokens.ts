// RFC 4178 4.2 negotiation tokens, wrapped (first token) in the RFC 2743 3.1 InitialContextToken.

import { AuthError, need } from '../errors.js';
import {
  TAG_APPLICATION_0,
  TAG_SEQUENCE,
  children,
  contextTag,
  decodeEnumerated,
  decodeOctetString,
  decodeOid,
  encodeEnumerated,
  encodeOctetString,
  encodeOid,
  encodeTlv,
  expectTag,
  readOne,
  unwrapExplicit,
  type Tlv,
} from './der.js';

export const OID_SPNEGO = '1.3.6.1.5.5.2';
export const OID_NTLMSSP = '1.3.6.1.4.1.311.2.2.10';

/** RFC 4178 4.2.2 negState. */
export const NegState = {
  'accept-completed': 0,
  'accept-incomplete': 1,
  reject: 2,
  'request-mic': 3,
} as const;

const MAX_MECH_TYPES = 32;

// RFC 4178 4.2.1 NegTokenInit
export interface NegTokenInit {
  mechTypes: string[];
  /** DER of the MechTypeList exactly as received: what the mechListMIC covers. */
  mechTypesDer: Buffer;
  reqFlags: Buffer | null;
  mechToken: Buffer | null;
  mechListMIC: Buffer | null;
}

// RFC 4178 4.2.2 NegTokenResp
export interface NegTokenResp {
  negState: number | null;
  supportedMech: string | null;
  responseToken: Buffer | null;
  mechListMIC: Buffer | null;
}

export type NegotiationToken = { kind: 'init'; init: NegTokenInit } | { kind: 'resp'; resp: NegTokenResp };

/** Walks the [n] fields of a SEQUENCE: each tag at most once, in increasing order; higher unknown tags ignored. */
function fields(seq: Tlv, depth: number, known: number): Map<number, Tlv> {
  expectTag(seq, TAG_SEQUENCE, 'NegToken SEQUENCE');
  const out = new Map<number, Tlv>();
  let last = -1;
  for (const f of children(seq, depth)) {
    need((f.tag & 0xe0) === 0xa0, 'NegToken field without a context tag');
    const n = f.tag & 0x1f;
    need(n > last, 'NegToken fields repeated or out of order');
    last = n;
    if (n < known) out.set(n, unwrapExplicit(f, depth + 1, `NegToken field [${n}]`));
  }
  return out;
}

function decodeInit(t: Tlv, depth: number): NegTokenInit {
  const f = fields(unwrapExplicit(t, depth, 'negTokenInit'), depth + 1, 4);
  const mt = f.get(0);
  need(mt !== undefined, 'NegTokenInit without mechTypes');
  expectTag(mt, TAG_SEQUENCE, 'MechTypeList');
  const oids = children(mt, depth + 3);
  need(oids.length > 0 && oids.length <= MAX_MECH_TYPES, `MechTypeList with ${oids.length} entries`);
  const flags = f.get(1);
  const token = f.get(2);
  const mic = f.get(3);
  return {
    mechTypes: oids.map(decodeOid),
    mechTypesDer: mt.raw,
    reqFlags: flags ? expectTag(flags, 0x03, 'reqFlags').value : null,
    mechToken: token ? decodeOctetString(token) : null,
    mechListMIC: mic ? decodeOctetString(mic) : null,
  };
}

function decodeResp(t: Tlv, depth: number): NegTokenResp {
  const f = fields(unwrapExplicit(t, depth, 'negTokenResp'), depth + 1, 4);
  const st = f.get(0);
  const negState = st ? decodeEnumerated(st) : null;
  need(negState === null || (negState >= 0 && negState <= 3), `negState ${negState}`);
  const mech = f.get(1);
  const token = f.get(2);
  const mic = f.get(3);
  return {
    negState,
    supportedMech: mech ? decodeOid(mech) : null,
    responseToken: token ? decodeOctetString(token) : null,
    mechListMIC: mic ? decodeOctetString(mic) : null,
  };
}

/**
 * Any SPNEGO token: an InitialContextToken (0x60, OID 1.3.6.1.5.5.2) or a bare NegotiationToken ([0] or [1]).
 * Like Samba's spnego_read_data, either form is accepted for either choice; the state machine decides which
 * token it takes when.
 */
export function decodeNegotiationToken(buf: Buffer): NegotiationToken {
  let t = readOne(buf);
  let depth = 0;
  if (t.tag === TAG_APPLICATION_0) {
    const inner = children(t, depth);
    need(inner.length === 2, 'InitialContextToken must hold thisMech and innerContextToken');
    const mech = decodeOid(inner[0] as Tlv);
    if (mech !== OID_SPNEGO) throw new AuthError('OC_AUTH_UNSUPPORTED', `GSS-API mechanism ${mech} is not SPNEGO`);
    t = inner[1] as Tlv;
    depth = 1;
  }
  if (t.tag === contextTag(0)) return { kind: 'init', init: decodeInit(t, depth) };
  if (t.tag === contextTag(1)) return { kind: 'resp', resp: decodeResp(t, depth) };
  throw new AuthError('OC_AUTH_MALFORMED', `not an SPNEGO NegotiationToken (tag 0x${t.tag.toString(16)})`);
}

export function encodeMechTypeList(oids: readonly string[]): Buffer {
  return encodeTlv(TAG_SEQUENCE, ...oids.map(encodeOid));
}

/** A client-side NegTokenInit wrapped in the InitialContextToken (tests and reference clients). */
export function encodeNegTokenInit(init: { mechTypes: readonly string[]; mechToken?: Buffer | null; mechListMIC?: Buffer | null }): Buffer {
  const parts = [encodeTlv(contextTag(0), encodeMechTypeList(init.mechTypes))];
  if (init.mechToken) parts.push(encodeTlv(contextTag(2), encodeOctetString(init.mechToken)));
  if (init.mechListMIC) parts.push(encodeTlv(contextTag(3), encodeOctetString(init.mechListMIC)));
  const negTokenInit = encodeTlv(contextTag(0), encodeTlv(TAG_SEQUENCE, ...parts));
  return encodeTlv(TAG_APPLICATION_0, encodeOid(OID_SPNEGO), negTokenInit);
}

/** A NegTokenResp ([1], not wrapped), as servers and later client legs send it. */
export function encodeNegTokenResp(r: Partial<NegTokenResp>): Buffer {
  const parts: Buffer[] = [];
  if (r.negState !== undefined && r.negState !== null) parts.push(encodeTlv(contextTag(0), encodeEnumerated(r.negState)));
  if (r.supportedMech) parts.push(encodeTlv(contextTag(1), encodeOid(r.supportedMech)));
  if (r.responseToken) parts.push(encodeTlv(contextTag(2), encodeOctetString(r.responseToken)));
  if (r.mechListMIC) parts.push(encodeTlv(contextTag(3), encodeOctetString(r.mechListMIC)));
  return encodeTlv(contextTag(1), encodeTlv(TAG_SEQUENCE, ...parts));
}
