// MS-OXCPERM folder permissions end to end: two EMSMDB sessions (Alice, Bob) over one real LocalStore, the real
// registry and dispatcher. Alice reads and changes her folders' permissions lists with RopGetPermissionsTable /
// RopModifyPermissions; Bob logs on to Alice's mailbox (delegate logon, MS-OXCSTOR 3.2.5.1.1) and gets exactly what
// the lists grant. The permissions table is checked byte for byte against MS-OXCPERM 4.1's RopQueryRows response.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addressBookEntryId, EntryIdError } from '../../../src/mapi/entryid.js';
import { RopReader } from '../../../src/mapi/buffer.js';
import { readPropertyRow, type RowCell } from '../../../src/mapi/ropprops.js';
import { TAG } from '../../../src/mapistore/tags.js';
import { FOLDER_SEARCH, MEMBER_ID_ANONYMOUS, type MailboxStore } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import type { LogonUser } from '../../../src/rop/handlers/objects.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import {
  createPermissionHandlers, decodeAddressBookEntryId, PERM_TAG, ROLE, ROW_ADD, ROW_MODIFY, ROW_REMOVE, TAG_RIGHTS,
} from '../../../src/rop/handlers/oxcperm.js';
import { createPropertyHandlers } from '../../../src/rop/handlers/oxcprpt.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { createTableHandlers } from '../../../src/rop/handlers/oxctabl.js';
import { ALICE, BOB, CAROL, N, ORG, logonReq, makeEnv, openFolder, release, type Env, type Req, type Res, type Session } from './harness.js';

const DAVE: LogonUser = { username: 'dave', displayName: 'Dave Example', legacyExchangeDN: `${ORG}/cn=dave`, enabled: true };

const COLUMNS: number[] = [PERM_TAG.MemberId, PERM_TAG.MemberName, PERM_TAG.MemberRights, PERM_TAG.EntryId];
const FREEBUSY_SIMPLE = 0x800;
const FREEBUSY_DETAILED = 0x1000;

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const getPermissionsTable = (inp: number, out: number, TableFlags = 0x02) => r(0x3e, inp, { OutputHandleIndex: out, TableFlags });
const setColumns = (inp: number, tags = COLUMNS) => r(0x12, inp, { SetColumnsFlags: 0, PropertyTags: tags });
const queryRows = (inp: number, Columns = COLUMNS) => r(0x15, inp, { QueryRowsFlags: 0, ForwardRead: 1, RowCount: 0x1000, Columns });
const contentsTable = (inp: number, out: number) => r(0x05, inp, { OutputHandleIndex: out, TableFlags: 0 });
const getProps = (inp: number, tags: number[]) => r(0x07, inp, { PropertySizeLimit: 0, WantUnicode: 1, PropertyTags: tags });
type Row = { DataFlags: number; PermissionDataEntries: { tag: number; value: unknown }[] };
const modify = (inp: number, rows: Row[], ModifyFlags = 0x02) => r(0x40, inp, { ModifyFlags, PermissionsData: rows });
const addRow = (dn: string, rights: number): Row => ({
  DataFlags: ROW_ADD,
  PermissionDataEntries: [{ tag: PERM_TAG.EntryId, value: addressBookEntryId(dn) }, { tag: PERM_TAG.MemberRights, value: rights }],
});
const modifyRow = (id: bigint, rights: number): Row => ({
  DataFlags: ROW_MODIFY,
  PermissionDataEntries: [{ tag: PERM_TAG.MemberId, value: id }, { tag: PERM_TAG.MemberRights, value: rights }],
});
const removeRow = (id: bigint): Row => ({ DataFlags: ROW_REMOVE, PermissionDataEntries: [{ tag: PERM_TAG.MemberId, value: id }] });

/** The harness env (Dave added to the directory) with the store, folder, table, property and permission handlers. */
const makeWorld = (dir?: string): Promise<Env> =>
  makeEnv(ALICE, (d) => [
    createStoreHandlers(d), createFolderHandlers(d), createTableHandlers(d), createPropertyHandlers(d), createPermissionHandlers(d),
  ], { users: [DAVE], ...(dir === undefined ? {} : { dir }) });

function decodeRows(res: Res, columns = COLUMNS): RowCell[][] {
  const rd = new RopReader((res.RowData as Buffer | undefined) ?? Buffer.alloc(0));
  const out: RowCell[][] = [];
  for (let i = 0; i < (res.RowCount as number); i++) out.push(readPropertyRow(rd, columns, 1252));
  expect(rd.left).toBe(0);
  return out;
}

const owner = (u: LogonUser) => ({ username: u.username, displayName: u.displayName, legacyDn: u.legacyExchangeDN });

describe('MS-OXCPERM permissions and delegate access', () => {
  let world: Env;
  let alice: Session;
  let bob: Session;
  let mb: MailboxStore;
  let aliceLogon: number;

  beforeEach(async () => {
    world = await makeWorld();
    alice = world.session(ALICE);
    bob = world.session(BOB);
    aliceLogon = (await alice.logon(ALICE)).handle;
    mb = await world.store.openMailbox(owner(ALICE));
  });
  afterEach(async () => {
    await world.close();
  });

  /** Alice's permissions rows of `fid` (TableFlags as given). */
  const aliceRows = async (fid: bigint, flags = 0x02): Promise<RowCell[][]> => {
    const { res } = await alice.call([openFolder(0, 1, fid), getPermissionsTable(1, 2, flags), setColumns(2), queryRows(2)], [aliceLogon, N, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0]);
    return decodeRows(res[3]!);
  };
  /** Alice's RopModifyPermissions on `fid`; its ReturnValue. */
  const aliceModify = async (fid: bigint, rows: Row[], flags = 0x02): Promise<number> => {
    const { res } = await alice.call([openFolder(0, 1, fid), modify(1, rows, flags)], [aliceLogon, N]);
    expect(res[0]!.ReturnValue).toBe(0);
    return res[1]!.ReturnValue;
  };

  it('a new Calendar lists Default (FreeBusySimple) and Anonymous, byte-identical to MS-OXCPERM 4.1', async () => {
    const cal = mb.special.calendar;
    const { res: opened, handles } = await alice.call([openFolder(0, 1, cal), getPermissionsTable(1, 2), setColumns(2)], [aliceLogon, N, N]);
    expect(opened.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
    // MS-OXCPERM 4.1: RopQueryRows on InputHandleIndex 1 of the table (fixtures/vectors, ms-oxcperm-4.1#5 and #8)
    const vectors = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../../fixtures/vectors/rop-buffers-from-specs.json'), 'utf8')) as {
      vectors: { id: string; hex: string }[];
    };
    const hex = (id: string) => vectors.vectors.find((v) => v.id === id)!.hex;
    expect(hex('ms-oxcperm-4.1#5')).toBe('15000100010010');
    const { rops } = await alice.call([r(0x15, 1, { QueryRowsFlags: 0, ForwardRead: 1, RowCount: 0x1000, Columns: COLUMNS })], [N, handles[2]!]);
    expect(rops.toString('hex')).toBe(hex('ms-oxcperm-4.1#8'));

    // without IncludeFreeBusy the FreeBusy bits are left out; other folders have no Default rights
    expect((await aliceRows(cal, 0x00)).map((x) => x[2])).toEqual([0, 0]);
    expect(await aliceRows(mb.special.inbox)).toEqual([
      [0n, '', 0, Buffer.alloc(0)],
      [MEMBER_ID_ANONYMOUS, 'Anonymous', 0, Buffer.alloc(0)],
    ]);
  });

  it('Reviewer on the Calendar lets Bob read it through a logon to Alice\'s mailbox; the Inbox stays closed', async () => {
    const cal = mb.special.calendar;
    await mb.createMessage(cal, { props: [{ tag: TAG.MessageClass, value: 'IPM.Appointment' }, { tag: TAG.Subject, value: 'Standup' }] });

    // before any grant: the delegate logon works, its folders do not
    const { handle: bobLogon, res: logonRes } = await bob.logon(ALICE);
    expect(logonRes.ResponseFlags).toBe(0x01); // Reserved only: neither OwnerRight nor SendAsRight
    expect(logonRes.MailboxGuid).toBe(mb.mailboxGuid);
    let out = await bob.call([openFolder(0, 1, cal)], [bobLogon, N]);
    expect(out.res[0]!.ReturnValue).toBe(ec.AccessDenied);

    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.Reviewer)])).toBe(0);
    const rows = await aliceRows(cal);
    expect(rows).toHaveLength(3);
    const [id, name, rights, entryId] = rows[2]!;
    expect(typeof id).toBe('bigint');
    expect(id as bigint).toBeGreaterThan(0n);
    expect([name, rights]).toEqual(['Bob Example', ROLE.Reviewer]);
    expect(decodeAddressBookEntryId(entryId as Buffer).dn).toBe(BOB.legacyExchangeDN);

    // Bob: open the Calendar, read its contents table and its PidTagRights
    out = await bob.call(
      [openFolder(0, 1, cal), contentsTable(1, 2), setColumns(2, [TAG.Subject]), queryRows(2, [TAG.Subject]), getProps(1, [TAG_RIGHTS])],
      [bobLogon, N, N],
    );
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0]);
    expect(out.res[1]!.RowCount).toBe(1);
    expect(decodeRows(out.res[3]!, [TAG.Subject])).toEqual([['Standup']]);
    const rightsRow = readPropertyRow(new RopReader(out.res[4]!.RowData as Buffer), [TAG_RIGHTS], 1252);
    expect(rightsRow).toEqual([ROLE.Reviewer]);
    const calHandle = out.handles[1]!;

    // a Reviewer cannot change the folder, create subfolders, delete messages or change permissions
    out = await bob.call(
      [
        r(0x0a, 0, { PropertyValues: [{ tag: TAG.DisplayName, value: 'Mine now' }] }),
        r(0x1c, 0, { OutputHandleIndex: 1, FolderType: 1, UseUnicodeStrings: 1, OpenExisting: 0, Reserved: 0, DisplayName: 'Sub', Comment: '' }),
        r(0x1e, 0, { WantAsynchronous: 0, NotifyNonRead: 0, MessageIds: (await mb.contentsRows(cal)).map((x) => x.id) }),
        modify(0, [addRow(DAVE.legacyExchangeDN, ROLE.Owner)]),
      ],
      [calHandle, N],
    );
    expect(out.res.map((x) => x.ReturnValue)).toEqual([ec.AccessDenied, ec.AccessDenied, ec.AccessDenied, ec.AccessDenied]);
    expect(await mb.contentsRows(cal)).toHaveLength(1);
    expect((await mb.getPermissions(cal)).map((p) => p.username)).toEqual(['', '', 'bob']);

    // ... and cannot open the Inbox or list its contents; the mailbox root opens (it leads to the Calendar)
    out = await bob.call([openFolder(0, 1, mb.special.inbox), openFolder(0, 2, mb.special.root)], [bobLogon, N, N]);
    expect(out.res.map((x) => x.ReturnValue)).toEqual([ec.AccessDenied, 0]);
    // the root's hierarchy table lists the folders Bob may see only
    out = await bob.call([r(0x04, 0, { OutputHandleIndex: 1, TableFlags: 0x04 })], [out.handles[2]!, N]);
    expect(out.res[0]!.ReturnValue).toBe(0);
    expect(out.res[0]!.RowCount).toBe(1);

    // Alice's own access is untouched
    expect(await mb.rightsOf(cal, 'alice')).toBe(0x1ffb);
  });

  it('revoking the entry refuses Bob again, also on a folder handle he holds', async () => {
    const cal = mb.special.calendar;
    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.Editor)])).toBe(0);
    const { handle: bobLogon } = await bob.logon(ALICE);
    let out = await bob.call([openFolder(0, 1, cal), contentsTable(1, 2)], [bobLogon, N, N]);
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    const calHandle = out.handles[1]!;

    const bobId = (await mb.getPermissions(cal))[2]!.memberId;
    expect(await aliceModify(cal, [removeRow(bobId)])).toBe(0);
    expect((await aliceRows(cal)).map((x) => x[1])).toEqual(['', 'Anonymous']);

    out = await bob.call([contentsTable(0, 1), openFolder(0, 2, cal)], [calHandle, N, bobLogon]);
    expect(out.res.map((x) => x.ReturnValue)).toEqual([ec.AccessDenied, ec.AccessDenied]);
  });

  it('ModifyRow changes rights by member id; the Default member grants everyone else; FreeBusy bits only with IncludeFreeBusy', async () => {
    const cal = mb.special.calendar;
    const inbox = mb.special.inbox;
    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.Reviewer | FREEBUSY_DETAILED)], 0x00)).toBe(0);
    const bobId = (await mb.getPermissions(cal))[2]!.memberId;
    expect(await mb.rightsOf(cal, 'bob')).toBe(ROLE.Reviewer); // no IncludeFreeBusy: FreeBusy bits not applied
    expect(await aliceModify(cal, [modifyRow(bobId, ROLE.Author | FREEBUSY_DETAILED)])).toBe(0);
    expect(await mb.rightsOf(cal, 'BOB')).toBe(ROLE.Author | FREEBUSY_DETAILED);
    expect(await aliceModify(cal, [modifyRow(bobId, ROLE.Editor)], 0x00)).toBe(0); // keeps the stored FreeBusy bits
    expect(await mb.rightsOf(cal, 'bob')).toBe(ROLE.Editor | FREEBUSY_DETAILED);
    expect((await aliceRows(cal, 0x00))[2]![2]).toBe(ROLE.Editor);

    // Default member on the Inbox: Reviewer for everyone without an entry
    const { handle: bobLogon } = await bob.logon(ALICE);
    let out = await bob.call([openFolder(0, 1, inbox)], [bobLogon, N]);
    expect(out.res[0]!.ReturnValue).toBe(ec.AccessDenied);
    expect(await aliceModify(inbox, [modifyRow(0n, ROLE.Reviewer)])).toBe(0);
    out = await bob.call([openFolder(0, 1, inbox), contentsTable(1, 2)], [bobLogon, N, N]);
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    expect(await mb.rightsOf(inbox, 'dave')).toBe(ROLE.Reviewer);
    // an AddRow naming the Default member by id sets it too (ACL copies); removing it leaves it with no rights
    expect(await aliceModify(inbox, [{ DataFlags: ROW_ADD, PermissionDataEntries: [{ tag: PERM_TAG.MemberId, value: 0n }, { tag: PERM_TAG.MemberRights, value: ROLE.Author }] }])).toBe(0);
    expect(await mb.rightsOf(inbox, 'bob')).toBe(ROLE.Author);
    expect(await aliceModify(inbox, [removeRow(0n)])).toBe(0);
    expect((await aliceRows(inbox)).map((x) => x[2])).toEqual([0, 0]);
  });

  it('ReplaceRows replaces every user entry and keeps Default and Anonymous', async () => {
    const cal = mb.special.calendar;
    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.Reviewer), modifyRow(MEMBER_ID_ANONYMOUS, ROLE.Reviewer)])).toBe(0);
    expect(await aliceModify(cal, [addRow(DAVE.legacyExchangeDN, ROLE.PublishingEditor)], 0x03)).toBe(0);
    expect((await aliceRows(cal)).map((x) => [x[1], x[2]])).toEqual([
      ['', FREEBUSY_SIMPLE],
      ['Anonymous', ROLE.Reviewer],
      ['Dave Example', ROLE.PublishingEditor],
    ]);
    expect(await mb.rightsOf(cal, 'bob')).toBe(FREEBUSY_SIMPLE);
    // ReplaceRows with anything but AddRow is refused, nothing changed
    expect(await aliceModify(cal, [removeRow(1n)], 0x01)).toBe(ec.InvalidParam);
    expect(await aliceRows(cal)).toHaveLength(3);
  });

  it('bad rows get their ec and nothing stored is lost; the session goes on', async () => {
    const cal = mb.special.calendar;
    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.Reviewer)])).toBe(0);
    const before = await mb.getPermissions(cal);
    const bad: Array<[Row, number]> = [
      [{ DataFlags: ROW_ADD, PermissionDataEntries: [{ tag: PERM_TAG.EntryId, value: Buffer.from('not an entry id') }, { tag: PERM_TAG.MemberRights, value: 1 }] }, ec.InvalidEntryId],
      [addRow(`${ORG}/cn=nobody`, ROLE.Owner), ec.NotFound],
      [addRow(CAROL.legacyExchangeDN, ROLE.Owner), ec.NotFound], // disabled
      [modifyRow(987654n, ROLE.Owner), ec.NotFound],
      [removeRow(987654n), ec.NotFound],
      [{ DataFlags: ROW_ADD, PermissionDataEntries: [{ tag: PERM_TAG.EntryId, value: addressBookEntryId(DAVE.legacyExchangeDN) }] }, ec.InvalidParam],
      [{ DataFlags: ROW_REMOVE, PermissionDataEntries: [] }, ec.InvalidParam],
      [{ DataFlags: 0x08, PermissionDataEntries: [{ tag: PERM_TAG.MemberId, value: 0n }] }, ec.InvalidParam],
    ];
    for (const [row, code] of bad) {
      // a good change first: the batch is all or nothing
      const { res } = await alice.call(
        [openFolder(0, 1, cal), modify(1, [addRow(DAVE.legacyExchangeDN, ROLE.Owner), modifyRow(before[2]!.memberId, ROLE.Owner), row]), r(0x7b, 0)],
        [aliceLogon, N],
      );
      expect(res.map((x) => x.ReturnValue)).toEqual([0, code, 0]);
      expect(await mb.getPermissions(cal)).toEqual(before);
    }
    // RopGetPermissionsTable on the logon object (not a folder): an error value, not a crash
    const { res } = await alice.call([getPermissionsTable(0, 1)], [aliceLogon, N]);
    expect(res[0]!.ReturnValue).not.toBe(0);
  });

  it('permissions are kept in the mailbox file across a restart', async () => {
    const cal = mb.special.calendar;
    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.Author)])).toBe(0);
    const f = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Shared' });
    expect(await aliceModify(f.fid, [addRow(BOB.legacyExchangeDN, ROLE.Owner), modifyRow(0n, ROLE.Contributor)])).toBe(0);
    const list = await mb.getPermissions(cal);
    await world.close(true);
    const again = await makeWorld(world.dir);
    try {
      const mb2 = await again.store.openMailbox(owner(ALICE));
      expect(await mb2.getPermissions(cal)).toEqual(list);
      expect(await mb2.rightsOf(f.fid, 'bob')).toBe(ROLE.Owner);
      expect(await mb2.rightsOf(f.fid, 'dave')).toBe(ROLE.Contributor);
      // a folder Owner may manage the list through a delegate logon; new ids never reuse old ones
      const b = again.session(BOB);
      const { handle } = await b.logon(ALICE);
      const { res } = await b.call([openFolder(0, 1, f.fid), modify(1, [addRow(DAVE.legacyExchangeDN, ROLE.Reviewer)]), r(0x1c, 1, {
        OutputHandleIndex: 2, FolderType: 1, UseUnicodeStrings: 1, OpenExisting: 0, Reserved: 0, DisplayName: 'Sub', Comment: '',
      })], [handle, N, N]);
      expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
      const ids = (await mb2.getPermissions(f.fid)).slice(2).map((p) => p.memberId);
      expect(ids[1]! > ids[0]!).toBe(true);
      expect(ids[1]! > list[2]!.memberId).toBe(true);
    } finally {
      await again.close();
      world = await makeWorld(); // again.close() removed the directory; afterEach closes and removes a fresh world
    }
  });

  it('Author: Bob deletes what he created, not Alice\'s; his new subfolder inherits the list and makes him its Owner', async () => {
    const cal = mb.special.calendar;
    const CreatorEntryId = 0x3ff90102;
    const mine = await mb.createMessage(cal, { props: [{ tag: TAG.Subject, value: 'Bob made it' }, { tag: CreatorEntryId, value: addressBookEntryId(BOB.legacyExchangeDN.toUpperCase()) }] });
    const hers = await mb.createMessage(cal, { props: [{ tag: TAG.Subject, value: 'Alice made it' }] });
    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.PublishingAuthor), modifyRow(MEMBER_ID_ANONYMOUS, ROLE.Reviewer)])).toBe(0);
    const { handle: bobLogon } = await bob.logon(ALICE);
    let out = await bob.call([openFolder(0, 1, cal), r(0x1e, 1, { WantAsynchronous: 0, NotifyNonRead: 0, MessageIds: [mine, hers] })], [bobLogon, N]);
    expect(out.res.map((x) => [x.ReturnValue, x.PartialCompletion])).toEqual([[0, undefined], [0, 1]]);
    expect((await mb.contentsRows(cal)).map((x) => x.id)).toEqual([hers]);

    out = await bob.call(
      [openFolder(0, 1, cal), r(0x1c, 1, { OutputHandleIndex: 2, FolderType: 1, UseUnicodeStrings: 1, OpenExisting: 0, Reserved: 0, DisplayName: 'Team', Comment: '' })],
      [bobLogon, N, N],
    );
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    const team = out.res[1]!.FolderId as bigint;
    expect((await mb.getPermissions(team)).map((p) => [p.displayName, p.rights])).toEqual([
      ['', FREEBUSY_SIMPLE],
      ['Anonymous', ROLE.Reviewer],
      ['Bob Example', ROLE.Owner],
    ]);
    // Bob's view of the Calendar's subfolders: his own PidTagRights on each
    out = await bob.call([openFolder(0, 1, cal), r(0x04, 1, { OutputHandleIndex: 2, TableFlags: 0 }), setColumns(2, [TAG.DisplayName, TAG_RIGHTS]), queryRows(2, [TAG.DisplayName, TAG_RIGHTS])], [bobLogon, N, N]);
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0]);
    expect(decodeRows(out.res[3]!, [TAG.DisplayName, TAG_RIGHTS])).toEqual([['Team', ROLE.Owner]]);
    // a subfolder Alice makes copies the list without adding her
    const sub = await alice.call([openFolder(0, 1, cal), r(0x1c, 1, { OutputHandleIndex: 2, FolderType: 1, UseUnicodeStrings: 1, OpenExisting: 0, Reserved: 0, DisplayName: 'Hers', Comment: '' })], [aliceLogon, N, N]);
    expect((await mb.getPermissions(sub.res[1]!.FolderId as bigint)).map((p) => p.rights)).toEqual([FREEBUSY_SIMPLE, ROLE.Reviewer, ROLE.PublishingAuthor]);
  });

  it("open tables follow changes: Bob's hierarchy table keeps its filter and his rights; Alice's permissions table shows the new list", async () => {
    const cal = mb.special.calendar;
    const inbox = mb.special.inbox;
    const root = mb.special.root;
    const cols = [TAG.DisplayName, TAG_RIGHTS];
    const seekStart = (inp: number) => r(0x18, inp, { Origin: 0, RowCount: 0, WantRowMovedCount: 0 });
    expect(await aliceModify(cal, [addRow(BOB.legacyExchangeDN, ROLE.Reviewer)])).toBe(0);
    const { handle: bobLogon } = await bob.logon(ALICE);
    // Bob's hierarchy table of the whole mailbox (Depth): the Calendar only, with his rights
    let out = await bob.call([openFolder(0, 1, root), r(0x04, 1, { OutputHandleIndex: 2, TableFlags: 0x04 }), setColumns(2, cols), queryRows(2, cols)], [bobLogon, N, N]);
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0]);
    const names = (res: Res) => decodeRows(res, cols).map((x) => [x[0], x[1]]);
    const calName = (await mb.getFolderProps(cal, [TAG.DisplayName]))[0] as { value: string };
    const inboxName = (await mb.getFolderProps(inbox, [TAG.DisplayName]))[0] as { value: string };
    expect(names(out.res[3]!)).toEqual([[calName.value, ROLE.Reviewer]]);
    const bobTable = out.handles[2]!;

    // Alice opens the Inbox's permissions table, then grants Bob Editor on the Inbox and makes a folder he cannot see
    out = await alice.call([openFolder(0, 1, inbox), getPermissionsTable(1, 2), setColumns(2), queryRows(2)], [aliceLogon, N, N]);
    expect(decodeRows(out.res[3]!).map((x) => x[1])).toEqual(['', 'Anonymous']);
    const aliceTable = out.handles[2]!;
    expect(await aliceModify(inbox, [addRow(BOB.legacyExchangeDN, ROLE.Editor)])).toBe(0);
    await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Private' });

    // the same tables read again: Bob sees the Inbox now (with his rights, not Alice's), not Private
    out = await bob.call([seekStart(0), queryRows(0, cols)], [bobTable]);
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    expect(names(out.res[1]!).sort()).toEqual([[calName.value, ROLE.Reviewer], [inboxName.value, ROLE.Editor]].sort());
    out = await alice.call([seekStart(0), queryRows(0)], [aliceTable]);
    expect(decodeRows(out.res[1]!).map((x) => [x[1], x[2]])).toEqual([['', 0], ['Anonymous', 0], ['Bob Example', ROLE.Editor]]);

    // revoking hides the Inbox again from the open table
    const bobId = (await mb.getPermissions(inbox))[2]!.memberId;
    expect(await aliceModify(inbox, [removeRow(bobId)])).toBe(0);
    out = await bob.call([seekStart(0), queryRows(0, cols)], [bobTable]);
    expect(names(out.res[1]!)).toEqual([[calName.value, ROLE.Reviewer]]);
  });

  it("through Alice's search folder Bob deletes and moves only the messages whose own folder grants him the rights", async () => {
    const note = (subject: string) => ({ props: [{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: subject }] });
    const inbox = mb.special.inbox;
    const drafts = mb.special.drafts;
    const [i1, i2] = (await mb.bulkInsertMessages(inbox, [note('invoice 1'), note('invoice 2')])) as [bigint, bigint];
    const [d1] = (await mb.bulkInsertMessages(drafts, [note('invoice 3')])) as [bigint];
    const sf = (await mb.createFolder(mb.special.finder, { displayName: 'Invoices', folderType: FOLDER_SEARCH })).fid;
    await mb.setSearchCriteria(sf, {
      restriction: { type: 'content', fuzzyLevel: 0x10001, propTag: TAG.Subject, value: { tag: TAG.Subject, value: 'invoice' } },
      folderIds: [inbox, drafts],
      searchFlags: 0x02,
    });
    expect((await mb.contentsRows(sf)).map((x) => x.id)).toEqual([i1, i2, d1]);
    expect(await aliceModify(sf, [addRow(BOB.legacyExchangeDN, ROLE.Editor)])).toBe(0);
    expect(await aliceModify(inbox, [addRow(BOB.legacyExchangeDN, ROLE.Editor)])).toBe(0);
    expect(await aliceModify(drafts, [addRow(BOB.legacyExchangeDN, ROLE.Reviewer)])).toBe(0);
    const { handle: bobLogon } = await bob.logon(ALICE);
    const out = await bob.call(
      [
        openFolder(0, 1, sf),
        openFolder(0, 2, inbox),
        r(0x1e, 1, { WantAsynchronous: 0, NotifyNonRead: 0, MessageIds: [i1, d1] }),
        r(0x33, 1, { DestHandleIndex: 2, MessageIds: [d1], WantAsynchronous: 0, WantCopy: 0 }),
      ],
      [bobLogon, N, N],
    );
    // the Inbox message goes; the Drafts message (Reviewer there: no DeleteAny) stays, PartialCompletion
    expect(out.res.map((x) => [x.ReturnValue, x.PartialCompletion])).toEqual([[0, undefined], [0, undefined], [0, 1], [0, 1]]);
    expect([await mb.messageExists(i1), await mb.folderOfMessage(d1)]).toEqual([false, drafts]);
    expect((await mb.contentsRows(sf)).map((x) => x.id)).toEqual([i2, d1]);
  });

  it("one session holds its own logon (owner) and a delegate logon to Alice's mailbox side by side", async () => {
    const { res, handles } = await bob.call([logonReq(0, 0, BOB.legacyExchangeDN), logonReq(1, 1, ALICE.legacyExchangeDN)], [N, N]);
    expect(res.map((x) => [x.ReturnValue, x.ResponseFlags])).toEqual([[0, 0x07], [0, 0x01]]);
    const bobMb = await world.store.openMailbox(owner(BOB));
    const out = await bob.call(
      [openFolder(0, 2, bobMb.special.inbox, 0, 0), openFolder(1, 3, mb.special.inbox, 0, 1), { ...release(2), LogonId: 0 }],
      [handles[0]!, handles[1]!, N, N],
    );
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, ec.AccessDenied]);
    // store-level settings of Alice's mailbox are hers: a delegate reads, never writes them
    const rf = await bob.call(
      [
        { ...r(0x26, 1, { MessageClass: 'IPM.Bob', FolderId: mb.special.inbox }), LogonId: 1 },
        { ...r(0x27, 1, { MessageClass: 'IPM' }), LogonId: 1 },
      ],
      [handles[0]!, handles[1]!],
    );
    expect(rf.res.map((x) => x.ReturnValue)).toEqual([ec.AccessDenied, 0]);
    const sp = await bob.call([{ ...r(0x0a, 1, { PropertyValues: [{ tag: 0x3001001f, value: 'Bob was here' }] }), LogonId: 1 }], [handles[0]!, handles[1]!]);
    expect(sp.res[0]!.ReturnValue).toBe(ec.AccessDenied);
    expect((await mb.receiveFolderTable()).map((e) => e.messageClass)).not.toContain('IPM.Bob');
  });
});

describe('decodeAddressBookEntryId (MS-OXCDATA 2.2.5.2)', () => {
  it('reads back what addressBookEntryId writes', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\/[ -~]{1,200}$/), fc.integer({ min: 0, max: 6 }), (dn, type) => {
        expect(decodeAddressBookEntryId(addressBookEntryId(dn, type))).toEqual({ dn, type });
      }),
    );
  });
  it('arbitrary and mutated bytes give a value or an EntryIdError', () => {
    const good = addressBookEntryId(BOB.legacyExchangeDN);
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
        const c = Buffer.from(good);
        c[i] = b;
        return c;
      }),
      fc.nat(good.length).map((n) => good.subarray(0, n)),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        try {
          const v = decodeAddressBookEntryId(b);
          expect(v.dn.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(EntryIdError);
        }
      }),
    );
  });
});
