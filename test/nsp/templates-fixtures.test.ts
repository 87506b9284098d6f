// The template bytes MS-OXOABKT section 4 gives (4.2: the mail user template Exchange returns for DT_MAILUSER,
// en-US, code page 1252), checked both ways. See the fixture's note for what the example shows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeTemplate,
  decodeTRow,
  decodeTRowSet,
  DTCT_LABEL,
  encodeTemplate,
  encodeTRow,
  PidTagTemplateData,
  readControl,
  templateFor,
  TI_HELPFILE_CONTENTS,
  TI_HELPFILE_NAME,
  TI_TEMPLATE,
  type TemplateRow,
  type TRow,
} from '../../src/nsp/templates/index.js';

interface Fixture {
  source: string;
  request: { dwFlags: number; ulType: number; pDN: null; dwCodePage: number; dwLocaleID: number };
  response: { cValues: number; ulPropTag: number };
  header: { hex: string; value: { Type: number; cRows: number } };
  rows: Array<{ index: number; hex: string; value: TRow; string: { offset: number; text: string; hex: string } }>;
}

const fx = JSON.parse(
  readFileSync('fixtures/nsp/templates/ms-oxoabkt-4.2-mail-user-template.json', 'utf8'),
) as Fixture;

/** A template with the example's first rows and filler labels for the 63 rows the example's copy does not show. */
function exampleShapedTemplate(): TemplateRow[] {
  const rows: TemplateRow[] = fx.rows.map((r) => ({
    XPos: r.value.XPos,
    DeltaX: r.value.DeltaX,
    YPos: r.value.YPos,
    DeltaY: r.value.DeltaY,
    ControlType: r.value.ControlType,
    ControlFlags: r.value.ControlFlags,
    dwType: r.value.ControlStructure.dwType,
    ulSize: r.value.ControlStructure.ulSize,
    text: r.string.text,
  }));
  while (rows.length < fx.header.value.cRows) {
    const filler = { XPos: 1, DeltaX: 2, YPos: 3, DeltaY: 4, ControlType: DTCT_LABEL, ControlFlags: 0, dwType: 0 };
    rows.push({ ...filler, ulSize: 0, text: '' });
  }
  return rows;
}

describe(`${fx.source}`, () => {
  it('the request is the one Outlook makes: TI_TEMPLATE | TI_HELPFILE_NAME | TI_HELPFILE_CONTENTS', () => {
    expect(fx.request.dwFlags).toBe(TI_TEMPLATE | TI_HELPFILE_NAME | TI_HELPFILE_CONTENTS);
    expect(fx.response.ulPropTag).toBe(PidTagTemplateData);
  });

  for (const r of fx.rows) {
    it(`Row${r.index}: encodes to the listed bytes and decodes back`, () => {
      expect(encodeTRow(r.value).toString('hex')).toBe(r.hex);
      expect(decodeTRow(Buffer.from(r.hex, 'hex'))).toEqual(r.value);
    });
  }

  it('lays the strings out where the example has them, byte for byte', () => {
    const blob = encodeTemplate(exampleShapedTemplate(), fx.request.dwCodePage);
    expect(blob.subarray(0, 8).toString('hex')).toBe(fx.header.hex);
    for (const r of fx.rows) {
      expect(blob.subarray(8 + 36 * r.index, 8 + 36 * (r.index + 1)).toString('hex')).toBe(r.hex);
      const s = Buffer.from(r.string.hex, 'hex');
      expect(blob.subarray(r.string.offset, r.string.offset + s.length).toString('hex')).toBe(r.string.hex);
    }
  });

  it('decodes the example-shaped blob: header, page "General" (its garbage ControlFlags kept), group box "Name"', () => {
    const blob = encodeTemplate(exampleShapedTemplate(), fx.request.dwCodePage);
    const set = decodeTRowSet(blob);
    expect({ Type: set.Type, cRows: set.rows.length }).toEqual(fx.header.value);
    expect(set.rows.slice(0, 2)).toEqual(fx.rows.map((r) => r.value));
    const rows = decodeTemplate(blob, fx.request.dwCodePage);
    expect(readControl(rows[0] as TemplateRow)).toEqual({ kind: 'page', text: 'General' });
    expect(readControl(rows[1] as TemplateRow)).toEqual({
      kind: 'groupBox',
      rect: { x: 6, y: 3, w: 359, h: 41 },
      text: 'Name',
    });
    expect(encodeTemplate(rows, fx.request.dwCodePage).equals(blob)).toBe(true);
  });

  it('our answer to the same request has the same shape: one value, PidTagTemplateData, Type 1, page "General" first', () => {
    const row = templateFor(fx.request.ulType, fx.request.dwLocaleID, fx.request.dwCodePage, fx.request.dwFlags);
    expect(row).not.toBeNull();
    expect(row?.length).toBe(fx.response.cValues);
    expect(row?.[0]?.tag).toBe(fx.response.ulPropTag);
    const blob = row?.[0]?.value as Buffer;
    expect(blob.readUInt32LE(0)).toBe(fx.header.value.Type);
    const first = decodeTemplate(blob, fx.request.dwCodePage)[0] as TemplateRow;
    expect(readControl(first)).toEqual({ kind: 'page', text: 'General' });
    // the first string follows the last TRow, as 0x92C = 8 + 65 * 36 in the example
    expect(decodeTRowSet(blob).rows[0]?.ControlStructure.ulString).toBe(8 + 36 * blob.readUInt32LE(4));
  });
});
