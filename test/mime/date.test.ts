// RFC 5322 3.3 / 4.3 dates (src/mime/date.ts) with Date header values seen in real mail.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMailDate } from '../../src/mime/date.js';

describe('parseMailDate', () => {
  it.each([
    ['Tue, 1 Jul 2003 10:52:37 +0200', '2003-07-01T08:52:37.000Z'],
    ['1 Jul 2003 10:52:37 +0200', '2003-07-01T08:52:37.000Z'],
    ['Fri, 21 Nov 1997 09:55 -0600', '1997-11-21T15:55:00.000Z'],
    ['Thu, 13 Feb 1969 23:32:54 -0330', '1969-02-14T03:02:54.000Z'],
    ['Mon, 24 Nov 97 14:22:01 EST', '1997-11-24T19:22:01.000Z'],
    ['Mon, 24 Nov 03 14:22:01 PDT', '2003-11-24T21:22:01.000Z'],
    ['Wed, 05 Mar 2025 12:00:00 GMT', '2025-03-05T12:00:00.000Z'],
    ['Wed, 05 Mar 2025 12:00:00 UT', '2025-03-05T12:00:00.000Z'],
    ['Wed, 5 Mar 2025 12:00:00 +0000 (UTC)', '2025-03-05T12:00:00.000Z'],
    ['Wed,5-Mar-2025 12:00:00 +0100', '2025-03-05T11:00:00.000Z'],
    ['Sat, 31 Dec 2016 23:59:60 +0000', '2016-12-31T23:59:59.000Z'],
    ['05 March 2025 08:30:00 -0800', '2025-03-05T16:30:00.000Z'],
  ])('%s', (value, iso) => {
    expect(parseMailDate(value)?.toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '31 Feb 2024 10:00:00 +0000', '1 Foo 2024 10:00 +0000', '1 Jan 2024 25:00:00 +0000'])('not a date: %s', (v) => {
    expect(parseMailDate(v)).toBeNull();
  });

  it('agrees with the writer format for any instant; arbitrary text gives a Date or null', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), (d) => {
        const s = d.toUTCString().replace(/GMT$/, '+0000');
        expect(parseMailDate(s)?.getTime()).toBe(Math.floor(d.getTime() / 1000) * 1000);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        const r = parseMailDate(s);
        expect(r === null || !Number.isNaN(r.getTime())).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
