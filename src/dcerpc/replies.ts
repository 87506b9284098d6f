// bind_ack / alter_context_resp with the authentication token of the current leg, when there is one.
import { assemblePdu, type AuthVerifier } from './pdu.js';

export function bindReplyPdu(
  ptype: number,
  flags: number,
  callId: number,
  body: Buffer,
  auth: { verifier: AuthVerifier; token: Buffer | null } | null,
  minor: number,
): Buffer {
  if (!auth || !auth.token || auth.token.length === 0) {
    return assemblePdu({ PTYPE: ptype, pfc_flags: flags, call_id: callId, rpc_vers_minor: minor }, body);
  }
  const v = auth.verifier;
  return assemblePdu({ PTYPE: ptype, pfc_flags: flags, call_id: callId, rpc_vers_minor: minor }, body, {
    trailer: { auth_type: v.auth_type, auth_level: v.auth_level, auth_context_id: v.auth_context_id },
    value: auth.token,
  });
}
