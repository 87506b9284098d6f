// MS-OXCROPS 1.3.1 / 2.2.1 / 3.1.4: the server object handle table of one EMSMDB session. Handle values are u32s
// handed out increasing (never 0xFFFFFFFF, which the ServerObjectHandleTable uses for "no object"); lookup is one
// Map access. An object's children (objects whose `parent` it is) are released with it (RopRelease on a folder
// releases the tables and messages opened from it; releasing a logon releases everything under it).
import type { ServerObject } from './types.js';

/** MS-OXCROPS 2.2.1: the ServerObjectHandleTable value meaning "no object". */
export const NO_HANDLE = 0xffffffff;

interface Slot {
  readonly handle: number;
  readonly obj: ServerObject;
  /** Handles of the objects whose parent is this one (insertion order = creation order). */
  children: Set<number> | null;
}

export class RopHandleTable {
  private readonly slots = new Map<number, Slot>();
  private readonly byObject = new Map<ServerObject, number>();
  private next = 1;

  constructor(readonly maxObjects: number) {}

  get size(): number {
    return this.slots.size;
  }

  get full(): boolean {
    return this.slots.size >= this.maxObjects;
  }

  /**
   * Binds `obj` to a new handle; null when the table holds maxObjects already. The object's parent, when it has a
   * handle here, gets it as a child.
   */
  add(obj: ServerObject): number | null {
    if (this.full) return null;
    const existing = this.byObject.get(obj);
    if (existing !== undefined) return existing;
    let h = this.next;
    // skip 0xFFFFFFFF and, after wrapping, values still in use (a session would need 4 billion objects to get here)
    while (h === NO_HANDLE || h === 0 || this.slots.has(h)) h = (h + 1) >>> 0;
    this.next = (h + 1) >>> 0;
    this.slots.set(h, { handle: h, obj, children: null });
    this.byObject.set(obj, h);
    if (obj.parent) {
      const ph = this.byObject.get(obj.parent);
      if (ph !== undefined) {
        const p = this.slots.get(ph)!;
        (p.children ??= new Set()).add(h);
      }
    }
    return h;
  }

  get(handle: number): ServerObject | undefined {
    return this.slots.get(handle)?.obj;
  }

  handleOf(obj: ServerObject): number | undefined {
    return this.byObject.get(obj);
  }

  /**
   * Frees `handle` and, first, its children (depth first); each object's dispose runs once. Returns the objects
   * released (children before parents), empty when the handle was not in use.
   */
  release(handle: number): ServerObject[] {
    const out: ServerObject[] = [];
    const slot = this.slots.get(handle);
    if (!slot) return out;
    // iterative post-order walk: no recursion depth limit for long parent chains
    const stack: Array<{ slot: Slot; expanded: boolean }> = [{ slot, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (!top.expanded && top.slot.children && top.slot.children.size > 0) {
        top.expanded = true;
        for (const ch of top.slot.children) {
          const c = this.slots.get(ch);
          if (c) stack.push({ slot: c, expanded: false });
        }
        continue;
      }
      stack.pop();
      if (!this.slots.has(top.slot.handle)) continue;
      this.slots.delete(top.slot.handle);
      this.byObject.delete(top.slot.obj);
      out.push(top.slot.obj);
    }
    // unlink from the parent
    const parent = slot.obj.parent ? this.byObject.get(slot.obj.parent) : undefined;
    if (parent !== undefined) this.slots.get(parent)?.children?.delete(handle);
    for (const o of out) disposeQuietly(o);
    return out;
  }

  /** Releases everything (the session ended). */
  clear(): void {
    const all = [...this.slots.values()].map((s) => s.obj);
    this.slots.clear();
    this.byObject.clear();
    for (const o of all.reverse()) disposeQuietly(o);
  }
}

function disposeQuietly(o: ServerObject): void {
  try {
    o.dispose?.();
  } catch {
    // dispose belongs to the handler that created the object; it logs its own failures
  }
}
