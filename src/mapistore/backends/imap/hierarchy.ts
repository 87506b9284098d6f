// IMAP -> mailbox mirror, the hierarchy pass (syncHierarchy): the listed mailboxes of the personal namespace mapped
// onto folders of the user's LocalMailbox as folders.ts's header describes (special roles, names, renames by
// MAILBOXID or UIDVALIDITY, mailboxes gone, roles gained or lost, over-long names), and the local moves, renames,
// creations and deletions that keep the folders where IMAP says they are. Every step depends on stored state only
// (index rows and where folders sit), so a pass cut short anywhere is finished by the next one.
import type { ImapFlow, ListResponse } from 'imapflow';
import { eidGlobcnt } from '../../../mapi/ids.js';
import { SEC } from '../../errors.js';
import { codePoints } from '../../index/common.js';
import { COLUMN_CHARS } from '../../index/mysql-schema.js';
import type { ImapFolderRow } from '../../index/types.js';
import { TAG } from '../../tags.js';
import { DEL_FOLDERS, DEL_MESSAGES, DELETE_HARD_DELETE, type DeleteResult, type SpecialFolderName } from '../../types.js';
import type { LocalMailbox } from '../local/mailbox.js';
import { atom, rawCommand, str } from './command.js';
import {
  dropMirroredMessages, fidOf, folderState, isNoselect, mappedMailboxes, parseStatusIdentity, specialRoles,
  type FolderState, type HierarchyResult, type MailboxIdentity, type MirrorContext,
} from './folders.js';

/** STATUS (UIDVALIDITY MAILBOXID) of a mailbox by its name as listed; null when refused (logged). */
async function statusIdentity(ctx: MirrorContext, client: ImapFlow, e: { path: string; pathAsListed: string }): Promise<MailboxIdentity | null> {
  try {
    const [u] = await rawCommand(client, 'STATUS', [str(e.pathAsListed), [atom('UIDVALIDITY'), atom('MAILBOXID')]], 'STATUS');
    return u ? parseStatusIdentity(u) : {};
  } catch (err) {
    ctx.log.debug({ user: ctx.username, mailbox: e.path, err: (err as Error).message }, 'IMAP STATUS refused');
    return null;
  }
}

/**
 * On a server with OBJECTID: records the MAILBOXID of each mirrored mailbox that has none recorded yet (a folder the
 * mirror or Outlook made since the last pass, or every folder once after an upgrade), so that a later rename by
 * another client is recognised for certain. One STATUS per such mailbox, once in its life.
 */
async function recordMailboxIds(ctx: MirrorContext, listed: ListResponse[], seen: Set<bigint>): Promise<void> {
  const byName = new Map(listed.map((e) => [e.pathAsListed, e]));
  const todo: { row: ImapFolderRow; state: FolderState; e: ListResponse }[] = [];
  for (const row of await ctx.imap.listFolders()) {
    const state = folderState(row);
    const e = byName.get(row.imapName);
    if (seen.has(row.folderGlobcnt) && e && !state.mailboxId && !state.noselect) todo.push({ row, state, e });
  }
  if (todo.length === 0) return;
  const rows: ImapFolderRow[] = [];
  await ctx.pool.run(ctx.username, async (client) => {
    for (const t of todo) {
      const id = (await statusIdentity(ctx, client, t.e))?.mailboxId;
      if (id) rows.push({ ...t.row, syncState: JSON.stringify({ ...t.state, mailboxId: id }) });
    }
  });
  if (rows.length > 0) await ctx.imap.putFolders(rows);
}

/**
 * Mailboxes another client renamed or moved since the last hierarchy sync (listed name -> the row of the name it had).
 * Candidates: a listed mailbox no row knows (nor a special folder's role), and rows whose name is no longer listed
 * (ordinary, already synced folders that still exist). On a server with OBJECTID (RFC 8474: Cyrus) a candidate whose
 * STATUS MAILBOXID is the recorded id of exactly one such row is that mailbox renamed. Without it (Dovecot 2.3), or
 * for rows recorded before their id was, RENAME keeping a mailbox's UIDVALIDITY is used: Dovecot gives every mailbox
 * of a user a UIDVALIDITY of its own, so a candidate whose UIDVALIDITY is that of exactly one row, and of no other
 * candidate, is that mailbox renamed (Cyrus gives every mailbox made in one second the same one: that is not unique
 * and is left alone). Anything less certain (a value shared, a STATUS refused) stays a delete and a create.
 * `alsoListed`: names (as listed) of mailboxes the walk leaves out (too long for the index): their rows are not lost.
 */
async function renamedMailboxes(
  ctx: MirrorContext, listed: ListResponse[], roles: Map<string, SpecialFolderName>, objectId: boolean, alsoListed: ReadonlySet<string>,
): Promise<Map<string, ImapFolderRow>> {
  const out = new Map<string, ImapFolderRow>();
  const names = new Set([...listed.map((e) => e.pathAsListed), ...alsoListed]);
  const special = new Set(Object.values(ctx.mb.special));
  const gone: ImapFolderRow[] = [];
  for (const r of await ctx.imap.listFolders()) {
    if (names.has(r.imapName) || r.uidvalidity === 0 || special.has(fidOf(r.folderGlobcnt))) continue;
    if (await ctx.mb.folderExists(fidOf(r.folderGlobcnt))) gone.push(r);
  }
  if (gone.length === 0) return out;
  const fresh: ListResponse[] = [];
  for (const e of listed) {
    if (!roles.has(e.path) && !isNoselect(e) && (await ctx.imap.folderByName(e.pathAsListed)) === null) fresh.push(e);
  }
  if (fresh.length === 0) return out;
  const ids = new Map<string, MailboxIdentity>();
  await ctx.pool.run(ctx.username, async (client) => {
    for (const e of fresh) {
      if (objectId) {
        const got = await statusIdentity(ctx, client, e);
        if (got) ids.set(e.pathAsListed, got);
        continue;
      }
      try {
        const st = await client.status(e.path, { uidValidity: true });
        if (st && st.uidValidity !== undefined) ids.set(e.pathAsListed, { uidvalidity: Number(st.uidValidity) });
      } catch (err) {
        ctx.log.debug({ user: ctx.username, mailbox: e.path, err: (err as Error).message }, 'IMAP STATUS refused; the mailbox counts as new');
      }
    }
  });
  const idOf = (r: ImapFolderRow): string | undefined => folderState(r).mailboxId;
  const validities = [...ids.values()].map((x) => x.uidvalidity);
  for (const [name, got] of ids) {
    // the MAILBOXID is the mailbox's identity (RFC 8474 4.1): a gone folder with the same one is this mailbox renamed
    if (got.mailboxId !== undefined) {
      const byId = gone.filter((r) => idOf(r) === got.mailboxId);
      if (byId.length === 1) {
        out.set(name, byId[0]!);
        continue;
      }
    }
    // else its UIDVALIDITY, kept by RENAME, when it is unique on both sides; never for a folder whose MAILBOXID is
    // known (and is not this one), nor for values one server gives many mailboxes (Cyrus: all made in one second)
    if (got.uidvalidity === undefined || validities.filter((v) => v === got.uidvalidity).length !== 1) continue;
    const match = gone.filter((r) => r.uidvalidity === got.uidvalidity);
    if (match.length === 1 && (idOf(match[0]!) === undefined || got.mailboxId === undefined)) out.set(name, match[0]!);
  }
  return out;
}

/** A display name not yet used by another folder (than `self`) under `parent`. */
async function freeName(mb: LocalMailbox, parent: bigint, name: string, self?: bigint): Promise<string> {
  const free = async (n: string): Promise<boolean> => {
    const c = await mb.findChild(parent, n);
    return c === null || c === self;
  };
  if (await free(name)) return name;
  for (let i = 1; ; i++) {
    const n = i === 1 ? `${name} (IMAP)` : `${name} (IMAP ${i})`;
    if (await free(n)) return n;
  }
}

/** Names (as listed) of over-long mailboxes already warned of, per mirror: one warning per mailbox while it is open. */
const warnedTooLong = new WeakMap<MirrorContext, Set<string>>();

/**
 * The listed mailboxes the walk maps, and the names (as listed) of those it leaves out: a name longer than an index
 * row holds (COLUMN_CHARS.imapName characters, counted as MySQL counts them; putFolders would refuse it with
 * OC_STORE_INDEX_TOO_LONG in every pass, and the mailboxes after it would never be mapped), and every mailbox below
 * one. SQLite, which has no such limit, is held to the same one, so both providers mirror the same folders. One
 * warning per such mailbox; its children go unnamed. `listed` has parents first (mappedMailboxes).
 */
function mappable(ctx: MirrorContext, listed: readonly ListResponse[]): { kept: ListResponse[]; skipped: Set<string> } {
  const kept: ListResponse[] = [];
  const skipped = new Set<string>();
  const skippedPaths = new Set<string>();
  let warned = warnedTooLong.get(ctx);
  if (!warned) warnedTooLong.set(ctx, (warned = new Set()));
  for (const e of listed) {
    const below = e.parentPath !== undefined && skippedPaths.has(e.parentPath);
    const length = codePoints(e.pathAsListed);
    if (!below && length <= COLUMN_CHARS.imapName) {
      kept.push(e);
      continue;
    }
    skipped.add(e.pathAsListed);
    skippedPaths.add(e.path);
    if (below || warned.has(e.pathAsListed)) continue;
    warned.add(e.pathAsListed);
    ctx.log.warn(
      { user: ctx.username, mailbox: e.path, length, max: COLUMN_CHARS.imapName },
      'IMAP mailbox name too long for the index; the mailbox and its children are not mirrored',
    );
  }
  return { kept, skipped };
}

/** Where the walk puts a mirrored folder: under `parent`, named like its mailbox (`name`, the last part of `mailbox`). */
interface Placement {
  fid: bigint;
  parent: bigint;
  name: string;
  mailbox: string;
}

/**
 * LISTs the personal namespace and brings the folders in line: new mailboxes become folders, gone ones are
 * deleted, known ones are left alone (no write, no CN). Returns what changed.
 *
 * Nothing carries over from one step to a later one but stored state (index rows, where folders are), so a pass cut
 * short anywhere (an index or store call failing, the process stopped) leaves what the next pass finishes.
 */
export async function syncHierarchy(ctx: MirrorContext): Promise<HierarchyResult> {
  const { mb, imap } = ctx;
  const { listed: all, roles: allRoles, top, objectId } = await ctx.pool.run(ctx.username, async (client) => ({
    ...mappedMailboxes(client, await client.list()), objectId: client.capabilities.has('OBJECTID'),
  }));
  const { kept: listed, skipped } = mappable(ctx, all);
  // a mailbox left out takes no special role (one that would have goes to the next candidate)
  const roles = skipped.size > 0 ? specialRoles(listed, top) : allRoles;
  const renames = await renamedMailboxes(ctx, listed, roles, objectId, skipped);
  const byName = new Map(listed.map((e) => [e.pathAsListed, e]));
  const fidByPath = new Map<string, bigint>();
  // a mailbox's folder goes under its parent's, or under the IPM subtree at the top of the personal namespace
  const parentOf = (e: ListResponse): bigint => (!top.has(e.path) && e.parentPath && fidByPath.get(e.parentPath)) || mb.special.ipmSubtree;
  // whether a folder sits where the mirror may move it from: the IPM subtree or a folder mapped to a mailbox
  const fromMirrored = async (fid: bigint): Promise<boolean> => {
    const here = await mb.parentOf(fid);
    return here !== null && (here === mb.special.ipmSubtree || (await imap.folderById(eidGlobcnt(here))) !== null);
  };
  // whether that folder is known in this pass: at the top, or its parent mailbox was walked (parents come first)
  const parentKnown = (e: ListResponse): boolean => top.has(e.path) || (e.parentPath !== undefined && fidByPath.has(e.parentPath));
  const seen = new Set<bigint>();
  const result: HierarchyResult = { created: 0, deleted: 0, unchanged: 0, renamed: 0 };
  const isSpecial = (fid: bigint): boolean => Object.values(mb.special).includes(fid);
  // folders whose mailbox's name was taken where they went: tried again after the walk, which may have moved the
  // folder holding the name away or deleted it (the next pass would, too)
  const namedAside: Placement[] = [];
  const place: PlaceFn = async (p) => {
    if (!(await placeFolder(ctx, p))) namedAside.push(p);
  };
  for (const e of listed) {
    const role = roles.get(e.path);
    const state: FolderState = { path: e.path, delimiter: e.delimiter || '/', noselect: isNoselect(e), ...(role ? { special: role } : {}) };
    const was = renames.get(e.pathAsListed);
    if (was) {
      const id = folderState(was).mailboxId;
      if (id) state.mailboxId = id;
      // renamed or moved by another client: the folder follows (its FID, messages and change tracking stay)
      const fid = fidOf(was.folderGlobcnt);
      await place({ fid, parent: parentOf(e), name: e.name, mailbox: e.path });
      await imap.putFolders([{ ...was, imapName: e.pathAsListed, syncState: JSON.stringify(state) }]);
      ctx.log.info({ user: ctx.username, from: was.imapName, to: e.pathAsListed }, 'IMAP mailbox renamed by another client; its folder follows');
      fidByPath.set(e.path, fid);
      seen.add(was.folderGlobcnt);
      result.renamed++;
      continue;
    }
    const old = await imap.folderByName(e.pathAsListed);
    if (old && (await mb.folderExists(fidOf(old.folderGlobcnt)))) {
      const fid = fidOf(old.folderGlobcnt);
      const was = folderState(old);
      if (was.mailboxId) state.mailboxId = was.mailboxId;
      // still the right folder: its role's special folder, or an ordinary folder for a mailbox without one
      if (role ? mb.special[role] === fid : !isSpecial(fid)) {
        // IMAP says where a mail folder belongs (Outlook's moves go back to it as RENAMEs, so a difference means the
        // mirror is behind: the parent mailbox gained or lost a special role, a pass was cut short, a move was not
        // written back): the folder moves under its parent mailbox's folder with its FID, messages and change
        // tracking, when that folder is known in this pass. A folder Outlook put under a folder IMAP has no mailbox for
        // (an unmirrored Deleted Items on a server without Trash, a local-only folder) stays there: that move could
        // not be written back, and the folder's mailbox goes when that folder is emptied
        if (!role && parentKnown(e) && (await fromMirrored(fid))) await place({ fid, parent: parentOf(e), name: e.name, mailbox: e.path });
        if (state.noselect && !was.noselect) {
          // the mailbox lost its messages (a parent deleted while it has children): so does the folder
          await dropMirroredMessages(ctx, old);
          await imap.putFolders([{ ...old, uidvalidity: 0, uidnext: 0, highestModseq: 0n, syncState: JSON.stringify(state) }]);
        } else if (was.noselect !== state.noselect || was.path !== state.path || was.delimiter !== state.delimiter || was.special !== state.special) {
          await imap.putFolders([{ ...old, syncState: JSON.stringify(state) }]);
        }
        fidByPath.set(e.path, fid);
        seen.add(old.folderGlobcnt);
        result.unchanged++;
        continue;
      }
    }
    // its folder went away locally, or the mailbox gained, lost or changed a special role: mapped afresh (its messages
    // are fetched again into the new folder)
    if (old) await unmapFormer(ctx, old, role ? mb.special[role] : null, byName, place, e.path);
    let fid: bigint;
    if (role) {
      fid = mb.special[role];
      // another mailbox may have held this special folder before: it loses the role (a folder of its own, made when
      // the walk reaches it, its children's folders following it there as above; unless it is gone from IMAP)
      const prev = await imap.folderById(eidGlobcnt(fid));
      if (prev) {
        await dropMirroredMessages(ctx, prev);
        await imap.deleteFolder(prev.folderGlobcnt);
      }
    } else {
      const parent = parentOf(e);
      const left = await folderLeftUnmapped(ctx, parent, e.name);
      const name = left === null ? await freeName(mb, parent, e.name) : e.name;
      fid = left ?? (await mb.createFolder(parent, { displayName: name, containerClass: 'IPF.Note' })).fid;
      if (name !== e.name) {
        ctx.log.warn({ user: ctx.username, mailbox: e.path, folder: name }, 'IMAP mailbox name taken locally; renamed');
        namedAside.push({ fid, parent, name: e.name, mailbox: e.path });
      }
    }
    await imap.putFolders([{
      folderGlobcnt: eidGlobcnt(fid), imapName: e.pathAsListed, uidvalidity: 0, uidnext: 0, highestModseq: 0n, lastSyncCn: 0n,
      syncState: JSON.stringify(state),
    }]);
    fidByPath.set(e.path, fid);
    seen.add(eidGlobcnt(fid));
    result.created++;
  }
  if (objectId) await recordMailboxIds(ctx, listed, seen);
  // mailboxes gone from IMAP, deepest first (a child's folder goes before its parent's subtree); the row of a mailbox
  // the walk left out (mirrored before names were held to the index's limit) is not gone
  const gone = (await imap.listFolders()).filter((r) => !seen.has(r.folderGlobcnt) && !skipped.has(r.imapName));
  const depth = (r: ImapFolderRow): number => {
    const s = folderState(r);
    return s.path.split(s.delimiter).length;
  };
  gone.sort((a, b) => depth(b) - depth(a));
  for (const row of gone) {
    const fid = fidOf(row.folderGlobcnt);
    const special = Object.values(mb.special).includes(fid);
    if (special) {
      await dropMirroredMessages(ctx, row);
    } else if (await mb.folderExists(fid)) {
      await mb.deleteFolder(fid, DEL_MESSAGES | DEL_FOLDERS | DELETE_HARD_DELETE);
    }
    await imap.deleteFolder(row.folderGlobcnt);
    result.deleted++;
  }
  for (const p of namedAside) {
    if ((await mb.folderExists(p.fid)) && (await mb.parentOf(p.fid)) === p.parent) await placeFolder(ctx, p);
  }
  return result;
}

type PlaceFn = (p: Placement) => Promise<void>;

/**
 * The folder of a mailbox whose row a pass cut short did not write (the folder made, putFolders not done): an empty
 * IPF.Note folder named exactly `name` under `parent`, not special and mapped by no row. It is taken for the mailbox,
 * instead of a second folder "<name> (IMAP)" beside it.
 */
async function folderLeftUnmapped(ctx: MirrorContext, parent: bigint, name: string): Promise<bigint | null> {
  const { mb } = ctx;
  const fid = await mb.findChild(parent, name);
  if (fid === null || Object.values(mb.special).includes(fid) || (await ctx.imap.folderById(eidGlobcnt(fid))) !== null) return null;
  const props = await mb.getFolderProps(fid, [TAG.DisplayName, TAG.ContainerClass, TAG.ContentCount, TAG.AssociatedContentCount, TAG.FolderChildCount]);
  const v = (tag: number): unknown => {
    const p = props.find((x) => x.tag >>> 0 === tag >>> 0);
    return p && 'value' in p ? p.value : undefined;
  };
  const empty = v(TAG.ContentCount) === 0 && v(TAG.AssociatedContentCount) === 0 && v(TAG.FolderChildCount) === 0;
  return empty && v(TAG.DisplayName) === name && v(TAG.ContainerClass) === 'IPF.Note' ? fid : null;
}

/**
 * Puts a mirrored folder under `parent` with its mailbox's name, through LocalMailbox.moveFolder, so sessions and ICS
 * see a moved (or renamed) folder, not a deleted one and a new one. A folder already under `parent` stays; if its name
 * is not its mailbox's (that name was taken when it came: "2024 (IMAP)"), it takes the name once no other folder there
 * has it. A folder elsewhere moves, with the first free variant of the name (freeName). Returns whether the folder
 * has its mailbox's name.
 */
async function placeFolder(ctx: MirrorContext, p: Placement): Promise<boolean> {
  const { mb } = ctx;
  if ((await mb.parentOf(p.fid)) === p.parent) {
    const holder = await mb.findChild(p.parent, p.name);
    if (holder === p.fid) return true;
    if (holder !== null) return false;
    await mb.moveFolder(p.fid, p.parent, p.name);
    ctx.log.info({ user: ctx.username, mailbox: p.mailbox, folder: p.name }, "IMAP mailbox's name free again; its folder takes it");
    return true;
  }
  const name = await freeName(mb, p.parent, p.name, p.fid);
  await mb.moveFolder(p.fid, p.parent, name);
  if (name !== p.name) ctx.log.warn({ user: ctx.username, mailbox: p.mailbox, folder: name }, 'IMAP mailbox name taken locally; renamed');
  return name === p.name;
}

/**
 * Ends a mailbox's mapping onto its former folder (the mailbox gained, lost or changed a special role, or the folder
 * went away locally), in an order that leaves a pass cut short at any point to the next one, for the row goes last
 * (until then the next pass finds the mailbox mapped onto the wrong folder and comes here again): the mailbox's
 * mirrored messages go; with `target` (the special folder it maps onto now), the former folder's subfolders that are
 * mapped to IMAP move under the target, and the former folder, unless special, goes when nothing local is left in it
 * (dropFormerFolder); then the row. Without a target (it lost its role; its new folder is made after this, once the
 * row no longer holds the name), its children's folders move out of the special folder when the walk reaches them.
 */
async function unmapFormer(
  ctx: MirrorContext, row: ImapFolderRow, target: bigint | null, listed: ReadonlyMap<string, ListResponse>, place: PlaceFn, mailbox: string,
): Promise<void> {
  const { mb, imap } = ctx;
  const fid = fidOf(row.folderGlobcnt);
  await dropMirroredMessages(ctx, row);
  if (target !== null && target !== fid && (await mb.folderExists(fid))) {
    for (const child of await mb.children(fid)) {
      const r = await imap.folderById(eidGlobcnt(child));
      if (!r) continue; // not mapped to IMAP: local content, which keeps the former folder
      const e = listed.get(r.imapName);
      const s = folderState(r);
      // one whose mailbox is gone from IMAP moves too, under the name it had: the gone step deletes it after the walk
      await place({ fid: child, parent: target, name: e?.name ?? s.path.slice(s.path.lastIndexOf(s.delimiter) + 1), mailbox: s.path });
    }
    if (!Object.values(mb.special).includes(fid)) await dropFormerFolder(ctx, fid, mailbox);
  }
  await imap.deleteFolder(row.folderGlobcnt);
}

/**
 * The ordinary folder a mailbox left for a special one, its mirrored messages and mapped subfolders gone: deleted
 * (hard, as the folder of a mailbox gone from IMAP) unless it holds a normal message or a subfolder (not mapped to
 * IMAP), which are not the mirror's to throw away: then it stays, unmapped, with a warning. Associated (FAI) messages
 * do not keep it: Outlook writes one whenever a user customises a folder's view, and a folder kept for it would take
 * mail that never reaches IMAP. They are deleted first and the folder then without DEL_MESSAGES / DEL_FOLDERS (which
 * would take associated messages too), so that a message or folder a session puts there meanwhile keeps it.
 */
async function dropFormerFolder(ctx: MirrorContext, fid: bigint, mailbox: string): Promise<void> {
  const { mb } = ctx;
  const [count] = await mb.getFolderProps(fid, [TAG.ContentCount]);
  const normal = count && 'value' in count ? Number(count.value) : 1;
  let r: DeleteResult = { partial: true, reason: normal > 0 ? SEC.HasMessages : SEC.HasFolders };
  if (normal === 0 && (await mb.children(fid)).length === 0) {
    const fai = (await mb.contentsRows(fid, { associated: true, tags: [] })).map((m) => m.id);
    if (fai.length > 0) await mb.deleteMessages(fid, fai, { hard: true });
    r = await mb.deleteFolder(fid, DELETE_HARD_DELETE);
  }
  if (r.partial) {
    ctx.log.warn(
      { user: ctx.username, mailbox, folder: fid.toString(16), reason: r.reason },
      'IMAP mailbox took a special folder; its former folder holds local content and is kept',
    );
  }
}
