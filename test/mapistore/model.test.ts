// Random sequences of folder and message operations keep the store consistent: every ID unique, CNs rising,
// and the change log of each folder (live changes + tombstones) agreeing with its contents.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidGlobcnt } from '../../src/mapi/ids.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { StoreError } from '../../src/mapistore/errors.js';
import { TAG } from '../../src/mapistore/tags.js';
import { DEL_FOLDERS, DEL_MESSAGES } from '../../src/mapistore/types.js';

type Op =
  | { k: 'folder'; parent: number; name: number }
  | { k: 'msg'; folder: number; assoc: boolean }
  | { k: 'move' | 'copy'; from: number; to: number; pick: number }
  | { k: 'delmsg'; folder: number; pick: number; hard: boolean }
  | { k: 'delfolder'; folder: number }
  | { k: 'movefolder'; folder: number; to: number }
  | { k: 'read'; folder: number; read: boolean }
  | { k: 'empty'; folder: number };

const idx = fc.nat(50);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('folder' as const), parent: idx, name: fc.nat(5) }),
  fc.record({ k: fc.constant('msg' as const), folder: idx, assoc: fc.boolean() }),
  fc.record({ k: fc.constantFrom('move' as const, 'copy' as const), from: idx, to: idx, pick: idx }),
  fc.record({ k: fc.constant('delmsg' as const), folder: idx, pick: idx, hard: fc.boolean() }),
  fc.record({ k: fc.constant('delfolder' as const), folder: idx }),
  fc.record({ k: fc.constant('movefolder' as const), folder: idx, to: idx }),
  fc.record({ k: fc.constant('read' as const), folder: idx, read: fc.boolean() }),
  fc.record({ k: fc.constant('empty' as const), folder: idx }),
);

describe('mapistore under random operations', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-mapistore-model-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps IDs unique, CNs rising and change logs consistent', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        const store = new LocalStore({ mailboxDir: path.join(dir, 'mb'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')), idBatch: 4 });
        const mb = await store.openMailbox({ username: `u${run++}`, displayName: 'U', legacyDn: '/o=x/cn=u' });
        const base = mb.special.inbox;
        const pickOf = <T>(l: T[], i: number): T | undefined => (l.length ? l[i % l.length] : undefined);
        const allFolders = async () => [base, ...(await mb.hierarchyRows(base, { recursive: true, tags: [TAG.FolderId] })).map((r) => r.id)];
        let lastCn = await mb.currentCn();
        for (const o of ops) {
          const fs_ = await allFolders();
          try {
            switch (o.k) {
              case 'folder':
                await mb.createFolder(pickOf(fs_, o.parent) as bigint, { displayName: `n${o.name}` });
                break;
              case 'msg':
                await mb.createMessage(pickOf(fs_, o.folder) as bigint, { associated: o.assoc, props: [{ tag: TAG.Subject, value: 's' }] });
                break;
              case 'move':
              case 'copy': {
                const from = pickOf(fs_, o.from) as bigint;
                const rows = await mb.contentsRows(from);
                const m = pickOf(rows, o.pick);
                if (m) await mb.moveCopyMessages(from, [m.id], pickOf(fs_, o.to) as bigint, o.k === 'copy');
                break;
              }
              case 'delmsg': {
                const f = pickOf(fs_, o.folder) as bigint;
                const m = pickOf(await mb.contentsRows(f), o.pick);
                if (m) await mb.deleteMessages(f, [m.id], { hard: o.hard });
                break;
              }
              case 'delfolder': {
                const f = pickOf(fs_, o.folder) as bigint;
                if (f !== base) await mb.deleteFolder(f, DEL_FOLDERS | DEL_MESSAGES);
                break;
              }
              case 'movefolder': {
                const f = pickOf(fs_, o.folder) as bigint;
                if (f !== base) await mb.moveFolder(f, pickOf(fs_, o.to) as bigint);
                break;
              }
              case 'read':
                await mb.setReadFlags(pickOf(fs_, o.folder) as bigint, null, o.read);
                break;
              case 'empty':
                await mb.emptyFolder(pickOf(fs_, o.folder) as bigint, { associated: true });
                break;
            }
          } catch (e) {
            // refused operations (cycles, duplicate names) must be coded store errors
            expect(e).toBeInstanceOf(StoreError);
          }
          const cn = await mb.currentCn();
          expect(eidGlobcnt(cn)).toBeGreaterThanOrEqual(eidGlobcnt(lastCn));
          lastCn = cn;
        }
        const seen = new Set<bigint>();
        for (const f of await allFolders()) {
          expect(seen.has(f)).toBe(false);
          seen.add(f);
          const live = [...(await mb.contentsRows(f)), ...(await mb.contentsRows(f, { associated: true }))].map((r) => r.id);
          for (const m of live) {
            expect(seen.has(m)).toBe(false);
            seen.add(m);
          }
          const log = await mb.changesSince(f, 'message', 0n);
          expect(log.filter((c) => !c.deleted).map((c) => c.id).sort()).toEqual([...live].sort());
          expect(log.filter((c) => c.deleted).some((c) => live.includes(c.id))).toBe(false);
          const kids = await mb.children(f);
          const flog = await mb.changesSince(f, 'folder', 0n);
          expect(flog.filter((c) => !c.deleted).map((c) => c.id).sort()).toEqual([...kids].sort());
        }
        await store.close();
      }),
      { numRuns: 25 },
    );
  });
});
