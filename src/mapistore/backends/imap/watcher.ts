// Change pickup of an open IMAP-backed mailbox (issue 8 item 3): while the mailbox is open,
// - one pooled connection waits in IDLE (RFC 2177) on INBOX, opened read-only (EXAMINE). An untagged EXISTS, EXPUNGE
//   or FETCH (RFC 9051 7.4.1, 7.5.1, 7.5.2: new mail, expunges, flag changes by another client) makes the mirror sync
//   INBOX at once, so connected sessions get NewMail / ObjectCreated / ObjectModified / ObjectDeleted through the
//   mailbox's events (MS-OXCNOTIF; nothing new on that path);
// - with imap.notify and a server that advertises RFC 5465 NOTIFY, the same connection also asks (NOTIFY SET, before
//   its IDLE) for the MessageNew, MessageExpunge and FlagChange events of every mailbox of the personal namespace; the
//   server reports those of mailboxes other than INBOX as untagged STATUS responses (RFC 5465 5.2-5.4), each of which
//   makes the mirror sync that folder at once (a name the mirror does not know yet: the hierarchy and every folder);
// - every imap.syncIntervalSeconds every mirrored folder is synced (what NOTIFY does not report: mailboxes created,
//   renamed or deleted, which Dovecot 2.3 does not announce, and other folders on a server without NOTIFY).
//
// Choices where the RFCs leave room:
// - IDLE is broken and re-issued (DONE, NOOP, IDLE) every IDLE_RENEW_MS, far below the 29 minutes RFC 2177 asks
//   clients to stay under and below the pool's socket timeout, so middleboxes and imapflow's timeout never see a
//   silent socket.
// - the sync runs on another pooled connection (the mirror's); the IDLE connection only listens. Events within
//   DEBOUNCE_MS are folded into one sync.
// - the IDLE connection is one of the user's imap.maxConnectionsPerUser pool slots.
// - a lost connection (IMAP server restart) is dropped and a new one opened after 1 s, doubling up to 30 s while the
//   server stays away; after a reconnect INBOX is synced once (changes made while nobody listened), every folder when
//   NOTIFY was on. A refused login (a password changed on the IMAP server; in userPassword mode, no password kept)
//   is tried again every LOGIN_RETRY_MS (5 minutes) only, so a site's fail2ban or account lockout does not count a
//   try every 30 s; stop() ends any of these waits at once.
// - NOTIFY goes through imapflow's internal exec() (command.ts; imapflow has no API for it); the STATUS responses,
//   which imapflow does not handle outside its own STATUS command, are taken by a handler set on that connection only
//   (it is never handed out again: the lease is discarded when the IDLE ends). A NOTIFY the server refuses is logged once per
//   connection, and the connection goes on with IDLE on INBOX alone.
// - events for one mailbox within DEBOUNCE_MS are folded into one sync, as for INBOX.
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../../util/log.js';
import { StoreError } from '../../errors.js';
import { atom, rawCommand, type RawImapFlow } from './command.js';
import type { ImapLease, ImapPool } from './pool.js';

export interface WatcherOptions {
  pool: ImapPool;
  username: string;
  log: Logger;
  /** The FID mirroring INBOX (null before the first hierarchy sync found it). */
  inboxFid(): Promise<bigint | null>;
  /** Syncs one folder (serialized and error-logged by the caller). */
  syncFolder(fid: bigint): Promise<void>;
  /** Syncs every mirrored folder (the interval sync). */
  syncAll(): Promise<unknown>;
  /** Milliseconds between interval syncs of every folder. */
  intervalMs: number;
  /** Keep an IDLE connection on INBOX. */
  idle: boolean;
  /** Ask for RFC 5465 NOTIFY events of every personal mailbox on the IDLE connection, when the server has NOTIFY. */
  notify?: boolean;
  /** The FID mirroring an IMAP mailbox named as the server lists it, or null (NOTIFY). */
  folderOf?(imapName: string): Promise<bigint | null>;
}

/** RFC 5465 3.1 NOTIFY SET: INBOX (the selected mailbox) as without NOTIFY, every other personal mailbox by STATUS. */
const NOTIFY_EVENTS = ['MessageNew', 'MessageExpunge', 'FlagChange'];

/** The mailbox name of an untagged STATUS (RFC 9051 7.3.4: STATUS mailbox (items)), or null. */
export function statusMailbox(attributes: readonly unknown[] | undefined): string | null {
  const v = (attributes?.[0] as { value?: unknown } | null | undefined)?.value;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

const DEBOUNCE_MS = 100;
const IDLE_RENEW_MS = 25_000;
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;
/** How often the IDLE connection tries again after the IMAP server refused the login (or there was no password). */
const LOGIN_RETRY_MS = 5 * 60_000;
const LOGIN_REFUSED = new Set(['OC_IMAP_AUTH', 'OC_IMAP_NO_CREDENTIALS']);

export class ImapWatcher {
  private stopped = false;
  private interval: NodeJS.Timeout | null = null;
  private lease: ImapLease | null = null;
  private loop: Promise<void> | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  /** Running sync triggered by IDLE (tests wait for it). */
  private pending: Promise<void> = Promise.resolve();
  /** Mailboxes (other than INBOX) reported by NOTIFY and waiting for their sync, by name as listed. */
  private readonly reported = new Map<string, NodeJS.Timeout>();
  /** True while the IDLE connection has NOTIFY set. */
  private notifying = false;

  constructor(private readonly o: WatcherOptions) {}

  start(): void {
    if (this.interval || this.loop) return;
    this.interval = setInterval(() => {
      this.o.syncAll().catch((e: unknown) => this.o.log.warn({ user: this.o.username, err: (e as Error).message }, 'IMAP interval sync failed'));
    }, this.o.intervalMs);
    this.interval.unref();
    if (this.o.idle) this.loop = this.idleLoop();
  }

  /** True while an IDLE connection is established on INBOX. */
  get idling(): boolean {
    return this.lease !== null && this.lease.client.idling;
  }

  /** True while the IDLE connection also has RFC 5465 NOTIFY set for the other mailboxes. */
  get notifyActive(): boolean {
    return this.notifying && this.idling;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    if (this.debounce) clearTimeout(this.debounce);
    for (const t of this.reported.values()) clearTimeout(t);
    this.reported.clear();
    this.interval = null;
    this.debounce = null;
    this.wake?.();
    // dropping the connection ends the IDLE at once (a DONE would wait for the server)
    this.lease?.discard();
    this.lease = null;
    await this.loop;
    await this.pending;
  }

  private triggerInbox(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.pending = this.pending
        .then(() => this.syncInbox())
        .catch((e: unknown) => this.o.log.warn({ user: this.o.username, err: (e as Error).message }, 'IMAP INBOX sync after IDLE failed'));
    }, DEBOUNCE_MS);
  }

  /** A NOTIFY STATUS for a mailbox other than INBOX: that folder's sync soon (the hierarchy's when it is new). */
  private triggerMailbox(name: string): void {
    if (this.stopped || this.reported.has(name)) return;
    this.reported.set(name, setTimeout(() => {
      this.reported.delete(name);
      this.pending = this.pending
        .then(async () => {
          if (this.stopped) return;
          const fid = this.o.folderOf ? await this.o.folderOf(name) : null;
          if (fid !== null) await this.o.syncFolder(fid);
          else await this.o.syncAll();
        })
        .catch((e: unknown) => this.o.log.warn({ user: this.o.username, mailbox: name, err: (e as Error).message }, 'IMAP sync after NOTIFY failed'));
    }, DEBOUNCE_MS));
  }

  /** The changes made while nobody listened: INBOX, or every folder when NOTIFY was reporting the others. */
  private catchUp(all: boolean): void {
    if (!all) {
      this.triggerInbox();
      return;
    }
    this.pending = this.pending
      .then(() => (this.stopped ? undefined : this.o.syncAll()))
      .then(() => undefined)
      .catch((e: unknown) => this.o.log.warn({ user: this.o.username, err: (e as Error).message }, 'IMAP sync after reconnecting failed'));
  }

  /**
   * NOTIFY SET on the IDLE connection (RFC 5465 3.1), when the server advertises NOTIFY and imap.notify is on; the
   * STATUS responses it brings trigger their folders' syncs. False when not set (not asked, not advertised, refused).
   */
  private async notifySet(client: ImapFlow): Promise<boolean> {
    if (!this.o.notify || !client.capabilities.has('NOTIFY')) return false;
    const raw = client as unknown as RawImapFlow;
    raw.untaggedHandlers.STATUS = async (u) => {
      const name = statusMailbox(u.attributes);
      if (name === null) return;
      if (name.toUpperCase() === 'INBOX') this.triggerInbox();
      else this.triggerMailbox(name);
    };
    const events = NOTIFY_EVENTS.map(atom);
    try {
      await rawCommand(client, 'NOTIFY', [atom('SET'), [atom('selected'), events], [atom('personal'), events]]);
      return true;
    } catch (e) {
      if (!client.usable) throw e;
      const err = e as { responseText?: string; message?: string };
      this.o.log.info({ user: this.o.username, err: err.responseText || err.message }, 'IMAP NOTIFY refused: folders other than INBOX are synced at the interval');
      raw.untaggedHandlers.STATUS = undefined;
      return false;
    }
  }

  private async syncInbox(): Promise<void> {
    if (this.stopped) return;
    const fid = await this.o.inboxFid();
    if (fid !== null) await this.o.syncFolder(fid);
  }

  /** Waits `ms`, or until stop(); at once when already stopped (stop() may come while no sleep is running). */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async idleLoop(): Promise<void> {
    let backoff = RECONNECT_FIRST_MS;
    let reconnect = false;
    while (!this.stopped) {
      let lease: ImapLease;
      try {
        lease = await this.o.pool.acquire(this.o.username);
      } catch (e) {
        if (this.stopped) break;
        // a refused login is not tried every 30 s for as long as the mailbox stays open (a site's fail2ban or account
        // lockout would count each try): once every LOGIN_RETRY_MS; so do the refreshes and interval syncs (mailbox.ts)
        const code = e instanceof StoreError ? e.code : undefined;
        const refused = code !== undefined && LOGIN_REFUSED.has(code);
        const wait = refused ? LOGIN_RETRY_MS : backoff;
        this.o.log.warn({ user: this.o.username, code, err: (e as Error).message, retryMs: wait }, 'IMAP IDLE connection cannot be opened; retrying');
        await this.sleep(wait);
        if (!refused) backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
        reconnect = true;
        continue;
      }
      if (this.stopped) {
        lease.discard();
        break;
      }
      this.lease = lease;
      const client = lease.client;
      const onChange = (p: { path?: string }): void => {
        if (!p.path || p.path.toUpperCase() === 'INBOX') this.triggerInbox();
      };
      client.on('exists', onChange);
      client.on('expunge', onChange);
      client.on('flags', onChange);
      let renew: NodeJS.Timeout | null = null;
      try {
        await client.mailboxOpen('INBOX', { readOnly: true });
        const wasNotifying = this.notifying;
        this.notifying = await this.notifySet(client);
        backoff = RECONNECT_FIRST_MS;
        if (reconnect) this.catchUp(wasNotifying || this.notifying);
        reconnect = false;
        renew = setInterval(() => {
          // breaks the IDLE (imapflow sends DONE first); the loop below starts the next one
          if (client.usable) client.noop().catch((e: unknown) => this.o.log.debug({ user: this.o.username, err: (e as Error).message }, 'IMAP IDLE renewal failed'));
        }, IDLE_RENEW_MS);
        renew.unref();
        await this.idleOn(client);
      } catch (e) {
        if (!this.stopped) this.o.log.warn({ user: this.o.username, err: (e as Error).message }, 'IMAP IDLE connection failed; reconnecting');
      } finally {
        if (renew) clearInterval(renew);
        client.off('exists', onChange);
        client.off('expunge', onChange);
        client.off('flags', onChange);
        if (this.lease === lease) this.lease = null;
        // (NOTIFY stays set on this connection, which is closed here and never handed out again)
        lease.discard();
      }
      if (this.stopped) break;
      reconnect = true;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
    }
  }

  /** IDLEs until the connection goes (a renewal NOOP ends one IDLE; the next starts right after). */
  private async idleOn(client: ImapFlow): Promise<void> {
    while (!this.stopped && client.usable) {
      // whenFree: after a renewal NOOP broke the IDLE, wait for that command before the next IDLE
      await client.idle({ whenFree: true });
      if (client.idling) await new Promise((r) => setTimeout(r, 50)); // another IDLE of this connection still runs
    }
    if (!this.stopped) this.o.log.info({ user: this.o.username }, 'IMAP IDLE connection closed');
  }
}
