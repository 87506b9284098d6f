// The built-in directory's second schema: person attributes, proxy addresses, contacts, self-service data, the
// generation counter, and the migration of a version-1 database. Real SQLite files throughout.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ntHash } from '../../src/auth/md4.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { DIRECTORY_FILE, openDirectory } from '../../src/directory/builtin.js';
import { DirectoryError } from '../../src/directory/errors.js';
import { migrationSql, SCHEMA_VERSION } from '../../src/directory/migrations.js';
import type { DirectoryAdmin } from '../../src/directory/types.js';
import { isDerSequence } from '../../src/directory/validate.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from '../config/helpers.js';

let tmp: string;
let cleanup: () => void;
let config: Config;
let dir: DirectoryAdmin;

function makeConfig(dataDir: string): Config {
  return loadConfig({ env: {}, cwd: dataDir, set: [`dataDir=${dataDir}`, 'server.hostname=mail.example.com'] });
}

beforeEach(() => {
  ({ dir: tmp, cleanup } = tempDir('ocng-dir2-'));
  config = makeConfig(path.join(tmp, 'data'));
  dir = openDirectory(config, silentLogger());
});
afterEach(async () => {
  await dir.close();
  cleanup();
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DirectoryError);
    return (e as DirectoryError).code;
  }
  throw new Error('expected a DirectoryError');
}

const DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=';

/** A syntactically valid DER SEQUENCE of n bytes in all (not a real certificate: the directory only checks framing). */
function derSeq(n: number, fill = 0x42): Buffer {
  const b = Buffer.alloc(n, fill);
  b[0] = 0x30;
  if (n - 2 < 0x80) {
    b[1] = n - 2;
  } else {
    b[1] = 0x82;
    b.writeUInt16BE(n - 4, 2);
  }
  return b;
}

describe('built-in directory: attributes and aliases', () => {
  it('stores person attributes and aliases given to addUser', async () => {
    const u = await dir.addUser({
      username: 'zoe',
      password: 'pw',
      displayName: 'Zoë Ångström',
      attributes: { givenName: ' Zoë ', surname: 'Ångström', title: 'Engineer', department: '', businessPhone: '+46 8 123 45' },
      aliases: ['z.angstrom@example.com', 'SMTP:zoe@other.test', 'X500:/o=Old/ou=First/cn=Recipients/cn=zoe'],
    });
    expect(u.attributes).toEqual({ givenName: 'Zoë', surname: 'Ångström', title: 'Engineer', businessPhone: '+46 8 123 45' });
    expect(u.proxyAddresses).toEqual([
      'SMTP:zoe@example.com',
      'smtp:z.angstrom@example.com',
      'smtp:zoe@other.test',
      'X500:/o=Old/ou=First/cn=Recipients/cn=zoe',
    ]);
    // Aliases and X500 proxies find the user like its primary address and legacyExchangeDN do.
    for (const key of ['Z.Angstrom@example.com', 'zoe@OTHER.test', '/o=old/ou=First/cn=Recipients/cn=zoe', DN + 'zoe']) {
      expect((await dir.findUser(key))?.username, key).toBe('zoe');
    }
    expect((await dir.listUsers())[0]).toEqual(u);
  });

  it('merges attributes, clears with an empty string and changes the display name of users and contacts', async () => {
    await dir.addUser({ username: 'ann', password: 'pw', attributes: { title: 'Dr', company: 'ACME' } });
    await dir.setAttributes('ANN', { title: '', department: 'R&D', comment: 'line one\nline two', displayName: 'Ann A.' });
    const u = await dir.findUser('ann');
    expect(u?.attributes).toEqual({ department: 'R&D', company: 'ACME', comment: 'line one\nline two' });
    expect(u?.displayName).toBe('Ann A.');
    await dir.addContact({ name: 'ext', smtpAddress: 'ext@partner.test' });
    await dir.setAttributes('ext', { company: 'Partner' });
    expect((await dir.listContacts())[0]?.attributes).toEqual({ company: 'Partner' });
    await dir.addGroup({ name: 'grp' });
    expect(await code(dir.setAttributes('grp', { title: 'x' }))).toBe('OC_DIR_NOT_FOUND');
    expect(await code(dir.setAttributes('nobody', { title: 'x' }))).toBe('OC_DIR_NOT_FOUND');
  });

  it('refuses bad attribute values and unknown attributes', async () => {
    await dir.addUser({ username: 'ann', password: 'pw' });
    expect(await code(dir.setAttributes('ann', { title: 'a\nb' }))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.setAttributes('ann', { title: 'x'.repeat(1025) }))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.setAttributes('ann', { bogus: 'x' } as never))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.setAttributes('ann', { displayName: ' ' }))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.addUser({ username: 'bob', password: 'pw', attributes: { fax: '\u0000' } }))).toBe('OC_DIR_BAD_VALUE');
    expect(await dir.findUser('bob')).toBeNull();
  });

  it('keeps every SMTP address unique across primaries and aliases of all recipients', async () => {
    await dir.addUser({ username: 'ann', password: 'pw', aliases: ['a@example.com'] });
    expect(await code(dir.addUser({ username: 'bob', password: 'pw', smtpAddress: 'A@example.com' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addUser({ username: 'bob', password: 'pw', aliases: ['ann@example.com'] }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addGroup({ name: 'g', smtpAddress: 'a@example.com' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addContact({ name: 'c', smtpAddress: 'a@example.com' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addAlias('ann', 'a@example.com'))).toBe('OC_DIR_EXISTS');
    await dir.addGroup({ name: 'g' });
    await dir.addAlias('g', 'team@example.com');
    expect((await dir.findGroup('team@example.com'))?.proxyAddresses).toEqual(['SMTP:g@example.com', 'smtp:team@example.com']);
    expect(await code(dir.addAlias('ann', 'TEAM@example.com'))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addAlias('ann', 'not an address'))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.addAlias('ann', 'X500:o=missing-slash'))).toBe('OC_DIR_BAD_VALUE');
    await dir.removeAlias('ann', 'smtp:A@example.com');
    expect(await code(dir.removeAlias('ann', 'a@example.com'))).toBe('OC_DIR_NOT_FOUND');
    expect(await code(dir.removeAlias('ann', 'ann@example.com'))).toBe('OC_DIR_NOT_FOUND'); // the primary is no alias
    await dir.addUser({ username: 'bob', password: 'pw', smtpAddress: 'a@example.com' }); // free again
    // A failed addUser leaves nothing behind (the second alias was taken).
    expect(await code(dir.addUser({ username: 'cy', password: 'pw', aliases: ['cy1@example.com', 'team@example.com'] }))).toBe('OC_DIR_EXISTS');
    expect(await dir.findUser('cy1@example.com')).toBeNull();
    expect(await dir.findUser('cy')).toBeNull();
  });

  it('limits the number of aliases', async () => {
    await dir.addUser({ username: 'ann', password: 'pw', aliases: Array.from({ length: 100 }, (_, i) => `a${i}@example.com`) });
    expect(await code(dir.addAlias('ann', 'one-more@example.com'))).toBe('OC_DIR_BAD_VALUE');
  });
});

describe('built-in directory: contacts', () => {
  it('adds, lists, finds by nothing else and removes contacts in the shared namespace', async () => {
    const c = await dir.addContact({
      name: 'jane.ext',
      displayName: 'Jane (Partner)',
      smtpAddress: 'Jane@Partner.test',
      attributes: { company: 'Partner Ltd', businessPhone: '+1 555 0100' },
      aliases: ['jane@partner2.test'],
    });
    expect(c).toEqual({
      id: expect.any(Number),
      name: 'jane.ext',
      displayName: 'Jane (Partner)',
      smtpAddress: 'Jane@Partner.test',
      legacyExchangeDN: DN + 'jane.ext',
      attributes: { company: 'Partner Ltd', businessPhone: '+1 555 0100' },
      proxyAddresses: ['SMTP:Jane@Partner.test', 'smtp:jane@partner2.test'],
    });
    expect(await dir.listContacts()).toEqual([c]);
    // Contacts are neither users nor groups, but their names and addresses are taken.
    expect(await dir.findUser('jane.ext')).toBeNull();
    expect(await dir.findUser('jane@partner.test')).toBeNull();
    expect(await dir.findGroup('jane.ext')).toBeNull();
    expect(await code(dir.addUser({ username: 'JANE.EXT', password: 'pw' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addGroup({ name: 'x', smtpAddress: 'jane@partner2.test' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addContact({ name: 'bad name', smtpAddress: 'x@y.test' }))).toBe('OC_DIR_BAD_NAME');
    expect(await code(dir.addContact({ name: 'nomail', smtpAddress: '' }))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.removeUser('jane.ext'))).toBe('OC_DIR_NOT_FOUND');
    await dir.addUser({ username: 'u', password: 'pw' });
    expect(await code(dir.removeContact('u'))).toBe('OC_DIR_NOT_FOUND');
    await dir.removeContact('Jane.Ext');
    expect(await dir.listContacts()).toEqual([]);
    await dir.addUser({ username: 'other', password: 'pw', aliases: ['jane@partner2.test'] }); // its alias went with it
  });
});

describe('built-in directory: self-service data', () => {
  beforeEach(async () => {
    for (const n of ['ann', 'ben', 'cy']) await dir.addUser({ username: n, password: 'pw' });
  });

  it('publishes certificates and replaces them', async () => {
    expect(await dir.getSelfService('ann')).toEqual({ certificates: [], delegates: [] });
    const a = derSeq(300);
    const b = derSeq(32 * 1024, 0x01);
    await dir.setCertificates('ann', [a, b]);
    expect((await dir.getSelfService('ANN'))?.certificates).toEqual([a, b]);
    await dir.setCertificates('ann@example.com', [b]);
    expect((await dir.getSelfService('ann'))?.certificates).toEqual([b]);
    await dir.setCertificates('ann', []);
    expect((await dir.getSelfService('ann'))?.certificates).toEqual([]);
    expect(await dir.getSelfService('nobody')).toBeNull();
  });

  it('refuses junk certificates, too many and too large ones, and unknown users', async () => {
    for (const junk of [Buffer.from('hello'), Buffer.alloc(0), Buffer.from([0x30, 0x05, 1, 2]), Buffer.from([0x30, 0x80, 0, 0]), Buffer.from([0x31, 0x00])]) {
      expect(await code(dir.setCertificates('ann', [junk])), junk.toString('hex')).toBe('OC_DIR_BAD_VALUE');
    }
    expect(await code(dir.setCertificates('ann', [derSeq(32 * 1024 + 4)]))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.setCertificates('ann', Array.from({ length: 33 }, () => derSeq(10))))).toBe('OC_DIR_BAD_VALUE');
    await dir.setCertificates('ann', Array.from({ length: 32 }, () => derSeq(10)));
    expect(await code(dir.setCertificates('nobody', [derSeq(10)]))).toBe('OC_DIR_NOT_FOUND');
    expect(isDerSequence(Buffer.from([0x30, 0x00]))).toBe(true);
    expect(isDerSequence(Buffer.from([0x30, 0x81, 0x05, 1, 2, 3, 4, 5]))).toBe(false); // long form for a short length
  });

  it('sets delegates (existing users, deduplicated, in order) and forgets removed users', async () => {
    await dir.setDelegates('ann', ['cy', 'BEN', 'cy@example.com']);
    expect((await dir.getSelfService('ann'))?.delegates).toEqual(['cy', 'ben']);
    expect(await code(dir.setDelegates('ann', ['ben', 'nobody']))).toBe('OC_DIR_NOT_FOUND');
    expect((await dir.getSelfService('ann'))?.delegates).toEqual(['cy', 'ben']); // unchanged
    expect(await code(dir.setDelegates('nobody', ['ben']))).toBe('OC_DIR_NOT_FOUND');
    await dir.addGroup({ name: 'grp' });
    expect(await code(dir.setDelegates('ann', ['grp']))).toBe('OC_DIR_NOT_FOUND');
    expect(await code(dir.setDelegates('ann', Array.from({ length: 1001 }, () => 'ben')))).toBe('OC_DIR_BAD_VALUE');
    await dir.removeUser('cy');
    expect((await dir.getSelfService('ann'))?.delegates).toEqual(['ben']);
    await dir.setDelegates('ann', []);
    expect((await dir.getSelfService('ann'))?.delegates).toEqual([]);
  });
});

describe('built-in directory: generation', () => {
  it('moves with every kind of visible change, and only then', async () => {
    let last = await dir.generation();
    const moves = async (what: string, fn: () => Promise<unknown>, expected = true) => {
      await fn().catch(() => undefined);
      const now = await dir.generation();
      expect(now !== last, `${what} ${expected ? 'moves' : 'does not move'} the generation`).toBe(expected);
      last = now;
    };
    await moves('addUser', () => dir.addUser({ username: 'ann', password: 'pw' }));
    await moves('addUser ben', () => dir.addUser({ username: 'ben', password: 'pw' }));
    await moves('setPassword', () => dir.setPassword('ann', 'other'), false);
    await moves('setEnabled false', () => dir.setEnabled('ann', false));
    await moves('setEnabled false again', () => dir.setEnabled('ann', false), false);
    await moves('setEnabled true', () => dir.setEnabled('ann', true));
    await moves('setAttributes', () => dir.setAttributes('ann', { title: 'Boss' }));
    await moves('setAttributes, same values', () => dir.setAttributes('ann', { title: 'Boss' }), false);
    await moves('display name', () => dir.setAttributes('ann', { displayName: 'Ann' }));
    await moves('addAlias', () => dir.addAlias('ann', 'ann2@example.com'));
    await moves('removeAlias', () => dir.removeAlias('ann', 'ann2@example.com'));
    await moves('addGroup', () => dir.addGroup({ name: 'g' }));
    await moves('addMember', () => dir.addMember('g', 'ann'));
    await moves('addMember again (refused)', () => dir.addMember('g', 'ann'), false);
    await moves('removeMember', () => dir.removeMember('g', 'ann'));
    await moves('addContact', () => dir.addContact({ name: 'c', smtpAddress: 'c@x.test' }));
    await moves('removeContact', () => dir.removeContact('c'));
    await moves('setCertificates', () => dir.setCertificates('ann', [derSeq(20)]));
    await moves('setCertificates, same', () => dir.setCertificates('ann', [derSeq(20)]), false);
    await moves('setDelegates', () => dir.setDelegates('ann', ['ben']));
    await moves('setDelegates, same', () => dir.setDelegates('ann', ['ben']), false);
    await moves('a refused change', () => dir.addUser({ username: 'ann', password: 'pw' }), false);
    await moves('reads', async () => {
      await dir.listUsers();
      await dir.listGroups();
      await dir.listContacts();
      await dir.findUser('ann');
      await dir.getSelfService('ann');
      await dir.verifyPassword('ann', 'other');
    }, false);
    await moves('removeGroup', () => dir.removeGroup('g'));
    await moves('removeUser', () => dir.removeUser('ben'));
  });

  it('is shared by every connection to the file (the CLI changing what the server reads)', async () => {
    const other = openDirectory(config, silentLogger());
    try {
      const before = await dir.generation();
      await other.addUser({ username: 'ivy', password: 'pw' });
      expect(await dir.generation()).not.toBe(before);
      expect(await dir.generation()).toBe(await other.generation());
    } finally {
      await other.close();
    }
  });
});

describe('built-in directory: migration from schema version 1', () => {
  it('keeps users, hashes, groups and memberships, and gains the new features', async () => {
    await dir.close();
    const data = path.join(tmp, 'v1');
    fs.mkdirSync(data, { mode: 0o700 });
    const file = path.join(data, DIRECTORY_FILE);
    const v1 = new BetterSqlite3(file);
    v1.pragma('journal_mode = WAL');
    v1.pragma('foreign_keys = ON');
    v1.exec(migrationSql(1));
    v1.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);');
    const rec = v1.prepare(
      "INSERT INTO recipients (kind, name, display_name, smtp_address, legacy_dn, created_at, changed_at) VALUES (?, ?, ?, ?, ?, 1, 1)",
    );
    const user = v1.prepare('INSERT INTO users (id, nt_hash, password_hash, enabled) VALUES (?, ?, ?, ?)');
    const alice = Number(rec.run('user', 'alice', 'Alice', 'alice@example.com', DN + 'alice').lastInsertRowid);
    user.run(alice, ntHash('Password'), 'scrypt$bogus', 1);
    const bob = Number(rec.run('user', 'bob', 'Bob', 'bob@example.com', DN + 'bob').lastInsertRowid);
    user.run(bob, ntHash('x'), 'scrypt$bogus', 0);
    const staff = Number(rec.run('group', 'staff', 'Staff', 'staff@example.com', DN + 'staff').lastInsertRowid);
    v1.prepare('INSERT INTO group_members (group_id, user_id, added_at) VALUES (?, ?, 1)').run(staff, alice);
    v1.prepare('INSERT INTO group_members (group_id, user_id, added_at) VALUES (?, ?, 1)').run(staff, bob);
    v1.close();

    config = makeConfig(data);
    dir = openDirectory(config, silentLogger());
    expect((await dir.listUsers()).map((u) => [u.username, u.enabled, u.attributes, u.proxyAddresses])).toEqual([
      ['alice', true, {}, ['SMTP:alice@example.com']],
      ['bob', false, {}, ['SMTP:bob@example.com']],
    ]);
    expect((await dir.getNtHash('alice'))?.toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect((await dir.findGroup('staff'))?.members).toEqual(['alice', 'bob']);
    expect((await dir.findUser(DN + 'alice'))?.id).toBe(alice);
    expect(typeof (await dir.generation())).toBe('number');
    // The new features work on the migrated file, and the rebuilt table still cascades.
    await dir.addContact({ name: 'ext', smtpAddress: 'ext@partner.test' });
    await dir.setAttributes('alice', { title: 'Chief' });
    await dir.setDelegates('alice', ['bob']);
    await dir.removeUser('bob');
    expect((await dir.findGroup('staff'))?.members).toEqual(['alice']);
    expect((await dir.getSelfService('alice'))?.delegates).toEqual([]);
    await dir.close();

    const db = new BetterSqlite3(file);
    expect(db.prepare('SELECT version FROM schema_version').get()).toEqual({ version: SCHEMA_VERSION });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'recipients_v2'").get()).toEqual({ n: 0 });
    db.close();
    dir = openDirectory(config, silentLogger()); // a second open finds nothing to do
    expect((await dir.findUser('alice'))?.attributes).toEqual({ title: 'Chief' });
  });
});

describe('built-in directory: 50,000 users', () => {
  it('lists them in well under a second (timing printed, not asserted)', async () => {
    const N = 50_000;
    const before = await dir.generation();
    const db = new BetterSqlite3(path.join(config.dataDir, DIRECTORY_FILE));
    const rec = db.prepare(
      "INSERT INTO recipients (kind, name, display_name, smtp_address, legacy_dn, attributes, created_at, changed_at) VALUES ('user', ?, ?, ?, ?, ?, 1, 1)",
    );
    const usr = db.prepare('INSERT INTO users (id, nt_hash, password_hash, enabled) VALUES (?, ?, ?, 1)');
    const proxy = db.prepare('INSERT INTO proxy_addresses (address, recipient_id, added_at) VALUES (?, ?, 1)');
    const hash = Buffer.alloc(16, 7);
    db.transaction(() => {
      for (let i = 0; i < N; i++) {
        const name = `user${String(i).padStart(5, '0')}`;
        const attrs = JSON.stringify({ givenName: 'Given' + i, surname: 'Surname' + i, title: 'Engineer', department: `Dept ${i % 50}`, businessPhone: `+1 555 ${i}` });
        const id = Number(rec.run(name, `User ${i}`, `${name}@example.com`, DN + name, attrs).lastInsertRowid);
        usr.run(id, hash, 'scrypt$x');
        if (i % 10 === 0) proxy.run(`smtp:${name}.alias@example.com`, id);
      }
    })();
    db.close();

    await dir.listUsers(); // warm the statement
    const times: number[] = [];
    let users: Awaited<ReturnType<DirectoryAdmin['listUsers']>> = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      users = await dir.listUsers();
      times.push(performance.now() - t0);
    }
    const t1 = performance.now();
    for (let i = 0; i < 1000; i++) await dir.findUser(`user${String(i * 37).padStart(5, '0')}.alias@example.com`);
    const lookup = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    for (let i = 0; i < 10000; i++) await dir.generation();
    const genCost = (performance.now() - t2) / 10000;
    console.log(
      `built-in directory, ${N} users: listUsers ${times.map((t) => t.toFixed(0)).join('/')} ms; ` +
        `findUser by alias ${(lookup * 1000).toFixed(0)} µs; generation() ${(genCost * 1000).toFixed(1)} µs`,
    );
    expect(users).toHaveLength(N);
    expect(users[10]).toMatchObject({ username: 'user00010', attributes: { department: 'Dept 10' }, proxyAddresses: ['SMTP:user00010@example.com', 'smtp:user00010.alias@example.com'] });
    expect(await dir.generation()).not.toBe(before); // the triggers saw the bulk insert too
  });
});
