// NspiResolveNames(W) and ANR (MS-OXNSPI 3.1.4.1.16-17, 3.1.4.7): unique, ambiguous and unresolved strings, the
// exact and prefix tiers, non-ASCII names, containers, and the rows that come back.
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPI_E } from '../../../src/mapi/props.js';
import type { AddressBook } from '../../../src/nsp/ab/addressbook.js';
import { MID_AMBIGUOUS, MID_UNRESOLVED } from '../../../src/nsp/ab/constants.js';
import { nspiResolveNames } from '../../../src/nsp/ab/ops-table.js';
import type { NspiSession } from '../../../src/nsp/ab/session.js';
import type { Snapshot } from '../../../src/nsp/ab/snapshot.js';
import * as T from '../../../src/nsp/ab/tags.js';
import { decodeEntryId } from '../../../src/nsp/entryid.js';
import { bind, dnOf, newAddressBook, population, stat } from './fake-directory.js';

let ab: AddressBook;
let snap: Snapshot;
let s: NspiSession;
const mid = (account: string) => snap.entries.find((e) => e.account === account)?.mid as number;

beforeAll(async () => {
  ab = newAddressBook(population());
  snap = await ab.load();
  s = await bind(ab);
});

async function resolve(...names: Array<string | null>): Promise<number[]> {
  const r = await nspiResolveNames(s, { stat: stat(), propTags: [T.PidTagDisplayName], names });
  expect(r.ec).toBe(0);
  return r.mids ?? [];
}

describe('ANR outcomes', () => {
  it('a unique match gives the object\'s MId', async () => {
    expect(await resolve('Bob')).toEqual([mid('bob')]);
    expect(await resolve('bob smith', 'smith', 'Smith, Bob', 'Bob Smith')).toEqual(new Array(4).fill(mid('bob')));
    expect(await resolve('bob@example.com', 'SMTP:bob@example.com', 'bob.alias@example.org')).toEqual(new Array(3).fill(mid('bob')));
    expect(await resolve(dnOf('bob'))).toEqual([mid('bob')]);
    expect(await resolve('Building 7')).toEqual([mid('bob')]); // the office
  });

  it('"given surname", "surname given" and "surname, given" resolve exactly where the word prefixes are ambiguous', async () => {
    const d = population();
    d.addUser('annlee', 'A. Lee (Sales)', { givenName: 'Ann', surname: 'Lee' });
    d.addUser('annleeds', 'A. Leeds (Support)', { givenName: 'Ann', surname: 'Leeds' });
    const ab2 = newAddressBook(d);
    const snap2 = await ab2.load();
    const s2 = await bind(ab2);
    const m = (a: string) => snap2.entries.find((e) => e.account === a)?.mid as number;
    const r = await nspiResolveNames(s2, { stat: stat(), propTags: [T.PidTagDisplayName], names: ['ann lee', 'Lee Ann', 'lee, ann', 'ANN LEEDS', 'ann le', 'Lee'] });
    // "ann le" and "Lee" only prefix both: ambiguous
    expect(r.mids).toEqual([m('annlee'), m('annlee'), m('annlee'), m('annleeds'), MID_AMBIGUOUS, MID_AMBIGUOUS]);
  });

  it('several matches are MID_AMBIGUOUS, none MID_UNRESOLVED, NULL and "" unresolved (3.1.4.7)', async () => {
    expect(await resolve('ali', 'a', 'nobody here', null, '', '   ')).toEqual([MID_AMBIGUOUS, MID_AMBIGUOUS, MID_UNRESOLVED, MID_UNRESOLVED, MID_UNRESOLVED, MID_UNRESOLVED]);
  });

  it('an exact match wins over prefix matches; "=" asks for exact matches only', async () => {
    expect(await resolve('alice')).toEqual([mid('alice')]); // the alias, though "alicia" also starts with "ali"
    expect(await resolve('=Ali')).toEqual([MID_UNRESOLVED]);
    expect(await resolve('=alice liddell')).toEqual([mid('alice')]);
  });

  it('ignores case, accents and width for non-ASCII names', async () => {
    expect(await resolve('zoe angstrom', 'ZOË', 'Ångström', 'zoë ång', 'ｚｏｅ')).toEqual(new Array(5).fill(mid('zoe')));
    expect(await resolve('李雷', '李', '雷')).toEqual(new Array(3).fill(mid('lilei')));
    expect(await resolve('emile', 'Émile Zola', 'zola')).toEqual(new Array(3).fill(mid('emile')));
  });

  it('finds groups and contacts', async () => {
    expect(await resolve('sales', 'Sales Team', 'all staff')).toEqual([mid('sales'), mid('sales'), mid('all')]);
    expect(await resolve('partner@outside.example', 'external')).toEqual([mid('ext'), mid('ext')]);
  });

  it('never resolves the server and store objects', async () => {
    expect(await resolve('EXCH01', 'Mailbox Store')).toEqual([MID_UNRESOLVED, MID_UNRESOLVED]);
  });
});

describe('NspiResolveNamesW rows and containers', () => {
  it('returns one row per resolved string, in order, with Permanent entry IDs', async () => {
    const r = await nspiResolveNames(s, { stat: stat(), propTags: [T.PidTagEntryId, T.PidTagDisplayName, T.PidTagSmtpAddress], names: ['zoe', 'ali', 'nobody', 'bob'] });
    expect(r.mids).toEqual([mid('zoe'), MID_AMBIGUOUS, MID_UNRESOLVED, mid('bob')]);
    expect(r.rows?.map((row) => row[1]?.value)).toEqual(['Zoë Ångström', 'Bob Smith']);
    expect(decodeEntryId(r.rows?.[0]?.[0]?.value as Buffer)).toMatchObject({ type: 'permanent', dn: dnOf('zoe') });
    expect(r.rows?.[1]?.[2]?.value).toBe('bob@example.com');
  });

  it('uses the default columns when none are given', async () => {
    const r = await nspiResolveNames(s, { stat: stat(), propTags: null, names: ['bob'] });
    expect(r.rows?.[0]?.length).toBe(7);
    expect(r.rows?.[0]?.[3]?.value).toBe('Bob Smith');
  });

  it('resolves within the STAT\'s container', async () => {
    const users = snap.containers.find((c) => c.displayName === 'All Users')?.containerId as number;
    const lists = snap.containers.find((c) => c.displayName === 'All Address Lists')?.containerId as number;
    const r = await nspiResolveNames(s, { stat: stat({ ContainerID: users }), propTags: null, names: ['sales', 'al'] });
    expect(r.mids).toEqual([MID_UNRESOLVED, MID_AMBIGUOUS]); // "al": alice, alicia (the group All Staff is not a user)
    const r2 = await nspiResolveNames(s, { stat: stat({ ContainerID: users }), propTags: null, names: ['all'] });
    expect(r2.mids).toEqual([MID_UNRESOLVED]);
    const r3 = await nspiResolveNames(s, { stat: stat({ ContainerID: lists }), propTags: null, names: ['bob'] });
    expect(r3.mids).toEqual([MID_UNRESOLVED]);
  });

  it('errors: unknown container, CP_WINUNICODE, unknown code page, too many columns', async () => {
    expect((await nspiResolveNames(s, { stat: stat({ ContainerID: 0xdead }), propTags: null, names: ['bob'] })).ec).toBe(MAPI_E.INVALID_BOOKMARK);
    expect(await nspiResolveNames(s, { stat: stat({ CodePage: 1200 }), propTags: null, names: ['bob'] })).toEqual({ ec: MAPI_E.NO_SUPPORT, mids: null, rows: null });
    expect((await nspiResolveNames(s, { stat: stat({ CodePage: 7 }), propTags: null, names: ['bob'] })).ec).toBe(MAPI_E.UNKNOWN_CPID);
    expect((await nspiResolveNames(s, { stat: stat(), propTags: new Array(5000).fill(T.PidTagDisplayName), names: ['bob'] })).ec).toBe(MAPI_E.TABLE_TOO_BIG);
  });

  it('sees directory changes after the next refresh', async () => {
    const dir = population();
    let now = 0;
    const ab2 = newAddressBook(dir, { now: () => now });
    const s2 = await bind(ab2);
    const r1 = await nspiResolveNames(s2, { stat: stat(), propTags: null, names: ['newcomer'] });
    expect(r1.mids).toEqual([MID_UNRESOLVED]);
    dir.addUser('newcomer', 'New Comer');
    now = 2000;
    const r2 = await nspiResolveNames(s2, { stat: stat(), propTags: null, names: ['newcomer'] });
    expect(r2.mids?.[0]).toBeGreaterThanOrEqual(0x10);
  });
});
