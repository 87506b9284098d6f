// Index store on MySQL / MariaDB through mysql2 (IndexProvider of index/types.ts). GLOBCNTs are the 48-bit
// counters of MS-OXCDATA 2.2.1.1/2.2.1.2; named ids 0x8000-0xFFFE of MS-OXCPRPT 2.2.1.x. Tables and their
// versioned migrations: index/mysql-schema.ts; IMAP tables: index/mysql-imap.ts; operator notes: docs/index-store.md.
//
// Choices:
// - One pool per provider (size, queue limit, connect/acquire and per-query time limits configurable);
//   `bigNumberStrings` so BIGINT values arrive as exact strings.
// - GLOBCNT allocation is one atomic statement (UPDATE ... LAST_INSERT_ID(next + n)): the row lock lives only for
//   that statement, so several server instances can allocate from one mailbox without a transaction.
// - Named-id creation runs in a transaction that locks the mailbox row (SELECT ... FOR UPDATE) and re-reads the
//   names under the lock, so two instances creating the same name agree on its id.
// - Transient failures (deadlock, lock wait timeout, lost connection) are retried up to `maxRetries` times with
//   a short jittered back-off: a whole transaction is re-run, a single statement is re-sent. Every statement
//   sent outside a transaction is idempotent (upserts, INSERT IGNORE, deletes, reads) or atomic on its own.
// - Errors name host:port/database, never the password.
// - mysql2 is loaded when the first MySQL index is made, not when this module is: a server on the SQLite index never
//   loads it (about 17 MB of resident memory).
// - Values longer than their column (mysql-schema.ts COLUMN_CHARS) are refused with OC_STORE_INDEX_TOO_LONG before any
//   statement: strict sql_mode would fail with a driver error, a lax one (and INSERT IGNORE) would cut them silently.
// - Upserts on tables with two unique keys (id_map here, imap_folders and imap_messages in mysql-imap.ts) behave as
//   the SQLite provider's ON CONFLICT (primary key) upserts: a row whose second key belongs to another row is refused
//   (OC_STORE_INDEX_KEY_CONFLICT), nothing written. MySQL's ON DUPLICATE KEY UPDATE would instead update whichever
//   row clashes first, so the upsert runs in a transaction and is checked after it: the row holding the second key
//   must be the one written, else the transaction is rolled back.
import { createRequire } from 'node:module';
import type mysql from 'mysql2/promise';
import { randomGuid } from '../../util/guid.js';
import { PS_MAPI, type PropertyName } from '../../mapi/named.js';
import { StoreError, SEC } from '../errors.js';
import { checkCount, checkLength, checkName, fixedIdOf, mappingConflict, nameHash, namedFull, rowName } from './common.js';

const requireCjs = createRequire(import.meta.url);
let mysqlModule: typeof mysql | undefined;
/** The mysql2 promise API, loaded on first use (a CommonJS package: require is synchronous). */
const mysql2 = (): typeof mysql => (mysqlModule ??= requireCjs('mysql2/promise') as typeof mysql);
import { COLUMN_CHARS, migrate, type MigrateResult } from './mysql-schema.js';
import { isDuplicateKey, MysqlImapIndex } from './mysql-imap.js';
import {
  NAMED_ID_MAX, NAMED_ID_MIN, type ImapIndex, type IndexMapping, type IndexProvider, type MailboxIndexWithImap, type MailboxRecord,
  type NamedEntry,
} from './types.js';

export interface MysqlIndexOptions {
  /** mysql://user:password@host:port/database; when set it wins over host/port/user/password/database. */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Requests waiting for a free connection before new ones fail with OC_STORE_INDEX_BUSY (default 1000; 0 = unbounded). */
  queueLimit?: number;
  connectTimeoutMs?: number;
  /** Time to wait for a free pooled connection (default: connectTimeoutMs). */
  acquireTimeoutMs?: number;
  /** Per-query time limit. */
  queryTimeoutMs?: number;
  /** Retries of a transaction or statement after a deadlock, lock wait timeout or lost connection (default 3). */
  maxRetries?: number;
  /** Session innodb_lock_wait_timeout for the pool's connections (default: the server's). */
  lockWaitTimeoutSeconds?: number;
  /** Time to wait for the schema-migration lock at start (default 60). */
  schemaLockTimeoutSeconds?: number;
}

type Row = Record<string, unknown>;
interface Header { affectedRows: number; insertId: number | string }
const big = (v: unknown): bigint => BigInt(String(v));

const toMapping = (r: Row): IndexMapping => ({
  kind: r.kind as IndexMapping['kind'],
  globcnt: big(r.globcnt),
  folderGlobcnt: big(r.folder_globcnt),
  backendKey: r.backend_key as string,
  modseq: r.modseq === null ? null : big(r.modseq),
  etag: (r.etag as string | null) ?? null,
  version: (r.version as string | null) ?? null,
  cn: big(r.cn),
});

/** The hot lookups, exported so that the EXPLAIN test checks exactly these statements. */
export const HOT_SQL = {
  mailboxByName: 'SELECT id, mailbox_guid, repl_guid FROM mailboxes WHERE username = ?',
  allocate: 'UPDATE mailboxes SET next_globcnt = LAST_INSERT_ID(next_globcnt + ?) WHERE id = ? AND next_globcnt + ? <= 281474976710656',
  lastAllocated: 'SELECT next_globcnt FROM mailboxes WHERE id = ?',
  namedByHash: 'SELECT prop_id, name_hash FROM named_props WHERE mailbox_id = ? AND name_hash IN (?)',
  namedById: 'SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? AND prop_id IN (?)',
  namedByGuid: 'SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? AND guid = ? ORDER BY prop_id',
  mappingByKey: 'SELECT * FROM id_map WHERE mailbox_id = ? AND kind = ? AND backend_key = ?',
  mappingById: 'SELECT * FROM id_map WHERE mailbox_id = ? AND kind = ? AND globcnt = ?',
  mappingsInFolder: 'SELECT * FROM id_map WHERE mailbox_id = ? AND folder_globcnt = ? ORDER BY globcnt',
  deleteMapping: 'DELETE FROM id_map WHERE mailbox_id = ? AND kind = ? AND globcnt = ?',
} as const;

const TRANSIENT = new Set([
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN', 'ER_CLIENT_INTERACTION_TIMEOUT',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ETIMEDOUT', 'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_HOST_NOT_PRIVILEGED', 'ER_CON_COUNT_ERROR',
]);
const codeOf = (e: unknown): string => String((e as { code?: unknown }).code ?? '');
const isTransient = (e: unknown): boolean => TRANSIENT.has(codeOf(e));
/** Errors after which a connection must not go back to the pool. */
const isFatal = (e: unknown): boolean =>
  (e as { fatal?: unknown }).fatal === true || codeOf(e) === 'PROTOCOL_SEQUENCE_TIMEOUT' || (isTransient(e) && codeOf(e).startsWith('PROTOCOL'));

class Retry extends Error {
  constructor(readonly inner: unknown) {
    super('transient');
  }
}

export class MysqlIndexProvider implements IndexProvider {
  readonly kind = 'mysql' as const;
  readonly pool: mysql.Pool;
  /** host:port/database, for messages (never the password). */
  readonly target: string;
  /** Transient failures retried so far (for tests and metrics). */
  retries = 0;
  migration: MigrateResult | null = null;
  private ready: Promise<MigrateResult> | null = null;
  private readonly timeout: number;
  private readonly acquireTimeout: number;
  private readonly maxRetries: number;
  private readonly lockWait: number | undefined;
  private readonly schemaLockTimeout: number;
  private readonly prepared = new WeakSet<object>();

  constructor(o: MysqlIndexOptions) {
    const connectTimeout = o.connectTimeoutMs ?? 10_000;
    const common = {
      connectionLimit: o.poolSize ?? 10,
      queueLimit: o.queueLimit ?? 1000,
      connectTimeout,
      enableKeepAlive: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
    };
    if (o.url) {
      let u: URL;
      try {
        u = new URL(o.url);
      } catch {
        // the URL holds the password: it is not echoed
        throw new StoreError('OC_STORE_INDEX_BAD_URL', SEC.InvalidParam, 'the MySQL index URL is not mysql://user:password@host:port/database');
      }
      this.target = `${u.hostname}:${u.port || 3306}${u.pathname}`;
      this.pool = mysql2().createPool({ uri: o.url, ...common });
    } else {
      this.target = `${o.host ?? '127.0.0.1'}:${o.port ?? 3306}/${o.database ?? ''}`;
      this.pool = mysql2().createPool({ host: o.host ?? '127.0.0.1', port: o.port ?? 3306, user: o.user, password: o.password, database: o.database, ...common });
    }
    this.timeout = o.queryTimeoutMs ?? 10_000;
    this.acquireTimeout = o.acquireTimeoutMs ?? connectTimeout;
    this.maxRetries = o.maxRetries ?? 3;
    this.lockWait = o.lockWaitTimeoutSeconds;
    this.schemaLockTimeout = o.schemaLockTimeoutSeconds ?? 60;
  }

  /** A driver error as a StoreError with a stable code. */
  wrap(e: unknown, what: string): StoreError {
    if (e instanceof StoreError) return e;
    const code = codeOf(e);
    const msg = (e as Error).message ?? String(e);
    const details = { driverCode: code, target: this.target };
    if (UNREACHABLE.has(code)) {
      return new StoreError('OC_STORE_INDEX_UNREACHABLE', SEC.Error, `MySQL index at ${this.target} unreachable (${code}): ${msg}`, details);
    }
    if (code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
      return new StoreError('OC_STORE_INDEX_TIMEOUT', SEC.Timeout, `MySQL index at ${this.target}: ${what} took longer than ${this.timeout} ms`, details);
    }
    if (/queue limit reached/i.test(msg)) {
      return new StoreError('OC_STORE_INDEX_BUSY', SEC.Timeout, `MySQL index at ${this.target}: too many requests waiting for a connection`, details);
    }
    return new StoreError('OC_STORE_INDEX_MYSQL', SEC.Error, `MySQL index at ${this.target}: ${what} failed (${code || 'error'}): ${msg}`, details);
  }

  /** A pooled connection, within acquireTimeoutMs. */
  async acquire(): Promise<mysql.PoolConnection> {
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const got = this.pool.getConnection();
    const c = await Promise.race([
      got,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(new StoreError('OC_STORE_INDEX_BUSY', SEC.Timeout, `MySQL index at ${this.target}: no free connection within ${this.acquireTimeout} ms`));
        }, this.acquireTimeout);
      }),
    ]).catch((e: unknown) => {
      // a connection that arrives after the time limit goes straight back to the pool
      if (timedOut) void got.then((late) => late.release(), () => undefined);
      throw this.wrap(e, 'connect');
    }).finally(() => clearTimeout(timer));
    const core = (c as unknown as { connection: object }).connection;
    if (this.lockWait !== undefined && !this.prepared.has(core)) {
      try {
        await c.query({ sql: 'SET SESSION innodb_lock_wait_timeout = ?', timeout: this.timeout }, [this.lockWait]);
      } catch (e) {
        c.destroy();
        throw this.wrap(e, 'session setup');
      }
      this.prepared.add(core);
    }
    return c;
  }

  private async backoff(attempt: number): Promise<void> {
    this.retries++;
    await new Promise((r) => setTimeout(r, 10 * 2 ** attempt + Math.floor(Math.random() * 20)));
  }

  /** Runs one statement with the configured time limit (on `conn` inside a transaction, else on a pooled one, retried). */
  async q(sql: string, params: unknown[] = [], conn?: mysql.PoolConnection): Promise<Row[]> {
    if (conn) {
      try {
        const [rows] = await conn.query({ sql, timeout: this.timeout }, params);
        return rows as Row[];
      } catch (e) {
        throw isTransient(e) ? new Retry(e) : this.wrap(e, 'query');
      }
    }
    for (let attempt = 0; ; attempt++) {
      const c = await this.acquire();
      try {
        const [rows] = await c.query({ sql, timeout: this.timeout }, params);
        c.release();
        return rows as Row[];
      } catch (e) {
        if (isFatal(e)) c.destroy();
        else c.release();
        if (!isTransient(e) || attempt >= this.maxRetries) throw this.wrap(e, 'query');
      }
      await this.backoff(attempt);
    }
  }

  /** Runs a statement that changes rows; returns the driver's result header. */
  async exec(sql: string, params: unknown[] = [], conn?: mysql.PoolConnection): Promise<Header> {
    return (await this.q(sql, params, conn)) as unknown as Header;
  }

  /**
   * Creates or upgrades the tables (once per provider; after a failure the next call tries again). The server calls
   * it at start (Store.init); the first openMailbox would otherwise.
   */
  async init(): Promise<MigrateResult> {
    this.ready ??= (async () => {
      const c = await this.acquire();
      try {
        this.migration = await migrate(c, this.schemaLockTimeout);
        return this.migration;
      } catch (e) {
        throw this.wrap(e, 'schema migration');
      } finally {
        c.release();
      }
    })().catch((e: unknown) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  async openMailbox(username: string): Promise<MailboxIndexWithImap> {
    const user = username.toLowerCase();
    checkLength('the username', 'mailboxes.username', user, COLUMN_CHARS.username);
    await this.init();
    let created = false;
    let rows = await this.q(HOT_SQL.mailboxByName, [user]);
    if (rows.length === 0) {
      const res = await this.exec('INSERT IGNORE INTO mailboxes (username, mailbox_guid, repl_guid) VALUES (?, ?, ?)', [user, randomGuid(), randomGuid()]);
      created = res.affectedRows === 1;
      rows = await this.q(HOT_SQL.mailboxByName, [user]);
    }
    const r = rows[0] as Row;
    return new MysqlMailboxIndex(this, {
      id: Number(r.id), username: user, mailboxGuid: r.mailbox_guid as string, replGuid: r.repl_guid as string, created,
    });
  }

  /** Runs fn in a transaction on one pooled connection; the whole transaction is re-run after a transient failure. */
  async tx<T>(fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.acquire();
      let fatal = false;
      try {
        await c.beginTransaction();
        const v = await fn(c);
        await c.commit();
        return v;
      } catch (e) {
        const inner = e instanceof Retry ? e.inner : e;
        // a statement cut at the time limit is still running on the server, and a ROLLBACK would wait behind it (a lock
        // wait, up to innodb_lock_wait_timeout or longer): the connection is closed instead, which rolls back
        fatal = isFatal(inner) || (inner instanceof StoreError && inner.code === 'OC_STORE_INDEX_TIMEOUT');
        if (!fatal) {
          try {
            await c.rollback();
          } catch (re) {
            fatal = true; // the connection is unusable; it is destroyed below and the first error reported
            void re;
          }
        }
        if (!isTransient(inner) || attempt >= this.maxRetries) throw this.wrap(inner, 'transaction');
      } finally {
        if (fatal) c.destroy();
        else c.release();
      }
      await this.backoff(attempt);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class MysqlMailboxIndex implements MailboxIndexWithImap {
  readonly imap: ImapIndex;

  constructor(private readonly p: MysqlIndexProvider, readonly mailbox: MailboxRecord) {
    this.imap = new MysqlImapIndex(p, mailbox.id);
  }

  async allocate(count: number): Promise<bigint> {
    checkCount(count);
    // one atomic statement; LAST_INSERT_ID(expr) hands this session the new counter value
    const res = await this.p.exec(HOT_SQL.allocate, [count, this.mailbox.id, count]);
    if (res.affectedRows !== 1) {
      throw new StoreError('OC_STORE_IDS_EXHAUSTED', SEC.Error, 'the 48-bit ID counter of this mailbox is exhausted');
    }
    return big(res.insertId) - BigInt(count);
  }

  async lastAllocated(): Promise<bigint> {
    const rows = await this.p.q(HOT_SQL.lastAllocated, [this.mailbox.id]);
    return big((rows[0] as Row).next_globcnt) - 1n;
  }

  async namedIds(names: readonly PropertyName[], create: boolean): Promise<number[]> {
    for (const n of names) checkName(n);
    const out: number[] = new Array<number>(names.length).fill(0);
    // one read for all the names, then a locked transaction only for the new ones
    const hashes = names.map((n) => (fixedIdOf(n) === null ? nameHash(n) : ''));
    const lookup = async (want: string[], c?: mysql.PoolConnection): Promise<Map<string, number>> => {
      const known = new Map<string, number>();
      if (want.length === 0) return known;
      const rows = await this.p.q(HOT_SQL.namedByHash, [this.mailbox.id, want], c);
      for (const r of rows) known.set(r.name_hash as string, Number(r.prop_id));
      return known;
    };
    const known = await lookup([...new Set(hashes.filter((h) => h !== ''))]);
    const missing: number[] = [];
    names.forEach((n, i) => {
      const fixed = fixedIdOf(n);
      if (fixed !== null) out[i] = fixed;
      else if (known.has(hashes[i] as string)) out[i] = known.get(hashes[i] as string) as number;
      else missing.push(i);
    });
    if (!create || missing.length === 0) return out;
    const got = await this.p.tx(async (c) => {
      const rows = await this.p.q('SELECT next_named FROM mailboxes WHERE id = ? FOR UPDATE', [this.mailbox.id], c);
      let next = Number((rows[0] as Row).next_named);
      const ids = await lookup([...new Set(missing.map((i) => hashes[i] as string))], c);
      const insert: unknown[][] = [];
      for (const i of missing) {
        const h = hashes[i] as string;
        if (ids.has(h)) continue;
        if (next > NAMED_ID_MAX) throw namedFull();
        const n = names[i] as PropertyName;
        insert.push([this.mailbox.id, next, n.guid.toLowerCase(), n.lid !== undefined ? 0 : 1, n.lid ?? null, n.name ?? null, h]);
        ids.set(h, next++);
      }
      if (insert.length > 0) {
        await this.p.q('INSERT INTO named_props (mailbox_id, prop_id, guid, kind, lid, name, name_hash) VALUES ?', [insert], c);
        await this.p.q('UPDATE mailboxes SET next_named = ? WHERE id = ?', [next, this.mailbox.id], c);
      }
      return ids;
    });
    for (const i of missing) out[i] = got.get(hashes[i] as string) as number;
    return out;
  }

  async namesOf(ids: readonly number[]): Promise<(PropertyName | null)[]> {
    const want = ids.filter((id) => id >= NAMED_ID_MIN);
    const byId = new Map<number, PropertyName>();
    if (want.length > 0) {
      const rows = await this.p.q(HOT_SQL.namedById, [this.mailbox.id, want]);
      for (const r of rows) {
        byId.set(Number(r.prop_id), rowName(r.guid as string, Number(r.kind), r.lid === null ? null : Number(r.lid), r.name as string | null));
      }
    }
    return ids.map((id) => (id > 0 && id < NAMED_ID_MIN ? { guid: PS_MAPI, lid: id } : byId.get(id) ?? null));
  }

  async queryNames(guid?: string): Promise<NamedEntry[]> {
    const rows = guid
      ? await this.p.q(HOT_SQL.namedByGuid, [this.mailbox.id, guid.toLowerCase()])
      : await this.p.q('SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? ORDER BY prop_id', [this.mailbox.id]);
    return rows.map((r) => ({
      id: Number(r.prop_id),
      name: rowName(r.guid as string, Number(r.kind), r.lid === null ? null : Number(r.lid), r.name as string | null),
    }));
  }

  async putMapping(m: IndexMapping): Promise<void> {
    checkLength('the backend key', 'id_map.backend_key', m.backendKey, COLUMN_CHARS.backendKey);
    if (m.etag !== null) checkLength('the ETag', 'id_map.etag', m.etag, COLUMN_CHARS.etag);
    if (m.version !== null) checkLength('the version', 'id_map.version', m.version, COLUMN_CHARS.version);
    await this.p.tx(async (c) => {
      try {
        await this.p.q(
          `INSERT INTO id_map (mailbox_id, kind, globcnt, folder_globcnt, backend_key, modseq, etag, version, cn)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE folder_globcnt = VALUES(folder_globcnt), backend_key = VALUES(backend_key),
             modseq = VALUES(modseq), etag = VALUES(etag), version = VALUES(version), cn = VALUES(cn)`,
          [this.mailbox.id, m.kind, m.globcnt.toString(), m.folderGlobcnt.toString(), m.backendKey,
            m.modseq === null ? null : m.modseq.toString(), m.etag, m.version, m.cn.toString()], c);
      } catch (e) {
        // row globcnt exists and the new key belongs to another row
        if (isDuplicateKey(e)) throw mappingConflict(m, 'held by another mapping');
        throw e;
      }
      // the key clashed with another row only: MySQL updated that row instead (rolled back by the throw)
      const rows = await this.p.q(HOT_SQL.mappingByKey, [this.mailbox.id, m.kind, m.backendKey], c);
      const holder = rows[0] ? big(rows[0].globcnt) : null;
      if (holder !== m.globcnt) throw mappingConflict(m, holder === null ? undefined : `held by mapping 0x${holder.toString(16)}`);
    });
  }

  async mappingByKey(kind: IndexMapping['kind'], backendKey: string): Promise<IndexMapping | null> {
    const rows = await this.p.q(HOT_SQL.mappingByKey, [this.mailbox.id, kind, backendKey]);
    return rows[0] ? toMapping(rows[0]) : null;
  }

  async mappingById(kind: IndexMapping['kind'], globcnt: bigint): Promise<IndexMapping | null> {
    const rows = await this.p.q(HOT_SQL.mappingById, [this.mailbox.id, kind, globcnt.toString()]);
    return rows[0] ? toMapping(rows[0]) : null;
  }

  async mappingsInFolder(folderGlobcnt: bigint): Promise<IndexMapping[]> {
    const rows = await this.p.q(HOT_SQL.mappingsInFolder, [this.mailbox.id, folderGlobcnt.toString()]);
    return rows.map(toMapping);
  }

  async deleteMapping(kind: IndexMapping['kind'], globcnt: bigint): Promise<void> {
    await this.p.q(HOT_SQL.deleteMapping, [this.mailbox.id, kind, globcnt.toString()]);
  }

  async close(): Promise<void> {
    // the provider owns the pool
  }
}
