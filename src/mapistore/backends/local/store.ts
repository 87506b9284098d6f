// The embedded backend: one SQLite file per mailbox under `dataDir/mailboxes/`, IDs and named properties in the
// index (SQLite or MySQL). Opening a mailbox the first time provisions it.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { IndexProvider } from '../../index/types.js';
import type { MailboxOwner, MailboxStore, Store } from '../../types.js';
import { LocalMailbox } from './mailbox.js';

export interface LocalStoreOptions {
  /** Directory of the mailbox files (`<dataDir>/mailboxes`). */
  mailboxDir: string;
  index: IndexProvider;
  /** GLOBCNTs fetched from the index per round trip (default 64). */
  idBatch?: number;
  /** Largest property value (bytes) a stream or setProps may store; default 64 MiB. */
  maxValueSize?: number;
  /** SQLite page cache of each mailbox file in KiB (config store.sqliteCacheKb); default the SQLite build's. */
  cacheKb?: number;
  /** PidTagMaximumSubmitMessageSize of every mailbox's store object in KiB (config smtp.maxSendSizeKb); 0 = none. */
  maxSubmitKb?: number;
}

export class LocalStore implements Store {
  private readonly open = new Map<string, Promise<LocalMailbox>>();

  constructor(private readonly o: LocalStoreOptions) {
    fs.mkdirSync(o.mailboxDir, { recursive: true });
  }

  async init(): Promise<{ from: number; to: number; applied: number[] } | null> {
    return this.o.index.init ? await this.o.index.init() : null;
  }

  openMailbox(user: MailboxOwner): Promise<MailboxStore> {
    const key = user.username.toLowerCase();
    let p = this.open.get(key);
    if (!p) {
      p = this.doOpen(user, key);
      this.open.set(key, p);
      p.catch(() => this.open.delete(key));
    }
    return p;
  }

  private async doOpen(user: MailboxOwner, key: string): Promise<LocalMailbox> {
    const index = await this.o.index.openMailbox(key);
    const file = path.join(this.o.mailboxDir, `${index.mailbox.mailboxGuid}.sqlite`);
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      if (this.o.cacheKb) db.pragma(`cache_size = -${Math.floor(this.o.cacheKb)}`);
      const mb = new LocalMailbox(db, index, user, {
        idBatch: this.o.idBatch ?? 64,
        ...(this.o.maxValueSize !== undefined ? { maxValueSize: this.o.maxValueSize } : {}),
        ...(this.o.maxSubmitKb ? { maxSubmitKb: this.o.maxSubmitKb } : {}),
      }, () => this.open.delete(key));
      await mb.init();
      return mb;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    for (const p of all) {
      const mb = await p.catch(() => null);
      if (mb) await mb.close();
    }
    this.open.clear();
    await this.o.index.close();
  }
}
