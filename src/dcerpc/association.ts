// Association groups (C706 12.4, MS-RPCE 3.3.1.5.1 and 3.3.3.5.3.1): connections that share context handles.
import { randomInt } from 'node:crypto';
import { OcError } from '../util/errors.js';
import { NIL_GUID, randomGuid } from '../util/guid.js';
import { FAULT } from './constants.js';
import { RpcFault } from './interface.js';

/** An NDR context handle as the stub codecs carry it (C706 ndr_context_handle). */
export interface ContextHandle {
  attributes: number;
  uuid: string;
}

export const NULL_HANDLE: ContextHandle = Object.freeze({ attributes: 0, uuid: NIL_GUID });

interface HandleEntry {
  kind: string;
  value: unknown;
  rundown: (() => void) | undefined;
}

/** Server-side objects behind context handles, valid within one association group. */
export class HandleTable {
  private readonly entries = new Map<string, HandleEntry>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.entries.size;
  }

  create(kind: string, value: unknown, rundown?: () => void): ContextHandle {
    if (this.entries.size >= this.limit) {
      throw new RpcFault(FAULT.nca_s_fault_remote_no_memory, `context handle limit ${this.limit} reached`);
    }
    const uuid = randomGuid();
    this.entries.set(uuid, { kind, value, rundown });
    return { attributes: 0, uuid };
  }

  /** The object behind `h`, which must be of `kind`; otherwise a context-mismatch fault (C706 nca_s_fault_context_mismatch). */
  get<T>(h: ContextHandle, kind: string): T {
    const e = this.entries.get(h.uuid);
    if (!e || e.kind !== kind) throw new RpcFault(FAULT.nca_s_fault_context_mismatch, `unknown ${kind} context handle`);
    return e.value as T;
  }

  /** Removes the handle; returns false if it was not there. The rundown is not run (a close is orderly). */
  close(h: ContextHandle): boolean {
    return this.entries.delete(h.uuid);
  }

  /** Runs every rundown (the last connection of the group went away) and empties the table. */
  rundown(): void {
    for (const e of this.entries.values()) {
      try {
        e.rundown?.();
      } catch {
        // a rundown must not stop the others; owners log their own failures
      }
    }
    this.entries.clear();
  }
}

export class AssociationGroup {
  private connections = 0;
  readonly handles: HandleTable;

  constructor(
    readonly id: number,
    /** The client address that created it: only connections from the same address may join (MS-RPCE 3.3.1.5.1). */
    readonly peerKey: string,
    handleLimit: number,
  ) {
    this.handles = new HandleTable(handleLimit);
  }

  get connectionCount(): number {
    return this.connections;
  }

  attach(): void {
    this.connections++;
  }

  /** Returns true when this was the last connection. */
  detach(): boolean {
    this.connections--;
    return this.connections <= 0;
  }
}

export class AssociationGroups {
  private readonly groups = new Map<number, AssociationGroup>();

  constructor(
    private readonly maxGroups: number,
    private readonly handleLimit: number,
  ) {}

  get size(): number {
    return this.groups.size;
  }

  /** Creates a group with a fresh nonzero id. Throws OC_RPC_ASSOC_LIMIT when the configured maximum is reached. */
  create(peerKey: string): AssociationGroup {
    if (this.groups.size >= this.maxGroups) {
      throw new OcError('OC_RPC_ASSOC_LIMIT', `association group limit ${this.maxGroups} reached`);
    }
    let id: number;
    do id = randomInt(1, 0x7fffffff);
    while (this.groups.has(id));
    const g = new AssociationGroup(id, peerKey, this.handleLimit);
    this.groups.set(id, g);
    return g;
  }

  /** The existing group `id` if `peerKey` may join it, else null. */
  join(id: number, peerKey: string): AssociationGroup | null {
    const g = this.groups.get(id);
    if (!g || g.peerKey !== peerKey) return null;
    return g;
  }

  /** Called when a connection leaves; the group is run down and forgotten with its last connection. */
  release(g: AssociationGroup): void {
    if (g.detach()) {
      this.groups.delete(g.id);
      g.handles.rundown();
    }
  }
}
