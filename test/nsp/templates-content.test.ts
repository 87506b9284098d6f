// The display templates templateFor hands NspiGetTemplateInfo (MS-OXNSPI 3.1.4.1.18): which display types and
// locales have one, what the PropertyRow_r holds per dwFlags, and that the user, distribution list and contact
// templates decode to the expected pages, controls and property tags within the limits of MS-OXOABKT 2.2.2.1.
import { describe, expect, it } from 'vitest';
import {
  addressCreationTable,
  type Control,
  CP_WINUNICODE,
  decodeTemplate,
  decodeTRowSet,
  DISPLAY_TEMPLATES,
  DT_ADDRESS_TEMPLATE,
  DT_AGENT,
  DT_CONTAINER,
  DT_DISTLIST,
  DT_FORUM,
  DT_MAILUSER,
  DT_MULTILINE,
  DT_ORGANIZATION,
  DT_PRIVATE_DISTLIST,
  DT_REMOTE_MAILUSER,
  DT_SEARCH,
  DTCT_BUTTON,
  DTCT_CHECKBOX,
  DTCT_EDIT,
  DTCT_GROUPBOX,
  DTCT_LABEL,
  DTCT_LBX,
  DTCT_MVDDLBX,
  DTCT_MVLISTBOX,
  DTCT_PAGE,
  isTemplateCodePage,
  LOCALES,
  PidTagScriptData,
  PidTagTemplateData,
  readControl,
  templateFor,
  type TemplatePage,
  templatePages,
  type TemplateRow,
  TI_EMT,
  TI_HELPFILE_CONTENTS,
  TI_HELPFILE_NAME,
  TI_SCRIPT,
  TI_TEMPLATE,
} from '../../src/nsp/templates/index.js';
import * as T from '../../src/nsp/templates/tags.js';
import { OcError } from '../../src/util/errors.js';

function rowsOf(displayType: number, locale: number, codePage = 1252): TemplateRow[] {
  const row = templateFor(displayType, locale, codePage, TI_TEMPLATE);
  expect(row).toHaveLength(1);
  expect(row?.[0]?.tag).toBe(PidTagTemplateData);
  return decodeTemplate(row?.[0]?.value as Buffer, codePage);
}

const pagesOf = (displayType: number, locale: number): TemplatePage[] => templatePages(rowsOf(displayType, locale));

/** The property each control of a page is bound to, by control kind, in row order. */
function bindings(p: TemplatePage | undefined): Array<[string, number]> {
  return (p?.controls ?? []).flatMap((c) => ('propTag' in c ? [[c.kind, c.propTag] as [string, number]] : []));
}

/** The label text right before each bound control (its caption). */
function captions(p: TemplatePage | undefined): Map<number, string> {
  const m = new Map<number, string>();
  let last: string | null = null;
  for (const c of p?.controls ?? []) {
    if (c.kind === 'label' || c.kind === 'groupBox') last = c.text;
    else if ('propTag' in c) {
      if (c.kind === 'checkBox' || c.kind === 'button') m.set(c.propTag, c.text ?? '');
      else m.set(c.propTag, last ?? '');
      last = null;
    }
  }
  return m;
}

describe('mail user template (DT_MAILUSER, en-US)', () => {
  const pages = pagesOf(DT_MAILUSER, 0x409);

  it('has the five tabs Outlook shows for a GAL user', () => {
    expect(pages.map((p) => p.title)).toEqual(['General', 'Organization', 'Phone/Notes', 'Member Of', 'E-mail Addresses']);
  });

  it('General: name group, address column, organization column, each edit captioned', () => {
    const general = pages[0];
    expect(general?.controls[0]).toMatchObject({ kind: 'groupBox', text: 'Name' });
    expect(bindings(general)).toEqual(
      [
        T.PidTagGivenName,
        T.PidTagInitials,
        T.PidTagSurname,
        T.PidTagDisplayName,
        T.PidTagAccount,
        T.PidTagStreetAddress,
        T.PidTagLocality,
        T.PidTagStateOrProvince,
        T.PidTagPostalCode,
        T.PidTagCountry,
        T.PidTagTitle,
        T.PidTagCompanyName,
        T.PidTagDepartmentName,
        T.PidTagOfficeLocation,
        T.PidTagAssistant,
        T.PidTagBusinessTelephoneNumber,
      ].map((t) => ['edit', t]),
    );
    const cap = captions(general);
    expect(cap.get(T.PidTagGivenName)).toBe('&First:');
    expect(cap.get(T.PidTagInitials)).toBe('&Initials:');
    expect(cap.get(T.PidTagSurname)).toBe('&Last:');
    expect(cap.get(T.PidTagDisplayName)).toBe('&Display:');
    expect(cap.get(T.PidTagAccount)).toBe('&Alias:');
    expect(cap.get(T.PidTagStreetAddress)).toBe('Add&ress:');
    expect(cap.get(T.PidTagLocality)).toBe('Cit&y:');
    expect(cap.get(T.PidTagStateOrProvince)).toBe('&State:');
    expect(cap.get(T.PidTagPostalCode)).toBe('&Zip code:');
    expect(cap.get(T.PidTagCountry)).toBe('Co&untry/Region:');
    expect(cap.get(T.PidTagTitle)).toBe('&Title:');
    expect(cap.get(T.PidTagCompanyName)).toBe('&Company:');
    expect(cap.get(T.PidTagDepartmentName)).toBe('De&partment:');
    expect(cap.get(T.PidTagOfficeLocation)).toBe('&Office:');
    expect(cap.get(T.PidTagAssistant)).toBe('Assista&nt:');
    expect(cap.get(T.PidTagBusinessTelephoneNumber)).toBe('P&hone:');
    const address = general?.controls.find((c) => c.kind === 'edit' && c.propTag === T.PidTagStreetAddress);
    expect(address).toMatchObject({ flags: DT_MULTILINE, maxChars: 1024, filter: '*' });
    const initials = general?.controls.find((c) => c.kind === 'edit' && c.propTag === T.PidTagInitials);
    expect(initials).toMatchObject({ flags: 0, maxChars: 6, filter: '*' });
  });

  it('Organization: manager and direct reports as list boxes of the link properties', () => {
    expect(bindings(pages[1])).toEqual([
      ['listBox', 0x8005000d],
      ['listBox', 0x800e000d],
    ]);
    expect(captions(pages[1])).toEqual(
      new Map([
        [T.PidTagAddressBookManager, '&Manager:'],
        [T.PidTagAddressBookReports, '&Direct reports:'],
      ]),
    );
  });

  it('Phone/Notes: phone numbers (multi-valued ones as drop-down lists) and a multi-line notes box', () => {
    expect(pages[2]?.controls[0]).toMatchObject({ kind: 'groupBox', text: 'Phone numbers' });
    expect(new Map(bindings(pages[2]).map(([k, t]) => [t, k]))).toEqual(
      new Map([
        [T.PidTagBusinessTelephoneNumber, 'edit'],
        [T.PidTagBusiness2TelephoneNumbers, 'mvDropDown'],
        [T.PidTagPrimaryFaxNumber, 'edit'],
        [T.PidTagAssistantTelephoneNumber, 'edit'],
        [T.PidTagHomeTelephoneNumber, 'edit'],
        [T.PidTagHome2TelephoneNumbers, 'mvDropDown'],
        [T.PidTagMobileTelephoneNumber, 'edit'],
        [T.PidTagPagerTelephoneNumber, 'edit'],
        [T.PidTagComment, 'edit'],
      ]),
    );
    const notes = pages[2]?.controls.find((c) => c.kind === 'edit' && c.propTag === T.PidTagComment);
    expect(notes).toMatchObject({ flags: DT_MULTILINE, maxChars: 1024 });
    expect(captions(pages[2]).get(T.PidTagComment)).toBe('&Notes:');
  });

  it('Member Of: PR_EMS_AB_IS_MEMBER_OF_DL; E-mail Addresses: PR_EMS_AB_PROXY_ADDRESSES in a multi-valued list box', () => {
    expect(bindings(pages[3])).toEqual([['listBox', 0x8008000d]]);
    expect(bindings(pages[4])).toEqual([['mvListBox', 0x800f101e]]);
  });
});

describe('distribution list template (DT_DISTLIST, en-US)', () => {
  const pages = pagesOf(DT_DISTLIST, 0x409);

  it('has General, Member Of and E-mail Addresses', () => {
    expect(pages.map((p) => p.title)).toEqual(['General', 'Member Of', 'E-mail Addresses']);
  });

  it('General: display name, alias, owner, notes and the members list (PR_EMS_AB_MEMBER)', () => {
    expect(bindings(pages[0])).toEqual([
      ['edit', T.PidTagDisplayName],
      ['edit', T.PidTagAccount],
      ['listBox', 0x800c000d],
      ['edit', T.PidTagComment],
      ['listBox', 0x8009000d],
    ]);
    expect(captions(pages[0])).toEqual(
      new Map([
        [T.PidTagDisplayName, '&Display name:'],
        [T.PidTagAccount, '&Alias:'],
        [T.PidTagAddressBookOwner, '&Owner:'],
        [T.PidTagComment, '&Notes:'],
        [T.PidTagAddressBookMember, '&Members'],
      ]),
    );
  });

  it('Member Of and E-mail Addresses as for users', () => {
    expect(bindings(pages[1])).toEqual([['listBox', T.PidTagAddressBookIsMemberOfDistributionList]]);
    expect(bindings(pages[2])).toEqual([['mvListBox', T.PidTagAddressBookProxyAddresses]]);
  });
});

describe('contact template (DT_REMOTE_MAILUSER)', () => {
  const pages = pagesOf(DT_REMOTE_MAILUSER, 0x409);

  it('is the user template plus the external address and the rich-text check box', () => {
    const user = pagesOf(DT_MAILUSER, 0x409);
    expect(pages.map((p) => p.title)).toEqual(user.map((p) => p.title));
    expect(captions(pages[0]).get(T.PidTagAddressBookTargetAddress)).toBe('&E-mail:');
    const generalTags = bindings(pages[0]).map(([, t]) => t);
    expect(generalTags.filter((t) => t !== T.PidTagAddressBookTargetAddress)).toEqual(bindings(user[0]).map(([, t]) => t));
    expect(pages[2]?.controls.at(-1)).toMatchObject({
      kind: 'checkBox',
      propTag: T.PidTagSendRichInfo,
      text: 'Send &rich text (RTF) to this recipient',
    });
  });
});

describe('every template in every locale', () => {
  const all = [...DISPLAY_TEMPLATES.keys()].flatMap((dt) => [...LOCALES.keys()].map((lcid) => [dt, lcid] as const));
  const SPEC_TYPES = [
    DTCT_LABEL,
    DTCT_EDIT,
    DTCT_LBX,
    DTCT_CHECKBOX,
    DTCT_GROUPBOX,
    DTCT_BUTTON,
    DTCT_PAGE,
    DTCT_MVLISTBOX,
    DTCT_MVDDLBX,
  ];

  for (const [dt, lcid] of all) {
    describe(`display type ${dt}, LCID 0x${lcid.toString(16).padStart(4, '0')}`, () => {
      const rows = rowsOf(dt, lcid);

      it('starts with a page, uses only control types 2.2.2.1.3 defines, binds a property once per page', () => {
        expect(rows[0]?.ControlType).toBe(DTCT_PAGE);
        for (const r of rows) expect(SPEC_TYPES).toContain(r.ControlType);
        for (const p of templatePages(rows)) {
          const tags = bindings(p).map(([, t]) => t);
          expect(new Set(tags).size).toBe(tags.length);
        }
      });

      it('gives every control what its CNTRL section asks (2.2.2.1.3.1-9)', () => {
        for (const r of rows) {
          const c: Control = readControl(r);
          switch (c.kind) {
            case 'label':
            case 'groupBox':
            case 'page':
              expect(r.dwType).toBe(0);
              expect(r.ulSize).toBe(0);
              expect(c.text).toMatch(/\S/);
              break;
            case 'edit':
              expect(c.filter).toBe('*');
              expect(c.maxChars).toBeGreaterThan(0);
              expect([0x001e, 0x101e]).toContain(c.propTag & 0xffff);
              break;
            case 'listBox':
              expect(r.text).toBe('*');
              expect(c.propTag & 0xffff).toBe(0x000d); // PT_OBJECT: a table of Address Book objects
              break;
            case 'mvListBox':
            case 'mvDropDown':
              expect(r.text).toBe('*');
              expect(c.propTag & 0xffff).toBe(0x101e); // PT_MV_STRING8
              break;
            case 'checkBox':
              expect(c.propTag & 0xffff).toBe(0x000b); // PT_BOOLEAN
              expect(c.text).toMatch(/\S/);
              break;
            default:
              throw new Error(`unexpected control ${c.kind}`);
          }
        }
      });

      it('keeps every control inside a 368 x 148 page and leaves tabbed pages unplaced', () => {
        for (const r of rows) {
          if (r.ControlType === DTCT_PAGE) {
            expect([r.XPos, r.YPos, r.DeltaX, r.DeltaY, r.ControlFlags]).toEqual([0, 0, 0, 0, 0]);
            continue;
          }
          expect(r.DeltaX).toBeGreaterThan(0);
          expect(r.DeltaY).toBeGreaterThan(0);
          expect(r.XPos + r.DeltaX).toBeLessThanOrEqual(368);
          // a drop-down's height includes its open list; the closed box is 12 high
          const h = r.ControlType === DTCT_MVDDLBX ? 12 : r.DeltaY;
          expect(r.YPos + h).toBeLessThanOrEqual(148);
        }
      });

      it('has unique keyboard shortcuts per page and no stray "&"', () => {
        for (const p of templatePages(rows)) {
          const keys: string[] = [];
          for (const c of p.controls) {
            const text = 'text' in c ? c.text : null;
            if (!text || text === '*') continue;
            const m = [...text.replace(/&&/g, '').matchAll(/&(.)/g)];
            expect(m.length).toBeLessThanOrEqual(1);
            if (m[0]) keys.push((m[0][1] as string).toLowerCase());
          }
          expect(new Set(keys).size, `${p.title}: ${keys.join(' ')}`).toBe(keys.length);
        }
      });
    });
  }

  it('German labels are written in the code page: "Büro" as 42 fc 72 6f in 1252, UTF-8 in 65001, "?" in 932', () => {
    const blob = (cp: number): Buffer => templateFor(DT_MAILUSER, 0x407, cp, TI_TEMPLATE)?.[0]?.value as Buffer;
    expect(blob(1252).includes(Buffer.from('B&üro:\0', 'utf8'))).toBe(false); // not UTF-8
    expect(blob(1252).includes(Buffer.from('4226fc726f3a00', 'hex'))).toBe(true); // "B&üro:\0"
    expect(blob(65001).includes(Buffer.from('B&üro:\0', 'utf8'))).toBe(true);
    expect(blob(932).includes(Buffer.from('B&?ro:\0', 'latin1'))).toBe(true);
    expect(decodeTemplate(blob(1252), 1252).some((r) => r.text === 'B&üro:')).toBe(true);
  });
});

describe('templateFor (NspiGetTemplateInfo with pDN NULL)', () => {
  it('answers null for display types without a template (the NSPI layer returns InvalidLocale)', () => {
    const none = [DT_FORUM, DT_AGENT, DT_ORGANIZATION, DT_PRIVATE_DISTLIST, DT_CONTAINER, DT_ADDRESS_TEMPLATE, DT_SEARCH];
    for (const dt of [...none, 7, 0xffffffff]) expect(templateFor(dt, 0x409, 1252, TI_TEMPLATE)).toBeNull();
  });

  it('answers null for invalid LCIDs, English for languages without labels, and serves other locales of a known language', () => {
    for (const lcid of [0x100000, -1]) expect(templateFor(DT_MAILUSER, lcid, 1252, TI_TEMPLATE)).toBeNull();
    const pageTitle = (lcid: number): string | null =>
      templatePages(decodeTemplate(templateFor(DT_MAILUSER, lcid, 1252, TI_TEMPLATE)?.[0]?.value as Buffer, 1252))[0]
        ?.title ?? null;
    expect(pageTitle(0x0409)).toBe('General');
    expect(pageTitle(0x0809)).toBe('General'); // en-GB
    expect(pageTitle(0x0407)).toBe('Allgemein');
    expect(pageTitle(0x0c07)).toBe('Allgemein'); // de-AT
    expect(pageTitle(0x10407)).toBe('Allgemein'); // de-DE, phone book sort
    for (const lcid of [0x040c, 0x0411, 0, 0x0400, 0x0800, 0x7f]) expect(pageTitle(lcid)).toBe('General');
  });

  it('puts in the row what dwFlags asks for and ignores the other bits', () => {
    const tags = (flags: number): number[] | undefined => templateFor(DT_MAILUSER, 0x409, 1252, flags)?.map((v) => v.tag);
    expect(tags(0)).toEqual([]);
    expect(tags(TI_TEMPLATE)).toEqual([PidTagTemplateData]);
    expect(tags(TI_SCRIPT)).toEqual([PidTagScriptData]);
    expect(tags(TI_TEMPLATE | TI_SCRIPT)).toEqual([PidTagTemplateData, PidTagScriptData]);
    // MS-OXOABKT 4.2: Outlook asks 0x61 and gets PidTagTemplateData alone (no help file)
    expect(tags(TI_TEMPLATE | TI_HELPFILE_NAME | TI_HELPFILE_CONTENTS)).toEqual([PidTagTemplateData]);
    expect(tags(TI_EMT)).toEqual([]);
    expect(tags(0xffffffff)).toEqual([PidTagTemplateData, PidTagScriptData]);
    expect(templateFor(DT_DISTLIST, 0x409, 1252, TI_SCRIPT)?.[0]?.value).toEqual(Buffer.alloc(4));
  });

  it('hands out a fresh buffer each call', () => {
    const a = templateFor(DT_MAILUSER, 0x409, 1252, TI_TEMPLATE)?.[0]?.value as Buffer;
    a.fill(0);
    const b = templateFor(DT_MAILUSER, 0x409, 1252, TI_TEMPLATE)?.[0]?.value as Buffer;
    expect(decodeTRowSet(b).Type).toBe(1);
  });

  it('throws OC_CODEPAGE_UNKNOWN for CP_WINUNICODE and unknown code pages (NSPI answers InvalidCodePage)', () => {
    // checked first: even a display type without a template gets the code page error
    expect(() => templateFor(DT_SEARCH, 0x040c, CP_WINUNICODE, TI_TEMPLATE)).toThrow(OcError);
    for (const cp of [CP_WINUNICODE, 1201, 12000, 0, 37, 99999]) {
      expect(isTemplateCodePage(cp)).toBe(false);
      let err: unknown;
      try {
        templateFor(DT_MAILUSER, 0x409, cp, TI_TEMPLATE);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OcError);
      expect((err as OcError).code).toBe('OC_CODEPAGE_UNKNOWN');
    }
    for (const cp of [1252, 1250, 1251, 28591, 20127, 20261, 65001, 932, 936, 949, 950, 874]) {
      expect(isTemplateCodePage(cp)).toBe(true);
      expect(templateFor(DT_DISTLIST, 0x409, cp, TI_TEMPLATE)).toHaveLength(1);
    }
  });

  it('offers no address creation templates (an empty table)', () => {
    expect(addressCreationTable(0x409, 1252)).toEqual([]);
  });
});
