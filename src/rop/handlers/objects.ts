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
