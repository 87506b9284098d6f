// Fake channels and a fake RPC connection for driving the virtual connection state machine (src/rpcproxy/vconn.ts)
// without sockets: what the proxy writes on each channel is parsed back into the HTTP head and PDUs.
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../src/util/log.js';
import { decodeRts, encodeRts, FD, PTYPE_RTS, RTS_FLAG, type RtsCommand, type RtsPdu } from '../../src/rpcproxy/rts.js';
import { VirtualConnectionTable } from '../../src/rpcproxy/table.js';
import type { Channel, ChannelIo, RpcSink, VcOptions, VcTransport } from '../../src/rpcproxy/vconn.js';
import type { HttpUser } from '../../src/web/types.js';

export class FakeIo implements ChannelIo {
  written: Buffer[] = [];
  ended = false;
  paused = false;
  private drain: Array<() => void> = [];
  /** When set, write() reports a full buffer. */
  full = false;
  write(d: Buffer): boolean {
    this.written.push(Buffer.from(d));
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  onceDrain(cb: () => void): void {
    this.drain.push(cb);
  }
  drained(): void {
    this.full = false;
    const d = this.drain;
    this.drain = [];
    for (const cb of d) cb();
  }
  /** The bytes written, split into the HTTP head (if any) and PDUs. */
  parse(): { head: string | null; pdus: Buffer[] } {
    let all = Buffer.concat(this.written);
    let head: string | null = null;
    if (all.subarray(0, 5).toString('latin1') === 'HTTP/') {
      const end = all.indexOf('\r\n\r\n');
      head = all.subarray(0, end + 4).toString('latin1');
      all = all.subarray(end + 4);
    }
    const pdus: Buffer[] = [];
    while (all.length >= 10) {
      const n = all.readUInt16LE(8);
      pdus.push(all.subarray(0, n));
      all = all.subarray(n);
    }
    return { head, pdus };
  }
  rts(): RtsPdu[] {
    return this.parse().pdus.filter((p) => p[2] === PTYPE_RTS).map((p) => decodeRts(p));
  }
  rpc(): Buffer[] {
    return this.parse().pdus.filter((p) => p[2] !== PTYPE_RTS);
  }
}

/** An RPC PDU-shaped buffer of `n` bytes (a request, PTYPE 0) whose byte 16 carries `tag`. */
export function rpcPdu(n: number, tag = 0): Buffer {
  const b = Buffer.alloc(n);
  b[0] = 5;
  b[2] = 0;
  b[3] = 3;
  b[4] = 0x10;
  b.writeUInt16LE(n, 8);
  if (n > 16) b[16] = tag;
  return b;
}

/** Echoes every RPC PDU it gets (same size, PTYPE 2 response) and records them. */
export class FakeRpc implements RpcSink {
  got: Buffer[] = [];
  closed = false;
  callsInFlight = 0;
  echo = true;
  constructor(readonly transport: VcTransport) {}
  receive(pdu: Buffer): void {
    this.got.push(Buffer.from(pdu));
    if (this.echo) {
      const r = Buffer.from(pdu);
      r[2] = 2;
      this.transport.send(r);
    }
  }
  transportClosed(): void {
    this.closed = true;
  }
}

export const ALICE: HttpUser = { username: 'alice', domain: 'TEST', method: 'ntlm' };
export const MALLORY: HttpUser = { username: 'mallory', domain: 'TEST', method: 'basic' };
export const TARGET = 'exch01.test.local:6004';

export const rts = (Flags: number, ...commands: RtsCommand[]): Buffer => encodeRts({ Flags, commands });
const V1: RtsCommand = { type: 'Version', Version: 1 };
const cookie = (c: string): RtsCommand => ({ type: 'Cookie', Cookie: c });

export const client = {
  connA1: (vc: string, out: string, window = 0x10000) =>
    rts(RTS_FLAG.NONE, V1, cookie(vc), cookie(out), { type: 'ReceiveWindowSize', ReceiveWindowSize: window }),
  connB1: (vc: string, inc: string, keepalive = 300000) =>
    rts(
      RTS_FLAG.NONE,
      V1,
      cookie(vc),
      cookie(inc),
      { type: 'ChannelLifetime', ChannelLifetime: 0x40000000 },
      { type: 'ClientKeepalive', ClientKeepalive: keepalive },
      { type: 'AssociationGroupId', AssociationGroupId: randomUUID() },
    ),
  inR1A1: (vc: string, pred: string, succ: string) => rts(RTS_FLAG.RECYCLE_CHANNEL, V1, cookie(vc), cookie(pred), cookie(succ)),
  inR1A5: (succ: string) => rts(RTS_FLAG.NONE, cookie(succ)),
  outR1A3: (vc: string, pred: string, succ: string, window = 0x10000) =>
    rts(RTS_FLAG.RECYCLE_CHANNEL, V1, cookie(vc), cookie(pred), cookie(succ), { type: 'ReceiveWindowSize', ReceiveWindowSize: window }),
  outR1A7: (succ: string) => rts(RTS_FLAG.OUT_CHANNEL, { type: 'Destination', Destination: FD.FDServer }, cookie(succ)),
  outR2A7: (succ: string) => rts(RTS_FLAG.OUT_CHANNEL, { type: 'Destination', Destination: FD.FDServer }, cookie(succ), V1),
  outR1A11: () => rts(RTS_FLAG.NONE, { type: 'ANCE' }),
  outR2C1: () => rts(RTS_FLAG.PING, { type: 'Empty' }),
  ping: () => rts(RTS_FLAG.PING),
  ackOut: (bytes: number, avail: number, out: string) =>
    rts(
      RTS_FLAG.OTHER_CMD,
      { type: 'Destination', Destination: FD.FDOutProxy },
      { type: 'FlowControlAck', BytesReceived: bytes, AvailableWindow: avail, ChannelCookie: out },
    ),
};

export interface Harness {
  table: VirtualConnectionTable;
  rpcs: FakeRpc[];
  clock: { now: number };
  open(kind: 'in' | 'out', user?: HttpUser, contentLength?: number): { ch: Channel; io: FakeIo };
}

export function harness(over: Partial<VcOptions> = {}): Harness {
  const clock = { now: 1_000_000 };
  const rpcs: FakeRpc[] = [];
  const table = new VirtualConnectionTable({
    log: silentLogger(),
    createRpc: (_vc, transport) => {
      const r = new FakeRpc(transport);
      rpcs.push(r);
      return r;
    },
    receiveWindow: 0x10000,
    connectionTimeoutMs: 120_000,
    outChannelLifetime: 0x40000000,
    recycleMargin: 8192,
    pingIntervalMs: 60_000,
    idleTimeoutMs: 300_000,
    setupTimeoutMs: 120_000,
    inRecycle: 'R2',
    outRecycle: 'R2',
    maxFragment: 65536,
    maxVirtualConnections: 100,
    now: () => clock.now,
    ...over,
  });
  return {
    table,
    rpcs,
    clock,
    open(kind, user = ALICE, contentLength) {
      const io = new FakeIo();
      const ch = table.channel(kind, io, {
        user,
        target: TARGET,
        peer: { address: '127.0.0.1', port: 40000 },
        contentLength: contentLength ?? (kind === 'in' ? 0x40000000 : 76),
      });
      return { ch, io };
    },
  };
}

/** Opens a virtual connection (OUT first, like Outlook) and returns its channels and cookies. */
export function connect(h: Harness, user = ALICE, window = 0x10000) {
  const vc = randomUUID();
  const outCookie = randomUUID();
  const inCookie = randomUUID();
  const out = h.open('out', user);
  h.table.receive(out.ch, client.connA1(vc, outCookie, window));
  const inn = h.open('in', user);
  h.table.receive(inn.ch, client.connB1(vc, inCookie));
  return { vc, outCookie, inCookie, out, inn, rpc: h.rpcs[h.rpcs.length - 1] as FakeRpc };
}
