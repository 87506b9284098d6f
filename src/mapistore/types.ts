// The Store API: what the ROP handlers (and later ICS) use to reach a mailbox. Backend-neutral and async: the
// embedded backend answers from SQLite, the IMAP/CalDAV/CardDAV backends will answer from remote servers through
// the same calls. IDs are EIDs as bigint (see src/mapi/ids.ts): ReplicaId 1 + 48-bit GLOBCNT.
// See docs/mapistore.md for the ID/CN/PCL rules.
import type { PropValue, TaggedValue } from '../mapi/props.js';
import type { PropertyName } from '../mapi/named.js';
import type { MailboxEvents } from './events.js';
import type { RopRestriction } from '../mapi/ropres.js';
import type { MessageObject } from './message-types.js';

export type { PropertyName };
// the message model (message and attachment objects, recipients, streams) is in message-types.ts
export * from './message-types.js';

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
  /** Optional: readies the index at start (IndexProvider.init): schema migrations run here, not at the first logon. */
  init?(): Promise<{ from: number; to: number; applied: number[] } | null>;
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

// --- folder permissions (MS-OXCPERM 2.2; issue 6 item 5, backends/local/permissions.ts) ---

/** MS-OXCPERM 2.2.5 PidTagMemberId of the Default member: everyone signed in without an entry of their own. */
export const MEMBER_ID_DEFAULT = 0n;
/** MS-OXCPERM 2.2.5 PidTagMemberId of the Anonymous member (0xFFFFFFFFFFFFFFFF; PT_I8 values are unsigned here). */
export const MEMBER_ID_ANONYMOUS = 0xffffffffffffffffn;
/** MS-OXCPERM 2.2.7 every PidTagMemberRights bit (ReadAny .. FreeBusyDetailed): what the mailbox owner has. */
export const MEMBER_RIGHTS_ALL = 0x00001ffb;
/** MS-OXCPERM 2.2.7 FreeBusySimple | FreeBusyDetailed (kept apart unless IncludeFreeBusy is set). */
export const MEMBER_RIGHTS_FREEBUSY = 0x00001800;

/** One entry of a folder's permissions list (a row of RopGetPermissionsTable). */
export interface PermissionEntry {
  /** MEMBER_ID_DEFAULT, MEMBER_ID_ANONYMOUS, or a store-assigned id (> 0, never reused in the mailbox). */
  memberId: bigint;
  /** The member's directory username ('' for Default and Anonymous). */
  username: string;
  /** PidTagMemberName: the display name ('' for Default, 'Anonymous' for Anonymous, as MS-OXCPERM 4.1 shows). */
  displayName: string;
  /** legacyExchangeDN of the member ('' for Default and Anonymous): its PidTagEntryId is built from it. */
  legacyDn: string;
  /** PidTagMemberRights. */
  rights: number;
}

/** A user as a permissions entry names it (resolved from PidTagEntryId by the caller). */
export interface PermissionMember {
  username: string;
  displayName: string;
  legacyDn: string;
}

/**
 * One change of RopModifyPermissions (MS-OXCPERM 2.2.2 PermissionData): add a user (an existing entry of the same
 * user gets the rights), change or remove an entry by member id. `keepFreeBusy`: the entry's FreeBusy bits stay as
 * stored (ModifyFlags without IncludeFreeBusy).
 */
export type PermissionChange =
  | { op: 'add'; member: PermissionMember; rights: number; keepFreeBusy?: boolean }
  | { op: 'modify'; memberId: bigint; rights: number; keepFreeBusy?: boolean }
  | { op: 'remove'; memberId: bigint };

// --- search folders (MS-OXCFOLD 2.2.1.4-5, 3.2.5.4-5; issue 6 item 7, backends/local/search.ts) ---

/** MS-OXCFOLD 2.2.1.4.1 RopSetSearchCriteria SearchFlags (other bits, e.g. MAPI's BACKGROUND_SEARCH 0x20, are ignored). */
export const SEARCH_FLAGS = {
  STOP_SEARCH: 0x00000001,
  RESTART_SEARCH: 0x00000002,
  RECURSIVE_SEARCH: 0x00000004,
  SHALLOW_SEARCH: 0x00000008,
  CONTENT_INDEXED_SEARCH: 0x00010000,
  NON_CONTENT_INDEXED_SEARCH: 0x00020000,
  STATIC_SEARCH: 0x00040000,
} as const;

/** MS-OXCFOLD 2.2.1.5.2 RopGetSearchCriteria SearchFlags: the state of the search. */
export const SEARCH_STATE = {
  SEARCH_RUNNING: 0x00000001,
  SEARCH_REBUILD: 0x00000002,
  SEARCH_RECURSIVE: 0x00000004,
  SEARCH_COMPLETE: 0x00001000,
  SEARCH_PARTIAL: 0x00002000,
  SEARCH_STATIC: 0x00010000,
  SEARCH_MAYBE_STATIC: 0x00020000,
  CI_TOTALLY: 0x01000000,
  TWIR_TOTALLY: 0x08000000,
} as const;

/** MS-OXCDATA 2.4 codes the search-folder calls reject with (StoreError.ec). */
export const SEARCH_EC = {
  /** ecNotSearchFolder: criteria on a folder that is not a search folder. */
  NotSearchFolder: 0x00000461,
  /** ecSearchFolderScopeViolation: a scope folder of another replica, the search folder itself, or a search folder. */
  SearchFolderScopeViolation: 0x00000490,
  /** ecNotInitialized: no restriction or no scope given and none set before. */
  NotInitialized: 0x80040605,
  /** ecTooComplex: a restriction the store does not evaluate (too deep or large, RELOP_RE, PT_UNSPECIFIED). */
  TooComplex: 0x80040117,
} as const;

/** What RopSetSearchCriteria changes: a null restriction or an empty folder list keeps the one set before. */
export interface SearchCriteriaChange {
  restriction: RopRestriction | null;
  folderIds: readonly bigint[];
  /** SEARCH_FLAGS bits as the client sent them. */
  searchFlags: number;
}

/** The criteria of a search folder (RopGetSearchCriteria). */
export interface SearchCriteria {
  restriction: RopRestriction;
  folderIds: bigint[];
  /** SEARCH_FLAGS of the search as it runs (RESTART/STOP and RECURSIVE/SHALLOW resolved, STATIC kept). */
  searchFlags: number;
  /** SEARCH_STATE bits (RopGetSearchCriteria response SearchFlags). */
  searchState: number;
}

/** Per-mailbox store: every call is async and, on failure, rejects with a StoreError carrying a MAPI ec value. */
export interface MailboxStore {
  readonly mailboxGuid: string;
  readonly replGuid: string;
  readonly replId: 1;
  readonly owner: MailboxOwner;
  readonly special: SpecialFolders;
  /** Change events of this mailbox (src/mapistore/events.ts), shared by every session that opened it. */
  readonly events: MailboxEvents;

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

  // --- messages (MS-OXCMSG): the minimal property calls; newMessage/openMessage give the full model (MessageObject) ---
  createMessage(fid: bigint, init: MessageInit): Promise<bigint>;
  /** Fast path for tests and benchmarks: one transaction, CNs and MIDs allocated as a range. */
  bulkInsertMessages(fid: bigint, messages: readonly MessageInit[]): Promise<bigint[]>;
  /**
   * Optional: save() of several new top-level message objects of one folder (made by newMessage of this store, never
   * saved, no ICS tracking) in one transaction, their MIDs and CNs allocated as a range; the IMAP mirror's batches.
   * Each message is stored as its own save() would store it, with an objectCreated event each and one ObjectModified
   * of the folder (the counts after the batch). All or nothing: a StoreError stores none (the caller may save them one
   * by one), and a message that cannot be saved this way (saved before, of another folder, given twice, a blob-backed
   * stream value) fails the call the same way. Returns each message's MID and CN in order.
   */
  saveNewMessages?(fid: bigint, messages: readonly MessageObject[]): Promise<{ mid: bigint; cn: bigint }[]>;
  /** A new message object in `fid` (RopCreateMessage): invisible in contents tables until save(). */
  newMessage(fid: bigint, opts?: { associated?: boolean }): Promise<MessageObject>;
  /** RopOpenMessage: a saved message as an object to read or change (changes stored by its save()). */
  openMessage(mid: bigint): Promise<MessageObject>;
  /**
   * Optional: openMessage of several messages in two steps (ICS downloads). Their stored rows are read now, in one
   * run (cheaper per row than one at a time between other work); each opener builds its object when called, so that
   * the messages waiting their turn hold only their rows, not their decoded values. An opener gives what openMessage
   * would give at that moment (the row is read again if the mailbox changed since) and rejects as it would.
   */
  prefetchMessages?(mids: readonly bigint[]): Promise<Array<() => Promise<MessageObject>>>;
  /**
   * Optional: getMessageProps(mid, tags) of several messages in one call (the headers an ICS download reads for every
   * candidate); null where a message does not exist. Each answer is the one getMessageProps would give.
   */
  getMessagesProps?(mids: readonly bigint[], tags: readonly number[]): Promise<Array<PropResult[] | null>>;
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
  // --- message status and flag bits (MS-OXCMSG 2.2.3.8-10; messages helper): no CN, ChangeKey or modification time ---
  /** PidTagMessageStatus of a message of `fid` (NotFound when it is not in that folder). */
  getMessageStatus(fid: bigint, mid: bigint): Promise<number>;
  /** Sets the `mask` bits of PidTagMessageStatus to those of `flags`; returns the status before. */
  setMessageStatus(fid: bigint, mid: bigint, flags: number, mask: number): Promise<number>;
  /** Clears `bits` of the stored PidTagMessageFlags (mfNotifyRead/Unread) of the messages of `fid`; ids elsewhere are skipped. */
  clearMessageFlags(fid: bigint, mids: readonly bigint[], bits: number): Promise<bigint[]>;

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

  // --- folder permissions (MS-OXCPERM; issue 6 item 5, backends/local/permissions.ts) ---
  /** The folder's permissions list: Default first, Anonymous second, then the users in member id order. */
  getPermissions(fid: bigint): Promise<PermissionEntry[]>;
  /**
   * Applies RopModifyPermissions changes in one transaction (all or nothing: an unknown member id is NotFound, a
   * change without what it needs InvalidParam). `replace`: every user entry goes first (Default and Anonymous stay).
   */
  modifyPermissions(fid: bigint, changes: readonly PermissionChange[], opts?: { replace?: boolean }): Promise<void>;
  /** The rights `username` has on the folder: all for the mailbox owner, its entry's, else the Default member's. */
  rightsOf(fid: bigint, username: string): Promise<number>;

  // --- notifications (issue 6, H3; MS-OXCNOTIF 2.2.1.4.1.2 NewMail) ---
  /**
   * Reports the NewMail event for message `mid`, just delivered into folder `fid` (call after the message is saved,
   * which already reported ObjectCreated). Rejects with a StoreError when the message is not in that folder.
   */
  notifyNewMail(fid: bigint, mid: bigint): Promise<void>;

  // --- search folders (issue 6 item 7, H7; MS-OXCFOLD 3.2.5.4-5): contents follow the criteria, see SEARCH_* above ---
  /**
   * RopSetSearchCriteria on a search folder: stores the criteria and (re)fills the folder synchronously, then reports
   * 'searchComplete' on `events`. Rejects with SEARCH_EC.NotSearchFolder, NotInitialized, SearchFolderScopeViolation,
   * TooComplex, SEC.NotFound (unknown scope folder) or SEC.InvalidParam (STOP+RESTART or RECURSIVE+SHALLOW);
   * nothing stored changes then.
   */
  setSearchCriteria(fid: bigint, change: SearchCriteriaChange): Promise<void>;
  /** RopGetSearchCriteria: null when none were set; rejects with SEARCH_EC.NotSearchFolder for another folder. */
  getSearchCriteria(fid: bigint): Promise<SearchCriteria | null>;

  // --- server-side rules (MS-OXORULE; issue 6 item 6, H6, backends/local/rules.ts; types RuleFields.. at the end) ---
  /** The folder's standard rules in PidTagRuleSequence order (then PidTagRuleId); NotFound for an unknown folder. */
  listRules(fid: bigint): Promise<StoredRule[]>;
  /**
   * RopModifyRules: applies every change in one transaction or none (an unknown rule id is NotFound, an add
   * without actions InvalidParam). `replace`: every rule of the folder goes first. Returns the ids of added rules.
   */
  modifyRules(fid: bigint, changes: readonly RuleChange[], opts?: { replace?: boolean }): Promise<bigint[]>;
  /** Sets the server-kept status of a rule (PidTagRuleState, PidTagRuleError, the problem text) after running it. */
  setRuleStatus(fid: bigint, ruleId: bigint, status: { state: number; error: number; problem: string | null }): Promise<void>;
  /** RopUpdateDeferredActionMessages: records the pair (a later pair for the same server entry id replaces it). */
  recordDeferredActionUpdate(serverEntryId: Buffer, clientEntryId: Buffer): Promise<void>;
  deferredActionUpdates(): Promise<{ serverEntryId: Buffer; clientEntryId: Buffer }[]>;

  // --- ICS upload (MS-OXCFXICS 3.2.5.9.4; issue 7 item 4, K5, backends/local/ics-import.ts; types IcsImportTracking.. at the end) ---
  /**
   * The folder or message whose PidTagSourceKey is `sourceKey` (the server's own XIDs and the client's foreign ones):
   * `{ id }` when it exists, `{ id, deleted: true }` when it was deleted (id 0n for a key the client deleted that never
   * existed here), null when unknown. A key that is not an XID (17..24 bytes) is SEC.InvalidParam.
   */
  findBySourceKey(kind: 'folder' | 'message', sourceKey: Uint8Array): Promise<{ id: bigint; deleted: boolean } | null>;
  /** PidTagSourceKey of a folder or message, also of a deleted one (folderChangeInfo/messageChangeInfo report it too). */
  sourceKeyOf(kind: 'folder' | 'message', id: bigint): Promise<Buffer>;
  /**
   * Records the change tracking a client gave the stored version of `id` (an imported message after its save, a moved
   * one): PCL merged with `t.pcl`, change key (null: the server's), source key and modification time as given; no new
   * CN. folderChangeInfo/messageChangeInfo report them while the version stays the current one.
   */
  setChangeTracking(kind: 'folder' | 'message', id: bigint, t: IcsImportTracking): Promise<void>;
  /**
   * RopSynchronizationImportMessageMove: message `mid` into folder `dst` with tracking `t` (source key
   * DestinationMessageId), move and tracking in one transaction. A source key naming an ID the client reserved
   * (RopGetLocalReplicaIds, unused) becomes the message's ID (its old one is deleted from the source folder); returns
   * the message's ID afterwards.
   */
  importMessageMove(mid: bigint, dst: bigint, t: IcsImportTracking & { sourceKey: Buffer }): Promise<bigint>;
  /** A new CN for `id` (content unchanged) whose PCL also holds `pcl`: a conflict the server's version won. Returns the CN. */
  bumpChange(kind: 'folder' | 'message', id: bigint, pcl: Uint8Array): Promise<bigint>;
  /** Source keys the client deleted that never existed here, kept so that later imports do not restore them. */
  recordDeletedSourceKeys(kind: 'folder' | 'message', keys: readonly Uint8Array[]): Promise<void>;
  /** A folder from the client (new: `fid` null) with its tracking, in one transaction; returns its FID. */
  importFolder(fid: bigint | null, f: IcsFolderImport): Promise<bigint>;
  /** Read states from the client: one CN for all; FAI and unknown messages skipped; messages of other folders than `fid` change too. */
  importReadStates(fid: bigint, changes: readonly { mid: bigint; read: boolean }[]): Promise<{ cn: bigint | null; changed: bigint[] }>;
  /** RopGetLocalReplicaIds: `count` GLOBCNTs reserved for the client (never used by the server); the first. */
  allocateClientRange(count: number): Promise<bigint>;
  /** RopSetLocalReplicaMidsetDeleted: inclusive GLOBCNT ranges the client gave up. */
  recordDeletedRanges(ranges: readonly { first: bigint; last: bigint }[]): Promise<void>;

  /**
   * Optional (backends mirroring another server, e.g. IMAP): brings folder `fid` up to date with that server before a
   * client looks at its contents (RopGetContentsTable, contents RopSynchronizationConfigure). Rate-limited by the
   * backend; never rejects for a remote failure (the local mirror is answered from then).
   */
  refreshFolder?(fid: bigint): Promise<void>;

  /**
   * Optional, like refreshFolder: brings the folder hierarchy up to date with the other server (folders created,
   * renamed or deleted there) before a client reads it (RopGetHierarchyTable, hierarchy RopSynchronizationConfigure).
   */
  refreshHierarchy?(): Promise<void>;

  /**
   * Optional: a client logged on to this mailbox (RopLogon), which may have been open already. A backend that paused
   * its syncs after the other server refused the login (the IMAP backend) tries again at the next refresh.
   */
  loggedOn?(): void;

  close(): Promise<void>;
}

// --- server-side rules (MS-OXORULE 2.2.1.3.1; issue 6 item 6, H6) ---

/** The properties of a standard rule as stored (MS-OXORULE 2.2.1.3.1). */
export interface RuleFields {
  /** PidTagRuleSequence: evaluation order, lowest first. */
  sequence: number;
  /** PidTagRuleState (ST_ENABLED, ST_ERROR, ST_ONLY_WHEN_OOF, ST_EXIT_LEVEL, ST_RULE_PARSE_ERROR ...). */
  state: number;
  userFlags: number;
  level: number;
  name: string;
  provider: string;
  providerData: Buffer | null;
  /** PidTagRuleCondition: the restriction's ROP-buffer bytes (MS-OXCDATA 2.12), null when the rule has none. */
  condition: Buffer | null;
  /** PidTagRuleActions: the RuleAction bytes as the client sent them (MS-OXORULE 2.2.5). */
  actions: Buffer;
  /** The parsed form of the actions (JSON, src/mapi/ruleactions.ts describeRuleActions), null when they do not parse. */
  actionsParsed: string | null;
  /** Code page of the 8-bit strings inside condition and actions (the logon's when they were stored). */
  codePage: number;
  /** PidTagRuleError (MS-OXORULE 2.2.7.2) of the last failure, 0 for none. */
  error: number;
  /** What is wrong with the rule (unsupported action or condition, failure while running it), for the log and the admin. */
  problem: string | null;
}

export interface StoredRule extends RuleFields {
  /** PidTagRuleId: unique in the folder, assigned by the store. */
  id: bigint;
}

/** One RopModifyRules RuleData (MS-OXORULE 2.2.1.1: ROW_ADD, ROW_MODIFY, ROW_REMOVE). */
export type RuleChange =
  | { op: 'add'; fields: Partial<RuleFields> & Pick<RuleFields, 'actions'> }
  | { op: 'modify'; id: bigint; fields: Partial<RuleFields> }
  | { op: 'remove'; id: bigint };

// --- ICS upload (MS-OXCFXICS 3.2.5.9.4; issue 7 item 4, K5) ---

/** Change tracking a client gave an imported version (RopSynchronizationImport*). */
export interface IcsImportTracking {
  /** PidTagSourceKey (an XID); absent: unchanged. */
  sourceKey?: Buffer;
  /** PidTagChangeKey of the version; null: the server's own (a merged version). */
  changeKey: Buffer | null;
  /** PidTagPredecessorChangeList of the version (the change key is merged in). */
  pcl: Buffer;
  /** 'replace': the stored PCL becomes `pcl` (the stored version is exactly the client's); 'merge' (default): merged with the stored one. */
  pclMode?: 'merge' | 'replace';
  /** PidTagLastModificationTime (FILETIME); absent: unchanged. */
  lastModified?: bigint;
}

/** What RopSynchronizationImportHierarchyChange sets on a folder. */
export interface IcsFolderImport {
  parent: bigint;
  displayName: string;
  /** Further folder properties (computed ones are skipped). */
  props: readonly TaggedValue[];
  tracking: IcsImportTracking & { sourceKey: Buffer };
}
