// Client-side PDU builders (tests, benchmarks, and later the in-process RPC-over-HTTP hop).
import { NDR20_SYNTAX, PFC, PTYPE } from './constants.js';
import { assemblePdu, encodeBindBody, encodeRequestPrefix, type PContElem, type SyntaxId } from './pdu.js';

export function syntax(uuid: string, major: number, minor = 0): SyntaxId {
  return { uuid, version: (major & 0xffff) | ((minor & 0xffff) << 16) };
}

export const NDR20: SyntaxId = { uuid: NDR20_SYNTAX.uuid, version: NDR20_SYNTAX.version };

export interface BindOptions {
  callId: number;
  contexts: PContElem[];
  assocGroupId?: number;
  maxXmit?: number;
  maxRecv?: number;
  alter?: boolean;
  auth?: { type: number; level: number; contextId?: number; token: Buffer };
  flags?: number;
}

export function buildBind(o: BindOptions): Buffer {
  const body = encodeBindBody({
    max_xmit_frag: o.maxXmit ?? 5840,
    max_recv_frag: o.maxRecv ?? 5840,
    assoc_group_id: o.assocGroupId ?? 0,
    p_context_elem: o.contexts,
  });
  return assemblePdu(
    { PTYPE: o.alter ? PTYPE.alter_context : PTYPE.bind, pfc_flags: o.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG, call_id: o.callId },
    body,
    o.auth
      ? { trailer: { auth_type: o.auth.type, auth_level: o.auth.level, auth_context_id: o.auth.contextId ?? 0 }, value: o.auth.token }
      : undefined,
  );
}

export interface RequestOptions {
  callId: number;
  pContId?: number;
  opnum: number;
  stub: Buffer;
  flags?: number;
  allocHint?: number;
  object?: string;
}

/** An unauthenticated request PDU (one fragment unless flags say otherwise). */
export function buildRequest(o: RequestOptions): Buffer {
  const flags = (o.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG) | (o.object ? PFC.OBJECT_UUID : 0);
  const prefix = encodeRequestPrefix(o.allocHint ?? o.stub.length, o.pContId ?? 0, o.opnum, o.object);
  return assemblePdu({ PTYPE: PTYPE.request, pfc_flags: flags, call_id: o.callId }, Buffer.concat([prefix, o.stub]));
}

/** Splits a stub into request fragments of at most `chunk` stub bytes each. */
export function buildFragmentedRequest(o: Omit<RequestOptions, 'flags'>, chunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < o.stub.length || off === 0; off += chunk) {
    const part = o.stub.subarray(off, off + chunk);
    const flags = (off === 0 ? PFC.FIRST_FRAG : 0) | (off + chunk >= o.stub.length ? PFC.LAST_FRAG : 0);
    out.push(buildRequest({ ...o, stub: part, flags, allocHint: o.allocHint ?? o.stub.length - off }));
    if (o.stub.length === 0) break;
  }
  return out;
}

export function buildSimple(ptype: number, callId: number): Buffer {
  return assemblePdu({ PTYPE: ptype, pfc_flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, call_id: callId }, Buffer.alloc(0));
}

export function buildAuth3(callId: number, auth: { type: number; level: number; contextId?: number; token: Buffer }): Buffer {
  return assemblePdu({ PTYPE: PTYPE.auth3, pfc_flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, call_id: callId }, Buffer.alloc(4), {
    trailer: { auth_type: auth.type, auth_level: auth.level, auth_context_id: auth.contextId ?? 0 },
    value: auth.token,
  });
}
