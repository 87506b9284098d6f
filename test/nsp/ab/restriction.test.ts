// NspiGetMatches with restrictions (MS-OXNSPI 3.1.4.1.10 constraint 8; MS-OXCDATA 2.12): every restriction type,
// the limits, and random trees.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPI_E, PT, makeTag, type TaggedValue } from '../../../src/mapi/props.js';
import { BMR, FL, RELOP, checkRestriction, type Restriction } from '../../../src/mapi/restriction.js';
import type { AddressBook } from '../../../src/nsp/ab/addressbook.js';
import { nspiGetMatches } from '../../../src/nsp/ab/ops-table.js';
import type { Stat } from '../../../src/nsp/ab/position.js';
import type { NspiSession } from '../../../src/nsp/ab/session.js';
import type { Snapshot } from '../../../src/nsp/ab/snapshot.js';
import * as T from '../../../src/nsp/ab/tags.js';
import { bind, newAddressBook, population, stat } from './fake-directory.js';

let ab: AddressBook;
let snap: Snapshot;
let s: NspiSession;

beforeAll(async () => {
  ab = newAddressBook(population());
  snap = await ab.load();
  s = await bind(ab, 'alice');
});

const str = (tag: number, v: string): TaggedValue => ({ tag, value: v });
async function match(filter: Restriction, over: Partial<Stat> = {}): Promise<string[]> {
  const r = await nspiGetMatches(s, { reserved1: 0, stat: stat(over), filter, propName: null, requested: 1000, propTags: [T.PidTagAccount] });
  if (r.ec !== 0) throw new Error(`ec 0x${r.ec.toString(16)}`);
  return (r.rows ?? []).map((row) => row[0]?.value as string);
}
const content = (tag: number, v: string, fuzzy: number): Restriction => ({ type: 'content', fuzzyLevel: fuzzy, propTag: tag, value: str(tag, v) });
const prop = (tag: number, relop: number, value: TaggedValue['value']): Restriction => ({ type: 'property', relop, propTag: tag, value: { tag, value } });

describe('CONTENT restrictions', () => {
  it('FL_FULLSTRING is exact and case-sensitive unless FL_IGNORECASE', async () => {
    expect(await match(content(T.PidTagDisplayName, 'Bob Smith', FL.FL_FULLSTRING))).toEqual(['bob']);
    expect(await match(content(T.PidTagDisplayName, 'bob smith', FL.FL_FULLSTRING))).toEqual([]);
    expect(await match(content(T.PidTagDisplayName, 'bob smith', FL.FL_FULLSTRING | FL.FL_IGNORECASE))).toEqual(['bob']);
  });

  it('FL_PREFIX and FL_SUBSTRING', async () => {
    expect(await match(content(T.PidTagDisplayName, 'Ali', FL.FL_PREFIX))).toEqual(['alice', 'alicia']);
    expect(await match(content(T.PidTagDisplayName, 'li', FL.FL_SUBSTRING))).toEqual(['alice', 'alicia']);
    expect(await match(content(T.PidTagDisplayName, 'LI', FL.FL_SUBSTRING))).toEqual([]);
    expect(await match(content(T.PidTagDisplayName, 'IL', FL.FL_SUBSTRING | FL.FL_IGNORECASE))).toEqual(['emile']);
  });

  it('FL_IGNORENONSPACE and FL_LOOSE ignore accents', async () => {
    expect(await match(content(T.PidTagDisplayName, 'Zoe', FL.FL_PREFIX))).toEqual([]);
    expect(await match(content(T.PidTagDisplayName, 'Zoe', FL.FL_PREFIX | FL.FL_IGNORENONSPACE))).toEqual(['zoe']);
    expect(await match(content(T.PidTagDisplayName, 'zoe angstrom', FL.FL_LOOSE))).toEqual(['zoe']);
    expect(await match(content(T.PidTagDisplayName, '李', FL.FL_PREFIX))).toEqual(['lilei']);
  });

  it('matches any value of a multi-valued property, and binary values', async () => {
    expect(await match(content(T.PidTagAddressBookProxyAddresses, 'smtp:bob.alias@', FL.FL_PREFIX | FL.FL_IGNORECASE))).toEqual(['bob']);
    const key = Buffer.from('EX:/O=FIRST');
    expect((await match({ type: 'content', fuzzyLevel: FL.FL_PREFIX, propTag: T.PidTagSearchKey, value: { tag: T.PidTagSearchKey, value: key } })).length).toBe(10);
  });

  it('FL_PREFIX_ON_ANY_WORD', async () => {
    expect(await match(content(T.PidTagDisplayName, 'Sm', FL.FL_PREFIX_ON_ANY_WORD))).toEqual(['bob']);
  });
});

describe('PROPERTY restrictions (RELOP_*)', () => {
  it('compares strings with the collation (case and accents ignored)', async () => {
    expect(await match(prop(T.PidTagDisplayName, RELOP.RELOP_EQ, 'zoe ANGSTROM'))).toEqual(['zoe']);
    expect(await match(prop(T.PidTagDisplayName, RELOP.RELOP_LT, 'B'))).toEqual(['alice', 'alicia', 'all']);
    expect(await match(prop(T.PidTagDisplayName, RELOP.RELOP_GE, 'Zoe'))).toEqual(['zoe', 'lilei']);
    expect((await match(prop(T.PidTagDisplayName, RELOP.RELOP_NE, 'Bob Smith'))).includes('bob')).toBe(false);
    expect(await match(prop(T.PidTagDisplayName, RELOP.RELOP_LE, 'Alice Liddell'))).toEqual(['alice']);
    expect(await match(prop(T.PidTagDisplayName, RELOP.RELOP_GT, 'Zed Zulu'))).toEqual(['zoe', 'lilei']);
  });

  it('compares numbers and booleans', async () => {
    expect(await match(prop(T.PidTagDisplayType, RELOP.RELOP_EQ, 1))).toEqual(['all', 'sales']);
    expect(await match(prop(T.PidTagDisplayType, RELOP.RELOP_GT, 1))).toEqual(['ext']);
    expect((await match(prop(T.PidTagSendRichInfo, RELOP.RELOP_EQ, true))).length).toBe(10);
  });

  it('the 8-bit printable name compares case-sensitively, shorter first (3.1.4.3.5.2)', async () => {
    expect(await match(prop(T.PidTagAddressBookDisplayNamePrintable, RELOP.RELOP_EQ, 'Zoe Angstrom'))).toEqual(['zoe']);
    expect(await match(prop(T.PidTagAddressBookDisplayNamePrintable, RELOP.RELOP_EQ, 'zoe angstrom'))).toEqual([]);
    expect(await match(prop(T.PidTagAddressBookDisplayNamePrintable, RELOP.RELOP_LT, 'lilei!'))).toContain('lilei');
  });

  it('a multi-valued property satisfies when one value does; a missing property never does', async () => {
    expect(await match(prop(T.PidTagAddressBookProxyAddresses, RELOP.RELOP_EQ, 'smtp:zoe.alias@example.org'))).toEqual(['zoe']);
    expect(await match(prop(T.PidTagTitle, RELOP.RELOP_NE, 'nothing'))).toEqual(['alice']);
  });

  it('a value of another type matches nothing', async () => {
    expect(await match(prop(T.PidTagDisplayName, RELOP.RELOP_EQ, 5))).toEqual([]);
  });
});

describe('AND, OR, NOT, EXIST, BITMASK, SIZE, COMPAREPROPS, SUBRESTRICTION', () => {
  it('combine', async () => {
    const isUser = prop(T.PidTagDisplayType, RELOP.RELOP_EQ, 0);
    expect(await match({ type: 'and', res: [isUser, content(T.PidTagDisplayName, 'a', FL.FL_PREFIX | FL.FL_IGNORECASE)] })).toEqual(['alice', 'alicia']);
    expect(await match({ type: 'or', res: [prop(T.PidTagAccount, RELOP.RELOP_EQ, 'bob'), prop(T.PidTagAccount, RELOP.RELOP_EQ, 'zed')] })).toEqual(['bob', 'zed']);
    expect((await match({ type: 'not', res: isUser })).sort()).toEqual(['all', 'ext', 'sales']);
    expect(await match({ type: 'and', res: [] })).toHaveLength(10);
    expect(await match({ type: 'or', res: [] })).toEqual([]);
  });

  it('EXIST', async () => {
    expect(await match({ type: 'exist', propTag: T.PidTagTitle })).toEqual(['alice']);
    expect((await match({ type: 'exist', propTag: T.PidTagAddressBookMember })).sort()).toEqual(['all', 'sales']);
    expect(await match({ type: 'exist', propTag: 0x7ff0001f })).toEqual([]);
  });

  it('BITMASK', async () => {
    const b = (rel: number, mask: number): Restriction => ({ type: 'bitmask', relBMR: rel, propTag: T.PidTagDisplayTypeEx, mask });
    expect((await match(b(BMR.BMR_NEZ, 0x40000000))).length).toBe(7); // mailboxes are ACL-capable
    expect((await match(b(BMR.BMR_EQZ, 0x40000000))).sort()).toEqual(['all', 'ext', 'sales']);
    expect(await match({ type: 'bitmask', relBMR: BMR.BMR_NEZ, propTag: T.PidTagDisplayName, mask: 1 })).toEqual([]);
  });

  it('SIZE (strings counted with their terminator, UTF-16 for PT_UNICODE)', async () => {
    // "Zed Zulu" = 8 characters -> 18 bytes
    expect(await match({ type: 'size', relop: RELOP.RELOP_EQ, propTag: T.PidTagDisplayName, cb: 18 })).toEqual(['zed']);
    expect((await match({ type: 'size', relop: RELOP.RELOP_LT, propTag: T.PidTagDisplayName, cb: 10 }))).toEqual(['lilei']);
  });

  it('COMPAREPROPS', async () => {
    expect((await match({ type: 'compareProps', relop: RELOP.RELOP_EQ, propTag1: T.PidTagBusinessTelephoneNumber, propTag2: T.PidTagPrimaryTelephoneNumber }))).toEqual(['alice']);
    expect(await match({ type: 'compareProps', relop: RELOP.RELOP_EQ, propTag1: T.PidTagGivenName, propTag2: T.PidTagSurname })).toEqual([]);
    expect(await match({ type: 'compareProps', relop: RELOP.RELOP_LT, propTag1: T.PidTagGivenName, propTag2: T.PidTagSurname })).toEqual(['alice', 'alicia', 'bob', 'emile']); // Zoë > Ångström
  });

  it('SUBRESTRICTION does not apply to address book objects: false', async () => {
    expect(await match({ type: 'sub', subObject: 0x0e12000d, res: { type: 'and', res: [] } })).toEqual([]);
    expect((await match({ type: 'not', res: { type: 'sub', subObject: 0x0e12000d, res: { type: 'and', res: [] } } })).length).toBe(10);
  });
});

describe('PR_ANR restrictions', () => {
  it('match the ANR set (prefix tier included), in table order', async () => {
    expect(await match(prop(T.PidTagAnr, RELOP.RELOP_EQ, 'ali'))).toEqual(['alice', 'alicia']);
    expect(await match(prop(0x360c001e, RELOP.RELOP_EQ, 'ångström'))).toEqual(['zoe']);
    expect(await match(content(T.PidTagAnr, 'smith', FL.FL_PREFIX))).toEqual(['bob']);
    expect(await match({ type: 'and', res: [prop(T.PidTagAnr, RELOP.RELOP_EQ, 'ali'), prop(T.PidTagAccount, RELOP.RELOP_EQ, 'alicia')] })).toEqual(['alicia']);
  });

  it('apply within the container of the STAT', async () => {
    const groups = snap.containers.find((c) => c.displayName === 'All Groups')?.containerId as number;
    expect(await match(prop(T.PidTagAnr, RELOP.RELOP_EQ, 'al'), { ContainerID: groups })).toEqual(['all']);
  });

  it('EXIST of PR_ANR is false', async () => {
    expect(await match({ type: 'exist', propTag: T.PidTagAnr })).toEqual([]);
  });
});

describe('GetMatches with a filter: errors', () => {
  const gm = (over: Partial<Stat>, filter: Restriction, requested = 100) =>
    nspiGetMatches(s, { reserved1: 0, stat: stat(over), filter, propName: null, requested, propTags: null });

  it('TableTooBig when more rows match than requested (constraint 16)', async () => {
    expect((await gm({}, { type: 'and', res: [] }, 9)).ec).toBe(MAPI_E.TABLE_TOO_BIG);
    const ok = await gm({}, { type: 'and', res: [] }, 10);
    expect(ok.ec).toBe(0);
    expect(ok.mids?.length).toBe(10);
    expect(ok.rows).toBeNull();
  });

  it('TooComplex for deep, huge or unsupported trees', async () => {
    let deep: Restriction = { type: 'exist', propTag: T.PidTagDisplayName };
    for (let i = 0; i < 1000; i++) deep = { type: 'not', res: deep };
    expect((await gm({}, deep)).ec).toBe(MAPI_E.TOO_COMPLEX);
    const wide: Restriction = { type: 'or', res: new Array(20000).fill({ type: 'exist', propTag: T.PidTagDisplayName }) };
    expect((await gm({}, wide)).ec).toBe(MAPI_E.TOO_COMPLEX);
    expect((await gm({}, prop(T.PidTagDisplayName, RELOP.RELOP_RE, 'a.*'))).ec).toBe(MAPI_E.TOO_COMPLEX);
  });

  it('InvalidBookmark for an unknown container; phonetic order GeneralFailure; other orders NotSupported', async () => {
    const f: Restriction = { type: 'and', res: [] };
    expect((await gm({ ContainerID: 0x123456 }, f)).ec).toBe(MAPI_E.INVALID_BOOKMARK);
    expect((await gm({ SortType: 3 }, f)).ec).toBe(MAPI_E.CALL_FAILED);
    expect((await gm({ SortType: 0x3e8 }, f)).ec).toBe(MAPI_E.NO_SUPPORT);
  });

  it('sets ContainerID to the input CurrentRec (constraint 15), nothing else', async () => {
    const r = await gm({ CurrentRec: 0, NumPos: 3, TotalRecs: 9, Delta: 2 }, { type: 'and', res: [] });
    expect(r.stat).toEqual(stat({ ContainerID: 0, CurrentRec: 0, NumPos: 3, TotalRecs: 9, Delta: 2 }));
  });
});

describe('random restriction trees', () => {
  const tags = [T.PidTagDisplayName, T.PidTagAccount, T.PidTagDisplayType, T.PidTagAddressBookProxyAddresses, T.PidTagEntryId, T.PidTagAnr, 0x3001001e, T.PidTagAddressBookMember, T.PidTagSendRichInfo, 0x12340003, T.PidTagAddressBookX509Certificate];
  const value: fc.Arbitrary<TaggedValue> = fc.oneof(
    fc.string().map((v) => ({ tag: T.PidTagDisplayName, value: v })),
    fc.integer().map((v) => ({ tag: T.PidTagDisplayType, value: v })),
    fc.boolean().map((v) => ({ tag: T.PidTagSendRichInfo, value: v })),
    fc.uint8Array({ maxLength: 8 }).map((v) => ({ tag: T.PidTagEntryId, value: Buffer.from(v) })),
    fc.array(fc.string(), { maxLength: 3 }).map((v) => ({ tag: makeTag(0x800f, PT.MV_UNICODE), value: v })),
    fc.constant({ tag: makeTag(0x0001, PT.NULL), value: null }),
  );
  const tag = fc.constantFrom(...tags);
  const num = fc.oneof(fc.nat({ max: 8 }), fc.nat({ max: 0xffffffff }));
  const { tree } = fc.letrec<{ tree: Restriction }>((rec) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ type: fc.constant('exist' as const), propTag: tag }),
      fc.record({ type: fc.constant('content' as const), fuzzyLevel: num, propTag: tag, value }),
      fc.record({ type: fc.constant('property' as const), relop: num, propTag: tag, value }),
      fc.record({ type: fc.constant('compareProps' as const), relop: num, propTag1: tag, propTag2: tag }),
      fc.record({ type: fc.constant('bitmask' as const), relBMR: num, propTag: tag, mask: num }),
      fc.record({ type: fc.constant('size' as const), relop: num, propTag: tag, cb: num }),
      fc.record({ type: fc.constant('and' as const), res: fc.array(rec('tree'), { maxLength: 4 }) }),
      fc.record({ type: fc.constant('or' as const), res: fc.array(rec('tree'), { maxLength: 4 }) }),
      fc.record({ type: fc.constant('not' as const), res: rec('tree') }),
      fc.record({ type: fc.constant('sub' as const), subObject: num, res: rec('tree') }),
    ),
  }));

  it('evaluate without throwing: a result or TooComplex, and NOT is the complement', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (r) => {
        const a = await nspiGetMatches(s, { reserved1: 0, stat: stat(), filter: r, propName: null, requested: 1000, propTags: null });
        if (checkRestriction(r) !== 0) {
          expect(a.ec).toBe(MAPI_E.TOO_COMPLEX);
          return;
        }
        expect(a.ec).toBe(0);
        const b = await nspiGetMatches(s, { reserved1: 0, stat: stat(), filter: { type: 'not', res: r }, propName: null, requested: 1000, propTags: null });
        expect((a.mids?.length ?? 0) + (b.mids?.length ?? 0)).toBe(10);
      }),
      { numRuns: 300 },
    );
  });
});
