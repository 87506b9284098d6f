// LocalMailbox.writeBatch (src/mapistore/backends/local/mailbox-base.ts): a run of message saves in one SQLite
// transaction. What succeeded inside is committed, a save that failed inside leaves nothing behind, nested batches
// run in the outer one, a throw out of the batch still commits what was saved, and a second connection to the
// mailbox file sees the batch only after it ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { eidGlobcnt } from '../../src/mapi/ids.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { StoreError } from '../../src/mapistore/errors.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { TAG } from '../../src/mapistore/tags.js';

const USER = { username: 'alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };

describe('LocalMailbox.writeBatch', () => {
  let dir: string;
  let store: LocalStore;
  let mb: LocalMailbox;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-batch-'));
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    mb = (await store.openMailbox(USER)) as LocalMailbox;
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const save = async (subject: string): Promise<bigint> => {
    const m = await mb.newMessage(mb.special.inbox);
    await m.setProps([{ tag: TAG.Subject, value: subject }]);
    return m.save();
  };
  const subjects = async (): Promise<string[]> =>
    (await mb.contentsRows(mb.special.inbox, { tags: [TAG.Subject] })).map((r) => String(r.props.get(TAG.Subject))).sort();
  /** A second connection to the mailbox file, as another process would have. */
  const outside = (): number => {
    const file = mb.db.name;
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM messages WHERE assoc = 0 AND fid = ?').get(Number(eidGlobcnt(mb.special.inbox))) as { n: number } | undefined)?.n ?? -1;
    } finally {
      db.close();
    }
  };

  it('commits every save of the batch once, at its end; a failed save inside leaves nothing; nested batches join', async () => {
    const before = outside();
    let seenInside = -2;
    await mb.writeBatch(async () => {
      await save('one');
      await mb.writeBatch(async () => {
        await save('two');
      });
      expect(mb.db.inTransaction).toBe(true);
      // a save that fails inside the batch (the folder is gone) rolls back only itself
      const m = await mb.newMessage(mb.special.inbox);
      await m.setProps([{ tag: TAG.Subject, value: 'doomed' }]);
      const f = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Gone soon' });
      const n = await mb.newMessage(f.fid);
      await n.setProps([{ tag: TAG.Subject, value: 'in a deleted folder' }]);
      await mb.deleteFolder(f.fid, 0x01 | 0x04 | 0x10); // DEL_MESSAGES | DEL_FOLDERS | DELETE_HARD_DELETE
      await expect(n.save()).rejects.toBeInstanceOf(StoreError);
      await m.discard();
      await save('three');
      seenInside = outside();
    });
    expect(mb.db.inTransaction).toBe(false);
    expect(seenInside).toBe(before); // not visible to another connection before the commit
    expect(await subjects()).toEqual(['one', 'three', 'two']);
    expect(outside()).toBe(before + 3);
  });

  it('a throw out of the batch still commits what was saved before it', async () => {
    await expect(
      mb.writeBatch(async () => {
        await save('kept');
        throw new Error('the IMAP connection broke');
      }),
    ).rejects.toThrow('the IMAP connection broke');
    expect(mb.db.inTransaction).toBe(false);
    expect(await subjects()).toEqual(['kept']);
  });
});
