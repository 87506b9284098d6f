// Recipients between the wire and the store (MS-OXCMSG 2.2.3.1/2.2.3.5/2.2.3.6, MS-OXCDATA 2.8.3): a RecipientRow
// carries the address type, e-mail address, display names and SendRichInfo in its fixed part and every other
// property as a PropertyRow over the ROP's RecipientColumns; the store keeps a recipient as one property list.
//
// Choices where the spec leaves room:
// - RecipientColumns of RopOpenMessage / RopReloadCachedInformation / RopOpenEmbeddedMessage: every property some
//   recipient of the message has, in order of first appearance, minus those the fixed part carries (the list
//   RopModifyRecipients refuses, PidTagRowid, PidTagResponsibility and PidTagAddressBookDisplayNamePrintable);
//   8-bit strings are announced as PT_UNICODE; a recipient without one of them gets a NotFound cell;
// - rows go out with Unicode strings (RecipientFlags U); an "EX" address goes out as an X500DN row with
//   AddressPrefixUsed 0; an address type without a RecipientFlags Type value as NoType + O + AddressType;
// - an incoming X500DN with AddressPrefixUsed n is the first n characters of the session user's legacyExchangeDN
//   followed by X500DN (MS-OXCDATA 2.8.3.2);
// - RecipientColumns that name a property the fixed part carries (PidTagAddressType, PidTagDisplayName,
//   PidTagEmailAddress, PidTagEntryId, PidTagInstanceKey, PidTagRecipientType, PidTagSearchKey, PidTagSendRichInfo,
//   PidTagTransmittableDisplayName), PidTagRowid, a property twice, or a type that cannot be stored are
//   ecInvalidParam, and nothing changes.
import { RopWriter } from '../../mapi/buffer.js';
import { MAPI_E, MV_FLAG, PT, makeTag, propId, propType, type PropValue } from '../../mapi/props.js';
import { isErrorCell, isTypedCell, type RowCell } from '../../mapi/ropprops.js';
import type { RecipientChange, RecipientRow as StoreRecipient } from '../../mapistore/types.js';
import {
  RecipientFlags,
  RecipientType,
  StringType,
  writeRecipientRow,
  type ModifyRecipientRow,
  type OpenRecipientRow,
  type RecipientRow,
  type TypedString,
} from '../codec/recipient-row.js';

// MS-OXPROPS tags of the RecipientRow fixed part
export const PidTagRecipientType = 0x0c150003;
export const PidTagAddressType = 0x3002001f;
export const PidTagEmailAddress = 0x3003001f;
export const PidTagDisplayName = 0x3001001f;
export const PidTagTransmittableDisplayName = 0x3a20001f;
export const PidTagAddressBookDisplayNamePrintable = 0x39ff001f;
export const PidTagSendRichInfo = 0x3a40000b;
export const PidTagDisplayType = 0x39000003;
export const PidTagEntryId = 0x0fff0102;
export const PidTagSearchKey = 0x300b0102;
export const PidTagInstanceKey = 0x0ff60102;
export const PidTagRowid = 0x30000003;
export const PidTagResponsibility = 0x0e0f000b;

/** MS-OXCMSG 3.2.5.5: properties the RecipientRow carries itself; naming one in RecipientColumns is ecInvalidParam. */
const REFUSED_COLUMN_IDS = new Set(
  [PidTagAddressType, PidTagDisplayName, PidTagEmailAddress, PidTagEntryId, PidTagInstanceKey, PidTagRecipientType,
    PidTagSearchKey, PidTagSendRichInfo, PidTagTransmittableDisplayName, PidTagRowid].map(propId),
);
/** Not announced as recipient columns (carried by the fixed part or the row's own fields). */
const NOT_COLUMN_IDS = new Set([...REFUSED_COLUMN_IDS, propId(PidTagResponsibility), propId(PidTagAddressBookDisplayNamePrintable)]);

/** The optional names of a RecipientRow (MS-OXCDATA 2.8.3.1): their property, the RecipientFlags bit set when present, the field. */
const NAME_FIELDS = [
  [PidTagDisplayName, RecipientFlags.D, 'DisplayName'],
  [PidTagAddressBookDisplayNamePrintable, RecipientFlags.I, 'SimpleDisplayName'],
  [PidTagTransmittableDisplayName, RecipientFlags.T, 'TransmittableDisplayName'],
] as const;

/** Property types a recipient column may have (stored values; MS-OXCDATA 2.11.1). */
const STORABLE = new Set<number>([
  PT.I2, PT.LONG, PT.R4, PT.DOUBLE, PT.CURRENCY, PT.APPTIME, PT.BOOLEAN, PT.I8, PT.STRING8, PT.UNICODE, PT.SYSTIME, PT.CLSID,
  PT.BINARY,
]);

function storableType(t: number): boolean {
  if (t & MV_FLAG) {
    const b = t & ~MV_FLAG;
    return b !== PT.BOOLEAN && STORABLE.has(b);
  }
  return STORABLE.has(t);
}

/** Why a RopModifyRecipients RecipientColumns list is refused, or null when it is acceptable. */
export function badRecipientColumns(columns: readonly number[]): string | null {
  const seen = new Set<number>();
  for (const c of columns) {
    const id = propId(c);
    if (REFUSED_COLUMN_IDS.has(id)) return `column 0x${(c >>> 0).toString(16)} is part of the RecipientRow`;
    if (!storableType(propType(c))) return `column 0x${(c >>> 0).toString(16)} has a type a recipient cannot hold`;
    if (seen.has(id)) return `column 0x${(c >>> 0).toString(16)} appears twice`;
    seen.add(id);
  }
  return null;
}

// MS-OXCDATA 2.8.3.1 Type values and the address types they stand for
const TYPE_OF_ADDRTYPE: Record<string, number> = {
  EX: RecipientType.X500DN,
  MSMAIL: RecipientType.MsMail,
  SMTP: RecipientType.SMTP,
  FAX: RecipientType.Fax,
  PROFS: RecipientType.ProfessionalOfficeSystem,
  MAPIPDL: RecipientType.PersonalDistributionList1,
};
const ADDRTYPE_OF_TYPE: Record<number, string> = {
  [RecipientType.X500DN]: 'EX',
  [RecipientType.MsMail]: 'MSMAIL',
  [RecipientType.SMTP]: 'SMTP',
  [RecipientType.Fax]: 'FAX',
  [RecipientType.ProfessionalOfficeSystem]: 'PROFS',
  [RecipientType.PersonalDistributionList1]: 'MAPIPDL',
  [RecipientType.PersonalDistributionList2]: 'MAPIPDL',
};

/**
 * A ModifyRecipientRow as a store change: the fixed part and the cells over `columns` become the row's properties
 * (PidTagRecipientType from the RecipientType field); no RecipientRow removes the row.
 */
export function toRecipientChange(m: ModifyRecipientRow, columns: readonly number[], userDn: string): RecipientChange {
  const row = m.RecipientRow;
  if (!row) return { rowId: m.RowId, props: null };
  const props = new Map<number, PropValue>();
  props.set(PidTagRecipientType, m.RecipientType);
  const type = row.RecipientFlags & RecipientFlags.TypeMask;
  if (type === RecipientType.X500DN) {
    const prefix = userDn.slice(0, Math.min(row.AddressPrefixUsed ?? 0, userDn.length));
    props.set(PidTagAddressType, 'EX');
    props.set(PidTagEmailAddress, prefix + (row.X500DN ?? ''));
    props.set(PidTagDisplayType, row.DisplayType ?? 0);
  } else if (type !== RecipientType.NoType) {
    props.set(PidTagAddressType, ADDRTYPE_OF_TYPE[type] ?? '');
    if (row.EntryId) props.set(PidTagEntryId, row.EntryId);
    if (row.SearchKey) props.set(PidTagSearchKey, row.SearchKey);
  } else if (row.AddressType !== undefined) {
    props.set(PidTagAddressType, row.AddressType);
  }
  if (row.EmailAddress !== undefined) props.set(PidTagEmailAddress, row.EmailAddress);
  for (const [tag, , field] of NAME_FIELDS) {
    const v = row[field];
    if (v !== undefined) props.set(tag, v);
  }
  props.set(PidTagSendRichInfo, (row.RecipientFlags & RecipientFlags.S) === 0);
  const cells = Array.isArray(row.RecipientProperties) ? row.RecipientProperties : [];
  cells.forEach((c, i) => {
    const tag = columns[i];
    if (tag === undefined || c === undefined || isErrorCell(c)) return;
    const v = isTypedCell(c) ? c.value : (c as PropValue);
    props.set(tag >>> 0, v);
  });
  return { rowId: m.RowId, props: [...props].map(([tag, value]) => ({ tag, value })) };
}

const wideTag = (tag: number): number => {
  const t = propType(tag);
  if (t === PT.STRING8) return makeTag(propId(tag), PT.UNICODE);
  if (t === (PT.STRING8 | MV_FLAG)) return makeTag(propId(tag), PT.UNICODE | MV_FLAG);
  return tag >>> 0;
};

/** The RecipientColumns announced for these recipients (see the header). */
export function recipientColumns(rows: readonly StoreRecipient[]): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const r of rows) {
    for (const v of r.props) {
      const id = propId(v.tag);
      if (NOT_COLUMN_IDS.has(id) || seen.has(id) || !storableType(propType(v.tag))) continue;
      seen.add(id);
      out.push(wideTag(v.tag));
    }
  }
  return out;
}

const str = (m: Map<number, PropValue>, tag: number): string | undefined => {
  const v = m.get(propId(tag));
  return typeof v === 'string' ? v : undefined;
};

/** A stored recipient as the wire's RecipientRow over `columns`. */
export function toRecipientRow(r: StoreRecipient, columns: readonly number[]): RecipientRow {
  const byId = new Map<number, PropValue>();
  for (const v of r.props) byId.set(propId(v.tag), v.value);
  const addrType = str(byId, PidTagAddressType);
  const email = str(byId, PidTagEmailAddress);
  const type = addrType === undefined ? RecipientType.NoType : (TYPE_OF_ADDRTYPE[addrType.toUpperCase()] ?? RecipientType.NoType);
  let flags = type | RecipientFlags.U;
  const row: Partial<RecipientRow> = {};
  if (type === RecipientType.X500DN) {
    row.AddressPrefixUsed = 0;
    const dt = byId.get(propId(PidTagDisplayType));
    row.DisplayType = typeof dt === 'number' ? dt & 0xff : 0;
    row.X500DN = email ?? '';
  } else {
    if (type === RecipientType.PersonalDistributionList1) {
      const e = byId.get(propId(PidTagEntryId));
      const k = byId.get(propId(PidTagSearchKey));
      row.EntryId = Buffer.isBuffer(e) ? e : Buffer.alloc(0);
      row.SearchKey = Buffer.isBuffer(k) ? k : Buffer.alloc(0);
    } else if (type === RecipientType.NoType && addrType !== undefined) {
      flags |= RecipientFlags.O;
      row.AddressType = addrType;
    }
    if (email !== undefined) {
      flags |= RecipientFlags.E;
      row.EmailAddress = email;
    }
  }
  for (const [tag, flag, field] of NAME_FIELDS) {
    const v = str(byId, tag);
    if (v !== undefined) {
      flags |= flag;
      row[field] = v;
    }
  }
  if (byId.get(propId(PidTagSendRichInfo)) === false) flags |= RecipientFlags.S;
  const cells: RowCell[] = columns.map((c) => {
    const v = byId.get(propId(c));
    return v === undefined ? { error: MAPI_E.NOT_FOUND } : v;
  });
  return { ...row, RecipientFlags: flags, RecipientColumnCount: columns.length, RecipientProperties: cells } as RecipientRow;
}

/** Bytes a RecipientRow takes on the wire (without its RecipientRowSize). */
export function recipientRowSize(row: RecipientRow, columns: readonly number[], codePage: number): number {
  const w = new RopWriter(128);
  writeRecipientRow(w, row, columns, codePage);
  return w.pos;
}

/** TypedString of a subject part (MS-OXCROPS 2.2.6.1.2 SubjectPrefix / NormalizedSubject): none, empty, reduced or full Unicode. */
export function typedString(s: string | undefined): TypedString {
  if (s === undefined) return { StringType: StringType.NoString };
  if (s === '') return { StringType: StringType.Empty };
  // eslint-disable-next-line no-control-regex
  if (/^[\x01-\xff]*$/.test(s)) return { StringType: StringType.ReducedUnicode, String: s };
  return { StringType: StringType.UnicodeString, String: s };
}

/** Bytes a TypedString takes. */
export function typedStringSize(t: TypedString): number {
  if (t.String === undefined) return 1;
  return t.StringType === StringType.ReducedUnicode ? 2 + t.String.length : 1 + 2 * (t.String.length + 1);
}

export interface OpenMessageBody {
  HasNamedProperties: number;
  SubjectPrefix: TypedString;
  NormalizedSubject: TypedString;
  RecipientCount: number;
  RecipientColumns: number[];
  RecipientRows: OpenRecipientRow[];
}

/**
 * The body RopOpenMessage / RopReloadCachedInformation / RopOpenEmbeddedMessage share (MS-OXCMSG 2.2.3.1.2): the
 * recipient rows that fit in `space` bytes (at most 255), RecipientCount all of them.
 */
export function openMessageBody(
  props: { hasNamed: boolean; prefix: string | undefined; normalized: string | undefined },
  recipients: readonly StoreRecipient[],
  codePage: number,
  space: number,
): OpenMessageBody {
  const RecipientColumns = recipientColumns(recipients);
  const SubjectPrefix = typedString(props.prefix);
  const NormalizedSubject = typedString(props.normalized);
  let used = 1 + typedStringSize(SubjectPrefix) + typedStringSize(NormalizedSubject) + 2 + 2 + 4 * RecipientColumns.length + 1;
  const RecipientRows: OpenRecipientRow[] = [];
  for (const r of recipients) {
    if (RecipientRows.length === 0xff) break;
    const row = toRecipientRow(r, RecipientColumns);
    const size = 1 + 2 + 2 + 2 + recipientRowSize(row, RecipientColumns, codePage);
    if (used + size > space) break;
    used += size;
    RecipientRows.push({ RecipientType: r.recipientType & 0xff, CodePageId: codePage, Reserved: 0, RecipientRow: row });
  }
  return {
    HasNamedProperties: props.hasNamed ? 1 : 0,
    SubjectPrefix,
    NormalizedSubject,
    RecipientCount: Math.min(recipients.length, 0xffff),
    RecipientColumns,
    RecipientRows,
  };
}

