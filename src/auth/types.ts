import type { AuthenticatedUser } from './ntlm/server.js';
import type { SecurityContext } from './ntlm/session.js';

/** One leg of an authentication exchange, as the DCE/RPC (and later HTTP) layer sees it. */
export type AuthStep =
  | { done: false; token: Buffer }
  | { done: true; token: Buffer | null; user: AuthenticatedUser; security: SecurityContext };

/** One client token in, our reply out; throws AuthError. A rejected exchange stays rejected. */
export interface ServerAuthenticator {
  accept(token: Buffer): Promise<AuthStep>;
}

/** The initiator's side of an exchange (our own DCE/RPC and HTTP clients). A failed exchange stays failed. */
export interface ClientAuthenticator {
  /** First call with null gives the first token; then feed each server token; done when the last token was produced. */
  step(serverToken: Buffer | null): Promise<{ token: Buffer | null; done: boolean }>;
  /**
   * After done: the client-direction SecurityContext (sign/seal outgoing = client-to-server keys, verify/unseal
   * incoming = server-to-client keys); null before.
   */
  readonly security: SecurityContext | null;
}
