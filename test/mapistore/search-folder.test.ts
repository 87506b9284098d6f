// Search folders of the embedded store (MS-OXCFOLD 3.2.5.4-5): criteria stored and read back, contents filled when
// the criteria are set and kept up to date from the mailbox's change events (created, modified, read state, moved,
// copied, deleted, emptied, folder moves), static and stopped searches, refusals that change nothing, persistence
// across a reopen; deletes, read flags, moves and copies given the search folder act on the linked messages in their
// own folders; the stored restriction form round-trips (fast-check) and arbitrary bytes give a value or a coded error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEid } from '../../src/mapi/ids.js';
import { BMR, FL, RELOP } from '../../src/mapi/restriction.js';
import type { RopRestriction } from '../../src/mapi/ropres.js';
import { decodeStoredRestriction, encodeStoredRestriction } from '../../src/mapistore/backends/local/search.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SEC } from '../../src/mapistore/errors.js';
import type { MailboxEvent } from '../../src/mapistore/events.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { MSGFLAG_READ, TAG } from '../../src/mapistore/tags.js';
import {
  FOLDER_SEARCH, SEARCH_EC, SEARCH_FLAGS as SF, SEARCH_STATE as SS, type MailboxStore, type SearchCriteria,
} from '../../src/mapistore/types.js';
import { ProtocolError } from '../../src/util/errors.js';
import { ecOf, val } from './store-helpers.js';

const USER = { username: 'alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };
const PidTagSubjectA = 0x0037001e;

const subjectHas = (s: string): RopRestriction => ({
  type: 'content', fuzzyLevel: FL.FL_SUBSTRING | FL.FL_IGNORECASE, propTag: TAG.Subject, value: { tag: TAG.Subject, value: s },
});
const UNREAD: RopRestriction = { type: 'bitmask', relBMR: BMR.BMR_EQZ, propTag: TAG.MessageFlags, mask: MSGFLAG_READ };

describe('search folders (embedded store)', () => {
  let dir: string;
  let store: LocalStore;
  let mb: MailboxStore;
  let events: MailboxEvent[];

  const open = async () => {
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    mb = await store.openMailbox(USER);
    events = [];
    mb.events.subscribe((e) => events.push(e));
  };
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-search-'));
    await open();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const note = (subject: string, read = false) => ({ props: [{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: subject }], read });
  const searchFolder = async (name = 'Found') => (await mb.createFolder(mb.special.finder, { displayName: name, folderType: FOLDER_SEARCH })).fid;
  const members = async (fid: bigint) => (await mb.contentsRows(fid, { tags: [TAG.Mid, TAG.Subject, TAG.ParentFolderId] })).map((r) => r.id);
  const count = async (fid: bigint) => val(await mb.getFolderProps(fid, [TAG.ContentCount]), TAG.ContentCount);
  const set = (fid: bigint, restriction: RopRestriction | null, folderIds: bigint[], searchFlags: number = SF.RESTART_SEARCH) =>
    mb.setSearchCriteria(fid, { restriction, folderIds, searchFlags });

  it('fills a search folder over the Inbox: matching messages with their real MIDs and own folder; searchComplete', async () => {
    const [a, , c] = await mb.bulkInsertMessages(mb.special.inbox, [note('Invoice 12'), note('Lunch'), note('invoice reminder')]);
    await mb.createMessage(mb.special.drafts, note('invoice draft'));
    const sf = await searchFolder();
    events = [];
    await set(sf, subjectHas('invoice'), [mb.special.inbox]);

    const rows = await mb.contentsRows(sf, { tags: [TAG.Mid, TAG.Subject, TAG.ParentFolderId] });
    expect(rows.map((r) => r.id)).toEqual([a, c]);
    expect(rows.map((r) => r.props.get(TAG.Subject))).toEqual(['Invoice 12', 'invoice reminder']);
    expect(rows.every((r) => r.props.get(TAG.ParentFolderId) === mb.special.inbox && r.props.get(TAG.Mid) === r.id)).toBe(true);
    expect(await count(sf)).toBe(2);
    expect(events.filter((e) => e.type === 'searchComplete')).toEqual([{ type: 'searchComplete', fid: sf }]);
    // the messages stay where they are
    expect((await mb.contentsRows(mb.special.inbox)).length).toBe(3);

    const got = (await mb.getSearchCriteria(sf)) as SearchCriteria;
    expect(got.restriction).toEqual(subjectHas('invoice'));
    expect(got.folderIds).toEqual([mb.special.inbox]);
    expect(got.searchState).toBe(SS.SEARCH_RUNNING);
    expect(got.searchFlags).toBe(SF.RESTART_SEARCH | SF.SHALLOW_SEARCH);
  });

  it('follows new, changed, re-read, moved, copied, deleted and emptied messages', async () => {
    const sf = await searchFolder();
    await set(sf, subjectHas('invoice'), [mb.special.inbox]);
    expect(await members(sf)).toEqual([]);

    // new matching message (minimal call and full message object)
    const m1 = await mb.createMessage(mb.special.inbox, note('Invoice 1'));
    const o = await mb.newMessage(mb.special.inbox);
    await o.setProps([{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: 'second invoice' }]);
    const m2 = await o.save();
    await mb.createMessage(mb.special.inbox, note('not this one'));
    expect(await members(sf)).toEqual([m1, m2]);
    expect(await count(sf)).toBe(2);

    // changed so that it no longer matches, and back
    await mb.setMessageProps(m1, [{ tag: TAG.Subject, value: 'paid' }]);
    expect(await members(sf)).toEqual([m2]);
    const o2 = await mb.openMessage(m1);
    await o2.setProps([{ tag: TAG.Subject, value: 'invoice again' }]);
    await o2.save();
    expect(await members(sf)).toEqual([m1, m2]);

    // moved out of the scope disappears, moved back appears; a copy into the scope appears
    await mb.moveCopyMessages(mb.special.inbox, [m1], mb.special.drafts, false);
    expect(await members(sf)).toEqual([m2]);
    await mb.moveCopyMessages(mb.special.drafts, [m1], mb.special.inbox, false);
    expect(await members(sf)).toEqual([m1, m2]);
    const d = await mb.createMessage(mb.special.drafts, note('draft invoice'));
    const copied = (await mb.moveCopyMessages(mb.special.drafts, [d], mb.special.inbox, true)).ids.get(d) as bigint;
    expect(await members(sf)).toEqual([m1, m2, copied]);

    // deleted, emptied
    await mb.deleteMessages(mb.special.inbox, [m2]);
    expect(await members(sf)).toEqual([m1, copied]);
    await mb.emptyFolder(mb.special.inbox);
    expect(await members(sf)).toEqual([]);
    expect(await count(sf)).toBe(0);
    const modified = events.filter((e) => e.type === 'objectModified' && e.fid === sf && e.mid === undefined);
    expect(modified.length).toBeGreaterThan(0);
    expect(modified.at(-1)).toMatchObject({ totalCount: 0, unreadCount: 0 });
  });

  it('an unread-messages search follows read flags; counts and unread counts are the search results', async () => {
    const ids = await mb.bulkInsertMessages(mb.special.inbox, [note('a'), note('b', true), note('c')]);
    const sf = await searchFolder('Unread');
    await set(sf, UNREAD, [mb.special.inbox]);
    expect(await members(sf)).toEqual([ids[0], ids[2]]);
    await mb.setReadFlags(mb.special.inbox, [ids[0] as bigint], true);
    expect(await members(sf)).toEqual([ids[2]]);
    await mb.setReadFlags(mb.special.inbox, null, false);
    expect(await members(sf)).toEqual(ids);
    const p = await mb.getFolderProps(sf, [TAG.ContentCount, TAG.ContentUnreadCount]);
    expect([val(p, TAG.ContentCount), val(p, TAG.ContentUnreadCount)]).toEqual([3, 3]);
  });

  it('recursive scopes take subfolders (also ones made later or moved in); shallow ones do not', async () => {
    const sub = (await mb.createFolder(mb.special.inbox, { displayName: 'Projects' })).fid;
    const inSub = await mb.createMessage(sub, note('invoice in a subfolder'));
    const inInbox = await mb.createMessage(mb.special.inbox, note('invoice'));
    const deep = await searchFolder('Deep');
    const flat = await searchFolder('Flat');
    await set(deep, subjectHas('invoice'), [mb.special.ipmSubtree], SF.RESTART_SEARCH | SF.RECURSIVE_SEARCH);
    await set(flat, subjectHas('invoice'), [mb.special.ipmSubtree], SF.RESTART_SEARCH | SF.SHALLOW_SEARCH);
    expect(await members(deep)).toEqual([inSub, inInbox]);
    expect(await members(flat)).toEqual([]);
    expect(((await mb.getSearchCriteria(deep)) as SearchCriteria).searchState).toBe(SS.SEARCH_RUNNING | SS.SEARCH_RECURSIVE);

    const later = (await mb.createFolder(sub, { displayName: 'Later' })).fid;
    const inLater = await mb.createMessage(later, note('late invoice'));
    expect(await members(deep)).toEqual([inSub, inInbox, inLater]);

    // a folder tree moved out of the scope (under the root) leaves, moved back comes in again
    await mb.moveFolder(sub, mb.special.root);
    expect(await members(deep)).toEqual([inInbox]);
    await mb.moveFolder(sub, mb.special.inbox);
    expect(await members(deep)).toEqual([inSub, inInbox, inLater]);
    // deleting the tree drops its messages
    await mb.deleteFolder(sub, 0x01 | 0x04);
    expect(await members(deep)).toEqual([inInbox]);
  });

  it('a static search is filled once; a stopped search keeps its contents; RESTART refills', async () => {
    await mb.createMessage(mb.special.inbox, note('invoice 1'));
    const st = await searchFolder('Static');
    const dyn = await searchFolder('Dynamic');
    await set(st, subjectHas('invoice'), [mb.special.inbox], SF.RESTART_SEARCH | SF.STATIC_SEARCH);
    await set(dyn, subjectHas('invoice'), [mb.special.inbox]);
    expect(((await mb.getSearchCriteria(st)) as SearchCriteria).searchState).toBe(SS.SEARCH_STATIC | SS.SEARCH_COMPLETE);
    await set(dyn, null, [], SF.STOP_SEARCH);
    expect(((await mb.getSearchCriteria(dyn)) as SearchCriteria).searchState).toBe(0);

    await mb.createMessage(mb.special.inbox, note('invoice 2'));
    expect((await members(st)).length).toBe(1);
    expect((await members(dyn)).length).toBe(1);

    await set(st, null, [], SF.RESTART_SEARCH);
    await set(dyn, null, [], SF.RESTART_SEARCH);
    expect((await members(st)).length).toBe(2);
    expect((await members(dyn)).length).toBe(2);
    expect(((await mb.getSearchCriteria(dyn)) as SearchCriteria).searchState).toBe(SS.SEARCH_RUNNING);
    // new criteria replace the contents
    await set(dyn, subjectHas('2'), []);
    expect((await members(dyn)).length).toBe(1);
  });

  it('refusals change nothing stored', async () => {
    const m = await mb.createMessage(mb.special.inbox, note('invoice'));
    const sf = await searchFolder();
    expect(await mb.getSearchCriteria(sf)).toBeNull();
    expect(await ecOf(set(mb.special.inbox, subjectHas('x'), [mb.special.inbox]))).toBe(SEARCH_EC.NotSearchFolder);
    expect(await ecOf(mb.getSearchCriteria(mb.special.inbox))).toBe(SEARCH_EC.NotSearchFolder);
    expect(await ecOf(set(sf, null, [mb.special.inbox]))).toBe(SEARCH_EC.NotInitialized);
    expect(await ecOf(set(sf, subjectHas('x'), []))).toBe(SEARCH_EC.NotInitialized);
    expect(await mb.getSearchCriteria(sf)).toBeNull();

    await set(sf, subjectHas('invoice'), [mb.special.inbox]);
    const before = await mb.getSearchCriteria(sf);
    const other = await searchFolder('Other');
    const bad: Array<[Promise<void>, number]> = [
      [set(sf, subjectHas('x'), [sf]), SEARCH_EC.SearchFolderScopeViolation],
      [set(sf, subjectHas('x'), [other]), SEARCH_EC.SearchFolderScopeViolation],
      [set(sf, subjectHas('x'), [makeEid(2, 5n)]), SEARCH_EC.SearchFolderScopeViolation],
      [set(sf, subjectHas('x'), [makeEid(1, 0xfffff0n)]), SEC.NotFound],
      [set(sf, subjectHas('x'), [mb.special.drafts], SF.STOP_SEARCH | SF.RESTART_SEARCH), SEC.InvalidParam],
      [set(sf, subjectHas('x'), [mb.special.drafts], SF.RECURSIVE_SEARCH | SF.SHALLOW_SEARCH), SEC.InvalidParam],
      [set(sf, { type: 'property', relop: RELOP.RELOP_RE, propTag: TAG.Subject, value: { tag: TAG.Subject, value: 'x' } }, [mb.special.drafts]), SEARCH_EC.TooComplex],
      [set(sf, { type: 'property', relop: RELOP.RELOP_EQ, propTag: 0x00370000, value: { tag: TAG.Subject, value: 'x' } }, [mb.special.drafts]), SEARCH_EC.TooComplex],
      [set(makeEid(1, 0xfffff1n), subjectHas('x'), [mb.special.inbox]), SEC.NotFound],
    ];
    for (const [p, code] of bad) expect(await ecOf(p)).toBe(code);
    expect(await mb.getSearchCriteria(sf)).toEqual(before);
    expect(await members(sf)).toEqual([m]);
  });

  it('keeps criteria and contents across a reopen and goes on following changes; a deleted search folder is forgotten', async () => {
    const m = await mb.createMessage(mb.special.inbox, note('Invoice'));
    const sf = await searchFolder();
    const r8: RopRestriction = { type: 'content', fuzzyLevel: FL.FL_SUBSTRING | FL.FL_IGNORECASE, propTag: PidTagSubjectA, value: { tag: PidTagSubjectA, value: 'invoice' } };
    await set(sf, r8, [mb.special.inbox]);
    await store.close();
    await open();
    expect(await mb.getSearchCriteria(sf)).toEqual({
      restriction: r8, folderIds: [mb.special.inbox], searchFlags: SF.RESTART_SEARCH | SF.SHALLOW_SEARCH, searchState: SS.SEARCH_RUNNING,
    });
    expect(await members(sf)).toEqual([m]);
    const m2 = await mb.createMessage(mb.special.inbox, note('invoice 2'));
    expect(await members(sf)).toEqual([m, m2]);

    await mb.deleteFolder(sf, 0);
    const m3 = await mb.createMessage(mb.special.inbox, note('invoice 3'));
    expect(await mb.messageExists(m3)).toBe(true);
    const again = await searchFolder();
    expect(await mb.getSearchCriteria(again)).toBeNull();
  });

  it('FAI messages are never found; the search folder keeps its own FAI contents', async () => {
    await mb.createMessage(mb.special.inbox, { ...note('invoice view'), associated: true });
    const sf = await searchFolder();
    const fai = await mb.createMessage(sf, { ...note('view settings'), associated: true });
    await set(sf, subjectHas('invoice'), [mb.special.inbox]);
    expect(await members(sf)).toEqual([]);
    expect((await mb.contentsRows(sf, { associated: true })).map((r) => r.id)).toEqual([fai]);
  });

  it('deletes, read flags, moves, copies and message flags given the search folder act on the linked messages in their own folders', async () => {
    const [a, b, c] = (await mb.bulkInsertMessages(mb.special.inbox, [note('invoice a'), note('invoice b'), note('lunch')])) as [bigint, bigint, bigint];
    const [d, e] = (await mb.bulkInsertMessages(mb.special.drafts, [note('invoice d'), note('invoice e')])) as [bigint, bigint];
    const sf = await searchFolder();
    await set(sf, subjectHas('invoice'), [mb.special.inbox, mb.special.drafts]);
    expect(await members(sf)).toEqual([a, b, d, e]);
    const fai = await mb.createMessage(sf, { ...note('view'), associated: true });
    const isRead = async (mid: bigint) => ((val(await mb.getMessageProps(mid, [TAG.MessageFlags]), TAG.MessageFlags) as number) & MSGFLAG_READ) !== 0;

    // read flags: ids spread over two folders; the events name each message's own folder; c (not linked) untouched
    events.length = 0;
    expect((await mb.setReadFlags(sf, [a, d, c], true)).sort()).toEqual([a, d].sort());
    expect([await isRead(a), await isRead(d), await isRead(c)]).toEqual([true, true, false]);
    const readEv = events.filter((x) => x.type === 'objectModified' && x.mid !== undefined);
    expect(readEv.map((x) => [x.fid, x.mid])).toEqual([[mb.special.inbox, a], [mb.special.drafts, d]]);
    // null: every linked message
    expect((await mb.setReadFlags(sf, null, false)).sort()).toEqual([a, d].sort());
    expect(await isRead(b)).toBe(false);

    // message flags (RopSetReadFlags' clear bits find the ids through the search folder) and message status
    expect(await mb.clearMessageFlags(sf, [b, e, c, fai], 0)).toEqual([b, e, fai]);
    expect(await mb.setMessageStatus(sf, e, 0x1000, 0x1000)).toBe(0);
    expect(await mb.getMessageStatus(mb.special.drafts, e)).toBe(0x1000);
    expect(await mb.getMessageStatus(sf, e)).toBe(0x1000);

    // delete: the real messages go (soft: tombstones in their own folders), c is not linked -> partial
    events.length = 0;
    expect(await mb.deleteMessages(sf, [a, c])).toEqual({ partial: true });
    expect([await mb.messageExists(a), await mb.messageExists(c)]).toEqual([false, true]);
    expect(events.filter((x) => x.type === 'objectDeleted').map((x) => [x.fid, x.mid])).toEqual([[mb.special.inbox, a]]);
    expect(await members(sf)).toEqual([b, d, e]);
    expect(await mb.deleteMessages(sf, [e], { hard: true })).toEqual({ partial: false });
    expect(await mb.folderOfMessage(e)).toBeNull();

    // move out of the scope (from two folders at once) and copy
    const junk = (await mb.createFolder(mb.special.root, { displayName: 'Elsewhere' })).fid;
    const copied = await mb.moveCopyMessages(sf, [b], junk, true);
    expect(copied.partial).toBe(false);
    const copy = copied.ids.get(b) as bigint;
    expect(await mb.folderOfMessage(copy)).toBe(junk);
    expect(await mb.folderOfMessage(b)).toBe(mb.special.inbox);
    events.length = 0;
    const moved = await mb.moveCopyMessages(sf, [b, d], junk, false);
    expect(moved).toMatchObject({ partial: false });
    expect([await mb.folderOfMessage(b), await mb.folderOfMessage(d)]).toEqual([junk, junk]);
    expect(events.filter((x) => x.type === 'objectMoved').map((x) => [x.oldFid, x.fid, x.mid])).toEqual([
      [mb.special.inbox, junk, b],
      [mb.special.drafts, junk, d],
    ]);
    expect(await members(sf)).toEqual([]);
    // the search folder's own FAI message is still its own
    expect(await mb.folderOfMessage(fai)).toBe(sf);
    expect(await mb.deleteMessages(sf, [fai])).toEqual({ partial: false });
    expect(await mb.messageExists(fai)).toBe(false);
  });
});

describe('stored restriction form', () => {
  const str = fc.string({ maxLength: 12 }).filter((s) => !s.includes('\0'));
  const tagged = fc.oneof(
    fc.record({ tag: fc.constant(TAG.Subject), value: str }),
    fc.record({ tag: fc.constant(PidTagSubjectA), value: fc.constantFrom('plain', 'Grüße', 'дом', '日本') }),
    fc.record({ tag: fc.constant(TAG.MessageFlags), value: fc.integer({ min: -100, max: 100 }) }),
  );
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const { tree } = fc.letrec<{ tree: RopRestriction; leaf: RopRestriction }>((t) => ({
    leaf: fc.oneof(
      fc.record({ type: fc.constant('content' as const), fuzzyLevel: u32, propTag: u32, value: tagged }),
      fc.record({ type: fc.constant('property' as const), relop: fc.integer({ min: 0, max: 5 }), propTag: u32, value: tagged }),
      fc.record({ type: fc.constant('bitmask' as const), relBMR: fc.integer({ min: 0, max: 1 }), propTag: u32, mask: u32 }),
      fc.record({ type: fc.constant('exist' as const), propTag: u32 }),
    ),
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      t('leaf'),
      fc.record({ type: fc.constant('and' as const), res: fc.array(t('tree') as fc.Arbitrary<never>, { maxLength: 3 }) }),
      fc.record({ type: fc.constant('not' as const), res: t('tree') as fc.Arbitrary<never> }),
      fc.record({ type: fc.constant('comment' as const), values: fc.array(tagged, { maxLength: 2 }), res: fc.option(t('tree'), { nil: null }) }),
    ),
  }));

  it('round-trips any restriction, 8-bit strings outside code page 1252 included', () => {
    fc.assert(
      fc.property(tree, (r) => {
        expect(decodeStoredRestriction(encodeStoredRestriction(r))).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary or mutated bytes give a value or a coded error', () => {
    const coded = (b: Buffer) => {
      try {
        decodeStoredRestriction(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => coded(Buffer.from(b))), { numRuns: 500 });
    fc.assert(
      fc.property(tree, fc.nat(), fc.integer({ min: 0, max: 255 }), (r, at, byte) => {
        const b = Buffer.from(encodeStoredRestriction(r));
        b[at % b.length] = byte;
        coded(b);
      }),
      { numRuns: 300 },
    );
  });
});
