// NspiGetProps, NspiGetPropList, NspiDNToMId, NspiModProps, NspiModLinkAtt (MS-OXNSPI 3.1.4.1.6-7, .13-15) and the
// properties of each kind of object (MS-OXOABK 2.2, MS-OXNSPI 3.1.4.2).
import { beforeEach, describe, expect, it } from 'vitest';
import { MAPI_E, PT, makeTag, propId, propType } from '../../../src/mapi/props.js';
import type { AddressBook } from '../../../src/nsp/ab/addressbook.js';
import { DT, GUID_NSPI, MID_CURRENT, fDelete, fEphID, fSkipObjects } from '../../../src/nsp/ab/constants.js';
import { nspiDNToMId, nspiGetPropList, nspiGetProps, nspiModLinkAtt, nspiModProps } from '../../../src/nsp/ab/ops-props.js';
import { nspiGetMatches, nspiResolveNames } from '../../../src/nsp/ab/ops-table.js';
import type { Stat } from '../../../src/nsp/ab/position.js';
import type { NspiSession } from '../../../src/nsp/ab/session.js';
import type { Snapshot } from '../../../src/nsp/ab/snapshot.js';
import * as T from '../../../src/nsp/ab/tags.js';
import { decodeEntryId, encodeEphemeralEntryId, encodePermanentEntryId } from '../../../src/nsp/entryid.js';
import { guidToBytes } from '../../../src/util/guid.js';
import { bind, dnOf, FakeDirectory, newAddressBook, population, SERVER_DN, stat, STORE_DN } from './fake-directory.js';

let dir: FakeDirectory;
let ab: AddressBook;
let snap: Snapshot;
let s: NspiSession;
const mid = (account: string) => snap.entries.find((e) => e.account === account && e.kind !== 'store')?.mid as number;

beforeEach(async () => {
  dir = population();
  ab = newAddressBook(dir);
  snap = await ab.load();
  s = await bind(ab, 'alice');
});

async function props(account: string | number, tags: number[] | null, flags = 0, over: Partial<Stat> = {}) {
  const m = typeof account === 'number' ? account : mid(account);
  return nspiGetProps(s, flags, stat({ CurrentRec: m, ...over }), tags);
}
const valueOf = async (account: string, tag: number, flags = 0) => (await props(account, [tag], flags)).row?.[0];

describe('required properties of every object (MS-OXNSPI 3.1.4.2)', () => {
  const required = [
    T.PidTagObjectType, T.PidTagInitialDetailsPane, T.PidTagAddressBookDisplayNamePrintable, T.PidTagAddressBookContainerId,
    T.PidTagEntryId, T.PidTagInstanceKey, T.PidTagSearchKey, T.PidTagRecordKey, T.PidTagAddressType, T.PidTagEmailAddress,
    T.PidTagDisplayType, T.PidTagTemplateid, T.PidTagTransmittableDisplayName, T.PidTagDisplayName, T.PidTagMappingSignature,
    T.PidTagAddressBookObjectDistinguishedName,
  ];
  for (const who of ['alice', 'sales', 'ext', 'EXCH01']) {
    it(`${who} has them all`, async () => {
      const r = await props(who, required);
      expect(r.ec).toBe(MAPI_E.SUCCESS);
      expect(r.row?.every((v) => propType(v.tag) !== PT.ERROR)).toBe(true);
    });
  }

  it('distribution lists also have PidTagContainerContents and PidTagContainerFlags', async () => {
    const r = await props('sales', [T.PidTagContainerContents, T.PidTagContainerFlags]);
    expect(r.ec).toBe(0);
    expect(r.row?.map((v) => v.value)).toEqual([0, 0x09]);
  });
});

describe('values', () => {
  it('identity: EX address type, DN as e-mail address, search key, mapping signature, instance key', async () => {
    const r = await props('alice', [T.PidTagAddressType, T.PidTagEmailAddress, T.PidTagSearchKey, T.PidTagMappingSignature, T.PidTagInstanceKey, T.PidTagObjectType, T.PidTagDisplayType, T.PidTagDisplayTypeEx]);
    const [addrType, email, searchKey, sig, inst, ot, dt, dtx] = r.row?.map((v) => v.value) ?? [];
    expect(addrType).toBe('EX');
    expect(email).toBe(dnOf('alice'));
    expect((searchKey as Buffer).toString('latin1')).toBe(`EX:${dnOf('alice').toUpperCase()}\0`);
    expect(sig).toEqual(guidToBytes(GUID_NSPI));
    expect((inst as Buffer).readUInt32LE(0)).toBe(mid('alice'));
    expect([ot, dt, dtx]).toEqual([6, 0, 0x40000000]);
  });

  it('person fields, addresses, home MDB, membership as DNs', async () => {
    const tags = [T.PidTagGivenName, T.PidTagSurname, T.PidTagTitle, T.PidTagDepartmentName, T.PidTagCompanyName, T.PidTagOfficeLocation,
      T.PidTagBusinessTelephoneNumber, T.PidTagMobileTelephoneNumber, T.PidTagBusinessFaxNumber, T.PidTagStreetAddress, T.PidTagLocality,
      T.PidTagStateOrProvince, T.PidTagPostalCode, T.PidTagCountry, T.PidTagSmtpAddress, T.PidTagAccount, T.PidTagAddressBookProxyAddresses,
      T.PidTagAddressBookHomeMessageDatabase, makeTag(0x8008, PT.MV_STRING8)];
    const r = await props('alice', tags);
    expect(r.ec).toBe(0);
    expect(r.row?.map((v) => v.value)).toEqual([
      'Alice', 'Liddell', 'Explorer', 'Wonder', 'Looking Glass', 'Rabbit Hole 1', '+1 555 0100', '+1 555 0101', '+1 555 0102',
      '1 Hole Rd', 'Oxford', 'Oxon', 'OX1', 'UK', 'alice@example.com', 'alice',
      ['SMTP:alice@example.com', 'smtp:alice.alias@example.org'], STORE_DN, [dnOf('sales')],
    ]);
  });

  it('PidTagAddressBookMember: PT_OBJECT, or the member DNs as PT_MV_STRING8/PT_MV_UNICODE', async () => {
    expect(await valueOf('sales', T.PidTagAddressBookMember)).toEqual({ tag: T.PidTagAddressBookMember, value: 0 });
    expect((await valueOf('sales', makeTag(0x8009, PT.MV_STRING8)))?.value).toEqual([dnOf('alice'), dnOf('bob'), dnOf('ext')]);
    expect((await valueOf('sales', makeTag(0x8009, PT.MV_UNICODE)))?.tag).toBe(makeTag(0x8009, PT.MV_UNICODE));
  });

  it('the server object carries PR_EMS_AB_NETWORK_ADDRESS', async () => {
    const r = await nspiGetProps(s, 0, stat({ CurrentRec: snap.byDn.get(SERVER_DN.toLowerCase())?.mid }), [T.PidTagAddressBookNetworkAddress, makeTag(0x8170, PT.MV_STRING8)]);
    expect(r.row?.map((v) => v.value)).toEqual([
      ['ncacn_ip_tcp:exch01.example.com', 'ncacn_http:exch01.example.com'],
      ['ncacn_ip_tcp:exch01.example.com', 'ncacn_http:exch01.example.com'],
    ]);
  });

  it('strings come in the type asked for; PT_UNSPECIFIED gets the native type; other types are NotFound', async () => {
    expect(await valueOf('zoe', 0x3001001e)).toEqual({ tag: 0x3001001e, value: 'Zoë Ångström' });
    expect(await valueOf('zoe', 0x30010000)).toEqual({ tag: 0x3001001f, value: 'Zoë Ångström' });
    expect(await valueOf('zoe', 0x30010003)).toEqual({ tag: 0x3001000a, value: MAPI_E.NOT_FOUND });
    expect(await valueOf('zoe', makeTag(0x800f, PT.MV_STRING8))).toMatchObject({ tag: makeTag(0x800f, PT.MV_STRING8) });
  });

  it('PidTagAddressBookContainerId is the container the row is read through', async () => {
    const users = snap.containers.find((c) => c.displayName === 'All Users')?.containerId as number;
    const r = await props('alice', [T.PidTagAddressBookContainerId], 0, { ContainerID: users });
    expect(r.row?.[0]?.value).toBe(users);
  });

  it('entry IDs round-trip: Permanent by DN, Ephemeral by MId with our server GUID', async () => {
    for (const who of ['alice', 'sales', 'ext', 'lilei']) {
      const e = snap.entries.find((x) => x.account === who);
      const perm = decodeEntryId((await valueOf(who, T.PidTagEntryId))?.value as Buffer);
      expect(perm).toEqual({ type: 'permanent', displayType: e?.displayType, dn: e?.dn });
      expect((await nspiDNToMId(s, [perm.type === 'permanent' ? perm.dn : ''])).mids).toEqual([e?.mid]);
      const eph = decodeEntryId((await valueOf(who, T.PidTagEntryId, fEphID))?.value as Buffer);
      expect(eph).toEqual({ type: 'ephemeral', providerUid: ab.serverGuid, displayType: e?.displayType, mid: e?.mid });
      expect((await valueOf(who, T.PidTagRecordKey, fEphID))?.value).toEqual((await valueOf(who, T.PidTagEntryId, fEphID))?.value);
      expect(decodeEntryId((await valueOf(who, T.PidTagTemplateid, fEphID))?.value as Buffer).type).toBe('permanent');
    }
  });
});

describe('NspiGetProps (3.1.4.1.7)', () => {
  it('ErrorsReturned with PT_ERROR NotFound for missing properties; duplicates kept in order', async () => {
    const r = await props('bob', [T.PidTagDisplayName, T.PidTagTitle, T.PidTagDisplayName]);
    expect(r.ec).toBe(MAPI_E.ERRORS_RETURNED);
    expect(r.row).toEqual([
      { tag: T.PidTagDisplayName, value: 'Bob Smith' },
      { tag: makeTag(propId(T.PidTagTitle), PT.ERROR), value: MAPI_E.NOT_FOUND },
      { tag: T.PidTagDisplayName, value: 'Bob Smith' },
    ]);
  });

  it('an object it cannot locate (MID_CURRENT too, 2.2.1.8) reads as one without values (constraint 11)', async () => {
    for (const m of [0x99999, MID_CURRENT, 0]) {
      const r = await props(m, [T.PidTagDisplayName]);
      expect(r.ec).toBe(MAPI_E.ERRORS_RETURNED);
      expect(r.row?.[0]?.tag).toBe(0x3001000a);
    }
  });

  it('no tags: exactly NspiGetPropList\'s list, all present', async () => {
    const list = await nspiGetPropList(s, 0, mid('alice'), 1252);
    const r = await props('alice', null);
    expect(r.ec).toBe(0);
    expect(r.row?.map((v) => v.tag)).toEqual(list.tags);
  });

  it('CP_WINUNICODE with a PT_STRING8 tag is refused; with Unicode tags it is fine', async () => {
    expect((await props('alice', [0x3001001e], 0, { CodePage: 1200 })).ec).toBe(MAPI_E.NO_SUPPORT);
    expect((await props('alice', [0x3001001f], 0, { CodePage: 1200 })).ec).toBe(0);
    expect((await props('alice', [0x3001001f], 0, { CodePage: 3 })).ec).toBe(MAPI_E.UNKNOWN_CPID);
  });

  it('InvalidBookmark for an unknown container (constraint 4), TableTooBig for too many tags (constraint 6)', async () => {
    expect(await props('alice', [T.PidTagDisplayName], 0, { ContainerID: 0xbad })).toEqual({ ec: MAPI_E.INVALID_BOOKMARK, row: null });
    expect((await props('alice', new Array(1001).fill(T.PidTagDisplayName))).ec).toBe(MAPI_E.TABLE_TOO_BIG);
  });
});

describe('NspiGetPropList (3.1.4.1.6)', () => {
  it('lists what the object has; strings PT_STRING8 unless CP_WINUNICODE; fSkipObjects drops PT_OBJECT', async () => {
    const a = (await nspiGetPropList(s, 0, mid('sales'), 1252)).tags ?? [];
    expect(a).toContain(T.PidTagAddressBookMember);
    expect(a).toContain(0x3001001e);
    expect(a).not.toContain(0x3001001f);
    expect(a).not.toContain(T.PidTagTitle);
    const u = (await nspiGetPropList(s, fSkipObjects, mid('sales'), 1200)).tags ?? [];
    expect(u).toContain(0x3001001f);
    expect(u.some((t) => propType(t) === PT.OBJECT)).toBe(false);
  });

  it('an unknown MId has no properties', async () => {
    expect(await nspiGetPropList(s, 0, 0x4444444, 1252)).toEqual({ ec: 0, tags: [] });
  });
});

describe('NspiDNToMId (3.1.4.1.13)', () => {
  it('maps DNs case-insensitively, 0 for the unknown, the server and store too', async () => {
    const r = await nspiDNToMId(s, [dnOf('ALICE').toUpperCase(), '/o=nowhere/cn=x', null, '', SERVER_DN, STORE_DN, dnOf('sales')]);
    expect(r.mids).toEqual([
      mid('alice'), 0, 0, 0,
      snap.byDn.get(SERVER_DN.toLowerCase())?.mid,
      snap.byDn.get(STORE_DN.toLowerCase())?.mid,
      mid('sales'),
    ]);
  });
});

describe('GUID DNs and X500 proxies', () => {
  it('"/guid=<hex of the object GUID>" and the NT5 form name the object, in DNToMId and ANR', async () => {
    const guid = (await valueOf('zoe', T.PidTagAddressBookObjectGuid))?.value as Buffer;
    const hex = guid.toString('hex');
    const r = await nspiDNToMId(s, [`/guid=${hex.toUpperCase()}`, `/o=NT5/ou=00000000000000000000000000000000/cn=${hex}`, '/guid=00112233445566778899aabbccddeeff']);
    expect(r.mids).toEqual([mid('zoe'), mid('zoe'), 0]);
    expect((await nspiResolveNames(s, { stat: stat(), propTags: null, names: [`/guid=${hex}`] })).mids).toEqual([mid('zoe')]);
  });

  it('an X500 proxy address (a former DN) maps to its object', async () => {
    dir.addUser('moved', 'Moved User', {}, { proxyAddresses: ['SMTP:moved@example.com', 'X500:/o=Old Org/ou=First/cn=Recipients/cn=moved'] });
    const snap2 = await ab.load();
    const r = await nspiDNToMId(s, ['/O=old org/ou=First/cn=Recipients/cn=MOVED']);
    expect(r.mids).toEqual([snap2.byUsername.get('moved')?.mid]);
  });

  it('container DNs carry the hex of the GUID bytes as stored', () => {
    for (const c of snap.containers.slice(1)) expect(c.dn).toMatch(/^\/guid=[0-9A-F]{32}$/);
  });
});

describe('NspiModProps (3.1.4.1.14)', () => {
  const cert = Buffer.from('308201', 'hex');
  const certRow = (v: Buffer[]) => [{ tag: T.PidTagAddressBookX509Certificate, value: v }];

  it('a user publishes, replaces and removes its own certificates', async () => {
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), [], certRow([cert]))).toEqual({ ec: 0 });
    expect(dir.self.get('alice')?.certificates).toEqual([cert]);
    expect((await valueOf('alice', T.PidTagAddressBookX509Certificate))?.value).toEqual([cert]);
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), [T.PidTagAddressBookX509Certificate], [])).toEqual({ ec: 0 });
    expect(dir.self.get('alice')?.certificates).toEqual([]);
    expect((await valueOf('alice', T.PidTagAddressBookX509Certificate))?.tag).toBe(0x8c6a000a);
  });

  it('refuses: NULL pPropTags InvalidParameter, unknown object InvalidParameter, a list InvalidObject', async () => {
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), null, certRow([cert]))).toEqual({ ec: MAPI_E.INVALID_PARAMETER });
    expect(await nspiModProps(s, stat({ CurrentRec: 0x31337 }), [], certRow([cert]))).toEqual({ ec: MAPI_E.INVALID_PARAMETER });
    expect(await nspiModProps(s, stat({ CurrentRec: mid('sales') }), [], certRow([cert]))).toEqual({ ec: MAPI_E.INVALID_OBJECT });
    expect(await nspiModProps(s, stat({ CurrentRec: mid('ext') }), [], certRow([cert]))).toEqual({ ec: MAPI_E.INVALID_OBJECT });
  });

  it('refuses another user\'s object and any other property with AccessDenied, changing nothing', async () => {
    expect(await nspiModProps(s, stat({ CurrentRec: mid('bob') }), [], certRow([cert]))).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), [], [{ tag: T.PidTagDisplayName, value: 'Mallory' }])).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), [T.PidTagTitle], certRow([cert]))).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), [], [{ tag: T.PidTagUserX509Certificate, value: [cert] }])).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(dir.calls.setCertificates).toBe(0);
  });

  it('a value of the wrong type is InvalidParameter; a read-only directory AccessDenied; CP_WINUNICODE refused', async () => {
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), [], [{ tag: 0x8c6a0102, value: cert }])).toEqual({ ec: MAPI_E.INVALID_PARAMETER });
    dir.readOnly = true;
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice') }), [], certRow([cert]))).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(await nspiModProps(s, stat({ CurrentRec: mid('alice'), CodePage: 1200 }), [], certRow([cert]))).toEqual({ ec: MAPI_E.NO_SUPPORT });
  });
});

describe('NspiModLinkAtt (3.1.4.1.15)', () => {
  const eph = (who: string) => encodeEphemeralEntryId({ providerUid: ab.serverGuid, displayType: DT.DT_MAILUSER, mid: mid(who) });
  const perm = (who: string) => encodePermanentEntryId({ displayType: DT.DT_MAILUSER, dn: dnOf(who) });

  it('adds and removes one\'s own delegates by Ephemeral or Permanent entry ID', async () => {
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookPublicDelegates, mid('alice'), [eph('bob'), perm('zoe')])).toEqual({ ec: 0 });
    expect(dir.self.get('alice')?.delegates).toEqual(['bob', 'zoe']);
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookPublicDelegates, mid('alice'), [eph('bob')])).toEqual({ ec: 0 }); // present: ignored
    expect(dir.calls.setDelegates).toBe(1);
    const dl = await valueOf('alice', makeTag(0x8015, PT.MV_STRING8));
    expect(dl?.value).toEqual([dnOf('bob'), dnOf('zoe')]);
    // the back-link on the delegate
    expect((await valueOf('bob', makeTag(0x8110, PT.MV_STRING8)))?.value).toEqual([dnOf('alice')]);
    // the delegates as an Explicit Table (GetMatches on the property), SortTypeDisplayName_W on one's own
    const gm = await nspiGetMatches(s, { reserved1: 0, stat: stat({ SortType: 0x3e9, ContainerID: T.PidTagAddressBookPublicDelegates, CurrentRec: mid('alice') }), filter: null, propName: null, requested: 10, propTags: null });
    expect(gm.mids).toEqual([mid('bob'), mid('zoe')]);
    expect(await nspiModLinkAtt(s, fDelete, T.PidTagAddressBookPublicDelegates, mid('alice'), [perm('bob'), perm('lilei')])).toEqual({ ec: 0 });
    expect(dir.self.get('alice')?.delegates).toEqual(['zoe']);
  });

  it('ignores entry IDs that name no user of this server', async () => {
    const foreign = encodeEphemeralEntryId({ providerUid: '99999999-2222-3333-4444-555555555555', displayType: 0, mid: mid('bob') });
    const junk = Buffer.from('not an entry id at all, but long enough');
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookPublicDelegates, mid('alice'), [foreign, junk, perm('sales'), perm('nobody')])).toEqual({ ec: 0 });
    expect(dir.calls.setDelegates).toBe(0);
  });

  it('refuses others\' delegates, list membership and unknown objects; unknown properties are NotFound', async () => {
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookPublicDelegates, mid('bob'), [eph('zoe')])).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookMember, mid('sales'), [eph('zoe')])).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookPublicDelegates, mid('sales'), [eph('zoe')])).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookPublicDelegates, 0x56565, [eph('zoe')])).toEqual({ ec: MAPI_E.INVALID_PARAMETER });
    expect(await nspiModLinkAtt(s, 0, 0x7ffe000d, mid('alice'), [eph('zoe')])).toEqual({ ec: MAPI_E.NOT_FOUND });
    dir.readOnly = true;
    expect(await nspiModLinkAtt(s, 0, T.PidTagAddressBookPublicDelegates, mid('alice'), [eph('zoe')])).toEqual({ ec: MAPI_E.NO_ACCESS });
    expect(dir.self.get('alice')).toBeUndefined();
  });
});
