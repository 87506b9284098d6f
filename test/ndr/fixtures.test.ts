// Byte-exact fixtures from independent implementations (impacket, cross-checked with Samba where it has the
// IDL): decode(hex) deep-equals the value and encode(value) reproduces the hex. Regenerate with
// /usr/bin/python3 test/ndr/gen_fixtures.py.
import { describe, expect, it } from 'vitest';
import type { NdrType } from '../../src/ndr/index.js';
import { loadFixtures } from './helpers.js';
import * as S from './schemas.js';

const schemas: Record<string, NdrType<unknown>> = {
  ept_map_in: S.ept_map_in,
  ept_map_out: S.ept_map_out,
  ept_lookup_out: S.ept_lookup_out,
  inq_if_ids_out: S.inq_if_ids_out,
  STAT: S.STAT,
  PropertyRow_r: S.PropertyRow_r,
  PropertyRowSet_r: S.PropertyRowSet_r,
  Restriction_r: S.Restriction_r,
  echo_TestCall2_out: S.echo_TestCall2_out,
  echo_SourceData_out: S.echo_SourceData_out,
  echo_TestSurrounding_in: S.echo_TestSurrounding_in,
  echo_EchoData_in: S.echo_EchoData_in,
};

const fixtures = loadFixtures();

describe('NDR fixtures from impacket / Samba', () => {
  it('has the fixtures the generator writes', () => {
    expect([...new Set(fixtures.map((f) => f.schema))].sort()).toEqual(Object.keys(schemas).sort());
  });
  for (const f of fixtures) {
    describe(`${f.file} (${f.source})`, () => {
      const t = schemas[f.schema] as NdrType<unknown>;
      const bytes = Buffer.from(f.hex, 'hex');
      it('decodes to the value', () => {
        const { value, length } = t.decodeWithLength(bytes);
        expect(value).toEqual(f.value);
        expect(length).toBe(bytes.length);
      });
      it('encodes to the bytes', () => {
        expect(t.encode(f.value).toString('hex')).toBe(f.hex);
      });
      it('ignores trailing bytes (verification trailer) and reports the consumed length', () => {
        const withTrailer = Buffer.concat([bytes, Buffer.from('8a e3 13 71 02 f4 36 71'.replace(/ /g, ''), 'hex')]);
        const { value, length } = t.decodeWithLength(withTrailer);
        expect(value).toEqual(f.value);
        expect(length).toBe(bytes.length);
      });
      it('refuses every truncation with a coded error', () => {
        for (let n = 0; n < bytes.length; n++) {
          let err: unknown;
          try {
            t.decode(bytes.subarray(0, n));
          } catch (e) {
            err = e;
          }
          expect((err as { code?: string } | undefined)?.code).toMatch(/^OC_NDR_/);
        }
      });
    });
  }
});
