// A bounded TNEF (winmail.dat, application/ms-tnef) decoder after MS-OXTNEF 2.1: the stream header (2.1.3.1:
// signature 0x223E9F78, LegacyKey), attributes (2.1.3.2: level, id, length, data, checksum = sum of the data bytes
// mod 65536), the message attributes of 2.1.3.3 (attMessageClass, attSubject, attDateSent, attDateRecd,
// attDateModified, attPriority, attBody, attOemCodepage, attMAPIProps), the attachment attributes (attAttachRenddata
// starts an attachment; attAttachTitle, attAttachData, attAttachMetaFile, attAttachCreateDate, attAttachModifyDate,
// attAttachTransportFilename, attAttachment) and the encoding of MAPI properties in attMAPIProps / attAttachment
// (2.1.3.4: count, tag, named-property GUID + LID or UTF-16 name, value counts, 4-byte padding, PT_OBJECT with
// its IID; IID_IMessage data is an embedded TNEF stream).
//
// Choices where the spec leaves room (as common TNEF readers do):
// - attributes are recognised by the low word of their id (the attribute name); the type word is not checked, as
//   some writers leave it 0.
// - a bad checksum is a warning, not an error; an unknown attribute or level is skipped with a warning; so are a
//   missing checksum after the last attribute and fewer than 9 trailing bytes (too few for an attribute header),
//   both seen in real winmail.dat files; an attribute whose data runs past the end is an error (OC_TNEF_SHORT).
// - legacy attributes (attSubject, attBody, attMessageClass, attPriority, dates, attAttachTitle, attAttachData, ...)
//   only fill in what attMAPIProps / attAttachment did not give, whatever their order in the stream.
// - a property that cannot be read (unknown type, count or length past the attribute's end) ends the reading of
//   that attribute with a warning; the properties before it are kept. Structure errors of the stream itself
//   (signature, an attribute running past the end) and limits are TnefErrors.
// - PT_STRING8 values are decoded with the attOemCodepage code page (1252 when absent or unsupported) and returned
//   under the PT_UNICODE tag (PT_MV_STRING8 likewise), trailing NULs removed; PT_UNICODE is UTF-16LE.
// - a single-valued variable-size property (string, binary, object) with a value count other than 1 keeps its
//   first value (warning); PT_I2 and PT_BOOLEAN take 4 bytes (2 + padding), each value of a multi-valued
//   fixed-size property is padded to 4 bytes as well.
// - named properties (id >= 0x8000) are returned apart, as { name, type, value }, since the store maps names to ids.
// - PT_OBJECT with IID_IMessage becomes the attachment's embedded message (PidTagAttachMethod afEmbeddedMessage);
//   other IIDs (IID_IStorage: OLE) keep the bytes after the IID as PidTagAttachDataBinary.
// - attRecipTable is not read (the MIME header fields give the recipients); attMessageID and attConversationID
//   are ignored (no MAPI property they must map to).
import { decode as decodeCp, isSupported } from '../mapi/codepage.js';
import type { PropertyName } from '../mapi/named.js';
import { MV_FLAG, PT, makeTag, propType, type PropValue } from '../mapi/props.js';
import type { RecipientRow } from '../mapistore/types.js';
import { ProtocolError } from '../util/errors.js';
import { ByteCursor } from '../util/cursor.js';
import { readGuid } from '../util/guid.js';

export type TnefErrorCode = 'OC_TNEF_BAD_SIGNATURE' | 'OC_TNEF_SHORT' | 'OC_TNEF_TOO_LARGE' | 'OC_TNEF_TOO_DEEP' | 'OC_TNEF_TOO_MANY' | 'OC_TNEF_BAD_PROPERTY';

/** TNEF bytes that cannot be read (or exceed a limit). */
export class TnefError extends ProtocolError {
  constructor(code: TnefErrorCode, message: string) {
    super(code, message);
  }
}

export interface TnefOptions {
  /** Largest stream in bytes (default 64 MiB). */
  maxSize?: number;
  /** Deepest nesting of embedded messages (default 8). */
  maxDepth?: number;
  /** Most attachments per message (default 1024). */
  maxAttachments?: number;
  /** Most properties in one attribute, and most values of one multi-valued property (default 65536). */
  maxCount?: number;
}

/** A named property (MS-OXCDATA 2.6.1) with its value; the store assigns its id. */
export interface TnefNamedValue {
  name: PropertyName;
  type: number;
  value: PropValue;
}

export interface TnefAttachment {
  values: Map<number, PropValue>;
  named: TnefNamedValue[];
  embedded?: TnefMessage;
}

/** The LoadedMessage shape (no recipients: attRecipTable is not read) plus the named properties. */
export interface TnefMessage {
  values: Map<number, PropValue>;
  recipients: RecipientRow[];
  named: TnefNamedValue[];
  attachments: TnefAttachment[];
}

export interface TnefResult extends TnefMessage {
  warnings: string[];
}

// MS-OXTNEF 2.1.3.1
export const TNEF_SIGNATURE = 0x223e9f78;
export const LVL_MESSAGE = 0x01;
export const LVL_ATTACHMENT = 0x02;

// MS-OXTNEF 2.1.3.3 attribute ids (type in the high word, id in the low word)
export const ATT = {
  attOwner: 0x00060000,
  attSentFor: 0x00060001,
  attDelegate: 0x00020002,
  attDateStart: 0x00030006,
  attDateEnd: 0x00030007,
  attAidOwner: 0x00050008,
  attRequestRes: 0x00040009,
  attFrom: 0x00008000,
  attSubject: 0x00018004,
  attDateSent: 0x00038005,
  attDateRecd: 0x00038006,
  attMessageStatus: 0x00068007,
  attMessageClass: 0x00078008,
  attMessageID: 0x00018009,
  attParentID: 0x0001800a,
  attConversationID: 0x0001800b,
  attBody: 0x0002800c,
  attPriority: 0x0004800d,
  attAttachData: 0x0006800f,
  attAttachTitle: 0x00018010,
  attAttachMetaFile: 0x00068011,
  attAttachCreateDate: 0x00038012,
  attAttachModifyDate: 0x00038013,
  attDateModified: 0x00038020,
  attAttachTransportFilename: 0x00069001,
  attAttachRenddata: 0x00069002,
  attMAPIProps: 0x00069003,
  attRecipTable: 0x00069004,
  attAttachment: 0x00069005,
  attTnefVersion: 0x00089006,
  attOemCodepage: 0x00069007,
  attOriginalMessageClass: 0x00070006,
} as const;

/** Known attributes by their low word: some writers leave the type word 0 (seen in real winmail.dat files). */
const ATT_IDS = new Set<number>(Object.values(ATT));
const ATT_BY_ID = new Map<number, number>(Object.values(ATT).map((v) => [v & 0xffff, v]));

export const IID_IMESSAGE = '00020307-0000-0000-c000-000000000046';
export const IID_ISTORAGE = '0000000b-0000-0000-c000-000000000046';

// property tags the decoder writes itself (MS-OXPROPS)
export const TT = {
  MessageClass: 0x001a001f,
  Subject: 0x0037001f,
  Importance: 0x00170003,
  ClientSubmitTime: 0x00390040,
  MessageDeliveryTime: 0x0e060040,
  LastModificationTime: 0x30080040,
  CreationTime: 0x30070040,
  Body: 0x1000001f,
  AttachMethod: 0x37050003,
  AttachDataBinary: 0x37010102,
  AttachFilename: 0x3704001f,
  AttachLongFilename: 0x3707001f,
  AttachRendering: 0x37090102,
  AttachTransportName: 0x370c001f,
  RenderingPosition: 0x370b0003,
  DisplayName: 0x3001001f,
  AttachSize: 0x0e200003,
} as const;

const ATTACH_BY_VALUE = 1;
const ATTACH_EMBEDDED_MSG = 5;
const ATTACH_OLE = 6;

/** MS-OXTNEF 2.1.3.3.5 legacy message classes (attMessageClass) and their MAPI names. */
const LEGACY_CLASS: Record<string, string> = {
  'IPM.Microsoft Mail.Note': 'IPM.Note',
  'IPM.Microsoft Mail.Read Receipt': 'Report.IPM.Note.IPNRN',
  'IPM.Microsoft Mail.Non-Delivery': 'Report.IPM.Note.NDR',
  'IPM.Microsoft Schedule.MtgReq': 'IPM.Schedule.Meeting.Request',
  'IPM.Microsoft Schedule.MtgRespP': 'IPM.Schedule.Meeting.Resp.Pos',
  'IPM.Microsoft Schedule.MtgRespN': 'IPM.Schedule.Meeting.Resp.Neg',
  'IPM.Microsoft Schedule.MtgRespA': 'IPM.Schedule.Meeting.Resp.Tent',
  'IPM.Microsoft Schedule.MtgCncld': 'IPM.Schedule.Meeting.Canceled',
};

class Reader extends ByteCursor {
  protected short(n: number, what: string): Error {
    return new TnefError('OC_TNEF_SHORT', `TNEF too short for ${what}: need ${n} bytes at ${this.pos}, ${this.left} left`);
  }
  /** Skips the padding after `n` bytes to the next multiple of 4 (missing padding at the very end is tolerated). */
  pad4(n: number): void {
    this.pos += Math.min((4 - (n % 4)) % 4, this.left);
  }
}

interface Ctx {
  warnings: string[];
  maxSize: number;
  maxDepth: number;
  maxAttachments: number;
  maxCount: number;
  codepage: number;
}

const copy = (b: Buffer): Buffer => Buffer.from(b);
const stripNul = (s: string): string => s.replace(/\0+$/, '');

function str8(b: Buffer, ctx: Ctx): string {
  return stripNul(decodeCp(b, ctx.codepage));
}

function utf16(b: Buffer): string {
  return stripNul(b.subarray(0, b.length - (b.length % 2)).toString('utf16le'));
}

/** MS-OXTNEF 2.1.3.3.x Date attributes: 7 u16 (year, month, day, hour, minute, second, day of week), UTC. */
function dateAttr(b: Buffer): bigint | undefined {
  if (b.length < 12) return undefined;
  const [y, mo, d, h, mi, s] = [0, 2, 4, 6, 8, 10].map((o) => b.readUInt16LE(o)) as [number, number, number, number, number, number];
  if (y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return BigInt(ms) * 10000n + 116444736000000000n;
}

/** Fixed-size values: their size in the stream (PT_I2 and PT_BOOLEAN padded to 4). */
function fixedSize(type: number): number | undefined {
  switch (type) {
    case PT.I2:
    case PT.LONG:
    case PT.R4:
    case PT.ERROR:
    case PT.BOOLEAN:
      return 4;
    case PT.DOUBLE:
    case PT.CURRENCY:
    case PT.APPTIME:
    case PT.I8:
    case PT.SYSTIME:
      return 8;
    case PT.CLSID:
      return 16;
    default:
      return undefined;
  }
}

function readFixed(r: Reader, type: number): PropValue {
  const b = r.bytes(fixedSize(type)!, 'property value');
  switch (type) {
    case PT.I2:
      return b.readInt16LE(0);
    case PT.LONG:
      return b.readInt32LE(0);
    case PT.ERROR:
      return b.readUInt32LE(0);
    case PT.R4:
      return b.readFloatLE(0);
    case PT.BOOLEAN:
      return b.readUInt16LE(0) !== 0;
    case PT.DOUBLE:
    case PT.APPTIME:
      return b.readDoubleLE(0);
    case PT.CURRENCY:
    case PT.I8:
      return b.readBigInt64LE(0);
    case PT.SYSTIME:
      return b.readBigUInt64LE(0);
    default:
      return readGuid(b, 0);
  }
}

const isVariable = (type: number): boolean => type === PT.STRING8 || type === PT.UNICODE || type === PT.BINARY || type === PT.OBJECT || type === PT.SVREID;

/** One counted value (size, data, padding) of a variable-size type. */
function readCounted(r: Reader, what: string): Buffer {
  const n = r.u32(`${what} size`);
  const b = r.bytes(n, what);
  r.pad4(n);
  return b;
}

function checkCount(n: number, minEach: number, r: Reader, ctx: Ctx, what: string): void {
  if (n > ctx.maxCount) throw new TnefError('OC_TNEF_TOO_MANY', `${what}: ${n} exceeds the limit ${ctx.maxCount}`);
  if (n * minEach > r.left) throw new TnefError('OC_TNEF_SHORT', `${what}: count ${n} needs more than the ${r.left} bytes left`);
}

interface ReadProp {
  tag: number;
  name?: PropertyName;
  value: PropValue;
  embedded?: TnefMessage;
}

/** MS-OXTNEF 2.1.3.4: one property (tag, optional name, value). */
function readProp(r: Reader, ctx: Ctx, depth: number): ReadProp {
  const type = r.u16('property type');
  const id = r.u16('property id');
  let name: PropertyName | undefined;
  if (id >= 0x8000) {
    const guid = readGuid(r.bytes(16, 'property set GUID'), 0);
    const kind = r.u32('name kind');
    if (kind === 0) name = { guid, lid: r.u32('LID') };
    else if (kind === 1) {
      const n = r.u32('name length');
      const s = utf16(r.bytes(n, 'property name'));
      r.pad4(n);
      name = { guid, name: s };
    } else throw new TnefError('OC_TNEF_BAD_PROPERTY', `named property kind ${kind}`);
  }
  const base = type & ~MV_FLAG;
  const mv = (type & MV_FLAG) !== 0;
  const outType = base === PT.STRING8 ? (mv ? PT.MV_UNICODE : PT.UNICODE) : type;
  const tag = makeTag(id, outType);
  const what = `property 0x${(((id << 16) | type) >>> 0).toString(16).padStart(8, '0')}`;
  const fixed = fixedSize(base);
  if (!mv && fixed !== undefined) return { tag, name, value: readFixed(r, base) };
  if (fixed === undefined && !isVariable(base)) throw new TnefError('OC_TNEF_BAD_PROPERTY', `${what}: unsupported type 0x${type.toString(16)}`);
  if (mv && (base === PT.OBJECT || base === PT.SVREID)) throw new TnefError('OC_TNEF_BAD_PROPERTY', `${what}: multi-valued object`);
  const count = r.u32(`${what} value count`);
  checkCount(count, fixed ?? 4, r, ctx, `${what} value count`);
  if (mv && fixed !== undefined) {
    const vals: PropValue[] = [];
    for (let i = 0; i < count; i++) vals.push(readFixed(r, base));
    return { tag, name, value: vals as PropValue };
  }
  const raw: Buffer[] = [];
  for (let i = 0; i < count; i++) raw.push(readCounted(r, what));
  const conv = (b: Buffer): string | Buffer => (base === PT.STRING8 ? str8(b, ctx) : base === PT.UNICODE ? utf16(b) : copy(b));
  if (mv) return { tag, name, value: raw.map(conv) as PropValue };
  if (count !== 1) ctx.warnings.push(`${what}: ${count} values for a single-valued property`);
  if (count === 0) return { tag, name, value: base === PT.STRING8 || base === PT.UNICODE ? '' : Buffer.alloc(0) };
  const first = raw[0]!;
  if (base !== PT.OBJECT) return { tag, name, value: conv(first) };
  if (first.length < 16) throw new TnefError('OC_TNEF_BAD_PROPERTY', `${what}: object shorter than its IID`);
  const iid = readGuid(first, 0);
  const data = first.subarray(16);
  if (iid === IID_IMESSAGE) {
    const embedded = decodeStream(data, ctx, depth + 1);
    return { tag: makeTag(id, PT.OBJECT), name, value: null, embedded };
  }
  return { tag: makeTag(id, PT.BINARY), name, value: copy(data) };
}

/** The properties of an attMAPIProps / attAttachment attribute; a bad property ends the list with a warning. */
function readProps(data: Buffer, ctx: Ctx, depth: number, what: string): { props: ReadProp[] } {
  const r = new Reader(data, 0, data.length);
  const props: ReadProp[] = [];
  try {
    const count = r.u32(`${what} property count`);
    checkCount(count, 8, r, ctx, `${what} property count`);
    for (let i = 0; i < count; i++) props.push(readProp(r, ctx, depth));
  } catch (e) {
    if (!(e instanceof TnefError) || e.code === 'OC_TNEF_TOO_DEEP' || e.code === 'OC_TNEF_TOO_LARGE') throw e;
    ctx.warnings.push(`${what}: ${e.code}: ${e.message} (rest of the attribute ignored)`);
  }
  return { props };
}

interface Target {
  values: Map<number, PropValue>;
  named: TnefNamedValue[];
  legacy: Map<number, PropValue>;
  embedded?: TnefMessage;
}

function applyProps(t: Target, props: ReadProp[], isAttachment: boolean, ctx: Ctx): void {
  for (const p of props) {
    if (p.embedded) {
      if (!isAttachment) {
        ctx.warnings.push('embedded message in message properties ignored');
        continue;
      }
      t.embedded = p.embedded;
      if (!t.values.has(TT.AttachMethod)) t.values.set(TT.AttachMethod, ATTACH_EMBEDDED_MSG);
      continue;
    }
    if (p.name) t.named.push({ name: p.name, type: propType(p.tag), value: p.value });
    else t.values.set(p.tag, p.value);
  }
}

function newTarget(): Target {
  return { values: new Map(), named: [], legacy: new Map() };
}

/** Legacy attributes fill in what the MAPI properties did not give. */
function finish(t: Target): Map<number, PropValue> {
  for (const [tag, v] of t.legacy) if (!t.values.has(tag)) t.values.set(tag, v);
  return t.values;
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += b[i]!;
  return s & 0xffff;
}

function messageAttr(id: number, data: Buffer, msg: Target, ctx: Ctx, depth: number): void {
  const L = msg.legacy;
  switch (id) {
    case ATT.attMAPIProps:
      applyProps(msg, readProps(data, ctx, depth, 'attMAPIProps').props, false, ctx);
      return;
    case ATT.attOemCodepage:
      if (data.length >= 4) {
        const cp = data.readUInt32LE(0);
        if (isSupported(cp)) ctx.codepage = cp;
        else ctx.warnings.push(`attOemCodepage ${cp} not supported; 1252 used`);
      }
      return;
    case ATT.attSubject:
      L.set(TT.Subject, str8(data, ctx));
      return;
    case ATT.attBody:
      L.set(TT.Body, str8(data, ctx));
      return;
    case ATT.attMessageClass: {
      const c = str8(data, ctx);
      L.set(TT.MessageClass, LEGACY_CLASS[c] ?? c);
      return;
    }
    case ATT.attPriority:
      if (data.length >= 2) {
        const p = data.readUInt16LE(0);
        L.set(TT.Importance, p === 1 ? 2 : p === 3 ? 0 : 1);
      }
      return;
    case ATT.attDateSent:
    case ATT.attDateRecd:
    case ATT.attDateModified: {
      const ft = dateAttr(data);
      const tag = id === ATT.attDateSent ? TT.ClientSubmitTime : id === ATT.attDateRecd ? TT.MessageDeliveryTime : TT.LastModificationTime;
      if (ft !== undefined) L.set(tag, ft);
      return;
    }
    case ATT.attTnefVersion:
    case ATT.attMessageID:
    case ATT.attParentID:
    case ATT.attConversationID:
    case ATT.attRecipTable:
    case ATT.attMessageStatus:
    case ATT.attFrom:
    case ATT.attOriginalMessageClass:
    case ATT.attOwner:
    case ATT.attSentFor:
    case ATT.attDelegate:
    case ATT.attDateStart:
    case ATT.attDateEnd:
    case ATT.attAidOwner:
    case ATT.attRequestRes:
      return;
    default:
      ctx.warnings.push(`unknown message attribute 0x${id.toString(16).padStart(8, '0')} skipped`);
  }
}

function attachmentAttr(id: number, data: Buffer, att: Target, ctx: Ctx, depth: number): void {
  const L = att.legacy;
  switch (id) {
    case ATT.attAttachRenddata:
      // MS-OXTNEF 2.1.3.3.14: AttachType u16, AttachPosition u32, width, height u16, flags u32
      if (data.length >= 6) {
        L.set(TT.RenderingPosition, data.readInt32LE(2));
        if (data.readUInt16LE(0) === 2) L.set(TT.AttachMethod, ATTACH_OLE);
      }
      return;
    case ATT.attAttachment:
      applyProps(att, readProps(data, ctx, depth, 'attAttachment').props, true, ctx);
      return;
    case ATT.attAttachTitle: {
      const title = str8(data, ctx);
      L.set(TT.AttachFilename, title);
      L.set(TT.AttachLongFilename, title);
      L.set(TT.DisplayName, title);
      return;
    }
    case ATT.attAttachData:
      L.set(TT.AttachDataBinary, copy(data));
      L.set(TT.AttachSize, data.length);
      if (!L.has(TT.AttachMethod)) L.set(TT.AttachMethod, ATTACH_BY_VALUE);
      return;
    case ATT.attAttachMetaFile:
      L.set(TT.AttachRendering, copy(data));
      return;
    case ATT.attAttachCreateDate:
    case ATT.attAttachModifyDate: {
      const ft = dateAttr(data);
      if (ft !== undefined) L.set(id === ATT.attAttachCreateDate ? TT.CreationTime : TT.LastModificationTime, ft);
      return;
    }
    case ATT.attAttachTransportFilename:
      L.set(TT.AttachTransportName, str8(data, ctx));
      return;
    default:
      ctx.warnings.push(`unknown attachment attribute 0x${id.toString(16).padStart(8, '0')} skipped`);
  }
}

/** One TNEF stream (a top-level one or an embedded message's). */
function decodeStream(buf: Buffer, ctx: Ctx, depth: number): TnefMessage {
  if (depth > ctx.maxDepth) throw new TnefError('OC_TNEF_TOO_DEEP', `embedded messages nested deeper than ${ctx.maxDepth}`);
  const r = new Reader(buf, 0, buf.length);
  const sig = r.u32('signature');
  if (sig !== TNEF_SIGNATURE) throw new TnefError('OC_TNEF_BAD_SIGNATURE', `not a TNEF stream (signature 0x${sig.toString(16)})`);
  r.u16('LegacyKey');
  const savedCp = ctx.codepage;
  const msg = newTarget();
  const atts: Target[] = [];
  while (r.left > 0) {
    if (r.left < 9) {
      ctx.warnings.push(`${r.left} trailing bytes after the last attribute ignored`);
      break;
    }
    const level = r.u8('attribute level');
    const rawId = r.u32('attribute id');
    const len = r.u32('attribute length');
    const data = r.bytes(len, 'attribute data');
    const idHex = `0x${rawId.toString(16).padStart(8, '0')}`;
    if (r.left < 2) {
      ctx.warnings.push(`attribute ${idHex}: checksum missing at the end of the stream`);
      r.skip(r.left, 'checksum');
    } else if (r.u16('attribute checksum') !== checksum(data)) ctx.warnings.push(`attribute ${idHex}: bad checksum`);
    const id = ATT_IDS.has(rawId) ? rawId : (ATT_BY_ID.get(rawId & 0xffff) ?? rawId);
    if (level === LVL_MESSAGE) messageAttr(id, data, msg, ctx, depth);
    else if (level === LVL_ATTACHMENT) {
      if (id === ATT.attAttachRenddata || atts.length === 0) {
        if (id !== ATT.attAttachRenddata) ctx.warnings.push('attachment attribute before attAttachRenddata');
        if (atts.length >= ctx.maxAttachments) throw new TnefError('OC_TNEF_TOO_MANY', `more than ${ctx.maxAttachments} attachments`);
        atts.push(newTarget());
      }
      attachmentAttr(id, data, atts[atts.length - 1]!, ctx, depth);
    } else ctx.warnings.push(`attribute level ${level} skipped`);
  }
  ctx.codepage = savedCp;
  const attachments: TnefAttachment[] = atts.map((a) => {
    const values = finish(a);
    if (!values.has(TT.AttachMethod)) values.set(TT.AttachMethod, ATTACH_BY_VALUE);
    const name = values.get(TT.AttachLongFilename) ?? values.get(TT.AttachFilename);
    if (!values.has(TT.DisplayName) && typeof name === 'string') values.set(TT.DisplayName, name);
    const out: TnefAttachment = { values, named: a.named };
    if (a.embedded) out.embedded = a.embedded;
    return out;
  });
  return { values: finish(msg), recipients: [], named: msg.named, attachments };
}

/** Decodes a TNEF stream (winmail.dat). TnefError for bytes that are not TNEF or exceed a limit. */
export function decodeTnef(buf: Buffer, options: TnefOptions = {}): TnefResult {
  const ctx: Ctx = {
    warnings: [],
    maxSize: options.maxSize ?? 64 * 1024 * 1024,
    maxDepth: options.maxDepth ?? 8,
    maxAttachments: options.maxAttachments ?? 1024,
    maxCount: options.maxCount ?? 65536,
    codepage: 1252,
  };
  if (buf.length > ctx.maxSize) throw new TnefError('OC_TNEF_TOO_LARGE', `TNEF stream of ${buf.length} bytes exceeds ${ctx.maxSize}`);
  const m = decodeStream(buf, ctx, 0);
  return { ...m, warnings: ctx.warnings };
}
