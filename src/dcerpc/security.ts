// What the DCE/RPC runtime needs of an authentication mechanism (src/auth provides NTLMSSP and SPNEGO), and the
// per-PDU protection of MS-RPCE 2.2.2.11-12: signing covers the PDU from its first byte to the end of the
// sec_trailer; sealing encrypts the stub and its auth padding.
import { OcError } from '../util/errors.js';
import type { RpcUser } from './interface.js';

export interface RpcSecurityContext {
  readonly signatureSize: number;
  sign(message: Uint8Array): Buffer;
  seal(data: Uint8Array, message: Uint8Array): Buffer;
  verify(message: Uint8Array, signature: Uint8Array): void;
  unseal(data: Uint8Array, message: Uint8Array, signature: Uint8Array): void;
}

export type RpcAuthStep =
  | { done: false; token: Buffer }
  | { done: true; token: Buffer | null; user: RpcUser; security: RpcSecurityContext };

export interface RpcAuthenticator {
  accept(token: Buffer): Promise<RpcAuthStep>;
}

/** Returns a fresh authenticator for a DCE/RPC auth_type, or null when the type is not supported. */
export type AuthenticatorFactory = (authType: number) => RpcAuthenticator | null;

export type AuthState =
  | { phase: 'negotiating'; type: number; level: number; contextId: number; authenticator: RpcAuthenticator }
  | { phase: 'established'; type: number; level: number; contextId: number; user: RpcUser; security: RpcSecurityContext }
  | { phase: 'failed'; type: number; level: number; contextId: number; reason: string };

export class RpcAuthError extends OcError {}
