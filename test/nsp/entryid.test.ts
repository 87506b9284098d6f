// src/nsp/entryid.ts: MS-OXNSPI 2.2.9 entry IDs, checked against the layouts impacket 0.10 builds
// (nspi.EphemeralEntryID / PermanentEntryID, bytes below) and with hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GUID_NSPI,
  MAX_ENTRYID_DN,
  decodeEntryId,
  encodeEphemeralEntryId,
  encodePermanentEntryId,
  isAddressBookEntryId,
} from '../../src/nsp/entryid.js';
import { isOcError } from '../../src/util/errors.js';

const SERVER = '868bbcab-3379-48c4-a1ef-1b53e63bdc46';
const DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=zoe';

describe('EphemeralEntryID (MS-OXNSPI 2.2.9.2)', () => {
  it('is 0x87, three zero bytes, the server GUID, R4 = 1, the display type and the MId', () => {
    const b = encodeEphemeralEntryId({ providerUid: SERVER, displayType: 0, mid: 0x1011 });
    // impacket: EphemeralEntryID(IDType=0x87, ProviderUID=<server GUID bytes>, R4=1, DisplayType=0, MId=0x1011)
    expect(b.toString('hex')).toBe('87000000' + 'abbc8b867933c448a1ef1b53e63bdc46' + '01000000' + '00000000' + '11100000');
    expect(decodeEntryId(b)).toEqual({ type: 'ephemeral', providerUid: SERVER, displayType: 0, mid: 0x1011 });
  });
});

describe('PermanentEntryID (MS-OXNSPI 2.2.9.3)', () => {
  it('is 0x00000000, GUID_NSPI, R4 = 1, the display type and the NUL-terminated DN', () => {
    const b = encodePermanentEntryId({ displayType: 1, dn: DN });
    expect(b.subarray(0, 28).toString('hex')).toBe('00000000' + 'dca740c8c042101ab4b908002b2fe182' + '01000000' + '01000000');
    expect(b.subarray(28).toString('latin1')).toBe(DN + '\0');
    expect(decodeEntryId(b)).toEqual({ type: 'permanent', displayType: 1, dn: DN });
    expect(GUID_NSPI).toBe('c840a7dc-42c0-1a10-b4b9-08002b2fe182');
  });
  it('refuses DNs it cannot carry', () => {
    expect(() => encodePermanentEntryId({ displayType: 0, dn: '' })).toThrow();
    expect(() => encodePermanentEntryId({ displayType: 0, dn: '/o=Zoë' })).toThrow();
    expect(() => encodePermanentEntryId({ displayType: 0, dn: '/o=' + 'x'.repeat(MAX_ENTRYID_DN) })).toThrow();
  });
});

describe('decoding is bounded', () => {
  const perm = encodePermanentEntryId({ displayType: 0, dn: DN });
  const bad = (b: Buffer): string | undefined => {
    try {
      decodeEntryId(b);
      return undefined;
    } catch (e) {
      return isOcError(e) ? e.code : 'not coded';
    }
  };
  it('refuses short, unknown, foreign and unterminated IDs with OC_NSPI_BAD_ENTRYID', () => {
    expect(bad(Buffer.alloc(10))).toBe('OC_NSPI_BAD_ENTRYID');
    expect(bad(encodeEphemeralEntryId({ providerUid: SERVER, displayType: 0, mid: 1 }).subarray(0, 31))).toBe('OC_NSPI_BAD_ENTRYID');
    const other = Buffer.from(perm);
    other[0] = 0x01;
    expect(bad(other)).toBe('OC_NSPI_BAD_ENTRYID');
    const foreign = Buffer.from(perm);
    foreign[4] = (foreign[4] as number) ^ 1;
    expect(bad(foreign)).toBe('OC_NSPI_BAD_ENTRYID');
    expect(bad(perm.subarray(0, perm.length - 1))).toBe('OC_NSPI_BAD_ENTRYID');
    expect(bad(Buffer.concat([perm.subarray(0, 28), Buffer.from([0])]))).toBe('OC_NSPI_BAD_ENTRYID');
    const huge = Buffer.concat([perm.subarray(0, 28), Buffer.alloc(MAX_ENTRYID_DN + 10, 0x41), Buffer.from([0])]);
    expect(bad(huge)).toBe('OC_NSPI_BAD_ENTRYID');
  });
  it('isAddressBookEntryId looks at the type byte and length only', () => {
    expect(isAddressBookEntryId(perm)).toBe(true);
    expect(isAddressBookEntryId(Buffer.alloc(5))).toBe(false);
  });
  it('arbitrary and mutated bytes give an entry ID or a coded error (fast-check)', () => {
    const eph = encodeEphemeralEntryId({ providerUid: SERVER, displayType: 6, mid: 77 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.constantFrom(perm, eph), fc.nat(), fc.nat(255), fc.nat()).map(([b, at, v, cut]) => {
            const c = Buffer.from(b);
            c[at % c.length] = v;
            return c.subarray(0, cut % (c.length + 1));
          }),
        ),
        (b) => {
          const code = bad(Buffer.from(b));
          expect(code === undefined || code === 'OC_NSPI_BAD_ENTRYID').toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
