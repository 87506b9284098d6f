// Schema of <dataDir>/directory.sqlite. Migrations are applied in order, all in one transaction together with the
// schema_version bump; a database newer than this code is refused rather than guessed at.
import type { Database } from 'better-sqlite3';
import { DirectoryError, DirectoryErrorCode } from './errors.js';

// Users, groups and contacts are all "recipients" so that they share one namespace for names, SMTP addresses and
// legacyExchangeDNs (a group can never take a user's DN). COLLATE NOCASE makes lookups case-insensitive (names
// are ASCII by construction).
const V1 = `
  CREATE TABLE recipients (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('user', 'group')),
    name          TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    display_name  TEXT    NOT NULL,
    smtp_address  TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    legacy_dn     TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    created_at    INTEGER NOT NULL,
    changed_at    INTEGER NOT NULL
  );
  CREATE TABLE users (
    id             INTEGER PRIMARY KEY REFERENCES recipients(id) ON DELETE CASCADE,
    nt_hash        BLOB    NOT NULL CHECK (length(nt_hash) = 16),
    password_hash  TEXT    NOT NULL,
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
  );
  CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX group_members_by_user ON group_members(user_id);
  `;

const bump = 'UPDATE generation SET value = value + 1;';

// Version 2: contacts (kind 'contact'), person attributes as one JSON column on recipients (one row read per entry,
// so listing 50,000 users is a single scan), proxy addresses (SMTP aliases, X500, ...) in their own table whose
// primary key keeps every address unique, published certificates and delegates, and a generation counter that
// triggers move in the same transaction as every change an address book can see. `recipients` is rebuilt to widen
// its kind CHECK (SQLite cannot alter a constraint); migrate() runs with foreign keys off so that dropping the old
// table does not cascade, and checks them afterwards.
const V2 = `
  CREATE TABLE recipients_v2 (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('user', 'group', 'contact')),
    name          TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    display_name  TEXT    NOT NULL,
    smtp_address  TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    legacy_dn     TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    attributes    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    created_at    INTEGER NOT NULL,
    changed_at    INTEGER NOT NULL
  );
  INSERT INTO recipients_v2 (id, kind, name, display_name, smtp_address, legacy_dn, attributes, created_at, changed_at)
    SELECT id, kind, name, display_name, smtp_address, legacy_dn, '{}', created_at, changed_at FROM recipients;
  DROP TABLE recipients;
  ALTER TABLE recipients_v2 RENAME TO recipients;

  CREATE TABLE proxy_addresses (
    address       TEXT    NOT NULL COLLATE NOCASE PRIMARY KEY,
    recipient_id  INTEGER NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    added_at      INTEGER NOT NULL
  );
  CREATE INDEX proxy_addresses_by_recipient ON proxy_addresses(recipient_id);

  CREATE TABLE user_certificates (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    der       BLOB    NOT NULL,
    PRIMARY KEY (user_id, position)
  ) WITHOUT ROWID;
  CREATE TABLE user_delegates (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    delegate_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    PRIMARY KEY (user_id, delegate_id)
  ) WITHOUT ROWID;
  CREATE INDEX user_delegates_by_delegate ON user_delegates(delegate_id);

  CREATE TABLE generation (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  INTEGER NOT NULL
  );
  INSERT INTO generation (id, value) VALUES (1, 1);

  CREATE TRIGGER recipients_gen_insert AFTER INSERT ON recipients BEGIN ${bump} END;
  CREATE TRIGGER recipients_gen_delete AFTER DELETE ON recipients BEGIN ${bump} END;
  CREATE TRIGGER recipients_gen_update AFTER UPDATE ON recipients
    WHEN OLD.kind IS NOT NEW.kind OR OLD.name IS NOT NEW.name OR OLD.display_name IS NOT NEW.display_name
      OR OLD.smtp_address IS NOT NEW.smtp_address OR OLD.legacy_dn IS NOT NEW.legacy_dn OR OLD.attributes IS NOT NEW.attributes
    BEGIN ${bump} END;
  CREATE TRIGGER users_gen_update AFTER UPDATE ON users WHEN OLD.enabled IS NOT NEW.enabled BEGIN ${bump} END;
  CREATE TRIGGER group_members_gen_insert AFTER INSERT ON group_members BEGIN ${bump} END;
  CREATE TRIGGER group_members_gen_delete AFTER DELETE ON group_members BEGIN ${bump} END;
  CREATE TRIGGER proxy_addresses_gen_insert AFTER INSERT ON proxy_addresses BEGIN ${bump} END;
  CREATE TRIGGER proxy_addresses_gen_delete AFTER DELETE ON proxy_addresses BEGIN ${bump} END;
  CREATE TRIGGER proxy_addresses_gen_update AFTER UPDATE ON proxy_addresses BEGIN ${bump} END;
  CREATE TRIGGER user_certificates_gen_insert AFTER INSERT ON user_certificates BEGIN ${bump} END;
  CREATE TRIGGER user_certificates_gen_delete AFTER DELETE ON user_certificates BEGIN ${bump} END;
  CREATE TRIGGER user_certificates_gen_update AFTER UPDATE ON user_certificates BEGIN ${bump} END;
  CREATE TRIGGER user_delegates_gen_insert AFTER INSERT ON user_delegates BEGIN ${bump} END;
  CREATE TRIGGER user_delegates_gen_delete AFTER DELETE ON user_delegates BEGIN ${bump} END;
  CREATE TRIGGER user_delegates_gen_update AFTER UPDATE ON user_delegates BEGIN ${bump} END;
  `;

const MIGRATIONS: readonly string[] = [/* 1 */ V1, /* 2 */ V2];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The SQL of one schema version (tests build old databases with it). */
export function migrationSql(version: number): string {
  const sql = MIGRATIONS[version - 1];
  if (sql === undefined) throw new RangeError(`no migration ${version}`);
  return sql;
}

/** Brings the database to SCHEMA_VERSION; returns the version it found. */
export function migrate(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const peek = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  if ((peek?.version ?? 0) === SCHEMA_VERSION) return SCHEMA_VERSION;
  // Table rebuilds need foreign keys off (the pragma is a no-op inside a transaction); they are checked before
  // the transaction commits and switched back on afterwards.
  const fk = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    const run = db.transaction((): number => {
      const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
      const found = row?.version ?? 0;
      if (found > SCHEMA_VERSION) {
        throw new DirectoryError(
          DirectoryErrorCode.SCHEMA_TOO_NEW,
          `the directory database has schema version ${found}, newer than this ocng understands (${SCHEMA_VERSION}); upgrade ocng`,
        );
      }
      for (let v = found; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length) {
        throw new DirectoryError(DirectoryErrorCode.OPEN_FAILED, `the directory database has ${broken.length} broken references; not migrated`);
      }
      if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
      else if (found !== SCHEMA_VERSION) db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
      return found;
    });
    return run.immediate();
  } finally {
    if (fk) db.pragma('foreign_keys = ON');
  }
}
