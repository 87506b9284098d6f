// Index store on SQLite (the default): one file (`dataDir/index.sqlite`) holding every mailbox's row, GLOBCNT
// counter, named properties and backend mappings. Same tables as index/mysql-schema.ts (migrations 1 and 2; the
// SQLite file needs no version table: every statement is CREATE ... IF NOT EXISTS and nothing was ever altered).
// MySQL's migration 3 (exact NO PAD string comparison) has no counterpart: SQLite's default BINARY collation already
// compares TEXT byte for byte, trailing spaces included.
// The IMAP tables (ImapIndex) read 64-bit columns with safeIntegers so MODSEQ values past 2^53 stay exact.
// Upserts are ON CONFLICT (primary key): a row whose other unique key (backend key, IMAP name, MID) belongs to another
// row fails; that failure is OC_STORE_INDEX_KEY_CONFLICT, as on MySQL, and the call's transaction writes nothing.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { randomGuid } from '../../util/guid.js';
import { PS_MAPI, type PropertyName } from '../../mapi/named.js';
import {
  checkCount, checkName, checkRange, fixedIdOf, imapFolderConflict, imapFolderFromRow, imapMessageConflict, imapMessageFromRow, mappingConflict, messageRowName,
  nameHash, namedFull, rowName,
} from './common.js';
import {
  NAMED_ID_MAX, NAMED_ID_MIN, type ImapFolderRow, type ImapIndex, type ImapMessageRow, type IndexMapping, type IndexProvider,
  type MailboxIndexWithImap, type MailboxRecord, type NamedEntry, type OverlayProp,
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
CREATE TABLE IF NOT EXISTS imap_folders (
  mailbox_id INTEGER NOT NULL,
  folder_globcnt INTEGER NOT NULL,
  imap_name TEXT NOT NULL,
  uidvalidity INTEGER NOT NULL,
  uidnext INTEGER NOT NULL,
  highest_modseq INTEGER NOT NULL DEFAULT 0,
  last_sync_cn INTEGER NOT NULL DEFAULT 0,
  sync_state TEXT,
  PRIMARY KEY (mailbox_id, folder_globcnt),
  UNIQUE (mailbox_id, imap_name)
);
CREATE TABLE IF NOT EXISTS imap_messages (
  mailbox_id INTEGER NOT NULL,
  folder_globcnt INTEGER NOT NULL,
  uidvalidity INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  globcnt INTEGER NOT NULL,
  modseq INTEGER NOT NULL DEFAULT 0,
  cn INTEGER NOT NULL,
  read_cn INTEGER NOT NULL DEFAULT 0,
  flags INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (mailbox_id, folder_globcnt, uidvalidity, uid),
  UNIQUE (mailbox_id, globcnt)
);
CREATE TABLE IF NOT EXISTS mapi_overlay (
  mailbox_id INTEGER NOT NULL,
  globcnt INTEGER NOT NULL,
  prop_tag INTEGER NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (mailbox_id, globcnt, prop_tag)
) WITHOUT ROWID;
`;

/** A UNIQUE constraint failure of a statement. */
const isUniqueViolation = (e: unknown): boolean => (e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/** Runs `fn`; a UNIQUE constraint failure becomes `conflict()`. */
function refusingConflicts<T>(fn: () => T, conflict: () => Error): T {
  try {
    return fn();
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict();
    throw e;
  }
}

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

  /** `file` = path of the index database, or ':memory:'; `cacheKb`: its SQLite page cache (default the build's). */
  constructor(file: string, cacheKb?: number) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    if (cacheKb) this.db.pragma(`cache_size = -${Math.floor(cacheKb)}`);
    this.db.exec(SCHEMA);
  }

  async openMailbox(username: string): Promise<MailboxIndexWithImap> {
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

class SqliteMailboxIndex implements MailboxIndexWithImap {
  readonly imap: ImapIndex;
  private readonly stAlloc;
  private readonly stLast;
  private readonly stNameByHash;
  private readonly stNameById;

  constructor(private readonly db: Database.Database, readonly mailbox: MailboxRecord) {
    this.imap = new SqliteImapIndex(db, mailbox.id);
    this.stAlloc = db.prepare('UPDATE mailboxes SET next_globcnt = next_globcnt + ? WHERE id = ? RETURNING next_globcnt');
    this.stLast = db.prepare('SELECT next_globcnt FROM mailboxes WHERE id = ?');
    this.stNameByHash = db.prepare('SELECT prop_id FROM named_props WHERE mailbox_id = ? AND name_hash = ?');
    this.stNameById = db.prepare('SELECT guid, kind, lid, name FROM named_props WHERE mailbox_id = ? AND prop_id = ?');
  }

  async allocate(count: number): Promise<bigint> {
    checkCount(count);
    // one transaction: a range past the 48-bit end is refused without moving the counter (as on MySQL), so smaller
    // requests that still fit are granted afterwards
    return this.db.transaction(() => {
      const r = this.stAlloc.get(count, this.mailbox.id) as { next_globcnt: number };
      return checkRange(BigInt(r.next_globcnt) - BigInt(count), count);
    })();
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
    const st = this.db
      .prepare(
        `INSERT INTO id_map (mailbox_id, kind, globcnt, folder_globcnt, backend_key, modseq, etag, version, cn)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (mailbox_id, kind, globcnt) DO UPDATE SET folder_globcnt = excluded.folder_globcnt,
           backend_key = excluded.backend_key, modseq = excluded.modseq, etag = excluded.etag, version = excluded.version, cn = excluded.cn`,
      );
    refusingConflicts(
      () => st.run(this.mailbox.id, m.kind, m.globcnt, m.folderGlobcnt, m.backendKey, m.modseq === null ? null : m.modseq.toString(), m.etag, m.version, m.cn),
      () => {
        const h = this.db.prepare('SELECT globcnt FROM id_map WHERE mailbox_id = ? AND kind = ? AND backend_key = ?').get(this.mailbox.id, m.kind, m.backendKey) as
          { globcnt: number } | undefined;
        return mappingConflict(m, h ? `held by mapping 0x${h.globcnt.toString(16)}` : undefined);
      });
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

type Row = Record<string, unknown>;
const toFolder = imapFolderFromRow;
const toMessage = imapMessageFromRow;


/** ImapIndex on SQLite: batches run as one transaction of prepared statements. */
class SqliteImapIndex implements ImapIndex {
  constructor(private readonly db: Database.Database, private readonly mb: number) {}

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.db.prepare(sql).safeIntegers(true).all(...params) as Row[];
  }

  async putFolders(rows: readonly ImapFolderRow[]): Promise<void> {
    const st = this.db.prepare(
      `INSERT INTO imap_folders (mailbox_id, folder_globcnt, imap_name, uidvalidity, uidnext, highest_modseq, last_sync_cn, sync_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mailbox_id, folder_globcnt) DO UPDATE SET imap_name = excluded.imap_name,
         uidvalidity = excluded.uidvalidity, uidnext = excluded.uidnext, highest_modseq = excluded.highest_modseq,
         last_sync_cn = excluded.last_sync_cn, sync_state = excluded.sync_state`,
    );
    this.db.transaction(() => {
      for (const f of rows) {
        refusingConflicts(() => st.run(this.mb, f.folderGlobcnt, f.imapName, f.uidvalidity, f.uidnext, f.highestModseq, f.lastSyncCn, f.syncState),
          () => {
            const h = this.all('SELECT folder_globcnt FROM imap_folders WHERE mailbox_id = ? AND imap_name = ?', this.mb, f.imapName)[0];
            return imapFolderConflict(f, h ? `held by folder 0x${BigInt(h.folder_globcnt as bigint).toString(16)}` : undefined);
          });
      }
    }).immediate();
  }

  async folderByName(imapName: string): Promise<ImapFolderRow | null> {
    const r = this.all('SELECT * FROM imap_folders WHERE mailbox_id = ? AND imap_name = ?', this.mb, imapName)[0];
    return r ? toFolder(r) : null;
  }

  async folderById(folderGlobcnt: bigint): Promise<ImapFolderRow | null> {
    const r = this.all('SELECT * FROM imap_folders WHERE mailbox_id = ? AND folder_globcnt = ?', this.mb, folderGlobcnt)[0];
    return r ? toFolder(r) : null;
  }

  async listFolders(): Promise<ImapFolderRow[]> {
    return this.all('SELECT * FROM imap_folders WHERE mailbox_id = ? ORDER BY folder_globcnt', this.mb).map(toFolder);
  }

  async deleteFolder(folderGlobcnt: bigint): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt IN (SELECT globcnt FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ?)')
        .run(this.mb, this.mb, folderGlobcnt);
      this.db.prepare('DELETE FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ?').run(this.mb, folderGlobcnt);
      this.db.prepare('DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = ?').run(this.mb, folderGlobcnt);
      this.db.prepare('DELETE FROM imap_folders WHERE mailbox_id = ? AND folder_globcnt = ?').run(this.mb, folderGlobcnt);
    }).immediate();
  }

  async putMessages(rows: readonly ImapMessageRow[]): Promise<void> {
    const st = this.db.prepare(
      `INSERT INTO imap_messages (mailbox_id, folder_globcnt, uidvalidity, uid, globcnt, modseq, cn, read_cn, flags, size)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mailbox_id, folder_globcnt, uidvalidity, uid) DO UPDATE SET
         globcnt = excluded.globcnt, modseq = excluded.modseq, cn = excluded.cn, read_cn = excluded.read_cn, flags = excluded.flags,
         size = excluded.size`,
    );
    this.db.transaction(() => {
      for (const m of rows) {
        refusingConflicts(() => st.run(this.mb, m.folderGlobcnt, m.uidvalidity, m.uid, m.globcnt, m.modseq, m.cn, m.readCn, m.flags, m.size),
          () => {
            const h = this.all('SELECT folder_globcnt, uidvalidity, uid FROM imap_messages WHERE mailbox_id = ? AND globcnt = ?', this.mb, m.globcnt)[0];
            return imapMessageConflict(m, h ? `held by ${messageRowName(BigInt(h.folder_globcnt as bigint), Number(h.uidvalidity), Number(h.uid))}` : undefined);
          });
      }
    }).immediate();
  }

  async messagesByUid(folderGlobcnt: bigint, uidvalidity: number, uids: readonly number[]): Promise<ImapMessageRow[]> {
    const st = this.db.prepare('SELECT * FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity = ? AND uid = ?').safeIntegers(true);
    return [...new Set(uids)].sort((a, b) => a - b)
      .map((u) => st.get(this.mb, folderGlobcnt, uidvalidity, u) as Row | undefined)
      .filter((r): r is Row => r !== undefined).map(toMessage);
  }

  async messagesById(globcnts: readonly bigint[]): Promise<ImapMessageRow[]> {
    const st = this.db.prepare('SELECT * FROM imap_messages WHERE mailbox_id = ? AND globcnt = ?').safeIntegers(true);
    return [...new Set(globcnts)].map((g) => st.get(this.mb, g) as Row | undefined).filter((r): r is Row => r !== undefined).map(toMessage);
  }

  async messagesInFolder(folderGlobcnt: bigint, uidvalidity: number, afterUid = 0, limit = 0xffffffff): Promise<ImapMessageRow[]> {
    return this.all('SELECT * FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity = ? AND uid > ? ORDER BY uid LIMIT ?',
      this.mb, folderGlobcnt, uidvalidity, afterUid, limit).map(toMessage);
  }

  async deleteMessages(folderGlobcnt: bigint, uidvalidity: number, uids: readonly number[]): Promise<number> {
    const ov = this.db.prepare(`DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = (SELECT globcnt FROM imap_messages
      WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity = ? AND uid = ?)`);
    const del = this.db.prepare('DELETE FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity = ? AND uid = ?');
    return this.db.transaction(() => {
      let n = 0;
      for (const u of new Set(uids)) {
        ov.run(this.mb, this.mb, folderGlobcnt, uidvalidity, u);
        n += del.run(this.mb, folderGlobcnt, uidvalidity, u).changes;
      }
      return n;
    }).immediate();
  }

  async deleteFolderMessages(folderGlobcnt: bigint, keep: number): Promise<number> {
    return this.db.transaction(() => {
      this.db.prepare(`DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt IN (SELECT globcnt FROM imap_messages
        WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity <> ?)`).run(this.mb, this.mb, folderGlobcnt, keep);
      return this.db.prepare('DELETE FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity <> ?').run(this.mb, folderGlobcnt, keep).changes;
    }).immediate();
  }

  async putOverlay(rows: readonly OverlayProp[]): Promise<void> {
    const st = this.db.prepare('INSERT INTO mapi_overlay (mailbox_id, globcnt, prop_tag, value) VALUES (?, ?, ?, ?) ON CONFLICT (mailbox_id, globcnt, prop_tag) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const o of rows) st.run(this.mb, o.globcnt, o.propTag >>> 0, Buffer.from(o.value.buffer, o.value.byteOffset, o.value.length));
    }).immediate();
  }

  async getOverlay(globcnts: readonly bigint[]): Promise<Map<bigint, OverlayProp[]>> {
    const st = this.db.prepare('SELECT prop_tag, value FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = ? ORDER BY prop_tag');
    const out = new Map<bigint, OverlayProp[]>();
    for (const g of new Set(globcnts)) {
      const rows = st.all(this.mb, g) as { prop_tag: number; value: Buffer }[];
      if (rows.length > 0) out.set(g, rows.map((r) => ({ globcnt: g, propTag: r.prop_tag, value: new Uint8Array(r.value) })));
    }
    return out;
  }

  async deleteOverlay(globcnt: bigint, tags?: readonly number[]): Promise<void> {
    if (tags === undefined) {
      this.db.prepare('DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = ?').run(this.mb, globcnt);
      return;
    }
    const st = this.db.prepare('DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = ? AND prop_tag = ?');
    this.db.transaction(() => {
      for (const t of tags) st.run(this.mb, globcnt, t >>> 0);
    }).immediate();
  }
}
