// Schema of <dataDir>/directory.sqlite. Migrations are applied in order, each in one transaction together with the
// schema_version bump; a database newer than this code is refused rather than guessed at.
import type { Database } from 'better-sqlite3';
import { DirectoryError, DirectoryErrorCode } from './errors.js';

// Users and groups are both "recipients" so that they share one namespace for names, SMTP addresses and
// legacyExchangeDNs (a group can never take a user's DN). COLLATE NOCASE makes lookups case-insensitive (names
// are ASCII by construction).
const MIGRATIONS: readonly string[] = [
  /* 1 */ `
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
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to SCHEMA_VERSION; returns the version it found. */
export function migrate(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
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
    if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (found !== SCHEMA_VERSION) db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
    return found;
  });
  return run.immediate();
}
