// Builders for the controls of MS-OXOABKT 2.2.2.1.3.1-9 (one TemplateRow each) and a typed reading of a row, so
// layouts and tests speak of "an edit control for PidTagGivenName" rather than of dwType/ulSize/ulString.
import type { TemplateRow } from './codec.js';
import {
  DTCT_BUTTON,
  DTCT_CHECKBOX,
  DTCT_EDIT,
  DTCT_GROUPBOX,
  DTCT_LABEL,
  DTCT_LBX,
  DTCT_MVDDLBX,
  DTCT_MVLISTBOX,
  DTCT_PAGE,
} from './constants.js';

/** Position and size of a control (TRow XPos, YPos, DeltaX, DeltaY). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The filter string "any character" of an edit control, and the "*" list boxes carry (2.2.2.1.3.2/3/8/9). */
export const ANY = '*';

function row(
  r: Rect,
  ControlType: number,
  ControlFlags: number,
  dwType: number,
  ulSize: number,
  text: string,
): TemplateRow {
  return { XPos: r.x, DeltaX: r.w, YPos: r.y, DeltaY: r.h, ControlType, ControlFlags, dwType, ulSize, text };
}

// MS-OXOABKT 2.2.2.1.3.1 label: dwType 0, ulSize 0, the label text (128 characters with the NUL at most).
export const label = (r: Rect, text: string): TemplateRow => row(r, DTCT_LABEL, 0, 0, 0, text);

// MS-OXOABKT 2.2.2.1.3.2 edit: dwType the property, ulSize the character limit, the allowed-characters filter.
export const edit = (r: Rect, propTag: number, maxChars: number, flags = 0, filter = ANY): TemplateRow =>
  row(r, DTCT_EDIT, flags, propTag, maxChars, filter);

// MS-OXOABKT 2.2.2.1.3.3 list box: dwType the (PT_OBJECT) property of the table to show, string "*".
export const listBox = (r: Rect, propTag: number, flags = 0): TemplateRow => row(r, DTCT_LBX, flags, propTag, 0, ANY);

// MS-OXOABKT 2.2.2.1.3.4 check box: dwType the (PT_BOOLEAN) property, the label text.
export const checkBox = (r: Rect, propTag: number, text: string, flags = 0): TemplateRow =>
  row(r, DTCT_CHECKBOX, flags, propTag, 0, text);

// MS-OXOABKT 2.2.2.1.3.5 group box: the label text.
export const groupBox = (r: Rect, text: string): TemplateRow => row(r, DTCT_GROUPBOX, 0, 0, 0, text);

// MS-OXOABKT 2.2.2.1.3.6 button: dwType MUST be PidTagAddressBookManageDistributionList, the label text.
export const button = (r: Rect, propTag: number, text: string): TemplateRow => row(r, DTCT_BUTTON, 0, propTag, 0, text);

// MS-OXOABKT 2.2.2.1.3.7 tabbed page: the tab's title (32 bytes with the NUL at most); position unused.
export const page = (text: string): TemplateRow => row({ x: 0, y: 0, w: 0, h: 0 }, DTCT_PAGE, 0, 0, 0, text);

// MS-OXOABKT 2.2.2.1.3.8 multi-valued list box: dwType the multi-valued string property, string "*".
export const mvListBox = (r: Rect, propTag: number): TemplateRow => row(r, DTCT_MVLISTBOX, 0, propTag, 0, ANY);

// MS-OXOABKT 2.2.2.1.3.9 multi-valued drop-down list box: dwType the multi-valued string property, string "*".
export const mvDropDown = (r: Rect, propTag: number): TemplateRow => row(r, DTCT_MVDDLBX, 0, propTag, 0, ANY);

/** A row read by control type (MS-OXOABKT 2.2.2.1.3.1-9); types the spec gives no CNTRL layout stay raw. */
export type Control =
  | { kind: 'label'; rect: Rect; text: string | null }
  | { kind: 'edit'; rect: Rect; flags: number; propTag: number; maxChars: number; filter: string | null }
  | { kind: 'listBox'; rect: Rect; flags: number; propTag: number }
  | { kind: 'checkBox'; rect: Rect; flags: number; propTag: number; text: string | null }
  | { kind: 'groupBox'; rect: Rect; text: string | null }
  | { kind: 'button'; rect: Rect; propTag: number; text: string | null }
  | { kind: 'page'; text: string | null }
  | { kind: 'mvListBox'; rect: Rect; flags: number; propTag: number }
  | { kind: 'mvDropDown'; rect: Rect; flags: number; propTag: number }
  | { kind: 'other'; row: TemplateRow };

export function readControl(r: TemplateRow): Control {
  const rect = { x: r.XPos, y: r.YPos, w: r.DeltaX, h: r.DeltaY };
  switch (r.ControlType) {
    case DTCT_LABEL:
      return { kind: 'label', rect, text: r.text };
    case DTCT_EDIT:
      return { kind: 'edit', rect, flags: r.ControlFlags, propTag: r.dwType, maxChars: r.ulSize, filter: r.text };
    case DTCT_LBX:
      return { kind: 'listBox', rect, flags: r.ControlFlags, propTag: r.dwType };
    case DTCT_CHECKBOX:
      return { kind: 'checkBox', rect, flags: r.ControlFlags, propTag: r.dwType, text: r.text };
    case DTCT_GROUPBOX:
      return { kind: 'groupBox', rect, text: r.text };
    case DTCT_BUTTON:
      return { kind: 'button', rect, propTag: r.dwType, text: r.text };
    case DTCT_PAGE:
      return { kind: 'page', text: r.text };
    case DTCT_MVLISTBOX:
      return { kind: 'mvListBox', rect, flags: r.ControlFlags, propTag: r.dwType };
    case DTCT_MVDDLBX:
      return { kind: 'mvDropDown', rect, flags: r.ControlFlags, propTag: r.dwType };
    default:
      return { kind: 'other', row: r };
  }
}

export interface TemplatePage {
  title: string | null;
  controls: Control[];
}

/**
 * Rows grouped by tabbed page (2.2.2.1: the controls after a page control go on that page); rows before any page
 * go on an untitled first page.
 */
export function templatePages(rows: readonly TemplateRow[]): TemplatePage[] {
  const pages: TemplatePage[] = [];
  for (const r of rows) {
    const c = readControl(r);
    if (c.kind === 'page') pages.push({ title: c.text, controls: [] });
    else {
      if (pages.length === 0) pages.push({ title: null, controls: [] });
      (pages[pages.length - 1] as TemplatePage).controls.push(c);
    }
  }
  return pages;
}
