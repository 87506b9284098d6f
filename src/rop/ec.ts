// MS-OXCDATA 2.4 error codes returned in ROP responses (ReturnValue) and by EMSMDB calls, named as in the spec.
// Add codes here (checked against MS-OXCDATA 2.4.1/2.4.2), never as literals elsewhere.
export const ec = {
  Success: 0x00000000,
  // 2.4.1 additional error codes
  UnknownUser: 0x000003eb,
  ServerOOM: 0x000003f0,
  LoginPerm: 0x000003f2,
  /** ecNotSearchFolder: RopSetSearchCriteria / RopGetSearchCriteria on a folder that is not a search folder. */
  NotSearchFolder: 0x00000461,
  NoReceiveFolder: 0x00000463,
  WrongServer: 0x00000478,
  /** ecServerBusy: RopFastTransferSourceGetBuffer answers it with a BackoffTime (MS-OXCROPS 2.2.12.4). */
  ServerBusy: 0x00000480,
  BufferTooSmall: 0x0000047d,
  /** ecSearchFolderScopeViolation: a search scope with a folder the search folder cannot take (MS-OXCFOLD 2.2.1.4.1). */
  SearchFolderScopeViolation: 0x00000490,
  RpcFormat: 0x000004b6,
  NullObject: 0x000004b9,
  /** ecQuotaExceeded: a save, copy or delivery over the mailbox's storage quota (the IMAP server's, issue 8). */
  QuotaExceeded: 0x000004d9,
  NotExpanded: 0x000004f7,
  NotCollapsed: 0x000004f8,
  DstNullObject: 0x00000503,
  // 2.4.2 / MAPI codes
  Error: 0x80004005,
  NotSupported: 0x80040102,
  NotImplemented: 0x80040fff,
  UnknownFlags: 0x80040106,
  InvalidEntryId: 0x80040107,
  InvalidObject: 0x80040108,
  ObjectModified: 0x80040109,
  ObjectDeleted: 0x8004010a,
  NotFound: 0x8004010f,
  LoginFailure: 0x80040111,
  UnableToAbort: 0x80040114,
  TooComplex: 0x80040117,
  Computed: 0x8004011a,
  CorruptData: 0x8004011b,
  UnknownCodePage: 0x8004011e,
  UnknownLocale: 0x8004011f,
  TooBig: 0x80040305,
  TableTooBig: 0x80040403,
  InvalidBookmark: 0x80040405,
  DuplicateName: 0x80040604,
  NotInitialized: 0x80040605,
  HasFolders: 0x80040609,
  HasMessages: 0x8004060a,
  FolderCycle: 0x8004060b,
  AccessDenied: 0x80070005,
  MAPIOOM: 0x8007000e,
  InvalidParam: 0x80070057,
  // MS-OXCDATA 2.4.2 ICS synchronization codes (RopSynchronizationImport*, MS-OXCFXICS 3.2.5.9.4; issue 7, K5)
  SyncObjectDeleted: 0x80040800,
  SyncIgnore: 0x80040801,
  SyncConflict: 0x80040802,
  SyncNoParent: 0x80040803,
  SyncIncest: 0x80040804,
  SyncClientChangeNewer: 0x00040821,
  // warnings
  WarnWithErrors: 0x00040380,
  WarnPartialCompletion: 0x00040680,
} as const;

export type EcName = keyof typeof ec;

const names = new Map<number, string>(Object.entries(ec).map(([k, v]) => [v, `ec${k}`]));

/** "ecNullObject (0x000004B9)" for logs. */
export function ecName(value: number): string {
  const hex = `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  const n = names.get(value >>> 0);
  return n ? `${n} (${hex})` : hex;
}
