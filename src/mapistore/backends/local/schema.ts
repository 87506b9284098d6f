// Tables of the embedded backend: one SQLite file per mailbox (`dataDir/mailboxes/<mailboxGuid>.sqlite`).
// IDs are GLOBCNTs (replica 1 implied); times are milliseconds since 1970 (FILETIME computed on read);
// properties are one JSON text per object (propcodec.ts), a message's large strings and binaries beside it in
// messages.big (propcodec.ts encodeStored; added to older files by addBigColumn). Recipients, attachments and
// large-value blobs (message_content, blobs, blob_chunks) are declared in blobs.ts and join the messages table by mid.
export const LOCAL_SCHEMA_VERSION = 1;

export const LOCAL_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
  fid INTEGER PRIMARY KEY,
  parent INTEGER,
  name TEXT NOT NULL,
  name_lc TEXT NOT NULL,
  folder_type INTEGER NOT NULL,
  special TEXT,
  cn INTEGER NOT NULL,
  created INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  pcl BLOB NOT NULL,
  props TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS folders_parent ON folders (parent, name_lc);
CREATE INDEX IF NOT EXISTS folders_parent_cn ON folders (parent, cn);
CREATE TABLE IF NOT EXISTS messages (
  mid INTEGER PRIMARY KEY,
  fid INTEGER NOT NULL,
  assoc INTEGER NOT NULL,
  read INTEGER NOT NULL DEFAULT 0,
  read_cn INTEGER NOT NULL DEFAULT 0,
  cn INTEGER NOT NULL,
  created INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  pcl BLOB NOT NULL,
  size INTEGER NOT NULL,
  props TEXT NOT NULL,
  big BLOB
);
CREATE INDEX IF NOT EXISTS messages_fid ON messages (fid, assoc);
CREATE INDEX IF NOT EXISTS messages_fid_cn ON messages (fid, cn);
CREATE INDEX IF NOT EXISTS messages_fid_read_cn ON messages (fid, read_cn);
CREATE TABLE IF NOT EXISTS tombstones (
  kind TEXT NOT NULL,
  id INTEGER NOT NULL,
  parent INTEGER NOT NULL,
  cn INTEGER NOT NULL,
  assoc INTEGER NOT NULL,
  hard INTEGER NOT NULL,
  PRIMARY KEY (kind, id, parent)
);
CREATE INDEX IF NOT EXISTS tombstones_parent_cn ON tombstones (parent, kind, cn);
CREATE TABLE IF NOT EXISTS receive_folders (
  class_lc TEXT PRIMARY KEY,
  class TEXT NOT NULL,
  fid INTEGER NOT NULL,
  modified INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS per_user (
  ltid BLOB PRIMARY KEY,
  db_guid TEXT NOT NULL,
  data BLOB NOT NULL,
  complete INTEGER NOT NULL,
  modified INTEGER NOT NULL
);
-- Message counts per folder and kind (normal/FAI), kept by triggers so that reading them costs one row, not a scan
-- of the folder (change notifications carry the counts after every message change). Filled from messages once
-- (meta key folder_counts) for mailboxes made before the table existed.
CREATE TABLE IF NOT EXISTS folder_counts (
  fid INTEGER NOT NULL,
  assoc INTEGER NOT NULL,
  n INTEGER NOT NULL,
  unread INTEGER NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (fid, assoc)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS messages_counts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO folder_counts (fid, assoc, n, unread, size) VALUES (NEW.fid, NEW.assoc, 1, NEW.read = 0, NEW.size)
    ON CONFLICT (fid, assoc) DO UPDATE SET n = n + 1, unread = unread + (NEW.read = 0), size = size + NEW.size;
END;
CREATE TRIGGER IF NOT EXISTS messages_counts_delete AFTER DELETE ON messages BEGIN
  UPDATE folder_counts SET n = n - 1, unread = unread - (OLD.read = 0), size = size - OLD.size WHERE fid = OLD.fid AND assoc = OLD.assoc;
END;
CREATE TRIGGER IF NOT EXISTS messages_counts_update AFTER UPDATE OF fid, assoc, read, size ON messages BEGIN
  UPDATE folder_counts SET n = n - 1, unread = unread - (OLD.read = 0), size = size - OLD.size WHERE fid = OLD.fid AND assoc = OLD.assoc;
  INSERT INTO folder_counts (fid, assoc, n, unread, size) VALUES (NEW.fid, NEW.assoc, 1, NEW.read = 0, NEW.size)
    ON CONFLICT (fid, assoc) DO UPDATE SET n = n + 1, unread = unread + (NEW.read = 0), size = size + NEW.size;
END;
`;

export interface FolderRow {
  fid: number;
  parent: number | null;
  name: string;
  name_lc: string;
  folder_type: number;
  special: string | null;
  cn: number;
  created: number;
  modified: number;
  pcl: Buffer;
  props: string;
}

/** The identity columns of a folder row (LocalMailbox.folderKey). */
export type FolderKey = Pick<FolderRow, 'fid' | 'parent' | 'folder_type'>;

export interface MessageRow {
  mid: number;
  fid: number;
  assoc: number;
  read: number;
  read_cn: number;
  cn: number;
  created: number;
  modified: number;
  pcl: Buffer;
  size: number;
  props: string;
  /** Large values (propcodec.ts encodeStored); null when none. */
  big: Buffer | null;
}

/** Gives a mailbox file made before messages.big that column (its rows keep every value in the JSON text). */
export function addBigColumn(db: { prepare(sql: string): { all(): unknown[] }; exec(sql: string): unknown }): void {
  const cols = db.prepare('PRAGMA table_info(messages)').all() as { name: string }[];
  if (!cols.some((c) => c.name === 'big')) db.exec('ALTER TABLE messages ADD COLUMN big BLOB');
}
