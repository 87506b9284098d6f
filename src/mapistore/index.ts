// Entry point of mapistore: builds the Store the server uses from the configuration.
import path from 'node:path';
import { LocalStore } from './backends/local/store.js';
import { MysqlIndexProvider, type MysqlIndexOptions } from './index/mysql.js';
import { SqliteIndexProvider } from './index/sqlite.js';
import type { IndexProvider } from './index/types.js';
import type { Store } from './types.js';

export * from './types.js';
export { StoreError, SEC } from './errors.js';
export { TAG } from './tags.js';
export { decodePcl, encodePcl, mergePcl, pclAfterChange, pclIncludes, type PclEntry } from './pcl.js';
export { SPECIAL_FOLDERS } from './special.js';
export type { IndexProvider, MailboxIndex, IndexMapping, MailboxRecord } from './index/types.js';
export { SqliteIndexProvider } from './index/sqlite.js';
export { MysqlIndexProvider, type MysqlIndexOptions } from './index/mysql.js';
export { LocalStore } from './backends/local/store.js';

export interface StoreConfig {
  dataDir: string;
  store: { backend: 'local'; idBatch: number };
  index: {
    provider: 'sqlite' | 'mysql';
    mysql: {
      url: string;
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      poolSize: number;
      connectTimeoutSeconds: number;
      queryTimeoutSeconds: number;
      queueLimit?: number;
      acquireTimeoutSeconds?: number;
      maxRetries?: number;
      lockWaitTimeoutSeconds?: number;
      schemaLockTimeoutSeconds?: number;
    };
  };
}

export function createIndex(c: StoreConfig): IndexProvider {
  if (c.index.provider === 'mysql') {
    const m = c.index.mysql;
    const o: MysqlIndexOptions = {
      poolSize: m.poolSize,
      connectTimeoutMs: m.connectTimeoutSeconds * 1000,
      queryTimeoutMs: m.queryTimeoutSeconds * 1000,
      ...(m.queueLimit !== undefined ? { queueLimit: m.queueLimit } : {}),
      ...(m.acquireTimeoutSeconds ? { acquireTimeoutMs: m.acquireTimeoutSeconds * 1000 } : {}),
      ...(m.maxRetries !== undefined ? { maxRetries: m.maxRetries } : {}),
      ...(m.lockWaitTimeoutSeconds ? { lockWaitTimeoutSeconds: m.lockWaitTimeoutSeconds } : {}),
      ...(m.schemaLockTimeoutSeconds ? { schemaLockTimeoutSeconds: m.schemaLockTimeoutSeconds } : {}),
      ...(m.url ? { url: m.url } : { host: m.host, port: m.port, user: m.user, password: m.password, database: m.database }),
    };
    return new MysqlIndexProvider(o);
  }
  return new SqliteIndexProvider(path.join(c.dataDir, 'index.sqlite'));
}

export function createStore(c: StoreConfig): Store {
  return new LocalStore({ mailboxDir: path.join(c.dataDir, 'mailboxes'), index: createIndex(c), idBatch: c.store.idBatch });
}
