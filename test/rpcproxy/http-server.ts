// A test composition of what src/server.ts will run: the HTTP front door (src/web FrontDoor on a plain loopback
// listener) with the RPC over HTTP proxy registered, in front of an RpcServer carrying mgmt, the endpoint mapper,
// NSPI and RFR over the built-in directory (the same constructors startServer uses; EMSMDB and the store are left
// out). Used until server.ts wires the front door and exposes its RpcServer.
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createNtlmServer, createSpnegoServer, type NtlmServerOptions } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/load.js';
import { AUTHN } from '../../src/dcerpc/constants.js';
import { RpcServer } from '../../src/dcerpc/server.js';
import { openConfiguredDirectory } from '../../src/directory/open.js';
import type { Directory } from '../../src/directory/types.js';
import { createEpmInterface } from '../../src/epm/epm.js';
import { createMgmtInterface } from '../../src/epm/mgmt.js';
import { mailboxStoreDn, serverDn } from '../../src/mapi/dn.js';
import { AddressBook } from '../../src/nsp/ab/addressbook.js';
import { createNspiInterface } from '../../src/nsp/nspi.js';
import { createRfrInterface } from '../../src/rfr/rfr.js';
import { createRpcProxy, type RpcProxy, type RpcProxyOptions } from '../../src/rpcproxy/index.js';
import { directoryLookup } from '../../src/server.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { loadOrCreateCertificate } from '../../src/web/cert.js';
import { tlsOptions } from '../../src/web/index.js';
import { FrontDoor } from '../../src/web/listener.js';
import { LoginRateLimiter } from '../../src/web/ratelimit.js';

export const PASSWORD = 'Passw0rd!';
export const HOST = 'exch01.test.local';

export interface ProxyServer {
  port: number;
  proxy: RpcProxy;
  rpc: RpcServer;
  directory: Directory;
  url: string;
  /** The HTTPS listener's port and proxy URL (self-signed certificate for the test host name). */
  tlsPort: number;
  tlsUrl: string;
  close(): Promise<void>;
}

/**
 * `users` are added to a fresh built-in directory, or `directory` (owned by the caller) is used as it is; with `rpc`
 * (a running server's RpcServer, owned by the caller) the proxy serves that server's interfaces instead; `tlsPort`
 * fixes the HTTPS port (0: any).
 */
export async function startProxyServer(
  users: string[],
  proxyOpts: Partial<Omit<RpcProxyOptions, 'rpc' | 'log' | 'hostnames'>> = {},
  existing?: { directory?: Directory; rpc?: RpcServer; tlsPort?: number },
): Promise<ProxyServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ocng-rpch-'));
  const config = loadConfig({
    env: {},
    overrides: { dataDir, server: { hostname: HOST, domain: 'TEST' }, log: { level: 'silent' }, directory: { demoUser: false } },
  });
  const log = process.env.OCNG_TEST_LOG ? createLogger({ level: 'debug', destination: 2 }) : silentLogger();
  const { directory, admin } = existing?.directory ? { directory: existing.directory, admin: null } : await openConfiguredDirectory(config, log, { scryptN: 1024 });
  for (const u of users) await admin?.addUser({ username: u, password: PASSWORD });
  const ntlm: NtlmServerOptions = {
    identity: { netbiosName: config.server.netbiosName, netbiosDomain: 'TEST', dnsHostName: HOST, dnsDomainName: config.server.dnsDomain },
    lookup: directoryLookup(directory),
    policy: { allowNtlmV1: false, maxClockSkewSeconds: 300 },
    log,
  };
  const rpc = existing?.rpc ?? ownRpcServer();
  function ownRpcServer(): RpcServer {
    const rpc = new RpcServer({
      log,
      authenticators: (t) => (t === AUTHN.RPC_C_AUTHN_WINNT ? createNtlmServer(ntlm) : t === AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE ? createSpnegoServer(ntlm) : null),
      limits: { maxFragmentSize: 65535, maxRequestSize: 16 << 20, maxCallsPerConnection: 256 },
      maxConnections: 1000,
      maxAssociationGroups: 1000,
      idleTimeoutSeconds: 0,
    });
    const sdn = serverDn(config.server);
    rpc.registry.register(createEpmInterface({ entries: () => [], advertiseAddress: '127.0.0.1' }));
    rpc.registry.register(createMgmtInterface({ registry: rpc.registry, stats: () => rpc.stats, principalName: 'EXCH01$' }));
    rpc.registry.register(createRfrInterface({ hostname: HOST, mailboxServerDn: () => sdn, directory }));
    const addressBook = new AddressBook({
      directory,
      special: { serverName: 'EXCH01', networkHost: HOST, serverDN: sdn, storeDN: mailboxStoreDn(sdn) },
      log,
    });
    rpc.registry.register(createNspiInterface({ addressBook }));
    return rpc;
  }
  const proxy = createRpcProxy({ rpc, log, hostnames: [HOST, 'exch01', '127.0.0.1'], ...proxyOpts });
  const door = new FrontDoor({
    limits: { maxHeadBytes: 16 * 1024, maxHeaders: 100 },
    headTimeoutMs: 10_000,
    idleTimeoutMs: 30_000,
    maxConnections: 1000,
    trustProxy: false,
    auth: {
      schemes: ['negotiate', 'ntlm', 'basic'],
      allowBasicOverHttp: true, // the raw-socket tests use Basic on the plain listener
      realm: HOST,
      directory,
      ntlm,
      limiter: new LoginRateLimiter({ maxPerAddress: 1000, maxPerUser: 1000, windowMs: 60_000 }),
      defaultDomain: 'TEST',
    },
    log,
  });
  door.rpcProxy = proxy;
  const srv = net.createServer((s) => door.handle(s, false));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const cert = await loadOrCreateCertificate({ certFile: '', keyFile: '', dataDir, names: [HOST] }, log);
  const tsrv = tls.createServer({ cert: cert.cert, key: cert.key, ...tlsOptions(false) });
  tsrv.on('secureConnection', (s) => door.handle(s, true));
  tsrv.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    tsrv.once('error', reject);
    tsrv.listen(existing?.tlsPort ?? 0, '127.0.0.1', () => resolve());
  }).catch(async (e: unknown) => {
    proxy.close();
    await new Promise<void>((r) => srv.close(() => r()));
    if (!existing?.rpc) await rpc.close();
    if (!existing?.directory) await directory.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  const tlsPort = (tsrv.address() as net.AddressInfo).port;
  return {
    port,
    proxy,
    rpc,
    directory,
    url: `http://127.0.0.1:${port}/rpc/rpcproxy.dll`,
    tlsPort,
    tlsUrl: `https://127.0.0.1:${tlsPort}/rpc/rpcproxy.dll`,
    async close() {
      proxy.close();
      door.destroyAll();
      await new Promise<void>((r) => srv.close(() => r()));
      await new Promise<void>((r) => tsrv.close(() => r()));
      if (!existing?.rpc) await rpc.close();
      if (!existing?.directory) await directory.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
