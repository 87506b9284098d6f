// Index store on SQLite (the default): one file (`dataDir/index.sqlite`) holding every mailbox's row, GLOBCNT
// counter, named properties and backend mappings. Same tables as index/mysql.ts.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { randomGuid } from '../../util/guid.js';
import { PS_MAPI, type PropertyName } from '../../mapi/named.js';
import { checkCount, checkName, checkRange, fixedIdOf, nameHash, namedFull, rowName } from './common.js';
import {
  NAMED_ID_MAX, NAMED_ID_MIN, type IndexMapping, type IndexProvider, type MailboxIndex, type MailboxRecord, type NamedEntry,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mailboxes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  mailbox_guid TEXT NOT NULL,
  repl_guid TEXT NOT NULL,
  next_globcnt INTEGER NOT NULL DEFAULT 1,
  next_named INTEGER NOT NULL DEFAULT ${NAMED_ID_MIN}
);
CREATE TABLE IF NOT EXISTS named_props (
  mailbox_id INTEGER NOT NULL,
  prop_id INTEGER NOT NULL,
  guid TEXT NOT NULL,
  kind INTEGER NOT NULL,
  lid INTEGER,
  name TEXT,
  name_hash TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, prop_id),
  UNIQUE (mailbox_id, name_hash)
);
CREATE TABLE IF NOT EXISTS id_map (
  mailbox_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  globcnt INTEGER NOT NULL,
  folder_globcnt INTEGER NOT NULL,
  backend_key TEXT NOT NULL,
  modseq TEXT,
  etag TEXT,
  version TEXT,
  cn INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, kind, globcnt),
  UNIQUE (mailbox_id, kind, backend_key)
);
CREATE INDEX IF NOT EXISTS id_map_folder ON id_map (mailbox_id, folder_globcnt);
`;

interface MapRow {
  kind: string; globcnt: number; folder_globcnt: number; backend_key: string;
  modseq: string | null; etag: string | null; version: string | null; cn: number;
}

const toMapping = (r: MapRow): IndexMapping => ({
  kind: r.kind as IndexMapping['kind'],
  globcnt: BigInt(r.globcnt),
  folderGlobcnt: BigInt(r.folder_globcnt),
  backendKey: r.backend_key,
  modseq: r.modseq === null ? null : BigInt(r.modseq),
  etag: r.etag,
  version: r.version,
  cn: BigInt(r.cn),
});

export class SqliteIndexProvider implements IndexProvider {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;

  /** `file` = path of the index database, or ':memory:'. */
  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  async openMailbox(username: string): Promise<MailboxIndex> {
    const user = username.toLowerCase();
    let created = false;
    let row = this.db.prepare('SELECT * FROM mailboxes WHERE username = ?').get(user) as
      | { id: number; mailbox_guid: string; repl_guid: string } | undefined;
    if (!row) {
      this.db.prepare('INSERT OR IGNORE INTO mailboxes (username, mailbox_guid, repl_guid) VALUES (?, ?, ?)').run(user, randomGuid(), randomGuid());
      row = this.db.prepare('SELECT * FROM mailboxes WHERE username = ?').get(user) as { id: number; mailbox_guid: string; repl_guid: string };
      created = true;
    }
    return new SqliteMailboxIndex(this.db, { id: row.id, username: user, mailboxGuid: row.mailbox_guid, replGuid: row.repl_guid, created });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class SqliteMailboxIndex implements MailboxIndex {
  private readonly stAlloc;
  private readonly stLast;
  private readonly stNameByHash;
  private readonly stNameById;

  constructor(private readonly db: Database.Database, readonly mailbox: MailboxRecord) {
    this.stAlloc = db.prepare('UPDATE mailboxes SET next_globcnt = next_globcnt + ? WHERE id = ? RETURNING next_globcnt');
    this.stLast = db.prepare('SELECT next_globcnt FROM mailboxes WHERE id = ?');
    this.stNameByHash = db.prepare('SELECT prop_id FROM named_props WHERE mailbox_id = ? AND name_hash = ?');
    this.stNameById = db.prepare('SELECT guid, kind, lid, name FROM named_props WHERE mailbox_id = ? AND prop_id = ?');
  }

  async allocate(count: number): Promise<bigint> {
    checkCount(count);
    const r = this.stAlloc.get(count, this.mailbox.id) as { next_globcnt: number };
    return checkRange(BigInt(r.next_globcnt) - BigInt(count), count);
  }

  async lastAllocated(): Promise<bigint> {
    const r = this.stLast.get(this.mailbox.id) as { next_globcnt: number };
    return BigInt(r.next_globcnt) - 1n;
  }

  async namedIds(names: readonly PropertyName[], create: boolean): Promise<number[]> {
    const run = this.db.transaction((): number[] =>
      names.map((n) => {
        checkName(n);
        const fixed = fixedIdOf(n);
        if (fixed !== null) return fixed;
        const h = nameHash(n);
        const got = this.stNameByHash.get(this.mailbox.id, h) as { prop_id: number } | undefined;
        if (got) return got.prop_id;
        if (!create) return 0;
        const r = this.db.prepare('UPDATE mailboxes SET next_named = next_named + 1 WHERE id = ? RETURNING next_named').get(this.mailbox.id) as { next_named: number };
        const id = r.next_named - 1;
        if (id > NAMED_ID_MAX) throw namedFull();
        this.db
          .prepare('INSERT INTO named_props (mailbox_id, prop_id, guid, kind, lid, name, name_hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(this.mailbox.id, id, n.guid.toLowerCase(), n.lid !== undefined ? 0 : 1, n.lid ?? null, n.name ?? null, h);
        return id;
      }),
    );
    return run.immediate();
  }

  async namesOf(ids: readonly number[]): Promise<(PropertyName | null)[]> {
    return ids.map((id) => {
      if (id > 0 && id < NAMED_ID_MIN) return { guid: PS_MAPI, lid: id };
      const r = this.stNameById.get(this.mailbox.id, id) as { guid: string; kind: number; lid: number | null; name: string | null } | undefined;
      return r ? rowName(r.guid, r.kind, r.lid, r.name) : null;
    });
  }

  async queryNames(guid?: string): Promise<NamedEntry[]> {
    const rows = (guid
      ? this.db.prepare('SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? AND guid = ? ORDER BY prop_id').all(this.mailbox.id, guid.toLowerCase())
      : this.db.prepare('SELECT prop_id, guid, kind, lid, name FROM named_props WHERE mailbox_id = ? ORDER BY prop_id').all(this.mailbox.id)) as {
      prop_id: number; guid: string; kind: number; lid: number | null; name: string | null;
    }[];
    return rows.map((r) => ({ id: r.prop_id, name: rowName(r.guid, r.kind, r.lid, r.name) }));
  }

  async putMapping(m: IndexMapping): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO id_map (mailbox_id, kind, globcnt, folder_globcnt, backend_key, modseq, etag, version, cn)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (mailbox_id, kind, globcnt) DO UPDATE SET folder_globcnt = excluded.folder_globcnt,
           backend_key = excluded.backend_key, modseq = excluded.modseq, etag = excluded.etag, version = excluded.version, cn = excluded.cn`,
      )
      .run(this.mailbox.id, m.kind, m.globcnt, m.folderGlobcnt, m.backendKey, m.modseq === null ? null : m.modseq.toString(), m.etag, m.version, m.cn);
  }

  async mappingByKey(kind: IndexMapping['kind'], backendKey: string): Promise<IndexMapping | null> {
    const r = this.db.prepare('SELECT * FROM id_map WHERE mailbox_id = ? AND kind = ? AND backend_key = ?').get(this.mailbox.id, kind, backendKey) as MapRow | undefined;
    return r ? toMapping(r) : null;
  }

  async mappingById(kind: IndexMapping['kind'], globcnt: bigint): Promise<IndexMapping | null> {
    const r = this.db.prepare('SELECT * FROM id_map WHERE mailbox_id = ? AND kind = ? AND globcnt = ?').get(this.mailbox.id, kind, globcnt) as MapRow | undefined;
    return r ? toMapping(r) : null;
  }

  async mappingsInFolder(folderGlobcnt: bigint): Promise<IndexMapping[]> {
    const rows = this.db.prepare('SELECT * FROM id_map WHERE mailbox_id = ? AND folder_globcnt = ? ORDER BY globcnt').all(this.mailbox.id, folderGlobcnt) as MapRow[];
    return rows.map(toMapping);
  }

  async deleteMapping(kind: IndexMapping['kind'], globcnt: bigint): Promise<void> {
    this.db.prepare('DELETE FROM id_map WHERE mailbox_id = ? AND kind = ? AND globcnt = ?').run(this.mailbox.id, kind, globcnt);
  }

  async close(): Promise<void> {
    // the provider owns the connection
  }
}
