// The security contexts of one connection, keyed by auth_context_id (several when SecurityContextMultiplexing was
// negotiated, MS-RPCE 3.3.1.5.3). Each is an explicit state: negotiating -> established | failed.
import { describeError } from '../util/errors.js';
import { AUTHN_LEVEL } from './constants.js';
import type { RpcUser } from './interface.js';
import { PduError, type AuthVerifier } from './pdu.js';
import type { AuthenticatorFactory, AuthState, RpcAuthStep } from './security.js';

export type Negotiating = Extract<AuthState, { phase: 'negotiating' }>;
export type Established = Extract<AuthState, { phase: 'established' }>;

export interface AuthEvents {
  established(user: RpcUser, st: Established): void;
  failed(st: AuthState, reason: string): void;
}

export class SecurityContexts {
  private readonly map = new Map<number, AuthState>();
  private protectedCount = 0;

  constructor(
    private readonly factory: AuthenticatorFactory,
    private readonly events: AuthEvents,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(contextId: number): AuthState | undefined {
    return this.map.get(contextId);
  }

  /** Whether some context signs or seals: then no request may come without a verifier. */
  get anyProtected(): boolean {
    return this.protectedCount > 0;
  }

  /**
   * The context a request without a verifier runs under. At CONNECT level clients (Windows, Samba, impacket) send
   * requests without a verifier: they belong to the connection's authenticated context. A connection whose
   * authentication failed or is unfinished gets its failed/negotiating state (the caller refuses the call); one
   * with several contexts or none gets null (an unauthenticated call).
   */
  forUnverifiedRequest(): AuthState | null {
    let found: AuthState | null = null;
    for (const st of this.map.values()) {
      if (st.phase !== 'established') return st;
      if (found) return null;
      found = st;
    }
    return found;
  }

  /** First leg of a new context; returns the token for bind_ack / alter_context_resp. */
  async start(a: AuthVerifier): Promise<Buffer | null> {
    const authenticator = this.factory(a.auth_type);
    if (!authenticator) throw new PduError('OC_RPC_AUTH_TYPE', `unsupported auth_type ${a.auth_type}`);
    const st: Negotiating = { phase: 'negotiating', type: a.auth_type, level: a.auth_level, contextId: a.auth_context_id, authenticator };
    this.map.set(a.auth_context_id, st);
    if (a.auth_level >= AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT) this.protectedCount++;
    return this.continue(st, a.auth_value);
  }

  /** A further leg; throws (after marking the context failed) when the mechanism refuses. */
  async continue(st: Negotiating, token: Buffer): Promise<Buffer | null> {
    let step: RpcAuthStep;
    try {
      step = await st.authenticator.accept(Buffer.from(token));
    } catch (e) {
      this.fail(st, describeError(e));
      throw e;
    }
    if (!step.done) return step.token;
    const done: Established = { phase: 'established', type: st.type, level: st.level, contextId: st.contextId, user: step.user, security: step.security };
    this.map.set(st.contextId, done);
    this.events.established(step.user, done);
    return step.token;
  }

  fail(st: AuthState, reason: string): void {
    this.map.set(st.contextId, { phase: 'failed', type: st.type, level: st.level, contextId: st.contextId, reason });
    this.events.failed(st, reason);
  }
}
