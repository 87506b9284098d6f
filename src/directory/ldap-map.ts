// LDAP entries -> the directory's users, groups and contacts, following the attribute map of the configuration
// (src/config/ldap-presets.ts). Pure: the LDAP provider feeds it the entries of one refresh and keeps the result as
// its in-memory index; tests feed it entries directly.
import { createHash } from 'node:crypto';
import type { Config, LdapConfig } from '../config/types.js';
import type { DirectoryContact, DirectoryGroup, DirectoryUser, PersonAttributes, UserSelfService } from './types.js';
import { foldToAscii } from '../util/ascii.js';
import { PERSON_ATTRIBUTE_KEYS } from './validate.js';

/** One search result entry as ldapts returns it: the DN and attribute -> value(s). */
export interface RawEntry {
  dn: string;
  [attribute: string]: string | string[] | Buffer | Buffer[];
}

/** A user as the index keeps it: what Directory returns plus what only the provider sees. */
export interface IndexedUser {
  user: DirectoryUser;
  dn: string;
  /** Null when the entry has no (well-formed) NT hash. */
  ntHash: Buffer | null;
  selfService: UserSelfService;
}

export interface LdapIndex {
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  contacts: DirectoryContact[];
  /** Lower-cased username, SMTP address (primary and aliases), legacyExchangeDN and X500 proxies -> user. */
  userByKey: Map<string, IndexedUser>;
  groupByKey: Map<string, DirectoryGroup>;
  /** sha256 of everything the read methods return (not the NT hashes): equal hashes, equal answers. */
  hash: string;
  /** Entries that were skipped or resolved oddly, one line each. */
  warnings: string[];
}

/** Attribute access by case-insensitive name; `member` also gathers Active Directory's ranged `member;range=0-1499`. */
class View {
  private readonly attrs = new Map<string, Array<string | Buffer>>();
  readonly dn: string;

  constructor(raw: RawEntry) {
    this.dn = String(raw.dn);
    for (const [k, v] of Object.entries(raw)) {
      if (k === 'dn') continue;
      const key = k.toLowerCase();
      const values = Array.isArray(v) ? v : [v];
      const list = this.attrs.get(key);
      if (list) list.push(...values);
      else this.attrs.set(key, [...values]);
    }
  }

  private raw(name: string): Array<string | Buffer> {
    if (!name) return [];
    const n = name.toLowerCase();
    const exact = this.attrs.get(n) ?? [];
    if (n.includes(';')) return exact;
    let out = exact;
    for (const [k, v] of this.attrs) if (k.startsWith(n + ';range=')) out = out.concat(v);
    return out;
  }

  strings(name: string): string[] {
    return this.raw(name)
      .map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)).trim())
      .filter((v) => v !== '');
  }

  first(name: string): string | undefined {
    return this.strings(name)[0];
  }

  buffers(name: string): Buffer[] {
    return this.raw(name).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'latin1')));
  }
}

/** A DN compared loosely: RDN types and values lower-cased, blanks around separators dropped. */
export function normalizeDn(dn: string): string {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i] as string;
    if (c === '\\' && i + 1 < dn.length) {
      cur += c + dn[++i];
    } else if (c === ',' || c === ';') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? p.trim().toLowerCase() : `${p.slice(0, eq).trim().toLowerCase()}=${p.slice(eq + 1).trim().toLowerCase()}`;
    })
    .join(',');
}

const SMTP_LIKE = /^[^\s@]+@[^\s@]+$/;

/** The default SMTP address of a name without one: <name>@<dnsDomain>, lower-case, other characters as "-". */
function defaultSmtp(name: string, config: Config): string {
  return `${name.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}@${config.server.dnsDomain}`.toLowerCase();
}

/** Primary SMTP address and the proxy address list ("SMTP:primary" first, one primary only). */
function addresses(v: View, map: LdapConfig['attributes'], fallback: string | undefined): { smtp: string; proxies: string[] } | null {
  const raw = v.strings(map.proxyAddresses);
  const primaryProxy = raw.find((p) => p.startsWith('SMTP:'));
  const mail = v.first(map.mail);
  const smtp = primaryProxy?.slice(5).trim() || (mail && SMTP_LIKE.test(mail) ? mail : undefined) || fallback;
  if (!smtp) return null;
  const proxies = ['SMTP:' + smtp];
  const seen = new Set([('smtp:' + smtp).toLowerCase()]);
  const add = (p: string) => {
    const k = p.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      proxies.push(p);
    }
  };
  for (const p of raw) {
    const colon = p.indexOf(':');
    if (colon <= 0) continue;
    const type = p.slice(0, colon);
    add(type.toLowerCase() === 'smtp' ? 'smtp:' + p.slice(colon + 1).trim() : p);
  }
  if (mail && SMTP_LIKE.test(mail)) add('smtp:' + mail);
  return { smtp, proxies };
}

function personAttributes(v: View, map: LdapConfig['attributes']): PersonAttributes {
  const out: PersonAttributes = {};
  for (const k of PERSON_ATTRIBUTE_KEYS) {
    const value = v.first(map[k]);
    if (value) out[k] = value;
  }
  return out;
}

function isDisabled(v: View, map: LdapConfig['attributes']): boolean {
  const flags = v.first(map.accountFlags);
  if (flags && /^\[[A-Z ]*D[A-Z ]*\]$/.test(flags)) return true;
  const uac = v.first(map.userAccountControl);
  if (uac && /^\d+$/.test(uac) && (Number(uac) & 0x2) !== 0) return true;
  return false;
}

function parseNtHash(v: View, map: LdapConfig['attributes']): Buffer | null {
  const h = v.first(map.ntHash);
  // Samba writes "NO PASSWORDXXXXXXXXXXXXXXXXXXXXX" for accounts without one: not hex, so no hash.
  return h && /^[0-9A-Fa-f]{32}$/.test(h) ? Buffer.from(h, 'hex') : null;
}

function byName(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Stable numeric ids: a hash of kind and name, probing upwards on a collision (in name order, so the same data
 * always gives the same ids). Kept at 0x10000 and above, below 2^31.
 */
function assignIds(keys: string[]): Map<string, number> {
  const ids = new Map<string, number>();
  const used = new Set<number>();
  for (const k of [...keys].sort()) {
    let id = createHash('sha1').update(k).digest().readUInt32BE(0) & 0x7fffffff;
    if (id < 0x10000) id += 0x10000;
    while (used.has(id)) id = id >= 0x7ffffffe ? 0x10000 : id + 1;
    used.add(id);
    ids.set(k, id);
  }
  return ids;
}

export interface LdapEntries {
  users: RawEntry[];
  groups: RawEntry[];
  contacts: RawEntry[];
}

/**
 * The last RDN value of a legacyExchangeDN built from a name. DNs travel in 7-bit entry IDs (MS-OXNSPI 2.2.9.3) and
 * "/" separates their parts, so a name that is printable ASCII without "/" is kept as it is; any other becomes its
 * ASCII letters (accents dropped) and 8 hex digits of its SHA-1, which keeps distinct names distinct
 * ("Müller GmbH" -> "Muller GmbH-3f1c0a9e"). Without this, the address book would leave such an entry out.
 */
export function legacyDnName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x2e\x30-\x7e]+$/.test(name) && name.trim() === name) return name;
  const ascii = foldToAscii(name)
    .replace(/[^\x20-\x2e\x30-\x7e]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const hash = createHash('sha1').update(name, 'utf8').digest('hex').slice(0, 8);
  return ascii ? `${ascii}-${hash}` : hash;
}

/** Builds the index of one refresh. */
export function buildIndex(entries: LdapEntries, config: Config): LdapIndex {
  const map = config.directory.ldap.attributes;
  const s = config.server;
  const legacyDN = (name: string) => `/o=${s.organization}/ou=${s.administrativeGroup}/cn=Recipients/cn=${legacyDnName(name)}`;
  const warnings: string[] = [];
  const sorted = (list: RawEntry[]) => list.map((e) => new View(e)).sort((a, b) => byName(a.dn, b.dn));

  // Users first (groups and delegates refer to them by DN or name).
  interface Pending {
    v: View;
    username: string;
    memberOf: string[];
  }
  const pending: Pending[] = [];
  const seenUsers = new Set<string>();
  for (const v of sorted(entries.users)) {
    const username = v.first(map.username);
    if (!username) {
      warnings.push(`user entry ${v.dn} has no ${map.username}: skipped`);
      continue;
    }
    if (seenUsers.has(username.toLowerCase())) {
      warnings.push(`user entry ${v.dn}: the username ${username} is taken by another entry: skipped`);
      continue;
    }
    seenUsers.add(username.toLowerCase());
    pending.push({ v, username, memberOf: v.strings(map.memberOf).map(normalizeDn) });
  }
  const groupViews: Array<{ v: View; name: string }> = [];
  const seenGroups = new Set<string>();
  for (const v of sorted(entries.groups)) {
    const name = v.first(map.groupName) ?? v.first('cn');
    if (!name) {
      warnings.push(`group entry ${v.dn} has no ${map.groupName}: skipped`);
      continue;
    }
    if (seenGroups.has(name.toLowerCase())) {
      warnings.push(`group entry ${v.dn}: the name ${name} is taken by another group: skipped`);
      continue;
    }
    seenGroups.add(name.toLowerCase());
    groupViews.push({ v, name });
  }
  const contactViews: Array<{ v: View; name: string }> = [];
  const seenContacts = new Set<string>();
  for (const v of sorted(entries.contacts)) {
    const name = v.first(map.contactName) ?? v.first('cn');
    if (!name || seenContacts.has(name.toLowerCase())) {
      warnings.push(`contact entry ${v.dn}: ${name ? `the name ${name} is taken by another contact` : `no ${map.contactName}`}: skipped`);
      continue;
    }
    seenContacts.add(name.toLowerCase());
    contactViews.push({ v, name });
  }

  const ids = assignIds([
    ...pending.map((p) => 'user:' + p.username.toLowerCase()),
    ...groupViews.map((g) => 'group:' + g.name.toLowerCase()),
    ...contactViews.map((c) => 'contact:' + c.name.toLowerCase()),
  ]);

  const indexed: IndexedUser[] = [];
  const userByDn = new Map<string, IndexedUser>();
  const userByName = new Map<string, IndexedUser>();
  for (const p of pending) {
    const { v, username } = p;
    const addr = addresses(v, map, defaultSmtp(username, config)) as { smtp: string; proxies: string[] };
    const user: DirectoryUser = {
      id: ids.get('user:' + username.toLowerCase()) as number,
      username,
      displayName: v.first(map.displayName) ?? v.first('cn') ?? username,
      smtpAddress: addr.smtp,
      legacyExchangeDN: v.first(map.legacyExchangeDN) ?? legacyDN(username),
      enabled: !isDisabled(v, map),
      attributes: personAttributes(v, map),
      proxyAddresses: addr.proxies,
    };
    const certificates = map.certificate ? v.buffers(map.certificate).filter((b) => b.length > 0) : [];
    const iu: IndexedUser = { user, dn: v.dn, ntHash: parseNtHash(v, map), selfService: { certificates, delegates: [] } };
    indexed.push(iu);
    userByDn.set(normalizeDn(v.dn), iu);
    userByName.set(username.toLowerCase(), iu);
  }
  // Delegates are DNs of other users.
  for (const [i, p] of pending.entries()) {
    const iu = indexed[i] as IndexedUser;
    for (const dn of p.v.strings(map.publicDelegates)) {
      const d = userByDn.get(normalizeDn(dn));
      if (d && !iu.selfService.delegates.includes(d.user.username)) iu.selfService.delegates.push(d.user.username);
    }
  }

  const groups: DirectoryGroup[] = [];
  const groupByDn = new Map<string, Set<string>>();
  for (const { v, name } of groupViews) {
    const members = new Set<string>();
    for (const dn of v.strings(map.member)) {
      const u = userByDn.get(normalizeDn(dn));
      if (u) members.add(u.user.username); // nested groups and entries outside the user filter are not members
    }
    for (const uid of v.strings(map.memberUid)) {
      const u = userByName.get(uid.toLowerCase());
      if (u) members.add(u.user.username);
    }
    groupByDn.set(normalizeDn(v.dn), members);
    const addr = addresses(v, map, defaultSmtp(name, config)) as { smtp: string; proxies: string[] };
    groups.push({
      id: ids.get('group:' + name.toLowerCase()) as number,
      name,
      displayName: v.first(map.displayName) ?? v.first('cn') ?? name,
      smtpAddress: addr.smtp,
      legacyExchangeDN: v.first(map.legacyExchangeDN) ?? legacyDN(name),
      members: [],
      proxyAddresses: addr.proxies,
    });
  }
  // memberOf on the users (Active Directory) adds to the groups' member lists.
  for (const p of pending) {
    for (const dn of p.memberOf) groupByDn.get(dn)?.add(p.username);
  }
  for (const [i, { v }] of groupViews.entries()) {
    (groups[i] as DirectoryGroup).members = [...(groupByDn.get(normalizeDn(v.dn)) ?? [])].sort(byName);
  }

  const contacts: DirectoryContact[] = [];
  for (const { v, name } of contactViews) {
    const addr = addresses(v, map, undefined);
    if (!addr) {
      warnings.push(`contact entry ${v.dn} has no mail address: skipped`);
      continue;
    }
    contacts.push({
      id: ids.get('contact:' + name.toLowerCase()) as number,
      name,
      displayName: v.first(map.displayName) ?? v.first('cn') ?? name,
      smtpAddress: addr.smtp,
      legacyExchangeDN: v.first(map.legacyExchangeDN) ?? legacyDN(name),
      attributes: personAttributes(v, map),
      proxyAddresses: addr.proxies,
    });
  }

  indexed.sort((a, b) => byName(a.user.username, b.user.username));
  groups.sort((a, b) => byName(a.name, b.name));
  contacts.sort((a, b) => byName(a.name, b.name));

  const userByKey = new Map<string, IndexedUser>();
  const groupByKey = new Map<string, DirectoryGroup>();
  const keysOf = (name: string, legacy: string, proxies: string[]) => [
    name,
    legacy,
    ...proxies.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5)),
    ...proxies.filter((p) => /^x500:/i.test(p)).map((p) => p.slice(5)),
  ];
  // Usernames win over addresses and DNs of other entries; the first entry (in name order) wins among equals.
  for (const iu of indexed) userByKey.set(iu.user.username.toLowerCase(), iu);
  for (const iu of indexed) {
    for (const k of keysOf(iu.user.username, iu.user.legacyExchangeDN, iu.user.proxyAddresses)) {
      if (!userByKey.has(k.toLowerCase())) userByKey.set(k.toLowerCase(), iu);
    }
  }
  for (const g of groups) groupByKey.set(g.name.toLowerCase(), g);
  for (const g of groups) {
    for (const k of keysOf(g.name, g.legacyExchangeDN, g.proxyAddresses)) if (!groupByKey.has(k.toLowerCase())) groupByKey.set(k.toLowerCase(), g);
  }

  for (const iu of indexed) deepFreeze(iu.user);
  for (const g of groups) deepFreeze(g);
  for (const c of contacts) deepFreeze(c);

  const users = indexed.map((iu) => iu.user);
  const hash = createHash('sha256')
    .update(
      JSON.stringify({
        users,
        groups,
        contacts,
        self: indexed.map((iu) => [iu.selfService.certificates.map((c) => c.toString('base64')), iu.selfService.delegates]),
      }),
    )
    .digest('hex');
  return { users, groups, contacts, userByKey, groupByKey, hash, warnings };
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v as object);
  return Object.freeze(o);
}
