// MS-OXCNOTIF 2.2.1.4.1 / 3.1.5: pending notifications of a session and how they leave it. A subscription (the
// RopRegisterNotification object, or a table) turns a store event (src/mapistore/events.ts) into NotificationData
// and queues it on the session's sink with the server object it belongs to; the EMSMDB layer drains the queue into
// RopNotify responses appended to an EcDoRpcExt2 ROP output buffer, and a RopPending when not everything fits.
//
// Choices where the spec leaves room:
// - a queued notification names its server object, not a handle: the handle is looked up when the RopNotify is
//   written (MS-OXCNOTIF 3.2.5.7: the client ignores unknown handles; a notification of an object released in the
//   meantime is dropped instead of being sent);
// - RopNotify and RopPending go after the ROP responses and before the ServerObjectHandleTable (MS-OXCROPS 2.2.14:
//   they are ROP responses of the output buffer, MS-OXCNOTIF 3.1.5.6/3.1.5.7); none are added after a
//   RopBufferTooSmall (the client retries the whole buffer first);
// - T and U counts are sent on folder ObjectModified events only (as in the MS-OXCNOTIF section 4 examples); the
//   tags of a change the store did not list go out as an empty TagCount.
import type { MailboxEvent, MailboxEventType } from '../../mapistore/events.js';
import { RopWriter } from '../../mapi/buffer.js';
import { NotificationFlag, NotificationType, type NotificationData } from '../codec/notification-data.js';
import { RopNotify } from '../codec/RopNotify.js';
import { RopPending } from '../codec/RopPending.js';
import type { RopContext, ServerObject } from '../types.js';

/** One pending RopNotify: the object it is for (its handle is the NotificationHandle), its LogonId and its body. */
export interface QueuedNotification {
  target: ServerObject;
  logonId: number;
  data: NotificationData;
}

/** What a session offers the notification handlers (EmsmdbSession.notify; structural, src/rop knows no EMSMDB). */
export interface NotificationSink {
  notify(n: QueuedNotification): void;
}

/** The sink of a ROP call's session, or undefined when the session cannot take notifications (a bare test runner). */
export function sinkOf(ctx: Pick<RopContext, 'session'>): NotificationSink | undefined {
  const s = ctx.session as { notify?: unknown } | null | undefined;
  return s && typeof s === 'object' && typeof s.notify === 'function' ? (s as NotificationSink) : undefined;
}

/** MS-OXCNOTIF 2.2.1.2.1 NotificationTypes bit of each event kind (the low byte of NotificationFlags). */
export const EVENT_BIT: Record<MailboxEventType, number> = {
  newMail: NotificationType.NewMail,
  objectCreated: NotificationType.ObjectCreated,
  objectDeleted: NotificationType.ObjectDeleted,
  objectModified: NotificationType.ObjectModified,
  objectMoved: NotificationType.ObjectMoved,
  objectCopied: NotificationType.ObjectCopied,
  searchComplete: NotificationType.SearchComplete,
};

/** MS-OXCNOTIF 2.2.1.4.1.2: the NotificationData of a store event. */
export function notificationDataOf(ev: MailboxEvent): NotificationData {
  // SearchComplete is about the search folder only (MS-OXCNOTIF 2.2.1.4.1.2: no MessageID)
  const message = ev.mid !== undefined && ev.type !== 'searchComplete';
  let flags = EVENT_BIT[ev.type] | (message ? NotificationFlag.M : 0);
  const d: NotificationData = { NotificationFlags: 0, FolderID: ev.fid };
  if (message) d.MessageID = ev.mid;
  switch (ev.type) {
    case 'newMail':
      d.MessageFlags = ev.messageFlags ?? 0;
      d.UnicodeFlag = 1;
      d.MessageClass = ev.messageClass ?? 'IPM.Note';
      break;
    case 'objectCreated':
    case 'objectDeleted':
      if (!message) d.ParentFolderID = ev.parentFid ?? 0n;
      if (ev.type === 'objectCreated') d.Tags = ev.tags ? [...ev.tags] : [];
      break;
    case 'objectModified':
      d.Tags = ev.tags ? [...ev.tags] : [];
      if (!message && ev.totalCount !== undefined) {
        flags |= NotificationFlag.T;
        d.TotalMessageCount = ev.totalCount;
      }
      if (!message && ev.unreadCount !== undefined) {
        flags |= NotificationFlag.U;
        d.UnreadMessageCount = ev.unreadCount;
      }
      break;
    case 'objectMoved':
    case 'objectCopied':
      if (message) {
        d.OldFolderID = ev.oldFid ?? 0n;
        d.OldMessageID = ev.oldMid ?? 0n;
      } else {
        d.ParentFolderID = ev.parentFid ?? 0n;
        d.OldFolderID = ev.oldFid ?? ev.fid;
        d.OldParentFolderID = ev.oldParentFid ?? 0n;
      }
      break;
    case 'searchComplete':
      break;
  }
  d.NotificationFlags = flags;
  return d;
}

/** The ROP output bytes of one RopNotify. */
export function encodeRopNotify(handle: number, logonId: number, data: NotificationData, codePage: number): Buffer {
  const w = new RopWriter(64);
  const res = { RopId: RopNotify.RopId, HandleIndex: 0, ReturnValue: 0, NotificationHandle: handle, LogonId: logonId, NotificationData: data };
  RopNotify.encodeResponse(w, res, { codePage }, { RopId: RopNotify.RopId, LogonId: logonId, InputHandleIndex: 0 });
  return Buffer.from(w.result());
}

/** MS-OXCROPS 2.2.14.3 RopPending: RopId + SessionIndex. */
export const ROP_PENDING_SIZE = 3;

export function encodeRopPending(sessionIndex: number): Buffer {
  const w = new RopWriter(4);
  RopPending.encodeResponse(w, { RopId: RopPending.RopId, HandleIndex: 0, ReturnValue: 0, SessionIndex: sessionIndex & 0xffff }, { codePage: 1252 }, {
    RopId: RopPending.RopId,
    LogonId: 0,
    InputHandleIndex: 0,
  });
  return Buffer.from(w.result());
}

export interface AppendOptions {
  /** Bytes the output payload may grow by. */
  room: number;
  /** The handle of an object of the session (undefined: released, the notification is dropped). */
  handleOf(o: ServerObject): number | undefined;
  /** RopPending's SessionIndex (the session's icxr). */
  sessionIndex: number;
  codePage: number;
}

export interface AppendResult {
  /** The payload with the RopNotify (and RopPending) responses inserted before the handle table. */
  output: Buffer;
  /** Notifications written. */
  sent: number;
  /** Notifications that did not fit, in order (to queue again). */
  rest: QueuedNotification[];
  /** Notifications dropped (their object is gone, or the data did not encode). */
  dropped: number;
  pending: boolean;
}

/**
 * MS-OXCNOTIF 3.1.5.6 / 3.1.5.7: writes as many RopNotify responses as `room` allows into a ROP output payload
 * (RopSize, responses, handle table), then a RopPending when some are left and it fits.
 */
export function appendNotifications(payload: Buffer, queued: readonly QueuedNotification[], o: AppendOptions): AppendResult {
  const ropSize = payload.readUInt16LE(0);
  const parts: Buffer[] = [];
  let used = 0;
  let sent = 0;
  let dropped = 0;
  let i = 0;
  for (; i < queued.length; i++) {
    const q = queued[i]!;
    const h = o.handleOf(q.target);
    if (h === undefined) {
      dropped++;
      continue;
    }
    let b: Buffer;
    try {
      b = encodeRopNotify(h, q.logonId, q.data, o.codePage);
    } catch {
      dropped++;
      continue;
    }
    // keep room for a RopPending while more may follow
    const reserve = i + 1 < queued.length ? ROP_PENDING_SIZE : 0;
    if (used + b.length + reserve > o.room || ropSize + used + b.length > 0xffff) break;
    parts.push(b);
    used += b.length;
    sent++;
  }
  const rest = queued.slice(i);
  let pending = false;
  if (rest.length > 0 && used + ROP_PENDING_SIZE <= o.room && ropSize + used + ROP_PENDING_SIZE <= 0xffff) {
    parts.push(encodeRopPending(o.sessionIndex));
    used += ROP_PENDING_SIZE;
    pending = true;
  }
  if (used === 0) return { output: payload, sent, rest, dropped, pending };
  const out = Buffer.alloc(payload.length + used);
  payload.copy(out, 0, 0, ropSize);
  let off = ropSize;
  for (const b of parts) {
    b.copy(out, off);
    off += b.length;
  }
  payload.copy(out, off, ropSize);
  out.writeUInt16LE(ropSize + used, 0);
  return { output: out, sent, rest, dropped, pending };
}

/** Whether a queue entry is a notification (EmsmdbSession.notify() without one only wakes the waiter). */
export function isQueuedNotification(x: unknown): x is QueuedNotification {
  const q = x as Partial<QueuedNotification> | null;
  return q !== null && typeof q === 'object' && typeof q.target === 'object' && q.target !== null && typeof q.logonId === 'number' && typeof q.data === 'object';
}
