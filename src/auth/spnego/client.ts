// RFC 4178 + MS-SPNG initiator offering NTLM only (DCE/RPC auth_type 9). The state is an explicit value; any
// error moves it to 'failed' for good.
//
// Legs: NegTokenInit(mechTypes [NTLM], mechToken NEGOTIATE) -> NegTokenResp(CHALLENGE) -> NegTokenResp(
// AUTHENTICATE, mechListMIC) -> the server's NegTokenResp(accept-completed, mechListMIC), which we verify.
// mechListMIC and RC4 state mirror the acceptor (spnego/server.ts; MS-SPNG 3.1.5.1, Samba auth/gensec/spnego.c):
// ours is made with client-to-server sequence number 0, the server's checked with server-to-client sequence
// number 0, then both RC4 handles are re-keyed and the sequence numbers stay at 1. We send a mechListMIC when
// signing was negotiated and the AUTHENTICATE carries an NTLM MIC (the server sent MsvAvTimestamp) or the server
// asked for one (request-mic); without one nothing is signed and both directions start at 0.

import { canSign, verifyMechListMic } from './mic.js';
import { AuthError, need } from '../errors.js';
import { NtlmClient, type NtlmClientOptions } from '../ntlm/client.js';
import { DEFAULT_MAX_TOKEN_SIZE } from '../ntlm/server.js';
import type { NtlmSession } from '../ntlm/session.js';
import type { ClientAuthenticator } from '../types.js';
import {
  NegState,
  OID_NTLMSSP,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  type NegTokenResp,
} from './tokens.js';

const MECH_TYPES = [OID_NTLMSSP] as const;

type State =
  | { kind: 'initial' }
  /** NegTokenInit sent; the CHALLENGE comes next (once more if the server ignored our optimistic token). */
  | { kind: 'await-challenge'; ntlm: NtlmClient; negotiate: Buffer; resent: boolean }
  /** AUTHENTICATE sent; the server's accept-completed (with its mechListMIC when we sent ours) comes next. */
  | { kind: 'await-final'; session: NtlmSession; sentMic: boolean }
  /** We answered a server's late mechListMIC request: finished, but its accept-completed may still arrive. */
  | { kind: 'await-ack'; session: NtlmSession }
  | { kind: 'done'; session: NtlmSession }
  | { kind: 'busy' }
  | { kind: 'failed' };

type Out = { next: State; token: Buffer | null; done: boolean };

export class SpnegoClient implements ClientAuthenticator {
  private state: State = { kind: 'initial' };
  /** DER of our MechTypeList, exactly as inside the NegTokenInit: what both mechListMICs cover. */
  private readonly mechTypesDer = encodeMechTypeList(MECH_TYPES);

  constructor(private readonly opts: NtlmClientOptions) {}

  get stateKind(): State['kind'] {
    return this.state.kind;
  }

  get security(): NtlmSession | null {
    return this.state.kind === 'done' || this.state.kind === 'await-ack' ? this.state.session : null;
  }

  async step(serverToken: Buffer | null): Promise<{ token: Buffer | null; done: boolean }> {
    const st = this.state;
    if (st.kind === 'done' || st.kind === 'failed' || st.kind === 'busy') {
      throw new AuthError('OC_AUTH_STATE', `SPNEGO client step in state ${st.kind}`);
    }
    this.state = { kind: 'busy' };
    try {
      const r = this.next(st, serverToken);
      this.state = r.next;
      return { token: r.token, done: r.done };
    } catch (e) {
      this.state = { kind: 'failed' };
      throw e;
    }
  }

  private next(st: Exclude<State, { kind: 'done' | 'failed' | 'busy' }>, token: Buffer | null): Out {
    if (st.kind === 'initial') {
      if (token !== null) throw new AuthError('OC_AUTH_STATE', 'SPNEGO client must start with a null token');
      const ntlm = new NtlmClient(this.opts);
      const negotiate = ntlm.start();
      return {
        next: { kind: 'await-challenge', ntlm, negotiate, resent: false },
        token: encodeNegTokenInit({ mechTypes: MECH_TYPES, mechToken: negotiate }),
        done: false,
      };
    }
    if (token === null) throw new AuthError('OC_AUTH_STATE', `SPNEGO client expected a server token in state ${st.kind}`);
    const rt = this.respToken(token);
    switch (st.kind) {
      case 'await-challenge':
        return this.challenge(st, rt);
      case 'await-final':
        return this.final(st, rt);
      case 'await-ack':
        need(rt.negState === NegState['accept-completed'] || rt.negState === null, 'SPNEGO: expected accept-completed after our mechListMIC');
        need(!rt.responseToken?.length && !rt.mechListMIC, 'SPNEGO: unexpected content after completion');
        return { next: { kind: 'done', session: st.session }, token: null, done: true };
    }
  }

  private respToken(token: Buffer): NegTokenResp {
    if (token.length > DEFAULT_MAX_TOKEN_SIZE) {
      throw new AuthError('OC_AUTH_MALFORMED', `SPNEGO token of ${token.length} bytes exceeds ${DEFAULT_MAX_TOKEN_SIZE}`);
    }
    const t = decodeNegotiationToken(token);
    if (t.kind !== 'resp') throw new AuthError('OC_AUTH_STATE', 'NegTokenInit received where a NegTokenResp was due');
    return t.resp;
  }

  private challenge(st: Extract<State, { kind: 'await-challenge' }>, rt: NegTokenResp): Out {
    if (rt.negState === NegState.reject) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'server rejected the SPNEGO negotiation (NTLM)');
    }
    need(rt.negState !== NegState['accept-completed'], 'SPNEGO: server completed before NTLM could');
    if (rt.supportedMech !== null && rt.supportedMech !== OID_NTLMSSP) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', `SPNEGO: server selected ${rt.supportedMech}, we offered NTLM only`);
    }
    if (!rt.responseToken || rt.responseToken.length === 0) {
      // The server named NTLM without taking our optimistic token: send the same NEGOTIATE again, once.
      need(!st.resent, 'SPNEGO: no NTLM CHALLENGE in the server reply');
      need(!rt.mechListMIC, 'SPNEGO: mechListMIC before authentication');
      return {
        next: { ...st, resent: true },
        token: encodeNegTokenResp({ responseToken: st.negotiate }),
        done: false,
      };
    }
    need(!rt.mechListMIC, 'SPNEGO: mechListMIC before authentication');
    const requestMic = rt.negState === NegState['request-mic'];
    const r = st.ntlm.respond(rt.responseToken);
    const signing = canSign(r.session);
    if (requestMic && !signing) {
      throw new AuthError('OC_AUTH_UNSUPPORTED', 'SPNEGO: server requests a mechListMIC but signing was not negotiated');
    }
    const sendMic = signing && (r.micPresent || requestMic);
    const mechListMIC = sendMic ? r.session.sign(this.mechTypesDer) : null;
    return {
      next: { kind: 'await-final', session: r.session, sentMic: sendMic },
      token: encodeNegTokenResp({ responseToken: r.token, mechListMIC }),
      done: false,
    };
  }

  private final(st: Extract<State, { kind: 'await-final' }>, rt: NegTokenResp): Out {
    if (rt.negState === NegState.reject) {
      throw new AuthError('OC_AUTH_LOGON_FAILURE', 'server rejected the SPNEGO negotiation after AUTHENTICATE');
    }
    need(!rt.responseToken?.length, 'SPNEGO: unexpected responseToken after AUTHENTICATE');
    const { session } = st;
    // RFC 4178 4.2.2: negState is optional after the first reply; absent here it can only mean completion.
    const completed = rt.negState === NegState['accept-completed'] || rt.negState === null;
    if (!rt.mechListMIC) {
      if (st.sentMic) throw new AuthError('OC_AUTH_MIC_MISMATCH', 'server SPNEGO mechListMIC required but absent');
      need(completed, 'SPNEGO: server neither completed nor sent a mechListMIC');
      return { next: { kind: 'done', session }, token: null, done: true };
    }
    if (!canSign(session)) {
      throw new AuthError('OC_AUTH_MIC_MISMATCH', 'server sent a mechListMIC but signing was not negotiated');
    }
    verifyMechListMic(session, this.mechTypesDer, rt.mechListMIC, 'server');
    if (st.sentMic) {
      need(completed, 'SPNEGO: server did not complete after both mechListMICs');
      session.resetRc4();
      return { next: { kind: 'done', session }, token: null, done: true };
    }
    // The server sent its mechListMIC first and asks for ours (Samba does so when the NTLM MIC is present but
    // the client sent no mechListMIC): answer, then we are finished; its accept-completed may follow.
    need(!completed, 'SPNEGO: server completed with a mechListMIC we were not asked to answer');
    const ours = session.sign(this.mechTypesDer);
    session.resetRc4();
    return { next: { kind: 'await-ack', session }, token: encodeNegTokenResp({ mechListMIC: ours }), done: true };
  }
}
