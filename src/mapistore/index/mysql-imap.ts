// The IMAP backend's tables on MySQL/MariaDB (schema migration 2, index/mysql-schema.ts): per-folder sync state
// (RFC 9051 UIDVALIDITY/UIDNEXT, RFC 7162 HIGHESTMODSEQ), messages keyed by (folder, UIDVALIDITY, UID) -> MID,
// and the MAPI property overlay for what MIME cannot carry.
//
// Choices: batch writes are multi-row INSERT ... ON DUPLICATE KEY UPDATE statements of at most BATCH_ROWS rows
// (and, for overlay values, about BATCH_BYTES bytes, well below the default max_allowed_packet of 16 MiB);
// batch reads use IN lists of at most BATCH_ROWS keys. Deletions that span tables run in one transaction.
// imap_folders and imap_messages have two unique keys (primary key and IMAP name / MID GLOBCNT). A call writes all
// its rows in one transaction, as the SQLite provider does, with the rows in order as SQLite's ON CONFLICT (primary
// key) upserts take them: a row whose second key belongs to another row refuses the whole call
// (OC_STORE_INDEX_KEY_CONFLICT). ON DUPLICATE KEY UPDATE would update that other row instead, so after each statement
// the rows holding the statement's second keys are read back and must be the rows written; a statement's rows have
// distinct primary keys (a repeated one starts the next statement), so that check sees every row's outcome.
// IMAP names longer than the column are refused before any statement (OC_STORE_INDEX_TOO_LONG).
import type { MysqlIndexProvider } from './mysql.js';
import { StoreError } from '../errors.js';
import { checkLength, imapFolderConflict, imapFolderFromRow, imapMessageConflict, imapMessageFromRow, messageRowName } from './common.js';
import { COLUMN_CHARS } from './mysql-schema.js';
import type { ImapFolderRow, ImapIndex, ImapMessageRow, OverlayProp } from './types.js';
import { batches } from '../../util/batches.js';

export const BATCH_ROWS = 1000;
export const BATCH_BYTES = 4 << 20;

type Row = Record<string, unknown>;
const big = (v: unknown): bigint => BigInt(String(v));

/** A duplicate-key failure of a statement (as MysqlIndexProvider.wrap reports it). */
export const isDuplicateKey = (e: unknown): boolean =>
  e instanceof StoreError && (e.details as { driverCode?: unknown } | undefined)?.driverCode === 'ER_DUP_ENTRY';

/** A string as the server stores it: the driver sends UTF-8, a lone surrogate becoming U+FFFD. */
const asStored = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

/** `rows` cut, in order, into runs of at most `max` rows whose `keyOf` values are distinct. */
export function distinctRuns<T>(rows: readonly T[], max: number, keyOf: (r: T) => string): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let seen = new Set<string>();
  for (const r of rows) {
    const k = keyOf(r);
    if (cur.length >= max || seen.has(k)) {
      out.push(cur);
      cur = [];
      seen = new Set();
    }
    cur.push(r);
    seen.add(k);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
const toFolder = imapFolderFromRow;
const toMessage = imapMessageFromRow;

export const IMAP_SQL = {
  folderByName: 'SELECT * FROM imap_folders WHERE mailbox_id = ? AND imap_name = ?',
  folderById: 'SELECT * FROM imap_folders WHERE mailbox_id = ? AND folder_globcnt = ?',
  listFolders: 'SELECT * FROM imap_folders WHERE mailbox_id = ? ORDER BY folder_globcnt',
  messagesByUid: 'SELECT * FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity = ? AND uid IN (?) ORDER BY uid',
  messagesById: 'SELECT * FROM imap_messages WHERE mailbox_id = ? AND globcnt IN (?)',
  messagesInFolder: 'SELECT * FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity = ? AND uid > ? ORDER BY uid LIMIT ?',
  staleMessages: 'SELECT globcnt FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity <> ?',
  /** The folders holding these names (the check after a putFolders statement). */
  folderHolders: 'SELECT imap_name, folder_globcnt FROM imap_folders WHERE mailbox_id = ? AND imap_name IN (?)',
  /** The messages holding these MIDs (the check after a putMessages statement). */
  messageHolders: 'SELECT globcnt, folder_globcnt, uidvalidity, uid FROM imap_messages WHERE mailbox_id = ? AND globcnt IN (?)',
  overlay: 'SELECT globcnt, prop_tag, value FROM mapi_overlay WHERE mailbox_id = ? AND globcnt IN (?) ORDER BY globcnt, prop_tag',
} as const;

export class MysqlImapIndex implements ImapIndex {
  constructor(private readonly p: MysqlIndexProvider, private readonly mailboxId: number) {}

  async putFolders(rows: readonly ImapFolderRow[]): Promise<void> {
    for (const f of rows) checkLength(`the IMAP name of folder 0x${f.folderGlobcnt.toString(16)}`, 'imap_folders.imap_name', f.imapName, COLUMN_CHARS.imapName);
    if (rows.length === 0) return;
    await this.p.tx(async (c) => {
      for (const part of distinctRuns(rows, BATCH_ROWS, (f) => f.folderGlobcnt.toString())) {
        try {
          await this.p.q(
            `INSERT INTO imap_folders (mailbox_id, folder_globcnt, imap_name, uidvalidity, uidnext, highest_modseq, last_sync_cn, sync_state)
             VALUES ? ON DUPLICATE KEY UPDATE imap_name = VALUES(imap_name), uidvalidity = VALUES(uidvalidity), uidnext = VALUES(uidnext),
               highest_modseq = VALUES(highest_modseq), last_sync_cn = VALUES(last_sync_cn), sync_state = VALUES(sync_state)`,
            [part.map((f) => [this.mailboxId, f.folderGlobcnt.toString(), f.imapName, f.uidvalidity, f.uidnext, f.highestModseq.toString(),
              f.lastSyncCn.toString(), f.syncState])], c);
        } catch (e) {
          // a row renames its folder to a name another folder holds
          if (isDuplicateKey(e)) throw imapFolderConflict(null, (e as Error).message);
          throw e;
        }
        const held = new Map<string, bigint>();
        for (const r of await this.p.q(IMAP_SQL.folderHolders, [this.mailboxId, [...new Set(part.map((f) => f.imapName))]], c)) {
          held.set(r.imap_name as string, big(r.folder_globcnt));
        }
        const bad = part.find((f) => held.get(asStored(f.imapName)) !== f.folderGlobcnt);
        if (bad) {
          const h = held.get(asStored(bad.imapName));
          throw imapFolderConflict(bad, h === undefined ? undefined : `held by folder 0x${h.toString(16)}`);
        }
      }
    });
  }

  async folderByName(imapName: string): Promise<ImapFolderRow | null> {
    const rows = await this.p.q(IMAP_SQL.folderByName, [this.mailboxId, imapName]);
    return rows[0] ? toFolder(rows[0]) : null;
  }

  async folderById(folderGlobcnt: bigint): Promise<ImapFolderRow | null> {
    const rows = await this.p.q(IMAP_SQL.folderById, [this.mailboxId, folderGlobcnt.toString()]);
    return rows[0] ? toFolder(rows[0]) : null;
  }

  async listFolders(): Promise<ImapFolderRow[]> {
    return (await this.p.q(IMAP_SQL.listFolders, [this.mailboxId])).map(toFolder);
  }

  async deleteFolder(folderGlobcnt: bigint): Promise<void> {
    const f = folderGlobcnt.toString();
    await this.p.tx(async (c) => {
      await this.p.q(
        `DELETE o FROM mapi_overlay o JOIN imap_messages m ON m.mailbox_id = o.mailbox_id AND m.globcnt = o.globcnt
         WHERE m.mailbox_id = ? AND m.folder_globcnt = ?`, [this.mailboxId, f], c);
      await this.p.q('DELETE FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ?', [this.mailboxId, f], c);
      await this.p.q('DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = ?', [this.mailboxId, f], c);
      await this.p.q('DELETE FROM imap_folders WHERE mailbox_id = ? AND folder_globcnt = ?', [this.mailboxId, f], c);
    });
  }

  async putMessages(rows: readonly ImapMessageRow[]): Promise<void> {
    if (rows.length === 0) return;
    const pk = (folderGlobcnt: unknown, uidvalidity: unknown, uid: unknown): string => `${String(folderGlobcnt)}/${String(uidvalidity)}/${String(uid)}`;
    await this.p.tx(async (c) => {
      for (const part of distinctRuns(rows, BATCH_ROWS, (m) => pk(m.folderGlobcnt, m.uidvalidity, m.uid))) {
        try {
          await this.p.q(
            `INSERT INTO imap_messages (mailbox_id, folder_globcnt, uidvalidity, uid, globcnt, modseq, cn, read_cn, flags, size)
             VALUES ? ON DUPLICATE KEY UPDATE globcnt = VALUES(globcnt), modseq = VALUES(modseq), cn = VALUES(cn),
               read_cn = VALUES(read_cn), flags = VALUES(flags), size = VALUES(size)`,
            [part.map((m) => [this.mailboxId, m.folderGlobcnt.toString(), m.uidvalidity, m.uid, m.globcnt.toString(), m.modseq.toString(),
              m.cn.toString(), m.readCn.toString(), m.flags, m.size])], c);
        } catch (e) {
          // a row gives its message a MID another message holds
          if (isDuplicateKey(e)) throw imapMessageConflict(null, (e as Error).message);
          throw e;
        }
        const held = new Map<bigint, Row>();
        for (const r of await this.p.q(IMAP_SQL.messageHolders, [this.mailboxId, [...new Set(part.map((m) => m.globcnt.toString()))]], c)) {
          held.set(big(r.globcnt), r);
        }
        const holderOf = (m: ImapMessageRow): Row | undefined => held.get(m.globcnt);
        const bad = part.find((m) => {
          const h = holderOf(m);
          return h === undefined || pk(h.folder_globcnt, h.uidvalidity, h.uid) !== pk(m.folderGlobcnt, m.uidvalidity, m.uid);
        });
        if (bad) {
          const h = holderOf(bad);
          throw imapMessageConflict(bad, h === undefined ? undefined : `held by ${messageRowName(big(h.folder_globcnt), Number(h.uidvalidity), Number(h.uid))}`);
        }
      }
    });
  }

  async messagesByUid(folderGlobcnt: bigint, uidvalidity: number, uids: readonly number[]): Promise<ImapMessageRow[]> {
    const out: ImapMessageRow[] = [];
    for (const part of batches([...new Set(uids)].sort((a, b) => a - b), BATCH_ROWS)) {
      const rows = await this.p.q(IMAP_SQL.messagesByUid, [this.mailboxId, folderGlobcnt.toString(), uidvalidity, part]);
      out.push(...rows.map(toMessage));
    }
    return out;
  }

  async messagesById(globcnts: readonly bigint[]): Promise<ImapMessageRow[]> {
    const out: ImapMessageRow[] = [];
    for (const part of batches([...new Set(globcnts)], BATCH_ROWS)) {
      const rows = await this.p.q(IMAP_SQL.messagesById, [this.mailboxId, part.map(String)]);
      out.push(...rows.map(toMessage));
    }
    return out;
  }

  async messagesInFolder(folderGlobcnt: bigint, uidvalidity: number, afterUid = 0, limit = 0xffffffff): Promise<ImapMessageRow[]> {
    const rows = await this.p.q(IMAP_SQL.messagesInFolder, [this.mailboxId, folderGlobcnt.toString(), uidvalidity, afterUid, limit]);
    return rows.map(toMessage);
  }

  async deleteMessages(folderGlobcnt: bigint, uidvalidity: number, uids: readonly number[]): Promise<number> {
    let n = 0;
    for (const part of batches([...new Set(uids)], BATCH_ROWS)) {
      n += await this.p.tx(async (c) => {
        const key = [this.mailboxId, folderGlobcnt.toString(), uidvalidity, part];
        await this.p.q(
          `DELETE o FROM mapi_overlay o JOIN imap_messages m ON m.mailbox_id = o.mailbox_id AND m.globcnt = o.globcnt
           WHERE m.mailbox_id = ? AND m.folder_globcnt = ? AND m.uidvalidity = ? AND m.uid IN (?)`, key, c);
        const r = await this.p.exec('DELETE FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity = ? AND uid IN (?)', key, c);
        return r.affectedRows;
      });
    }
    return n;
  }

  async deleteFolderMessages(folderGlobcnt: bigint, keep: number): Promise<number> {
    return this.p.tx(async (c) => {
      const key = [this.mailboxId, folderGlobcnt.toString(), keep];
      await this.p.q(
        `DELETE o FROM mapi_overlay o JOIN imap_messages m ON m.mailbox_id = o.mailbox_id AND m.globcnt = o.globcnt
         WHERE m.mailbox_id = ? AND m.folder_globcnt = ? AND m.uidvalidity <> ?`, key, c);
      const r = await this.p.exec('DELETE FROM imap_messages WHERE mailbox_id = ? AND folder_globcnt = ? AND uidvalidity <> ?', key, c);
      return r.affectedRows;
    });
  }

  async putOverlay(rows: readonly OverlayProp[]): Promise<void> {
    for (const part of batches(rows, BATCH_ROWS, BATCH_BYTES, (r) => r.value.length)) {
      await this.p.q(
        'INSERT INTO mapi_overlay (mailbox_id, globcnt, prop_tag, value) VALUES ? ON DUPLICATE KEY UPDATE value = VALUES(value)',
        [part.map((o) => [this.mailboxId, o.globcnt.toString(), o.propTag >>> 0, Buffer.from(o.value.buffer, o.value.byteOffset, o.value.length)])],
      );
    }
  }

  async getOverlay(globcnts: readonly bigint[]): Promise<Map<bigint, OverlayProp[]>> {
    const out = new Map<bigint, OverlayProp[]>();
    for (const part of batches([...new Set(globcnts)], BATCH_ROWS)) {
      const rows = await this.p.q(IMAP_SQL.overlay, [this.mailboxId, part.map(String)]);
      for (const r of rows) {
        const g = big(r.globcnt);
        const list = out.get(g) ?? [];
        list.push({ globcnt: g, propTag: Number(r.prop_tag), value: new Uint8Array(r.value as Buffer) });
        out.set(g, list);
      }
    }
    return out;
  }

  async deleteOverlay(globcnt: bigint, tags?: readonly number[]): Promise<void> {
    if (tags === undefined) {
      await this.p.q('DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = ?', [this.mailboxId, globcnt.toString()]);
    } else if (tags.length > 0) {
      await this.p.q('DELETE FROM mapi_overlay WHERE mailbox_id = ? AND globcnt = ? AND prop_tag IN (?)', [this.mailboxId, globcnt.toString(), tags.map((t) => t >>> 0)]);
    }
  }
}
