// The groundwork of the embedded backend's mailbox (LocalMailboxBase; LocalMailbox in mailbox.ts adds the
// MailboxStore calls): the SQLite file with its prepared statements, provisioning and the special-folder table (init),
// the serial chain of mutations, write() transactions, GLOBCNT/CN allocation from the index, the folder property
// cache, row lookups, and close. Mutations are serialized per mailbox (one promise chain): each awaits its IDs from
// the index, then runs one synchronous SQLite transaction, so an operation is applied whole or not at all. Computed
// folder properties are cached per folder and dropped by every transaction (write()), so reads stay exact.
import Database from 'better-sqlite3';
import { toFileTime, type PropValue } from '../../../mapi/props.js';
import { decodeLongTermId, eidGlobcnt, eidReplId, encodeLongTermId } from '../../../mapi/ids.js';
import { turns } from '../../../util/turns.js';
import { notFound, SEC, StoreError } from '../../errors.js';
import { MailboxEvents } from '../../events.js';
import type { MailboxIndex } from '../../index/types.js';
import { SPECIAL_FOLDERS } from '../../special.js';
import type { ChangeInfo, MailboxOwner, SpecialFolderName, SpecialFolders } from '../../types.js';
import { BlobStore } from './blobs.js';
import { feid, folderProps, xid, type PropCtx } from './computed.js';
import * as ev from './events-emit.js';
import { REPL_ID, eid, g2n } from './helpers.js';
import { DEFAULT_MAX_VALUE } from './prop-object.js';
import { PROVISION_IDS, provisionMailbox } from './provision.js';
import { addBigColumn, LOCAL_SCHEMA, type FolderKey, type FolderRow, type MessageRow } from './schema.js';
import type { SearchFolders } from './search.js';

/** Folders whose computed properties stay cached (LocalMailbox.folderPropsOf). */
const FOLDER_CACHE_MAX = 512;

export interface LocalMailboxOptions {
  /** GLOBCNTs fetched from the index per round trip (IDs and CNs). */
  idBatch: number;
  /** Largest property value a stream or setProps may store (bytes; default 64 MiB). */
  maxValueSize?: number;
  /** PidTagMaximumSubmitMessageSize of the store object in KiB (config smtp.maxSendSizeKb); 0 or absent = none. */
  maxSubmitKb?: number;
}

/**
 * What every LocalMailbox holds and the calls its modules build on. Abstract: only LocalMailbox (mailbox.ts) is made,
 * which sets `pctx` and `search` (they take the whole mailbox) right after this constructor.
 */
export abstract class LocalMailboxBase {
  readonly replId = 1 as const;
  readonly mailboxGuid: string;
  readonly replGuid: string;
  special!: SpecialFolders;
  private readonly turn = turns();
  /** @internal the unused rest of the last GLOBCNT range */
  cache: { next: bigint; end: bigint } = { next: 0n, end: 0n };
  /** @internal prepared statements */
  readonly st;
  /** @internal */
  abstract readonly pctx: PropCtx;
  /**
   * Computed folder properties (the stored ones decoded, counts, entry ids) by folder GLOBCNT, built on first read.
   * Every write to the mailbox file goes through write(), which empties the cache when its transaction ends
   * (committed or rolled back), so a read never sees values older than the last write. One LocalMailbox owns
   * its file (LocalStore opens each mailbox once), so no other writer can make an entry stale.
   */
  private readonly folderCache = new Map<number, Map<number, PropValue>>();
  /** @internal large values (blobs.ts) */
  readonly blobs: BlobStore;
  /** @internal */
  readonly maxValueSize: number;
  readonly events = new MailboxEvents(ev.listenerFailed);
  /** @internal search folders (search.ts): criteria, contents, kept up to date from `events` */
  abstract readonly search: SearchFolders;

  constructor(
    readonly db: Database.Database,
    readonly index: MailboxIndex,
    readonly owner: MailboxOwner,
    /** @internal */
    readonly opts: LocalMailboxOptions,
    private readonly onClose: () => void,
  ) {
    this.mailboxGuid = index.mailbox.mailboxGuid;
    this.replGuid = index.mailbox.replGuid;
    db.exec(LOCAL_SCHEMA);
    addBigColumn(db);
    fillFolderCounts(db);
    this.blobs = new BlobStore(db);
    this.blobs.sweep();
    this.maxValueSize = opts.maxValueSize ?? DEFAULT_MAX_VALUE;
    this.st = {
      folder: db.prepare('SELECT * FROM folders WHERE fid = ?'),
      folderKey: db.prepare('SELECT fid, parent, folder_type FROM folders WHERE fid = ?'),
      children: db.prepare('SELECT * FROM folders WHERE parent = ? ORDER BY fid'),
      childByName: db.prepare('SELECT fid FROM folders WHERE parent = ? AND name_lc = ?'),
      message: db.prepare('SELECT * FROM messages WHERE mid = ?'),
      // change tracking only: the stored property text (a message's ~10 KB) is not read
      messageChange: db.prepare('SELECT mid, cn, pcl, modified FROM messages WHERE mid = ?'),
      // kept by triggers (schema.ts folder_counts): one row per kind, none for a kind without messages
      counts: db.prepare('SELECT assoc, n, unread, size FROM folder_counts WHERE fid = ? AND n > 0 ORDER BY assoc'),
      childCount: db.prepare('SELECT count(*) AS n FROM folders WHERE parent = ?'),
      insMessage: db.prepare(
        'INSERT INTO messages (mid, fid, assoc, read, read_cn, cn, created, modified, pcl, size, props, big) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insFolder: db.prepare(
        'INSERT INTO folders (fid, parent, name, name_lc, folder_type, special, cn, created, modified, pcl, props) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      tomb: db.prepare('INSERT OR REPLACE INTO tombstones (kind, id, parent, cn, assoc, hard) VALUES (?, ?, ?, ?, ?, ?)'),
      setMeta: db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
      getMeta: db.prepare('SELECT v FROM meta WHERE k = ?'),
    };
  }

  // ------------------------------------------------------------------ setup

  /** Loads the special-folder table, provisioning the mailbox first when it has none. */
  async init(): Promise<void> {
    await this.serial(async () => {
      if (!this.meta('provisioned')) {
        const first = await this.index.allocate(2 * PROVISION_IDS);
        provisionMailbox(this.db, this.mailboxGuid, this.replGuid, first);
      }
      const m = new Map<string, bigint>();
      for (const r of this.db.prepare('SELECT fid, special FROM folders WHERE special IS NOT NULL').all() as { fid: number; special: string }[]) {
        m.set(r.special, eid(r.fid));
      }
      const sp = {} as Record<SpecialFolderName, bigint>;
      for (const d of SPECIAL_FOLDERS) {
        const f = m.get(d.key);
        if (f === undefined) throw new StoreError('OC_STORE_CORRUPT', SEC.Error, `special folder ${d.key} missing`);
        sp[d.key] = f;
      }
      this.special = Object.freeze(sp);
    });
  }

  /** @internal Runs `fn` as one SQLite transaction: every write to the mailbox file goes through here. */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } finally {
      this.folderCache.clear();
      this.writeGen++;
    }
  }

  /**
   * @internal Counts the transactions of write() (and in-memory changes of imported keys): an open message object
   * keeps its computed properties while this stays the same (objects.ts).
   */
  writeGen = 0;

  /** @internal The computed properties of a folder, shared with the cache: callers must copy before changing them. */
  folderPropsOf(fid: bigint): Map<number, PropValue> {
    const g = eidReplId(fid) === REPL_ID ? g2n(eidGlobcnt(fid)) : -1;
    const hit = this.folderCache.get(g);
    if (hit) return hit;
    const m = folderProps(this.pctx, this.folderRow(fid));
    this.search.adjustFolderProps(fid, m);
    // bounded: the oldest entry goes first (a mailbox with thousands of folders browsed once)
    if (this.folderCache.size >= FOLDER_CACHE_MAX) this.folderCache.delete(this.folderCache.keys().next().value as number);
    this.folderCache.set(g, m);
    return m;
  }

  /** @internal A value of the meta table (null: none). */
  meta(k: string): string | null {
    return (this.st.getMeta.get(k) as { v: string } | undefined)?.v ?? null;
  }

  /**
   * Runs `fn`, a run of many mutations (the IMAP mirror's fetch batch), inside one SQLite transaction: each write of
   * it (write(), a better-sqlite3 transaction) becomes a savepoint, and the changes reach the WAL once, at the end,
   * instead of at every message (a commit per mirrored message was ~15% of the mirror's CPU). The transaction is
   * committed whatever `fn` does: every write inside it has either succeeded or rolled back its own savepoint, so
   * what is committed is exactly what succeeded. Writes of other requests made meanwhile join it (one connection per
   * mailbox); a call inside another runs in the outer one. Until the commit another process reading this mailbox
   * file would not see the batch (the server has one connection per mailbox, so only external tools could).
   */
  async writeBatch<T>(fn: () => Promise<T>): Promise<T> {
    if (this.db.inTransaction) return fn();
    this.db.exec('BEGIN');
    try {
      return await fn();
    } finally {
      if (this.db.open && this.db.inTransaction) this.db.exec('COMMIT');
    }
  }

  /** @internal Runs mutations one after another (their index round trips must not interleave). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.turn(fn);
  }

  /** `count` fresh GLOBCNTs in a row, from the cached range or the index. */
  /** @internal */
  async ids(count: number): Promise<bigint> {
    if (this.cache.end - this.cache.next >= BigInt(count)) {
      const g = this.cache.next;
      this.cache.next += BigInt(count);
      return g;
    }
    // a new range lies above the cached one: drop the rest of the cache so GLOBCNTs (and CNs) keep rising in time
    this.cache = { next: 0n, end: 0n };
    if (count >= this.opts.idBatch) return this.index.allocate(count);
    const first = await this.index.allocate(this.opts.idBatch);
    this.cache = { next: first + BigInt(count), end: first + BigInt(this.opts.idBatch) };
    return first;
  }

  /** @internal */
  noteCn(cn: bigint): void {
    const cur = this.meta('last_cn');
    if (cur === null || BigInt(cur) < cn) this.st.setMeta.run('last_cn', String(cn));
  }

  // ------------------------------------------------------------------ IDs

  allocateRange(count: number): Promise<bigint> {
    return this.serial(() => {
      this.cache = { next: 0n, end: 0n };
      return this.index.allocate(count);
    });
  }

  async newId(): Promise<bigint> {
    return eid(await this.serial(() => this.ids(1)));
  }

  longTermIdFromId(id: bigint): Buffer {
    if (eidReplId(id) !== REPL_ID) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `unknown replica id ${eidReplId(id)}`);
    return encodeLongTermId({ guid: this.replGuid, globcnt: eidGlobcnt(id) });
  }

  idFromLongTermId(ltid: Uint8Array): bigint {
    const l = decodeLongTermId(ltid);
    if (l.guid !== this.replGuid) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `unknown replica GUID ${l.guid}`);
    return eid(l.globcnt);
  }

  // ------------------------------------------------------------------ helpers

  /** @internal */
  /** A prepared statement for `text`, prepared once per mailbox (hot write paths run the same few statements). */
  sql(text: string): Database.Statement {
    let st = this.sqlCache.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.sqlCache.set(text, st);
    }
    return st;
  }
  private readonly sqlCache = new Map<string, Database.Statement>();

  folderRow(fid: bigint): FolderRow {
    const r = eidReplId(fid) === REPL_ID ? (this.st.folder.get(g2n(eidGlobcnt(fid))) as FolderRow | undefined) : undefined;
    if (!r) throw notFound('folder', fid);
    return r;
  }

  /**
   * @internal The identity of a folder (its GLOBCNT, parent and type) without its properties and PCL: what message
   * saves and events need, at about a third of folderRow's cost (measured: 2-4 against 7-11 us a call).
   */
  folderKey(fid: bigint): FolderKey {
    const r = eidReplId(fid) === REPL_ID ? (this.st.folderKey.get(g2n(eidGlobcnt(fid))) as FolderKey | undefined) : undefined;
    if (!r) throw notFound('folder', fid);
    return r;
  }

  /** @internal */
  messageRow(mid: bigint): MessageRow {
    const r = eidReplId(mid) === REPL_ID ? (this.st.message.get(g2n(eidGlobcnt(mid))) as MessageRow | undefined) : undefined;
    if (!r) throw notFound('message', mid);
    return r;
  }

  /** @internal */
  xid(g: number | bigint): Buffer {
    return xid(this.pctx, g);
  }

  /** @internal */
  feid(g: number): Buffer {
    return feid(this.pctx, g);
  }

  /** @internal */
  changeInfo(id: number, cn: number, pcl: Buffer, modified: number): ChangeInfo {
    return { cn: eid(cn), sourceKey: this.xid(id), changeKey: this.xid(cn), pcl, lastModified: toFileTime(new Date(modified)) };
  }

  // ------------------------------------------------------------------ close

  async close(): Promise<void> {
    await this.serial(async () => undefined); // the mutations under way first
    await this.index.close();
    if (this.db.open) this.db.close();
    this.onClose();
  }
}

/** Fills folder_counts from the messages once, for a mailbox file made before the table existed. */
function fillFolderCounts(db: Database.Database): void {
  const done = db.prepare("SELECT v FROM meta WHERE k = 'folder_counts'").get();
  if (done) return;
  db.transaction(() => {
    db.exec('DELETE FROM folder_counts');
    db.exec('INSERT INTO folder_counts (fid, assoc, n, unread, size) SELECT fid, assoc, count(*), sum(read = 0), sum(size) FROM messages GROUP BY fid, assoc');
    db.prepare("INSERT OR REPLACE INTO meta (k, v) VALUES ('folder_counts', '1')").run();
  })();
}
