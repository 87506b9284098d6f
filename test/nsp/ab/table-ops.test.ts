// NspiSeekEntries, NspiCompareMIds, NspiResortRestriction, NspiQueryRows over Explicit Tables and the default
// columns, NspiGetMatches' property-value tables (MS-OXNSPI 3.1.4.1.8-12).
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPI_E, PT, makeTag, propId } from '../../../src/mapi/props.js';
import type { AddressBook } from '../../../src/nsp/ab/addressbook.js';
import { MID_BEGINNING_OF_TABLE, MID_END_OF_TABLE, SortType, fEphID } from '../../../src/nsp/ab/constants.js';
import { PSETID_AddressBook } from '../../../src/nsp/ab/names.js';
import {
  nspiCompareMIds,
  nspiGetMatches,
  nspiQueryRows,
  nspiResortRestriction,
  nspiSeekEntries,
} from '../../../src/nsp/ab/ops-table.js';
import type { Snapshot } from '../../../src/nsp/ab/snapshot.js';
import type { NspiSession } from '../../../src/nsp/ab/session.js';
import * as T from '../../../src/nsp/ab/tags.js';
import { decodeEntryId } from '../../../src/nsp/entryid.js';
import { bind, newAddressBook, population, stat } from './fake-directory.js';

let ab: AddressBook;
let snap: Snapshot;
let s: NspiSession;
const mid = (name: string) => snap.byUsername.get(name)?.mid ?? (snap.entries.find((e) => e.account === name)?.mid as number);
const galNames = () => snap.table(snap.gal, 0x409).entries.map((e) => e.displayName);

beforeAll(async () => {
  ab = newAddressBook(population());
  snap = await ab.load();
  s = await bind(ab, 'alice');
});

describe('NspiQueryRows details', () => {
  it('uses the default columns of constraint 6 when pPropTags is NULL', async () => {
    const r = await nspiQueryRows(s, { flags: 0, stat: stat(), table: null, count: 1, propTags: null });
    expect(r.rows?.[0]?.map((v) => v.tag)).toEqual([
      T.PidTagAddressBookContainerId,
      T.PidTagObjectType,
      T.PidTagDisplayType,
      0x3001001e,
      0x3a1a001e,
      0x3a18001e,
      0x3a19001e,
    ]);
    expect(r.rows?.[0]?.slice(0, 4).map((v) => v.value)).toEqual([0, 6, 0, 'Alice Liddell']);
  });

  it('reads an Explicit Table from its start, unknown MIds as all-error rows, the STAT untouched', async () => {
    const st = stat({ CurrentRec: 12345, NumPos: 7 });
    const r = await nspiQueryRows(s, { flags: 0, stat: st, table: [mid('bob'), 0x4242, mid('zoe')], count: 10, propTags: [T.PidTagDisplayName, T.PidTagAccount] });
    expect(r.ec).toBe(0);
    expect(r.stat).toEqual(st);
    expect(r.rows?.map((row) => row.map((v) => v.value))).toEqual([
      ['Bob Smith', 'bob'],
      [MAPI_E.NOT_FOUND, MAPI_E.NOT_FOUND],
      ['Zoë Ångström', 'zoe'],
    ]);
    expect(r.rows?.[1]?.map((v) => v.tag)).toEqual([makeTag(0x3001, PT.ERROR), makeTag(0x3a00, PT.ERROR)]);
    const r2 = await nspiQueryRows(s, { flags: 0, stat: st, table: [mid('bob'), mid('zoe')], count: 1, propTags: [T.PidTagDisplayName] });
    expect(r2.rows?.length).toBe(1);
  });

  it('entry IDs are Permanent by default and Ephemeral under fEphID', async () => {
    const perm = await nspiQueryRows(s, { flags: 0, stat: stat(), table: [mid('zoe')], count: 1, propTags: [T.PidTagEntryId] });
    const eph = await nspiQueryRows(s, { flags: fEphID, stat: stat(), table: [mid('zoe')], count: 1, propTags: [T.PidTagEntryId] });
    expect(decodeEntryId(perm.rows?.[0]?.[0]?.value as Buffer)).toEqual({ type: 'permanent', displayType: 0, dn: snap.byUsername.get('zoe')?.dn });
    expect(decodeEntryId(eph.rows?.[0]?.[0]?.value as Buffer)).toEqual({ type: 'ephemeral', providerUid: ab.serverGuid, displayType: 0, mid: mid('zoe') });
  });

  it('refuses too many columns (TableTooBig) and CP_WINUNICODE and unknown code pages', async () => {
    const many = new Array(1001).fill(T.PidTagDisplayName);
    expect((await nspiQueryRows(s, { flags: 0, stat: stat(), table: null, count: 1, propTags: many })).ec).toBe(MAPI_E.TABLE_TOO_BIG);
    expect((await nspiQueryRows(s, { flags: 0, stat: stat({ CodePage: 1200 }), table: null, count: 1, propTags: null })).ec).toBe(MAPI_E.NO_SUPPORT);
    expect((await nspiQueryRows(s, { flags: 0, stat: stat({ CodePage: 4242 }), table: null, count: 1, propTags: null })).ec).toBe(MAPI_E.UNKNOWN_CPID);
  });

  it('caps one call at maxRowsPerCall', async () => {
    const small = newAddressBook(population(), { limits: { maxRowsPerCall: 3 } });
    const ss = await bind(small);
    const r = await nspiQueryRows(ss, { flags: 0, stat: stat(), table: null, count: 100, propTags: [T.PidTagDisplayName] });
    expect(r.rows?.length).toBe(3);
    expect(r.stat.NumPos).toBe(3);
  });
});

describe('NspiSeekEntries (3.1.4.1.9)', () => {
  const target = (v: string, tag = T.PidTagDisplayName) => ({ tag, value: v });

  it('positions on the first row at or after the target, case- and accent-insensitively', async () => {
    let r = await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: target('b'), table: null, propTags: null });
    expect(r).toMatchObject({ ec: 0, rows: null, stat: { CurrentRec: mid('bob'), NumPos: 3, TotalRecs: 10 } });
    r = await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: target('zo', 0x3001001e), table: null, propTags: null });
    expect(r.stat.CurrentRec).toBe(mid('zoe'));
    r = await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: target('ZOË'), table: null, propTags: null });
    expect(r.stat.CurrentRec).toBe(mid('zoe'));
    r = await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: target('Alicia'), table: null, propTags: null });
    expect(r.stat.CurrentRec).toBe(mid('alicia'));
  });

  it('returns rows from the found position with Ephemeral entry IDs', async () => {
    const r = await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: target('S'), table: null, propTags: [T.PidTagDisplayName, T.PidTagEntryId] });
    expect(r.rows?.[0]?.[0]?.value).toBe('Sales Team');
    expect((r.rows?.[0]?.[1]?.value as Buffer)[0]).toBe(0x87);
    expect(r.stat.NumPos).toBe(galNames().indexOf('Sales Team'));
  });

  it('NotFound past the last row; the STAT untouched', async () => {
    const st = stat({ CurrentRec: 99 });
    const r = await nspiSeekEntries(s, { reserved: 0, stat: st, target: target('\u{10ffff}'), table: null, propTags: null });
    expect(r).toEqual({ ec: MAPI_E.NOT_FOUND, stat: st, rows: null });
  });

  it('seeks in an Explicit Table, with an accurate NumPos and the rest of the table as rows', async () => {
    const table = [mid('alice'), mid('bob'), mid('emile'), mid('zoe')];
    const r = await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: target('c'), table, propTags: [T.PidTagAccount] });
    expect(r.stat).toMatchObject({ CurrentRec: mid('emile'), NumPos: 2, TotalRecs: 4 });
    expect(r.rows?.map((x) => x[0]?.value)).toEqual(['emile', 'zoe']);
  });

  it('GeneralFailure for another sort order or a target that is not the display name; NoSupport for Reserved', async () => {
    expect((await nspiSeekEntries(s, { reserved: 0, stat: stat({ SortType: 3 }), target: target('a'), table: null, propTags: null })).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: { tag: T.PidTagAccount, value: 'a' }, table: null, propTags: null })).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await nspiSeekEntries(s, { reserved: 0, stat: stat(), target: { tag: 0x30010003, value: 1 }, table: null, propTags: null })).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await nspiSeekEntries(s, { reserved: 1, stat: stat(), target: target('a'), table: null, propTags: null })).ec).toBe(MAPI_E.NO_SUPPORT);
    expect((await nspiSeekEntries(s, { reserved: 0, stat: stat({ ContainerID: 77777 }), target: target('a'), table: null, propTags: null })).ec).toBe(MAPI_E.INVALID_BOOKMARK);
  });
});

describe('NspiCompareMIds (3.1.4.1.12)', () => {
  it('compares table positions', async () => {
    expect(await nspiCompareMIds(s, stat(), mid('alice'), mid('zoe'))).toEqual({ ec: 0, result: -1 });
    expect(await nspiCompareMIds(s, stat(), mid('zoe'), mid('alice'))).toEqual({ ec: 0, result: 1 });
    expect(await nspiCompareMIds(s, stat(), mid('bob'), mid('bob'))).toEqual({ ec: 0, result: 0 });
  });

  it('GeneralFailure for an object not in the container, InvalidBookmark for an unknown container', async () => {
    const groups = snap.containers.find((c) => c.displayName === 'All Groups')?.containerId as number;
    expect((await nspiCompareMIds(s, stat({ ContainerID: groups }), mid('alice'), mid('sales'))).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await nspiCompareMIds(s, stat(), mid('alice'), 0x999999)).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await nspiCompareMIds(s, stat({ ContainerID: 0xabcdef }), mid('alice'), mid('bob'))).ec).toBe(MAPI_E.INVALID_BOOKMARK);
  });
});

describe('NspiResortRestriction (3.1.4.1.11)', () => {
  it('sorts by display name, drops unknown MIds, keeps CurrentRec when it is in the table', async () => {
    const r = await nspiResortRestriction(s, stat({ CurrentRec: mid('bob'), NumPos: 9 }), [mid('zoe'), 0x777777, mid('bob'), mid('alice')]);
    expect(r.ec).toBe(0);
    expect(r.mids).toEqual([mid('alice'), mid('bob'), mid('zoe')]);
    expect(r.stat).toMatchObject({ TotalRecs: 3, CurrentRec: mid('bob'), NumPos: 9 });
  });

  it('CurrentRec outside the table becomes MID_BEGINNING_OF_TABLE with NumPos 0 (constraint 8)', async () => {
    const r = await nspiResortRestriction(s, stat({ CurrentRec: mid('lilei'), NumPos: 4 }), [mid('zoe'), mid('bob')]);
    expect(r.stat).toMatchObject({ TotalRecs: 2, CurrentRec: MID_BEGINNING_OF_TABLE, NumPos: 0 });
  });

  it('GeneralFailure for the phonetic order, NotSupported for others', async () => {
    expect((await nspiResortRestriction(s, stat({ SortType: SortType.SortTypePhoneticDisplayName }), [])).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await nspiResortRestriction(s, stat({ SortType: 7 }), [])).ec).toBe(MAPI_E.NO_SUPPORT);
  });
});

describe('NspiGetMatches property-value tables (3.1.4.1.10 constraints 9-14)', () => {
  const roStat = (over = {}) => stat({ SortType: SortType.SortTypeDisplayName_RO, ...over });

  it('lists a distribution list\'s members (ContainerID = PR_EMS_AB_MEMBER, CurrentRec = the list), sorted', async () => {
    const r = await nspiGetMatches(s, { reserved1: 0, stat: roStat({ ContainerID: T.PidTagAddressBookMember, CurrentRec: mid('sales') }), filter: null, propName: null, requested: 100, propTags: [T.PidTagDisplayName] });
    expect(r.ec).toBe(0);
    expect(r.mids).toEqual([mid('alice'), mid('bob'), mid('ext')]);
    expect(r.rows?.map((x) => x[0]?.value)).toEqual(['Alice Liddell', 'Bob Smith', 'External Partner']);
    expect(r.stat.ContainerID).toBe(mid('sales')); // constraint 15
  });

  it('names the property by PropertyName_r as well, and reads membership back-links', async () => {
    const r = await nspiGetMatches(s, { reserved1: 0, stat: roStat({ CurrentRec: mid('alice') }), filter: null, propName: { guid: PSETID_AddressBook, id: propId(T.PidTagAddressBookIsMemberOfDistributionList) }, requested: 10, propTags: null });
    expect(r.mids).toEqual([mid('sales')]);
    expect(r.rows).toBeNull();
  });

  it('TableTooBig above ulRequested; GeneralFailure for an unknown object; NotSupported for other properties', async () => {
    const st = roStat({ ContainerID: T.PidTagAddressBookMember, CurrentRec: mid('sales') });
    expect((await nspiGetMatches(s, { reserved1: 0, stat: st, filter: null, propName: null, requested: 2, propTags: null })).ec).toBe(MAPI_E.TABLE_TOO_BIG);
    expect((await nspiGetMatches(s, { reserved1: 0, stat: { ...st, CurrentRec: 0x55555 }, filter: null, propName: null, requested: 10, propTags: null })).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await nspiGetMatches(s, { reserved1: 0, stat: { ...st, ContainerID: T.PidTagDisplayName }, filter: null, propName: null, requested: 10, propTags: null })).ec).toBe(MAPI_E.NO_SUPPORT);
    expect((await nspiGetMatches(s, { reserved1: 0, stat: st, filter: null, propName: { guid: PSETID_AddressBook, id: 0x7777 }, requested: 10, propTags: null })).ec).toBe(MAPI_E.NO_SUPPORT);
  });

  it('SortTypeDisplayName_W: only one\'s own delegates are writable (constraint 11)', async () => {
    const w = stat({ SortType: SortType.SortTypeDisplayName_W });
    expect((await nspiGetMatches(s, { reserved1: 0, stat: { ...w, ContainerID: T.PidTagAddressBookMember, CurrentRec: mid('sales') }, filter: null, propName: null, requested: 10, propTags: null })).ec).toBe(MAPI_E.NO_SUPPORT);
    expect((await nspiGetMatches(s, { reserved1: 0, stat: { ...w, ContainerID: T.PidTagAddressBookPublicDelegates, CurrentRec: mid('bob') }, filter: null, propName: null, requested: 10, propTags: null })).ec).toBe(MAPI_E.NO_SUPPORT);
    const own = await nspiGetMatches(s, { reserved1: 0, stat: { ...w, ContainerID: T.PidTagAddressBookPublicDelegates, CurrentRec: mid('alice') }, filter: null, propName: null, requested: 10, propTags: null });
    expect(own).toMatchObject({ ec: 0, mids: [] });
  });

  it('Reserved1 is NotSupported; the STAT is untouched on error', async () => {
    const st = roStat({ ContainerID: T.PidTagAddressBookMember, CurrentRec: mid('sales') });
    const r = await nspiGetMatches(s, { reserved1: 1, stat: st, filter: null, propName: null, requested: 10, propTags: null });
    expect(r).toEqual({ ec: MAPI_E.NO_SUPPORT, stat: st, mids: null, rows: null });
  });

  it('the end-of-table bookmark is no object', async () => {
    const r = await nspiGetMatches(s, { reserved1: 0, stat: roStat({ ContainerID: T.PidTagAddressBookMember, CurrentRec: MID_END_OF_TABLE }), filter: null, propName: null, requested: 10, propTags: null });
    expect(r.ec).toBe(MAPI_E.CALL_FAILED);
  });
});
