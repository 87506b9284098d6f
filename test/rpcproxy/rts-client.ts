// A small RPC over HTTP v2 client for tests (MS-RPCH 3.2.2, client role) on real sockets through the front door,
// with Basic authentication: CONN/A1 + CONN/B1, RPC PDUs on the IN channel, responses from the OUT channel, flow
// control acks, and both recyclings (the OUT side answering the server's OUT_R?/A2, the IN side on request).
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { decodeRts, PTYPE_RTS, RTS_FLAG, type RtsPdu } from '../../src/rpcproxy/rts.js';
import { client as C } from './vconn-harness.js';

const WINDOW = 0x10000;

class OutReader {
  head: string | null = null;
  private buf = Buffer.alloc(0);
  closed = false;
  constructor(
    readonly sock: net.Socket,
    private readonly onPdu: (pdu: Buffer, from: OutReader) => void,
  ) {
    sock.on('data', (d: Buffer) => this.push(d));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => undefined);
  }
  private push(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (this.head === null) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = this.buf.subarray(0, end + 4).toString('latin1');
      this.buf = this.buf.subarray(end + 4);
    }
    while (this.buf.length >= 10 && this.buf.length >= this.buf.readUInt16LE(8)) {
      const n = this.buf.readUInt16LE(8);
      const pdu = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      this.onPdu(pdu, this);
    }
  }
}

export class RtsClient {
  readonly vc: string = randomUUID();
  private inCookie: string = randomUUID();
  private outCookie: string = randomUUID();
  private inSock!: net.Socket;
  private out!: OutReader;
  private successor: { reader: OutReader; cookie: string } | null = null;
  private pendingIn: ((a4: RtsPdu) => void) | null = null;
  private bytesReceived = 0;
  private sinceAck = 0;
  readonly rts: RtsPdu[] = [];
  readonly responses: Buffer[] = [];
  private waiters: Array<() => void> = [];
  opened!: Promise<void>;
  outRecycles = 0;
  inRecycles = 0;
  errors: string[] = [];

  constructor(
    private readonly port: number,
    private readonly target: string,
    private readonly auth: string,
  ) {}

  private request(method: string, length: number): net.Socket {
    const s = net.connect(this.port, '127.0.0.1');
    s.setNoDelay(true);
    s.write(
      `${method} /rpc/rpcproxy.dll?${this.target} HTTP/1.1\r\nHost: x\r\nAccept: application/rpc\r\nUser-Agent: MSRPC\r\n` +
        `Authorization: ${this.auth}\r\nContent-Length: ${length}\r\nConnection: Keep-Alive\r\n\r\n`,
    );
    return s;
  }

  connect(): Promise<void> {
    this.opened = new Promise((resolve, reject) => {
      this.out = new OutReader(this.request('RPC_OUT_DATA', 76), (pdu, from) => {
        if (pdu[2] === PTYPE_RTS) {
          const p = decodeRts(pdu);
          this.rts.push(p);
          if (p.commands.length === 3 && p.commands[0]?.type === 'Version' && from === this.out) resolve(); // CONN/C2
          this.onRts(p, from);
        } else this.onRpc(pdu, from);
      });
      this.out.sock.on('close', () => reject(new Error('OUT channel closed before CONN/C2')));
      this.out.sock.write(C.connA1(this.vc, this.outCookie, WINDOW));
      this.inSock = this.request('RPC_IN_DATA', 0x40000000);
      this.inSock.on('error', () => undefined);
      this.inSock.write(C.connB1(this.vc, this.inCookie));
    });
    return this.opened;
  }

  send(pdu: Buffer): void {
    this.inSock.write(pdu);
  }

  ping(): void {
    this.inSock.write(C.ping());
  }

  /** Resolves when `n` responses have arrived in all. */
  async responsesAtLeast(n: number, ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.responses.length < n) {
      if (Date.now() > until) throw new Error(`only ${this.responses.length} of ${n} responses; rts: ${this.rts.map((p) => p.Flags).join(',')}; errors ${this.errors}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  private onRpc(pdu: Buffer, from: OutReader): void {
    if (from !== this.out) this.errors.push('RPC PDU on a channel that is not the OUT channel');
    this.responses.push(pdu);
    this.bytesReceived += pdu.length;
    this.sinceAck += pdu.length;
    if (this.sinceAck > WINDOW / 2) {
      this.sinceAck = 0;
      this.inSock.write(C.ackOut(this.bytesReceived, WINDOW, this.outCookie));
    }
    for (const w of this.waiters.splice(0)) w();
  }

  private onRts(p: RtsPdu, from: OutReader): void {
    const dest = p.commands[0]?.type === 'Destination';
    if (p.Flags === RTS_FLAG.RECYCLE_CHANNEL && from === this.out) {
      // OUT_R?/A2: open the successor with OUT_R1/A3 (+ room for A11/C1: Content-Length 120)
      const cookie = randomUUID();
      const sock = this.request('RPC_OUT_DATA', 120);
      const reader = new OutReader(sock, (pdu, r) => (pdu[2] === PTYPE_RTS ? this.onRts(decodeRts(pdu), r) : this.onRpc(pdu, r)));
      this.successor = { reader, cookie };
      sock.write(C.outR1A3(this.vc, this.outCookie, cookie, WINDOW));
      return;
    }
    if (p.Flags === RTS_FLAG.OUT_CHANNEL && dest && this.successor) {
      // OUT_R1/A6 -> A7 on IN; the predecessor then ends with A10
      this.inSock.write(C.outR1A7(this.successor.cookie));
      return;
    }
    if (p.Flags === RTS_FLAG.NONE && p.commands.length === 2 && p.commands[1]?.type === 'ANCE' && this.successor) {
      // OUT_R2/A6 -> A7 on IN, C1 on the successor; B3 (EOF) ends the predecessor
      this.inSock.write(C.outR2A7(this.successor.cookie));
      this.successor.reader.sock.write(C.outR2C1());
      return;
    }
    if ((p.Flags === RTS_FLAG.EOF || (p.Flags === RTS_FLAG.NONE && p.commands.length === 1 && p.commands[0]?.type === 'ANCE')) && this.successor && from === this.out) {
      // OUT_R2/B3 or OUT_R1/A10: the successor is the OUT channel (R1 also sends A11 on it)
      const s = this.successor;
      if (p.Flags !== RTS_FLAG.EOF) s.reader.sock.write(C.outR1A11());
      this.out.sock.destroy();
      this.out = s.reader;
      this.outCookie = s.cookie;
      this.bytesReceived = 0;
      this.sinceAck = 0;
      this.successor = null;
      this.outRecycles++;
      return;
    }
    if (dest && p.commands[0]?.type === 'Destination' && this.pendingIn && (p.commands.length === 1 || p.commands.length === 4)) {
      const cb = this.pendingIn;
      this.pendingIn = null;
      cb(p);
    }
  }

  /** IN channel recycling (MS-RPCH 3.2.2.5.12): IN_R1/A1 on a new IN channel, A4 on OUT, A5 on the old one. */
  async recycleIn(): Promise<void> {
    const succCookie = randomUUID();
    const succ = this.request('RPC_IN_DATA', 0x40000000);
    succ.on('error', () => undefined);
    const a4 = new Promise<RtsPdu>((r) => (this.pendingIn = r));
    succ.write(C.inR1A1(this.vc, this.inCookie, succCookie));
    await a4;
    const pred = this.inSock;
    pred.write(C.inR1A5(succCookie));
    this.inSock = succ;
    this.inCookie = succCookie;
    this.inRecycles++;
    setTimeout(() => pred.destroy(), 200);
  }

  get outClosed(): boolean {
    return this.out.closed;
  }

  destroy(): void {
    this.inSock.destroy();
    this.out.sock.destroy();
    this.successor?.reader.sock.destroy();
  }
}
