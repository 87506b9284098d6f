import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { createIndex, createStore, type StoreConfig } from '../../src/mapistore/index.js';
import type { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';

// the configuration is a StoreConfig (compile-time check)
const asStoreConfig = (c: Config): StoreConfig => c;

describe('store and index configuration', () => {
  it('defaults to the embedded backend with the SQLite index', () => {
    const c = loadConfig({ env: {}, cwd: os.tmpdir(), file: '' });
    expect(c.store).toEqual({ backend: 'local', idBatch: 64, sqliteCacheKb: 4096 });
    expect(c.index.provider).toBe('sqlite');
    expect(c.index.mysql).toMatchObject({ url: '', host: '127.0.0.1', port: 3306, database: 'ocng', poolSize: 10 });
  });

  it('takes the MySQL index settings from flags and the environment', () => {
    const c = loadConfig({
      env: { OCNG_INDEX__MYSQL__POOL_SIZE: '3' },
      cwd: os.tmpdir(),
      file: '',
      set: ['index.provider=mysql', 'index.mysql.url=mysql://u:p@127.0.0.1:3307/db'],
    });
    expect(c.index.provider).toBe('mysql');
    expect(c.index.mysql.url).toBe('mysql://u:p@127.0.0.1:3307/db');
    expect(c.index.mysql.poolSize).toBe(3);
    expect(() => loadConfig({ env: {}, cwd: os.tmpdir(), file: '', set: ['index.mysql.url=http://x'] })).toThrow();
  });

  it('createStore opens and provisions a mailbox under dataDir', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-storecfg-'));
    try {
      const c = loadConfig({ env: {}, cwd: dir, file: '', set: [`dataDir=${dir}`] });
      const store = createStore(asStoreConfig(c));
      const mb = await store.openMailbox({ username: 'demo', displayName: 'Demo', legacyDn: '/o=x/cn=demo' });
      expect(fs.existsSync(path.join(dir, 'index.sqlite'))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'mailboxes', `${mb.mailboxGuid}.sqlite`))).toBe(true);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('store.sqliteCacheKb sets the page cache of the mailbox files and of the SQLite index; out of range is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-storecfg-'));
    try {
      const c = loadConfig({ env: { OCNG_STORE__SQLITE_CACHE_KB: '1536' }, cwd: dir, file: '', set: [`dataDir=${dir}`] });
      expect(c.store.sqliteCacheKb).toBe(1536);
      const index = createIndex(asStoreConfig(c)) as SqliteIndexProvider;
      expect(index.db.pragma('cache_size', { simple: true })).toBe(-1536);
      await index.close();
      const store = createStore(asStoreConfig(c));
      const mb = (await store.openMailbox({ username: 'demo', displayName: 'Demo', legacyDn: '/o=x/cn=demo' })) as LocalMailbox;
      expect(mb.db.pragma('cache_size', { simple: true })).toBe(-1536);
      await store.close();
      expect(() => loadConfig({ env: {}, cwd: dir, file: '', set: ['store.sqliteCacheKb=100'] })).toThrow(/sqliteCacheKb/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
