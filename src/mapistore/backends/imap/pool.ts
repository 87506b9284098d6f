// Per-user pools of logged-in IMAP connections (imapflow) for the IMAP backend. Each user has at most
// imap.maxConnectionsPerUser connections; a request takes an idle one or opens a new one, or waits in a queue
// (bounded by imap.timeoutSeconds) for one to be released. A connection unused for imap.idleSeconds is logged out;
// until then a NOOP now and then keeps it from imapflow's socket watchdog (see ImapPoolTimings).
// A connection that breaks (the IMAP server restarted, a timeout) is dropped, never handed out again; run()
// retries an operation once on a fresh connection when the failure was the connection's, not the command's, so
// a session outlives an IMAP server restart. Login failures, unreachable servers and timeouts become StoreErrors
// with stable codes (OC_IMAP_AUTH, OC_IMAP_CONNECT, OC_IMAP_TIMEOUT, OC_IMAP_BUSY) and MAPI error values
// (ecLoginFailure, ecNetError, ecTimeout); their messages name the server and the login user, never a password.
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { ImapConfig } from '../../../config/types.js';
import { ConfigError } from '../../../util/errors.js';
import type { Logger } from '../../../util/log.js';
import { readPemCertificates } from '../../../util/pem.js';
import { SEC, StoreError } from '../../errors.js';
import { ImapConfigError, ImapCredentials, loginLabel, type ImapLogin } from './credentials.js';

export type ImapPoolSettings = Pick<
  ImapConfig,
  'host' | 'port' | 'security' | 'allowInvalidCertificates' | 'maxConnectionsPerUser' | 'idleSeconds' | 'timeoutSeconds'
> &
  Partial<Pick<ImapConfig, 'caFile'>>;

/**
 * The pool's timings below imap.* (tests shorten them). imapflow's socketTimeout is the per-command time limit: a
 * command whose answer is overdue that long fails (ETIMEOUT) and its connection is dropped. The same watchdog also
 * closes a connection that is merely quiet (no command, not in IDLE), so a connection idle in the pool is sent a NOOP
 * whenever the server has not answered on it for keepAliveMs, which must stay below socketTimeoutMs; it stays usable
 * for imap.idleSeconds however long that is.
 */
export interface ImapPoolTimings {
  /** imapflow's socketTimeout; default max(imap.timeoutSeconds, 60 s). */
  socketTimeoutMs?: number;
  /** Quiet time after which an idle pooled connection is sent a keep-alive NOOP; default socketTimeoutMs / 2. */
  keepAliveMs?: number;
}

/** The certificates of imap.caFile (read once, at start-up); ImapConfigError when it cannot be used. */
export function readCaFile(file: string): string {
  try {
    return readPemCertificates(file, 'imap.caFile');
  } catch (e) {
    if (e instanceof ConfigError) throw new ImapConfigError(e.message, { file });
    throw e;
  }
}

/** TLS certificate errors (Node / OpenSSL codes) that mean "not trusted", as opposed to a broken connection. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'INVALID_CA', 'CERT_SIGNATURE_FAILURE',
]);

/** What to do about a failed connection, when the failure says (TLS set-up mistakes); '' otherwise. */
function connectHint(cfg: ImapPoolSettings, err: { code?: string; message?: string; tlsFailed?: boolean }): string {
  if (err.code && UNTRUSTED.has(err.code)) {
    return cfg.caFile
      ? " (the IMAP server's certificate is not trusted by imap.caFile, or does not name imap.host)"
      : " (the IMAP server's certificate is not trusted: set imap.caFile to the CA that signed it, or to the certificate itself when it is self-signed; imap.allowInvalidCertificates is for test servers only)";
  }
  if (err.tlsFailed && /STARTTLS/i.test(err.message ?? '')) {
    return ' (imap.security starttls: turn TLS on in the IMAP server, or use imap.security tls with its implicit-TLS port, or none on loopback or a trusted network only)';
  }
  if (cfg.security === 'tls' && (err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(err.message ?? ''))) {
    return ` (imap.security tls, but port ${cfg.port} does not start with TLS: use the server's implicit-TLS port, usually 993, or imap.security starttls on 143)`;
  }
  return '';
}

/**
 * What to do about a refused login, when the server says who it is (its RFC 2971 ID, which imapflow asks before
 * logging in); '' otherwise. Cyrus has no "user*master" logins.
 */
function authHint(mode: ImapConfig['auth'], login: ImapLogin, serverName: unknown): string {
  if (mode === 'master' && login.authzid === undefined && typeof serverName === 'string' && /cyrus/i.test(serverName)) {
    return ' (Cyrus logs other users in by SASL authorization, its proxyservers: set imap.masterLogin authzid)';
  }
  return '';
}

/** One pooled connection lent to a caller: give it back with release(), or discard() it when it is suspect. */
export interface ImapLease {
  readonly client: ImapFlow;
  release(): void;
  discard(): void;
}

interface Conn {
  client: ImapFlow;
  idleTimer: NodeJS.Timeout | null;
  /** The next keep-alive NOOP while the connection is idle in the pool (see keepAlive()). */
  keepAliveTimer: NodeJS.Timeout | null;
  /** When the server last answered a command on this connection (imapflow's 'response' event, or our NOOP). */
  heardAt: number;
}

interface UserPool {
  idle: Conn[];
  /** Connections lent out or being opened. */
  busy: number;
  /**
   * Callers waiting for a connection. Each is woken with a released connection, with SLOT (a slot of `busy` that a
   * dropped or unopened connection freed, passed on to it: it opens a connection of its own), or with null (its time
   * is up, or the pool closed).
   */
  waiters: { resolve: (c: Conn | typeof SLOT | null) => void; timer: NodeJS.Timeout }[];
}

/** What a waiter gets when a slot is passed on to it (see UserPool.waiters). */
const SLOT = Symbol('slot');

/** Failures that mean "the connection is gone", as opposed to a NO/BAD answer to a command. */
function connectionLost(e: unknown, client: ImapFlow | null): boolean {
  if (client && !client.usable) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'NoConnection' ||
    code === 'EConnectionClosed' ||
    code === 'ETIMEOUT' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ECONNREFUSED' ||
    code === 'CONNECT_TIMEOUT' ||
    code === 'GREETING_TIMEOUT'
  );
}

export class ImapPool {
  private readonly users = new Map<string, UserPool>();
  private closed = false;
  /** imap.caFile's certificates, read when the pool is built (a start-up error when unusable). */
  private readonly ca: string | null;
  private readonly socketTimeoutMs: number;
  private readonly keepAliveMs: number;

  constructor(
    private readonly cfg: ImapPoolSettings,
    readonly credentials: ImapCredentials,
    private readonly log: Logger,
    /** Tests may wrap or replace the client construction. */
    private readonly factory: (o: ImapFlowOptions) => ImapFlow = (o) => new ImapFlow(o),
    timings: ImapPoolTimings = {},
  ) {
    this.ca = cfg.caFile ? readCaFile(cfg.caFile) : null;
    this.socketTimeoutMs = timings.socketTimeoutMs ?? Math.max(cfg.timeoutSeconds * 1000, 60_000);
    this.keepAliveMs = timings.keepAliveMs ?? this.socketTimeoutMs / 2;
  }

  private get server(): string {
    return `${this.cfg.host}:${this.cfg.port}`;
  }

  /** Lends a logged-in connection for `username` (opening one, or waiting for one to be released). */
  async acquire(username: string, userPassword?: string, prefer?: (client: ImapFlow) => boolean): Promise<ImapLease> {
    if (this.closed) throw new StoreError('OC_IMAP_CLOSED', SEC.NetworkError, 'the IMAP connection pool is closed');
    const pool = this.poolOf(username);
    for (;;) {
      // the most recently released idle connection, or the most recent one `prefer` likes (e.g. the mailbox selected);
      // when none does and the user may have another connection, a new one is opened rather than one taken
      let at = pool.idle.length - 1;
      if (prefer && at >= 0) {
        let liked = -1;
        for (let i = at; i >= 0; i--) {
          if (pool.idle[i]!.client.usable && prefer(pool.idle[i]!.client)) {
            liked = i;
            break;
          }
        }
        if (liked >= 0) at = liked;
        else if (pool.busy + pool.idle.length < this.cfg.maxConnectionsPerUser) break;
      }
      const c = at >= 0 ? pool.idle.splice(at, 1)[0] : undefined;
      if (!c) break;
      this.stopTimers(c);
      if (c.client.usable) {
        pool.busy++;
        return this.lease(username, pool, c);
      }
      this.drop(c);
    }
    if (pool.busy < this.cfg.maxConnectionsPerUser) {
      pool.busy++;
      return this.openLease(username, pool, userPassword);
    }
    // all busy: wait for a release or a freed slot (or give up after the time limit)
    const got = await new Promise<Conn | typeof SLOT | null>((resolve) => {
      const timer = setTimeout(() => {
        const i = pool.waiters.findIndex((w) => w.resolve === resolve);
        if (i >= 0) pool.waiters.splice(i, 1);
        resolve(null);
      }, this.cfg.timeoutSeconds * 1000);
      pool.waiters.push({ resolve, timer });
    });
    if (got === SLOT) return this.openLease(username, pool, userPassword);
    if (got) return this.lease(username, pool, got);
    if (this.closed) throw new StoreError('OC_IMAP_CLOSED', SEC.NetworkError, 'the IMAP connection pool is closed');
    // a slot may have been freed by a dropped connection rather than a released one
    if (pool.busy < this.cfg.maxConnectionsPerUser) return this.acquire(username, userPassword, prefer);
    throw new StoreError(
      'OC_IMAP_BUSY',
      SEC.Timeout,
      `all ${this.cfg.maxConnectionsPerUser} IMAP connections of ${username} stayed busy for ${this.cfg.timeoutSeconds} s`,
      { user: username },
    );
  }

  /**
   * Runs `fn` on a pooled connection. When it fails because the connection broke (server restart, timeout), the
   * connection is dropped and `fn` runs once more on a fresh one; a command's own failure (NO/BAD) is thrown as is.
   */
  async run<T>(username: string, fn: (client: ImapFlow) => Promise<T>, userPassword?: string, prefer?: (client: ImapFlow) => boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const lease = await this.acquire(username, userPassword, prefer);
      let result: T;
      try {
        result = await fn(lease.client);
      } catch (e) {
        if (connectionLost(e, lease.client)) {
          lease.discard();
          if (attempt === 0) {
            this.log.warn({ user: username, server: this.server, err: (e as Error).message }, 'IMAP connection lost; retrying on a new one');
            continue;
          }
          throw new StoreError('OC_IMAP_CONNECT', SEC.NetworkError, `IMAP server ${this.server} dropped the connection of ${username}: ${(e as Error).message}`, {
            user: username,
          });
        }
        lease.release();
        throw e;
      }
      lease.release();
      return result;
    }
  }

  /** Open connections per user (tests, logs). */
  stats(): Map<string, { idle: number; busy: number; waiting: number }> {
    const out = new Map<string, { idle: number; busy: number; waiting: number }>();
    for (const [u, p] of this.users) out.set(u, { idle: p.idle.length, busy: p.busy, waiting: p.waiters.length });
    return out;
  }

  /** Logs every idle connection out; lent connections are closed when they come back. */
  async close(): Promise<void> {
    this.closed = true;
    const all: Promise<void>[] = [];
    for (const p of this.users.values()) {
      for (const w of p.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve(null);
      }
      for (const c of p.idle.splice(0)) all.push(this.logout(c));
    }
    await Promise.all(all);
  }

  private poolOf(username: string): UserPool {
    let p = this.users.get(username);
    if (!p) {
      p = { idle: [], busy: 0, waiters: [] };
      this.users.set(username, p);
    }
    return p;
  }

  /** Opens a connection in a slot already counted in `busy`; on failure the slot goes to the next waiter. */
  private async openLease(username: string, pool: UserPool, userPassword?: string): Promise<ImapLease> {
    try {
      if (this.closed) throw new StoreError('OC_IMAP_CLOSED', SEC.NetworkError, 'the IMAP connection pool is closed');
      const c = await this.open(username, userPassword);
      return this.lease(username, pool, c);
    } catch (e) {
      this.freeSlot(pool);
      throw e;
    }
  }

  private lease(username: string, pool: UserPool, c: Conn): ImapLease {
    let done = false;
    return {
      client: c.client,
      release: () => {
        if (done) return;
        done = true;
        this.giveBack(username, pool, c);
      },
      discard: () => {
        if (done) return;
        done = true;
        this.drop(c);
        this.freeSlot(pool);
      },
    };
  }

  private giveBack(username: string, pool: UserPool, c: Conn): void {
    if (this.closed || !c.client.usable) {
      this.drop(c);
      this.freeSlot(pool);
      return;
    }
    const w = pool.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(c); // stays busy: handed straight to the waiter
      return;
    }
    pool.busy--;
    c.idleTimer = setTimeout(() => {
      const i = pool.idle.indexOf(c);
      if (i >= 0) pool.idle.splice(i, 1);
      void this.logout(c);
    }, this.cfg.idleSeconds * 1000);
    c.idleTimer.unref();
    pool.idle.push(c);
    this.keepAlive(pool, c);
  }

  /**
   * Sends an idle pooled connection a NOOP once the server has not answered on it for keepAliveMs (counted from its
   * last answer, which may be from before the release), then again keepAliveMs after each NOOP, while it stays idle:
   * imapflow's watchdog would else close it after socketTimeoutMs of quiet, long before imap.idleSeconds. Taking the
   * connection out of the pool (acquire, idle logout, close) clears the timer; a NOOP that fails drops the
   * connection (when still idle: a caller that took it meanwhile finds it broken, as run() handles).
   */
  private keepAlive(pool: UserPool, c: Conn): void {
    if (c.keepAliveTimer) clearTimeout(c.keepAliveTimer);
    c.keepAliveTimer = setTimeout(() => {
      c.keepAliveTimer = null;
      if (!pool.idle.includes(c)) return;
      const gone = (err?: unknown): void => {
        const i = pool.idle.indexOf(c);
        if (i < 0) return; // lent out or logged out meanwhile: no longer ours to drop
        pool.idle.splice(i, 1);
        if (err !== undefined) this.log.debug({ server: this.server, err: (err as Error).message }, 'IMAP keep-alive NOOP failed; connection dropped');
        this.drop(c);
      };
      if (!c.client.usable) return gone();
      c.client.noop().then(
        () => {
          c.heardAt = Date.now();
          // still idle, and not released again meanwhile (which set the next timer already)
          if (pool.idle.includes(c) && !c.keepAliveTimer) this.keepAlive(pool, c);
        },
        (e: unknown) => gone(e ?? new Error('NOOP failed')),
      );
    }, Math.max(0, c.heardAt + this.keepAliveMs - Date.now()));
    c.keepAliveTimer.unref();
  }

  private stopTimers(c: Conn): void {
    if (c.idleTimer) clearTimeout(c.idleTimer);
    c.idleTimer = null;
    if (c.keepAliveTimer) clearTimeout(c.keepAliveTimer);
    c.keepAliveTimer = null;
  }

  /**
   * A connection of `busy` is gone (dropped, or never opened): its slot passes to the first waiter, which opens a
   * connection in it, or becomes free when nobody waits. (Freeing it and waking the waiter to call acquire() again
   * let any caller that came first take the slot, and the woken waiter failed with OC_IMAP_BUSY without having
   * waited its time.)
   */
  private freeSlot(pool: UserPool): void {
    const w = pool.waiters.shift();
    if (!w) {
      pool.busy--;
      return;
    }
    clearTimeout(w.timer);
    w.resolve(SLOT);
  }

  private async open(username: string, userPassword?: string): Promise<Conn> {
    const login = this.credentials.loginFor(username, userPassword);
    const timeoutMs = this.cfg.timeoutSeconds * 1000;
    const client = this.factory({
      host: this.cfg.host,
      port: this.cfg.port,
      secure: this.cfg.security === 'tls',
      doSTARTTLS: this.cfg.security === 'starttls' ? true : this.cfg.security === 'none' ? false : undefined,
      tls: { rejectUnauthorized: !this.cfg.allowInvalidCertificates, ...(this.ca ? { ca: this.ca } : {}) },
      // an authorization identity only over SASL PLAIN (imapflow's AUTH=LOGIN or LOGIN would drop it and log in as
      // the master user itself): a server without AUTH=PLAIN refuses the login instead
      auth: login.authzid === undefined ? { user: login.user, pass: login.pass } : { user: login.user, pass: login.pass, authzid: login.authzid, loginMethod: 'AUTH=PLAIN' },
      logger: false,
      disableAutoIdle: true,
      qresync: true,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      // the time limit of every command (see ImapPoolTimings); keepAlive() keeps idle connections from it
      socketTimeout: this.socketTimeoutMs,
      clientInfo: { name: 'openchange-ng' },
    });
    // errors after connect (socket reset while idle) must not become unhandled 'error' events
    client.on('error', (e: Error) => this.log.debug({ user: username, server: this.server, err: e.message }, 'IMAP connection error'));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new StoreError('OC_IMAP_TIMEOUT', SEC.Timeout, `IMAP server ${this.server} did not log ${username} in within ${this.cfg.timeoutSeconds} s`, { user: username })),
            timeoutMs,
          );
        }),
      ]);
    } catch (e) {
      client.close();
      if (e instanceof StoreError) throw e;
      const err = e as { authenticationFailed?: boolean; code?: string; message?: string; responseText?: string; tlsFailed?: boolean };
      if (err.authenticationFailed) {
        const label = loginLabel(login);
        const hint = authHint(this.credentials.mode, login, (client as unknown as { serverInfo?: { name?: unknown } | null }).serverInfo?.name);
        this.log.warn({ user: username, login: label, server: this.server, mode: this.credentials.mode }, 'IMAP login refused');
        throw new StoreError(
          'OC_IMAP_AUTH',
          SEC.LogonFailed,
          `IMAP server ${this.server} refused the login ${label} (imap.auth ${this.credentials.mode})${err.responseText ? `: ${err.responseText}` : ''}${hint}`,
          { user: username, login: label },
        );
      }
      this.log.warn({ user: username, server: this.server, err: err.message, code: err.code }, 'IMAP server unreachable');
      throw new StoreError('OC_IMAP_CONNECT', SEC.NetworkError, `IMAP server ${this.server} cannot be reached for ${username}: ${err.message ?? String(e)}${connectHint(this.cfg, err)}`, {
        user: username,
        code: err.code,
      });
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (login.authzid !== undefined && (client as unknown as { authCapabilities?: Map<string, boolean> }).authCapabilities?.get('AUTH=PLAIN') !== true) {
      // imapflow fell back to the LOGIN command (the server announces no AUTH= mechanism at all), which has no
      // authorization identity: that logged the master user in as itself, not as the user
      client.close();
      this.log.warn({ user: username, login: loginLabel(login), server: this.server }, 'IMAP server has no SASL PLAIN for imap.masterLogin authzid');
      throw new StoreError(
        'OC_IMAP_AUTH',
        SEC.LogonFailed,
        `IMAP server ${this.server} offers no AUTHENTICATE PLAIN, which imap.masterLogin authzid needs to log in as ${login.authzid}: use imap.masterLogin separator or another imap.auth`,
        { user: username, login: loginLabel(login) },
      );
    }
    const conn: Conn = { client, idleTimer: null, keepAliveTimer: null, heardAt: Date.now() };
    // each tagged answer of the server (imapflow emits it for every command completed)
    client.on('response', () => {
      conn.heardAt = Date.now();
    });
    return conn;
  }

  private drop(c: Conn): void {
    this.stopTimers(c);
    try {
      c.client.close();
    } catch {
      /* already closed: nothing to release */
    }
  }

  private async logout(c: Conn): Promise<void> {
    this.stopTimers(c);
    try {
      if (c.client.usable) await c.client.logout();
    } catch {
      /* the server went away first: the socket is closed either way */
    }
    try {
      c.client.close();
    } catch {
      /* already closed */
    }
  }
}
