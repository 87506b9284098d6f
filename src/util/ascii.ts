// A 7-bit form of a name for places that carry ASCII only (PidTagAddressBookDisplayNamePrintable, the last RDN of a
// legacyExchangeDN): accents dropped (NFKD without the marks), and the Latin letters NFKD leaves whole spelled the
// way they are in ASCII (Æ -> AE, Ø -> O, ß -> ss, Þ -> Th, Ł -> L ...). Other characters are left to the caller.

const SPELLED: Readonly<Record<string, string>> = {
  Æ: 'AE', æ: 'ae', Œ: 'OE', œ: 'oe', Ø: 'O', ø: 'o', ß: 'ss', ẞ: 'SS', Þ: 'Th', þ: 'th', Ð: 'D', ð: 'd',
  Đ: 'D', đ: 'd', Ł: 'L', ł: 'l', Ħ: 'H', ħ: 'h', ı: 'i', Ŋ: 'N', ŋ: 'n', Ŧ: 'T', ŧ: 't',
};
const SPELLED_RE = new RegExp(`[${Object.keys(SPELLED).join('')}]`, 'g');
const MARKS = /\p{M}+/gu;

/** `s` with accents removed and the letters above spelled out; characters without an ASCII form stay as they are. */
export function foldToAscii(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return s.replace(SPELLED_RE, (c) => SPELLED[c] ?? c).normalize('NFKD').replace(MARKS, '');
}
