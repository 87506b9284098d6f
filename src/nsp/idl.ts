// MS-OXNSPI 3.1.4.1 / section 6 (and MS-NSPI 3.1.4.16-17 for opnums 17 and 18): the [in] and [out] parameter
// lists of NSPI opnums 0-20 as NDR schemas, and NSPI_OPS, the opnum table the interface module completes with
// handlers. Opnum 15 is not used on the wire (a call gets nca_s_op_rng_error). Return values (`long`) are u32s
// named `result`, so that MAPI_E_* codes read as written. `[out] T **` parameters take the inner pointer's value
// (T or null).
//
// Every request codec of NSPI_OPS reads the stub to its end (MS-OXNSPI 3.1.4: "strict NDR data consistency check
// at target level 6.0"): bytes left over, other than an MS-RPCE verification trailer, mean the stub was not what
// the schema read, and the call fails with nca_s_fault_ndr rather than running on a misread request.
//
// Client quirks accepted (each form is accepted only when it reads the whole stub, so no form can misread another):
// - impacket 0.10 marshals NspiGetSpecialTable's pStat and lpVersion, and NspiGetProps's pStat, as [unique]
//   pointers (a referent id before the STAT; lpVersion may be NULL) where MS-OXNSPI and Outlook pass [ref]
//   (nothing but the STAT; the 64-byte GetSpecialTable stub in shared/oracles/impacket_oracle.py). The request
//   codecs of those two opnums decode the spec's form and, when it does not read the stub exactly, impacket's
//   form (NspiGetSpecialTable_request, NspiGetProps_request). Responses are the same for both.
// - impacket 0.10's hNspiGetProps helper sends pPropTags with cValues one higher than the tags it sends
//   (cValues = max_count = n + 1, actual_count = n; nspi.py sets cValues = len(pPropTags) + 1). The spec's form
//   has cValues = actual_count, so the two cannot be confused: NspiGetProps_request reads that shape, with the
//   [unique] pStat, as the n tags actually sent (PropertyTagArray_r_impacketGetProps).
// - impacket's NspiGetIDsFromNames sends pNames as an array of PropertyName_r structs; MS-NSPI says an array of
//   pointers to them (`PropertyName_r ** pNames`). Only the MS-NSPI form is decoded (impacket's call fails with a
//   fault; test/nsp/gen_fixtures.py declares the MS-NSPI form for impacket).
import type { StubCodec } from '../dcerpc/interface.js';
import { ndr, NdrError, NdrErrorCode, type DecodeContext, type DecodeOptions, type DecodeResult, type Infer, type NdrType } from '../ndr/index.js';
import { encodeError } from '../ndr/errors.js';
import type { NdrReader } from '../ndr/reader.js';
import {
  BinaryArray_r,
  FlatUID_r,
  isRestrictionTooDeep,
  NSPI_HANDLE,
  NSPI_MAX_PROPTAGS,
  NSPI_MAX_VALUES,
  PropertyName_r,
  PropertyNameSet_r,
  PropertyRow_r,
  PropertyRowSet_r,
  PropertyTagArray_r,
  PropertyValue_r,
  Restriction_r,
  STAT,
  StringsArray_r,
  WStringsArray_r,
} from './idl-types.js';

export * from './idl-types.js';

const result = ndr.u32;
const outMIds = ndr.ref(ndr.unique(PropertyTagArray_r));
const outRows = ndr.ref(ndr.unique(PropertyRowSet_r));
const outRow = ndr.ref(ndr.unique(PropertyRow_r));

// MS-OXNSPI 3.1.4.1.1 NspiBind (opnum 0)
export const NspiBind_in = ndr.params({
  dwFlags: ndr.u32,
  pStat: ndr.ref(STAT),
  pServerGuid: ndr.unique(FlatUID_r),
});
export const NspiBind_out = ndr.params({
  pServerGuid: ndr.unique(FlatUID_r),
  contextHandle: ndr.ref(NSPI_HANDLE),
  result,
});

// MS-OXNSPI 3.1.4.1.2 NspiUnbind (opnum 1)
export const NspiUnbind_in = ndr.params({ contextHandle: ndr.ref(NSPI_HANDLE), Reserved: ndr.u32 });
export const NspiUnbind_out = ndr.params({ contextHandle: ndr.ref(NSPI_HANDLE), result });

// MS-OXNSPI 3.1.4.1.4 NspiUpdateStat (opnum 2)
export const NspiUpdateStat_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  pStat: ndr.ref(STAT),
  plDelta: ndr.unique(ndr.i32),
});
export const NspiUpdateStat_out = ndr.params({ pStat: ndr.ref(STAT), plDelta: ndr.unique(ndr.i32), result });

// MS-OXNSPI 3.1.4.1.8 NspiQueryRows (opnum 3)
export const NspiQueryRows_in = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  pStat: ndr.ref(STAT),
  dwETableCount: ndr.range(ndr.u32, 0, NSPI_MAX_VALUES),
  lpETable: ndr.unique(ndr.conformantArray(ndr.u32, { sizeIs: 'dwETableCount' })),
  Count: ndr.u32,
  pPropTags: ndr.unique(PropertyTagArray_r),
});
export const NspiQueryRows_out = ndr.params({ pStat: ndr.ref(STAT), ppRows: outRows, result });

// MS-OXNSPI 3.1.4.1.9 NspiSeekEntries (opnum 4)
export const NspiSeekEntries_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  pStat: ndr.ref(STAT),
  pTarget: ndr.ref(PropertyValue_r),
  lpETable: ndr.unique(PropertyTagArray_r),
  pPropTags: ndr.unique(PropertyTagArray_r),
});
export const NspiSeekEntries_out = ndr.params({ pStat: ndr.ref(STAT), ppRows: outRows, result });

// MS-OXNSPI 3.1.4.1.10 NspiGetMatches (opnum 5)
export const NspiGetMatches_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved1: ndr.u32,
  pStat: ndr.ref(STAT),
  pReserved: ndr.unique(PropertyTagArray_r),
  Reserved2: ndr.u32,
  Filter: ndr.unique(Restriction_r),
  lpPropName: ndr.unique(PropertyName_r),
  ulRequested: ndr.u32,
  pPropTags: ndr.unique(PropertyTagArray_r),
});
export const NspiGetMatches_out = ndr.params({ pStat: ndr.ref(STAT), ppOutMIds: outMIds, ppRows: outRows, result });
/** The parameters before Filter, decoded alone when Filter is too deep. */
const NspiGetMatches_head = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved1: ndr.u32,
  pStat: ndr.ref(STAT),
  pReserved: ndr.unique(PropertyTagArray_r),
  Reserved2: ndr.u32,
});

// MS-OXNSPI 3.1.4.1.11 NspiResortRestriction (opnum 6)
export const NspiResortRestriction_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  pStat: ndr.ref(STAT),
  pInMIds: ndr.ref(PropertyTagArray_r),
  ppOutMIds: outMIds,
});
export const NspiResortRestriction_out = ndr.params({ pStat: ndr.ref(STAT), ppOutMIds: outMIds, result });

// MS-OXNSPI 3.1.4.1.13 NspiDNToMId (opnum 7)
export const NspiDNToMId_in = ndr.params({ hRpc: NSPI_HANDLE, Reserved: ndr.u32, pNames: ndr.ref(StringsArray_r) });
export const NspiDNToMId_out = ndr.params({ ppOutMIds: outMIds, result });

// MS-OXNSPI 3.1.4.1.6 NspiGetPropList (opnum 8)
export const NspiGetPropList_in = ndr.params({ hRpc: NSPI_HANDLE, dwFlags: ndr.u32, dwMId: ndr.u32, CodePage: ndr.u32 });
export const NspiGetPropList_out = ndr.params({ ppPropTags: outMIds, result });

// MS-OXNSPI 3.1.4.1.7 NspiGetProps (opnum 9)
export const NspiGetProps_in = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  pStat: ndr.ref(STAT),
  pPropTags: ndr.unique(PropertyTagArray_r),
});
export const NspiGetProps_out = ndr.params({ ppRows: outRow, result });
/** impacket 0.10's NspiGetProps: pStat as a [unique] pointer. */
export const NspiGetProps_in_impacket = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  pStat: ndr.unique(STAT),
  pPropTags: ndr.unique(PropertyTagArray_r),
});

/**
 * PropertyTagArray_r as impacket 0.10's hNspiGetProps sends it: cValues = max_count = n + 1 with n tags
 * (actual_count n). Read as the n tags sent; any other shape is refused (the spec's shape is PropertyTagArray_r's).
 */
export const PropertyTagArray_r_impacketGetProps: NdrType<PropertyTagArray_r> = ndr.custom<PropertyTagArray_r>({
  name: 'PropertyTagArray_r(impacket hNspiGetProps)',
  align: 4,
  minSize: 16,
  encodeScalars() {
    throw encodeError('PropertyTagArray_r(impacket hNspiGetProps) is only decoded');
  },
  decodeScalars(r: NdrReader, ctx: DecodeContext) {
    const at = r.pos;
    const max = r.u32();
    const cValues = r.u32();
    const offset = r.u32();
    const actual = r.u32();
    if (cValues > NSPI_MAX_PROPTAGS) throw new NdrError(NdrErrorCode.RANGE, `PropertyTagArray_r.cValues ${cValues} above ${NSPI_MAX_PROPTAGS}`, at + 4);
    if (offset !== 0 || max !== cValues || actual + 1 !== cValues) {
      throw new NdrError(NdrErrorCode.SIZE_MISMATCH, `not impacket's hNspiGetProps PropertyTagArray_r (max ${max}, cValues ${cValues}, actual ${actual})`, at);
    }
    if (actual * 4 > r.end - r.pos) throw new NdrError(NdrErrorCode.BAD_COUNT, `PropertyTagArray_r: ${actual} tags cannot fit`, r.pos);
    ctx.addElements(actual, r);
    const aulPropTag = new Array<number>(actual);
    for (let i = 0; i < actual; i++) aulPropTag[i] = r.u32();
    return { cValues: actual, aulPropTag };
  },
});
/** impacket 0.10's hNspiGetProps helper: [unique] pStat and the off-by-one pPropTags. */
export const NspiGetProps_in_impacketHelper = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  pStat: ndr.unique(STAT),
  pPropTags: ndr.unique(PropertyTagArray_r_impacketGetProps),
});

// MS-OXNSPI 3.1.4.1.12 NspiCompareMIds (opnum 10)
export const NspiCompareMIds_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  pStat: ndr.ref(STAT),
  MId1: ndr.u32,
  MId2: ndr.u32,
});
export const NspiCompareMIds_out = ndr.params({ plResult: ndr.ref(ndr.i32), result });

// MS-OXNSPI 3.1.4.1.14 NspiModProps (opnum 11)
export const NspiModProps_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  pStat: ndr.ref(STAT),
  pPropTags: ndr.unique(PropertyTagArray_r),
  pRow: ndr.ref(PropertyRow_r),
});
export const NspiModProps_out = ndr.params({ result });

// MS-OXNSPI 3.1.4.1.3 NspiGetSpecialTable (opnum 12)
export const NspiGetSpecialTable_in = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  pStat: ndr.ref(STAT),
  lpVersion: ndr.ref(ndr.u32),
});
export const NspiGetSpecialTable_out = ndr.params({ lpVersion: ndr.ref(ndr.u32), ppRows: outRows, result });
/** impacket 0.10's NspiGetSpecialTable: pStat and lpVersion as [unique] pointers. */
export const NspiGetSpecialTable_in_impacket = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  pStat: ndr.unique(STAT),
  lpVersion: ndr.unique(ndr.u32),
});

// MS-OXNSPI 3.1.4.1.18 NspiGetTemplateInfo (opnum 13)
export const NspiGetTemplateInfo_in = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  ulType: ndr.u32,
  pDN: ndr.unique(ndr.stringBytes()),
  dwCodePage: ndr.u32,
  dwLocaleID: ndr.u32,
});
export const NspiGetTemplateInfo_out = ndr.params({ ppData: outRow, result });

// MS-OXNSPI 3.1.4.1.15 NspiModLinkAtt (opnum 14)
export const NspiModLinkAtt_in = ndr.params({
  hRpc: NSPI_HANDLE,
  dwFlags: ndr.u32,
  ulPropTag: ndr.u32,
  dwMId: ndr.u32,
  lpEntryIds: ndr.ref(BinaryArray_r),
});
export const NspiModLinkAtt_out = ndr.params({ result });

// MS-OXNSPI 3.1.4.1.5 NspiQueryColumns (opnum 16)
export const NspiQueryColumns_in = ndr.params({ hRpc: NSPI_HANDLE, Reserved: ndr.u32, dwFlags: ndr.u32 });
export const NspiQueryColumns_out = ndr.params({ ppColumns: outMIds, result });

// MS-NSPI 3.1.4.16 NspiGetNamesFromIDs (opnum 17; "not used on wire" in MS-OXNSPI, served as Windows defines it)
export const NspiGetNamesFromIDs_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  lpguid: ndr.unique(FlatUID_r),
  pPropTags: ndr.unique(PropertyTagArray_r),
});
export const NspiGetNamesFromIDs_out = ndr.params({
  ppReturnedPropTags: outMIds,
  ppNames: ndr.ref(ndr.unique(PropertyNameSet_r)),
  result,
});

// MS-NSPI 3.1.4.17 NspiGetIDsFromNames (opnum 18; likewise)
export const NspiGetIDsFromNames_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  dwFlags: ndr.u32,
  cPropNames: ndr.range(ndr.u32, 0, NSPI_MAX_VALUES),
  pNames: ndr.ref(ndr.conformantArray(ndr.unique(PropertyName_r), { sizeIs: 'cPropNames' })),
});
export const NspiGetIDsFromNames_out = ndr.params({ ppPropTags: outMIds, result });

// MS-OXNSPI 3.1.4.1.16 NspiResolveNames (opnum 19)
export const NspiResolveNames_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  pStat: ndr.ref(STAT),
  pPropTags: ndr.unique(PropertyTagArray_r),
  paStr: ndr.ref(StringsArray_r),
});
export const NspiResolveNames_out = ndr.params({ ppMIds: outMIds, ppRows: outRows, result });

// MS-OXNSPI 3.1.4.1.17 NspiResolveNamesW (opnum 20)
export const NspiResolveNamesW_in = ndr.params({
  hRpc: NSPI_HANDLE,
  Reserved: ndr.u32,
  pStat: ndr.ref(STAT),
  pPropTags: ndr.unique(PropertyTagArray_r),
  paWStr: ndr.ref(WStringsArray_r),
});
export const NspiResolveNamesW_out = ndr.params({ ppMIds: outMIds, ppRows: outRows, result });

// ---- request codecs with the client variants ------------------------------------------------------------------

/** MS-RPCE 2.2.2.13 rpc_sec_verification_trailer signature, which may follow a request's stub (4-aligned). */
const VERIFICATION_TRAILER = Buffer.from('8ae3137102f43671', 'hex');

/** True when the stub holds nothing after `consumed` but (possibly) a verification trailer. */
export function endsAt(stub: Uint8Array, consumed: number): boolean {
  if (consumed === stub.length) return true;
  const at = (consumed + 3) & ~3;
  if (at + 8 > stub.length) return false;
  return Buffer.from(stub.buffer, stub.byteOffset + at, 8).equals(VERIFICATION_TRAILER);
}

/** The error for a stub whose parameters end before it does (and not at a verification trailer). */
function leftOver(name: string, stub: Uint8Array, consumed: number): NdrError {
  return new NdrError(
    NdrErrorCode.TRAILING_BYTES,
    `${name}: ${stub.length - consumed} bytes after the parameters are not a verification trailer`,
    consumed,
  );
}

type DecodesWithLength<T> = StubCodec<T> & { decodeWithLength(stub: Uint8Array, opts?: DecodeOptions): DecodeResult<T> };

/**
 * A request codec that reads the stub to its end (up to a verification trailer) or fails with NdrError
 * OC_NDR_TRAILING_BYTES (the dcerpc layer answers nca_s_fault_ndr): a request that left bytes unread was not what
 * the schema read.
 */
export function exactRequest<T>(name: string, codec: DecodesWithLength<T>): DecodesWithLength<T> {
  const decodeWithLength = (stub: Uint8Array, opts?: DecodeOptions): DecodeResult<T> => {
    const r = codec.decodeWithLength(stub, opts);
    if (!endsAt(stub, r.length)) throw leftOver(name, stub, r.length);
    return r;
  };
  return {
    encode: (value: T, opts?: { firstFullPointerId?: number }) => codec.encode(value, opts),
    decode: (stub: Uint8Array, opts?: DecodeOptions) => decodeWithLength(stub, opts).value,
    decodeWithLength,
  };
}

/** Another marshalling of an operation's parameters, and how its value becomes the spec's. */
export interface RequestVariant<T, V> {
  readonly type: NdrType<V>;
  readonly convert: (v: V) => T;
}

/**
 * A request codec for an operation some client marshals differently: the spec's form when it reads the stub to its
 * end (up to a verification trailer), else the first variant that does, converted; a stub no form reads exactly is
 * an NdrError (the spec form's own error, or OC_NDR_TRAILING_BYTES), never a partial read. Encodes the spec's form.
 */
export class VariantRequestCodec<T> implements StubCodec<T> {
  readonly variants: ReadonlyArray<RequestVariant<T, unknown>>;

  constructor(
    readonly name: string,
    readonly strict: NdrType<T>,
    ...variants: Array<RequestVariant<T, never>>
  ) {
    this.variants = variants as unknown as ReadonlyArray<RequestVariant<T, unknown>>;
  }

  encode(value: T, opts?: { firstFullPointerId?: number }): Buffer {
    return this.strict.encode(value, opts);
  }

  decode(stub: Uint8Array, opts?: DecodeOptions): T {
    return this.decodeWithLength(stub, opts).value;
  }

  decodeWithLength(stub: Uint8Array, opts?: DecodeOptions): DecodeResult<T> {
    let strictError: unknown = null;
    let strictLength = 0;
    try {
      const strict = this.strict.decodeWithLength(stub, opts);
      if (endsAt(stub, strict.length)) return strict;
      strictLength = strict.length;
    } catch (e) {
      strictError = e;
    }
    for (const { type, convert } of this.variants) {
      try {
        const v = type.decodeWithLength(stub, opts);
        if (endsAt(stub, v.length)) return { value: convert(v.value), length: v.length, maxFullPointerId: v.maxFullPointerId };
      } catch {
        // not this variant either
      }
    }
    throw strictError ?? leftOver(this.name, stub, strictLength);
  }
}

/** Default STAT of a NULL pStat from impacket (NspiGetSpecialTable ignores most of it). */
const NULL_STAT: STAT = {
  SortType: 0,
  ContainerID: 0,
  CurrentRec: 0,
  Delta: 0,
  NumPos: 0,
  TotalRecs: 0,
  CodePage: 0,
  TemplateLocale: 0,
  SortLocale: 0,
};

function variant<T, V>(type: NdrType<V>, convert: (v: V) => T): RequestVariant<T, never> {
  return { type, convert } as unknown as RequestVariant<T, never>;
}

export const NspiGetSpecialTable_request = new VariantRequestCodec<NspiGetSpecialTable_in>(
  'NspiGetSpecialTable',
  NspiGetSpecialTable_in,
  variant(NspiGetSpecialTable_in_impacket, (v) => ({
    hRpc: v.hRpc,
    dwFlags: v.dwFlags,
    pStat: v.pStat ?? NULL_STAT,
    lpVersion: v.lpVersion ?? 0,
  })),
);

const fromImpacketGetProps = (v: Infer<typeof NspiGetProps_in_impacket>): NspiGetProps_in => ({
  hRpc: v.hRpc,
  dwFlags: v.dwFlags,
  pStat: v.pStat ?? NULL_STAT,
  pPropTags: v.pPropTags,
});

export const NspiGetProps_request = new VariantRequestCodec<NspiGetProps_in>(
  'NspiGetProps',
  NspiGetProps_in,
  variant(NspiGetProps_in_impacket, fromImpacketGetProps),
  variant(NspiGetProps_in_impacketHelper, fromImpacketGetProps),
);

/**
 * NspiGetMatches' request: like NspiGetMatches_in, but a Filter nested deeper than RESTRICTION_MAX_DEPTH gives
 * `filterTooComplex: true` (Filter, lpPropName and pPropTags null, ulRequested 0, the parameters before Filter
 * decoded) instead of an error, so that the handler can answer TooComplex as MS-OXNSPI 3.1.4.1.10 requires.
 */
export type NspiGetMatchesRequest = Infer<typeof NspiGetMatches_in> & { filterTooComplex?: boolean };

function decodeGetMatches(stub: Uint8Array, opts?: DecodeOptions): DecodeResult<NspiGetMatchesRequest> {
  try {
    return NspiGetMatches_in.decodeWithLength(stub, opts);
  } catch (e) {
    if (!isRestrictionTooDeep(e)) throw e;
    const head = NspiGetMatches_head.decodeWithLength(stub, opts);
    return {
      value: { ...head.value, Filter: null, lpPropName: null, ulRequested: 0, pPropTags: null, filterTooComplex: true },
      length: stub.length,
      maxFullPointerId: 0,
    };
  }
}

export const NspiGetMatches_request = {
  encode(value: NspiGetMatchesRequest, opts?: { firstFullPointerId?: number }): Buffer {
    const { filterTooComplex: _ignored, ...wire } = value;
    return NspiGetMatches_in.encode(wire, opts);
  },
  decode: (stub: Uint8Array, opts?: DecodeOptions): NspiGetMatchesRequest => decodeGetMatches(stub, opts).value,
  decodeWithLength: decodeGetMatches,
} satisfies StubCodec<NspiGetMatchesRequest>;

/** One NSPI operation's wire side: what the interface module completes with a handler. */
export interface NspiOpWire<Req, Res> {
  readonly name: string;
  readonly request: StubCodec<Req>;
  readonly response: NdrType<Res>;
}

/** An opnum's wire side; a plain schema is made to read the whole stub (exactRequest). */
function wire<Req, Res>(name: string, request: DecodesWithLength<Req>, response: NdrType<Res>): NspiOpWire<Req, Res> {
  return { name, request: request instanceof VariantRequestCodec ? request : exactRequest(name, request), response };
}

/** NSPI opnums 0-20 (15 is not used on the wire). */
export const NSPI_OPS = {
  0: wire('NspiBind', NspiBind_in, NspiBind_out),
  1: wire('NspiUnbind', NspiUnbind_in, NspiUnbind_out),
  2: wire('NspiUpdateStat', NspiUpdateStat_in, NspiUpdateStat_out),
  3: wire('NspiQueryRows', NspiQueryRows_in, NspiQueryRows_out),
  4: wire('NspiSeekEntries', NspiSeekEntries_in, NspiSeekEntries_out),
  5: wire('NspiGetMatches', NspiGetMatches_request, NspiGetMatches_out),
  6: wire('NspiResortRestriction', NspiResortRestriction_in, NspiResortRestriction_out),
  7: wire('NspiDNToMId', NspiDNToMId_in, NspiDNToMId_out),
  8: wire('NspiGetPropList', NspiGetPropList_in, NspiGetPropList_out),
  9: wire('NspiGetProps', NspiGetProps_request, NspiGetProps_out),
  10: wire('NspiCompareMIds', NspiCompareMIds_in, NspiCompareMIds_out),
  11: wire('NspiModProps', NspiModProps_in, NspiModProps_out),
  12: wire('NspiGetSpecialTable', NspiGetSpecialTable_request, NspiGetSpecialTable_out),
  13: wire('NspiGetTemplateInfo', NspiGetTemplateInfo_in, NspiGetTemplateInfo_out),
  14: wire('NspiModLinkAtt', NspiModLinkAtt_in, NspiModLinkAtt_out),
  16: wire('NspiQueryColumns', NspiQueryColumns_in, NspiQueryColumns_out),
  17: wire('NspiGetNamesFromIDs', NspiGetNamesFromIDs_in, NspiGetNamesFromIDs_out),
  18: wire('NspiGetIDsFromNames', NspiGetIDsFromNames_in, NspiGetIDsFromNames_out),
  19: wire('NspiResolveNames', NspiResolveNames_in, NspiResolveNames_out),
  20: wire('NspiResolveNamesW', NspiResolveNamesW_in, NspiResolveNamesW_out),
} as const;

// TS types of the parameter lists
export type NspiBind_in = Infer<typeof NspiBind_in>;
export type NspiBind_out = Infer<typeof NspiBind_out>;
export type NspiUnbind_in = Infer<typeof NspiUnbind_in>;
export type NspiUnbind_out = Infer<typeof NspiUnbind_out>;
export type NspiUpdateStat_in = Infer<typeof NspiUpdateStat_in>;
export type NspiUpdateStat_out = Infer<typeof NspiUpdateStat_out>;
export type NspiQueryRows_in = Infer<typeof NspiQueryRows_in>;
export type NspiQueryRows_out = Infer<typeof NspiQueryRows_out>;
export type NspiSeekEntries_in = Infer<typeof NspiSeekEntries_in>;
export type NspiSeekEntries_out = Infer<typeof NspiSeekEntries_out>;
export type NspiGetMatches_in = Infer<typeof NspiGetMatches_in>;
export type NspiGetMatches_out = Infer<typeof NspiGetMatches_out>;
export type NspiResortRestriction_in = Infer<typeof NspiResortRestriction_in>;
export type NspiResortRestriction_out = Infer<typeof NspiResortRestriction_out>;
export type NspiDNToMId_in = Infer<typeof NspiDNToMId_in>;
export type NspiDNToMId_out = Infer<typeof NspiDNToMId_out>;
export type NspiGetPropList_in = Infer<typeof NspiGetPropList_in>;
export type NspiGetPropList_out = Infer<typeof NspiGetPropList_out>;
export type NspiGetProps_in = Infer<typeof NspiGetProps_in>;
export type NspiGetProps_out = Infer<typeof NspiGetProps_out>;
export type NspiCompareMIds_in = Infer<typeof NspiCompareMIds_in>;
export type NspiCompareMIds_out = Infer<typeof NspiCompareMIds_out>;
export type NspiModProps_in = Infer<typeof NspiModProps_in>;
export type NspiModProps_out = Infer<typeof NspiModProps_out>;
export type NspiGetSpecialTable_in = Infer<typeof NspiGetSpecialTable_in>;
export type NspiGetSpecialTable_out = Infer<typeof NspiGetSpecialTable_out>;
export type NspiGetTemplateInfo_in = Infer<typeof NspiGetTemplateInfo_in>;
export type NspiGetTemplateInfo_out = Infer<typeof NspiGetTemplateInfo_out>;
export type NspiModLinkAtt_in = Infer<typeof NspiModLinkAtt_in>;
export type NspiModLinkAtt_out = Infer<typeof NspiModLinkAtt_out>;
export type NspiQueryColumns_in = Infer<typeof NspiQueryColumns_in>;
export type NspiQueryColumns_out = Infer<typeof NspiQueryColumns_out>;
export type NspiGetNamesFromIDs_in = Infer<typeof NspiGetNamesFromIDs_in>;
export type NspiGetNamesFromIDs_out = Infer<typeof NspiGetNamesFromIDs_out>;
export type NspiGetIDsFromNames_in = Infer<typeof NspiGetIDsFromNames_in>;
export type NspiGetIDsFromNames_out = Infer<typeof NspiGetIDsFromNames_out>;
export type NspiResolveNames_in = Infer<typeof NspiResolveNames_in>;
export type NspiResolveNames_out = Infer<typeof NspiResolveNames_out>;
export type NspiResolveNamesW_in = Infer<typeof NspiResolveNamesW_in>;
export type NspiResolveNamesW_out = Infer<typeof NspiResolveNamesW_out>;
