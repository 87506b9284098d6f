// The same store suite with the index on a real MariaDB started for this file (test/helpers/mariadb.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createStore } from '../../src/mapistore/index.js';
import { MysqlIndexProvider } from '../../src/mapistore/index/mysql.js';
import { DB_NAME, DB_PASSWORD, DB_USER, MariaDb, mariadbAvailable } from '../helpers/mariadb.js';
import { storeSuite } from './suite.js';

let db: MariaDb | null = null;

// npm test installs mariadb-server (scripts/test.sh); without it this file fails rather than skipping
beforeAll(async () => {
  if (!mariadbAvailable()) throw new Error('mariadb-server is not installed (scripts/test.sh installs it)');
  db = await MariaDb.start();
}, 120_000);
afterAll(async () => {
  await db?.stop();
});

storeSuite('MariaDB', async () => {
  if (!db) throw new Error('MariaDB did not start');
  return new MysqlIndexProvider({ url: db.url, poolSize: 4, queryTimeoutMs: 10_000 });
});

describe('mapistore configured for MariaDB by separate keys', () => {
  it('creates the index tables and provisions a mailbox', async () => {
    if (!db) throw new Error('MariaDB did not start');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-storecfg-'));
    try {
      const c = loadConfig({
        env: {}, cwd: dir, file: '',
        set: [`dataDir=${dir}`, 'index.provider=mysql', `index.mysql.port=${db.port}`, `index.mysql.user=${DB_USER}`,
          `index.mysql.password=${DB_PASSWORD}`, `index.mysql.database=${DB_NAME}`],
      });
      const store = createStore(c);
      const mb = await store.openMailbox({ username: 'dave', displayName: 'Dave', legacyDn: '/o=x/cn=dave' });
      expect((await mb.getReceiveFolder('IPM.Note')).fid).toBe(mb.special.inbox);
      await store.close();
      expect(await db.sql(`SELECT count(*) FROM ${DB_NAME}.mailboxes WHERE username = 'dave'`)).toBe('1\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
