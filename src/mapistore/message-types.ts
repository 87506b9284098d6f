// The Store API's message model (types.ts holds the rest): message and attachment objects as RopCreateMessage,
// RopOpenMessage and RopOpenAttachment give them, their recipients and their property streams (MS-OXCMSG 2.2,
// MS-OXCPRPT 2.2.14-20).
import type { TaggedValue } from '../mapi/props.js';
import type { IcsImportTracking, PropertyProblem, PropResult } from './types.js';

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
   * `tracking` (ICS upload, MS-OXCFXICS 3.2.5.9.4.2; top-level only): the client's change tracking of the version,
   * stored in the same transaction as the message (as setChangeTracking would record it); a bad one stores nothing.
   */
  save(opts?: { force?: boolean; tracking?: IcsImportTracking }): Promise<bigint>;
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
