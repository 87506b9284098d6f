// An NSPI session (one NspiBind context handle, MS-OXNSPI 3.1.4.1.1) and the helpers every operation shares: the
// checks on the STAT block, the table it names, and reading rows the way NspiGetProps does (3.1.4.1.7), which
// NspiQueryRows, NspiSeekEntries, NspiGetMatches and NspiResolveNames are defined in terms of.
import { MAPI_E, PT, makeTag, propId, propType, type TaggedValue } from '../../mapi/props.js';
import type { AddressBook } from './addressbook.js';
import { CP_ACP, CP_WINUNICODE, SortType } from './constants.js';
import type { AbContainer, AbEntry } from './entry.js';
import type { Stat } from './position.js';
import { errorValue, readProp, selfServiceNeeds, type PropContext, type SelfServiceView } from './props.js';
import type { Snapshot } from './snapshot.js';
import * as T from './tags.js';

export interface NspiSession {
  readonly ab: AddressBook;
  /** The authenticated directory user (call.user.username). */
  readonly username: string;
  readonly bindFlags: number;
  /** The STAT of NspiBind: the session's code page and locales. */
  readonly codePage: number;
  readonly templateLocale: number;
  readonly sortLocale: number;
}

/** A row: the values in the order of the tags asked for. */
export type Row = TaggedValue[];

/** Outcome of a check: SUCCESS or the ec to return. */
export type Ec = number;

/** MS-OXNSPI 3.1.4.1.8 constraint 6: the columns of a row when the client gives none. */
export const DEFAULT_COLUMNS: readonly number[] = [
  T.PidTagAddressBookContainerId,
  T.PidTagObjectType,
  T.PidTagDisplayType,
  makeTag(propId(T.PidTagDisplayName), PT.STRING8),
  makeTag(propId(T.PidTagPrimaryTelephoneNumber), PT.STRING8),
  makeTag(propId(T.PidTagDepartmentName), PT.STRING8),
  makeTag(propId(T.PidTagOfficeLocation), PT.STRING8),
];

/**
 * The code page a call's CodePage stands for: CP_ACP (0, "the default code page", which impacket's helpers send in
 * their default STATs) is the session's; any other value is itself.
 */
export function callCodePage(session: NspiSession, cp: number): number {
  return cp >>> 0 === CP_ACP ? session.codePage : cp >>> 0;
}

/**
 * The code page of a call's STAT: CP_WINUNICODE cannot carry 8-bit strings (the methods' constraint 1: "MUST return
 * one of the return values", we say NotSupported); any other must be one we convert (InvalidCodepage).
 */
export function checkCodePage(session: NspiSession, cp: number): Ec {
  const c = callCodePage(session, cp);
  if (c === CP_WINUNICODE) return MAPI_E.NO_SUPPORT;
  return session.ab.isSupportedCodePage(c) ? MAPI_E.SUCCESS : MAPI_E.UNKNOWN_CPID;
}

/** The container a STAT names: 0 is the Global Address List; anything else must be in the hierarchy table. */
export function containerOf(snap: Snapshot, stat: Stat): AbContainer | null {
  return snap.containerById.get(stat.ContainerID >>> 0) ?? null;
}

/**
 * SortTypeDisplayName is the one table order we keep. SortTypePhoneticDisplayName is a SHOULD (2.2.1.10) that we do
 * not support; asking for it, or for an unknown order, is GeneralFailure (as 3.1.4.1.9 constraint 9 and
 * 3.1.4.1.11 constraint 5 prescribe there).
 */
export function checkSortType(stat: Stat): Ec {
  return stat.SortType >>> 0 === SortType.SortTypeDisplayName ? MAPI_E.SUCCESS : MAPI_E.CALL_FAILED;
}

export function propContext(session: NspiSession, snap: Snapshot, stat: Stat, ephemeral: boolean, self: SelfServiceView): PropContext {
  return { snap, serverGuid: session.ab.serverGuid, ephemeral, containerId: stat.ContainerID >>> 0, self };
}

/** Self-service data for reading `tags` (null = all) of `entries`. */
export function prefetch(session: NspiSession, snap: Snapshot, entries: Iterable<AbEntry | undefined>, tags: readonly number[] | null): Promise<SelfServiceView> {
  const needs = selfServiceNeeds(tags);
  const list: AbEntry[] = [];
  if (needs.user) for (const e of entries) if (e) list.push(e);
  return session.ab.prefetch(snap, list, needs);
}

/**
 * One row as NspiGetProps builds it (3.1.4.1.7 constraints 10-12): a value per tag in order, duplicates kept, a
 * PT_ERROR NotFound for every tag the object lacks, and every tag an error when the object is unknown.
 */
export function readRow(e: AbEntry | undefined, tags: readonly number[], ctx: PropContext): { row: Row; errors: boolean } {
  const row: Row = new Array(tags.length);
  let errors = false;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i] as number;
    const v = e ? readProp(e, tag, ctx) : errorValue(tag);
    if (propType(v.tag) === PT.ERROR) errors = true;
    row[i] = v;
  }
  return { row, errors };
}

/** The rows of an Explicit Table (3.1.4.1.8 constraints 13-14): one per MId, unknown MIds as all-error rows. */
export function readRows(snap: Snapshot, mids: readonly number[], tags: readonly number[], ctx: PropContext): Row[] {
  return mids.map((m) => readRow(snap.entry(m), tags, ctx).row);
}

/** Whether any tag is a PT_STRING8 (NspiGetProps constraint 1 with CP_WINUNICODE). */
export function hasString8(tags: readonly number[]): boolean {
  return tags.some((t) => {
    const ty = propType(t);
    return ty === PT.STRING8 || ty === PT.MV_STRING8;
  });
}
