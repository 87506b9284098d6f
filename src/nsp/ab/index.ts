// The NSPI address book model (MS-OXNSPI, MS-OXOABK), independent of NDR: build an AddressBook from the directory,
// bind sessions, and call one function per NSPI operation with plain values.
export { AddressBook, DEFAULT_LIMITS, type AddressBookOptions, type NspiLimits } from './addressbook.js';
export * from './constants.js';
export type { AbContainer, AbEntry, EntryKind } from './entry.js';
export { PSETID_AddressBook, UNMAPPED_TAG, type PropertyName } from './names.js';
export { nspiDNToMId, nspiGetPropList, nspiGetProps, nspiModLinkAtt, nspiModProps, type GetPropsResult } from './ops-props.js';
export {
  hierarchyVersion,
  nspiBind,
  nspiGetIDsFromNames,
  nspiGetNamesFromIDs,
  nspiGetSpecialTable,
  nspiGetTemplateInfo,
  nspiQueryColumns,
  nspiUnbind,
  type BindRequest,
  type BindResult,
  type SpecialTableResult,
  type TemplateInfoRequest,
} from './ops-session.js';
export {
  nspiCompareMIds,
  nspiGetMatches,
  nspiQueryRows,
  nspiResolveNames,
  nspiResortRestriction,
  nspiSeekEntries,
  nspiUpdateStat,
  type GetMatchesRequest,
  type MatchesResult,
  type MidsResult,
  type QueryRowsRequest,
  type ResolveNamesRequest,
  type ResolveResult,
  type RowsResult,
  type SeekEntriesRequest,
  type UpdateStatResult,
} from './ops-table.js';
export type { Stat } from './position.js';
export { DEFAULT_COLUMNS, type NspiSession, type Row } from './session.js';
export { Snapshot, type DirectoryData, type SpecialObjects } from './snapshot.js';
