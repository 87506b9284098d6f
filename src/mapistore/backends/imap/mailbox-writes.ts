// The changes ImapMailbox makes (issue 8 item 3; docs/imap.md "Store wiring"): each is made on the user's LocalMailbox
// and, for folders mirrored from IMAP, on the IMAP server through the ImapWriter (writeback.ts). Free functions over
// the mailbox's WriteWiring; the ImapMailbox methods of the same names call them (the message objects' save is
// save.ts's, whose after() and afterOrRefused() are these).
//
// Order and failures (the IMAP server is the source of truth for mail; the mirror repairs what went wrong):
// - before the local change: deleteMessages, emptyFolder (its messages), deleteFolder. A writer failure is the MAPI
//   call's error and nothing changed locally.
// - after the local change: setReadFlags (the MIDs whose flag changed), moveCopyMessages (with the ids map), a message
//   save (MessageObject.save of newMessage/openMessage), setMessageProps/deleteMessageProps of PidTagFlagStatus,
//   PidTagLastVerbExecuted, PidTagMessageFlags, createFolder, moveFolder, and the ICS uploads that do the same
//   (importReadStates, importMessageMove, importFolder: MS-OXCFXICS 3.3.5.8.x). A writer failure is logged (warn) and the
//   MAPI call succeeds; the next sync of the folder brings the mirror back in line with IMAP.
// - except a refusal over quota (OC_IMAP_QUOTA, quota.ts) of a message save, copy or move, which IMAP would never
//   bring back: the local change is taken back (a save: the version stored before again, or no new message; a copy:
//   deleted; a move: moved back) and the MAPI call fails with ecQuotaExceeded (logged with user, mailbox and code).
//   Not for the cached-mode uploads (a save with ICS tracking, importMessageMove): their refusal is logged and the
//   upload succeeds, the message stays on this server only (a take-back would make the client's retry fail).
// - except a mirrored folder's move under the Inbox of an `INBOX.` layout, where its mailbox cannot follow: refused
//   before the local move (ImapWriter.checkFolderMove, OC_IMAP_BAD_NAME), not made and then moved back.
// - Folder creation goes to IMAP when the parent is mirrored, or is the IPM subtree and the container class is empty or
//   IPF.Note*: calendars, contacts and tasks stay local.
import type { TaggedValue } from '../../../mapi/props.js';
import type { Logger } from '../../../util/log.js';
import { StoreError } from '../../errors.js';
import type {
  CreatedFolder, DeleteResult, FolderInit, IcsFolderImport, IcsImportTracking, MoveCopyResult, PropertyProblem,
} from '../../types.js';
import { eidGlobcnt } from '../../../mapi/ids.js';
import type { LocalMailbox } from '../local/mailbox.js';
import { keywordsTag } from './keywords.js';
import { PidTagFlagStatus, PidTagLastVerbExecuted } from './import.js';
import type { ImapWriter } from './mailbox.js';
import type { ImapMirror } from './mirror.js';
import type { ImapQuota } from './quota.js';
import { rowsOf } from './writeback-util.js';

/** What the write calls use of their ImapMailbox. */
export interface WriteWiring {
  local: LocalMailbox;
  mirror: ImapMirror;
  writer: ImapWriter;
  log: Logger;
  /** Asked again after a refusal over quota. */
  quota: ImapQuota;
  /** True while the IMAP server is known to be away (ImapMailbox.serverDown). */
  down: () => boolean;
}

const PidTagDisplayName = 0x3001001f;
const PidTagMessageFlags = 0x0e070003;
const PidTagContainerClass = 0x3613001f;
const FLAG_TAGS = new Set([PidTagFlagStatus, PidTagLastVerbExecuted, PidTagMessageFlags]);

/** The StoreError code of a failure (undefined for anything else); mailbox.ts and store.ts use it too. */
export const codeOf = (e: unknown): string | undefined => (e as Partial<StoreError> | null)?.code;
const hex = (id: bigint): string => `0x${id.toString(16)}`;

/**
 * Runs a writer call after the local change: a failure is logged, the next sync repairs. Writer calls take turns with
 * the mirror's steps (MirrorContext.exclusive), as in before().
 */
export async function after(w: WriteWiring, what: string, fid: bigint, fn: () => Promise<void>): Promise<void> {
  try {
    await w.mirror.ctx.exclusive(fn);
  } catch (e) {
    w.log.warn({ user: w.local.owner.username, fid: hex(fid), op: what, code: codeOf(e), err: (e as Error).message }, 'IMAP write-back failed; the next sync repairs the mirror');
  }
}

/**
 * after() for the writer calls that store messages on IMAP (APPEND, COPY): a refusal over quota (OC_IMAP_QUOTA) is
 * logged here, makes the quota be asked again, and is returned, for the caller to take the local change back and
 * answer the client with it (ecQuotaExceeded); any other failure is after()'s. `refusedMsg`: the refusal's log line
 * when the caller does not take the change back (a cached-mode upload).
 */
export async function afterOrRefused(w: WriteWiring, what: string, fid: bigint, fn: () => Promise<void>, refusedMsg?: string): Promise<StoreError | null> {
  try {
    await w.mirror.ctx.exclusive(fn);
    return null;
  } catch (e) {
    if (codeOf(e) === 'OC_IMAP_QUOTA' && e instanceof StoreError) {
      refusedOverQuota(w, what, fid, e, refusedMsg);
      return e;
    }
    w.log.warn({ user: w.local.owner.username, fid: hex(fid), op: what, code: codeOf(e), err: (e as Error).message }, 'IMAP write-back failed; the next sync repairs the mirror');
    return null;
  }
}

/** The log line of a write-back the IMAP server refused over quota (user, mailbox, code); the quota is asked again. */
function refusedOverQuota(w: WriteWiring, what: string, fid: bigint, e: StoreError, msg = 'IMAP server refused the change over quota (ecQuotaExceeded): the local change is taken back'): void {
  w.quota.invalidate();
  w.log.warn({ user: w.local.owner.username, mailbox: e.details?.mailbox, fid: hex(fid), op: what, code: e.code, err: e.message }, msg);
}

/**
 * After a write-back into mirrored folder `dst` the server refused over quota: the messages of `ids` (source MID ->
 * MID in dst) it did not get (no index row in dst) are taken back, so the local store keeps nothing IMAP lacks: a
 * copy is deleted, a moved message goes back to the folder it came from (`origin`: source MID -> folder; null for a
 * copy). A failure here is logged: those messages then stay local-only, as any other failed write-back leaves them.
 */
async function takeBackUnwritten(w: WriteWiring, dst: bigint, ids: ReadonlyMap<bigint, bigint>, origin: ReadonlyMap<bigint, bigint> | null): Promise<void> {
  const where = { user: w.local.owner.username, fid: hex(dst) };
  try {
    const row = await w.mirror.ctx.imap.folderById(eidGlobcnt(dst));
    const written = new Set(row ? (await rowsOf(w.mirror.ctx, row, [...ids.values()])).map((r) => r.globcnt) : []);
    const lost = [...ids].filter(([, to]) => !written.has(eidGlobcnt(to)));
    if (lost.length === 0) return;
    if (!origin) {
      await w.local.deleteMessages(dst, lost.map(([, to]) => to), { hard: true });
    } else {
      const back = new Map<bigint, bigint[]>();
      for (const [from, to] of lost) {
        const home = origin.get(from);
        if (home === undefined) continue;
        back.set(home, [...(back.get(home) ?? []), to]);
      }
      for (const [home, tos] of back) await w.local.moveCopyMessages(dst, tos, home, false);
    }
    w.log.info({ ...where, messages: lost.length, moved: origin !== null }, origin ? 'messages the IMAP server refused over quota are moved back' : 'copies the IMAP server refused over quota are deleted');
  } catch (e) {
    w.log.error({ ...where, code: codeOf(e), err: (e as Error).message }, 'messages the IMAP server refused over quota could not be taken back: they stay local-only');
  }
}

/** Runs a writer call before the local change: a failure is the MAPI call's error (logged once here). */
async function before(w: WriteWiring, what: string, fid: bigint, fn: () => Promise<void>): Promise<void> {
  try {
    await w.mirror.ctx.exclusive(fn);
  } catch (e) {
    w.log.warn({ user: w.local.owner.username, fid: hex(fid), op: what, code: codeOf(e), err: (e as Error).message }, 'IMAP write-back failed; nothing changed');
    throw e;
  }
}

/**
 * The mirrored folders that hold the messages `mids` reached through folder `fid`, with their messages: `fid` itself
 * when it is mirrored; through a search folder, each linked message's own folder where that one is mirrored (the
 * local store acts on the linked messages in their own folders: messages.ts targetsIn). Empty otherwise.
 */
async function homesOf(w: WriteWiring, fid: bigint, mids: readonly bigint[]): Promise<Map<bigint, bigint[]>> {
  const out = new Map<bigint, bigint[]>();
  if (mids.length === 0) return out;
  if (await w.writer.isMirrored(fid)) {
    out.set(fid, [...mids]);
    return out;
  }
  if (!w.local.isSearchFolder(fid)) return out;
  for (const mid of mids) {
    const at = await w.local.folderOfMessage(mid);
    if (at === null || at === fid) continue;
    let list = out.get(at);
    if (!list) {
      if (!(await w.writer.isMirrored(at))) continue;
      list = [];
      out.set(at, list);
    }
    list.push(mid);
  }
  return out;
}

export async function setReadFlags(w: WriteWiring, fid: bigint, mids: readonly bigint[] | null, read: boolean): Promise<bigint[]> {
  const changed = await w.local.setReadFlags(fid, mids, read);
  for (const [home, ms] of await homesOf(w, fid, changed)) await after(w, 'setReadFlags', home, () => w.writer.setReadFlags(home, ms, read));
  return changed;
}

export async function deleteMessages(w: WriteWiring, fid: bigint, mids: readonly bigint[], opts?: { hard?: boolean }): Promise<DeleteResult> {
  for (const [home, ms] of await homesOf(w, fid, mids)) await before(w, 'deleteMessages', home, () => w.writer.deleteMessages(home, ms));
  return w.local.deleteMessages(fid, mids, opts);
}

export async function moveCopyMessages(w: WriteWiring, src: bigint, mids: readonly bigint[], dst: bigint, copy: boolean): Promise<MoveCopyResult> {
  // the messages' own folders are read before the move (a moved message keeps its MID and is in dst after it)
  const homes = await homesOf(w, src, mids);
  const intoMirrored = await w.writer.isMirrored(dst);
  // where the messages of folders that are not mirrored come from, for a move IMAP refuses over quota (moved back)
  const origin = !copy && intoMirrored ? await origins(w, src, mids, homes) : null;
  const r = await w.local.moveCopyMessages(src, mids, dst, copy);
  if (r.ids.size === 0) return r;
  const what = copy ? 'copyMessages' : 'moveMessages';
  const pick = (keep: (mid: bigint) => boolean): Map<bigint, bigint> => new Map([...r.ids].filter(([from]) => keep(from)));
  const done = new Set<bigint>();
  let refused: StoreError | null = null;
  for (const [home, ms] of homes) {
    const of = new Set(ms);
    const ids = pick((m) => of.has(m));
    if (ids.size === 0) continue;
    for (const m of ids.keys()) done.add(m);
    if (copy) {
      const e = await afterOrRefused(w, what, home, () => w.writer.moveCopy(home, dst, ids, copy));
      if (e) {
        refused ??= e;
        await takeBackUnwritten(w, dst, ids, null);
      }
    } else {
      refused ??= await moveWrittenBack(w, home, dst, ids);
    }
  }
  // the rest (from a folder that is not mirrored) is APPENDed when dst is mirrored
  const rest = pick((m) => !done.has(m));
  if (rest.size > 0 && intoMirrored) {
    const e = await afterOrRefused(w, what, src, () => w.writer.moveCopy(src, dst, rest, copy));
    if (e) {
      refused ??= e;
      await takeBackUnwritten(w, dst, rest, origin);
    }
  }
  // what the server refused over quota is back where it was; the client hears why (ecQuotaExceeded)
  if (refused) throw refused;
  return r;
}

/** The folders the messages `mids` reached through `src` are in now (not those of `homes`, already known). */
async function origins(w: WriteWiring, src: bigint, mids: readonly bigint[], homes: ReadonlyMap<bigint, bigint[]>): Promise<Map<bigint, bigint>> {
  const known = new Set([...homes.values()].flat());
  const out = new Map<bigint, bigint>();
  const search = w.local.isSearchFolder(src);
  for (const mid of mids) {
    if (known.has(mid)) continue;
    const at = search ? await w.local.folderOfMessage(mid) : src;
    if (at !== null) out.set(mid, at);
  }
  return out;
}

/**
 * The write-back of a local move out of mirrored folder `src`. When it fails, the messages whose index row is still
 * in `src` did not leave it on IMAP (the write-back removes the source rows as soon as the server has moved them):
 * they are moved back here too, or Outlook would show them in `dst` while IMAP keeps them in `src`, and no sync
 * would bring the two together. (A move the server did but whose answer was lost: the source's next sync finds the
 * UIDs gone and the destination's brings the messages in.)
 */
async function moveWrittenBack(w: WriteWiring, src: bigint, dst: bigint, ids: ReadonlyMap<bigint, bigint>, refusedMsg?: string): Promise<StoreError | null> {
  try {
    await w.mirror.ctx.exclusive(() => w.writer.moveCopy(src, dst, ids, false));
    return null;
  } catch (e) {
    // a refusal over quota (a server that counts a MOVE, or moves by COPY) is also the MAPI call's answer
    const refused = codeOf(e) === 'OC_IMAP_QUOTA' && e instanceof StoreError ? e : null;
    if (refused) refusedOverQuota(w, 'moveMessages', dst, refused, refusedMsg);
    const row = await w.mirror.ctx.imap.folderById(eidGlobcnt(src));
    const still = new Set(row ? (await rowsOf(w.mirror.ctx, row, [...ids.keys()])).map((r) => r.globcnt) : []);
    const back = [...ids.keys()].filter((m) => still.has(eidGlobcnt(m)));
    const where = { user: w.local.owner.username, fid: hex(src), op: 'moveMessages', code: codeOf(e), err: (e as Error).message };
    if (back.length === 0) {
      if (!refused) w.log.warn(where, 'IMAP write-back failed; the next sync repairs the mirror');
      return refused;
    }
    w.log.warn({ ...where, messages: back.length }, 'IMAP write-back of a move failed; the messages still on IMAP in the source folder are moved back there');
    // (by their MIDs in dst: a move keeps the MID, an ICS move upload may give a new one)
    await w.local.moveCopyMessages(dst, back.map((m) => ids.get(m)!), src, false);
    return refused;
  }
}

export async function emptyFolder(w: WriteWiring, fid: bigint, opts?: { associated?: boolean; hard?: boolean }): Promise<DeleteResult> {
  if (await w.writer.isMirrored(fid)) {
    const mids = (await w.local.contentsRows(fid, { tags: [] })).map((r) => r.id);
    if (mids.length > 0) await before(w, 'emptyFolder', fid, () => w.writer.deleteMessages(fid, mids));
  }
  // the subfolders it deletes go on IMAP too (else the next hierarchy sync would bring them back, mail and all);
  // parents first: a DELETE takes the mailboxes below along, and their rows, so those are no longer mirrored
  for (const sub of w.local.emptiedFolders(fid)) {
    if (await w.writer.isMirrored(sub)) await before(w, 'deleteFolder', sub, () => w.writer.deleteFolder(sub));
  }
  return w.local.emptyFolder(fid, opts);
}

export async function setMessageProps(w: WriteWiring, mid: bigint, values: readonly TaggedValue[]): Promise<PropertyProblem[]> {
  const r = await w.local.setMessageProps(mid, values);
  if (await flagTags(w, values.map((v) => v.tag))) await flagsChanged(w, mid);
  return r;
}

export async function deleteMessageProps(w: WriteWiring, mid: bigint, tags: readonly number[]): Promise<PropertyProblem[]> {
  const r = await w.local.deleteMessageProps(mid, tags);
  if (await flagTags(w, tags)) await flagsChanged(w, mid);
  return r;
}

/** True when one of the tags is kept on IMAP as flags or keywords (FLAG_TAGS, PidNameKeywords: keywords.ts). */
async function flagTags(w: WriteWiring, tags: readonly number[]): Promise<boolean> {
  if (tags.some((t) => FLAG_TAGS.has(t >>> 0))) return true;
  if (!tags.some((t) => t >>> 16 >= 0x8000)) return false;
  const kw = await keywordsTag(w.local, false);
  return kw !== 0 && tags.some((t) => t >>> 0 === kw);
}

async function flagsChanged(w: WriteWiring, mid: bigint): Promise<void> {
  const fid = await w.local.folderOfMessage(mid);
  if (fid !== null && (await w.writer.isMirrored(fid))) await after(w, 'setFlags', fid, async () => {
    await w.writer.setFlags(fid, mid);
  });
}

export async function createFolder(w: WriteWiring, parent: bigint, init: FolderInit): Promise<CreatedFolder> {
  const r = await w.local.createFolder(parent, init);
  if (r.existing) return r;
  if (await folderGoesToImap(w, parent, init.containerClass, init.folderType)) {
    await after(w, 'createFolder', r.fid, () => w.writer.createFolder(parent, r.fid, init.displayName));
  }
  return r;
}

/**
 * Whether a new folder is created on IMAP too: under a mirrored folder, or a generic mail folder (no container
 * class, or IPF.Note*) directly under the IPM subtree.
 */
async function folderGoesToImap(w: WriteWiring, parent: bigint, containerClass: unknown, folderType = 1): Promise<boolean> {
  if (await w.writer.isMirrored(parent)) return true;
  const mailClass = typeof containerClass !== 'string' || containerClass === '' || containerClass.startsWith('IPF.Note');
  return parent === w.local.special.ipmSubtree && mailClass && folderType === 1;
}

export async function moveFolder(w: WriteWiring, fid: bigint, newParent: bigint, newName?: string): Promise<void> {
  const mirrored = await w.writer.isMirrored(fid);
  // a move the mailbox cannot follow (under the Inbox of an `INBOX.` layout) is refused before anything changes: made
  // locally, the next hierarchy pass would move the folder back under its mailbox's parent. Only a move to the Inbox
  // is asked about, and not while the server is away (the RENAME after the move then fails and is logged, as before)
  if (mirrored && newParent === w.local.special.inbox && w.writer.checkFolderMove && !w.down()) {
    try {
      await w.writer.checkFolderMove(newParent);
    } catch (e) {
      w.log.warn({ user: w.local.owner.username, fid: hex(fid), op: 'renameFolder', code: codeOf(e), err: (e as Error).message }, 'IMAP write-back failed; nothing changed');
      throw e;
    }
  }
  await w.local.moveFolder(fid, newParent, newName);
  if (!mirrored) return;
  await after(w, 'renameFolder', fid, async () => {
    let name = newName;
    if (name === undefined) {
      const [p] = await w.local.getFolderProps(fid, [PidTagDisplayName]);
      name = p && 'value' in p ? String(p.value) : '';
    }
    await w.writer.renameFolder(fid, newParent, name);
  });
}

// --- ICS uploads (MS-OXCFXICS 3.3.5.8.x): the same write-back as the corresponding MAPI calls ---

/** RopSynchronizationImportReadStateChanges: \Seen on IMAP for the messages whose read state changed. */
export async function importReadStates(w: WriteWiring, fid: bigint, changes: readonly { mid: bigint; read: boolean }[]): Promise<{ cn: bigint | null; changed: bigint[] }> {
  const r = await w.local.importReadStates(fid, changes);
  if (r.changed.length === 0) return r;
  const readOf = new Map(changes.map((c) => [c.mid, c.read]));
  // messages of other folders than `fid` change too: one writer call per (folder, read state)
  const groups = new Map<string, { fid: bigint; read: boolean; mids: bigint[] }>();
  for (const mid of r.changed) {
    const at = await w.local.folderOfMessage(mid);
    const read = readOf.get(mid);
    if (at === null || read === undefined) continue;
    const key = `${at}:${read}`;
    const g = groups.get(key) ?? { fid: at, read, mids: [] };
    g.mids.push(mid);
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    if (await w.writer.isMirrored(g.fid)) await after(w, 'setReadFlags', g.fid, () => w.writer.setReadFlags(g.fid, g.mids, g.read));
  }
  return r;
}

/**
 * RopSynchronizationImportMessageMove: UID MOVE (or APPEND / EXPUNGE) as moveCopyMessages does, except that a
 * refusal over quota is not taken back and not the upload's error (logged; handled as any other failed write-back):
 * the moved message carries the client's destination source key, so a move back would make every retry fail.
 */
export async function importMessageMove(w: WriteWiring, mid: bigint, dst: bigint, t: IcsImportTracking & { sourceKey: Buffer }): Promise<bigint> {
  const src = await w.local.folderOfMessage(mid);
  const id = await w.local.importMessageMove(mid, dst, t);
  if (src !== null && src !== dst) {
    const ids = new Map([[mid, id]]);
    if (await w.writer.isMirrored(src)) {
      await moveWrittenBack(w, src, dst, ids, 'IMAP server refused a cached-mode move over quota; not taken back (handled as any failed move write-back)');
    } else if (await w.writer.isMirrored(dst)) {
      await afterOrRefused(w, 'moveMessages', src, () => w.writer.moveCopy(src, dst, ids, false), 'IMAP server refused a cached-mode upload over quota; the message stays on this server only');
    }
  }
  return id;
}

/** RopSynchronizationImportHierarchyChange: a new folder is created on IMAP as createFolder does; a rename or move RENAMEs. */
export async function importFolder(w: WriteWiring, fid: bigint | null, f: IcsFolderImport): Promise<bigint> {
  if (fid === null) {
    const id = await w.local.importFolder(null, f);
    const cls = f.props.find((p) => p.tag >>> 0 === PidTagContainerClass)?.value;
    if (await folderGoesToImap(w, f.parent, cls)) {
      await after(w, 'createFolder', id, () => w.writer.createFolder(f.parent, id, f.displayName));
    }
    return id;
  }
  const mirrored = await w.writer.isMirrored(fid);
  const [before] = mirrored ? await w.local.getFolderProps(fid, [PidTagDisplayName]) : [];
  const parentBefore = mirrored ? await w.local.parentOf(fid) : null;
  const id = await w.local.importFolder(fid, f);
  const nameBefore = before && 'value' in before ? String(before.value) : '';
  if (mirrored && (parentBefore !== f.parent || nameBefore !== f.displayName)) {
    await after(w, 'renameFolder', fid, () => w.writer.renameFolder(fid, f.parent, f.displayName));
  }
  return id;
}

export async function deleteFolder(w: WriteWiring, fid: bigint, flags: number): Promise<DeleteResult> {
  if (await w.writer.isMirrored(fid)) {
    // what the local store would refuse is refused before the IMAP DELETE, which cannot be taken back (a folder with
    // mail deleted without DEL_MESSAGES answers PartialCompletion and must keep its mailbox)
    const refused = w.local.deleteFolderRefusal(fid, flags);
    if (refused) return refused;
    await before(w, 'deleteFolder', fid, () => w.writer.deleteFolder(fid));
  }
  return w.local.deleteFolder(fid, flags);
}
