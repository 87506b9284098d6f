// Constant values of the NSPI address book (MS-OXNSPI 2.2.1, MS-OXOABK 2.2), named as in the specifications.

// MS-OXNSPI 2.2.1.3 Display Type Values
export const DT = {
  DT_MAILUSER: 0x00000000,
  DT_DISTLIST: 0x00000001,
  DT_FORUM: 0x00000002,
  DT_AGENT: 0x00000003,
  DT_ORGANIZATION: 0x00000004,
  DT_PRIVATE_DISTLIST: 0x00000005,
  DT_REMOTE_MAILUSER: 0x00000006,
  DT_CONTAINER: 0x00000100,
  DT_TEMPLATE: 0x00000101,
  DT_ADDRESS_TEMPLATE: 0x00000102,
  DT_SEARCH: 0x00000200,
} as const;

// MS-OXOABK 2.2.3.12 PidTagDisplayTypeEx flags
export const DTE_FLAG_REMOTE_VALID = 0x80000000;
export const DTE_FLAG_ACL_CAPABLE = 0x40000000;

// MS-OXOABK 2.2.3.10 PidTagObjectType values (MAPI object types)
export const MAPI_OBJECT_TYPE = {
  MAPI_ABCONT: 0x00000004,
  MAPI_MAILUSER: 0x00000006,
  MAPI_DISTLIST: 0x00000008,
} as const;

// MS-OXNSPI 2.2.1.4 Default Language Code Identifier
export const NSPI_DEFAULT_LOCALE = 0x00000409;

// MS-OXNSPI 2.2.1.5 Required Code Pages
export const CP_TELETEX = 0x00004f25;
export const CP_WINUNICODE = 0x000004b0;
/** Windows' CP_ACP, "the default ANSI code page": the session's code page in a call, 1252 at NspiBind. */
export const CP_ACP = 0;
/** The code page CP_ACP stands for at NspiBind (Windows' Western default). */
export const CP_ACP_DEFAULT = 1252;

// MS-OXNSPI 2.2.1.8 Positioning Minimal Entry IDs
export const MID_BEGINNING_OF_TABLE = 0x00000000;
export const MID_CURRENT = 0x00000001;
export const MID_END_OF_TABLE = 0x00000002;

// MS-OXNSPI 2.2.1.9 Ambiguous Name Resolution Minimal Entry IDs
export const MID_UNRESOLVED = 0x00000000;
export const MID_AMBIGUOUS = 0x00000001;
export const MID_RESOLVED = 0x00000002;

/** MS-OXNSPI 2.2.9.1: Minimal Entry IDs below this value are client signals, never objects. */
export const MID_FIRST_OBJECT = 0x00000010;

// MS-OXNSPI 2.2.1.10 Table Sort Orders
export const SortType = {
  SortTypeDisplayName: 0x00000000,
  SortTypePhoneticDisplayName: 0x00000003,
  SortTypeDisplayName_RO: 0x000003e8,
  SortTypeDisplayName_W: 0x000003e9,
} as const;

// MS-OXNSPI 2.2.1.11 Retrieve Property Flags
export const fSkipObjects = 0x00000001;
export const fEphID = 0x00000002;

// MS-OXNSPI 3.1.4.1.1 (MS-NSPI 2.2.11) NspiBind flags
export const fAnonymousLogin = 0x00000020;

// MS-OXNSPI 2.2.1.12 NspiGetSpecialTable Flags
export const NspiAddressCreationTemplates = 0x00000002;
export const NspiUnicodeStrings = 0x00000004;

// MS-OXNSPI 2.2.1.13 NspiQueryColumns Flag
export const NspiUnicodeProptypes = 0x80000000;

// MS-OXNSPI 2.2.1.14 NspiGetTemplateInfo Flags
export const TI_TEMPLATE = 0x00000001;
export const TI_SCRIPT = 0x00000004;
export const TI_EMT = 0x00000010;
export const TI_HELPFILE_NAME = 0x00000020;
export const TI_HELPFILE_CONTENTS = 0x00000040;

// MS-OXNSPI 2.2.1.15 NspiModLinkAtt Flags
export const fDelete = 0x00000001;

// MS-NSPI 2.2.15 NspiGetIDsFromNames Flags
export const NspiVerifyNames = 0x00000002;

// MS-OXOABK 2.2.2.1 PidTagContainerFlags (mapidefs.h values)
export const AB_RECIPIENTS = 0x00000001;
export const AB_SUBCONTAINERS = 0x00000002;
export const AB_MODIFIABLE = 0x00000004;
export const AB_UNMODIFIABLE = 0x00000008;
export const AB_FIND_ON_OPEN = 0x00000010;

/** MS-OXNSPI 2.2.1.7 GUID_NSPI (also PidTagMappingSignature of every object), as a GUID string. */
export { GUID_NSPI } from '../entryid.js';

/** MS-OXCDATA 2.6.1 PS_MAPI property set: names in it map one-to-one to tagged property ids. */
export const PS_MAPI = '00020328-0000-0000-c000-000000000046';

/** Error values returned by NSPI calls beyond MAPI_E (MS-OXNSPI 2.2.1.2, MS-OXCDATA 2.4). */
export const NSPI_EC = {
  UnbindSuccess: 0x00000001,
  UnbindFailure: 0x00000002,
} as const;
