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
import type mysql from 'mysql2/promise';
import { StoreError, SEC } from '../errors.js';
import { NAMED_ID_MIN } from './types.js';

export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
}

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
];

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
      await c.query(`INSERT IGNORE INTO ${VERSION_TABLE} (version, description) VALUES (?, ?)`, [m.version, m.description]);
      applied.push(m.version);
    }
    return { from: cur.version, to: Math.max(cur.version, latest), applied };
  } finally {
    await c.query('DO RELEASE_LOCK(?)', [SCHEMA_LOCK]);
  }
}
