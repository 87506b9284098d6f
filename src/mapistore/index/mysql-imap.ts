// The IMAP backend's tables on MySQL/MariaDB (schema migration 2, index/mysql-schema.ts): per-folder sync state
// (RFC 9051 UIDVALIDITY/UIDNEXT, RFC 7162 HIGHESTMODSEQ), messages keyed by (folder, UIDVALIDITY, UID) -> MID,
// and the MAPI property overlay for what MIME cannot carry.
//
// Choices: batch writes are multi-row INSERT ... ON DUPLICATE KEY UPDATE statements of at most BATCH_ROWS rows
// (and, for overlay values, about BATCH_BYTES bytes, well below the default max_allowed_packet of 16 MiB);
// batch reads use IN lists of at most BATCH_ROWS keys. Deletions that span tables run in one transaction.
import type { MysqlIndexProvider } from './mysql.js';
import { imapFolderFromRow, imapMessageFromRow } from './common.js';
import type { ImapFolderRow, ImapIndex, ImapMessageRow, OverlayProp } from './types.js';
import { batches } from '../../util/batches.js';

export const BATCH_ROWS = 1000;
export const BATCH_BYTES = 4 << 20;

type Row = Record<string, unknown>;
const big = (v: unknown): bigint => BigInt(String(v));
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
  overlay: 'SELECT globcnt, prop_tag, value FROM mapi_overlay WHERE mailbox_id = ? AND globcnt IN (?) ORDER BY globcnt, prop_tag',
} as const;

export class MysqlImapIndex implements ImapIndex {
  constructor(private readonly p: MysqlIndexProvider, private readonly mailboxId: number) {}

  async putFolders(rows: readonly ImapFolderRow[]): Promise<void> {
    for (const part of batches(rows, BATCH_ROWS)) {
      await this.p.q(
        `INSERT INTO imap_folders (mailbox_id, folder_globcnt, imap_name, uidvalidity, uidnext, highest_modseq, last_sync_cn, sync_state)
         VALUES ? ON DUPLICATE KEY UPDATE imap_name = VALUES(imap_name), uidvalidity = VALUES(uidvalidity), uidnext = VALUES(uidnext),
           highest_modseq = VALUES(highest_modseq), last_sync_cn = VALUES(last_sync_cn), sync_state = VALUES(sync_state)`,
        [part.map((f) => [this.mailboxId, f.folderGlobcnt.toString(), f.imapName, f.uidvalidity, f.uidnext, f.highestModseq.toString(),
          f.lastSyncCn.toString(), f.syncState])],
      );
    }
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
    for (const part of batches(rows, BATCH_ROWS)) {
      await this.p.q(
        `INSERT INTO imap_messages (mailbox_id, folder_globcnt, uidvalidity, uid, globcnt, modseq, cn, read_cn, flags, size)
         VALUES ? ON DUPLICATE KEY UPDATE globcnt = VALUES(globcnt), modseq = VALUES(modseq), cn = VALUES(cn),
           read_cn = VALUES(read_cn), flags = VALUES(flags), size = VALUES(size)`,
        [part.map((m) => [this.mailboxId, m.folderGlobcnt.toString(), m.uidvalidity, m.uid, m.globcnt.toString(), m.modseq.toString(),
          m.cn.toString(), m.readCn.toString(), m.flags, m.size])],
      );
    }
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
