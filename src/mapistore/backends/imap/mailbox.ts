// The MailboxStore of an IMAP-backed user (issue 8 items 1, 3; docs/imap.md "Store wiring"): a thin layer over the
// user's LocalMailbox. Every call goes to the LocalMailbox; for folders mirrored from IMAP the MAPI change is also
// made on the IMAP server through an ImapWriter (writeback.ts), and refreshFolder() brings a mirrored folder up to
// date (ImapMirror.syncFolder) before a client reads its contents.
//
// Order and failures (the IMAP server is the source of truth for mail; the mirror repairs what went wrong):
// - before the local change: deleteMessages, emptyFolder (its messages), deleteFolder. A writer failure is the MAPI
//   call's error and nothing changed locally.
// - the message objects of newMessage / openMessage / prefetchMessages are save.ts's: their save writes the message
//   back (a new Message-ID when it has none, flags only when its content stayed, else an APPEND).
// - after the local change: setReadFlags (the MIDs whose flag changed), moveCopyMessages (with the ids map), a message
//   save (MessageObject.save of newMessage/openMessage), setMessageProps/deleteMessageProps of PidTagFlagStatus,
//   PidTagLastVerbExecuted, PidTagMessageFlags, createFolder, moveFolder, and the ICS uploads that do the same
//   (importReadStates, importMessageMove, importFolder: MS-OXCFXICS 3.3.5.8.x). A writer failure is logged (warn) and the
//   MAPI call succeeds; the next sync of the folder brings the mirror back in line with IMAP.
// - except a refusal over quota (OC_IMAP_QUOTA, quota.ts) of a message save, copy or move, which IMAP would never
//   bring back: the local change is taken back (a save: the version stored before again, or no new message; a copy:
//   deleted; a move: moved back) and the MAPI call fails with ecQuotaExceeded (logged with user, mailbox and code).
//   Not for the cached-mode uploads (a save with ICS tracking, importMessageMove): their refusal is logged and the
//   upload succeeds, the message stays on this server only (a take-back would make the client's retry fail).
// - storeProps adds the user's IMAP quota (GETQUOTAROOT INBOX, kept a minute by ImapQuota) to the store object.
// - refreshFolder: at most once per `refreshMinMs` per folder, skipped for `downMs` after the IMAP server could not be
//   reached (the client is answered from the mirror meanwhile; the watcher keeps retrying). refreshHierarchy (one
//   LIST) likewise, at most once per `refreshMinMs`.
// - syncs of one mailbox are serialized (one at a time): the mirror is not safe against itself.
// - NewMail (MS-OXCNOTIF 2.2.1.4.1.2) is reported for messages an incremental sync of INBOX created (not for a first
//   or UIDVALIDITY-triggered full fetch: that is not new mail).
// - Folder creation goes to IMAP when the parent is mirrored, or is the IPM subtree and the container class is empty or
//   IPF.Note*: calendars, contacts and tasks stay local.
// - folder permissions (getPermissions, modifyPermissions, rightsOf) of mirrored folders are the IMAP mailbox's
//   RFC 4314 ACL (acl-store.ts, kept in step with the local table); other folders keep the local table alone.
import type { TaggedValue } from '../../../mapi/props.js';
import type { Logger } from '../../../util/log.js';
import { StoreError } from '../../errors.js';
import type { MailboxEvent } from '../../events.js';
import type {
  CreatedFolder, DeleteResult, FolderInit, IcsFolderImport, IcsImportTracking, MailboxStore, MessageObject, MoveCopyResult,
  PermissionChange, PermissionEntry, PropResult, PropertyProblem,
} from '../../types.js';
import { eidGlobcnt } from '../../../mapi/ids.js';
import type { LocalMailbox } from '../local/mailbox.js';
import { ImapAcl } from './acl-store.js';
import { keywordsTag } from './keywords.js';
import { fidOf } from './folders.js';
import { PidTagFlagStatus, PidTagLastVerbExecuted } from './import.js';
import type { FolderSyncResult, ImapMirror } from './mirror.js';
import { ImapWatcher } from './watcher.js';
import { rowsOf } from './writeback-util.js';
import type { ImapPool } from './pool.js';
import { ImapQuota, asksQuota, withQuota, type QuotaLevels } from './quota.js';
import { wrapSave, type SaveWiring } from './save.js';

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
  /** How long the user's IMAP quota (GETQUOTAROOT) is kept for the store object's properties (default 60000 ms). */
  quotaMaxAgeMs?: number;
  /** The store's warning and send limits in percent of the IMAP quota (imap.quotaWarningPercent, quotaSendPercent; default 100). */
  quotaLevels?: QuotaLevels;
}

const PidTagDisplayName = 0x3001001f;
const PidTagMessageFlags = 0x0e070003;
const PidTagContainerClass = 0x3613001f;
const FLAG_TAGS = new Set([PidTagFlagStatus, PidTagLastVerbExecuted, PidTagMessageFlags]);
/** Codes of failures that mean "the IMAP server is away", not "the command failed". */
const DOWN_CODES = new Set(['OC_IMAP_CONNECT', 'OC_IMAP_TIMEOUT', 'OC_IMAP_BUSY', 'OC_IMAP_CLOSED']);
/** LocalMailbox fields a MailboxStore exposes (the methods are found on its prototype chain). */
const FIELDS = ['mailboxGuid', 'replGuid', 'replId', 'owner', 'special', 'events'] as const;

/** The StoreError code of a failure (undefined for anything else); store.ts uses it too. */
export const codeOf = (e: unknown): string | undefined => (e as Partial<StoreError> | null)?.code;
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
  private allRunning: Promise<boolean> | null = null;
  private closed = false;
  private aclStore: ImapAcl | null = null;
  /** What the message objects' save (save.ts) uses of this mailbox. */
  private readonly saving: SaveWiring;

  constructor(private readonly o: ImapMailboxOptions) {
    this.local = o.local;
    this.mirror = o.mirror;
    this.writer = o.writer;
    this.log = o.log;
    this.refreshMinMs = o.refreshMinMs ?? 2000;
    this.downMs = o.downMs ?? 30_000;
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
      syncAll: () => this.syncAll(),
      intervalMs: o.syncIntervalSeconds * 1000,
      idle: o.idle,
      notify: o.notify ?? true,
      folderOf: (name) => this.mirror.folderOf(name),
    });
    this.saving = {
      local: o.local, writer: o.writer, log: o.log,
      after: (what, fid, fn) => this.after(what, fid, fn),
      afterOrRefused: (what, fid, fn, refusedMsg) => this.afterOrRefused(what, fid, fn, refusedMsg),
    };
    this.quota = new ImapQuota({
      pool: o.pool, username: o.local.owner.username, log: o.log, down: () => this.serverDown, ...(o.quotaMaxAgeMs !== undefined ? { maxAgeMs: o.quotaMaxAgeMs } : {}),
    });
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
      if (DOWN_CODES.has(codeOf(e) ?? '')) this.downUntil = Date.now() + this.downMs;
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

  private async mirrored(fid: bigint): Promise<boolean> {
    return (await this.mirror.ctx.imap.folderById(eidGlobcnt(fid))) !== null;
  }

  /** MailboxStore.refreshFolder: a rate-limited sync of a mirrored folder; never rejects for an IMAP failure. */
  async refreshFolder(fid: bigint): Promise<void> {
    // the logon's first mirror still running: the client reads what it has mirrored so far (waiting would block the
    // client for the rest of the mailbox); what is still to come arrives with its events
    if (this.closed || this.serverDown || this.firstMirror || !(await this.mirrored(fid))) return;
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
    if (this.closed || this.serverDown || this.firstMirror) return;
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
      return null;
    } catch (e) {
      if (DOWN_CODES.has(codeOf(e) ?? '')) this.downUntil = Date.now() + this.downMs;
      this.log.warn({ user: this.local.owner.username, code: codeOf(e), err: (e as Error).message }, failMsg);
      return e as Error;
    }
  }

  /** Starts the watcher (IDLE on INBOX and the interval sync). */
  startWatching(): void {
    this.watcher.start();
  }

  // --- write-back (mailbox -> IMAP) ---

  /**
   * Runs a writer call after the local change: a failure is logged, the next sync repairs. Writer calls take turns with
   * the mirror's steps (MirrorContext.exclusive), as in before().
   */
  private async after(what: string, fid: bigint, fn: () => Promise<void>): Promise<void> {
    try {
      await this.mirror.ctx.exclusive(fn);
    } catch (e) {
      this.log.warn({ user: this.local.owner.username, fid: hex(fid), op: what, code: codeOf(e), err: (e as Error).message }, 'IMAP write-back failed; the next sync repairs the mirror');
    }
  }

  /**
   * after() for the writer calls that store messages on IMAP (APPEND, COPY): a refusal over quota (OC_IMAP_QUOTA) is
   * logged here, makes the quota be asked again, and is returned, for the caller to take the local change back and
   * answer the client with it (ecQuotaExceeded); any other failure is after()'s. `refusedMsg`: the refusal's log line
   * when the caller does not take the change back (a cached-mode upload).
   */
  private async afterOrRefused(what: string, fid: bigint, fn: () => Promise<void>, refusedMsg?: string): Promise<StoreError | null> {
    try {
      await this.mirror.ctx.exclusive(fn);
      return null;
    } catch (e) {
      if (codeOf(e) === 'OC_IMAP_QUOTA' && e instanceof StoreError) {
        this.refusedOverQuota(what, fid, e, refusedMsg);
        return e;
      }
      this.log.warn({ user: this.local.owner.username, fid: hex(fid), op: what, code: codeOf(e), err: (e as Error).message }, 'IMAP write-back failed; the next sync repairs the mirror');
      return null;
    }
  }

  /** The log line of a write-back the IMAP server refused over quota (user, mailbox, code); the quota is asked again. */
  private refusedOverQuota(what: string, fid: bigint, e: StoreError, msg = 'IMAP server refused the change over quota (ecQuotaExceeded): the local change is taken back'): void {
    this.quota.invalidate();
    this.log.warn({ user: this.local.owner.username, mailbox: e.details?.mailbox, fid: hex(fid), op: what, code: e.code, err: e.message }, msg);
  }

  /**
   * After a write-back into mirrored folder `dst` the server refused over quota: the messages of `ids` (source MID ->
   * MID in dst) it did not get (no index row in dst) are taken back, so the local store keeps nothing IMAP lacks: a
   * copy is deleted, a moved message goes back to the folder it came from (`origin`: source MID -> folder; null for a
   * copy). A failure here is logged: those messages then stay local-only, as any other failed write-back leaves them.
   */
  private async takeBackUnwritten(dst: bigint, ids: ReadonlyMap<bigint, bigint>, origin: ReadonlyMap<bigint, bigint> | null): Promise<void> {
    const where = { user: this.local.owner.username, fid: hex(dst) };
    try {
      const row = await this.mirror.ctx.imap.folderById(eidGlobcnt(dst));
      const written = new Set(row ? (await rowsOf(this.mirror.ctx, row, [...ids.values()])).map((r) => r.globcnt) : []);
      const lost = [...ids].filter(([, to]) => !written.has(eidGlobcnt(to)));
      if (lost.length === 0) return;
      if (!origin) {
        await this.local.deleteMessages(dst, lost.map(([, to]) => to), { hard: true });
      } else {
        const back = new Map<bigint, bigint[]>();
        for (const [from, to] of lost) {
          const home = origin.get(from);
          if (home === undefined) continue;
          back.set(home, [...(back.get(home) ?? []), to]);
        }
        for (const [home, tos] of back) await this.local.moveCopyMessages(dst, tos, home, false);
      }
      this.log.info({ ...where, messages: lost.length, moved: origin !== null }, origin ? 'messages the IMAP server refused over quota are moved back' : 'copies the IMAP server refused over quota are deleted');
    } catch (e) {
      this.log.error({ ...where, code: codeOf(e), err: (e as Error).message }, 'messages the IMAP server refused over quota could not be taken back: they stay local-only');
    }
  }

  /** Runs a writer call before the local change: a failure is the MAPI call's error (logged once here). */
  private async before(what: string, fid: bigint, fn: () => Promise<void>): Promise<void> {
    try {
      await this.mirror.ctx.exclusive(fn);
    } catch (e) {
      this.log.warn({ user: this.local.owner.username, fid: hex(fid), op: what, code: codeOf(e), err: (e as Error).message }, 'IMAP write-back failed; nothing changed');
      throw e;
    }
  }

  /**
   * The mirrored folders that hold the messages `mids` reached through folder `fid`, with their messages: `fid` itself
   * when it is mirrored; through a search folder, each linked message's own folder where that one is mirrored (the
   * local store acts on the linked messages in their own folders: messages.ts targetsIn). Empty otherwise.
   */
  private async homes(fid: bigint, mids: readonly bigint[]): Promise<Map<bigint, bigint[]>> {
    const out = new Map<bigint, bigint[]>();
    if (mids.length === 0) return out;
    if (await this.writer.isMirrored(fid)) {
      out.set(fid, [...mids]);
      return out;
    }
    if (!this.local.isSearchFolder(fid)) return out;
    for (const mid of mids) {
      const at = await this.local.folderOfMessage(mid);
      if (at === null || at === fid) continue;
      let list = out.get(at);
      if (!list) {
        if (!(await this.writer.isMirrored(at))) continue;
        list = [];
        out.set(at, list);
      }
      list.push(mid);
    }
    return out;
  }

  async setReadFlags(fid: bigint, mids: readonly bigint[] | null, read: boolean): Promise<bigint[]> {
    const changed = await this.local.setReadFlags(fid, mids, read);
    for (const [home, ms] of await this.homes(fid, changed)) await this.after('setReadFlags', home, () => this.writer.setReadFlags(home, ms, read));
    return changed;
  }

  async deleteMessages(fid: bigint, mids: readonly bigint[], opts?: { hard?: boolean }): Promise<DeleteResult> {
    for (const [home, ms] of await this.homes(fid, mids)) await this.before('deleteMessages', home, () => this.writer.deleteMessages(home, ms));
    return this.local.deleteMessages(fid, mids, opts);
  }

  async moveCopyMessages(src: bigint, mids: readonly bigint[], dst: bigint, copy: boolean): Promise<MoveCopyResult> {
    // the messages' own folders are read before the move (a moved message keeps its MID and is in dst after it)
    const homes = await this.homes(src, mids);
    const intoMirrored = await this.writer.isMirrored(dst);
    // where the messages of folders that are not mirrored come from, for a move IMAP refuses over quota (moved back)
    const origin = !copy && intoMirrored ? await this.origins(src, mids, homes) : null;
    const r = await this.local.moveCopyMessages(src, mids, dst, copy);
    if (r.ids.size === 0) return r;
    const what = copy ? 'copyMessages' : 'moveMessages';
    const pick = (keep: (mid: bigint) => boolean): Map<bigint, bigint> => new Map([...r.ids].filter(([from]) => keep(from)));
    const done = new Set<bigint>();
    let refused: StoreError | null = null;
    for (const [home, ms] of homes) {
      const of = new Set(ms);
      const ids = pick((m) => of.has(m));
      if (ids.size === 0) continue;
      for (const m of ids.keys()) done.add(m);
      if (copy) {
        const e = await this.afterOrRefused(what, home, () => this.writer.moveCopy(home, dst, ids, copy));
        if (e) {
          refused ??= e;
          await this.takeBackUnwritten(dst, ids, null);
        }
      } else {
        refused ??= await this.moveWrittenBack(home, dst, ids);
      }
    }
    // the rest (from a folder that is not mirrored) is APPENDed when dst is mirrored
    const rest = pick((m) => !done.has(m));
    if (rest.size > 0 && intoMirrored) {
      const e = await this.afterOrRefused(what, src, () => this.writer.moveCopy(src, dst, rest, copy));
      if (e) {
        refused ??= e;
        await this.takeBackUnwritten(dst, rest, origin);
      }
    }
    // what the server refused over quota is back where it was; the client hears why (ecQuotaExceeded)
    if (refused) throw refused;
    return r;
  }

  /** The folders the messages `mids` reached through `src` are in now (not those of `homes`, already known). */
  private async origins(src: bigint, mids: readonly bigint[], homes: ReadonlyMap<bigint, bigint[]>): Promise<Map<bigint, bigint>> {
    const known = new Set([...homes.values()].flat());
    const out = new Map<bigint, bigint>();
    const search = this.local.isSearchFolder(src);
    for (const mid of mids) {
      if (known.has(mid)) continue;
      const at = search ? await this.local.folderOfMessage(mid) : src;
      if (at !== null) out.set(mid, at);
    }
    return out;
  }

  /**
   * The write-back of a local move out of mirrored folder `src`. When it fails, the messages whose index row is still
   * in `src` did not leave it on IMAP (the write-back removes the source rows as soon as the server has moved them):
   * they are moved back here too, or Outlook would show them in `dst` while IMAP keeps them in `src`, and no sync
   * would bring the two together. (A move the server did but whose answer was lost: the source's next sync finds the
   * UIDs gone and the destination's brings the messages in.)
   */
  private async moveWrittenBack(src: bigint, dst: bigint, ids: ReadonlyMap<bigint, bigint>, refusedMsg?: string): Promise<StoreError | null> {
    try {
      await this.mirror.ctx.exclusive(() => this.writer.moveCopy(src, dst, ids, false));
      return null;
    } catch (e) {
      // a refusal over quota (a server that counts a MOVE, or moves by COPY) is also the MAPI call's answer
      const refused = codeOf(e) === 'OC_IMAP_QUOTA' && e instanceof StoreError ? e : null;
      if (refused) this.refusedOverQuota('moveMessages', dst, refused, refusedMsg);
      const row = await this.mirror.ctx.imap.folderById(eidGlobcnt(src));
      const still = new Set(row ? (await rowsOf(this.mirror.ctx, row, [...ids.keys()])).map((r) => r.globcnt) : []);
      const back = [...ids.keys()].filter((m) => still.has(eidGlobcnt(m)));
      const where = { user: this.local.owner.username, fid: hex(src), op: 'moveMessages', code: codeOf(e), err: (e as Error).message };
      if (back.length === 0) {
        if (!refused) this.log.warn(where, 'IMAP write-back failed; the next sync repairs the mirror');
        return refused;
      }
      this.log.warn({ ...where, messages: back.length }, 'IMAP write-back of a move failed; the messages still on IMAP in the source folder are moved back there');
      // (by their MIDs in dst: a move keeps the MID, an ICS move upload may give a new one)
      await this.local.moveCopyMessages(dst, back.map((m) => ids.get(m)!), src, false);
      return refused;
    }
  }

  async emptyFolder(fid: bigint, opts?: { associated?: boolean; hard?: boolean }): Promise<DeleteResult> {
    if (await this.writer.isMirrored(fid)) {
      const mids = (await this.local.contentsRows(fid, { tags: [] })).map((r) => r.id);
      if (mids.length > 0) await this.before('emptyFolder', fid, () => this.writer.deleteMessages(fid, mids));
    }
    // the subfolders it deletes go on IMAP too (else the next hierarchy sync would bring them back, mail and all);
    // parents first: a DELETE takes the mailboxes below along, and their rows, so those are no longer mirrored
    for (const sub of this.local.emptiedFolders(fid)) {
      if (await this.writer.isMirrored(sub)) await this.before('deleteFolder', sub, () => this.writer.deleteFolder(sub));
    }
    return this.local.emptyFolder(fid, opts);
  }

  async setMessageProps(mid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    const r = await this.local.setMessageProps(mid, values);
    if (await this.flagTags(values.map((v) => v.tag))) await this.flagsChanged(mid);
    return r;
  }

  async deleteMessageProps(mid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
    const r = await this.local.deleteMessageProps(mid, tags);
    if (await this.flagTags(tags)) await this.flagsChanged(mid);
    return r;
  }

  /** True when one of the tags is kept on IMAP as flags or keywords (FLAG_TAGS, PidNameKeywords: keywords.ts). */
  private async flagTags(tags: readonly number[]): Promise<boolean> {
    if (tags.some((t) => FLAG_TAGS.has(t >>> 0))) return true;
    if (!tags.some((t) => t >>> 16 >= 0x8000)) return false;
    const kw = await keywordsTag(this.local, false);
    return kw !== 0 && tags.some((t) => t >>> 0 === kw);
  }

  private async flagsChanged(mid: bigint): Promise<void> {
    const fid = await this.local.folderOfMessage(mid);
    if (fid !== null && (await this.writer.isMirrored(fid))) await this.after('setFlags', fid, async () => {
      await this.writer.setFlags(fid, mid);
    });
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

  async createFolder(parent: bigint, init: FolderInit): Promise<CreatedFolder> {
    const r = await this.local.createFolder(parent, init);
    if (r.existing) return r;
    if (await this.folderGoesToImap(parent, init.containerClass, init.folderType)) {
      await this.after('createFolder', r.fid, () => this.writer.createFolder(parent, r.fid, init.displayName));
    }
    return r;
  }

  /**
   * Whether a new folder is created on IMAP too: under a mirrored folder, or a generic mail folder (no container
   * class, or IPF.Note*) directly under the IPM subtree.
   */
  private async folderGoesToImap(parent: bigint, containerClass: unknown, folderType = 1): Promise<boolean> {
    if (await this.writer.isMirrored(parent)) return true;
    const mailClass = typeof containerClass !== 'string' || containerClass === '' || containerClass.startsWith('IPF.Note');
    return parent === this.local.special.ipmSubtree && mailClass && folderType === 1;
  }

  async moveFolder(fid: bigint, newParent: bigint, newName?: string): Promise<void> {
    const mirrored = await this.writer.isMirrored(fid);
    await this.local.moveFolder(fid, newParent, newName);
    if (!mirrored) return;
    await this.after('renameFolder', fid, async () => {
      let name = newName;
      if (name === undefined) {
        const [p] = await this.local.getFolderProps(fid, [PidTagDisplayName]);
        name = p && 'value' in p ? String(p.value) : '';
      }
      await this.writer.renameFolder(fid, newParent, name);
    });
  }

  // --- ICS uploads (MS-OXCFXICS 3.3.5.8.x): the same write-back as the corresponding MAPI calls ---

  /** RopSynchronizationImportReadStateChanges: \Seen on IMAP for the messages whose read state changed. */
  async importReadStates(fid: bigint, changes: readonly { mid: bigint; read: boolean }[]): Promise<{ cn: bigint | null; changed: bigint[] }> {
    const r = await this.local.importReadStates(fid, changes);
    if (r.changed.length === 0) return r;
    const readOf = new Map(changes.map((c) => [c.mid, c.read]));
    // messages of other folders than `fid` change too: one writer call per (folder, read state)
    const groups = new Map<string, { fid: bigint; read: boolean; mids: bigint[] }>();
    for (const mid of r.changed) {
      const at = await this.local.folderOfMessage(mid);
      const read = readOf.get(mid);
      if (at === null || read === undefined) continue;
      const key = `${at}:${read}`;
      const g = groups.get(key) ?? { fid: at, read, mids: [] };
      g.mids.push(mid);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      if (await this.writer.isMirrored(g.fid)) await this.after('setReadFlags', g.fid, () => this.writer.setReadFlags(g.fid, g.mids, g.read));
    }
    return r;
  }

  /**
   * RopSynchronizationImportMessageMove: UID MOVE (or APPEND / EXPUNGE) as moveCopyMessages does, except that a
   * refusal over quota is not taken back and not the upload's error (logged; handled as any other failed write-back):
   * the moved message carries the client's destination source key, so a move back would make every retry fail.
   */
  async importMessageMove(mid: bigint, dst: bigint, t: IcsImportTracking & { sourceKey: Buffer }): Promise<bigint> {
    const src = await this.local.folderOfMessage(mid);
    const id = await this.local.importMessageMove(mid, dst, t);
    if (src !== null && src !== dst) {
      const ids = new Map([[mid, id]]);
      if (await this.writer.isMirrored(src)) {
        await this.moveWrittenBack(src, dst, ids, 'IMAP server refused a cached-mode move over quota; not taken back (handled as any failed move write-back)');
      } else if (await this.writer.isMirrored(dst)) {
        await this.afterOrRefused('moveMessages', src, () => this.writer.moveCopy(src, dst, ids, false), 'IMAP server refused a cached-mode upload over quota; the message stays on this server only');
      }
    }
    return id;
  }

  /** RopSynchronizationImportHierarchyChange: a new folder is created on IMAP as createFolder does; a rename or move RENAMEs. */
  async importFolder(fid: bigint | null, f: IcsFolderImport): Promise<bigint> {
    if (fid === null) {
      const id = await this.local.importFolder(null, f);
      const cls = f.props.find((p) => p.tag >>> 0 === PidTagContainerClass)?.value;
      if (await this.folderGoesToImap(f.parent, cls)) {
        await this.after('createFolder', id, () => this.writer.createFolder(f.parent, id, f.displayName));
      }
      return id;
    }
    const mirrored = await this.writer.isMirrored(fid);
    const [before] = mirrored ? await this.local.getFolderProps(fid, [PidTagDisplayName]) : [];
    const parentBefore = mirrored ? await this.local.parentOf(fid) : null;
    const id = await this.local.importFolder(fid, f);
    const nameBefore = before && 'value' in before ? String(before.value) : '';
    if (mirrored && (parentBefore !== f.parent || nameBefore !== f.displayName)) {
      await this.after('renameFolder', fid, () => this.writer.renameFolder(fid, f.parent, f.displayName));
    }
    return id;
  }

  async deleteFolder(fid: bigint, flags: number): Promise<DeleteResult> {
    if (await this.writer.isMirrored(fid)) {
      // what the local store would refuse is refused before the IMAP DELETE, which cannot be taken back (a folder with
      // mail deleted without DEL_MESSAGES answers PartialCompletion and must keep its mailbox)
      const refused = this.local.deleteFolderRefusal(fid, flags);
      if (refused) return refused;
      await this.before('deleteFolder', fid, () => this.writer.deleteFolder(fid));
    }
    return this.local.deleteFolder(fid, flags);
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
