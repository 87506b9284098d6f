// Conversions between NSPI's NDR values (idl-types.ts) and the address book model's plain values: PropertyValue_r
// and TaggedValue (PT_STRING8 through the call's code page, MS-OXNSPI 3.1.4.3.3-3.1.4.3.4), rows and row sets,
// Restriction_r and the model's Restriction, PropertyName_r.
import { decode as decodeCp, encode as encodeCp, isSupported } from '../mapi/codepage.js';
import { MAPI_E, PT, propType, type PropValue, type TaggedValue } from '../mapi/props.js';
import type { Restriction } from '../mapi/restriction.js';
import type { PropertyName } from './ab/names.js';
import type { Row } from './ab/session.js';
import type {
  Binary_r,
  PropertyName_r,
  PropertyRow_r,
  PropertyRowSet_r,
  PropertyTagArray_r,
  PropertyValue_r,
  Restriction_r,
} from './idl-types.js';

/** Bytes of a PT_STRING8 value from the client, as a string (a code page we do not know reads as Latin-1; the
 * model then refuses the call for that code page before the value matters). */
export function str8(b: Uint8Array | null, codePage: number): string {
  if (!b) return '';
  return isSupported(codePage >>> 0) ? decodeCp(b, codePage >>> 0) : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** A string for the wire: NUL cannot be carried inside a [string] (the encoders refuse it), so it ends there. */
const noNul = (s: string): string => {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
};

function str8Out(s: string, codePage: number): Buffer {
  return encodeCp(noNul(s), codePage);
}

function binOut(b: Buffer): Binary_r {
  return { cb: b.length, lpb: b };
}

const FT_EPOCH_MASK = 0xffffffffn;

// MS-OXNSPI 2.2.2.11 PROP_VAL_UNION -> a value of the model
export function fromPropertyValue(v: PropertyValue_r, codePage: number): TaggedValue {
  const tag = v.ulPropTag >>> 0;
  const u = v.Value as { tag: number; value: unknown };
  const x = u.value;
  let value: PropValue;
  switch (u.tag) {
    case PT.I2:
    case PT.LONG:
    case PT.OBJECT:
    case PT.NULL:
      value = u.tag === PT.NULL ? null : (x as number);
      break;
    case PT.ERROR:
      value = (x as number) >>> 0;
      break;
    case PT.BOOLEAN:
      value = (x as number) !== 0;
      break;
    case PT.STRING8:
      value = str8(x as Buffer | null, codePage);
      break;
    case PT.UNICODE:
      value = (x as string | null) ?? '';
      break;
    case PT.BINARY:
      value = Buffer.from((x as Binary_r).lpb ?? Buffer.alloc(0));
      break;
    case PT.CLSID:
      value = (x as string | null) ?? '00000000-0000-0000-0000-000000000000';
      break;
    case PT.SYSTIME: {
      const ft = x as { dwLowDateTime: number; dwHighDateTime: number };
      value = (BigInt(ft.dwHighDateTime >>> 0) << 32n) | BigInt(ft.dwLowDateTime >>> 0);
      break;
    }
    case PT.MV_I2:
      value = [...((x as { lpi: number[] | null }).lpi ?? [])];
      break;
    case PT.MV_LONG:
      value = [...((x as { lpl: number[] | null }).lpl ?? [])];
      break;
    case PT.MV_STRING8:
      value = ((x as { lppszA: Array<Buffer | null> | null }).lppszA ?? []).map((b) => str8(b, codePage));
      break;
    case PT.MV_UNICODE:
      value = ((x as { lppszW: Array<string | null> | null }).lppszW ?? []).map((s) => s ?? '');
      break;
    case PT.MV_BINARY:
      value = ((x as { lpbin: Binary_r[] | null }).lpbin ?? []).map((b) => Buffer.from(b.lpb ?? Buffer.alloc(0)));
      break;
    case PT.MV_CLSID:
      value = ((x as { lpguid: Array<string | null> | null }).lpguid ?? []).map((g) => g ?? '00000000-0000-0000-0000-000000000000');
      break;
    case PT.MV_SYSTIME:
      value = ((x as { lpft: Array<{ dwLowDateTime: number; dwHighDateTime: number }> | null }).lpft ?? []).map(
        (ft) => (BigInt(ft.dwHighDateTime >>> 0) << 32n) | BigInt(ft.dwLowDateTime >>> 0),
      );
      break;
    default:
      value = null;
  }
  return { tag, value };
}

// A value of the model -> MS-OXNSPI 2.2.2.12 PropertyValue_r (ulReserved 0)
export function toPropertyValue(t: TaggedValue, codePage: number): PropertyValue_r {
  const type = propType(t.tag);
  const v = t.value;
  let value: unknown;
  switch (type) {
    case PT.I2:
      value = ((v as number) << 16) >> 16;
      break;
    case PT.LONG:
    case PT.OBJECT:
      value = (v as number) | 0;
      break;
    case PT.NULL:
      value = 0;
      break;
    case PT.ERROR:
      value = (v as number) >>> 0;
      break;
    case PT.BOOLEAN:
      value = v ? 1 : 0;
      break;
    case PT.STRING8:
      value = str8Out(v as string, codePage);
      break;
    case PT.UNICODE:
      value = noNul(v as string);
      break;
    case PT.BINARY:
      value = binOut(v as Buffer);
      break;
    case PT.CLSID:
      value = v as string;
      break;
    case PT.SYSTIME: {
      const ft = v as bigint;
      value = { dwLowDateTime: Number(ft & FT_EPOCH_MASK), dwHighDateTime: Number((ft >> 32n) & FT_EPOCH_MASK) };
      break;
    }
    case PT.MV_LONG:
      value = { cValues: (v as number[]).length, lpl: (v as number[]).map((n) => n | 0) };
      break;
    case PT.MV_STRING8:
      value = { cValues: (v as string[]).length, lppszA: (v as string[]).map((s) => str8Out(s, codePage)) };
      break;
    case PT.MV_UNICODE:
      value = { cValues: (v as string[]).length, lppszW: (v as string[]).map(noNul) };
      break;
    case PT.MV_BINARY:
      value = { cValues: (v as Buffer[]).length, lpbin: (v as Buffer[]).map(binOut) };
      break;
    default:
      // a type PROP_VAL_UNION cannot carry (MS-OXNSPI 2.2.1.1): report the property as not found
      return { ulPropTag: ((t.tag & 0xffff0000) | PT.ERROR) >>> 0, ulReserved: 0, Value: { tag: PT.ERROR, value: MAPI_E.NOT_FOUND } } as PropertyValue_r;
  }
  return { ulPropTag: t.tag >>> 0, ulReserved: 0, Value: { tag: type, value } } as PropertyValue_r;
}

// MS-OXNSPI 2.2.3 PropertyRow_r
export function toRow(row: Row, codePage: number): PropertyRow_r {
  return { Reserved: 0, cValues: row.length, lpProps: row.map((v) => toPropertyValue(v, codePage)) };
}

export function fromRow(row: PropertyRow_r, codePage: number): TaggedValue[] {
  return (row.lpProps ?? []).map((v) => fromPropertyValue(v, codePage));
}

// MS-OXNSPI 2.2.4 PropertyRowSet_r
export function toRowSet(rows: Row[], codePage: number): PropertyRowSet_r {
  return { cRows: rows.length, aRow: rows.map((r) => toRow(r, codePage)) };
}

// MS-OXNSPI 2.2.2.2 PropertyTagArray_r (also the form of Explicit Tables and MId lists)
export function toTagArray(values: readonly number[]): PropertyTagArray_r {
  return { cValues: values.length, aulPropTag: values.map((v) => v >>> 0) };
}

export function fromTagArray(a: PropertyTagArray_r | null): number[] | null {
  return a ? a.aulPropTag.map((v) => v >>> 0) : null;
}

// MS-OXNSPI 2.2.6.1 PropertyName_r
export function fromPropertyName(n: PropertyName_r | null): PropertyName | null {
  return n ? { guid: n.lpguid, id: n.lID } : null;
}

export function toPropertyName(n: PropertyName): PropertyName_r {
  return { lpguid: n.guid, ulReserved: 0, lID: n.id | 0 };
}

/**
 * MS-OXNSPI 2.2.5 Restriction_r -> the model's Restriction; null when the tree is malformed (a NULL where a
 * restriction must be). Nesting is bounded by the decoder (RESTRICTION_MAX_DEPTH).
 */
export function fromRestriction(r: Restriction_r, codePage: number): Restriction | null {
  const res = r.res;
  const value = (p: PropertyValue_r | null, tag: number): TaggedValue => (p ? fromPropertyValue(p, codePage) : { tag, value: null });
  switch (res.tag) {
    case 0:
    case 1: {
      const list: Restriction[] = [];
      const items = res.value.lpRes ?? [];
      if (items.length !== res.value.cRes) return null;
      for (const c of items) {
        const m = fromRestriction(c, codePage);
        if (!m) return null;
        list.push(m);
      }
      return { type: res.tag === 0 ? 'and' : 'or', res: list };
    }
    case 2: {
      const inner = res.value.lpRes ? fromRestriction(res.value.lpRes, codePage) : null;
      return inner ? { type: 'not', res: inner } : null;
    }
    case 3:
      return { type: 'content', fuzzyLevel: res.value.ulFuzzyLevel >>> 0, propTag: res.value.ulPropTag >>> 0, value: value(res.value.lpProp, res.value.ulPropTag) };
    case 4:
      return { type: 'property', relop: res.value.relop >>> 0, propTag: res.value.ulPropTag >>> 0, value: value(res.value.lpProp, res.value.ulPropTag) };
    case 5:
      return { type: 'compareProps', relop: res.value.relop >>> 0, propTag1: res.value.ulPropTag1 >>> 0, propTag2: res.value.ulPropTag2 >>> 0 };
    case 6:
      return { type: 'bitmask', relBMR: res.value.relBMR >>> 0, propTag: res.value.ulPropTag >>> 0, mask: res.value.ulMask >>> 0 };
    case 7:
      return { type: 'size', relop: res.value.relop >>> 0, propTag: res.value.ulPropTag >>> 0, cb: res.value.cb >>> 0 };
    case 8:
      return { type: 'exist', propTag: res.value.ulPropTag >>> 0 };
    case 9: {
      const inner = res.value.lpRes ? fromRestriction(res.value.lpRes, codePage) : null;
      return inner ? { type: 'sub', subObject: res.value.ulSubObject >>> 0, res: inner } : null;
    }
    default:
      return null;
  }
}
