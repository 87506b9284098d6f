// MS-OXCRPC 3.1.1 Session Context: what EcDoConnectEx creates and the CXH names (user, code page, locales, client
// version, the ROP engine's handle table and logons), the notification queue EcDoAsyncWaitEx waits on, and the
// manager holding every session of the server with the per-user limit and idle expiry.
//
// Notifications (MS-OXCNOTIF 3.1.5): the ROP layer's subscriptions (src/rop/handlers/oxcnotif.ts, notif-tables.ts)
// queue RopNotify data here through notify(); EcDoRpcExt2 drains the queue into its reply and puts back what did not
// fit (requeue). The queue is bounded (MAX_PENDING_NOTIFICATIONS): a client that never fetches loses the oldest
// entries, counted in droppedNotifications, rather than growing the server without limit.
import type { CompressedAhead } from './compress-ahead.js';
import { randomGuid } from '../util/guid.js';
import type { Logger } from '../util/log.js';
import { turns } from '../util/turns.js';
import type { DirectoryUser } from '../directory/types.js';
import { RopSessionState } from '../rop/dispatch.js';

export interface SessionLimits {
  maxSessionsPerUser: number;
  maxObjectsPerSession: number;
  sessionIdleSeconds: number;
}

export interface SessionInit {
  user: DirectoryUser;
  /** The account the RPC security context authenticated (lower-cased username). */
  authUser: string;
  codePage: number;
  lcidString: number;
  lcidSort: number;
  /** The normalised client version (major, minor, build, revision). */
  clientVersion: readonly [number, number, number, number];
  connectFlags: number;
}

/** Most notifications a session keeps for its client (a RopNotify is 20-60 bytes: about 100 KB of replies). */
export const MAX_PENDING_NOTIFICATIONS = 2048;

export class EmsmdbSession {
  /** The CXH's UUID. */
  readonly id: string;
  /** The ACXH's UUID once EcDoAsyncConnectEx ran. */
  asyncId: string | null = null;
  readonly user: DirectoryUser;
  readonly authUser: string;
  readonly codePage: number;
  readonly lcidString: number;
  readonly lcidSort: number;
  readonly clientVersion: readonly [number, number, number, number];
  readonly connectFlags: number;
  readonly rop: RopSessionState;
  /** Session creation time, seconds since 1970 (pulTimeStamp). */
  readonly timeStamp: number;
  lastUsed: number;
  closed = false;

  private pending: unknown[] = [];
  /** Notifications dropped because the queue was full (the oldest go first). */
  droppedNotifications = 0;
  /** The payloads a FastTransfer download's next response is predicted to carry, compressed ahead (compress-ahead.ts). */
  compressAhead: CompressedAhead | undefined = undefined;
  /** Calls since a prediction was last used (predictions then only every 16th call after 3 unused: emsmdb.ts). */
  compressAheadUnused = 0;
  private waiters = new Set<() => void>();
  private readonly turn = turns();

  constructor(
    readonly icxr: number,
    init: SessionInit,
    maxObjects: number,
    now: number,
    id: string = randomGuid(),
  ) {
    this.id = id;
    this.user = init.user;
    this.authUser = init.authUser;
    this.codePage = init.codePage;
    this.lcidString = init.lcidString;
    this.lcidSort = init.lcidSort;
    this.clientVersion = init.clientVersion;
    this.connectFlags = init.connectFlags;
    this.rop = new RopSessionState(maxObjects);
    this.timeStamp = Math.floor(now / 1000) >>> 0;
    this.lastUsed = now;
  }

  /**
   * The notification hook: queues a notification for the client (RopNotify data, filled in by the notification
   * handlers) and completes a waiting EcDoAsyncWaitEx.
   */
  notify(notification: unknown = null): void {
    if (this.closed) return;
    this.pending.push(notification);
    if (this.pending.length > MAX_PENDING_NOTIFICATIONS) {
      this.droppedNotifications += this.pending.length - MAX_PENDING_NOTIFICATIONS;
      this.pending.splice(0, this.pending.length - MAX_PENDING_NOTIFICATIONS);
    }
    for (const w of [...this.waiters]) w();
  }

  /** Puts back notifications that did not fit in a reply, ahead of any queued since (their order is kept). */
  requeue(notifications: readonly unknown[]): void {
    if (this.closed || notifications.length === 0) return;
    this.pending = [...notifications, ...this.pending].slice(-MAX_PENDING_NOTIFICATIONS);
    for (const w of [...this.waiters]) w();
  }

  get hasPendingNotifications(): boolean {
    return this.pending.length > 0;
  }

  /** Takes the queued notifications (the ROP layer turns them into RopNotify responses). */
  takeNotifications(): unknown[] {
    const p = this.pending;
    this.pending = [];
    return p;
  }

  /**
   * Resolves true as soon as a notification is pending, false after `ms` or when `signal` aborts or the session
   * closes.
   */
  waitForNotification(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.hasPendingNotifications) return Promise.resolve(true);
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', done);
        resolve(this.hasPendingNotifications);
      };
      const wake = done;
      const timer = setTimeout(done, ms);
      this.waiters.add(wake);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Runs `fn` after the session's earlier calls (ROP processing of one session is sequential). */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.turn(fn);
  }

  /** Ends the session: releases every server object and wakes a waiting EcDoAsyncWaitEx. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rop.clear();
    for (const w of [...this.waiters]) w();
    this.pending = [];
  }
}

/** The EMSMDB session of a ROP handler's context (RopContext.session is typed `unknown` below the EMSMDB layer). */
export function emsmdbSessionOf(ctx: { session: unknown }): EmsmdbSession {
  if (!(ctx.session instanceof EmsmdbSession)) throw new TypeError('RopContext.session is not an EmsmdbSession');
  return ctx.session;
}

export type CreateSessionResult = { session: EmsmdbSession } | { limit: 'perUser' };

export class SessionManager {
  private readonly byId = new Map<string, EmsmdbSession>();
  private readonly byAsync = new Map<string, EmsmdbSession>();
  private readonly perUser = new Map<string, number>();
  private nextIcxr = 1;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly limits: SessionLimits,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const every = Math.max(1000, Math.min(60_000, (limits.sessionIdleSeconds * 1000) / 4));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  get size(): number {
    return this.byId.size;
  }

  /** A new session for `init`; `id` is the CXH UUID (default: a fresh one). */
  create(init: SessionInit, id?: string): CreateSessionResult {
    const key = init.authUser.toLowerCase();
    const n = this.perUser.get(key) ?? 0;
    if (n >= this.limits.maxSessionsPerUser) return { limit: 'perUser' };
    let icxr = this.nextIcxr;
    // picxr is a u16 naming the session (ulIcxrLink); skip 0 and values in use
    const used = new Set([...this.byId.values()].map((s) => s.icxr));
    for (let i = 0; i < 0xffff && (icxr === 0 || used.has(icxr)); i++) icxr = (icxr + 1) & 0xffff;
    this.nextIcxr = (icxr + 1) & 0xffff || 1;
    const s = new EmsmdbSession(icxr, { ...init, authUser: key }, this.limits.maxObjectsPerSession, this.now(), id);
    this.byId.set(s.id, s);
    this.perUser.set(key, n + 1);
    return { session: s };
  }

  /** The session behind a CXH UUID (touched), or undefined. */
  get(id: string): EmsmdbSession | undefined {
    const s = this.byId.get(id);
    if (s) s.lastUsed = this.now();
    return s;
  }

  /** Binds a new ACXH UUID to the session (EcDoAsyncConnectEx); an earlier one is replaced. */
  bindAsync(s: EmsmdbSession): string {
    if (s.asyncId) this.byAsync.delete(s.asyncId);
    s.asyncId = randomGuid();
    this.byAsync.set(s.asyncId, s);
    return s.asyncId;
  }

  byAsyncHandle(id: string): EmsmdbSession | undefined {
    return this.byAsync.get(id);
  }

  destroy(s: EmsmdbSession): void {
    if (!this.byId.delete(s.id)) return;
    if (s.asyncId) this.byAsync.delete(s.asyncId);
    const n = (this.perUser.get(s.authUser) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(s.authUser);
    else this.perUser.set(s.authUser, n);
    s.close();
  }

  /** Ends the sessions idle longer than sessionIdleSeconds; returns how many. */
  sweep(): number {
    const limit = this.now() - this.limits.sessionIdleSeconds * 1000;
    let n = 0;
    for (const s of [...this.byId.values()]) {
      if (s.lastUsed < limit) {
        this.log.info({ user: s.authUser, icxr: s.icxr }, 'EMSMDB session expired (idle)');
        this.destroy(s);
        n++;
      }
    }
    return n;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of [...this.byId.values()]) this.destroy(s);
  }
}
