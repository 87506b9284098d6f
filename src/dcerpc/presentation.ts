// Presentation-context negotiation of bind and alter_context (C706 12.6.3.1, MS-RPCE 3.3.1.5.2-3): one result per
// p_cont_elem, in order. NDR 2.0 is accepted, NDR64 alone is refused with proposed_transfer_syntaxes_not_supported,
// bind time feature negotiation is answered with negotiate_ack and the features we keep.
import type { Logger } from '../util/log.js';
import { NIL_GUID } from '../util/guid.js';
import { BTFN_FEATURE, BTFN_PREFIX, CONT_RESULT, NDR20_SYNTAX, PROVIDER_REASON } from './constants.js';
import type { InterfaceDef, InterfaceRegistry } from './interface.js';
import { syntaxMajor, syntaxMinor, type PContElem, type PResult } from './pdu.js';

const ZERO_SYNTAX = { uuid: NIL_GUID, version: 0 };
/** Both features are honoured: security contexts are kept per auth_context_id, and orphaned never closes. */
export const SUPPORTED_FEATURES = BTFN_FEATURE.SecurityContextMultiplexingSupported | BTFN_FEATURE.KeepConnectionOnOrphanSupported;

/**
 * Results for `elems`; accepted contexts are added to `contexts`. `features` is the negotiated feature set when a
 * bind time feature negotiation element was present, else null.
 */
export function negotiatePresentation(
  registry: InterfaceRegistry,
  contexts: Map<number, InterfaceDef>,
  elems: PContElem[],
  log: Logger,
): { results: PResult[]; features: number | null } {
  let features: number | null = null;
  const results = elems.map((e): PResult => {
    const btfn = e.transfer_syntaxes.find((t) => t.uuid.startsWith(BTFN_PREFIX));
    if (btfn) {
      // MS-RPCE 3.3.1.5.3: the low 8 bytes of the UUID are the client's feature bits; reason = the ones we keep
      const bits = parseInt(btfn.uuid.slice(19, 21), 16) | (parseInt(btfn.uuid.slice(21, 23), 16) << 8);
      features = bits & SUPPORTED_FEATURES;
      return { result: CONT_RESULT.negotiate_ack, reason: features, transfer_syntax: ZERO_SYNTAX };
    }
    const a = e.abstract_syntax;
    const iface = registry.find(a.uuid, syntaxMajor(a), syntaxMinor(a));
    if (!iface) {
      log.debug({ uuid: a.uuid, major: syntaxMajor(a), minor: syntaxMinor(a) }, 'bind to an unknown interface');
      return { result: CONT_RESULT.provider_rejection, reason: PROVIDER_REASON.abstract_syntax_not_supported, transfer_syntax: ZERO_SYNTAX };
    }
    const ndr20 = e.transfer_syntaxes.find((t) => t.uuid === NDR20_SYNTAX.uuid && t.version === NDR20_SYNTAX.version);
    if (!ndr20) {
      return { result: CONT_RESULT.provider_rejection, reason: PROVIDER_REASON.proposed_transfer_syntaxes_not_supported, transfer_syntax: ZERO_SYNTAX };
    }
    const existing = contexts.get(e.p_cont_id);
    if (existing && existing !== iface) {
      // a presentation context id keeps its interface for the life of the association
      return { result: CONT_RESULT.provider_rejection, reason: PROVIDER_REASON.reason_not_specified, transfer_syntax: ZERO_SYNTAX };
    }
    contexts.set(e.p_cont_id, iface);
    return { result: CONT_RESULT.acceptance, reason: 0, transfer_syntax: { uuid: NDR20_SYNTAX.uuid, version: NDR20_SYNTAX.version } };
  });
  return { results, features };
}
