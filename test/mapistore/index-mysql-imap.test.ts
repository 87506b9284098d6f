// The IMAP backend's index tables (ImapIndex: folder sync state, messages by UIDVALIDITY/UID, MAPI overlay) on
// both providers: MariaDB (started for this file) and the embedded SQLite default. Same behaviour expected, down to
// exact names ("Foo" vs "Foo ") and upserts refused when a row's IMAP name or MID belongs to another row.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MysqlIndexProvider } from '../../src/mapistore/index/mysql.js';
import { BATCH_ROWS } from '../../src/mapistore/index/mysql-imap.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import {
  hasImapIndex, IMAP_FLAG, type ImapFolderRow, type ImapIndex, type ImapMessageRow, type IndexProvider,
} from '../../src/mapistore/index/types.js';
import { mariaDbPerFile } from '../helpers/mariadb.js';
import { freshDatabase } from './index-mysql-helpers.js';

const maria = mariaDbPerFile();

const providers: [string, () => Promise<IndexProvider>][] = [
  ['MariaDB', async () => {
    return new MysqlIndexProvider({ url: (await freshDatabase(maria(), 'imap')).url, poolSize: 4 });
  }],
  ['SQLite', async () => new SqliteIndexProvider(':memory:')],
];

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

const folder = (g: bigint, name: string, over: Partial<ImapFolderRow> = {}): ImapFolderRow => ({
  folderGlobcnt: g, imapName: name, uidvalidity: 1700000000, uidnext: 1, highestModseq: 0n, lastSyncCn: 0n, syncState: null, ...over,
});
const msg = (f: bigint, uidvalidity: number, uid: number, globcnt: bigint, over: Partial<ImapMessageRow> = {}): ImapMessageRow => ({
  folderGlobcnt: f, uidvalidity, uid, globcnt, modseq: BigInt(uid), cn: globcnt, readCn: 0n, flags: 0, size: 100 + uid, ...over,
});

describe.each(providers)('ImapIndex on %s', (_label, make) => {
  async function open(user = 'alice'): Promise<{ p: IndexProvider; imap: ImapIndex }> {
    const p = await make();
    const mb = await p.openMailbox(user);
    if (!hasImapIndex(mb)) throw new Error('provider has no ImapIndex');
    return { p, imap: mb.imap };
  }

  it('stores folder sync state, finds it by name and by FID, replaces it', async () => {
    const { p, imap } = await open();
    try {
      await imap.putFolders([folder(10n, 'INBOX', { highestModseq: (1n << 63n) - 1n, syncState: '{"q":1}' }), folder(11n, 'Sent Items/Été')]);
      expect(await imap.folderByName('INBOX')).toEqual(folder(10n, 'INBOX', { highestModseq: (1n << 63n) - 1n, syncState: '{"q":1}' }));
      expect((await imap.folderById(11n))?.imapName).toBe('Sent Items/Été');
      expect(await imap.folderByName('inbox')).toBeNull(); // names compare exactly (binary collation)
      await imap.putFolders([folder(10n, 'INBOX', { uidvalidity: 42, uidnext: 900, lastSyncCn: 77n })]);
      expect(await imap.folderById(10n)).toEqual(folder(10n, 'INBOX', { uidvalidity: 42, uidnext: 900, lastSyncCn: 77n }));
      expect((await imap.listFolders()).map((f) => f.folderGlobcnt)).toEqual([10n, 11n]);
      // another mailbox sees none of it
      const other = await p.openMailbox('bob');
      if (!hasImapIndex(other)) throw new Error('no ImapIndex');
      expect(await other.imap.listFolders()).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('writes and reads thousands of messages in batches, keyed by (folder, UIDVALIDITY, UID)', async () => {
    const { p, imap } = await open();
    try {
      const n = BATCH_ROWS * 2 + 345;
      const rows = Array.from({ length: n }, (_, i) => msg(10n, 7, i + 1, BigInt(5000 + i), { flags: i % 2 ? IMAP_FLAG.Seen : 0 }));
      await imap.putMessages(rows);
      expect(await imap.messagesInFolder(10n, 7)).toEqual(rows);
      expect(await imap.messagesInFolder(10n, 7, 100, 3)).toEqual(rows.slice(100, 103));
      expect(await imap.messagesInFolder(10n, 8)).toEqual([]);
      const uids = [3, 1, 2000, 9999999, 3];
      expect(await imap.messagesByUid(10n, 7, uids)).toEqual([rows[0], rows[2], rows[1999]]);
      const byId = await imap.messagesById([5000n, 5001n + BigInt(BATCH_ROWS), 1n]);
      expect(byId.map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 2 + BATCH_ROWS]);
      // upsert: same key, new state
      await imap.putMessages([msg(10n, 7, 1, 5000n, { flags: IMAP_FLAG.Seen | IMAP_FLAG.Flagged, readCn: 99n, modseq: 1n << 40n })]);
      expect((await imap.messagesByUid(10n, 7, [1]))[0]).toEqual(msg(10n, 7, 1, 5000n, { flags: 5, readCn: 99n, modseq: 1n << 40n }));
      expect(await imap.messagesById([])).toEqual([]);
      expect(await imap.messagesByUid(10n, 7, [])).toEqual([]);
      await imap.putMessages([]);
    } finally {
      await p.close();
    }
  });

  it('keeps MAPI overlay properties per message and drops them with the message', async () => {
    const { p, imap } = await open();
    try {
      await imap.putMessages([msg(10n, 7, 1, 500n), msg(10n, 7, 2, 501n), msg(10n, 6, 1, 400n)]);
      const big = new Uint8Array(70_000).map((_, i) => i & 255);
      await imap.putOverlay([
        { globcnt: 500n, propTag: 0x8005001f, value: new Uint8Array([1, 2, 3]) },
        { globcnt: 500n, propTag: 0x10800003, value: new Uint8Array([4]) },
        { globcnt: 501n, propTag: 0x0e070003, value: big },
        { globcnt: 400n, propTag: 0x0e070003, value: new Uint8Array([9]) },
      ]);
      const got = await imap.getOverlay([500n, 501n, 502n]);
      expect([...got.keys()].sort()).toEqual([500n, 501n]);
      expect(got.get(500n)?.map((o) => o.propTag)).toEqual([0x10800003, 0x8005001f]);
      expect(got.get(501n)?.[0]?.value).toEqual(big);
      await imap.putOverlay([{ globcnt: 500n, propTag: 0x8005001f, value: new Uint8Array([7]) }]);
      expect((await imap.getOverlay([500n])).get(500n)?.find((o) => o.propTag === 0x8005001f)?.value).toEqual(new Uint8Array([7]));
      await imap.deleteOverlay(500n, [0x10800003]);
      expect((await imap.getOverlay([500n])).get(500n)?.map((o) => o.propTag)).toEqual([0x8005001f]);

      expect(await imap.deleteMessages(10n, 7, [2, 3])).toBe(1);
      expect((await imap.getOverlay([501n])).size).toBe(0);
      // UIDVALIDITY changed to 7: rows of 6 and their overlay go
      expect(await imap.deleteFolderMessages(10n, 7)).toBe(1);
      expect(await imap.messagesById([400n])).toEqual([]);
      expect((await imap.getOverlay([400n])).size).toBe(0);
      expect((await imap.getOverlay([500n])).size).toBe(1);
      await imap.deleteOverlay(500n);
      expect((await imap.getOverlay([500n])).size).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('deleteFolder removes the folder row, its messages and their overlay', async () => {
    const { p, imap } = await open();
    try {
      await imap.putFolders([folder(10n, 'INBOX'), folder(11n, 'Junk')]);
      await imap.putMessages([msg(10n, 7, 1, 500n), msg(11n, 7, 1, 600n)]);
      await imap.putOverlay([{ globcnt: 500n, propTag: 1, value: new Uint8Array([1]) }, { globcnt: 10n, propTag: 1, value: new Uint8Array([2]) },
        { globcnt: 600n, propTag: 1, value: new Uint8Array([3]) }]);
      await imap.deleteFolder(10n);
      expect(await imap.folderById(10n)).toBeNull();
      expect(await imap.messagesById([500n, 600n])).toEqual([msg(11n, 7, 1, 600n)]);
      expect([...(await imap.getOverlay([10n, 500n, 600n])).keys()]).toEqual([600n]);
    } finally {
      await p.close();
    }
  });

  it('keeps "Foo" and "Foo " apart as two IMAP folders', async () => {
    const { p, imap } = await open();
    try {
      await imap.putFolders([folder(10n, 'Foo', { uidvalidity: 1 }), folder(11n, 'Foo ', { uidvalidity: 2 })]);
      await imap.putFolders([folder(12n, ' Foo', { uidvalidity: 3 })]);
      expect(await imap.folderByName('Foo')).toEqual(folder(10n, 'Foo', { uidvalidity: 1 }));
      expect(await imap.folderByName('Foo ')).toEqual(folder(11n, 'Foo ', { uidvalidity: 2 }));
      expect(await imap.folderByName(' Foo')).toEqual(folder(12n, ' Foo', { uidvalidity: 3 }));
      expect(await imap.folderByName('Foo  ')).toBeNull();
      expect((await imap.listFolders()).map((f) => f.imapName)).toEqual(['Foo', 'Foo ', ' Foo']);
      // renaming "Foo " leaves "Foo" alone
      await imap.putFolders([folder(11n, 'Bar', { uidvalidity: 2 })]);
      expect((await imap.folderByName('Foo'))?.folderGlobcnt).toBe(10n);
      expect(await imap.folderByName('Foo ')).toBeNull();
    } finally {
      await p.close();
    }
  });

  it('refuses a folder row whose IMAP name belongs to another folder; the whole call writes nothing', async () => {
    const { p, imap } = await open();
    try {
      const seven = folder(7n, 'b', { uidvalidity: 70, syncState: '{"seven":1}' });
      await imap.putFolders([folder(5n, 'a'), seven]);
      // a new folder with 7's name
      let e = await rejection(imap.putFolders([folder(6n, 'b', { uidvalidity: 60 })]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      expect(e.message).toContain('imap_folders');
      expect(e.message).toContain('folder 0x6');
      expect(e.message).toContain('held by folder 0x7');
      // folder 5 renamed to 7's name
      e = await rejection(imap.putFolders([folder(5n, 'b')]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      // a good row before the bad one is not written either
      e = await rejection(imap.putFolders([folder(8n, 'c'), folder(5n, 'a', { uidnext: 99 }), folder(9n, 'b')]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      // two new folders with one name
      e = await rejection(imap.putFolders([folder(8n, 'c'), folder(9n, 'c')]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      expect(await imap.listFolders()).toEqual([folder(5n, 'a'), seven]);
      // rows are taken in order: a swap through a third name works
      await imap.putFolders([folder(5n, 'tmp'), folder(7n, 'a', { uidvalidity: 70 }), folder(5n, 'b')]);
      expect((await imap.listFolders()).map((f) => [f.folderGlobcnt, f.imapName])).toEqual([[5n, 'b'], [7n, 'a']]);
    } finally {
      await p.close();
    }
  });

  it('rewrites a folder whose name holds a lone surrogate (stored as U+FFFD) without a false conflict', async () => {
    const { p, imap } = await open();
    try {
      // a malformed modified UTF-7 name can decode to a lone surrogate
      await imap.putFolders([folder(20n, 'Bad\ud800')]);
      await imap.putFolders([folder(20n, 'Bad\ud800', { uidnext: 5 })]);
      expect((await imap.folderById(20n))?.uidnext).toBe(5);
    } finally {
      await p.close();
    }
  });

  it('refuses a message row whose MID belongs to another message; the whole call writes nothing', async () => {
    const { p, imap } = await open();
    try {
      await imap.putMessages([msg(10n, 7, 1, 500n), msg(10n, 7, 2, 501n)]);
      // a new UID with UID 1's MID
      let e = await rejection(imap.putMessages([msg(10n, 7, 3, 500n, { flags: IMAP_FLAG.Flagged })]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      expect(e.message).toContain('imap_messages');
      expect(e.message).toContain('UID 3');
      expect(e.message).toContain('MID GLOBCNT 0x1f4');
      expect(e.message).toContain('held by UID 1 (UIDVALIDITY 7) in folder 0xa');
      // UID 2 given UID 1's MID
      e = await rejection(imap.putMessages([msg(10n, 7, 2, 500n)]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      // the same MID in another folder (a copy must get a new MID)
      e = await rejection(imap.putMessages([msg(11n, 7, 1, 501n)]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      // a conflict in the last row of a call larger than one batch: nothing of the call is written
      const many = Array.from({ length: BATCH_ROWS + 10 }, (_, i) => msg(12n, 7, i + 1, BigInt(10_000 + i)));
      e = await rejection(imap.putMessages([...many, msg(12n, 7, BATCH_ROWS + 11, 501n)]));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      expect(await imap.messagesInFolder(12n, 7)).toEqual([]);
      expect(await imap.messagesById([500n, 501n])).toEqual(expect.arrayContaining([msg(10n, 7, 1, 500n), msg(10n, 7, 2, 501n)]));
      expect(await imap.messagesInFolder(10n, 7)).toEqual([msg(10n, 7, 1, 500n), msg(10n, 7, 2, 501n)]);
      // in order: UID 1 takes a new MID, then UID 2 takes UID 1's old one
      await imap.putMessages([msg(10n, 7, 1, 502n), msg(10n, 7, 2, 500n), msg(10n, 7, 1, 501n)]);
      expect((await imap.messagesInFolder(10n, 7)).map((m) => [m.uid, m.globcnt])).toEqual([[1, 501n], [2, 500n]]);
    } finally {
      await p.close();
    }
  });

  it('round-trips arbitrary message rows and overlay values (property)', async () => {
    const { p, imap } = await open();
    try {
      const u32 = fc.integer({ min: 1, max: 0xffffffff });
      const g48 = fc.bigInt({ min: 1n, max: (1n << 48n) - 1n });
      let round = 0;
      await fc.assert(fc.asyncProperty(
        fc.uniqueArray(fc.record({ uid: u32, modseq: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), flags: fc.integer({ min: 0, max: 127 }),
          size: fc.integer({ min: 0, max: 0xffffffff }), cn: g48, readCn: g48, value: fc.uint8Array({ maxLength: 300 }) }), { selector: (r) => r.uid, maxLength: 20 }),
        u32,
        async (items, uidvalidity) => {
          const f = BigInt(1000 + ++round);
          const rows = items.map((it, i) => msg(f, uidvalidity, it.uid, f * 100n + BigInt(i), { modseq: it.modseq, flags: it.flags, size: it.size, cn: it.cn, readCn: it.readCn }));
          await imap.putMessages(rows);
          await imap.putOverlay(rows.map((r, i) => ({ globcnt: r.globcnt, propTag: 0xffff0102, value: (items[i] as { value: Uint8Array }).value })));
          expect(await imap.messagesInFolder(f, uidvalidity)).toEqual([...rows].sort((a, b) => a.uid - b.uid));
          const ov = await imap.getOverlay(rows.map((r) => r.globcnt));
          rows.forEach((r, i) => expect(ov.get(r.globcnt)?.[0]?.value).toEqual((items[i] as { value: Uint8Array }).value));
        },
      ), { numRuns: 25 });
    } finally {
      await p.close();
    }
  }, 60_000);
});
