// Stored form of property values: one JSON text per object ({"<tag>": value}), the value's JSON shape chosen by
// the tag's type (bigint types as decimal strings, binary as base64). Large values (bodies, attachments) will get
// their own blob table with the full message model.
// PtypRestriction (0x00FD) and PtypRuleAction (0x00FE) values are kept as the bytes of their ROP-buffer form
// (MS-OXCDATA 2.12, MS-OXORULE 2.2.5; what src/mapi/ropprops.ts reads and writes): PidTagRuleCondition /
// PidTagRuleActions and a deferred action message's PidTagClientActions (MS-OXORULE 2.2.6.7) can be stored on
// messages. Multi-valued forms of the two do not exist (MS-OXCDATA 2.11.1) and are refused.
import { PT, MV_FLAG, propType, type PropValue } from '../mapi/props.js';
import { StoreError, SEC } from './errors.js';

type Json = string | number | boolean | null | Json[];

function enc1(type: number, v: unknown): Json {
  switch (type) {
    case PT.I8:
    case PT.CURRENCY:
    case PT.SYSTIME:
      return (v as bigint).toString();
    case PT.BINARY:
    case PT.SVREID:
    case PT.SRESTRICT:
    case PT.ACTIONS:
      return (v as Buffer).toString('base64');
    default:
      return v as Json;
  }
}

function dec1(type: number, v: Json): PropValue {
  switch (type) {
    case PT.I8:
    case PT.CURRENCY:
    case PT.SYSTIME:
      return BigInt(v as string);
    case PT.BINARY:
    case PT.SVREID:
    case PT.SRESTRICT:
    case PT.ACTIONS:
      return Buffer.from(v as string, 'base64');
    default:
      return v as PropValue;
  }
}

export function encodeValue(tag: number, v: PropValue): Json {
  const t = propType(tag);
  if (t & MV_FLAG) return (v as unknown[]).map((x) => enc1(t & ~MV_FLAG, x));
  return enc1(t, v);
}

export function decodeValue(tag: number, v: Json): PropValue {
  const t = propType(tag);
  if (t & MV_FLAG) return (v as Json[]).map((x) => dec1(t & ~MV_FLAG, x)) as PropValue;
  return dec1(t, v);
}

export function encodeProps(m: Map<number, PropValue>): string {
  const o: Record<string, Json> = {};
  for (const [tag, v] of m) o[tag >>> 0] = encodeValue(tag, v);
  return JSON.stringify(o);
}

export function decodeProps(s: string | null | undefined): Map<number, PropValue> {
  const m = new Map<number, PropValue>();
  if (!s) return m;
  const o = JSON.parse(s) as Record<string, Json>;
  for (const k of Object.keys(o)) {
    const tag = Number(k) >>> 0;
    m.set(tag, decodeValue(tag, o[k] as Json));
  }
  return m;
}

/** Checks that a value has the JS shape its tag's type calls for (src/mapi/props.ts PropValue). */
export function checkValue(tag: number, v: PropValue): boolean {
  const t = propType(tag);
  const one = (bt: number, x: unknown): boolean => {
    switch (bt) {
      case PT.I2: case PT.LONG: case PT.ERROR: case PT.R4: case PT.DOUBLE: case PT.APPTIME:
        return typeof x === 'number';
      case PT.I8: case PT.CURRENCY: case PT.SYSTIME:
        return typeof x === 'bigint';
      case PT.BOOLEAN:
        return typeof x === 'boolean';
      case PT.STRING8: case PT.UNICODE: case PT.CLSID:
        return typeof x === 'string';
      case PT.BINARY: case PT.SVREID: case PT.SRESTRICT: case PT.ACTIONS:
        return Buffer.isBuffer(x);
      case PT.NULL:
        return x === null;
      default:
        return false;
    }
  };
  if (t & MV_FLAG) {
    const bt = t & ~MV_FLAG;
    if (bt === PT.SRESTRICT || bt === PT.ACTIONS) return false;
    return Array.isArray(v) && (v as unknown[]).every((x) => one(bt, x));
  }
  return one(t, v);
}

/** Approximate stored size of a property value (for PidTagMessageSize). */
export function valueSize(tag: number, v: PropValue): number {
  if (typeof v === 'string') return 2 * v.length + 2;
  if (Buffer.isBuffer(v)) return v.length;
  if (Array.isArray(v)) return (v as PropValue[]).reduce<number>((n, x) => n + valueSize(tag & ~MV_FLAG, x as PropValue), 4);
  if (typeof v === 'bigint') return 8;
  if (typeof v === 'boolean') return 1;
  return 4;
}

export function badValue(tag: number): StoreError {
  return new StoreError('OC_STORE_BAD_VALUE', SEC.InvalidParam, `value does not fit tag 0x${(tag >>> 0).toString(16)}`);
}
