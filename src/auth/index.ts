// Public face of the authentication layer: NTLMSSP (DCE/RPC auth_type 10) and SPNEGO with NTLM inside
// (auth_type 9). The DCE/RPC layer and later the HTTP layer use only what is exported here.

import { NtlmServer, type NtlmServerOptions } from './ntlm/server.js';
import { SpnegoServer } from './spnego/server.js';
import { NtlmClient, type NtlmClientOptions } from './ntlm/client.js';
import { SpnegoClient } from './spnego/client.js';
import type { ClientAuthenticator, ServerAuthenticator } from './types.js';

export { AuthError, isAuthError, type AuthErrorCode } from './errors.js';
export type { AuthStep, ClientAuthenticator, ServerAuthenticator } from './types.js';
export type { NtlmClientOptions } from './ntlm/client.js';
export type {
  AccountLookup,
  AuthenticatedUser,
  NtlmAccount,
  NtlmPolicy,
  NtlmServerOptions,
  ServerIdentity,
} from './ntlm/server.js';
export type { SecurityContext } from './ntlm/session.js';
export type { NtlmVersion } from './ntlm/messages.js';
export { encodeNegTokenResp, NegState, OID_NTLMSSP, OID_SPNEGO } from './spnego/tokens.js';
export * as ntlmFlags from './ntlm/constants.js';

/** NTLMSSP acceptor: NEGOTIATE -> CHALLENGE, AUTHENTICATE -> done (token null: DCE/RPC auth3 has no reply). */
export function createNtlmServer(opts: NtlmServerOptions): ServerAuthenticator {
  const ntlm = new NtlmServer(opts);
  return {
    async accept(token) {
      const r = await ntlm.step(token);
      return r.kind === 'challenge'
        ? { done: false, token: r.token }
        : { done: true, token: null, user: r.user, security: r.session };
    },
  };
}

/** SPNEGO acceptor (RFC 4178, MS-SPNG) offering NTLM only; also takes a bare NTLMSSP first token. */
export function createSpnegoServer(opts: NtlmServerOptions): ServerAuthenticator {
  return new SpnegoServer(opts);
}

/**
 * NTLMSSP initiator: step(null) -> NEGOTIATE; step(CHALLENGE) -> AUTHENTICATE, done. NTLMv2 with extended
 * session security; a MIC (MsvAvFlags 0x2) whenever the server sent an MsvAvTimestamp.
 */
export function createNtlmClient(o: NtlmClientOptions): ClientAuthenticator {
  return new NtlmClient(o);
}

/**
 * SPNEGO initiator offering NTLM only: step(null) -> NegTokenInit(NEGOTIATE); step(CHALLENGE reply) ->
 * NegTokenResp(AUTHENTICATE, mechListMIC); step(final reply) -> verifies the server's mechListMIC, done, no token.
 */
export function createSpnegoClient(o: NtlmClientOptions): ClientAuthenticator {
  return new SpnegoClient(o);
}
