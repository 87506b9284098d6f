import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { DIRECTORY_FILE, openDirectory } from '../../src/directory/builtin.js';
import { DirectoryError } from '../../src/directory/errors.js';
import { SCHEMA_VERSION } from '../../src/directory/migrations.js';
import type { DirectoryAdmin } from '../../src/directory/types.js';
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
  ({ dir: tmp, cleanup } = tempDir('ocng-dir-'));
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

describe('built-in directory: users', () => {
  it('creates the database privately in dataDir', () => {
    const file = path.join(config.dataDir, DIRECTORY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(config.dataDir).mode & 0o777).toBe(0o700);
  });

  it('adds a user with defaults derived from the config', async () => {
    const u = await dir.addUser({ username: 'Alice', password: 'Password' });
    expect(u).toEqual({
      id: expect.any(Number),
      username: 'Alice',
      displayName: 'Alice',
      smtpAddress: 'alice@example.com',
      legacyExchangeDN: DN + 'Alice',
      enabled: true,
      attributes: {},
      proxyAddresses: ['SMTP:alice@example.com'],
    });
    const v = await dir.addUser({ username: 'bob', password: 'x', displayName: '  Bob Builder ', smtpAddress: 'Bob.B@Example.org' });
    expect(v.displayName).toBe('Bob Builder');
    expect(v.smtpAddress).toBe('Bob.B@Example.org');
    expect((await dir.listUsers()).map((x) => x.username)).toEqual(['Alice', 'bob']);
  });

  it('finds users case-insensitively by name, SMTP address and legacyExchangeDN', async () => {
    const u = await dir.addUser({ username: 'Alice', password: 'pw' });
    for (const key of ['alice', 'ALICE', 'Alice', 'alice@example.com', 'ALICE@EXAMPLE.COM', DN + 'alice', DN.toUpperCase() + 'ALICE']) {
      expect(await dir.findUser(key), key).toEqual(u);
    }
    expect(await dir.findUser('alic')).toBeNull();
    expect(await dir.findUser('')).toBeNull();
  });

  it('stores the NT hash of the password (MS-NLMP 4.2.1)', async () => {
    await dir.addUser({ username: 'user', password: 'Password' });
    expect((await dir.getNtHash('USER'))?.toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(await dir.getNtHash('nobody')).toBeNull();
  });

  it('verifies passwords for HTTP Basic', async () => {
    await dir.addUser({ username: 'carol', password: 'correct horse' });
    expect((await dir.verifyPassword('carol', 'correct horse'))?.username).toBe('carol');
    expect((await dir.verifyPassword('CAROL', 'correct horse'))?.username).toBe('carol');
    expect(await dir.verifyPassword('carol', 'Correct horse')).toBeNull();
    expect(await dir.verifyPassword('carol', '')).toBeNull();
    expect(await dir.verifyPassword('nobody', 'correct horse')).toBeNull();
  });

  it('refuses disabled users for NTLM and Basic, and lets them back in when enabled', async () => {
    await dir.addUser({ username: 'dave', password: 'pw' });
    await dir.setEnabled('dave', false);
    expect((await dir.findUser('dave'))?.enabled).toBe(false);
    expect(await dir.getNtHash('dave')).toBeNull();
    expect(await dir.verifyPassword('dave', 'pw')).toBeNull();
    await dir.setEnabled('DAVE', true);
    expect(await dir.getNtHash('dave')).not.toBeNull();
    expect((await dir.verifyPassword('dave', 'pw'))?.enabled).toBe(true);
  });

  it('changes passwords (both the NT hash and the Basic hash)', async () => {
    await dir.addUser({ username: 'erin', password: 'old' });
    const before = await dir.getNtHash('erin');
    await dir.setPassword('erin', 'Password');
    expect((await dir.getNtHash('erin'))?.toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(before?.toString('hex')).not.toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(await dir.verifyPassword('erin', 'old')).toBeNull();
    expect(await dir.verifyPassword('erin', 'Password')).not.toBeNull();
  });

  it('removes users', async () => {
    await dir.addUser({ username: 'frank', password: 'pw' });
    await dir.removeUser('FRANK');
    expect(await dir.findUser('frank')).toBeNull();
    expect(await code(dir.removeUser('frank'))).toBe('OC_DIR_NOT_FOUND');
    await dir.addUser({ username: 'frank', password: 'pw' }); // the name is free again
  });

  it('refuses duplicates, case-insensitively, of names and addresses', async () => {
    await dir.addUser({ username: 'gina', password: 'pw' });
    expect(await code(dir.addUser({ username: 'GINA', password: 'pw' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addUser({ username: 'gina2', password: 'pw', smtpAddress: 'Gina@Example.com' }))).toBe('OC_DIR_EXISTS');
  });

  it('refuses bad names, values and empty passwords', async () => {
    for (const name of ['', 'a b', 'a/b', 'ä', 'x@y', 'a'.repeat(65), 'tab\t', '/o=x']) {
      expect(await code(dir.addUser({ username: name, password: 'pw' })), name).toBe('OC_DIR_BAD_NAME');
    }
    expect(await code(dir.addUser({ username: 'a'.repeat(64), password: '' }))).toBe('OC_DIR_WEAK_PASSWORD');
    expect(await code(dir.addUser({ username: 'ok', password: 'x'.repeat(257) }))).toBe('OC_DIR_BAD_PASSWORD');
    expect(await code(dir.addUser({ username: 'ok', password: 'pw', smtpAddress: 'not an address' }))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.addUser({ username: 'ok', password: 'pw', displayName: '  ' }))).toBe('OC_DIR_BAD_VALUE');
    expect(await code(dir.addUser({ username: 'ok', password: 'pw', displayName: 'a\nb' }))).toBe('OC_DIR_BAD_VALUE');
    await dir.addUser({ username: 'ok', password: 'pw' });
    expect(await code(dir.setPassword('ok', ''))).toBe('OC_DIR_WEAK_PASSWORD');
    expect(await code(dir.setPassword('nobody', 'pw'))).toBe('OC_DIR_NOT_FOUND');
    expect(await code(dir.setEnabled('nobody', true))).toBe('OC_DIR_NOT_FOUND');
    expect((await dir.listUsers()).length).toBe(1);
  });

  it('keeps everything across close and reopen', async () => {
    await dir.addUser({ username: 'hank', password: 'Password', displayName: 'Hank' });
    await dir.addGroup({ name: 'staff' });
    await dir.addMember('staff', 'hank');
    await dir.setEnabled('hank', false);
    await dir.close();
    dir = openDirectory(config, silentLogger());
    const u = await dir.findUser('hank');
    expect(u).toMatchObject({ username: 'hank', displayName: 'Hank', enabled: false });
    await dir.setEnabled('hank', true);
    expect((await dir.getNtHash('hank'))?.toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(await dir.verifyPassword('hank', 'Password')).not.toBeNull();
    expect((await dir.findGroup('staff'))?.members).toEqual(['hank']);
  });

  it('throws a coded error after close', async () => {
    await dir.close();
    expect(await code(dir.listUsers())).toBe('OC_DIR_CLOSED');
  });

  it('sees changes made through another connection (CLI while the server runs)', async () => {
    const other = openDirectory(config, silentLogger());
    try {
      await other.addUser({ username: 'ivy', password: 'pw' });
      expect((await dir.findUser('ivy'))?.username).toBe('ivy');
    } finally {
      await other.close();
    }
  });
});

describe('built-in directory: groups', () => {
  beforeEach(async () => {
    await dir.addUser({ username: 'ann', password: 'pw' });
    await dir.addUser({ username: 'ben', password: 'pw' });
  });

  it('adds groups with defaults and finds them by name, address and DN', async () => {
    const g = await dir.addGroup({ name: 'Sales' });
    expect(g).toEqual({
      id: expect.any(Number),
      name: 'Sales',
      displayName: 'Sales',
      smtpAddress: 'sales@example.com',
      legacyExchangeDN: DN + 'Sales',
      members: [],
      proxyAddresses: ['SMTP:sales@example.com'],
    });
    expect(await dir.findGroup('sales')).toEqual(g);
    expect(await dir.findGroup('SALES@example.com')).toEqual(g);
    expect(await dir.findGroup(DN + 'sales')).toEqual(g);
    expect(await dir.findGroup('ann')).toBeNull();
    expect(await dir.findUser('sales')).toBeNull();
  });

  it('shares one namespace with users (names, addresses, DNs)', async () => {
    expect(await code(dir.addGroup({ name: 'ANN' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addGroup({ name: 'team', smtpAddress: 'ben@example.com' }))).toBe('OC_DIR_EXISTS');
    await dir.addGroup({ name: 'team' });
    expect(await code(dir.addUser({ username: 'Team', password: 'pw' }))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addGroup({ name: 'bad name' }))).toBe('OC_DIR_BAD_NAME');
    expect(await code(dir.removeUser('team'))).toBe('OC_DIR_NOT_FOUND');
    expect(await code(dir.removeGroup('ann'))).toBe('OC_DIR_NOT_FOUND');
  });

  it('manages members', async () => {
    await dir.addGroup({ name: 'g1', displayName: 'Group One' });
    await dir.addGroup({ name: 'g2' });
    await dir.addMember('g1', 'ben');
    await dir.addMember('G1', 'ANN');
    await dir.addMember('g2', 'ann');
    expect((await dir.findGroup('g1'))?.members).toEqual(['ann', 'ben']);
    expect(await code(dir.addMember('g1', 'ann'))).toBe('OC_DIR_EXISTS');
    expect(await code(dir.addMember('g1', 'nobody'))).toBe('OC_DIR_NOT_FOUND');
    expect(await code(dir.addMember('nogroup', 'ann'))).toBe('OC_DIR_NOT_FOUND');
    expect(await code(dir.addMember('g1', 'g2'))).toBe('OC_DIR_NOT_FOUND');
    await dir.removeMember('g1', 'ben');
    expect(await code(dir.removeMember('g1', 'ben'))).toBe('OC_DIR_NOT_FOUND');
    const groups = await dir.listGroups();
    expect(groups.map((g) => [g.name, g.displayName, g.members])).toEqual([
      ['g1', 'Group One', ['ann']],
      ['g2', 'g2', ['ann']],
    ]);
  });

  it('drops the memberships of a removed user, and keeps the users of a removed group', async () => {
    await dir.addGroup({ name: 'g' });
    await dir.addMember('g', 'ann');
    await dir.addMember('g', 'ben');
    await dir.removeUser('ann');
    expect((await dir.findGroup('g'))?.members).toEqual(['ben']);
    await dir.removeGroup('g');
    expect(await dir.findGroup('g')).toBeNull();
    expect(await dir.findUser('ben')).not.toBeNull();
    expect(await dir.listGroups()).toEqual([]);
  });
});

describe('built-in directory: schema', () => {
  it('records its schema version and refuses a newer database', async () => {
    await dir.close();
    const file = path.join(config.dataDir, DIRECTORY_FILE);
    const db = new BetterSqlite3(file);
    expect(db.prepare('SELECT version FROM schema_version').get()).toEqual({ version: SCHEMA_VERSION });
    db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    db.close();
    let err: unknown;
    try {
      openDirectory(config, silentLogger());
    } catch (e) {
      err = e;
    }
    expect((err as DirectoryError).code).toBe('OC_DIR_SCHEMA_TOO_NEW');
    const db2 = new BetterSqlite3(file);
    db2.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
    db2.close();
    dir = openDirectory(config, silentLogger());
  });

  it('refuses a file that is not a database with a coded error', async () => {
    const other = makeConfig(path.join(tmp, 'junk'));
    fs.mkdirSync(other.dataDir, { recursive: true });
    fs.writeFileSync(path.join(other.dataDir, DIRECTORY_FILE), 'this is not sqlite, just some text that is long enough'.repeat(20));
    expect(() => openDirectory(other, silentLogger())).toThrow(expect.objectContaining({ code: 'OC_DIR_OPEN_FAILED' }));
  });
});
