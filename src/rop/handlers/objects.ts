// Server objects of the mailbox ROPs (MS-OXCROPS 1.3.1) shared by the handler modules: the logon (one per
// LogonId, holding the opened MailboxStore), folders, and tables (a TableView over rows read from the store).
// Handlers create these and return them as `created`; the dispatcher binds them to handles and releases them.
import type { MailboxStore, Store } from '../../mapistore/types.js';
import { StoreError } from '../../mapistore/errors.js';
import { TableError } from '../../mapi/table/index.js';
import type { TableView } from '../../mapi/table/index.js';
import type { Logger } from '../../util/log.js';
import { ec } from '../ec.js';
import type { RopContext, RopResult, ServerObject } from '../types.js';

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
  ) {}
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

/** What a table shows (MS-OXCTABL 1.3.1): its rows come from the store again on refresh. */
export type TableSource =
  | { type: 'hierarchy'; fid: bigint; recursive: boolean }
  | { type: 'contents'; fid: bigint; associated: boolean }
  | { type: 'receiveFolders' };

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
  ) {}
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
