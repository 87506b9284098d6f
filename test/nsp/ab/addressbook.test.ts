// The address book model: what a snapshot holds, Minimal Entry IDs across rebuilds, the refresh throttle, the
// hierarchy (MS-OXOABK 3.1.4.1) and the sort order (MS-OXNSPI 3.1.4.3.6).
import { describe, expect, it } from 'vitest';
import { DT, MAPI_OBJECT_TYPE, MID_FIRST_OBJECT } from '../../../src/nsp/ab/constants.js';
import { nspiQueryRows } from '../../../src/nsp/ab/ops-table.js';
import { printableName } from '../../../src/nsp/ab/snapshot.js';
import * as T from '../../../src/nsp/ab/tags.js';
import { bind, dnOf, FakeDirectory, newAddressBook, population, SERVER_DN, stat, STORE_DN } from './fake-directory.js';

describe('address book snapshot', () => {
  it('holds users, groups, contacts, the server and the store, each under its DN', async () => {
    const ab = newAddressBook(population());
    const snap = await ab.load();
    expect(snap.entries.map((e) => e.kind).sort()).toEqual(
      ['contact', 'group', 'group', 'server', 'store', 'user', 'user', 'user', 'user', 'user', 'user', 'user'].sort(),
    );
    const alice = snap.byDn.get(dnOf('alice').toLowerCase());
    expect(alice?.displayType).toBe(DT.DT_MAILUSER);
    expect(alice?.objectType).toBe(MAPI_OBJECT_TYPE.MAPI_MAILUSER);
    expect(snap.byDn.get(dnOf('sales').toLowerCase())?.displayType).toBe(DT.DT_DISTLIST);
    expect(snap.byDn.get(dnOf('sales').toLowerCase())?.objectType).toBe(MAPI_OBJECT_TYPE.MAPI_DISTLIST);
    expect(snap.byDn.get(dnOf('ext').toLowerCase())?.displayType).toBe(DT.DT_REMOTE_MAILUSER);
    expect(snap.byDn.get(SERVER_DN.toLowerCase())?.kind).toBe('server');
    expect(snap.byDn.get(STORE_DN.toLowerCase())?.kind).toBe('store');
    for (const e of snap.entries) expect(e.mid).toBeGreaterThanOrEqual(MID_FIRST_OBJECT);
  });

  it('resolves group members by name (users, groups, contacts) and records the back-links', async () => {
    const snap = await newAddressBook(population()).load();
    const sales = snap.byDn.get(dnOf('sales').toLowerCase());
    const all = snap.byDn.get(dnOf('all').toLowerCase());
    expect(sales?.members.map((m) => m.account)).toEqual(['alice', 'bob', 'ext']);
    expect(all?.members.map((m) => m.account)).toEqual(['sales', 'zoe', 'lilei']);
    expect(sales?.memberOf.map((m) => m.account)).toEqual(['all']);
    expect(snap.byUsername.get('alice')?.memberOf.map((m) => m.account)).toEqual(['sales']);
  });

  it('keeps every MId across rebuilds, gives new objects new ones and never reuses a removed one', async () => {
    const dir = population();
    const ab = newAddressBook(dir);
    const before = await ab.load();
    const mids = new Map(before.entries.map((e) => [e.dn, e.mid]));
    const containers = before.containers.map((c) => c.containerId);
    const bobMid = mids.get(dnOf('bob'));
    dir.remove('bob');
    dir.addUser('newbie', 'New Bie');
    const after = await ab.load();
    expect(after).not.toBe(before);
    for (const e of after.entries) if (mids.has(e.dn)) expect(e.mid).toBe(mids.get(e.dn));
    expect(after.containers.map((c) => c.containerId)).toEqual(containers);
    const newbie = after.byUsername.get('newbie');
    expect(newbie && [...mids.values()].includes(newbie.mid)).toBe(false);
    expect(after.entry(bobMid as number)).toBeUndefined();
    dir.addUser('bob', 'Bob Smith');
    expect((await ab.load()).byUsername.get('bob')?.mid).toBe(bobMid);
  });

  it('looks at the generation at most once per refresh interval and rebuilds only when it moved', async () => {
    const dir = population();
    let now = 0;
    const ab = newAddressBook(dir, { now: () => now });
    const s1 = await ab.snapshot();
    expect(dir.calls.generation).toBe(1);
    expect(await ab.snapshot()).toBe(s1);
    now = 500;
    expect(await ab.snapshot()).toBe(s1);
    expect(dir.calls.generation).toBe(1);
    now = 1500;
    expect(await ab.snapshot()).toBe(s1); // generation unchanged: same snapshot
    expect(dir.calls.generation).toBe(2);
    expect(dir.calls.listUsers).toBe(1);
    dir.addUser('late', 'Late Comer');
    expect(await ab.snapshot()).toBe(s1); // within the interval: not looked at yet
    now = 3000;
    const s2 = await ab.snapshot();
    expect(s2).not.toBe(s1);
    expect(s2.byUsername.has('late')).toBe(true);
  });

  it('shares one rebuild between concurrent callers', async () => {
    const dir = population();
    const ab = newAddressBook(dir);
    const [a, b, c] = await Promise.all([ab.snapshot(), ab.snapshot(), ab.snapshot()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(dir.calls.listUsers).toBe(1);
  });

  it('keeps serving the previous snapshot when the directory fails', async () => {
    const dir = population();
    let now = 0;
    const ab = newAddressBook(dir, { now: () => now });
    const s1 = await ab.snapshot();
    dir.generation = async () => {
      throw new Error('directory down');
    };
    now = 5000;
    expect(await ab.snapshot()).toBe(s1);
  });

  it('fails the first load when the directory fails', async () => {
    const dir = new FakeDirectory();
    dir.listUsers = async () => {
      throw new Error('nope');
    };
    await expect(newAddressBook(dir).load()).rejects.toThrow('nope');
  });

  it('skips objects whose DN an entry ID cannot carry, and duplicate DNs', async () => {
    const dir = population();
    dir.addUser('weird', 'Weird', {}, { legacyExchangeDN: `${dnOf('wé')}` });
    dir.addUser('dup', 'Duplicate', {}, { legacyExchangeDN: dnOf('alice') });
    const snap = await newAddressBook(dir).load();
    expect(snap.byUsername.has('weird')).toBe(false);
    expect(snap.byUsername.get('alice')?.displayName).toBe('Alice Liddell');
  });

  it('lays out the hierarchy: GAL (id 0, DN "/"), All Address Lists and its three lists', async () => {
    const snap = await newAddressBook(population()).load();
    expect(snap.containers.map((c) => [c.displayName, c.depth, c.dn === '/' ? '/' : c.dn.slice(0, 6)])).toEqual([
      ['Global Address List', 0, '/'],
      ['All Address Lists', 0, '/guid='],
      ['All Contacts', 1, '/guid='],
      ['All Groups', 1, '/guid='],
      ['All Users', 1, '/guid='],
    ]);
    expect(snap.gal.containerId).toBe(0);
    for (const c of snap.containers.slice(1)) expect(c.dn).toMatch(/^\/guid=[0-9A-F]{32}$/);
    const users = snap.containers.find((c) => c.displayName === 'All Users');
    expect(users && snap.table(users, 0x409).entries.every((e) => e.kind === 'user')).toBe(true);
    expect(snap.table(snap.gal, 0x409).entries.length).toBe(10);
    expect(snap.galSize).toBe(10);
  });
});

describe('sorting by display name (MS-OXNSPI 3.1.4.3.6)', () => {
  const names = (locale: number) =>
    newAddressBook(population())
      .load()
      .then((s) => s.table(s.gal, locale).entries.map((e) => e.displayName));

  it('sorts with the locale collation, accents and case ignored at the first level', async () => {
    const en = await names(0x409);
    expect(en).toEqual([
      'Alice Liddell',
      'Alicia Keys',
      'All Staff',
      'Bob Smith',
      'Émile Zola',
      'External Partner',
      'Sales Team',
      'Zed Zulu',
      'Zoë Ångström',
      '李雷',
    ]);
  });

  it('uses the closest supported locale: Swedish puts Å after Z, an unknown LCID sorts as 0x409', async () => {
    const dir = new FakeDirectory();
    dir.addUser('a1', 'Åsa Berg');
    dir.addUser('a2', 'Zelda Ek');
    dir.addUser('a3', 'Anna Berg');
    const ab = newAddressBook(dir);
    const s = await ab.load();
    expect(s.table(s.gal, 0x41d).entries.map((e) => e.account)).toEqual(['a3', 'a2', 'a1']);
    expect(s.table(s.gal, 0x409).entries.map((e) => e.account)).toEqual(['a3', 'a1', 'a2']);
    expect(s.table(s.gal, 0x12345).entries.map((e) => e.account)).toEqual(['a3', 'a1', 'a2']);
    expect(s.table(s.gal, 0x081d).entries.map((e) => e.account)).toEqual(['a3', 'a2', 'a1']); // sv-FI
  });

  it('orders equal display names by MId, so that positions are stable', async () => {
    const dir = new FakeDirectory();
    for (const n of ['x3', 'x1', 'x2']) dir.addUser(n, 'Same Name');
    const s = await newAddressBook(dir).load();
    const mids = s.table(s.gal, 0x409).entries.map((e) => e.mid);
    expect(mids).toEqual([...mids].sort((a, b) => a - b));
  });

  it('QueryRows over the whole GAL returns that order', async () => {
    const ab = newAddressBook(population());
    const s = await bind(ab);
    const r = await nspiQueryRows(s, { flags: 0, stat: stat(), table: null, count: 100, propTags: [T.PidTagDisplayName] });
    expect(r.rows?.map((row) => row[0]?.value)).toEqual(await names(0x409));
  });
});

describe('printable display names (MS-OXOABK 2.2.3.7)', () => {
  it('folds accents to 7 bits and falls back to the alias when nothing printable is left', () => {
    expect(printableName('Zoë Ångström', 'zoe')).toBe('Zoe Angstrom');
    expect(printableName('李雷', 'lilei')).toBe('lilei');
    // letters NFKD keeps whole are spelled in ASCII (exchanger.py showed "gir orsson" before)
    expect(printableName('Ægir Þórsson 6', 'user006')).toBe('AEgir Thorsson 6');
    expect(printableName('Søren Kierkegaard', 's')).toBe('Soren Kierkegaard');
    expect(printableName('Łukasz Żółć', 'l')).toBe('Lukasz Zolc');
    expect(printableName('Bob  Smith ', 'bob')).toBe('Bob Smith');
  });
});
