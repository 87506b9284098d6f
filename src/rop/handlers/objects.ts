// Server objects of the mailbox ROPs (MS-OXCROPS 1.3.1) shared by the handler modules: the logon (one per
// LogonId, holding the opened MailboxStore), folders, and tables (a TableView over rows read from the store).
// Handlers create these and return them as `created`; the dispatcher binds them to handles and releases them. Also the
// checks the handler modules share: checkedLogon, guard, and logonEntry for ROPs on a logon.
import type { AttachmentObject, MailboxStore, MessageObject, Store } from '../../mapistore/types.js';
import { StoreError } from '../../mapistore/errors.js';
import { TableError } from '../../mapi/table/index.js';
import type { TableView } from '../../mapi/table/index.js';
import type { Logger } from '../../util/log.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult, ServerObject } from '../types.js';
import { watchTable } from './notif-tables.js';

/** What the mailbox handlers need from the server (built once in src/server.ts). */
export interface MailboxHandlerDeps {
  store: Store;
  /** legacyExchangeDN of this server (RopLogon ecWrongServer redirects, RopGetOwningServers). */
  serverDn: string;
  log: Logger;
  /**
   * Looks up a RopLogon Essdn (MS-OXCSTOR 3.2.5.1.1: an unknown DN is ecUnknownUser, another user's mailbox
   * ecLoginPerm). The server passes its Directory; without it every DN but the session user's is ecLoginPerm.
   */
  directory?: LogonDirectory;
  /** Message submission (MS-OXOMSG ROPs, oxomsg.ts): src/transport's MailTransport; without it oxomsg.ts makes a local-only one. */
  transport?: import('./oxomsg.js').MessageSubmitter;
  /** Bytes of a FastTransfer download stream produced ahead of the client (config emsmdb.fastTransferReadAhead; 0: none). */
  fastTransferReadAhead?: number;
}

/**
 * The user of the EMSMDB session as the ROP handlers read it (RopContext.session is `unknown` below src/emsmdb; the
 * EmsmdbSession's `user` is a DirectoryUser, which has these fields). Structural, so src/rop imports nothing above it.
 */
export interface LogonUser {
  username: string;
  displayName: string;
  legacyExchangeDN: string;
  enabled?: boolean;
}

/** The part of the Directory RopLogon uses (findUser takes a legacyExchangeDN). */
export interface LogonDirectory {
  findUser(nameOrDn: string): Promise<LogonUser | null>;
}

/** The session user of a ROP call, or undefined when the session carries none (a bare test session). */
export function sessionUserOf(ctx: RopContext): LogonUser | undefined {
  const s = ctx.session as { user?: Partial<LogonUser> } | null | undefined;
  const u = s && typeof s === 'object' ? s.user : undefined;
  if (!u || typeof u.username !== 'string' || typeof u.legacyExchangeDN !== 'string') return undefined;
  return u as LogonUser;
}

// MS-OXCSTOR 2.2.1.1.1 LogonFlags
export const LOGON_FLAG_PRIVATE = 0x01;

export class LogonObject implements ServerObject {
  readonly kind = 'logon' as const;
  parent: ServerObject | null = null;
  constructor(
    readonly logonId: number,
    readonly store: MailboxStore,
    /** RopLogon LogonFlags and OpenFlags as the client sent them. */
    readonly logonFlags: number,
    readonly openFlags: number,
    /**
     * The session user's username when this logon opened another user's mailbox (delegate access, MS-OXCSTOR
     * 3.2.5.1.1); undefined when the session user owns the mailbox.
     */
    readonly delegateUser?: string,
  ) {}
}

/**
 * MS-OXCPERM 2.2.7 PidTagMemberRights bits. The permissions handlers (oxcperm.ts) own how rights are stored and
 * computed; every handler that touches another user's folder asks folderRights() below.
 */
export const RIGHTS = {
  ReadAny: 0x00000001,
  Create: 0x00000002,
  EditOwned: 0x00000008,
  DeleteOwned: 0x00000010,
  EditAny: 0x00000020,
  DeleteAny: 0x00000040,
  CreateSubFolder: 0x00000080,
  FolderOwner: 0x00000100,
  FolderContact: 0x00000200,
  FolderVisible: 0x00000400,
  FreeBusySimple: 0x00000800,
  FreeBusyDetailed: 0x00001000,
} as const;
/** Every right (the mailbox owner's). */
export const ALL_RIGHTS = 0x000007fb | RIGHTS.FreeBusySimple | RIGHTS.FreeBusyDetailed;

/**
 * The rights the session user of `logon` has on folder `fid` of the logon's mailbox: every right for the mailbox
 * owner; for a delegate logon (another user's mailbox) what the folder's permissions grant. Replaced by the
 * permissions work (issue 6 item 5) with the store's permission lookup.
 */
export let folderRights = async (logon: LogonObject, fid: bigint): Promise<number> => {
  void fid;
  return logon.delegateUser === undefined ? ALL_RIGHTS : 0;
};
/** Lets the permissions module install its lookup (keeps objects.ts free of its imports). */
export function setFolderRightsLookup(fn: (logon: LogonObject, fid: bigint) => Promise<number>): void {
  folderRights = fn;
}

export class FolderObject implements ServerObject {
  readonly kind = 'folder' as const;
  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly logon: LogonObject,
    readonly fid: bigint,
  ) {}
}

/**
 * A message opened or created through RopOpenMessage / RopCreateMessage / RopOpenEmbeddedMessage: the store's
 * MessageObject plus what the ROPs need (OpenModeFlags). RopRelease without RopSaveChangesMessage discards changes.
 */
export class MessageServerObject implements ServerObject {
  readonly kind: 'message' | 'embeddedMessage';
  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly logon: LogonObject,
    readonly msg: MessageObject,
    /** MS-OXCMSG 2.2.3.1.1 OpenModeFlags (ReadOnly 0, ReadWrite 1, BestAccess 3, ...), or 1 for created ones. */
    public openMode: number,
  ) {
    this.kind = msg.embedded ? 'embeddedMessage' : 'message';
  }
  /** The saved MID (0n before the first save of a new message, and for embedded messages). */
  get mid(): bigint {
    return this.msg.mid ?? 0n;
  }
  dispose(): void {
    this.msg.discard().catch(() => {});
  }
}

/** An attachment opened or created on a message (RopOpenAttachment / RopCreateAttachment). */
export class AttachmentServerObject implements ServerObject {
  readonly kind = 'attachment' as const;
  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly logon: LogonObject,
    readonly att: AttachmentObject,
    readonly message: MessageServerObject,
    readonly openMode: number,
  ) {}
  dispose(): void {
    this.att.discard().catch(() => {});
  }
}

/** What a table shows (MS-OXCTABL 1.3.1): its rows come from the store again on refresh. */
export type TableSource =
  | { type: 'hierarchy'; fid: bigint; recursive: boolean }
  | { type: 'contents'; fid: bigint; associated: boolean }
  | { type: 'receiveFolders' }
  // RopGetAttachmentTable (oxcmsg.ts): the attachments of the message object's working copy
  | { type: 'attachments'; message: MessageServerObject }
  // RopGetPermissionsTable (oxcperm.ts; permissionRows() reads the rows again)
  | { type: 'permissions'; fid: bigint; includeFreeBusy: boolean }
  // RopGetRulesTable (oxorule.ts; ruleRows() reads the rows again)
  | { type: 'rules'; fid: bigint };

export class TableObject implements ServerObject {
  readonly kind = 'table' as const;
  /** Columns set by RopSetColumns (null before: RopQueryRows answers ecNullObject as MS-OXCTABL 3.2.5.1 says). */
  columnsSet = false;
  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly logon: LogonObject,
    readonly source: TableSource,
    /** TableFlags of the ROP that opened it (UseUnicode 0x40 etc.). */
    readonly tableFlags: number,
    public view: TableView,
  ) {
    this.unwatch = watchTable(this);
  }
  /** Table notifications (notif-tables.ts): the store changed since the rows were read; stops watching on release. */
  dirty = false;
  unwatch: (() => void) | null;
  dispose(): void {
    this.unwatch?.();
    this.unwatch = null;
  }
}

/** The logon of the call's LogonId, or undefined (handlers answer ecNullObject). */
export function logonOf(ctx: RopContext): LogonObject | undefined {
  return ctx.logon instanceof LogonObject ? ctx.logon : undefined;
}

/**
 * The logon a ROP works on: the logon of its LogonId, which must also be the logon the input object belongs to
 * (MS-OXCROPS 3.2.5.1: a LogonId without an active logon, or an object of another logon, is answered ecNullObject).
 */
export function checkedLogon(req: { LogonId: number }, ctx: RopContext): LogonObject | undefined {
  const l = logonOf(ctx);
  if (!l || l.logonId !== req.LogonId || ctx.input.logonId !== req.LogonId) return undefined;
  if (ctx.input.kind === 'logon' && ctx.input !== l) return undefined;
  return l;
}

/**
 * Runs a handler body and turns the failures of the layers below into ec values: a StoreError or TableError carries
 * its own; anything else is logged once and answered ecError. The dispatcher still catches what escapes.
 */
export async function guard<B>(ctx: RopContext, fn: () => Promise<RopResult<B>> | RopResult<B>): Promise<RopResult<B>> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StoreError || e instanceof TableError) return { ec: e.ec };
    ctx.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'ROP handler failed');
    return { ec: ec.Error };
  }
}

/** The entry of a ROP acting on a logon object: the logon checked (ecNullObject otherwise), the body run in `guard`. */
export function logonEntry<Req extends RopRequestHeader, B>(
  fn: (req: Req, logon: LogonObject, ctx: RopContext) => Promise<RopResult<B>> | RopResult<B>,
): RopHandlerEntry {
  return {
    inputKinds: ['logon'],
    handle: (req: Req, ctx: RopContext) => {
      const logon = checkedLogon(req, ctx);
      if (!logon) return { ec: ec.NullObject };
      return guard(ctx, () => fn(req, logon, ctx));
    },
  };
}
