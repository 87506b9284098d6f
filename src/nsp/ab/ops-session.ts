// Session and catalogue operations of MS-OXNSPI 3.1.4.1: NspiBind (.1), NspiUnbind (.2), NspiGetSpecialTable (.3),
// NspiQueryColumns (.5), NspiGetTemplateInfo (.18), and MS-NSPI's NspiGetNamesFromIDs / NspiGetIDsFromNames
// (3.1.4.16/.17, opnums 17/18).
import { MAPI_E, PT, makeTag, propId } from '../../mapi/props.js';
import type { AddressBook } from './addressbook.js';
import {
  CP_ACP,
  CP_ACP_DEFAULT,
  CP_WINUNICODE,
  DT,
  NSPI_EC,
  NspiAddressCreationTemplates,
  NspiUnicodeProptypes,
  NspiUnicodeStrings,
  fAnonymousLogin,
} from './constants.js';
import { encodePermanentEntryId } from '../entryid.js';
import { isTemplateCodePage, templateFor } from '../templates/index.js';
import type { AbContainer } from './entry.js';
import { idsFromNames, namesFromIds, type NamesResult, type PropertyName } from './names.js';
import type { Stat } from './position.js';
import { knownTags, withStringType } from './props.js';
import { callCodePage, type NspiSession, type Row } from './session.js';
import type { Snapshot } from './snapshot.js';
import * as T from './tags.js';

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.1 NspiBind

export interface BindRequest {
  flags: number;
  stat: Stat;
  /** The authenticated user of the call (call.user.username), null when unauthenticated. */
  user: string | null;
}

export interface BindResult {
  ec: number;
  session: NspiSession | null;
  /** The server GUID for pServerGuid (constraint 6). */
  serverGuid: string;
}

/**
 * Unauthenticated calls and fAnonymousLogin are refused with LogonFailed (constraints 2-3: the server may ignore the
 * anonymous request; we do not serve anonymous clients at all). The session's code page must be one we convert
 * (constraint 5; CP_WINUNICODE cannot be a session code page, constraint 1).
 */
export async function nspiBind(ab: AddressBook, req: BindRequest): Promise<BindResult> {
  const fail = (ec: number): BindResult => ({ ec, session: null, serverGuid: ab.serverGuid });
  if (!req.user || req.flags & fAnonymousLogin) return fail(MAPI_E.LOGON_FAILED);
  const cp = req.stat.CodePage >>> 0 === CP_ACP ? CP_ACP_DEFAULT : req.stat.CodePage >>> 0;
  if (cp === CP_WINUNICODE || !ab.isSupportedCodePage(cp)) return fail(MAPI_E.UNKNOWN_CPID);
  let snap = await ab.snapshot();
  let me = snap.byUsername.get(req.user.toLowerCase());
  if (!me) {
    // a user added a moment ago may not be in the snapshot yet
    snap = await ab.load();
    me = snap.byUsername.get(req.user.toLowerCase());
  }
  if (!me?.username) return fail(MAPI_E.LOGON_FAILED);
  return {
    ec: MAPI_E.SUCCESS,
    serverGuid: ab.serverGuid,
    session: {
      ab,
      username: me.username,
      bindFlags: req.flags >>> 0,
      codePage: cp,
      templateLocale: req.stat.TemplateLocale >>> 0,
      sortLocale: req.stat.SortLocale >>> 0,
    },
  };
}

// MS-OXNSPI 3.1.4.1.2 NspiUnbind: the caller destroys the context handle; UnbindSuccess (constraint 1).
export function nspiUnbind(): { ec: number } {
  return { ec: NSPI_EC.UnbindSuccess };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.3 NspiGetSpecialTable

export interface SpecialTableResult {
  ec: number;
  version: number;
  rows: Row[] | null;
}

/** The version of the hierarchy table (lpVersion): a hash of its rows, so that it changes when they do. */
export function hierarchyVersion(snap: Snapshot): number {
  let h = 0x811c9dc5;
  for (const c of snap.containers) {
    const s = `${c.dn}|${c.displayName}|${c.depth}|${c.flags}|${c.containerId};`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0) || 1;
}

/**
 * The hierarchy table (constraints 5-16): per container, in hierarchy order, PidTagEntryId (Permanent, DT_CONTAINER,
 * its addresslist DN), PidTagContainerFlags, PidTagDepth, PidTagAddressBookContainerId, PidTagDisplayName,
 * PidTagAddressBookIsMaster; no rows when the client already holds this version (constraint 7). The address
 * creation table (NspiAddressCreationTemplates) is empty for every locale (constraint 11).
 */
export async function nspiGetSpecialTable(s: NspiSession, flags: number, stat: Stat, version: number): Promise<SpecialTableResult> {
  if (flags & NspiAddressCreationTemplates) return { ec: MAPI_E.SUCCESS, version, rows: [] };
  const unicode = (flags & NspiUnicodeStrings) !== 0;
  const cp = callCodePage(s, stat.CodePage);
  if (!unicode) {
    if (cp === CP_WINUNICODE) return { ec: MAPI_E.NO_SUPPORT, version, rows: null }; // constraint 1
    if (!s.ab.isSupportedCodePage(cp)) return { ec: MAPI_E.UNKNOWN_CPID, version, rows: null };
  }
  const snap = await s.ab.snapshot();
  const ours = hierarchyVersion(snap);
  if (version >>> 0 === ours) return { ec: MAPI_E.SUCCESS, version: ours, rows: [] };
  const nameTag = makeTag(propId(T.PidTagDisplayName), unicode ? PT.UNICODE : PT.STRING8);
  const rows = snap.containers.map((c) => hierarchyRow(c, nameTag));
  return { ec: MAPI_E.SUCCESS, version: ours, rows };
}

function hierarchyRow(c: AbContainer, nameTag: number): Row {
  return [
    { tag: T.PidTagEntryId, value: encodePermanentEntryId({ displayType: DT.DT_CONTAINER, dn: c.dn }) },
    { tag: T.PidTagContainerFlags, value: c.flags },
    { tag: T.PidTagDepth, value: c.depth },
    { tag: T.PidTagAddressBookContainerId, value: c.containerId },
    { tag: nameTag, value: c.displayName },
    { tag: T.PidTagAddressBookIsMaster, value: c.isMaster },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.5 NspiQueryColumns: every property we serve, strings typed by NspiUnicodeProptypes.

export function nspiQueryColumns(flags: number): { ec: number; tags: number[] } {
  const unicode = (flags & NspiUnicodeProptypes) !== 0;
  return { ec: MAPI_E.SUCCESS, tags: knownTags().map((t) => withStringType(t, unicode)) };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-OXNSPI 3.1.4.1.18 NspiGetTemplateInfo

export interface TemplateInfoRequest {
  flags: number;
  type: number;
  dn: string | null;
  codePage: number;
  localeId: number;
}

/**
 * CP_WINUNICODE and code pages we do not convert are InvalidCodepage (constraints 3-4). A template named by DN (we
 * keep none as address book objects), or none for the display type and locale, is InvalidLocale (constraint 5).
 * The row holds the parts the flags ask for (constraint 6): src/nsp/templates builds them.
 */
export function nspiGetTemplateInfo(s: NspiSession, req: TemplateInfoRequest): { ec: number; row: Row | null } {
  const cp = callCodePage(s, req.codePage);
  if (cp === CP_WINUNICODE || !s.ab.isSupportedCodePage(cp) || !isTemplateCodePage(cp)) return { ec: MAPI_E.UNKNOWN_CPID, row: null };
  if (req.dn !== null) return { ec: MAPI_E.UNKNOWN_LCID, row: null };
  const row = templateFor(req.type >>> 0, req.localeId >>> 0, cp, req.flags >>> 0);
  if (!row) return { ec: MAPI_E.UNKNOWN_LCID, row: null };
  return { ec: MAPI_E.SUCCESS, row };
}

// ---------------------------------------------------------------------------------------------------------------
// MS-NSPI 3.1.4.16 NspiGetNamesFromIDs, 3.1.4.17 NspiGetIDsFromNames

export function nspiGetNamesFromIDs(guid: string | null, propTags: readonly number[] | null): NamesResult {
  return namesFromIds(guid, propTags);
}

export function nspiGetIDsFromNames(names: readonly PropertyName[]): { ec: number; tags: number[] } {
  return idsFromNames(names);
}
