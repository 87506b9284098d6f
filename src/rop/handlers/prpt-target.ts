// The one place where a server object becomes the store calls that read and write its properties (MS-OXCPRPT 1.3:
// logon, folder, message and attachment objects). Message and attachment objects of the MS-OXCMSG handlers
// (MessageServerObject, AttachmentServerObject) are served by their store MessageObject / AttachmentObject: reads
// see the object's working copy, writes change it and are stored by RopSaveChangesMessage (MS-OXCMSG 3.2.5.3); a
// value kept as a blob (larger than the store's inline limit) reads as NotEnoughMemory (MS-OXCPRPT 3.2.5.1: the
// client then opens a stream). Any other object of kind 'message' with a `mid` and a `logon` is served by the
// store's minimal mid-based message calls.
import type { PropValue, TaggedValue } from '../../mapi/props.js';
import type { MailboxStore, PropResult, PropertyProblem } from '../../mapistore/types.js';
import type { ServerObject } from '../types.js';
import { AttachmentServerObject, FolderObject, LogonObject, MessageServerObject } from './objects.js';
import { delegateDenied, delegateFolderTarget } from './oxcperm.js';
import type { PropObject } from '../../mapistore/types.js';

export interface PropTarget {
  readonly kind: 'logon' | 'folder' | 'message' | 'attachment';
  readonly store: MailboxStore;
  /** Values for `tags` in order (a missing one as { tag: PT_ERROR tag, error }), or every property without tags. */
  get(tags?: readonly number[]): Promise<PropResult[]>;
  list(): Promise<number[]>;
  set(values: readonly TaggedValue[]): Promise<PropertyProblem[]>;
  delete(tags: readonly number[]): Promise<PropertyProblem[]>;
  /** Folder id (folders) for copy semantics. */
  readonly fid?: bigint;
}

/** A message object as the message handlers will define it (structural, so this module needs no import of them). */
interface MessageLike extends ServerObject {
  mid: bigint;
  logon: LogonObject;
}

function isMessageLike(o: ServerObject): o is MessageLike {
  const m = o as Partial<MessageLike>;
  return (o.kind === 'message' || o.kind === 'embeddedMessage') && typeof m.mid === 'bigint' && m.logon instanceof LogonObject;
}

/** The property target of an object, or undefined for objects without properties of their own here. */
export function propTargetOf(o: ServerObject): PropTarget | undefined {
  if (o instanceof LogonObject) {
    const s = o.store;
    return {
      kind: 'logon',
      store: s,
      get: (tags) => s.storeProps(tags),
      list: async () => (await s.storeProps()).map((r) => r.tag),
      // the mailbox owner's store properties: not a delegate's to change (oxcperm.ts)
      set: (v) => (o.delegateUser === undefined ? s.setStoreProps(v) : delegateDenied()),
      delete: (t) => (o.delegateUser === undefined ? s.deleteStoreProps(t) : delegateDenied()),
    };
  }
  if (o instanceof FolderObject) {
    const s = o.logon.store;
    const fid = o.fid;
    const t: PropTarget = {
      kind: 'folder',
      store: s,
      fid,
      get: (tags) => s.getFolderProps(fid, tags),
      list: () => s.listFolderProps(fid),
      set: (v) => s.setFolderProps(fid, v),
      delete: (t) => s.deleteFolderProps(fid, t),
    };
    // a folder of another user's mailbox: PidTagRights and the FolderOwner check (oxcperm.ts)
    return o.logon.delegateUser === undefined ? t : delegateFolderTarget(t, o.logon, fid);
  }
  if (o instanceof MessageServerObject) return objectTarget('message', o.logon.store, o.msg);
  if (o instanceof AttachmentServerObject) return objectTarget('attachment', o.logon.store, o.att);
  if (isMessageLike(o)) {
    const s = o.logon.store;
    const mid = o.mid;
    return {
      kind: 'message',
      store: s,
      get: (tags) => s.getMessageProps(mid, tags),
      list: () => s.listMessageProps(mid),
      set: (v) => s.setMessageProps(mid, v),
      delete: (t) => s.deleteMessageProps(mid, t),
    };
  }
  return undefined;
}

/** A message or attachment object's own property calls (its working copy). */
function objectTarget(kind: 'message' | 'attachment', store: MailboxStore, p: PropObject): PropTarget {
  return {
    kind,
    store,
    get: (tags) => p.getProps(tags),
    list: () => p.listProps(),
    set: (v) => p.setProps(v),
    delete: (t) => p.deleteProps(t),
  };
}

/** Store PropertyProblems in the wire's field names (MS-OXCDATA 2.7). */
export function wireProblems(p: readonly PropertyProblem[]): Array<{ Index: number; PropertyTag: number; ErrorCode: number }> {
  return p.map((x) => ({ Index: x.index, PropertyTag: x.tag >>> 0, ErrorCode: x.error >>> 0 }));
}

export function valueOf(r: PropResult): PropValue | undefined {
  return 'value' in r ? r.value : undefined;
}
