// Label tables of the display templates, one per LCID ([MS-LCID]). "&" marks the keyboard shortcut of the control
// (MS-OXOABKT 2.2.2.1.3; "&&" for a literal ampersand); shortcuts are unique per tab page. Page titles fit in
// 31 bytes, other labels in 127 (2.2.2.1.3.1/7). To add a language, add a table and list it in LOCALES.

export interface TemplateLabels {
  // tabbed pages
  pageGeneral: string;
  pageOrganization: string;
  pagePhoneNotes: string;
  pageMemberOf: string;
  pageEmailAddresses: string;
  // General page of users and contacts
  groupName: string;
  firstName: string;
  initials: string;
  lastName: string;
  display: string;
  alias: string;
  address: string;
  city: string;
  state: string;
  zip: string;
  country: string;
  title: string;
  company: string;
  department: string;
  office: string;
  assistant: string;
  phone: string;
  /** contacts only: their external e-mail address */
  email: string;
  // Organization page
  manager: string;
  directReports: string;
  // Phone/Notes page
  groupPhoneNumbers: string;
  business: string;
  home: string;
  business2: string;
  home2: string;
  fax: string;
  mobile: string;
  assistantPhone: string;
  pager: string;
  notes: string;
  /** contacts only: the PidTagSendRichInfo check box */
  sendRichText: string;
  // Member Of / E-mail Addresses pages
  memberOf: string;
  emailAddresses: string;
  // distribution list General page
  dlDisplayName: string;
  dlAlias: string;
  dlOwner: string;
  dlNotes: string;
  dlMembers: string;
}

// LCID 0x0409 English (United States)
export const en: TemplateLabels = {
  pageGeneral: 'General',
  pageOrganization: 'Organization',
  pagePhoneNotes: 'Phone/Notes',
  pageMemberOf: 'Member Of',
  pageEmailAddresses: 'E-mail Addresses',
  groupName: 'Name',
  firstName: '&First:',
  initials: '&Initials:',
  lastName: '&Last:',
  display: '&Display:',
  alias: '&Alias:',
  address: 'Add&ress:',
  city: 'Cit&y:',
  state: '&State:',
  zip: '&Zip code:',
  country: 'Co&untry/Region:',
  title: '&Title:',
  company: '&Company:',
  department: 'De&partment:',
  office: '&Office:',
  assistant: 'Assista&nt:',
  phone: 'P&hone:',
  email: '&E-mail:',
  manager: '&Manager:',
  directReports: '&Direct reports:',
  groupPhoneNumbers: 'Phone numbers',
  business: '&Business:',
  home: '&Home:',
  business2: 'B&usiness 2:',
  home2: 'H&ome 2:',
  fax: '&Fax:',
  mobile: '&Mobile:',
  assistantPhone: '&Assistant:',
  pager: '&Pager:',
  notes: '&Notes:',
  sendRichText: 'Send &rich text (RTF) to this recipient',
  memberOf: '&Member of:',
  emailAddresses: '&E-mail addresses:',
  dlDisplayName: '&Display name:',
  dlAlias: '&Alias:',
  dlOwner: '&Owner:',
  dlNotes: '&Notes:',
  dlMembers: '&Members',
};

// LCID 0x0407 German (Germany)
export const de: TemplateLabels = {
  pageGeneral: 'Allgemein',
  pageOrganization: 'Organisation',
  pagePhoneNotes: 'Telefon/Notizen',
  pageMemberOf: 'Mitglied von',
  pageEmailAddresses: 'E-Mail-Adressen',
  groupName: 'Name',
  firstName: '&Vorname:',
  initials: '&Initialen:',
  lastName: '&Nachname:',
  display: '&Anzeige:',
  alias: 'A&lias:',
  address: 'Ad&resse:',
  city: '&Ort:',
  state: '&Bundesland:',
  zip: '&PLZ:',
  country: 'Lan&d/Region:',
  title: 'Posi&tion:',
  company: '&Firma:',
  department: 'Abteil&ung:',
  office: 'B&üro:',
  assistant: 'A&ssistent:',
  phone: 'T&elefon:',
  email: 'E-&Mail:',
  manager: '&Vorgesetzte(r):',
  directReports: '&Mitarbeiter:',
  groupPhoneNumbers: 'Telefonnummern',
  business: '&Geschäftlich:',
  home: '&Privat:',
  business2: 'Geschäftlich &2:',
  home2: 'Pri&vat 2:',
  fax: '&Fax:',
  mobile: '&Mobiltelefon:',
  assistantPhone: '&Assistent:',
  pager: 'Pag&er:',
  notes: '&Notizen:',
  sendRichText: 'Immer im &RTF-Format senden',
  memberOf: '&Mitglied von:',
  emailAddresses: '&E-Mail-Adressen:',
  dlDisplayName: '&Anzeigename:',
  dlAlias: 'A&lias:',
  dlOwner: '&Besitzer:',
  dlNotes: '&Notizen:',
  dlMembers: '&Mitglieder',
};

/** Label tables by LCID. */
export const LOCALES: ReadonlyMap<number, TemplateLabels> = new Map([
  [0x0409, en],
  [0x0407, de],
]);

/**
 * The label table for an LCID: the exact LCID, else another locale of the same primary language (low 10 bits of
 * the LANGID, e.g. 0x0809 en-GB -> 0x0409, 0x0c07 de-AT -> 0x0407, any sort ID ignored); MS-OXNSPI leaves the
 * choice of "an appropriate template object" to local policy. Undefined for a language without a table.
 */
export function labelsFor(lcid: number): TemplateLabels | undefined {
  const exact = LOCALES.get(lcid);
  if (exact) return exact;
  if (!Number.isInteger(lcid) || lcid < 0 || lcid > 0xfffff) return undefined; // LANGID plus a 4-bit sort ID
  const primary = lcid & 0x3ff;
  for (const [id, labels] of LOCALES) if ((id & 0x3ff) === primary) return labels;
  // Any other language gets the English templates: Outlook shows no details dialog at all for a missing template,
  // and English labels beat none.
  return LOCALES.get(0x409);
}
