// In-memory DCE/RPC server connections for unit tests: a fake transport that records what the server writes.
import { RpcServer, type RpcServerOptions } from '../../src/dcerpc/server.js';
import type { RpcConnection, RpcTransport } from '../../src/dcerpc/connection.js';
import type { ConnectionInfo } from '../../src/dcerpc/interface.js';
import { parsePdu, type Pdu } from '../../src/dcerpc/pdu.js';
import { PduFramer } from '../../src/dcerpc/framer.js';
import { silentLogger } from '../../src/util/log.js';

export class FakeTransport implements RpcTransport {
  readonly written: Buffer[] = [];
  closed = false;
  readonly secondaryAddress = '6100';
  constructor(readonly info: ConnectionInfo) {}
  write(data: Buffer): void {
    this.written.push(Buffer.from(data));
  }
  close(): void {
    this.closed = true;
  }
  /** Parses everything written so far as PDUs and forgets it. */
  take(): Pdu[] {
    const f = new PduFramer(() => 0xffff);
    const pdus = this.written.flatMap((b) => f.push(b));
    this.written.length = 0;
    return pdus.map(parsePdu);
  }
}

let port = 50000;
export function makeServer(over: Partial<RpcServerOptions> = {}): RpcServer {
  return new RpcServer({
    log: silentLogger(),
    authenticators: () => null,
    limits: { maxFragmentSize: 5840, maxRequestSize: 1 << 20, maxCallsPerConnection: 16 },
    maxConnections: 100,
    maxAssociationGroups: 100,
    idleTimeoutSeconds: 0,
    ...over,
  });
}

export function connect(server: RpcServer, peerAddress = '127.0.0.1'): { conn: RpcConnection; t: FakeTransport } {
  const t = new FakeTransport({
    cid: port,
    transport: 'ncacn_ip_tcp',
    peerAddress,
    peerPort: port++,
    localAddress: '127.0.0.1',
    localPort: 6100,
  });
  const conn = server.attach(t);
  if (!conn) throw new Error('server full');
  return { conn, t };
}

/** Feeds PDUs and waits until they are processed and any handler has had a chance to answer. */
export async function exchange(conn: RpcConnection, t: FakeTransport, ...pdus: Buffer[]): Promise<Pdu[]> {
  for (const p of pdus) conn.receive(p);
  await conn.drained;
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return t.take();
}
