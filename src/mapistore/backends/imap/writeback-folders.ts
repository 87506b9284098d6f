// MAPI -> IMAP write-back, folder half (issue 8 item 1): folders Outlook creates, renames, moves or deletes among
// the mirrored mail folders become RFC 9051 6.3.4 CREATE, 6.3.6 RENAME and 6.3.5 DELETE, and their imap_folders
// rows follow, so that the mirror's next syncHierarchy finds every mailbox already mapped (nothing created,
// nothing deleted). Paths are given to imapflow decoded, joined with the hierarchy delimiter of the parent's LIST
// entry; imapflow encodes them (modified UTF-7, RFC 3501 5.1.3, unless UTF8=ACCEPT); the row keeps the name as the
// server lists it afterwards.
//
// Choices where the specs leave room:
// - a folder created under the IPM subtree becomes a top-level mailbox of the personal namespace (the mirror maps
//   those there): `<prefix><name>`, the prefix being "" on Dovecot's default layout and "INBOX." on Courier's and
//   Cyrus's; its delimiter is INBOX's (one personal namespace). Where the prefix is INBOX's own child path, a folder
//   under the Inbox has no mailbox of its own (it would be a top-level one): OC_IMAP_BAD_NAME, so it stays local.
// - special folders (Inbox, Sent Items, Drafts, Deleted Items, Junk E-mail, the IPM subtree, ...) are never created,
//   renamed, moved or deleted on IMAP: OC_IMAP_SPECIAL_FOLDER (SEC.AccessDenied). Folders under them are fine.
// - a name that is empty, holds the hierarchy delimiter, a control character, or a LIST wildcard (* %) is
//   OC_IMAP_BAD_NAME (SEC.InvalidParam).
// - CREATE of a mailbox that already exists on IMAP but is mapped to no folder maps the new folder onto it (with
//   UIDVALIDITY 0, so the next sync fetches its messages); one already mapped to another folder is OC_IMAP_EXISTS
//   (SEC.DuplicateName).
// - a new empty mailbox's row gets the server's UIDVALIDITY and HIGHESTMODSEQ (STATUS) with UIDNEXT 1: the next
//   sync looks at every UID, so a message another client appended right after the CREATE is not skipped.
// - DELETE goes deepest first (Dovecot keeps a deleted parent of remaining children listed); a mailbox already gone
//   counts as deleted. RENAME carries the children along on the server; their rows get the new paths.
import type { ImapFlow, ListResponse } from 'imapflow';
import { eidGlobcnt } from '../../../mapi/ids.js';
import { SEC, StoreError } from '../../errors.js';
import type { ImapFolderRow } from '../../index/types.js';
import { fidOf, folderState, personalRoot, type FolderState, type MirrorContext } from './folders.js';
import { imapError, notMirrored, once } from './writeback-util.js';

function isSpecial(ctx: MirrorContext, fid: bigint): boolean {
  return Object.values(ctx.mb.special).includes(fid);
}

function refuseSpecial(ctx: MirrorContext, fid: bigint, what: string): void {
  if (isSpecial(ctx, fid)) {
    throw new StoreError('OC_IMAP_SPECIAL_FOLDER', SEC.AccessDenied, `special folder 0x${fid.toString(16)} cannot be ${what} on IMAP`);
  }
}

function checkName(name: string, delimiter: string): void {
  if (name.length === 0 || name.includes(delimiter) || /[\x00-\x1f\x7f*%]/.test(name)) {
    throw new StoreError('OC_IMAP_BAD_NAME', SEC.InvalidParam, `folder name ${JSON.stringify(name)} cannot be an IMAP mailbox name (delimiter ${JSON.stringify(delimiter)})`);
  }
}

/**
 * The decoded path and delimiter a child of `parentFid` gets. The top level (the IPM subtree) is the personal
 * namespace's prefix (null path with `prefix`: "" on Dovecot's default layout, "INBOX." on Courier's and Cyrus's,
 * as the mirror maps them, folders.ts atTop). Where that prefix is INBOX's own child path, a child of the Inbox
 * would be a top-level mailbox: refused (OC_IMAP_BAD_NAME).
 */
async function parentPath(ctx: MirrorContext, parentFid: bigint): Promise<{ path: string | null; delimiter: string; prefix: string }> {
  const root = await ctx.pool.run(ctx.username, async (client) => personalRoot(client));
  if (parentFid === ctx.mb.special.ipmSubtree) {
    const inbox = await ctx.imap.folderById(eidGlobcnt(ctx.mb.special.inbox));
    const any = inbox ?? (await ctx.imap.listFolders())[0];
    return { path: null, delimiter: any ? folderState(any).delimiter : root.delimiter, prefix: root.prefix };
  }
  const row = await ctx.imap.folderById(eidGlobcnt(parentFid));
  if (!row) throw notMirrored(parentFid);
  const s = folderState(row);
  if (parentFid === ctx.mb.special.inbox && root.prefix !== '' && `${s.path}${s.delimiter}`.toUpperCase() === root.prefix.toUpperCase()) {
    throw new StoreError(
      'OC_IMAP_BAD_NAME',
      SEC.InvalidParam,
      `the IMAP server keeps every personal mailbox under ${root.prefix} (its personal namespace): a folder under the Inbox would be a top-level one; create it at the top level`,
    );
  }
  return { path: s.path, delimiter: s.delimiter, prefix: '' };
}

const join = (p: { path: string | null; delimiter: string; prefix: string }, name: string): string => (p.path === null ? `${p.prefix}${name}` : `${p.path}${p.delimiter}${name}`);

async function listAll(client: ImapFlow): Promise<ListResponse[]> {
  return client.list({ listOnly: true });
}

const within = (path: string, s: FolderState): boolean => path === s.path || path.startsWith(`${s.path}${s.delimiter}`);

/** CREATE of the mailbox of a new folder `fid` under `parentFid` (mirrored, or the IPM subtree). */
export async function createFolder(ctx: MirrorContext, parentFid: bigint, fid: bigint, name: string): Promise<void> {
  refuseSpecial(ctx, fid, 'created');
  const parent = await parentPath(ctx, parentFid);
  checkName(name, parent.delimiter);
  const path = join(parent, name);
  await once(ctx, async (client) => {
    let res;
    try {
      res = await client.mailboxCreate(path);
    } catch (e) {
      throw imapError('OC_IMAP_CREATE', `CREATE ${path} refused`, e);
    }
    const entry = (await listAll(client)).find((e) => e.path === res.path);
    if (!entry) throw imapError('OC_IMAP_CREATE', `CREATE ${path} succeeded but LIST does not show it`);
    // other mail clients of the user show subscribed mailboxes: a folder made in Outlook is subscribed (RFC 9051 6.3.7)
    await subscribe(ctx, client, res.path, true);
    const taken = await ctx.imap.folderByName(entry.pathAsListed);
    if (taken && taken.folderGlobcnt !== eidGlobcnt(fid) && (await ctx.mb.folderExists(fidOf(taken.folderGlobcnt)))) {
      throw new StoreError('OC_IMAP_EXISTS', SEC.DuplicateName, `IMAP mailbox ${entry.path} is already mirrored by another folder`);
    }
    if (taken) await ctx.imap.deleteFolder(taken.folderGlobcnt);
    let uidvalidity = 0;
    let highestModseq = 0n;
    if (res.created) {
      const st = await client.status(res.path, { uidValidity: true, highestModseq: true });
      if (st) {
        uidvalidity = Number(st.uidValidity ?? 0);
        highestModseq = st.highestModseq ?? 0n;
      }
    } else {
      ctx.log.info({ user: ctx.username, mailbox: entry.path }, 'IMAP write-back: mailbox existed already; the new folder mirrors it');
    }
    const state: FolderState = { path: entry.path, delimiter: entry.delimiter || parent.delimiter, noselect: false };
    await ctx.imap.putFolders([{
      folderGlobcnt: eidGlobcnt(fid), imapName: entry.pathAsListed, uidvalidity, uidnext: uidvalidity ? 1 : 0, highestModseq,
      lastSyncCn: eidGlobcnt(await ctx.mb.currentCn()), syncState: JSON.stringify(state),
    }]);
  });
}

/**
 * Before a mirrored folder moves under `newParentFid` locally: throws OC_IMAP_BAD_NAME where its mailbox cannot follow
 * there, which is only under the Inbox of a server whose personal prefix is INBOX's child path (parentPath). Moved
 * locally anyway, the folder would be moved back under its mailbox's parent by the next hierarchy pass. Any other
 * failure of the check (the server away) is left to the RENAME after the move.
 */
export async function checkFolderMove(ctx: MirrorContext, newParentFid: bigint): Promise<void> {
  if (newParentFid !== ctx.mb.special.inbox) return;
  try {
    await parentPath(ctx, newParentFid);
  } catch (e) {
    if ((e as { code?: string }).code === 'OC_IMAP_BAD_NAME') throw e;
  }
}

/** RENAME of a mirrored folder's mailbox to `newName` under `newParentFid` (a rename, a move, or both). */
export async function renameFolder(ctx: MirrorContext, fid: bigint, newParentFid: bigint, newName: string): Promise<void> {
  refuseSpecial(ctx, fid, 'renamed or moved');
  const row = await ctx.imap.folderById(eidGlobcnt(fid));
  if (!row) throw notMirrored(fid);
  const st = folderState(row);
  if (st.special) throw new StoreError('OC_IMAP_SPECIAL_FOLDER', SEC.AccessDenied, `IMAP mailbox ${st.path} is a special folder`);
  const parent = await parentPath(ctx, newParentFid);
  checkName(newName, parent.delimiter);
  const newPath = join(parent, newName);
  if (newPath === st.path) return;
  if (within(newPath, st)) throw new StoreError('OC_IMAP_BAD_NAME', SEC.InvalidParam, `IMAP mailbox ${st.path} cannot move into itself`);
  await once(ctx, async (client) => {
    try {
      await client.mailboxRename(st.path, newPath);
    } catch (e) {
      throw imapError('OC_IMAP_RENAME', `RENAME ${st.path} ${newPath} refused`, e);
    }
    // subscriptions do not follow a RENAME on every server (RFC 9051 6.3.6 leaves it open)
    await subscribe(ctx, client, st.path, false);
    await subscribe(ctx, client, newPath, true);
    const listed = new Map((await listAll(client)).map((e) => [e.path, e]));
    const moved: ImapFolderRow[] = [];
    for (const r of await ctx.imap.listFolders()) {
      const s = folderState(r);
      if (!within(s.path, st)) continue;
      const np = newPath + s.path.slice(st.path.length);
      const e = listed.get(np);
      moved.push({ ...r, imapName: e?.pathAsListed ?? np, syncState: JSON.stringify({ ...s, path: np, delimiter: e?.delimiter || s.delimiter }) });
    }
    if (moved.length > 0) await ctx.imap.putFolders(moved);
  });
}

/** DELETE of a mirrored folder's mailbox and of every mailbox under it (deepest first); their rows go. */
export async function deleteFolder(ctx: MirrorContext, fid: bigint): Promise<void> {
  refuseSpecial(ctx, fid, 'deleted');
  const row = await ctx.imap.folderById(eidGlobcnt(fid));
  if (!row) throw notMirrored(fid);
  const st = folderState(row);
  if (st.special) throw new StoreError('OC_IMAP_SPECIAL_FOLDER', SEC.AccessDenied, `IMAP mailbox ${st.path} is a special folder`);
  await ctx.pool.run(ctx.username, async (client) => {
    const targets = (await listAll(client)).filter((e) => within(e.path, st));
    const depth = (e: ListResponse): number => e.path.split(e.delimiter || st.delimiter).length;
    targets.sort((a, b) => depth(b) - depth(a));
    for (const e of targets) {
      try {
        await client.mailboxDelete(e.path);
        await subscribe(ctx, client, e.path, false);
      } catch (err) {
        const text = (err as { responseText?: string }).responseText ?? '';
        if (!/(doesn't|does not) exist|no such mailbox/i.test(text)) throw imapError('OC_IMAP_DELETE', `DELETE ${e.path} refused`, err);
      }
    }
    for (const r of await ctx.imap.listFolders()) {
      if (within(folderState(r).path, st)) await ctx.imap.deleteFolder(r.folderGlobcnt);
    }
  });
}

/** SUBSCRIBE / UNSUBSCRIBE; a refusal only costs the other clients' folder list: logged, never an error. */
async function subscribe(ctx: MirrorContext, client: ImapFlow, path: string, on: boolean): Promise<void> {
  try {
    if (on) await client.mailboxSubscribe(path);
    else await client.mailboxUnsubscribe(path);
  } catch (e) {
    ctx.log.warn({ user: ctx.username, mailbox: path, err: (e as Error).message }, `IMAP write-back: ${on ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} refused`);
  }
}
