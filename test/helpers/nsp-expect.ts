// What the address book must show for a directory, worked out independently of src/nsp from the Directory's own
// lists and the rules the server documents: the Global Address List is every user, group and contact, sorted by
// display name with the NSPI compare flags for locale 0x409 (ICU collation, case-, accent- and width-insensitive,
// ties broken by the exact string: src/nsp/ab/collation.ts, snapshot.ts); ANR matches as src/nsp/ab/anr.ts's header
// describes. The interop tests compare what the real clients received with this.
import type { Directory, PersonAttributes } from '../../src/directory/types.js';

export type Kind = 'user' | 'group' | 'contact';

export interface ExpectedEntry {
  kind: Kind;
  /** Username, group name or contact name (PR_ACCOUNT). */
  account: string;
  dn: string;
  displayName: string;
  smtp: string;
  proxyAddresses: string[];
  attributes: PersonAttributes;
  /** Groups: the members' DNs. */
  members: string[];
  /** PR_DISPLAY_TYPE: DT_MAILUSER 0, DT_DISTLIST 1, DT_REMOTE_MAILUSER 6. */
  displayType: number;
  /** PR_OBJECT_TYPE: MAPI_MAILUSER 6, MAPI_DISTLIST 8. */
  objectType: number;
}

export interface ExpectedBook {
  /** The GAL in the order the server promises. */
  gal: ExpectedEntry[];
  byDn: Map<string, ExpectedEntry>;
  byAccount: Map<string, ExpectedEntry>;
}

const collator = new Intl.Collator('en-US', { usage: 'sort', sensitivity: 'base', ignorePunctuation: false });

/** The GAL order: NSPI collation for 0x409, then the exact string (the server's last tie-break, the MId, is unused). */
export function galCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export async function expectedBook(dir: Directory): Promise<ExpectedBook> {
  const [users, groups, contacts] = await Promise.all([dir.listUsers(), dir.listGroups(), dir.listContacts()]);
  const dnOfName = new Map<string, string>();
  for (const u of users) dnOfName.set(u.username.toLowerCase(), u.legacyExchangeDN);
  const proxies = (p: string[], smtp: string) => (p.length > 0 ? p : smtp ? [`SMTP:${smtp}`] : []);
  const gal: ExpectedEntry[] = [
    ...users.map((u) => ({
      kind: 'user' as const,
      account: u.username,
      dn: u.legacyExchangeDN,
      displayName: u.displayName || u.username,
      smtp: u.smtpAddress,
      proxyAddresses: proxies(u.proxyAddresses, u.smtpAddress),
      attributes: u.attributes,
      members: [],
      displayType: 0,
      objectType: 6,
    })),
    ...groups.map((g) => ({
      kind: 'group' as const,
      account: g.name,
      dn: g.legacyExchangeDN,
      displayName: g.displayName || g.name,
      smtp: g.smtpAddress,
      proxyAddresses: proxies(g.proxyAddresses, g.smtpAddress),
      attributes: {},
      members: g.members.map((m) => dnOfName.get(m.toLowerCase()) ?? `?${m}`),
      displayType: 1,
      objectType: 8,
    })),
    ...contacts.map((c) => ({
      kind: 'contact' as const,
      account: c.name,
      dn: c.legacyExchangeDN,
      displayName: c.displayName || c.name,
      smtp: c.smtpAddress,
      proxyAddresses: proxies(c.proxyAddresses, c.smtpAddress),
      attributes: c.attributes,
      members: [],
      displayType: 6,
      objectType: 6,
    })),
  ];
  gal.sort((a, b) => galCompare(a.displayName, b.displayName));
  return {
    gal,
    byDn: new Map(gal.map((e) => [e.dn.toLowerCase(), e])),
    byAccount: new Map(gal.map((e) => [e.account.toLowerCase(), e])),
  };
}

/** Case-, accent- and width-insensitive form (the NSPI compare flags). */
export function fold(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

const SPLIT = /[\s,;()"]+/;
const ADDRTYPE = /^(?:smtp|ex|x500|x400|sip):/i;

function exactKeys(e: ExpectedEntry): string[] {
  const a = e.attributes;
  const keys = [e.displayName, e.account, e.smtp, e.dn, ...e.proxyAddresses.map((p) => p.replace(ADDRTYPE, ''))];
  if (a.givenName && a.surname) keys.push(`${a.givenName} ${a.surname}`, `${a.surname} ${a.givenName}`, `${a.surname}, ${a.givenName}`);
  return keys.filter(Boolean).map((k) => fold(k.trim()));
}

function words(e: ExpectedEntry): string[] {
  const a = e.attributes;
  const out: string[] = [];
  for (const v of [e.displayName, a.givenName, a.surname, a.office]) if (v) out.push(...fold(v.trim()).split(SPLIT));
  for (const v of [e.account, e.smtp, ...e.proxyAddresses.filter((p) => !/^x500:/i.test(p)).map((p) => p.replace(ADDRTYPE, ''))]) {
    if (v) out.push(fold(v.trim()));
  }
  return out.filter(Boolean);
}

/** ANR: the exact tier and the prefix tier (every word of the string starts a word of the entry). */
export function anrTiers(book: ExpectedBook, q: string): { exact: ExpectedEntry[]; prefix: ExpectedEntry[] } {
  let s = q.trim();
  let exactOnly = false;
  if (s.startsWith('=')) {
    exactOnly = true;
    s = s.slice(1).trim();
  }
  const fq = fold(s.replace(ADDRTYPE, '').trim());
  if (!fq) return { exact: [], prefix: [] };
  const exact = book.gal.filter((e) => exactKeys(e).includes(fq));
  if (exactOnly) return { exact, prefix: [] };
  const tokens = fq.split(SPLIT).filter(Boolean);
  const prefix = book.gal.filter((e) => {
    const ws = words(e);
    return tokens.every((t) => ws.some((w) => w.startsWith(t)));
  });
  return { exact, prefix };
}

/** The PR_ANR restriction of NspiGetMatches: both tiers, in GAL order. */
export function anrMatches(book: ExpectedBook, q: string): ExpectedEntry[] {
  const { exact, prefix } = anrTiers(book, q);
  const set = new Set([...exact, ...prefix]);
  return book.gal.filter((e) => set.has(e));
}

/** NspiResolveNames(W): the exact tier if it found anything, else the prefix tier. */
export function anrResolve(book: ExpectedBook, q: string): { kind: 'resolved'; entry: ExpectedEntry } | { kind: 'ambiguous' | 'unresolved' } {
  const { exact, prefix } = anrTiers(book, q);
  const pick = exact.length > 0 ? exact : prefix;
  if (pick.length === 0) return { kind: 'unresolved' };
  if (pick.length === 1) return { kind: 'resolved', entry: pick[0] as ExpectedEntry };
  return { kind: 'ambiguous' };
}
