// The same store suite with the index on a real MariaDB started for this file (test/helpers/mariadb.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createStore } from '../../src/mapistore/index.js';
import { MysqlIndexProvider } from '../../src/mapistore/index/mysql.js';
import { DB_NAME, DB_PASSWORD, DB_USER, mariaDbPerFile } from '../helpers/mariadb.js';
import { storeSuite } from './suite.js';

const maria = mariaDbPerFile();

storeSuite('MariaDB', async () => new MysqlIndexProvider({ url: maria().url, poolSize: 4, queryTimeoutMs: 10_000 }));

describe('mapistore configured for MariaDB by separate keys', () => {
  it('creates the index tables and provisions a mailbox', async () => {
    const db = maria();
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
