// Server composition: builds the authenticators, the interface registry, the endpoint table and the listeners from
// a Config. The CLI's `serve` and the tests call startServer.
import { createNtlmServer, createSpnegoServer, type AccountLookup, type NtlmServerOptions } from './auth/index.js';
import type { Config } from './config/types.js';
import { AUTHN } from './dcerpc/constants.js';
import type { RpcAuthenticator } from './dcerpc/security.js';
import { RpcServer } from './dcerpc/server.js';
import { ASYNCEMSMDB, EMSMDB, EPMAPPER, NSPI, RFR } from './dcerpc/well-known.js';
import type { Directory } from './directory/types.js';
import { createEpmInterface, type EndpointEntry } from './epm/epm.js';
import { createMgmtInterface } from './epm/mgmt.js';
import { mailboxStoreDn, serverDn } from './mapi/dn.js';
import { AddressBook } from './nsp/ab/addressbook.js';
import { createNspiInterface } from './nsp/nspi.js';
import { createAsyncEmsmdbInterface } from './emsmdb/async.js';
import { createEmsmdbInterface, parseVersion } from './emsmdb/emsmdb.js';
import { SessionManager } from './emsmdb/session.js';
import { loadRopRegistry } from './rop/registry.js';
import { createMailboxHandlers } from './rop/handlers/index.js';
import { createStore, type Store } from './mapistore/index.js';
import { UserPasswords } from './mapistore/backends/imap/user-passwords.js';
import { createRfrInterface } from './rfr/rfr.js';
import { describeError } from './util/errors.js';
import { certificateNames, startWeb, type WebFrontDoor } from './web/index.js';
import { createAutodiscoverRoute } from './autodiscover/index.js';
import { createRpcProxy, type RpcProxy } from './rpcproxy/index.js';
import type { Logger } from './util/log.js';
import { MailTransport } from './transport/submit.js';
import { setEventLogger } from './mapistore/backends/local/events-emit.js';

export interface RunningServer {
  /** Actual bound ports (useful when the config asked for 0); epm is null when not listening separately. */
  readonly ports: { rpc: number; epm: number | null };
  /** Human-readable endpoint lines printed at start-up. */
  readonly endpoints: string[];
  /** The EMSMDB sessions (tests reach a session's notification hook through it). */
  readonly emsmdbSessions?: SessionManager;
  /** The mailbox store the ROP handlers use (tests and tools fill mailboxes through it). */
  readonly store?: Store;
  /**
   * The HTTPS front door when `http.enabled` (null otherwise): `web.registerRpcProxy(handler)`, `web.addRoute(route)`,
   * `web.ports.https` / `web.ports.http`.
   */
  readonly web?: WebFrontDoor | null;
  /** The RPC over HTTP proxy behind `web` (its live virtual connections in `rpcProxy.table`). */
  readonly rpcProxy?: RpcProxy | null;
  close(): Promise<void>;
}

export interface StartOptions {
  directory: Directory;
}

/** Maps an NTLM user name (plain, UPN or DOMAIN-less) to the directory's account and NT hash. */
export function directoryLookup(directory: Directory): AccountLookup {
  return async (username) => {
    const user = await directory.findUser(username);
    if (!user || !user.enabled) return null;
    const ntHash = await directory.getNtHash(user.username);
    return ntHash ? { username: user.username, ntHash } : null;
  };
}

export async function startServer(config: Config, log: Logger, opts: StartOptions): Promise<RunningServer> {
  const authOptions: NtlmServerOptions = {
    identity: {
      netbiosName: config.server.netbiosName,
      netbiosDomain: config.server.domain,
      dnsHostName: config.server.hostname,
      dnsDomainName: config.server.dnsDomain,
    },
    lookup: directoryLookup(opts.directory),
    policy: { allowNtlmV1: config.auth.allowNtlmV1, maxClockSkewSeconds: config.auth.maxClockSkewSeconds },
    log,
  };
  const rpc = new RpcServer({
    log,
    authenticators: (type): RpcAuthenticator | null => {
      if (type === AUTHN.RPC_C_AUTHN_WINNT) return createNtlmServer(authOptions);
      if (type === AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE) return createSpnegoServer(authOptions);
      return null;
    },
    limits: {
      maxFragmentSize: config.rpc.maxFragmentSize,
      maxRequestSize: config.rpc.maxRequestSize,
      maxCallsPerConnection: 256,
    },
    maxConnections: config.rpc.maxConnections,
    maxAssociationGroups: config.rpc.maxAssociationGroups,
    idleTimeoutSeconds: config.rpc.idleTimeoutSeconds,
  });

  const ports = { rpc: 0, epm: null as number | null };
  const entries = (): EndpointEntry[] => {
    const h = config.rpc.httpPorts;
    const list: EndpointEntry[] = [
      { iface: EMSMDB, protocol: 'ncacn_ip_tcp', port: ports.rpc, annotation: 'MS Exchange EMSMDB' },
      { iface: ASYNCEMSMDB, protocol: 'ncacn_ip_tcp', port: ports.rpc, annotation: 'MS Exchange AsyncEMSMDB' },
      { iface: NSPI, protocol: 'ncacn_ip_tcp', port: ports.rpc, annotation: 'MS Exchange NSPI' },
      { iface: RFR, protocol: 'ncacn_ip_tcp', port: ports.rpc, annotation: 'MS Exchange RFR' },
      { iface: EMSMDB, protocol: 'ncacn_http', port: h.emsmdb, annotation: 'MS Exchange EMSMDB' },
      { iface: ASYNCEMSMDB, protocol: 'ncacn_http', port: h.emsmdb, annotation: 'MS Exchange AsyncEMSMDB' },
      { iface: NSPI, protocol: 'ncacn_http', port: h.nspi, annotation: 'MS Exchange NSPI' },
      { iface: RFR, protocol: 'ncacn_http', port: h.rfr, annotation: 'MS Exchange RFR' },
    ];
    if (ports.epm !== null) list.push({ iface: EPMAPPER, protocol: 'ncacn_ip_tcp', port: ports.epm, annotation: 'Endpoint Mapper' });
    return list;
  };
  rpc.registry.register(createEpmInterface({ entries, advertiseAddress: config.rpc.advertiseAddress }));
  rpc.registry.register(
    createMgmtInterface({ registry: rpc.registry, stats: () => rpc.stats, principalName: `${config.server.netbiosName}$` }),
  );
  const ourServerDn = serverDn(config.server);
  rpc.registry.register(
    createRfrInterface({ hostname: config.server.hostname, mailboxServerDn: () => ourServerDn, directory: opts.directory }),
  );
  const addressBook = new AddressBook({
    directory: opts.directory,
    special: {
      serverName: config.server.netbiosName,
      networkHost: config.server.hostname,
      serverDN: ourServerDn,
      storeDN: mailboxStoreDn(ourServerDn),
    },
    log,
  });
  rpc.registry.register(createNspiInterface({ addressBook }));
  // EMSMDB + AsyncEMSMDB (MS-OXCRPC): sessions, ROP engine (codecs from src/rop/codec; handler maps join here)
  const e = config.emsmdb;
  const sessions = new SessionManager(
    { maxSessionsPerUser: e.maxSessionsPerUser, maxObjectsPerSession: e.maxObjectsPerSession, sessionIdleSeconds: e.sessionIdleSeconds },
    log,
  );
  // mailboxes (mapistore: embedded backend + index); closed with the server
  setEventLogger(log.child({ component: 'mailbox-events' }));
  // imap.auth userPassword: the front door hands the IMAP logins the passwords of users' HTTP Basic sign-ins
  const userPasswords = config.store.backend === 'imap' && config.imap.auth === 'userPassword' ? new UserPasswords(config.imap.userPasswordSeconds * 1000) : null;
  const store = createStore({
    dataDir: config.dataDir, store: config.store, index: config.index, imap: config.imap, logger: log.child({ component: 'mapistore' }),
    maxSubmitKb: config.smtp.maxSendSizeKb,
    ...(userPasswords ? { userPasswords } : {}),
  });
  // the index's schema is made ready now (MySQL: created or upgraded under its lock), so that a database the server
  // cannot use stops the start instead of failing every logon, and a long upgrade happens before Outlook connects
  if (store.init) {
    const t0 = Date.now();
    if (config.index.provider === 'mysql') log.info('MySQL index: checking its schema (an upgrade runs now, before the listeners open)');
    try {
      const m = await store.init();
      if (m && m.applied.length > 0) log.info({ from: m.from, to: m.to, applied: m.applied, ms: Date.now() - t0 }, 'index schema upgraded');
      else if (m) log.info({ version: m.to, ms: Date.now() - t0 }, 'index schema up to date');
    } catch (err) {
      log.error({ err: describeError(err) }, 'the index could not be opened');
      sessions.close();
      await store.close().catch(() => undefined);
      await rpc.close().catch(() => undefined);
      throw err;
    }
  }
  // message submission (src/transport, docs/sending.md): local delivery, the SMTP relay of `smtp`, non-delivery reports
  const transport = new MailTransport({
    store,
    directory: opts.directory,
    log: log.child({ mod: 'transport' }),
    smtp: config.smtp,
    localDomain: config.server.dnsDomain,
    heloName: config.server.hostname,
  });
  const ropRegistry = await loadRopRegistry(createMailboxHandlers({ store, serverDn: ourServerDn, log, directory: opts.directory, transport, fastTransferReadAhead: config.emsmdb.fastTransferReadAhead }));
  if (ropRegistry.missing.length > 0) log.warn({ missing: ropRegistry.missing }, 'ROP codec modules missing: those ROPs stop the ROP buffer');
  rpc.registry.register(
    createEmsmdbInterface({
      directory: opts.directory,
      sessions,
      registry: ropRegistry,
      serverDn: ourServerDn,
      minClientVersion: parseVersion(e.minClientVersion),
      requireEncryption: e.requireEncryption,
      compressAhead: e.fastTransferCompressAhead,
    }),
  );
  rpc.registry.register(createAsyncEmsmdbInterface({ sessions, waitMs: e.asyncWaitSeconds * 1000 }));
  // build the address book now rather than on the first NSPI call (a failure is retried by that call)
  addressBook.load().catch((e: unknown) => log.warn({ err: describeError(e) }, 'address book not loaded yet'));

  const host = config.rpc.listen;
  const endpoints: string[] = [];
  try {
    ports.rpc = (await rpc.listenTcp('rpc', host, config.rpc.port)).port;
    endpoints.push(`ncacn_ip_tcp:${host}[${ports.rpc}]  EMSMDB, AsyncEMSMDB, NSPI, RFR, endpoint mapper, mgmt`);
    if (config.rpc.epmPort >= 0 && !(config.rpc.epmPort !== 0 && config.rpc.epmPort === config.rpc.port)) {
      try {
        ports.epm = (await rpc.listenTcp('epm', host, config.rpc.epmPort)).port;
        endpoints.push(`ncacn_ip_tcp:${host}[${ports.epm}]  endpoint mapper, mgmt`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
        // Not fatal: the endpoint mapper is also served on the RPC port; Outlook needs 135, so say how to get it.
        log.warn(
          { port: config.rpc.epmPort },
          `endpoint mapper not listening on port ${config.rpc.epmPort}: permission denied (run as root, or ` +
            'setcap cap_net_bind_service=+ep on the node binary, or set rpc.epmPort=-1 to silence this)',
        );
        endpoints.push(`endpoint mapper port ${config.rpc.epmPort}: NOT listening (permission denied; see the log)`);
      }
    }
  } catch (e) {
    log.error({ err: describeError(e) }, 'could not start the RPC listeners');
    await rpc.close();
    await store.close().catch((err: unknown) => log.warn({ err: describeError(err) }, 'closing the mailbox store failed'));
    throw e;
  }
  // HTTPS front door (src/web, issue 5): the RPC over HTTP proxy and Autodiscover register on `web` below.
  let web: WebFrontDoor | null = null;
  let proxy: RpcProxy | null = null;
  if (config.http.enabled) {
    try {
      web = await startWeb(config, log, {
        directory: opts.directory, ntlm: authOptions, ...(userPasswords ? { onBasicPassword: (u: string, p: string) => userPasswords.remember(u, p) } : {}),
      });
      endpoints.push(...web.endpoints);
      if (config.autodiscover.enabled) {
        web.addRoute(createAutodiscoverRoute({ config, directory: opts.directory, rpcPort: () => ports.rpc }));
      }
      // RPC over HTTP v2 (MS-RPCH): RPC_IN_DATA / RPC_OUT_DATA for ?<this server>:<port>, dispatched in process
      const hp = config.rpc.httpPorts;
      proxy = createRpcProxy({
        rpc,
        log,
        hostnames: [...certificateNames(config), config.server.netbiosName],
        ports: { emsmdb: hp.emsmdb, rfr: hp.rfr, nspi: hp.nspi },
        outChannel: config.http.rpcOutChannel,
      });
      web.registerRpcProxy(proxy);
    } catch (e) {
      log.error({ err: describeError(e), port: config.http.port }, 'could not start the HTTPS front door');
      await rpc.close();
      await store.close().catch((err: unknown) => log.warn({ err: describeError(err) }, 'closing the mailbox store failed'));
      throw e;
    }
  }
  const h = config.rpc.httpPorts;
  endpoints.push(`ncacn_http (advertised): EMSMDB ${h.emsmdb}, RFR ${h.rfr}, NSPI ${h.nspi}`);
  log.info({ endpoints }, 'server started');

  return {
    ports,
    endpoints,
    emsmdbSessions: sessions,
    store,
    web,
    rpcProxy: proxy,
    close: async () => {
      await web?.close();
      await proxy?.close();
      sessions.close();
      await rpc.close();
      // SMTP sends still under way finish (or end in a non-delivery report) before the mailboxes close
      await transport.idle();
      await store.close();
    },
  };
}
