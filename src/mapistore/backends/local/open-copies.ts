// The open copies of the embedded backend's message objects (objects.ts): the root draft of each top-level copy,
// which owns the staged blobs of the copy, and per mailbox the open copies that refer to stored blobs, so that a save
// dropping a blob another open copy still needs hands the blob over to that copy instead.
import type { LocalMailbox } from './mailbox.js';
import { blobIds, type MsgNode } from './message-content.js';

/** The root draft of a top-level message: owns the staged blobs of it and everything below it. */
export interface Root { mb: LocalMailbox; staged: Set<number>; top?: MsgNode; ref?: WeakRef<Root> }

/**
 * The open top-level message copies of each mailbox that refer to stored blobs (weakly held), so that a save does not
 * drop a blob another open copy still refers to: RopSaveChangesMessage ForceSave on that copy must still find its
 * values (MS-OXCMSG 3.2.5.3). Such a blob goes back to staged (state 0) and belongs to that copy: its save stores
 * it, its discard drops it.
 * Only copies with a blob are tracked (opened with one, or saved with one): a weak reference keeps its target through
 * V8's minor GCs, so tracking every copy kept the converted values of a mirror's thousands of imported messages
 * alive into the old generation (measured: ~100 MB more promoted per 10,000 messages).
 */
const openRoots = new WeakMap<LocalMailbox, Set<WeakRef<Root>>>();

/** Sizes of openRoots sets at which their dead entries (copies dropped without discard) are swept out. */
const sweepAt = new WeakMap<Set<WeakRef<Root>>, number>();
const SWEEP_MIN = 256;

export function newRoot(mb: LocalMailbox, top: MsgNode): Root {
  const root: Root = { mb, staged: new Set(), top };
  if (blobIds(top).size > 0) track(root);
  return root;
}

/** Tracks `root` in openRoots (once). */
export function track(root: Root): void {
  if (root.ref) return;
  let set = openRoots.get(root.mb);
  if (!set) openRoots.set(root.mb, (set = new Set()));
  root.ref = new WeakRef(root);
  set.add(root.ref);
  // a discarded copy leaves the set (closeRoot); one dropped without a discard leaves it here, when the set has
  // doubled since the last sweep, so that a long-running mailbox does not collect one entry per copy ever opened
  if (set.size >= (sweepAt.get(set) ?? SWEEP_MIN)) {
    for (const ref of set) if (!ref.deref()?.top) set.delete(ref);
    sweepAt.set(set, Math.max(SWEEP_MIN, 2 * set.size));
  }
}

/** How many open copies mailbox `mb` tracks (tests: discarded copies are not kept). */
export function trackedOpenCopies(mb: LocalMailbox): number {
  return openRoots.get(mb)?.size ?? 0;
}

/** Another open copy of the mailbox whose working copy refers to blob `id`. */
export function holderOf(mb: LocalMailbox, self: Root, id: number): Root | undefined {
  const set = openRoots.get(mb);
  if (!set) return undefined;
  for (const ref of set) {
    const r = ref.deref();
    if (!r || !r.top) {
      set.delete(ref);
      continue;
    }
    if (r !== self && blobIds(r.top).has(id)) return r;
  }
  return undefined;
}

export function closeRoot(root: Root): void {
  root.top = undefined;
  if (root.ref) openRoots.get(root.mb)?.delete(root.ref);
}
