// Index store on MySQL / MariaDB through mysql2 (pool, bigNumberStrings so 64-bit values arrive exact). Same
// tables as index/sqlite.ts; allocation and named-id assignment run in transactions that lock the mailbox row,
// so several server processes can share one index.
import mysql from 'mysql2/promise';
import { randomGuid } from '../../util/guid.js';
import { PS_MAPI, type PropertyName } from '../../mapi/named.js';
import { StoreError, SEC } from '../errors.js';
import { checkCount, checkName, checkRange, fixedIdOf, nameHash, namedFull, rowName } from './common.js';
import {
  NAMED_ID_MAX, NAMED_ID_MIN, type IndexMapping, type IndexProvider, type MailboxIndex, type MailboxRecord, type NamedEntry,
} from './types.js';

export interface MysqlIndexOptions {
  /** mysql://user:password@host:port/database; when set it wins over host/port/user/password/database. */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Per-query time limit. */
  queryTimeoutMs?: number;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS mailboxes (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(255) NOT NULL UNIQUE,
    mailbox_guid CHAR(36) NOT NULL,
    repl_guid CHAR(36) NOT NULL,
    next_globcnt BIGINT UNSIGNED NOT NULL DEFAULT 1,
    next_named INT UNSIGNED NOT NULL DEFAULT ${NAMED_ID_MIN}
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS named_props (
    mailbox_id INT UNSIGNED NOT NULL,
    prop_id INT UNSIGNED NOT NULL,
    guid CHAR(36) NOT NULL,
    kind TINYINT UNSIGNED NOT NULL,
    lid INT UNSIGNED NULL,
    name TEXT NULL,
    name_hash CHAR(40) NOT NULL,
    PRIMARY KEY (mailbox_id, prop_id),
    UNIQUE KEY named_by_hash (mailbox_id, name_hash),
    KEY named_by_guid (mailbox_id, guid)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS id_map (
    mailbox_id INT UNSIGNED NOT NULL,
    kind VARCHAR(8) NOT NULL,
    globcnt BIGINT UNSIGNED NOT NULL,
    folder_globcnt BIGINT UNSIGNED NOT NULL,
    backend_key VARCHAR(700) NOT NULL,
    modseq DECIMAL(20,0) NULL,
    etag VARCHAR(255) NULL,
    version VARCHAR(255) NULL,
    cn BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (mailbox_id, kind, globcnt),
    UNIQUE KEY map_by_key (mailbox_id, kind, backend_key),
    KEY map_by_folder (mailbox_id, folder_globcnt)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

type Row = Record<string, unknown>;
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

export class MysqlIndexProvider implements IndexProvider {
  readonly kind = 'mysql' as const;
  readonly pool: mysql.Pool;
  private ready: Promise<void> | null = null;
  private readonly timeout: number;

  constructor(o: MysqlIndexOptions) {
    const common = {
      connectionLimit: o.poolSize ?? 10,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
    };
    this.pool = o.url
      ? mysql.createPool({ uri: o.url, ...common })
      : mysql.createPool({ host: o.host ?? '127.0.0.1', port: o.port ?? 3306, user: o.user, password: o.password, database: o.database, ...common });
    this.timeout = o.queryTimeoutMs ?? 10_000;
  }

  /** Runs one statement with the configured time limit. */
  async q(sql: string, params: unknown[] = [], conn?: mysql.PoolConnection): Promise<Row[]> {
    try {
      const [rows] = await (conn ?? this.pool).query({ sql, timeout: this.timeout }, params);
      return rows as Row[];
    } catch (e) {
      throw new StoreError('OC_STORE_INDEX_MYSQL', SEC.Error, `index query failed: ${(e as Error).message}`);
    }
  }

  async init(): Promise<void> {
    this.ready ??= (async () => {
      for (const s of SCHEMA) await this.q(s);
    })();
    return this.ready;
  }

  async openMailbox(username: string): Promise<MailboxIndex> {
    await this.init();
    const user = username.toLowerCase();
    let created = false;
    let rows = await this.q('SELECT id, mailbox_guid, repl_guid FROM mailboxes WHERE username = ?', [user]);
    if (rows.length === 0) {
      const res = (await this.q('INSERT IGNORE INTO mailboxes (username, mailbox_guid, repl_guid) VALUES (?, ?, ?)', [user, randomGuid(), randomGuid()])) as unknown as {
        affectedRows: number;
      };
      created = res.affectedRows === 1;
      rows = await this.q('SELECT id, mailbox_guid, repl_guid FROM mailboxes WHERE username = ?', [user]);
    }
    const r = rows[0] as Row;
    return new MysqlMailboxIndex(this, {
      id: Number(r.id), username: user, mailboxGuid: r.mailbox_guid as string, replGuid: r.repl_guid as string, created,
    });
  }

  /** Runs fn in a transaction on one pooled connection. */
  async tx<T>(fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    let c: mysql.PoolConnection;
    try {
      c = await this.pool.getConnection();
    } catch (e) {
      throw new StoreError('OC_STORE_INDEX_MYSQL', SEC.Error, `index connection failed: ${(e as Error).message}`);
    }
    try {
      await c.beginTransaction();
      const v = await fn(c);
      await c.commit();
      return v;
    } catch (e) {
      await c.rollback().catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class MysqlMailboxIndex implements MailboxIndex {
  constructor(private readonly p: MysqlIndexProvider, readonly mailbox: MailboxRecord) {}

  async allocate(count: number): Promise<bigint> {
    checkCount(count);
    return this.p.tx(async (c) => {
      const rows = await this.p.q('SELECT next_globcnt FROM mailboxes WHERE id = ? FOR UPDATE', [this.mailbox.id], c);
      const first = checkRange(big((rows[0] as Row).next_globcnt), count);
      await this.p.q('UPDATE mailboxes SET next_globcnt = ? WHERE id = ?', [(first + BigInt(count)).toString(), this.mailbox.id], c);
      return first;
    });
  }

  async lastAllocated(): Promise<bigint> {
    const rows = await this.p.q('SELECT next_globcnt FROM mailboxes WHERE id = ?', [this.mailbox.id]);
    return big((rows[0] as Row).next_globcnt) - 1n;
  }

  async namedIds(names: readonly PropertyName[], create: boolean): Promise<number[]> {
    for (const n of names) checkName(n);
    const out: number[] = new Array<number>(names.length).fill(0);
    const missing: number[] = [];
    // one read for all the names, then a locked transaction only for the new ones
    const hashes = names.map((n) => (fixedIdOf(n) === null ? nameHash(n) : ''));
    const wanted = hashes.filter((h) => h !== '');
    const known = new Map<string, number>();
    if (wanted.length > 0) {
      const rows = await this.p.q('SELECT prop_id, name_hash FROM named_props WHERE mailbox_id = ? AND name_hash IN (?)', [this.mailbox.id, wanted]);
      for (const r of rows) known.set(r.name_hash as string, Number(r.prop_id));
    }
    names.forEach((n, i) => {
      const fixed = fixedIdOf(n);
      if (fixed !== null) out[i] = fixed;
      else if (known.has(hashes[i] as string)) out[i] = known.get(hashes[i] as string) as number;
      else missing.push(i);
    });
    if (!create || missing.length === 0) return out;
    await this.p.tx(async (c) => {
      const rows = await this.p.q('SELECT next_named FROM mailboxes WHERE id = ? FOR UPDATE', [this.mailbox.id], c);
      let next = Number((rows[0] as Row).next_named);
      for (const i of missing) {
        const h = hashes[i] as string;
        const again = await this.p.q('SELECT prop_id FROM named_props WHERE mailbox_id = ? AND name_hash = ?', [this.mailbox.id, h], c);
        if (again.length > 0) {
          out[i] = Number((again[0] as Row).prop_id);
          continue;
        }
        if (next > NAMED_ID_MAX) throw namedFull();
        const n = names[i] as PropertyName;
        await this.p.q('INSERT INTO named_props (mailbox_id, prop_id, guid, kind, lid, name, name_hash) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          this.mailbox.id, next, n.guid.toLowerCase(), n.lid !== undefined ? 0 : 1, n.lid ?? null, n.name ?? null, h,
        ], c);
        out[i] = next++;
      }
      await this.p.q('UPDATE mailboxes SET next_named = ? WHERE id = ?', [next, this.mailbox.id], c);
    });
    return out;
  }

  async namesOf(ids: readonly number[]): Promise<(PropertyName | null)[]> {
    const want = ids.filter((id) => id >= NAMED_ID_MIN);
    const byId = new Map<number, PropertyName>();
    if (want.length > 0) {
      const rows = await this.p.q('SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? AND prop_id IN (?)', [this.mailbox.id, want]);
      for (const r of rows) {
        byId.set(Number(r.prop_id), rowName(r.guid as string, Number(r.kind), r.lid === null ? null : Number(r.lid), r.name as string | null));
      }
    }
    return ids.map((id) => (id > 0 && id < NAMED_ID_MIN ? { guid: PS_MAPI, lid: id } : byId.get(id) ?? null));
  }

  async queryNames(guid?: string): Promise<NamedEntry[]> {
    const rows = guid
      ? await this.p.q('SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? AND guid = ? ORDER BY prop_id', [this.mailbox.id, guid.toLowerCase()])
      : await this.p.q('SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? ORDER BY prop_id', [this.mailbox.id]);
    return rows.map((r) => ({
      id: Number(r.prop_id),
      name: rowName(r.guid as string, Number(r.kind), r.lid === null ? null : Number(r.lid), r.name as string | null),
    }));
  }

  async putMapping(m: IndexMapping): Promise<void> {
    await this.p.q(
      `INSERT INTO id_map (mailbox_id, kind, globcnt, folder_globcnt, backend_key, modseq, etag, version, cn)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE folder_globcnt = VALUES(folder_globcnt), backend_key = VALUES(backend_key),
         modseq = VALUES(modseq), etag = VALUES(etag), version = VALUES(version), cn = VALUES(cn)`,
      [this.mailbox.id, m.kind, m.globcnt.toString(), m.folderGlobcnt.toString(), m.backendKey,
        m.modseq === null ? null : m.modseq.toString(), m.etag, m.version, m.cn.toString()],
    );
  }

  async mappingByKey(kind: IndexMapping['kind'], backendKey: string): Promise<IndexMapping | null> {
    const rows = await this.p.q('SELECT * FROM id_map WHERE mailbox_id = ? AND kind = ? AND backend_key = ?', [this.mailbox.id, kind, backendKey]);
    return rows[0] ? toMapping(rows[0]) : null;
  }

  async mappingById(kind: IndexMapping['kind'], globcnt: bigint): Promise<IndexMapping | null> {
    const rows = await this.p.q('SELECT * FROM id_map WHERE mailbox_id = ? AND kind = ? AND globcnt = ?', [this.mailbox.id, kind, globcnt.toString()]);
    return rows[0] ? toMapping(rows[0]) : null;
  }

  async mappingsInFolder(folderGlobcnt: bigint): Promise<IndexMapping[]> {
    const rows = await this.p.q('SELECT * FROM id_map WHERE mailbox_id = ? AND folder_globcnt = ? ORDER BY globcnt', [this.mailbox.id, folderGlobcnt.toString()]);
    return rows.map(toMapping);
  }

  async deleteMapping(kind: IndexMapping['kind'], globcnt: bigint): Promise<void> {
    await this.p.q('DELETE FROM id_map WHERE mailbox_id = ? AND kind = ? AND globcnt = ?', [this.mailbox.id, kind, globcnt.toString()]);
  }

  async close(): Promise<void> {
    // the provider owns the pool
  }
}
