// MS-OXCFOLD folder ROPs: open, create, delete, move, copy, empty, message deletes and moves, and the hierarchy and
// contents tables (the Table objects are made here; MS-OXCTABL operations on them live in oxctabl.ts).
//
// Choices where the spec leaves room (each documented at its handler):
// - WantAsynchronous is honoured by running the ROP to its end and answering its own response (MS-OXCFOLD 3.2.5.x
//   allow it: "or it can return [the ROP's] response buffer to indicate that the operation has already completed");
// - RopCreateFolder answers IsExistingFolder 0 in a private mailbox, also when OpenExisting returned an existing
//   folder (MS-OXCFOLD 2.2.1.2.2: the field applies to public folders only), so its HasRules is never sent;
//   RopOpenFolder's HasRules (2.2.1.1.2) is the folder's PidTagHasRules;
// - RopOpenFolder: this store keeps no soft-deleted folders, so OpenSoftDeleted opens live folders only;
// - a FolderId that is not a child of the input folder (RopDeleteFolder, RopMoveFolder, RopCopyFolder) is ecNotFound;
// - RopMoveFolder / RopCopyFolder with an empty NewFolderName keep the folder's name;
// - SoftDeletes and ConversationMembers table flags are ignored (no soft-deleted items, no conversation view).
//
// Delegate access (a logon to another user's mailbox, LogonObject.delegateUser; rights from oxcperm.ts, MS-OXCPERM
// 2.2.7): RopOpenFolder and RopGetHierarchyTable need FolderVisible, ReadAny or FolderOwner, except on the mailbox
// root (its PidTagIpm*EntryId properties are how a client finds a shared Calendar or Contacts folder);
// RopGetContentsTable needs ReadAny; RopCreateFolder CreateSubFolder; RopDeleteFolder FolderOwner on the deleted
// folder; RopMoveFolder FolderOwner on the moved folder, RopCopyFolder ReadAny on it, both CreateSubFolder on the
// destination; RopEmptyFolder and RopHardDeleteMessagesAndSubfolders DeleteAny (and FolderOwner when subfolders
// go); RopDeleteMessages / RopHardDeleteMessages DeleteAny, or DeleteOwned for the messages the delegate created
// (others are skipped: PartialCompletion); RopMoveCopyMessages ReadAny on the source (DeleteAny too for a move) and
// Create on the destination. A missing right is ecAccessDenied, nothing changed. A delegate's hierarchy table lists
// only the subfolders it may see (also when it is read again after a change), with its own PidTagRights.
// A new folder gets a copy of its parent's permissions list, plus its creator as Owner when a delegate made it.
// Given a search folder, RopDeleteMessages / RopHardDeleteMessages / RopMoveCopyMessages act on the linked messages
// in their own folders (the store does that); a delegate then also needs the rights on each message's own folder
// (messages it lacks them for are skipped: PartialCompletion).
import { MEMBER_RIGHTS_FREEBUSY, type DeleteResult } from '../../mapistore/types.js';
import { TableView, type TableRow } from '../../mapi/table/index.js';
import type { RopOpenFolderRequest, RopOpenFolderResponse } from '../codec/RopOpenFolder.js';
import { FOLDER_GENERIC, FOLDER_SEARCH, type RopCreateFolderRequest, type RopCreateFolderResponse } from '../codec/RopCreateFolder.js';
import type { RopDeleteFolderRequest } from '../codec/RopDeleteFolder.js';
import type { RopMoveFolderRequest } from '../codec/RopMoveFolder.js';
import type { RopCopyFolderRequest } from '../codec/RopCopyFolder.js';
import type { RopEmptyFolderRequest } from '../codec/RopEmptyFolder.js';
import type { RopHardDeleteMessagesAndSubfoldersRequest } from '../codec/RopHardDeleteMessagesAndSubfolders.js';
import type { RopDeleteMessagesRequest } from '../codec/RopDeleteMessages.js';
import type { RopHardDeleteMessagesRequest } from '../codec/RopHardDeleteMessages.js';
import type { RopMoveCopyMessagesRequest } from '../codec/RopMoveCopyMessages.js';
import type { RopGetHierarchyTableRequest } from '../codec/RopGetHierarchyTable.js';
import type { RopGetContentsTableRequest } from '../codec/RopGetContentsTable.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult } from '../types.js';
import { checkedLogon, FolderObject, folderRights, guard, RIGHTS, sessionUserOf, TableObject, type LogonObject, type MailboxHandlerDeps } from './objects.js';
import { setTableRowsReader } from './notif-tables.js';
import { inheritPermissions, mayAny, ownedMessages, TAG_RIGHTS } from './oxcperm.js';

// MS-OXCROPS 2.2.4 RopIds of the folder ROPs
export const FOLDER_ROP = {
  RopOpenFolder: 0x02,
  RopCreateFolder: 0x1c,
  RopDeleteFolder: 0x1d,
  RopMoveFolder: 0x35,
  RopCopyFolder: 0x36,
  RopEmptyFolder: 0x58,
  RopHardDeleteMessagesAndSubfolders: 0x92,
  RopDeleteMessages: 0x1e,
  RopHardDeleteMessages: 0x91,
  RopMoveCopyMessages: 0x33,
  RopGetHierarchyTable: 0x04,
  RopGetContentsTable: 0x05,
} as const;

// MS-OXCFOLD 2.2.1.1.1 OpenModeFlags
export const OPEN_MODE = { ReadWrite: 0x01, OpenSoftDeleted: 0x04 } as const;
// MS-OXCFOLD 2.2.1.13.1 / 2.2.1.14.1 TableFlags
export const TABLE_FLAGS = { Associated: 0x02, Depth: 0x04, DeferredErrors: 0x08, NoNotifications: 0x10, SoftDeletes: 0x20, UseUnicode: 0x40 } as const;

type PartialBody = { PartialCompletion: number };
type MoveCopyBody = { PartialCompletion: number; DestHandleIndex: number };

/** The folder object the ROP runs on, with its logon checked against the request's LogonId. */
function folderOf(req: RopRequestHeader, ctx: RopContext): { folder: FolderObject; logon: LogonObject } | undefined {
  const logon = checkedLogon(req, ctx);
  const folder = ctx.input;
  if (!logon || !(folder instanceof FolderObject) || folder.logon !== logon) return undefined;
  return { folder, logon };
}

/** The destination folder of a two-handle ROP: same logon required (the dispatcher answered empty slots already). */
function destFolderOf(ctx: RopContext, index: number, logon: LogonObject): FolderObject | undefined {
  const d = ctx.resolve(index);
  return d instanceof FolderObject && d.logon === logon ? d : undefined;
}

/** MS-OXPROPS 2.720 PidTagHasRules: kept on the folder by the rules code (oxorule.ts, after each RopModifyRules). */
export const TAG_HAS_RULES = 0x663a000b;

/** MS-OXCFOLD 2.2.1.1.2 HasRules: whether rules are associated with the folder (its PidTagHasRules). */
async function hasRules(logon: LogonObject, fid: bigint): Promise<boolean> {
  const [r] = await logon.store.getFolderProps(fid, [TAG_HAS_RULES]);
  return r !== undefined && 'value' in r && r.value === true;
}

/** Rights that let a delegate see a folder (MS-OXCPERM 2.2.7). */
const SEE_FOLDER = RIGHTS.FolderVisible | RIGHTS.ReadAny | RIGHTS.FolderOwner;
const denied = { ec: ec.AccessDenied } as const;

const partial = (r: DeleteResult): RopResult<PartialBody> => ({ ec: ec.Success, response: { PartialCompletion: r.partial ? 1 : 0 } });

/**
 * The rows of a hierarchy table of `fid` as `logon` sees them: for a delegate only the subfolders it may see, with its
 * own PidTagRights (FreeBusy bits left out). Used when the table is made and when it is read again after a change.
 */
export async function hierarchyTableRows(logon: LogonObject, fid: bigint, recursive: boolean): Promise<TableRow[]> {
  const rows = await logon.store.hierarchyRows(fid, { recursive });
  if (logon.delegateUser === undefined) return rows;
  const seen: TableRow[] = [];
  for (const r of rows) {
    const rights = await folderRights(logon, r.id);
    if ((rights & SEE_FOLDER) === 0) continue;
    // PidTagRights: the delegate's (FreeBusy bits left out), not the owner's
    seen.push(r.props.has(TAG_RIGHTS) ? { id: r.id, props: new Map(r.props).set(TAG_RIGHTS, rights & ~MEMBER_RIGHTS_FREEBUSY) } : r);
  }
  return seen;
}

/** The rows of a contents table of `fid` (normal or FAI messages). */
export async function contentsTableRows(logon: LogonObject, fid: bigint, associated: boolean): Promise<TableRow[]> {
  return logon.store.contentsRows(fid, { associated });
}

// tables read again after a change (notif-tables.ts) with the functions that made their rows
setTableRowsReader('hierarchy', (t) => (t.source.type === 'hierarchy' ? hierarchyTableRows(t.logon, t.source.fid, t.source.recursive) : Promise.resolve([])));
setTableRowsReader('contents', (t) => (t.source.type === 'contents' ? contentsTableRows(t.logon, t.source.fid, t.source.associated) : Promise.resolve([])));

export function createFolderHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();
  /** A handler on a folder; `failBody` is the body a failure carries (PartialCompletion ROPs). */
  const onFolder = <Req extends RopRequestHeader, B>(
    id: number,
    failBody: Partial<B> | undefined,
    fn: (req: Req, f: { folder: FolderObject; logon: LogonObject }, ctx: RopContext) => Promise<RopResult<B>> | RopResult<B>,
  ): void => {
    m.set(id, {
      inputKinds: ['folder'],
      handle: async (req: Req, ctx: RopContext) => {
        const f = folderOf(req, ctx);
        if (!f) return { ec: ec.NullObject, ...(failBody ? { response: failBody } : {}) };
        const r = await guard(ctx, () => fn(req, f, ctx));
        return r.ec !== ec.Success && !r.response && failBody ? { ...r, response: failBody } : r;
      },
    });
  };

  // MS-OXCFOLD 3.2.5.1 RopOpenFolder: on a logon or a folder; any folder of the mailbox
  m.set(FOLDER_ROP.RopOpenFolder, {
    inputKinds: ['logon', 'folder'],
    handle: (req: RopOpenFolderRequest, ctx: RopContext) => {
      const logon = checkedLogon(req, ctx);
      if (!logon || (ctx.input instanceof FolderObject && ctx.input.logon !== logon)) return { ec: ec.NullObject };
      return guard<RopOpenFolderResponse>(ctx, async () => {
        if (!(await logon.store.folderExists(req.FolderId))) return { ec: ec.NotFound };
        if (req.FolderId !== logon.store.special.root && !(await mayAny(logon, req.FolderId, SEE_FOLDER))) return denied;
        return {
          ec: ec.Success,
          created: new FolderObject(req.LogonId, logon, logon, req.FolderId),
          response: { HasRules: (await hasRules(logon, req.FolderId)) ? 1 : 0, IsGhosted: 0 },
        };
      });
    },
  });

  // MS-OXCFOLD 3.2.5.2 RopCreateFolder
  onFolder<RopCreateFolderRequest, RopCreateFolderResponse>(FOLDER_ROP.RopCreateFolder, undefined, async (req, { folder, logon }, ctx) => {
    if (req.FolderType !== FOLDER_GENERIC && req.FolderType !== FOLDER_SEARCH) return { ec: ec.InvalidParam };
    if (req.DisplayName === '') return { ec: ec.InvalidParam };
    if (!(await mayAny(logon, folder.fid, RIGHTS.CreateSubFolder))) return denied;
    const r = await logon.store.createFolder(folder.fid, {
      displayName: req.DisplayName,
      ...(req.Comment !== '' ? { comment: req.Comment } : {}),
      folderType: req.FolderType,
      openExisting: req.OpenExisting !== 0,
    });
    if (!r.existing) {
      // MS-OXCPERM: the new folder starts with its parent's list; a delegate who made it is its Owner
      const me = logon.delegateUser !== undefined ? sessionUserOf(ctx) : undefined;
      await inheritPermissions(logon.store, folder.fid, r.fid, me && { username: me.username, displayName: me.displayName, legacyDn: me.legacyExchangeDN });
    }
    return {
      ec: ec.Success,
      created: new FolderObject(req.LogonId, logon, logon, r.fid),
      response: { FolderId: r.fid, IsExistingFolder: 0 },
    };
  });

  // MS-OXCFOLD 3.2.5.3 RopDeleteFolder: a non-empty folder without DEL_MESSAGES/DEL_FOLDERS stays, PartialCompletion
  onFolder<RopDeleteFolderRequest, PartialBody>(FOLDER_ROP.RopDeleteFolder, { PartialCompletion: 0 }, async (req, { folder, logon }) => {
    if (!(await logon.store.folderExists(req.FolderId)) || (await logon.store.parentOf(req.FolderId)) !== folder.fid) {
      return { ec: ec.NotFound, response: { PartialCompletion: 0 } };
    }
    if (!(await mayAny(logon, req.FolderId, RIGHTS.FolderOwner))) return { ...denied, response: { PartialCompletion: 0 } };
    return partial(await logon.store.deleteFolder(req.FolderId, req.DeleteFolderFlags));
  });

  // MS-OXCFOLD 3.2.5.7 RopMoveFolder / 3.2.5.8 RopCopyFolder: input = source parent, DestHandleIndex = new parent
  const moveCopy = async (
    req: RopMoveFolderRequest | RopCopyFolderRequest,
    f: { folder: FolderObject; logon: LogonObject },
    ctx: RopContext,
    copy: boolean,
  ): Promise<RopResult<MoveCopyBody>> => {
    const fail = (code: number): RopResult<MoveCopyBody> => ({ ec: code, response: { PartialCompletion: 0 } });
    const dest = destFolderOf(ctx, req.DestHandleIndex, f.logon);
    if (!dest) return fail(ec.NotSupported);
    const store = f.logon.store;
    if (!(await store.folderExists(req.FolderId)) || (await store.parentOf(req.FolderId)) !== f.folder.fid) return fail(ec.NotFound);
    if (!(await mayAny(f.logon, req.FolderId, copy ? RIGHTS.ReadAny : RIGHTS.FolderOwner))) return fail(ec.AccessDenied);
    if (!(await mayAny(f.logon, dest.fid, RIGHTS.CreateSubFolder))) return fail(ec.AccessDenied);
    const newName = req.NewFolderName !== '' ? req.NewFolderName : undefined;
    if (copy) {
      const recursive = (req as RopCopyFolderRequest).WantRecursive !== 0;
      await store.copyFolder(req.FolderId, dest.fid, { ...(newName !== undefined ? { newName } : {}), recursive });
    } else {
      await store.moveFolder(req.FolderId, dest.fid, newName);
    }
    return { ec: ec.Success, response: { PartialCompletion: 0 } };
  };
  onFolder<RopMoveFolderRequest, MoveCopyBody>(FOLDER_ROP.RopMoveFolder, { PartialCompletion: 0 }, (req, f, ctx) => moveCopy(req, f, ctx, false));
  onFolder<RopCopyFolderRequest, MoveCopyBody>(FOLDER_ROP.RopCopyFolder, { PartialCompletion: 0 }, (req, f, ctx) => moveCopy(req, f, ctx, true));

  // MS-OXCFOLD 3.2.5.9 RopEmptyFolder (soft) / 3.2.5.10 RopHardDeleteMessagesAndSubfolders: special subfolders stay
  /** A delegate empties a folder with DeleteAny, and FolderOwner when it has subfolders. */
  const mayEmpty = async (logon: LogonObject, fid: bigint): Promise<boolean> =>
    (await mayAny(logon, fid, RIGHTS.DeleteAny)) && ((await logon.store.children(fid)).length === 0 || (await mayAny(logon, fid, RIGHTS.FolderOwner)));
  onFolder<RopEmptyFolderRequest, PartialBody>(FOLDER_ROP.RopEmptyFolder, { PartialCompletion: 0 }, async (req, { folder, logon }) => {
    if (!(await mayEmpty(logon, folder.fid))) return denied;
    return partial(await logon.store.emptyFolder(folder.fid, { associated: req.WantDeleteAssociated !== 0, hard: false }));
  });
  onFolder<RopHardDeleteMessagesAndSubfoldersRequest, PartialBody>(
    FOLDER_ROP.RopHardDeleteMessagesAndSubfolders,
    { PartialCompletion: 0 },
    async (req, { folder, logon }) => {
      if (!(await mayEmpty(logon, folder.fid))) return denied;
      return partial(await logon.store.emptyFolder(folder.fid, { associated: req.WantDeleteAssociated !== 0, hard: true }));
    },
  );

  // MS-OXCFOLD 3.2.5.11 RopDeleteMessages / 3.2.5.12 RopHardDeleteMessages: ids not in the folder make it partial
  /** The messages a delegate may delete: all with DeleteAny, its own with DeleteOwned (null: none at all). */
  const deletable = async (logon: LogonObject, fid: bigint, mids: readonly bigint[], ctx: RopContext): Promise<readonly bigint[] | null> => {
    if (await mayAny(logon, fid, RIGHTS.DeleteAny)) return mids;
    const me = sessionUserOf(ctx);
    if (!me || !(await mayAny(logon, fid, RIGHTS.DeleteOwned))) return null;
    return ownedMessages(logon.store, mids, me.legacyExchangeDN);
  };
  /**
   * A delegate acting through a search folder reaches messages stored in other folders: of `mids`, those whose own
   * folder is another one are kept only as far as `allowed` (the same rights, checked on that folder) keeps them.
   */
  const allowedAtHome = async (
    logon: LogonObject,
    fid: bigint,
    mids: readonly bigint[],
    allowed: (home: bigint, ids: bigint[]) => Promise<readonly bigint[] | null>,
  ): Promise<readonly bigint[]> => {
    if (logon.delegateUser === undefined) return mids;
    const groups = new Map<bigint, bigint[]>();
    for (const mid of mids) {
      const home = (await logon.store.folderOfMessage(mid)) ?? fid;
      if (home === fid) continue;
      const l = groups.get(home);
      if (l) l.push(mid);
      else groups.set(home, [mid]);
    }
    if (groups.size === 0) return mids;
    const drop = new Set<bigint>();
    for (const [home, ids] of groups) {
      const ok = new Set((await allowed(home, ids)) ?? []);
      for (const id of ids) if (!ok.has(id)) drop.add(id);
    }
    return mids.filter((m) => !drop.has(m));
  };
  const deleteMessages = async (req: RopDeleteMessagesRequest, folder: FolderObject, logon: LogonObject, ctx: RopContext, hard: boolean) => {
    const mine = await deletable(logon, folder.fid, req.MessageIds, ctx);
    if (!mine) return denied;
    const mids = await allowedAtHome(logon, folder.fid, mine, (home, ids) => deletable(logon, home, ids, ctx));
    const r = await logon.store.deleteMessages(folder.fid, mids, { hard });
    return partial({ partial: r.partial || mids.length < req.MessageIds.length });
  };
  onFolder<RopDeleteMessagesRequest, PartialBody>(FOLDER_ROP.RopDeleteMessages, { PartialCompletion: 0 }, (req, { folder, logon }, ctx) =>
    deleteMessages(req, folder, logon, ctx, false),
  );
  onFolder<RopHardDeleteMessagesRequest, PartialBody>(FOLDER_ROP.RopHardDeleteMessages, { PartialCompletion: 0 }, (req, { folder, logon }, ctx) =>
    deleteMessages(req, folder, logon, ctx, true),
  );

  // MS-OXCFOLD 3.2.5.6 RopMoveCopyMessages
  onFolder<RopMoveCopyMessagesRequest, MoveCopyBody>(FOLDER_ROP.RopMoveCopyMessages, { PartialCompletion: 0 }, async (req, { folder, logon }, ctx) => {
    const dest = destFolderOf(ctx, req.DestHandleIndex, logon);
    if (!dest) return { ec: ec.NotSupported, response: { PartialCompletion: 0 } };
    const srcNeeds = req.WantCopy !== 0 ? [RIGHTS.ReadAny] : [RIGHTS.ReadAny, RIGHTS.DeleteAny];
    for (const need of srcNeeds) if (!(await mayAny(logon, folder.fid, need))) return { ...denied, response: { PartialCompletion: 0 } };
    if (!(await mayAny(logon, dest.fid, RIGHTS.Create))) return { ...denied, response: { PartialCompletion: 0 } };
    const mids = await allowedAtHome(logon, folder.fid, req.MessageIds, async (home, ids) => {
      for (const need of srcNeeds) if (!(await mayAny(logon, home, need))) return null;
      return ids;
    });
    const r = await logon.store.moveCopyMessages(folder.fid, mids, dest.fid, req.WantCopy !== 0);
    return { ec: ec.Success, response: { PartialCompletion: r.partial || mids.length < req.MessageIds.length ? 1 : 0 } };
  });

  // MS-OXCFOLD 3.2.5.13 RopGetHierarchyTable / 3.2.5.14 RopGetContentsTable: rows with every property, so that
  // RopSetColumns can pick any column; the source lets the table handlers read them again
  onFolder<RopGetHierarchyTableRequest, { RowCount: number }>(FOLDER_ROP.RopGetHierarchyTable, undefined, async (req, { folder, logon }) => {
    const recursive = (req.TableFlags & TABLE_FLAGS.Depth) !== 0;
    if (folder.fid !== logon.store.special.root && !(await mayAny(logon, folder.fid, SEE_FOLDER))) return denied;
    if (logon.store.refreshHierarchy) await logon.store.refreshHierarchy(); // mirrored (IMAP) folder trees
    const rows = await hierarchyTableRows(logon, folder.fid, recursive);
    const table = new TableObject(req.LogonId, logon, logon, { type: 'hierarchy', fid: folder.fid, recursive }, req.TableFlags, new TableView(rows));
    return { ec: ec.Success, created: table, response: { RowCount: rows.length } };
  });
  onFolder<RopGetContentsTableRequest, { RowCount: number }>(FOLDER_ROP.RopGetContentsTable, undefined, async (req, { folder, logon }) => {
    const associated = (req.TableFlags & TABLE_FLAGS.Associated) !== 0;
    if (!(await mayAny(logon, folder.fid, RIGHTS.ReadAny))) return denied;
    if (!associated && logon.store.refreshFolder) await logon.store.refreshFolder(folder.fid); // mirrored (IMAP) folders
    const rows = await contentsTableRows(logon, folder.fid, associated);
    const table = new TableObject(req.LogonId, logon, logon, { type: 'contents', fid: folder.fid, associated }, req.TableFlags, new TableView(rows));
    return { ec: ec.Success, created: table, response: { RowCount: rows.length } };
  });

  return m;
}
