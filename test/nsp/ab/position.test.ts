// Positioning in status-based tables (MS-OXNSPI 3.1.4.5) through NspiUpdateStat (3.1.4.1.4) and NspiQueryRows
// (3.1.4.1.8): bookmarks, absolute and fractional positions, Delta past either end, and random STATs.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPI_E } from '../../../src/mapi/props.js';
import { MID_BEGINNING_OF_TABLE, MID_CURRENT, MID_END_OF_TABLE } from '../../../src/nsp/ab/constants.js';
import { nspiQueryRows, nspiUpdateStat } from '../../../src/nsp/ab/ops-table.js';
import type { Stat } from '../../../src/nsp/ab/position.js';
import type { NspiSession } from '../../../src/nsp/ab/session.js';
import * as T from '../../../src/nsp/ab/tags.js';
import { bind, FakeDirectory, newAddressBook, stat } from './fake-directory.js';

let s: NspiSession;
let mids: number[]; // the GAL in order: 20 users u00..u19
let usersContainer: number;

beforeAll(async () => {
  const dir = new FakeDirectory();
  for (let i = 0; i < 20; i++) dir.addUser(`u${String(i).padStart(2, '0')}`, `User ${String(i).padStart(2, '0')}`);
  const ab = newAddressBook(dir);
  s = await bind(ab, 'u00');
  const snap = await ab.load();
  mids = snap.table(snap.gal, 0x409).entries.map((e) => e.mid);
  usersContainer = snap.containers.find((c) => c.displayName === 'All Users')?.containerId as number;
});

const update = (over: Partial<Stat>) => nspiUpdateStat(s, stat(over), true);

describe('NspiUpdateStat absolute positioning (3.1.4.5.1)', () => {
  it('MID_BEGINNING_OF_TABLE is row 0, MID_END_OF_TABLE one past the last', async () => {
    let r = await update({ CurrentRec: MID_BEGINNING_OF_TABLE });
    expect(r).toMatchObject({ ec: 0, delta: 0, stat: { CurrentRec: mids[0], NumPos: 0, TotalRecs: 20, Delta: 0 } });
    r = await update({ CurrentRec: MID_END_OF_TABLE });
    expect(r).toMatchObject({ ec: 0, delta: 0, stat: { CurrentRec: MID_END_OF_TABLE, NumPos: 20, TotalRecs: 20 } });
  });

  it('an object row, moved by Delta in both directions', async () => {
    let r = await update({ CurrentRec: mids[5], Delta: 3 });
    expect(r).toMatchObject({ ec: 0, delta: 3, stat: { CurrentRec: mids[8], NumPos: 8 } });
    r = await update({ CurrentRec: mids[5], Delta: -2 });
    expect(r).toMatchObject({ ec: 0, delta: -2, stat: { CurrentRec: mids[3], NumPos: 3 } });
  });

  it('Delta before the first row clamps to the first row (step 7)', async () => {
    const r = await update({ CurrentRec: mids[2], Delta: -10 });
    expect(r).toMatchObject({ ec: 0, delta: -2, stat: { CurrentRec: mids[0], NumPos: 0 } });
    const r2 = await update({ CurrentRec: MID_END_OF_TABLE, Delta: -0x7fffffff });
    expect(r2).toMatchObject({ ec: 0, delta: -20, stat: { CurrentRec: mids[0], NumPos: 0 } });
  });

  it('Delta past the end goes one past the last row, CurrentRec MID_END_OF_TABLE (step 8)', async () => {
    const r = await update({ CurrentRec: mids[18], Delta: 5 });
    expect(r).toMatchObject({ ec: 0, delta: 2, stat: { CurrentRec: MID_END_OF_TABLE, NumPos: 20 } });
    const r2 = await update({ CurrentRec: MID_BEGINNING_OF_TABLE, Delta: 0x7fffffff });
    expect(r2).toMatchObject({ ec: 0, stat: { CurrentRec: MID_END_OF_TABLE, NumPos: 20 } });
  });

  it('an MId not in the table is NotFound (constraint 5), the STAT untouched', async () => {
    const st = stat({ CurrentRec: 0x7777, Delta: 1, NumPos: 3 });
    const r = await nspiUpdateStat(s, st, true);
    expect(r.ec).toBe(MAPI_E.NOT_FOUND);
    expect(r.stat).toEqual(st);
    expect(r.delta).toBeNull();
    expect((await update({ CurrentRec: 5 })).ec).toBe(MAPI_E.NOT_FOUND); // a signal value that is no bookmark
  });

  it('plDelta only when asked for (constraint 7)', async () => {
    const r = await nspiUpdateStat(s, stat({ CurrentRec: mids[1], Delta: 1 }), false);
    expect(r.delta).toBeNull();
    expect(r.stat.NumPos).toBe(2);
  });

  it('leaves SortType, ContainerID, CodePage and the locales alone (constraint 11)', async () => {
    const r = await update({ ContainerID: usersContainer, CurrentRec: mids[0], Delta: 1, CodePage: 1250, TemplateLocale: 0x407, SortLocale: 0x407 });
    expect(r.stat).toMatchObject({ SortType: 0, ContainerID: usersContainer, CodePage: 1250, TemplateLocale: 0x407, SortLocale: 0x407 });
  });

  it('an unknown container is InvalidBookmark; CP_WINUNICODE is refused; phonetic order GeneralFailure', async () => {
    expect((await update({ ContainerID: 0x1234567 })).ec).toBe(MAPI_E.INVALID_BOOKMARK);
    expect((await update({ CodePage: 1200 })).ec).toBe(MAPI_E.NO_SUPPORT);
    expect((await update({ SortType: 3 })).ec).toBe(MAPI_E.CALL_FAILED);
  });
});

describe('NspiUpdateStat fractional positioning (3.1.4.5.2)', () => {
  it('NumPos/TotalRecs of the client scaled to the table, truncated', async () => {
    // 20 rows; 1/4 -> row 5; 1/3 -> 6.66 -> 6; 199/200 -> 19.9 -> 19
    expect((await update({ CurrentRec: MID_CURRENT, NumPos: 1, TotalRecs: 4 })).stat).toMatchObject({ NumPos: 5, CurrentRec: mids[5] });
    expect((await update({ CurrentRec: MID_CURRENT, NumPos: 1, TotalRecs: 3 })).stat).toMatchObject({ NumPos: 6, CurrentRec: mids[6] });
    expect((await update({ CurrentRec: MID_CURRENT, NumPos: 199, TotalRecs: 200 })).stat).toMatchObject({ NumPos: 19, CurrentRec: mids[19] });
  });

  it('at or past the end of the client table: one past the last row (step 5)', async () => {
    expect((await update({ CurrentRec: MID_CURRENT, NumPos: 10, TotalRecs: 10 })).stat).toMatchObject({ NumPos: 20, CurrentRec: MID_END_OF_TABLE });
    expect((await update({ CurrentRec: MID_CURRENT, NumPos: 0xffffffff, TotalRecs: 1 })).stat).toMatchObject({ NumPos: 20, CurrentRec: MID_END_OF_TABLE });
  });

  it('then applies Delta; a client TotalRecs of 0 is the first row', async () => {
    expect((await update({ CurrentRec: MID_CURRENT, NumPos: 1, TotalRecs: 2, Delta: -3 })).stat).toMatchObject({ NumPos: 7, CurrentRec: mids[7] });
    expect((await update({ CurrentRec: MID_CURRENT, NumPos: 5, TotalRecs: 0 })).stat).toMatchObject({ NumPos: 0, CurrentRec: mids[0] });
  });

  it('reports the row count of the sub-container it positions in', async () => {
    const r = await update({ ContainerID: usersContainer, CurrentRec: MID_CURRENT, NumPos: 1, TotalRecs: 2 });
    expect(r.stat).toMatchObject({ TotalRecs: 20, NumPos: 10 });
  });
});

describe('NspiQueryRows positions (3.1.4.1.8)', () => {
  const q = (over: Partial<Stat>, count: number) =>
    nspiQueryRows(s, { flags: 0, stat: stat(over), table: null, count, propTags: [T.PidTagDisplayName] });

  it('reads from the current position, Delta included, and moves past what it returned', async () => {
    const r = await q({ CurrentRec: mids[3], Delta: 2 }, 4);
    expect(r.rows?.map((x) => x[0]?.value)).toEqual(['User 05', 'User 06', 'User 07', 'User 08']);
    expect(r.stat).toMatchObject({ CurrentRec: mids[9], NumPos: 9, TotalRecs: 20, Delta: 0 });
  });

  it('stops at the end of the table: fewer rows, CurrentRec MID_END_OF_TABLE', async () => {
    const r = await q({ CurrentRec: mids[17] }, 10);
    expect(r.rows?.length).toBe(3);
    expect(r.stat).toMatchObject({ CurrentRec: MID_END_OF_TABLE, NumPos: 20 });
    const r2 = await q({ CurrentRec: MID_END_OF_TABLE }, 10);
    expect(r2.ec).toBe(0);
    expect(r2.rows).toEqual([]);
    expect(r2.stat).toMatchObject({ CurrentRec: MID_END_OF_TABLE, NumPos: 20 });
  });

  it('pages the whole table forwards and, with negative Deltas, backwards', async () => {
    const seen: string[] = [];
    let st = stat({ CurrentRec: MID_BEGINNING_OF_TABLE });
    for (let i = 0; i < 10; i++) {
      const r = await nspiQueryRows(s, { flags: 0, stat: st, table: null, count: 3, propTags: [T.PidTagDisplayName] });
      if (!r.rows?.length) break;
      seen.push(...r.rows.map((x) => x[0]?.value as string));
      st = r.stat;
    }
    expect(seen.length).toBe(20);
    expect(st.CurrentRec).toBe(MID_END_OF_TABLE);
    // backwards: each page starts Delta = -n rows before the first row of the previous one
    const back: string[] = [];
    let cur = MID_END_OF_TABLE;
    let pos = 20;
    while (pos > 0) {
      const n = Math.min(3, pos);
      const r = await nspiQueryRows(s, { flags: 0, stat: stat({ CurrentRec: cur, Delta: -n }), table: null, count: n, propTags: [T.PidTagDisplayName] });
      back.unshift(...(r.rows ?? []).map((x) => x[0]?.value as string));
      pos -= n;
      expect(r.stat.NumPos).toBe(pos + n);
      cur = mids[pos] as number;
    }
    expect(back).toEqual(seen);
  });

  it('fractional start positions', async () => {
    const r = await q({ CurrentRec: MID_CURRENT, NumPos: 50, TotalRecs: 100 }, 2);
    expect(r.rows?.map((x) => x[0]?.value)).toEqual(['User 10', 'User 11']);
  });

  it('Count 0 is InvalidParameter; an unknown CurrentRec NotFound; on error nothing changes', async () => {
    const st = stat({ CurrentRec: mids[3] });
    const r = await nspiQueryRows(s, { flags: 0, stat: st, table: null, count: 0, propTags: null });
    expect(r).toEqual({ ec: MAPI_E.INVALID_PARAMETER, stat: st, rows: null });
    expect((await q({ CurrentRec: 0x99999 }, 1)).ec).toBe(MAPI_E.NOT_FOUND);
  });

  it('random STATs never throw: a row set and a consistent STAT, or an ec with the STAT unchanged', async () => {
    const u32 = fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x10, 0xffffffff), fc.constantFrom(...mids), fc.nat({ max: 0xffffffff }));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          SortType: fc.oneof(fc.constant(0), fc.nat({ max: 0xffffffff })),
          ContainerID: fc.oneof(fc.constant(0), fc.constant(usersContainer), fc.nat({ max: 0xffffffff })),
          CurrentRec: u32,
          Delta: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
          NumPos: fc.nat({ max: 0xffffffff }),
          TotalRecs: fc.nat({ max: 0xffffffff }),
          CodePage: fc.constantFrom(1252, 1200, 65001, 0, 12345),
          TemplateLocale: fc.nat({ max: 0xffffffff }),
          SortLocale: fc.nat({ max: 0xffffffff }),
        }),
        fc.integer({ min: 0, max: 50 }),
        async (st, count) => {
          const u = await nspiUpdateStat(s, st, true);
          if (u.ec !== 0) expect(u.stat).toEqual(st);
          else {
            expect(u.stat.NumPos).toBeLessThanOrEqual(u.stat.TotalRecs);
            expect(u.stat.Delta).toBe(0);
          }
          const r = await nspiQueryRows(s, { flags: 0, stat: st, table: null, count, propTags: null });
          if (r.ec !== 0) {
            expect(r.rows).toBeNull();
            expect(r.stat).toEqual(st);
          } else {
            expect(r.rows?.length).toBeLessThanOrEqual(count);
            expect(r.stat.NumPos).toBeLessThanOrEqual(r.stat.TotalRecs);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
