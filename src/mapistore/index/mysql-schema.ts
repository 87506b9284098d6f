// Versioned schema of the MySQL/MariaDB index store: an ordered list of migrations (number, description,
// statements) recorded in `ocng_schema_version`, applied in order under the MariaDB named lock
// `GET_LOCK('ocng-schema', timeout)` so that several server instances starting together never race.
//
// Choices:
// - Migration 1 is the layout that existed before versioning, statement for statement (CREATE TABLE IF NOT
//   EXISTS). A database that has the `mailboxes` table but no version table is a pre-versioning database: it is
//   marked as version 1 without running anything, then the later migrations run.
// - DDL commits implicitly in MySQL, so a migration is not atomic. Every statement is written to be re-runnable
//   (IF NOT EXISTS), and the version row is written only after all statements succeeded: a migration cut short
//   is simply run again by the next start.
// - A database whose version is newer than this code knows is refused (OC_STORE_INDEX_SCHEMA_NEWER) instead of
//   being used by code that does not know its tables.
// - The lock name is server-wide (MariaDB named locks are not per database); two databases on one server only
//   serialise their (short) migration step.
// - Migration 3 makes every string column compare exactly: utf8mb4_bin (migrations 1-2) is a PAD SPACE collation,
//   under which 'Foo' = 'Foo ' in lookups and UNIQUE keys (two IMAP mailboxes, two backend keys or two usernames
//   differing only by trailing spaces collided). The NO PAD binary collation depends on the server (MariaDB >= 10.2:
//   utf8mb4_nopad_bin; MySQL >= 8.0.17: utf8mb4_0900_bin), so its statements are computed from
//   information_schema.collations under the lock (Migration.serverStatements); a server with neither is refused
//   (OC_STORE_INDEX_NO_NOPAD_COLLATION) rather than kept on PAD SPACE. ALTER TABLE ... CONVERT TO rebuilds the
//   tables that have string columns (time on a large id_map); it is re-runnable, keeps every row (NO PAD is finer than
//   PAD SPACE, so no two existing keys become equal) and keeps column types and so index lengths (same charset).
//   A new database runs migrations 1, 2 and 3 in turn and so ends exactly as an upgraded one.
import type mysql from 'mysql2/promise';
import { StoreError, SEC } from '../errors.js';
import { NAMED_ID_MIN } from './types.js';

export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
  /** Statements that depend on the server (its version, collations): computed under the lock and run after `statements`. */
  serverStatements?: (c: mysql.PoolConnection) => Promise<readonly string[]>;
}

// The options of migrations 1-2 (released: never change them). utf8mb4_bin is PAD SPACE; a later migration that
// creates a table must give it the NO PAD collation migration 3 chose (noPadCollation), not these options.
const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'mailboxes, named properties, backend id map',
    statements: [
      `CREATE TABLE IF NOT EXISTS mailboxes (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(255) NOT NULL UNIQUE,
    mailbox_guid CHAR(36) NOT NULL,
    repl_guid CHAR(36) NOT NULL,
    next_globcnt BIGINT UNSIGNED NOT NULL DEFAULT 1,
    next_named INT UNSIGNED NOT NULL DEFAULT ${NAMED_ID_MIN}
  ) ${TABLE_OPTS}`,
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
  ) ${TABLE_OPTS}`,
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
  ) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 2,
    description: 'IMAP backend: folder sync state, message map by (uidvalidity, uid), MAPI property overlay',
    statements: [
      `CREATE TABLE IF NOT EXISTS imap_folders (
    mailbox_id INT UNSIGNED NOT NULL,
    folder_globcnt BIGINT UNSIGNED NOT NULL,
    imap_name VARCHAR(700) NOT NULL,
    uidvalidity INT UNSIGNED NOT NULL,
    uidnext INT UNSIGNED NOT NULL,
    highest_modseq BIGINT UNSIGNED NOT NULL DEFAULT 0,
    last_sync_cn BIGINT UNSIGNED NOT NULL DEFAULT 0,
    sync_state MEDIUMTEXT NULL,
    PRIMARY KEY (mailbox_id, folder_globcnt),
    UNIQUE KEY imap_folder_by_name (mailbox_id, imap_name)
  ) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS imap_messages (
    mailbox_id INT UNSIGNED NOT NULL,
    folder_globcnt BIGINT UNSIGNED NOT NULL,
    uidvalidity INT UNSIGNED NOT NULL,
    uid INT UNSIGNED NOT NULL,
    globcnt BIGINT UNSIGNED NOT NULL,
    modseq BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cn BIGINT UNSIGNED NOT NULL,
    read_cn BIGINT UNSIGNED NOT NULL DEFAULT 0,
    flags SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    size INT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (mailbox_id, folder_globcnt, uidvalidity, uid),
    UNIQUE KEY imap_message_by_id (mailbox_id, globcnt)
  ) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS mapi_overlay (
    mailbox_id INT UNSIGNED NOT NULL,
    globcnt BIGINT UNSIGNED NOT NULL,
    prop_tag INT UNSIGNED NOT NULL,
    value MEDIUMBLOB NOT NULL,
    PRIMARY KEY (mailbox_id, globcnt, prop_tag)
  ) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 3,
    description: 'string columns compare exactly (NO PAD binary collation)',
    statements: [],
    serverStatements: async (c) => {
      const coll = await noPadCollation(c);
      // a migration cut short is run again: tables already converted are not rebuilt a second time
      const done = new Set(
        (await rows(c, 'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_collation = ?', [coll]))
          .map((r) => String(r.t)),
      );
      return [
        ...EXACT_TABLES.filter((t) => !done.has(t)).map((t) => `ALTER TABLE ${t} CONVERT TO CHARACTER SET utf8mb4 COLLATE ${coll}`),
        // no string column: only the default for later columns (no rebuild)
        ...DEFAULT_ONLY_TABLES.filter((t) => !done.has(t)).map((t) => `ALTER TABLE ${t} DEFAULT CHARACTER SET utf8mb4 COLLATE ${coll}`),
      ];
    },
  },
];

/** Tables with string columns, converted by migration 3. */
export const EXACT_TABLES = ['mailboxes', 'named_props', 'id_map', 'imap_folders'] as const;
const DEFAULT_ONLY_TABLES = ['imap_messages', 'mapi_overlay'] as const;

/** NO PAD binary utf8mb4 collations, preferred first: MariaDB >= 10.2, MySQL >= 8.0.17. */
export const NOPAD_COLLATIONS = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'] as const;

/** The NO PAD binary collation this server has (OC_STORE_INDEX_NO_NOPAD_COLLATION when it has none). */
export async function noPadCollation(c: mysql.PoolConnection): Promise<string> {
  const r = await rows(c, 'SELECT collation_name AS n FROM information_schema.collations WHERE collation_name IN (?)', [[...NOPAD_COLLATIONS]]);
  const have = new Set(r.map((x) => String(x.n)));
  const pick = NOPAD_COLLATIONS.find((n) => have.has(n));
  if (pick === undefined) {
    const v = await rows(c, 'SELECT VERSION() AS v');
    throw new StoreError('OC_STORE_INDEX_NO_NOPAD_COLLATION', SEC.Error,
      `the index database server (version ${String((v[0] as Row | undefined)?.v ?? '?')}) has no NO PAD binary collation ` +
      `(${NOPAD_COLLATIONS.join(' or ')}): without one, keys differing only by trailing spaces would collide. ` +
      'Use MariaDB 10.2 or later or MySQL 8.0.17 or later.', { wanted: [...NOPAD_COLLATIONS] });
  }
  return pick;
}

/**
 * Longest values (characters) of the string key columns above; callers refuse longer values before any statement
 * (common.ts checkLength). A test compares them with information_schema.columns.
 */
export const COLUMN_CHARS = {
  username: 255,
  backendKey: 700,
  etag: 255,
  version: 255,
  imapName: 700,
} as const;

export const LATEST_VERSION = (MIGRATIONS[MIGRATIONS.length - 1] as Migration).version;
export const SCHEMA_LOCK = 'ocng-schema';
export const VERSION_TABLE = 'ocng_schema_version';

type Row = Record<string, unknown>;

async function rows(c: mysql.PoolConnection, sql: string, params: unknown[] = []): Promise<Row[]> {
  const [r] = await c.query(sql, params);
  return r as Row[];
}

/** The schema version recorded in the database (0 = empty database, 1 = pre-versioning tables found). */
export async function currentVersion(c: mysql.PoolConnection): Promise<{ version: number; versioned: boolean }> {
  const t = await rows(c, 'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?, ?)', [VERSION_TABLE, 'mailboxes']);
  const names = new Set(t.map((r) => String(r.t)));
  if (names.has(VERSION_TABLE)) {
    const v = await rows(c, `SELECT COALESCE(MAX(version), 0) AS v FROM ${VERSION_TABLE}`);
    return { version: Number((v[0] as Row).v), versioned: true };
  }
  return { version: names.has('mailboxes') ? 1 : 0, versioned: false };
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: number[];
}

/**
 * Brings the database of connection `c` to LATEST_VERSION (or the `migrations` given, for tests). Holds the named
 * lock for the whole step; throws OC_STORE_INDEX_SCHEMA_LOCK when it cannot be had within `lockTimeoutSeconds`.
 */
export async function migrate(c: mysql.PoolConnection, lockTimeoutSeconds: number, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const got = await rows(c, 'SELECT GET_LOCK(?, ?) AS l', [SCHEMA_LOCK, lockTimeoutSeconds]);
  if (Number((got[0] as Row).l) !== 1) {
    throw new StoreError('OC_STORE_INDEX_SCHEMA_LOCK', SEC.Timeout, `could not get the schema lock '${SCHEMA_LOCK}' within ${lockTimeoutSeconds}s (another instance migrating?)`);
  }
  try {
    const latest = (migrations[migrations.length - 1] as Migration).version;
    const cur = await currentVersion(c);
    if (cur.version > latest) {
      throw new StoreError('OC_STORE_INDEX_SCHEMA_NEWER', SEC.Error,
        `the index database has schema version ${cur.version}, newer than version ${latest} this server knows; upgrade the server (or restore a matching backup)`,
        { dbVersion: cur.version, codeVersion: latest });
    }
    await c.query(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
      version INT UNSIGNED NOT NULL PRIMARY KEY,
      description VARCHAR(255) NOT NULL,
      applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    ) ${TABLE_OPTS}`);
    if (!cur.versioned && cur.version === 1) {
      await c.query(`INSERT IGNORE INTO ${VERSION_TABLE} (version, description) VALUES (1, ?)`, ['pre-versioning tables found']);
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= cur.version) continue;
      for (const s of m.statements) await c.query(s);
      if (m.serverStatements) for (const s of await m.serverStatements(c)) await c.query(s);
      await c.query(`INSERT IGNORE INTO ${VERSION_TABLE} (version, description) VALUES (?, ?)`, [m.version, m.description]);
      applied.push(m.version);
    }
    return { from: cur.version, to: Math.max(cur.version, latest), applied };
  } finally {
    await c.query('DO RELEASE_LOCK(?)', [SCHEMA_LOCK]);
  }
}
