// The object operations of MS-OXNSPI 3.1.4.1: NspiGetPropList (.6), NspiGetProps (.7), NspiDNToMId (.13),
// NspiModProps (.14), NspiModLinkAtt (.15).
import { DirectoryError } from '../../directory/errors.js';
import { ProtocolError } from '../../util/errors.js';
import { MAPI_E, PT, propId, propType, type TaggedValue } from '../../mapi/props.js';
import { CP_WINUNICODE, MID_UNRESOLVED, fDelete, fEphID, fSkipObjects } from './constants.js';
import { decodeEntryId, type AddressBookEntryID } from '../entryid.js';
import type { AbEntry } from './entry.js';
import { isSelf } from './ops-table.js';
import type { Stat } from './position.js';
import { presentTags, propDef, withStringType } from './props.js';
import { callCodePage, containerOf, hasString8, prefetch, propContext, readRow, type NspiSession, type Row } from './session.js';
import type { Snapshot } from './snapshot.js';
import * as T from './tags.js';

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.6 NspiGetPropList

/**
 * The tags `mid` has values for: PT_OBJECT ones left out under fSkipObjects (constraint 3), string types PT_UNICODE
 * when CodePage is CP_WINUNICODE and PT_STRING8 otherwise (constraint 4 as MS-OXNSPI v14+ words it). An MId that
 * names no object has no properties: an empty list (the method defines no error for it).
 */
export async function nspiGetPropList(s: NspiSession, flags: number, mid: number, codePage: number): Promise<{ ec: number; tags: number[] | null }> {
  const snap = await s.ab.snapshot();
  return { ec: MAPI_E.SUCCESS, tags: await propList(s, snap, snap.entry(mid), flags, callCodePage(s, codePage), 0) };
}

async function propList(s: NspiSession, snap: Snapshot, e: AbEntry | undefined, flags: number, codePage: number, containerId: number): Promise<number[]> {
  if (!e) return [];
  const self = await prefetch(s, snap, [e], null);
  const ctx = { snap, serverGuid: s.ab.serverGuid, ephemeral: false, containerId, self };
  const unicode = codePage >>> 0 === CP_WINUNICODE;
  let tags = presentTags(e, ctx);
  if (flags & fSkipObjects) tags = tags.filter((t) => propType(t) !== PT.OBJECT);
  return tags.map((t) => withStringType(t, unicode));
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.7 NspiGetProps

export interface GetPropsResult {
  /** SUCCESS, ErrorsReturned (some values are PT_ERROR) or an error (row null). */
  ec: number;
  row: Row | null;
}

export async function nspiGetProps(s: NspiSession, flags: number, stat: Stat, propTags: readonly number[] | null): Promise<GetPropsResult> {
  const cp = callCodePage(s, stat.CodePage);
  if (cp === CP_WINUNICODE) {
    if (propTags && hasString8(propTags)) return { ec: MAPI_E.NO_SUPPORT, row: null }; // constraint 1
  } else if (!s.ab.isSupportedCodePage(cp)) return { ec: MAPI_E.UNKNOWN_CPID, row: null };
  const snap = await s.ab.snapshot();
  if (!containerOf(snap, stat)) return { ec: MAPI_E.INVALID_BOOKMARK, row: null }; // constraint 4
  // constraint 11: an MId that names nothing reads as an object without values (MID_CURRENT included, 2.2.1.8)
  const e = snap.entry(stat.CurrentRec);
  // constraint 5: no tags given means NspiGetPropList's list
  const tags = propTags ?? (await propList(s, snap, e, flags, cp, stat.ContainerID >>> 0));
  if (tags.length > s.ab.limits.maxPropTags) return { ec: MAPI_E.TABLE_TOO_BIG, row: null }; // constraint 6
  const self = await prefetch(s, snap, [e], tags);
  const { row, errors } = readRow(e, tags, propContext(s, snap, stat, (flags & fEphID) !== 0, self));
  return { ec: errors ? MAPI_E.ERRORS_RETURNED : MAPI_E.SUCCESS, row }; // constraints 12-13
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.13 NspiDNToMId

/**
 * Each DN's MId, 0 (MID_UNRESOLVED) where no object has that DN (constraint 3); DNs compare case-insensitively, and
 * an X500 proxy address (a former DN) maps to its object too (MS-OXNSPI 2.2.9.3: a server MAY let DNs change).
 */
export async function nspiDNToMId(s: NspiSession, names: ReadonlyArray<string | null>): Promise<{ ec: number; mids: number[] }> {
  const snap = await s.ab.snapshot();
  const mids = names.map((dn) => (dn ? (snap.byAnyDn(dn)?.mid ?? MID_UNRESOLVED) : MID_UNRESOLVED));
  return { ec: MAPI_E.SUCCESS, mids };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.14 NspiModProps

/**
 * A user may replace its own PidTagAddressBookX509Certificate (published certificates) and nothing else: another
 * property, or another object, is AccessDenied (constraint 11); an object of another display type is InvalidObject
 * (constraint 7). Values of the tags in pPropTags are removed, then pRow's values set (constraints 8-10).
 */
export async function nspiModProps(s: NspiSession, stat: Stat, propTags: readonly number[] | null, row: readonly TaggedValue[]): Promise<{ ec: number }> {
  if (callCodePage(s, stat.CodePage) === CP_WINUNICODE) return { ec: MAPI_E.NO_SUPPORT }; // constraint 1
  if (!propTags) return { ec: MAPI_E.INVALID_PARAMETER }; // constraint 5
  const snap = await s.ab.snapshot();
  const e = snap.entry(stat.CurrentRec);
  if (!e) return { ec: MAPI_E.INVALID_PARAMETER }; // constraint 6
  if (e.kind !== 'user' || !e.username) return { ec: MAPI_E.INVALID_OBJECT }; // constraint 7
  if (!isSelf(s, e)) return { ec: MAPI_E.NO_ACCESS };
  const CERT = propId(T.PidTagAddressBookX509Certificate);
  for (const t of propTags) if (propId(t) !== CERT) return { ec: MAPI_E.NO_ACCESS };
  let certs: Buffer[] | null = propTags.length > 0 ? [] : null;
  for (const v of row) {
    if (propId(v.tag) !== CERT) return { ec: MAPI_E.NO_ACCESS };
    if (propType(v.tag) !== PT.MV_BINARY || !Array.isArray(v.value) || !v.value.every((b) => Buffer.isBuffer(b))) {
      return { ec: MAPI_E.INVALID_PARAMETER };
    }
    certs = (v.value as Buffer[]).map((b) => Buffer.from(b));
  }
  if (certs === null) return { ec: MAPI_E.SUCCESS };
  try {
    await s.ab.directory.setCertificates(e.username, certs);
  } catch (err) {
    return { ec: directoryEc(err) };
  } finally {
    s.ab.invalidateSelfService(e.username);
  }
  return { ec: MAPI_E.SUCCESS };
}

function directoryEc(err: unknown): number {
  if (err instanceof DirectoryError && err.code === 'OC_DIR_BAD_VALUE') return MAPI_E.INVALID_PARAMETER;
  if (!(err instanceof DirectoryError)) throw err; // not a refusal: the caller's boundary logs it (GeneralFailure)
  return MAPI_E.NO_ACCESS;
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.15 NspiModLinkAtt

/**
 * A user may add or remove its own delegates (PidTagAddressBookPublicDelegates) by entry ID, Ephemeral or Permanent;
 * entry IDs that name no user of this server are ignored, as are deletions of absent values and additions of present
 * ones (constraints 6-7). Distribution list membership (PidTagAddressBookMember) and every other object are
 * AccessDenied (constraints 5, 8); an unknown property is NotFound (3), an unknown MId InvalidParameter (4).
 */
export async function nspiModLinkAtt(s: NspiSession, flags: number, propTag: number, mid: number, entryIds: readonly Uint8Array[]): Promise<{ ec: number }> {
  if (!propDef(propTag)) return { ec: MAPI_E.NOT_FOUND };
  const snap = await s.ab.snapshot();
  const e = snap.entry(mid);
  if (!e) return { ec: MAPI_E.INVALID_PARAMETER };
  if (propId(propTag) !== propId(T.PidTagAddressBookPublicDelegates) || e.kind !== 'user' || !e.username) return { ec: MAPI_E.NO_ACCESS };
  if (!isSelf(s, e)) return { ec: MAPI_E.NO_ACCESS };
  const named: string[] = [];
  for (const raw of entryIds) {
    const id = readEntryId(raw);
    let target: AbEntry | undefined;
    if (id?.type === 'ephemeral' && id.providerUid === s.ab.serverGuid) target = snap.entry(id.mid);
    else if (id?.type === 'permanent') target = snap.byAnyDn(id.dn);
    if (target?.kind === 'user' && target.username) named.push(target.username);
  }
  let current: string[];
  try {
    current = [...((await s.ab.directory.getSelfService(e.username))?.delegates ?? [])];
  } catch (err) {
    s.ab.invalidateSelfService(e.username);
    return { ec: directoryEc(err) };
  }
  const has = (u: string) => current.some((c) => c.toLowerCase() === u.toLowerCase());
  let next: string[];
  if (flags & fDelete) next = current.filter((c) => !named.some((u) => u.toLowerCase() === c.toLowerCase()));
  else {
    next = [...current];
    for (const u of named) if (!has(u) && !next.some((c) => c.toLowerCase() === u.toLowerCase())) next.push(u);
  }
  if (next.length === current.length && next.every((u, i) => u === current[i])) return { ec: MAPI_E.SUCCESS };
  try {
    await s.ab.directory.setDelegates(e.username, next);
  } catch (err) {
    return { ec: directoryEc(err) };
  } finally {
    s.ab.invalidateSelfService(e.username);
  }
  return { ec: MAPI_E.SUCCESS };
}


/** An entry ID from the client, or null when it is not one (such values are ignored, like unknown objects). */
function readEntryId(raw: Uint8Array): AddressBookEntryID | null {
  try {
    return decodeEntryId(raw);
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    throw e;
  }
}
