// One connection-oriented DCE/RPC association (C706 12.4, MS-RPCE 3.3.3): an explicit state machine over PDUs,
// independent of the byte transport (TCP here, RPC over HTTP later).
import { channel } from 'node:diagnostics_channel';
import type { Logger } from '../util/log.js';
import { describeError } from '../util/errors.js';
import type { AssociationGroup, AssociationGroups } from './association.js';
import {
  AUTHN,
  AUTHN_LEVEL,
  BIND_NAK_REASON,
  BTFN_FEATURE,
  FAULT,
  MIN_FRAG_SIZE,
  PFC,
  PTYPE,
  PTYPE_NAME,
} from './constants.js';
import { PduFramer } from './framer.js';
import type { ConnectionInfo, InterfaceDef, InterfaceRegistry } from './interface.js';
import {
  assemblePdu,
  encodeBindAckBody,
  encodeBindNakBody,
  encodeFaultBody,
  parsePdu,
  PduError,
  type AuthVerifier,
  type BindPdu,
  type PContElem,
  type PResult,
  type RequestPdu,
} from './pdu.js';
import type { AuthenticatorFactory } from './security.js';
import { countPdus, encodeFragments, forEachPdu, unprotectFragment, type Protection } from './protection.js';
import { negotiatePresentation } from './presentation.js';
import { SecurityContexts } from './auth-contexts.js';
import { CallRunner, type PendingRequest } from './calls.js';
import { bindReplyPdu } from './replies.js';

/** Published for every PDU in and out: { cid, direction: 'in' | 'out', pdu: Buffer, info: ConnectionInfo }. */
export const pduChannel = channel('ocng:dcerpc:pdu');

export interface RpcLimits {
  maxFragmentSize: number;
  maxRequestSize: number;
  /** Most calls a connection may have in flight (being reassembled or executing). */
  maxCallsPerConnection: number;
}

/** Shared by every connection of a server. */
export interface RpcServerCore {
  readonly registry: InterfaceRegistry;
  readonly groups: AssociationGroups;
  readonly limits: RpcLimits;
  readonly authenticators: AuthenticatorFactory;
  readonly log: Logger;
  /** Told once when a connection has closed, whatever closed it. */
  connectionClosed(conn: RpcConnection): void;
  /** Counters for mgmt inq_stats (C706 Q rpc_c_stats_*). */
  readonly stats: RpcStats;
}

export interface RpcStats {
  callsIn: number;
  callsOut: number;
  pktsIn: number;
  pktsOut: number;
}

export interface RpcTransport {
  readonly info: ConnectionInfo;
  /** The port string put in bind_ack's sec_addr (C706 12.6.4.4), e.g. "6100". */
  readonly secondaryAddress: string;
  /** One PDU, or with `byteStream` several whole PDUs in one buffer. */
  write(data: Buffer): void;
  /** write() may be given several PDUs at once (a plain socket); absent: one PDU per write(). */
  readonly byteStream?: boolean;
  /**
   * Optional: writes between cork() and uncork() may leave together (the fragments of one response: one writev
   * instead of a syscall per fragment).
   */
  cork?(): void;
  uncork?(): void;
  /** Ends the transport after pending writes. */
  close(): void;
}


type ConnState = 'awaiting_bind' | 'bound' | 'closed';

export class RpcConnection {
  private state: ConnState = 'awaiting_bind';
  private readonly framer: PduFramer;
  /**
   * The asynchronous step in progress (a bind, alter_context or auth3 waiting on the authenticator) and the PDUs
   * chained behind it; null when PDUs can be handled as they arrive.
   */
  private busy: Promise<void> | null = null;
  private group: AssociationGroup | null = null;
  private readonly contexts = new Map<number, InterfaceDef>();
  private readonly auths: SecurityContexts;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly calls: CallRunner;
  private maxXmit = MIN_FRAG_SIZE;
  private maxRecv: number;
  private features = 0;
  private headerSign = false;
  log: Logger;

  constructor(
    private readonly core: RpcServerCore,
    private readonly transport: RpcTransport,
  ) {
    const i = transport.info;
    this.log = core.log.child({ cid: i.cid, peer: `${i.peerAddress}:${i.peerPort}`, transport: i.transport });
    this.maxRecv = core.limits.maxFragmentSize;
    this.calls = new CallRunner({
      info: transport.info,
      stats: core.stats,
      log: () => this.log,
      closed: () => this.state === 'closed',
      group: () => this.group as AssociationGroup,
      fault: (callId, pContId, status, didNotExecute) => this.sendFault(callId, pContId, status, didNotExecute),
      respond: (callId, pContId, stub, prot) => this.sendResponse(callId, pContId, stub, prot),
    });
    this.framer = new PduFramer(() => this.maxRecv);
    this.auths = new SecurityContexts(core.authenticators, {
      established: (user, st) => {
        this.log = this.log.child({ user: user.username });
        this.log.info({ domain: user.domain, workstation: user.workstation, authType: st.type, authLevel: st.level }, 'authenticated');
      },
      failed: (st, reason) => this.log.info({ authContextId: st.contextId, reason }, 'authentication failed'),
    });
  }

  get info(): ConnectionInfo {
    return this.transport.info;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Calls currently executing; the transport keeps an idle connection with calls in flight open. */
  get callsInFlight(): number {
    return this.calls.active.size;
  }

  /** Resolves when every PDU received so far has been processed (handlers may still be running). */
  get drained(): Promise<void> {
    return this.busy ?? Promise.resolve();
  }

  /**
   * Bytes from the transport. PDUs are processed strictly in order: at once while no asynchronous step is
   * pending (requests, whose handlers run on their own), otherwise chained behind it. Handling a request PDU in
   * the transport's callback instead of in a promise job per PDU: ~0.5 us less server CPU per call (bench/run.ts
   * server path, median 3.6 -> 3.1 us), and a sync handler's answer leaves in the same callback.
   */
  receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    let pdus: Buffer[];
    try {
      pdus = this.framer.push(chunk);
    } catch (e) {
      this.log.warn({ err: describeError(e) }, 'unreadable PDU stream; closing the connection');
      this.close();
      return;
    }
    for (const raw of pdus) {
      if (this.busy) {
        this.track(this.busy.then(() => this.onPdu(raw)));
      } else {
        const step = this.onPdu(raw);
        if (step) this.track(step);
      }
    }
  }

  /** Makes `step` the pending asynchronous work until it (and what was chained behind it) is done. */
  private track(step: Promise<void>): void {
    this.busy = step;
    void step.then(() => {
      if (this.busy === step) this.busy = null;
    });
  }

  /** Closes the connection and releases everything it holds. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.calls.abortAll();
    this.pending.clear();
    if (this.group) {
      this.core.groups.release(this.group);
      this.group = null;
    }
    this.transport.close();
    this.core.connectionClosed(this);
  }

  /** The transport went away under us. */
  transportClosed(): void {
    if (this.state === 'closed') return;
    this.log.debug('connection closed by peer');
    this.close();
  }

  // -------------------------------------------------------------------------------------------------------------

  private send(pdu: Buffer): void {
    if (this.state === 'closed') return;
    this.core.stats.pktsOut++;
    if (pduChannel.hasSubscribers) pduChannel.publish({ cid: this.info.cid, direction: 'out', pdu, info: this.info });
    this.transport.write(pdu);
  }

  /** Handles one PDU; returns a promise only when the PDU started an asynchronous step (an authentication leg). */
  private onPdu(raw: Buffer): Promise<void> | void {
    if (this.state === 'closed') return;
    this.core.stats.pktsIn++;
    if (pduChannel.hasSubscribers) pduChannel.publish({ cid: this.info.cid, direction: 'in', pdu: raw, info: this.info });
    let pdu;
    try {
      pdu = parsePdu(raw);
    } catch (e) {
      const ptype = raw[2] as number;
      const callId = raw.length >= 16 ? raw.readUInt32LE(12) : 0;
      if (e instanceof PduError && (e.code === 'OC_PDU_VERSION' || e.code === 'OC_PDU_DREP') && ptype === PTYPE.bind) {
        this.log.warn({ err: describeError(e) }, 'bind refused');
        this.sendBindNak(callId, BIND_NAK_REASON.protocol_version_not_supported);
        this.close();
        return;
      }
      this.log.warn({ err: describeError(e), ptype }, 'malformed PDU; closing the connection');
      this.sendFault(callId, 0, FAULT.nca_proto_error, true);
      this.close();
      return;
    }
    // Guarded: building the hex dump of every PDU costs more than a small call's handler when trace is off.
    if (this.log.isLevelEnabled('trace')) {
      this.log.trace({ ptype: PTYPE_NAME[pdu.header.PTYPE], callId: pdu.header.call_id, hex: raw.toString('hex') }, 'pdu in');
    }
    const callId = pdu.header.call_id;
    try {
      switch (pdu.kind) {
        case 'bind':
          return this.onBind(pdu).catch((e: unknown) => this.failedPdu(e, callId));
        case 'alter_context':
          return this.onAlterContext(pdu).catch((e: unknown) => this.failedPdu(e, callId));
        case 'auth3':
          return this.onAuth3(pdu.auth).catch((e: unknown) => this.failedPdu(e, callId));
        case 'request':
          return this.onRequest(pdu);
        case 'co_cancel': {
          const c = this.calls.active.get(pdu.header.call_id);
          if (c) c.abort();
          return;
        }
        case 'orphaned': {
          this.pending.delete(pdu.header.call_id);
          const c = this.calls.active.get(pdu.header.call_id);
          if (c) {
            c.orphaned = true;
            c.abort();
          }
          return;
        }
        default:
          this.log.warn({ ptype: PTYPE_NAME[pdu.header.PTYPE] ?? pdu.header.PTYPE }, 'unexpected PDU type from a client; closing');
          this.sendFault(pdu.header.call_id, 0, FAULT.nca_proto_error, true);
          this.close();
      }
    } catch (e) {
      this.failedPdu(e, callId);
    }
  }

  /** Anything reaching here is our bug or a broken invariant: log it once, fault the call, keep the process. */
  private failedPdu(e: unknown, callId: number): void {
    this.log.error({ err: describeError(e), stack: e instanceof Error ? e.stack : undefined }, 'PDU handling failed');
    this.sendFault(callId, 0, FAULT.nca_proto_error, true);
    this.close();
  }

  // ---- bind / alter_context -------------------------------------------------------------------------------------

  private negotiateFragments(p: BindPdu): void {
    const limit = this.core.limits.maxFragmentSize;
    this.maxXmit = Math.max(MIN_FRAG_SIZE, Math.min(p.max_recv_frag, limit));
    this.maxRecv = Math.max(MIN_FRAG_SIZE, Math.min(p.max_xmit_frag, limit));
  }

  private presentationResults(elems: PContElem[]): PResult[] {
    const r = negotiatePresentation(this.core.registry, this.contexts, elems, this.log);
    if (r.features !== null) this.features = r.features;
    return r.results;
  }


  private async onBind(p: BindPdu): Promise<void> {
    const callId = p.header.call_id;
    if (this.state !== 'awaiting_bind') {
      this.log.warn('second bind on a bound connection');
      this.sendBindNak(callId, BIND_NAK_REASON.reason_not_specified);
      this.close();
      return;
    }
    // Association group: 0 asks for a new one; otherwise join, from the same client address only.
    const peerKey = this.info.peerAddress;
    let group: AssociationGroup | null;
    if (p.assoc_group_id === 0) {
      try {
        group = this.core.groups.create(peerKey);
      } catch (e) {
        this.log.warn({ err: describeError(e) }, 'bind refused');
        this.sendBindNak(callId, BIND_NAK_REASON.local_limit_exceeded);
        this.close();
        return;
      }
    } else {
      group = this.core.groups.join(p.assoc_group_id, peerKey);
      if (!group) {
        this.log.info({ assocGroup: p.assoc_group_id }, 'bind to an unknown association group refused');
        this.sendBindNak(callId, BIND_NAK_REASON.reason_not_specified);
        this.close();
        return;
      }
    }
    group.attach();
    this.group = group;
    this.negotiateFragments(p);
    this.headerSign = (p.header.pfc_flags & PFC.SUPPORT_HEADER_SIGN) !== 0;

    let authOut: { verifier: AuthVerifier; token: Buffer | null } | null = null;
    if (p.auth) {
      const a = p.auth;
      if (a.auth_type !== AUTHN.RPC_C_AUTHN_WINNT && a.auth_type !== AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE) {
        this.log.info({ authType: a.auth_type }, 'bind with an unsupported authentication type');
        this.sendBindNak(callId, BIND_NAK_REASON.authentication_type_not_recognized);
        this.close();
        return;
      }
      if (a.auth_level < AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_CONNECT || a.auth_level > AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY) {
        this.log.info({ authLevel: a.auth_level }, 'bind with an unsupported authentication level');
        this.sendBindNak(callId, BIND_NAK_REASON.reason_not_specified);
        this.close();
        return;
      }
      try {
        authOut = { verifier: a, token: await this.auths.start(a) };
      } catch (e) {
        this.log.info({ err: describeError(e) }, 'authentication failed in bind');
        this.sendBindNak(callId, BIND_NAK_REASON.reason_not_specified);
        this.close();
        return;
      }
    }
    const results = this.presentationResults(p.p_context_elem);
    this.state = 'bound';
    const body = encodeBindAckBody({
      max_xmit_frag: this.maxXmit,
      max_recv_frag: this.maxRecv,
      assoc_group_id: group.id,
      sec_addr: this.transport.secondaryAddress,
      p_result_list: results,
    });
    const flags = PFC.FIRST_FRAG | PFC.LAST_FRAG | (p.header.pfc_flags & (PFC.SUPPORT_HEADER_SIGN | PFC.CONC_MPX));
    this.send(bindReplyPdu(PTYPE.bind_ack, flags, callId, body, authOut, p.header.rpc_vers_minor));
  }

  private async onAlterContext(p: BindPdu): Promise<void> {
    const callId = p.header.call_id;
    if (this.state !== 'bound' || !this.group) {
      this.log.warn('alter_context before bind');
      this.sendFault(callId, 0, FAULT.nca_proto_error, true);
      this.close();
      return;
    }
    let authOut: { verifier: AuthVerifier; token: Buffer | null } | null = null;
    if (p.auth) {
      const a = p.auth;
      const st = this.auths.get(a.auth_context_id);
      try {
        if (!st) {
          if (this.auths.size > 0 && !(this.features & BTFN_FEATURE.SecurityContextMultiplexingSupported)) {
            throw new PduError('OC_RPC_AUTH_MULTIPLEX', 'a second security context without multiplexing negotiated');
          }
          if (a.auth_type !== AUTHN.RPC_C_AUTHN_WINNT && a.auth_type !== AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE) {
            throw new PduError('OC_RPC_AUTH_TYPE', `unsupported auth_type ${a.auth_type}`);
          }
          authOut = { verifier: a, token: await this.auths.start(a) };
        } else if (st.phase === 'negotiating') {
          if (st.type !== a.auth_type || st.level !== a.auth_level) {
            throw new PduError('OC_RPC_AUTH_CHANGED', 'auth_type or auth_level changed during authentication');
          }
          authOut = { verifier: a, token: await this.auths.continue(st, a.auth_value) };
        } else {
          throw new PduError('OC_RPC_AUTH_STATE', `security context ${a.auth_context_id} is already ${st.phase}`);
        }
      } catch (e) {
        this.log.info({ err: describeError(e) }, 'authentication failed in alter_context');
        this.sendFault(callId, 0, FAULT.nca_s_fault_access_denied, true);
        this.close();
        return;
      }
    }
    const results = this.presentationResults(p.p_context_elem);
    const body = encodeBindAckBody({
      max_xmit_frag: this.maxXmit,
      max_recv_frag: this.maxRecv,
      assoc_group_id: this.group.id,
      sec_addr: '',
      p_result_list: results,
    });
    const flags = PFC.FIRST_FRAG | PFC.LAST_FRAG | (p.header.pfc_flags & (PFC.SUPPORT_HEADER_SIGN | PFC.CONC_MPX));
    this.send(bindReplyPdu(PTYPE.alter_context_resp, flags, callId, body, authOut, p.header.rpc_vers_minor));
  }

  private async onAuth3(a: AuthVerifier): Promise<void> {
    const st = this.auths.get(a.auth_context_id);
    if (!st || st.phase !== 'negotiating' || st.type !== a.auth_type) {
      this.log.warn({ authContextId: a.auth_context_id, phase: st?.phase }, 'auth3 without an authentication in progress');
      return;
    }
    try {
      const token = await this.auths.continue(st, a.auth_value);
      const now = this.auths.get(a.auth_context_id);
      if (now?.phase !== 'established') {
        this.auths.fail(st, 'authentication not complete after auth3');
      } else if (token && token.length > 0) {
        this.log.debug('final authentication token dropped (auth3 has no reply)');
      }
    } catch (e) {
      this.auths.fail(st, describeError(e));
    }
  }

  // ---- requests ----------------------------------------------------------------------------------------------------

  private onRequest(p: RequestPdu): void {
    const callId = p.header.call_id;
    if (this.state !== 'bound') {
      this.log.warn('request before bind');
      this.sendFault(callId, p.p_cont_id, FAULT.nca_proto_error, true);
      this.close();
      return;
    }
    // Security: verify (and unseal) every fragment with the context it names.
    let authContextId: number | null = null;
    if (p.auth) {
      const st = this.auths.get(p.auth.auth_context_id);
      if (!st || st.phase !== 'established' || st.type !== p.auth.auth_type || st.level !== p.auth.auth_level) {
        this.log.info({ authContextId: p.auth.auth_context_id, phase: st?.phase ?? 'none' }, 'request with an unusable security context');
        if (p.header.pfc_flags & PFC.FIRST_FRAG) this.sendFault(callId, p.p_cont_id, FAULT.nca_s_fault_access_denied, true);
        this.pending.delete(callId);
        return;
      }
      try {
        unprotectFragment(st, p.raw, p.stubOffset, p.auth);
      } catch (e) {
        this.log.warn({ err: describeError(e) }, 'request failed verification; closing the connection');
        this.sendFault(callId, p.p_cont_id, FAULT.nca_s_fault_sec_pkg_error, true);
        this.close();
        return;
      }
      authContextId = st.contextId;
    } else if (this.auths.anyProtected) {
      // A connection that negotiated signing or sealing never accepts an unprotected request (a stripped verifier).
      this.log.info('unprotected request on a protected connection');
      if (p.header.pfc_flags & PFC.FIRST_FRAG) this.sendFault(callId, p.p_cont_id, FAULT.nca_s_fault_access_denied, true);
      this.pending.delete(callId);
      return;
    } else {
      const st = this.auths.forUnverifiedRequest();
      if (st && st.phase !== 'established') {
        this.log.info({ authContextId: st.contextId, phase: st.phase }, 'request on a connection whose authentication did not succeed');
        if (p.header.pfc_flags & PFC.FIRST_FRAG) this.sendFault(callId, p.p_cont_id, FAULT.nca_s_fault_access_denied, true);
        this.pending.delete(callId);
        return;
      }
      if (st) authContextId = st.contextId; // CONNECT level: the call runs as the authenticated user
    }

    // Reassembly (C706 12.6.3.4): fragments of a call arrive in order; other calls' fragments may interleave.
    const flags = p.header.pfc_flags;
    let req = this.pending.get(callId);
    const limits = this.core.limits;
    if (flags & PFC.FIRST_FRAG) {
      if (req || this.calls.active.has(callId)) {
        this.log.warn({ callId }, 'first fragment of a call already in progress');
        this.sendFault(callId, p.p_cont_id, FAULT.nca_proto_error, true);
        this.close();
        return;
      }
      if (this.pending.size + this.calls.active.size >= limits.maxCallsPerConnection) {
        this.log.warn({ limit: limits.maxCallsPerConnection }, 'too many calls in flight');
        this.sendFault(callId, p.p_cont_id, FAULT.nca_server_too_busy, true);
        if (!(flags & PFC.LAST_FRAG)) this.pending.set(callId, this.refusedCall(p));
        return;
      }
      const refused = p.alloc_hint > limits.maxRequestSize;
      if (refused) {
        this.log.warn({ allocHint: p.alloc_hint, limit: limits.maxRequestSize }, 'request alloc_hint over the limit');
        this.sendFault(callId, p.p_cont_id, FAULT.nca_s_fault_remote_no_memory, true);
      }
      if (flags & PFC.LAST_FRAG) {
        // A call in one fragment (most calls) goes straight to dispatch, without a reassembly entry.
        if (refused) return;
        if (p.stub.length > limits.maxRequestSize) {
          this.log.warn({ size: p.stub.length, limit: limits.maxRequestSize }, 'request stub over the limit');
          this.sendFault(callId, p.p_cont_id, FAULT.nca_s_fault_remote_no_memory, true);
          return;
        }
        this.dispatch(callId, p.p_cont_id, p.opnum, p.object, authContextId, p.stub);
        return;
      }
      req = { pContId: p.p_cont_id, opnum: p.opnum, object: p.object, authContextId, parts: [], size: 0, refused };
      this.pending.set(callId, req);
    } else if (!req) {
      this.log.warn({ callId }, 'fragment of an unknown call');
      this.sendFault(callId, p.p_cont_id, FAULT.nca_proto_error, true);
      this.close();
      return;
    }
    if (!req.refused) {
      req.size += p.stub.length;
      if (req.size > limits.maxRequestSize) {
        this.log.warn({ size: req.size, limit: limits.maxRequestSize }, 'request stub over the limit');
        this.sendFault(callId, p.p_cont_id, FAULT.nca_s_fault_remote_no_memory, true);
        req.refused = true;
        req.parts = [];
      } else {
        req.parts.push(p.stub);
      }
    }
    if (!(flags & PFC.LAST_FRAG)) return;
    this.pending.delete(callId);
    if (req.refused) return;
    const stub = req.parts.length === 1 ? (req.parts[0] as Buffer) : Buffer.concat(req.parts, req.size);
    this.dispatch(callId, req.pContId, req.opnum, req.object, req.authContextId, stub);
  }

  private refusedCall(p: RequestPdu): PendingRequest {
    return { pContId: p.p_cont_id, opnum: p.opnum, object: p.object, authContextId: null, parts: [], size: 0, refused: true };
  }

  private dispatch(callId: number, pContId: number, opnum: number, object: string | null, authContextId: number | null, stub: Buffer): void {
    const iface = this.contexts.get(pContId);
    if (!iface) {
      this.log.info({ pContId }, 'request on an unknown presentation context');
      this.sendFault(callId, pContId, FAULT.nca_s_unk_if, true);
      return;
    }
    const st = authContextId === null ? null : this.auths.get(authContextId);
    this.calls.run(callId, pContId, iface, opnum, object, st && st.phase === 'established' ? st : null, stub);
  }

  // ---- output ---------------------------------------------------------------------------------------------------

  /** Sends a response stub in as many fragments as max_xmit_frag requires, each signed or sealed on its own. */
  private sendResponse(callId: number, pContId: number, stub: Buffer, st: Protection | null): void {
    const target = { ptype: PTYPE.response, callId, pContId, opnum: 0, maxXmit: this.maxXmit } as const;
    const data = encodeFragments(target, stub, st);
    const t = this.transport;
    if (t.byteStream) {
      // all fragments in one write: a 256 KB sealed response is 45 PDUs, built in one buffer
      if (this.state === 'closed') return;
      const n = pduChannel.hasSubscribers
        ? forEachPdu(data, (pdu) => pduChannel.publish({ cid: this.info.cid, direction: 'out', pdu, info: this.info }))
        : countPdus(data);
      this.core.stats.pktsOut += n;
      t.write(data);
      return;
    }
    // A transport that takes one PDU per write (RPC over HTTP's OUT channel queues PDUs against the client's window):
    // the fragments between cork() and uncork(), so they may still leave in one writev.
    t.cork?.();
    try {
      forEachPdu(data, (pdu) => this.send(pdu));
    } finally {
      t.uncork?.();
    }
  }

  private sendFault(callId: number, pContId: number, status: number, didNotExecute: boolean): void {
    const flags = PFC.FIRST_FRAG | PFC.LAST_FRAG | (didNotExecute ? PFC.DID_NOT_EXECUTE : 0);
    this.send(assemblePdu({ PTYPE: PTYPE.fault, pfc_flags: flags, call_id: callId }, encodeFaultBody(pContId, status)));
  }

  private sendBindNak(callId: number, reason: number): void {
    this.send(assemblePdu({ PTYPE: PTYPE.bind_nak, pfc_flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, call_id: callId }, encodeBindNakBody(reason)));
  }

  /** Tells the client the server is going away (C706 12.6.4.10), then closes. */
  shutdown(): void {
    if (this.state === 'closed') return;
    this.send(assemblePdu({ PTYPE: PTYPE.shutdown, pfc_flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, call_id: 0 }, Buffer.alloc(0)));
    this.close();
  }

  /** Whether header signing was offered (NTLM always signs the header; kept for Kerberos later). */
  get headerSigning(): boolean {
    return this.headerSign;
  }
}
