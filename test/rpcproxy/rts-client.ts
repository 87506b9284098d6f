// A small RPC over HTTP v2 client for tests (MS-RPCH 3.2.2, client role) on real sockets through the front door,
// with Basic authentication: CONN/A1 + CONN/B1, RPC PDUs on the IN channel, responses from the OUT channel, flow
// control acks, and both recyclings (the OUT side answering the server's OUT_R?/A2, the IN side on request).
// The requests' HTTP version is chosen (`httpVersion`, HTTP/1.1 by default). OUT channel bodies may be raw
// (Content-Length) or `Transfer-Encoding: chunked` (RFC 9112 7.1, decoded strictly here). Every OUT channel opened is
// kept (`outs`) with its response head, the chunk sizes, the PDUs and payload it carried and whether its chunked body
// ended with the last chunk, so that tests can judge the framing of recycled channels as well.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { decodeRts, PTYPE_RTS, RTS_FLAG, type RtsPdu } from '../../src/rpcproxy/rts.js';
import { client as C } from './vconn-harness.js';

const WINDOW = 0x10000;

export interface RtsClientOptions {
  /** The HTTP version of the requests (default 1.1). */
  httpVersion?: '1.0' | '1.1';
  /**
   * Leave a replaced OUT channel for the proxy to end (with the last chunk when chunked) instead of destroying it as
   * soon as its successor takes over (the default).
   */
  keepPredecessors?: boolean;
}

/** One OUT channel: its response head, then the PDUs of its body, raw or chunked. */
export class OutReader {
  head: string | null = null;
  chunked = false;
  /** Sizes of the chunks received (chunked bodies): a chunk holding anything but exactly one PDU is an error. */
  readonly chunks: number[] = [];
  /** Every PDU received, in order. */
  readonly pdus: Buffer[] = [];
  /** Body bytes after the framing: RTS and RPC PDUs. */
  payloadBytes = 0;
  /** The last chunk (`0\r\n\r\n`) arrived. */
  lastChunk = false;
  closed = false;
  /** Framing errors of a chunked body. */
  readonly errors: string[] = [];
  private buf = Buffer.alloc(0);
  private body = Buffer.alloc(0);
  constructor(
    readonly sock: net.Socket,
    private readonly onPdu: (pdu: Buffer, from: OutReader) => void,
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

export class RtsClient {
  readonly vc: string = randomUUID();
  private inCookie: string = randomUUID();
  private outCookie: string = randomUUID();
  private inSock!: net.Socket;
  /** The current OUT channel. */
  out!: OutReader;
  /** Every OUT channel opened, in order (the first, then each successor). */
  readonly outs: OutReader[] = [];
  private successor: { reader: OutReader; cookie: string } | null = null;
  private pendingIn: ((a4: RtsPdu) => void) | null = null;
  private bytesReceived = 0;
  private sinceAck = 0;
  readonly rts: RtsPdu[] = [];
  readonly responses: Buffer[] = [];
  private waiters: Array<() => void> = [];
  /** Settles on CONN/C2 (or the first OUT channel closing before it). */
  opened!: Promise<void>;
  private onC2: (() => void) | null = null;
  outRecycles = 0;
  inRecycles = 0;
  errors: string[] = [];
  private readonly httpVersion: '1.0' | '1.1';
  private readonly keepPredecessors: boolean;

  constructor(
    private readonly port: number,
    private readonly target: string,
    private readonly auth: string,
    opts: RtsClientOptions = {},
  ) {
    this.httpVersion = opts.httpVersion ?? '1.1';
    this.keepPredecessors = opts.keepPredecessors ?? false;
  }

  private request(method: string, length: number): net.Socket {
    const s = net.connect(this.port, '127.0.0.1');
    s.setNoDelay(true);
    s.write(
      `${method} /rpc/rpcproxy.dll?${this.target} HTTP/${this.httpVersion}\r\nHost: x\r\nAccept: application/rpc\r\nUser-Agent: MSRPC\r\n` +
        `Authorization: ${this.auth}\r\nContent-Length: ${length}\r\nConnection: Keep-Alive\r\n\r\n`,
    );
    return s;
  }

  /** Opens an OUT channel (RPC_OUT_DATA with this Content-Length) and keeps it in `outs`. */
  private openOut(length: number): OutReader {
    const r = new OutReader(this.request('RPC_OUT_DATA', length), (pdu, from) => {
      if (pdu[2] === PTYPE_RTS) this.onRts(decodeRts(pdu), from);
      else this.onRpc(pdu, from);
    });
    this.outs.push(r);
    return r;
  }

  connect(): Promise<void> {
    this.opened = new Promise((resolve, reject) => {
      const first = (this.out = this.openOut(76));
      this.onC2 = resolve;
      first.sock.on('close', () => reject(new Error(`OUT channel closed before CONN/C2 (head ${first.head})`)));
      first.sock.write(C.connA1(this.vc, this.outCookie, WINDOW));
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
    this.rts.push(p);
    if (p.commands.length === 3 && p.commands[0]?.type === 'Version' && from === this.outs[0] && this.onC2) {
      const c2 = this.onC2; // CONN/C2
      this.onC2 = null;
      c2();
      return;
    }
    const dest = p.commands[0]?.type === 'Destination';
    if (p.Flags === RTS_FLAG.RECYCLE_CHANNEL && from === this.out) {
      // OUT_R?/A2: open the successor with OUT_R1/A3 (+ room for A11/C1: Content-Length 120)
      const cookie = randomUUID();
      const reader = this.openOut(120);
      this.successor = { reader, cookie };
      reader.sock.write(C.outR1A3(this.vc, this.outCookie, cookie, WINDOW));
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
      // OUT_R2/B3 or OUT_R1/A10: the successor is the OUT channel (R1 also sends A11 on it); the predecessor is
      // destroyed, or left for the proxy to end
      const s = this.successor;
      if (p.Flags !== RTS_FLAG.EOF) s.reader.sock.write(C.outR1A11());
      if (!this.keepPredecessors) this.out.sock.destroy();
      this.out = s.reader;
      this.outCookie = s.cookie;
      this.bytesReceived = 0;
      this.sinceAck = 0;
      this.successor = null;
      this.outRecycles++;
      return;
    }
    if (dest && this.pendingIn && (p.commands.length === 1 || p.commands.length === 4)) {
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
    for (const r of this.outs) r.sock.destroy();
  }
}
