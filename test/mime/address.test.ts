// RFC 5322 address lists (src/mime/address.ts) with header values seen in real mail.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddressList } from '../../src/mime/address.js';

describe('parseAddressList', () => {
  it.each([
    ['joe@example.com', [{ name: '', address: 'joe@example.com' }]],
    ['Joe Bloggs <joe@example.com>', [{ name: 'Joe Bloggs', address: 'joe@example.com' }]],
    ['"Bloggs, Joe" <joe@example.com>, ann@example.org', [{ name: 'Bloggs, Joe', address: 'joe@example.com' }, { name: '', address: 'ann@example.org' }]],
    ['=?UTF-8?B?SsO2cmc=?= <j@example.de>', [{ name: 'Jörg', address: 'j@example.de' }]],
    ['"=?iso-8859-1?Q?J=F6rg_M=FCller?=" <j@example.de>', [{ name: 'Jörg Müller', address: 'j@example.de' }]],
    ['=?utf-8?q?Jo?= =?utf-8?q?e?= <j@e.x>', [{ name: 'Joe', address: 'j@e.x' }]],
    ['joe@example.com (Joe Bloggs)', [{ name: 'Joe Bloggs', address: 'joe@example.com' }]],
    ['Joe (work) <joe@example.com>', [{ name: 'Joe', address: 'joe@example.com' }]],
    ['undisclosed-recipients:;', []],
    ['Team: a@x.org, "B" <b@x.org>;, c@x.org', [{ name: '', address: 'a@x.org' }, { name: 'B', address: 'b@x.org' }, { name: '', address: 'c@x.org' }]],
    ['<@relay.example:joe@example.com>', [{ name: '', address: 'joe@example.com' }]],
    ['Joe <joe@example.com', [{ name: 'Joe', address: 'joe@example.com' }]],
    ['a@x.org,, ,b@x.org', [{ name: '', address: 'a@x.org' }, { name: '', address: 'b@x.org' }]],
    ['"Joe \\"J\\" B" <joe@b.c>', [{ name: 'Joe "J" B', address: 'joe@b.c' }]],
    ['Pelé <pele@bücher.example>', [{ name: 'Pelé', address: 'pele@bücher.example' }]],
    ['"john.doe"@example.com', [{ name: '', address: 'john.doe@example.com' }]],
  ])('%s', (value, expected) => {
    expect(parseAddressList(value)).toEqual(expected);
  });

  it('arbitrary text gives a list of addresses, never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const r = parseAddressList(s);
        for (const a of r) expect(typeof a.address).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});
