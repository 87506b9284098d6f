// MS-OXCSTOR store ROPs end to end: ROP buffers -> dispatcher -> handlers -> a real LocalStore, answers decoded with
// the codecs and checked against what the store holds.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeLongTermId, makeEid } from '../../../src/mapi/ids.js';
import { LOGON_FOLDER_ORDER } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import { ALICE, BOB, CAROL, makeEnv, N, logonReq, openFolder, release, SERVER_DN, type Env, type Req } from './harness.js';

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}, LogonId = 0): Req => ({ RopId, LogonId, InputHandleIndex: inp, ...body });
const getReceive = (inp: number, MessageClass: string) => r(0x27, inp, { MessageClass });
const setReceive = (inp: number, MessageClass: string, FolderId: bigint) => r(0x26, inp, { MessageClass, FolderId });

describe('MS-OXCSTOR handlers', () => {
  let env: Env;
  beforeEach(async () => {
    env = await makeEnv();
  });
  afterEach(async () => {
    await env.close();
  });

  it('RopLogon provisions the mailbox and answers the FIDs, GUIDs and flags the store holds', async () => {
    const before = Date.now();
    const { res, handles } = await env.call([logonReq(0, 0, ALICE.legacyExchangeDN.toUpperCase())], [N]);
    const l = res[0]!;
    expect(l.ReturnValue).toBe(0);
    expect(handles[0]).not.toBe(N);
    const mb = await env.store.openMailbox({ username: 'alice', displayName: ALICE.displayName, legacyDn: ALICE.legacyExchangeDN });
    expect(l.LogonFlags).toBe(0x01);
    expect(l.FolderIds).toEqual(LOGON_FOLDER_ORDER.map((k) => mb.special[k]));
    expect(l.ResponseFlags).toBe(0x07); // Reserved | OwnerRight | SendAsRight
    expect(l.MailboxGuid).toBe(mb.mailboxGuid);
    expect(l.ReplGuid).toBe(mb.replGuid);
    expect(l.ReplId).toBe(1);
    expect(l.StoreState).toBe(0);
    const t = l.LogonTime as { Year: number; Month: number; Day: number; Hour: number };
    const now = new Date(before);
    expect(t.Year).toBe(now.getFullYear());
    expect(t.Month).toBe(now.getMonth() + 1);
    expect(typeof l.GwartTime).toBe('bigint');

    // a second logon (another LogonId) opens the same mailbox: same FIDs, nothing provisioned twice
    const again = await env.call([logonReq(1, 0, ALICE.legacyExchangeDN)], [N]);
    expect(again.res[0]!.FolderIds).toEqual(l.FolderIds);
  });

  it("opens other users' mailboxes as delegate logons; refuses unknown and disabled users and public folders; the buffer goes on", async () => {
    const { res, handles } = await env.call(
      [
        logonReq(0, 0, BOB.legacyExchangeDN),
        logonReq(0, 1, `${ALICE.legacyExchangeDN}x`),
        logonReq(0, 2, CAROL.legacyExchangeDN),
        logonReq(0, 3, '', 0x00, 0x02), // public folders
        logonReq(0, 4, ALICE.legacyExchangeDN),
        r(0x7b, 4),
      ],
      [N, N, N, N, N],
    );
    // MS-OXCSTOR 3.2.5.1.1: another user's mailbox is a delegate logon (folder permissions decide, oxcperm.ts)
    expect(res.map((x) => x.ReturnValue)).toEqual([0, ec.UnknownUser, ec.UnknownUser, ec.LoginFailure, 0, 0]);
    expect(res[0]!.ResponseFlags).toBe(0x01);
    expect(handles[0]).not.toBe(N);
    expect(handles.slice(1, 4)).toEqual([N, N, N]);
    expect(res[5]!.StoreState).toBe(0);
  });

  it('RopGetReceiveFolder: "", IPM and Report.IPM go to the Inbox, IPC to the root, by longest prefix', async () => {
    const { handle, mb } = await env.logon();
    const classes = ['', 'IPM', 'Report.IPM', 'IPC', 'IPM.Note', 'report.ipm.Note.NDR', 'IPC.Microsoft.Foo', 'Custom'];
    const { res } = await env.call([...classes.map((c) => getReceive(0, c)), getReceive(0, '.IPM'), getReceive(0, 'IPM..Note'), r(0x7b, 0)], [handle]);
    expect(res.map((x) => x.ReturnValue)).toEqual([...classes.map(() => 0), ec.InvalidParam, ec.InvalidParam, 0]);
    const { inbox, root } = mb.special;
    expect(res.slice(0, classes.length).map((x) => x.FolderId)).toEqual([inbox, inbox, inbox, root, inbox, inbox, root, inbox]);
    expect(res.slice(0, classes.length).map((x) => x.ExplicitMessageClass)).toEqual(['', 'IPM', 'Report.IPM', 'IPC', 'IPM', 'Report.IPM', 'IPC', '']);
  });

  it('RopSetReceiveFolder sets and removes an entry; RopGetReceiveFolderTable lists them', async () => {
    const { handle, mb } = await env.logon();
    const cal = mb.special.calendar;
    const { res } = await env.call(
      [
        setReceive(0, 'IPM.Appointment', cal),
        getReceive(0, 'IPM.Appointment.Meeting'),
        r(0x68, 0),
        setReceive(0, 'IPM.Appointment', 0n),
        getReceive(0, 'IPM.Appointment.Meeting'),
        setReceive(0, 'IPM.Other', makeEid(1, 0xfffff0n)), // no such folder
        setReceive(0, '', 0n), // the default receive folder stays
      ],
      [handle],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0, ec.NotFound, expect.any(Number)]);
    expect(res[6]!.ReturnValue).not.toBe(0);
    expect(res[1]!.FolderId).toBe(cal);
    expect(res[1]!.ExplicitMessageClass).toBe('IPM.Appointment');
    const rows = res[2]!.Rows as { FolderId: bigint; MessageClass: string; LastModificationTime: bigint }[];
    expect(rows.length).toBe(5);
    expect((await mb.receiveFolderTable()).length).toBe(4); // after the removal
    expect(new Map(rows.map((x) => [x.MessageClass.toLowerCase(), x.FolderId]))).toEqual(
      new Map([['', mb.special.inbox], ['ipm', mb.special.inbox], ['report.ipm', mb.special.inbox], ['ipc', mb.special.root], ['ipm.appointment', cal]]),
    );
    expect(rows.every((x) => x.LastModificationTime > 0n)).toBe(true);
    expect(res[4]!.FolderId).toBe(mb.special.inbox);
    expect(res[4]!.ExplicitMessageClass).toBe('IPM');
  });

  it('RopLongTermIdFromId and RopIdFromLongTermId round-trip; unknown replicas are ecNotFound', async () => {
    const { handle, mb } = await env.logon();
    const ids = [mb.special.inbox, mb.special.root, mb.special.todoSearch];
    const first = await env.call(ids.map((id) => r(0x43, 0, { ObjectId: id })), [handle]);
    const ltids = first.res.map((x) => x.LongTermId as Buffer);
    expect(ltids.map((b) => b.length)).toEqual([24, 24, 24]);
    expect(ltids[0]).toEqual(mb.longTermIdFromId(mb.special.inbox));
    const back = await env.call(
      [
        ...ltids.map((b) => r(0x44, 0, { LongTermId: b })),
        r(0x43, 0, { ObjectId: makeEid(7, 5n) }),
        r(0x44, 0, { LongTermId: encodeLongTermId({ guid: '01234567-89ab-cdef-0123-456789abcdef', globcnt: 5n }) }),
        r(0x7b, 0),
      ],
      [handle],
    );
    expect(back.res.slice(0, 3).map((x) => x.ObjectId)).toEqual(ids);
    expect(back.res.slice(3).map((x) => x.ReturnValue)).toEqual([ec.NotFound, ec.NotFound, 0]);
  });

  it('per-user information: write, read back in parts, list by database GUID, GUID of an LTID', async () => {
    const { handle } = await env.logon();
    const pfGuid = '9073441a-66aa-cd11-9bc8-00aa002fc45a';
    const ltid = encodeLongTermId({ guid: pfGuid, globcnt: 0x1234n });
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const { res } = await env.call(
      [
        // the logon's OpenFlags carry USE_PER_MDB_REPLID_MAPPING: the write at offset 0 carries a ReplGuid
        r(0x64, 0, { FolderId: ltid, HasFinished: 0, DataOffset: 0, Data: data.subarray(0, 200), ReplGuid: pfGuid }),
        r(0x64, 0, { FolderId: ltid, HasFinished: 1, DataOffset: 200, Data: data.subarray(200) }),
        r(0x63, 0, { FolderId: ltid, Reserved: 0, DataOffset: 0, MaxDataSize: 256 }),
        r(0x63, 0, { FolderId: ltid, Reserved: 0, DataOffset: 256, MaxDataSize: 256 }),
        r(0x60, 0, { DatabaseGuid: pfGuid }),
        r(0x61, 0, { LongTermId: ltid }),
        r(0x61, 0, { LongTermId: encodeLongTermId({ guid: pfGuid, globcnt: 0x9999n }) }),
      ],
      [handle],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0, 0, ec.NotFound]);
    expect(res[2]!.HasFinished).toBe(0);
    expect(Buffer.concat([res[2]!.Data as Buffer, res[3]!.Data as Buffer])).toEqual(data);
    expect(res[3]!.HasFinished).toBe(1);
    expect(res[4]!.LongTermIds).toEqual([ltid]);
    expect(res[5]!.DatabaseGuid).toBe(pfGuid);
  });

  it('RopGetOwningServers, RopPublicFolderIsGhosted and RopGetStoreState on a private logon', async () => {
    const { handle, mb } = await env.logon();
    const { res } = await env.call(
      [r(0x42, 0, { FolderId: mb.special.inbox }), r(0x42, 0, { FolderId: makeEid(1, 0xfffff0n) }), r(0x45, 0, { FolderId: mb.special.inbox }), r(0x7b, 0)],
      [handle],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, ec.NotFound, 0, 0]);
    expect(res[0]!.OwningServers).toEqual([SERVER_DN]);
    expect(res[0]!.CheapServersCount).toBe(1);
    expect(res[2]!.IsGhosted).toBe(0);
    expect(res[3]!.StoreState).toBe(0);
  });

  it('wrong object kinds, empty or released handles and foreign LogonIds get their ec; the next ROP still runs', async () => {
    const { handle, mb } = await env.logon();
    const { res } = await env.call(
      [
        openFolder(0, 1, mb.special.inbox),
        getReceive(1, ''), // on a folder: ecNotSupported
        getReceive(2, ''), // empty slot: ecNullObject
        getReceive(0, ''),
        r(0x27, 0, { MessageClass: '' }, 9), // LogonId 9 has no logon
        release(1),
        r(0x7b, 1), // released handle
        r(0x7b, 0),
      ],
      [handle, N, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, ec.NotSupported, ec.NullObject, 0, ec.NullObject, ec.NullObject, 0]);
  });
});
