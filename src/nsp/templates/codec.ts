// Encoder and bounded decoder of the display template blob, the value of PidTagTemplateData (MS-OXOABKT 2.2.2.1):
// a TRowSet (Type, cRows, cRows x 36-byte TRow) followed by the NUL-terminated 8-bit strings the CNTRL
// structures point to (ulString = byte offset from the start of the TRowSet). All integers are little-endian ULONGs.
import { decode as decodeString, encode as encodeString } from '../../mapi/codepage.js';
import { OcError, ProtocolError } from '../../util/errors.js';
import { maxStringBytes, TROW_SIZE, TROWSET_HEADER_SIZE, TROWSET_TYPE } from './constants.js';

// MS-OXOABKT 2.2.2.1.3 Buffer Format of the CNTRL Structure
export interface CNTRL {
  dwType: number;
  ulSize: number;
  ulString: number;
}

// MS-OXOABKT 2.2.2.1.2 TRow Structure
export interface TRow {
  XPos: number;
  DeltaX: number;
  YPos: number;
  DeltaY: number;
  ControlType: number;
  ControlFlags: number;
  ControlStructure: CNTRL;
}

// MS-OXOABKT 2.2.2.1.1 TRowSet Structure (cRows is rows.length)
export interface TRowSet {
  Type: number;
  rows: TRow[];
}

/**
 * One control as the program handles it: a TRow whose CNTRL.ulString is replaced by the text it points to
 * (null: ulString 0, no string). dwType and ulSize keep their per-control meaning (2.2.2.1.3.1-9): the property
 * tag, the edit control's character limit.
 */
export interface TemplateRow {
  XPos: number;
  DeltaX: number;
  YPos: number;
  DeltaY: number;
  ControlType: number;
  ControlFlags: number;
  dwType: number;
  ulSize: number;
  text: string | null;
}

export interface TemplateDecodeLimits {
  /** Largest blob accepted (bytes). */
  maxBytes: number;
  /** Most TRows accepted. */
  maxRows: number;
  /** Longest string scanned for its NUL (bytes, NUL included). */
  maxStringBytes: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateDecodeLimits = {
  maxBytes: 1 << 20,
  maxRows: 4096,
  maxStringBytes: 4096,
};

const TROW_FIELDS = ['XPos', 'DeltaX', 'YPos', 'DeltaY', 'ControlType', 'ControlFlags'] as const;

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new OcError('OC_ABKT_FIELD_RANGE', `${name} is not a ULONG: ${v}`, { field: name, value: v });
  }
}

/** The 36 bytes of one TRow (MS-OXOABKT 2.2.2.1.2). */
export function encodeTRow(row: TRow): Buffer {
  const b = Buffer.alloc(TROW_SIZE);
  const values = [
    ...TROW_FIELDS.map((f) => [f, row[f]] as const),
    ['dwType', row.ControlStructure.dwType] as const,
    ['ulSize', row.ControlStructure.ulSize] as const,
    ['ulString', row.ControlStructure.ulString] as const,
  ];
  values.forEach(([name, v], i) => {
    checkU32(name, v);
    b.writeUInt32LE(v, i * 4);
  });
  return b;
}

/** The TRow at `offset` of `buf` (MS-OXOABKT 2.2.2.1.2); a ProtocolError if fewer than 36 bytes are there. */
export function decodeTRow(buf: Buffer, offset = 0): TRow {
  if (!Number.isInteger(offset) || offset < 0 || offset + TROW_SIZE > buf.length) {
    throw new ProtocolError('OC_ABKT_SHORT_BUFFER', `no 36-byte TRow at offset ${offset} of ${buf.length} bytes`);
  }
  return readTRow(buf, offset);
}

/** The TRow at `offset`; the caller has checked that 36 bytes are there. */
function readTRow(buf: Buffer, offset: number): TRow {
  const u = (i: number): number => buf.readUInt32LE(offset + i * 4);
  return {
    XPos: u(0),
    DeltaX: u(1),
    YPos: u(2),
    DeltaY: u(3),
    ControlType: u(4),
    ControlFlags: u(5),
    ControlStructure: { dwType: u(6), ulSize: u(7), ulString: u(8) },
  };
}

/** The TRowSet header and rows of a blob; string offsets are left unresolved. */
export function decodeTRowSet(buf: Buffer, limits: TemplateDecodeLimits = DEFAULT_TEMPLATE_LIMITS): TRowSet {
  if (buf.length > limits.maxBytes) {
    throw new ProtocolError('OC_ABKT_TOO_BIG', `template of ${buf.length} bytes exceeds ${limits.maxBytes}`);
  }
  if (buf.length < TROWSET_HEADER_SIZE) {
    throw new ProtocolError('OC_ABKT_SHORT_BUFFER', `template of ${buf.length} bytes has no TRowSet header`);
  }
  const Type = buf.readUInt32LE(0);
  if (Type !== TROWSET_TYPE) {
    throw new ProtocolError('OC_ABKT_BAD_TYPE', `TRowSet.Type is ${Type}, not 1`, { Type });
  }
  const cRows = buf.readUInt32LE(4);
  if (cRows > limits.maxRows) {
    throw new ProtocolError('OC_ABKT_TOO_MANY_ROWS', `cRows ${cRows} exceeds ${limits.maxRows}`, { cRows });
  }
  if (TROWSET_HEADER_SIZE + cRows * TROW_SIZE > buf.length) {
    throw new ProtocolError('OC_ABKT_SHORT_BUFFER', `cRows ${cRows} needs more than the ${buf.length} bytes given`, {
      cRows,
    });
  }
  const rows: TRow[] = [];
  for (let i = 0; i < cRows; i++) rows.push(readTRow(buf, TROWSET_HEADER_SIZE + i * TROW_SIZE));
  return { Type, rows };
}

/** The bytes (NUL excluded) of the string at `offset`, scanning at most `max` bytes for the NUL. */
export function readTemplateString(buf: Buffer, offset: number, max: number): Buffer {
  if (offset >= buf.length) {
    throw new ProtocolError('OC_ABKT_STRING_OFFSET', `string offset ${offset} is past the ${buf.length}-byte blob`, {
      offset,
    });
  }
  const end = Math.min(buf.length, offset + max);
  const nul = buf.subarray(offset, end).indexOf(0);
  if (nul < 0) {
    throw new ProtocolError('OC_ABKT_STRING_UNTERMINATED', `no NUL within ${end - offset} bytes of offset ${offset}`, {
      offset,
    });
  }
  return buf.subarray(offset, offset + nul);
}

/**
 * Decodes a PidTagTemplateData blob whose strings are in `codePage`. Bad input gives a ProtocolError; an
 * unsupported code page an UnknownCodePageError (OC_CODEPAGE_UNKNOWN).
 */
export function decodeTemplate(
  buf: Buffer,
  codePage: number,
  limits: TemplateDecodeLimits = DEFAULT_TEMPLATE_LIMITS,
): TemplateRow[] {
  return decodeTRowSet(buf, limits).rows.map((r) => ({
    XPos: r.XPos,
    DeltaX: r.DeltaX,
    YPos: r.YPos,
    DeltaY: r.DeltaY,
    ControlType: r.ControlType,
    ControlFlags: r.ControlFlags,
    dwType: r.ControlStructure.dwType,
    ulSize: r.ControlStructure.ulSize,
    text:
      r.ControlStructure.ulString === 0
        ? null
        : decodeString(readTemplateString(buf, r.ControlStructure.ulString, limits.maxStringBytes), codePage),
  }));
}

/**
 * Encodes rows as a PidTagTemplateData blob with strings in `codePage` (characters the page lacks become "?"),
 * laid out as in MS-OXOABKT 4.2: the strings follow the last TRow in row order, each NUL-terminated, no padding,
 * no sharing. Throws an OcError for a string with a NUL or longer than its control type allows, and an
 * UnknownCodePageError (OC_CODEPAGE_UNKNOWN) for a code page src/mapi/codepage.ts does not support.
 */
export function encodeTemplate(rows: readonly TemplateRow[], codePage: number): Buffer {
  const strings: Buffer[] = [];
  let offset = TROWSET_HEADER_SIZE + rows.length * TROW_SIZE;
  const trows = rows.map((r, i) => {
    let ulString = 0;
    if (r.text !== null) {
      if (r.text.includes('\0')) {
        throw new OcError('OC_ABKT_STRING_NUL', `row ${i}: text contains a NUL`, { row: i });
      }
      const bytes = encodeString(r.text, codePage);
      const max = maxStringBytes(r.ControlType);
      if (bytes.length + 1 > max) {
        throw new OcError('OC_ABKT_STRING_TOO_LONG', `row ${i}: ${bytes.length + 1} bytes, control allows ${max}`, {
          row: i,
          text: r.text,
        });
      }
      ulString = offset;
      strings.push(bytes, Buffer.alloc(1));
      offset += bytes.length + 1;
    }
    return encodeTRow({
      XPos: r.XPos,
      DeltaX: r.DeltaX,
      YPos: r.YPos,
      DeltaY: r.DeltaY,
      ControlType: r.ControlType,
      ControlFlags: r.ControlFlags,
      ControlStructure: { dwType: r.dwType, ulSize: r.ulSize, ulString },
    });
  });
  const header = Buffer.alloc(TROWSET_HEADER_SIZE);
  header.writeUInt32LE(TROWSET_TYPE, 0);
  header.writeUInt32LE(rows.length, 4);
  return Buffer.concat([header, ...trows, ...strings]);
}
