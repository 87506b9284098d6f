// The configuration schema: the one place where every key's type, range, default and description live. The docs
// (README table, ocng.example.yaml), the environment variable names and the --set parser are all derived from it
// (see keys.ts), so a new key is added here and nowhere else.
import os from 'node:os';
import net from 'node:net';
import { z } from 'zod';
import type { Config } from './types.js';

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

const authSchema = z.strictObject({
  allowNtlmV1: key(z.boolean(), true, {
    description: 'Accept NTLMv1 responses with extended session security (plain NTLMv1 and LM are always refused).',
  }),
  maxClockSkewSeconds: key(int(0, 10 * 365 * 24 * 3600), 129600, {
    description: "Largest accepted difference between a client's NTLMv2 timestamp and the server clock (seconds); 0 = no check.",
  }),
});

const directorySchema = z.strictObject({
  provider: key(z.enum(['builtin']), 'builtin', {
    description: 'Directory provider: `builtin` (SQLite file `directory.sqlite` in `dataDir`).',
  }),
  demoUser: key(z.boolean(), true, {
    description: 'Create the user `demo` with a random password (saved in `dataDir`/demo-password.txt) when the directory has no users.',
  }),
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
});

// The schema must produce exactly the Config contract, no more and no less.
type Assignable<From extends To, To> = [From, To];
type SchemaOutput = z.output<typeof configSchema>;
export type ConfigSchemaMatchesConfig = [Assignable<SchemaOutput, Config>, Assignable<Config, SchemaOutput>];

export { LOG_LEVELS };
