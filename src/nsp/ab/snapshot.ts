// One immutable view of the address book, built from a directory snapshot plus the configured special objects: the
// entries with their indexes, the containers of the hierarchy table and their sorted tables (built per sort locale on
// first use). A new Snapshot replaces the old one when the directory changes; Minimal Entry IDs come from the
// AddressBook's allocator so that the same DN keeps its MId across rebuilds.
import { createHash } from 'node:crypto';
import type { DirectoryContact, DirectoryGroup, DirectoryUser } from '../../directory/types.js';
import { foldToAscii } from '../../util/ascii.js';
import { guidToBytes } from '../../util/guid.js';
import { MAX_ENTRYID_DN } from '../entryid.js';
import { AnrIndex } from './anr.js';
import { stringOrder } from './collation.js';
import {
  AB_RECIPIENTS,
  AB_SUBCONTAINERS,
  AB_UNMODIFIABLE,
  DT,
  DTE_FLAG_ACL_CAPABLE,
  MAPI_OBJECT_TYPE,
} from './constants.js';
import type { AbContainer, AbEntry, EntryKind } from './entry.js';

export interface DirectoryData {
  users: readonly DirectoryUser[];
  groups: readonly DirectoryGroup[];
  contacts: readonly DirectoryContact[];
}

/** The configuration-derived objects (MS-OXOABK 2.2.1.1 DNs come from src/mapi/dn.ts in the server). */
export interface SpecialObjects {
  /** Server name as in its DN (cn=...). */
  serverName: string;
  /** DNS name put into PR_EMS_AB_NETWORK_ADDRESS. */
  networkHost: string;
  serverDN: string;
  /** The mailbox store DN: every user's PR_EMS_AB_HOME_MDB. */
  storeDN: string;
}

export interface SortedTable {
  readonly entries: readonly AbEntry[];
  /** Position of each MId in `entries`. */
  readonly position: ReadonlyMap<number, number>;
}

export type AllocateMid = (dnKey: string) => number;

/** PidTagAddressBookObjectGuid and container GUIDs: an MD5-based (RFC 4122 version 3) GUID of a name. */
export function nameGuid(name: string): string {
  const h = createHash('md5').update(name).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x30;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** PidTagAddressBookDisplayNamePrintable (MS-OXOABK 2.2.3.7): a 7-bit form of the display name. */
export function printableName(displayName: string, fallback: string): string {
  const s = foldToAscii(displayName)
    .replace(/[^\x20-\x7e]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return /[A-Za-z0-9]/.test(s) ? s : fallback;
}

export const dnKey = (dn: string): string => dn.toLowerCase();

// eslint-disable-next-line no-control-regex
const ENTRYID_DN = new RegExp(`^[\\x01-\\x7f]{1,${MAX_ENTRYID_DN}}$`);

/** "/guid=" and the 32 hex digits of a GUID's bytes as stored (its wire order), MS-OXOABK 2.2.1.1 addresslist-dn. */
export function guidDn(guid: string): string {
  return '/guid=' + guidToBytes(guid).toString('hex').toUpperCase();
}

function addressListDn(name: string): string {
  return guidDn(nameGuid('ocng address list ' + name));
}

/** PidTagAddressBookObjectGuid of an object: derived from its DN, so the same across restarts. */
export function objectGuidOf(e: { dn: string }): string {
  return nameGuid('ocng ab object ' + dnKey(e.dn));
}

/** The GUID-based DNs of MS-NSPI/MS-OXNSPI: "/guid=<32 hex>" and "/o=NT5/ou=<32 zeros>/cn=<32 hex>". */
const GUID_DN = /^(?:\/guid=|\/o=nt5\/ou=0{32}\/cn=)([0-9a-f]{32})$/;

export class Snapshot {
  readonly entries: readonly AbEntry[];
  readonly byMid = new Map<number, AbEntry>();
  readonly byDn = new Map<string, AbEntry>();
  /** Objects by the DNs of their X500 proxy addresses (former legacyExchangeDNs), lower-cased. */
  readonly x500 = new Map<string, AbEntry>();
  readonly byUsername = new Map<string, AbEntry>();
  /** The hierarchy table in order (MS-OXOABK 3.1.4.1); the Global Address List first. */
  readonly containers: readonly AbContainer[];
  readonly containerById = new Map<number, AbContainer>();
  readonly gal: AbContainer;
  /** Number of objects listed by the Global Address List. */
  readonly galSize: number;
  readonly networkAddresses: readonly string[];
  readonly storeDN: string;
  private readonly tables = new Map<string, SortedTable>();
  private anrIndex: AnrIndex | null = null;

  constructor(data: DirectoryData, special: SpecialObjects, allocate: AllocateMid) {
    const entries: AbEntry[] = [];
    /** Adds an object unless its DN is taken or no entry ID can carry it (7-bit, MS-OXNSPI 2.2.9.3). */
    const add = (
      kind: EntryKind,
      dn: string,
      displayName: string,
      account: string,
      smtpAddress: string,
      proxyAddresses: readonly string[],
      attributes: AbEntry['attributes'],
      username: string | null,
    ): AbEntry | null => {
      const key = dnKey(dn);
      if (this.byDn.has(key) || !ENTRYID_DN.test(dn)) return null;
      const displayType =
        kind === 'group' ? DT.DT_DISTLIST : kind === 'contact' ? DT.DT_REMOTE_MAILUSER : kind === 'user' ? DT.DT_MAILUSER : DT.DT_AGENT;
      const e: AbEntry = {
        mid: allocate(key),
        kind,
        dn,
        displayName: displayName || account,
        displayType,
        // MS-OXOABK 2.2.3.12: a mailbox is ACL-capable; distribution lists and contacts carry their type only
        displayTypeEx: kind === 'user' ? (DTE_FLAG_ACL_CAPABLE | DT.DT_MAILUSER) >>> 0 : displayType,
        objectType: kind === 'group' ? MAPI_OBJECT_TYPE.MAPI_DISTLIST : MAPI_OBJECT_TYPE.MAPI_MAILUSER,
        account,
        smtpAddress,
        proxyAddresses: proxyAddresses.length > 0 ? proxyAddresses : smtpAddress ? [`SMTP:${smtpAddress}`] : [],
        attributes,
        members: [],
        memberOf: [],
        username,
      };
      entries.push(e);
      this.byDn.set(key, e);
      this.byMid.set(e.mid, e);
      if (username) this.byUsername.set(username.toLowerCase(), e);
      for (const p of e.proxyAddresses) {
        if (p.length > 5 && (p.charCodeAt(0) | 0x20) === 0x78 && p.slice(0, 5).toLowerCase() === 'x500:') {
          const k = dnKey(p.slice(5));
          if (!this.x500.has(k)) this.x500.set(k, e);
        }
      }
      return e;
    };
    for (const u of data.users) {
      if (u.legacyExchangeDN) add('user', u.legacyExchangeDN, u.displayName, u.username, u.smtpAddress, u.proxyAddresses, u.attributes, u.username);
    }
    // group members are names of users, groups or contacts (one namespace in the built-in directory; users first)
    const others = new Map<string, AbEntry>();
    const groups: Array<[AbEntry, DirectoryGroup]> = [];
    for (const g of data.groups) {
      if (!g.legacyExchangeDN) continue;
      const e = add('group', g.legacyExchangeDN, g.displayName, g.name, g.smtpAddress, g.proxyAddresses, {}, null);
      if (!e) continue;
      if (!others.has(g.name.toLowerCase())) others.set(g.name.toLowerCase(), e);
      groups.push([e, g]);
    }
    for (const c of data.contacts) {
      if (!c.legacyExchangeDN) continue;
      const e = add('contact', c.legacyExchangeDN, c.displayName, c.name, c.smtpAddress, c.proxyAddresses, c.attributes, null);
      if (e && !others.has(c.name.toLowerCase())) others.set(c.name.toLowerCase(), e);
    }
    for (const [e, g] of groups) {
      const seen = new Set<AbEntry>();
      for (const m of g.members) {
        const k = m.toLowerCase();
        const me = this.byUsername.get(k) ?? others.get(k);
        if (!me || me === e || seen.has(me)) continue;
        seen.add(me);
        e.members.push(me);
        me.memberOf.push(e);
      }
    }
    add('server', special.serverDN, special.serverName, special.serverName, '', [], {}, null);
    add('store', special.storeDN, `Mailbox Store (${special.serverName})`, special.serverName, '', [], {}, null);
    this.entries = entries;
    this.storeDN = special.storeDN;
    this.networkAddresses = [`ncacn_ip_tcp:${special.networkHost}`, `ncacn_http:${special.networkHost}`];

    // MS-OXOABK 3.1.4.1: the Global Address List (container id 0, DN "/") and the address lists
    const mailObject = (e: AbEntry) => e.kind === 'user' || e.kind === 'group' || e.kind === 'contact';
    const recipients = (AB_RECIPIENTS | AB_UNMODIFIABLE) >>> 0;
    const gal: AbContainer = {
      containerId: 0,
      displayName: 'Global Address List',
      dn: '/',
      depth: 0,
      flags: recipients,
      isMaster: false,
      parent: null,
      includes: mailObject,
    };
    const listsDn = addressListDn('All Address Lists');
    const lists: AbContainer = {
      containerId: allocate(dnKey(listsDn)),
      displayName: 'All Address Lists',
      dn: listsDn,
      depth: 0,
      flags: (AB_SUBCONTAINERS | AB_UNMODIFIABLE) >>> 0,
      isMaster: false,
      parent: null,
      includes: null,
    };
    const list = (name: string, kind: EntryKind): AbContainer => {
      const dn = addressListDn(name);
      return {
        containerId: allocate(dnKey(dn)),
        displayName: name,
        dn,
        depth: 1,
        flags: recipients,
        isMaster: false,
        parent: lists,
        includes: (e) => e.kind === kind,
      };
    };
    this.gal = gal;
    this.containers = [gal, lists, list('All Contacts', 'contact'), list('All Groups', 'group'), list('All Users', 'user')];
    for (const c of this.containers) this.containerById.set(c.containerId, c);
    this.galSize = entries.filter(mailObject).length;
  }

  /** The container's objects sorted by PidTagDisplayName for the sort locale (MS-OXNSPI 3.1.4.5.1 step 2). */
  table(container: AbContainer, sortLocale: number): SortedTable {
    const order = stringOrder(sortLocale);
    const key = `${container.containerId}:${order.lcid}`;
    let t = this.tables.get(key);
    if (!t) {
      let entries: AbEntry[];
      if (!container.includes) entries = [];
      else if (container === this.gal) entries = sortEntries(this.entries.filter(container.includes), order.compare);
      else entries = this.table(this.gal, sortLocale).entries.filter(container.includes);
      const position = new Map<number, number>();
      entries.forEach((e, i) => position.set(e.mid, i));
      t = { entries, position };
      this.tables.set(key, t);
    }
    return t;
  }

  get anr(): AnrIndex {
    return (this.anrIndex ??= new AnrIndex(this.table(this.gal, 0x409).entries, (k) => this.byAnyDn(k)));
  }

  /**
   * The object a DN names: its own DN, an X500 proxy address, or a GUID DN naming its PidTagAddressBookObjectGuid
   * ("/guid=<hex>", "/o=NT5/ou=00..00/cn=<hex>": how MS-NSPI clients such as impacket's exchanger address objects).
   */
  byAnyDn(dn: string): AbEntry | undefined {
    const k = dnKey(dn);
    const e = this.byDn.get(k) ?? this.x500.get(k);
    if (e) return e;
    const g = GUID_DN.exec(k);
    if (!g) return undefined;
    if (!this.byGuidHex) {
      this.byGuidHex = new Map();
      for (const x of this.entries) this.byGuidHex.set(guidToBytes(objectGuidOf(x)).toString('hex'), x);
    }
    return this.byGuidHex.get(g[1] as string);
  }

  private byGuidHex: Map<string, AbEntry> | null = null;

  /** The entry for a Minimal Entry ID (values below 0x10 never name an object, MS-OXNSPI 2.2.9.1). */
  entry(mid: number): AbEntry | undefined {
    return this.byMid.get(mid >>> 0);
  }
}

/** Sorts by display name with the collation, ties broken by the exact string and then the MId (a total order). */
export function sortEntries(entries: AbEntry[], compare: (a: string, b: string) => number): AbEntry[] {
  return entries.sort(
    (a, b) =>
      compare(a.displayName, b.displayName) ||
      (a.displayName < b.displayName ? -1 : a.displayName > b.displayName ? 1 : 0) ||
      a.mid - b.mid,
  );
}
