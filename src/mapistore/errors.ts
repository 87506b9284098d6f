// Store failures: a StoreError carries the MAPI error code (MS-OXCDATA 2.4) the ROP layer answers with. The values
// are the spec's; they live here because mapistore sits below src/rop (whose ec table holds the same numbers).
import { OcError } from '../util/errors.js';

// MS-OXCDATA 2.4 error codes the store raises
export const SEC = {
  Error: 0x80004005,
  NotSupported: 0x80040102,
  InvalidEntryId: 0x80040107,
  NotFound: 0x8004010f,
  Computed: 0x8004011a,
  NoReceiveFolder: 0x00000463,
  DuplicateName: 0x80040604,
  HasFolders: 0x80040609,
  HasMessages: 0x8004060a,
  FolderCycle: 0x8004060b,
  AccessDenied: 0x80070005,
  InvalidParam: 0x80070057,
  NoAccess: 0x80070005,
  /** MS-OXCDATA 2.4.2 ecTimeout: a backend (index, IMAP, ...) did not answer in time. */
  Timeout: 0x80040401,
  /** MS-OXCDATA 2.4.2 ecTooBig (MAPI_E_TOO_BIG): a value past the configured maximum size. */
  TooBig: 0x80040305,
  /** MS-OXCDATA 2.4 ecMAPIOOM: a value too large for RopGetProperties* (read it with a stream). */
  NotEnoughMemory: 0x8007000e,
  /** MS-OXCDATA 2.4 ecObjectDeleted: the message was deleted while open. */
  ObjectDeleted: 0x8004010a,
  /** MS-OXCDATA 2.4 ecObjectModified: a save conflicts with another save of the same message. */
  ObjectModified: 0x80040109,
  /** MS-OXCDATA 2.4 ecNetError (MAPI_E_NETWORK_ERROR): a backend server (IMAP, ...) cannot be reached. */
  NetworkError: 0x80040115,
  /** MS-OXCDATA 2.4 ecLoginFailure (MAPI_E_LOGON_FAILED): the backend refused the login for the user. */
  LogonFailed: 0x80040111,
  /**
   * MS-OXCDATA 2.4.1 ecQuotaExceeded: the operation would have exceeded a resource quota (a save, copy or delivery
   * into a mailbox the IMAP server refuses over its quota).
   */
  QuotaExceeded: 0x000004d9,
} as const;

export class StoreError extends OcError {
  readonly ec: number;
  constructor(code: string, ec: number, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.ec = ec;
  }
}

export const notFound = (what: string, id?: bigint): StoreError =>
  new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, id === undefined ? `${what} not found` : `${what} 0x${id.toString(16)} not found`);
