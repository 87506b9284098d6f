// MS-OXCNOTIF 3.1.4.1 / MS-OXCROPS 2.2.14.1 RopRegisterNotification: a notification subscription object that
// listens to the mailbox's change events (src/mapistore/events.ts; one bus per mailbox, so changes made through any
// session of the mailbox reach it) and queues a RopNotify for each event it matches on the session that registered
// (notif-queue.ts). Releasing the object (RopRelease, its logon, or the session ending) unsubscribes.
//
// Choices where the spec leaves room:
// - the input object is the logon (a folder handle of the same logon is accepted as well);
// - WantWholeStore != 0: every event of the mailbox; otherwise MessageId != 0 subscribes to that message (events
//   whose MessageID or OldMessageID is it) and MessageId == 0 to the folder: events about the folder itself and
//   about the messages in it (FolderID or OldFolderID is the folder), not about its subfolders (as the MAPI store
//   guidance has it: subfolders are reported to the store);
// - a FolderId or MessageId that does not exist is ecNotFound; NotificationTypes bits outside 0x02-0x80 are ignored;
// - a session without a notification queue (a bare test runner) gets the object and nothing queued.
import type { MailboxEvent } from '../../mapistore/events.js';
import type { Logger } from '../../util/log.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult, ServerObject } from '../types.js';
import { EVENT_BIT, notificationDataOf, sinkOf, type NotificationSink } from './notif-queue.js';
import { checkedLogon, guard, type LogonObject, type MailboxHandlerDeps } from './objects.js';

/** MS-OXCROPS 2.2.14.1 RopRegisterNotification. */
export const ROP_REGISTER_NOTIFICATION = 0x29;

/** The request as the codec (src/rop/codec/RopRegisterNotification.ts) decodes it. */
export interface RopRegisterNotificationRequest extends RopRequestHeader {
  NotificationTypes: number;
  Reserved: number;
  WantWholeStore: number;
  FolderId?: bigint;
  MessageId?: bigint;
}

export type NotificationScope = { kind: 'store' } | { kind: 'folder'; fid: bigint } | { kind: 'message'; fid: bigint; mid: bigint };

/** Whether a subscription with `types` (NotificationTypes bits) and `scope` wants `ev`. */
export function subscriptionMatches(types: number, scope: NotificationScope, ev: MailboxEvent): boolean {
  if ((EVENT_BIT[ev.type] & types) === 0) return false;
  switch (scope.kind) {
    case 'store':
      return true;
    case 'folder':
      return ev.fid === scope.fid || ev.oldFid === scope.fid;
    case 'message':
      return ev.mid === scope.mid || ev.oldMid === scope.mid;
  }
}

export class NotificationObject implements ServerObject {
  readonly kind = 'notification' as const;
  private unsubscribe: (() => void) | null;

  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly logon: LogonObject,
    readonly types: number,
    readonly scope: NotificationScope,
    sink: NotificationSink | undefined,
    log: Logger,
  ) {
    this.unsubscribe = sink
      ? logon.store.events.subscribe((ev) => {
          if (!subscriptionMatches(this.types, this.scope, ev)) return;
          try {
            sink.notify({ target: this, logonId: this.logonId, data: notificationDataOf(ev) });
          } catch (e) {
            log.warn({ err: e instanceof Error ? e.message : String(e), event: ev.type }, 'notification not queued');
          }
        })
      : null;
  }

  get active(): boolean {
    return this.unsubscribe !== null;
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

async function register(req: RopRegisterNotificationRequest, ctx: RopContext, log: Logger): Promise<RopResult<Record<string, never>>> {
  const logon = checkedLogon(req, ctx);
  if (!logon) return { ec: ec.NullObject };
  let scope: NotificationScope;
  if (req.WantWholeStore !== 0) scope = { kind: 'store' };
  else {
    const fid = req.FolderId ?? 0n;
    const mid = req.MessageId ?? 0n;
    if (mid !== 0n) {
      if ((await logon.store.folderOfMessage(mid)) === null) return { ec: ec.NotFound };
      scope = { kind: 'message', fid, mid };
    } else {
      if (!(await logon.store.folderExists(fid))) return { ec: ec.NotFound };
      scope = { kind: 'folder', fid };
    }
  }
  const obj = new NotificationObject(req.LogonId, logon, logon, req.NotificationTypes, scope, sinkOf(ctx), log);
  return { ec: ec.Success, created: obj, response: {} };
}

export function createNotificationHandlers(deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();
  m.set(ROP_REGISTER_NOTIFICATION, {
    inputKinds: ['logon', 'folder'],
    handle: (req: RopRegisterNotificationRequest, ctx: RopContext) => guard(ctx, () => register(req, ctx, deps.log)),
  });
  return m;
}
