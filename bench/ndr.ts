// NDR engine throughput on an NSPI-like PropertyRowSet_r (MS-OXNSPI 2.3.3): 100 rows x 10 mixed properties
// (Unicode and 8-bit strings, binaries, integers, a boolean, a FILETIME, a multi-valued string).
import { inq_if_ids_out } from '../src/epm/mgmt.js';
import { ndr, type Infer } from '../src/ndr/index.js';

// MS-OXNSPI 2.3.1 / 2.3.2 / 2.3.3 (the subset of PROP_VAL_UNION arms the sample uses, plus a few more)
const FILETIME = ndr.struct('FILETIME', { dwLowDateTime: ndr.u32, dwHighDateTime: ndr.u32 });
const Binary_r = ndr.struct('Binary_r', { cb: ndr.u32, lpb: ndr.unique(ndr.conformantBytes({ sizeIs: 'cb' })) });
const PROP_VAL_UNION = ndr.union({
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
    0x1003: ndr.struct('LongArray_r', { cValues: ndr.u32, lpl: ndr.unique(ndr.conformantArray(ndr.i32, { sizeIs: 'cValues' })) }),
    0x101f: ndr.struct('WStringArray_r', {
      cValues: ndr.u32,
      lppszW: ndr.unique(ndr.conformantArray(ndr.unique(ndr.wstring()), { sizeIs: 'cValues' })),
    }),
    0x1102: ndr.struct('BinaryArray_r', { cValues: ndr.u32, lpbin: ndr.unique(ndr.conformantArray(Binary_r, { sizeIs: 'cValues' })) }),
  },
});
const PropertyValue_r = ndr.struct('PropertyValue_r', { ulPropTag: ndr.u32, ulReserved: ndr.u32, Value: PROP_VAL_UNION });
const PropertyRow_r = ndr.struct('PropertyRow_r', {
  Reserved: ndr.u32,
  cValues: ndr.u32,
  lpProps: ndr.unique(ndr.conformantArray(PropertyValue_r, { sizeIs: 'cValues' })),
});
const PropertyRowSet_r = ndr.struct('PropertyRowSet_r', {
  cRows: ndr.u32,
  aRow: ndr.conformantArray(PropertyRow_r, { sizeIs: 'cRows' }),
});
type RowSet = Infer<typeof PropertyRowSet_r>;
type PV = Infer<typeof PropertyValue_r>;

function sampleRowSet(rows: number): RowSet {
  const aRow: RowSet['aRow'] = [];
  for (let i = 0; i < rows; i++) {
    const name = `User Number ${i} Müller`;
    const entryId = Buffer.alloc(64, i & 0xff);
    const props: PV[] = [
      { ulPropTag: 0x3001001f, ulReserved: 0, Value: { tag: 0x001f, value: name } },
      { ulPropTag: 0x39fe001f, ulReserved: 0, Value: { tag: 0x001f, value: `user${i}@example.com` } },
      { ulPropTag: 0x3003001e, ulReserved: 0, Value: { tag: 0x001e, value: `/o=Example/ou=Exchange/cn=Recipients/cn=user${i}` } },
      { ulPropTag: 0x0fff0102, ulReserved: 0, Value: { tag: 0x0102, value: { cb: entryId.length, lpb: entryId } } },
      { ulPropTag: 0x39000003, ulReserved: 0, Value: { tag: 0x0003, value: 0 } },
      { ulPropTag: 0x0ffe0003, ulReserved: 0, Value: { tag: 0x0003, value: 6 } },
      { ulPropTag: 0x3a40000b, ulReserved: 0, Value: { tag: 0x000b, value: 1 } },
      { ulPropTag: 0x30070040, ulReserved: 0, Value: { tag: 0x0040, value: { dwLowDateTime: 0x11223344 + i, dwHighDateTime: 0x01d9aabb } } },
      {
        ulPropTag: 0x800f101f,
        ulReserved: 0,
        Value: { tag: 0x101f, value: { cValues: 2, lppszW: [`SMTP:user${i}@example.com`, `X500:/o=Example/cn=user${i}`] } },
      },
      { ulPropTag: 0x3a06001f, ulReserved: 0, Value: { tag: 0x001f, value: 'Given' } },
    ];
    aRow.push({ Reserved: 0, cValues: props.length, lpProps: props });
  }
  return { cRows: rows, aRow };
}

/** Runs fn repeatedly for about `ms` milliseconds; returns calls per second. */
function rate(fn: () => void, ms: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

export async function benchNdr(): Promise<Array<{ name: string; value: number; unit: string }>> {
  const value = sampleRowSet(100);
  const bytes = PropertyRowSet_r.encode(value);
  const mb = bytes.length / 1e6;
  let sink = 0;
  const enc = () => {
    sink += PropertyRowSet_r.encode(value).length;
  };
  const dec = () => {
    sink += PropertyRowSet_r.decode(bytes).cRows;
  };
  rate(enc, 300); // warm-up
  rate(dec, 300);
  const encRate = rate(enc, 1000);
  const decRate = rate(dec, 1000);
  // A tiny stub, as most calls have: per-encode overhead rather than throughput.
  const ifIds = {
    if_id_vector: {
      count: 2,
      if_id: [
        { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', vers_major: 3, vers_minor: 0 },
        { uuid: 'afa8bd80-7d8a-11c9-bef4-08002b102989', vers_major: 1, vers_minor: 0 },
      ],
    },
    status: 0,
  };
  const small = () => {
    sink += inq_if_ids_out.encode(ifIds, { firstFullPointerId: 1 }).length;
  };
  rate(small, 300);
  const smallRate = rate(small, 1000);
  if (sink === 0) throw new Error('unreachable');
  return [
    { name: 'ndr PropertyRowSet_r stub size (100 rows x 10 props)', value: bytes.length, unit: 'bytes' },
    { name: 'ndr decode PropertyRowSet_r', value: Math.round(decRate * mb * 10) / 10, unit: 'MB/s' },
    { name: 'ndr encode PropertyRowSet_r', value: Math.round(encRate * mb * 10) / 10, unit: 'MB/s' },
    { name: 'ndr decode PropertyRowSet_r', value: Math.round(decRate * 100), unit: 'rows/s' },
    { name: 'ndr encode PropertyRowSet_r', value: Math.round(encRate * 100), unit: 'rows/s' },
    { name: 'ndr encode mgmt inq_if_ids response (2 ids, 64 bytes)', value: Math.round(1e9 / smallRate), unit: 'ns' },
  ];
}
