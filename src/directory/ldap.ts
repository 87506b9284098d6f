// The LDAP directory provider (read-only): users, groups and contacts are loaded into memory at start and reloaded
// every directory.ldap.refreshSeconds with paged searches; lookups never touch LDAP, except HTTP Basic password
// checks, which bind as the user. NTLM needs the NT hash, which only the Samba schema's sambaNTPassword exposes
// (Active Directory never lets it be read): without it NTLM fails for that user and the log says why, once.
// A failed reload keeps the previous index; generation() moves only when what the read methods return changed.
import type { Client } from 'ldapts';
import type { Config } from '../config/types.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { DirectoryError, DirectoryErrorCode } from './errors.js';
import { classify, close, connect, connectAndBind, loadSettings, pagedSearch, type LdapSettings } from './ldap-client.js';
import { buildIndex, type IndexedUser, type LdapEntries, type LdapIndex } from './ldap-map.js';
import type { Directory, DirectoryContact, DirectoryGroup, DirectoryUser, UserSelfService } from './types.js';
import { PERSON_ATTRIBUTE_KEYS } from './validate.js';

/** What the last reload did (for logs, `ocng` diagnostics and tests). */
export interface LdapRefreshStats {
  /** When the index in use was loaded (ms since the epoch). */
  loadedAt: number;
  users: number;
  groups: number;
  contacts: number;
  /** Result pages the last successful reload read (over all searches). */
  pages: number;
  /** Reloads that succeeded / failed since start. */
  refreshes: number;
  failures: number;
  /** The last failure, or null after a success. */
  lastError: string | null;
}

export class LdapDirectory implements Directory {
  private index: LdapIndex;
  private gen = 1;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<boolean> | null = null;
  private open = true;
  private readonly noHashLogged = new Set<string>();
  readonly stats: LdapRefreshStats;

  private constructor(
    private readonly config: Config,
    private readonly settings: LdapSettings,
    private readonly log: Logger,
    first: { index: LdapIndex; pages: number },
  ) {
    this.index = first.index;
    this.stats = { loadedAt: Date.now(), users: 0, groups: 0, contacts: 0, pages: first.pages, refreshes: 1, failures: 0, lastError: null };
    this.count();
  }

  /** Connects, loads the index (a failure here is fatal: a coded DirectoryError) and starts the reload timer. */
  static async open(config: Config, log: Logger): Promise<LdapDirectory> {
    const settings = loadSettings(config.directory.ldap);
    const first = await load(config, settings);
    const dir = new LdapDirectory(config, settings, log, first);
    dir.logWarnings(first.index);
    log.info(
      { url: settings.config.url, users: dir.stats.users, groups: dir.stats.groups, contacts: dir.stats.contacts, pages: first.pages },
      'directory: LDAP index loaded',
    );
    if (!settings.config.attributes.ntHash) {
      log.info(
        'directory: no NT hash attribute is mapped (directory.ldap.attributes.ntHash): NTLM logons of LDAP users will fail; ' +
          "NTLM needs the Samba schema's sambaNTPassword in LDAP, or the built-in directory (HTTP Basic works either way)",
      );
    }
    const every = settings.config.refreshSeconds * 1000;
    dir.timer = setInterval(() => void dir.refresh(), every);
    dir.timer.unref();
    return dir;
  }

  private count(): void {
    this.stats.users = this.index.users.length;
    this.stats.groups = this.index.groups.length;
    this.stats.contacts = this.index.contacts.length;
  }

  private logWarnings(index: LdapIndex): void {
    const shown = index.warnings.slice(0, 20);
    for (const w of shown) this.log.warn({ url: this.settings.config.url }, `directory: LDAP: ${w}`);
    if (index.warnings.length > shown.length) this.log.warn(`directory: LDAP: ${index.warnings.length - shown.length} more entries skipped`);
  }

  /**
   * Reloads the index now (the timer calls this); resolves to true when the content changed. Never throws: a
   * failure is logged and the previous index stays in use. Concurrent calls share one reload.
   */
  refresh(): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    this.running ??= (async () => {
      try {
        const next = await load(this.config, this.settings);
        if (!this.open) return false;
        const changed = next.index.hash !== this.index.hash;
        this.index = next.index;
        this.stats.loadedAt = Date.now();
        this.stats.pages = next.pages;
        this.stats.refreshes++;
        this.stats.lastError = null;
        this.count();
        if (changed) {
          this.gen++;
          this.logWarnings(next.index);
          this.log.info({ users: this.stats.users, groups: this.stats.groups, contacts: this.stats.contacts, generation: this.gen }, 'directory: LDAP index changed');
        } else {
          this.log.debug('directory: LDAP index unchanged');
        }
        return changed;
      } catch (e) {
        this.stats.failures++;
        this.stats.lastError = describeError(e);
        this.log.warn({ err: describeError(e) }, 'directory: LDAP reload failed; keeping the previous index');
        return false;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private check(): void {
    if (!this.open) throw new DirectoryError(DirectoryErrorCode.CLOSED, 'the directory is closed');
  }

  private lookup(key: string): IndexedUser | undefined {
    return typeof key === 'string' && key ? this.index.userByKey.get(key.toLowerCase()) : undefined;
  }

  async findUser(nameOrAddress: string): Promise<DirectoryUser | null> {
    this.check();
    return this.lookup(nameOrAddress)?.user ?? null;
  }

  async getNtHash(username: string): Promise<Buffer | null> {
    this.check();
    const u = this.lookup(username);
    if (!u || !u.user.enabled) return null;
    if (!u.ntHash) {
      const name = u.user.username.toLowerCase();
      if (!this.noHashLogged.has(name)) {
        this.noHashLogged.add(name);
        this.log.info(
          { user: u.user.username, dn: u.dn },
          `directory: LDAP user ${u.user.username} has no readable NT hash (${this.settings.config.attributes.ntHash || 'no NT hash attribute mapped'}), ` +
            "so NTLM logons fail for this user: NTLM needs the Samba schema's sambaNTPassword in LDAP, or the built-in directory",
        );
      }
      return null;
    }
    return Buffer.from(u.ntHash);
  }

  async verifyPassword(username: string, password: string): Promise<DirectoryUser | null> {
    this.check();
    const u = this.lookup(username);
    // An empty password would be an unauthenticated bind, which LDAP servers answer with success.
    const usable = typeof password === 'string' && password.length > 0 && password.length <= 1024;
    // Unknown users still cost a bind (to a DN that does not exist), so that a miss takes as long as a hit.
    const dn = u?.dn ?? `cn=ocng-no-such-user,${this.settings.config.baseDn}`;
    if (!usable) return null;
    let client: Client | undefined;
    try {
      client = await connect(this.settings);
      await client.bind(dn, password);
    } catch (e) {
      const err = classify(e, 'bind', this.settings);
      if (err.code === DirectoryErrorCode.LDAP_UNREACHABLE) this.log.warn({ user: username, err: err.message }, 'directory: LDAP password check failed');
      else this.log.debug({ user: username, err: err.message }, 'directory: password check failed');
      return null;
    } finally {
      if (client) await close(client);
    }
    if (!u || !u.user.enabled) return null;
    return u.user;
  }

  async listUsers(): Promise<DirectoryUser[]> {
    this.check();
    return this.index.users.slice();
  }

  async findGroup(name: string): Promise<DirectoryGroup | null> {
    this.check();
    return typeof name === 'string' && name ? (this.index.groupByKey.get(name.toLowerCase()) ?? null) : null;
  }

  async listGroups(): Promise<DirectoryGroup[]> {
    this.check();
    return this.index.groups.slice();
  }

  async listContacts(): Promise<DirectoryContact[]> {
    this.check();
    return this.index.contacts.slice();
  }

  async generation(): Promise<number> {
    this.check();
    return this.gen;
  }

  async getSelfService(username: string): Promise<UserSelfService | null> {
    this.check();
    const u = this.lookup(username);
    if (!u) return null;
    return { certificates: u.selfService.certificates.map((c) => Buffer.from(c)), delegates: [...u.selfService.delegates] };
  }

  async setCertificates(username: string, _certificates?: Buffer[]): Promise<void> {
    this.check();
    throw this.readOnly(`publish certificates for ${username}`);
  }

  async setDelegates(username: string, _delegates?: string[]): Promise<void> {
    this.check();
    throw this.readOnly(`change the delegates of ${username}`);
  }

  private readOnly(what: string): DirectoryError {
    return new DirectoryError(
      DirectoryErrorCode.READ_ONLY,
      `cannot ${what}: the LDAP directory is read-only for ocng (change it in the LDAP server)`,
    );
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

/** The attributes each search asks for (only what the map uses, so photos and the like stay on the server). */
function requested(config: Config): { user: string[]; group: string[]; contact: string[]; buffers: string[] } {
  const a = config.directory.ldap.attributes;
  const person = PERSON_ATTRIBUTE_KEYS.map((k) => a[k]);
  const pick = (...names: string[]) => [...new Set(['cn', ...names.filter(Boolean)])];
  const user = pick(a.username, a.displayName, a.mail, a.proxyAddresses, ...person, a.ntHash, a.accountFlags, a.userAccountControl,
    a.legacyExchangeDN, a.certificate, a.publicDelegates, a.memberOf);
  const group = pick(a.groupName, a.displayName, a.mail, a.proxyAddresses, a.legacyExchangeDN, a.member, a.memberUid);
  const contact = pick(a.contactName, a.displayName, a.mail, a.proxyAddresses, ...person, a.legacyExchangeDN);
  const buffers = a.certificate ? [a.certificate, a.certificate.toLowerCase()] : [];
  return { user, group, contact, buffers };
}

async function load(config: Config, s: LdapSettings): Promise<{ index: LdapIndex; pages: number }> {
  const want = requested(config);
  const client = await connectAndBind(s);
  try {
    const users = await pagedSearch(client, s, 'users', s.config.userFilter, want.user, want.buffers);
    const groups = await pagedSearch(client, s, 'groups', s.config.groupFilter, want.group, []);
    const contacts = s.config.contactFilter
      ? await pagedSearch(client, s, 'contacts', s.config.contactFilter, want.contact, [])
      : { entries: [], pages: 0 };
    const entries: LdapEntries = { users: users.entries, groups: groups.entries, contacts: contacts.entries };
    return { index: buildIndex(entries, config), pages: users.pages + groups.pages + contacts.pages };
  } finally {
    await close(client);
  }
}

/** Opens the LDAP provider (see LdapDirectory.open). */
export function openLdapDirectory(config: Config, log: Logger): Promise<LdapDirectory> {
  return LdapDirectory.open(config, log);
}
