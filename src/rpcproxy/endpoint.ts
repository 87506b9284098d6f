// The RPC over HTTP v2 proxy as the front door sees it (src/web RpcProxyHandler): checks an authenticated
// RPC_IN_DATA / RPC_OUT_DATA request (MS-RPCH 2.1.2.1.1-2, 2.2.2 `?host:port`), answers echo requests (2.1.2.1.5-6)
// and errors (2.1.2.1.3 `503 RPC Error`), and hands the channel's body to the virtual connections (vconn.ts), whose
// RPC connections are the in-process RpcServer's (src/dcerpc) with transport 'ncacn_http'.
import type { Duplex } from 'node:stream';
import { RpcConnection, type RpcServerCore, type RpcTransport } from '../dcerpc/connection.js';
import { allocateConnectionId, normalizeAddress, type RpcServer } from '../dcerpc/server.js';
import { RpcAuthError, type AuthenticatorFactory } from '../dcerpc/security.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { HttpContext, HttpRequestHead, HttpUser, RpcProxyHandler } from '../web/types.js';
import { echoPdu } from './rts.js';
import { VirtualConnectionTable } from './table.js';
import { ChannelRefused, RPC_ERROR, type ChannelIo, type OutChannelFraming, type VcOptions } from './vconn.js';

/** The `?host:port` ports of an Exchange server (MS-RPCH 2.2.2; ports from MS-OXCRPC, MS-OXABREF, MS-OXNSPI). */
export interface RpcHttpPorts {
  emsmdb: number;
  rfr: number;
  nspi: number;
  epm: number;
}
export const DEFAULT_HTTP_PORTS: RpcHttpPorts = { emsmdb: 6001, rfr: 6002, nspi: 6004, epm: 593 };

/** What a `?host:port` target reaches; every one is served by the same in-process RpcServer. */
export interface RpcHttpEndpoint {
  name: 'emsmdb' | 'rfr' | 'nspi' | 'epm';
  /** Interfaces a client is expected to bind there (informational: the server's registry decides). */
  interfaces: readonly string[];
  host: string;
  port: number;
}

const INTERFACES: Record<RpcHttpEndpoint['name'], readonly string[]> = {
  emsmdb: ['EMSMDB', 'AsyncEMSMDB'],
  rfr: ['RFR'],
  nspi: ['NSPI'],
  epm: ['epmapper'],
};

const PATHS = new Set(['/rpc/rpcproxy.dll', '/rpcwithcert/rpcproxy.dll']);

/** Parses an RPC over HTTP request target (MS-RPCH 2.2.2); null when it is not one. */
export function parseRpcTarget(target: string): { path: string; host: string; port: number } | null {
  const q = target.indexOf('?');
  if (q < 0) return null;
  const path = target.slice(0, q).toLowerCase();
  if (!PATHS.has(path)) return null;
  const query = decodeURIComponentSafe(target.slice(q + 1));
  if (query === null) return null;
  const colon = query.lastIndexOf(':');
  if (colon <= 0) return null;
  let host = query.slice(0, colon);
  const portText = query.slice(colon + 1);
  if (!/^[0-9]{1,6}$/.test(portText) || host.length >= 1024) return null;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (!/^[A-Za-z0-9._:%-]+$/.test(host)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  return { path, host, port };
}

function decodeURIComponentSafe(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Maps `?host:port` to one of our endpoints; null for another server or port (a 503 for the client). */
export function mapEndpoint(host: string, port: number, hostnames: readonly string[], ports: RpcHttpPorts): RpcHttpEndpoint | null {
  const h = host.toLowerCase();
  if (!hostnames.some((n) => n === '*' || n.toLowerCase() === h)) return null;
  const names = Object.keys(ports) as Array<keyof RpcHttpPorts>;
  const name = names.find((n) => ports[n] === port);
  return name ? { name, interfaces: INTERFACES[name], host: h, port } : null;
}

export interface RpcProxyOptions {
  rpc: RpcServer;
  /** Server names accepted in `?host:port` (case-insensitive): the configured host names, NetBIOS name, '*' any. */
  hostnames: readonly string[];
  log: Logger;
  ports?: Partial<RpcHttpPorts>;
  timeouts?: {
    /** ConnectionTimeout announced to clients (CONN/A3, CONN/C2), ms. Default 120000 (the spec's least). */
    connectionTimeoutMs?: number;
    /** Ping on an OUT channel idle this long, ms. Default half the connection timeout. */
    pingIntervalMs?: number;
    /** Free a virtual connection with nothing received this long and no call running, ms. Default 15 min. */
    idleTimeoutMs?: number;
    /** Drop a virtual connection or recycling whose other half does not come, ms. Default 2 min. */
    setupTimeoutMs?: number;
    /** A channel must deliver its first PDU within this, ms. Default 30 s. */
    firstPduMs?: number;
    /** Timer sweep period, ms. Default 1000. */
    sweepMs?: number;
  };
  /** Our IN receive window, bytes. Default 64 KiB (Windows). */
  receiveWindow?: number;
  /** OUT channel Content-Length, bytes. Default 1 GiB (Windows). */
  outChannelLifetime?: number;
  /** OUT channel body framing: `raw` (Content-Length, Windows; the default) or `chunked` (Transfer-Encoding: chunked,
   * HTTP/1.1 requests only; HTTP/1.0 requests get raw). The lifetime above still decides when it is recycled. */
  outChannel?: OutChannelFraming;
  /** Start OUT recycling with this many bytes left. Default 8 KiB (Windows). */
  recycleMargin?: number;
  inRecycle?: 'R1' | 'R2';
  outRecycle?: 'R1' | 'R2';
  maxVirtualConnections?: number;
}

/** The handler the front door calls, plus the virtual connection table (tests, stats) and shutdown. */
export type RpcProxy = RpcProxyHandler & {
  readonly table: VirtualConnectionTable;
  close(): void;
};

const MIN_IN_LENGTH = 128 * 1024;
const MAX_LENGTH = 0x80000000;
const MAX_ECHO_LENGTH = 0x10;

/**
 * RPC-level authentication must name the HTTP user (issue 5 deliver 2): the authenticators of this virtual
 * connection's RPC connection refuse any other account: the bind is refused (bind_nak) or, when the last leg is
 * an auth3, the security context fails and every call on it gets an access-denied fault.
 */
function sameUserAuthenticators(factory: AuthenticatorFactory, user: HttpUser, log: Logger): AuthenticatorFactory {
  return (type) => {
    const a = factory(type);
    if (!a) return null;
    return {
      accept: async (token) => {
        const step = await a.accept(token);
        if (step.done && step.user.username.toLowerCase() !== user.username.toLowerCase()) {
          log.warn({ httpUser: user.username, rpcUser: step.user.username }, 'RPC authentication as another user than HTTP authentication; refused');
          throw new RpcAuthError('OC_RPCH_USER_MISMATCH', `RPC user ${step.user.username} is not the HTTP user ${user.username}`);
        }
        return step;
      },
    };
  };
}

function socketIo(socket: Duplex): ChannelIo {
  return {
    write: (d) => socket.write(d),
    end: () => {
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    onceDrain: (cb) => socket.once('drain', cb),
    cork: () => socket.cork(),
    uncork: () => socket.uncork(),
  };
}

/** MS-RPCH 2.1.2.1.3: `HTTP/1.0 503 RPC Error: <hex>`, then the connection closes. */
function refuse(socket: Duplex, rpcError: number): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.0 503 RPC Error: ${rpcError.toString(16)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  setTimeout(() => socket.destroy(), 2000).unref();
}

export function createRpcProxy(opts: RpcProxyOptions): RpcProxy {
  const ports: RpcHttpPorts = { ...DEFAULT_HTTP_PORTS, ...opts.ports };
  const t = opts.timeouts ?? {};
  const connectionTimeoutMs = t.connectionTimeoutMs ?? 120_000;
  const log = opts.log.child({ component: 'rpcproxy' });
  const rpc = opts.rpc;

  const vcOptions: VcOptions = {
    log,
    receiveWindow: opts.receiveWindow ?? 0x10000,
    connectionTimeoutMs,
    outChannelLifetime: opts.outChannelLifetime ?? 0x40000000,
    outChannel: opts.outChannel ?? 'raw',
    recycleMargin: opts.recycleMargin ?? 8 * 1024,
    pingIntervalMs: t.pingIntervalMs ?? Math.floor(connectionTimeoutMs / 2),
    idleTimeoutMs: t.idleTimeoutMs ?? 15 * 60_000,
    setupTimeoutMs: t.setupTimeoutMs ?? 120_000,
    inRecycle: opts.inRecycle ?? 'R2',
    outRecycle: opts.outRecycle ?? 'R2',
    maxFragment: Math.max(rpc.limits.maxFragmentSize, 1024),
    maxVirtualConnections: opts.maxVirtualConnections ?? 10_000,
    createRpc: (vc, transport) => {
      const [host, portText] = splitTarget(vc.target);
      const ep = mapEndpoint(host, Number(portText), ['*'], ports);
      if (!ep) return null;
      const rt: RpcTransport = {
        info: {
          cid: allocateConnectionId(),
          transport: 'ncacn_http',
          peerAddress: normalizeAddress(vc.peer.address),
          peerPort: vc.peer.port,
          localAddress: host,
          localPort: ep.port,
        },
        // bind_ack's secondary address: the ncacn_http endpoint (port) the client asked for
        secondaryAddress: String(ep.port),
        write: (d) => transport.send(d),
        close: () => transport.close(),
        cork: () => transport.cork(),
        uncork: () => transport.uncork(),
      };
      const core: RpcServerCore = {
        registry: rpc.registry,
        groups: rpc.groups,
        limits: rpc.limits,
        log: rpc.log,
        stats: rpc.stats,
        authenticators: sameUserAuthenticators(rpc.authenticators, vc.user, log),
        connectionClosed: (c) => rpc.connectionClosed(c),
      };
      const conn = new RpcConnection(core, rt);
      conn.log = conn.log.child({ vc: vc.cookie, endpoint: ep.name, httpUser: vc.user.username });
      return conn;
    },
  };
  const table = new VirtualConnectionTable(vcOptions);
  table.startSweep(t.sweepMs ?? 1000);
  const firstPduMs = t.firstPduMs ?? 30_000;

  const handler = (head: HttpRequestHead, socket: Duplex, rest: Buffer, ctx: HttpContext & { user: HttpUser }): void => {
    const clog = ctx.log.child({ method: head.method, target: head.target });
    const fail = (rpcError: number, why: string): void => {
      clog.info({ rpcError: `0x${rpcError.toString(16)}`, why }, 'RPC over HTTP request refused');
      refuse(socket, rpcError);
    };
    const kind = head.method === 'RPC_IN_DATA' ? 'in' : head.method === 'RPC_OUT_DATA' ? 'out' : null;
    if (!kind) return fail(RPC_ERROR.RPC_S_PROTOCOL_ERROR, `method ${head.method}`);
    const target = parseRpcTarget(head.target);
    if (!target) return fail(RPC_ERROR.RPC_S_SERVER_UNAVAILABLE, 'not an RPC proxy target');
    const ep = mapEndpoint(target.host, target.port, opts.hostnames, ports);
    if (!ep) return fail(RPC_ERROR.RPC_S_SERVER_UNAVAILABLE, `unknown server ${target.host}:${target.port}`);
    if (head.get('transfer-encoding') !== undefined) return fail(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'a channel body must not be chunked');
    const lengthText = head.get('content-length');
    if (lengthText === undefined || !/^[0-9]{1,10}$/.test(lengthText.trim())) return fail(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'no usable Content-Length');
    const contentLength = Number(lengthText.trim());
    if (contentLength <= MAX_ECHO_LENGTH) return echo(socket);
    if (contentLength > MAX_LENGTH || (kind === 'in' && contentLength < MIN_IN_LENGTH) || (kind === 'out' && contentLength < 76)) {
      return fail(RPC_ERROR.RPC_S_PROTOCOL_ERROR, `Content-Length ${contentLength} is no ${kind === 'in' ? 'IN' : 'OUT'} channel's`);
    }
    const s = socket as Duplex & { setNoDelay?(v: boolean): void; setTimeout?(ms: number): void };
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
    const ch = table.channel(kind, socketIo(socket), {
      user: ctx.user,
      target: `${ep.host}:${ep.port}`,
      peer: ctx.peer,
      contentLength,
      httpVersion: head.version,
    });
    const first = setTimeout(() => {
      if (!ch.vc && !ch.closed) fail(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'no first PDU in time');
    }, firstPduMs);
    first.unref();
    const feed = (chunk: Buffer): void => {
      try {
        table.receive(ch, chunk);
        if (ch.vc) clearTimeout(first);
      } catch (e) {
        clearTimeout(first);
        ch.closed = true;
        socket.off('data', feed);
        if (e instanceof ChannelRefused) return fail(e.rpcError, e.message);
        clog.error({ err: describeError(e), stack: e instanceof Error ? e.stack : undefined }, 'RPC over HTTP channel failed');
        fail(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'internal error');
      }
    };
    socket.on('data', feed);
    socket.on('error', (e) => clog.debug({ err: describeError(e) }, 'channel socket error'));
    socket.on('close', () => {
      clearTimeout(first);
      table.closed(ch);
    });
    if (rest.length > 0) feed(rest);
    socket.resume();
  };

  return Object.assign(handler, {
    table,
    close: () => table.closeAll(),
  });
}

function splitTarget(t: string): [string, string] {
  const i = t.lastIndexOf(':');
  return [t.slice(0, i), t.slice(i + 1)];
}

/** MS-RPCH 2.1.2.1.6 Echo Response: the body is ignored; the answer is the 20-byte Echo RTS PDU. */
function echo(socket: Duplex): void {
  // The front door gave us the connection for good: answer and close it (a kept-alive connection would have no reader).
  socket.end(
    Buffer.concat([
      Buffer.from('HTTP/1.1 200 Success\r\nContent-Type: application/rpc\r\nContent-Length: 20\r\nConnection: close\r\n\r\n', 'latin1'),
      echoPdu(),
    ]),
  );
  setTimeout(() => socket.destroy(), 2000).unref();
}
