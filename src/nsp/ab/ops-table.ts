// The table operations of MS-OXNSPI 3.1.4.1: NspiUpdateStat (.4), NspiQueryRows (.8), NspiSeekEntries (.9),
// NspiGetMatches (.10), NspiResortRestriction (.11), NspiCompareMIds (.12), NspiResolveNames(W) (.16/.17).
// On any ec but Success the STAT comes back as it went in and the row sets are null.
import { MAPI_E, PT, propId, propType, type TaggedValue } from '../../mapi/props.js';
import { checkRestriction, type Restriction } from '../../mapi/restriction.js';
import { stringOrder } from './collation.js';
import {
  CP_WINUNICODE,
  MID_AMBIGUOUS,
  MID_BEGINNING_OF_TABLE,
  MID_UNRESOLVED,
  SortType,
  fEphID,
} from './constants.js';
import type { AbEntry } from './entry.js';
import { tagOfName, type PropertyName } from './names.js';
import { locate, move, statAt, type Stat } from './position.js';
import { Link, propDef, type PropContext } from './props.js';
import { RestrictionEvaluator } from './restriction.js';
import {
  DEFAULT_COLUMNS,
  callCodePage,
  checkCodePage,
  checkSortType,
  containerOf,
  prefetch,
  propContext,
  readRow,
  readRows,
  type NspiSession,
  type Row,
} from './session.js';
import { sortEntries, type Snapshot } from './snapshot.js';
import * as T from './tags.js';

const unicodeStat = (s: NspiSession, stat: Stat) => callCodePage(s, stat.CodePage) === CP_WINUNICODE;

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.4 NspiUpdateStat

export interface UpdateStatResult {
  ec: number;
  stat: Stat;
  /** Rows moved (plDelta), when the client asked for it (constraint 7). */
  delta: number | null;
}

export async function nspiUpdateStat(s: NspiSession, stat: Stat, wantDelta: boolean): Promise<UpdateStatResult> {
  const fail = (ec: number): UpdateStatResult => ({ ec, stat, delta: null });
  if (unicodeStat(s, stat)) return fail(MAPI_E.NO_SUPPORT); // constraint 1
  const snap = await s.ab.snapshot();
  const container = containerOf(snap, stat);
  if (!container) return fail(MAPI_E.INVALID_BOOKMARK); // constraint 4
  const sortEc = checkSortType(stat);
  if (sortEc) return fail(sortEc);
  const table = snap.table(container, stat.SortLocale);
  const at = locate(stat, table); // constraint 5
  if (!at.ok) return fail(at.ec);
  const final = move(at.pos, stat.Delta, table.entries.length); // constraint 6
  return { ec: MAPI_E.SUCCESS, stat: statAt(stat, table, final), delta: wantDelta ? final - at.pos : null };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.8 NspiQueryRows

export interface QueryRowsRequest {
  flags: number;
  stat: Stat;
  /** lpETable: an Explicit Table, or null for the table the STAT names. */
  table: readonly number[] | null;
  count: number;
  /** pPropTags, or null for the default columns (constraint 6). */
  propTags: readonly number[] | null;
}

export interface RowsResult {
  ec: number;
  stat: Stat;
  rows: Row[] | null;
}

export async function nspiQueryRows(s: NspiSession, req: QueryRowsRequest): Promise<RowsResult> {
  const { stat } = req;
  const fail = (ec: number): RowsResult => ({ ec, stat, rows: null });
  const cpEc = checkCodePage(s, stat.CodePage); // constraint 1
  if (cpEc) return fail(cpEc);
  if (req.count >>> 0 === 0) return fail(MAPI_E.INVALID_PARAMETER); // constraints 2 and 9
  const tags = req.propTags ?? DEFAULT_COLUMNS;
  if (tags.length > s.ab.limits.maxPropTags) return fail(MAPI_E.TABLE_TOO_BIG);
  const snap = await s.ab.snapshot();
  const ephemeral = (req.flags & fEphID) !== 0;
  if (req.table) {
    // constraints 8, 13: the Explicit Table from its first row; the STAT is not a position here
    const mids = req.table.slice(0, Math.min(req.count >>> 0, s.ab.limits.maxRowsPerCall));
    const self = await prefetch(s, snap, mids.map((m) => snap.entry(m)), tags);
    return { ec: MAPI_E.SUCCESS, stat, rows: readRows(snap, mids, tags, propContext(s, snap, stat, ephemeral, self)) };
  }
  return queryStatTable(s, snap, stat, req.count >>> 0, tags, ephemeral);
}

/** Rows from the STAT's current position (constraint 12), and the STAT moved past them (constraint 16). */
async function queryStatTable(s: NspiSession, snap: Snapshot, stat: Stat, count: number, tags: readonly number[], ephemeral: boolean): Promise<RowsResult> {
  const fail = (ec: number): RowsResult => ({ ec, stat, rows: null });
  const container = containerOf(snap, stat);
  if (!container) return fail(MAPI_E.INVALID_BOOKMARK); // constraint 5
  const sortEc = checkSortType(stat);
  if (sortEc) return fail(sortEc);
  const table = snap.table(container, stat.SortLocale);
  const at = locate(stat, table);
  if (!at.ok) return fail(at.ec);
  const total = table.entries.length;
  const start = move(at.pos, stat.Delta, total);
  const n = Math.min(count, total - start, s.ab.limits.maxRowsPerCall);
  const entries = table.entries.slice(start, start + n);
  const self = await prefetch(s, snap, entries, tags);
  const ctx = propContext(s, snap, stat, ephemeral, self);
  const rows = entries.map((e) => readRow(e, tags, ctx).row);
  // constraint 16: the update NspiUpdateStat makes with the rows returned added to Delta, from the row the read began
  return { ec: MAPI_E.SUCCESS, stat: statAt(stat, table, start + n), rows };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.9 NspiSeekEntries

export interface SeekEntriesRequest {
  reserved: number;
  stat: Stat;
  target: TaggedValue;
  table: readonly number[] | null;
  propTags: readonly number[] | null;
}

/** Rows NspiSeekEntries returns from a status-based table (constraint 13 lets the server choose; > 0). */
const SEEK_ROWS = 1;

export async function nspiSeekEntries(s: NspiSession, req: SeekEntriesRequest): Promise<RowsResult> {
  const { stat } = req;
  const fail = (ec: number): RowsResult => ({ ec, stat, rows: null });
  const cpEc = checkCodePage(s, stat.CodePage); // constraint 1
  if (cpEc) return fail(cpEc);
  if (req.reserved >>> 0 !== 0) return fail(MAPI_E.NO_SUPPORT); // constraint 3
  if (req.propTags && req.propTags.length > s.ab.limits.maxPropTags) return fail(MAPI_E.TABLE_TOO_BIG);
  const snap = await s.ab.snapshot();
  const container = containerOf(snap, stat);
  if (!container) return fail(MAPI_E.INVALID_BOOKMARK); // constraint 6
  if (stat.SortType >>> 0 !== SortType.SortTypeDisplayName) return fail(MAPI_E.CALL_FAILED); // constraint 9
  const t = propType(req.target.tag);
  if (propId(req.target.tag) !== propId(T.PidTagDisplayName) || (t !== PT.STRING8 && t !== PT.UNICODE) || typeof req.target.value !== 'string') {
    return fail(MAPI_E.CALL_FAILED); // constraint 10
  }
  const target = req.target.value;
  const cmp = stringOrder(stat.SortLocale).compare;
  if (req.table) {
    // constraints 8, 11, 12: the first row at or after the target in the Explicit Table, its accurate position
    const mids = req.table;
    let found = -1;
    for (let i = 0; i < mids.length; i++) {
      const e = snap.entry(mids[i] as number);
      if (e && cmp(e.displayName, target) >= 0) {
        found = i;
        break;
      }
    }
    if (found < 0) return fail(MAPI_E.NOT_FOUND);
    const out: Stat = { ...stat, CurrentRec: mids[found] as number, NumPos: found, TotalRecs: mids.length };
    if (!req.propTags) return { ec: MAPI_E.SUCCESS, stat: out, rows: null };
    const rest = mids.slice(found, found + s.ab.limits.maxRowsPerCall);
    const self = await prefetch(s, snap, rest.map((m) => snap.entry(m)), req.propTags);
    return { ec: MAPI_E.SUCCESS, stat: out, rows: readRows(snap, rest, req.propTags, propContext(s, snap, out, true, self)) };
  }
  const table = snap.table(container, stat.SortLocale);
  const entries = table.entries;
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp((entries[mid] as AbEntry).displayName, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= entries.length) return fail(MAPI_E.NOT_FOUND); // constraint 11
  // constraint 12: CurrentRec, NumPos and TotalRecs change; no other field does
  const out: Stat = { ...stat, CurrentRec: (entries[lo] as AbEntry).mid, NumPos: lo, TotalRecs: entries.length };
  if (!req.propTags) return { ec: MAPI_E.SUCCESS, stat: out, rows: null };
  const rows = await queryStatTable(s, snap, out, SEEK_ROWS, req.propTags, true);
  if (rows.ec) return fail(rows.ec);
  return { ec: MAPI_E.SUCCESS, stat: out, rows: rows.rows };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.10 NspiGetMatches

export interface GetMatchesRequest {
  reserved1: number;
  stat: Stat;
  filter: Restriction | null;
  propName: PropertyName | null;
  requested: number;
  propTags: readonly number[] | null;
}

export interface MatchesResult {
  ec: number;
  stat: Stat;
  mids: number[] | null;
  rows: Row[] | null;
}

/** The link properties whose values locate other objects (3.1.4.4.2.2 Property Value-Based Explicit Tables). */
const LINK_PROPS = new Set([
  propId(T.PidTagAddressBookMember),
  propId(T.PidTagAddressBookIsMemberOfDistributionList),
  propId(T.PidTagAddressBookPublicDelegates),
  propId(T.PR_EMS_AB_PUBLIC_DELEGATES_BL),
]);

export async function nspiGetMatches(s: NspiSession, req: GetMatchesRequest): Promise<MatchesResult> {
  const { stat } = req;
  const fail = (ec: number): MatchesResult => ({ ec, stat, mids: null, rows: null });
  const cpEc = checkCodePage(s, stat.CodePage); // constraint 1
  if (cpEc) return fail(cpEc);
  const sort = stat.SortType >>> 0;
  if (req.filter && sort !== SortType.SortTypeDisplayName && sort !== SortType.SortTypePhoneticDisplayName) {
    return fail(MAPI_E.NO_SUPPORT); // constraint 2
  }
  if (req.reserved1 >>> 0 !== 0) return fail(MAPI_E.NO_SUPPORT); // constraint 3
  if (req.propTags && req.propTags.length > s.ab.limits.maxPropTags) return fail(MAPI_E.TABLE_TOO_BIG);
  const snap = await s.ab.snapshot();
  let mids: number[];
  if (req.filter) {
    const container = containerOf(snap, stat);
    if (!container) return fail(MAPI_E.INVALID_BOOKMARK); // constraint 7
    if (sort !== SortType.SortTypeDisplayName) return fail(MAPI_E.CALL_FAILED); // phonetic order: not kept
    const complexity = checkRestriction(req.filter); // constraint 8
    if (complexity) return fail(complexity);
    const table = snap.table(container, stat.SortLocale);
    const self = await prefetch(s, snap, table.entries, restrictionTags(req.filter));
    const ev = new RestrictionEvaluator(propContext(s, snap, stat, false, self), stat.SortLocale);
    mids = [];
    for (const e of table.entries) if (ev.matches(e, req.filter)) mids.push(e.mid);
  } else {
    const r = await propertyValueTable(s, snap, req);
    if (typeof r === 'number') return fail(r);
    mids = r;
  }
  // constraints 16, 17
  if (mids.length > req.requested >>> 0 || mids.length > s.ab.limits.maxExplicitTable) return fail(MAPI_E.TABLE_TOO_BIG);
  const out: Stat = { ...stat, ContainerID: stat.CurrentRec }; // constraint 15
  if (!req.propTags) return { ec: MAPI_E.SUCCESS, stat: out, mids, rows: null };
  // constraint 18: the rows NspiQueryRows(fEphID, the Explicit Table) returns
  const self = await prefetch(s, snap, mids.map((m) => snap.entry(m)), req.propTags);
  const rows = readRows(snap, mids, req.propTags, propContext(s, snap, out, true, self));
  return { ec: MAPI_E.SUCCESS, stat: out, mids, rows };
}

/** Constraints 9-14: the objects a link property of the object at CurrentRec names, sorted by display name. */
async function propertyValueTable(s: NspiSession, snap: Snapshot, req: GetMatchesRequest): Promise<number[] | number> {
  const { stat } = req;
  const tag = req.propName ? tagOfName(req.propName) : stat.ContainerID >>> 0;
  const e = snap.entry(stat.CurrentRec); // constraint 9: ContainerID and Delta play no part
  if (!e) return MAPI_E.CALL_FAILED; // constraint 10
  if (tag === null || !LINK_PROPS.has(propId(tag))) return MAPI_E.NO_SUPPORT; // constraint 12
  const writable = propId(tag) === propId(T.PidTagAddressBookPublicDelegates) && isSelf(s, e);
  if (stat.SortType >>> 0 === SortType.SortTypeDisplayName_W && !writable) return MAPI_E.NO_SUPPORT; // constraint 11
  const def = propDef(tag);
  if (!def) return MAPI_E.NO_SUPPORT;
  const self = await s.ab.prefetch(snap, [e], { user: def.selfService === 'user', backlinks: def.selfService === 'backlinks' });
  const ctx: PropContext = propContext(s, snap, stat, false, self);
  const v = def.get(e, ctx);
  const entries = v instanceof Link ? [...v.entries] : [];
  sortEntries(entries, stringOrder(stat.SortLocale).compare); // constraint 14
  return entries.map((x) => x.mid);
}

export function isSelf(s: NspiSession, e: AbEntry): boolean {
  return e.kind === 'user' && e.username !== null && e.username.toLowerCase() === s.username.toLowerCase();
}

/** Every property tag a restriction reads (to prefetch what it needs). */
function restrictionTags(r: Restriction): number[] {
  const out: number[] = [];
  const stack: Restriction[] = [r];
  while (stack.length > 0) {
    const n = stack.pop() as Restriction;
    switch (n.type) {
      case 'and':
      case 'or':
        stack.push(...n.res);
        break;
      case 'not':
      case 'sub':
        stack.push(n.res);
        break;
      case 'compareProps':
        out.push(n.propTag1, n.propTag2);
        break;
      default:
        out.push(n.propTag);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.11 NspiResortRestriction

export interface MidsResult {
  ec: number;
  stat: Stat;
  mids: number[] | null;
}

export async function nspiResortRestriction(s: NspiSession, stat: Stat, inMids: readonly number[]): Promise<MidsResult> {
  const fail = (ec: number): MidsResult => ({ ec, stat, mids: null });
  if (unicodeStat(s, stat)) return fail(MAPI_E.NO_SUPPORT); // constraint 1
  const sort = stat.SortType >>> 0;
  if (sort !== SortType.SortTypeDisplayName && sort !== SortType.SortTypePhoneticDisplayName) return fail(MAPI_E.NO_SUPPORT); // constraint 2
  if (sort !== SortType.SortTypeDisplayName) return fail(MAPI_E.CALL_FAILED); // constraint 5
  const snap = await s.ab.snapshot();
  // constraint 6: the objects the MIds name (others ignored), sorted
  const entries: AbEntry[] = [];
  for (const m of inMids) {
    const e = snap.entry(m);
    if (e) entries.push(e);
  }
  sortEntries(entries, stringOrder(stat.SortLocale).compare);
  const mids = entries.map((e) => e.mid);
  // constraint 8
  const out: Stat = { ...stat, TotalRecs: mids.length };
  if (!mids.includes(stat.CurrentRec >>> 0)) {
    out.CurrentRec = MID_BEGINNING_OF_TABLE;
    out.NumPos = 0;
  }
  return { ec: MAPI_E.SUCCESS, stat: out, mids };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.12 NspiCompareMIds

export async function nspiCompareMIds(s: NspiSession, stat: Stat, mid1: number, mid2: number): Promise<{ ec: number; result: number }> {
  if (unicodeStat(s, stat)) return { ec: MAPI_E.NO_SUPPORT, result: 0 }; // constraint 1
  const snap = await s.ab.snapshot();
  const container = containerOf(snap, stat);
  if (!container) return { ec: MAPI_E.INVALID_BOOKMARK, result: 0 }; // constraint 3
  const sortEc = checkSortType(stat);
  if (sortEc) return { ec: sortEc, result: 0 };
  const table = snap.table(container, stat.SortLocale);
  const p1 = table.position.get(mid1 >>> 0);
  const p2 = table.position.get(mid2 >>> 0);
  if (p1 === undefined || p2 === undefined) return { ec: MAPI_E.CALL_FAILED, result: 0 }; // constraint 5
  return { ec: MAPI_E.SUCCESS, result: Math.sign(p1 - p2) }; // constraints 6-8
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.16 NspiResolveNames, 3.1.4.1.17 NspiResolveNamesW (the wire decodes the 8-bit strings of
// NspiResolveNames in the STAT's code page, 3.1.4.3.4, before they get here)

export interface ResolveNamesRequest {
  stat: Stat;
  propTags: readonly number[] | null;
  /** The strings to resolve; null for a NULL string. */
  names: ReadonlyArray<string | null>;
}

export interface ResolveResult {
  ec: number;
  mids: number[] | null;
  rows: Row[] | null;
}

/**
 * Constraint 6: per string, MID_UNRESOLVED, MID_AMBIGUOUS, or for a unique match the object's own Minimal Entry ID
 * (3.1.4.7 names the third outcome MID_RESOLVED; Exchange and the brief return the MId, which also lets a client
 * read more of the object). Constraint 7: one row per resolved string, in order, read with permanent entry IDs
 * (they end up in messages' recipient tables) and the default columns when none are given.
 * The Reserved parameter is not checked: Outlook 2010-2019 send 0x80000000 there (Gromox's nsp_interface.cpp).
 */
export async function nspiResolveNames(s: NspiSession, req: ResolveNamesRequest): Promise<ResolveResult> {
  const { stat } = req;
  const fail = (ec: number): ResolveResult => ({ ec, mids: null, rows: null });
  const cpEc = checkCodePage(s, stat.CodePage); // constraint 1
  if (cpEc) return fail(cpEc);
  const tags = req.propTags ?? DEFAULT_COLUMNS;
  if (tags.length > s.ab.limits.maxPropTags) return fail(MAPI_E.TABLE_TOO_BIG);
  const snap = await s.ab.snapshot();
  const container = containerOf(snap, stat);
  if (!container) return fail(MAPI_E.INVALID_BOOKMARK); // constraint 5
  const within = container === snap.gal ? undefined : (container.includes ?? (() => false));
  const mids: number[] = [];
  const resolved: AbEntry[] = [];
  for (const name of req.names) {
    const r = snap.anr.resolve(name, within);
    if (r.kind === 'resolved') {
      mids.push(r.entry.mid);
      resolved.push(r.entry);
    } else mids.push(r.kind === 'ambiguous' ? MID_AMBIGUOUS : MID_UNRESOLVED);
  }
  const self = await prefetch(s, snap, resolved, tags);
  const ctx = propContext(s, snap, stat, false, self);
  return { ec: MAPI_E.SUCCESS, mids, rows: resolved.map((e) => readRow(e, tags, ctx).row) };
}
