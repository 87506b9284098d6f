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
