// The details dialogs Outlook shows for Address Book objects, per display type: rows of MS-OXOABKT 2.2.2.1 built
// from a label table. Coordinates are dialog units on a page about 368 x 148 (labels 8 high, one-line edits 12);
// the tab order is the row order. Edits are read-only (ControlFlags 0): the GAL is maintained in the directory.
import type { TemplateRow } from './codec.js';
import {
  checkBox,
  edit,
  groupBox,
  label,
  listBox,
  mvDropDown,
  mvListBox,
  page,
  type Rect,
} from './controls.js';
import { DT_MULTILINE } from './constants.js';
import type { TemplateLabels } from './locales.js';
import * as T from './tags.js';

// Character limits of the edit controls: the rangeUpper of the Active Directory attributes behind the properties.
const LEN_NAME = 64;
const LEN_INITIALS = 6;
const LEN_DISPLAY = 256;
const LEN_ADDRESS = 1024;
const LEN_CITY = 128;
const LEN_STATE = 128;
const LEN_ZIP = 40;
const LEN_COUNTRY = 128;
const LEN_OFFICE = 128;
const LEN_ASSISTANT = 256;
const LEN_PHONE = 64;
const LEN_NOTES = 1024;
const LEN_EMAIL = 1123;

const LABEL_H = 8;
const EDIT_H = 12;
const FULL_W = 352;

/** A label left of a one-line field, the label 2 units lower so the texts share a baseline. */
function labelled(text: string, x: number, labelW: number, y: number): TemplateRow {
  return label({ x, y: y + 2, w: labelW, h: LABEL_H }, text);
}

/** A label at `y` over a full-width control `h` high. */
function captioned(text: string, y: number, h: number, control: (r: Rect) => TemplateRow): TemplateRow[] {
  return [label({ x: 6, y, w: FULL_W, h: LABEL_H }, text), control({ x: 6, y: y + 10, w: FULL_W, h })];
}

// Two columns under the name group: label / field pairs.
const LEFT = { labelX: 8, labelW: 58, fieldX: 68, fieldW: 104 };
const RIGHT = { labelX: 180, labelW: 56, fieldX: 238, fieldW: 120 };
const STEP = 14;

function column(
  col: typeof LEFT,
  y0: number,
  fields: Array<{ text: string; field: (r: Rect) => TemplateRow; h?: number }>,
): TemplateRow[] {
  const rows: TemplateRow[] = [];
  let y = y0;
  for (const f of fields) {
    const h = f.h ?? EDIT_H;
    rows.push(labelled(f.text, col.labelX, col.labelW, y), f.field({ x: col.fieldX, y, w: col.fieldW, h }));
    y += h + STEP - EDIT_H;
  }
  return rows;
}

/** General page of a mail user (and, with `contact`, of a contact: one more row for the external address). */
function generalPage(L: TemplateLabels, contact: boolean): TemplateRow[] {
  const nameRows = contact ? 3 : 2;
  const groupH = 13 + nameRows * 15; // name rows at y 14, 29 (, 44); the box ends 4 units below the last
  const rows: TemplateRow[] = [
    page(L.pageGeneral),
    groupBox({ x: 4, y: 2, w: 360, h: groupH }, L.groupName),
    labelled(L.firstName, 10, 36, 14),
    edit({ x: 48, y: 14, w: 60, h: EDIT_H }, T.PidTagGivenName, LEN_NAME),
    labelled(L.initials, 114, 38, 14),
    edit({ x: 154, y: 14, w: 20, h: EDIT_H }, T.PidTagInitials, LEN_INITIALS),
    labelled(L.lastName, 180, 40, 14),
    edit({ x: 222, y: 14, w: 136, h: EDIT_H }, T.PidTagSurname, LEN_NAME),
    labelled(L.display, 10, 36, 29),
    edit({ x: 48, y: 29, w: 126, h: EDIT_H }, T.PidTagDisplayName, LEN_DISPLAY),
    labelled(L.alias, 180, 40, 29),
    edit({ x: 222, y: 29, w: 136, h: EDIT_H }, T.PidTagAccount, LEN_NAME),
  ];
  if (contact) {
    rows.push(
      labelled(L.email, 10, 36, 44),
      edit({ x: 48, y: 44, w: 310, h: EDIT_H }, T.PidTagAddressBookTargetAddress, LEN_EMAIL),
    );
  }
  const y0 = 2 + groupH + 4;
  rows.push(
    ...column(LEFT, y0, [
      { text: L.address, h: 24, field: (r) => edit(r, T.PidTagStreetAddress, LEN_ADDRESS, DT_MULTILINE) },
      { text: L.city, field: (r) => edit(r, T.PidTagLocality, LEN_CITY) },
      { text: L.state, field: (r) => edit(r, T.PidTagStateOrProvince, LEN_STATE) },
      { text: L.zip, field: (r) => edit(r, T.PidTagPostalCode, LEN_ZIP) },
      { text: L.country, field: (r) => edit(r, T.PidTagCountry, LEN_COUNTRY) },
    ]),
    ...column(RIGHT, y0, [
      { text: L.title, field: (r) => edit(r, T.PidTagTitle, LEN_NAME) },
      { text: L.company, field: (r) => edit(r, T.PidTagCompanyName, LEN_NAME) },
      { text: L.department, field: (r) => edit(r, T.PidTagDepartmentName, LEN_NAME) },
      { text: L.office, field: (r) => edit(r, T.PidTagOfficeLocation, LEN_OFFICE) },
      { text: L.assistant, field: (r) => edit(r, T.PidTagAssistant, LEN_ASSISTANT) },
      { text: L.phone, field: (r) => edit(r, T.PidTagBusinessTelephoneNumber, LEN_PHONE) },
    ]),
  );
  return rows;
}

function organizationPage(L: TemplateLabels): TemplateRow[] {
  return [
    page(L.pageOrganization),
    ...captioned(L.manager, 4, 22, (r) => listBox(r, T.PidTagAddressBookManager)),
    ...captioned(L.directReports, 42, 92, (r) => listBox(r, T.PidTagAddressBookReports)),
  ];
}

function phoneNotesPage(L: TemplateLabels, contact: boolean): TemplateRow[] {
  const mv = 60; // height of a multi-valued drop-down list box with its list open
  const rows: TemplateRow[] = [
    page(L.pagePhoneNotes),
    groupBox({ x: 4, y: 2, w: 360, h: 78 }, L.groupPhoneNumbers),
    ...column(LEFT, 14, [
      { text: L.business, field: (r) => edit(r, T.PidTagBusinessTelephoneNumber, LEN_PHONE) },
      { text: L.business2, field: (r) => mvDropDown({ ...r, h: mv }, T.PidTagBusiness2TelephoneNumbers) },
      { text: L.fax, field: (r) => edit(r, T.PidTagPrimaryFaxNumber, LEN_PHONE) },
      { text: L.assistantPhone, field: (r) => edit(r, T.PidTagAssistantTelephoneNumber, LEN_PHONE) },
    ]),
    ...column(RIGHT, 14, [
      { text: L.home, field: (r) => edit(r, T.PidTagHomeTelephoneNumber, LEN_PHONE) },
      { text: L.home2, field: (r) => mvDropDown({ ...r, h: mv }, T.PidTagHome2TelephoneNumbers) },
      { text: L.mobile, field: (r) => edit(r, T.PidTagMobileTelephoneNumber, LEN_PHONE) },
      { text: L.pager, field: (r) => edit(r, T.PidTagPagerTelephoneNumber, LEN_PHONE) },
    ]),
    ...captioned(L.notes, 86, contact ? 36 : 50, (r) => edit(r, T.PidTagComment, LEN_NOTES, DT_MULTILINE)),
  ];
  if (contact) rows.push(checkBox({ x: 6, y: 136, w: FULL_W, h: 10 }, T.PidTagSendRichInfo, L.sendRichText));
  return rows;
}

function memberOfPage(L: TemplateLabels): TemplateRow[] {
  return [
    page(L.pageMemberOf),
    ...captioned(L.memberOf, 4, 130, (r) => listBox(r, T.PidTagAddressBookIsMemberOfDistributionList)),
  ];
}

function emailAddressesPage(L: TemplateLabels): TemplateRow[] {
  return [
    page(L.pageEmailAddresses),
    ...captioned(L.emailAddresses, 4, 130, (r) => mvListBox(r, T.PidTagAddressBookProxyAddresses)),
  ];
}

/** DT_MAILUSER: General, Organization, Phone/Notes, Member Of, E-mail Addresses. */
export function mailUserTemplate(L: TemplateLabels): TemplateRow[] {
  return [
    ...generalPage(L, false),
    ...organizationPage(L),
    ...phoneNotesPage(L, false),
    ...memberOfPage(L),
    ...emailAddressesPage(L),
  ];
}

/** DT_REMOTE_MAILUSER (a contact): the mail user's pages plus its external address and the rich-text box. */
export function contactTemplate(L: TemplateLabels): TemplateRow[] {
  return [
    ...generalPage(L, true),
    ...organizationPage(L),
    ...phoneNotesPage(L, true),
    ...memberOfPage(L),
    ...emailAddressesPage(L),
  ];
}

/** DT_DISTLIST: General (name, alias, owner, notes, members), Member Of, E-mail Addresses. */
export function distListTemplate(L: TemplateLabels): TemplateRow[] {
  return [
    page(L.pageGeneral),
    labelled(L.dlDisplayName, 6, 64, 4),
    edit({ x: 72, y: 4, w: 108, h: EDIT_H }, T.PidTagDisplayName, LEN_DISPLAY),
    labelled(L.dlAlias, 6, 64, 20),
    edit({ x: 72, y: 20, w: 108, h: EDIT_H }, T.PidTagAccount, LEN_NAME),
    label({ x: 6, y: 40, w: 174, h: LABEL_H }, L.dlOwner),
    listBox({ x: 6, y: 50, w: 174, h: 22 }, T.PidTagAddressBookOwner),
    label({ x: 6, y: 78, w: 174, h: LABEL_H }, L.dlNotes),
    edit({ x: 6, y: 88, w: 174, h: 56 }, T.PidTagComment, LEN_NOTES, DT_MULTILINE),
    groupBox({ x: 188, y: 2, w: 176, h: 142 }, L.dlMembers),
    listBox({ x: 194, y: 14, w: 164, h: 124 }, T.PidTagAddressBookMember),
    ...memberOfPage(L),
    ...emailAddressesPage(L),
  ];
}
