// What an Autodiscover answer says about this server, resolved once from the configuration: the mailbox server and
// its DNs (built as NSPI and EMSMDB build them, src/mapi/dn.ts), the RPC proxy host, authentication packages, URLs,
// the deployment id and the redirect table.
import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';
import { SERVER_VERSION } from '../emsmdb/emsmdb.js';
import { mailboxStoreDn, serverDn } from '../mapi/dn.js';

export type AuthPackageName = 'Ntlm' | 'Basic' | 'Negotiate';

export interface AutodiscoverSettings {
  /** EXCH Server and PublicFolderServer: the mailbox server's host name (Exchange 2010 style, not mailbox-GUID@domain). */
  mailboxServer: string;
  /** EXCH ServerDN: "/o=.../ou=.../cn=Configuration/cn=Servers/cn=<netbiosName>" (as EcDoConnectEx and NSPI say). */
  serverDN: string;
  /** EXCH MdbDN: the server DN + "/cn=Microsoft Private MDB" (every user's PR_EMS_AB_HOME_MDB). */
  mdbDN: string;
  /** EXCH ServerVersion: 8 hex digits (MS-OXDSCLI ServerVersion layout). */
  serverVersion: string;
  /** EXPR Server: the RPC proxy host name Outlook connects to over HTTPS. */
  proxyServer: string;
  httpAuthPackage: AuthPackageName;
  rpcAuthPackage: AuthPackageName;
  /** EXPR ServerExclusiveConnect On. */
  preferHttp: boolean;
  certPrincipalName: string | null;
  ewsUrl: string | null;
  oabUrl: string | null;
  emwsUrl: string | null;
  owaUrl: string | null;
  /** EXCH Port, DirectoryPort and ReferralPort (the ncacn_ip_tcp port serving EMSMDB, NSPI and RFR); null = not sent. */
  rpcPort: number | null;
  deploymentId: string;
  /** Lower-cased SMTP domain -> the domain a redirectAddr answer names. */
  redirectDomains: ReadonlyMap<string, string>;
  /** The Error element's Id attribute: a number derived from the host name (Exchange: a hash of the CAS name). */
  errorId: string;
}

const PACKAGE_NAMES: Record<string, AuthPackageName> = { ntlm: 'Ntlm', basic: 'Basic', negotiate: 'Negotiate' };

/**
 * MS-OXDSCLI ServerVersion: 32 bits as 8 hex digits, from the top: 4 bits 0111, 6 bits major version, 6 bits minor
 * version, 1 bit set, 15 bits build number (Exchange 2010 SP1 14.1.218 is 738180DA).
 */
export function serverVersionHex(version: readonly [number, number, number, ...number[]]): string {
  const [major, minor, build] = version;
  const v = ((0x7 << 28) | ((major & 0x3f) << 22) | ((minor & 0x3f) << 16) | 0x8000 | (build & 0x7fff)) >>> 0;
  return v.toString(16).toUpperCase().padStart(8, '0');
}

/** A GUID derived from the organization name (name-based, RFC 9562 version 5 layout): stable across restarts. */
export function deploymentIdOf(organization: string): string {
  const h = createHash('sha1').update('ocng-autodiscover-deployment:').update(organization.toLowerCase(), 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** "a.example=b.example,c.example=b.example" -> { a.example -> b.example, c.example -> b.example } (lower-cased). */
export function parseRedirectDomains(spec: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of spec.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const from = pair.slice(0, eq).trim().toLowerCase();
    const to = pair.slice(eq + 1).trim().toLowerCase();
    if (from && to && from !== to) out.set(from, to);
  }
  return out;
}

export function autodiscoverSettings(
  config: Pick<Config, 'server' | 'autodiscover'>,
  opts: { rpcPort?: number | null } = {},
): AutodiscoverSettings {
  const a = config.autodiscover;
  const sdn = serverDn(config.server);
  const orNull = (v: string) => (v === '' ? null : v);
  const rpcPort = opts.rpcPort ?? null;
  return {
    mailboxServer: config.server.hostname,
    serverDN: sdn,
    mdbDN: mailboxStoreDn(sdn),
    serverVersion: serverVersionHex(SERVER_VERSION),
    proxyServer: a.externalHostname || config.server.hostname,
    httpAuthPackage: PACKAGE_NAMES[a.httpAuthPackage]!,
    rpcAuthPackage: PACKAGE_NAMES[a.rpcAuthPackage]!,
    preferHttp: a.preferHttp,
    certPrincipalName: orNull(a.certPrincipalName),
    ewsUrl: orNull(a.ewsUrl),
    oabUrl: orNull(a.oabUrl),
    emwsUrl: orNull(a.emwsUrl),
    owaUrl: orNull(a.owaUrl),
    rpcPort: rpcPort !== null && rpcPort > 0 && rpcPort < 65536 ? rpcPort : null,
    deploymentId: a.deploymentId ? a.deploymentId.toLowerCase() : deploymentIdOf(config.server.organization),
    redirectDomains: parseRedirectDomains(a.redirectDomains),
    errorId: String(createHash('sha1').update(config.server.hostname.toLowerCase()).digest().readUInt32BE(0)),
  };
}

/**
 * The settings as one client may see them: "Negotiate" as an AuthPackage only for a client that says it can handle
 * it (X-ClientCanHandle: Negotiate); other clients get Ntlm instead, as Exchange does from build 15.00.0995.014 on
 * (Exchange's POX Autodiscover request reference, "X-ClientCanHandle").
 */
export function forClient(s: AutodiscoverSettings, client: { negotiate: boolean }): AutodiscoverSettings {
  if (client.negotiate) return s;
  const fix = (p: AuthPackageName): AuthPackageName => (p === 'Negotiate' ? 'Ntlm' : p);
  return { ...s, httpAuthPackage: fix(s.httpAuthPackage), rpcAuthPackage: fix(s.rpcAuthPackage) };
}

/** True when an X-ClientCanHandle header value lists "Negotiate" (a comma-separated list, any case). */
export function clientCanHandleNegotiate(header: string | string[] | undefined): boolean {
  const v = Array.isArray(header) ? header.join(',') : (header ?? '');
  return v.split(',').some((x) => x.trim().toLowerCase() === 'negotiate');
}
