import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { storeSuite } from './suite.js';

storeSuite('SQLite', async (dir) => new SqliteIndexProvider(path.join(dir, 'index.sqlite')));

describe('SQLite index: GLOBCNT allocation at the 48-bit end', () => {
  it('hands out the last values exactly and then refuses without moving the counter (as on MySQL)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-alloc-end-'));
    const p = new SqliteIndexProvider(path.join(dir, 'index.sqlite'));
    try {
      const mb = await p.openMailbox('alice');
      expect(await mb.allocate(3)).toBe(1n);
      const top = (1n << 48n) - 1n;
      const db = new Database(path.join(dir, 'index.sqlite'));
      db.prepare('UPDATE mailboxes SET next_globcnt = ? WHERE username = ?').run(top - 1n, 'alice');
      db.close();
      await expect(mb.allocate(3)).rejects.toMatchObject({ code: 'OC_STORE_IDS_EXHAUSTED' });
      // (the refused range used to move the counter past the end: this one was refused too)
      expect(await mb.allocate(2)).toBe(top - 1n);
      expect(await mb.lastAllocated()).toBe(top);
      await expect(mb.allocate(1)).rejects.toMatchObject({ code: 'OC_STORE_IDS_EXHAUSTED' });
      expect(await mb.lastAllocated()).toBe(top);
    } finally {
      await p.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
