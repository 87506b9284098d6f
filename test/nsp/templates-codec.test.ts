// MS-OXOABKT 2.2.2.1 template blob: encoder/decoder round trips, canonical layout, coded errors, and the bounded
// decoder under fast-check (arbitrary and mutated bytes give a value or an OcError, never a RangeError).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeScript,
  decodeTemplate,
  decodeTRowSet,
  DEFAULT_TEMPLATE_LIMITS,
  DTCT_BUTTON,
  DTCT_CHECKBOX,
  DTCT_COMBOBOX,
  DTCT_DDLBX,
  DTCT_EDIT,
  DTCT_GROUPBOX,
  DTCT_LABEL,
  DTCT_LBX,
  DTCT_MVDDLBX,
  DTCT_MVLISTBOX,
  DTCT_PAGE,
  DTCT_RADIOBUTTON,
  emptyScript,
  encodeScript,
  encodeTemplate,
  isTemplateCodePage,
  maxStringBytes,
  type TemplateRow,
} from '../../src/nsp/templates/index.js';
import { OcError, ProtocolError } from '../../src/util/errors.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof OcError) return e.code;
    throw e;
  }
  return undefined;
}

const CONTROL_TYPES = [
  DTCT_LABEL,
  DTCT_EDIT,
  DTCT_LBX,
  DTCT_COMBOBOX,
  DTCT_DDLBX,
  DTCT_CHECKBOX,
  DTCT_GROUPBOX,
  DTCT_BUTTON,
  DTCT_PAGE,
  DTCT_RADIOBUTTON,
  DTCT_MVLISTBOX,
  DTCT_MVDDLBX,
];

/** Characters code page 1252 round-trips: printable ASCII and Latin-1 letters/symbols, no NUL. */
const cp1252Char = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0xa0, max: 0xff }),
  fc.constantFrom(0x20ac, 0x2019, 0x201c, 0x2122), // € ' " ™ live at 0x80-0x9F in 1252
).map((c) => String.fromCodePoint(c));

const u32 = fc.integer({ min: 0, max: 0xffffffff });

const arbRow: fc.Arbitrary<TemplateRow> = fc
  .record({
    XPos: u32,
    DeltaX: u32,
    YPos: u32,
    DeltaY: u32,
    ControlType: fc.oneof(fc.constantFrom(...CONTROL_TYPES), u32),
    ControlFlags: u32,
    dwType: u32,
    ulSize: u32,
    hasText: fc.boolean(),
    chars: fc.array(cp1252Char, { maxLength: 40 }),
  })
  .map(({ hasText, chars, ...r }) => ({
    ...r,
    // within the limit of the control type (edit filter 14 bytes, page title 31, others 127)
    text: hasText ? chars.slice(0, maxStringBytes(r.ControlType) - 1).join('') : null,
  }));

const arbTemplate = fc.array(arbRow, { maxLength: 24 });

const label = (text: string | null, extra: Partial<TemplateRow> = {}): TemplateRow => ({
  XPos: 1,
  DeltaX: 2,
  YPos: 3,
  DeltaY: 4,
  ControlType: DTCT_LABEL,
  ControlFlags: 0,
  dwType: 0,
  ulSize: 0,
  text,
  ...extra,
});

describe('MS-OXOABKT 2.2.2.1 template blob: encoder', () => {
  it('an empty template is the 8-byte TRowSet header (Type 1, cRows 0)', () => {
    expect(encodeTemplate([], 1252).toString('hex')).toBe('0100000000000000');
  });

  it('writes one TRow of nine ULONGs and its string after the rows', () => {
    const b = encodeTemplate([label('&First:', { dwType: 0x3a06001e, ulSize: 64, ControlFlags: 2 })], 1252);
    expect(b.toString('hex')).toBe(
      '01000000' + '01000000' +
        '01000000' + '02000000' + '03000000' + '04000000' + '00000000' + '02000000' +
        '1e00063a' + '40000000' + '2c000000' +
        Buffer.from('&First:\0', 'latin1').toString('hex'),
    );
  });

  it('writes ulString 0 for a row without text and an offset to a lone NUL for ""', () => {
    const b = encodeTemplate([label(null), label('')], 1252);
    const set = decodeTRowSet(b);
    expect(set.rows[0]?.ControlStructure.ulString).toBe(0);
    expect(set.rows[1]?.ControlStructure.ulString).toBe(8 + 72);
    expect(b.length).toBe(8 + 72 + 1);
    expect(decodeTemplate(b, 1252).map((r) => r.text)).toEqual([null, '']);
  });

  it('writes the strings in the code page: ü is 0xFC in 1252, € is 0x80; a character 1252 lacks becomes "?"', () => {
    const b = encodeTemplate([label('Büro €'), label('Ωμέγα')], 1252);
    expect(b.subarray(8 + 72).toString('hex')).toBe('42fc726f2080' + '00' + '3f3f3f3f3f' + '00');
  });

  it('refuses a NUL inside a string, a string over its control type limit, and a non-ULONG field', () => {
    expect(codeOf(() => encodeTemplate([label('a\0b')], 1252))).toBe('OC_ABKT_STRING_NUL');
    expect(codeOf(() => encodeTemplate([label('x'.repeat(127))], 1252))).toBeUndefined();
    expect(codeOf(() => encodeTemplate([label('x'.repeat(128))], 1252))).toBe('OC_ABKT_STRING_TOO_LONG');
    expect(codeOf(() => encodeTemplate([label('x'.repeat(31), { ControlType: DTCT_PAGE })], 1252))).toBeUndefined();
    expect(codeOf(() => encodeTemplate([label('x'.repeat(32), { ControlType: DTCT_PAGE })], 1252))).toBe(
      'OC_ABKT_STRING_TOO_LONG',
    );
    expect(codeOf(() => encodeTemplate([label('[A-Z0-9\\-.]', { ControlType: DTCT_EDIT })], 1252))).toBeUndefined();
    expect(codeOf(() => encodeTemplate([label('x'.repeat(15), { ControlType: DTCT_EDIT })], 1252))).toBe(
      'OC_ABKT_STRING_TOO_LONG',
    );
    expect(codeOf(() => encodeTemplate([label('a', { XPos: -1 })], 1252))).toBe('OC_ABKT_FIELD_RANGE');
    expect(codeOf(() => encodeTemplate([label('a', { dwType: 2 ** 32 })], 1252))).toBe('OC_ABKT_FIELD_RANGE');
    expect(codeOf(() => encodeTemplate([label('a', { YPos: 1.5 })], 1252))).toBe('OC_ABKT_FIELD_RANGE');
  });

  it('refuses Unicode (CP_WINUNICODE 1200): template strings are 8-bit (2.2.2.1.3)', () => {
    expect(isTemplateCodePage(1200)).toBe(false);
    expect(codeOf(() => encodeTemplate([label('a')], 1200))).toBe('OC_CODEPAGE_UNKNOWN');
    expect(codeOf(() => decodeTemplate(encodeTemplate([label('a')], 1252), 1200))).toBe('OC_CODEPAGE_UNKNOWN');
  });
});

describe('MS-OXOABKT 2.2.2.1 template blob: decoder', () => {
  const good = encodeTemplate([label('One'), label('Two')], 1252);

  it('refuses what is not a template with coded ProtocolErrors', () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.alloc(0), 'OC_ABKT_SHORT_BUFFER'],
      [Buffer.from('0100000001', 'hex'), 'OC_ABKT_SHORT_BUFFER'],
      [Buffer.from('0200000000000000', 'hex'), 'OC_ABKT_BAD_TYPE'],
      [Buffer.from('0100000001000000', 'hex'), 'OC_ABKT_SHORT_BUFFER'],
      [Buffer.from('01000000ffffffff', 'hex'), 'OC_ABKT_TOO_MANY_ROWS'],
      [good.subarray(0, good.length - 1), 'OC_ABKT_STRING_UNTERMINATED'],
      [good.subarray(0, 8 + 72 + 4), 'OC_ABKT_STRING_OFFSET'],
    ];
    for (const [b, code] of cases) {
      let err: unknown;
      try {
        decodeTemplate(b, 1252);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(code);
    }
  });

  it('enforces its limits: blob size, row count, string length', () => {
    const big = encodeTemplate(Array.from({ length: 5 }, () => label('x'.repeat(100))), 1252);
    expect(codeOf(() => decodeTemplate(big, 1252, { ...DEFAULT_TEMPLATE_LIMITS, maxBytes: big.length - 1 }))).toBe(
      'OC_ABKT_TOO_BIG',
    );
    expect(codeOf(() => decodeTemplate(big, 1252, { ...DEFAULT_TEMPLATE_LIMITS, maxRows: 4 }))).toBe(
      'OC_ABKT_TOO_MANY_ROWS',
    );
    expect(codeOf(() => decodeTemplate(big, 1252, { ...DEFAULT_TEMPLATE_LIMITS, maxStringBytes: 100 }))).toBe(
      'OC_ABKT_STRING_UNTERMINATED',
    );
    expect(decodeTemplate(big, 1252, { ...DEFAULT_TEMPLATE_LIMITS, maxStringBytes: 101 })).toHaveLength(5);
  });

  it('ignores bytes after the last string and reads strings that share bytes', () => {
    const shared = Buffer.from(good);
    shared.writeUInt32LE(good.readUInt32LE(8 + 32), 8 + 36 + 32); // Row1's ulString := Row0's
    expect(decodeTemplate(Buffer.concat([shared, Buffer.from('ffff', 'hex')]), 1252).map((r) => r.text)).toEqual([
      'One',
      'One',
    ]);
  });

  it('reads and writes strings in the requested code page (src/mapi/codepage.ts)', () => {
    const b = encodeTemplate([label('Grüße')], 1252);
    expect(decodeTemplate(b, 1252)[0]?.text).toBe('Grüße');
    const cyr = encodeTemplate([label('Ду')], 1251);
    expect(cyr.subarray(8 + 36).toString('hex')).toBe('c4f300');
    expect(decodeTemplate(cyr, 1251)[0]?.text).toBe('Ду');
    const jp = encodeTemplate([label('あa')], 932);
    expect(jp.subarray(8 + 36).toString('hex')).toBe('82a06100');
    expect(decodeTemplate(jp, 932)[0]?.text).toBe('あa');
  });
});

describe('MS-OXOABKT 2.2.2.1 template blob: properties', () => {
  it('decode(encode(t)) = t for any rows with strings code page 1252 can hold', () => {
    fc.assert(
      fc.property(arbTemplate, (t) => {
        expect(decodeTemplate(encodeTemplate(t, 1252), 1252)).toEqual(t);
      }),
    );
  });

  it('encode(decode(b)) = b for every blob the encoder writes (the layout is canonical)', () => {
    fc.assert(
      fc.property(arbTemplate, (t) => {
        const b = encodeTemplate(t, 1252);
        expect(encodeTemplate(decodeTemplate(b, 1252), 1252).equals(b)).toBe(true);
      }),
    );
  });

  const expectValueOrCodedError = (b: Buffer): void => {
    try {
      const rows = decodeTemplate(b, 1252);
      expect(Array.isArray(rows)).toBe(true);
    } catch (e) {
      expect(e).toBeInstanceOf(OcError);
      expect((e as OcError).code).toMatch(/^OC_ABKT_/);
    }
  };

  it('arbitrary bytes give rows or a coded error, never a RangeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => expectValueOrCodedError(Buffer.from(bytes))),
      { numRuns: 2000 },
    );
  });

  it('arbitrary bytes behind a valid header and row count give rows or a coded error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 900 }), (n, body) => {
        const head = Buffer.alloc(8);
        head.writeUInt32LE(1, 0);
        head.writeUInt32LE(n, 4);
        expectValueOrCodedError(Buffer.concat([head, body]));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated, truncated and extended valid templates give rows or a coded error', () => {
    const mutation = fc.record({
      at: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      offsets: fc.array(fc.tuple(fc.nat(), u32), { maxLength: 3 }),
      tail: fc.uint8Array({ maxLength: 16 }),
    });
    fc.assert(
      fc.property(arbTemplate, mutation, (t, m) => {
        let b = Buffer.from(encodeTemplate(t, 1252));
        for (const [i, v] of m.at) if (b.length > 0) b[i % b.length] = v;
        // aim ULONGs at the fields that are offsets and counts
        for (const [i, v] of m.offsets) {
          const rows = Math.floor((b.length - 8) / 36);
          const pos = rows > 0 && i % 2 === 0 ? 8 + 36 * (i % rows) + 32 : 4;
          if (pos + 4 <= b.length) b.writeUInt32LE(v, pos);
        }
        if (m.cut !== undefined && b.length > 0) b = b.subarray(0, m.cut % b.length);
        expectValueOrCodedError(Buffer.concat([b, m.tail]));
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary bytes read in a double-byte page (932) give rows or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const head = Buffer.from('0100000001000000', 'hex');
        try {
          decodeTemplate(Buffer.concat([head, Buffer.from(bytes)]), 932);
        } catch (e) {
          expect((e as OcError).code).toMatch(/^OC_ABKT_/);
        }
      }),
    );
  });
});

describe('MS-OXOABKT 2.2.2.2 script', () => {
  it('the empty script is a count of 0', () => {
    expect(emptyScript().toString('hex')).toBe('00000000');
    expect(decodeScript(emptyScript())).toEqual([]);
  });

  it('round-trips and refuses counts the bytes cannot hold', () => {
    fc.assert(
      fc.property(fc.array(u32, { maxLength: 20 }), (d) => {
        expect(decodeScript(encodeScript(d))).toEqual(d);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeScript(Buffer.from(bytes));
        } catch (e) {
          expect((e as OcError).code).toBe('OC_ABKT_SHORT_BUFFER');
        }
      }),
    );
  });
});
