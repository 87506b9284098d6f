// Messages of the embedded backend, the minimal calls (properties, read state, FAI flag); recipients, attachments
// and streams are the message objects of objects.ts. Called by LocalMailbox, which serializes the mutations.
// Given a search folder (MS-OXCFOLD 2.2.1.4), deleteMessages, moveCopyMessages and setReadFlags act on the messages
// it links to, in their own folders (the changes are reported from there); the search folder's own FAI messages too.
// PidTagHasAttachments and MSGFLAG_HASATTACH are the store's (computed.ts messageFlags, stored by the saves of
// objects.ts): createMessage / bulkInsertMessages make messages without attachments and ignore a client's value,
// setMessageProps / deleteMessageProps refuse it (ecComputed).
import { eidGlobcnt, eidReplId } from '../../../mapi/ids.js';
import { PT, propId, propType, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { notFound, SEC, StoreError } from '../../errors.js';
import { pclAfterChange } from '../../pcl.js';
import { pickProps } from '../../proppick.js';
import { badValue, checkValue, decodeStored, decodeValue, encodeStored, isBigMark } from '../../propcodec.js';
import { MSGFLAG_ASSOCIATED, MSGFLAG_READ, MSGFLAG_UNMODIFIED, TAG } from '../../tags.js';
import type {
  ChangeInfo, ContentsOptions, DeleteResult, MessageInit, MoveCopyResult, PropertyProblem, PropResult, Row,
} from '../../types.js';
import { MSGFLAG_HASATTACH, PidTagHasAttachments, messageProps, messagePropsOf } from './computed.js';
import { MESSAGE_COMPUTED, REPL_ID, deleteSameId, eid, g2n, messageSize, toMap } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';
import { copyContent, dropContent, insertNewRows } from './objects.js';
import type { FolderRow, MessageRow } from './schema.js';
import { FOLDER_SEARCH } from '../../types.js';
import * as ev from './events-emit.js';

/**
 * PidTagHasAttachments is the store's (computed.ts messageFlags): stored by every save of a message object from its
 * attachments, never taken from a client. A message made here has none (absent reads as FALSE).
 */
const isComputed = (tag: number): boolean => MESSAGE_COMPUTED.has(propId(tag)) || propId(tag) === propId(PidTagHasAttachments);
/** PidTagMessageFlags bits a property change cannot set: read state (kept apart), FAI, unmodified, has-attachments. */
const STORE_FLAGS = MSGFLAG_READ | MSGFLAG_ASSOCIATED | MSGFLAG_UNMODIFIED | MSGFLAG_HASATTACH;

export function prepareMessage(init: MessageInit): { props: Map<number, PropValue>; size: number; read: boolean } {
  const props = new Map<number, PropValue>();
  let read = init.read ?? false;
  for (const v of init.props) {
    if (isComputed(v.tag)) continue;
    if (!checkValue(v.tag, v.value)) throw badValue(v.tag);
    if (v.tag >>> 0 === TAG.MessageFlags) {
      read ||= ((v.value as number) & MSGFLAG_READ) !== 0;
      // MSGFLAG_UNMODIFIED may come with a delivered message (createMessage keeps it)
      props.set(TAG.MessageFlags, (v.value as number) & ~(MSGFLAG_READ | MSGFLAG_ASSOCIATED | MSGFLAG_HASATTACH));
      continue;
    }
    props.set(v.tag >>> 0, v.value);
  }
  return { props, size: messageSize(props), read };
}

export async function createMessage(mb: LocalMailbox, fid: bigint, init: MessageInit): Promise<bigint> {
  const f = mb.folderRow(fid);
  const p = prepareMessage(init);
  const g = await mb.ids(2);
  const now = Date.now();
  mb.write(() => {
    const s = encodeStored(p.props);
    mb.st.insMessage.run(g2n(g), f.fid, init.associated ? 1 : 0, p.read ? 1 : 0, g2n(g + 1n), now, now,
      pclAfterChange(null, mb.replGuid, g + 1n), p.size, s.text, s.big);
    mb.noteCn(g + 1n);
  });
  ev.messageCreated(mb, fid, eid(g), init.associated ?? false);
  return eid(g);
}

export async function bulkInsertMessages(mb: LocalMailbox, fid: bigint, messages: readonly MessageInit[]): Promise<bigint[]> {
  const f = mb.folderRow(fid);
  if (messages.length === 0) return [];
  const prepared = messages.map((m) => prepareMessage(m));
  mb.cache = { next: 0n, end: 0n };
  const g = await mb.index.allocate(2 * messages.length);
  const rows = prepared.map((p, i) => ({ assoc: messages[i]?.associated ?? false, read: p.read, size: p.size, stored: encodeStored(p.props), content: null }));
  return insertNewRows(mb, fid, f.fid, g, rows).map((o) => o.mid);
}

export async function messageExists(mb: LocalMailbox, mid: bigint): Promise<boolean> {
  return eidReplId(mid) === REPL_ID && mb.st.message.get(g2n(eidGlobcnt(mid))) !== undefined;
}

export async function folderOfMessage(mb: LocalMailbox, mid: bigint): Promise<bigint | null> {
  const r = eidReplId(mid) === REPL_ID ? (mb.st.message.get(g2n(eidGlobcnt(mid))) as MessageRow | undefined) : undefined;
  return r ? eid(r.fid) : null;
}

export async function getMessageProps(mb: LocalMailbox, mid: bigint, tags?: readonly number[]): Promise<PropResult[]> {
  if (tags) {
    const few = fewProps(mb, mid, tags);
    if (few) return few;
  }
  return pickProps(messageProps(mb.pctx, mb.messageRow(mid)), tags);
}

// A few properties of fixed type (ICS headers: keys, times, sizes) without reading and decoding the whole stored
// property text: the properties messagePropsOf computes from the row's columns alone need no stored value, so a
// request of only those reads no `props` column at all (a ~10 KB message's text sits in overflow pages that SQLite
// then leaves alone); other stored values are extracted by SQLite (with the two PidTagMessageFlags depends on when it
// is asked for). The answer is the one messageProps gives.
const FEW_TYPES: ReadonlySet<number> = new Set([PT.I2, PT.LONG, PT.BOOLEAN, PT.I8, PT.CURRENCY, PT.SYSTIME, PT.BINARY]);
const FEW_MAX = 24;
const FEW_ALWAYS = [TAG.MessageFlags >>> 0, PidTagHasAttachments >>> 0];
/** Set by messagePropsOf from the row's columns whatever is stored. */
const ROW_COMPUTED: ReadonlySet<number> = new Set([
  TAG.ObjectType, TAG.Mid, TAG.FolderId, TAG.ParentFolderId, TAG.EntryId, TAG.ParentEntryId, TAG.RecordKey, TAG.InstanceKey,
  TAG.MessageSize, TAG.MessageSizeExtended, TAG.Read, TAG.Associated, TAG.Access, TAG.AccessLevel, TAG.SourceKey,
  TAG.ParentSourceKey, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.ChangeNumber, TAG.CreationTime, TAG.LastModificationTime,
].map((t) => t >>> 0));
/** A fewProps query: the statement for one mid, the one for FEW_RUN mids, and the stored keys they extract. */
interface FewQuery {
  one: ReturnType<LocalMailbox['db']['prepare']>;
  run: ReturnType<LocalMailbox['db']['prepare']>;
  keys: number[];
}
type FewRow = Omit<MessageRow, 'props'> & Record<string, unknown>;
const fewStatements = new WeakMap<LocalMailbox, Map<string, FewQuery>>();
/** Messages getMessagesProps reads with one statement (missing places are filled with mid 0, which no message has). */
const FEW_RUN = 32;

function fewQuery(mb: LocalMailbox, tags: readonly number[]): FewQuery | null {
  if (tags.length > FEW_MAX || !tags.every((t) => FEW_TYPES.has(propType(t)))) return null;
  let byMb = fewStatements.get(mb);
  if (!byMb) fewStatements.set(mb, (byMb = new Map()));
  const key = tags.join(',');
  let q = byMb.get(key);
  if (!q) {
    const wanted = tags.map((t) => t >>> 0);
    const flagsToo = wanted.some((t) => FEW_ALWAYS.includes(t));
    const keys = [...new Set([...wanted.filter((t) => !ROW_COMPUTED.has(t)), ...(flagsToo ? FEW_ALWAYS : [])])];
    // the keys are decimal numbers: nothing to quote
    const cols = keys.map((k, i) => `, json_extract(props, '$."${k}"') AS p${i}`).join('');
    const select = `SELECT mid, fid, assoc, read, cn, created, modified, pcl, size${cols} FROM messages`;
    q = {
      one: mb.db.prepare(`${select} WHERE mid = ?`),
      run: mb.db.prepare(`${select} WHERE mid IN (${new Array(FEW_RUN).fill('?').join(', ')})`),
      keys,
    };
    if (byMb.size >= 32) byMb.clear();
    byMb.set(key, q);
  }
  return q;
}

/** The answer of getMessageProps(row's mid, tags) from a row of query `q`. */
function fewFromRow(mb: LocalMailbox, q: FewQuery, r: FewRow, tags: readonly number[]): PropResult[] {
  const stored = new Map<number, PropValue>();
  let big = false;
  q.keys.forEach((k, i) => {
    const v = r[`p${i}`];
    if (v === null || v === undefined) return;
    if (isBigMark(k, v)) big = true;
    else if (propType(k) === PT.BOOLEAN) stored.set(k, v === 1 || v === true);
    else if (typeof v === 'number' || typeof v === 'string') stored.set(k, decodeValue(k, v));
  });
  // a binary of BIG_MIN bytes or more is in the row's big column, which the statement does not read: the whole row
  if (big) return pickProps(messageProps(mb.pctx, mb.messageRow(eid(r.mid))), tags);
  return pickProps(messagePropsOf(mb.pctx, { ...r, props: '' }, stored, r.size, r.read !== 0), tags);
}

function fewProps(mb: LocalMailbox, mid: bigint, tags: readonly number[]): PropResult[] | null {
  const q = fewQuery(mb, tags);
  if (!q) return null;
  const r = eidReplId(mid) === REPL_ID ? (q.one.get(g2n(eidGlobcnt(mid))) as FewRow | undefined) : undefined;
  if (!r) throw notFound('message', mid);
  return fewFromRow(mb, q, r, tags);
}

/**
 * MailboxStore.getMessagesProps: fewProps' statement over FEW_RUN messages at a time (a Cached Exchange Mode download
 * reads the headers of every candidate), else getMessageProps one by one.
 */
export async function getMessagesProps(mb: LocalMailbox, mids: readonly bigint[], tags: readonly number[]): Promise<Array<PropResult[] | null>> {
  const q = fewQuery(mb, tags);
  const out: Array<PropResult[] | null> = [];
  if (!q) {
    for (const mid of mids) {
      try {
        out.push(await getMessageProps(mb, mid, tags));
      } catch (e) {
        if (e instanceof StoreError && e.ec === SEC.NotFound) out.push(null);
        else throw e;
      }
    }
    return out;
  }
  const args = new Array<number>(FEW_RUN);
  for (let i = 0; i < mids.length; i += FEW_RUN) {
    const part = mids.slice(i, i + FEW_RUN);
    for (let k = 0; k < FEW_RUN; k++) {
      const mid = part[k];
      args[k] = mid !== undefined && eidReplId(mid) === REPL_ID ? g2n(eidGlobcnt(mid)) : 0;
    }
    const byMid = new Map<number, FewRow>();
    for (const r of q.run.all(args) as FewRow[]) byMid.set(r.mid, r);
    for (const mid of part) {
      const r = eidReplId(mid) === REPL_ID ? byMid.get(g2n(eidGlobcnt(mid))) : undefined;
      out.push(r ? fewFromRow(mb, q, r, tags) : null);
    }
  }
  return out;
}

export async function listMessageProps(mb: LocalMailbox, mid: bigint): Promise<number[]> {
  return [...messageProps(mb.pctx, mb.messageRow(mid)).keys()];
}

export async function setMessageProps(mb: LocalMailbox, mid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
  const r = mb.messageRow(mid);
  const props = decodeStored(r.props, r.big);
  const problems: PropertyProblem[] = [];
  let read = r.read !== 0;
  values.forEach((v, index) => {
    if (isComputed(v.tag)) return problems.push({ index, tag: v.tag, error: SEC.Computed });
    if (!checkValue(v.tag, v.value)) return problems.push({ index, tag: v.tag, error: SEC.InvalidParam });
    if (v.tag >>> 0 === TAG.MessageFlags) {
      read = ((v.value as number) & MSGFLAG_READ) !== 0;
      props.set(TAG.MessageFlags, (v.value as number) & ~STORE_FLAGS);
      return;
    }
    deleteSameId(props, v.tag);
    props.set(v.tag >>> 0, v.value);
  });
  await rewriteMessage(mb, r, props, read);
  return problems;
}

export async function deleteMessageProps(mb: LocalMailbox, mid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
  const r = mb.messageRow(mid);
  const props = decodeStored(r.props, r.big);
  const problems: PropertyProblem[] = [];
  tags.forEach((tag, index) => {
    if (isComputed(tag)) return problems.push({ index, tag, error: SEC.Computed });
    deleteSameId(props, tag);
  });
  await rewriteMessage(mb, r, props, r.read !== 0);
  return problems;
}

export async function rewriteMessage(mb: LocalMailbox, r: MessageRow, props: Map<number, PropValue>, read: boolean): Promise<void> {
  const cn = await mb.ids(1);
  const s = encodeStored(props);
  mb.write(() => {
    mb.db
      .prepare('UPDATE messages SET props = ?, big = ?, size = ?, read = ?, cn = ?, modified = ?, pcl = ? WHERE mid = ?')
      .run(s.text, s.big, messageSize(props), read ? 1 : 0, g2n(cn), Date.now(), pclAfterChange(r.pcl, mb.replGuid, cn), r.mid);
    mb.noteCn(cn);
  });
  ev.messageModified(mb, eid(r.fid), eid(r.mid), undefined, r.assoc !== 0);
}

export async function messageChangeInfo(mb: LocalMailbox, mid: bigint): Promise<ChangeInfo> {
  const r = eidReplId(mid) === REPL_ID ? (mb.st.messageChange.get(g2n(eidGlobcnt(mid))) as Pick<MessageRow, 'mid' | 'cn' | 'pcl' | 'modified'> | undefined) : undefined;
  if (!r) throw notFound('message', mid);
  return mb.changeInfo(r.mid, r.cn, r.pcl, r.modified);
}

export async function contentsRows(mb: LocalMailbox, fid: bigint, o: ContentsOptions = {}): Promise<Row[]> {
  const f = mb.folderRow(fid);
  // a search folder's contents are the messages its criteria find (search.ts); its FAI messages are its own
  if (f.folder_type === FOLDER_SEARCH && !o.associated) return mb.search.contentsRows(f.fid, o);
  const rows = mb.db.prepare('SELECT * FROM messages WHERE fid = ? AND assoc = ? ORDER BY mid').all(f.fid, o.associated ? 1 : 0) as MessageRow[];
  return rows.map((r) => ({ id: eid(r.mid), props: toMap(pickProps(messageProps(mb.pctx, r), o.tags)) }));
}

export async function deleteMessages(mb: LocalMailbox, fid: bigint, mids: readonly bigint[], o: { hard?: boolean } = {}): Promise<DeleteResult> {
  const f = mb.folderRow(fid);
  const found = targetsIn(mb, f, mids);
  if (found.length === 0) return { partial: mids.length > 0 };
  const cn = await mb.ids(1);
  mb.write(() => {
    const del = mb.db.prepare('DELETE FROM messages WHERE mid = ?');
    for (const m of found) {
      mb.st.tomb.run('message', m.mid, m.fid, g2n(cn), m.assoc, o.hard ? 1 : 0);
      del.run(m.mid);
      dropContent(mb, m.mid);
    }
    mb.noteCn(cn);
  });
  for (const [g, rows] of byFolder(found)) ev.messagesDeleted(mb, eid(g), rows);
  return { partial: found.length < mids.length };
}

/**
 * The messages of `mids` a ROP on folder `f` acts on: the folder's own; for a search folder also the messages it
 * links to, in their own folders (search.ts linkedRows), so deleting, moving or marking them through the search
 * folder changes the real messages. `mids === null`: every normal message (setReadFlags).
 */
function targetsIn(mb: LocalMailbox, f: FolderRow, mids: readonly bigint[] | null): MessageRow[] {
  if (f.folder_type !== FOLDER_SEARCH) {
    return mids === null ? (mb.db.prepare('SELECT * FROM messages WHERE fid = ? AND assoc = 0').all(f.fid) as MessageRow[]) : messagesIn(mb, f.fid, mids);
  }
  if (mids === null) return mb.search.linkedRows(f.fid, null);
  const own = messagesIn(mb, f.fid, mids);
  const seen = new Set(own.map((r) => r.mid));
  return [...own, ...mb.search.linkedRows(f.fid, mids).filter((r) => !seen.has(r.mid))];
}

/**
 * The folder message `mid` is stored in when it is reached through folder `fid`: for a search folder that links to
 * it, its own folder; else `fid` (mailbox.ts uses it to route the per-message calls of objects.ts).
 */
export function homeOf(mb: LocalMailbox, fid: bigint, mid: bigint): bigint {
  const f = mb.folderRow(fid);
  if (f.folder_type !== FOLDER_SEARCH) return fid;
  const [r] = mb.search.linkedRows(f.fid, [mid]);
  return r ? eid(r.fid) : fid;
}

/**
 * Runs `fn` on the messages `mids` names through folder `fid`, once per folder they are stored in (a search folder's
 * links; ids it does not link stay with the search folder, where `fn` finds its FAI messages or nothing); the
 * results are concatenated. A generic folder is one call with `fid` and `mids` as given.
 */
export async function perHomeFolder<T>(mb: LocalMailbox, fid: bigint, mids: readonly bigint[], fn: (fid: bigint, mids: bigint[]) => Promise<T[]>): Promise<T[]> {
  const f = mb.folderRow(fid);
  if (f.folder_type !== FOLDER_SEARCH) return fn(fid, [...mids]);
  const groups = new Map<bigint, bigint[]>();
  const linked = new Map(mb.search.linkedRows(f.fid, mids).map((r) => [eid(r.mid), eid(r.fid)]));
  for (const mid of mids) {
    const home = linked.get(mid) ?? fid;
    const l = groups.get(home);
    if (l) l.push(mid);
    else groups.set(home, [mid]);
  }
  const out: T[] = [];
  for (const [home, ids] of groups) out.push(...(await fn(home, ids)));
  return out;
}

/** Rows grouped by the folder they are stored in (GLOBCNT), in first-seen order: events are per real folder. */
function byFolder(rows: readonly MessageRow[]): Map<number, MessageRow[]> {
  const out = new Map<number, MessageRow[]>();
  for (const r of rows) {
    const l = out.get(r.fid);
    if (l) l.push(r);
    else out.set(r.fid, [r]);
  }
  return out;
}

export function messagesIn(mb: LocalMailbox, fid: number, mids: readonly bigint[]): MessageRow[] {
  const out: MessageRow[] = [];
  const seen = new Set<number>();
  for (const mid of mids) {
    if (eidReplId(mid) !== REPL_ID) continue;
    const r = mb.st.message.get(g2n(eidGlobcnt(mid))) as MessageRow | undefined;
    if (r && r.fid === fid && !seen.has(r.mid)) {
      seen.add(r.mid);
      out.push(r);
    }
  }
  return out;
}

export async function moveCopyMessages(mb: LocalMailbox, src: bigint, mids: readonly bigint[], dst: bigint, copy: boolean): Promise<MoveCopyResult> {
  const s = mb.folderRow(src);
  const d = mb.folderRow(dst);
  const found = targetsIn(mb, s, mids);
  const ids = new Map<bigint, bigint>();
  if (found.length === 0) return { partial: mids.length > 0, ids };
  let g = await mb.ids(copy ? 2 * found.length : found.length);
  const now = Date.now();
  mb.write(() => {
    const mv = mb.db.prepare('UPDATE messages SET fid = ?, cn = ?, modified = ?, pcl = ? WHERE mid = ?');
    for (const m of found) {
      if (copy) {
        const mid = g++;
        const cn = g++;
        mb.st.insMessage.run(g2n(mid), d.fid, m.assoc, m.read, g2n(cn), now, now, pclAfterChange(null, mb.replGuid, cn), m.size, m.props, m.big);
        copyContent(mb, m.mid, g2n(mid));
        ids.set(eid(m.mid), eid(mid));
      } else {
        if (m.fid === d.fid) {
          ids.set(eid(m.mid), eid(m.mid));
          continue;
        }
        const cn = g++;
        mv.run(d.fid, g2n(cn), now, pclAfterChange(m.pcl, mb.replGuid, cn), m.mid);
        mb.st.tomb.run('message', m.mid, m.fid, g2n(cn), m.assoc, 0);
        // a message moved back into a folder is no longer deleted there
        mb.db.prepare("DELETE FROM tombstones WHERE kind = 'message' AND id = ? AND parent = ?").run(m.mid, d.fid);
        ids.set(eid(m.mid), eid(m.mid));
      }
    }
    mb.noteCn(g - 1n);
  });
  // reported from each message's own folder (a search folder's links come from several)
  for (const [g, rows] of byFolder(found)) {
    const part = new Map<bigint, bigint>();
    for (const r of rows) {
      const to = ids.get(eid(r.mid));
      if (to !== undefined) part.set(eid(r.mid), to);
    }
    ev.messagesMovedCopied(mb, eid(g), dst, part, copy);
  }
  return { partial: found.length < mids.length, ids };
}

export async function setReadFlags(mb: LocalMailbox, fid: bigint, mids: readonly bigint[] | null, read: boolean): Promise<bigint[]> {
  const f = mb.folderRow(fid);
  const rows = targetsIn(mb, f, mids);
  const change = rows.filter((r) => (r.read !== 0) !== read);
  if (change.length === 0) return [];
  const cn = await mb.ids(1);
  mb.write(() => {
    const up = mb.db.prepare('UPDATE messages SET read = ?, read_cn = ? WHERE mid = ?');
    for (const r of change) up.run(read ? 1 : 0, g2n(cn), r.mid);
    mb.noteCn(cn);
  });
  for (const [g, rs] of byFolder(change)) ev.readFlagsChanged(mb, eid(g), rs.map((r) => eid(r.mid)));
  return change.map((r) => eid(r.mid));
}
