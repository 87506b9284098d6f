// A small connection-oriented DCE/RPC client over ncacn_ip_tcp (C706 12, MS-RPCE 3.2.2): bind with NTLM (auth3
// leg) or SPNEGO (alter_context leg), fragmented and signed/sealed requests, pipelined calls by call_id. For
// benchmarks and tests; the per-fragment protection mirrors RpcConnection.sendResponse / unprotect.
import net from 'node:net';
import { createNtlmClient, createSpnegoClient, type ClientAuthenticator, type SecurityContext } from '../auth/index.js';
import { OcError } from '../util/errors.js';
import { buildAuth3, buildBind, NDR20, syntax } from './client-pdus.js';
import { AUTHN, AUTHN_LEVEL, CONT_RESULT, MIN_FRAG_SIZE, PFC, PTYPE } from './constants.js';
import { PduFramer } from './framer.js';
import { encodeFragments, unprotectFragment, type Protection } from './protection.js';
import { parsePdu, type BindAckPdu, type Pdu, type ResponsePdu } from './pdu.js';

export interface RpcClientAuth {
  /** RPC_C_AUTHN_GSS_NEGOTIATE (9) or RPC_C_AUTHN_WINNT (10). */
  type: 9 | 10;
  /** CONNECT (2), PKT_INTEGRITY (5) or PKT_PRIVACY (6). */
  level: 2 | 5 | 6;
  username: string;
  password: string;
  domain: string;
  workstation?: string;
}

export interface RpcClientOptions {
  host: string;
  port: number;
  auth?: RpcClientAuth;
  /** max_xmit_frag and max_recv_frag we offer (default 5840, at least 1432). */
  maxFrag?: number;
  /** Largest reassembled response stub accepted (default 16 MiB). */
  maxResponseSize?: number;
}

export interface InterfaceSyntax {
  uuid: string;
  major: number;
  minor: number;
}

export type RpcClientErrorCode =
  | 'OC_RPC_CLIENT_CLOSED' // the connection ended (or was closed) with the call outstanding
  | 'OC_RPC_CLIENT_STATE' // a call before bind, a second bind, ...
  | 'OC_RPC_CLIENT_BIND_NAK' // bind_nak; details.reason
  | 'OC_RPC_CLIENT_REJECTED' // the presentation context was not accepted; details.result, details.reason
  | 'OC_RPC_CLIENT_PROTOCOL' // a PDU we cannot use (unknown call, missing verifier, over a limit)
  | 'OC_RPC_CLIENT_FAULT'; // a fault PDU; .status

export class RpcClientError extends OcError {
  declare readonly code: RpcClientErrorCode;
  /** The fault status (OC_RPC_CLIENT_FAULT only). */
  readonly status: number | undefined;
  constructor(code: RpcClientErrorCode, message: string, details?: Record<string, unknown> & { status?: number }) {
    super(code, message, details);
    this.status = details?.status;
  }
}

interface Waiter {
  resolve(v: Pdu): void;
  reject(e: Error): void;
}
interface PendingCall {
  resolve(v: Buffer): void;
  reject(e: Error): void;
  /** Fragments received so far; null until a first fragment that is not also the last one. */
  parts: Buffer[] | null;
  size: number;
}

const DEFAULT_FRAG = 5840;

/**
 * Outstanding calls by call_id. A single outstanding call (the usual case) sits in a slot rather than the Map:
 * V8 reallocates a Map's table whenever its last entry is deleted (~190 bytes per call, bench/run.ts).
 */
class PendingCalls {
  private oneId = 0;
  private one: PendingCall | null = null;
  private readonly more = new Map<number, PendingCall>();

  set(callId: number, c: PendingCall): void {
    if (this.one === null) {
      this.oneId = callId;
      this.one = c;
    } else {
      this.more.set(callId, c);
    }
  }

  get(callId: number): PendingCall | undefined {
    return this.one !== null && this.oneId === callId ? this.one : this.more.get(callId);
  }

  delete(callId: number): void {
    if (this.one !== null && this.oneId === callId) this.one = null;
    else this.more.delete(callId);
  }

  /** Removes and returns every outstanding call. */
  drain(): PendingCall[] {
    const all = [...(this.one ? [this.one] : []), ...this.more.values()];
    this.one = null;
    this.more.clear();
    return all;
  }
}

export class RpcClient {
  private readonly framer: PduFramer;
  private readonly control = new Map<number, Waiter>();
  private readonly calls = new PendingCalls();
  private nextCallId = 1;
  private nextContextId = 1;
  private bound = false;
  private binding = false;
  private closedError: RpcClientError | null = null;
  private maxXmit = MIN_FRAG_SIZE;
  private security: SecurityContext | null = null;
  /** The sec_trailer values and context of this connection's calls once bound, null when unauthenticated. */
  private prot: Protection | null = null;
  private readonly maxFrag: number;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly opts: RpcClientOptions,
  ) {
    this.maxFrag = Math.max(MIN_FRAG_SIZE, Math.min(0xffff, opts.maxFrag ?? DEFAULT_FRAG));
    this.framer = new PduFramer(() => this.maxFrag);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // 'close' follows and fails what is outstanding
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.fail(new RpcClientError('OC_RPC_CLIENT_CLOSED', 'connection closed'));
        resolve();
      }),
    );
  }

  static async connect(opts: RpcClientOptions): Promise<RpcClient> {
    const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', reject);
    });
    return new RpcClient(socket, opts);
  }

  /** The fragment size requests are cut to (the server's max_recv_frag once bound). */
  get maxXmitFrag(): number {
    return this.maxXmit;
  }

  /** Binds presentation context 0 to `iface` (NDR 2.0), authenticating when the options say so. */
  async bind(iface: InterfaceSyntax): Promise<void> {
    if (this.bound || this.binding) throw new RpcClientError('OC_RPC_CLIENT_STATE', 'already bound');
    this.binding = true;
    try {
      const a = this.opts.auth;
      const ctx = { p_cont_id: 0, abstract_syntax: syntax(iface.uuid, iface.major, iface.minor), transfer_syntaxes: [NDR20] };
      const authn = a ? this.authenticator(a) : null;
      const first = authn ? await authn.step(null) : null;
      const auth = (token: Buffer) => ({ type: a!.type, level: a!.level, contextId: 0, token });
      const callId = this.nextCallId++;
      const ack = await this.exchange(
        callId,
        buildBind({ callId, contexts: [ctx], maxXmit: this.maxFrag, maxRecv: this.maxFrag, auth: first?.token ? auth(first.token) : undefined }),
      );
      this.maxXmit = Math.max(MIN_FRAG_SIZE, Math.min(ack.max_recv_frag, this.maxFrag));
      if (a && authn) {
        let step = await authn.step(ack.auth?.auth_value ?? null);
        if (a.type === AUTHN.RPC_C_AUTHN_WINNT) {
          // NTLM: AUTHENTICATE travels in auth3, which has no reply (MS-RPCE 3.3.1.5.6)
          if (step.token) this.socket.write(buildAuth3(callId, auth(step.token)));
        } else {
          // SPNEGO: the remaining legs in alter_context, as Windows and Samba do
          while (step.token) {
            const id = this.nextCallId++;
            const resp = await this.exchange(id, buildBind({ callId: id, contexts: [ctx], maxXmit: this.maxFrag, maxRecv: this.maxFrag, alter: true, auth: auth(step.token) }));
            if (step.done) break;
            step = await authn.step(resp.auth?.auth_value ?? null);
          }
        }
        if (!step.done) throw new RpcClientError('OC_RPC_CLIENT_PROTOCOL', 'authentication did not complete');
        this.security = authn.security;
        if (a.level >= AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT && !this.security) {
          throw new RpcClientError('OC_RPC_CLIENT_PROTOCOL', 'no security context after authentication');
        }
        if (this.security) this.prot = { type: a.type, level: a.level, contextId: 0, security: this.security };
      }
      this.bound = true;
    } finally {
      this.binding = false;
    }
  }

  /** Adds a presentation context for another interface on the bound connection; returns its p_cont_id. */
  async alterContext(iface: InterfaceSyntax): Promise<number> {
    if (!this.bound) throw new RpcClientError('OC_RPC_CLIENT_STATE', 'alter_context before bind');
    const pContId = this.nextContextId++;
    const callId = this.nextCallId++;
    const contexts = [{ p_cont_id: pContId, abstract_syntax: syntax(iface.uuid, iface.major, iface.minor), transfer_syntaxes: [NDR20] }];
    await this.exchange(callId, buildBind({ callId, contexts, maxXmit: this.maxFrag, maxRecv: this.maxFrag, alter: true }));
    return pContId;
  }

  /** One call: the request stub in, the reassembled (verified, unsealed) response stub out. */
  call(opnum: number, stub: Buffer, pContId = 0): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (!this.bound) return Promise.reject(new RpcClientError('OC_RPC_CLIENT_STATE', 'call before bind'));
    const callId = this.nextCallId;
    this.nextCallId = (this.nextCallId + 1) >>> 0 || 1;
    const done = new Promise<Buffer>((resolve, reject) => this.calls.set(callId, { resolve, reject, parts: null, size: 0 }));
    this.sendRequest(callId, opnum, stub, pContId);
    return done;
  }

  /** Ends the connection; outstanding calls reject with OC_RPC_CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    await this.closed;
  }

  // -------------------------------------------------------------------------------------------------------------

  private authenticator(a: RpcClientAuth): ClientAuthenticator {
    const o = {
      username: a.username,
      password: a.password,
      domain: a.domain,
      workstation: a.workstation ?? 'OCNGCLIENT',
      sign: a.level >= AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
      seal: a.level === AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
    };
    return a.type === AUTHN.RPC_C_AUTHN_WINNT ? createNtlmClient(o) : createSpnegoClient(o);
  }

  /** Sends a bind/alter_context and waits for its bind_ack/alter_context_resp (anything else rejects). */
  private async exchange(callId: number, pdu: Buffer): Promise<BindAckPdu> {
    if (this.closedError) throw this.closedError;
    const reply = new Promise<Pdu>((resolve, reject) => this.control.set(callId, { resolve, reject }));
    this.socket.write(pdu);
    const r = await reply;
    if (r.kind === 'bind_nak') {
      throw new RpcClientError('OC_RPC_CLIENT_BIND_NAK', `bind_nak, reason ${r.provider_reject_reason}`, { reason: r.provider_reject_reason });
    }
    if (r.kind === 'fault') {
      throw new RpcClientError('OC_RPC_CLIENT_FAULT', `fault 0x${r.status.toString(16).padStart(8, '0')}`, { status: r.status });
    }
    if (r.kind !== 'bind_ack' && r.kind !== 'alter_context_resp') {
      throw new RpcClientError('OC_RPC_CLIENT_PROTOCOL', `${r.kind} in reply to a bind`);
    }
    const res = r.p_result_list[0];
    if (!res || res.result !== CONT_RESULT.acceptance) {
      throw new RpcClientError('OC_RPC_CLIENT_REJECTED', 'presentation context rejected', { result: res?.result, reason: res?.reason });
    }
    return r;
  }

  /** Request fragments of at most max_xmit_frag bytes, each signed or sealed on its own (MS-RPCE 2.2.2.11-12): one write. */
  private sendRequest(callId: number, opnum: number, stub: Buffer, pContId: number): void {
    this.socket.write(encodeFragments({ ptype: PTYPE.request, callId, pContId, opnum, maxXmit: this.maxXmit }, stub, this.prot));
  }

  private onData(chunk: Buffer): void {
    try {
      for (const raw of this.framer.push(chunk)) this.onPdu(parsePdu(raw));
    } catch (e) {
      // An unreadable stream or a verifier that fails: nothing after it can be trusted.
      this.fail(e instanceof Error ? e : new RpcClientError('OC_RPC_CLIENT_PROTOCOL', String(e)));
      this.socket.destroy();
    }
  }

  private onPdu(p: Pdu): void {
    const callId = p.header.call_id;
    if (p.kind === 'shutdown') throw new RpcClientError('OC_RPC_CLIENT_CLOSED', 'the server shut the connection down');
    const w = this.control.get(callId);
    if (w) {
      this.control.delete(callId);
      w.resolve(p);
      return;
    }
    const c = this.calls.get(callId);
    if (!c) throw new RpcClientError('OC_RPC_CLIENT_PROTOCOL', `${p.kind} for unknown call ${callId}`);
    if (p.kind === 'fault') {
      this.calls.delete(callId);
      c.reject(new RpcClientError('OC_RPC_CLIENT_FAULT', `fault 0x${p.status.toString(16).padStart(8, '0')}`, { status: p.status }));
      return;
    }
    if (p.kind !== 'response') throw new RpcClientError('OC_RPC_CLIENT_PROTOCOL', `unexpected ${p.kind} for call ${callId}`);
    this.unprotect(p);
    c.size += p.stub.length;
    if (c.size > (this.opts.maxResponseSize ?? 16 << 20)) {
      throw new RpcClientError('OC_RPC_CLIENT_PROTOCOL', `response to call ${callId} over ${c.size} bytes`);
    }
    const last = (p.header.pfc_flags & PFC.LAST_FRAG) !== 0;
    if (last && c.parts === null) {
      // the whole response in one fragment: no reassembly list
      this.calls.delete(callId);
      c.resolve(p.stub);
      return;
    }
    (c.parts ??= []).push(p.stub);
    if (!last) return;
    this.calls.delete(callId);
    c.resolve(Buffer.concat(c.parts, c.size));
  }

  /** Verifies (PKT_INTEGRITY) or unseals and verifies (PKT_PRIVACY) one response fragment in place. */
  private unprotect(p: ResponsePdu): void {
    const prot = this.prot;
    if (!prot || prot.level < AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT) return;
    const v = p.auth;
    if (!v || v.auth_type !== prot.type || v.auth_level !== prot.level) {
      throw new RpcClientError('OC_RPC_CLIENT_PROTOCOL', `response to call ${p.header.call_id} without a matching verifier`);
    }
    unprotectFragment(prot, p.raw, p.stubOffset, v);
  }


  private fail(e: Error): void {
    this.closedError ??= e instanceof RpcClientError ? e : new RpcClientError('OC_RPC_CLIENT_CLOSED', e.message);
    for (const w of this.control.values()) w.reject(e);
    this.control.clear();
    for (const c of this.calls.drain()) c.reject(e);
  }
}
