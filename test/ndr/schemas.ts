// Schemas of real structures used by the NDR fixture and property tests: the server's own epm/mgmt schemas, and
// NSPI structures following MS-OXNSPI 2.3 / 6 (until the NSPI interface module owns them).
import { ndr, type Infer, type NdrType } from '../../src/ndr/index.js';

// The endpoint mapper and mgmt schemas the server itself uses (C706 App. O/Q): the fixtures check them.
export { ept_entry_t, ept_lookup_out, ept_map_in, ept_map_out, rpc_if_id_t, twr_t } from '../../src/epm/idl.js';
export { inq_if_ids_out } from '../../src/epm/mgmt.js';

// MS-OXNSPI 2.3.7 STAT
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

// MS-OXNSPI 2.3.1.x
const FILETIME = ndr.struct('FILETIME', { dwLowDateTime: ndr.u32, dwHighDateTime: ndr.u32 });
export const Binary_r = ndr.struct('Binary_r', { cb: ndr.u32, lpb: ndr.unique(ndr.conformantBytes({ sizeIs: 'cb' })) });

export const PROP_VAL_UNION = ndr.union({
  name: 'PROP_VAL_UNION',
  switchType: ndr.i32,
  switchIs: (p: { ulPropTag: number }) => p.ulPropTag & 0xffff,
  arms: {
    0x0002: ndr.i16,
    0x0003: ndr.i32,
    0x000b: ndr.u16,
    0x001e: ndr.unique(ndr.string()),
    0x0102: Binary_r,
    0x001f: ndr.unique(ndr.wstring()),
    0x0048: ndr.unique(ndr.guid),
    0x0040: FILETIME,
    0x000a: ndr.u32,
    0x1002: ndr.struct('ShortArray_r', { cValues: ndr.u32, lpi: ndr.unique(ndr.conformantArray(ndr.i16, { sizeIs: 'cValues' })) }),
    0x1003: ndr.struct('LongArray_r', { cValues: ndr.u32, lpl: ndr.unique(ndr.conformantArray(ndr.i32, { sizeIs: 'cValues' })) }),
    0x101e: ndr.struct('StringArray_r', {
      cValues: ndr.u32,
      lppszA: ndr.unique(ndr.conformantArray(ndr.unique(ndr.string()), { sizeIs: 'cValues' })),
    }),
    0x1102: ndr.struct('BinaryArray_r', { cValues: ndr.u32, lpbin: ndr.unique(ndr.conformantArray(Binary_r, { sizeIs: 'cValues' })) }),
    0x1048: ndr.struct('FlatUIDArray_r', {
      cValues: ndr.u32,
      lpguid: ndr.unique(ndr.conformantArray(ndr.unique(ndr.guid), { sizeIs: 'cValues' })),
    }),
    0x101f: ndr.struct('WStringArray_r', {
      cValues: ndr.u32,
      lppszW: ndr.unique(ndr.conformantArray(ndr.unique(ndr.wstring()), { sizeIs: 'cValues' })),
    }),
    0x1040: ndr.struct('DateTimeArray_r', { cValues: ndr.u32, lpft: ndr.unique(ndr.conformantArray(FILETIME, { sizeIs: 'cValues' })) }),
    0x0001: ndr.i32,
    0x000d: ndr.i32,
    0x0000: ndr.i32,
  },
});

export const PropertyValue_r = ndr.struct('PropertyValue_r', {
  ulPropTag: ndr.u32,
  ulReserved: ndr.u32,
  Value: PROP_VAL_UNION,
});
export type PropertyValue_r = Infer<typeof PropertyValue_r>;

export const PropertyRow_r = ndr.struct('PropertyRow_r', {
  Reserved: ndr.u32,
  cValues: ndr.u32,
  lpProps: ndr.unique(ndr.conformantArray(PropertyValue_r, { sizeIs: 'cValues' })),
});

export const PropertyRowSet_r = ndr.struct('PropertyRowSet_r', {
  cRows: ndr.u32,
  aRow: ndr.conformantArray(PropertyRow_r, { sizeIs: 'cRows' }),
});

// MS-OXNSPI 2.3.4 restrictions (recursive through pointers)
export type Restriction_r = { rt: number; res: { tag: number; value: unknown } };
const Res = ndr.lazy((): NdrType<Restriction_r> => Restriction_r);
const AndOr = ndr.struct('AndRestriction_r', { cRes: ndr.u32, lpRes: ndr.unique(ndr.conformantArray(Res, { sizeIs: 'cRes' })) });
export const RestrictionUnion_r = ndr.union({
  name: 'RestrictionUnion_r',
  switchType: ndr.i32,
  switchIs: 'rt',
  arms: {
    0: AndOr,
    1: AndOr,
    2: ndr.struct('NotRestriction_r', { lpRes: ndr.unique(Res) }),
    3: ndr.struct('ContentRestriction_r', { ulFuzzyLevel: ndr.u32, ulPropTag: ndr.u32, lpProp: ndr.unique(PropertyValue_r) }),
    4: ndr.struct('PropertyRestriction_r', { relop: ndr.u32, ulPropTag: ndr.u32, lpProp: ndr.unique(PropertyValue_r) }),
    5: ndr.struct('ComparePropsRestriction_r', { relop: ndr.u32, ulPropTag1: ndr.u32, ulPropTag2: ndr.u32 }),
    6: ndr.struct('BitMaskRestriction_r', { relBMR: ndr.u32, ulPropTag: ndr.u32, ulMask: ndr.u32 }),
    7: ndr.struct('SizeRestriction_r', { relop: ndr.u32, ulPropTag: ndr.u32, cb: ndr.u32 }),
    8: ndr.struct('ExistRestriction_r', { ulReserved1: ndr.u32, ulPropTag: ndr.u32, ulReserved2: ndr.u32 }),
    9: ndr.struct('SubRestriction_r', { ulSubObject: ndr.u32, lpRes: ndr.unique(Res) }),
  },
});
export const Restriction_r: NdrType<Restriction_r> = ndr.struct('Restriction_r', {
  rt: ndr.u32,
  res: RestrictionUnion_r,
}) as unknown as NdrType<Restriction_r>;

// Samba rpcecho.idl (librpc/idl/echo.idl): a [switch_type(uint16)] union whose arms need 1..8-byte alignment
const echo_info1 = ndr.struct('echo_info1', { v: ndr.u8 });
const echo_info4 = ndr.struct('echo_info4', { v: ndr.hyper });
export const echo_Info = ndr.union({
  name: 'echo_Info',
  switchType: ndr.u16,
  switchIs: 'level',
  arms: {
    1: echo_info1,
    2: ndr.struct('echo_info2', { v: ndr.u16 }),
    3: ndr.struct('echo_info3', { v: ndr.u32 }),
    4: echo_info4,
    5: ndr.struct('echo_info5', { v1: ndr.u8, v2: ndr.hyper }),
    6: ndr.struct('echo_info6', { v1: ndr.u8, info1: echo_info1 }),
    7: ndr.struct('echo_info7', { v1: ndr.u8, info4: echo_info4 }),
  },
});
export const echo_TestCall2_out = ndr.params({ level: ndr.virtual(), info: ndr.ref(echo_Info), result: ndr.u32 });
export const echo_SourceData_out = ndr.params({ len: ndr.virtual(), data: ndr.conformantBytes({ sizeIs: 'len' }) });
export const echo_TestSurrounding_in = ndr.params({
  data: ndr.ref(ndr.struct('echo_Surrounding', { x: ndr.u32, surrounding: ndr.conformantArray(ndr.u16, { sizeIs: 'x' }) })),
});
export const echo_EchoData_in = ndr.params({ len: ndr.u32, in_data: ndr.conformantBytes({ sizeIs: 'len' }) });
