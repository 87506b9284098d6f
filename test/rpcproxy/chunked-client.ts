// The test RPC over HTTP v2 client of rts-client.ts, reading OUT channels whose body is raw (Content-Length) or
// `Transfer-Encoding: chunked` (RFC 9112 7.1, decoded strictly here), with the request's HTTP version chosen. Every
// OUT channel it opened is kept (`outs`) with its response head, the chunk sizes, the payload it carried and whether
// its chunked body ended with the last chunk, so that tests can judge the framing of recycled channels as well.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { decodeRts, PTYPE_RTS, RTS_FLAG, type RtsPdu } from '../../src/rpcproxy/rts.js';
import { client as C } from './vconn-harness.js';

const WINDOW = 0x10000;

export class OutChannelReader {
  head: string | null = null;
  chunked = false;
  /** Sizes of the chunks received (chunked bodies). */
  readonly chunks: number[] = [];
  /** PDUs per chunk: a chunk holding anything but exactly one whole PDU is recorded in `errors`. */
  readonly pdus: Buffer[] = [];
  /** Body bytes after the framing: RTS and RPC PDUs. */
  payloadBytes = 0;
  /** The last chunk (`0\r\n\r\n`) arrived. */
  lastChunk = false;
  closed = false;
  readonly errors: string[] = [];
  private buf = Buffer.alloc(0);
  private body = Buffer.alloc(0);
  constructor(
    readonly sock: net.Socket,
    private readonly onPdu: (pdu: Buffer, from: OutChannelReader) => void,
  ) {
    sock.on('data', (d: Buffer) => this.push(d));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => undefined);
  }

  get headers(): Map<string, string> {
    const m = new Map<string, string>();
    for (const line of (this.head ?? '').split('\r\n').slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) m.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    return m;
  }

  private push(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (this.head === null) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = this.buf.subarray(0, end + 4).toString('latin1');
      this.buf = this.buf.subarray(end + 4);
      this.chunked = /\r\ntransfer-encoding:\s*chunked\r\n/i.test(this.head);
    }
    if (!this.chunked) {
      this.payload(this.buf);
      this.buf = Buffer.alloc(0);
      return;
    }
    for (;;) {
      if (this.lastChunk) {
        if (this.buf.length > 0) this.errors.push(`${this.buf.length} bytes after the last chunk`);
        this.buf = Buffer.alloc(0);
        return;
      }
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) return;
      const sizeText = this.buf.subarray(0, eol).toString('latin1');
      if (!/^[0-9a-f]+$/i.test(sizeText)) {
        this.errors.push(`bad chunk size line ${JSON.stringify(sizeText)}`);
        this.sock.destroy();
        return;
      }
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        if (this.buf.length < eol + 4) return;
        if (this.buf.subarray(eol + 2, eol + 4).toString('latin1') !== '\r\n') this.errors.push('last chunk not followed by CRLF');
        this.lastChunk = true;
        this.buf = this.buf.subarray(eol + 4);
        continue;
      }
      if (this.buf.length < eol + 2 + size + 2) return;
      const data = this.buf.subarray(eol + 2, eol + 2 + size);
      if (this.buf.subarray(eol + 2 + size, eol + 4 + size).toString('latin1') !== '\r\n') this.errors.push('chunk data not followed by CRLF');
      this.buf = this.buf.subarray(eol + 4 + size);
      this.chunks.push(size);
      if (size < 10 || data.readUInt16LE(8) !== size) this.errors.push(`a chunk of ${size} bytes is not one PDU`);
      this.payload(Buffer.from(data));
    }
  }

  private payload(d: Buffer): void {
    this.payloadBytes += d.length;
    this.body = Buffer.concat([this.body, d]);
    while (this.body.length >= 10 && this.body.length >= this.body.readUInt16LE(8)) {
      const n = this.body.readUInt16LE(8);
      const pdu = this.body.subarray(0, n);
      this.body = this.body.subarray(n);
      this.pdus.push(pdu);
      this.onPdu(pdu, this);
    }
  }
}

export class ChunkedRtsClient {
  readonly vc: string = randomUUID();
  private inCookie: string = randomUUID();
  private outCookie: string = randomUUID();
  private inSock!: net.Socket;
  out!: OutChannelReader;
  /** Every OUT channel opened, in order (the first, then each successor). */
  readonly outs: OutChannelReader[] = [];
  private successor: { reader: OutChannelReader; cookie: string } | null = null;
  private bytesReceived = 0;
  private sinceAck = 0;
  readonly rts: RtsPdu[] = [];
  readonly responses: Buffer[] = [];
  private waiters: Array<() => void> = [];
  outRecycles = 0;
  errors: string[] = [];
  /** Resolves connect() on CONN/C2. */
  private opened: (() => void) | null = null;

  constructor(
    private readonly port: number,
    private readonly target: string,
    private readonly auth: string,
    private readonly httpVersion: '1.0' | '1.1' = '1.1',
  ) {}

  private request(method: string, length: number): net.Socket {
    const s = net.connect(this.port, '127.0.0.1');
    s.setNoDelay(true);
    s.write(
      `${method} /rpc/rpcproxy.dll?${this.target} HTTP/${this.httpVersion}\r\nHost: x\r\nAccept: application/rpc\r\nUser-Agent: MSRPC\r\n` +
        `Authorization: ${this.auth}\r\nContent-Length: ${length}\r\nConnection: Keep-Alive\r\n\r\n`,
    );
    return s;
  }

  private reader(sock: net.Socket): OutChannelReader {
    const r = new OutChannelReader(sock, (pdu, from) => {
      if (pdu[2] === PTYPE_RTS) this.onRts(decodeRts(pdu), from);
      else this.onRpc(pdu, from);
    });
    this.outs.push(r);
    return r;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out = this.reader(this.request('RPC_OUT_DATA', 76));
      const first = this.out;
      this.opened = () => resolve();
      first.sock.on('close', () => reject(new Error(`OUT channel closed before CONN/C2 (head ${first.head})`)));
      first.sock.write(C.connA1(this.vc, this.outCookie, WINDOW));
      this.inSock = this.request('RPC_IN_DATA', 0x40000000);
      this.inSock.on('error', () => undefined);
      this.inSock.write(C.connB1(this.vc, this.inCookie));
    });
  }

  send(pdu: Buffer): void {
    this.inSock.write(pdu);
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

  private onRpc(pdu: Buffer, from: OutChannelReader): void {
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

  private onRts(p: RtsPdu, from: OutChannelReader): void {
    this.rts.push(p);
    if (p.commands.length === 3 && p.commands[0]?.type === 'Version' && from === this.outs[0] && this.opened) {
      const o = this.opened; // CONN/C2
      this.opened = null;
      o();
      return;
    }
    const dest = p.commands[0]?.type === 'Destination';
    if (p.Flags === RTS_FLAG.RECYCLE_CHANNEL && from === this.out) {
      // OUT_R?/A2: open the successor with OUT_R1/A3 (+ room for A11/C1: Content-Length 120)
      const cookie = randomUUID();
      const reader = this.reader(this.request('RPC_OUT_DATA', 120));
      this.successor = { reader, cookie };
      reader.sock.write(C.outR1A3(this.vc, this.outCookie, cookie, WINDOW));
      return;
    }
    if (p.Flags === RTS_FLAG.OUT_CHANNEL && dest && this.successor) {
      this.inSock.write(C.outR1A7(this.successor.cookie)); // OUT_R1/A6 -> A7 on IN
      return;
    }
    if (p.Flags === RTS_FLAG.NONE && p.commands.length === 2 && p.commands[1]?.type === 'ANCE' && this.successor) {
      // OUT_R2/A6 -> A7 on IN, C1 on the successor
      this.inSock.write(C.outR2A7(this.successor.cookie));
      this.successor.reader.sock.write(C.outR2C1());
      return;
    }
    if ((p.Flags === RTS_FLAG.EOF || (p.Flags === RTS_FLAG.NONE && p.commands.length === 1 && p.commands[0]?.type === 'ANCE')) && this.successor && from === this.out) {
      // OUT_R2/B3 or OUT_R1/A10: the successor is the OUT channel; the predecessor is left to end by itself
      const s = this.successor;
      if (p.Flags !== RTS_FLAG.EOF) s.reader.sock.write(C.outR1A11());
      this.out = s.reader;
      this.outCookie = s.cookie;
      this.bytesReceived = 0;
      this.sinceAck = 0;
      this.successor = null;
      this.outRecycles++;
    }
  }

  destroy(): void {
    this.inSock.destroy();
    for (const r of this.outs) r.sock.destroy();
  }
}
