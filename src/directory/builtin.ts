// The built-in directory: users, groups and contacts in <dataDir>/directory.sqlite (WAL, so `ocng user ...` can
// change it while the server runs; every lookup reads the database, nothing is cached: generation() tells a reader
// with an index of its own when to rebuild it).
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import type { Config } from '../config/types.js';
import type { Logger } from '../util/log.js';
import { ntHash } from '../auth/md4.js';
import { DirectoryError, DirectoryErrorCode } from './errors.js';
import { migrate } from './migrations.js';
import { DEFAULT_SCRYPT_N, hashPassword, verifyPasswordHash } from './password.js';
import type {
  DirectoryAdmin,
  DirectoryContact,
  DirectoryGroup,
  DirectoryUser,
  PersonAttributes,
  UserSelfService,
} from './types.js';
import {
  groupBy,
  parseAttributes,
  toContact,
  toGroup,
  toUser,
  type CredentialRow,
  type Kind,
  type RecipientRow,
  type UserRow,
} from './builtin-rows.js';
import {
  checkAttributes,
  checkCertificates,
  checkDisplayName,
  checkName,
  checkPassword,
  checkSmtp,
  MAX_ALIASES,
  MAX_DELEGATES,
  mergeAttributes,
  normalizeProxy,
} from './validate.js';

export { NAME_RE, MAX_PASSWORD_LENGTH } from './validate.js';

export const DIRECTORY_FILE = 'directory.sqlite';

interface Ref {
  id: number;
  kind: Kind;
  name: string;
}

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const REC_COLS = 'r.id, r.kind, r.name, r.display_name, r.smtp_address, r.legacy_dn, r.attributes';
const USER_COLS = `${REC_COLS}, u.enabled`;
// Name, primary SMTP address, legacyExchangeDN, or an SMTP alias / X500 proxy (each an indexed equality, so SQLite
// answers the OR with one index probe per term).
const MATCH =
  "(r.name = @key OR r.smtp_address = @key OR r.legacy_dn = @key OR r.id IN (SELECT recipient_id FROM proxy_addresses WHERE address IN ('smtp:' || @key, 'x500:' || @key)))";

class BuiltinDirectory implements DirectoryAdmin {
  private open = true;
  private readonly q: Record<string, Statement>;

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly scryptN: number,
  ) {
    const s = (sql: string) => db.prepare(sql);
    this.q = {
      findUser: s(`SELECT ${USER_COLS} FROM recipients r JOIN users u ON u.id = r.id WHERE ${MATCH}`),
      credentials: s(`SELECT ${USER_COLS}, u.nt_hash, u.password_hash FROM recipients r JOIN users u ON u.id = r.id WHERE ${MATCH}`),
      listUsers: s(`SELECT ${USER_COLS} FROM recipients r JOIN users u ON u.id = r.id ORDER BY r.name`),
      findGroup: s(`SELECT ${REC_COLS} FROM recipients r WHERE r.kind = 'group' AND ${MATCH}`),
      listKind: s(`SELECT ${REC_COLS} FROM recipients r WHERE r.kind = ? ORDER BY r.name`),
      byId: s(`SELECT ${REC_COLS} FROM recipients r WHERE r.id = ?`),
      proxiesOf: s('SELECT address FROM proxy_addresses WHERE recipient_id = ? ORDER BY rowid'),
      allProxies: s('SELECT recipient_id AS k, address AS v FROM proxy_addresses ORDER BY rowid'),
      members: s('SELECT r.name FROM group_members m JOIN recipients r ON r.id = m.user_id WHERE m.group_id = ? ORDER BY r.name'),
      allMembers: s('SELECT m.group_id AS k, r.name AS v FROM group_members m JOIN recipients r ON r.id = m.user_id ORDER BY r.name'),
      byName: s('SELECT id, kind, name FROM recipients WHERE name = ?'),
      byKey: s(`SELECT r.id, r.kind, r.name FROM recipients r WHERE ${MATCH}`),
      bySmtp: s('SELECT id, kind, name FROM recipients WHERE smtp_address = ?'),
      byProxy: s('SELECT r.id, r.kind, r.name FROM proxy_addresses p JOIN recipients r ON r.id = p.recipient_id WHERE p.address = ?'),
      countProxies: s('SELECT count(*) AS n FROM proxy_addresses WHERE recipient_id = ?'),
      insertProxy: s('INSERT INTO proxy_addresses (address, recipient_id, added_at) VALUES (?, ?, ?)'),
      deleteProxy: s('DELETE FROM proxy_addresses WHERE address = ? AND recipient_id = ?'),
      insertRecipient: s(
        `INSERT INTO recipients (kind, name, display_name, smtp_address, legacy_dn, attributes, created_at, changed_at)
         VALUES (@kind, @name, @displayName, @smtp, @dn, @attributes, @now, @now)`,
      ),
      insertUser: s('INSERT INTO users (id, nt_hash, password_hash, enabled) VALUES (?, ?, ?, 1)'),
      deleteRecipient: s('DELETE FROM recipients WHERE id = ?'),
      setPassword: s('UPDATE users SET nt_hash = ?, password_hash = ? WHERE id = ?'),
      setEnabled: s('UPDATE users SET enabled = ? WHERE id = ?'),
      attributesOf: s('SELECT display_name, attributes FROM recipients WHERE id = ?'),
      setAttributes: s('UPDATE recipients SET display_name = ?, attributes = ?, changed_at = ? WHERE id = ?'),
      touch: s('UPDATE recipients SET changed_at = ? WHERE id = ?'),
      isMember: s('SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?'),
      addMember: s('INSERT INTO group_members (group_id, user_id, added_at) VALUES (?, ?, ?)'),
      removeMember: s('DELETE FROM group_members WHERE group_id = ? AND user_id = ?'),
      certificates: s('SELECT der FROM user_certificates WHERE user_id = ? ORDER BY position'),
      deleteCertificates: s('DELETE FROM user_certificates WHERE user_id = ?'),
      insertCertificate: s('INSERT INTO user_certificates (user_id, position, der) VALUES (?, ?, ?)'),
      delegates: s('SELECT d.delegate_id AS id, r.name FROM user_delegates d JOIN recipients r ON r.id = d.delegate_id WHERE d.user_id = ? ORDER BY d.position'),
      deleteDelegates: s('DELETE FROM user_delegates WHERE user_id = ?'),
      insertDelegate: s('INSERT INTO user_delegates (user_id, delegate_id, position) VALUES (?, ?, ?)'),
      generation: s('SELECT value FROM generation WHERE id = 1'),
    };
  }

  private check(): void {
    if (!this.open) throw new DirectoryError(DirectoryErrorCode.CLOSED, 'the directory is closed');
  }

  private legacyDN(name: string): string {
    const s = this.config.server;
    return `/o=${s.organization}/ou=${s.administrativeGroup}/cn=Recipients/cn=${name}`;
  }

  /** The recipient of one of the given kinds, by name, or a NOT_FOUND error that says what the name is instead. */
  private need(kinds: Kind | Kind[], name: string): Ref {
    const list = Array.isArray(kinds) ? kinds : [kinds];
    const what = list.join(' or ');
    const r = typeof name === 'string' && name ? (this.q.byName!.get(name) as Ref | undefined) : undefined;
    if (!r) throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no ${what} named ${JSON.stringify(name)}`);
    if (!list.includes(r.kind)) {
      throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no ${what} named ${JSON.stringify(name)} (${r.name} is a ${r.kind})`);
    }
    return r;
  }

  /** A user by name, SMTP address, alias or legacyExchangeDN (what findUser accepts). */
  private needUser(key: string): Ref {
    const r = typeof key === 'string' && key ? (this.q.byKey!.get({ key }) as Ref | undefined) : undefined;
    if (!r || r.kind !== 'user') throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no user named ${JSON.stringify(key)}`);
    return r;
  }

  /** Refuses an SMTP address (primary or alias) already used by any recipient. */
  private freeAddress(smtp: string): void {
    const a = (this.q.bySmtp!.get(smtp) ?? this.q.byProxy!.get('smtp:' + smtp)) as Ref | undefined;
    if (a) throw new DirectoryError(DirectoryErrorCode.EXISTS, `the address ${smtp} is already used by ${a.kind} ${a.name}`);
  }

  /** Refuses a name or SMTP address already taken by any recipient. */
  private free(name: string, smtp: string): void {
    const n = this.q.byName!.get(name) as Ref | undefined;
    if (n) throw new DirectoryError(DirectoryErrorCode.EXISTS, `a ${n.kind} named ${JSON.stringify(n.name)} already exists`);
    this.freeAddress(smtp);
  }

  /** Stores one proxy address for a recipient (inside a transaction). */
  private insertProxy(id: number, proxy: string): void {
    if (proxy.toLowerCase().startsWith('smtp:')) this.freeAddress(proxy.slice(5));
    const taken = this.q.byProxy!.get(proxy) as Ref | undefined;
    if (taken) throw new DirectoryError(DirectoryErrorCode.EXISTS, `the address ${proxy} is already used by ${taken.kind} ${taken.name}`);
    if ((this.q.countProxies!.get(id) as { n: number }).n >= MAX_ALIASES) {
      throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `at most ${MAX_ALIASES} aliases per recipient`);
    }
    this.q.insertProxy!.run(proxy, id, Date.now());
  }

  private defaultSmtp(name: string): string {
    return `${name}@${this.config.server.dnsDomain}`.toLowerCase();
  }

  private proxies(id: number): string[] | undefined {
    const rows = this.q.proxiesOf!.all(id) as { address: string }[];
    return rows.length ? rows.map((r) => r.address) : undefined;
  }

  async findUser(nameOrAddress: string): Promise<DirectoryUser | null> {
    this.check();
    if (typeof nameOrAddress !== 'string' || !nameOrAddress) return null;
    const r = this.q.findUser!.get({ key: nameOrAddress }) as UserRow | undefined;
    return r ? toUser(r, this.proxies(r.id)) : null;
  }

  async getNtHash(username: string): Promise<Buffer | null> {
    this.check();
    if (typeof username !== 'string' || !username) return null;
    const r = this.q.credentials!.get({ key: username }) as CredentialRow | undefined;
    if (!r || r.enabled !== 1) return null;
    return Buffer.from(r.nt_hash);
  }

  async verifyPassword(username: string, password: string): Promise<DirectoryUser | null> {
    this.check();
    const r =
      typeof username === 'string' && username ? (this.q.credentials!.get({ key: username }) as CredentialRow | undefined) : undefined;
    const ok = await verifyPasswordHash(r?.password_hash ?? null, typeof password === 'string' ? password : '');
    if (!ok || !r || r.enabled !== 1) {
      this.log.debug({ user: username }, 'directory: password check failed');
      return null;
    }
    return toUser(r, this.proxies(r.id));
  }

  async listUsers(): Promise<DirectoryUser[]> {
    this.check();
    return this.db.transaction(() => {
      const proxies = groupBy(this.q.allProxies!.all() as { k: number; v: string }[]);
      return (this.q.listUsers!.all() as UserRow[]).map((r) => toUser(r, proxies.get(r.id)));
    })();
  }

  async findGroup(name: string): Promise<DirectoryGroup | null> {
    this.check();
    if (typeof name !== 'string' || !name) return null;
    const r = this.q.findGroup!.get({ key: name }) as RecipientRow | undefined;
    if (!r) return null;
    const members = (this.q.members!.all(r.id) as { name: string }[]).map((m) => m.name);
    return toGroup(r, members, this.proxies(r.id));
  }

  async listGroups(): Promise<DirectoryGroup[]> {
    this.check();
    return this.db.transaction(() => {
      const groups = this.q.listKind!.all('group') as RecipientRow[];
      const members = groupBy(this.q.allMembers!.all() as { k: number; v: string }[]);
      const proxies = groupBy(this.q.allProxies!.all() as { k: number; v: string }[]);
      return groups.map((g) => toGroup(g, members.get(g.id) ?? [], proxies.get(g.id)));
    })();
  }

  async listContacts(): Promise<DirectoryContact[]> {
    this.check();
    return this.db.transaction(() => {
      const proxies = groupBy(this.q.allProxies!.all() as { k: number; v: string }[]);
      return (this.q.listKind!.all('contact') as RecipientRow[]).map((r) => toContact(r, proxies.get(r.id)));
    })();
  }

  async generation(): Promise<number> {
    this.check();
    return (this.q.generation!.get() as { value: number }).value;
  }

  async getSelfService(username: string): Promise<UserSelfService | null> {
    this.check();
    if (typeof username !== 'string' || !username) return null;
    return this.db.transaction(() => {
      const u = this.q.byKey!.get({ key: username }) as Ref | undefined;
      if (!u || u.kind !== 'user') return null;
      const certificates = (this.q.certificates!.all(u.id) as { der: Buffer }[]).map((c) => Buffer.from(c.der));
      const delegates = (this.q.delegates!.all(u.id) as { name: string }[]).map((d) => d.name);
      return { certificates, delegates };
    })();
  }

  async setCertificates(username: string, certificates: Buffer[]): Promise<void> {
    this.check();
    const certs = checkCertificates(certificates);
    const changed = this.db.transaction(() => {
      const u = this.needUser(username);
      const old = (this.q.certificates!.all(u.id) as { der: Buffer }[]).map((c) => c.der);
      if (old.length === certs.length && old.every((c, i) => c.equals(certs[i] as Buffer))) return null;
      this.q.deleteCertificates!.run(u.id);
      certs.forEach((c, i) => this.q.insertCertificate!.run(u.id, i, c));
      this.q.touch!.run(Date.now(), u.id);
      return u.name;
    }).immediate();
    if (changed) this.log.info({ user: changed, count: certs.length }, 'directory: certificates published');
  }

  async setDelegates(username: string, delegates: string[]): Promise<void> {
    this.check();
    if (!Array.isArray(delegates) || delegates.length > MAX_DELEGATES) {
      throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `at most ${MAX_DELEGATES} delegates (got ${Array.isArray(delegates) ? delegates.length : 'no list'})`);
    }
    const changed = this.db.transaction(() => {
      const u = this.needUser(username);
      const ids: number[] = [];
      for (const d of delegates) {
        const r = this.needUser(d);
        if (!ids.includes(r.id)) ids.push(r.id);
      }
      const old = (this.q.delegates!.all(u.id) as { id: number }[]).map((d) => d.id);
      if (old.length === ids.length && old.every((id, i) => id === ids[i])) return null;
      this.q.deleteDelegates!.run(u.id);
      ids.forEach((id, i) => this.q.insertDelegate!.run(u.id, id, i));
      this.q.touch!.run(Date.now(), u.id);
      return u.name;
    }).immediate();
    if (changed) this.log.info({ user: changed, count: delegates.length }, 'directory: delegates changed');
  }

  async addUser(u: {
    username: string;
    password: string;
    displayName?: string;
    smtpAddress?: string;
    attributes?: PersonAttributes;
    aliases?: string[];
  }): Promise<DirectoryUser> {
    this.check();
    checkName('user', u.username);
    checkPassword(u.password);
    const displayName = checkDisplayName(u.displayName ?? u.username);
    const smtp = checkSmtp(u.smtpAddress ?? this.defaultSmtp(u.username));
    const attributes = JSON.stringify(mergeAttributes({}, checkAttributes(u.attributes)));
    const aliases = (u.aliases ?? []).map(normalizeProxy);
    this.free(u.username, smtp); // early, before the slow hash; checked again in the transaction
    const nt = ntHash(u.password);
    const pwHash = await hashPassword(u.password, this.scryptN);
    this.check();
    this.insert('user', u.username, smtp, () => {
      this.free(u.username, smtp);
      const info = this.q.insertRecipient!.run({ kind: 'user', name: u.username, displayName, smtp, dn: this.legacyDN(u.username), attributes, now: Date.now() });
      const id = Number(info.lastInsertRowid);
      this.q.insertUser!.run(id, nt, pwHash);
      for (const a of aliases) this.insertProxy(id, a);
      return id;
    });
    return (await this.findUser(u.username)) as DirectoryUser;
  }

  /** Runs an insert transaction, mapping a lost race on a unique key to EXISTS, and logs the addition. */
  private insert(kind: Kind, name: string, smtp: string, fn: () => unknown): void {
    let id: unknown;
    try {
      id = this.db.transaction(fn).immediate();
    } catch (e) {
      if (isUniqueViolation(e)) throw new DirectoryError(DirectoryErrorCode.EXISTS, `${kind} ${name} or address ${smtp} already exists`);
      throw e;
    }
    this.log.info({ [kind]: name, id }, `directory: ${kind} added`);
  }

  async removeUser(username: string): Promise<void> {
    this.remove('user', username);
  }

  private remove(kind: Kind, name: string): void {
    this.check();
    const removed = this.db.transaction(() => {
      const r = this.need(kind, name);
      this.q.deleteRecipient!.run(r.id); // cascades to users, group_members, proxies, certificates and delegates
      return r.name;
    }).immediate();
    this.log.info({ [kind]: removed }, `directory: ${kind} removed`);
  }

  async setPassword(username: string, password: string): Promise<void> {
    this.check();
    checkPassword(password);
    this.need('user', username);
    const nt = ntHash(password);
    const pwHash = await hashPassword(password, this.scryptN);
    this.check();
    const name = this.db.transaction(() => {
      const r = this.need('user', username);
      this.q.setPassword!.run(nt, pwHash, r.id);
      this.q.touch!.run(Date.now(), r.id);
      return r.name;
    }).immediate();
    this.log.info({ user: name }, 'directory: password changed');
  }

  async setEnabled(username: string, enabled: boolean): Promise<void> {
    this.check();
    const name = this.db.transaction(() => {
      const r = this.need('user', username);
      this.q.setEnabled!.run(enabled ? 1 : 0, r.id);
      this.q.touch!.run(Date.now(), r.id);
      return r.name;
    }).immediate();
    this.log.info({ user: name, enabled }, enabled ? 'directory: user enabled' : 'directory: user disabled');
  }

  async setAttributes(name: string, attributes: PersonAttributes & { displayName?: string }): Promise<void> {
    this.check();
    const { displayName: dn, ...rest } = attributes ?? {};
    const displayName = dn === undefined ? undefined : checkDisplayName(dn);
    const changes = checkAttributes(rest);
    const done = this.db.transaction(() => {
      const r = this.need(['user', 'contact'], name);
      const cur = this.q.attributesOf!.get(r.id) as { display_name: string; attributes: string };
      const merged = JSON.stringify(mergeAttributes(parseAttributes(cur.attributes), changes));
      this.q.setAttributes!.run(displayName ?? cur.display_name, merged, Date.now(), r.id);
      return r;
    }).immediate();
    this.log.info({ [done.kind]: done.name }, 'directory: attributes changed');
  }

  async addAlias(name: string, address: string): Promise<void> {
    this.check();
    const proxy = normalizeProxy(address);
    const r = this.db.transaction(() => {
      const r = this.need(['user', 'group', 'contact'], name);
      this.insertProxy(r.id, proxy);
      this.q.touch!.run(Date.now(), r.id);
      return r;
    }).immediate();
    this.log.info({ [r.kind]: r.name, alias: proxy }, 'directory: alias added');
  }

  async removeAlias(name: string, address: string): Promise<void> {
    this.check();
    const proxy = normalizeProxy(address);
    const r = this.db.transaction(() => {
      const r = this.need(['user', 'group', 'contact'], name);
      if (this.q.deleteProxy!.run(proxy, r.id).changes === 0) {
        throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `${r.name} has no alias ${proxy}`);
      }
      this.q.touch!.run(Date.now(), r.id);
      return r;
    }).immediate();
    this.log.info({ [r.kind]: r.name, alias: proxy }, 'directory: alias removed');
  }

  async addGroup(g: { name: string; displayName?: string; smtpAddress?: string }): Promise<DirectoryGroup> {
    this.check();
    checkName('group', g.name);
    const displayName = checkDisplayName(g.displayName ?? g.name);
    const smtp = checkSmtp(g.smtpAddress ?? this.defaultSmtp(g.name));
    this.insert('group', g.name, smtp, () => {
      this.free(g.name, smtp);
      return this.q.insertRecipient!.run({ kind: 'group', name: g.name, displayName, smtp, dn: this.legacyDN(g.name), attributes: '{}', now: Date.now() })
        .lastInsertRowid;
    });
    return (await this.findGroup(g.name)) as DirectoryGroup;
  }

  async removeGroup(name: string): Promise<void> {
    this.remove('group', name);
  }

  async addMember(group: string, username: string): Promise<void> {
    this.check();
    const [g, u] = this.db.transaction(() => {
      const g = this.need('group', group);
      const u = this.need('user', username);
      if (this.q.isMember!.get(g.id, u.id)) {
        throw new DirectoryError(DirectoryErrorCode.EXISTS, `${u.name} is already a member of ${g.name}`);
      }
      this.q.addMember!.run(g.id, u.id, Date.now());
      this.q.touch!.run(Date.now(), g.id);
      return [g.name, u.name];
    }).immediate();
    this.log.info({ group: g, user: u }, 'directory: member added');
  }

  async removeMember(group: string, username: string): Promise<void> {
    this.check();
    const [g, u] = this.db.transaction(() => {
      const g = this.need('group', group);
      const u = this.need('user', username);
      if (this.q.removeMember!.run(g.id, u.id).changes === 0) {
        throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `${u.name} is not a member of ${g.name}`);
      }
      this.q.touch!.run(Date.now(), g.id);
      return [g.name, u.name];
    }).immediate();
    this.log.info({ group: g, user: u }, 'directory: member removed');
  }

  async addContact(c: {
    name: string;
    displayName?: string;
    smtpAddress: string;
    attributes?: PersonAttributes;
    aliases?: string[];
  }): Promise<DirectoryContact> {
    this.check();
    checkName('contact', c.name);
    const displayName = checkDisplayName(c.displayName ?? c.name);
    if (typeof c.smtpAddress !== 'string' || !c.smtpAddress) {
      throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, 'a contact needs an SMTP address');
    }
    const smtp = checkSmtp(c.smtpAddress);
    const attributes = JSON.stringify(mergeAttributes({}, checkAttributes(c.attributes)));
    const aliases = (c.aliases ?? []).map(normalizeProxy);
    let id = 0;
    this.insert('contact', c.name, smtp, () => {
      this.free(c.name, smtp);
      const info = this.q.insertRecipient!.run({ kind: 'contact', name: c.name, displayName, smtp, dn: this.legacyDN(c.name), attributes, now: Date.now() });
      id = Number(info.lastInsertRowid);
      for (const a of aliases) this.insertProxy(id, a);
      return id;
    });
    return toContact(this.q.byId!.get(id) as RecipientRow, this.proxies(id));
  }

  async removeContact(name: string): Promise<void> {
    this.remove('contact', name);
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.db.close();
  }
}

export interface OpenDirectoryOptions {
  /**
   * scrypt cost (N) of the HTTP Basic hashes this handle writes (default DEFAULT_SCRYPT_N). Lower only for
   * throw-away data such as test directories of hundreds of users: a stored hash keeps its own N.
   */
  scryptN?: number;
}

/** Opens (creating if needed, mode 0600 inside a 0700 dataDir) and migrates <dataDir>/directory.sqlite. */
export function openDirectory(config: Config, log: Logger, opts: OpenDirectoryOptions = {}): DirectoryAdmin {
  const file = path.join(config.dataDir, DIRECTORY_FILE);
  let db: Database;
  try {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // Pre-create the file so that it (and the -wal/-shm files SQLite derives from it) is private: it holds NT
    // hashes, which are password equivalents.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    db = new BetterSqlite3(file);
  } catch (e) {
    throw new DirectoryError(DirectoryErrorCode.OPEN_FAILED, `cannot open the directory ${file}: ${(e as Error).message}`, { file });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    const from = migrate(db);
    log.debug({ file, from }, 'directory: opened');
    return new BuiltinDirectory(db, config, log, opts.scryptN ?? DEFAULT_SCRYPT_N);
  } catch (e) {
    db.close();
    if (e instanceof DirectoryError) throw e;
    throw new DirectoryError(DirectoryErrorCode.OPEN_FAILED, `cannot open the directory ${file}: ${(e as Error).message}`, { file });
  }
}
