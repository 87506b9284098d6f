// Display templates for NspiGetTemplateInfo (MS-OXNSPI 3.1.4.1.18; MS-OXOABKT): which template serves which display
// type and locale, and the PropertyRow_r values the call returns.
import { isSupported, UnknownCodePageError } from '../../mapi/codepage.js';
import type { TaggedValue } from '../../mapi/props.js';
import { encodeTemplate, type TemplateRow } from './codec.js';
import {
  DT_DISTLIST,
  DT_MAILUSER,
  DT_REMOTE_MAILUSER,
  PidTagScriptData,
  PidTagTemplateData,
  TI_SCRIPT,
  TI_TEMPLATE,
} from './constants.js';
import { contactTemplate, distListTemplate, mailUserTemplate } from './layouts.js';
import { labelsFor, type TemplateLabels } from './locales.js';
import { emptyScript } from './script.js';

export * from './codec.js';
export * from './constants.js';
export * from './controls.js';
export { LOCALES, labelsFor, type TemplateLabels } from './locales.js';
export { decodeScript, emptyScript, encodeScript } from './script.js';
export { contactTemplate, distListTemplate, mailUserTemplate } from './layouts.js';

/** Display types with a details template, and the layout each gets. */
export const DISPLAY_TEMPLATES: ReadonlyMap<number, (labels: TemplateLabels) => TemplateRow[]> = new Map([
  [DT_MAILUSER, mailUserTemplate],
  [DT_DISTLIST, distListTemplate],
  [DT_REMOTE_MAILUSER, contactTemplate],
]);

/**
 * Code pages a template can be written in: those src/mapi/codepage.ts converts (8-bit; CP_WINUNICODE 1200 is not
 * one, and MS-OXNSPI 3.1.4.1.18 answers it with InvalidCodePage).
 */
export const isTemplateCodePage = (codePage: number): boolean => isSupported(codePage);

/** Encoded templates by label table, then by `${displayType}/${codePage}`. */
const blobs = new WeakMap<TemplateLabels, Map<string, Buffer>>();

function templateBlob(displayType: number, labels: TemplateLabels, codePage: number): Buffer {
  const build = DISPLAY_TEMPLATES.get(displayType) as (l: TemplateLabels) => TemplateRow[];
  let byKey = blobs.get(labels);
  if (!byKey) {
    byKey = new Map();
    blobs.set(labels, byKey);
  }
  const key = `${displayType}/${codePage}`;
  let blob = byKey.get(key);
  if (!blob) {
    blob = encodeTemplate(build(labels), codePage);
    byKey.set(key, blob);
  }
  return Buffer.from(blob); // a copy: the caller may hand it on to code that writes into it
}

/**
 * The values NspiGetTemplateInfo puts in its PropertyRow_r for a display type (ulType), LCID and code page when pDN
 * is NULL:
 * - TI_TEMPLATE: PidTagTemplateData (0x00010102) = the TRowSet blob with labels in `codePage`;
 * - TI_SCRIPT: PidTagScriptData (0x00040102) = an empty script (count 0), display templates have none;
 * - TI_EMT, TI_HELPFILE_NAME, TI_HELPFILE_CONTENTS: nothing — no address type and no help file, the row omits
 *   them as the MS-OXOABKT 4.2 example does (dwFlags 0x61 answered by PidTagTemplateData alone).
 * Other bits are ignored. Returns null when no template exists for the display type or locale (the NSPI layer
 * answers InvalidLocale, MAPI_E_UNKNOWN_LCID 0x8004011F). Throws UnknownCodePageError (code OC_CODEPAGE_UNKNOWN)
 * for a code page the strings cannot be written in, CP_WINUNICODE included (InvalidCodePage, MAPI_E_UNKNOWN_CPID
 * 0x8004011E), checked before the display type and locale as MS-OXNSPI orders its constraints;
 * `isTemplateCodePage` tells in advance.
 */
export function templateFor(
  displayType: number,
  locale: number,
  codePage: number,
  flags: number,
): TaggedValue[] | null {
  if (!isTemplateCodePage(codePage)) throw new UnknownCodePageError(codePage);
  if (!DISPLAY_TEMPLATES.has(displayType)) return null;
  const labels = labelsFor(locale);
  if (!labels) return null;
  const row: TaggedValue[] = [];
  if (flags & TI_TEMPLATE) row.push({ tag: PidTagTemplateData, value: templateBlob(displayType, labels, codePage) });
  if (flags & TI_SCRIPT) row.push({ tag: PidTagScriptData, value: emptyScript() });
  return row;
}

/**
 * The rows of the address creation table (NspiGetSpecialTable with NspiAddressCreationTemplates; MS-OXOABKT 2.2.1
 * NspiGetSpecialTable PropertyRowSet_r Format): none. This server offers no templates for creating one-off
 * addresses, and an empty table is a valid answer.
 */
export function addressCreationTable(_locale: number, _codePage: number): TaggedValue[][] {
  return [];
}
