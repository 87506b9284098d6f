// HTTP authentication in the front door (RFC 7235 framework; MS-NTHT for NTLM and Negotiate over HTTP; RFC 7617
// Basic). NTLM and Negotiate are connection-based: each leg is a request answered 401 with the next token, the
// connection stays open, and the user it establishes belongs to that TCP connection. Basic is per request and
// checked against the directory. Failures are counted per source address and per user (ratelimit.ts).
import {
  createNtlmServer,
  createSpnegoServer,
  isAuthError,
  type AccountLookup,
  type NtlmServerOptions,
  type ServerAuthenticator,
} from '../auth/index.js';
import type { Directory } from '../directory/types.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { LoginRateLimiter } from './ratelimit.js';
import type { HttpUser } from './types.js';

export type AuthScheme = 'negotiate' | 'ntlm' | 'basic';
export const AUTH_SCHEMES: readonly AuthScheme[] = ['negotiate', 'ntlm', 'basic'];

export interface HttpAuthOptions {
  /** Offered in this order. */
  schemes: readonly AuthScheme[];
  allowBasicOverHttp: boolean;
  realm: string;
  directory: Directory;
  /** NTLM acceptor settings; `lookup` maps the client's user name to the account and NT hash. */
  ntlm: NtlmServerOptions;
  limiter: LoginRateLimiter;
  /** Domain reported for Basic users that named none. */
  defaultDomain: string;
  /**
   * Told each password the directory accepted in a Basic sign-in, with the account's username (imap.auth
   * userPassword keeps it for the IMAP logins: src/mapistore/backends/imap/user-passwords.ts). Absent: not kept.
   */
  onBasicPassword?: (username: string, password: string) => void;
}

export type AuthOutcome =
  /** Authenticated; `header` is a final WWW-Authenticate token to send with the success response (Negotiate). */
  | { kind: 'ok'; user: HttpUser; header: string | null }
  /** Handshake continues: 401 with this WWW-Authenticate, keep the connection. */
  | { kind: 'challenge'; header: string }
  /** 401 with the offered schemes. */
  | { kind: 'denied' }
  /** 429: too many failures from this address or for this user. */
  | { kind: 'limited'; retryAfterSeconds: number }
  /** The directory could not answer (503). */
  | { kind: 'error' };

const SCHEME_NAMES: Record<AuthScheme, string> = { negotiate: 'Negotiate', ntlm: 'NTLM', basic: 'Basic' };
const NTLMSSP = Buffer.from('NTLMSSP\0', 'latin1');
const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_TOKEN_CHARS = 64 * 1024;

interface Pending {
  scheme: 'ntlm' | 'negotiate';
  server: ServerAuthenticator;
  attempt: { user: string | null; blockedMs: number };
}

function isNtlmNegotiate(token: Buffer): boolean {
  return token.length >= 12 && token.subarray(0, 8).equals(NTLMSSP) && token.readUInt32LE(8) === 1;
}

/** The authentication state of one TCP connection. */
export class ConnectionAuth {
  /** The user an NTLM/Negotiate handshake bound to this connection. */
  user: HttpUser | null = null;
  private pending: Pending | null = null;

  constructor(
    private readonly opts: HttpAuthOptions,
    /** The client address failures are counted against (the listener sets it per request behind a proxy). */
    public peer: string,
    private readonly secure: boolean,
    private readonly log: Logger,
  ) {}

  private basicAllowed(): boolean {
    return this.secure || this.opts.allowBasicOverHttp;
  }

  /** The WWW-Authenticate values of a 401 on this connection. */
  offered(): string[] {
    const out: string[] = [];
    for (const s of this.opts.schemes) {
      if (s === 'basic') {
        if (this.basicAllowed()) out.push(`Basic realm="${this.opts.realm}"`);
      } else out.push(SCHEME_NAMES[s]);
    }
    return out;
  }

  private failed(scheme: string, user: string | null, reason: string, blockedMs = 0): AuthOutcome {
    this.opts.limiter.failure(this.peer, user);
    this.log.warn({ peer: this.peer, scheme, user, reason }, 'HTTP authentication failed');
    if (blockedMs > 0) return { kind: 'limited', retryAfterSeconds: Math.ceil(blockedMs / 1000) };
    return { kind: 'denied' };
  }

  private limited(scheme: string, user: string | null, ms: number, what: string): AuthOutcome {
    this.log.warn({ peer: this.peer, scheme, user, retryAfterMs: ms }, `HTTP authentication refused: too many failures for this ${what}`);
    return { kind: 'limited', retryAfterSeconds: Math.ceil(ms / 1000) };
  }

  /** Checks one request's Authorization field (undefined when absent). */
  async check(authorization: string | undefined): Promise<AuthOutcome> {
    if (authorization === undefined || authorization.trim() === '') {
      return this.user ? { kind: 'ok', user: this.user, header: null } : { kind: 'denied' };
    }
    const m = /^([A-Za-z]+)(?:[ \t]+(.*))?$/.exec(authorization.trim());
    const schemeName = m?.[1]?.toLowerCase() ?? '';
    const scheme = AUTH_SCHEMES.find((s) => s === schemeName);
    if (!m || !scheme || !this.opts.schemes.includes(scheme) || (scheme === 'basic' && !this.basicAllowed())) {
      this.log.warn({ peer: this.peer, scheme: m?.[1] ?? '?' }, 'HTTP authentication scheme not offered here');
      this.pending = null;
      return { kind: 'denied' };
    }
    const blocked = this.opts.limiter.addressBlockedFor(this.peer);
    if (blocked > 0) {
      this.pending = null;
      return this.limited(scheme, null, blocked, 'address');
    }
    const cred = (m[2] ?? '').trim();
    if (cred.length > MAX_TOKEN_CHARS || !B64_RE.test(cred)) {
      this.pending = null;
      return this.failed(scheme, null, 'credentials are not base64');
    }
    const raw = Buffer.from(cred, 'base64');
    return scheme === 'basic' ? this.basic(raw) : this.handshake(scheme, raw);
  }

  private async basic(raw: Buffer): Promise<AuthOutcome> {
    const text = raw.toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return this.failed('basic', null, 'no colon in Basic credentials');
    let name = text.slice(0, colon);
    const password = text.slice(colon + 1);
    let domain = this.opts.defaultDomain;
    const bs = name.indexOf('\\');
    if (bs >= 0) {
      domain = name.slice(0, bs) || domain;
      name = name.slice(bs + 1);
    }
    if (!name) return this.failed('basic', null, 'empty user name');
    const blocked = this.opts.limiter.userBlockedFor(name);
    if (blocked > 0) return this.limited('basic', name, blocked, 'user');
    try {
      const known = await this.opts.directory.findUser(name);
      const user = await this.opts.directory.verifyPassword(known?.username ?? name, password);
      if (!user) return this.failed('basic', name, 'unknown user or bad password');
      this.opts.onBasicPassword?.(user.username.toLowerCase(), password);
      return { kind: 'ok', user: { username: user.username.toLowerCase(), domain, method: 'basic' }, header: null };
    } catch (e) {
      this.log.error({ peer: this.peer, user: name, err: describeError(e) }, 'HTTP Basic: directory check failed');
      return { kind: 'error' };
    }
  }

  private newPending(scheme: 'ntlm' | 'negotiate'): Pending {
    const attempt = { user: null as string | null, blockedMs: 0 };
    const base = this.opts.ntlm.lookup;
    const limiter = this.opts.limiter;
    const lookup: AccountLookup = async (username, domain) => {
      attempt.user = username;
      attempt.blockedMs = limiter.userBlockedFor(username);
      // A locked-out user fails like a wrong password (no oracle); the outcome then says 429.
      return attempt.blockedMs > 0 ? null : base(username, domain);
    };
    const o = { ...this.opts.ntlm, lookup };
    return { scheme, server: scheme === 'ntlm' ? createNtlmServer(o) : createSpnegoServer(o), attempt };
  }

  private async handshake(scheme: 'ntlm' | 'negotiate', token: Buffer): Promise<AuthOutcome> {
    // A NEGOTIATE_MESSAGE (or a SPNEGO NegTokenInit, DER tag 0x60) starts over, dropping any bound user.
    const starts = isNtlmNegotiate(token) || (scheme === 'negotiate' && token[0] === 0x60);
    if (starts || !this.pending || this.pending.scheme !== scheme) {
      if (!starts) {
        this.pending = null;
        return this.failed(scheme, null, 'handshake token without a NEGOTIATE_MESSAGE first');
      }
      this.user = null;
      this.pending = this.newPending(scheme);
    }
    const p = this.pending as Pending;
    const name = SCHEME_NAMES[scheme];
    try {
      const step = await p.server.accept(token);
      if (!step.done) return { kind: 'challenge', header: `${name} ${step.token.toString('base64')}` };
      this.pending = null;
      const user: HttpUser = { username: step.user.username.toLowerCase(), domain: step.user.domain, method: scheme };
      this.user = user;
      return { kind: 'ok', user, header: step.token ? `${name} ${step.token.toString('base64')}` : null };
    } catch (e) {
      this.pending = null;
      if (!isAuthError(e)) {
        this.log.error({ peer: this.peer, scheme, err: describeError(e) }, 'HTTP authentication: internal error');
        return { kind: 'error' };
      }
      return this.failed(scheme, p.attempt.user, describeError(e), p.attempt.blockedMs);
    }
  }
}
