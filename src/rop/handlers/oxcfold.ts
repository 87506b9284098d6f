// MS-OXCFOLD folder ROPs: open, create, delete, move, copy, empty, message deletes and moves, and the hierarchy and
// contents tables (the Table objects are made here; MS-OXCTABL operations on them live in oxctabl.ts).
//
// Choices where the spec leaves room (each documented at its handler):
// - WantAsynchronous is honoured by running the ROP to its end and answering its own response (MS-OXCFOLD 3.2.5.x
//   allow it: "or it can return [the ROP's] response buffer to indicate that the operation has already completed");
// - RopCreateFolder answers IsExistingFolder 0 in a private mailbox, also when OpenExisting returned an existing
//   folder (MS-OXCFOLD 2.2.1.2.2: the field applies to public folders only);
// - RopOpenFolder: this store keeps no soft-deleted folders, so OpenSoftDeleted opens live folders only;
// - a FolderId that is not a child of the input folder (RopDeleteFolder, RopMoveFolder, RopCopyFolder) is ecNotFound;
// - RopMoveFolder / RopCopyFolder with an empty NewFolderName keep the folder's name;
// - SoftDeletes and ConversationMembers table flags are ignored (no soft-deleted items, no conversation view).
import type { DeleteResult } from '../../mapistore/types.js';
import { TableView } from '../../mapi/table/index.js';
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
import { checkedLogon, FolderObject, guard, TableObject, type LogonObject, type MailboxHandlerDeps } from './objects.js';

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

const partial = (r: DeleteResult): RopResult<PartialBody> => ({ ec: ec.Success, response: { PartialCompletion: r.partial ? 1 : 0 } });

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
        return {
          ec: ec.Success,
          created: new FolderObject(req.LogonId, logon, logon, req.FolderId),
          response: { HasRules: 0, IsGhosted: 0 },
        };
      });
    },
  });

  // MS-OXCFOLD 3.2.5.2 RopCreateFolder
  onFolder<RopCreateFolderRequest, RopCreateFolderResponse>(FOLDER_ROP.RopCreateFolder, undefined, async (req, { folder, logon }) => {
    if (req.FolderType !== FOLDER_GENERIC && req.FolderType !== FOLDER_SEARCH) return { ec: ec.InvalidParam };
    if (req.DisplayName === '') return { ec: ec.InvalidParam };
    const r = await logon.store.createFolder(folder.fid, {
      displayName: req.DisplayName,
      ...(req.Comment !== '' ? { comment: req.Comment } : {}),
      folderType: req.FolderType,
      openExisting: req.OpenExisting !== 0,
    });
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
  onFolder<RopEmptyFolderRequest, PartialBody>(FOLDER_ROP.RopEmptyFolder, { PartialCompletion: 0 }, async (req, { folder, logon }) =>
    partial(await logon.store.emptyFolder(folder.fid, { associated: req.WantDeleteAssociated !== 0, hard: false })),
  );
  onFolder<RopHardDeleteMessagesAndSubfoldersRequest, PartialBody>(
    FOLDER_ROP.RopHardDeleteMessagesAndSubfolders,
    { PartialCompletion: 0 },
    async (req, { folder, logon }) => partial(await logon.store.emptyFolder(folder.fid, { associated: req.WantDeleteAssociated !== 0, hard: true })),
  );

  // MS-OXCFOLD 3.2.5.11 RopDeleteMessages / 3.2.5.12 RopHardDeleteMessages: ids not in the folder make it partial
  onFolder<RopDeleteMessagesRequest, PartialBody>(FOLDER_ROP.RopDeleteMessages, { PartialCompletion: 0 }, async (req, { folder, logon }) =>
    partial(await logon.store.deleteMessages(folder.fid, req.MessageIds, { hard: false })),
  );
  onFolder<RopHardDeleteMessagesRequest, PartialBody>(FOLDER_ROP.RopHardDeleteMessages, { PartialCompletion: 0 }, async (req, { folder, logon }) =>
    partial(await logon.store.deleteMessages(folder.fid, req.MessageIds, { hard: true })),
  );

  // MS-OXCFOLD 3.2.5.6 RopMoveCopyMessages
  onFolder<RopMoveCopyMessagesRequest, MoveCopyBody>(FOLDER_ROP.RopMoveCopyMessages, { PartialCompletion: 0 }, async (req, { folder, logon }, ctx) => {
    const dest = destFolderOf(ctx, req.DestHandleIndex, logon);
    if (!dest) return { ec: ec.NotSupported, response: { PartialCompletion: 0 } };
    const r = await logon.store.moveCopyMessages(folder.fid, req.MessageIds, dest.fid, req.WantCopy !== 0);
    return { ec: ec.Success, response: { PartialCompletion: r.partial ? 1 : 0 } };
  });

  // MS-OXCFOLD 3.2.5.13 RopGetHierarchyTable / 3.2.5.14 RopGetContentsTable: rows with every property, so that
  // RopSetColumns can pick any column; the source lets the table handlers read them again
  onFolder<RopGetHierarchyTableRequest, { RowCount: number }>(FOLDER_ROP.RopGetHierarchyTable, undefined, async (req, { folder, logon }) => {
    const recursive = (req.TableFlags & TABLE_FLAGS.Depth) !== 0;
    const rows = await logon.store.hierarchyRows(folder.fid, { recursive });
    const table = new TableObject(req.LogonId, logon, logon, { type: 'hierarchy', fid: folder.fid, recursive }, req.TableFlags, new TableView(rows));
    return { ec: ec.Success, created: table, response: { RowCount: rows.length } };
  });
  onFolder<RopGetContentsTableRequest, { RowCount: number }>(FOLDER_ROP.RopGetContentsTable, undefined, async (req, { folder, logon }) => {
    const associated = (req.TableFlags & TABLE_FLAGS.Associated) !== 0;
    const rows = await logon.store.contentsRows(folder.fid, { associated });
    const table = new TableObject(req.LogonId, logon, logon, { type: 'contents', fid: folder.fid, associated }, req.TableFlags, new TableView(rows));
    return { ec: ec.Success, created: table, response: { RowCount: rows.length } };
  });

  return m;
}
