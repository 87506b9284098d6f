// Constants of the Address Book User Interface Templates Protocol (MS-OXOABKT) and of NspiGetTemplateInfo
// (MS-OXNSPI 2.2.1.14 / 3.1.4.1.18; MS-NSPI 2.2.16 / 3.1.4.20). Names as in the specs so grep meets them.

// MS-OXNSPI 2.2.1.14 NspiGetTemplateInfo Flags (dwFlags). The server ignores every other bit.
export const TI_TEMPLATE = 0x00000001;
export const TI_SCRIPT = 0x00000004;
export const TI_EMT = 0x00000010;
export const TI_HELPFILE_NAME = 0x00000020;
export const TI_HELPFILE_CONTENTS = 0x00000040;

// MS-OXNSPI 2.2.1.3 Display Type Values (the ulType of NspiGetTemplateInfo)
export const DT_MAILUSER = 0x00000000;
export const DT_DISTLIST = 0x00000001;
export const DT_FORUM = 0x00000002;
export const DT_AGENT = 0x00000003;
export const DT_ORGANIZATION = 0x00000004;
export const DT_PRIVATE_DISTLIST = 0x00000005;
export const DT_REMOTE_MAILUSER = 0x00000006;
export const DT_CONTAINER = 0x00000100;
export const DT_TEMPLATE = 0x00000101;
export const DT_ADDRESS_TEMPLATE = 0x00000102;
export const DT_SEARCH = 0x00000200;

/** MS-OXNSPI 2.2.1.5 Required Code Pages: CP_WINUNICODE is refused by NspiGetTemplateInfo (InvalidCodePage). */
export const CP_WINUNICODE = 1200;

// Properties of the PropertyRow_r that NspiGetTemplateInfo returns (MS-OXOABKT 2.2.2, MS-OXPROPS).
/** PidTagTemplateData (PR_EMS_TEMPLATE_BLOB), MS-OXOABKT 2.2.2.1: the TRowSet and its strings. */
export const PidTagTemplateData = 0x00010102;
/** PidTagScriptData (PR_EMS_SCRIPT_BLOB), MS-OXOABKT 2.2.2.2: the address-building script. */
export const PidTagScriptData = 0x00040102;
/** PR_EMS_AB_HELP_FILE_NAME (TI_HELPFILE_NAME): name of the template's help file. */
export const PR_EMS_AB_HELP_FILE_NAME = 0x803b001e;
/** PR_EMS_AB_HELP_DATA32 (TI_HELPFILE_CONTENTS, historically TI_HELPFILE32): the help file itself. */
export const PR_EMS_AB_HELP_DATA32 = 0x80100102;
/** PidTagAddressType (TI_EMT): the e-mail address type an address creation template builds. */
export const PidTagAddressType = 0x3002001e;

// MS-OXOABKT 2.2.2.1.2 TRow ControlType values (DTCT_* in mapidefs.h). Sections 2.2.2.1.3.1-9 define the CNTRL
// of the nine types marked "spec"; combo box, drop-down list box and radio button exist in MAPI display tables
// but MS-OXOABKT gives them no CNTRL layout.
export const DTCT_LABEL = 0x00000000; // spec 2.2.2.1.3.1
export const DTCT_EDIT = 0x00000001; // spec 2.2.2.1.3.2
export const DTCT_LBX = 0x00000002; // spec 2.2.2.1.3.3 list box
export const DTCT_COMBOBOX = 0x00000003;
export const DTCT_DDLBX = 0x00000004;
export const DTCT_CHECKBOX = 0x00000005; // spec 2.2.2.1.3.4
export const DTCT_GROUPBOX = 0x00000006; // spec 2.2.2.1.3.5
export const DTCT_BUTTON = 0x00000007; // spec 2.2.2.1.3.6
export const DTCT_PAGE = 0x00000008; // spec 2.2.2.1.3.7 tabbed page
export const DTCT_RADIOBUTTON = 0x00000009;
export const DTCT_MVLISTBOX = 0x0000000b; // spec 2.2.2.1.3.8
export const DTCT_MVDDLBX = 0x0000000c; // spec 2.2.2.1.3.9

// MS-OXOABKT 2.2.2.1.2 TRow ControlFlags bits (ignored on a tabbed page).
export const DT_MULTILINE = 0x00000001;
export const DT_EDITABLE = 0x00000002;
export const DT_REQUIRED = 0x00000004;
export const DT_SET_IMMEDIATE = 0x00000008;
export const DT_PASSWORD_EDIT = 0x00000010;
export const DT_ACCEPT_DBCS = 0x00000020;
export const DT_SET_SELECTION = 0x00000040;

/** MS-OXOABKT 2.2.2.1.1: TRowSet.Type MUST be 0x00000001. */
export const TROWSET_TYPE = 0x00000001;
/** Bytes of the TRowSet header (Type, cRows) and of one TRow (six ULONGs and a 12-byte CNTRL). */
export const TROWSET_HEADER_SIZE = 8;
export const TROW_SIZE = 36;

/**
 * Longest string (bytes, terminating NUL included) the sections allow per control type: label 128 characters
 * (2.2.2.1.3.1), edit filter 15 (2.2.2.1.3.2), check box / group box / button 128 bytes (2.2.2.1.3.4-6), tabbed
 * page 32 bytes (2.2.2.1.3.7). List boxes carry "*" only; other types have no stated limit, 128 is used.
 */
export function maxStringBytes(controlType: number): number {
  switch (controlType) {
    case DTCT_EDIT:
      return 15;
    case DTCT_PAGE:
      return 32;
    default:
      return 128;
  }
}
