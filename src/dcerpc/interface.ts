// Interfaces are tables (architecture rule 2): defineInterface({ uuid, version, ops }) and a generic dispatcher.
import type { Logger } from '../util/log.js';
import { OcError } from '../util/errors.js';
import { isGuid } from '../util/guid.js';
import { FAULT } from './constants.js';
import type { AssociationGroup } from './association.js';

/** What the runtime needs of a stub codec (an NDR params schema from src/ndr satisfies it). */
export interface StubCodec<T> {
  /** `firstFullPointerId`: where the response's [ptr] referent ids start (after the request's). */
  encode(value: T, opts?: { firstFullPointerId?: number }): Buffer;
  decode(stub: Uint8Array): T;
  /** When present, preferred: also reports the largest full-pointer id of the request. */
  decodeWithLength?(stub: Uint8Array): { value: T; length: number; maxFullPointerId: number };
}

export interface RpcUser {
  username: string;
  domain: string;
  workstation: string;
}

export interface ConnectionInfo {
  readonly cid: number;
  readonly transport: 'ncacn_ip_tcp' | 'ncacn_http';
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

export interface CallContext {
  readonly connection: ConnectionInfo;
  /** The authenticated user of the security context the request used, null when unauthenticated. */
  readonly user: RpcUser | null;
  readonly authType: number;
  readonly authLevel: number;
  readonly assocGroup: AssociationGroup;
  readonly objectUuid: string | null;
  readonly opnum: number;
  readonly log: Logger;
  /** Aborted on co_cancel, orphaned, or when the connection closes. */
  readonly signal: AbortSignal;
}

export interface OperationDef<Req, Res> {
  readonly name: string;
  readonly request: StubCodec<Req>;
  readonly response: StubCodec<Res>;
  handle(req: Req, call: CallContext): Res | Promise<Res>;
}

export interface InterfaceDef {
  readonly name: string;
  readonly uuid: string;
  readonly version: { readonly major: number; readonly minor: number };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly ops: Readonly<Record<number, OperationDef<any, any>>>;
  /** Least authentication level a call needs (AUTHN_LEVEL); calls below it get an access-denied fault. */
  readonly minAuthLevel: number;
}

/** Typed helper so an operation's handler infers its request/response types from the codecs. */
export function op<Req, Res>(def: OperationDef<Req, Res>): OperationDef<Req, Res> {
  return def;
}

export function defineInterface(def: {
  name: string;
  uuid: string;
  version: { major: number; minor: number };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ops: Record<number, OperationDef<any, any>>;
  minAuthLevel?: number;
}): InterfaceDef {
  if (!isGuid(def.uuid)) throw new OcError('OC_RPC_BAD_INTERFACE', `interface ${def.name}: bad uuid ${def.uuid}`);
  for (const k of Object.keys(def.ops)) {
    const n = Number(k);
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new OcError('OC_RPC_BAD_INTERFACE', `interface ${def.name}: bad opnum ${k}`);
  }
  return Object.freeze({
    name: def.name,
    uuid: def.uuid.toLowerCase(),
    version: Object.freeze({ ...def.version }),
    ops: Object.freeze({ ...def.ops }),
    minAuthLevel: def.minAuthLevel ?? 0,
  });
}

/** Thrown by a handler to answer with a specific fault status (a wire value from FAULT or an interface's table). */
export class RpcFault extends OcError {
  constructor(
    readonly status: number,
    message?: string,
  ) {
    super('OC_RPC_FAULT', message ?? `fault 0x${status.toString(16).padStart(8, '0')}`);
  }
}

export class InterfaceRegistry {
  private readonly byUuid = new Map<string, InterfaceDef[]>();
  private all: InterfaceDef[] | null = null;

  register(def: InterfaceDef): void {
    const list = this.byUuid.get(def.uuid) ?? [];
    if (list.some((d) => d.version.major === def.version.major)) {
      throw new OcError('OC_RPC_DUPLICATE_INTERFACE', `interface ${def.uuid} v${def.version.major} registered twice`);
    }
    list.push(def);
    this.byUuid.set(def.uuid, list);
    this.all = null;
  }

  /** C706 12.6.3.1: the major versions must match and ours must be at least the client's minor version. */
  find(uuid: string, major: number, minor: number): InterfaceDef | null {
    const list = this.byUuid.get(uuid.toLowerCase());
    if (!list) return null;
    return list.find((d) => d.version.major === major && d.version.minor >= minor) ?? null;
  }

  /** Every registered interface (a shared array: do not modify). */
  list(): readonly InterfaceDef[] {
    return (this.all ??= [...this.byUuid.values()].flat());
  }
}

export const CONTEXT_MISMATCH = FAULT.nca_s_fault_context_mismatch;
