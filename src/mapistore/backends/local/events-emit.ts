// Change events of the embedded backend (src/mapistore/events.ts; MS-OXCNOTIF 2.2.1.4.1 notification types): one
// call per committed change, made by mailbox.ts / messages.ts / objects.ts right after their write() transaction
// returns, inside the mailbox's serial chain (so events reach listeners in commit order).
//
// Choices where the spec leaves room (MS-OXCNOTIF 3.1.5.x says what a server SHOULD report, not how much):
// - a message change also reports the folder holding it as ObjectModified with its total and unread counts (what
//   the MAPI store guidance calls a change of the computed PidTagContentCount/PidTagContentUnreadCount), so that
//   hierarchy tables and folder subscriptions see the counts move;
// - a moved or copied message is one ObjectMoved / ObjectCopied event (no ObjectDeleted + ObjectCreated pair);
// - emptying a folder is one ObjectModified of the folder (the messages' IDs are not listed one by one) and an
//   ObjectDeleted per subfolder removed;
// - deleting a folder tree reports the top folder only;
// - emission never fails a change: the bus catches listener errors, and a failure while building the event (a
//   closed database) is logged here and dropped.
import { eidGlobcnt } from '../../../mapi/ids.js';
import { silentLogger, type Logger } from '../../../util/log.js';
import type { MailboxEvent } from '../../events.js';
import { TAG } from '../../tags.js';
import { notFound } from '../../errors.js';
import { messageProps } from './computed.js';
import { eid, g2n } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';
import type { MessageRow } from './schema.js';

let log: Logger = silentLogger();

/** Where failures of emission and of listeners are logged (the server sets its logger once). */
export function setEventLogger(l: Logger): void {
  log = l;
}

/** MailboxEvents' onError: a listener threw; the change stands, the other listeners ran. */
export function listenerFailed(err: unknown, ev: MailboxEvent): void {
  log.warn({ err: err instanceof Error ? err.message : String(err), event: ev.type }, 'mailbox event listener failed');
}

function safe(mb: LocalMailbox, what: string, fn: () => void): void {
  // nobody listens: no counts to compute
  if (mb.events.size === 0) return;
  try {
    fn();
  } catch (e) {
    log.warn({ err: e instanceof Error ? e.message : String(e), what }, 'mailbox event not emitted');
  }
}

const num = (id: bigint): number => g2n(eidGlobcnt(id));

/** Total and unread counts of the normal (non-FAI) messages of a folder. */
export function folderCounts(mb: LocalMailbox, fid: bigint): { totalCount: number; unreadCount: number } {
  const rows = mb.st.counts.all(num(fid)) as { assoc: number; n: number; unread: number | null }[];
  const r = rows.find((x) => x.assoc === 0);
  return { totalCount: r?.n ?? 0, unreadCount: r?.unread ?? 0 };
}

function parentOf(mb: LocalMailbox, fid: bigint): bigint | undefined {
  const p = mb.folderKey(fid).parent;
  return p === null ? undefined : eid(p);
}

function folderModifiedEvent(mb: LocalMailbox, fid: bigint, tags?: readonly number[], counts = folderCounts(mb, fid)): MailboxEvent {
  const parentFid = parentOf(mb, fid);
  return { type: 'objectModified', fid, ...(parentFid !== undefined ? { parentFid } : {}), ...(tags ? { tags } : {}), ...counts };
}

/** The counts of a folder changed (a message came, went, or changed its read state); `counts` when just read. */
function countsChanged(mb: LocalMailbox, fid: bigint, counts?: { totalCount: number; unreadCount: number }): void {
  mb.events.emit(folderModifiedEvent(mb, fid, [TAG.ContentCount, TAG.ContentUnreadCount], counts));
}

// ---------------------------------------------------------------- folders

export function folderCreated(mb: LocalMailbox, fid: bigint, parentFid: bigint): void {
  safe(mb, 'folderCreated', () => mb.events.emit({ type: 'objectCreated', fid, parentFid, ...folderCounts(mb, fid) }));
}

export function folderModified(mb: LocalMailbox, fid: bigint, tags?: readonly number[]): void {
  safe(mb, 'folderModified', () => mb.events.emit(folderModifiedEvent(mb, fid, tags)));
}

/** Call with the deleted folder's former parent (the row is gone). */
export function folderDeleted(mb: LocalMailbox, fid: bigint, parentFid: bigint | null): void {
  safe(mb, 'folderDeleted', () => mb.events.emit({ type: 'objectDeleted', fid, ...(parentFid !== null ? { parentFid } : {}) }));
}

export function folderMoved(mb: LocalMailbox, fid: bigint, parentFid: bigint, oldParentFid: bigint | null): void {
  safe(mb, 'folderMoved', () =>
    mb.events.emit({ type: 'objectMoved', fid, parentFid, oldFid: fid, ...(oldParentFid !== null ? { oldParentFid } : {}), ...folderCounts(mb, fid) }),
  );
}

export function folderCopied(mb: LocalMailbox, newFid: bigint, parentFid: bigint, oldFid: bigint): void {
  safe(mb, 'folderCopied', () => {
    const oldParentFid = parentOf(mb, oldFid);
    mb.events.emit({ type: 'objectCopied', fid: newFid, parentFid, oldFid, ...(oldParentFid !== undefined ? { oldParentFid } : {}), ...folderCounts(mb, newFid) });
  });
}

// ---------------------------------------------------------------- messages

export function messageCreated(mb: LocalMailbox, fid: bigint, mid: bigint, associated: boolean): void {
  safe(mb, 'messageCreated', () => {
    const counts = folderCounts(mb, fid);
    mb.events.emit({ type: 'objectCreated', fid, mid, associated, ...counts });
    // one read of the counts for both events: nothing a listener does synchronously changes this folder's messages
    // (a message write it starts waits for the mailbox's serial chain)
    if (!associated) countsChanged(mb, fid, counts);
  });
}

export function messagesCreated(mb: LocalMailbox, fid: bigint, mids: readonly bigint[], associated: (i: number) => boolean): void {
  safe(mb, 'messagesCreated', () => {
    const counts = folderCounts(mb, fid);
    mids.forEach((mid, i) => mb.events.emit({ type: 'objectCreated', fid, mid, associated: associated(i), ...counts }));
    if (mids.length > 0) countsChanged(mb, fid, counts);
  });
}

/** A saved message (MessageObject.save): created when it had no MID before, else modified. */
export function messageSaved(mb: LocalMailbox, fid: bigint, mid: bigint, created: boolean, associated: boolean): void {
  if (created) messageCreated(mb, fid, mid, associated);
  else messageModified(mb, fid, mid, undefined, associated);
}

export function messageModified(mb: LocalMailbox, fid: bigint, mid: bigint, tags?: readonly number[], associated?: boolean): void {
  safe(mb, 'messageModified', () => {
    const assoc = associated ?? mb.messageRow(mid).assoc !== 0;
    mb.events.emit({ type: 'objectModified', fid, mid, associated: assoc, ...(tags ? { tags } : {}), ...folderCounts(mb, fid) });
    // the read state may have changed with the properties
    if (!assoc) countsChanged(mb, fid);
  });
}

/** `rows`: the messages as they were before the delete. */
export function messagesDeleted(mb: LocalMailbox, fid: bigint, rows: readonly MessageRow[]): void {
  safe(mb, 'messagesDeleted', () => {
    const counts = folderCounts(mb, fid);
    for (const r of rows) mb.events.emit({ type: 'objectDeleted', fid, mid: eid(r.mid), associated: r.assoc !== 0, ...counts });
    if (rows.length > 0) countsChanged(mb, fid);
  });
}

/** `ids`: source MID -> MID in the destination (the same MID for a move). */
export function messagesMovedCopied(mb: LocalMailbox, src: bigint, dst: bigint, ids: ReadonlyMap<bigint, bigint>, copy: boolean): void {
  safe(mb, 'messagesMovedCopied', () => {
    if (!copy && src === dst) return;
    const counts = folderCounts(mb, dst);
    for (const [oldMid, mid] of ids) {
      const assoc = mb.messageRow(mid).assoc !== 0;
      mb.events.emit({ type: copy ? 'objectCopied' : 'objectMoved', fid: dst, mid, oldFid: src, oldMid, associated: assoc, ...counts });
    }
    if (ids.size === 0) return;
    countsChanged(mb, dst);
    if (!copy) countsChanged(mb, src);
  });
}

export function readFlagsChanged(mb: LocalMailbox, fid: bigint, mids: readonly bigint[]): void {
  safe(mb, 'readFlagsChanged', () => {
    const counts = folderCounts(mb, fid);
    for (const mid of mids) mb.events.emit({ type: 'objectModified', fid, mid, associated: false, tags: [TAG.MessageFlags, TAG.Read], ...counts });
    if (mids.length > 0) countsChanged(mb, fid);
  });
}

/** The messages of a folder, and the subfolders that could go, went at once (emptyFolder); `kids`: its subfolders before. */
export function folderEmptied(mb: LocalMailbox, fid: bigint, kids: readonly bigint[]): void {
  safe(mb, 'folderEmptied', () => {
    for (const k of kids) if (mb.st.folder.get(num(k)) === undefined) mb.events.emit({ type: 'objectDeleted', fid: k, parentFid: fid });
    countsChanged(mb, fid);
  });
}

/**
 * MS-OXCNOTIF 2.2.1.4.1.2 NewMail: a message was delivered to `fid` (the delivery code calls this after saving the
 * message, which already reported ObjectCreated). MessageClass and MessageFlags come from the stored message.
 */
export function newMail(mb: LocalMailbox, fid: bigint, mid: bigint): void {
  const r = mb.messageRow(mid);
  if (r.fid !== num(fid)) throw notFound('message', mid);
  safe(mb, 'newMail', () => {
    const got = messageProps(mb.pctx, r);
    mb.events.emit({
      type: 'newMail',
      fid,
      mid,
      messageClass: typeof got.get(TAG.MessageClass) === 'string' ? (got.get(TAG.MessageClass) as string) : 'IPM.Note',
      messageFlags: typeof got.get(TAG.MessageFlags) === 'number' ? (got.get(TAG.MessageFlags) as number) : 0,
      ...folderCounts(mb, fid),
    });
  });
}
