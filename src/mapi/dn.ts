// Exchange legacy distinguished names (X.500-style "/o=.../ou=.../cn=..."; MS-OXOABK 2.2.1.1, MS-OXABREF 3.1.4.2,
// MS-OXCRPC 3.1.4.11 szUserDN): the server, its mailbox store and recipient DNs built from the configuration, and
// the comparisons Exchange makes on them (case-insensitive).

/** The organization and administrative group every DN of this server starts with (config.server). */
export interface ExchangeOrg {
  organization: string;
  administrativeGroup: string;
}

export interface ExchangeServer extends ExchangeOrg {
  /** The server's short name (config.server.netbiosName), the last RDN of its DN. */
  netbiosName: string;
}

/** "/cn=Microsoft Private MDB": appended to the server DN for its private (mailbox) store (MS-OXABREF 3.1.4.2). */
export const PRIVATE_MDB_RDN = '/cn=Microsoft Private MDB';
/** "/cn=Microsoft Public MDB": the public folder store. */
export const PUBLIC_MDB_RDN = '/cn=Microsoft Public MDB';

/** "/o=<organization>/ou=<administrative group>". */
export function adminGroupDn(o: ExchangeOrg): string {
  return `/o=${o.organization}/ou=${o.administrativeGroup}`;
}

/** The server DN: "/o=.../ou=.../cn=Configuration/cn=Servers/cn=<netbiosName>" (MS-OXABREF 3.1.4.2, 5 elements). */
export function serverDn(s: ExchangeServer): string {
  return `${adminGroupDn(s)}/cn=Configuration/cn=Servers/cn=${s.netbiosName}`;
}

/** The mailbox store DN: the server DN + "/cn=Microsoft Private MDB" (PidTagAddressBookHomeMessageDatabase). */
export function mailboxStoreDn(serverDnOrServer: string | ExchangeServer): string {
  const base = typeof serverDnOrServer === 'string' ? serverDnOrServer : serverDn(serverDnOrServer);
  return base + PRIVATE_MDB_RDN;
}

/** The public folder store DN: the server DN + "/cn=Microsoft Public MDB". */
export function publicStoreDn(serverDnOrServer: string | ExchangeServer): string {
  const base = typeof serverDnOrServer === 'string' ? serverDnOrServer : serverDn(serverDnOrServer);
  return base + PUBLIC_MDB_RDN;
}

/** The recipients container "/o=.../ou=.../cn=Recipients". */
export function recipientsDn(o: ExchangeOrg): string {
  return `${adminGroupDn(o)}/cn=Recipients`;
}

/** A recipient's legacyExchangeDN, "/o=.../ou=.../cn=Recipients/cn=<name>" (what the built-in directory assigns). */
export function recipientDn(o: ExchangeOrg, name: string): string {
  return `${recipientsDn(o)}/cn=${name}`;
}

/** One relative name of a DN: "cn=Servers" -> { type: 'cn', value: 'Servers' } (type lower-cased). */
export interface Rdn {
  type: string;
  value: string;
}

/**
 * The elements of a legacy DN, or null when it is not one: it must start with "/", every element must be
 * "type=value" with a non-empty alphabetic type. Values keep their case; "/" cannot occur inside a value.
 */
export function parseDn(dn: string): Rdn[] | null {
  if (!dn.startsWith('/') || dn.length < 2) return null;
  const out: Rdn[] = [];
  for (const part of dn.slice(1).split('/')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const type = part.slice(0, eq);
    if (!/^[A-Za-z]+$/.test(type)) return null;
    out.push({ type: type.toLowerCase(), value: part.slice(eq + 1) });
  }
  return out;
}

/** Case-insensitive DN equality (Exchange compares legacy DNs without regard to case). */
export function sameDn(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

/** True when `dn` is `parent` or below it ("/o=x/ou=y" is under "/o=x"), case-insensitively. */
export function isUnderDn(dn: string, parent: string): boolean {
  const d = dn.toLowerCase();
  const p = parent.toLowerCase();
  return d === p || (d.startsWith(p) && d.charAt(p.length) === '/');
}

/**
 * The server DN a DN names: the DN itself, or, when it ends with the private or public store RDN, the DN without
 * it (a mailbox or public store DN names its server).
 */
export function serverDnOf(dn: string): string {
  const lower = dn.toLowerCase();
  for (const rdn of [PRIVATE_MDB_RDN, PUBLIC_MDB_RDN]) {
    if (lower.endsWith(rdn.toLowerCase())) return dn.slice(0, dn.length - rdn.length);
  }
  return dn;
}

/**
 * True when `dn` names the server `ours` (a server DN): the same DN, or its private or public store DN, compared
 * case-insensitively.
 */
export function namesServer(dn: string, ours: string): boolean {
  return sameDn(serverDnOf(dn), ours);
}

/**
 * True when `dn` has the shape of a server DN of MS-OXABREF 3.1.4.2: "/o=.../ou=.../cn=Configuration/cn=Servers/"
 * then one or two "cn=" elements (the optional instance name and the server name), optionally followed by a store
 * RDN.
 */
export function isServerDnShape(dn: string): boolean {
  const rdns = parseDn(serverDnOf(dn));
  if (!rdns || rdns.length < 5 || rdns.length > 6) return false;
  const [o, ou, conf, servers, ...rest] = rdns as [Rdn, Rdn, Rdn, Rdn, ...Rdn[]];
  return (
    o.type === 'o' &&
    ou.type === 'ou' &&
    conf.type === 'cn' &&
    conf.value.toLowerCase() === 'configuration' &&
    servers.type === 'cn' &&
    servers.value.toLowerCase() === 'servers' &&
    rest.every((r) => r.type === 'cn' && r.value.length > 0)
  );
}
