// Rules shared by the index providers.
import { createHash } from 'node:crypto';
import { PS_MAPI, propertyNameKey, type PropertyName } from '../../mapi/named.js';
import { StoreError, SEC } from '../errors.js';
import { NAMED_ID_MAX, type ImapFolderRow, type ImapMessageRow } from './types.js';

/** MS-OXCPRPT 3.2.5.8/9: a PS_MAPI name with a LID is the tagged property of that id; no mapping is stored. */
export function fixedIdOf(n: PropertyName): number | null {
  return n.guid.toLowerCase() === PS_MAPI && n.lid !== undefined && n.lid > 0 && n.lid < 0x8000 ? n.lid : null;
}

/** 40-hex key under which a name is unique per mailbox (names may be long; the key fits an index). */
export function nameHash(n: PropertyName): string {
  return createHash('sha1').update(propertyNameKey(n)).digest('hex');
}

export function checkName(n: PropertyName): void {
  if ((n.lid === undefined) === (n.name === undefined)) {
    throw new StoreError('OC_STORE_BAD_NAME', SEC.InvalidParam, 'a PropertyName has exactly one of lid / name');
  }
}

export function namedFull(): StoreError {
  return new StoreError('OC_STORE_NAMED_FULL', SEC.Error, `no named-property ids left (max 0x${NAMED_ID_MAX.toString(16)})`);
}

export function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > 1 << 30) {
    throw new StoreError('OC_STORE_BAD_COUNT', SEC.InvalidParam, `cannot allocate ${count} ids`);
  }
}

/** Throws when a range [first, first+count) would leave the 48-bit GLOBCNT space (MS-OXCDATA 2.2.1.1). */
export function checkRange(first: bigint, count: number): bigint {
  if (first + BigInt(count) - 1n > (1n << 48n) - 1n) {
    throw new StoreError('OC_STORE_IDS_EXHAUSTED', SEC.Error, 'the 48-bit ID counter of this mailbox is exhausted');
  }
  return first;
}

/** Code points in `s`, as MySQL counts the characters of a utf8mb4 value (a lone surrogate is sent as one U+FFFD). */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/**
 * Throws OC_STORE_INDEX_TOO_LONG (ecTooBig) when `value` has more than `max` characters, the size of the column
 * `column` that would hold it: refused before any statement, instead of a driver error or (INSERT IGNORE, non-strict
 * sql_mode) a silently cut value. `what` names the value for the message, which shows its first characters only.
 */
export function checkLength(what: string, column: string, value: string, max: number): void {
  if (value.length <= max) return; // UTF-16 units >= code points
  const n = codePoints(value);
  if (n <= max) return;
  const start = Array.from(value.slice(0, 80)).slice(0, 40).join('');
  throw new StoreError('OC_STORE_INDEX_TOO_LONG', SEC.TooBig,
    `${what} is ${n} characters long; the index column ${column} holds at most ${max} (value starts ${JSON.stringify(start)})`,
    { column, length: n, max });
}

/**
 * An upsert row whose second unique key (`key`) belongs to another row of `table`: refused by both providers (as an
 * SQLite ON CONFLICT (primary key) upsert refuses it), and nothing of the call is written.
 */
export function keyConflict(table: string, row: string, key: string, cause?: string): StoreError {
  return new StoreError('OC_STORE_INDEX_KEY_CONFLICT', SEC.Error,
    `index table ${table}: ${row} cannot be written, its ${key} belongs to another row${cause ? ` (${cause})` : ''}; nothing was written`,
    { table });
}

const hex = (g: bigint): string => `0x${g.toString(16)}`;
/** First characters of a key for a message (keys may be 700 characters). */
const shortKey = (k: string): string => JSON.stringify(k.length > 80 ? `${k.slice(0, 80)}...` : k);

/** keyConflict for an id_map row (second key: mailbox, kind, backend key). */
export const mappingConflict = (m: { kind: string; globcnt: bigint; backendKey: string }, cause?: string): StoreError =>
  keyConflict('id_map', `the ${m.kind} mapping ${hex(m.globcnt)}`, `backend key ${shortKey(m.backendKey)}`, cause);

/** keyConflict for an imap_folders row (second key: mailbox, IMAP name). */
export const imapFolderConflict = (f: { folderGlobcnt: bigint; imapName: string } | null, cause?: string): StoreError =>
  keyConflict('imap_folders', f ? `the IMAP folder row of folder ${hex(f.folderGlobcnt)}` : 'an IMAP folder row of the batch',
    f ? `IMAP name ${shortKey(f.imapName)}` : 'IMAP name', cause);

/** An imap_messages row by its primary key, for messages. */
export const messageRowName = (folderGlobcnt: bigint, uidvalidity: number, uid: number): string =>
  `UID ${uid} (UIDVALIDITY ${uidvalidity}) in folder ${hex(folderGlobcnt)}`;

/** keyConflict for an imap_messages row (second key: mailbox, MID GLOBCNT). */
export const imapMessageConflict = (m: { folderGlobcnt: bigint; uidvalidity: number; uid: number; globcnt: bigint } | null, cause?: string): StoreError =>
  keyConflict('imap_messages',
    m ? `the row of ${messageRowName(m.folderGlobcnt, m.uidvalidity, m.uid)}` : 'an IMAP message row of the batch',
    m ? `MID GLOBCNT ${hex(m.globcnt)}` : 'MID GLOBCNT', cause);

export const rowName = (guid: string, kind: number, lid: number | null, name: string | null): PropertyName =>
  kind === 0 ? { guid, lid: lid ?? 0 } : { guid, name: name ?? '' };

const big = (v: unknown): bigint => BigInt(typeof v === 'bigint' ? v : String(v));

/** An imap_folders row as both providers return it (BIGINT columns as bigint, number or string). */
export const imapFolderFromRow = (r: Record<string, unknown>): ImapFolderRow => ({
  folderGlobcnt: big(r.folder_globcnt),
  imapName: r.imap_name as string,
  uidvalidity: Number(r.uidvalidity),
  uidnext: Number(r.uidnext),
  highestModseq: big(r.highest_modseq),
  lastSyncCn: big(r.last_sync_cn),
  syncState: (r.sync_state as string | null) ?? null,
});

/** An imap_messages row as both providers return it. */
export const imapMessageFromRow = (r: Record<string, unknown>): ImapMessageRow => ({
  folderGlobcnt: big(r.folder_globcnt),
  uidvalidity: Number(r.uidvalidity),
  uid: Number(r.uid),
  globcnt: big(r.globcnt),
  modseq: big(r.modseq),
  cn: big(r.cn),
  readCn: big(r.read_cn),
  flags: Number(r.flags),
  size: Number(r.size),
});
