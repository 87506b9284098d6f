// The Store API: what the ROP handlers (and later ICS) use to reach a mailbox. Backend-neutral and async: the
// embedded backend answers from SQLite, the IMAP/CalDAV/CardDAV backends will answer from remote servers through
// the same calls. IDs are EIDs as bigint (see src/mapi/ids.ts): ReplicaId 1 + 48-bit GLOBCNT.
// See docs/mapistore.md for the ID/CN/PCL rules.
import type { PropValue, TaggedValue } from '../mapi/props.js';
import type { PropertyName } from '../mapi/named.js';
import type { MailboxEvents } from './events.js';

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

// --- full message model (MS-OXCMSG 2.2, MS-OXCPRPT 2.2.14-20): message objects, recipients, attachments, streams ---

/** MS-OXCMSG 2.2.3.1.1 RopModifyRecipients RecipientRows entry: a row by RowId; `props` null (or empty) removes the row. */
export interface RecipientChange {
  rowId: number;
  /** PidTagRecipientType (and the rest of the row's columns); null or [] deletes the row. */
  props: readonly TaggedValue[] | null;
}

/** A stored recipient row (RopReadRecipients / recipient table). */
export interface RecipientRow {
  rowId: number;
  /** PidTagRecipientType (MAPI_TO 1, MAPI_CC 2, MAPI_BCC 3); 0 when the row has none. */
  recipientType: number;
  props: TaggedValue[];
}

/** RopOpenStream OpenModeFlags (MS-OXCPRPT 2.2.14.1): 'read' ReadOnly, 'readwrite' ReadWrite, 'create' Create (starts empty). */
export type StreamMode = 'read' | 'readwrite' | 'create';

/**
 * An open property value (RopOpenStream .. RopCommitStream / RopRelease). Reads see the committed value plus this
 * stream's own writes; commit() makes the new value the property's value on the owning object (which the object's
 * save then stores). A stream never holds the whole value in memory: it is kept as 64 KiB chunk rows.
 */
export interface PropStream {
  readonly tag: number;
  /** Bytes (PT_UNICODE as UTF-16LE without terminator, PT_STRING8 as its 8-bit bytes, PT_BINARY raw). */
  size(): number;
  /** Up to `length` bytes from `offset` (fewer at the end; empty past the end). RopReadStream. */
  read(offset: number, length: number): Promise<Buffer>;
  /** RopWriteStream at `offset` (a gap is zero-filled); past the configured maximum value size: StoreError SEC.TooBig, nothing changed. */
  write(offset: number, data: Uint8Array): Promise<void>;
  /** RopSetStreamSize: truncates or zero-extends (same limit). */
  setSize(size: number): Promise<void>;
  /** RopCommitStream: the value becomes the property's value on the owning object (not yet saved). */
  commit(): Promise<void>;
  /** RopRelease: drops uncommitted writes. */
  close(): Promise<void>;
}

/** Property access shared by message and attachment objects (RopGetPropertiesSpecific .. RopDeleteProperties). */
export interface PropObject {
  /** Values larger than the inline limit come back as { error: SEC.NotEnoughMemory } (read them with openStream). */
  getProps(tags?: readonly number[]): Promise<PropResult[]>;
  listProps(): Promise<number[]>;
  setProps(values: readonly TaggedValue[]): Promise<PropertyProblem[]>;
  deleteProps(tags: readonly number[]): Promise<PropertyProblem[]>;
  /** RopOpenStream on a PT_BINARY / PT_UNICODE / PT_STRING8 property; 'read' on a missing property: NotFound. */
  openStream(tag: number, mode: StreamMode): Promise<PropStream>;
}

/** A message opened or created for change (RopCreateMessage / RopOpenMessage / RopOpenEmbeddedMessage). */
export interface MessageObject extends PropObject {
  /** The folder of a top-level message (of its top-level message for an embedded one). */
  readonly fid: bigint;
  /** The MID: null for a new top-level message before its first save; null for embedded messages. */
  readonly mid: bigint | null;
  readonly embedded: boolean;
  // recipients (MS-OXCMSG 2.2.3.1-5)
  /** RopReadRecipients: rows with RowId >= fromRowId, in RowId order, at most `max`. */
  readRecipients(fromRowId?: number, max?: number): Promise<RecipientRow[]>;
  /** RopModifyRecipients: each change replaces (or removes) the row with its RowId. */
  modifyRecipients(changes: readonly RecipientChange[]): Promise<void>;
  /** RopRemoveAllRecipients; with `rows` given it is replace-all. */
  setRecipients(rows: readonly RecipientChange[]): Promise<void>;
  // attachments (MS-OXCMSG 2.2.3.12-18)
  /** Attachment numbers and (selected) properties: the attachment table (RopGetAttachmentTable), RopGetValidAttachments. */
  attachmentTable(tags?: readonly number[]): Promise<{ attachNum: number; props: PropResult[] }[]>;
  /** RopCreateAttachment: allocates the next AttachNum (never reused within the message). */
  createAttachment(): Promise<AttachmentObject>;
  /** RopOpenAttachment; NotFound for an unknown number. */
  openAttachment(attachNum: number): Promise<AttachmentObject>;
  /** RopDeleteAttachment (takes effect with the message's save). */
  deleteAttachment(attachNum: number): Promise<void>;
  /**
   * RopSaveChangesMessage: a top-level message is stored (a new one gets its MID and appears in the contents
   * table; CN, ChangeKey, PCL, PidTagMessageSize updated); an embedded one is written into its attachment object
   * (stored when the attachment and then the top-level message are saved). Returns the MID (0n when embedded).
   */
  save(): Promise<bigint>;
  /** RopRelease without save: unsaved changes (a never-saved draft entirely) are dropped. */
  discard(): Promise<void>;
}

/** An attachment opened or created on a MessageObject (PidTagAttachMethod says what it holds). */
export interface AttachmentObject extends PropObject {
  readonly attachNum: number;
  /** RopOpenEmbeddedMessage: the message in the attachment (PidTagAttachMethod afEmbeddedMessage 5); create makes one. */
  openEmbeddedMessage(create: boolean): Promise<MessageObject>;
  /** RopSaveChangesAttachment: the attachment becomes part of its message object (stored with the message's save). */
  save(): Promise<void>;
  discard(): Promise<void>;
}

/** MS-OXCMSG 2.2.1.x recipient types and attach methods the store knows. */
export const MAPI_TO = 1;
export const MAPI_CC = 2;
export const MAPI_BCC = 3;
export const ATTACH_BY_VALUE = 1;
export const ATTACH_EMBEDDED_MSG = 5;

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
  /** A new message object in `fid` (RopCreateMessage): invisible in contents tables until save(). */
  newMessage(fid: bigint, opts?: { associated?: boolean }): Promise<MessageObject>;
  /** RopOpenMessage: a saved message as an object to read or change (changes stored by its save()). */
  openMessage(mid: bigint): Promise<MessageObject>;
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
