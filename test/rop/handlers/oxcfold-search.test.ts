// MS-OXCFOLD search folders end to end: RopCreateFolder (FolderType 2) + RopSetSearchCriteria / RopGetSearchCriteria
// through the dispatcher to a real LocalStore; the search folder's contents table (RopGetContentsTable, SetColumns,
// QueryRows) lists the matching messages and follows new, changed and moved-out messages; the refusals (not a
// search folder, restrictions too complex, nothing set yet) change nothing. Message ROPs given the search folder's
// handle (RopSetReadFlags, RopDeleteMessages, RopHardDeleteMessages, RopMoveCopyMessages) act on the real messages. The restriction of the MS-OXCFOLD 4.8.1
// example request comes back byte for byte as in the 4.9.2 response.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RopReader } from '../../../src/mapi/buffer.js';
import { PT } from '../../../src/mapi/props.js';
import { BMR, FL, RELOP } from '../../../src/mapi/restriction.js';
import { readPropertyRow } from '../../../src/mapi/ropprops.js';
import type { RopRestriction } from '../../../src/mapi/ropres.js';
import { MSGFLAG_READ, TAG } from '../../../src/mapistore/tags.js';
import { SEARCH_EC, SEARCH_FLAGS as SF, SEARCH_STATE as SS, type MailboxStore } from '../../../src/mapistore/types.js';
import { ec, ecName } from '../../../src/rop/ec.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import { createMessageHandlers } from '../../../src/rop/handlers/oxcmsg.js';
import { createSearchHandlers, restrictionInWidth } from '../../../src/rop/handlers/oxcfold-search.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { createTableHandlers } from '../../../src/rop/handlers/oxctabl.js';
import { makeEnv, N, openFolder, type Env, type Req, type Res } from './harness.js';

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}, LogonId = 0): Req => ({ RopId, LogonId, InputHandleIndex: inp, ...body });
const createSearchFolder = (inp: number, out: number, name: string, type = 2): Req =>
  r(0x1c, inp, { OutputHandleIndex: out, FolderType: type, UseUnicodeStrings: 1, OpenExisting: 0, Reserved: 0, DisplayName: name, Comment: '' });
const setCriteria = (inp: number, res: RopRestriction | Buffer | null, FolderIds: bigint[], SearchFlags: number = SF.RESTART_SEARCH): Req =>
  r(0x30, inp, { ...(res === null ? { RestrictionData: Buffer.alloc(0) } : Buffer.isBuffer(res) ? { RestrictionData: res } : { Restriction: res }), FolderIds, SearchFlags });
const getCriteria = (inp: number, o: { unicode?: boolean; restriction?: boolean; folders?: boolean } = {}, LogonId = 0): Req =>
  r(0x31, inp, { UseUnicode: o.unicode === false ? 0 : 1, IncludeRestriction: o.restriction === false ? 0 : 1, IncludeFolders: o.folders === false ? 0 : 1 }, LogonId);
const contentsTable = (inp: number, out: number) => r(0x05, inp, { OutputHandleIndex: out, TableFlags: 0 });
const setColumns = (inp: number, tags: number[]) => r(0x12, inp, { SetColumnsFlags: 0, PropertyTags: tags });
const queryRows = (inp: number, Columns: number[]) => r(0x15, inp, { QueryRowsFlags: 0, ForwardRead: 1, RowCount: 100, Columns });
const moveMsgs = (src: number, dst: number, ids: bigint[]) => r(0x33, src, { DestHandleIndex: dst, MessageIds: ids, WantAsynchronous: 0, WantCopy: 0 });

const subjectHas = (s: string): RopRestriction => ({
  type: 'content', fuzzyLevel: FL.FL_SUBSTRING | FL.FL_IGNORECASE, propTag: TAG.Subject, value: { tag: TAG.Subject, value: s },
});
const UNREAD: RopRestriction = { type: 'bitmask', relBMR: BMR.BMR_EQZ, propTag: TAG.MessageFlags, mask: MSGFLAG_READ };
const COLS = [TAG.Mid, TAG.Subject, TAG.ParentFolderId];
/** PT_I8 cells decode signed; EIDs compare as the u64 the store hands out. */
const u64 = (v: unknown): bigint => BigInt.asUintN(64, v as bigint);

/** MS-OXCFOLD 4.8.1 / 4.9.2 RestrictionData: AND(AND(7 x NOT(content prefix PidTagMessageClass)), PidTagImportance). */
const SPEC_RESTRICTION = Buffer.from(
  '0002000007000203020001001f001a001f001a00490050004d002e004100700070006f0069006e0074006d0065006e00740000000203020001001f00' +
    '1a001f001a00490050004d002e0043006f006e00740061006300740000000203020001001f001a001f001a00490050004d002e0044006900730074' +
    '004c0069007300740000000203020001001f001a001f001a00490050004d002e004100630074006900760069007400790000000203020001001f00' +
    '1a001f001a00490050004d002e0053007400690063006b0079004e006f007400650000000203000001001f001a001f001a00490050004d002e0054' +
    '00610073006b0000000203020001001f001a001f001a00490050004d002e005400610073006b002e0000000001000404030017000300170002000000',
  'hex',
);

describe('MS-OXCFOLD search-folder handlers', () => {
  let env: Env;
  let mb: MailboxStore;
  let logon: number;
  /** Handle slots: 0 logon, 1 Finder, 2 search folder, 3 Inbox, 4 Drafts, 5 table. */
  let h: number[];

  beforeEach(async () => {
    env = await makeEnv(undefined, (d) => [createStoreHandlers(d), createFolderHandlers(d), createTableHandlers(d), createSearchHandlers(d), createMessageHandlers(d)]);
    ({ handle: logon, mb } = await env.logon());
    const out = await env.call(
      [openFolder(0, 1, mb.special.finder), createSearchFolder(1, 2, 'Invoices'), openFolder(0, 3, mb.special.inbox), openFolder(0, 4, mb.special.drafts)],
      [logon, N, N, N, N, N],
    );
    expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0]);
    h = out.handles;
  });
  afterEach(async () => {
    await env.close();
  });

  const call = async (reqs: Req[]): Promise<Res[]> => {
    const out = await env.call(reqs, h);
    h = out.handles;
    return out.res;
  };
  /** A new contents table on the search folder: the rows as [mid, subject, parent folder id]. */
  const listed = async (): Promise<Array<[bigint, string, bigint]>> => {
    const res = await call([contentsTable(2, 5), setColumns(5, COLS), queryRows(5, COLS), r(0x01, 5)]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
    const rd = new RopReader((res[2]!.RowData as Buffer | undefined) ?? Buffer.alloc(0));
    const rows: Array<[bigint, string, bigint]> = [];
    for (let i = 0; i < (res[2]!.RowCount as number); i++) {
      const c = readPropertyRow(rd, COLS, 1252);
      rows.push([u64(c[0]), c[1] as string, u64(c[2])]);
    }
    expect(rows.length).toBe(res[0]!.RowCount);
    return rows;
  };
  const note = (subject: string) => ({ props: [{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: subject }] });

  it('a search folder over the Inbox lists the matching messages and follows new, changed and moved-out messages', async () => {
    const [a, , c] = (await mb.bulkInsertMessages(mb.special.inbox, [note('Invoice 12'), note('Lunch'), note('invoice reminder')])) as [bigint, bigint, bigint];
    const res = await call([setCriteria(2, subjectHas('invoice'), [mb.special.inbox])]);
    expect(res[0]).toMatchObject({ RopId: 0x30, ReturnValue: 0 });
    const inbox = mb.special.inbox;
    expect(await listed()).toEqual([[a, 'Invoice 12', inbox], [c, 'invoice reminder', inbox]]);

    // a new matching message added to the Inbox appears
    const d = await mb.createMessage(inbox, note('new invoice'));
    expect((await listed()).map((x) => x[0])).toEqual([a, c, d]);
    // a message changed so that it no longer matches disappears
    await mb.setMessageProps(c, [{ tag: TAG.Subject, value: 'reminder (paid)' }]);
    expect((await listed()).map((x) => x[0])).toEqual([a, d]);
    // a message moved out of the Inbox (RopMoveCopyMessages) disappears; its Drafts copy is not in scope
    expect((await call([moveMsgs(3, 4, [a])]))[0]!.ReturnValue).toBe(0);
    expect((await listed()).map((x) => x[0])).toEqual([d]);

    const got = (await call([getCriteria(2, {}, 0)]))[0]!;
    expect(got).toMatchObject({ ReturnValue: 0, LogonId: 0, FolderIds: [inbox], SearchFlags: SS.SEARCH_RUNNING });
    expect(got.Restriction).toEqual(subjectHas('invoice'));
  });

  it('RopGetSearchCriteria returns what was set: flags, scope, LogonId, the string width asked for, parts left out', async () => {
    const sub = (await mb.createFolder(mb.special.inbox, { displayName: 'Sub' })).fid;
    await mb.bulkInsertMessages(sub, [{ ...note('one'), read: true }, note('two')]);
    const flags = SF.RESTART_SEARCH | SF.RECURSIVE_SEARCH | 0x20; // 0x20: MAPI's BACKGROUND_SEARCH, ignored
    expect((await call([setCriteria(2, UNREAD, [mb.special.inbox, mb.special.drafts], flags)]))[0]!.ReturnValue).toBe(0);
    expect((await listed()).map((x) => x[1])).toEqual(['two']);

    const [full, narrow, eight] = await call([getCriteria(2), getCriteria(2, { restriction: false, folders: false }), getCriteria(2, { unicode: false })]);
    expect(full).toMatchObject({ ReturnValue: 0, FolderIds: [mb.special.inbox, mb.special.drafts], SearchFlags: SS.SEARCH_RUNNING | SS.SEARCH_RECURSIVE });
    expect(full!.Restriction).toEqual(UNREAD);
    expect(narrow).toMatchObject({ ReturnValue: 0, FolderIds: [], SearchFlags: SS.SEARCH_RUNNING | SS.SEARCH_RECURSIVE });
    expect(narrow!.Restriction).toBeUndefined();
    expect((narrow!.RestrictionData as Buffer).length).toBe(0);
    expect(eight!.Restriction).toEqual(UNREAD);

    // strings: PT_UNICODE set, PT_STRING8 answered for UseUnicode 0, PT_UNICODE again for 1
    await call([setCriteria(2, subjectHas('two'), [])]);
    const [u, a] = await call([getCriteria(2), getCriteria(2, { unicode: false })]);
    expect(u!.Restriction).toEqual(subjectHas('two'));
    const s8 = a!.Restriction as Extract<RopRestriction, { type: 'content' }>;
    expect([s8.propTag & 0xffff, s8.value.tag & 0xffff, s8.value.value]).toEqual([PT.STRING8, PT.STRING8, 'two']);
    expect(restrictionInWidth(s8, true)).toEqual(subjectHas('two'));
  });

  it('the MS-OXCFOLD 4.8.1 restriction runs and comes back byte for byte (4.9.2)', async () => {
    const imp = (cls: string, importance: number, subject: string) => ({
      props: [{ tag: TAG.MessageClass, value: cls }, { tag: TAG.Subject, value: subject }, { tag: 0x00170003, value: importance }],
    });
    await mb.bulkInsertMessages(mb.special.inbox, [imp('IPM.Note', 2, 'urgent note'), imp('IPM.Note', 1, 'normal note'), imp('IPM.Appointment', 2, 'urgent meeting'), imp('IPM.Task.X', 2, 'urgent task')]);
    const res = await call([setCriteria(2, SPEC_RESTRICTION, [mb.special.inbox], 0x0002002a), getCriteria(2, { folders: false })]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    expect((res[1]!.RestrictionData as Buffer).equals(SPEC_RESTRICTION)).toBe(true);
    expect(res[1]).toMatchObject({ FolderIds: [], SearchFlags: SS.SEARCH_RUNNING });
    expect((await listed()).map((x) => x[1])).toEqual(['urgent note']);
  });

  it('refusals: not a search folder, too complex, nothing set yet, bad flags; nothing stored changes', async () => {
    const m = await mb.createMessage(mb.special.inbox, note('invoice'));
    // nothing set yet
    const fresh = await call([getCriteria(2), setCriteria(2, null, [mb.special.inbox]), setCriteria(2, subjectHas('x'), [])]);
    expect(fresh.map((x) => x.ReturnValue)).toEqual([SEARCH_EC.NotInitialized, SEARCH_EC.NotInitialized, SEARCH_EC.NotInitialized]);

    expect((await call([setCriteria(2, subjectHas('invoice'), [mb.special.inbox])]))[0]!.ReturnValue).toBe(0);
    const before = (await call([getCriteria(2)]))[0]!;
    const self = (await mb.findChild(mb.special.finder, 'Invoices')) as bigint;

    // nesting past the limits (the codec flags it), RELOP_RE, a search folder in scope, another replica, bad flags
    let deep: RopRestriction = { type: 'exist', propTag: TAG.Subject };
    for (let i = 0; i < 100; i++) deep = { type: 'not', res: deep };
    const res = await call([
      setCriteria(1, subjectHas('x'), [mb.special.inbox]), // Finder is a generic folder
      getCriteria(3), // Inbox
      setCriteria(2, deep, [mb.special.inbox]),
      setCriteria(2, { type: 'property', relop: RELOP.RELOP_RE, propTag: TAG.Subject, value: { tag: TAG.Subject, value: 'a.*' } }, [mb.special.inbox]),
      setCriteria(2, subjectHas('x'), [mb.special.finder, self]), // the search folder itself
      setCriteria(2, subjectHas('x'), [0x0500000000000002n]),
      setCriteria(2, subjectHas('x'), [mb.special.inbox], SF.STOP_SEARCH | SF.RESTART_SEARCH),
    ]);
    expect(res.map((x) => x.ReturnValue)).toEqual([
      SEARCH_EC.NotSearchFolder, SEARCH_EC.NotSearchFolder, ec.TooComplex, ec.TooComplex,
      SEARCH_EC.SearchFolderScopeViolation, SEARCH_EC.SearchFolderScopeViolation, ec.InvalidParam,
    ]);
    expect((await call([getCriteria(2)]))[0]).toEqual(before);
    expect((await listed()).map((x) => x[0])).toEqual([m]);
    // the session goes on: a search folder works after the refusals
    expect((await call([setCriteria(2, null, [], SF.RESTART_SEARCH)]))[0]!.ReturnValue).toBe(0);
  });

  it('RopSetReadFlags, RopDeleteMessages, RopHardDeleteMessages and RopMoveCopyMessages on the search folder act on the real messages', async () => {
    const [a, b, c] = (await mb.bulkInsertMessages(mb.special.inbox, [note('invoice a'), note('invoice b'), note('lunch')])) as [bigint, bigint, bigint];
    const [d, e] = (await mb.bulkInsertMessages(mb.special.drafts, [note('invoice d'), note('invoice e')])) as [bigint, bigint];
    expect((await call([setCriteria(2, subjectHas('invoice'), [mb.special.inbox, mb.special.drafts])]))[0]!.ReturnValue).toBe(0);
    expect((await listed()).map((x) => x[0])).toEqual([a, b, d, e]);
    const read = async (mid: bigint) => (((await mb.getMessageProps(mid, [TAG.MessageFlags]))[0] as { value: number }).value & MSGFLAG_READ) !== 0;

    // RopSetReadFlags (0x66): a and d are marked read in their own folders; c is not in the search folder -> partial
    const setRead = (ids: bigint[]) => r(0x66, 2, { WantAsynchronous: 0, ReadFlags: 0, MessageIds: ids });
    expect((await call([setRead([a, d])]))[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 0 });
    expect([await read(a), await read(d), await read(b)]).toEqual([true, true, false]);
    expect((await call([setRead([c])]))[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 1 });
    expect(await read(c)).toBe(false);

    // RopDeleteMessages (0x1e) / RopHardDeleteMessages (0x91): the messages go from the Inbox and Drafts
    const del = (RopId: number, ids: bigint[]) => r(RopId, 2, { WantAsynchronous: 0, NotifyNonRead: 0, MessageIds: ids });
    expect((await call([del(0x1e, [a, c])]))[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 1 });
    expect(await mb.messageExists(a)).toBe(false);
    expect(await mb.messageExists(c)).toBe(true);
    expect((await call([del(0x91, [e])]))[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 0 });
    expect(await mb.messageExists(e)).toBe(false);
    expect((await listed()).map((x) => x[0])).toEqual([b, d]);

    // RopMoveCopyMessages (0x33) with the search folder as source: b and d move into the Inbox's subfolder
    const sub = (await mb.createFolder(mb.special.inbox, { displayName: 'Paid' })).fid;
    expect((await call([openFolder(0, 4, sub)]))[0]!.ReturnValue).toBe(0);
    const copied = await call([r(0x33, 2, { DestHandleIndex: 4, MessageIds: [b], WantAsynchronous: 0, WantCopy: 1 })]);
    expect(copied[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 0 });
    expect((await mb.contentsRows(sub)).length).toBe(1);
    expect((await call([moveMsgs(2, 4, [b, d])]))[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 0 });
    expect([await mb.folderOfMessage(b), await mb.folderOfMessage(d)]).toEqual([sub, sub]);
    expect(await listed()).toEqual([]);
  });

  it('every search-folder error has its name in logs (ecName)', () => {
    for (const [k, v] of Object.entries(SEARCH_EC)) expect(ecName(v)).toBe(`ec${k} (0x${v.toString(16).toUpperCase().padStart(8, '0')})`);
    expect(ecName(0x461)).toBe('ecNotSearchFolder (0x00000461)');
  });

  it('answers ecNullObject for a LogonId without a logon and keeps the session going', async () => {
    const res = await call([getCriteria(2, {}, 5), setCriteria(2, subjectHas('x'), [mb.special.inbox])]);
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NullObject, 0]);
  });
});
