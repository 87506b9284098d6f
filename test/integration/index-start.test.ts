// The index is made ready when the server starts (src/server.ts, Store.init): with the MySQL index the schema is
// created or upgraded before the listeners open, so a long upgrade never runs under an Outlook logon, and a database
// the server cannot use stops the start with its coded error instead of failing every logon afterwards.
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION } from '../../src/mapistore/index/mysql-schema.js';
import { startTestServer } from '../helpers/full-server.js';
import { DB_NAME, DB_PASSWORD, DB_USER, mariaDbPerFile } from '../helpers/mariadb.js';
import { freePort as closedPort } from '../helpers/ports.js';

const db = mariaDbPerFile();

describe('the index at start', () => {
  it('MySQL: the schema is at the latest version once the server has started, before any logon', async () => {
    await db().sql(`DROP DATABASE IF EXISTS ${DB_NAME}; CREATE DATABASE ${DB_NAME}`);
    const ts = await startTestServer({ index: { provider: 'mysql', mysql: { host: '127.0.0.1', port: db().port, user: DB_USER, password: DB_PASSWORD, database: DB_NAME } } });
    try {
      const v = (await db().sql(`SELECT MAX(version) FROM ${DB_NAME}.ocng_schema_version`)).trim();
      expect(Number(v)).toBe(LATEST_VERSION);
      // no mailbox was opened: the tables came from the start, not from a logon
      expect((await db().sql(`SELECT COUNT(*) FROM ${DB_NAME}.mailboxes`)).trim()).toBe('0');
    } finally {
      await ts.close();
    }
  }, 120_000);

  it('MySQL unreachable: the start fails with OC_STORE_INDEX_UNREACHABLE', async () => {
    const port = await closedPort();
    await expect(startTestServer({ index: { provider: 'mysql', mysql: { host: '127.0.0.1', port, user: DB_USER, password: DB_PASSWORD, database: DB_NAME, connectTimeoutSeconds: 2 } } }))
      .rejects.toMatchObject({ code: 'OC_STORE_INDEX_UNREACHABLE' });
  }, 60_000);
});
