// Talking to the LDAP server with ldapts: one connection per refresh or password check (bounded by the configured
// timeout), paged searches, and LDAP/socket failures turned into coded DirectoryErrors that say what to check.
import fs from 'node:fs';
import { Client, InvalidCredentialsError, NoSuchObjectError, ResultCodeError } from 'ldapts';
import type { LdapConfig } from '../config/types.js';
import { DirectoryError, DirectoryErrorCode } from './errors.js';
import type { RawEntry } from './ldap-map.js';

export interface LdapSettings {
  config: LdapConfig;
  /** The bind password (from bindPassword or the first line of bindPasswordFile). */
  bindPassword: string;
  /** CA certificates read from tls.caFile. */
  ca: Buffer | undefined;
}

/** Reads the files the settings name; a missing or unreadable file is an LDAP_CONFIG error. */
export function loadSettings(config: LdapConfig): LdapSettings {
  let bindPassword = config.bindPassword;
  if (config.bindPasswordFile) {
    try {
      bindPassword = fs.readFileSync(config.bindPasswordFile, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new DirectoryError(
        DirectoryErrorCode.LDAP_CONFIG,
        `cannot read directory.ldap.bindPasswordFile ${config.bindPasswordFile}: ${(e as Error).message}`,
      );
    }
  }
  let ca: Buffer | undefined;
  if (config.tls.caFile) {
    try {
      ca = fs.readFileSync(config.tls.caFile);
    } catch (e) {
      throw new DirectoryError(DirectoryErrorCode.LDAP_CONFIG, `cannot read directory.ldap.tls.caFile ${config.tls.caFile}: ${(e as Error).message}`);
    }
  }
  if (config.bindDn && !bindPassword) {
    throw new DirectoryError(
      DirectoryErrorCode.LDAP_CONFIG,
      'directory.ldap.bindDn is set but no password is (directory.ldap.bindPassword or directory.ldap.bindPasswordFile)',
    );
  }
  return { config, bindPassword, ca };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

/** A one-line coded error for a failure at `phase`. */
export function classify(e: unknown, phase: 'connect' | 'bind' | 'search', s: LdapSettings, what = ''): DirectoryError {
  if (e instanceof DirectoryError) return e;
  const c = s.config;
  const err = e as { code?: unknown; message?: string };
  const msg = (err?.message ?? String(e)).split('\n')[0] ?? '';
  if (e instanceof InvalidCredentialsError) {
    return new DirectoryError(
      DirectoryErrorCode.LDAP_BIND_FAILED,
      `the LDAP server ${c.url} refused the bind as ${JSON.stringify(c.bindDn)}: invalid credentials (check directory.ldap.bindDn and its password)`,
    );
  }
  if (e instanceof NoSuchObjectError) {
    return new DirectoryError(
      DirectoryErrorCode.LDAP_SEARCH_FAILED,
      `the LDAP server ${c.url} has no entry ${JSON.stringify(c.baseDn)} (check directory.ldap.baseDn)`,
    );
  }
  if (e instanceof ResultCodeError) {
    const code =
      phase === 'connect' // StartTLS refused
        ? DirectoryErrorCode.LDAP_UNREACHABLE
        : phase === 'bind'
          ? DirectoryErrorCode.LDAP_BIND_FAILED
          : DirectoryErrorCode.LDAP_SEARCH_FAILED;
    return new DirectoryError(code, `LDAP ${phase}${what ? ' of ' + what : ''} on ${c.url} failed: ${msg} (result code ${String(err.code)})`);
  }
  const netCode = typeof err?.code === 'string' ? err.code : '';
  if (
    NETWORK_CODES.has(netCode) ||
    /timeout|timed out|socket|connection closed|certificate|self[- ]signed|TLS|SSL/i.test(msg) ||
    netCode.startsWith('ERR_TLS') ||
    netCode.includes('CERT')
  ) {
    return new DirectoryError(DirectoryErrorCode.LDAP_UNREACHABLE, `cannot reach the LDAP server ${c.url}: ${msg}${netCode && !msg.includes(netCode) ? ` (${netCode})` : ''}`);
  }
  return new DirectoryError(DirectoryErrorCode.LDAP_SEARCH_FAILED, `LDAP ${phase}${what ? ' of ' + what : ''} on ${c.url} failed: ${msg}`);
}

/** A connected client (StartTLS done when configured), not yet bound. */
export async function connect(s: LdapSettings): Promise<Client> {
  const ms = s.config.timeoutSeconds * 1000;
  const tlsOptions = { ca: s.ca, rejectUnauthorized: s.config.tls.rejectUnauthorized };
  const client = new Client({
    url: s.config.url,
    timeout: ms,
    connectTimeout: ms,
    strictDN: false,
    // ldapts speaks TLS from the start whenever tlsOptions are given, so only for ldaps://.
    ...(/^ldaps:/i.test(s.config.url) ? { tlsOptions } : {}),
  });
  if (s.config.tls.startTls) {
    try {
      await client.startTLS(tlsOptions);
    } catch (e) {
      await close(client);
      throw classify(e, 'connect', s);
    }
  }
  return client;
}

export async function close(client: Client): Promise<void> {
  try {
    await client.unbind();
  } catch {
    // the connection is gone either way
  }
}

/** Connects and binds as the configured service account (anonymous when bindDn is empty). */
export async function connectAndBind(s: LdapSettings): Promise<Client> {
  const client = await connect(s);
  try {
    if (s.config.bindDn) await client.bind(s.config.bindDn, s.bindPassword);
    return client;
  } catch (e) {
    await close(client);
    throw classify(e, 'bind', s);
  }
}

export interface SearchResultPages {
  entries: RawEntry[];
  pages: number;
}

/** A paged search below baseDn; every page bounded by the timeout. */
export async function pagedSearch(
  client: Client,
  s: LdapSettings,
  what: string,
  filter: string,
  attributes: string[],
  buffers: string[],
): Promise<SearchResultPages> {
  const entries: RawEntry[] = [];
  let pages = 0;
  try {
    for await (const page of client.searchPaginated(s.config.baseDn, {
      scope: s.config.scope,
      filter,
      attributes,
      explicitBufferAttributes: buffers,
      paged: { pageSize: s.config.pageSize },
      timeLimit: s.config.timeoutSeconds,
    })) {
      pages++;
      entries.push(...(page.searchEntries as RawEntry[]));
    }
  } catch (e) {
    throw classify(e, 'search', s, what);
  }
  return { entries, pages };
}
