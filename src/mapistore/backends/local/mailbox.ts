// The embedded backend's mailbox: folders, messages and change tracking in one SQLite file per mailbox; IDs,
// CNs and named properties from the index (SQLite or MySQL). Mutations are serialized per mailbox (one
// promise chain): each awaits its IDs from the index, then runs one synchronous SQLite transaction, so an
// operation is applied whole or not at all. Computed folder properties are cached per folder and dropped by every
// transaction (write()), so reads stay exact.
import Database from 'better-sqlite3';
import { propId, toFileTime, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { decodeLongTermId, eidGlobcnt, eidReplId, encodeLongTermId } from '../../../mapi/ids.js';
import { guidToBytes } from '../../../util/guid.js';
import { turns } from '../../../util/turns.js';
import { addressBookEntryId } from '../../../mapi/entryid.js';
import type { PropertyName } from '../../../mapi/named.js';
import { notFound, SEC, StoreError } from '../../errors.js';
import type { MailboxIndex } from '../../index/types.js';
import { pclAfterChange } from '../../pcl.js';
import { pickProps } from '../../proppick.js';
import { badValue, checkValue, decodeProps, encodeProps } from '../../propcodec.js';
import { SPECIAL_FOLDERS } from '../../special.js';
import { TAG } from '../../tags.js';
import {
  DEL_FOLDERS, DEL_MESSAGES, DELETE_HARD_DELETE, FOLDER_GENERIC, FOLDER_SEARCH,
  type ChangeEntry, type ChangeInfo, type ContentsOptions, type CreatedFolder, type DeleteResult, type FolderInit,
  type HierarchyOptions, type MailboxOwner, type MailboxStore, type MessageInit, type MessageObject, type MoveCopyResult,
  type PropertyProblem, type PropResult, type ReceiveFolderEntry, type Row, type SpecialFolderName, type SpecialFolders,
} from '../../types.js';
import { feid, folderProps, xid, type PropCtx } from './computed.js';
import {
  FOLDER_COLUMN_IDS, FOLDER_COMPUTED, REPL_ID, checkName, deleteSameId, eid, g2n, stripRen, toMap,
} from './helpers.js';
import { DEFAULT_MAX_VALUE } from './objects.js';
import { PROVISION_IDS, provisionMailbox } from './provision.js';
import * as msg from './messages.js';
import * as obj from './objects.js';
import { BlobStore } from './blobs.js';
import * as rf from './receive.js';
import * as perm from './permissions.js';
import * as rules from './rules.js';
import type { RuleChange, StoredRule } from '../../types.js';
import type { PermissionChange, PermissionEntry } from '../../types.js';
import { addBigColumn, LOCAL_SCHEMA, type FolderKey, type FolderRow, type MessageRow } from './schema.js';
import { MailboxEvents } from '../../events.js';
import { SearchFolders } from './search.js';
import type { SearchCriteria, SearchCriteriaChange } from '../../types.js';
import * as ev from './events-emit.js';
import * as ics from './ics-import.js';
import type { IcsFolderImport, IcsImportTracking } from '../../types.js';

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
 * Store-object properties no client sets (ecComputed), besides those storeComputed gives: the mailbox size, and the
 * limits the server decides (smtp.maxSendSizeKb; the IMAP backend's quota, docs/imap.md "Quota"), also where it has none
 * (a value set there would show as a quota the server does not enforce).
 */
const STORE_LIMITS = [TAG.MessageSizeExtended, TAG.MaximumSubmitMessageSize, TAG.ProhibitReceiveQuota, TAG.ProhibitSendQuota, TAG.StorageQuotaLimit];

export class LocalMailbox implements MailboxStore {
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
  readonly pctx: PropCtx;
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
  readonly search: SearchFolders;

  constructor(
    readonly db: Database.Database,
    readonly index: MailboxIndex,
    readonly owner: MailboxOwner,
    private readonly opts: LocalMailboxOptions,
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
    this.pctx = { mailboxGuid: this.mailboxGuid, replGuid: this.replGuid, counts: this.st.counts, childCount: this.st.childCount, imported: ics.importedKeys(this) };
    this.search = new SearchFolders(this);
    obj.backfillHasAttachments(this);
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

  private meta(k: string): string | null {
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

  private isAncestor(anc: number, fid: number): boolean {
    let cur: number | null = fid;
    while (cur !== null) {
      if (cur === anc) return true;
      cur = (this.st.folder.get(cur) as FolderRow | undefined)?.parent ?? null;
    }
    return false;
  }

  /** @internal */
  changeInfo(id: number, cn: number, pcl: Buffer, modified: number): ChangeInfo {
    return { cn: eid(cn), sourceKey: this.xid(id), changeKey: this.xid(cn), pcl, lastModified: toFileTime(new Date(modified)) };
  }

  // ------------------------------------------------------------------ store object

  /**
   * Properties of the store object the store computes (not settable). `withSize` false leaves out the mailbox size
   * (PidTagMessageSizeExtended: a sum over every message) for reads that do not ask for it.
   */
  private storeComputed(withSize = true): Map<number, PropValue> {
    const sp = this.special;
    const fe = (k: SpecialFolderName) => this.feid(g2n(eidGlobcnt(sp[k])));
    const m = new Map<number, PropValue>([
      [TAG.ObjectType, 1],
      [TAG.DisplayName, `Mailbox - ${this.owner.displayName}`],
      [TAG.MailboxOwnerName, this.owner.displayName],
      // a private mailbox is opened by its owner: the logged-on user is the owner
      [TAG.UserName, this.owner.displayName],
      [TAG.RecordKey, guidToBytes(this.mailboxGuid)],
      [TAG.MappingSignature, guidToBytes(this.mailboxGuid)],
      [TAG.IpmSubtreeEntryId, fe('ipmSubtree')],
      [TAG.IpmOutboxEntryId, fe('outbox')],
      [TAG.IpmWastebasketEntryId, fe('deletedItems')],
      [TAG.IpmSentMailEntryId, fe('sentItems')],
      [TAG.ViewsEntryId, fe('views')],
      [TAG.CommonViewsEntryId, fe('commonViews')],
      [TAG.FinderEntryId, fe('finder')],
      // MS-OXCSTOR PidTagValidFolderMask: every FM_VALID_* bit (all special folders exist)
      [TAG.ValidFolderMask, 0xff],
      [TAG.StoreState, 0],
    ]);
    // MS-OXCSTOR: the largest message the owner may submit, which Outlook checks before it submits
    if (this.opts.maxSubmitKb) m.set(TAG.MaximumSubmitMessageSize, this.opts.maxSubmitKb);
    if (/^[\x01-\x7f]+$/.test(this.owner.legacyDn)) {
      const ab = addressBookEntryId(this.owner.legacyDn);
      m.set(TAG.MailboxOwnerEntryId, ab);
      m.set(TAG.UserEntryId, ab);
    }
    if (!withSize) return m;
    const size = (this.db.prepare('SELECT coalesce(sum(size), 0) AS n FROM messages').get() as { n: number }).n;
    m.set(TAG.MessageSizeExtended, BigInt(size));
    return m;
  }

  /** `size: false`: without PidTagMessageSizeExtended, not summed (the IMAP backend's quota gives the usage). */
  async storeProps(tags?: readonly number[], opts: { size?: boolean } = {}): Promise<PropResult[]> {
    const m = decodeProps(this.meta('store_props'));
    const sizeId = propId(TAG.MessageSizeExtended);
    for (const [t, v] of this.storeComputed(opts.size !== false && (!tags || tags.some((t) => propId(t) === sizeId)))) m.set(t, v);
    return pickProps(m, tags);
  }

  setStoreProps(values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    return this.serial(async () => this.changeStoreProps(values, []));
  }

  deleteStoreProps(tags: readonly number[]): Promise<PropertyProblem[]> {
    return this.serial(async () => this.changeStoreProps([], tags));
  }

  private changeStoreProps(values: readonly TaggedValue[], tags: readonly number[]): PropertyProblem[] {
    const computed = new Set([...this.storeComputed(false).keys(), ...STORE_LIMITS].map((t) => propId(t)));
    const m = decodeProps(this.meta('store_props'));
    const problems: PropertyProblem[] = [];
    values.forEach((v, index) => {
      if (computed.has(propId(v.tag))) return problems.push({ index, tag: v.tag, error: SEC.Computed });
      if (!checkValue(v.tag, v.value)) return problems.push({ index, tag: v.tag, error: SEC.InvalidParam });
      deleteSameId(m, v.tag);
      m.set(v.tag >>> 0, v.value);
    });
    tags.forEach((tag, index) => {
      if (computed.has(propId(tag))) return problems.push({ index, tag, error: SEC.Computed });
      deleteSameId(m, tag);
    });
    this.st.setMeta.run('store_props', encodeProps(m));
    return problems;
  }

  // ------------------------------------------------------------------ folders

  async folderExists(fid: bigint): Promise<boolean> {
    return eidReplId(fid) === REPL_ID && this.st.folder.get(g2n(eidGlobcnt(fid))) !== undefined;
  }

  async parentOf(fid: bigint): Promise<bigint | null> {
    const r = this.folderRow(fid);
    return r.parent === null ? null : eid(r.parent);
  }

  async children(fid: bigint): Promise<bigint[]> {
    const r = this.folderRow(fid);
    return (this.st.children.all(r.fid) as FolderRow[]).map((c) => eid(c.fid));
  }

  async findChild(parent: bigint, name: string): Promise<bigint | null> {
    const r = this.folderRow(parent);
    const c = this.st.childByName.get(r.fid, name.toLowerCase()) as { fid: number } | undefined;
    return c ? eid(c.fid) : null;
  }

  createFolder(parent: bigint, init: FolderInit): Promise<CreatedFolder> {
    return this.serial(async () => {
      const p = this.folderRow(parent);
      const type = init.folderType ?? FOLDER_GENERIC;
      if (type !== FOLDER_GENERIC && type !== FOLDER_SEARCH) {
        throw new StoreError('OC_STORE_BAD_FOLDER_TYPE', SEC.InvalidParam, `folder type ${type}`);
      }
      checkName(init.displayName);
      const dup = this.st.childByName.get(p.fid, init.displayName.toLowerCase()) as { fid: number } | undefined;
      if (dup) {
        // MS-OXCFOLD 3.2.5.2: same name under the same parent -> the existing folder (OpenExisting) or ecDuplicateName
        if (init.openExisting) return { fid: eid(dup.fid), existing: true };
        throw new StoreError('OC_STORE_DUPLICATE_NAME', SEC.DuplicateName, `a folder "${init.displayName}" exists`);
      }
      const props = new Map<number, PropValue>();
      if (init.comment !== undefined) props.set(TAG.Comment, init.comment);
      if (init.containerClass !== undefined) props.set(TAG.ContainerClass, init.containerClass);
      for (const v of init.props ?? []) {
        if (FOLDER_COMPUTED.has(propId(v.tag)) || FOLDER_COLUMN_IDS.has(propId(v.tag))) continue;
        if (!checkValue(v.tag, v.value)) throw badValue(v.tag);
        props.set(v.tag >>> 0, v.value);
      }
      const g = await this.ids(2);
      const now = Date.now();
      this.write(() => {
        this.st.insFolder.run(
          g2n(g), p.fid, init.displayName, init.displayName.toLowerCase(), type, null, g2n(g + 1n), now, now,
          pclAfterChange(null, this.replGuid, g + 1n), encodeProps(props),
        );
        this.noteCn(g + 1n);
      });
      ev.folderCreated(this, eid(g), parent);
      return { fid: eid(g), existing: false };
    });
  }

  /** Every folder of the subtree below r (not r), deepest last. */
  private subtree(r: FolderRow): FolderRow[] {
    const out: FolderRow[] = [];
    const walk = (f: FolderRow) => {
      for (const c of this.st.children.all(f.fid) as FolderRow[]) {
        out.push(c);
        walk(c);
      }
    };
    walk(r);
    return out;
  }

  private hasSpecial(rows: FolderRow[]): boolean {
    return rows.some((x) => x.special !== null);
  }

  /**
   * @internal What deleteFolder(fid, flags) refuses, found without changing anything: its error (a special folder), the
   * PartialCompletion it answers, or null when it would delete. (The IMAP backend asks first: an IMAP DELETE cannot be
   * taken back.)
   */
  deleteFolderRefusal(fid: bigint, flags: number): DeleteResult | null {
    const r = this.folderRow(fid);
    if (r.special !== null) throw new StoreError('OC_STORE_SPECIAL_FOLDER', SEC.AccessDenied, `special folder ${r.special} cannot be deleted`);
    const below = this.subtree(r);
    const msgCount = (this.db.prepare('SELECT count(*) AS n FROM messages WHERE fid = ?').get(r.fid) as { n: number }).n;
    // MS-OXCFOLD 3.2.5.3: without DEL_FOLDERS / DEL_MESSAGES a non-empty folder stays (PartialCompletion)
    if (below.length > 0 && !(flags & DEL_FOLDERS)) return { partial: true, reason: SEC.HasFolders };
    if (msgCount > 0 && !(flags & DEL_MESSAGES)) return { partial: true, reason: SEC.HasMessages };
    if (!(flags & DEL_MESSAGES) && below.some((f) => this.st.counts.all(f.fid).length > 0)) return { partial: true, reason: SEC.HasMessages };
    if (this.hasSpecial(below)) return { partial: true, reason: SEC.AccessDenied };
    return null;
  }

  /**
   * @internal The folders emptyFolder(fid) deletes: every subfolder whose subtree holds no special folder, with its
   * subtree, each parent before its children.
   */
  emptiedFolders(fid: bigint): bigint[] {
    const out: bigint[] = [];
    for (const k of this.st.children.all(this.folderRow(fid).fid) as FolderRow[]) {
      const below = this.subtree(k);
      if (k.special !== null || this.hasSpecial(below)) continue;
      for (const f of [k, ...below]) out.push(eid(f.fid));
    }
    return out;
  }

  /** @internal True for a search folder (its messages are links to messages of other folders: search.ts). */
  isSearchFolder(fid: bigint): boolean {
    return this.folderRow(fid).folder_type === FOLDER_SEARCH;
  }

  deleteFolder(fid: bigint, flags: number): Promise<DeleteResult> {
    return this.serial(async () => {
      const refused = this.deleteFolderRefusal(fid, flags);
      if (refused) return refused;
      const r = this.folderRow(fid);
      const below = this.subtree(r);
      const hard = (flags & DELETE_HARD_DELETE) !== 0;
      const cn = await this.ids(1);
      this.write(() => {
        for (const f of [r, ...below]) this.dropFolderContents(f.fid, cn, hard, true);
        this.st.tomb.run('folder', r.fid, r.parent, g2n(cn), 0, hard ? 1 : 0);
        for (const f of below) this.st.tomb.run('folder', f.fid, f.parent, g2n(cn), 0, hard ? 1 : 0);
        const del = this.db.prepare('DELETE FROM folders WHERE fid = ?');
        for (const f of [...below].reverse()) del.run(f.fid);
        del.run(r.fid);
        this.noteCn(cn);
      });
      ev.folderDeleted(this, fid, r.parent === null ? null : eid(r.parent));
      return { partial: false };
    });
  }

  /** Deletes messages of a folder (all, or only normal ones), writing tombstones with `cn`. */
  private dropFolderContents(fid: number, cn: bigint, hard: boolean, withAssoc: boolean): void {
    const rows = this.db.prepare(`SELECT mid, assoc FROM messages WHERE fid = ?${withAssoc ? '' : ' AND assoc = 0'}`).all(fid) as { mid: number; assoc: number }[];
    for (const m of rows) this.st.tomb.run('message', m.mid, fid, g2n(cn), m.assoc, hard ? 1 : 0);
    for (const m of rows) obj.dropContent(this, m.mid);
    this.db.prepare(`DELETE FROM messages WHERE fid = ?${withAssoc ? '' : ' AND assoc = 0'}`).run(fid);
  }

  moveFolder(fid: bigint, newParent: bigint, newName?: string): Promise<void> {
    return this.serial(async () => {
      const r = this.folderRow(fid);
      const p = this.folderRow(newParent);
      if (r.special !== null) throw new StoreError('OC_STORE_SPECIAL_FOLDER', SEC.AccessDenied, `special folder ${r.special} cannot be moved`);
      if (this.isAncestor(r.fid, p.fid)) throw new StoreError('OC_STORE_FOLDER_CYCLE', SEC.FolderCycle, 'a folder cannot move below itself');
      const name = newName ?? r.name;
      checkName(name);
      const dup = this.st.childByName.get(p.fid, name.toLowerCase()) as { fid: number } | undefined;
      if (dup && dup.fid !== r.fid) throw new StoreError('OC_STORE_DUPLICATE_NAME', SEC.DuplicateName, `a folder "${name}" exists`);
      const cn = await this.ids(1);
      this.write(() => {
        this.db
          .prepare('UPDATE folders SET parent = ?, name = ?, name_lc = ?, cn = ?, modified = ?, pcl = ? WHERE fid = ?')
          .run(p.fid, name, name.toLowerCase(), g2n(cn), Date.now(), pclAfterChange(r.pcl, this.replGuid, cn), r.fid);
        if (r.parent !== p.fid) this.st.tomb.run('folder', r.fid, r.parent, g2n(cn), 0, 0);
        // a folder moved back under a former parent is no longer deleted there
        this.db.prepare("DELETE FROM tombstones WHERE kind = 'folder' AND id = ? AND parent = ?").run(r.fid, p.fid);
        this.noteCn(cn);
      });
      ev.folderMoved(this, fid, newParent, r.parent === null ? null : eid(r.parent));
    });
  }

  copyFolder(fid: bigint, newParent: bigint, o: { newName?: string; recursive?: boolean } = {}): Promise<bigint> {
    return this.serial(async () => {
      const r = this.folderRow(fid);
      const p = this.folderRow(newParent);
      if (this.isAncestor(r.fid, p.fid)) throw new StoreError('OC_STORE_FOLDER_CYCLE', SEC.FolderCycle, 'a folder cannot be copied below itself');
      const name = o.newName ?? r.name;
      checkName(name);
      if (this.st.childByName.get(p.fid, name.toLowerCase())) {
        throw new StoreError('OC_STORE_DUPLICATE_NAME', SEC.DuplicateName, `a folder "${name}" exists`);
      }
      const folders = [r, ...(o.recursive ? this.subtree(r) : [])];
      const msgs = folders.map((f) => this.db.prepare('SELECT * FROM messages WHERE fid = ? ORDER BY mid').all(f.fid) as MessageRow[]);
      const nMsgs = msgs.reduce((n, l) => n + l.length, 0);
      // one id + one CN per folder and per message
      let g = await this.ids(2 * (folders.length + nMsgs));
      const take = () => g++;
      const now = Date.now();
      const map = new Map<number, number>();
      this.write(() => {
        folders.forEach((f, i) => {
          const nf = take();
          const cn = take();
          map.set(f.fid, g2n(nf));
          const parent = i === 0 ? p.fid : (map.get(f.parent as number) as number);
          const nm = i === 0 ? name : f.name;
          // a copy is an ordinary folder, even of a special one
          this.st.insFolder.run(g2n(nf), parent, nm, nm.toLowerCase(), f.folder_type === 0 ? FOLDER_GENERIC : f.folder_type, null, g2n(cn), now, now,
            pclAfterChange(null, this.replGuid, cn), stripRen(f.props));
          for (const m of msgs[i] as MessageRow[]) {
            const mid = take();
            const mcn = take();
            this.st.insMessage.run(g2n(mid), g2n(nf), m.assoc, m.read, g2n(mcn), now, now, pclAfterChange(null, this.replGuid, mcn), m.size, m.props, m.big);
            obj.copyContent(this, m.mid, g2n(mid));
          }
        });
        this.noteCn(g - 1n);
      });
      ev.folderCopied(this, eid(map.get(r.fid) as number), newParent, fid);
      return eid(map.get(r.fid) as number);
    });
  }

  emptyFolder(fid: bigint, o: { associated?: boolean; hard?: boolean } = {}): Promise<DeleteResult> {
    return this.serial(async () => {
      const r = this.folderRow(fid);
      const kids = this.st.children.all(r.fid) as FolderRow[];
      const cn = await this.ids(1);
      let partial = false;
      this.write(() => {
        this.dropFolderContents(r.fid, cn, o.hard ?? false, o.associated ?? false);
        const del = this.db.prepare('DELETE FROM folders WHERE fid = ?');
        for (const k of kids) {
          const below = this.subtree(k);
          if (k.special !== null || this.hasSpecial(below)) {
            partial = true;
            continue;
          }
          for (const f of [k, ...below]) {
            this.dropFolderContents(f.fid, cn, o.hard ?? false, true);
            this.st.tomb.run('folder', f.fid, f.parent, g2n(cn), 0, o.hard ? 1 : 0);
          }
          for (const f of [k, ...below].reverse()) del.run(f.fid);
        }
        this.noteCn(cn);
      });
      ev.folderEmptied(this, fid, kids.map((k) => eid(k.fid)));
      return { partial };
    });
  }

  async hierarchyRows(fid: bigint, o: HierarchyOptions = {}): Promise<Row[]> {
    const r = this.folderRow(fid);
    const rows: Row[] = [];
    const walk = (f: FolderRow, depth: number) => {
      for (const c of this.st.children.all(f.fid) as FolderRow[]) {
        const all = new Map(this.folderPropsOf(eid(c.fid)));
        all.set(TAG.Depth, depth);
        rows.push({ id: eid(c.fid), props: toMap(pickProps(all, o.tags)) });
        if (o.recursive) walk(c, depth + 1);
      }
    };
    walk(r, 0);
    return rows;
  }

  async getFolderProps(fid: bigint, tags?: readonly number[]): Promise<PropResult[]> {
    return pickProps(this.folderPropsOf(fid), tags);
  }

  async listFolderProps(fid: bigint): Promise<number[]> {
    return [...this.folderPropsOf(fid).keys()];
  }

  setFolderProps(fid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    return this.serial(async () => {
      const r = this.folderRow(fid);
      const props = decodeProps(r.props);
      const problems: PropertyProblem[] = [];
      let name = r.name;
      values.forEach((v, index) => {
        const id = propId(v.tag);
        if (FOLDER_COMPUTED.has(id)) return problems.push({ index, tag: v.tag, error: SEC.Computed });
        if (!checkValue(v.tag, v.value)) return problems.push({ index, tag: v.tag, error: SEC.InvalidParam });
        if (id === propId(TAG.DisplayName)) {
          const nm = v.value as string;
          const dup = r.parent === null ? undefined : (this.st.childByName.get(r.parent, nm.toLowerCase()) as { fid: number } | undefined);
          if (nm === '' || nm.length > 256 || (dup && dup.fid !== r.fid)) {
            return problems.push({ index, tag: v.tag, error: nm === '' || nm.length > 256 ? SEC.InvalidParam : SEC.DuplicateName });
          }
          name = nm;
          return;
        }
        deleteSameId(props, v.tag);
        props.set(v.tag >>> 0, v.value);
      });
      if (problems.length === values.length && values.length > 0) return problems;
      const cn = await this.ids(1);
      this.write(() => {
        this.db
          .prepare('UPDATE folders SET name = ?, name_lc = ?, props = ?, cn = ?, modified = ?, pcl = ? WHERE fid = ?')
          .run(name, name.toLowerCase(), encodeProps(props), g2n(cn), Date.now(), pclAfterChange(r.pcl, this.replGuid, cn), r.fid);
        this.noteCn(cn);
      });
      ev.folderModified(this, fid, values.map((v) => v.tag));
      return problems;
    });
  }

  deleteFolderProps(fid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
    return this.serial(async () => {
      const r = this.folderRow(fid);
      const props = decodeProps(r.props);
      const problems: PropertyProblem[] = [];
      tags.forEach((tag, index) => {
        const id = propId(tag);
        if (FOLDER_COMPUTED.has(id) || FOLDER_COLUMN_IDS.has(id)) return problems.push({ index, tag, error: SEC.Computed });
        deleteSameId(props, tag);
      });
      const cn = await this.ids(1);
      this.write(() => {
        this.db.prepare('UPDATE folders SET props = ?, cn = ?, modified = ?, pcl = ? WHERE fid = ?')
          .run(encodeProps(props), g2n(cn), Date.now(), pclAfterChange(r.pcl, this.replGuid, cn), r.fid);
        this.noteCn(cn);
      });
      ev.folderModified(this, fid, tags);
      return problems;
    });
  }

  async folderChangeInfo(fid: bigint): Promise<ChangeInfo> {
    const r = this.folderRow(fid);
    return ics.importedChangeInfo(this, 'folder', fid, this.changeInfo(r.fid, r.cn, r.pcl, r.modified));
  }

  // ------------------------------------------------------------------ messages

  createMessage(fid: bigint, init: MessageInit): Promise<bigint> {
    return this.serial(() => msg.createMessage(this, fid, init));
  }

  bulkInsertMessages(fid: bigint, messages: readonly MessageInit[]): Promise<bigint[]> {
    return this.serial(() => msg.bulkInsertMessages(this, fid, messages));
  }

  saveNewMessages(fid: bigint, messages: readonly MessageObject[]): Promise<{ mid: bigint; cn: bigint }[]> {
    return this.serial(() => obj.saveNewMessages(this, fid, messages));
  }

  newMessage(fid: bigint, o?: { associated?: boolean }): Promise<MessageObject> {
    return obj.newMessage(this, fid, o);
  }

  openMessage(mid: bigint): Promise<MessageObject> {
    return obj.openMessage(this, mid);
  }

  prefetchMessages(mids: readonly bigint[]): Promise<Array<() => Promise<MessageObject>>> {
    return obj.prefetchMessages(this, mids);
  }

  messageExists(mid: bigint): Promise<boolean> {
    return msg.messageExists(this, mid);
  }

  folderOfMessage(mid: bigint): Promise<bigint | null> {
    return msg.folderOfMessage(this, mid);
  }

  async getMessagesProps(mids: readonly bigint[], tags: readonly number[]): Promise<Array<PropResult[] | null>> {
    return msg.getMessagesProps(this, mids, tags);
  }

  async getMessageProps(mid: bigint, tags?: readonly number[]): Promise<PropResult[]> {
    return msg.getMessageProps(this, mid, tags);
  }

  listMessageProps(mid: bigint): Promise<number[]> {
    return msg.listMessageProps(this, mid);
  }

  setMessageProps(mid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    return this.serial(() => msg.setMessageProps(this, mid, values));
  }

  deleteMessageProps(mid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
    return this.serial(() => msg.deleteMessageProps(this, mid, tags));
  }

  async messageChangeInfo(mid: bigint): Promise<ChangeInfo> {
    return ics.importedChangeInfo(this, 'message', mid, await msg.messageChangeInfo(this, mid));
  }

  contentsRows(fid: bigint, o: ContentsOptions = {}): Promise<Row[]> {
    return msg.contentsRows(this, fid, o);
  }

  deleteMessages(fid: bigint, mids: readonly bigint[], o: { hard?: boolean } = {}): Promise<DeleteResult> {
    return this.serial(() => msg.deleteMessages(this, fid, mids, o));
  }

  moveCopyMessages(src: bigint, mids: readonly bigint[], dst: bigint, copy: boolean): Promise<MoveCopyResult> {
    return this.serial(() => msg.moveCopyMessages(this, src, mids, dst, copy));
  }

  notifyNewMail(fid: bigint, mid: bigint): Promise<void> {
    return this.serial(async () => ev.newMail(this, fid, mid));
  }

  setReadFlags(fid: bigint, mids: readonly bigint[] | null, read: boolean): Promise<bigint[]> {
    return this.serial(() => msg.setReadFlags(this, fid, mids, read));
  }

  getMessageStatus(fid: bigint, mid: bigint): Promise<number> {
    return Promise.resolve().then(() => obj.getMessageStatus(this, msg.homeOf(this, fid, mid), mid));
  }

  setMessageStatus(fid: bigint, mid: bigint, flags: number, mask: number): Promise<number> {
    return this.serial(async () => obj.setMessageStatus(this, msg.homeOf(this, fid, mid), mid, flags, mask));
  }

  clearMessageFlags(fid: bigint, mids: readonly bigint[], bits: number): Promise<bigint[]> {
    return this.serial(() => msg.perHomeFolder(this, fid, mids, (f, m) => obj.clearMessageFlags(this, f, m, bits)));
  }

  // ------------------------------------------------------------------ change tracking

  async changesSince(fid: bigint, kind: 'folder' | 'message', sinceCn: bigint): Promise<ChangeEntry[]> {
    const f = this.folderRow(fid);
    const since = sinceCn === 0n ? 0 : g2n(eidGlobcnt(sinceCn));
    const live = kind === 'message'
      ? (this.db.prepare('SELECT mid AS id, cn, assoc FROM messages WHERE fid = ? AND cn > ? ORDER BY cn').all(f.fid, since) as { id: number; cn: number; assoc: number }[])
      : (this.db.prepare('SELECT fid AS id, cn, 0 AS assoc FROM folders WHERE parent = ? AND cn > ? ORDER BY cn').all(f.fid, since) as { id: number; cn: number; assoc: number }[]);
    const dead = this.db
      .prepare('SELECT id, cn, assoc, hard FROM tombstones WHERE parent = ? AND kind = ? AND cn > ? ORDER BY cn')
      .all(f.fid, kind, since) as { id: number; cn: number; assoc: number; hard: number }[];
    const out: ChangeEntry[] = [
      ...live.map((r) => ({ kind, id: eid(r.id), cn: eid(r.cn), deleted: false, associated: r.assoc !== 0, hard: false })),
      ...dead.map((r) => ({ kind, id: eid(r.id), cn: eid(r.cn), deleted: true, associated: r.assoc !== 0, hard: r.hard !== 0 })),
    ];
    return out.sort((a, b) => (eidGlobcnt(a.cn) < eidGlobcnt(b.cn) ? -1 : 1));
  }

  async readChangesSince(fid: bigint, sinceCn: bigint): Promise<{ id: bigint; read: boolean; cn: bigint }[]> {
    const f = this.folderRow(fid);
    const since = sinceCn === 0n ? 0 : g2n(eidGlobcnt(sinceCn));
    const rows = this.db.prepare('SELECT mid, read, read_cn FROM messages WHERE fid = ? AND read_cn > ? ORDER BY read_cn').all(f.fid, since) as {
      mid: number; read: number; read_cn: number;
    }[];
    return rows.map((r) => ({ id: eid(r.mid), read: r.read !== 0, cn: eid(r.read_cn) }));
  }

  async currentCn(): Promise<bigint> {
    const v = this.meta('last_cn');
    return v === null ? 0n : eid(BigInt(v));
  }

  // ------------------------------------------------------------------ named properties

  getNamedIds(names: readonly PropertyName[], create: boolean): Promise<number[]> {
    return this.index.namedIds(names, create);
  }

  getNames(ids: readonly number[]): Promise<(PropertyName | null)[]> {
    return this.index.namesOf(ids);
  }

  async queryNamedProps(guid?: string): Promise<{ id: number; name: PropertyName }[]> {
    return this.index.queryNames(guid);
  }

  // ------------------------------------------------------------------ receive folders, per-user information

  async getReceiveFolder(messageClass: string): Promise<{ fid: bigint; explicitClass: string }> {
    return rf.getReceiveFolder(this.db, messageClass);
  }

  setReceiveFolder(messageClass: string, fid: bigint): Promise<void> {
    return this.serial(async () => rf.setReceiveFolder(this.db, messageClass, fid === 0n ? null : this.folderRow(fid).fid));
  }

  async receiveFolderTable(): Promise<ReceiveFolderEntry[]> {
    return rf.receiveFolderTable(this.db);
  }

  // folder permissions (MS-OXCPERM): permissions.ts
  getPermissions(fid: bigint): Promise<PermissionEntry[]> { return perm.getPermissions(this, fid); }
  modifyPermissions(fid: bigint, changes: readonly PermissionChange[], opts?: { replace?: boolean }): Promise<void> { return perm.modifyPermissions(this, fid, changes, opts); }
  rightsOf(fid: bigint, username: string): Promise<number> { return perm.rightsOf(this, fid, username); }

  // server-side rules (MS-OXORULE): rules.ts
  async listRules(fid: bigint): Promise<StoredRule[]> { return rules.listRules(this, fid); }
  modifyRules(fid: bigint, changes: readonly RuleChange[], opts?: { replace?: boolean }): Promise<bigint[]> { return rules.modifyRules(this, fid, changes, opts?.replace === true); }
  setRuleStatus(fid: bigint, ruleId: bigint, s: { state: number; error: number; problem: string | null }): Promise<void> { return rules.setRuleStatus(this, fid, ruleId, s); }
  recordDeferredActionUpdate(serverEntryId: Buffer, clientEntryId: Buffer): Promise<void> { return rules.recordDeferredActionUpdate(this, serverEntryId, clientEntryId); }
  async deferredActionUpdates(): Promise<{ serverEntryId: Buffer; clientEntryId: Buffer }[]> { return rules.deferredActionUpdates(this); }

  async perUserLongTermIds(databaseGuid: string): Promise<Buffer[]> {
    return rf.perUserLongTermIds(this.db, databaseGuid);
  }

  async perUserGuid(ltid: Uint8Array): Promise<string> {
    return rf.perUserGuid(this.db, ltid);
  }

  async readPerUserInformation(ltid: Uint8Array, offset: number, maxSize: number): Promise<{ data: Buffer; hasFinished: boolean }> {
    return rf.readPerUserInformation(this.db, ltid, offset, maxSize);
  }

  writePerUserInformation(ltid: Uint8Array, offset: number, data: Uint8Array, hasFinished: boolean, replGuid?: string): Promise<void> {
    return this.serial(async () => rf.writePerUserInformation(this.db, ltid, offset, data, hasFinished, replGuid));
  }

  // search folders (MS-OXCFOLD RopSetSearchCriteria / RopGetSearchCriteria): search.ts
  setSearchCriteria(fid: bigint, change: SearchCriteriaChange): Promise<void> { return this.serial(async () => this.search.set(fid, change)); }
  async getSearchCriteria(fid: bigint): Promise<SearchCriteria | null> { return this.search.get(fid); }

  // ICS upload (MS-OXCFXICS 3.2.5.9.4): ics-import.ts
  async findBySourceKey(kind: 'folder' | 'message', sk: Uint8Array): Promise<{ id: bigint; deleted: boolean } | null> { return ics.findBySourceKey(this, kind, sk); }
  async sourceKeyOf(kind: 'folder' | 'message', id: bigint): Promise<Buffer> { return ics.sourceKeyOf(this, kind, id); }
  setChangeTracking(kind: 'folder' | 'message', id: bigint, t: IcsImportTracking): Promise<void> { return this.serial(() => ics.setChangeTracking(this, kind, id, t)); }
  bumpChange(kind: 'folder' | 'message', id: bigint, pcl: Uint8Array): Promise<bigint> { return this.serial(() => ics.bumpChange(this, kind, id, pcl)); }
  importMessageMove(mid: bigint, dst: bigint, t: IcsImportTracking & { sourceKey: Buffer }): Promise<bigint> { return this.serial(() => ics.importMessageMove(this, mid, dst, t)); }
  recordDeletedSourceKeys(kind: 'folder' | 'message', keys: readonly Uint8Array[]): Promise<void> { return this.serial(() => ics.recordDeletedSourceKeys(this, kind, keys)); }
  importFolder(fid: bigint | null, f: IcsFolderImport): Promise<bigint> { return this.serial(async () => (fid === null ? ics.importNewFolder(this, f) : (await ics.importFolderChange(this, fid, f), fid))); }
  importReadStates(fid: bigint, changes: readonly { mid: bigint; read: boolean }[]): Promise<{ cn: bigint | null; changed: bigint[] }> { return this.serial(() => ics.importReadStates(this, fid, changes)); }
  allocateClientRange(count: number): Promise<bigint> { return this.serial(() => ics.allocateClientRange(this, count)); }
  recordDeletedRanges(ranges: readonly { first: bigint; last: bigint }[]): Promise<void> { return this.serial(() => ics.recordDeletedRanges(this, ranges)); }

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
