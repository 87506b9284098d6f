// Folder operations of the embedded backend (MS-OXCFOLD): creating, deleting, moving, copying and emptying folders
// (each change one write() transaction with its tombstones and CN, then its event), the hierarchy rows, and the
// changes of a folder's stored properties. Called by LocalMailbox (mailbox.ts), which serializes the mutations.
import { propId, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { SEC, StoreError } from '../../errors.js';
import { pclAfterChange } from '../../pcl.js';
import { pickProps } from '../../proppick.js';
import { badValue, checkValue, decodeProps, encodeProps } from '../../propcodec.js';
import { TAG } from '../../tags.js';
import {
  DEL_FOLDERS, DEL_MESSAGES, DELETE_HARD_DELETE, FOLDER_GENERIC, FOLDER_SEARCH,
  type CreatedFolder, type DeleteResult, type FolderInit, type HierarchyOptions, type PropertyProblem, type Row,
} from '../../types.js';
import { FOLDER_COLUMN_IDS, FOLDER_COMPUTED, checkName, deleteSameId, eid, g2n, stripRen, toMap } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';
import { copyContent, dropContent } from './message-content.js';
import type { FolderRow, MessageRow } from './schema.js';
import * as ev from './events-emit.js';

// ---------------------------------------------------------------- folder tree

export async function createFolder(mb: LocalMailbox, parent: bigint, init: FolderInit): Promise<CreatedFolder> {
  const p = mb.folderRow(parent);
  const type = init.folderType ?? FOLDER_GENERIC;
  if (type !== FOLDER_GENERIC && type !== FOLDER_SEARCH) {
    throw new StoreError('OC_STORE_BAD_FOLDER_TYPE', SEC.InvalidParam, `folder type ${type}`);
  }
  checkName(init.displayName);
  const dup = mb.st.childByName.get(p.fid, init.displayName.toLowerCase()) as { fid: number } | undefined;
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
  const g = await mb.ids(2);
  const now = Date.now();
  mb.write(() => {
    mb.st.insFolder.run(
      g2n(g), p.fid, init.displayName, init.displayName.toLowerCase(), type, null, g2n(g + 1n), now, now,
      pclAfterChange(null, mb.replGuid, g + 1n), encodeProps(props),
    );
    mb.noteCn(g + 1n);
  });
  ev.folderCreated(mb, eid(g), parent);
  return { fid: eid(g), existing: false };
}

function isAncestor(mb: LocalMailbox, anc: number, fid: number): boolean {
  let cur: number | null = fid;
  while (cur !== null) {
    if (cur === anc) return true;
    cur = (mb.st.folder.get(cur) as FolderRow | undefined)?.parent ?? null;
  }
  return false;
}

/** Every folder of the subtree below r (not r), deepest last. */
function subtree(mb: LocalMailbox, r: FolderRow): FolderRow[] {
  const out: FolderRow[] = [];
  const walk = (f: FolderRow) => {
    for (const c of mb.st.children.all(f.fid) as FolderRow[]) {
      out.push(c);
      walk(c);
    }
  };
  walk(r);
  return out;
}

function hasSpecial(rows: FolderRow[]): boolean {
  return rows.some((x) => x.special !== null);
}

/**
 * @internal What deleteFolder(fid, flags) refuses, found without changing anything: its error (a special folder), the
 * PartialCompletion it answers, or null when it would delete. (The IMAP backend asks first: an IMAP DELETE cannot be
 * taken back.)
 */
export function deleteFolderRefusal(mb: LocalMailbox, fid: bigint, flags: number): DeleteResult | null {
  const r = mb.folderRow(fid);
  if (r.special !== null) throw new StoreError('OC_STORE_SPECIAL_FOLDER', SEC.AccessDenied, `special folder ${r.special} cannot be deleted`);
  const below = subtree(mb, r);
  const msgCount = (mb.db.prepare('SELECT count(*) AS n FROM messages WHERE fid = ?').get(r.fid) as { n: number }).n;
  // MS-OXCFOLD 3.2.5.3: without DEL_FOLDERS / DEL_MESSAGES a non-empty folder stays (PartialCompletion)
  if (below.length > 0 && !(flags & DEL_FOLDERS)) return { partial: true, reason: SEC.HasFolders };
  if (msgCount > 0 && !(flags & DEL_MESSAGES)) return { partial: true, reason: SEC.HasMessages };
  if (!(flags & DEL_MESSAGES) && below.some((f) => mb.st.counts.all(f.fid).length > 0)) return { partial: true, reason: SEC.HasMessages };
  if (hasSpecial(below)) return { partial: true, reason: SEC.AccessDenied };
  return null;
}

/**
 * @internal The folders emptyFolder(fid) deletes: every subfolder whose subtree holds no special folder, with its
 * subtree, each parent before its children.
 */
export function emptiedFolders(mb: LocalMailbox, fid: bigint): bigint[] {
  const out: bigint[] = [];
  for (const k of mb.st.children.all(mb.folderRow(fid).fid) as FolderRow[]) {
    const below = subtree(mb, k);
    if (k.special !== null || hasSpecial(below)) continue;
    for (const f of [k, ...below]) out.push(eid(f.fid));
  }
  return out;
}

export async function deleteFolder(mb: LocalMailbox, fid: bigint, flags: number): Promise<DeleteResult> {
  const refused = mb.deleteFolderRefusal(fid, flags);
  if (refused) return refused;
  const r = mb.folderRow(fid);
  const below = subtree(mb, r);
  const hard = (flags & DELETE_HARD_DELETE) !== 0;
  const cn = await mb.ids(1);
  mb.write(() => {
    for (const f of [r, ...below]) dropFolderContents(mb, f.fid, cn, hard, true);
    mb.st.tomb.run('folder', r.fid, r.parent, g2n(cn), 0, hard ? 1 : 0);
    for (const f of below) mb.st.tomb.run('folder', f.fid, f.parent, g2n(cn), 0, hard ? 1 : 0);
    const del = mb.db.prepare('DELETE FROM folders WHERE fid = ?');
    for (const f of [...below].reverse()) del.run(f.fid);
    del.run(r.fid);
    mb.noteCn(cn);
  });
  ev.folderDeleted(mb, fid, r.parent === null ? null : eid(r.parent));
  return { partial: false };
}

/** Deletes messages of a folder (all, or only normal ones), writing tombstones with `cn`. */
function dropFolderContents(mb: LocalMailbox, fid: number, cn: bigint, hard: boolean, withAssoc: boolean): void {
  const rows = mb.db.prepare(`SELECT mid, assoc FROM messages WHERE fid = ?${withAssoc ? '' : ' AND assoc = 0'}`).all(fid) as { mid: number; assoc: number }[];
  for (const m of rows) mb.st.tomb.run('message', m.mid, fid, g2n(cn), m.assoc, hard ? 1 : 0);
  for (const m of rows) dropContent(mb, m.mid);
  mb.db.prepare(`DELETE FROM messages WHERE fid = ?${withAssoc ? '' : ' AND assoc = 0'}`).run(fid);
}

export async function moveFolder(mb: LocalMailbox, fid: bigint, newParent: bigint, newName?: string): Promise<void> {
  const r = mb.folderRow(fid);
  const p = mb.folderRow(newParent);
  if (r.special !== null) throw new StoreError('OC_STORE_SPECIAL_FOLDER', SEC.AccessDenied, `special folder ${r.special} cannot be moved`);
  if (isAncestor(mb, r.fid, p.fid)) throw new StoreError('OC_STORE_FOLDER_CYCLE', SEC.FolderCycle, 'a folder cannot move below itself');
  const name = newName ?? r.name;
  checkName(name);
  const dup = mb.st.childByName.get(p.fid, name.toLowerCase()) as { fid: number } | undefined;
  if (dup && dup.fid !== r.fid) throw new StoreError('OC_STORE_DUPLICATE_NAME', SEC.DuplicateName, `a folder "${name}" exists`);
  const cn = await mb.ids(1);
  mb.write(() => {
    mb.db
      .prepare('UPDATE folders SET parent = ?, name = ?, name_lc = ?, cn = ?, modified = ?, pcl = ? WHERE fid = ?')
      .run(p.fid, name, name.toLowerCase(), g2n(cn), Date.now(), pclAfterChange(r.pcl, mb.replGuid, cn), r.fid);
    if (r.parent !== p.fid) mb.st.tomb.run('folder', r.fid, r.parent, g2n(cn), 0, 0);
    // a folder moved back under a former parent is no longer deleted there
    mb.db.prepare("DELETE FROM tombstones WHERE kind = 'folder' AND id = ? AND parent = ?").run(r.fid, p.fid);
    mb.noteCn(cn);
  });
  ev.folderMoved(mb, fid, newParent, r.parent === null ? null : eid(r.parent));
}

export async function copyFolder(mb: LocalMailbox, fid: bigint, newParent: bigint, o: { newName?: string; recursive?: boolean } = {}): Promise<bigint> {
  const r = mb.folderRow(fid);
  const p = mb.folderRow(newParent);
  if (isAncestor(mb, r.fid, p.fid)) throw new StoreError('OC_STORE_FOLDER_CYCLE', SEC.FolderCycle, 'a folder cannot be copied below itself');
  const name = o.newName ?? r.name;
  checkName(name);
  if (mb.st.childByName.get(p.fid, name.toLowerCase())) {
    throw new StoreError('OC_STORE_DUPLICATE_NAME', SEC.DuplicateName, `a folder "${name}" exists`);
  }
  const folders = [r, ...(o.recursive ? subtree(mb, r) : [])];
  const msgs = folders.map((f) => mb.db.prepare('SELECT * FROM messages WHERE fid = ? ORDER BY mid').all(f.fid) as MessageRow[]);
  const nMsgs = msgs.reduce((n, l) => n + l.length, 0);
  // one id + one CN per folder and per message
  let g = await mb.ids(2 * (folders.length + nMsgs));
  const take = () => g++;
  const now = Date.now();
  const map = new Map<number, number>();
  mb.write(() => {
    folders.forEach((f, i) => {
      const nf = take();
      const cn = take();
      map.set(f.fid, g2n(nf));
      const parent = i === 0 ? p.fid : (map.get(f.parent as number) as number);
      const nm = i === 0 ? name : f.name;
      // a copy is an ordinary folder, even of a special one
      mb.st.insFolder.run(g2n(nf), parent, nm, nm.toLowerCase(), f.folder_type === 0 ? FOLDER_GENERIC : f.folder_type, null, g2n(cn), now, now,
        pclAfterChange(null, mb.replGuid, cn), stripRen(f.props));
      for (const m of msgs[i] as MessageRow[]) {
        const mid = take();
        const mcn = take();
        mb.st.insMessage.run(g2n(mid), g2n(nf), m.assoc, m.read, g2n(mcn), now, now, pclAfterChange(null, mb.replGuid, mcn), m.size, m.props, m.big);
        copyContent(mb, m.mid, g2n(mid));
      }
    });
    mb.noteCn(g - 1n);
  });
  ev.folderCopied(mb, eid(map.get(r.fid) as number), newParent, fid);
  return eid(map.get(r.fid) as number);
}

export async function emptyFolder(mb: LocalMailbox, fid: bigint, o: { associated?: boolean; hard?: boolean } = {}): Promise<DeleteResult> {
  const r = mb.folderRow(fid);
  const kids = mb.st.children.all(r.fid) as FolderRow[];
  const cn = await mb.ids(1);
  let partial = false;
  mb.write(() => {
    dropFolderContents(mb, r.fid, cn, o.hard ?? false, o.associated ?? false);
    const del = mb.db.prepare('DELETE FROM folders WHERE fid = ?');
    for (const k of kids) {
      const below = subtree(mb, k);
      if (k.special !== null || hasSpecial(below)) {
        partial = true;
        continue;
      }
      for (const f of [k, ...below]) {
        dropFolderContents(mb, f.fid, cn, o.hard ?? false, true);
        mb.st.tomb.run('folder', f.fid, f.parent, g2n(cn), 0, o.hard ? 1 : 0);
      }
      for (const f of [k, ...below].reverse()) del.run(f.fid);
    }
    mb.noteCn(cn);
  });
  ev.folderEmptied(mb, fid, kids.map((k) => eid(k.fid)));
  return { partial };
}

// ---------------------------------------------------------------- hierarchy rows, folder properties

export function hierarchyRows(mb: LocalMailbox, fid: bigint, o: HierarchyOptions = {}): Row[] {
  const r = mb.folderRow(fid);
  const rows: Row[] = [];
  const walk = (f: FolderRow, depth: number) => {
    for (const c of mb.st.children.all(f.fid) as FolderRow[]) {
      const all = new Map(mb.folderPropsOf(eid(c.fid)));
      all.set(TAG.Depth, depth);
      rows.push({ id: eid(c.fid), props: toMap(pickProps(all, o.tags)) });
      if (o.recursive) walk(c, depth + 1);
    }
  };
  walk(r, 0);
  return rows;
}

export async function setFolderProps(mb: LocalMailbox, fid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
  const r = mb.folderRow(fid);
  const props = decodeProps(r.props);
  const problems: PropertyProblem[] = [];
  let name = r.name;
  values.forEach((v, index) => {
    const id = propId(v.tag);
    if (FOLDER_COMPUTED.has(id)) return problems.push({ index, tag: v.tag, error: SEC.Computed });
    if (!checkValue(v.tag, v.value)) return problems.push({ index, tag: v.tag, error: SEC.InvalidParam });
    if (id === propId(TAG.DisplayName)) {
      const nm = v.value as string;
      const dup = r.parent === null ? undefined : (mb.st.childByName.get(r.parent, nm.toLowerCase()) as { fid: number } | undefined);
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
  const cn = await mb.ids(1);
  mb.write(() => {
    mb.db
      .prepare('UPDATE folders SET name = ?, name_lc = ?, props = ?, cn = ?, modified = ?, pcl = ? WHERE fid = ?')
      .run(name, name.toLowerCase(), encodeProps(props), g2n(cn), Date.now(), pclAfterChange(r.pcl, mb.replGuid, cn), r.fid);
    mb.noteCn(cn);
  });
  ev.folderModified(mb, fid, values.map((v) => v.tag));
  return problems;
}

export async function deleteFolderProps(mb: LocalMailbox, fid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
  const r = mb.folderRow(fid);
  const props = decodeProps(r.props);
  const problems: PropertyProblem[] = [];
  tags.forEach((tag, index) => {
    const id = propId(tag);
    if (FOLDER_COMPUTED.has(id) || FOLDER_COLUMN_IDS.has(id)) return problems.push({ index, tag, error: SEC.Computed });
    deleteSameId(props, tag);
  });
  const cn = await mb.ids(1);
  mb.write(() => {
    mb.db.prepare('UPDATE folders SET props = ?, cn = ?, modified = ?, pcl = ? WHERE fid = ?')
      .run(encodeProps(props), g2n(cn), Date.now(), pclAfterChange(r.pcl, mb.replGuid, cn), r.fid);
    mb.noteCn(cn);
  });
  ev.folderModified(mb, fid, tags);
  return problems;
}
