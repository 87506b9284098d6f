// What the DCE/RPC runtime needs of an authentication mechanism (src/auth provides NTLMSSP and SPNEGO), and the
// per-PDU protection of MS-RPCE 2.2.2.11-12: signing covers the PDU from its first byte to the end of the
// sec_trailer; sealing encrypts the stub and its auth padding.
import { OcError } from '../util/errors.js';
import type { RpcUser } from './interface.js';

/**
 * Per-PDU protection on the PDU's own buffer, by offsets: the message is pdu[0, end) (through the sec_trailer),
 * the signature follows it, the sealed range is the stub and its auth padding (src/auth NtlmSession).
 */
export interface RpcSecurityContext {
  readonly signatureSize: number;
  signAt(pdu: Uint8Array, end: number): void;
  sealAt(pdu: Uint8Array, dataStart: number, dataEnd: number, end: number): void;
  verifyAt(pdu: Uint8Array, end: number, sigStart: number, sigEnd: number): void;
  unsealAt(pdu: Uint8Array, dataStart: number, dataEnd: number, end: number, sigStart: number, sigEnd: number): void;
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
