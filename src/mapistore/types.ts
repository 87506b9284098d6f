// The Store API: what the ROP handlers (and later ICS) use to reach a mailbox. Backend-neutral and async: the
// embedded backend answers from SQLite, the IMAP/CalDAV/CardDAV backends will answer from remote servers through
// the same calls. IDs are EIDs as bigint (see src/mapi/ids.ts): ReplicaId 1 + 48-bit GLOBCNT.
// See docs/mapistore.md for the ID/CN/PCL rules.
import type { PropValue, TaggedValue } from '../mapi/props.js';
import type { PropertyName } from '../mapi/named.js';

export type { PropertyName };

/** What the store needs to know about the user whose mailbox is opened (a subset of the directory's user). */
export interface MailboxOwner {
  username: string;
  displayName: string;
  /** legacyExchangeDN of the user (EcDoConnectEx / RopLogon Essdn). */
  legacyDn: string;
  [extra: string]: unknown;
}

export interface Store {
  /** Opens (provisioning on first use) the private mailbox of `user`. Repeated opens share one MailboxStore. */
  openMailbox(user: MailboxOwner): Promise<MailboxStore>;
  /** Closes every open mailbox and the index. */
  close(): Promise<void>;
}

/** Names of the special folders provisioned on first logon (MS-OXOSFLD 2.2, MS-OXCSTOR 2.2.1.1.3). */
export type SpecialFolderName =
  | 'root'
  | 'deferredAction'
  | 'spoolerQueue'
  | 'ipmSubtree'
  | 'inbox'
  | 'outbox'
  | 'sentItems'
  | 'deletedItems'
  | 'commonViews'
  | 'schedule'
  | 'finder'
  | 'views'
  | 'shortcuts'
  | 'drafts'
  | 'calendar'
  | 'contacts'
  | 'tasks'
  | 'notes'
  | 'journal'
  | 'junk'
  | 'syncIssues'
  | 'conflicts'
  | 'localFailures'
  | 'serverFailures'
  | 'reminders'
  | 'todoSearch';

export type SpecialFolders = Readonly<Record<SpecialFolderName, bigint>>;

/** MS-OXCSTOR 2.2.1.1.3 the 13 FolderIds of a private-mailbox RopLogon response, in wire order. */
export const LOGON_FOLDER_ORDER: readonly SpecialFolderName[] = [
  'root', 'deferredAction', 'spoolerQueue', 'ipmSubtree', 'inbox', 'outbox', 'sentItems', 'deletedItems',
  'commonViews', 'schedule', 'finder', 'views', 'shortcuts',
];

/** MS-OXCFOLD 2.2.1.2 RopCreateFolder FolderType (and PidTagFolderType). */
export const FOLDER_ROOT = 0;
export const FOLDER_GENERIC = 1;
export const FOLDER_SEARCH = 2;

export interface FolderInit {
  displayName: string;
  comment?: string;
  /** FOLDER_GENERIC (default) or FOLDER_SEARCH. */
  folderType?: number;
  containerClass?: string;
  /** RopCreateFolder OpenExisting: an existing folder of the same name under the same parent is returned. */
  openExisting?: boolean;
  /** Further properties to set on the new folder. */
  props?: TaggedValue[];
}

/** Result of createFolder: the folder and whether it existed already (RopCreateFolder IsExistingFolder). */
export interface CreatedFolder {
  fid: bigint;
  existing: boolean;
}

/** A row of a hierarchy or contents table: the object's ID and the requested (or all) properties. */
export interface Row {
  /** FID for hierarchy rows, MID for contents rows. */
  id: bigint;
  /** With a tag list: one entry per tag; a missing one sits under its PT_ERROR tag with MAPI_E.NOT_FOUND as value. */
  props: Map<number, PropValue>;
}

/** MS-OXCPRPT 2.2.2 PropertyProblem: a property that could not be set or deleted, with its error code. */
export interface PropertyProblem {
  index: number;
  tag: number;
  error: number;
}

/** A property that was asked for: its value, or an error (MS-OXCDATA 2.4: 0x8004010F NotFound). */
export type PropResult = { tag: number; value: PropValue } | { tag: number; error: number };

/** Flags of deleteFolder, as RopDeleteFolder DeleteFolderFlags (MS-OXCFOLD 2.2.1.3.1). */
export const DEL_MESSAGES = 0x01;
export const DEL_FOLDERS = 0x04;
export const DELETE_HARD_DELETE = 0x10;

export interface DeleteResult {
  /** Some object could not be deleted (RopDeleteFolder PartialCompletion / RopDeleteMessages). */
  partial: boolean;
  /** Why deleteFolder left the folder: SEC.HasMessages or SEC.HasFolders (flag missing), SEC.AccessDenied (special folder below). */
  reason?: number;
}

export interface MoveCopyResult {
  partial: boolean;
  /** source id -> id in the destination (same id on move; new ids on copy). */
  ids: Map<bigint, bigint>;
}

/** Change-tracking state of a folder or message (all maintained by the store on every change). */
export interface ChangeInfo {
  /** The current change number (CN as an EID). */
  cn: bigint;
  sourceKey: Buffer;
  changeKey: Buffer;
  pcl: Buffer;
  lastModified: bigint;
}

/** One entry of the change log of a folder since a given CN (input of ICS). */
export interface ChangeEntry {
  kind: 'folder' | 'message';
  id: bigint;
  cn: bigint;
  deleted: boolean;
  /** For messages: a folder-associated (FAI) message. */
  associated: boolean;
  /** For deletes: hard (not recoverable) rather than soft (MS-OXCFXICS MetaTagIdsetDeleted / IdsetSoftDeleted). */
  hard: boolean;
}

/** A row of RopGetReceiveFolderTable (MS-OXCSTOR 2.2.1.4). */
export interface ReceiveFolderEntry {
  messageClass: string;
  fid: bigint;
  lastModified: bigint;
}

export interface HierarchyOptions {
  /** Walk the whole subtree (RopGetHierarchyTable Depth flag); rows carry PidTagDepth. */
  recursive?: boolean;
  /** Only these properties (else every property of the folder, computed ones included). */
  tags?: readonly number[];
}

export interface ContentsOptions {
  associated?: boolean;
  tags?: readonly number[];
}

export interface MessageInit {
  associated?: boolean;
  props: TaggedValue[];
  /** Marks the message read (PidTagMessageFlags MSGFLAG_READ). */
  read?: boolean;
}

/** Per-mailbox store: every call is async and, on failure, rejects with a StoreError carrying a MAPI ec value. */
export interface MailboxStore {
  readonly mailboxGuid: string;
  readonly replGuid: string;
  readonly replId: 1;
  readonly owner: MailboxOwner;
  readonly special: SpecialFolders;

  // --- IDs (MS-OXCDATA 2.2.1) ---
  /** Allocates `count` consecutive GLOBCNTs (never reused) and returns the first (RopGetLocalReplicaIds). */
  allocateRange(count: number): Promise<bigint>;
  /** A new EID (ReplicaId 1 + a fresh GLOBCNT). */
  newId(): Promise<bigint>;
  /** MS-OXCSTOR RopLongTermIdFromId: 24 bytes; throws NotFound for an unknown replica. */
  longTermIdFromId(id: bigint): Buffer;
  idFromLongTermId(ltid: Uint8Array): bigint;

  // --- store object ---
  /** Properties of the logon (store) object: PidTagIpmSubtreeEntryId, PidTagMailboxOwnerName, ... */
  storeProps(tags?: readonly number[]): Promise<PropResult[]>;
  /** RopSetProperties / RopDeleteProperties on the logon object: computed ones come back as PropertyProblems. */
  setStoreProps(values: readonly TaggedValue[]): Promise<PropertyProblem[]>;
  deleteStoreProps(tags: readonly number[]): Promise<PropertyProblem[]>;

  // --- folders (MS-OXCFOLD) ---
  folderExists(fid: bigint): Promise<boolean>;
  parentOf(fid: bigint): Promise<bigint | null>;
  children(fid: bigint): Promise<bigint[]>;
  /** The child of `parent` whose display name is `name` (case-insensitive), or null. */
  findChild(parent: bigint, name: string): Promise<bigint | null>;
  createFolder(parent: bigint, init: FolderInit): Promise<CreatedFolder>;
  deleteFolder(fid: bigint, flags: number): Promise<DeleteResult>;
  moveFolder(fid: bigint, newParent: bigint, newName?: string): Promise<void>;
  /** Copies a folder (with its messages; its subfolders too when recursive) under newParent; returns the new FID. */
  copyFolder(fid: bigint, newParent: bigint, opts?: { newName?: string; recursive?: boolean }): Promise<bigint>;
  /** Deletes the folder's messages (normal, or also associated) and its subfolders (RopEmptyFolder). */
  emptyFolder(fid: bigint, opts?: { associated?: boolean; hard?: boolean }): Promise<DeleteResult>;
  hierarchyRows(fid: bigint, opts?: HierarchyOptions): Promise<Row[]>;
  getFolderProps(fid: bigint, tags?: readonly number[]): Promise<PropResult[]>;
  /** RopGetPropertiesList: every property tag the folder has (computed ones included). */
  listFolderProps(fid: bigint): Promise<number[]>;
  setFolderProps(fid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]>;
  deleteFolderProps(fid: bigint, tags: readonly number[]): Promise<PropertyProblem[]>;
  folderChangeInfo(fid: bigint): Promise<ChangeInfo>;

  // --- messages (MS-OXCMSG minimal model; recipients/attachments come later) ---
  createMessage(fid: bigint, init: MessageInit): Promise<bigint>;
  /** Fast path for tests and benchmarks: one transaction, CNs and MIDs allocated as a range. */
  bulkInsertMessages(fid: bigint, messages: readonly MessageInit[]): Promise<bigint[]>;
  messageExists(mid: bigint): Promise<boolean>;
  folderOfMessage(mid: bigint): Promise<bigint | null>;
  getMessageProps(mid: bigint, tags?: readonly number[]): Promise<PropResult[]>;
  listMessageProps(mid: bigint): Promise<number[]>;
  setMessageProps(mid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]>;
  deleteMessageProps(mid: bigint, tags: readonly number[]): Promise<PropertyProblem[]>;
  messageChangeInfo(mid: bigint): Promise<ChangeInfo>;
  contentsRows(fid: bigint, opts?: ContentsOptions): Promise<Row[]>;
  /** Deletes messages of `fid`; ids not in the folder make the result partial (MS-OXCFOLD RopDeleteMessages). */
  deleteMessages(fid: bigint, mids: readonly bigint[], opts?: { hard?: boolean }): Promise<DeleteResult>;
  moveCopyMessages(src: bigint, mids: readonly bigint[], dst: bigint, copy: boolean): Promise<MoveCopyResult>;
  /** Sets or clears the read flag; returns the MIDs whose flag changed. */
  setReadFlags(fid: bigint, mids: readonly bigint[] | null, read: boolean): Promise<bigint[]>;

  // --- change tracking (input of ICS) ---
  /** Changes and deletes of the folder's messages (or its child folders with kind 'folder') with CN > sinceCn. */
  changesSince(fid: bigint, kind: 'folder' | 'message', sinceCn: bigint): Promise<ChangeEntry[]>;
  /** Read-state changes (RopSetReadFlags, setReadFlags) of the folder's messages with a read CN > sinceCn. */
  readChangesSince(fid: bigint, sinceCn: bigint): Promise<{ id: bigint; read: boolean; cn: bigint }[]>;
  /** The highest CN used by a change so far (as an EID; 0n before any). */
  currentCn(): Promise<bigint>;

  // --- named properties (MS-OXCPRPT 3.1.5.x, per mailbox, stable forever) ---
  /** Ids 0x8000+ for the names (PS_MAPI lids map to themselves); 0 where unknown and !create. */
  getNamedIds(names: readonly PropertyName[], create: boolean): Promise<number[]>;
  getNames(ids: readonly number[]): Promise<(PropertyName | null)[]>;
  queryNamedProps(guid?: string): Promise<{ id: number; name: PropertyName }[]>;

  // --- receive folders (MS-OXCSTOR 2.2.1.2-4) ---
  getReceiveFolder(messageClass: string): Promise<{ fid: bigint; explicitClass: string }>;
  /** fid 0n removes the entry. */
  setReceiveFolder(messageClass: string, fid: bigint): Promise<void>;
  receiveFolderTable(): Promise<ReceiveFolderEntry[]>;

  // --- per-user information (MS-OXCSTOR 2.2.1.9-12) on a private mailbox ---
  perUserLongTermIds(databaseGuid: string): Promise<Buffer[]>;
  perUserGuid(ltid: Uint8Array): Promise<string>;
  readPerUserInformation(ltid: Uint8Array, offset: number, maxSize: number): Promise<{ data: Buffer; hasFinished: boolean }>;
  writePerUserInformation(ltid: Uint8Array, offset: number, data: Uint8Array, hasFinished: boolean, replGuid?: string): Promise<void>;

  close(): Promise<void>;
}
