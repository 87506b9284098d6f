// RFC 4178 + MS-SPNG acceptor with NTLM as the only mechanism (DCE/RPC auth_type 9 RPC_C_AUTHN_GSS_NEGOTIATE).
// The state is an explicit value; any error moves it to 'failed' for good.
//
// mechListMIC and RC4 state (MS-SPNG 3.2.5.1; Samba auth/gensec/spnego.c): the client's mechListMIC is checked
// with the client-to-server sequence number 0, ours is made with server-to-client sequence number 0, then both
// RC4 handles are re-keyed and the sequence numbers stay at 1. The first signed DCE/RPC packet after the
// exchange therefore carries sequence number 1 in each direction and uses a fresh RC4 keystream.
// Without any mechListMIC (no NTLM MIC, NTLM first choice, client sent none) nothing is signed and both
// directions start at sequence number 0.

import { NTLMSSP_SIGNATURE } from '../ntlm/constants.js';
import { canSign, verifyMechListMic } from './mic.js';
import { AuthError, need } from '../errors.js';
import { DEFAULT_MAX_TOKEN_SIZE, NtlmServer, type AuthenticatedUser, type NtlmResult, type NtlmServerOptions } from '../ntlm/server.js';
import type { NtlmSession } from '../ntlm/session.js';
import type { AuthStep, ServerAuthenticator } from '../types.js';
import { NegState, OID_NTLMSSP, decodeNegotiationToken, encodeNegTokenResp, type NegTokenResp } from './tokens.js';

type State =
  | { kind: 'initial' }
  /** The first token was a bare NTLMSSP message (MS-SPNG <8>: Windows may skip SPNEGO); plain NTLM from here. */
  | { kind: 'raw'; ntlm: NtlmServer }
  /** We named NTLM in supportedMech without a CHALLENGE; the client's NEGOTIATE comes in a NegTokenResp. */
  | { kind: 'await-mech-token'; ntlm: NtlmServer; mechTypesDer: Buffer; downgraded: boolean }
  /** CHALLENGE sent; the AUTHENTICATE (and perhaps the mechListMIC) comes next. */
  | { kind: 'ntlm'; ntlm: NtlmServer; mechTypesDer: Buffer; downgraded: boolean }
  /** Authenticated and our mechListMIC sent; the client's mechListMIC is still owed. */
  | { kind: 'await-mic'; session: NtlmSession; user: AuthenticatedUser; mechTypesDer: Buffer }
  | { kind: 'busy' }
  | { kind: 'done' }
  | { kind: 'failed' };

function resp(r: Partial<NegTokenResp>): Buffer {
  return encodeNegTokenResp(r);
}

export class SpnegoServer implements ServerAuthenticator {
  private state: State = { kind: 'initial' };
  private readonly maxTokenSize: number;

  constructor(private readonly opts: NtlmServerOptions) {
    this.maxTokenSize = opts.maxTokenSize ?? DEFAULT_MAX_TOKEN_SIZE;
  }

  get stateKind(): State['kind'] {
    return this.state.kind;
  }

  async accept(token: Buffer): Promise<AuthStep> {
    const st = this.state;
    if (st.kind === 'done' || st.kind === 'failed' || st.kind === 'busy') {
      throw new AuthError('OC_AUTH_STATE', `SPNEGO token received in state ${st.kind}`);
    }
    this.state = { kind: 'busy' };
    try {
      if (token.length > this.maxTokenSize) {
        throw new AuthError('OC_AUTH_MALFORMED', `SPNEGO token of ${token.length} bytes exceeds ${this.maxTokenSize}`);
      }
      const r = await this.step(st, token);
      this.state = r.next;
      return r.out;
    } catch (e) {
      this.state = { kind: 'failed' };
      throw e;
    }
  }

  private async step(st: Exclude<State, { kind: 'done' | 'failed' | 'busy' }>, token: Buffer): Promise<{ next: State; out: AuthStep }> {
    switch (st.kind) {
      case 'initial':
        return this.first(token);
      case 'raw': {
        const r = await st.ntlm.step(token);
        return r.kind === 'challenge'
          ? { next: st, out: { done: false, token: r.token } }
          : { next: { kind: 'done' }, out: { done: true, token: null, user: r.user, security: r.session } };
      }
      case 'await-mech-token': {
        const rt = this.respToken(token);
        need(rt.responseToken !== null, 'NegTokenResp without the NTLM NEGOTIATE_MESSAGE');
        const r = await st.ntlm.step(rt.responseToken);
        need(r.kind === 'challenge', 'NTLM finished on its first token');
        // MS-SPNG <10>: no supportedMech after the first reply.
        return {
          next: { kind: 'ntlm', ntlm: st.ntlm, mechTypesDer: st.mechTypesDer, downgraded: st.downgraded },
          out: { done: false, token: resp({ negState: NegState['accept-incomplete'], responseToken: r.token }) },
        };
      }
      case 'ntlm':
        return this.authenticate(st, token);
      case 'await-mic': {
        const rt = this.respToken(token);
        need(rt.responseToken === null || rt.responseToken.length === 0, 'unexpected responseToken after authentication');
        if (!rt.mechListMIC) throw new AuthError('OC_AUTH_MIC_MISMATCH', 'SPNEGO mechListMIC required but absent');
        verifyMechListMic(st.session, st.mechTypesDer, rt.mechListMIC, 'client');
        st.session.resetRc4();
        return {
          next: { kind: 'done' },
          out: { done: true, token: resp({ negState: NegState['accept-completed'] }), user: st.user, security: st.session },
        };
      }
    }
  }

  private respToken(token: Buffer): NegTokenResp {
    const t = decodeNegotiationToken(token);
    if (t.kind !== 'resp') throw new AuthError('OC_AUTH_STATE', 'NegTokenInit received where a NegTokenResp was due');
    if (t.resp.negState === NegState.reject) throw new AuthError('OC_AUTH_STATE', 'client rejected the negotiation');
    return t.resp;
  }

  private async first(token: Buffer): Promise<{ next: State; out: AuthStep }> {
    const ntlm = new NtlmServer(this.opts);
    if (token.length >= 8 && token.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) {
      this.opts.log?.debug('SPNEGO: bare NTLMSSP token, continuing as plain NTLM');
      return this.step({ kind: 'raw', ntlm }, token);
    }
    const t = decodeNegotiationToken(token);
    if (t.kind !== 'init') throw new AuthError('OC_AUTH_STATE', 'first SPNEGO token is not a NegTokenInit');
    const { mechTypes, mechTypesDer, mechToken } = t.init;
    const idx = mechTypes.indexOf(OID_NTLMSSP);
    if (idx < 0) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'SPNEGO: NTLM is not among the offered mechanisms', { mechTypes });
    }
    if (idx === 0 && mechToken && mechToken.length > 0) {
      const r: NtlmResult = await ntlm.step(mechToken);
      need(r.kind === 'challenge', 'NTLM finished on its first token');
      return {
        next: { kind: 'ntlm', ntlm, mechTypesDer, downgraded: false },
        out: {
          done: false,
          token: resp({ negState: NegState['accept-incomplete'], supportedMech: OID_NTLMSSP, responseToken: r.token }),
        },
      };
    }
    // No optimistic NTLM token: name NTLM and ask for its first token. When NTLM was not the client's first
    // choice this is a downgrade, and RFC 4178 5 makes the mechListMIC exchange mandatory (request-mic).
    const downgraded = idx > 0;
    this.opts.log?.debug({ mechTypes, downgraded }, 'SPNEGO: selecting NTLM without an optimistic token');
    return {
      next: { kind: 'await-mech-token', ntlm, mechTypesDer, downgraded },
      out: {
        done: false,
        token: resp({ negState: downgraded ? NegState['request-mic'] : NegState['accept-incomplete'], supportedMech: OID_NTLMSSP }),
      },
    };
  }

  private async authenticate(
    st: Extract<State, { kind: 'ntlm' }>,
    token: Buffer,
  ): Promise<{ next: State; out: AuthStep }> {
    const rt = this.respToken(token);
    need(rt.responseToken !== null, 'NegTokenResp without the NTLM AUTHENTICATE_MESSAGE');
    const r = await st.ntlm.step(rt.responseToken);
    need(r.kind === 'authenticated', 'NTLM did not finish on the AUTHENTICATE_MESSAGE');
    const { session, user, micPresent } = r;
    const clientMic = rt.mechListMIC;
    const done = (mechListMIC: Buffer | null): { next: State; out: AuthStep } => ({
      next: { kind: 'done' },
      out: { done: true, token: resp({ negState: NegState['accept-completed'], mechListMIC }), user, security: session },
    });

    if (!canSign(session)) {
      // Samba (have_sign false) neither checks nor makes a mechListMIC then; a downgrade cannot be protected.
      if (st.downgraded) throw new AuthError('OC_AUTH_UNSUPPORTED', 'SPNEGO downgrade to NTLM without signing');
      return done(null);
    }
    if (!clientMic && !micPresent && !st.downgraded) {
      // Older clients: no NTLM MIC, so no mechListMIC either way (MS-SPNG <8>).
      return done(null);
    }
    if (clientMic) {
      verifyMechListMic(session, st.mechTypesDer, clientMic, 'client');
      const ours = session.sign(st.mechTypesDer);
      session.resetRc4();
      return done(ours);
    }
    // NTLM MIC present (or a downgrade) but no mechListMIC yet: send ours and ask for theirs, as Samba does.
    const ours = session.sign(st.mechTypesDer);
    return {
      next: { kind: 'await-mic', session, user, mechTypesDer: st.mechTypesDer },
      out: { done: false, token: resp({ negState: NegState['accept-incomplete'], mechListMIC: ours }) },
    };
  }
}
