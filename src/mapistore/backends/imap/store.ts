// The Store of `store.backend: imap` (issue 8 item 1; docs/imap.md "Store wiring"): the users' MAPI mailboxes are
// LocalMailboxes (the same mailbox files and index as the local backend) whose mail folders are mirrored from the IMAP
// server of `imap.*` (ImapMirror) and written back to it (ImapWriter); one ImapPool serves every user.
//
// - The configuration is checked when the store is built (server start): ImapCredentials throws OC_IMAP_CONFIG for a
//   missing key or an unreadable file, and an empty imap.host is OC_IMAP_CONFIG too.
// - openMailbox: the LocalMailbox, then syncHierarchy and a first syncFolder of every mirrored folder (INBOX first),
//   then the watcher (watcher.ts). The logon waits for the hierarchy, then at most imap.logonSyncSeconds for the
//   messages (ImapMailbox.logonSync): a larger mailbox's mirror goes on in the background (logged when it ends). A
//   refused IMAP login (OC_IMAP_AUTH, OC_IMAP_NO_CREDENTIALS) fails the logon (ecLoginFailure) with an error log line
//   naming the server and login; an unreachable IMAP server does not: the logon goes on with the local mirror as it is
//   (warning logged) and the watcher and refreshFolder sync later.
// - Repeated opens share one ImapMailbox; close() stops every watcher, closes the mailboxes, the index and the pool.
import type { ImapConfig } from '../../../config/types.js';
import type { Logger } from '../../../util/log.js';
import { StoreError } from '../../errors.js';
import type { MailboxOwner, MailboxStore, Store } from '../../types.js';
import type { LocalMailbox } from '../local/mailbox.js';
import type { LocalStore } from '../local/store.js';
import { ImapConfigError, ImapCredentials } from './credentials.js';
import type { UserPasswords } from './user-passwords.js';
import { codeOf, ImapMailbox, type ImapWriter } from './mailbox.js';
import { ImapMirror } from './mirror.js';
import { ImapPool } from './pool.js';
import { ImapWriteBack } from './writeback.js';

export type { ImapWriter };

export interface ImapStoreOptions {
  local: LocalStore;
  imap: ImapConfig;
  log: Logger;
  /** Builds the write-back of a mailbox; default ImapWriteBack (writeback.ts). */
  writer?: (mirror: ImapMirror) => ImapWriter;
  /** Least time between two refreshFolder syncs of one folder (ms). */
  refreshMinMs?: number;
  /** How long refreshes are skipped after the IMAP server could not be reached (ms; default 30 s). */
  downMs?: number;
  /** How long refreshes and interval syncs are skipped after the IMAP server refused the login (ms; default 5 min). */
  loginRetryMs?: number;
  /** Replaces the pool (tests). */
  pool?: ImapPool;
  /** imap.auth userPassword: the passwords of users' HTTP Basic sign-ins (user-passwords.ts). */
  userPasswords?: UserPasswords;
}

const LOGIN_CODES = new Set(['OC_IMAP_AUTH', 'OC_IMAP_NO_CREDENTIALS', 'OC_IMAP_CONFIG']);

export class ImapStore implements Store {
  readonly pool: ImapPool;
  private readonly open = new Map<string, Promise<ImapMailbox>>();
  private readonly log: Logger;

  constructor(private readonly o: ImapStoreOptions) {
    this.log = o.log.child({ component: 'imap-store' });
    if (!o.imap.host) throw new ImapConfigError('store.backend is imap but imap.host is empty');
    const credentials = new ImapCredentials(o.imap, o.userPasswords, this.log);
    this.pool = o.pool ?? new ImapPool(o.imap, credentials, this.log);
  }

  openMailbox(user: MailboxOwner): Promise<MailboxStore> {
    const key = user.username.toLowerCase();
    let p = this.open.get(key);
    if (!p) {
      p = this.doOpen(user);
      this.open.set(key, p);
      p.catch(() => this.open.delete(key));
    }
    return p;
  }

  private async doOpen(user: MailboxOwner): Promise<ImapMailbox> {
    const local = (await this.o.local.openMailbox(user)) as LocalMailbox;
    const mirror = new ImapMirror({ mailbox: local, pool: this.pool, username: user.username, log: this.log, batchBytes: this.o.imap.fetchBatchBytes });
    const mb = new ImapMailbox({
      local,
      mirror,
      writer: this.o.writer ? this.o.writer(mirror) : new ImapWriteBack(mirror),
      pool: this.pool,
      log: this.log,
      syncIntervalSeconds: this.o.imap.syncIntervalSeconds,
      idle: this.o.imap.idle,
      notify: this.o.imap.notify,
      quotaLevels: { warningPercent: this.o.imap.quotaWarningPercent, sendPercent: this.o.imap.quotaSendPercent },
      ...(this.o.refreshMinMs !== undefined ? { refreshMinMs: this.o.refreshMinMs } : {}),
      ...(this.o.downMs !== undefined ? { downMs: this.o.downMs } : {}),
      ...(this.o.loginRetryMs !== undefined ? { loginRetryMs: this.o.loginRetryMs } : {}),
    });
    const where = { user: user.username, server: `${this.o.imap.host}:${this.o.imap.port}` };
    const incomplete = (ok: boolean): void => {
      if (ok) return;
      if (mb.serverDown) this.log.warn(where, 'IMAP server not reachable at logon: the mailbox opens on the local mirror and syncs later');
      else this.log.warn(where, 'IMAP sync at logon incomplete (see the lines before): the mailbox opens on the local mirror and syncs later');
    };
    try {
      const ok = await mb.logonSync(this.o.imap.logonSyncSeconds * 1000);
      const rest = mb.backgroundDone;
      if (ok === null && rest) {
        const started = Date.now();
        this.log.info({ ...where, logonSyncSeconds: this.o.imap.logonSyncSeconds }, 'IMAP mirror still fetching mail: the logon completes, the rest arrives in the background');
        rest.then(
          (done) => {
            incomplete(done);
            if (done) this.log.info({ ...where, ms: Date.now() - started }, 'IMAP mirror of the logon finished in the background');
          },
          (e: unknown) => this.log.error({ ...where, code: codeOf(e), err: (e as Error).message }, 'IMAP mirror of the logon failed in the background'),
        );
      } else if (ok !== null) incomplete(ok);
    } catch (e) {
      if (e instanceof StoreError && LOGIN_CODES.has(e.code)) {
        this.log.error({ user: user.username, code: e.code, err: e.message }, 'IMAP login refused: the logon fails');
        await mb.close().catch((c: unknown) => this.log.warn({ err: (c as Error).message }, 'closing the mailbox failed'));
        throw e;
      }
      throw e;
    }
    mb.startWatching();
    return mb;
  }

  init(): Promise<{ from: number; to: number; applied: number[] } | null> {
    return this.o.local.init();
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) {
      const mb = await p.catch(() => null);
      if (mb) await mb.close();
    }
    await this.o.local.close();
    await this.pool.close();
  }
}
