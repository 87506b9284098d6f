// The MySQL/MariaDB index store's keys on a real MariaDB (test/helpers/mariadb.ts): string columns compare exactly
// (migration 3, NO PAD collation: "Foo" and "Foo " are two keys, on a new and on an upgraded database), values longer
// than their column are refused with a coded error before any statement, and id_map upserts whose backend key
// belongs to another mapping are refused as on SQLite (run on both providers). The IMAP tables' cases are in the
// shared index-mysql-imap.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreError, SEC } from '../../src/mapistore/errors.js';
import { checkLength, codePoints, nameHash } from '../../src/mapistore/index/common.js';
import { MysqlIndexProvider } from '../../src/mapistore/index/mysql.js';
import { distinctRuns } from '../../src/mapistore/index/mysql-imap.js';
import { COLUMN_CHARS, MIGRATIONS, migrate, VERSION_TABLE } from '../../src/mapistore/index/mysql-schema.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { hasImapIndex, type IndexMapping, type IndexProvider, type MailboxIndexWithImap } from '../../src/mapistore/index/types.js';
import { mariaDbPerFile } from '../helpers/mariadb.js';
import { freshDatabase, rejection, withProvider } from './index-mysql-helpers.js';

const maria = mariaDbPerFile();


const PS_PUBLIC_STRINGS = '00020329-0000-0000-c000-000000000046';
const mapping = (globcnt: bigint, backendKey: string, over: Partial<IndexMapping> = {}): IndexMapping => ({
  kind: 'message', globcnt, folderGlobcnt: 3n, backendKey, modseq: null, etag: null, version: null, cn: globcnt + 100n, ...over,
});

/** A v2 database (migrations 1 and 2 only), as a server of the previous release left it. */
async function versionTwoDatabase(prefix: string): Promise<{ url: string; name: string }> {
  const db = await freshDatabase(maria(), prefix);
  await withProvider({ url: db.url }, async (p) => {
    const c = await p.acquire();
    try {
      expect(await migrate(c, 10, MIGRATIONS.slice(0, 2))).toEqual({ from: 0, to: 2, applied: [1, 2] });
    } finally {
      c.release();
    }
  });
  return db;
}

/** Columns, indexes and table collations of a database, as text to compare. */
async function schemaOf(name: string): Promise<string> {
  return [
    await maria().sql(`SELECT table_name, column_name, ordinal_position, column_type, is_nullable, column_default, character_set_name, collation_name, column_key
      FROM information_schema.columns WHERE table_schema = '${name}' ORDER BY table_name, ordinal_position`),
    await maria().sql(`SELECT table_name, index_name, seq_in_index, column_name, non_unique, sub_part
      FROM information_schema.statistics WHERE table_schema = '${name}' ORDER BY table_name, index_name, seq_in_index`),
    await maria().sql(`SELECT table_name, table_collation FROM information_schema.tables WHERE table_schema = '${name}' AND table_name <> '${VERSION_TABLE}' ORDER BY table_name`),
  ].join('--\n');
}

describe('string keys compare exactly (migration 3, NO PAD collation)', () => {
  it('keeps "Foo" and "Foo " apart as backend keys and as usernames', async () => {
    const { url } = await freshDatabase(maria(), 'pad_keys');
    await withProvider({ url }, async (p) => {
      const mb = await p.openMailbox('alice');
      await mb.putMapping(mapping(5n, 'Foo'));
      await mb.putMapping(mapping(6n, 'Foo '));
      await mb.putMapping(mapping(7n, 'Foo  '));
      expect(await mb.mappingByKey('message', 'Foo')).toEqual(mapping(5n, 'Foo'));
      expect(await mb.mappingByKey('message', 'Foo ')).toEqual(mapping(6n, 'Foo '));
      expect(await mb.mappingByKey('message', 'Foo  ')).toEqual(mapping(7n, 'Foo  '));
      expect(await mb.mappingByKey('message', 'Foo   ')).toBeNull();
      expect((await mb.mappingsInFolder(3n)).map((m) => m.backendKey)).toEqual(['Foo', 'Foo ', 'Foo  ']);
      // usernames: two mailboxes
      const bob = await p.openMailbox('bob');
      const bobSpace = await p.openMailbox('bob ');
      expect(bobSpace.mailbox.created).toBe(true);
      expect(bobSpace.mailbox.id).not.toBe(bob.mailbox.id);
      expect(bobSpace.mailbox.replGuid).not.toBe(bob.mailbox.replGuid);
      expect((await p.openMailbox('bob ')).mailbox.id).toBe(bobSpace.mailbox.id);
    });
  });

  it('upgrades a version-2 database that has rows: every row kept, then keys compare exactly', async () => {
    const { url, name } = await versionTwoDatabase('pad_upgrade');
    const guid = PS_PUBLIC_STRINGS;
    const hash = nameHash({ guid, name: 'Keywords' });
    await maria().sql(`USE ${name};
      INSERT INTO mailboxes (username, mailbox_guid, repl_guid, next_globcnt) VALUES ('alice', '11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222', 100);
      INSERT INTO named_props VALUES (1, 32768, '${guid}', 1, NULL, 'Keywords', '${hash}');
      INSERT INTO id_map VALUES (1, 'message', 10, 3, 'Foo', 5, '"e1"', 'v1', 11), (1, 'message', 12, 3, 'Bar ', NULL, NULL, NULL, 13),
        (1, 'folder', 3, 0, 'imap:Foo', NULL, NULL, NULL, 4);
      INSERT INTO imap_folders VALUES (1, 3, 'Foo', 1700000000, 5, 9, 4, '{"s":1}');
      INSERT INTO imap_messages VALUES (1, 3, 1700000000, 1, 10, 5, 11, 0, 1, 100);
      INSERT INTO mapi_overlay VALUES (1, 10, 2147483679, x'0102')`);
    // the fault being fixed: under utf8mb4_bin (PAD SPACE) 'Foo ' finds 'Foo'
    expect(await maria().sql(`SELECT globcnt FROM ${name}.id_map WHERE backend_key = 'Foo '`)).toBe('10\n');
    const dump = async (): Promise<string> => {
      const out: string[] = [];
      for (const t of ['mailboxes', 'named_props', 'id_map', 'imap_folders', 'imap_messages', 'mapi_overlay']) {
        const cols = (await maria().sql(`SELECT column_name FROM information_schema.columns WHERE table_schema = '${name}' AND table_name = '${t}' ORDER BY ordinal_position`))
          .trim().split('\n').map((c) => `HEX(${c})`).join(', ');
        out.push(await maria().sql(`SELECT ${cols} FROM ${name}.${t} ORDER BY 1, 2, 3`));
      }
      return out.join('--\n');
    };
    const before = await dump();
    await withProvider({ url }, async (p) => {
      await p.init();
      expect(p.migration).toEqual({ from: 2, to: 3, applied: [3] });
      expect(await dump()).toBe(before);
      const mb = await p.openMailbox('alice');
      expect(mb.mailbox.created).toBe(false);
      expect(await mb.allocate(1)).toBe(100n);
      expect(await mb.namedIds([{ guid, name: 'Keywords' }], false)).toEqual([0x8000]);
      expect(await mb.mappingByKey('message', 'Foo')).toEqual(mapping(10n, 'Foo', { modseq: 5n, etag: '"e1"', version: 'v1', cn: 11n }));
      expect(await mb.mappingByKey('message', 'Foo ')).toBeNull();
      expect((await mb.mappingByKey('message', 'Bar '))?.globcnt).toBe(12n);
      expect(await mb.mappingByKey('message', 'Bar')).toBeNull();
      if (!hasImapIndex(mb)) throw new Error('no ImapIndex');
      expect((await mb.imap.folderByName('Foo'))?.syncState).toBe('{"s":1}');
      expect(await mb.imap.folderByName('Foo ')).toBeNull();
      expect((await mb.imap.messagesById([10n]))[0]?.uid).toBe(1);
      expect((await mb.imap.getOverlay([10n])).get(10n)?.[0]?.value).toEqual(new Uint8Array([1, 2]));
      // new rows that differ only by trailing spaces now stand beside the old ones
      await mb.putMapping(mapping(14n, 'Foo '));
      await mb.imap.putFolders([{ folderGlobcnt: 4n, imapName: 'Foo ', uidvalidity: 1, uidnext: 1, highestModseq: 0n, lastSyncCn: 0n, syncState: null }]);
      expect((await mb.mappingByKey('message', 'Foo'))?.globcnt).toBe(10n);
      expect((await mb.mappingByKey('message', 'Foo '))?.globcnt).toBe(14n);
      expect((await mb.imap.folderByName('Foo'))?.folderGlobcnt).toBe(3n);
      expect((await mb.imap.folderByName('Foo '))?.folderGlobcnt).toBe(4n);
      expect((await p.openMailbox('alice ')).mailbox.created).toBe(true);
    });
  });

  it('leaves a new database in the same schema as an upgraded one, every string column NO PAD', async () => {
    const fresh = await freshDatabase(maria(), 'pad_new');
    await withProvider({ url: fresh.url }, (p) => p.init());
    const old = await versionTwoDatabase('pad_old');
    await withProvider({ url: old.url }, (p) => p.init());
    expect(await schemaOf(old.name)).toBe(await schemaOf(fresh.name));
    const padded = await maria().sql(`SELECT table_name, column_name, collation_name FROM information_schema.columns
      WHERE table_schema = '${fresh.name}' AND table_name <> '${VERSION_TABLE}' AND collation_name IS NOT NULL AND collation_name <> 'utf8mb4_nopad_bin'`);
    expect(padded).toBe('');
    const tables = await maria().sql(`SELECT DISTINCT table_collation FROM information_schema.tables WHERE table_schema = '${fresh.name}' AND table_name <> '${VERSION_TABLE}'`);
    expect(tables).toBe('utf8mb4_nopad_bin\n');
    // the length limits the code checks are the columns' own
    const len = async (t: string, c: string): Promise<number> =>
      Number(await maria().sql(`SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = '${fresh.name}' AND table_name = '${t}' AND column_name = '${c}'`));
    expect({
      username: await len('mailboxes', 'username'), backendKey: await len('id_map', 'backend_key'), etag: await len('id_map', 'etag'),
      version: await len('id_map', 'version'), imapName: await len('imap_folders', 'imap_name'),
    }).toEqual(COLUMN_CHARS);
  });

  it('keeps every column type through the upgrade (CONVERT changes collations only)', async () => {
    const old = await versionTwoDatabase('pad_types');
    const types = (): Promise<string> => maria().sql(`SELECT table_name, column_name, column_type, is_nullable, column_key FROM information_schema.columns
      WHERE table_schema = '${old.name}' AND table_name <> '${VERSION_TABLE}' ORDER BY table_name, ordinal_position`);
    const before = await types();
    expect(before).toContain('backend_key\tvarchar(700)');
    await withProvider({ url: old.url }, (p) => p.init());
    expect(await types()).toBe(before);
  });

  it('a migration 3 cut short runs again without rebuilding the tables it had converted', async () => {
    const old = await versionTwoDatabase('pad_rerun');
    await withProvider({ url: old.url }, (p) => p.init());
    // as if the process had stopped after the ALTERs but before the version row
    await maria().sql(`DELETE FROM ${old.name}.${VERSION_TABLE} WHERE version = 3`);
    const created = (): Promise<string> => maria().sql(`SELECT table_name, create_time FROM information_schema.tables
      WHERE table_schema = '${old.name}' AND table_name <> '${VERSION_TABLE}' ORDER BY table_name`);
    const before = await created();
    await new Promise((r) => setTimeout(r, 1100)); // a rebuilt table's create_time would be a later second
    await withProvider({ url: old.url }, async (p) => {
      expect(await p.init()).toEqual({ from: 2, to: 3, applied: [3] });
    });
    expect(await created()).toBe(before);
  });

  it('refuses, with a coded error, a server that has no NO PAD binary collation; version 2 stays', async () => {
    const { url, name } = await versionTwoDatabase('pad_none');
    await withProvider({ url }, async (p) => {
      const real = await p.acquire();
      // MySQL 5.7 answers this probe with no row (no such server runs here: its answer is stood in for)
      const noNoPad = new Proxy(real, {
        get(t, k) {
          if (k === 'query') {
            return (sql: string, params?: unknown) => (/information_schema\.collations/i.test(sql) ? Promise.resolve([[], []]) : t.query(sql, params as unknown[]));
          }
          const v: unknown = Reflect.get(t, k);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
      try {
        const e = await rejection(migrate(noNoPad, 10));
        expect(e).toBeInstanceOf(StoreError);
        expect(e.code).toBe('OC_STORE_INDEX_NO_NOPAD_COLLATION');
        expect(e.message).toContain('utf8mb4_nopad_bin');
        expect(e.message).toContain('utf8mb4_0900_bin');
        expect(e.message).toMatch(/version 10\.\d+/);
        // the lock was let go: a real migration runs after it
        expect(await migrate(real, 1)).toEqual({ from: 2, to: 3, applied: [3] });
      } finally {
        real.release();
      }
    });
    expect(await maria().sql(`SELECT version FROM ${name}.${VERSION_TABLE} ORDER BY version`)).toBe('1\n2\n3\n');
  });
});

describe('values longer than their column', () => {
  /** Counts the statements a provider sends (q: outside and inside transactions). */
  function countStatements(p: MysqlIndexProvider): { n: number } {
    const seen = { n: 0 };
    const q = p.q.bind(p);
    p.q = async (...a: Parameters<MysqlIndexProvider['q']>) => {
      seen.n++;
      return q(...a);
    };
    return seen;
  }

  it('refuses a username past 255 characters before any statement; 255 four-byte characters fit', async () => {
    const { url, name } = await freshDatabase(maria(), 'long_user');
    await withProvider({ url }, async (p) => {
      const e = await rejection(p.openMailbox(`U${'x'.repeat(255)}`));
      expect(e).toBeInstanceOf(StoreError);
      expect(e.code).toBe('OC_STORE_INDEX_TOO_LONG');
      expect((e as StoreError).ec).toBe(SEC.TooBig);
      expect(e.message).toContain('username');
      expect(e.message).toContain('256 characters');
      expect(e.message).toContain('mailboxes.username');
      expect(e.details).toMatchObject({ column: 'mailboxes.username', length: 256, max: 255 });
      expect(p.migration).toBeNull(); // not even the schema step ran
      const emoji = '\u{1F600}'.repeat(255); // 510 UTF-16 units, 1020 bytes
      const mb = await p.openMailbox(emoji);
      expect(mb.mailbox.username).toBe(emoji);
      expect((await p.openMailbox(emoji)).mailbox.id).toBe(mb.mailbox.id);
      expect((await rejection(p.openMailbox(`${emoji}a`))).code).toBe('OC_STORE_INDEX_TOO_LONG');
    });
    expect(await maria().sql(`SELECT count(*) FROM ${name}.mailboxes`)).toBe('1\n');
  });

  it('refuses a backend key past 700 characters (and an ETag or version past 255), nothing sent', async () => {
    const { url, name } = await freshDatabase(maria(), 'long_key');
    await withProvider({ url }, async (p) => {
      const mb = await p.openMailbox('alice');
      const sent = countStatements(p);
      const cases: [Partial<IndexMapping>, string][] = [
        [{ backendKey: `/dav/${'k'.repeat(696)}` }, 'id_map.backend_key'],
        [{ etag: `"${'e'.repeat(255)}` }, 'id_map.etag'],
        [{ version: 'v'.repeat(256) }, 'id_map.version'],
      ];
      for (const [over, column] of cases) {
        const e = await rejection(mb.putMapping(mapping(5n, 'k', over)));
        expect(e.code, column).toBe('OC_STORE_INDEX_TOO_LONG');
        expect(e.message, column).toContain(column);
      }
      expect(sent.n).toBe(0);
      const longest = mapping(6n, '\u00e9'.repeat(700), { etag: 'e'.repeat(255), version: '\u{1F600}'.repeat(255) });
      await mb.putMapping(longest);
      expect(await mb.mappingByKey('message', longest.backendKey)).toEqual(longest);
    });
    expect(await maria().sql(`SELECT globcnt FROM ${name}.id_map`)).toBe('6\n');
  });

  it('refuses a batch of IMAP folders when one name passes 700 characters: nothing sent, nothing written', async () => {
    const { url, name } = await freshDatabase(maria(), 'long_imap');
    await withProvider({ url }, async (p) => {
      const mb = await p.openMailbox('alice');
      if (!hasImapIndex(mb)) throw new Error('no ImapIndex');
      const sent = countStatements(p);
      const f = (g: bigint, imapName: string) => ({ folderGlobcnt: g, imapName, uidvalidity: 1, uidnext: 1, highestModseq: 0n, lastSyncCn: 0n, syncState: null });
      const e = await rejection(mb.imap.putFolders([f(3n, 'INBOX'), f(4n, `INBOX/${'\u{1F4E7}'.repeat(695)}`)]));
      expect(e.code).toBe('OC_STORE_INDEX_TOO_LONG');
      expect(e.message).toContain('imap_folders.imap_name');
      expect(e.message).toContain('folder 0x4');
      expect(e.message).toContain('701 characters');
      expect(sent.n).toBe(0);
      expect(await mb.imap.listFolders()).toEqual([]);
      await mb.imap.putFolders([f(4n, `INBOX/${'\u{1F4E7}'.repeat(694)}`)]);
      expect((await mb.imap.folderById(4n))?.imapName).toBe(`INBOX/${'\u{1F4E7}'.repeat(694)}`);
    });
    expect(await maria().sql(`SELECT folder_globcnt FROM ${name}.imap_folders`)).toBe('4\n');
  });

  it('checkLength counts characters as the server does, and fails only with a coded error (property)', () => {
    const char = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('\ud800', '\udfff', '\u{10ffff}', ' '));
    fc.assert(fc.property(fc.string({ unit: char, maxLength: 60 }), fc.integer({ min: 0, max: 40 }), (s, max) => {
      const asServer = Array.from(Buffer.from(s, 'utf8').toString('utf8')).length; // lone surrogates arrive as U+FFFD
      expect(codePoints(s)).toBe(asServer);
      let err: unknown = null;
      try {
        checkLength('the value', 't.c', s, max);
      } catch (e) {
        err = e;
      }
      if (asServer <= max) {
        expect(err).toBeNull();
      } else {
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe('OC_STORE_INDEX_TOO_LONG');
        expect((err as StoreError).details).toEqual({ column: 't.c', length: asServer, max });
      }
    }), { numRuns: 2000 });
  });
});

describe('distinctRuns', () => {
  it('cuts in order at the size limit and before a repeated key (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (xs, max) => {
      const runs = distinctRuns(xs, max, String);
      expect(runs.flat()).toEqual(xs);
      runs.forEach((r, i) => {
        expect(r.length).toBeGreaterThan(0);
        expect(r.length).toBeLessThanOrEqual(max);
        expect(new Set(r).size).toBe(r.length);
        const next = runs[i + 1];
        if (next && r.length < max) expect(r).toContain(next[0]); // cut only at the limit or before a repeat
      });
    }));
  });
});

const bothProviders: [string, () => Promise<IndexProvider>][] = [
  ['MariaDB', async () => new MysqlIndexProvider({ url: (await freshDatabase(maria(), 'idmap')).url, poolSize: 2 })],
  ['SQLite', async () => new SqliteIndexProvider(':memory:')],
];

describe.each(bothProviders)('id_map upserts on %s', (_label, make) => {
  async function withMailbox(fn: (mb: MailboxIndexWithImap) => Promise<void>): Promise<void> {
    const p = await make();
    try {
      const mb = await p.openMailbox('alice');
      if (!hasImapIndex(mb)) throw new Error('no ImapIndex');
      await fn(mb);
    } finally {
      await p.close();
    }
  }

  it('refuses a new mapping whose backend key belongs to another mapping, and changes neither', async () => {
    await withMailbox(async (mb) => {
      const seven = mapping(7n, 'b', { etag: '"7"', modseq: 70n });
      await mb.putMapping(seven);
      const e = await rejection(mb.putMapping(mapping(5n, 'b', { folderGlobcnt: 9n, etag: '"5"' })));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      expect(e.message).toContain('id_map');
      expect(e.message).toContain('mapping 0x5');
      expect(e.message).toContain('"b"');
      expect(e.message).toContain('held by mapping 0x7');
      expect(await mb.mappingByKey('message', 'b')).toEqual(seven);
      expect(await mb.mappingById('message', 5n)).toBeNull();
      expect(await mb.mappingsInFolder(9n)).toEqual([]);
    });
  });

  it('refuses to give an existing mapping the backend key of another', async () => {
    await withMailbox(async (mb) => {
      await mb.putMapping(mapping(5n, 'a'));
      await mb.putMapping(mapping(7n, 'b'));
      const e = await rejection(mb.putMapping(mapping(5n, 'b', { cn: 1n })));
      expect(e.code).toBe('OC_STORE_INDEX_KEY_CONFLICT');
      expect(await mb.mappingById('message', 5n)).toEqual(mapping(5n, 'a'));
      expect(await mb.mappingById('message', 7n)).toEqual(mapping(7n, 'b'));
    });
  });

  it('still replaces a mapping by its id, moves a freed key, and keeps kinds apart', async () => {
    await withMailbox(async (mb) => {
      await mb.putMapping(mapping(7n, 'b'));
      await mb.putMapping(mapping(7n, 'c', { etag: '"x"' }));
      expect(await mb.mappingByKey('message', 'b')).toBeNull();
      expect(await mb.mappingById('message', 7n)).toEqual(mapping(7n, 'c', { etag: '"x"' }));
      await mb.putMapping(mapping(5n, 'b'));
      expect((await mb.mappingByKey('message', 'b'))?.globcnt).toBe(5n);
      await mb.putMapping(mapping(5n, 'c', { kind: 'folder' }));
      expect((await mb.mappingByKey('folder', 'c'))?.globcnt).toBe(5n);
      expect((await mb.mappingByKey('message', 'c'))?.globcnt).toBe(7n);
      await mb.putMapping(mapping(9n, 'c '));
      expect((await mb.mappingByKey('message', 'c '))?.globcnt).toBe(9n);
    });
  });
});
