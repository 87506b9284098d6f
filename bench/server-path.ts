// The server's own CPU time per sealed mgmt inq_if_ids call, without sockets: sealed request PDUs fed straight
// into an RpcConnection (real NTLM acceptor, mgmt interface), responses collected by a fake transport and checked.
import { createNtlmClient, createNtlmServer } from '../src/auth/index.js';
import { ntHash } from '../src/auth/md4.js';
import { buildAuth3, buildBind, NDR20, syntax } from '../src/dcerpc/client-pdus.js';
import type { RpcTransport } from '../src/dcerpc/connection.js';
import { AUTHN, AUTHN_LEVEL, PFC, PTYPE } from '../src/dcerpc/constants.js';
import { assemblePdu, encodeRequestPrefix, parsePdu } from '../src/dcerpc/pdu.js';
import { RpcServer } from '../src/dcerpc/server.js';
import { MGMT } from '../src/dcerpc/well-known.js';
import { createMgmtInterface } from '../src/epm/mgmt.js';
import { silentLogger } from '../src/util/log.js';
import { cpuTotal, USER } from './load.js';

/**
 * Server CPU time of one sealed mgmt inq_if_ids call without sockets: sealed request PDUs fed to an RpcConnection
 * (real NTLM acceptor, mgmt interface), responses collected by a fake transport. Batches of 1000 calls; returns
 * the fastest batch (the least disturbed by other processes) and the median.
 */
export async function measureServerPath(): Promise<{ min: number; median: number }> {
  const log = silentLogger();
  const identity = { netbiosName: 'BENCH', netbiosDomain: 'BENCH', dnsHostName: 'bench.test', dnsDomainName: 'test' };
  const accept = { identity, lookup: async (u: string) => ({ username: u, ntHash: ntHash(USER.password) }), policy: { allowNtlmV1: false, maxClockSkewSeconds: 0 }, log };
  const rpc = new RpcServer({
    log,
    authenticators: (t) => (t === AUTHN.RPC_C_AUTHN_WINNT ? createNtlmServer(accept) : null),
    limits: { maxFragmentSize: 5840, maxRequestSize: 1 << 20, maxCallsPerConnection: 2000 },
    maxConnections: 1,
    maxAssociationGroups: 1,
    idleTimeoutSeconds: 0,
  });
  rpc.registry.register(createMgmtInterface({ registry: rpc.registry, stats: () => rpc.stats, principalName: 'BENCH$' }));
  let written: Buffer[] = [];
  const transport: RpcTransport = {
    info: { cid: 0, transport: 'ncacn_ip_tcp', peerAddress: '127.0.0.1', peerPort: 1, localAddress: '127.0.0.1', localPort: 2 },
    secondaryAddress: '2',
    write: (b) => written.push(b),
    close: () => {},
  };
  const conn = rpc.attach(transport)!;
  const client = createNtlmClient({ ...USER, seal: true, sign: true });
  const level = AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
  const mgmtCtx = [{ p_cont_id: 0, abstract_syntax: syntax(MGMT.uuid, MGMT.major, MGMT.minor), transfer_syntaxes: [NDR20] }];
  conn.receive(buildBind({ callId: 1, contexts: mgmtCtx, auth: { type: 10, level, token: (await client.step(null)).token! } }));
  await conn.drained;
  const ack = parsePdu(written.shift()!);
  const token = (await client.step(ack.kind === 'bind_ack' ? (ack.auth?.auth_value ?? null) : null)).token!;
  conn.receive(buildAuth3(1, { type: 10, level, token }));
  await conn.drained;
  const sec = client.security!;
  let callId = 2;
  const request = () => {
    const pdu = assemblePdu({ PTYPE: PTYPE.request, pfc_flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, call_id: callId++ }, encodeRequestPrefix(0, 0, 0), {
      trailer: { auth_type: 10, auth_level: level, auth_pad_length: 0, auth_context_id: 0 },
      value: 16,
    });
    sec.seal(pdu.subarray(24, 24), pdu.subarray(0, pdu.length - 16)).copy(pdu, pdu.length - 16);
    return pdu;
  };
  const batch = async (n: number): Promise<number> => {
    const pdus = Array.from({ length: n }, request);
    const cpu0 = process.cpuUsage();
    for (const p of pdus) conn.receive(p);
    await conn.drained;
    while (written.length < n) await new Promise((r) => setImmediate(r));
    const us = cpuTotal(process.cpuUsage(cpu0)) / n;
    for (const w of written) {
      const r = parsePdu(w);
      if (r.kind !== 'response' || !r.auth) throw new Error(`server path: ${r.kind} instead of a sealed response`);
      sec.unseal(r.raw.subarray(r.stubOffset, r.auth.trailerOffset), r.raw.subarray(0, r.auth.trailerOffset + 8), r.auth.auth_value);
    }
    written = [];
    return us;
  };
  for (let i = 0; i < 10; i++) await batch(1000);
  const runs: number[] = [];
  for (let i = 0; i < 30; i++) runs.push(await batch(1000));
  conn.close();
  runs.sort((a, b) => a - b);
  return { min: Math.round(runs[0]! * 10) / 10, median: Math.round(runs[15]! * 10) / 10 };
}
