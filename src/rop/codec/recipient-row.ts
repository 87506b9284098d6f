// MS-OXCDATA 2.8.3.2 RecipientRow (flags 2.8.3.1), the TypedString of RopOpenMessage responses, and the recipient row
// lists of MS-OXCROPS 2.2.6.1 (OpenRecipientRow), 2.2.6.5 (ModifyRecipientRow) and 2.2.6.6 (ReadRecipientRow).
import { RopFormatError, RopReader, type RopWriter } from '../../mapi/buffer.js';
import { readPropertyRow, writePropertyRow, type RowCell } from '../../mapi/ropprops.js';
import type { FieldEnv } from './kit.js';
import { custom } from './kit.js';

// RecipientFlags bits (MS-OXCDATA 2.8.3.1; the first wire byte is the low byte of the u16)
export const RecipientFlags = {
  TypeMask: 0x0007,
  E: 0x0008, // EmailAddress present
  D: 0x0010, // DisplayName present
  T: 0x0020, // TransmittableDisplayName present
  S: 0x0040, // SendNoRichInfo
  R: 0x0080, // Reserved
  N: 0x0100, // N bit (rich-format information not sent)
  U: 0x0200, // strings are Unicode
  I: 0x0400, // SimpleDisplayName present
  O: 0x8000, // AddressType present (Type NoType)
} as const;

export const RecipientType = { NoType: 0, X500DN: 1, MsMail: 2, SMTP: 3, Fax: 4, ProfessionalOfficeSystem: 5, PersonalDistributionList1: 6, PersonalDistributionList2: 7 } as const;

/** MS-OXCDATA 2.8.3.2 RecipientRow. Optional fields are present as the RecipientFlags say. */
export interface RecipientRow {
  RecipientFlags: number;
  AddressPrefixUsed?: number;
  DisplayType?: number;
  X500DN?: string;
  EntryId?: Buffer;
  SearchKey?: Buffer;
  AddressType?: string;
  EmailAddress?: string;
  DisplayName?: string;
  SimpleDisplayName?: string;
  TransmittableDisplayName?: string;
  RecipientColumnCount: number;
  /**
   * PropertyRow over the first RecipientColumnCount recipient columns; raw bytes when the columns are not known to
   * the decoder (RopReadRecipients responses).
   */
  RecipientProperties: RowCell[] | Buffer;
}

function str(r: RopReader, unicode: boolean, codePage: number): string {
  return unicode ? r.stringW() : r.string8(codePage);
}

function putStr(w: RopWriter, s: string | undefined, unicode: boolean, codePage: number): void {
  if (unicode) w.stringW(s ?? '');
  else w.string8(s ?? '', codePage);
}

/** Reads a RecipientRow; `columns` = the ROP's RecipientColumns (null: keep the properties as bytes to `r.end`). */
export function readRecipientRow(r: RopReader, columns: readonly number[] | null, codePage: number): RecipientRow {
  const flags = r.u16();
  const row: Partial<RecipientRow> = { RecipientFlags: flags };
  const type = flags & RecipientFlags.TypeMask;
  const uni = (flags & RecipientFlags.U) !== 0;
  if (type === RecipientType.X500DN) {
    row.AddressPrefixUsed = r.u8();
    row.DisplayType = r.u8();
    row.X500DN = r.string8(codePage);
  } else if (type === RecipientType.PersonalDistributionList1 || type === RecipientType.PersonalDistributionList2) {
    row.EntryId = Buffer.from(r.bytes(r.u16(), 'EntryId'));
    row.SearchKey = Buffer.from(r.bytes(r.u16(), 'SearchKey'));
  } else if (type === RecipientType.NoType && (flags & RecipientFlags.O) !== 0) {
    row.AddressType = r.string8(codePage);
  }
  if (flags & RecipientFlags.E) row.EmailAddress = str(r, uni, codePage);
  if (flags & RecipientFlags.D) row.DisplayName = str(r, uni, codePage);
  if (flags & RecipientFlags.I) row.SimpleDisplayName = str(r, uni, codePage);
  if (flags & RecipientFlags.T) row.TransmittableDisplayName = str(r, uni, codePage);
  const n = r.u16();
  row.RecipientColumnCount = n;
  if (columns === null) {
    row.RecipientProperties = Buffer.from(r.bytes(r.left, 'RecipientProperties'));
  } else {
    if (n > columns.length) throw new RopFormatError('OC_ROP_COUNT', `RecipientColumnCount ${n} exceeds the ${columns.length} recipient columns`);
    row.RecipientProperties = readPropertyRow(r, columns.slice(0, n), codePage);
  }
  return row as RecipientRow;
}

export function writeRecipientRow(w: RopWriter, row: RecipientRow, columns: readonly number[] | null, codePage: number): void {
  const flags = row.RecipientFlags;
  const type = flags & RecipientFlags.TypeMask;
  const uni = (flags & RecipientFlags.U) !== 0;
  w.u16(flags);
  if (type === RecipientType.X500DN) {
    w.u8(row.AddressPrefixUsed ?? 0).u8(row.DisplayType ?? 0).string8(row.X500DN ?? '', codePage);
  } else if (type === RecipientType.PersonalDistributionList1 || type === RecipientType.PersonalDistributionList2) {
    const e = row.EntryId ?? Buffer.alloc(0);
    const k = row.SearchKey ?? Buffer.alloc(0);
    w.u16(e.length).bytes(e).u16(k.length).bytes(k);
  } else if (type === RecipientType.NoType && (flags & RecipientFlags.O) !== 0) {
    w.string8(row.AddressType ?? '', codePage);
  }
  if (flags & RecipientFlags.E) putStr(w, row.EmailAddress, uni, codePage);
  if (flags & RecipientFlags.D) putStr(w, row.DisplayName, uni, codePage);
  if (flags & RecipientFlags.I) putStr(w, row.SimpleDisplayName, uni, codePage);
  if (flags & RecipientFlags.T) putStr(w, row.TransmittableDisplayName, uni, codePage);
  const props = row.RecipientProperties;
  if (Buffer.isBuffer(props)) {
    w.u16(row.RecipientColumnCount).bytes(props);
    return;
  }
  if (columns === null) throw new RopFormatError('OC_ROP_FIELD', 'RecipientRow with property cells needs the recipient columns');
  const n = row.RecipientColumnCount ?? props.length;
  if (n > columns.length) throw new RopFormatError('OC_ROP_COUNT', `RecipientColumnCount ${n} exceeds the ${columns.length} recipient columns`);
  w.u16(n);
  writePropertyRow(w, columns.slice(0, n), props, codePage);
}

/** Reads a RecipientRow of exactly `size` bytes (RecipientRowSize); the row must fill them. */
function readSizedRow(r: RopReader, size: number, columns: readonly number[] | null, codePage: number): RecipientRow {
  r.need(size, 'RecipientRow');
  const sub = new RopReader(r.buf, r.pos, r.pos + size);
  const row = readRecipientRow(sub, columns, codePage);
  if (sub.left !== 0) throw new RopFormatError('OC_ROP_SIZE', `RecipientRow is ${size - sub.left} bytes, RecipientRowSize says ${size}`);
  r.pos += size;
  return row;
}

/** Writes u16 RecipientRowSize + RecipientRow. */
function writeSizedRow(w: RopWriter, row: RecipientRow, columns: readonly number[] | null, codePage: number): void {
  const at = w.pos;
  w.u16(0);
  writeRecipientRow(w, row, columns, codePage);
  const size = w.pos - at - 2;
  if (size > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `a ${size}-byte RecipientRow does not fit RecipientRowSize`);
  w.patchU16(at, size);
}

const MIN_ROW = 4; // RecipientFlags + RecipientColumnCount

function columnsOf(env: FieldEnv): number[] {
  const c = env.obj.RecipientColumns;
  return Array.isArray(c) ? (c as number[]) : [];
}

/** MS-OXCROPS 2.2.6.1.2 OpenRecipientRow. */
export interface OpenRecipientRow {
  RecipientType: number;
  CodePageId: number;
  Reserved: number;
  RecipientRow: RecipientRow;
}

/** RowCount u8 + OpenRecipientRow x n, the rows over the RecipientColumns field decoded before. */
export const openRecipientRows = <N extends string>(name: N) =>
  custom<N, OpenRecipientRow[]>(
    name,
    (r, env) => {
      const n = r.u8();
      if (n * (7 + MIN_ROW) > r.left) throw new RopFormatError('OC_ROP_COUNT', `RowCount ${n} exceeds the ${r.left} bytes left`);
      const cols = columnsOf(env);
      const out: OpenRecipientRow[] = [];
      for (let i = 0; i < n; i++) {
        const RecipientType = r.u8();
        const CodePageId = r.u16();
        const Reserved = r.u16();
        out.push({ RecipientType, CodePageId, Reserved, RecipientRow: readSizedRow(r, r.u16(), cols, env.ctx.codePage) });
      }
      return out;
    },
    (w, v, env) => {
      const rows = v ?? [];
      if (rows.length > 0xff) throw new RopFormatError('OC_ROP_TOO_BIG', `${rows.length} recipient rows do not fit RowCount`);
      w.u8(rows.length);
      for (const x of rows) {
        w.u8(x.RecipientType).u16(x.CodePageId).u16(x.Reserved ?? 0);
        writeSizedRow(w, x.RecipientRow, columnsOf(env), env.ctx.codePage);
      }
    },
    'openRecipientRows',
  );

/** MS-OXCROPS 2.2.6.5.1.1 ModifyRecipientRow; RecipientRow absent when RecipientRowSize is 0 (row removed). */
export interface ModifyRecipientRow {
  RowId: number;
  RecipientType: number;
  RecipientRow?: RecipientRow;
}

/** RowCount u16 + ModifyRecipientRow x n over the RecipientColumns field decoded before. */
export const modifyRecipientRows = <N extends string>(name: N) =>
  custom<N, ModifyRecipientRow[]>(
    name,
    (r, env) => {
      const n = r.u16();
      if (n * 7 > r.left) throw new RopFormatError('OC_ROP_COUNT', `RowCount ${n} exceeds the ${r.left} bytes left`);
      const cols = columnsOf(env);
      const out: ModifyRecipientRow[] = [];
      for (let i = 0; i < n; i++) {
        const RowId = r.u32();
        const RecipientType = r.u8();
        const size = r.u16();
        const row: ModifyRecipientRow = { RowId, RecipientType };
        if (size > 0) row.RecipientRow = readSizedRow(r, size, cols, env.ctx.codePage);
        out.push(row);
      }
      return out;
    },
    (w, v, env) => {
      const rows = v ?? [];
      if (rows.length > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `${rows.length} recipient rows do not fit RowCount`);
      w.u16(rows.length);
      for (const x of rows) {
        w.u32(x.RowId).u8(x.RecipientType);
        if (x.RecipientRow) writeSizedRow(w, x.RecipientRow, columnsOf(env), env.ctx.codePage);
        else w.u16(0);
      }
    },
    'modifyRecipientRows',
  );

/** MS-OXCROPS 2.2.6.6.2.1 ReadRecipientRow. `Columns` (not on the wire) gives the columns when writing cells. */
export interface ReadRecipientRow {
  RowId: number;
  RecipientType: number;
  CodePageId: number;
  Reserved: number;
  RecipientRow: RecipientRow;
  Columns?: readonly number[];
}

/** RowCount u8 + ReadRecipientRow x n. No columns on the wire: decoded RecipientProperties stay bytes. */
export const readRecipientRows = <N extends string>(name: N) =>
  custom<N, ReadRecipientRow[]>(
    name,
    (r, env) => {
      const n = r.u8();
      if (n * (11 + MIN_ROW) > r.left) throw new RopFormatError('OC_ROP_COUNT', `RowCount ${n} exceeds the ${r.left} bytes left`);
      const out: ReadRecipientRow[] = [];
      for (let i = 0; i < n; i++) {
        const RowId = r.u32();
        const RecipientType = r.u8();
        const CodePageId = r.u16();
        const Reserved = r.u16();
        out.push({ RowId, RecipientType, CodePageId, Reserved, RecipientRow: readSizedRow(r, r.u16(), null, env.ctx.codePage) });
      }
      return out;
    },
    (w, v, env) => {
      const rows = v ?? [];
      if (rows.length > 0xff) throw new RopFormatError('OC_ROP_TOO_BIG', `${rows.length} recipient rows do not fit RowCount`);
      w.u8(rows.length);
      for (const x of rows) {
        w.u32(x.RowId).u8(x.RecipientType).u16(x.CodePageId).u16(x.Reserved ?? 0);
        writeSizedRow(w, x.RecipientRow, x.Columns ?? null, env.ctx.codePage);
      }
    },
    'readRecipientRows',
  );

// TypedString (MS-OXCDATA; SubjectPrefix / NormalizedSubject of RopOpenMessage): StringType u8, then the string in
// the form it names (none, empty, 8-bit in the code page, reduced Unicode = one byte per character, UTF-16LE)
export const StringType = { NoString: 0x00, Empty: 0x01, String8: 0x02, ReducedUnicode: 0x03, UnicodeString: 0x04 } as const;

export interface TypedString {
  StringType: number;
  String?: string;
}

export const typedString = <N extends string>(name: N) =>
  custom<N, TypedString>(
    name,
    (r, env) => {
      const t = r.u8();
      switch (t) {
        case StringType.NoString:
        case StringType.Empty:
          return { StringType: t };
        case StringType.String8:
          return { StringType: t, String: r.string8(env.ctx.codePage) };
        case StringType.ReducedUnicode: {
          // Unicode characters below U+0100 with the zero high byte left out
          const at = r.buf.indexOf(0, r.pos);
          if (at < 0 || at >= r.end) throw new RopFormatError('OC_ROP_STRING', `unterminated reduced Unicode string at ${r.pos}`);
          const s = r.buf.toString('latin1', r.pos, at);
          r.pos = at + 1;
          return { StringType: t, String: s };
        }
        case StringType.UnicodeString:
          return { StringType: t, String: r.stringW() };
        default:
          throw new RopFormatError('OC_ROP_STRINGTYPE', `TypedString StringType 0x${t.toString(16)}`);
      }
    },
    (w, v, env) => {
      const t = v?.StringType ?? StringType.NoString;
      w.u8(t);
      if (t === StringType.String8) w.string8(v?.String ?? '', env.ctx.codePage);
      else if (t === StringType.ReducedUnicode) {
        const s = v?.String ?? '';
        // eslint-disable-next-line no-control-regex
        if (!/^[\x01-\xff]*$/.test(s)) throw new RopFormatError('OC_ROP_FIELD', 'a reduced Unicode TypedString holds characters U+0001..U+00FF only');
        w.bytes(Buffer.from(s, 'latin1')).u8(0);
      }
      else if (t === StringType.UnicodeString) w.stringW(v?.String ?? '');
    },
    'typedString',
  );
