// The index store: what every backend keeps outside the backend's own data. One row per mailbox (replica GUID,
// GLOBCNT counter), named-property mappings (stable forever), and a mapping table between backend item keys
// (IMAP "uidvalidity:uid", a CalDAV href, ...) and FIDs/MIDs with the backend's version of the item
// (modseq, etag). Providers: SQLite (index/sqlite.ts) and MySQL/MariaDB (index/mysql.ts).
import type { PropertyName } from '../../mapi/named.js';

export interface MailboxRecord {
  /** Internal row id of the mailbox in the index. */
  id: number;
  username: string;
  mailboxGuid: string;
  replGuid: string;
  /** True when this open created the mailbox row (the backend provisions then). */
  created: boolean;
}

/** A backend item mapped onto a FID or MID (GLOBCNTs; replica 1 is implied). */
export interface IndexMapping {
  kind: 'folder' | 'message';
  globcnt: bigint;
  /** GLOBCNT of the folder holding the item (0n for folders' own rows when unused). */
  folderGlobcnt: bigint;
  /** Backend key, unique per (mailbox, kind): "INBOX/1700000000/42", "/dav/alice/calendar/x.ics", ... */
  backendKey: string;
  /** Backend version tokens: IMAP MODSEQ, HTTP ETag, any opaque version; null when not known. */
  modseq: bigint | null;
  etag: string | null;
  version: string | null;
  /** CN (GLOBCNT) the store gave the item's last change seen from the backend. */
  cn: bigint;
}

export interface NamedEntry {
  id: number;
  name: PropertyName;
}

export interface MailboxIndex {
  readonly mailbox: MailboxRecord;
  /** Reserves `count` GLOBCNTs; returns the first. Never hands out the same GLOBCNT twice. */
  allocate(count: number): Promise<bigint>;
  /** The highest GLOBCNT handed out so far (0n if none). */
  lastAllocated(): Promise<bigint>;
  /** Named-property ids (0x8000..0xFFFE) per mailbox; PS_MAPI lids map to themselves; 0 = unknown (create false). */
  namedIds(names: readonly PropertyName[], create: boolean): Promise<number[]>;
  namesOf(ids: readonly number[]): Promise<(PropertyName | null)[]>;
  queryNames(guid?: string): Promise<NamedEntry[]>;
  /**
   * Inserts or replaces the mapping of (kind, globcnt). A backend key that belongs to another mapping of the kind is
   * refused (OC_STORE_INDEX_KEY_CONFLICT), nothing written: delete or re-key that mapping first.
   */
  putMapping(m: IndexMapping): Promise<void>;
  mappingByKey(kind: IndexMapping['kind'], backendKey: string): Promise<IndexMapping | null>;
  mappingById(kind: IndexMapping['kind'], globcnt: bigint): Promise<IndexMapping | null>;
  mappingsInFolder(folderGlobcnt: bigint): Promise<IndexMapping[]>;
  deleteMapping(kind: IndexMapping['kind'], globcnt: bigint): Promise<void>;
  close(): Promise<void>;
}

export interface IndexProvider {
  readonly kind: 'sqlite' | 'mysql';
  /** The index of `username`'s mailbox, creating its row (new mailbox GUID and replica GUID) on first use. */
  openMailbox(username: string): Promise<MailboxIndex>;
  /**
   * Optional: makes the database ready (the MySQL provider creates or upgrades its tables) and says what it did; the
   * server calls it at start, so that a schema the server cannot use stops the start instead of every logon.
   */
  init?(): Promise<{ from: number; to: number; applied: number[] } | null>;
  close(): Promise<void>;
}

/** Highest named-property id (MS-OXCPRPT 2.2.1.x: 0x8000-0xFFFE). */
export const NAMED_ID_MIN = 0x8000;
export const NAMED_ID_MAX = 0xfffe;

// ---- IMAP backend index (schema migration 2): MAPI-only data keyed by (mailbox, UIDVALIDITY, UID) ----

/** Flag summary bits of an IMAP message (RFC 9051 2.3.2 system flags the MAPI side maps). */
export const IMAP_FLAG = {
  Seen: 1,
  Answered: 2,
  Flagged: 4,
  Deleted: 8,
  Draft: 16,
  /** RFC 5550 $Forwarded keyword. */
  Forwarded: 32,
  /** RFC 3503 $MDNSent keyword. */
  MdnSent: 64,
  /** One or more keywords that are categories (backends/imap/keywords.ts): the message has PidNameKeywords. */
  Keywords: 128,
} as const;

/** Per-folder IMAP sync state: one row per IMAP mailbox mapped onto a MAPI folder. */
export interface ImapFolderRow {
  /** FID GLOBCNT of the MAPI folder. */
  folderGlobcnt: bigint;
  /** The mailbox name as the IMAP server spells it (RFC 9051 5.1, UTF-8 when UTF8=ACCEPT, else modified UTF-7). */
  imapName: string;
  /** RFC 9051 2.3.1.1 UIDVALIDITY (32-bit, non-zero). */
  uidvalidity: number;
  /** RFC 9051 UIDNEXT seen at the last sync (32-bit). */
  uidnext: number;
  /** RFC 7162 HIGHESTMODSEQ seen at the last sync (0n when the server has no CONDSTORE). */
  highestModseq: bigint;
  /** The store CN of the last sync of this folder (0n before the first). */
  lastSyncCn: bigint;
  /** Opaque backend state (e.g. JSON), null when unused. */
  syncState: string | null;
}

/** One IMAP message mapped onto a MID. */
export interface ImapMessageRow {
  folderGlobcnt: bigint;
  uidvalidity: number;
  uid: number;
  /** MID GLOBCNT. */
  globcnt: bigint;
  /** RFC 7162 MODSEQ of the message at the last sync (0n when unknown). */
  modseq: bigint;
  /** CN of the message's last content/property change. */
  cn: bigint;
  /** CN of its last read-state change (MS-OXCFXICS read-state sync). */
  readCn: bigint;
  /** IMAP_FLAG bits. */
  flags: number;
  /** RFC822.SIZE. */
  size: number;
}

/** One MAPI property MIME cannot carry, stored beside an IMAP message (or folder) by its GLOBCNT. */
export interface OverlayProp {
  globcnt: bigint;
  /** Property tag (id << 16 | type); named ids are this mailbox's. */
  propTag: number;
  /** The value serialised by the backend (its own encoding). */
  value: Uint8Array;
}

/**
 * Tables for the IMAP backend. Batch forms write or read many rows per statement (the first sync of a large
 * folder writes thousands). Rows of another UIDVALIDITY are kept until `deleteFolderMessages` drops them.
 */
export interface ImapIndex {
  /**
   * Inserts or replaces folder rows (key: folderGlobcnt), in order, all or nothing: a row whose IMAP name belongs to
   * another folder refuses the call (OC_STORE_INDEX_KEY_CONFLICT).
   */
  putFolders(rows: readonly ImapFolderRow[]): Promise<void>;
  folderByName(imapName: string): Promise<ImapFolderRow | null>;
  folderById(folderGlobcnt: bigint): Promise<ImapFolderRow | null>;
  listFolders(): Promise<ImapFolderRow[]>;
  /** Drops the folder row, its messages and their overlay rows. */
  deleteFolder(folderGlobcnt: bigint): Promise<void>;
  /**
   * Inserts or replaces messages (key: folder, uidvalidity, uid), in order, all or nothing: a row whose MID GLOBCNT
   * belongs to another message refuses the call (OC_STORE_INDEX_KEY_CONFLICT).
   */
  putMessages(rows: readonly ImapMessageRow[]): Promise<void>;
  /** The rows for these UIDs (missing UIDs are absent from the result), ordered by UID. */
  messagesByUid(folderGlobcnt: bigint, uidvalidity: number, uids: readonly number[]): Promise<ImapMessageRow[]>;
  /** The rows for these MID GLOBCNTs, in any order. */
  messagesById(globcnts: readonly bigint[]): Promise<ImapMessageRow[]>;
  /** Rows of one folder and UIDVALIDITY with uid > afterUid, ordered by UID, at most `limit`. */
  messagesInFolder(folderGlobcnt: bigint, uidvalidity: number, afterUid?: number, limit?: number): Promise<ImapMessageRow[]>;
  /** Removes these UIDs (and their overlay rows); returns how many message rows went. */
  deleteMessages(folderGlobcnt: bigint, uidvalidity: number, uids: readonly number[]): Promise<number>;
  /** Removes the folder's messages whose UIDVALIDITY is not `keep` (after a UIDVALIDITY change); returns the count. */
  deleteFolderMessages(folderGlobcnt: bigint, keep: number): Promise<number>;
  /** Inserts or replaces overlay properties. */
  putOverlay(rows: readonly OverlayProp[]): Promise<void>;
  /** Overlay properties of these GLOBCNTs, grouped by GLOBCNT, each list ordered by tag. */
  getOverlay(globcnts: readonly bigint[]): Promise<Map<bigint, OverlayProp[]>>;
  /** Removes the given tags of one GLOBCNT, or all its rows when `tags` is omitted. */
  deleteOverlay(globcnt: bigint, tags?: readonly number[]): Promise<void>;
}

/** Providers that carry the IMAP tables expose them on the mailbox index. */
export interface MailboxIndexWithImap extends MailboxIndex {
  readonly imap: ImapIndex;
}

export const hasImapIndex = (m: MailboxIndex): m is MailboxIndexWithImap =>
  typeof (m as Partial<MailboxIndexWithImap>).imap === 'object' && (m as Partial<MailboxIndexWithImap>).imap !== null;
