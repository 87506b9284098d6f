// MS-OXCFOLD folder ROPs end to end: ROP buffers -> dispatcher -> handlers -> a real LocalStore, answers decoded with
// the codecs and checked against what the store holds.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEid } from '../../../src/mapi/ids.js';
import { TAG } from '../../../src/mapistore/tags.js';
import type { MailboxStore, MessageInit } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import { createMailboxHandlers } from '../../../src/rop/handlers/index.js';
import { TableObject } from '../../../src/rop/handlers/objects.js';
import { ALICE, makeEnv, N, openFolder, type Env, type Req } from './harness.js';

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}, LogonId = 0): Req => ({ RopId, LogonId, InputHandleIndex: inp, ...body });
const createFolder = (inp: number, out: number, name: string, o: { type?: number; unicode?: boolean; openExisting?: boolean; comment?: string } = {}): Req => ({
  ...r(0x1c, inp, {
    OutputHandleIndex: out,
    FolderType: o.type ?? 1,
    UseUnicodeStrings: o.unicode === false ? 0 : 1,
    OpenExisting: o.openExisting ? 1 : 0,
    Reserved: 0,
    DisplayName: name,
    Comment: o.comment ?? '',
  }),
});
const deleteFolder = (inp: number, fid: bigint, flags: number) => r(0x1d, inp, { DeleteFolderFlags: flags, FolderId: fid });
const moveFolder = (src: number, dst: number, fid: bigint, name = '') =>
  r(0x35, src, { DestHandleIndex: dst, WantAsynchronous: 0, UseUnicode: 1, FolderId: fid, NewFolderName: name });
const copyFolder = (src: number, dst: number, fid: bigint, name = '', recursive = true) =>
  r(0x36, src, { DestHandleIndex: dst, WantAsynchronous: 0, WantRecursive: recursive ? 1 : 0, UseUnicode: 1, FolderId: fid, NewFolderName: name });
const hierarchy = (inp: number, out: number, flags = 0) => r(0x04, inp, { OutputHandleIndex: out, TableFlags: flags });
const contents = (inp: number, out: number, flags = 0) => r(0x05, inp, { OutputHandleIndex: out, TableFlags: flags });
const delMsgs = (inp: number, ids: bigint[], hard = false) => r(hard ? 0x91 : 0x1e, inp, { WantAsynchronous: 0, NotifyNonRead: 0, MessageIds: ids });
const moveCopyMsgs = (src: number, dst: number, ids: bigint[], copy: boolean) =>
  r(0x33, src, { DestHandleIndex: dst, MessageIds: ids, WantAsynchronous: 0, WantCopy: copy ? 1 : 0 });
const empty = (inp: number, assoc = false, hard = false) => r(hard ? 0x92 : 0x58, inp, { WantAsynchronous: 0, WantDeleteAssociated: assoc ? 1 : 0 });

const DEL_MESSAGES = 0x01;
const DEL_FOLDERS = 0x04;
const DELETE_HARD_DELETE = 0x10;
const NOWHERE = makeEid(1, 0xfffff0n);

const notes = (n: number, associated = false): MessageInit[] =>
  Array.from({ length: n }, (_, i) => ({
    associated,
    props: [
      { tag: TAG.MessageClass, value: associated ? 'IPM.Configuration.Test' : 'IPM.Note' },
      { tag: TAG.Subject, value: `message ${i}` },
    ],
  }));

describe('MS-OXCFOLD handlers', () => {
  let env: Env;
  let mb: MailboxStore;
  let logon: number;
  beforeEach(async () => {
    env = await makeEnv();
    ({ handle: logon, mb } = await env.logon());
  });
  afterEach(async () => {
    await env.close();
  });

  /** Opens folders: handle table [logon, ...one slot per fid]. */
  async function open(...fids: bigint[]): Promise<number[]> {
    const { res, handles } = await env.call(fids.map((f, i) => openFolder(0, i + 1, f)), [logon, ...fids.map(() => N)]);
    expect(res.map((x) => x.ReturnValue)).toEqual(fids.map(() => 0));
    return handles;
  }

  it('RopOpenFolder opens any folder from the logon or a folder; unknown FIDs are ecNotFound', async () => {
    const { res, handles } = await env.call(
      [openFolder(0, 1, mb.special.ipmSubtree), openFolder(1, 2, mb.special.inbox), openFolder(0, 3, NOWHERE), openFolder(1, 3, mb.special.root, 0x04)],
      [logon, N, N, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, ec.NotFound, 0]);
    expect(res[0]).toMatchObject({ HasRules: 0, IsGhosted: 0 });
    expect(handles[1]).not.toBe(N);
    expect(handles[2]).not.toBe(N);
  });

  it('RopCreateFolder: Unicode and 8-bit names, duplicates, OpenExisting, search folders, bad folder types', async () => {
    const h = await open(mb.special.inbox);
    const { res } = await env.call(
      [
        createFolder(1, 2, 'Projects \u{1F4C1}', { comment: 'work' }),
        createFolder(1, 3, 'Café', { unicode: false }),
        createFolder(1, 4, 'projects \u{1F4C1}'), // case-insensitive duplicate
        createFolder(1, 4, 'PROJECTS \u{1F4C1}', { openExisting: true }),
        createFolder(1, 5, 'Unread', { type: 2 }),
        createFolder(1, 6, 'Weird', { type: 3 }),
        createFolder(1, 6, ''),
        createFolder(2, 6, 'Sub'), // on the folder just created (handle from this buffer)
      ],
      [...h, N, N, N, N, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, ec.DuplicateName, 0, 0, ec.InvalidParam, ec.InvalidParam, 0]);
    const projects = res[0]!.FolderId as bigint;
    expect(res[0]!.IsExistingFolder).toBe(0);
    expect(res[3]!.FolderId).toBe(projects); // OpenExisting: the same folder
    expect(await mb.findChild(mb.special.inbox, 'Projects \u{1F4C1}')).toBe(projects);
    expect(await mb.findChild(mb.special.inbox, 'café')).toBe(res[1]!.FolderId);
    expect(await mb.parentOf(res[7]!.FolderId as bigint)).toBe(projects);
    const props = await mb.getFolderProps(res[4]!.FolderId as bigint, [TAG.FolderType]);
    expect(props[0]).toMatchObject({ value: 2 });
    expect((await mb.children(mb.special.inbox)).length).toBe(3);
  });

  it('a mirroring backend refreshes before the tables are read: refreshHierarchy for RopGetHierarchyTable, refreshFolder for contents', async () => {
    // what the IMAP backend would find on its server: a folder and a message arriving during the refresh
    const calls: string[] = [];
    const store = mb as MailboxStore & { refreshHierarchy?: () => Promise<void>; refreshFolder?: (fid: bigint) => Promise<void> };
    store.refreshHierarchy = async () => {
      calls.push('hierarchy');
      await mb.createFolder(mb.special.ipmSubtree, { displayName: `Arrived ${calls.length}` });
    };
    store.refreshFolder = async (fid) => {
      calls.push(`folder ${fid === mb.special.inbox ? 'inbox' : fid}`);
      await mb.bulkInsertMessages(fid, notes(1));
    };
    const before = (await mb.children(mb.special.ipmSubtree)).length;
    const h = await open(mb.special.ipmSubtree, mb.special.inbox);
    const { res } = await env.call([hierarchy(1, 3), contents(2, 4), contents(2, 5, 0x02)], [...h, N, N, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
    expect(res[0]!.RowCount).toBe(before + 1);
    expect(res[1]!.RowCount).toBe(1);
    expect(res[2]!.RowCount).toBe(0); // associated contents: no refresh
    expect(calls).toEqual(['hierarchy', 'folder inbox']);
  });

  it('RopGetHierarchyTable and RopGetContentsTable: RowCount, Depth, Associated; Table objects with their source', async () => {
    const inbox = mb.special.inbox;
    await mb.bulkInsertMessages(inbox, notes(7));
    await mb.bulkInsertMessages(inbox, notes(2, true));
    const { fid: sub } = await mb.createFolder(inbox, { displayName: 'Sub' });
    await mb.createFolder(sub, { displayName: 'Deeper' });
    const h = await open(mb.special.ipmSubtree, inbox);
    const { res, handles } = await env.call(
      [hierarchy(1, 3), hierarchy(1, 4, 0x04 | 0x40), contents(2, 5), contents(2, 6, 0x02), hierarchy(0, 7), contents(5, 7)],
      [...h, N, N, N, N, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, ec.NotSupported, ec.NotSupported]);
    expect(res[0]!.RowCount).toBe((await mb.children(mb.special.ipmSubtree)).length);
    expect(res[1]!.RowCount).toBe((await mb.hierarchyRows(mb.special.ipmSubtree, { recursive: true })).length);
    expect(res[1]!.RowCount).toBe((res[0]!.RowCount as number) + 2 + 3); // Sub + Deeper, and Sync Issues' 3 children
    expect(res[2]!.RowCount).toBe(7);
    expect(res[3]!.RowCount).toBe(2);
    const t = env.runner.state.handles.get(handles[4]!);
    expect(t).toBeInstanceOf(TableObject);
    expect((t as TableObject).source).toEqual({ type: 'hierarchy', fid: mb.special.ipmSubtree, recursive: true });
    expect((t as TableObject).tableFlags).toBe(0x44);
    expect((env.runner.state.handles.get(handles[6]!) as TableObject).source).toEqual({ type: 'contents', fid: inbox, associated: true });
  });

  it('RopDeleteMessages / RopHardDeleteMessages: PartialCompletion for ids not in the folder', async () => {
    const inbox = mb.special.inbox;
    const mids = await mb.bulkInsertMessages(inbox, notes(5));
    const h = await open(inbox, mb.special.drafts);
    const { res } = await env.call(
      [delMsgs(1, [mids[0]!, mids[1]!]), delMsgs(1, [mids[2]!, NOWHERE]), delMsgs(2, [mids[3]!]), delMsgs(1, [mids[3]!], true), contents(1, 3)],
      [...h, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0]);
    expect(res.map((x) => x.PartialCompletion)).toEqual([0, 1, 1, 0, undefined]);
    expect(res[4]!.RowCount).toBe(1);
    expect((await mb.contentsRows(inbox)).map((x) => x.id)).toEqual([mids[4]]);
    const dels = (await mb.changesSince(inbox, 'message', 0n)).filter((c) => c.deleted);
    expect(dels.find((c) => c.id === mids[3])?.hard).toBe(true);
    expect(dels.find((c) => c.id === mids[0])?.hard).toBe(false);
  });

  it('RopMoveCopyMessages moves and copies; an empty DestHandleIndex is ecDstNullObject and the buffer goes on', async () => {
    const inbox = mb.special.inbox;
    const drafts = mb.special.drafts;
    const mids = await mb.bulkInsertMessages(inbox, notes(4));
    const h = await open(inbox, drafts);
    const { res } = await env.call(
      [moveCopyMsgs(1, 2, [mids[0]!], false), moveCopyMsgs(1, 2, [mids[1]!, mids[2]!], true), moveCopyMsgs(1, 2, [NOWHERE], false), moveCopyMsgs(1, 3, [mids[3]!], false), moveCopyMsgs(0, 2, [mids[3]!], false), contents(2, 3)],
      [...h, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, ec.DstNullObject, ec.NotSupported, 0]);
    expect(res.map((x) => x.PartialCompletion)).toEqual([0, 0, 1, 0, 0, undefined]);
    expect(res[3]!.DestHandleIndex).toBe(3);
    expect(res[5]!.RowCount).toBe(3);
    expect(await mb.folderOfMessage(mids[0]!)).toBe(drafts);
    expect(await mb.folderOfMessage(mids[1]!)).toBe(inbox);
    expect((await mb.contentsRows(inbox)).length).toBe(3);
  });

  it('RopMoveFolder / RopCopyFolder: rename, recursion, duplicates, cycles, special folders, foreign FIDs', async () => {
    const inbox = mb.special.inbox;
    const top = mb.special.ipmSubtree;
    const { fid: a } = await mb.createFolder(inbox, { displayName: 'A' });
    const { fid: b } = await mb.createFolder(a, { displayName: 'B' });
    await mb.bulkInsertMessages(b, notes(3));
    const h = await open(inbox, top, a);
    const { res } = await env.call(
      [
        moveFolder(1, 2, a), // inbox/A -> top/A
        copyFolder(2, 1, a, 'A copy'), // top/A -> inbox/A copy (recursive)
        copyFolder(2, 1, a, 'A flat', false),
        copyFolder(2, 1, a, 'A copy'), // duplicate name
        moveFolder(2, 3, a), // below itself
        moveFolder(2, 1, mb.special.calendar), // a special folder
        moveFolder(1, 2, b), // B is not a child of the inbox
        moveFolder(2, 1, a, 'Renamed'),
      ],
      h,
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, ec.DuplicateName, ec.FolderCycle, ec.AccessDenied, ec.NotFound, 0]);
    expect(res.every((x) => x.PartialCompletion === 0)).toBe(true);
    expect(await mb.parentOf(a)).toBe(inbox);
    expect(await mb.findChild(inbox, 'Renamed')).toBe(a);
    const copy = (await mb.findChild(inbox, 'A copy'))!;
    const copiedB = (await mb.findChild(copy, 'B'))!;
    expect(copiedB).not.toBe(b);
    expect((await mb.contentsRows(copiedB)).length).toBe(3);
    const flat = (await mb.findChild(inbox, 'A flat'))!;
    expect(await mb.children(flat)).toEqual([]);
    expect(await mb.parentOf(mb.special.calendar)).toBe(top);
  });

  it('RopDeleteFolder: flags, PartialCompletion, special folders refused, only children of the input folder', async () => {
    const inbox = mb.special.inbox;
    const { fid: full } = await mb.createFolder(inbox, { displayName: 'Full' });
    const { fid: child } = await mb.createFolder(full, { displayName: 'Child' });
    await mb.bulkInsertMessages(full, notes(2));
    const { fid: emptyOne } = await mb.createFolder(inbox, { displayName: 'Empty' });
    const h = await open(inbox, mb.special.ipmSubtree);
    const { res } = await env.call(
      [
        deleteFolder(1, full, 0), // has messages and a folder
        deleteFolder(1, full, DEL_MESSAGES), // still has a folder
        deleteFolder(2, inbox, DEL_MESSAGES | DEL_FOLDERS), // special
        deleteFolder(2, full, DEL_MESSAGES | DEL_FOLDERS), // not a child of the IPM subtree
        deleteFolder(1, NOWHERE, 0),
        deleteFolder(1, emptyOne, DELETE_HARD_DELETE),
        deleteFolder(1, full, DEL_MESSAGES | DEL_FOLDERS),
        deleteFolder(0, full, 0), // on the logon
      ],
      h,
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, ec.AccessDenied, ec.NotFound, ec.NotFound, 0, 0, ec.NotSupported]);
    expect(res.map((x) => x.PartialCompletion)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(await mb.folderExists(full)).toBe(false);
    expect(await mb.folderExists(child)).toBe(false);
    expect(await mb.folderExists(emptyOne)).toBe(false);
    expect(await mb.folderExists(inbox)).toBe(true);
  });

  it('RopEmptyFolder / RopHardDeleteMessagesAndSubfolders: messages (FAI on request) and subfolders go, special ones stay', async () => {
    const inbox = mb.special.inbox;
    await mb.bulkInsertMessages(inbox, notes(4));
    await mb.bulkInsertMessages(inbox, notes(2, true));
    const { fid: sub } = await mb.createFolder(inbox, { displayName: 'Sub' });
    await mb.bulkInsertMessages(sub, notes(1));
    const { fid: other } = await mb.createFolder(mb.special.drafts, { displayName: 'Other' });
    await mb.bulkInsertMessages(mb.special.drafts, notes(1, true));
    const h = await open(inbox, mb.special.drafts, mb.special.ipmSubtree);
    const { res } = await env.call([empty(1), contents(1, 4, 0x02), empty(2, true, true), empty(3), empty(0)], [...h, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, ec.NotSupported]);
    expect(res[0]!.PartialCompletion).toBe(0);
    expect(res[1]!.RowCount).toBe(2); // FAI kept without WantDeleteAssociated
    expect(res[2]!.PartialCompletion).toBe(0);
    expect(res[3]!.PartialCompletion).toBe(1); // the IPM subtree's special folders stay
    expect((await mb.contentsRows(inbox)).length).toBe(0);
    expect(await mb.folderExists(sub)).toBe(false);
    expect(await mb.folderExists(other)).toBe(false);
    expect((await mb.contentsRows(mb.special.drafts, { associated: true })).length).toBe(0);
    expect(await mb.folderExists(inbox)).toBe(true);
  });

  it('bad handles and foreign LogonIds: each ROP gets its ec and the rest of the buffer runs', async () => {
    const h = await open(mb.special.inbox);
    const { res, handles } = await env.call(
      [
        createFolder(0, 2, 'X'), // on the logon: ecNotSupported
        createFolder(3, 2, 'X'), // empty slot: ecNullObject
        delMsgs(3, [NOWHERE]), // empty slot: ecNullObject (PartialCompletion still encoded)
        { ...delMsgs(1, [NOWHERE]), LogonId: 4 }, // LogonId without a logon
        openFolder(0, 2, mb.special.inbox, 0, 4),
        createFolder(1, 2, 'Y'),
      ],
      [...h, N, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NotSupported, ec.NullObject, ec.NullObject, ec.NullObject, ec.NullObject, 0]);
    expect(res[2]!.PartialCompletion).toBe(0);
    expect(handles[2]).not.toBe(N);
    expect(await mb.findChild(mb.special.inbox, 'Y')).not.toBeNull();
  });
});

describe('the joined mailbox handlers (createMailboxHandlers)', () => {
  it('register without clashes and walk the folder hierarchy: GetHierarchyTable (Depth), SetColumns, QueryRows', async () => {
    const env = await makeEnv(ALICE, createMailboxHandlers);
    try {
      const { handle, mb } = await env.logon();
      const PidTagFolderId = 0x67480014;
      const PidTagDisplayNameW = 0x3001001f;
      const cols = [PidTagFolderId, PidTagDisplayNameW];
      const { res } = await env.call(
        [
          openFolder(0, 1, mb.special.root),
          hierarchy(1, 2, 0x04 | 0x40),
          r(0x12, 2, { SetColumnsFlags: 0, PropertyTags: cols }),
          r(0x15, 2, { QueryRowsFlags: 0, ForwardRead: 1, RowCount: 4096, Columns: cols }),
        ],
        [handle, N, N],
      );
      expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0]);
      const all = await mb.hierarchyRows(mb.special.root, { recursive: true });
      expect(res[1]!.RowCount).toBe(all.length);
      expect(res[3]!.RowCount).toBe(all.length);
    } finally {
      await env.close();
    }
  });
});
