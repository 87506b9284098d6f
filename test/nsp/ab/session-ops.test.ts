// NspiBind, NspiUnbind, NspiGetSpecialTable, NspiQueryColumns, NspiGetTemplateInfo and the named-property calls
// (MS-OXNSPI 3.1.4.1.1-3, .5, .18; MS-NSPI 3.1.4.16-17).
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPI_E, PT, makeTag, propId, propType } from '../../../src/mapi/props.js';
import type { AddressBook } from '../../../src/nsp/ab/addressbook.js';
import {
  AB_RECIPIENTS,
  AB_SUBCONTAINERS,
  AB_UNMODIFIABLE,
  DT,
  NspiAddressCreationTemplates,
  NspiUnicodeProptypes,
  NspiUnicodeStrings,
  PS_MAPI,
  TI_SCRIPT,
  TI_TEMPLATE,
  fAnonymousLogin,
} from '../../../src/nsp/ab/constants.js';
import { PSETID_AddressBook, UNMAPPED_TAG } from '../../../src/nsp/ab/names.js';
import {
  hierarchyVersion,
  nspiBind,
  nspiGetIDsFromNames,
  nspiGetNamesFromIDs,
  nspiGetSpecialTable,
  nspiGetTemplateInfo,
  nspiQueryColumns,
  nspiUnbind,
} from '../../../src/nsp/ab/ops-session.js';
import { nspiQueryRows } from '../../../src/nsp/ab/ops-table.js';
import type { NspiSession } from '../../../src/nsp/ab/session.js';
import type { Snapshot } from '../../../src/nsp/ab/snapshot.js';
import * as T from '../../../src/nsp/ab/tags.js';
import { decodeEntryId } from '../../../src/nsp/entryid.js';
import { bind, newAddressBook, population, stat } from './fake-directory.js';

let ab: AddressBook;
let snap: Snapshot;
let s: NspiSession;

beforeAll(async () => {
  ab = newAddressBook(population());
  snap = await ab.load();
  s = await bind(ab, 'alice');
});

describe('NspiBind / NspiUnbind (3.1.4.1.1-2)', () => {
  it('binds an authenticated user with the session code page and locales, and gives the server GUID', async () => {
    const r = await nspiBind(ab, { flags: 0, stat: stat({ CodePage: 1250, SortLocale: 0x407, TemplateLocale: 0x407 }), user: 'ALICE' });
    expect(r.ec).toBe(0);
    expect(r.serverGuid).toBe('11111111-2222-3333-4444-555555555555');
    expect(r.session).toMatchObject({ username: 'alice', codePage: 1250, sortLocale: 0x407, templateLocale: 0x407 });
  });

  it('a random server GUID per address book when none is configured', () => {
    const a = newAddressBook(population(), { serverGuid: undefined });
    const b = newAddressBook(population(), { serverGuid: undefined });
    expect(a.serverGuid).not.toBe(b.serverGuid);
  });

  it('refuses anonymous binds and unknown users with LogonFailed', async () => {
    expect((await nspiBind(ab, { flags: 0, stat: stat(), user: null })).ec).toBe(MAPI_E.LOGON_FAILED);
    expect((await nspiBind(ab, { flags: fAnonymousLogin, stat: stat(), user: 'alice' })).ec).toBe(MAPI_E.LOGON_FAILED);
    expect((await nspiBind(ab, { flags: 0, stat: stat(), user: 'mallory' })).ec).toBe(MAPI_E.LOGON_FAILED);
  });

  it('ignores other flag bits (constraint 1 of dwFlags)', async () => {
    expect((await nspiBind(ab, { flags: 0xffffffdf, stat: stat(), user: 'alice' })).ec).toBe(0);
  });

  it('refuses CP_WINUNICODE and unknown code pages with InvalidCodepage', async () => {
    for (const cp of [1200, 12345, 0xffffffff]) {
      const r = await nspiBind(ab, { flags: 0, stat: stat({ CodePage: cp }), user: 'alice' });
      expect(r.ec).toBe(MAPI_E.UNKNOWN_CPID);
      expect(r.session).toBeNull();
    }
    for (const cp of [1252, 20261, 65001, 932, 28591]) expect((await nspiBind(ab, { flags: 0, stat: stat({ CodePage: cp }), user: 'alice' })).ec).toBe(0);
  });

  it('takes CP_ACP (0) as 1252 at bind, and as the session\'s code page in later calls', async () => {
    const r = await nspiBind(ab, { flags: 0, stat: stat({ CodePage: 0 }), user: 'alice' });
    expect(r.session?.codePage).toBe(1252);
    const s850 = (await nspiBind(ab, { flags: 0, stat: stat({ CodePage: 1250 }), user: 'alice' })).session as NspiSession;
    expect((await nspiGetSpecialTable(s850, 0, stat({ CodePage: 0 }), 0)).ec).toBe(0);
  });

  it('the model\'s values do not depend on the code page (the wire encodes PT_STRING8)', async () => {
    const results = [];
    for (const cp of [1252, 1250, 65001, 932, 20261]) {
      const sx = (await nspiBind(ab, { flags: 0, stat: stat({ CodePage: cp }), user: 'alice' })).session as NspiSession;
      const q = await nspiQueryRows(sx, { flags: 0, stat: stat({ CodePage: cp }), table: null, count: 100, propTags: [0x3001001e, 0x3001001f, T.PidTagAddressBookProxyAddresses] });
      expect(q.ec).toBe(0);
      results.push(q.rows);
    }
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });

  it('sees a user added a moment ago', async () => {
    const dir = population();
    const ab2 = newAddressBook(dir, { now: () => 0 });
    await ab2.load();
    dir.addUser('fresh', 'Fresh User');
    expect((await nspiBind(ab2, { flags: 0, stat: stat(), user: 'fresh' })).ec).toBe(0);
  });

  it('NspiUnbind answers UnbindSuccess (1)', () => {
    expect(nspiUnbind()).toEqual({ ec: 1 });
  });
});

describe('NspiGetSpecialTable (3.1.4.1.3)', () => {
  it('returns the hierarchy table with the six columns of constraint 14, Permanent DT_CONTAINER entry IDs', async () => {
    const r = await nspiGetSpecialTable(s, NspiUnicodeStrings, stat(), 0);
    expect(r.ec).toBe(0);
    expect(r.version).toBe(hierarchyVersion(snap));
    expect(r.rows?.length).toBe(5);
    for (const row of r.rows ?? []) {
      expect(row.map((v) => v.tag)).toEqual([T.PidTagEntryId, T.PidTagContainerFlags, T.PidTagDepth, T.PidTagAddressBookContainerId, 0x3001001f, T.PidTagAddressBookIsMaster]);
    }
    const gal = r.rows?.[0] ?? [];
    expect(decodeEntryId(gal[0]?.value as Buffer)).toEqual({ type: 'permanent', displayType: DT.DT_CONTAINER, dn: '/' });
    expect(gal.slice(1).map((v) => v.value)).toEqual([AB_RECIPIENTS | AB_UNMODIFIABLE, 0, 0, 'Global Address List', false]);
    expect(r.rows?.[1]?.slice(1).map((v) => v.value)).toEqual([AB_SUBCONTAINERS | AB_UNMODIFIABLE, 0, snap.containers[1]?.containerId, 'All Address Lists', false]);
    expect(r.rows?.slice(2).map((row) => [row[2]?.value, row[4]?.value])).toEqual([
      [1, 'All Contacts'],
      [1, 'All Groups'],
      [1, 'All Users'],
    ]);
    const dn = decodeEntryId(r.rows?.[4]?.[0]?.value as Buffer);
    expect(dn.type === 'permanent' && dn.dn).toMatch(/^\/guid=[0-9A-F]{32}$/);
  });

  it('8-bit display names without NspiUnicodeStrings', async () => {
    const r = await nspiGetSpecialTable(s, 0, stat(), 0);
    expect(r.rows?.[0]?.[4]).toEqual({ tag: 0x3001001e, value: 'Global Address List' });
  });

  it('no rows when the client holds the current version (constraint 7)', async () => {
    const v = hierarchyVersion(snap);
    expect(await nspiGetSpecialTable(s, NspiUnicodeStrings, stat(), v)).toEqual({ ec: 0, version: v, rows: [] });
  });

  it('the container IDs open their tables', async () => {
    const r = await nspiGetSpecialTable(s, NspiUnicodeStrings, stat(), 0);
    const users = r.rows?.[4]?.[3]?.value as number;
    const q = await nspiQueryRows(s, { flags: 0, stat: stat({ ContainerID: users }), table: null, count: 100, propTags: [T.PidTagAccount] });
    expect(q.rows?.map((x) => x[0]?.value)).toEqual(['alice', 'alicia', 'bob', 'emile', 'zed', 'zoe', 'lilei']);
  });

  it('the address creation table is empty but well formed, for any locale, ignoring NspiUnicodeStrings', async () => {
    expect(await nspiGetSpecialTable(s, NspiAddressCreationTemplates | NspiUnicodeStrings, stat({ TemplateLocale: 0x411, CodePage: 1200 }), 7)).toEqual({ ec: 0, version: 7, rows: [] });
  });

  it('CP_WINUNICODE without NspiUnicodeStrings is refused, with it accepted', async () => {
    expect((await nspiGetSpecialTable(s, 0, stat({ CodePage: 1200 }), 0)).ec).toBe(MAPI_E.NO_SUPPORT);
    expect((await nspiGetSpecialTable(s, NspiUnicodeStrings, stat({ CodePage: 1200 }), 0)).ec).toBe(0);
    expect((await nspiGetSpecialTable(s, 0, stat({ CodePage: 99 }), 0)).ec).toBe(MAPI_E.UNKNOWN_CPID);
  });
});

describe('NspiQueryColumns (3.1.4.1.5)', () => {
  it('lists every property we serve, strings PT_UNICODE only with NspiUnicodeProptypes', () => {
    const u = nspiQueryColumns(NspiUnicodeProptypes).tags;
    const a = nspiQueryColumns(0).tags;
    expect(u).toContain(0x3001001f);
    expect(a).toContain(0x3001001e);
    expect(a).toContain(makeTag(0x800f, PT.MV_STRING8));
    expect(a.some((t) => propType(t) === PT.UNICODE || propType(t) === PT.MV_UNICODE)).toBe(false);
    expect(u.length).toBe(a.length);
    expect(new Set(a.map(propId)).size).toBe(a.length);
    expect(a).toContain(makeTag(0x8170, PT.MV_STRING8));
  });
});

describe('NspiGetTemplateInfo (3.1.4.1.18)', () => {
  it('returns the template of a display type and locale, the parts the flags ask for', () => {
    const r = nspiGetTemplateInfo(s, { flags: TI_TEMPLATE | TI_SCRIPT, type: DT.DT_MAILUSER, dn: null, codePage: 1252, localeId: 0x409 });
    expect(r.ec).toBe(0);
    expect(r.row?.map((v) => v.tag)).toEqual([T.PidTagTemplateData, T.PidTagScriptData]);
    const t = nspiGetTemplateInfo(s, { flags: TI_TEMPLATE, type: DT.DT_DISTLIST, dn: null, codePage: 1252, localeId: 0x409 });
    expect(t.row?.map((v) => v.tag)).toEqual([T.PidTagTemplateData]);
  });

  it('InvalidCodepage for CP_WINUNICODE and unknown code pages (constraints 3-4)', () => {
    expect(nspiGetTemplateInfo(s, { flags: TI_TEMPLATE, type: 0, dn: null, codePage: 1200, localeId: 0x409 })).toEqual({ ec: MAPI_E.UNKNOWN_CPID, row: null });
    expect(nspiGetTemplateInfo(s, { flags: TI_TEMPLATE, type: 0, dn: null, codePage: 1, localeId: 0x409 }).ec).toBe(MAPI_E.UNKNOWN_CPID);
  });

  it('InvalidLocale for a DN, a display type without template, or a locale value that is no LCID (constraint 5)', () => {
    expect(nspiGetTemplateInfo(s, { flags: TI_TEMPLATE, type: 0, dn: '/o=x/cn=templates', codePage: 1252, localeId: 0x409 }).ec).toBe(MAPI_E.UNKNOWN_LCID);
    expect(nspiGetTemplateInfo(s, { flags: TI_TEMPLATE, type: DT.DT_FORUM, dn: null, codePage: 1252, localeId: 0x409 }).ec).toBe(MAPI_E.UNKNOWN_LCID);
    expect(nspiGetTemplateInfo(s, { flags: TI_TEMPLATE, type: 0, dn: null, codePage: 1252, localeId: 0x1234567 }).ec).toBe(MAPI_E.UNKNOWN_LCID); // not an LCID
  });
});

describe('NspiGetNamesFromIDs / NspiGetIDsFromNames (MS-NSPI 3.1.4.16-17)', () => {
  it('names tagged properties by PS_MAPI and ours by their set, and back', () => {
    const r = nspiGetNamesFromIDs(null, [T.PidTagDisplayName, T.PidTagAddressBookMember, 0x7fff0003]);
    expect(r.ec).toBe(MAPI_E.SUCCESS);
    expect(r.names).toEqual([
      { guid: PS_MAPI, id: 0x3001 },
      { guid: PSETID_AddressBook, id: 0x8009 },
      { guid: PS_MAPI, id: 0x7fff },
    ]);
    const back = nspiGetIDsFromNames(r.names);
    expect(back).toEqual({ ec: 0, tags: [T.PidTagDisplayName, T.PidTagAddressBookMember, makeTag(0x7fff, PT.UNSPECIFIED)] });
  });

  it('ErrorsReturned for ids and names it does not map', () => {
    const r = nspiGetNamesFromIDs(null, [0x9999001f, T.PidTagDisplayName]);
    expect(r.ec).toBe(MAPI_E.ERRORS_RETURNED);
    expect(r.tags).toEqual([0x9999000a, T.PidTagDisplayName]);
    expect(r.names[0]).toEqual({ guid: null, id: 0 });
    const n = nspiGetIDsFromNames([{ guid: '01020304-0506-0708-090a-0b0c0d0e0f10', id: 1 }, { guid: null, id: 5 }, { guid: PSETID_AddressBook, id: 0x3001 }]);
    expect(n).toEqual({ ec: MAPI_E.ERRORS_RETURNED, tags: [UNMAPPED_TAG, UNMAPPED_TAG, UNMAPPED_TAG] });
  });

  it('without tags: every mapped name, or those of one property set', () => {
    const all = nspiGetNamesFromIDs(null, null);
    expect(all.tags.length).toBeGreaterThan(40);
    const ours = nspiGetNamesFromIDs(PSETID_AddressBook, null);
    expect(ours.names.every((n) => n.guid === PSETID_AddressBook && n.id >= 0x8000)).toBe(true);
    expect(ours.tags).toContain(T.PidTagAddressBookHomeMessageDatabase);
  });
});
