// A small TNEF encoder for tests (MS-OXTNEF 2.1): stream header, attributes with checksums, and the MAPI property
// encoding of attMAPIProps / attAttachment (2.1.3.4). Written from the spec for the tests of src/mime/tnef.ts.
import { PT } from '../../src/mapi/props.js';
import { writeGuid } from '../../src/util/guid.js';
import { ATT, IID_IMESSAGE, LVL_ATTACHMENT, LVL_MESSAGE, TNEF_SIGNATURE } from '../../src/mime/tnef.js';

export interface BuildProp {
  type: number;
  /** Property id; for a named property any id >= 0x8000. */
  id: number;
  name?: { guid: string; lid?: number; name?: string };
  /** Per type: number, bigint, boolean, string (GUID for CLSID), Buffer; arrays for MV; for PT_OBJECT { iid, data }. */
  value: unknown;
}

export interface BuildAttr {
  level: number;
  id: number;
  data: Buffer;
  /** Write a wrong checksum. */
  badChecksum?: boolean;
}

const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
const guid = (g: string): Buffer => {
  const b = Buffer.alloc(16);
  writeGuid(g, b, 0);
  return b;
};

function sum(b: Buffer): number {
  let s = 0;
  for (const x of b) s += x;
  return s & 0xffff;
}

export function attr(level: number, id: number, data: Buffer, badChecksum = false): BuildAttr {
  return { level, id, data, badChecksum };
}

export function stream(attrs: BuildAttr[], key = 0x0001): Buffer {
  const parts: Buffer[] = [u32(TNEF_SIGNATURE), u16(key)];
  for (const a of attrs) {
    parts.push(Buffer.from([a.level]), u32(a.id), u32(a.data.length), a.data, u16((sum(a.data) + (a.badChecksum ? 1 : 0)) & 0xffff));
  }
  return Buffer.concat(parts);
}

function fixed(type: number, v: unknown): Buffer {
  const b = Buffer.alloc(type === PT.CLSID ? 16 : [PT.DOUBLE, PT.CURRENCY, PT.APPTIME, PT.I8, PT.SYSTIME].includes(type as never) ? 8 : 4);
  switch (type) {
    case PT.I2:
      b.writeInt16LE(v as number);
      break;
    case PT.LONG:
      b.writeInt32LE(v as number);
      break;
    case PT.ERROR:
      b.writeUInt32LE(v as number);
      break;
    case PT.R4:
      b.writeFloatLE(v as number);
      break;
    case PT.BOOLEAN:
      b.writeUInt16LE(v ? 1 : 0);
      break;
    case PT.DOUBLE:
    case PT.APPTIME:
      b.writeDoubleLE(v as number);
      break;
    case PT.CURRENCY:
    case PT.I8:
      b.writeBigInt64LE(v as bigint);
      break;
    case PT.SYSTIME:
      b.writeBigUInt64LE(v as bigint);
      break;
    case PT.CLSID:
      writeGuid(v as string, b, 0);
      break;
    default:
      throw new Error(`fixed type ${type}`);
  }
  return b;
}

function variable(type: number, v: unknown): Buffer {
  if (type === PT.STRING8) return Buffer.from(`${v as string}\0`, 'latin1');
  if (type === PT.UNICODE) return Buffer.from(`${v as string}\0`, 'utf16le');
  if (type === PT.OBJECT) {
    const o = v as { iid: string; data: Buffer };
    return Buffer.concat([guid(o.iid), o.data]);
  }
  return v as Buffer;
}

const counted = (b: Buffer): Buffer => Buffer.concat([u32(b.length), pad(b)]);

export function prop(p: BuildProp): Buffer {
  const parts: Buffer[] = [u16(p.type), u16(p.id)];
  if (p.name) {
    parts.push(guid(p.name.guid));
    if (p.name.lid !== undefined) parts.push(u32(0), u32(p.name.lid));
    else {
      const n = Buffer.from(`${p.name.name ?? ''}\0`, 'utf16le');
      parts.push(u32(1), u32(n.length), pad(n));
    }
  }
  const base = p.type & ~0x1000;
  const mv = (p.type & 0x1000) !== 0;
  const isVar = [PT.STRING8, PT.UNICODE, PT.BINARY, PT.OBJECT].includes(base as never);
  if (!mv && !isVar) parts.push(fixed(base, p.value));
  else if (!mv) parts.push(u32(1), counted(variable(base, p.value)));
  else {
    const vals = p.value as unknown[];
    parts.push(u32(vals.length));
    for (const v of vals) parts.push(isVar ? counted(variable(base, v)) : fixed(base, v));
  }
  return Buffer.concat(parts);
}

export function props(list: BuildProp[]): Buffer {
  return Buffer.concat([u32(list.length), ...list.map(prop)]);
}

/** MS-OXTNEF date attribute: 7 u16 (year, month, day, hour, minute, second, day of week). */
export function date(d: Date): Buffer {
  const b = Buffer.alloc(14);
  [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay()].forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return b;
}

export const str8 = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');

/** attAttachRenddata: AttachType (1 file, 2 OLE), AttachPosition, width, height, flags. */
export function renddata(type = 1, position = -1): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16LE(type, 0);
  b.writeInt32LE(position, 2);
  return b;
}

/** An embedded-message property (PidTagAttachDataObject, PT_OBJECT with IID_IMessage). */
export function embeddedProp(inner: Buffer): BuildProp {
  return { type: PT.OBJECT, id: 0x3701, value: { iid: IID_IMESSAGE, data: inner } };
}

export { ATT, LVL_ATTACHMENT, LVL_MESSAGE };
