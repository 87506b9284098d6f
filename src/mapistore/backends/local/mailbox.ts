// The embedded backend's mailbox (LocalMailbox, the MailboxStore of one user): folders, messages and change tracking
// in one SQLite file per mailbox; IDs, CNs and named properties from the index (SQLite or MySQL). Every call is a
// method of LocalMailbox; a mutation runs in the mailbox's serial chain. The groundwork (the file and its statements,
// the serial chain, write(), ID allocation and the ID calls, the folder property cache, row lookups, init, close) is
// LocalMailboxBase (mailbox-base.ts). Here: the folder reads and change-tracking reads, and one-line delegates to the
// modules that hold the rest: the store object store-object.ts; folder operations folders.ts; messages messages.ts,
// objects.ts and message-status.ts; search folders search.ts; permissions, rules, receive folders and ICS uploads
// their own modules.
import type Database from 'better-sqlite3';
import { eidGlobcnt, eidReplId } from '../../../mapi/ids.js';
import type { PropertyName } from '../../../mapi/named.js';
import type { TaggedValue } from '../../../mapi/props.js';
import type { MailboxIndex } from '../../index/types.js';
import { pickProps } from '../../proppick.js';
import {
  FOLDER_SEARCH,
  type ChangeEntry, type ChangeInfo, type ContentsOptions, type CreatedFolder, type DeleteResult, type FolderInit,
  type HierarchyOptions, type MailboxOwner, type MailboxStore, type MessageInit, type MessageObject, type MoveCopyResult,
  type PropertyProblem, type PropResult, type ReceiveFolderEntry, type Row,
} from '../../types.js';
import type { PropCtx } from './computed.js';
import { REPL_ID, eid, g2n } from './helpers.js';
import { LocalMailboxBase, type LocalMailboxOptions } from './mailbox-base.js';
import * as folders from './folders.js';
import * as so from './store-object.js';
import * as msg from './messages.js';
import * as obj from './objects.js';
import { backfillHasAttachments } from './message-content.js';
import * as status from './message-status.js';
import * as rf from './receive.js';
import * as perm from './permissions.js';
import * as rules from './rules.js';
import type { RuleChange, StoredRule } from '../../types.js';
import type { PermissionChange, PermissionEntry } from '../../types.js';
import type { FolderRow } from './schema.js';
import { SearchFolders } from './search.js';
import type { SearchCriteria, SearchCriteriaChange } from '../../types.js';
import * as ev from './events-emit.js';
import * as ics from './ics-import.js';
import type { IcsFolderImport, IcsImportTracking } from '../../types.js';

export type { LocalMailboxOptions } from './mailbox-base.js';

export class LocalMailbox extends LocalMailboxBase implements MailboxStore {
  /** @internal */
  readonly pctx: PropCtx;
  /** @internal search folders (search.ts): criteria, contents, kept up to date from `events` */
  readonly search: SearchFolders;

  constructor(db: Database.Database, index: MailboxIndex, owner: MailboxOwner, opts: LocalMailboxOptions, onClose: () => void) {
    super(db, index, owner, opts, onClose);
    this.pctx = { mailboxGuid: this.mailboxGuid, replGuid: this.replGuid, counts: this.st.counts, childCount: this.st.childCount, imported: ics.importedKeys(this) };
    this.search = new SearchFolders(this);
    backfillHasAttachments(this);
  }

  // ------------------------------------------------------------------ store object: store-object.ts

  /** `size: false`: without PidTagMessageSizeExtended, not summed (the IMAP backend's quota gives the usage). */
  async storeProps(tags?: readonly number[], opts: { size?: boolean } = {}): Promise<PropResult[]> {
    return so.storeProps(this, tags, opts);
  }

  setStoreProps(values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    return this.serial(async () => so.changeStoreProps(this, values, []));
  }

  deleteStoreProps(tags: readonly number[]): Promise<PropertyProblem[]> {
    return this.serial(async () => so.changeStoreProps(this, [], tags));
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
    return this.serial(() => folders.createFolder(this, parent, init));
  }

  /** @internal What deleteFolder(fid, flags) refuses, found without changing anything (folders.ts). */
  deleteFolderRefusal(fid: bigint, flags: number): DeleteResult | null {
    return folders.deleteFolderRefusal(this, fid, flags);
  }

  /** @internal The folders emptyFolder(fid) deletes (folders.ts). */
  emptiedFolders(fid: bigint): bigint[] {
    return folders.emptiedFolders(this, fid);
  }

  /** @internal True for a search folder (its messages are links to messages of other folders: search.ts). */
  isSearchFolder(fid: bigint): boolean {
    return this.folderRow(fid).folder_type === FOLDER_SEARCH;
  }

  deleteFolder(fid: bigint, flags: number): Promise<DeleteResult> {
    return this.serial(() => folders.deleteFolder(this, fid, flags));
  }

  moveFolder(fid: bigint, newParent: bigint, newName?: string): Promise<void> {
    return this.serial(() => folders.moveFolder(this, fid, newParent, newName));
  }

  copyFolder(fid: bigint, newParent: bigint, o: { newName?: string; recursive?: boolean } = {}): Promise<bigint> {
    return this.serial(() => folders.copyFolder(this, fid, newParent, o));
  }

  emptyFolder(fid: bigint, o: { associated?: boolean; hard?: boolean } = {}): Promise<DeleteResult> {
    return this.serial(() => folders.emptyFolder(this, fid, o));
  }

  async hierarchyRows(fid: bigint, o: HierarchyOptions = {}): Promise<Row[]> {
    return folders.hierarchyRows(this, fid, o);
  }

  async getFolderProps(fid: bigint, tags?: readonly number[]): Promise<PropResult[]> {
    return pickProps(this.folderPropsOf(fid), tags);
  }

  async listFolderProps(fid: bigint): Promise<number[]> {
    return [...this.folderPropsOf(fid).keys()];
  }

  setFolderProps(fid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
    return this.serial(() => folders.setFolderProps(this, fid, values));
  }

  deleteFolderProps(fid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
    return this.serial(() => folders.deleteFolderProps(this, fid, tags));
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
    return Promise.resolve().then(() => status.getMessageStatus(this, msg.homeOf(this, fid, mid), mid));
  }

  setMessageStatus(fid: bigint, mid: bigint, flags: number, mask: number): Promise<number> {
    return this.serial(async () => status.setMessageStatus(this, msg.homeOf(this, fid, mid), mid, flags, mask));
  }

  clearMessageFlags(fid: bigint, mids: readonly bigint[], bits: number): Promise<bigint[]> {
    return this.serial(() => msg.perHomeFolder(this, fid, mids, (f, m) => status.clearMessageFlags(this, f, m, bits)));
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
}
