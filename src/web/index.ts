// The HTTPS front door (issue 5): a TLS listener (and optionally a plain-HTTP one behind a TLS-terminating proxy)
// whose connections go through listener.ts. RPC over HTTP (src/rpcproxy) registers its handler with
// registerRpcProxy, Autodiscover and later EWS register routes with addRoute; both after startWeb resolved.
import net from 'node:net';
import tls from 'node:tls';
import type { AccountLookup, NtlmServerOptions } from '../auth/index.js';
import type { Config } from '../config/types.js';
import type { Directory } from '../directory/types.js';
import { ConfigError, describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { AUTH_SCHEMES, type AuthScheme } from './auth.js';
import { loadOrCreateCertificate } from './cert.js';
import { FrontDoor } from './listener.js';
import { LoginRateLimiter } from './ratelimit.js';
import type { HttpRoute, RpcProxyHandler } from './types.js';

export type { HttpContext, HttpRequestHead, HttpRoute, HttpUser, RpcProxyHandler } from './types.js';

export interface WebFrontDoor {
  /** Bound ports: https always, http null when the plain listener is off. */
  readonly ports: { https: number; http: number | null };
  /** Human-readable listener lines for the start-up log. */
  readonly endpoints: string[];
  /** The handler of authenticated RPC_IN_DATA / RPC_OUT_DATA requests (503 while none is registered). */
  registerRpcProxy(handler: RpcProxyHandler | null): void;
  /** Adds a route; the first registered route whose path matches serves a request. */
  addRoute(route: HttpRoute): void;
  /** Stops listening and closes every connection (RPC channels handed to the proxy too). */
  close(): Promise<void>;
}

export interface StartWebOptions {
  directory: Directory;
  /** NTLM acceptor settings (server identity, policy, account lookup); built from the config when absent. */
  ntlm?: NtlmServerOptions;
  /** Told every password a Basic sign-in proved (HttpAuthOptions.onBasicPassword). */
  onBasicPassword?: (username: string, password: string) => void;
}

/** The TLS options of the HTTPS listener: TLS 1.2+ by default; `legacyTls` opens TLS 1.0/1.1 and old ciphers. */
export function tlsOptions(legacy: boolean): Pick<tls.TlsOptions, 'minVersion' | 'ciphers' | 'honorCipherOrder'> {
  return legacy
    ? // OpenSSL 3 refuses TLS < 1.2 and SHA-1 signatures at security level 1; Outlook 2007/2010 on XP/Vista need them.
      { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0', honorCipherOrder: true }
    : { minVersion: 'TLSv1.2', honorCipherOrder: true };
}

/** `negotiate,ntlm,basic` -> the schemes in order, duplicates dropped. */
export function parseAuthSchemes(s: string): AuthScheme[] {
  const out: AuthScheme[] = [];
  for (const part of s.split(',')) {
    const v = part.trim().toLowerCase();
    const scheme = AUTH_SCHEMES.find((x) => x === v);
    if (!scheme) throw new ConfigError('OC_CONFIG_INVALID', `http.authSchemes: unknown scheme "${part}"`);
    if (!out.includes(scheme)) out.push(scheme);
  }
  return out;
}

/** The certificate's host names: server.hostname, then http.hostnames. */
export function certificateNames(config: Config): string[] {
  const names = [config.server.hostname, ...config.http.hostnames.split(',')].map((s) => s.trim()).filter((s) => s !== '');
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

function ntlmFromConfig(config: Config, directory: Directory, log: Logger): NtlmServerOptions {
  const lookup: AccountLookup = async (username) => {
    const user = await directory.findUser(username);
    if (!user || !user.enabled) return null;
    const ntHash = await directory.getNtHash(user.username);
    return ntHash ? { username: user.username, ntHash } : null;
  };
  return {
    identity: {
      netbiosName: config.server.netbiosName,
      netbiosDomain: config.server.domain,
      dnsHostName: config.server.hostname,
      dnsDomainName: config.server.dnsDomain,
    },
    lookup,
    policy: { allowNtlmV1: config.auth.allowNtlmV1, maxClockSkewSeconds: config.auth.maxClockSkewSeconds },
    log,
  };
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startWeb(config: Config, log: Logger, opts: StartWebOptions): Promise<WebFrontDoor> {
  const h = config.http;
  const wlog = log.child({ component: 'web' });
  const schemes = parseAuthSchemes(h.authSchemes);
  const door = new FrontDoor({
    limits: { maxHeadBytes: h.maxHeadBytes, maxHeaders: h.maxHeaders },
    headTimeoutMs: h.headTimeoutSeconds * 1000,
    idleTimeoutMs: h.idleTimeoutSeconds * 1000,
    maxConnections: h.maxConnections,
    trustProxy: h.trustProxy,
    log: wlog,
    auth: {
      schemes,
      allowBasicOverHttp: h.allowBasicOverHttp,
      realm: config.server.hostname,
      directory: opts.directory,
      ntlm: opts.ntlm ?? ntlmFromConfig(config, opts.directory, wlog),
      limiter: new LoginRateLimiter({
        maxPerAddress: h.maxAuthFailuresPerAddress,
        maxPerUser: h.maxAuthFailuresPerUser,
        windowMs: h.authFailureWindowSeconds * 1000,
      }),
      defaultDomain: config.server.domain,
      ...(opts.onBasicPassword ? { onBasicPassword: opts.onBasicPassword } : {}),
    },
  });

  const names = certificateNames(config);
  const cert = await loadOrCreateCertificate({ certFile: h.certFile, keyFile: h.keyFile, dataDir: config.dataDir, names }, wlog);
  const tlsServer = tls.createServer({ cert: cert.cert, key: cert.key, ...tlsOptions(h.legacyTls) }, (socket) => door.handle(socket, true));
  tlsServer.on('tlsClientError', (e, socket) => {
    wlog.debug({ peer: socket.remoteAddress, err: describeError(e) }, 'TLS handshake failed');
  });
  tlsServer.on('error', (e) => wlog.error({ err: describeError(e) }, 'HTTPS listener error'));
  const servers: net.Server[] = [];
  const endpoints: string[] = [];
  const ports = { https: 0, http: null as number | null };
  let binding = h.port;
  try {
    ports.https = await listen(tlsServer, h.listen, h.port);
    servers.push(tlsServer);
    endpoints.push(`https://${h.listen}:${ports.https}/  RPC over HTTP, routes (certificate ${cert.certPath})`);
    if (h.plainPort >= 0) {
      const plain = net.createServer((socket) => door.handle(socket, false));
      binding = h.plainPort;
      ports.http = await listen(plain, h.listen, h.plainPort);
      servers.push(plain);
      endpoints.push(`http://${h.listen}:${ports.http}/  plain HTTP${h.trustProxy ? ' (behind a trusted TLS proxy)' : ''}`);
    }
  } catch (e) {
    await Promise.all(servers.map(closeServer));
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EADDRINUSE') {
      throw new ConfigError(
        'OC_HTTP_LISTEN',
        code === 'EACCES'
          ? `cannot listen on ${h.listen}:${binding}: permission denied (run as root, or setcap cap_net_bind_service=+ep on the node binary, or choose http.port above 1023)`
          : `cannot listen on ${h.listen}:${binding}: address in use`,
      );
    }
    throw e;
  }
  wlog.info({ endpoints, schemes, legacyTls: h.legacyTls }, 'HTTPS front door listening');

  return {
    ports,
    endpoints,
    registerRpcProxy(handler) {
      door.rpcProxy = handler;
    },
    addRoute(route) {
      // case-insensitive, and without the stateful g/y flags
      const flags = [...new Set(route.path.flags.replace(/[gy]/g, '') + 'i')].join('');
      door.routes.push({ ...route, handle: route.handle.bind(route), path: new RegExp(route.path.source, flags) });
    },
    async close() {
      const closing = servers.map(closeServer);
      door.destroyAll();
      door.routeServer.close();
      await Promise.all(closing);
    },
  };
}
