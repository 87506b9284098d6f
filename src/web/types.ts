// Contracts of the HTTPS front door (issue 5): one listener (TLS, optionally plain HTTP) whose own HTTP/1.1 head
// parser hands RPC_IN_DATA / RPC_OUT_DATA requests to the RPC over HTTP proxy (src/rpcproxy) and every other request
// to routes (Autodiscover, later EWS and MAPI over HTTP). HTTP authentication (NTLM, Negotiate, Basic) happens in
// the front door before either sees the request.
import type { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/log.js';

/** The user HTTP authentication established on this TCP connection (NTLM/Negotiate) or request (Basic). */
export interface HttpUser {
  /** Lower-cased account name as the directory knows it. */
  username: string;
  domain: string;
  method: 'ntlm' | 'negotiate' | 'basic';
}

/** A parsed HTTP/1.x request head (RFC 9112 section 2-5), as read by the front door's own parser. */
export interface HttpRequestHead {
  method: string;
  /** The request target as sent, e.g. "/rpc/rpcproxy.dll?exch01:6001". */
  target: string;
  version: '1.0' | '1.1';
  /** Header fields in order, names as sent. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** The first value of a header, by case-insensitive name. */
  get(name: string): string | undefined;
}

export interface HttpContext {
  user: HttpUser | null;
  /** True on the TLS listener (or behind a TLS-terminating proxy the config trusts). */
  secure: boolean;
  peer: { address: string; port: number };
  log: Logger;
}

/**
 * Called for an authenticated RPC_IN_DATA or RPC_OUT_DATA request: the proxy owns the socket from here on (MS-RPCH
 * 2.1.2.1: the channel's body is a stream of RTS and RPC PDUs). `rest` holds body bytes already read after the head.
 */
export type RpcProxyHandler = (head: HttpRequestHead, socket: Duplex, rest: Buffer, ctx: HttpContext & { user: HttpUser }) => void;

/** An ordinary route, served through Node's HTTP machinery on the same port. */
export interface HttpRoute {
  /** Matched case-insensitively against the path (without the query). */
  path: RegExp;
  methods: readonly string[];
  /** Whether the front door demands HTTP authentication first (401 with the configured schemes otherwise). */
  auth: boolean;
  handle(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): void | Promise<void>;
}
