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
  close(): Promise<void>;
}

/** Highest named-property id (MS-OXCPRPT 2.2.1.x: 0x8000-0xFFFE). */
export const NAMED_ID_MIN = 0x8000;
export const NAMED_ID_MAX = 0xfffe;
