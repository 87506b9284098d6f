// Entry point of mapistore: builds the Store the server uses from the configuration.
import path from 'node:path';
import { LocalStore } from './backends/local/store.js';
import { MysqlIndexProvider, type MysqlIndexOptions } from './index/mysql.js';
import { SqliteIndexProvider } from './index/sqlite.js';
import type { IndexProvider } from './index/types.js';
import type { Store } from './types.js';
import type { Config, ImapConfig } from '../config/types.js';
import type { Logger } from '../util/log.js';
import { ImapConfigError, ImapCredentials } from './backends/imap/credentials.js';
import { readCaFile } from './backends/imap/pool.js';
import type { UserPasswords } from './backends/imap/user-passwords.js';
import { ImapStore, type ImapWriter } from './backends/imap/store.js';
import type { ImapMirror } from './backends/imap/mirror.js';

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
  store: { backend: 'local' | 'imap'; idBatch: number; sqliteCacheKb?: number };
  /** Required with store.backend imap (docs/imap.md). */
  imap?: ImapConfig;
  /** The IMAP backend's logger (warnings about the IMAP server). */
  logger?: Logger;
  /** Replaces the IMAP write-back of a mailbox (default ImapWriteBack). */
  imapWriter?: (mirror: ImapMirror) => ImapWriter;
  /** imap.auth userPassword: where the front door keeps users' HTTP Basic passwords for the IMAP logins. */
  userPasswords?: UserPasswords;
  /** The `index.*` keys (src/config/types.ts). */
  index: Config['index'];
  /** smtp.maxSendSizeKb: shown to Outlook as the store's PidTagMaximumSubmitMessageSize; 0 or absent = none. */
  maxSubmitKb?: number;
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
  return new SqliteIndexProvider(path.join(c.dataDir, 'index.sqlite'), c.store.sqliteCacheKb);
}

export function createStore(c: StoreConfig): Store {
  if (c.store.backend === 'imap') {
    if (!c.imap || !c.logger) throw new ImapConfigError('store.backend is imap but the store was built without the imap section or a logger');
    // checked before the index opens: a bad imap.* stops the start-up without touching the data directory
    if (!c.imap.host) throw new ImapConfigError('store.backend is imap but imap.host is empty');
    new ImapCredentials(c.imap); // eslint-disable-line no-new -- throws OC_IMAP_CONFIG naming the missing key
    if (c.imap.caFile) readCaFile(c.imap.caFile);
    const local = new LocalStore({ mailboxDir: path.join(c.dataDir, 'mailboxes'), index: createIndex(c), idBatch: c.store.idBatch, cacheKb: c.store.sqliteCacheKb, ...(c.maxSubmitKb ? { maxSubmitKb: c.maxSubmitKb } : {}) });
    return new ImapStore({
      local, imap: c.imap, log: c.logger, ...(c.imapWriter ? { writer: c.imapWriter } : {}), ...(c.userPasswords ? { userPasswords: c.userPasswords } : {}),
    });
  }
  return new LocalStore({ mailboxDir: path.join(c.dataDir, 'mailboxes'), index: createIndex(c), idBatch: c.store.idBatch, cacheKb: c.store.sqliteCacheKb, ...(c.maxSubmitKb ? { maxSubmitKb: c.maxSubmitKb } : {}) });
}
