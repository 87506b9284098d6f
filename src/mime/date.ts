// RFC 5322 3.3 date-time and 4.3 obsolete date forms -> Date (UTC instant) or null.
//
// Choices where the RFC leaves room, as mail readers do:
// - the day name is optional and not checked against the date; comments are removed; `,` and `-` may separate
//   fields; seconds are optional; a two-digit year is 19xx from 50 up, else 20xx (RFC 5322 4.3), a three-digit year
//   adds 1900.
// - zones: +hhmm/-hhmm, UT/GMT/Z, the US zones EST EDT CST CDT MST MDT PST PDT (RFC 5322 4.3); military letters
//   and unknown names are taken as +0000 (RFC 5322 4.3 says they should be); a missing zone is +0000.
// - month and day must be in range, hour < 24, minute and second < 60 (second 60 clamps to 59); else null.
import { stripComments } from './header.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const ZONES: Record<string, number> = { ut: 0, utc: 0, gmt: 0, z: 0, edt: -4 * 60, est: -5 * 60, cdt: -5 * 60, cst: -6 * 60, mdt: -6 * 60, mst: -7 * 60, pdt: -7 * 60, pst: -8 * 60 };

/** Parses a Date header value; null when it is not a date. */
export function parseMailDate(value: string): Date | null {
  const s = stripComments(value).replace(/\s+/g, ' ').trim();
  const m = /^(?:[A-Za-z]{2,9}\s*,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\.\d+)?\s*([+-]\d{4}|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?/.exec(s);
  if (!m) return null;
  const day = Number(m[1]);
  const month = MONTHS.indexOf(m[2]!.slice(0, 3).toLowerCase());
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year >= 50 ? 1900 : 2000;
  else if (m[3]!.length === 3) year += 1900;
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Math.min(59, m[6] === undefined ? 0 : Number(m[6]));
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
  let offset = 0;
  const z = m[7];
  if (z && /^[+-]/.test(z)) {
    const digits = z.replace(':', '');
    const h = Number(digits.slice(1, 3));
    const mi = Number(digits.slice(3, 5));
    if (mi > 59) return null;
    offset = (z[0] === '-' ? -1 : 1) * (h * 60 + mi);
  } else if (z) offset = ZONES[z.toLowerCase()] ?? 0;
  const utc = Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
  const d = new Date(utc);
  if (Number.isNaN(d.getTime())) return null;
  // a day past the month's end (31 Feb) is not a date
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return null;
  return d;
}
