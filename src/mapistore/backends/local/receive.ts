// Receive folders (MS-OXCSTOR 2.2.1.2-4) and per-user information of public folders kept in a private mailbox
// (MS-OXCSTOR 2.2.1.9-12).
import type Database from 'better-sqlite3';
import { decodeLongTermId } from '../../../mapi/ids.js';
import { toFileTime } from '../../../mapi/props.js';
import { SEC, StoreError } from '../../errors.js';
import type { ReceiveFolderEntry } from '../../types.js';
import { checkClass, eid } from './helpers.js';


export function getReceiveFolder(db: Database.Database, messageClass: string): { fid: bigint; explicitClass: string } {
  checkClass(messageClass, true);
  // MS-OXCSTOR 3.2.5.2: the entry of the longest prefix (on "." boundaries) of the class; "" matches any class
  const parts = messageClass.split('.');
  const get = db.prepare('SELECT class, fid FROM receive_folders WHERE class_lc = ?');
  for (let n = messageClass === '' ? 0 : parts.length; n >= 0; n--) {
    const c = parts.slice(0, n).join('.').toLowerCase();
    const r = get.get(c) as { class: string; fid: number } | undefined;
    if (r) return { fid: eid(r.fid), explicitClass: r.class };
  }
  throw new StoreError('OC_STORE_NO_RECEIVE_FOLDER', SEC.NoReceiveFolder, 'no receive folder');
}

/** fid null removes the entry; else the folder's GLOBCNT (the caller checked it exists). */
export function setReceiveFolder(db: Database.Database, messageClass: string, fid: number | null): void {
  checkClass(messageClass, false);
  const lc = messageClass.toLowerCase();
  if (fid === null) {
    // the default receive folder cannot be removed
    if (lc === '') throw new StoreError('OC_STORE_RECEIVE_FOLDER', SEC.Error, 'the default receive folder cannot be removed');
    db.prepare('DELETE FROM receive_folders WHERE class_lc = ?').run(lc);
    return;
  }
  db.prepare('INSERT OR REPLACE INTO receive_folders (class_lc, class, fid, modified) VALUES (?, ?, ?, ?)').run(lc, messageClass, fid, Date.now());
}

export function receiveFolderTable(db: Database.Database): ReceiveFolderEntry[] {
  const rows = db.prepare('SELECT class, fid, modified FROM receive_folders ORDER BY class_lc').all() as { class: string; fid: number; modified: number }[];
  return rows.map((r) => ({ messageClass: r.class, fid: eid(r.fid), lastModified: toFileTime(new Date(r.modified)) }));
}

export function perUserLongTermIds(db: Database.Database, databaseGuid: string): Buffer[] {
  const rows = db.prepare('SELECT ltid FROM per_user WHERE db_guid = ? ORDER BY ltid').all(databaseGuid.toLowerCase()) as { ltid: Buffer }[];
  return rows.map((r) => r.ltid);
}

export function perUserGuid(db: Database.Database, ltid: Uint8Array): string {
  const r = db.prepare('SELECT db_guid FROM per_user WHERE ltid = ?').get(Buffer.from(ltid)) as { db_guid: string } | undefined;
  if (!r) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, 'no per-user information for this folder');
  return r.db_guid;
}

export function readPerUserInformation(db: Database.Database, ltid: Uint8Array, offset: number, maxSize: number): { data: Buffer; hasFinished: boolean } {
  const r = db.prepare('SELECT data FROM per_user WHERE ltid = ?').get(Buffer.from(ltid)) as { data: Buffer } | undefined;
  const data = r?.data ?? Buffer.alloc(0);
  if (offset < 0 || offset > data.length) throw new StoreError('OC_STORE_BAD_OFFSET', SEC.InvalidParam, `offset ${offset} beyond ${data.length}`);
  const part = data.subarray(offset, offset + Math.max(0, maxSize));
  return { data: Buffer.from(part), hasFinished: offset + part.length >= data.length };
}

/** Appends `data` at `offset` (0 starts over); the database GUID is `replGuid`, else the LTID's. */
export function writePerUserInformation(
  db: Database.Database, ltid: Uint8Array, offset: number, data: Uint8Array, hasFinished: boolean, replGuid?: string,
): void {
  const key = Buffer.from(ltid);
  if (key.length !== 24) throw new StoreError('OC_STORE_BAD_LTID', SEC.InvalidParam, 'a LongTermID has 24 bytes');
  const cur = db.prepare('SELECT data, db_guid FROM per_user WHERE ltid = ?').get(key) as { data: Buffer; db_guid: string } | undefined;
  const base = offset === 0 ? Buffer.alloc(0) : (cur?.data ?? Buffer.alloc(0));
  if (offset !== base.length) throw new StoreError('OC_STORE_BAD_OFFSET', SEC.InvalidParam, `write at ${offset}, data has ${base.length}`);
  const guid = (replGuid ?? (offset === 0 ? undefined : cur?.db_guid) ?? decodeLongTermId(key).guid).toLowerCase();
  db.prepare('INSERT OR REPLACE INTO per_user (ltid, db_guid, data, complete, modified) VALUES (?, ?, ?, ?, ?)')
    .run(key, guid, Buffer.concat([base, Buffer.from(data)]), hasFinished ? 1 : 0, Date.now());
}
