// ICS upload support of the embedded backend (MS-OXCFXICS 3.2.5.9.4, issue 7 item 4): objects known by the source
// keys, change keys and PCLs a client sends (foreign XIDs: another namespace GUID than the mailbox's replica GUID,
// or GLOBCNTs of ours the client reserved with RopGetLocalReplicaIds), imported folders, imported read states,
// source keys the client deleted, and the GLOBCNT ranges it gave up (RopSetLocalReplicaMidsetDeleted).
//
// Own tables (created when the mailbox opens, beside schema.ts):
// - ics_keys (kind, id) -> the object's PidTagSourceKey when it is not the server's XID of its id, and the change key
//   and FILETIME the client gave the version stored at CN `cn` (a later local change, with another CN, reports the
//   server's change key again);
// - ics_deleted_keys: source keys the client deleted that never existed here (MS-OXCFXICS 3.2.5.9.4.5: recorded so
//   that a later import does not bring them back);
// - ics_client_ranges / ics_deleted_ranges: GLOBCNT ranges given to the client, and those it said it will not use.
//
// Choices where the spec leaves room:
// - a folder import (create, rename, move, property change) is one transaction with its change tracking;
// - a message import is stored by the message object's own save with its change tracking (source key, change key,
//   PCL, time): MessageObject.save({ tracking }) (objects.ts) writes the message and its ics_keys row in one SQLite
//   transaction (checkTracking before, trackedPcl and putTracking inside), so an import cut off or failing leaves
//   nothing; a move (RopSynchronizationImportMessageMove) is importMessageMove: the move and its tracking in one
//   transaction;
// - IDs (MS-OXCFXICS 3.3.5.2.1): a new message, a new folder or a moved message whose source key is a GID of this
//   replica naming a GLOBCNT of an ics_client_ranges range (RopGetLocalReplicaIds), not in ics_deleted_ranges and not
//   used by any object (live, tombstoned, imported), takes that GLOBCNT as its ID (reservedIdOf; checked again inside
//   the write, claimReservedId); any other key (a foreign GUID, an ID never reserved, given up or already used) gets a
//   fresh server ID and the key is kept in ics_keys. A moved message that takes a new ID leaves a tombstone of its old
//   ID in the source folder (its old key then names a deleted object);
// - the ics_keys rows are kept in memory (importedKeys) for the computed properties (computed.ts): tables, props and
//   opened messages show the client's keys without a query per row;
// - the stored modification time is the client's PidTagLastModificationTime (to the millisecond); the exact FILETIME
//   is kept in ics_keys for the version it came with.
import { eidGlobcnt, eidReplId, globcntFromBytes } from '../../../mapi/ids.js';
import { fromFileTime, propId, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { readGuid } from '../../../util/guid.js';
import { SEC, StoreError, notFound } from '../../errors.js';
import { decodePcl, encodePcl, mergePcl, pclAfterChange } from '../../pcl.js';
import { badValue, checkValue, decodeProps, encodeProps } from '../../propcodec.js';
import { TAG } from '../../tags.js';
import { FOLDER_GENERIC, type ChangeInfo } from '../../types.js';
import type { ImportedKey, ImportedKeys } from './computed.js';
import { FOLDER_COLUMN_IDS, FOLDER_COMPUTED, REPL_ID, checkName, eid, g2n } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';
import type { FolderRow, MessageRow } from './schema.js';
import * as ev from './events-emit.js';

export type IcsKind = 'folder' | 'message';

/** Change tracking a client gave a version (RopSynchronizationImport*). */
export interface ImportTracking {
  /** PidTagSourceKey of the object (first import or move); absent: unchanged. */
  sourceKey?: Buffer;
  /** PidTagChangeKey of the version; null: the server's own (a merged version, e.g. after a conflict). */
  changeKey: Buffer | null;
  /** PidTagPredecessorChangeList of the version (with the change key merged in). */
  pcl: Buffer;
  /**
   * 'replace' (the stored version is exactly the client's: new or client-newer imports, moves): the stored PCL becomes
   * `pcl`; 'merge' (default; a version succeeding both sides): the stored PCL and `pcl` merged.
   */
  pclMode?: 'merge' | 'replace';
  /** PidTagLastModificationTime (FILETIME) of the version; absent: unchanged. */
  lastModified?: bigint;
}

/** What a folder import sets (RopSynchronizationImportHierarchyChange). */
export interface FolderImport {
  parent: bigint;
  displayName: string;
  props: readonly TaggedValue[];
  tracking: ImportTracking & { sourceKey: Buffer };
}

const DDL = `
CREATE TABLE IF NOT EXISTS ics_keys (
  kind TEXT NOT NULL,
  id INTEGER NOT NULL,
  source_key BLOB,
  change_key BLOB,
  cn INTEGER NOT NULL,
  modified TEXT,
  PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS ics_keys_source ON ics_keys (kind, source_key);
CREATE TABLE IF NOT EXISTS ics_deleted_keys (kind TEXT NOT NULL, source_key BLOB NOT NULL, PRIMARY KEY (kind, source_key));
CREATE TABLE IF NOT EXISTS ics_client_ranges (first INTEGER NOT NULL, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ics_deleted_ranges (first INTEGER NOT NULL, last INTEGER NOT NULL);
`;

interface KeyRow { kind: string; id: number; source_key: Buffer | null; change_key: Buffer | null; cn: number; modified: string | null }

/** Per mailbox: the ics_keys rows by kind and GLOBCNT, kept in memory (only imported objects have one). */
interface KeyCache { folder: Map<number, ImportedKey>; message: Map<number, ImportedKey> }
const cache = new WeakMap<LocalMailbox, KeyCache>();
const toKey = (r: KeyRow): ImportedKey => ({ sourceKey: r.source_key, changeKey: r.change_key, cn: r.cn, modified: r.modified === null ? null : BigInt(r.modified) });

function ensure(mb: LocalMailbox): KeyCache {
  let m = cache.get(mb);
  if (m) return m;
  m = { folder: new Map(), message: new Map() };
  // a closed mailbox has nothing to add (the caller's own read reports the closed database)
  if (!mb.db.open) return m;
  mb.db.exec(DDL);
  for (const r of mb.db.prepare('SELECT * FROM ics_keys').all() as KeyRow[]) (r.kind === 'folder' ? m.folder : m.message).set(r.id, toKey(r));
  cache.set(mb, m);
  return m;
}

/**
 * The imported keys of `mb` for its computed properties (computed.ts PropCtx.imported). Called when the mailbox opens:
 * creates the tables then (outside any transaction); the rows are read on first use.
 */
export function importedKeys(mb: LocalMailbox): ImportedKeys {
  if (mb.db.open) mb.db.exec(DDL);
  return {
    any: () => {
      const m = ensure(mb);
      return m.folder.size > 0 || m.message.size > 0;
    },
    folder: (g) => ensure(mb).folder.get(g),
    message: (g) => ensure(mb).message.get(g),
  };
}

/** @internal Reads the ics_keys row of (kind, g) into the cache again (after a committed write). */
export function refresh(mb: LocalMailbox, kind: IcsKind, g: number): void {
  mb.writeGen++;
  const m = ensure(mb)[kind];
  const r = mb.db.prepare('SELECT * FROM ics_keys WHERE kind = ? AND id = ?').get(kind, g) as KeyRow | undefined;
  if (r) m.set(g, toKey(r));
  else m.delete(g);
}

const table = (kind: IcsKind): 'folders' | 'messages' => (kind === 'folder' ? 'folders' : 'messages');
const idCol = (kind: IcsKind): 'fid' | 'mid' => (kind === 'folder' ? 'fid' : 'mid');

/** A source key must be a GID/XID: 16-byte namespace GUID + 1..8-byte local id (MS-OXCFXICS 2.2.2.2). */
export function checkSourceKey(sk: Uint8Array, what = 'source key'): void {
  if (sk.length < 17 || sk.length > 24) throw new StoreError('OC_STORE_BAD_SOURCE_KEY', SEC.InvalidParam, `${what} of ${sk.length} bytes is not an XID`);
}

function keyRow(mb: LocalMailbox, kind: IcsKind, g: number): ImportedKey | undefined {
  return ensure(mb)[kind].get(g);
}

function live(mb: LocalMailbox, kind: IcsKind, g: number): boolean {
  return mb.db.prepare(`SELECT 1 FROM ${table(kind)} WHERE ${idCol(kind)} = ?`).get(g) !== undefined;
}

function tombstoned(mb: LocalMailbox, kind: IcsKind, g: number): boolean {
  return mb.db.prepare('SELECT 1 FROM tombstones WHERE kind = ? AND id = ?').get(kind, g) !== undefined;
}

/** The source key of object `id` (also of a deleted one): the client's when it gave one, else the server's XID. */
export function sourceKeyOf(mb: LocalMailbox, kind: IcsKind, id: bigint): Buffer {
  const g = g2n(eidGlobcnt(id));
  return keyRow(mb, kind, g)?.sourceKey ?? mb.xid(g);
}

/**
 * The folder or message whose PidTagSourceKey is `sk`: live ({ id }), deleted ({ id, deleted }; id 0n for a key the
 * client deleted that never existed here), or null when unknown.
 */
export function findBySourceKey(mb: LocalMailbox, kind: IcsKind, sk: Uint8Array): { id: bigint; deleted: boolean } | null {
  ensure(mb);
  checkSourceKey(sk);
  const key = Buffer.from(sk);
  const mapped = mb.db.prepare('SELECT id FROM ics_keys WHERE kind = ? AND source_key = ?').get(kind, key) as { id: number } | undefined;
  if (mapped) return { id: eid(mapped.id), deleted: !live(mb, kind, mapped.id) };
  if (sk.length === 22 && readGuid(sk, 0) === mb.replGuid) {
    const g = g2n(globcntFromBytes(sk, 16));
    // the object's key is another one now (a moved message): its old key names a deleted object
    const other = keyRow(mb, kind, g)?.sourceKey;
    if (other && !other.equals(key)) return { id: eid(g), deleted: true };
    if (live(mb, kind, g)) return { id: eid(g), deleted: false };
    if (tombstoned(mb, kind, g)) return { id: eid(g), deleted: true };
  }
  if (mb.db.prepare('SELECT 1 FROM ics_deleted_keys WHERE kind = ? AND source_key = ?').get(kind, key)) return { id: 0n, deleted: true };
  return null;
}

/**
 * MS-OXCFXICS 3.3.5.2.1 / 2.2.3.2.4.7: the GLOBCNT a source key names when it is a GID of this mailbox's replica GUID
 * inside a range given to the client with RopGetLocalReplicaIds, not given up (RopSetLocalReplicaMidsetDeleted) and
 * not used by any folder or message yet (live, deleted or already imported): the new object takes it as its ID.
 * Otherwise null: the object gets a fresh server ID and the source key is kept as the client's (ics_keys).
 */
export function reservedIdOf(mb: LocalMailbox, sk: Uint8Array): number | null {
  ensure(mb);
  if (sk.length !== 22 || readGuid(sk, 0) !== mb.replGuid) return null;
  const g = g2n(globcntFromBytes(sk, 16));
  if (!mb.db.prepare('SELECT 1 FROM ics_client_ranges WHERE first <= ? AND last >= ?').get(g, g)) return null;
  if (mb.db.prepare('SELECT 1 FROM ics_deleted_ranges WHERE first <= ? AND last >= ?').get(g, g)) return null;
  return idUnused(mb, g) ? g : null;
}

/** No folder or message (live, deleted, imported) has GLOBCNT `g` as its ID. */
function idUnused(mb: LocalMailbox, g: number): boolean {
  return !mb.st.message.get(g) && !mb.st.folder.get(g) && !mb.db.prepare('SELECT 1 FROM tombstones WHERE id = ?').get(g) &&
    !mb.db.prepare('SELECT 1 FROM ics_keys WHERE id = ?').get(g);
}

/** @internal Inside a write(): `g` (from reservedIdOf) is still free, else the save stores nothing. */
export function claimReservedId(mb: LocalMailbox, g: number): void {
  if (!idUnused(mb, g)) throw new StoreError('OC_STORE_DUPLICATE_SOURCE_KEY', SEC.InvalidParam, 'the reserved ID was taken meanwhile');
}

/** ChangeInfo as the client knows the object: its source key, and the change key and time it gave the current version. */
export function importedChangeInfo(mb: LocalMailbox, kind: IcsKind, id: bigint, base: ChangeInfo): ChangeInfo {
  const r = keyRow(mb, kind, g2n(eidGlobcnt(id)));
  if (!r) return base;
  const out = { ...base };
  if (r.sourceKey) out.sourceKey = r.sourceKey;
  if (r.cn === g2n(eidGlobcnt(base.cn))) {
    if (r.changeKey) out.changeKey = r.changeKey;
    if (r.modified !== null) out.lastModified = r.modified;
  }
  return out;
}

/** @internal Inside a write(): records the imported tracking of `g` whose stored version has CN `cn`. */
export function putTracking(mb: LocalMailbox, kind: IcsKind, g: number, cn: number, t: ImportTracking): void {
  const prev = keyRow(mb, kind, g);
  const sk = t.sourceKey ?? prev?.sourceKey ?? null;
  if (sk) {
    checkSourceKey(sk);
    const owner = mb.db.prepare('SELECT id FROM ics_keys WHERE kind = ? AND source_key = ?').get(kind, sk) as { id: number } | undefined;
    if (owner && owner.id !== g) throw new StoreError('OC_STORE_DUPLICATE_SOURCE_KEY', SEC.InvalidParam, 'the source key names another object');
    // a GID of this replica naming another object's ID (e.g. a reserved ID a racing import took first)
    if (sk.length === 22 && readGuid(sk, 0) === mb.replGuid) {
      const other = g2n(globcntFromBytes(sk, 16));
      // IDs are unique across folders and messages
      if (other !== g && (live(mb, 'message', other) || live(mb, 'folder', other) || tombstoned(mb, 'message', other) || tombstoned(mb, 'folder', other))) {
        throw new StoreError('OC_STORE_DUPLICATE_SOURCE_KEY', SEC.InvalidParam, 'the source key names another object');
      }
    }
  }
  // the server's own XID of the id needs no entry
  const keep = sk && !sk.equals(mb.xid(g)) ? sk : null;
  mb.db
    .prepare('INSERT OR REPLACE INTO ics_keys (kind, id, source_key, change_key, cn, modified) VALUES (?, ?, ?, ?, ?, ?)')
    .run(kind, g, keep, t.changeKey, cn, t.lastModified === undefined ? null : String(t.lastModified));
  if (sk) mb.db.prepare('DELETE FROM ics_deleted_keys WHERE kind = ? AND source_key = ?').run(kind, sk);
  // a key the object had before (a moved message) names a deleted object from now on
  if (prev?.sourceKey && sk && !prev.sourceKey.equals(sk)) {
    mb.db.prepare('INSERT OR IGNORE INTO ics_deleted_keys (kind, source_key) VALUES (?, ?)').run(kind, prev.sourceKey);
  }
}

function mergedPcl(stored: Buffer, extra: Uint8Array): Buffer {
  return encodePcl(mergePcl(stored.length > 0 ? decodePcl(stored) : [], extra.length > 0 ? decodePcl(extra) : []));
}

const msOf = (ft: bigint | undefined): number | undefined => (ft === undefined ? undefined : fromFileTime(ft).getTime());

/** @internal Checks imported tracking before anything is written (a bad one stores nothing): XIDs, PCL, time. */
export function checkTracking(t: ImportTracking): void {
  decodePcl(t.pcl);
  if (t.sourceKey) checkSourceKey(t.sourceKey);
  if (t.changeKey) checkSourceKey(t.changeKey, 'change key');
  if (t.lastModified !== undefined && !Number.isFinite(msOf(t.lastModified))) {
    throw new StoreError('OC_STORE_BAD_TIME', SEC.InvalidParam, 'PidTagLastModificationTime out of range');
  }
}

/**
 * @internal The PCL of a version stored with imported tracking `t`: `t.pcl` ('replace') or `stored` and `t.pcl` merged
 * ('merge'), the change key merged in.
 */
export function trackedPcl(stored: Buffer, t: ImportTracking): Buffer {
  let pcl = mergedPcl(t.pclMode === 'replace' ? Buffer.alloc(0) : stored, t.pcl);
  if (t.changeKey) pcl = mergedPcl(pcl, encodePcl([{ guid: readGuid(t.changeKey, 0), localId: Buffer.from(t.changeKey.subarray(16)) }]));
  return pcl;
}

/** @internal The stored modification time (ms) of a version with imported tracking `t` (undefined: keep the server's). */
export const trackedModified = (t: ImportTracking): number | undefined => msOf(t.lastModified);

/**
 * Records the change tracking of the stored version of `id` (a moved message; an imported message is saved with its
 * tracking in one transaction, MessageObject.save({ tracking })): the PCL as `t.pclMode` says (the change key merged
 * in); change key, source key and time as given. No new CN.
 */
export async function setChangeTracking(mb: LocalMailbox, kind: IcsKind, id: bigint, t: ImportTracking): Promise<void> {
  ensure(mb);
  checkTracking(t);
  const g = eidReplId(id) === REPL_ID ? g2n(eidGlobcnt(id)) : -1;
  const row = mb.db.prepare(`SELECT cn, pcl FROM ${table(kind)} WHERE ${idCol(kind)} = ?`).get(g) as { cn: number; pcl: Buffer } | undefined;
  if (!row) throw notFound(kind, id);
  const ms = msOf(t.lastModified);
  mb.write(() => {
    const pcl = trackedPcl(row.pcl, t);
    if (ms !== undefined) mb.db.prepare(`UPDATE ${table(kind)} SET pcl = ?, modified = ? WHERE ${idCol(kind)} = ?`).run(pcl, ms, g);
    else mb.db.prepare(`UPDATE ${table(kind)} SET pcl = ? WHERE ${idCol(kind)} = ?`).run(pcl, g);
    putTracking(mb, kind, g, row.cn, t);
  });
  refresh(mb, kind, g);
}

/**
 * RopSynchronizationImportMessageMove (MS-OXCFXICS 3.2.5.9.4.4) in one transaction: message `mid` goes into folder
 * `dst` with a new CN and the tracking `t` (source key DestinationMessageId, change key ChangeNumber, the client's PCL).
 * When `t.sourceKey` names an ID the client reserved (reservedIdOf), the message takes that ID in the destination
 * (MS-OXCFXICS 3.3.5.2.1: the client assigned it); its old ID becomes a deletion in the source folder (a tombstone,
 * its old key reports a deleted object). Otherwise the MID stays and the key is recorded as the client's. A move into
 * the message's own folder keeping the MID changes only the tracking. Returns the message's ID afterwards.
 */
export async function importMessageMove(mb: LocalMailbox, mid: bigint, dst: bigint, t: ImportTracking & { sourceKey: Buffer }): Promise<bigint> {
  ensure(mb);
  checkTracking(t);
  const r = mb.messageRow(mid);
  const d = mb.folderRow(dst);
  const own = reservedIdOf(mb, t.sourceKey);
  if (own === null && r.fid === d.fid) {
    await setChangeTracking(mb, 'message', mid, t);
    return mid;
  }
  const to = own ?? r.mid;
  const cn = await mb.ids(1);
  const now = Date.now();
  mb.write(() => {
    const row = mb.st.message.get(r.mid) as MessageRow | undefined;
    if (!row || row.fid !== r.fid) throw new StoreError('OC_STORE_OBJECT_DELETED', SEC.ObjectDeleted, 'the message was moved or deleted meanwhile');
    const pcl = trackedPcl(pclAfterChange(row.pcl, mb.replGuid, cn), t);
    const ms = msOf(t.lastModified) ?? now;
    if (to === row.mid) {
      mb.db.prepare('UPDATE messages SET fid = ?, cn = ?, modified = ?, pcl = ? WHERE mid = ?').run(d.fid, g2n(cn), ms, pcl, row.mid);
    } else {
      claimReservedId(mb, to);
      mb.db
        .prepare('INSERT INTO messages (mid, fid, assoc, read, read_cn, cn, created, modified, pcl, size, props, big) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(to, d.fid, row.assoc, row.read, row.read_cn, g2n(cn), row.created, ms, pcl, row.size, row.props, row.big);
      mb.db.prepare('UPDATE message_content SET mid = ? WHERE mid = ?').run(to, row.mid);
      mb.db.prepare('DELETE FROM messages WHERE mid = ?').run(row.mid);
    }
    // the message left the source folder under its old ID (a deletion there); moved back, it is no longer deleted
    mb.st.tomb.run('message', row.mid, row.fid, g2n(cn), row.assoc, 0);
    mb.db.prepare("DELETE FROM tombstones WHERE kind = 'message' AND id = ? AND parent = ?").run(to, d.fid);
    putTracking(mb, 'message', to, g2n(cn), t);
    mb.noteCn(cn);
  });
  refresh(mb, 'message', to);
  ev.messagesMovedCopied(mb, eid(r.fid), dst, new Map([[mid, eid(to)]]), false);
  return eid(to);
}

/**
 * A new version of `id` with the same content: a fresh CN whose PCL also holds `pcl` (a conflict the server's version
 * won: the result must succeed both versions, MS-OXCFXICS 3.1.5.6.2). Returns the new CN.
 */
export async function bumpChange(mb: LocalMailbox, kind: IcsKind, id: bigint, pcl: Uint8Array): Promise<bigint> {
  ensure(mb);
  decodePcl(pcl);
  const g = eidReplId(id) === REPL_ID ? g2n(eidGlobcnt(id)) : -1;
  const row = mb.db.prepare(`SELECT * FROM ${table(kind)} WHERE ${idCol(kind)} = ?`).get(g) as (FolderRow & MessageRow) | undefined;
  if (!row) throw notFound(kind, id);
  const cn = await mb.ids(1);
  mb.write(() => {
    const merged = mergedPcl(pclAfterChange(row.pcl, mb.replGuid, cn), pcl);
    mb.db.prepare(`UPDATE ${table(kind)} SET cn = ?, pcl = ? WHERE ${idCol(kind)} = ?`).run(g2n(cn), merged, g);
    mb.noteCn(cn);
  });
  if (kind === 'message') ev.messageModified(mb, eid(row.fid), id, undefined, row.assoc !== 0);
  else ev.folderModified(mb, id);
  return eid(cn);
}

/** Source keys the client deleted that are not here: kept so that a later import does not restore them. */
export async function recordDeletedSourceKeys(mb: LocalMailbox, kind: IcsKind, keys: readonly Uint8Array[]): Promise<void> {
  ensure(mb);
  for (const k of keys) checkSourceKey(k);
  mb.write(() => {
    const st = mb.db.prepare('INSERT OR IGNORE INTO ics_deleted_keys (kind, source_key) VALUES (?, ?)');
    for (const k of keys) st.run(kind, Buffer.from(k));
  });
}

/** RopGetLocalReplicaIds: `count` GLOBCNTs for the client (never used by the server); returns the first. */
export async function allocateClientRange(mb: LocalMailbox, count: number): Promise<bigint> {
  ensure(mb);
  if (!Number.isInteger(count) || count < 1) throw new StoreError('OC_STORE_BAD_COUNT', SEC.InvalidParam, `IdCount ${count}`);
  mb.cache = { next: 0n, end: 0n };
  const first = await mb.index.allocate(count);
  mb.write(() => mb.db.prepare('INSERT INTO ics_client_ranges (first, last) VALUES (?, ?)').run(g2n(first), g2n(first + BigInt(count) - 1n)));
  return first;
}

/** RopSetLocalReplicaMidsetDeleted: GLOBCNT ranges (inclusive) the client will not use; recorded as given up. */
export async function recordDeletedRanges(mb: LocalMailbox, ranges: readonly { first: bigint; last: bigint }[]): Promise<void> {
  ensure(mb);
  for (const r of ranges) {
    if (r.first > r.last) throw new StoreError('OC_STORE_BAD_RANGE', SEC.InvalidParam, 'a range ends before it starts');
  }
  mb.write(() => {
    const st = mb.db.prepare('INSERT INTO ics_deleted_ranges (first, last) VALUES (?, ?)');
    for (const r of ranges) st.run(g2n(r.first), g2n(r.last));
  });
}

/** The ranges recorded by recordDeletedRanges (for tests and ICS state). */
export function deletedRanges(mb: LocalMailbox): { first: bigint; last: bigint }[] {
  ensure(mb);
  return (mb.db.prepare('SELECT first, last FROM ics_deleted_ranges ORDER BY first').all() as { first: number; last: number }[])
    .map((r) => ({ first: BigInt(r.first), last: BigInt(r.last) }));
}

/**
 * Read-state changes of an ICS upload (MS-OXCFXICS 3.2.5.9.4.6): one CN for all, FAI messages ignored (MUST), messages
 * the mailbox does not have skipped. A message of another folder than the collector's (`fid`) changes too: the ROP
 * MUST give what RopSetMessageReadFlag message by message gives, and that works on any message of the mailbox.
 * Returns the CN (null when nothing changed) and the messages whose state changed.
 */
export async function importReadStates(mb: LocalMailbox, fid: bigint, changes: readonly { mid: bigint; read: boolean }[]): Promise<{ cn: bigint | null; changed: bigint[] }> {
  mb.folderRow(fid);
  const todo = new Map<number, { fid: number; read: boolean }>();
  for (const c of changes) {
    if (eidReplId(c.mid) !== REPL_ID) continue;
    const r = mb.st.message.get(g2n(eidGlobcnt(c.mid))) as MessageRow | undefined;
    if (!r || r.assoc !== 0) continue;
    // the last change of a message in the request counts
    if ((r.read !== 0) === c.read) todo.delete(r.mid);
    else todo.set(r.mid, { fid: r.fid, read: c.read });
  }
  if (todo.size === 0) return { cn: null, changed: [] };
  const cn = await mb.ids(1);
  mb.write(() => {
    const up = mb.db.prepare('UPDATE messages SET read = ?, read_cn = ? WHERE mid = ?');
    for (const [g, t] of todo) up.run(t.read ? 1 : 0, g2n(cn), g);
    mb.noteCn(cn);
  });
  const byFolder = new Map<number, bigint[]>();
  for (const [g, t] of todo) byFolder.set(t.fid, [...(byFolder.get(t.fid) ?? []), eid(g)]);
  for (const [f, mids] of byFolder) ev.readFlagsChanged(mb, eid(f), mids);
  return { cn: eid(cn), changed: [...todo.keys()].map((g) => eid(g)) };
}

function folderPropsFrom(base: Map<number, PropValue>, values: readonly TaggedValue[]): Map<number, PropValue> {
  const props = new Map(base);
  for (const v of values) {
    const id = propId(v.tag);
    if (FOLDER_COMPUTED.has(id) || FOLDER_COLUMN_IDS.has(id)) continue;
    if (!checkValue(v.tag, v.value)) throw badValue(v.tag);
    for (const k of [...props.keys()]) if (propId(k) === id) props.delete(k);
    props.set(v.tag >>> 0, v.value);
  }
  return props;
}

function isBelow(mb: LocalMailbox, anc: number, fid: number): boolean {
  let cur: number | null = fid;
  for (let n = 0; cur !== null && n < 100_000; n++) {
    if (cur === anc) return true;
    cur = (mb.st.folder.get(cur) as FolderRow | undefined)?.parent ?? null;
  }
  return false;
}

/** A new folder from the client (RopSynchronizationImportHierarchyChange), with its tracking, in one transaction. */
export async function importNewFolder(mb: LocalMailbox, f: FolderImport): Promise<bigint> {
  ensure(mb);
  const p = mb.folderRow(f.parent);
  checkName(f.displayName);
  checkTracking(f.tracking);
  if (mb.st.childByName.get(p.fid, f.displayName.toLowerCase())) {
    throw new StoreError('OC_STORE_DUPLICATE_NAME', SEC.DuplicateName, `a folder "${f.displayName}" exists`);
  }
  const props = folderPropsFrom(new Map(), f.props);
  // MS-OXCFXICS 3.3.5.2.1: a source key naming an ID the client reserved is the folder's ID; else a fresh one
  const own = reservedIdOf(mb, f.tracking.sourceKey);
  const g = await mb.ids(own === null ? 2 : 1);
  const fid = own ?? g2n(g);
  const cn = own === null ? g + 1n : g;
  const ms = msOf(f.tracking.lastModified) ?? Date.now();
  mb.write(() => {
    if (own !== null) claimReservedId(mb, own);
    mb.st.insFolder.run(fid, p.fid, f.displayName, f.displayName.toLowerCase(), FOLDER_GENERIC, null, g2n(cn), ms, ms,
      mergedPcl(Buffer.alloc(0), f.tracking.pcl), encodeProps(props));
    putTracking(mb, 'folder', fid, g2n(cn), f.tracking);
    mb.noteCn(cn);
  });
  refresh(mb, 'folder', fid);
  ev.folderCreated(mb, eid(fid), f.parent);
  return eid(fid);
}

/** A change of an existing folder from the client: parent, name, properties and tracking in one transaction. */
export async function importFolderChange(mb: LocalMailbox, fid: bigint, f: FolderImport): Promise<void> {
  ensure(mb);
  const r = mb.folderRow(fid);
  const p = mb.folderRow(f.parent);
  checkName(f.displayName);
  checkTracking(f.tracking);
  const moved = r.parent !== p.fid;
  const renamed = r.name !== f.displayName;
  if ((moved || renamed) && r.special !== null) {
    throw new StoreError('OC_STORE_SPECIAL_FOLDER', SEC.AccessDenied, `special folder ${r.special} cannot be moved or renamed`);
  }
  if (moved && isBelow(mb, r.fid, p.fid)) throw new StoreError('OC_STORE_FOLDER_CYCLE', SEC.FolderCycle, 'a folder cannot move below itself');
  const dup = mb.st.childByName.get(p.fid, f.displayName.toLowerCase()) as { fid: number } | undefined;
  if (dup && dup.fid !== r.fid) throw new StoreError('OC_STORE_DUPLICATE_NAME', SEC.DuplicateName, `a folder "${f.displayName}" exists`);
  const props = folderPropsFrom(decodeProps(r.props), f.props);
  const cn = await mb.ids(1);
  const ms = msOf(f.tracking.lastModified) ?? Date.now();
  mb.write(() => {
    mb.db
      .prepare('UPDATE folders SET parent = ?, name = ?, name_lc = ?, props = ?, cn = ?, modified = ?, pcl = ? WHERE fid = ?')
      .run(p.fid, f.displayName, f.displayName.toLowerCase(), encodeProps(props), g2n(cn), ms, mergedPcl(r.pcl, f.tracking.pcl), r.fid);
    if (moved) {
      mb.st.tomb.run('folder', r.fid, r.parent, g2n(cn), 0, 0);
      mb.db.prepare("DELETE FROM tombstones WHERE kind = 'folder' AND id = ? AND parent = ?").run(r.fid, p.fid);
    }
    putTracking(mb, 'folder', r.fid, g2n(cn), f.tracking);
    mb.noteCn(cn);
  });
  refresh(mb, 'folder', r.fid);
  if (moved) ev.folderMoved(mb, fid, f.parent, r.parent === null ? null : eid(r.parent));
  else ev.folderModified(mb, fid, [TAG.DisplayName, ...f.props.map((v) => v.tag)]);
}
