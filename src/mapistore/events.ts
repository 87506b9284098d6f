// Change events of one mailbox (MS-OXCNOTIF 2.2.1.4 notification types as the store sees them). The backend emits
// one event per committed change; every session of the mailbox (notifications), the search-folder maintainer and the
// rules engine listen. Events carry IDs, never property values: a listener reads what it needs from the store.
// Listeners run synchronously right after the commit; a listener that throws is logged by the emitter and the
// others still run (a bad listener never fails the change that was already stored).

/** MS-OXCNOTIF 2.2.1.4.1 NotificationType bits, as the event kinds. */
export type MailboxEventType =
  | 'newMail'
  | 'objectCreated'
  | 'objectDeleted'
  | 'objectModified'
  | 'objectMoved'
  | 'objectCopied'
  | 'searchComplete';

export interface MailboxEvent {
  type: MailboxEventType;
  /** The folder the event is about (a folder event), or the folder holding the message (a message event). */
  fid: bigint;
  /** The message, for message events; absent for folder events. */
  mid?: bigint;
  /** The parent folder of a folder event. */
  parentFid?: bigint;
  /** objectMoved / objectCopied: where the object was before (for copies: the source). */
  oldFid?: bigint;
  oldMid?: bigint;
  oldParentFid?: bigint;
  /** FAI (folder-associated) message. */
  associated?: boolean;
  /** newMail: PidTagMessageClass and PidTagMessageFlags of the delivered message (MS-OXCNOTIF 2.2.1.4.1.2). */
  messageClass?: string;
  messageFlags?: number;
  /** objectModified: the property tags that changed, when known. */
  tags?: readonly number[];
  /** Total and unread message counts of `fid` after the change (folder modified events and table rows). */
  totalCount?: number;
  unreadCount?: number;
}

/**
 * `tags` of a folder's ObjectModified when its permissions list or its rules changed (nothing else of the folder
 * did): the folder's table-valued properties PidTagAccessControlListTable (PR_ACL_TABLE, 0x3FE0 PT_OBJECT) and
 * PidTagRulesTable (PR_RULES_TABLE, 0x3FE1 PT_OBJECT). Open permissions / rules tables read their rows again on them,
 * hierarchy tables over the folder's parent too (a delegate's view of the folder may have changed).
 */
export const FOLDER_TABLE_TAG = { permissions: 0x3fe0000d, rules: 0x3fe1000d } as const;

export type MailboxListener = (ev: MailboxEvent) => void;

/** A mailbox's event bus (one per open MailboxStore, shared by every session of the mailbox). */
export class MailboxEvents {
  private readonly listeners = new Set<MailboxListener>();
  constructor(private readonly onError: (err: unknown, ev: MailboxEvent) => void = () => {}) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(fn: MailboxListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(ev: MailboxEvent): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(ev);
      } catch (e) {
        this.onError(e, ev);
      }
    }
  }
}
