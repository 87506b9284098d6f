// RPC over HTTP v2 (MS-RPCH): the proxy and server roles in process, for the HTTPS front door (src/web).
export { createRpcProxy, mapEndpoint, parseRpcTarget, DEFAULT_HTTP_PORTS, type RpcProxy, type RpcProxyOptions, type RpcHttpPorts, type RpcHttpEndpoint } from './endpoint.js';
export { VirtualConnectionTable } from './table.js';
export { VirtualConnection, ChannelRefused, RPC_ERROR, type ChannelIo, type OutChannelFraming, type RpcSink, type VcOptions } from './vconn.js';
export * from './rts.js';
