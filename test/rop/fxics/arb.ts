// fast-check generators of FastTransfer stream elements whose values survive an encode/parse round trip exactly
// (strings 'keep', code page 1252).
import fc from 'fast-check';
import { MV_FLAG, PT, makeTag, type PropValue } from '../../../src/mapi/props.js';
import type { PropertyName } from '../../../src/mapi/named.js';
import { Marker, MetaTag, isMarker } from '../../../src/rop/fxics/markers.js';
import type { FxElement, FxProp } from '../../../src/rop/fxics/props.js';

const noNul = (s: string): boolean => !s.includes('\0');
const str16 = fc.string({ unit: 'grapheme', maxLength: 40 }).filter(noNul);
const str8 = fc.string({ unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u));

const singles: Record<number, fc.Arbitrary<PropValue>> = {
  [PT.I2]: fc.integer({ min: -32768, max: 32767 }),
  [PT.LONG]: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  [PT.ERROR]: fc.integer({ min: 0, max: 0xffffffff }),
  [PT.R4]: fc.float({ noNaN: true }).map((x) => Math.fround(x)),
  [PT.DOUBLE]: fc.double({ noNaN: true }),
  [PT.APPTIME]: fc.double({ noNaN: true }),
  [PT.CURRENCY]: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  [PT.I8]: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  [PT.SYSTIME]: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  [PT.BOOLEAN]: fc.boolean(),
  [PT.CLSID]: fc.uuid(),
  [PT.UNICODE]: str16,
  [PT.STRING8]: str8,
  [PT.BINARY]: bytes,
  [PT.SVREID]: bytes,
  [PT.OBJECT]: bytes,
};
const MV_OK = [PT.I2, PT.LONG, PT.R4, PT.DOUBLE, PT.CURRENCY, PT.APPTIME, PT.I8, PT.SYSTIME, PT.CLSID, PT.UNICODE, PT.STRING8, PT.BINARY];

export const arbType: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...Object.keys(singles).map(Number)),
  fc.constantFrom(...MV_OK.map((t) => t | MV_FLAG)),
);

export function arbValue(type: number): fc.Arbitrary<PropValue> {
  if (type & MV_FLAG) return fc.array(singles[type & ~MV_FLAG] as fc.Arbitrary<PropValue>, { maxLength: 6 }) as fc.Arbitrary<PropValue>;
  return singles[type] as fc.Arbitrary<PropValue>;
}

export const arbName: fc.Arbitrary<PropertyName> = fc.oneof(
  fc.record({ guid: fc.uuid(), lid: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ guid: fc.uuid(), name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter(noNul) }),
);

export const arbProp: fc.Arbitrary<FxProp> = fc
  .tuple(arbType, fc.integer({ min: 1, max: 0xfffe }), fc.boolean())
  .filter(([type, id]) => !isMarker(makeTag(id, type)))
  .chain(([type, id]) =>
    fc.tuple(arbValue(type), id >= 0x8000 ? arbName.map((n) => n as PropertyName | undefined) : fc.constant(undefined)).map(([value, name]) => {
      const el: FxProp = { kind: 'prop', tag: makeTag(id, type), value };
      if (name) el.name = name;
      return el;
    }),
  );

const arbMeta: fc.Arbitrary<FxProp> = fc.oneof(
  bytes.map((b): FxProp => ({ kind: 'prop', tag: MetaTag.MetaTagIdsetGiven, value: b })),
  bytes.map((b): FxProp => ({ kind: 'prop', tag: MetaTag.MetaTagCnsetSeen, value: b })),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((v): FxProp => ({ kind: 'prop', tag: MetaTag.MetaTagFXDelProp, value: v })),
);

export const arbMarker: fc.Arbitrary<FxElement> = fc.constantFrom(...Object.values(Marker)).map((tag) => ({ kind: 'marker' as const, tag }));

export const arbElement: fc.Arbitrary<FxElement> = fc.oneof({ arbitrary: arbProp, weight: 4 }, { arbitrary: arbMarker, weight: 2 }, { arbitrary: arbMeta, weight: 1 });

export const arbElements: fc.Arbitrary<FxElement[]> = fc.array(arbElement, { maxLength: 25 });
