// MS-OXNSPI 2.2-2.3 (= MS-NSPI 2.3 and section 6 IDL) wire structures as NDR schemas. The operations' parameter
// lists are in idl.ts, which re-exports everything here.
//
// Value conventions: every `[string] char` (PT_STRING8 values, StringsArray_r, pDN) is a Buffer of the bytes in
// the session's code page (src/mapi/codepage.ts converts them); `[string] wchar_t` is a JS string; FlatUID_r is a
// lower-case GUID string (its 16 bytes in the GUID wire order, MS-DTYP 2.3.4.2, e.g. GUID_NSPI); counts stay in
// the value as on the wire (cValues, cb, cRows...).
import { ndr, NdrError, NdrErrorCode, type DecodeContext, type EncodeContext, type Infer, type NdrType } from '../ndr/index.js';
import { encodeError } from '../ndr/errors.js';
import type { NdrReader } from '../ndr/reader.js';
import type { NdrWriter } from '../ndr/writer.js';
import { readGuid, writeGuid } from '../util/guid.js';

/** Most values of the ShortArray_r ... PropertyRowSet_r counts (`[range(0, 100000)]`). */
export const NSPI_MAX_VALUES = 100000;
/** PropertyTagArray_r.cValues (`[range(0, 100001)]`). */
export const NSPI_MAX_PROPTAGS = 100001;
/** Binary_r.cb (`[range(0, 2097152)]`). */
export const NSPI_MAX_BINARY = 2097152;
/**
 * Deepest Restriction_r nesting decoded; deeper is NdrError OC_NDR_DEPTH with details.type 'Restriction_r', which
 * NspiGetMatches answers with TooComplex (MS-OXNSPI 3.1.4.1.10: "If the server will not support the call because
 * the search is too complex, the server MUST return the value TooComplex"). Outlook's ANR and filter restrictions
 * nest a handful of levels.
 */
export const RESTRICTION_MAX_DEPTH = 64;

const count = ndr.range(ndr.u32, 0, NSPI_MAX_VALUES);

// MS-OXNSPI 2.2.2.1 FlatUID_r: BYTE ab[16] (alignment 1, unlike a GUID's 4); the value is the GUID it holds
export const FlatUID_r: NdrType<string> = ndr.custom<string>({
  name: 'FlatUID_r',
  align: 1,
  minSize: 16,
  encodeScalars(w: NdrWriter, v: string) {
    if (typeof v !== 'string') throw encodeError(`FlatUID_r: not a GUID string: ${String(v)}`);
    w.ensure(16);
    try {
      writeGuid(v, w.buf, w.pos);
    } catch {
      throw encodeError(`FlatUID_r: not a GUID: ${v}`);
    }
    w.pos += 16;
  },
  decodeScalars(r: NdrReader) {
    r.need(16);
    const g = readGuid(r.buf, r.pos);
    r.pos += 16;
    return g;
  },
});

// MS-OXNSPI 2.2.2.2 PropertyTagArray_r: { [range(0,100001)] DWORD cValues; [size_is(cValues+1), length_is(cValues)]
// DWORD aulPropTag[]; }. A conformant struct, only ever a pointer referent or a parameter, so its hoisted max_count
// is simply its first u32. Hand-written: encoders write max_count = cValues + 1 as Windows does; the decoder
// accepts any max_count >= cValues (impacket's helpers send both forms).
export interface PropertyTagArray_r {
  cValues: number;
  aulPropTag: number[];
}
export const PropertyTagArray_r: NdrType<PropertyTagArray_r> = ndr.custom<PropertyTagArray_r>({
  name: 'PropertyTagArray_r',
  align: 4,
  minSize: 16,
  encodeScalars(w: NdrWriter, v: PropertyTagArray_r) {
    if (typeof v !== 'object' || v === null || !Array.isArray(v.aulPropTag)) throw encodeError('PropertyTagArray_r: not { cValues, aulPropTag }');
    const n = v.aulPropTag.length;
    if (v.cValues !== n) throw encodeError(`PropertyTagArray_r: cValues ${String(v.cValues)} but ${n} tags`);
    if (n > NSPI_MAX_PROPTAGS) throw encodeError(`PropertyTagArray_r: ${n} tags, at most ${NSPI_MAX_PROPTAGS}`);
    w.u32(n + 1);
    w.u32(n);
    w.u32(0);
    w.u32(n);
    for (let i = 0; i < n; i++) w.u32(v.aulPropTag[i] as number);
  },
  decodeScalars(r: NdrReader, ctx: DecodeContext) {
    const at = r.pos;
    const max = r.u32();
    const cValues = r.u32();
    if (cValues > NSPI_MAX_PROPTAGS) throw new NdrError(NdrErrorCode.RANGE, `PropertyTagArray_r.cValues ${cValues} above ${NSPI_MAX_PROPTAGS}`, at + 4);
    const offset = r.u32();
    const actual = r.u32();
    if (offset + actual > max) {
      throw new NdrError(NdrErrorCode.BAD_COUNT, `PropertyTagArray_r: offset ${offset} + actual_count ${actual} > max_count ${max}`, at);
    }
    if (actual !== cValues) throw new NdrError(NdrErrorCode.SIZE_MISMATCH, `PropertyTagArray_r: ${actual} tags sent, cValues ${cValues}`, at);
    if (actual * 4 > r.end - r.pos) throw new NdrError(NdrErrorCode.BAD_COUNT, `PropertyTagArray_r: ${actual} tags cannot fit`, r.pos);
    ctx.addElements(actual, r);
    const aulPropTag = new Array<number>(actual);
    for (let i = 0; i < actual; i++) aulPropTag[i] = r.u32();
    return { cValues, aulPropTag };
  },
});

// MS-OXNSPI 2.2.2.3 Binary_r
export const Binary_r = ndr.struct('Binary_r', {
  cb: ndr.range(ndr.u32, 0, NSPI_MAX_BINARY),
  lpb: ndr.unique(ndr.conformantBytes({ sizeIs: 'cb' })),
});
export type Binary_r = Infer<typeof Binary_r>;

// MS-DTYP 2.3.3 FILETIME (two DWORDs, alignment 4)
export const FILETIME = ndr.struct('FILETIME', { dwLowDateTime: ndr.u32, dwHighDateTime: ndr.u32 });
export type FILETIME = Infer<typeof FILETIME>;

// MS-OXNSPI 2.2.2.4 ShortArray_r
export const ShortArray_r = ndr.struct('ShortArray_r', {
  cValues: count,
  lpi: ndr.unique(ndr.conformantArray(ndr.i16, { sizeIs: 'cValues' })),
});
// MS-OXNSPI 2.2.2.5 LongArray_r
export const LongArray_r = ndr.struct('LongArray_r', {
  cValues: count,
  lpl: ndr.unique(ndr.conformantArray(ndr.i32, { sizeIs: 'cValues' })),
});
// MS-OXNSPI 2.2.2.6 StringArray_r
export const StringArray_r = ndr.struct('StringArray_r', {
  cValues: count,
  lppszA: ndr.unique(ndr.conformantArray(ndr.unique(ndr.stringBytes()), { sizeIs: 'cValues' })),
});
// MS-OXNSPI 2.2.2.7 BinaryArray_r
export const BinaryArray_r = ndr.struct('BinaryArray_r', {
  cValues: count,
  lpbin: ndr.unique(ndr.conformantArray(Binary_r, { sizeIs: 'cValues' })),
});
export type BinaryArray_r = Infer<typeof BinaryArray_r>;
// MS-OXNSPI 2.2.2.8 FlatUIDArray_r
export const FlatUIDArray_r = ndr.struct('FlatUIDArray_r', {
  cValues: count,
  lpguid: ndr.unique(ndr.conformantArray(ndr.unique(FlatUID_r), { sizeIs: 'cValues' })),
});
// MS-OXNSPI 2.2.2.9 WStringArray_r
export const WStringArray_r = ndr.struct('WStringArray_r', {
  cValues: count,
  lppszW: ndr.unique(ndr.conformantArray(ndr.unique(ndr.wstring()), { sizeIs: 'cValues' })),
});
// MS-OXNSPI 2.2.2.10 DateTimeArray_r (a pointer to FILETIMEs; impacket 0.10 wrongly sends pointers to FILETIMEs)
export const DateTimeArray_r = ndr.struct('DateTimeArray_r', {
  cValues: count,
  lpft: ndr.unique(ndr.conformantArray(FILETIME, { sizeIs: 'cValues' })),
});

// MS-OXNSPI 2.2.2.11 PROP_VAL_UNION: [switch_type(long)], switched on ulPropTag & 0xFFFF. The Boolean arm is an
// unsigned short; PT_ERROR's `long err` is read as a u32 so that MAPI_E_* codes compare as written; PT_NULL and
// PT_OBJECT carry `long lReserved`. No other property type can be sent (no PT_I8, PT_DOUBLE, PT_UNSPECIFIED...).
export const PROP_VAL_UNION = ndr.union({
  name: 'PROP_VAL_UNION',
  switchType: ndr.i32,
  switchIs: (p: { ulPropTag: number }) => p.ulPropTag & 0xffff,
  arms: {
    0x0002: ndr.i16,
    0x0003: ndr.i32,
    0x000b: ndr.u16,
    0x001e: ndr.unique(ndr.stringBytes()),
    0x0102: Binary_r,
    0x001f: ndr.unique(ndr.wstring()),
    0x0048: ndr.unique(FlatUID_r),
    0x0040: FILETIME,
    0x000a: ndr.u32,
    0x1002: ShortArray_r,
    0x1003: LongArray_r,
    0x101e: StringArray_r,
    0x1102: BinaryArray_r,
    0x1048: FlatUIDArray_r,
    0x101f: WStringArray_r,
    0x1040: DateTimeArray_r,
    0x0001: ndr.i32,
    0x000d: ndr.i32,
  },
});
export type PROP_VAL_UNION = Infer<typeof PROP_VAL_UNION>;

// MS-OXNSPI 2.2.2.12 PropertyValue_r
export const PropertyValue_r = ndr.struct('PropertyValue_r', {
  ulPropTag: ndr.u32,
  ulReserved: ndr.u32,
  Value: PROP_VAL_UNION,
});
export type PropertyValue_r = Infer<typeof PropertyValue_r>;

// MS-OXNSPI 2.2.3 PropertyRow_r
export const PropertyRow_r = ndr.struct('PropertyRow_r', {
  Reserved: ndr.u32,
  cValues: count,
  lpProps: ndr.unique(ndr.conformantArray(PropertyValue_r, { sizeIs: 'cValues' })),
});
export type PropertyRow_r = Infer<typeof PropertyRow_r>;

// MS-OXNSPI 2.2.4 PropertyRowSet_r (a conformant struct)
export const PropertyRowSet_r = ndr.struct('PropertyRowSet_r', {
  cRows: count,
  aRow: ndr.conformantArray(PropertyRow_r, { sizeIs: 'cRows' }),
});
export type PropertyRowSet_r = Infer<typeof PropertyRowSet_r>;

// MS-OXNSPI 2.2.5 restrictions (Restriction_r is recursive through pointers)
export interface AndOrRestriction_r {
  cRes: number;
  lpRes: Restriction_r[] | null;
}
export interface NotRestriction_r {
  lpRes: Restriction_r | null;
}
export interface ContentRestriction_r {
  ulFuzzyLevel: number;
  ulPropTag: number;
  lpProp: PropertyValue_r | null;
}
export interface PropertyRestriction_r {
  relop: number;
  ulPropTag: number;
  lpProp: PropertyValue_r | null;
}
export interface ComparePropsRestriction_r {
  relop: number;
  ulPropTag1: number;
  ulPropTag2: number;
}
export interface BitMaskRestriction_r {
  relBMR: number;
  ulPropTag: number;
  ulMask: number;
}
export interface SizeRestriction_r {
  relop: number;
  ulPropTag: number;
  cb: number;
}
export interface ExistRestriction_r {
  ulReserved1: number;
  ulPropTag: number;
  ulReserved2: number;
}
export interface SubRestriction_r {
  ulSubObject: number;
  lpRes: Restriction_r | null;
}
/** MS-OXNSPI 2.2.5.10 RestrictionUnion_r, by rt. */
export type RestrictionUnion_r =
  | { tag: 0; value: AndOrRestriction_r }
  | { tag: 1; value: AndOrRestriction_r }
  | { tag: 2; value: NotRestriction_r }
  | { tag: 3; value: ContentRestriction_r }
  | { tag: 4; value: PropertyRestriction_r }
  | { tag: 5; value: ComparePropsRestriction_r }
  | { tag: 6; value: BitMaskRestriction_r }
  | { tag: 7; value: SizeRestriction_r }
  | { tag: 8; value: ExistRestriction_r }
  | { tag: 9; value: SubRestriction_r };
/** MS-OXNSPI 2.2.5.11 Restriction_r: rt and res.tag are equal ([switch_is(rt)]). */
export interface Restriction_r {
  rt: number;
  res: RestrictionUnion_r;
}

/** Restriction types (rt) of MS-OXNSPI 2.2.5.10. */
export const RT = {
  AND: 0,
  OR: 1,
  NOT: 2,
  CONTENT: 3,
  PROPERTY: 4,
  COMPAREPROPS: 5,
  BITMASK: 6,
  SIZE: 7,
  EXIST: 8,
  SUB: 9,
} as const;

// Restriction_r nesting is counted per decode (and per encode) so that a deep chain is refused with a coded error
// long before the stack is at risk.
const decodeDepth = new WeakMap<DecodeContext, number>();
const encodeDepth = new WeakMap<EncodeContext, number>();
// eslint-disable-next-line prefer-const
let restrictionStruct: NdrType<Restriction_r>;

/** Restriction_r, counting its nesting (see RESTRICTION_MAX_DEPTH). */
export const Restriction_r: NdrType<Restriction_r> = ndr.custom<Restriction_r>({
  name: 'Restriction_r',
  align: 4,
  minSize: 12,
  hasBuffers: true,
  encodeScalars: (w, v, ctx, parent) => restrictionStruct.encodeScalars(w, v, ctx, parent),
  encodeBuffers: (w, v, ctx, parent) => {
    const d = (encodeDepth.get(ctx) ?? 0) + 1;
    if (d > RESTRICTION_MAX_DEPTH) throw encodeError(`Restriction_r nested deeper than ${RESTRICTION_MAX_DEPTH} levels`);
    encodeDepth.set(ctx, d);
    restrictionStruct.encodeBuffers(w, v, ctx, parent);
    encodeDepth.set(ctx, d - 1);
  },
  decodeScalars: (r, ctx, parent) => restrictionStruct.decodeScalars(r, ctx, parent, -1),
  decodeBuffers: (r, v, ctx, parent) => {
    const d = (decodeDepth.get(ctx) ?? 0) + 1;
    if (d > RESTRICTION_MAX_DEPTH) {
      throw new NdrError(NdrErrorCode.DEPTH, `Restriction_r nested deeper than ${RESTRICTION_MAX_DEPTH} levels`, r.pos, {
        type: 'Restriction_r',
        limit: RESTRICTION_MAX_DEPTH,
      });
    }
    decodeDepth.set(ctx, d);
    const out = restrictionStruct.decodeBuffers(r, v, ctx, parent);
    decodeDepth.set(ctx, d - 1);
    return out;
  },
});

/** True for the error a too deeply nested Restriction_r decodes to (NspiGetMatches answers TooComplex). */
export function isRestrictionTooDeep(e: unknown): boolean {
  return e instanceof NdrError && e.code === NdrErrorCode.DEPTH && e.details?.type === 'Restriction_r';
}

// MS-OXNSPI 2.2.5.1 AndRestriction_r / OrRestriction_r
const AndOrRestriction_r = ndr.struct('AndOrRestriction_r', {
  cRes: count,
  lpRes: ndr.unique(ndr.conformantArray(Restriction_r, { sizeIs: 'cRes' })),
});
// MS-OXNSPI 2.2.5.2 NotRestriction_r
const NotRestriction_r = ndr.struct('NotRestriction_r', { lpRes: ndr.unique(Restriction_r) });
// MS-OXNSPI 2.2.5.3 ContentRestriction_r
const ContentRestriction_r = ndr.struct('ContentRestriction_r', {
  ulFuzzyLevel: ndr.u32,
  ulPropTag: ndr.u32,
  lpProp: ndr.unique(PropertyValue_r),
});
// MS-OXNSPI 2.2.5.4 BitMaskRestriction_r
const BitMaskRestriction_r = ndr.struct('BitMaskRestriction_r', { relBMR: ndr.u32, ulPropTag: ndr.u32, ulMask: ndr.u32 });
// MS-OXNSPI 2.2.5.5 PropertyRestriction_r
const PropertyRestriction_r = ndr.struct('PropertyRestriction_r', {
  relop: ndr.u32,
  ulPropTag: ndr.u32,
  lpProp: ndr.unique(PropertyValue_r),
});
// MS-OXNSPI 2.2.5.6 ComparePropsRestriction_r
const ComparePropsRestriction_r = ndr.struct('ComparePropsRestriction_r', { relop: ndr.u32, ulPropTag1: ndr.u32, ulPropTag2: ndr.u32 });
// MS-OXNSPI 2.2.5.7 SubRestriction_r
const SubRestriction_r = ndr.struct('SubRestriction_r', { ulSubObject: ndr.u32, lpRes: ndr.unique(Restriction_r) });
// MS-OXNSPI 2.2.5.8 SizeRestriction_r
const SizeRestriction_r = ndr.struct('SizeRestriction_r', { relop: ndr.u32, ulPropTag: ndr.u32, cb: ndr.u32 });
// MS-OXNSPI 2.2.5.9 ExistRestriction_r
const ExistRestriction_r = ndr.struct('ExistRestriction_r', { ulReserved1: ndr.u32, ulPropTag: ndr.u32, ulReserved2: ndr.u32 });

// MS-OXNSPI 2.2.5.10 RestrictionUnion_r ([switch_type(long)])
const RestrictionUnion_r = ndr.union({
  name: 'RestrictionUnion_r',
  switchType: ndr.i32,
  switchIs: 'rt',
  arms: {
    0: AndOrRestriction_r,
    1: AndOrRestriction_r,
    2: NotRestriction_r,
    3: ContentRestriction_r,
    4: PropertyRestriction_r,
    5: ComparePropsRestriction_r,
    6: BitMaskRestriction_r,
    7: SizeRestriction_r,
    8: ExistRestriction_r,
    9: SubRestriction_r,
  },
});

// MS-OXNSPI 2.2.5.11 Restriction_r
restrictionStruct = ndr.struct('Restriction_r', { rt: ndr.u32, res: RestrictionUnion_r }) as unknown as NdrType<Restriction_r>;

// MS-OXNSPI 2.2.6.1 PropertyName_r
export const PropertyName_r = ndr.struct('PropertyName_r', {
  lpguid: ndr.unique(FlatUID_r),
  ulReserved: ndr.u32,
  lID: ndr.i32,
});
export type PropertyName_r = Infer<typeof PropertyName_r>;

// MS-OXNSPI 2.2.6.2 PropertyNameSet_r (a conformant struct)
export const PropertyNameSet_r = ndr.struct('PropertyNameSet_r', {
  cNames: count,
  aNames: ndr.conformantArray(PropertyName_r, { sizeIs: 'cNames' }),
});
export type PropertyNameSet_r = Infer<typeof PropertyNameSet_r>;

// MS-OXNSPI 2.2.7.1 StringsArray_r (8-bit strings in the session's code page, as Buffers)
export const StringsArray_r = ndr.struct('StringsArray_r', {
  Count: count,
  Strings: ndr.conformantArray(ndr.unique(ndr.stringBytes()), { sizeIs: 'Count' }),
});
export type StringsArray_r = Infer<typeof StringsArray_r>;

// MS-OXNSPI 2.2.7.2 WStringsArray_r
export const WStringsArray_r = ndr.struct('WStringsArray_r', {
  Count: count,
  Strings: ndr.conformantArray(ndr.unique(ndr.wstring()), { sizeIs: 'Count' }),
});
export type WStringsArray_r = Infer<typeof WStringsArray_r>;

// MS-OXNSPI 2.2.8 STAT
export const STAT = ndr.struct('STAT', {
  SortType: ndr.u32,
  ContainerID: ndr.u32,
  CurrentRec: ndr.u32,
  Delta: ndr.i32,
  NumPos: ndr.u32,
  TotalRecs: ndr.u32,
  CodePage: ndr.u32,
  TemplateLocale: ndr.u32,
  SortLocale: ndr.u32,
});
export type STAT = Infer<typeof STAT>;

// MS-OXNSPI 2.2.10 NSPI_HANDLE ([context_handle] void *)
export const NSPI_HANDLE = ndr.contextHandle;
