// The calls of a connection: requests being reassembled, and calls executing (with their cancel state): a
// reassembled request's stub decoded, its handler run, its answer or fault encoded and sent.
import type { Logger } from '../util/log.js';
import { describeError, isOcError } from '../util/errors.js';
import type { AssociationGroup } from './association.js';
import type { Established } from './auth-contexts.js';
import type { RpcStats } from './connection.js';
import { AUTHN, AUTHN_LEVEL, FAULT } from './constants.js';
import { RpcFault, type CallContext, type ConnectionInfo, type InterfaceDef, type OperationDef, type RpcUser } from './interface.js';
import type { Protection } from './protection.js';

/** A request whose fragments are still arriving (C706 12.6.3.4). */
export interface PendingRequest {
  pContId: number;
  opnum: number;
  object: string | null;
  authContextId: number | null;
  parts: Buffer[];
  size: number;
  /** Set when the call was refused (too large): its later fragments are dropped. */
  refused: boolean;
}

/** The per-call logger's op binding: "iface.op", or "iface#opnum" for an unknown operation. */
export function opLabel(iface: InterfaceDef, opnum: number): string {
  const op = iface.ops[opnum];
  return op ? `${iface.name}.${op.name}` : `${iface.name}#${opnum}`;
}

/**
 * A call being executed, and the CallContext its handler sees: one object per call with prototype getters, where
 * an object literal with `get log()`/`get signal()` and the done/failed/log closures behind it were several
 * allocations per call (with the active-call Map entry, which only asynchronous calls now get: ~1.5 -> ~0.8 KB
 * allocated in dispatch per mgmt call, heap sampling of bench/run.ts's load). Its child logger and AbortSignal are
 * made on first use: most handlers never look at them, pino serializes a child's bindings when it is created, and
 * an AbortController per call is a measurable part of a small call's cost.
 */
export class ActiveCall implements CallContext {
  orphaned = false;
  private controller: AbortController | null = null;
  private aborted = false;
  private callLog: Logger | null = null;

  // Only what the handler may see (and call_id / p_cont_id): the response's codec and security context stay
  // with CallRunner.
  constructor(
    readonly callId: number,
    readonly pContId: number,
    private readonly iface: InterfaceDef,
    private readonly parentLog: Logger,
    readonly connection: ConnectionInfo,
    readonly user: RpcUser | null,
    readonly authType: number,
    readonly authLevel: number,
    readonly assocGroup: AssociationGroup,
    readonly objectUuid: string | null,
    readonly opnum: number,
  ) {}

  get log(): Logger {
    return (this.callLog ??= this.parentLog.child({ op: opLabel(this.iface, this.opnum), callId: this.callId }));
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}

/** What running calls needs of its connection. */
export interface CallHost {
  readonly info: ConnectionInfo;
  readonly stats: RpcStats;
  log(): Logger;
  closed(): boolean;
  group(): AssociationGroup;
  fault(callId: number, pContId: number, status: number, didNotExecute: boolean): void;
  /** Sends a response stub (fragmented, signed or sealed with `prot`). */
  respond(callId: number, pContId: number, stub: Buffer, prot: Protection | null): void;
}

/** Runs a connection's calls; keeps those whose handler answers with a promise until it settles. */
export class CallRunner {
  /** Calls executing asynchronously, by call_id (co_cancel and orphaned look them up). */
  readonly active = new Map<number, ActiveCall>();

  constructor(private readonly host: CallHost) {}

  abortAll(): void {
    for (const c of this.active.values()) c.abort();
    this.active.clear();
  }

  /** A reassembled request on `iface`, under `established` (null: unauthenticated or a context not usable). */
  run(callId: number, pContId: number, iface: InterfaceDef, opnum: number, object: string | null, established: Established | null, stub: Buffer): void {
    const host = this.host;
    const opDef = iface.ops[opnum];
    // A child logger only on these rare paths (pino serializes a child's bindings when it is created).
    const callLog = (): Logger => host.log().child({ op: opLabel(iface, opnum), callId });
    if (!opDef) {
      callLog().info('unknown opnum');
      host.fault(callId, pContId, FAULT.nca_s_op_rng_error, true);
      return;
    }
    const level = established ? established.level : AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_NONE;
    if (level < iface.minAuthLevel) {
      callLog().info({ level, required: iface.minAuthLevel }, 'call below the interface authentication level');
      host.fault(callId, pContId, FAULT.nca_s_fault_access_denied, true);
      return;
    }
    let request: unknown;
    let firstFullPointerId = 1;
    try {
      if (opDef.request.decodeWithLength) {
        const d = opDef.request.decodeWithLength(stub);
        request = d.value;
        firstFullPointerId = d.maxFullPointerId + 1;
      } else {
        request = opDef.request.decode(stub);
      }
    } catch (e) {
      callLog().info({ err: describeError(e), stubLength: stub.length }, 'undecodable request stub');
      host.fault(callId, pContId, isOcError(e) ? FAULT.nca_s_fault_ndr : FAULT.nca_s_fault_unspec, true);
      return;
    }
    host.stats.callsIn++;
    const call = new ActiveCall(
      callId,
      pContId,
      iface,
      host.log(),
      host.info,
      established ? established.user : null,
      established ? established.type : AUTHN.RPC_C_AUTHN_NONE,
      level,
      host.group(),
      object,
      opnum,
    );
    if (host.log().isLevelEnabled('debug')) call.log.debug('call');
    // Handlers that answer synchronously are answered at once (they cannot be cancelled or orphaned meanwhile, so
    // they are not registered as active); promises when they settle.
    let result: unknown;
    try {
      result = opDef.handle(request, call);
    } catch (e) {
      if (!host.closed()) this.failed(call, e);
      return;
    }
    if (result instanceof Promise) {
      this.active.set(callId, call);
      result.then(
        (response: unknown) => {
          if (this.settle(call)) this.done(call, opDef, firstFullPointerId, established, response);
        },
        (e: unknown) => {
          if (this.settle(call)) this.failed(call, e);
        },
      );
    } else if (!host.closed()) {
      this.done(call, opDef, firstFullPointerId, established, result);
    }
  }

  /** An asynchronous call settled: false when it was cancelled, orphaned or its connection closed meanwhile. */
  private settle(call: ActiveCall): boolean {
    if (this.active.get(call.callId) !== call) return false;
    this.active.delete(call.callId);
    return !call.orphaned;
  }

  /** Encodes the handler's answer; the response is protected like the request was (`prot`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private done(call: ActiveCall, op: OperationDef<any, any>, firstFullPointerId: number, prot: Protection | null, response: unknown): void {
    let out: Buffer;
    try {
      out = op.response.encode(response, { firstFullPointerId });
    } catch (e) {
      call.log.error({ err: describeError(e) }, 'response encoding failed');
      this.host.fault(call.callId, call.pContId, FAULT.nca_s_fault_unspec, false);
      return;
    }
    this.host.stats.callsOut++;
    this.host.respond(call.callId, call.pContId, out, prot);
  }

  private failed(call: ActiveCall, e: unknown): void {
    if (e instanceof RpcFault) {
      call.log.info({ status: `0x${e.status.toString(16)}`, reason: e.message }, 'call faulted');
      this.host.fault(call.callId, call.pContId, e.status, false);
    } else {
      call.log.error({ err: describeError(e), stack: e instanceof Error ? e.stack : undefined }, 'call failed');
      this.host.fault(call.callId, call.pContId, FAULT.nca_s_fault_unspec, false);
    }
  }
}
