// Shared pieces of the embedded backend: ID conversions, the computed-property sets, small value helpers.
import { makeEid } from '../../../mapi/ids.js';
import { propId, type PropValue } from '../../../mapi/props.js';
import { SEC, StoreError } from '../../errors.js';
import { decodeProps, encodeProps, valueSize } from '../../propcodec.js';
import { TAG } from '../../tags.js';
import type { PropResult } from '../../types.js';

export const REPL_ID = 1;
/** GLOBCNT (48 bits, safe as a JS number) of the SQLite columns. */
export const g2n = (g: bigint): number => Number(g);
export const eid = (g: number | bigint): bigint => makeEid(REPL_ID, BigInt(g));

/** Properties a client cannot set or delete on folders: the store computes them. */
export const FOLDER_COMPUTED = new Set<number>([
  TAG.EntryId, TAG.ObjectType, TAG.RecordKey, TAG.InstanceKey, TAG.Access, TAG.FolderId, TAG.ParentFolderId, TAG.ParentEntryId,
  TAG.SourceKey, TAG.ParentSourceKey, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.ChangeNumber, TAG.FolderType,
  TAG.ContentCount, TAG.ContentUnreadCount, TAG.AssociatedContentCount, TAG.Subfolders, TAG.FolderChildCount, TAG.Rights,
  TAG.MessageSize, TAG.MessageSizeExtended, TAG.CreationTime, TAG.LastModificationTime, TAG.Depth,
].map((t) => propId(t)));

export const MESSAGE_COMPUTED = new Set<number>([
  TAG.EntryId, TAG.ObjectType, TAG.RecordKey, TAG.InstanceKey, TAG.Access, TAG.FolderId, TAG.ParentFolderId, TAG.ParentEntryId,
  TAG.Mid, TAG.SourceKey, TAG.ParentSourceKey, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.ChangeNumber, TAG.Associated,
  TAG.MessageSize, TAG.CreationTime, TAG.LastModificationTime, TAG.Read,
].map((t) => propId(t)));

/** Props kept in columns, not in the JSON. */
export const FOLDER_COLUMN_IDS = new Set<number>([propId(TAG.DisplayName)]);

/** Largest message class accepted by setReceiveFolder (MS-OXCSTOR 2.2.1.3: at most 255 characters). */
export const MAX_CLASS = 255;

export function instanceKey(g: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(eid(g));
  return b;
}

export function toMap(results: PropResult[]): Map<number, PropValue> {
  const m = new Map<number, PropValue>();
  for (const r of results) m.set(r.tag >>> 0, 'error' in r ? r.error : r.value);
  return m;
}

/** Removes every stored value with the property id of `tag` (another type of the same property is replaced). */
export function deleteSameId(props: Map<number, PropValue>, tag: number): void {
  const id = propId(tag);
  for (const k of [...props.keys()]) if (propId(k) === id) props.delete(k);
}

export function messageSize(props: Map<number, PropValue>): number {
  let n = 0;
  for (const [t, v] of props) n += 4 + valueSize(t, v);
  return n;
}

/** A copied folder does not carry the special-folder entry IDs of the original. */
export function stripRen(json: string): string {
  const m = decodeProps(json);
  for (const t of [TAG.IpmAppointmentEntryId, TAG.IpmContactEntryId, TAG.IpmJournalEntryId, TAG.IpmNoteEntryId, TAG.IpmTaskEntryId,
    TAG.RemindersOnlineEntryId, TAG.IpmDraftsEntryId, TAG.AdditionalRenEntryIds, TAG.AdditionalRenEntryIdsEx]) m.delete(t);
  return encodeProps(m);
}

export function checkName(name: string): void {
  if (name === '' || name.length > 256) throw new StoreError('OC_STORE_BAD_NAME', SEC.InvalidParam, 'a folder name has 1..256 characters');
}

/** MS-OXCSTOR 2.2.1.2/3: a message class is ASCII 32..126, at most 255 characters, no leading/trailing/double dots. */
export function checkClass(c: string, lookup: boolean): void {
  const bad =
    c.length > MAX_CLASS || !/^[\x20-\x7e]*$/.test(c) || c.startsWith('.') || c.endsWith('.') || c.includes('..');
  if (bad) throw new StoreError('OC_STORE_BAD_CLASS', SEC.InvalidParam, `bad message class${lookup ? '' : ' for a receive folder'}`);
}
