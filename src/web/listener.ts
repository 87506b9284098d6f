// The front door's connection handler: reads HTTP/1.x request heads itself on raw net/tls sockets (Node's http
// server answers RPC_IN_DATA / RPC_OUT_DATA with 400), authenticates, and then either hands the socket to the RPC
// over HTTP proxy (MS-RPCH 2.1.2.1: the rest of the connection is its PDU stream) or passes exactly one request
// (head + framed body) at a time to an ordinary Node http.Server through an in-memory socket, so routes get the
// usual IncomingMessage / ServerResponse. Its own answers (400, 401, 404, 405, 429, 503) it writes directly.
import http from 'node:http';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { ConnectionAuth, type AuthOutcome, type HttpAuthOptions } from './auth.js';
import { BodyScanner } from './body.js';
import { parseHead, type HeadLimits, type ParsedHead } from './head.js';
import type { HttpContext, HttpRoute, HttpUser, RpcProxyHandler } from './types.js';

export interface FrontDoorOptions {
  limits: HeadLimits;
  headTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  /** Plain-listener requests count as secure and X-Forwarded-For names the client. */
  trustProxy: boolean;
  auth: HttpAuthOptions;
  log: Logger;
}

export const RPC_METHODS: ReadonlySet<string> = new Set(['RPC_IN_DATA', 'RPC_OUT_DATA']);
/** Body bytes the front door reads and throws away after answering a request itself; beyond it closes. */
const MAX_DISCARD = 1024 * 1024;
/** MS-RPCH 2.1.2.1.7: an echo request's body is at most 16 bytes. */
const MAX_RPC_ECHO_BODY = 16;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** The request path (no query), from origin-form or absolute-form targets. */
export function requestPath(target: string): string {
  let t = target;
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(t);
  if (abs) t = t.slice(abs[0].length) || '/';
  const q = t.search(/[?#]/);
  return q >= 0 ? t.slice(0, q) : t;
}

/** An in-memory socket between the front door and the route server for one client connection. */
class InnerSocket extends Duplex {
  constructor(readonly conn: Connection) {
    super({ allowHalfOpen: true });
  }

  get remoteAddress(): string {
    return this.conn.peer.address;
  }

  get remotePort(): number {
    return this.conn.peer.port;
  }

  get encrypted(): boolean {
    return this.conn.secure;
  }

  override _read(): void {
    this.conn.innerWantsMore();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.conn.writeOut(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.conn.innerClosed();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.conn.innerClosed();
    cb(err);
  }
}

type State =
  | { kind: 'head' }
  | { kind: 'busy' }
  | { kind: 'body'; scanner: BodyScanner; sink: 'route' | 'discard'; discarded: number; then: 'head' | 'route-wait' }
  | { kind: 'route-wait' }
  | { kind: 'handed' }
  | { kind: 'closed' };

interface RouteCall {
  route: HttpRoute;
  ctx: HttpContext;
  finalHeader: string | null;
}

export class FrontDoor {
  private readonly sockets = new Set<net.Socket>();
  private nextId = 1;
  rpcProxy: RpcProxyHandler | null = null;
  readonly routes: HttpRoute[] = [];
  readonly routeServer: http.Server;

  constructor(readonly opts: FrontDoorOptions) {
    this.routeServer = http.createServer({ requestTimeout: 0, keepAliveTimeout: 0 }, (req, res) => {
      void this.serveRoute(req, res, req.socket instanceof InnerSocket ? req.socket.conn : null);
    });
    this.routeServer.on('clientError', (err: Error, socket: Duplex) => {
      opts.log.debug({ err: describeError(err) }, 'route server: bad request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Takes a freshly accepted (and, for TLS, handshaken) socket. */
  handle(socket: net.Socket, secure: boolean): void {
    if (this.sockets.size >= this.opts.maxConnections) {
      this.opts.log.warn({ peer: socket.remoteAddress, max: this.opts.maxConnections }, 'HTTP connection limit reached: closing');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    new Connection(this, socket, secure, this.nextId++);
  }

  /** Closes every connection still open (handed-over RPC channels too). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private async serveRoute(req: http.IncomingMessage, res: http.ServerResponse, conn: Connection | null): Promise<void> {
    const call = conn?.takeRouteCall();
    if (!conn || !call) {
      res.writeHead(500, { 'Content-Length': '0' }).end();
      return;
    }
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      conn.routeDone();
    };
    res.once('finish', finish);
    res.once('close', finish);
    if (call.finalHeader) res.setHeader('WWW-Authenticate', call.finalHeader);
    try {
      await call.route.handle(req, res, call.ctx);
    } catch (e) {
      call.ctx.log.error({ err: describeError(e), path: req.url }, 'HTTP route failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain', 'Content-Length': '21' }).end('Internal Server Error');
      else res.destroy();
    }
  }
}

class Connection {
  readonly peer: { address: string; port: number };
  private readonly log: Logger;
  private readonly auth: ConnectionAuth;
  private state: State = { kind: 'head' };
  private buf: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | null = null;
  private inner: InnerSocket | null = null;
  private routeCall: RouteCall | null = null;
  private readonly onData = (chunk: Buffer) => this.data(chunk);

  constructor(
    private readonly door: FrontDoor,
    readonly socket: net.Socket,
    readonly secure: boolean,
    cid: number,
  ) {
    this.peer = { address: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 };
    this.log = door.opts.log.child({ cid: `h${cid}`, peer: `${this.peer.address}:${this.peer.port}` });
    // behind a trusted TLS-terminating proxy the plain listener counts as secure (Basic allowed)
    this.auth = new ConnectionAuth(door.opts.auth, this.peer.address, secure || door.opts.trustProxy, this.log);
    socket.setNoDelay?.(true);
    socket.on('data', this.onData);
    socket.on('error', (e) => this.log.debug({ err: describeError(e) }, 'HTTP connection error'));
    socket.on('close', () => this.closed());
    socket.on('end', () => {
      if (this.state.kind !== 'handed') this.close();
    });
    this.arm();
  }

  // ---- timers ----

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const k = this.state.kind;
    if (k === 'handed' || k === 'closed' || k === 'busy' || k === 'route-wait') return;
    const ms = k === 'head' && this.buf.length > 0 ? this.door.opts.headTimeoutMs : this.door.opts.idleTimeoutMs;
    this.timer = setTimeout(() => {
      this.log.debug({ state: this.state.kind }, 'HTTP connection timed out');
      this.close();
    }, ms);
    this.timer.unref?.();
  }

  // ---- input ----

  private data(chunk: Buffer): void {
    if (this.state.kind === 'closed' || this.state.kind === 'handed') return;
    const wasEmpty = this.buf.length === 0;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.state.kind === 'head' || this.state.kind === 'body') {
      if (this.state.kind === 'body' || wasEmpty) this.arm();
      this.process();
    } else if (this.buf.length > this.door.opts.limits.maxHeadBytes + MAX_DISCARD) {
      // a client pipelining while we wait: stop reading until the current request is answered
      this.socket.pause();
    }
  }

  private process(): void {
    for (;;) {
      const st = this.state;
      if (st.kind === 'body') {
        if (this.buf.length === 0) return;
        const r = st.scanner.feed(this.buf);
        if (r.kind === 'error') {
          this.log.warn({ err: r.message }, 'HTTP request body framing error');
          this.fail(400, 'OC_HTTP_BAD_BODY');
          return;
        }
        const used = r.kind === 'done' ? r.used : this.buf.length;
        const part = this.buf.subarray(0, used);
        this.buf = this.buf.subarray(used);
        if (st.sink === 'route') {
          // back-pressure: stop reading the client while the route server has not taken what it got
          if (this.inner && !this.inner.push(Buffer.from(part))) this.socket.pause();
        } else {
          st.discarded += used;
          if (st.discarded > MAX_DISCARD) {
            this.close();
            return;
          }
        }
        if (r.kind === 'more') return;
        this.state = st.then === 'head' ? { kind: 'head' } : { kind: 'route-wait' };
        this.arm();
        continue;
      }
      if (st.kind !== 'head') return;
      if (this.buf.length === 0) return;
      const r = parseHead(this.buf, this.door.opts.limits);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'error') {
        this.log.warn({ code: r.code, err: r.message }, 'bad HTTP request head');
        this.fail(r.status, r.code);
        return;
      }
      const raw = this.buf.subarray(0, r.length);
      this.buf = this.buf.subarray(r.length);
      this.state = { kind: 'busy' };
      this.arm();
      this.socket.pause();
      this.request(r, raw).then(
        () => this.resumeAfterRequest(),
        (e: unknown) => {
          this.log.error({ err: describeError(e) }, 'HTTP request handling failed');
          this.fail(500, 'OC_HTTP_INTERNAL');
        },
      );
      return;
    }
  }

  private resumeAfterRequest(): void {
    const k = this.state.kind;
    if (k === 'closed' || k === 'handed') return;
    this.socket.resume();
    this.arm();
    this.process();
  }

  // ---- one request ----

  private peerOf(p: ParsedHead): { address: string; port: number } {
    if (this.door.opts.trustProxy && !this.secure) {
      const xff = p.head.get('x-forwarded-for');
      const last = xff?.split(',').pop()?.trim();
      if (last) return { address: last, port: this.peer.port };
    }
    return this.peer;
  }

  private async request(p: ParsedHead, raw: Buffer): Promise<void> {
    const { head } = p;
    const isRpc = RPC_METHODS.has(head.method);
    const peer = this.peerOf(p);
    const secure = this.secure || this.door.opts.trustProxy;
    let route: HttpRoute | undefined;
    if (!isRpc) {
      const path = requestPath(head.target);
      const matching = this.door.routes.filter((r) => r.path.test(path));
      if (matching.length === 0) return this.answer(p, 404);
      route = matching.find((r) => r.methods.some((m) => m.toUpperCase() === head.method));
      if (!route) {
        const allow = [...new Set(matching.flatMap((r) => r.methods.map((m) => m.toUpperCase())))].join(', ');
        return this.answer(p, 405, [['Allow', allow]]);
      }
    }
    let user: HttpUser | null = this.auth.user;
    let finalHeader: string | null = null;
    if (isRpc || route?.auth) {
      this.auth.peer = peer.address;
      const outcome: AuthOutcome = await this.auth.check(head.get('authorization'));
      if (this.state.kind === 'closed') return;
      switch (outcome.kind) {
        case 'ok':
          user = outcome.user;
          finalHeader = outcome.header;
          break;
        case 'challenge':
          return this.answer(p, 401, [['WWW-Authenticate', outcome.header]]);
        case 'denied':
          return this.answer(p, 401, this.auth.offered().map((v) => ['WWW-Authenticate', v] as const));
        case 'limited':
          return this.answer(p, 429, [['Retry-After', String(outcome.retryAfterSeconds)]], true);
        case 'error':
          return this.answer(p, 503, [], true);
      }
    }
    const log = user ? this.log.child({ user: user.username }) : this.log;
    const ctx: HttpContext = { user, secure, peer, log };
    if (isRpc) {
      const handler = this.door.rpcProxy;
      if (!handler) {
        log.warn({ method: head.method }, 'RPC over HTTP request but no RPC proxy is registered');
        return this.answer(p, 503, [], true);
      }
      if (p.expectContinue) {
        const extra = finalHeader ? `WWW-Authenticate: ${finalHeader}\r\n` : '';
        this.socket.write(`HTTP/1.1 100 Continue\r\n${extra}\r\n`);
      }
      this.handOver();
      const rest = this.buf;
      this.buf = Buffer.alloc(0);
      log.debug({ method: head.method, target: head.target }, 'RPC over HTTP channel handed to the proxy');
      try {
        handler(head, this.socket, rest, { ...ctx, user: user as HttpUser });
      } catch (e) {
        log.error({ err: describeError(e) }, 'RPC proxy handler failed');
        this.socket.destroy();
        return;
      }
      if (this.socket.isPaused() && this.socket.listenerCount('data') > 0) this.socket.resume();
      return;
    }
    // an ordinary route: head + body through the route server
    this.routeCall = { route: route as HttpRoute, ctx, finalHeader };
    if (!this.inner) {
      this.inner = new InnerSocket(this);
      this.door.routeServer.emit('connection', this.inner);
    }
    this.inner.push(Buffer.from(raw));
    this.state =
      p.body.kind === 'none'
        ? { kind: 'route-wait' }
        : { kind: 'body', scanner: new BodyScanner(p.body), sink: 'route', discarded: 0, then: 'route-wait' };
  }

  /** Our own response; the request's body is read and dropped (or the connection closed) so the next head parses. */
  private answer(p: ParsedHead, status: number, headers: ReadonlyArray<readonly [string, string]> = [], close = false): void {
    if (this.state.kind === 'closed' || this.state.kind === 'handed') return;
    const isRpc = RPC_METHODS.has(p.head.method);
    let keep = p.keepAlive && !close;
    let discard = false;
    if (keep && p.body.kind !== 'none') {
      const len = p.body.kind === 'length' ? p.body.length : Infinity;
      if (isRpc) {
        // RPC clients send the channel body only once authenticated (impacket waits for 100 Continue, Samba's HTTP/1.0
        // requests announce 1 GiB and send nothing); only an echo request's few bytes may follow.
        discard = len <= MAX_RPC_ECHO_BODY && !p.expectContinue;
      } else if (!p.expectContinue) {
        if (len <= MAX_DISCARD || p.body.kind === 'chunked') discard = true;
        else keep = false;
      }
    }
    const body = status === 401 ? 'Unauthorized' : (REASONS[status] ?? '');
    this.writeResponse(status, headers, body, keep, p.head.version, p.head.method === 'HEAD');
    if (!keep) {
      this.close();
      return;
    }
    this.state = discard ? { kind: 'body', scanner: new BodyScanner(p.body), sink: 'discard', discarded: 0, then: 'head' } : { kind: 'head' };
  }

  private writeResponse(
    status: number,
    headers: ReadonlyArray<readonly [string, string]>,
    body: string,
    keep: boolean,
    version: '1.0' | '1.1',
    headOnly = false,
  ): void {
    let out = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n`;
    for (const [k, v] of headers) out += `${k}: ${v}\r\n`;
    out += `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    if (!keep) out += 'Connection: close\r\n';
    else if (version === '1.0') out += 'Connection: keep-alive\r\n';
    out += '\r\n';
    if (!headOnly) out += body;
    this.socket.write(out);
  }

  /** A head we cannot parse: answer and close (the framing of what follows is unknown). */
  private fail(status: number, code: string): void {
    if (this.state.kind === 'closed' || this.state.kind === 'handed') return;
    this.log.debug({ code, status }, 'closing HTTP connection after an error');
    if (this.socket.writable) this.writeResponse(status, [], REASONS[status] ?? '', false, '1.1');
    this.close();
  }

  // ---- route server side ----

  takeRouteCall(): RouteCall | null {
    const c = this.routeCall;
    this.routeCall = null;
    return c;
  }

  routeDone(): void {
    if (this.state.kind === 'route-wait') {
      this.state = { kind: 'head' };
      this.arm();
      this.process();
    } else if (this.state.kind === 'body' && this.state.sink === 'route') {
      // answered before the whole body arrived: keep reading it, then go on with the next head
      this.state.then = 'head';
    }
  }

  innerWantsMore(): void {
    if (this.state.kind === 'body' && this.socket.isPaused()) this.socket.resume();
  }

  writeOut(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) {
      cb();
      return;
    }
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  innerClosed(): void {
    if (!this.inner) return;
    this.inner = null;
    if (this.state.kind !== 'handed' && this.state.kind !== 'closed') {
      // the route server ends the connection (Connection: close, HTTP/1.0, or its own 400)
      this.state = { kind: 'closed' };
      if (this.timer) clearTimeout(this.timer);
      this.socket.end();
    }
  }

  // ---- ending ----

  private handOver(): void {
    this.state = { kind: 'handed' };
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket.pause();
    this.socket.off('data', this.onData);
    if (this.inner) {
      const inner = this.inner;
      this.inner = null;
      inner.destroy();
    }
  }

  private close(): void {
    if (this.state.kind === 'closed' || this.state.kind === 'handed') return;
    this.state = { kind: 'closed' };
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket.end();
    // do not wait forever for a peer that never reads
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  private closed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state.kind !== 'handed') this.state = { kind: 'closed' };
    if (this.inner) {
      const inner = this.inner;
      this.inner = null;
      inner.destroy();
    }
  }
}
