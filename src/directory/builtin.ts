// The built-in directory: users and groups in <dataDir>/directory.sqlite (WAL, so `ocng user ...` can change it
// while the server runs; every lookup reads the database, nothing is cached).
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import type { Config } from '../config/types.js';
import type { Logger } from '../util/log.js';
import { ntHash } from '../auth/md4.js';
import { DirectoryError, DirectoryErrorCode } from './errors.js';
import { migrate } from './migrations.js';
import { hashPassword, verifyPasswordHash } from './password.js';
import type { DirectoryAdmin, DirectoryGroup, DirectoryUser } from './types.js';

export const DIRECTORY_FILE = 'directory.sqlite';

export const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const SMTP_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/;
export const MAX_PASSWORD_LENGTH = 256;
const MAX_DISPLAY_NAME = 256;

interface RecipientRow {
  id: number;
  kind: 'user' | 'group';
  name: string;
  display_name: string;
  smtp_address: string;
  legacy_dn: string;
}
interface UserRow extends RecipientRow {
  enabled: number;
}
interface CredentialRow extends UserRow {
  nt_hash: Buffer;
  password_hash: string;
}

function checkName(what: 'user' | 'group', name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new DirectoryError(
      DirectoryErrorCode.BAD_NAME,
      `invalid ${what} name ${JSON.stringify(name)}: use 1 to 64 letters, digits, ".", "_" or "-"`,
    );
  }
}

function checkDisplayName(v: string): string {
  const t = v.trim();
  if (!t || t.length > MAX_DISPLAY_NAME || /[\u0000-\u001f\u007f]/.test(t)) {
    throw new DirectoryError(
      DirectoryErrorCode.BAD_VALUE,
      `invalid display name ${JSON.stringify(v)}: 1 to ${MAX_DISPLAY_NAME} characters without control characters`,
    );
  }
  return t;
}

function checkSmtp(v: string): string {
  const t = v.trim();
  if (t.length > 254 || !SMTP_RE.test(t)) {
    throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `invalid SMTP address ${JSON.stringify(v)}`);
  }
  return t;
}

function checkPassword(pw: string): void {
  if (typeof pw !== 'string' || pw.length === 0) {
    throw new DirectoryError(DirectoryErrorCode.WEAK_PASSWORD, 'the password must not be empty');
  }
  if (pw.length > MAX_PASSWORD_LENGTH) {
    throw new DirectoryError(DirectoryErrorCode.BAD_PASSWORD, `the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
}

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE' || (e as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function toUser(r: UserRow): DirectoryUser {
  return {
    id: r.id,
    username: r.name,
    displayName: r.display_name,
    smtpAddress: r.smtp_address,
    legacyExchangeDN: r.legacy_dn,
    enabled: r.enabled === 1,
  };
}

const USER_COLS = 'r.id, r.kind, r.name, r.display_name, r.smtp_address, r.legacy_dn, u.enabled';
const GROUP_COLS = 'r.id, r.kind, r.name, r.display_name, r.smtp_address, r.legacy_dn';

class BuiltinDirectory implements DirectoryAdmin {
  private open = true;
  private readonly q: Record<string, Statement>;

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    const match = '(r.name = @key OR r.smtp_address = @key OR r.legacy_dn = @key)';
    this.q = {
      findUser: db.prepare(`SELECT ${USER_COLS} FROM recipients r JOIN users u ON u.id = r.id WHERE ${match}`),
      credentials: db.prepare(
        `SELECT ${USER_COLS}, u.nt_hash, u.password_hash FROM recipients r JOIN users u ON u.id = r.id WHERE ${match}`,
      ),
      listUsers: db.prepare(`SELECT ${USER_COLS} FROM recipients r JOIN users u ON u.id = r.id ORDER BY r.name`),
      findGroup: db.prepare(`SELECT ${GROUP_COLS} FROM recipients r WHERE r.kind = 'group' AND ${match}`),
      listGroups: db.prepare(`SELECT ${GROUP_COLS} FROM recipients r WHERE r.kind = 'group' ORDER BY r.name`),
      members: db.prepare(
        'SELECT r.name FROM group_members m JOIN recipients r ON r.id = m.user_id WHERE m.group_id = ? ORDER BY r.name',
      ),
      allMembers: db.prepare(
        'SELECT m.group_id AS group_id, r.name AS name FROM group_members m JOIN recipients r ON r.id = m.user_id ORDER BY r.name',
      ),
      byName: db.prepare('SELECT id, kind, name FROM recipients WHERE name = ?'),
      bySmtp: db.prepare('SELECT id, kind, name FROM recipients WHERE smtp_address = ?'),
      insertRecipient: db.prepare(
        `INSERT INTO recipients (kind, name, display_name, smtp_address, legacy_dn, created_at, changed_at)
         VALUES (@kind, @name, @displayName, @smtp, @dn, @now, @now)`,
      ),
      insertUser: db.prepare('INSERT INTO users (id, nt_hash, password_hash, enabled) VALUES (?, ?, ?, 1)'),
      deleteRecipient: db.prepare('DELETE FROM recipients WHERE id = ?'),
      setPassword: db.prepare('UPDATE users SET nt_hash = ?, password_hash = ? WHERE id = ?'),
      setEnabled: db.prepare('UPDATE users SET enabled = ? WHERE id = ?'),
      touch: db.prepare('UPDATE recipients SET changed_at = ? WHERE id = ?'),
      isMember: db.prepare('SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?'),
      addMember: db.prepare('INSERT INTO group_members (group_id, user_id, added_at) VALUES (?, ?, ?)'),
      removeMember: db.prepare('DELETE FROM group_members WHERE group_id = ? AND user_id = ?'),
    };
  }

  private check(): void {
    if (!this.open) throw new DirectoryError(DirectoryErrorCode.CLOSED, 'the directory is closed');
  }

  private legacyDN(name: string): string {
    const s = this.config.server;
    return `/o=${s.organization}/ou=${s.administrativeGroup}/cn=Recipients/cn=${name}`;
  }

  /** The recipient of that exact kind, by name, or a NOT_FOUND error that says what the name is instead. */
  private need(kind: 'user' | 'group', name: string): { id: number; name: string } {
    const r = this.q.byName!.get(name) as { id: number; kind: string; name: string } | undefined;
    if (!r) throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no ${kind} named ${JSON.stringify(name)}`);
    if (r.kind !== kind) {
      throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no ${kind} named ${JSON.stringify(name)} (${r.name} is a ${r.kind})`);
    }
    return r;
  }

  /** Refuses a name or SMTP address already taken by any recipient. */
  private free(name: string, smtp: string): void {
    const n = this.q.byName!.get(name) as { kind: string; name: string } | undefined;
    if (n) throw new DirectoryError(DirectoryErrorCode.EXISTS, `a ${n.kind} named ${JSON.stringify(n.name)} already exists`);
    const a = this.q.bySmtp!.get(smtp) as { kind: string; name: string } | undefined;
    if (a) throw new DirectoryError(DirectoryErrorCode.EXISTS, `the address ${smtp} is already used by ${a.kind} ${a.name}`);
  }

  private defaultSmtp(name: string): string {
    return `${name}@${this.config.server.dnsDomain}`.toLowerCase();
  }

  async findUser(nameOrAddress: string): Promise<DirectoryUser | null> {
    this.check();
    if (typeof nameOrAddress !== 'string' || !nameOrAddress) return null;
    const r = this.q.findUser!.get({ key: nameOrAddress }) as UserRow | undefined;
    return r ? toUser(r) : null;
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
    return toUser(r);
  }

  async listUsers(): Promise<DirectoryUser[]> {
    this.check();
    return (this.q.listUsers!.all() as UserRow[]).map(toUser);
  }

  async findGroup(name: string): Promise<DirectoryGroup | null> {
    this.check();
    if (typeof name !== 'string' || !name) return null;
    const r = this.q.findGroup!.get({ key: name }) as RecipientRow | undefined;
    if (!r) return null;
    const members = (this.q.members!.all(r.id) as { name: string }[]).map((m) => m.name);
    return this.toGroup(r, members);
  }

  async listGroups(): Promise<DirectoryGroup[]> {
    this.check();
    const read = this.db.transaction(() => {
      const groups = this.q.listGroups!.all() as RecipientRow[];
      const members = new Map<number, string[]>();
      for (const m of this.q.allMembers!.all() as { group_id: number; name: string }[]) {
        let list = members.get(m.group_id);
        if (!list) members.set(m.group_id, (list = []));
        list.push(m.name);
      }
      return groups.map((g) => this.toGroup(g, members.get(g.id) ?? []));
    });
    return read();
  }

  private toGroup(r: RecipientRow, members: string[]): DirectoryGroup {
    return { id: r.id, name: r.name, displayName: r.display_name, smtpAddress: r.smtp_address, legacyExchangeDN: r.legacy_dn, members };
  }

  async addUser(u: { username: string; password: string; displayName?: string; smtpAddress?: string }): Promise<DirectoryUser> {
    this.check();
    checkName('user', u.username);
    checkPassword(u.password);
    const displayName = checkDisplayName(u.displayName ?? u.username);
    const smtp = checkSmtp(u.smtpAddress ?? this.defaultSmtp(u.username));
    this.free(u.username, smtp); // early, before the slow hash; checked again in the transaction
    const nt = ntHash(u.password);
    const pwHash = await hashPassword(u.password);
    this.check();
    const insert = this.db.transaction(() => {
      this.free(u.username, smtp);
      const info = this.q.insertRecipient!.run({
        kind: 'user',
        name: u.username,
        displayName,
        smtp,
        dn: this.legacyDN(u.username),
        now: Date.now(),
      });
      const id = Number(info.lastInsertRowid);
      this.q.insertUser!.run(id, nt, pwHash);
      return id;
    });
    let id: number;
    try {
      id = insert.immediate();
    } catch (e) {
      if (isUniqueViolation(e)) throw new DirectoryError(DirectoryErrorCode.EXISTS, `user ${u.username} or address ${smtp} already exists`);
      throw e;
    }
    this.log.info({ user: u.username, id }, 'directory: user added');
    return (await this.findUser(u.username)) as DirectoryUser;
  }

  async removeUser(username: string): Promise<void> {
    this.check();
    const del = this.db.transaction(() => {
      const r = this.need('user', username);
      this.q.deleteRecipient!.run(r.id); // cascades to users and group_members
      return r.name;
    });
    const name = del.immediate();
    this.log.info({ user: name }, 'directory: user removed');
  }

  async setPassword(username: string, password: string): Promise<void> {
    this.check();
    checkPassword(password);
    this.need('user', username);
    const nt = ntHash(password);
    const pwHash = await hashPassword(password);
    this.check();
    const upd = this.db.transaction(() => {
      const r = this.need('user', username);
      this.q.setPassword!.run(nt, pwHash, r.id);
      this.q.touch!.run(Date.now(), r.id);
      return r.name;
    });
    this.log.info({ user: upd.immediate() }, 'directory: password changed');
  }

  async setEnabled(username: string, enabled: boolean): Promise<void> {
    this.check();
    const upd = this.db.transaction(() => {
      const r = this.need('user', username);
      this.q.setEnabled!.run(enabled ? 1 : 0, r.id);
      this.q.touch!.run(Date.now(), r.id);
      return r.name;
    });
    this.log.info({ user: upd.immediate(), enabled }, enabled ? 'directory: user enabled' : 'directory: user disabled');
  }

  async addGroup(g: { name: string; displayName?: string; smtpAddress?: string }): Promise<DirectoryGroup> {
    this.check();
    checkName('group', g.name);
    const displayName = checkDisplayName(g.displayName ?? g.name);
    const smtp = checkSmtp(g.smtpAddress ?? this.defaultSmtp(g.name));
    const insert = this.db.transaction(() => {
      this.free(g.name, smtp);
      this.q.insertRecipient!.run({ kind: 'group', name: g.name, displayName, smtp, dn: this.legacyDN(g.name), now: Date.now() });
    });
    try {
      insert.immediate();
    } catch (e) {
      if (isUniqueViolation(e)) throw new DirectoryError(DirectoryErrorCode.EXISTS, `group ${g.name} or address ${smtp} already exists`);
      throw e;
    }
    this.log.info({ group: g.name }, 'directory: group added');
    return (await this.findGroup(g.name)) as DirectoryGroup;
  }

  async removeGroup(name: string): Promise<void> {
    this.check();
    const del = this.db.transaction(() => {
      const r = this.need('group', name);
      this.q.deleteRecipient!.run(r.id);
      return r.name;
    });
    this.log.info({ group: del.immediate() }, 'directory: group removed');
  }

  async addMember(group: string, username: string): Promise<void> {
    this.check();
    const add = this.db.transaction(() => {
      const g = this.need('group', group);
      const u = this.need('user', username);
      if (this.q.isMember!.get(g.id, u.id)) {
        throw new DirectoryError(DirectoryErrorCode.EXISTS, `${u.name} is already a member of ${g.name}`);
      }
      this.q.addMember!.run(g.id, u.id, Date.now());
      this.q.touch!.run(Date.now(), g.id);
      return [g.name, u.name];
    });
    const [g, u] = add.immediate();
    this.log.info({ group: g, user: u }, 'directory: member added');
  }

  async removeMember(group: string, username: string): Promise<void> {
    this.check();
    const rm = this.db.transaction(() => {
      const g = this.need('group', group);
      const u = this.need('user', username);
      if (this.q.removeMember!.run(g.id, u.id).changes === 0) {
        throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `${u.name} is not a member of ${g.name}`);
      }
      this.q.touch!.run(Date.now(), g.id);
      return [g.name, u.name];
    });
    const [g, u] = rm.immediate();
    this.log.info({ group: g, user: u }, 'directory: member removed');
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.db.close();
  }
}

/** Opens (creating if needed, mode 0600 inside a 0700 dataDir) and migrates <dataDir>/directory.sqlite. */
export function openDirectory(config: Config, log: Logger): DirectoryAdmin {
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
    return new BuiltinDirectory(db, config, log);
  } catch (e) {
    db.close();
    if (e instanceof DirectoryError) throw e;
    throw new DirectoryError(DirectoryErrorCode.OPEN_FAILED, `cannot open the directory ${file}: ${(e as Error).message}`, { file });
  }
}
