// Outlook categories <-> IMAP keywords (src/mapistore/backends/imap/keywords.ts): which keywords are categories, the
// atom encoding of a category (modified UTF-7 runs, RFC 3501 5.1.3, for whatever an atom cannot hold) and its decoding.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { categoriesOf, categoryOf, isCategoryKeyword, keywordOf, sameCategories } from '../../src/mapistore/backends/imap/keywords.js';
import { IMAP_FLAG } from '../../src/mapistore/index/types.js';
import { flagBits } from '../../src/mapistore/backends/imap/import.js';

/** RFC 9051 9: atom = 1*ATOM-CHAR (printable ASCII but ( ) { SP % * " \ ]). */
const ATOM = /^[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/;

describe('IMAP keywords as categories', () => {
  it('system flags, $-keywords and the junk markers are not categories; the rest are', () => {
    expect(categoriesOf(['\\Seen', '\\Flagged', '$Forwarded', '$MDNSent', '$label1', '$Junk', 'Junk', 'NonJunk', 'notjunk', 'Work', 'Project_X'])).toEqual(['Work', 'Project_X']);
    expect(flagBits(['\\Seen', 'Work'])).toBe(IMAP_FLAG.Seen | IMAP_FLAG.Keywords);
    expect(flagBits(['\\Seen', '$label1', 'NonJunk'])).toBe(IMAP_FLAG.Seen);
  });

  it('encodes what an atom cannot hold as modified UTF-7 runs, and reads Thunderbird-style non-ASCII keywords', () => {
    expect(keywordOf('Red Category')).toBe('Red&ACA-Category');
    expect(keywordOf('Été')).toBe('&AMk-t&AOk-');
    expect(keywordOf('R&D')).toBe('R&-D');
    expect(keywordOf('$money')).toBe('&ACQ-money');
    expect(keywordOf('Junk')).toBe('&AEo-unk');
    expect(categoryOf('&AMk-t&AOk-')).toBe('Été');
    expect(categoryOf('&U,BTFw-')).toBe('台北'); // RFC 3501 5.1.3's example
    // not modified UTF-7: taken as it is
    expect(categoryOf('A&B')).toBe('A&B');
    expect(categoryOf('&%%-')).toBe('&%%-');
    expect(categoryOf('&AM-')).toBe('&AM-');
    // MS-OXCMSG 2.2.1.17: a category is shorter than 256 characters
    expect(categoriesOf(['x'.repeat(255), 'y'.repeat(256)])).toEqual(['x'.repeat(255)]);
  });

  it('every category round-trips through an atom that reads back as a category (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (c) => {
        const k = keywordOf(c);
        expect(k).toMatch(ATOM);
        expect(isCategoryKeyword(k)).toBe(true);
        expect(categoryOf(k)).toBe(c);
        expect(categoriesOf([k])).toEqual(c.length <= 255 ? [c] : []);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), (c) => {
        expect(categoryOf(keywordOf(c))).toBe(c);
      }),
      { numRuns: 2000 },
    );
  });

  it('decoding any keyword never throws (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (k) => {
        expect(typeof categoryOf(k)).toBe('string');
        expect(Array.isArray(categoriesOf([k, k]))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('compares category lists as sets', () => {
    expect(sameCategories(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameCategories(['a'], ['a', 'b'])).toBe(false);
    expect(sameCategories([], [])).toBe(true);
  });
});
