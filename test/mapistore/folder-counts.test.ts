// The embedded store's per-folder message counts (schema.ts folder_counts, kept by triggers): after any sequence of
// creates, deletes, moves, copies and read-flag changes they equal a count over the messages table, and a mailbox
// file made before the table existed gets it filled once at open.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { TAG } from '../../src/mapistore/tags.js';

const USER = { username: 'alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };

type Counts = { fid: number; assoc: number; n: number; unread: number; size: number }[];
const kept = (mb: LocalMailbox): Counts =>
  mb.db.prepare('SELECT fid, assoc, n, unread, size FROM folder_counts WHERE n > 0 ORDER BY fid, assoc').all() as Counts;
const scanned = (mb: LocalMailbox): Counts =>
  mb.db
    .prepare('SELECT fid, assoc, count(*) AS n, sum(read = 0) AS unread, sum(size) AS size FROM messages GROUP BY fid, assoc ORDER BY fid, assoc')
    .all() as Counts;

describe('folder_counts', () => {
  let dir: string;
  let store: LocalStore;
  let mb: LocalMailbox;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-counts-'));
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    mb = (await store.openMailbox(USER)) as LocalMailbox;
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('equal a count over the messages after any sequence of changes', async () => {
    const a = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'A' })).fid;
    const b = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'B' })).fid;
    const op = fc.oneof(
      fc.record({ k: fc.constant('create' as const), inB: fc.boolean(), read: fc.boolean(), assoc: fc.boolean(), body: fc.string({ maxLength: 40 }) }),
      fc.record({ k: fc.constant('delete' as const), i: fc.nat() }),
      fc.record({ k: fc.constant('move' as const), i: fc.nat(), copy: fc.boolean() }),
      fc.record({ k: fc.constant('read' as const), i: fc.nat(), read: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        for (const o of ops) {
          const live = [...(await mb.contentsRows(a)), ...(await mb.contentsRows(b))].map((r) => r.id);
          const pick = (i: number): bigint | undefined => (live.length ? live[i % live.length] : undefined);
          if (o.k === 'create') {
            await mb.createMessage(o.inB ? b : a, { associated: o.assoc, read: o.read, props: [{ tag: TAG.Subject, value: o.body }] });
          } else if (o.k === 'delete') {
            const mid = pick(o.i);
            if (mid !== undefined) await mb.deleteMessages((await mb.folderOfMessage(mid))!, [mid], { hard: true });
          } else if (o.k === 'move') {
            const mid = pick(o.i);
            if (mid !== undefined) {
              const src = (await mb.folderOfMessage(mid))!;
              await mb.moveCopyMessages(src, [mid], src === a ? b : a, o.copy);
            }
          } else {
            const mid = pick(o.i);
            if (mid !== undefined) await mb.setReadFlags((await mb.folderOfMessage(mid))!, [mid], o.read);
          }
          expect(kept(mb)).toEqual(scanned(mb));
        }
      }),
      { numRuns: 40 },
    );
    expect(scanned(mb).length).toBeGreaterThan(0);
  });

  it('are filled once when a mailbox file made before the table is opened', async () => {
    const a = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'A' })).fid;
    for (let i = 0; i < 5; i++) await mb.createMessage(a, { read: i % 2 === 0, props: [{ tag: TAG.Subject, value: `m${i}` }] });
    const want = scanned(mb);
    // as an older file: no table, no marker
    mb.db.exec("DROP TABLE folder_counts; DELETE FROM meta WHERE k = 'folder_counts'");
    await store.close();
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    mb = (await store.openMailbox(USER)) as LocalMailbox;
    expect(kept(mb)).toEqual(want);
    await mb.createMessage(a, { props: [{ tag: TAG.Subject, value: 'after' }] });
    expect(kept(mb)).toEqual(scanned(mb));
  });
});
