// The configuration schema: the one place where every key's type, range, default and description live. The docs
// (README table, ocng.example.yaml), the environment variable names and the --set parser are all derived from it
// (see keys.ts), so a new key is added here and nowhere else.
import os from 'node:os';
import net from 'node:net';
import { z } from 'zod';
import type { Config } from './types.js';
import { LDAP_ATTRIBUTE_DESCRIPTIONS, LDAP_ATTRIBUTE_KEYS, LDAP_PRESETS, type LdapAttributeKey, type LdapAttributeMap } from './ldap-presets.js';

/** Metadata attached to every leaf key; read back by keys.ts. */
export interface KeyMeta {
  description: string;
  /** How the default is shown in the docs when it is computed at run time. */
  docDefault?: string;
  /** A sample value for ocng.example.yaml when the default is computed at run time. */
  example?: string;
}

function key<T extends z.ZodType>(schema: T, def: z.util.NoUndefined<z.output<T>> | (() => z.util.NoUndefined<z.output<T>>), meta: KeyMeta) {
  return schema.default(def as never).meta({ ...meta });
}

function derived<T extends z.ZodType>(schema: T, meta: KeyMeta & { docDefault: string; example: string }) {
  return schema.optional().meta({ ...meta });
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const port = () => int(0, 65535);

// A DNS name: dot-separated labels of letters, digits, '-' and '_' (container hostnames sometimes carry '_').
const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
// NetBIOS names: 1..15 characters, none of them blank or one of \ / : * ? " < > | .
const NETBIOS_RE = /^[^\s\\/:*?"<>|.]{1,15}$/;

const hostname = z.string().regex(HOSTNAME_RE, 'must be a DNS name (letters, digits, "-", "_" and dots)');
const netbios = z
  .string()
  .max(15, 'must be at most 15 characters')
  .regex(NETBIOS_RE, 'must be 1..15 characters without blanks, dots or any of \\ / : * ? " < > |');
const dnComponent = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[^/=\n\r]+$/, 'must not contain "/", "=" or line breaks (it becomes part of legacyExchangeDNs)');

/** The machine's host name, lower-cased, or `localhost` if the OS reports something that is not a DNS name. */
export function defaultHostname(): string {
  const h = os.hostname().toLowerCase();
  return HOSTNAME_RE.test(h) ? h : 'localhost';
}

/** The DNS domain implied by a host name: what follows its first dot, or `localdomain`. */
export function dnsDomainOf(host: string): string {
  if (net.isIP(host)) return 'localdomain';
  const dot = host.indexOf('.');
  return dot > 0 && dot < host.length - 1 ? host.slice(dot + 1) : 'localdomain';
}

/** The NetBIOS name implied by a host name: its first label, upper-cased, cut to 15 characters. */
export function netbiosNameOf(host: string): string {
  if (net.isIP(host)) return 'OCNG';
  const label = host.split('.')[0] ?? '';
  return label.slice(0, 15).toUpperCase() || 'OCNG';
}

const serverSchema = z
  .strictObject({
    hostname: key(hostname, defaultHostname, {
      description: 'DNS name clients use for this server (NTLM DnsComputerName, endpoint towers, Autodiscover).',
      docDefault: '`os.hostname()`, lower-cased',
      example: 'mail.example.com',
    }),
    netbiosName: derived(netbios, {
      description: 'NetBIOS computer name (NTLM NbComputerName), at most 15 characters, no blanks.',
      docDefault: 'first label of `server.hostname`, upper-cased, cut to 15 characters',
      example: 'MAIL',
    }),
    domain: key(netbios, 'OCNG', { description: 'NetBIOS domain name (NTLM target name / NbDomainName), at most 15 characters.' }),
    dnsDomain: derived(hostname, {
      description: 'DNS domain name (NTLM DnsDomainName); also the domain of default SMTP addresses.',
      docDefault: 'what follows the first dot of `server.hostname`, else `localdomain`',
      example: 'example.com',
    }),
    organization: key(dnComponent, 'First Organization', {
      description: 'Exchange organization name used in legacyExchangeDNs (`/o=...`).',
    }),
    administrativeGroup: key(dnComponent, 'Exchange Administrative Group (FYDIBOHF23SPDLT)', {
      description: 'Exchange administrative group used in legacyExchangeDNs (`/ou=...`).',
    }),
  })
  .transform(
    (s): Config['server'] => ({
      hostname: s.hostname,
      netbiosName: s.netbiosName ?? netbiosNameOf(s.hostname),
      domain: s.domain,
      dnsDomain: s.dnsDomain ?? dnsDomainOf(s.hostname),
      organization: s.organization,
      administrativeGroup: s.administrativeGroup,
    }),
  );

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const logSchema = z.strictObject({
  level: key(z.enum(LOG_LEVELS), 'info', { description: 'Log level.' }),
  file: key(z.string(), '', { description: 'File to append the log to (JSON lines); empty = standard output.' }),
});

const rpcSchema = z.strictObject({
  listen: key(z.string().regex(/^\S+$/, 'must be an IP address or host name'), '0.0.0.0', {
    description: 'Address the RPC listeners bind to.',
  }),
  port: key(port(), 6100, {
    description: 'ncacn_ip_tcp port serving EMSMDB, AsyncEMSMDB, NSPI, RFR, the endpoint mapper and mgmt; 0 = any free port.',
  }),
  epmPort: key(int(-1, 65535), 135, {
    description: 'Separate endpoint mapper port (135 on Windows); -1 = no separate listener; 0 = any free port.',
  }),
  advertiseAddress: key(
    z.string().refine((v) => v === '' || net.isIPv4(v), 'must be empty or an IPv4 address'),
    '',
    { description: 'IPv4 address put into endpoint-mapper towers; empty = the local address the client connected to.' },
  ),
  httpPorts: z
    .strictObject({
      emsmdb: key(port(), 6001, { description: 'ncacn_http port advertised for EMSMDB (RPC over HTTP virtual port).' }),
      nspi: key(port(), 6004, { description: 'ncacn_http port advertised for NSPI (RPC over HTTP virtual port).' }),
      rfr: key(port(), 6002, { description: 'ncacn_http port advertised for RFR (RPC over HTTP virtual port).' }),
    })
    .prefault({}),
  maxFragmentSize: key(int(1432, 65535), 5840, {
    description: "Largest RPC fragment accepted or sent (bytes, 1432..65535); a client's smaller maximum is honoured.",
  }),
  maxRequestSize: key(int(65536, 1024 * 1024 * 1024), 16 * 1024 * 1024, {
    description: 'Largest reassembled RPC request (bytes, 65536..1 GiB) and the largest alloc_hint honoured.',
  }),
  maxConnections: key(int(1, 1_000_000), 1000, { description: 'Most simultaneous RPC connections over all listeners.' }),
  idleTimeoutSeconds: key(int(0, 7 * 24 * 3600), 900, {
    description: 'Close an RPC connection idle for this many seconds; 0 = never.',
  }),
  maxAssociationGroups: key(int(1, 10_000_000), 10000, { description: 'Most association groups kept by the server.' }),
});

// MS-OXCRPC sessions (EcDoConnectEx) and the ROP engine's per-session limits.
const CLIENT_VERSION_RE = /^\d{1,5}(\.\d{1,5}){1,3}$/;
const emsmdbSchema = z.strictObject({
  minClientVersion: key(z.string().regex(CLIENT_VERSION_RE, 'must be a version like 12.0.6206.1000'), '12.0.0.0', {
    description: 'Oldest Outlook (EMSMDB client version) allowed to connect; older clients get ecVersionMismatch (12 = Outlook 2007).',
  }),
  requireEncryption: key(z.boolean(), true, {
    description: 'Refuse EcDoConnectEx below RPC packet privacy (ecNotEncrypted), as Exchange does by default.',
  }),
  maxSessionsPerUser: key(int(1, 10000), 32, { description: 'Most EMSMDB sessions one user may hold at once.' }),
  maxObjectsPerSession: key(int(16, 1_000_000), 8192, { description: 'Most server objects (logons, folders, tables, messages ...) open in one EMSMDB session.' }),
  sessionIdleSeconds: key(int(60, 7 * 24 * 3600), 3600, { description: 'End an EMSMDB session not used for this many seconds.' }),
  asyncWaitSeconds: key(int(1, 3600), 300, { description: 'How long EcDoAsyncWaitEx waits for a notification before it completes without one.' }),
  fastTransferReadAhead: key(int(0, 64 * 1024 * 1024), 1048576, {
    description:
      'Bytes of a FastTransfer / ICS download stream (Cached Exchange Mode sync, copy operations) the server prepares ahead while the client reads the previous buffer; 0 = produce only on request. Costs up to about this much memory per session in a download (a chained response carries 0.5-0.8 MiB of stream: 1 MiB covers the next one). Measured on 2 cores shared by client and server: first syncs 15-40% faster than with 0.',
  }),
  fastTransferCompressAhead: key(z.boolean(), true, {
    description:
      "While the client reads one response of a FastTransfer / ICS download, LZ77-compress the payloads its next, identical request will get (from the stream prepared by fastTransferReadAhead), so that response only needs sealing. A payload is used only when its bytes are exactly the predicted ones. Costs about one response (a few hundred KB) of memory per downloading session, and CPU for predictions the client does not take.",
  }),
});

const authSchema = z.strictObject({
  allowNtlmV1: key(z.boolean(), true, {
    description: 'Accept NTLMv1 responses with extended session security (plain NTLMv1 and LM are always refused).',
  }),
  maxClockSkewSeconds: key(int(0, 10 * 365 * 24 * 3600), 129600, {
    description: "Largest accepted difference between a client's NTLMv2 timestamp and the server clock (seconds); 0 = no check.",
  }),
});

// ldap://host[:port] or ldaps://host[:port] (ldapts takes protocol, host and port only).
const LDAP_URL_RE = /^ldaps?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?\/?$/i;

/** How a per-schema default is documented: `uid` (openldap), `sAMAccountName` (ad). */
function presetDoc(pick: (p: (typeof LDAP_PRESETS)['openldap']) => string): string {
  const show = (v: string) => (v ? '`' + v + '`' : '(none)');
  return `${show(pick(LDAP_PRESETS.openldap))} (openldap), ${show(pick(LDAP_PRESETS.ad))} (ad)`;
}

const ldapAttributesSchema = z.strictObject(
  Object.fromEntries(
    LDAP_ATTRIBUTE_KEYS.map((k) => [
      k,
      derived(z.string().regex(/^[A-Za-z0-9;.-]*$/, 'must be an LDAP attribute name (letters, digits, "-", ";" options) or empty'), {
        description: LDAP_ATTRIBUTE_DESCRIPTIONS[k] + (k === 'username' ? '' : ' Empty = not mapped.'),
        docDefault: presetDoc((p) => p.attributes[k]),
        example: LDAP_PRESETS.openldap.attributes[k],
      }),
    ]),
  ) as Record<LdapAttributeKey, z.ZodOptional<z.ZodString>>,
);

const filter = (what: string, pick: (p: (typeof LDAP_PRESETS)['openldap']) => string, extra = '') =>
  derived(z.string().refine((v) => v === '' || (v.startsWith('(') && v.endsWith(')')), 'must be an LDAP filter in parentheses'), {
    description: `LDAP filter selecting the ${what}${extra}.`,
    docDefault: presetDoc(pick),
    example: pick(LDAP_PRESETS.openldap),
  });

const ldapSchema = z
  .strictObject({
    url: key(z.string().refine((v) => v === '' || LDAP_URL_RE.test(v), 'must be ldap://host[:port] or ldaps://host[:port]'), '', {
      description: 'LDAP server, `ldap://host[:port]` or `ldaps://host[:port]`; required when `directory.provider` is `ldap`.',
    }),
    schema: key(z.enum(['openldap', 'ad']), 'openldap', {
      description:
        'Which defaults the filters and attribute names take: `openldap` (inetOrgPerson + Samba schema, groupOfNames/posixGroup) or `ad` (Active Directory, Samba 4 AD).',
    }),
    bindDn: key(z.string(), '', { description: 'DN the server binds as to read the directory; empty = anonymous.' }),
    bindPassword: key(z.string(), '', { description: 'Password of `directory.ldap.bindDn` (or use `directory.ldap.bindPasswordFile`).' }),
    bindPasswordFile: key(z.string(), '', {
      description: 'File whose first line is the password of `directory.ldap.bindDn`; relative to the current directory.',
    }),
    baseDn: key(z.string(), '', {
      description: 'Where the searches start (e.g. `dc=example,dc=com`); required when `directory.provider` is `ldap`.',
    }),
    userFilter: filter('users', (p) => p.userFilter),
    groupFilter: filter('groups', (p) => p.groupFilter),
    contactFilter: filter('mail contacts', (p) => p.contactFilter, '; empty = no contacts'),
    scope: key(z.enum(['sub', 'one']), 'sub', { description: 'Search scope below `directory.ldap.baseDn`: the whole subtree or one level.' }),
    pageSize: key(int(1, 100000), 500, {
      description: 'Entries per page of the paged searches (Active Directory serves at most 1000); the server size limit must allow the whole result.',
    }),
    refreshSeconds: key(int(1, 86400), 300, {
      description: 'Reload the in-memory index from LDAP every this many seconds; a failed reload keeps the previous index.',
    }),
    timeoutSeconds: key(int(1, 600), 10, { description: 'Time limit for connecting, binding (HTTP Basic checks) and each search.' }),
    tls: z
      .strictObject({
        caFile: key(z.string(), '', { description: 'PEM file with the CA certificates to trust for ldaps:// and StartTLS; empty = the system store.' }),
        rejectUnauthorized: key(z.boolean(), true, { description: 'Refuse a server certificate that does not verify (turn off only for tests).' }),
        startTls: key(z.boolean(), false, { description: 'Upgrade an `ldap://` connection with StartTLS before binding.' }),
      })
      .prefault({}),
    attributes: ldapAttributesSchema.prefault({}),
  })
  .transform((l): Config['directory']['ldap'] => {
    const preset = LDAP_PRESETS[l.schema];
    const attributes = {} as LdapAttributeMap;
    for (const k of LDAP_ATTRIBUTE_KEYS) attributes[k] = l.attributes[k] ?? preset.attributes[k];
    return {
      url: l.url,
      schema: l.schema,
      bindDn: l.bindDn,
      bindPassword: l.bindPassword,
      bindPasswordFile: l.bindPasswordFile,
      baseDn: l.baseDn,
      userFilter: l.userFilter ?? preset.userFilter,
      groupFilter: l.groupFilter ?? preset.groupFilter,
      contactFilter: l.contactFilter ?? preset.contactFilter,
      scope: l.scope,
      pageSize: l.pageSize,
      refreshSeconds: l.refreshSeconds,
      timeoutSeconds: l.timeoutSeconds,
      tls: l.tls,
      attributes,
    };
  });

const directorySchema = z
  .strictObject({
    provider: key(z.enum(['builtin', 'ldap']), 'builtin', {
      description:
        'Directory provider: `builtin` (SQLite file `directory.sqlite` in `dataDir`, managed with `ocng user/group/contact`) or `ldap` (read-only, see `directory.ldap.*`).',
    }),
    demoUser: key(z.boolean(), true, {
      description: 'Create the user `demo` with a random password (saved in `dataDir`/demo-password.txt) when the built-in directory has no users.',
    }),
    ldap: ldapSchema.prefault({}),
  })
  .superRefine((d, ctx) => {
    const l = d.ldap;
    if (l.bindPassword && l.bindPasswordFile) {
      ctx.addIssue({ code: 'custom', path: ['ldap', 'bindPasswordFile'], message: 'set either bindPassword or bindPasswordFile, not both', input: l.bindPasswordFile });
    }
    if (l.tls.startTls && /^ldaps:/i.test(l.url)) {
      ctx.addIssue({ code: 'custom', path: ['ldap', 'tls', 'startTls'], message: 'StartTLS is for ldap:// URLs; ldaps:// is already encrypted', input: true });
    }
    if (d.provider !== 'ldap') return;
    if (!l.url) ctx.addIssue({ code: 'custom', path: ['ldap', 'url'], message: 'is required when directory.provider is ldap', input: l.url });
    if (!l.baseDn) ctx.addIssue({ code: 'custom', path: ['ldap', 'baseDn'], message: 'is required when directory.provider is ldap', input: l.baseDn });
    if (!l.attributes.username) {
      ctx.addIssue({ code: 'custom', path: ['ldap', 'attributes', 'username'], message: 'must name an attribute', input: '' });
    }
  });

const storeSchema = z.strictObject({
  backend: key(z.enum(['local', 'imap']), 'local', {
    description:
      'Mailbox backend: `local` (embedded SQLite, one file per mailbox in `dataDir`/mailboxes) or `imap` (the same mailbox files, with the mail folders mirrored from and written back to the IMAP server of `imap.*`; docs/imap.md).',
  }),
  idBatch: key(int(1, 65536), 64, {
    description: 'Folder/message IDs and change numbers fetched from the index per round trip (a range; unused IDs of a range are skipped, never reused).',
  }),
  sqliteCacheKb: key(int(256, 1024 * 1024), 4096, {
    description:
      'SQLite page cache (KiB) of each open mailbox file and of the SQLite index: memory per open mailbox. Reads the OS page cache does not already serve faster are few (a Cached Exchange Mode download reads each row once); 16384 (the SQLite build default) measured ~10 MB more peak RSS in the IMAP bench at the same CPU time.',
  }),
});

const indexMysqlSchema = z.strictObject({
  url: key(z.string().refine((v) => v === '' || /^mysql:\/\/\S+$/i.test(v), 'must be empty or mysql://user:password@host:port/database'), '', {
    description: 'MySQL/MariaDB index as `mysql://user:password@host:port/database`; when set it wins over the separate host/port/user/password/database keys.',
  }),
  host: key(z.string().regex(/^\S+$/, 'must be a host name or IP address'), '127.0.0.1', { description: 'MySQL/MariaDB host of the index.' }),
  port: key(int(1, 65535), 3306, { description: 'MySQL/MariaDB port of the index.' }),
  user: key(z.string(), 'ocng', { description: 'MySQL/MariaDB user of the index.' }),
  password: key(z.string(), '', { description: 'Password of `index.mysql.user`.' }),
  database: key(z.string().regex(/^[A-Za-z0-9_$]*$/, 'must be a database name (letters, digits, "_", "$")'), 'ocng', {
    description: 'MySQL/MariaDB database holding the index tables (created on first use).',
  }),
  poolSize: key(int(1, 1000), 10, { description: 'Most simultaneous connections to the MySQL/MariaDB index.' }),
  connectTimeoutSeconds: key(int(1, 600), 10, { description: 'Time limit for connecting to the MySQL/MariaDB index.' }),
  queryTimeoutSeconds: key(int(1, 3600), 10, { description: 'Time limit for each query to the MySQL/MariaDB index.' }),
  queueLimit: key(int(0, 100000), 1000, {
    description: 'Requests that may wait for a free index connection; beyond this they fail at once (OC_STORE_INDEX_BUSY); 0 = no limit.',
  }),
  acquireTimeoutSeconds: key(int(0, 600), 0, {
    description: 'Time a request waits for a free index connection before it fails (OC_STORE_INDEX_BUSY); 0 = `connectTimeoutSeconds`.',
  }),
  maxRetries: key(int(0, 20), 3, { description: 'Retries of an index transaction or statement after a deadlock, a lock wait timeout or a lost connection.' }),
  lockWaitTimeoutSeconds: key(int(0, 3600), 0, { description: "Session `innodb_lock_wait_timeout` of the index connections; 0 = the server's setting." }),
  schemaLockTimeoutSeconds: key(int(1, 3600), 60, {
    description: "Time to wait at start-up while another server instance migrates the index schema (the migration runs under GET_LOCK('ocng-schema')).",
  }),
});

const indexSchema = z.strictObject({
  provider: key(z.enum(['sqlite', 'mysql']), 'sqlite', {
    description:
      'Index store (folder/message IDs, change numbers, named properties, backend item mappings): `sqlite` (file `index.sqlite` in `dataDir`) or `mysql` (MySQL/MariaDB, see `index.mysql.*`).',
  }),
  mysql: indexMysqlSchema.prefault({}),
});

// Autodiscover (MS-OXDSCLI POX): what the EXCH/EXPR/WEB Protocol elements say beyond server.*.
const httpUrl = (what: string) =>
  z.string().refine((v) => v === '' || /^https?:\/\/[^\s<>"]+$/i.test(v), `must be empty or an http(s):// URL (${what})`);
const REDIRECT_DOMAINS_RE = /^$|^[A-Za-z0-9.-]+=[A-Za-z0-9.-]+(,[A-Za-z0-9.-]+=[A-Za-z0-9.-]+)*$/;
const autodiscoverSchema = z.strictObject({
  enabled: key(z.boolean(), true, { description: 'Serve Autodiscover (MS-OXDSCLI POX) at `/autodiscover/autodiscover.xml` on the HTTPS front door.' }),
  externalHostname: key(z.string().refine((v) => v === '' || HOSTNAME_RE.test(v), 'must be empty or a DNS name'), '', {
    description: 'Host name Outlook reaches the RPC proxy under from outside (EXPR `Server`); empty = `server.hostname`.',
  }),
  httpAuthPackage: key(z.enum(['ntlm', 'basic', 'negotiate']), 'ntlm', {
    description: 'HTTP authentication Outlook is told to use with the RPC proxy (EXPR `AuthPackage`).',
  }),
  rpcAuthPackage: key(z.enum(['ntlm', 'negotiate']), 'ntlm', {
    description: 'RPC authentication Outlook is told to use over direct RPC/TCP (EXCH `AuthPackage`).',
  }),
  preferHttp: key(z.boolean(), true, {
    description: 'EXPR `ServerExclusiveConnect` On: Outlook connects over HTTP (Outlook Anywhere) first, on fast networks too.',
  }),
  certPrincipalName: key(z.string().regex(/^[^\s<>&"]*$/, 'must not contain blanks or any of < > & "'), '', {
    description: 'EXPR `CertPrincipalName`, e.g. `msstd:mail.example.com` (Outlook then accepts only that certificate name); empty = not sent.',
  }),
  ewsUrl: key(httpUrl('EWS'), '', { description: 'EWS URL sent as `ASUrl`, `EwsUrl` and `OOFUrl`; empty = not sent.' }),
  oabUrl: key(httpUrl('OAB'), '', { description: 'Offline address book URL (`OABUrl`); empty = not sent.' }),
  emwsUrl: key(httpUrl('EMWS'), '', { description: 'Exchange management web service URL (`EmwsUrl`); empty = not sent.' }),
  owaUrl: key(httpUrl('OWA'), '', { description: 'Outlook Web App URL (WEB `OWAUrl`); empty = no WEB Protocol element unless `ewsUrl` is set.' }),
  redirectDomains: key(z.string().regex(REDIRECT_DOMAINS_RE, 'must be empty or from.example=to.example[,from=to...]'), '', {
    description:
      'SMTP domains this server does not serve, as `from.example=to.example,...`: an unknown address `x@from.example` is answered with `redirectAddr` `x@to.example`.',
  }),
  deploymentId: key(z.string().regex(/^$|^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/, 'must be empty or a GUID'), '', {
    description: 'User `DeploymentId` (a GUID naming the organization); empty = derived from `server.organization`.',
  }),
});

// The HTTPS front door (src/web): RPC over HTTP, Autodiscover and later EWS share one listener.
const HTTP_SCHEMES_RE = /^(negotiate|ntlm|basic)(,(negotiate|ntlm|basic))*$/;
const HOST_LIST_RE = /^([A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*)?$/;
const httpSchema = z.strictObject({
  enabled: key(z.boolean(), false, {
    description: 'Start the HTTPS front door (RPC over HTTP "Outlook Anywhere", Autodiscover).',
  }),
  listen: key(z.string().regex(/^\S+$/, 'must be an IP address or host name'), '0.0.0.0', {
    description: 'Address the HTTPS (and plain HTTP) listeners bind to.',
  }),
  port: key(port(), 443, { description: 'HTTPS port; 0 = any free port.' }),
  plainPort: key(int(-1, 65535), -1, {
    description: 'Plain-HTTP port for running behind a TLS-terminating proxy; -1 = off; 0 = any free port.',
  }),
  trustProxy: key(z.boolean(), false, {
    description:
      'Requests on the plain-HTTP port count as secure (TLS ended at a proxy in front) and the last `X-Forwarded-For` address is the client (rate limits, logs).',
  }),
  certFile: key(z.string(), '', {
    description: 'PEM certificate (chain) of the HTTPS listener; empty = a self-signed one generated into `dataDir`/tls on first start.',
  }),
  keyFile: key(z.string(), '', { description: 'PEM private key of `http.certFile`.' }),
  hostnames: key(z.string().regex(HOST_LIST_RE, 'must be host names or IP addresses separated by commas'), '', {
    description: 'More host names (comma-separated) for the generated certificate, besides `server.hostname` (e.g. `autodiscover.example.com`).',
  }),
  legacyTls: key(z.boolean(), false, {
    description: 'Also accept TLS 1.0/1.1 and older ciphers (Outlook 2007/2010 on Windows XP/Vista/7 without TLS 1.2); default minimum TLS 1.2.',
  }),
  authSchemes: key(z.string().regex(HTTP_SCHEMES_RE, 'must list negotiate, ntlm and/or basic, separated by commas'), 'negotiate,ntlm,basic', {
    description: 'HTTP authentication schemes offered, in order (comma-separated: `negotiate`, `ntlm`, `basic`).',
  }),
  allowBasicOverHttp: key(z.boolean(), false, {
    description: 'Offer and accept Basic authentication on plain HTTP too (passwords in clear text; only for tests or a trusted network).',
  }),
  maxHeadBytes: key(int(1024, 1024 * 1024), 16384, { description: 'Largest request head (request line + header fields) accepted; larger gets 400.' }),
  maxHeaders: key(int(8, 1000), 100, { description: 'Most header fields in a request; more gets 400.' }),
  headTimeoutSeconds: key(int(1, 3600), 30, { description: 'Close a connection that has not sent a complete request head within this many seconds.' }),
  idleTimeoutSeconds: key(int(1, 24 * 3600), 120, { description: 'Close a keep-alive connection idle between requests for this many seconds.' }),
  maxConnections: key(int(1, 1_000_000), 5000, { description: 'Most simultaneous HTTP(S) connections; more are closed at once.' }),
  maxAuthFailuresPerAddress: key(int(0, 1_000_000), 20, {
    description: 'Failed logins from one address within `http.authFailureWindowSeconds` before it gets 429 (Retry-After); 0 = no limit.',
  }),
  maxAuthFailuresPerUser: key(int(0, 1_000_000), 10, {
    description: 'Failed logins for one user name within `http.authFailureWindowSeconds` before it gets 429 (Retry-After); 0 = no limit.',
  }),
  authFailureWindowSeconds: key(int(1, 7 * 24 * 3600), 300, { description: 'Window over which failed HTTP logins are counted.' }),
  rpcOutChannel: key(z.enum(['raw', 'chunked']), 'raw', {
    description:
      'RPC over HTTP OUT channel body: `raw` (Content-Length = channel lifetime, as Windows) or `chunked` (Transfer-Encoding: chunked, for reverse proxies that buffer or cut long fixed-length responses; HTTP/1.0 requests stay raw).',
  }),
});

// Outgoing mail (src/transport, docs/sending.md): the relay external recipients are sent through with nodemailer.
const smtpSchema = z.strictObject({
  host: key(z.string().refine((v) => v === '' || HOSTNAME_RE.test(v) || net.isIP(v) !== 0, 'must be empty, a DNS name or an IP address'), '', {
    description: 'SMTP relay for external recipients; empty = no relay: mail to external recipients comes back as a non-delivery report.',
  }),
  port: key(int(1, 65535), 25, { description: 'Port of the SMTP relay (25, 587 with `starttls`, 465 with `tls`).' }),
  security: key(z.enum(['none', 'starttls', 'tls']), 'none', {
    description: 'Connection security to the relay: `none` (plain; STARTTLS used when offered, opportunistically: its certificate is not checked), `starttls` (STARTTLS required, certificate checked), `tls` (TLS from the first byte, certificate checked).',
  }),
  allowInvalidCertificates: key(z.boolean(), false, { description: "Accept the relay's certificate without checking it (self-signed test relays only)." }),
  caFile: key(z.string(), '', {
    description:
      "PEM file of the certificate authorities to trust for the relay's certificate, instead of Node's built-in list: a site CA, or the relay's own certificate when it is self-signed. Read at start-up. Empty: the built-in list (plus `NODE_EXTRA_CA_CERTS`).",
  }),
  user: key(z.string(), '', { description: 'User for SMTP AUTH at the relay; empty = no authentication.' }),
  password: key(z.string(), '', { description: 'Password of `smtp.user`.' }),
  heloName: key(z.string().refine((v) => v === '' || HOSTNAME_RE.test(v), 'must be empty or a DNS name'), '', {
    description: 'Name sent in EHLO/HELO; empty = `server.hostname`.',
  }),
  timeoutSeconds: key(int(1, 3600), 60, { description: 'Time limit for connecting to the relay, its greeting and each reply; on expiry the recipients get a non-delivery report.' }),
  allowExternal: key(z.boolean(), true, {
    description: 'Send mail to recipients outside the directory at all; false = they get a non-delivery report (local delivery only).',
  }),
  maxSendSizeKb: key(int(0, 2 * 1024 * 1024), 10240, {
    description:
      "Largest message a user may send, to any recipient (local or external), in KiB of the message's MAPI size (PidTagMessageSize: properties, recipients and attachments, before MIME encoding adds about a third). Outlook reads it from the store (PidTagMaximumSubmitMessageSize) and refuses a bigger message itself; a bigger submission is refused with ecMaxSubmissionExceeded and stays unsent. 0 = no limit.",
  }),
});

// The IMAP server holding the users' mail (store.backend imap): connection, the trust mode the server logs in with
// for a user (docs/imap.md "IMAP trust modes"), and the per-user connection pools.
const imapSchema = z.strictObject({
  host: key(z.string().refine((v) => v === '' || HOSTNAME_RE.test(v) || net.isIP(v) !== 0, 'must be empty, a DNS name or an IP address'), '', {
    description: 'IMAP server holding the mail (Dovecot, Cyrus); required with `store.backend: imap`.',
  }),
  port: key(int(1, 65535), 143, { description: 'IMAP port (143 with `none`/`starttls`, 993 with `tls`).' }),
  security: key(z.enum(['none', 'starttls', 'tls']), 'starttls', {
    description: 'Connection security: `none` (plain; loopback or a trusted network only), `starttls` (STARTTLS required), `tls` (TLS from the first byte).',
  }),
  allowInvalidCertificates: key(z.boolean(), false, { description: "Accept the IMAP server's certificate without checking it (test servers only)." }),
  caFile: key(z.string(), '', {
    description:
      "PEM file of the certificate authorities to trust for the IMAP server's certificate (`starttls`/`tls`), instead of Node's built-in list: a site CA, or the server's own certificate when it is self-signed. Read at start-up. Empty: the built-in list (plus `NODE_EXTRA_CA_CERTS`).",
  }),
  auth: key(z.enum(['master', 'trusted', 'passwordFile', 'userPassword']), 'master', {
    description:
      "How the server logs in as a user: `master` (a master user, e.g. Dovecot `user*master`), `trusted` (the IMAP server accepts any password from this host: Dovecot static `nopassword`, Cyrus `alwaystrue`), `passwordFile` (per-user passwords from `imap.passwordFile`), `userPassword` (the password the user gave over HTTP Basic, kept in memory for `imap.userPasswordSeconds`; a user who has not signed in with Basic within that time cannot reach their mail).",
  }),
  loginName: key(
    z.string().refine((v) => v.split('%u').length === 2 && !v.replace('%u', '').includes('%') && !/[\s*]/.test(v), 'must hold %u once, and no other %, space or *'),
    '%u',
    {
      description:
        "The IMAP user name of a user, `%u` standing for the directory username: `%u@example.com` where the IMAP server knows its users by address. Also the form of the users in IMAP ACLs (folder permissions). `imap.passwordFile` stays keyed by the directory username.",
    },
  ),
  masterUser: key(z.string(), '', { description: 'Master user name (`auth: master`).' }),
  masterPassword: key(z.string(), '', { description: 'Master user password (`auth: master`); prefer `masterPasswordFile`.' }),
  masterPasswordFile: key(z.string(), '', { description: 'File whose first line is the master password (`auth: master`); wins over `masterPassword`.' }),
  masterSeparator: key(z.string().min(1).max(4), '*', {
    description: 'Between the user and the master user name in the login (`alice*master`; Dovecot `auth_master_user_separator`).',
  }),
  masterLogin: key(z.enum(['separator', 'authzid']), 'separator', {
    description:
      'How a master login names the user (`auth: master`): `separator`, LOGIN `alice*master` (Dovecot); `authzid`, SASL PLAIN (RFC 4616) as the master user with the user as authorization identity (Cyrus `proxyservers`, Dovecot master users too). With `authzid` a server without AUTH=PLAIN refuses the login.',
  }),
  trustedPassword: key(z.string(), 'trusted', { description: 'Password sent in `auth: trusted` mode (the IMAP server ignores it).' }),
  passwordFile: key(z.string(), '', {
    description: 'For `auth: passwordFile`: a file of `user:password` lines (`#` comments), re-read when it changes; keep it readable by the server only.',
  }),
  userPasswordSeconds: key(int(60, 30 * 86400), 8 * 3600, {
    description:
      "For `auth: userPassword`: how long the server keeps a user's password, in memory only, after the user's last HTTP Basic sign-in (RPC over HTTP, Autodiscover). While kept, the user's mail is reachable from every session, NTLM ones included; after it, only once the user signs in with Basic again.",
  }),
  maxConnectionsPerUser: key(int(1, 100), 4, {
    description:
      'Most IMAP connections open at once for one user (requests wait for a free one). At least 2: a sync and a write-back of Outlook\'s changes run side by side; at least 3 with `imap.idle` on, which keeps one more.',
  }),
  idleSeconds: key(int(5, 86400), 300, { description: 'Close a pooled IMAP connection unused for this many seconds.' }),
  timeoutSeconds: key(int(1, 3600), 30, { description: 'Time limit for connecting, logging in and each command; a connection that exceeds it is dropped and the request fails.' }),
  syncIntervalSeconds: key(int(5, 86400), 60, {
    description: 'While a mailbox is open (`store.backend: imap`), every mirrored folder is synchronized from the IMAP server this often.',
  }),
  logonSyncSeconds: key(int(0, 86400), 10, {
    description:
      "How long a logon that opens a user's mailbox waits for its mail folders to be brought up to date from the IMAP server (the whole mailbox at the first logon): the folder hierarchy always comes first; mail still being fetched after this many seconds goes on in the background while the logon completes, and Outlook gets it through its notifications or with its next sync. 0 = never wait for mail.",
  }),
  idle: key(z.boolean(), true, {
    description: "While a mailbox is open, one of the user's pooled IMAP connections (counted in `imap.maxConnectionsPerUser`) waits in IDLE on INBOX, so new, changed and expunged mail reaches Outlook at once rather than at the next interval.",
  }),
  notify: key(z.boolean(), true, {
    description:
      'With `imap.idle`, the IDLE connection also asks a server that advertises NOTIFY (RFC 5465; Dovecot with `mailbox_list_index = yes`) to report new, changed and expunged mail in every other folder of the user\'s own mailboxes, so mail that a Sieve filter or another client puts there reaches Outlook at once too. Folders created, renamed or deleted on the server still wait for `imap.syncIntervalSeconds`. Off: only INBOX is watched between intervals.',
  }),
  fetchBatchBytes: key(int(65536, 1024 * 1024 * 1024), 16 * 1024 * 1024, {
    description:
      'Most bytes of mail (the messages\' RFC822.SIZE) one UID FETCH of new messages brings, besides the limit of 200 messages; a larger message is fetched alone. The mirror fetches the next batch while it stores one, so a mailbox being mirrored holds about twice this in memory (plus its largest message).',
  }),
  quotaWarningPercent: key(int(1, 100), 90, {
    description:
      "With an IMAP server that has QUOTA: the share of the user's STORAGE quota at which Outlook warns that the mailbox is almost full (the store's PidTagStorageQuotaLimit, in percent of the IMAP limit). Above `imap.quotaSendPercent` it is taken as that level. 100 = warn only when the mailbox is full.",
  }),
  quotaSendPercent: key(int(1, 100), 100, {
    description:
      "With an IMAP server that has QUOTA: the share of the user's STORAGE quota past which the user can no longer send (PidTagProhibitSendQuota; a submission refused with ecQuotaExceeded) while mail still arrives up to the IMAP limit itself (PidTagProhibitReceiveQuota). 100 = sending stops when the mailbox is full.",
  }),
}).superRefine((d, ctx) => {
  // a mailbox's sync holds a connection while it waits for its turn with the write-back, and a write-back call holds
  // its turn while it waits for a connection (docs/imap.md "Why the mirror stays quiet"), and the IDLE connection keeps
  // its slot while the mailbox is open: with fewer slots a write-back during a sync would wait until
  // imap.timeoutSeconds and fail
  const least = d.idle ? 3 : 2;
  if (d.maxConnectionsPerUser < least) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxConnectionsPerUser'],
      message: d.idle
        ? 'must be at least 3 while imap.idle is on (one for IDLE as long as the mailbox is open, one for a sync, one for the write-back)'
        : 'must be at least 2 (one for a sync, one for the write-back)',
      input: d.maxConnectionsPerUser,
    });
  }
});

export const configSchema = z.strictObject({
  dataDir: key(z.string().min(1, 'must not be empty'), './data', {
    description: 'Directory for the SQLite files and generated state; created if missing; relative to the current directory.',
  }),
  server: serverSchema.prefault({}),
  log: logSchema.prefault({}),
  rpc: rpcSchema.prefault({}),
  auth: authSchema.prefault({}),
  directory: directorySchema.prefault({}),
  emsmdb: emsmdbSchema.prefault({}),
  store: storeSchema.prefault({}),
  index: indexSchema.prefault({}),
  http: httpSchema.prefault({}),
  autodiscover: autodiscoverSchema.prefault({}),
  smtp: smtpSchema.prefault({}),
  imap: imapSchema.prefault({}),
});

// The schema must produce exactly the Config contract, no more and no less.
type Assignable<From extends To, To> = [From, To];
type SchemaOutput = z.output<typeof configSchema>;
export type ConfigSchemaMatchesConfig = [Assignable<SchemaOutput, Config>, Assignable<Config, SchemaOutput>];

export { LOG_LEVELS };
