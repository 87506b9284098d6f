// The MailboxStore of an IMAP-backed user (issue 8 items 1, 3; docs/imap.md "Store wiring"): a thin layer over the
// user's LocalMailbox. Every call goes to the LocalMailbox; for folders mirrored from IMAP the MAPI change is also
// made on the IMAP server through an ImapWriter (writeback.ts; the order of the two and what a failure does are
// mailbox-writes.ts's), and refreshFolder() brings a mirrored folder up to date (ImapMirror.syncFolder) before a
// client reads its contents. This file holds the delegation, the sync scheduling, the store object and permissions.
//
// - the message objects of newMessage / openMessage / prefetchMessages are save.ts's: their save writes the message
//   back (a new Message-ID when it has none, flags only when its content stayed, else an APPEND).
// - storeProps adds the user's IMAP quota (GETQUOTAROOT INBOX, kept a minute by ImapQuota) to the store object.
// - refreshFolder: at most once per `refreshMinMs` per folder, skipped for `downMs` after the IMAP server could not be
//   reached (the client is answered from the mirror meanwhile; the watcher keeps retrying). refreshHierarchy (one
//   LIST) likewise, at most once per `refreshMinMs`.
// - after the IMAP server refused the login (OC_IMAP_AUTH) no refresh and no interval sync tries again for
//   `loginRetryMs` (5 minutes, as the IDLE connection, watcher.ts): a changed password would otherwise count one
//   refused login per interval and per folder Outlook opens, and a site's fail2ban or account lockout bans this
//   server. A client's logon to the mailbox (RopLogon: loggedOn) ends the pause, as does any sync that succeeds.
// - syncs of one mailbox are serialized (one at a time): the mirror is not safe against itself.
// - NewMail (MS-OXCNOTIF 2.2.1.4.1.2) is reported for messages an incremental sync of INBOX created (not for a first
//   or UIDVALIDITY-triggered full fetch: that is not new mail).
// - folder permissions (getPermissions, modifyPermissions, rightsOf) of mirrored folders are the IMAP mailbox's
//   RFC 4314 ACL (acl-store.ts, kept in step with the local table); other folders keep the local table alone.
import type { TaggedValue } from '../../../mapi/props.js';
import type { Logger } from '../../../util/log.js';
import type { MailboxEvent } from '../../events.js';
import type {
  CreatedFolder, DeleteResult, FolderInit, IcsFolderImport, IcsImportTracking, MailboxStore, MessageObject, MoveCopyResult,
  PermissionChange, PermissionEntry, PropResult, PropertyProblem,
} from '../../types.js';
import { eidGlobcnt } from '../../../mapi/ids.js';
import type { LocalMailbox } from '../local/mailbox.js';
import { ImapAcl } from './acl-store.js';
import { fidOf } from './folders.js';
import * as writes from './mailbox-writes.js';
import { codeOf, type WriteWiring } from './mailbox-writes.js';
import type { FolderSyncResult, ImapMirror } from './mirror.js';
import { ImapWatcher } from './watcher.js';
import type { ImapPool } from './pool.js';
import { ImapQuota, asksQuota, withQuota, type QuotaLevels } from './quota.js';
import { wrapSave, type SaveWiring } from './save.js';

export { codeOf };

/** MAPI -> IMAP write-back (src/mapistore/backends/imap/writeback.ts ImapWriteBack has this shape). */
export interface ImapWriter {
  isMirrored(fid: bigint): Promise<boolean>;
  setReadFlags(fid: bigint, mids: readonly bigint[], read: boolean): Promise<void>;
  deleteMessages(fid: bigint, mids: readonly bigint[]): Promise<void>;
  moveCopy(src: bigint, dst: bigint, ids: ReadonlyMap<bigint, bigint>, copy: boolean): Promise<void>;
  saveMessage(fid: bigint, mid: bigint): Promise<void>;
  /**
   * The IMAP flags of a message brought in line with its properties; `seen`: the read state too (a save that kept the
   * content). False (ImapWriteBack) when the message has no IMAP copy in fid.
   */
  setFlags(fid: bigint, mid: bigint, opts?: { seen?: boolean }): Promise<boolean | void>;
  createFolder(parentFid: bigint, fid: bigint, name: string): Promise<void>;
  renameFolder(fid: bigint, newParentFid: bigint, newName: string): Promise<void>;
  /** Throws where a mirrored folder's mailbox cannot follow it under `newParentFid` (checked before the local move). */
  checkFolderMove?(newParentFid: bigint): Promise<void>;
  deleteFolder(fid: bigint): Promise<void>;
  /**
   * A new Message-ID for a message saved into a mirrored folder without PidTagInternetMessageId (ImapWriteBack:
   * `<32 hex digits@domain>`). Set on the message before its save, so the IMAP copy and the local message agree and
   * no second local change follows the save (which would make the client's still-open object stale).
   */
  newMessageId?(): string;
}

export interface ImapMailboxOptions {
  local: LocalMailbox;
  mirror: ImapMirror;
  writer: ImapWriter;
  pool: ImapPool;
  log: Logger;
  /** Seconds between syncs of every mirrored folder (imap.syncIntervalSeconds). */
  syncIntervalSeconds: number;
  /** IDLE on INBOX (imap.idle). */
  idle: boolean;
  /** RFC 5465 NOTIFY for the other mailboxes on the IDLE connection, when the server has it (imap.notify; default on). */
  notify?: boolean;
  /** Least time between two refreshFolder syncs of one folder (default 2000 ms). */
  refreshMinMs?: number;
  /** refreshFolder is skipped this long after the IMAP server could not be reached (default 30000 ms). */
  downMs?: number;
  /** Refreshes and interval syncs are skipped this long after the IMAP server refused the login (default 5 min). */
  loginRetryMs?: number;
  /** How long the user's IMAP quota (GETQUOTAROOT) is kept for the store object's properties (default 60000 ms). */
  quotaMaxAgeMs?: number;
  /** The store's warning and send limits in percent of the IMAP quota (imap.quotaWarningPercent, quotaSendPercent; default 100). */
  quotaLevels?: QuotaLevels;
}

/** Codes of failures that mean "the IMAP server is away", not "the command failed". */
const DOWN_CODES = new Set(['OC_IMAP_CONNECT', 'OC_IMAP_TIMEOUT', 'OC_IMAP_BUSY', 'OC_IMAP_CLOSED']);
/** The code of a login the IMAP server refused (not OC_IMAP_NO_CREDENTIALS: without a password nothing is tried). */
const LOGIN_REFUSED = new Set(['OC_IMAP_AUTH']);
/** LocalMailbox fields a MailboxStore exposes (the methods are found on its prototype chain). */
const FIELDS = ['mailboxGuid', 'replGuid', 'replId', 'owner', 'special', 'events'] as const;

const hex = (id: bigint): string => `0x${id.toString(16)}`;

// Every MailboxStore member this class does not define is the LocalMailbox's (bound in the constructor).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ImapMailbox extends MailboxStore {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ImapMailbox {
  readonly local: LocalMailbox;
  readonly mirror: ImapMirror;
  readonly watcher: ImapWatcher;
  /** The user's storage quota on the IMAP server, kept for the store object's properties (quota.ts). */
  readonly quota: ImapQuota;
  private readonly writer: ImapWriter;
  private readonly log: Logger;
  private readonly refreshMinMs: number;
  private readonly downMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly lastRefresh = new Map<bigint, number>();
  private lastHierarchyRefresh = 0;
  private downUntil = 0;
  private readonly loginRetryMs: number;
  private loginRefusedUntil = 0;
  private allRunning: Promise<boolean> | null = null;
  private closed = false;
  private aclStore: ImapAcl | null = null;
  /** What the message objects' save (save.ts) uses of this mailbox. */
  private readonly saving: SaveWiring;
  /** What the changes (mailbox-writes.ts) use of this mailbox. */
  private readonly writing: WriteWiring;

  constructor(private readonly o: ImapMailboxOptions) {
    this.local = o.local;
    this.mirror = o.mirror;
    this.writer = o.writer;
    this.log = o.log;
    this.refreshMinMs = o.refreshMinMs ?? 2000;
    this.downMs = o.downMs ?? 30_000;
    this.loginRetryMs = o.loginRetryMs ?? 5 * 60_000;
    const self = this as unknown as Record<string, unknown>;
    const local = o.local as unknown as Record<string, unknown>;
    for (const f of FIELDS) Object.defineProperty(this, f, { get: () => local[f], enumerable: true });
    for (let p: object | null = Object.getPrototypeOf(o.local) as object; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const k of Object.getOwnPropertyNames(p)) {
        if (k === 'constructor' || k in ImapMailbox.prototype || Object.prototype.hasOwnProperty.call(self, k)) continue;
        const v = local[k];
        if (typeof v === 'function') self[k] = (v as (...a: unknown[]) => unknown).bind(o.local);
      }
    }
    this.watcher = new ImapWatcher({
      pool: o.pool,
      username: o.local.owner.username,
      log: o.log,
      inboxFid: () => this.mirror.folderOf('INBOX'),
      syncFolder: async (fid) => {
        await this.syncLogged(fid);
      },
      syncAll: async () => {
        if (!this.loginRefused) await this.syncAll();
      },
      intervalMs: o.syncIntervalSeconds * 1000,
      idle: o.idle,
      notify: o.notify ?? true,
      folderOf: (name) => this.mirror.folderOf(name),
    });
    this.saving = {
      local: o.local, writer: o.writer, log: o.log,
      after: (what, fid, fn) => writes.after(this.writing, what, fid, fn),
      afterOrRefused: (what, fid, fn, refusedMsg) => writes.afterOrRefused(this.writing, what, fid, fn, refusedMsg),
    };
    this.quota = new ImapQuota({
      pool: o.pool, username: o.local.owner.username, log: o.log, down: () => this.serverDown, ...(o.quotaMaxAgeMs !== undefined ? { maxAgeMs: o.quotaMaxAgeMs } : {}),
    });
    this.writing = { local: o.local, mirror: o.mirror, writer: this.writer, log: o.log, quota: this.quota, down: () => this.serverDown };
  }

  // --- syncing (IMAP -> mailbox) ---

  /** Runs a sync of `fid` after the ones queued before it; reports NewMail for what an incremental INBOX sync added. */
  sync(fid: bigint): Promise<FolderSyncResult> {
    const run = async (): Promise<FolderSyncResult> => {
      const inbox = fid === this.local.special.inbox;
      const created: bigint[] = [];
      const off = inbox
        ? this.local.events.subscribe((ev: MailboxEvent) => {
          if (ev.type === 'objectCreated' && ev.fid === fid && ev.mid !== undefined && !ev.associated) created.push(ev.mid);
        })
        : null;
      let r: FolderSyncResult;
      try {
        r = await this.mirror.syncFolder(fid);
      } finally {
        off?.();
      }
      this.downUntil = 0;
      this.loginRefusedUntil = 0;
      if (!r.full && created.length > 0) {
        // only messages the mirror made (a delivery by another session during the sync reported its own NewMail)
        const rows = await this.mirror.ctx.imap.messagesById(created.map(eidGlobcnt));
        const mirrored = new Set(rows.map((x) => x.globcnt));
        for (const mid of created) if (mirrored.has(eidGlobcnt(mid)) && (await this.local.messageExists(mid))) await this.local.notifyNewMail(fid, mid);
      }
      return r;
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** sync() whose failure is logged (and marks the server as away for `downMs` when it could not be reached). */
  private async syncLogged(fid: bigint): Promise<FolderSyncResult | null> {
    try {
      return await this.sync(fid);
    } catch (e) {
      if (codeOf(e) === 'OC_IMAP_STOPPED') {
        this.log.info({ user: this.local.owner.username, fid: hex(fid) }, 'IMAP folder sync stopped: the mailbox is closing (the next sync goes on from there)');
        return null;
      }
      this.noteFailure(e);
      this.log.warn({ user: this.local.owner.username, fid: hex(fid), code: codeOf(e), err: (e as Error).message }, 'IMAP folder sync failed; the mirror is used as it is');
      return null;
    }
  }

  /**
   * syncHierarchy, then every mirrored folder (INBOX first). Failures are logged; returns whether all went well. A
   * refused login (OC_IMAP_AUTH, OC_IMAP_NO_CREDENTIALS) rejects. A call while one runs joins it.
   */
  syncAll(): Promise<boolean> {
    if (!this.allRunning) {
      let passed!: () => void;
      this.hierarchyPassed = new Promise<void>((resolve) => (passed = resolve));
      this.allRunning = this.runAll(passed).finally(() => {
        passed();
        this.allRunning = null;
      });
    }
    return this.allRunning;
  }

  /** Resolves when the running (or last) syncAll is past its hierarchy step, or has ended. */
  private hierarchyPassed: Promise<void> = Promise.resolve();

  /**
   * The first sync of a logon (ImapStore.openMailbox): syncAll, waited for until it ends or until `budgetMs` after its
   * hierarchy step (the folders are always there when the logon completes). Resolves with syncAll's result, or null
   * when the budget ran out first: the mirror then goes on in the background (refreshFolder does not wait for it, so
   * a client reads what is mirrored so far; the messages still to come arrive with their events) and `backgroundDone`
   * settles when it ends. A refused login rejects, as syncAll.
   */
  async logonSync(budgetMs: number): Promise<boolean | null> {
    const all = this.syncAll();
    this.firstMirror = all;
    const clear = (): void => {
      if (this.firstMirror === all) this.firstMirror = null;
    };
    all.then(clear, clear);
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    // no timer once the race is over (a sync that failed before its hierarchy step passed it only in its finally)
    const budget = this.hierarchyPassed.then(() => new Promise<null>((resolve) => {
      if (!settled) timer = setTimeout(() => resolve(null), budgetMs);
    }));
    try {
      return await Promise.race([all, budget]);
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }

  /** The first sync of the logon while it goes on after the logon (logonSync ran out of budget); else null. */
  get backgroundDone(): Promise<boolean> | null {
    return this.firstMirror;
  }

  private firstMirror: Promise<boolean> | null = null;

  private async runAll(hierarchyPassed: () => void): Promise<boolean> {
    if (this.closed) return false;
    const failed = await this.hierarchyLogged('IMAP hierarchy sync failed');
    if (failed) {
      if (codeOf(failed) === 'OC_IMAP_AUTH' || codeOf(failed) === 'OC_IMAP_NO_CREDENTIALS') throw failed;
      return false;
    }
    hierarchyPassed();
    const rows = await this.mirror.ctx.imap.listFolders();
    const inbox = this.local.special.inbox;
    const fids = rows.map((r) => fidOf(r.folderGlobcnt)).sort((a, b) => (a === inbox ? -1 : b === inbox ? 1 : 0));
    let ok = true;
    for (const fid of fids) {
      if (this.closed) return false;
      if (!(await this.local.folderExists(fid))) continue;
      if ((await this.syncLogged(fid)) === null) ok = false;
      if (this.serverDown) return false;
    }
    return ok;
  }

  /** True for `downMs` after the IMAP server could not be reached. */
  get serverDown(): boolean {
    return Date.now() < this.downUntil;
  }

  /** MailboxStore.loggedOn: a client's logon (the user may have just changed the password) ends the pause. */
  loggedOn(): void {
    this.loginRefusedUntil = 0;
  }

  /** True for `loginRetryMs` after the IMAP server refused the login (no refresh or interval sync tries meanwhile). */
  get loginRefused(): boolean {
    return Date.now() < this.loginRefusedUntil;
  }

  /** A sync's failure: an unreachable server pauses the refreshes for `downMs`, a refused login for `loginRetryMs`. */
  private noteFailure(e: unknown): void {
    const code = codeOf(e) ?? '';
    if (DOWN_CODES.has(code)) this.downUntil = Date.now() + this.downMs;
    if (LOGIN_REFUSED.has(code)) this.loginRefusedUntil = Date.now() + this.loginRetryMs;
  }

  private async mirrored(fid: bigint): Promise<boolean> {
    return (await this.mirror.ctx.imap.folderById(eidGlobcnt(fid))) !== null;
  }

  /** MailboxStore.refreshFolder: a rate-limited sync of a mirrored folder; never rejects for an IMAP failure. */
  async refreshFolder(fid: bigint): Promise<void> {
    // the logon's first mirror still running: the client reads what it has mirrored so far (waiting would block the
    // client for the rest of the mailbox); what is still to come arrives with its events
    if (this.closed || this.serverDown || this.loginRefused || this.firstMirror || !(await this.mirrored(fid))) return;
    const now = Date.now();
    if (now - (this.lastRefresh.get(fid) ?? 0) < this.refreshMinMs) return;
    this.lastRefresh.set(fid, now);
    await this.syncLogged(fid);
  }

  /**
   * MailboxStore.refreshHierarchy: a rate-limited syncHierarchy (one LIST; folders made, renamed or deleted by other
   * IMAP clients); never rejects for an IMAP failure. Their messages come with the folders' own refreshes.
   */
  async refreshHierarchy(): Promise<void> {
    // as refreshFolder: not behind the logon's first mirror (its hierarchy step has run)
    if (this.closed || this.serverDown || this.loginRefused || this.firstMirror) return;
    const now = Date.now();
    if (now - this.lastHierarchyRefresh < this.refreshMinMs) return;
    this.lastHierarchyRefresh = now;
    await this.hierarchyLogged('IMAP hierarchy refresh failed; the mirror is used as it is');
  }

  /**
   * syncHierarchy after the syncs queued before it; a failure is logged with `failMsg` (and an unreachable server
   * pauses the refreshes for `downMs`) and returned, not thrown.
   */
  private async hierarchyLogged(failMsg: string): Promise<Error | null> {
    const h = this.queue.then(() => this.mirror.syncHierarchy());
    this.queue = h.catch(() => undefined);
    try {
      await h;
      this.lastHierarchyRefresh = Date.now();
      this.loginRefusedUntil = 0;
      return null;
    } catch (e) {
      this.noteFailure(e);
      this.log.warn({ user: this.local.owner.username, code: codeOf(e), err: (e as Error).message }, failMsg);
      return e as Error;
    }
  }

  /** Starts the watcher (IDLE on INBOX and the interval sync). */
  startWatching(): void {
    this.watcher.start();
  }

  // --- changes (mailbox -> IMAP): mailbox-writes.ts ---

  setReadFlags(fid: bigint, mids: readonly bigint[] | null, read: boolean): Promise<bigint[]> {
    return writes.setReadFlags(this.writing, fid, mids, read);
  }

  deleteMessages(fid: bigint, mids: readonly bigint[], opts?: { hard?: boolean }): Promise<DeleteResult> {
    return writes.deleteMessages(this.writing, fid, mids, opts);
  }

  moveCopyMessages(src: bigint, mids: readonly bigint[], dst: bigint, copy: boolean): Promise<MoveCopyResult> {
    return writes.moveCopyMessages(this.writing, src, mids, dst, copy);
  }

  emptyFolder(fid: bigint, opts?: { associated?: boolean; hard?: boolean }): Promise<DeleteResult> {
    return writes.emptyFolder(this.writing, fid, opts);
  }

  setMessageProps(mid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    return writes.setMessageProps(this.writing, mid, values);
  }

  deleteMessageProps(mid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
    return writes.deleteMessageProps(this.writing, mid, tags);
  }

  async newMessage(fid: bigint, opts?: { associated?: boolean }): Promise<MessageObject> {
    const m = await this.local.newMessage(fid, opts);
    return opts?.associated ? m : wrapSave(this.saving, m);
  }

  async openMessage(mid: bigint): Promise<MessageObject> {
    return wrapSave(this.saving, await this.local.openMessage(mid));
  }

  async prefetchMessages(mids: readonly bigint[]): Promise<Array<() => Promise<MessageObject>>> {
    return (await this.local.prefetchMessages(mids)).map((open) => async () => wrapSave(this.saving, await open()));
  }

  createFolder(parent: bigint, init: FolderInit): Promise<CreatedFolder> {
    return writes.createFolder(this.writing, parent, init);
  }

  moveFolder(fid: bigint, newParent: bigint, newName?: string): Promise<void> {
    return writes.moveFolder(this.writing, fid, newParent, newName);
  }

  deleteFolder(fid: bigint, flags: number): Promise<DeleteResult> {
    return writes.deleteFolder(this.writing, fid, flags);
  }

  // --- ICS uploads (MS-OXCFXICS 3.3.5.8.x): the same write-back as the corresponding MAPI calls (mailbox-writes.ts) ---

  importReadStates(fid: bigint, changes: readonly { mid: bigint; read: boolean }[]): Promise<{ cn: bigint | null; changed: bigint[] }> {
    return writes.importReadStates(this.writing, fid, changes);
  }

  importMessageMove(mid: bigint, dst: bigint, t: IcsImportTracking & { sourceKey: Buffer }): Promise<bigint> {
    return writes.importMessageMove(this.writing, mid, dst, t);
  }

  importFolder(fid: bigint | null, f: IcsFolderImport): Promise<bigint> {
    return writes.importFolder(this.writing, fid, f);
  }

  // --- the store object: the user's IMAP quota (quota.ts) ---

  /**
   * MailboxStore.storeProps: the LocalMailbox's, and when the IMAP server has a STORAGE quota for INBOX (RFC 9208
   * GETQUOTAROOT, kept by ImapQuota) the quota properties Outlook reads on the store object (MS-OXCSTOR 2.2.2.1.1):
   * PidTagProhibitReceiveQuota the limit in KiB, PidTagProhibitSendQuota and PidTagStorageQuotaLimit (Outlook's
   * warning level) their shares of it (imap.quotaSendPercent, quotaWarningPercent), PidTagMessageSizeExtended the usage in bytes. Without a quota they stay as the
   * local store has them (no quota properties; the size of the local mirror). The quota is asked only for a read that
   * names one of them (or all properties). A read of all properties (RopGetPropertiesAll / List) never waits for the
   * server: the quota kept, if any (ImapQuota refreshes it in the background); with a quota the local store does not
   * sum the mirror's size the quota's usage replaces.
   */
  async storeProps(tags?: readonly number[]): Promise<PropResult[]> {
    if (tags && !asksQuota(tags)) return this.local.storeProps(tags);
    const q = await this.quota.current({ wait: tags !== undefined });
    if (!q) return this.local.storeProps(tags);
    return withQuota(await this.local.storeProps(tags, { size: false }), tags, q, this.o.quotaLevels);
  }

  // --- folder permissions of mirrored folders: the IMAP ACL (acl-store.ts; others: the local table) ---

  private get acl(): ImapAcl {
    this.aclStore ??= new ImapAcl(this.local, this.mirror.ctx, this.log);
    return this.aclStore;
  }

  getPermissions(fid: bigint): Promise<PermissionEntry[]> {
    return this.acl.getPermissions(fid);
  }

  modifyPermissions(fid: bigint, changes: readonly PermissionChange[], opts?: { replace?: boolean }): Promise<void> {
    return this.acl.modifyPermissions(fid, changes, opts);
  }

  rightsOf(fid: bigint, username: string): Promise<number> {
    return this.acl.rightsOf(fid, username);
  }

  /** Stops the watcher, waits for running syncs, closes the LocalMailbox. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.quota.close();
    this.mirror.stop();
    await this.watcher.stop();
    await this.queue.catch(() => undefined);
    await this.local.close();
  }
}
