// Outlook categories <-> IMAP keywords (issue 8 item 2): MS-OXCMSG 2.2.1.17 PidNameKeywords (PS_PUBLIC_STRINGS
// "Keywords", PtypMultipleString: the message's categories) and RFC 9051 2.3.2 keywords (flag-keyword = atom).
//
// Choices where the specs leave room:
// - a keyword is a category unless it is a system flag (`\...`), starts with `$` (the keywords of the IANA registry,
//   RFC 5788: $Forwarded, $MDNSent, $Junk, $NotJunk, $Phishing, $Important, ..., and the ones mail clients keep for
//   themselves, such as Thunderbird's $label1-5), or is Junk / NonJunk / NotJunk (Thunderbird's and Dovecot's junk
//   markers);
// - a category becomes a keyword by the modified UTF-7 of RFC 3501 5.1.3 (RFC 9051 5.1.3 for mailbox names),
//   extended to everything an atom cannot hold: printable ASCII other than `&` and the atom-specials ( ) { % * " \ ]
//   stays as it is, `&` is `&-`, and every other run (space, non-ASCII, controls) is `&` + the modified BASE64 of its
//   UTF-16BE + `-`. So "Red Category" is `Red&ACA-Category`, "Été" `&AMk-t&AOk-` (as Thunderbird writes non-ASCII
//   tags). A first `$`, and the first letter of a category named like a junk marker, are encoded the same way, so no
//   category reads back as something else;
// - a keyword is read back as a category by the same decoding; a keyword whose `&` runs do not decode (written by
//   another client) is taken as it is; one of 256 characters or more is not a category (MS-OXCMSG 2.2.1.17 limits
//   them to 255). Categories are compared as sets.
import { PS_PUBLIC_STRINGS, type PropertyName } from '../../../mapi/named.js';

/** MS-OXCMSG 2.2.1.17 PidNameKeywords, and its property type (PtypMultipleString). */
export const PID_NAME_KEYWORDS: PropertyName = { guid: PS_PUBLIC_STRINGS, name: 'Keywords' };
export const PT_MV_UNICODE = 0x101f;

const JUNK = new Set(['junk', 'nonjunk', 'notjunk']);
/** Printable ASCII an atom holds as it is (RFC 9051 9: ATOM-CHAR), `&` aside. */
const PLAIN = /[\x21-\x7e]/;
const SPECIAL = new Set(['(', ')', '{', '%', '*', '"', '\\', ']', '&']);

const plain = (c: string): boolean => PLAIN.test(c) && !SPECIAL.has(c);

/** The property tag of PidNameKeywords in a mailbox; 0 when the mailbox has not named it and `create` is false. */
export async function keywordsTag(mb: { getNamedIds(names: readonly PropertyName[], create: boolean): Promise<number[]> }, create: boolean): Promise<number> {
  const [id] = await mb.getNamedIds([PID_NAME_KEYWORDS], create);
  return id ? ((id << 16) | PT_MV_UNICODE) >>> 0 : 0;
}

/** True for a keyword that stands for a category (see the header for the ones that do not). */
export function isCategoryKeyword(flag: string): boolean {
  return flag.length > 0 && flag[0] !== '\\' && flag[0] !== '$' && !JUNK.has(flag.toLowerCase());
}

function encodeRun(run: string): string {
  const b = Buffer.alloc(run.length * 2);
  for (let i = 0; i < run.length; i++) b.writeUInt16BE(run.charCodeAt(i), i * 2);
  return `&${b.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
}

/** The keyword of a category (an atom; see the header). */
export function keywordOf(category: string): string {
  let out = '';
  let run = '';
  for (let i = 0; i < category.length; i++) {
    const c = category[i]!;
    // a leading `$`, or the first letter of a junk marker's name, is encoded too: read back, it stays a category
    const guard = i === 0 && (c === '$' || JUNK.has(category.toLowerCase()));
    if (plain(c) && !guard) {
      if (run) out += encodeRun(run);
      run = '';
      out += c;
    } else if (c === '&' && !guard) {
      if (run) out += encodeRun(run);
      run = '';
      out += '&-';
    } else run += c;
  }
  if (run) out += encodeRun(run);
  return out;
}

/** The category of a keyword (its `&` runs decoded; a keyword that does not decode is taken as it is). */
export function categoryOf(keyword: string): string {
  if (!keyword.includes('&')) return keyword;
  let out = '';
  for (let i = 0; i < keyword.length; ) {
    const c = keyword[i]!;
    if (c !== '&') {
      out += c;
      i++;
      continue;
    }
    const end = keyword.indexOf('-', i + 1);
    if (end < 0) return keyword;
    const b64 = keyword.slice(i + 1, end);
    if (b64 === '') out += '&';
    else {
      if (!/^[A-Za-z0-9+,]+$/.test(b64)) return keyword;
      const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
      if (bytes.length % 2 !== 0 || bytes.length === 0) return keyword;
      for (let k = 0; k < bytes.length; k += 2) out += String.fromCharCode(bytes.readUInt16BE(k));
    }
    i = end + 1;
  }
  return out;
}

/** MS-OXCMSG 2.2.1.17: each category is shorter than 256 characters; a longer keyword is not taken as one. */
const MAX_CATEGORY = 255;

/** The categories of an IMAP flag list, in the server's order, each once. */
export function categoriesOf(flags: Iterable<string> | undefined): string[] {
  const out: string[] = [];
  for (const f of flags ?? []) {
    if (!isCategoryKeyword(f)) continue;
    const c = categoryOf(f);
    if (c !== '' && c.length <= MAX_CATEGORY && !out.includes(c)) out.push(c);
  }
  return out;
}

/** The category keywords of an IMAP flag list, as the server spells them. */
export function categoryKeywords(flags: Iterable<string> | undefined): string[] {
  return [...(flags ?? [])].filter(isCategoryKeyword);
}

/** The categories of a PidNameKeywords value (a property result or a value; anything else: none), empty ones left out. */
export function categoriesIn(v: unknown): string[] {
  const value = v !== null && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;
  return Array.isArray(value) ? value.filter((c): c is string => typeof c === 'string' && c !== '') : [];
}

/** True when two category lists hold the same categories (in any order). */
export function sameCategories(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((c) => sb.has(c));
}
