// MS-RPCH 3.2.3-3.2.5: the inbound proxy, outbound proxy and server roles of RPC over HTTP v2 in one process.
// A virtual connection joins one IN channel (an RPC_IN_DATA request body: client -> us) and one OUT channel (an
// RPC_OUT_DATA response body: us -> client) by the client's virtual-connection cookie; during recycling a second
// channel of either kind is attached (successor). The proxy->server legs of the spec (CONN/A2, B2, B3, C1,
// IN_R?/A2-A3, OUT_R?/A4-A5, A8-A9, B1) never hit a wire: each is the state transition it would cause.
// States are explicit values (architecture rule 6); every channel input yields the next state or a protocol error.
import { channel as diagnosticsChannel } from 'node:diagnostics_channel';
import type { Logger } from '../util/log.js';
import { describeError } from '../util/errors.js';
import { randomGuid } from '../util/guid.js';
import { PduFramer } from '../dcerpc/framer.js';
import type { HttpUser } from '../web/types.js';
import { ReceiveWindow, SendWindow } from './flow.js';
import * as R from './rts.js';
import { cmd, decodeRts, FD, identifyClientRts, PTYPE_RTS, RtsError, type ClientRtsName, type RtsPdu } from './rts.js';
import type { VirtualConnectionTable } from './table.js';

/** Published for every RTS PDU in and out: { vc, direction: 'in' | 'out', channel: 'in' | 'out', pdu: Buffer }. */
export const rtsChannel = diagnosticsChannel('ocng:rpcproxy:rts');

/** The HTTP side of one channel (a socket after the request head), as the virtual connection uses it. */
export interface ChannelIo {
  /** Writes raw bytes (response head or body); false when the socket's buffer is full. */
  write(data: Buffer): boolean;
  /** Ends the channel after what was written. */
  end(): void;
  pause(): void;
  resume(): void;
  /** Calls `cb` once when the socket's write buffer has drained. */
  onceDrain(cb: () => void): void;
  /** Optional: writes between cork() and uncork() leave together (the fragments of one response). */
  cork?(): void;
  uncork?(): void;
}

/** The RPC connection behind a virtual connection (src/dcerpc RpcConnection satisfies it). */
export interface RpcSink {
  receive(pdu: Buffer): void;
  transportClosed(): void;
  readonly callsInFlight: number;
}

/** What the RPC connection writes into: the virtual connection's current OUT channel. */
export interface VcTransport {
  send(pdu: Buffer): void;
  close(): void;
  cork(): void;
  uncork(): void;
}

export interface VcInfo {
  readonly cookie: string;
  readonly user: HttpUser;
  /** The request's `?host:port` target, already mapped (endpoint.ts). */
  readonly target: string;
  readonly peer: { address: string; port: number };
  readonly associationGroupId: string;
}

export interface VcOptions {
  log: Logger;
  /** Creates the RPC connection when a virtual connection opens; null refuses it (server full). */
  createRpc(vc: VcInfo, transport: VcTransport): RpcSink | null;
  /** Our IN-channel ReceiveWindowSize (CONN/C2, IN_R1/A4), bytes. Windows: 64 KiB. */
  receiveWindow: number;
  /** ConnectionTimeout sent in CONN/A3 and CONN/C2, ms (120000..14400000). */
  connectionTimeoutMs: number;
  /** Content-Length of our OUT channel responses = the OUT channel lifetime, bytes. Windows: 1 GiB. With chunked
   * framing no Content-Length is sent, but the lifetime still counts the RTS/RPC bytes (not the framing). */
  outChannelLifetime: number;
  /** How an OUT channel's response body is framed: `raw` (Windows: Content-Length = lifetime, then the PDUs) or
   * `chunked` (`Transfer-Encoding: chunked`, one chunk per write, the last chunk when the channel ends; for reverse
   * proxies that buffer or cut long fixed-length responses). Chunked applies to HTTP/1.1 requests only. Default raw. */
  outChannel?: OutChannelFraming;
  /** OUT recycling starts when fewer bytes than this are left of the OUT channel (Windows: 8 KiB, <51>). */
  recycleMargin: number;
  /** A Ping goes out on an OUT channel with nothing sent for this long, ms. */
  pingIntervalMs: number;
  /** A virtual connection with nothing received for this long and no call running is freed, ms. */
  idleTimeoutMs: number;
  /** A virtual connection (or a recycling) whose other half does not arrive in time is dropped, ms. */
  setupTimeoutMs: number;
  /** Which IN / OUT recycling sequence the proxy follows (MS-RPCH 3.2.1.5.3.2-5); one process always finds the
   * cookie, which the spec answers with R2; R1 is what a client sees from a proxy farm. */
  inRecycle: 'R1' | 'R2';
  outRecycle: 'R1' | 'R2';
  /** Largest PDU accepted on an IN channel. */
  maxFragment: number;
  /** Most virtual connections at once (pending ones included). */
  maxVirtualConnections: number;
  now?: () => number;
}

/** A refusal before the channel's response started: the caller answers `503 RPC Error: <code>`. */
export class ChannelRefused extends RtsError {
  constructor(
    readonly rpcError: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

// Windows error codes for the 503 reason (MS-RPCH 2.1.2.1.3 RPC-Error; values from MS-ERREF).
export const RPC_ERROR = {
  ERROR_ACCESS_DENIED: 0x5,
  RPC_S_SERVER_UNAVAILABLE: 0x6ba,
  RPC_S_PROTOCOL_ERROR: 0x6c0,
  RPC_S_OUT_OF_RESOURCES: 0x6b9,
} as const;

export type ChannelKind = 'in' | 'out';
export type OutChannelFraming = 'raw' | 'chunked';

export interface ChannelMeta {
  user: HttpUser;
  target: string;
  peer: { address: string; port: number };
  /** The request's Content-Length: the channel's lifetime in bytes. */
  contentLength: number;
  /** The request's HTTP version; chunked OUT framing needs 1.1 (absent: 1.1). */
  httpVersion?: '1.0' | '1.1';
}

/** One HTTP request of a virtual connection. */
export class Channel {
  cookie = '';
  vc: VirtualConnection | null = null;
  /** Body bytes received (checked against Content-Length). */
  bytesIn = 0;
  /** OUT: body bytes written, RTS included (checked against our Content-Length). */
  bytesOut = 0;
  /** OUT: the 200 response head was sent; body bytes wait in `held` until then. */
  headerSent = false;
  /** OUT: the body is sent with `Transfer-Encoding: chunked` (decided with the head). */
  chunked = false;
  held: Buffer[] = [];
  /** OUT: flow control of RPC PDUs sent on this instance. */
  send: SendWindow | null = null;
  /** IN: flow control of RPC PDUs received on this instance. */
  recv: ReceiveWindow | null = null;
  /** IN successor: PDUs that arrived before the predecessor's IN_R1/A5. */
  early: Buffer[] = [];
  earlyBytes = 0;
  closed = false;
  readonly framer: PduFramer;

  constructor(
    readonly kind: ChannelKind,
    readonly io: ChannelIo,
    readonly meta: ChannelMeta,
    maxFragment: number,
  ) {
    this.framer = new PduFramer(() => maxFragment);
  }
}

type InState = 'opened' | { recycling: Channel; seq: 'R1' | 'R2'; since: number };
type OutState =
  | 'opened'
  | { step: 'A3W'; since: number }
  | { step: 'R1_A7W'; successor: Channel; since: number }
  | { step: 'R1_A11W'; successor: Channel; since: number }
  | { step: 'R2_A7W'; successor: Channel; c1: boolean; since: number }
  | { step: 'R2_C1W'; successor: Channel; since: number };

type VcState = 'wait_in' | 'wait_out' | 'opened' | 'closed';

/** Room kept on an OUT channel for the RTS PDUs that end it (A6 + B3/A10 + a few acks and pings). */
const RTS_RESERVE = 1024;
/** RPC PDU bytes waiting for the client's window beyond which its IN channel is no longer read. */
const MAX_QUEUED = 4 * 1024 * 1024;

export class VirtualConnection implements VcInfo {
  state: VcState;
  inCh: Channel | null = null;
  outCh: Channel | null = null;
  inState: InState = 'opened';
  outState: OutState = 'opened';
  rpc: RpcSink | null = null;
  /** RPC PDUs waiting for window or channel room (MS-RPCH 3.2.1.4.1.2 SendQueue). */
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  /** Reading of the IN channel stopped: the OUT socket's buffer is full, or too much waits for the client's window. */
  private inPaused = false;
  private heldByQueue = false;
  readonly since: number;
  lastIn: number;
  lastOut: number;
  clientKeepalive = 0;
  associationGroupId = '';
  log: Logger;

  constructor(
    private readonly table: VirtualConnectionTable,
    readonly cookie: string,
    readonly user: HttpUser,
    readonly target: string,
    readonly peer: { address: string; port: number },
    first: ChannelKind,
  ) {
    this.state = first === 'in' ? 'wait_out' : 'wait_in';
    this.since = this.lastIn = this.lastOut = table.now();
    this.log = table.opts.log.child({ vc: cookie, peer: `${peer.address}:${peer.port}`, user: user.username, target });
  }

  get opts(): VcOptions {
    return this.table.opts;
  }

  // ---- opening (CONN) ---------------------------------------------------------------------------------------------

  /** Both halves are here: CONN/B3 + CONN/C1 happen in process, CONN/C2 goes out (MS-RPCH 3.2.5.5.3.2). */
  open(): void {
    const out = this.outCh as Channel;
    this.state = 'opened';
    const transport: VcTransport = {
      send: (pdu) => this.sendRpc(pdu),
      close: () => this.close('RPC connection closed'),
      cork: () => this.outCh?.io.cork?.(),
      uncork: () => this.outCh?.io.uncork?.(),
    };
    const rpc = this.opts.createRpc(this, transport);
    if (!rpc) {
      this.log.warn('no RPC connection for the virtual connection (server full)');
      this.close('server full');
      return;
    }
    this.rpc = rpc;
    this.writeRts(out, R.connC2(this.opts.receiveWindow, this.opts.connectionTimeoutMs));
    this.log.info('virtual connection opened');
  }

  // ---- input ------------------------------------------------------------------------------------------------------

  /** A PDU from a channel of this virtual connection after the channel's first PDU. */
  onPdu(ch: Channel, raw: Buffer): void {
    if (this.state === 'closed') return;
    this.lastIn = this.table.now();
    if (ch.kind === 'out') return this.onOutChannelPdu(ch, raw);
    // an IN successor holds everything until the predecessor hands over (IN_R1/A5)
    if (typeof this.inState !== 'string' && ch === this.inState.recycling) {
      ch.early.push(raw);
      ch.earlyBytes += raw.length;
      if (ch.earlyBytes > this.opts.receiveWindow + 4 * R.RTS_MAX_SIZE) this.protocolError('successor IN channel sent too much before IN_R1/A5');
      return;
    }
    if (ch !== this.inCh) return; // a finished predecessor: ignored (MS-RPCH 3.2.5.5.13)
    if (raw[2] === PTYPE_RTS) return this.onInRts(ch, raw);
    if (this.state !== 'opened' || !this.rpc) return this.protocolError('RPC PDU before the virtual connection opened');
    this.rpc.receive(raw);
    const ack = (ch.recv as ReceiveWindow).consumed(raw.length);
    if (ack && this.outCh) this.writeRts(this.outCh, R.flowControlAck(ack.bytesReceived, ack.availableWindow, ch.cookie));
  }

  private decode(raw: Buffer, ch: Channel): [RtsPdu, ClientRtsName] | null {
    if (rtsChannel.hasSubscribers) rtsChannel.publish({ vc: this.cookie, direction: 'in', channel: ch.kind, pdu: raw });
    try {
      const p = decodeRts(raw);
      const name = identifyClientRts(p);
      if (name) return [p, name];
      this.protocolError(`unknown RTS PDU (Flags 0x${p.Flags.toString(16)}, ${p.commands.map((c) => c.type).join(',')})`);
    } catch (e) {
      this.protocolError(describeError(e));
    }
    return null;
  }

  private onInRts(ch: Channel, raw: Buffer): void {
    const d = this.decode(raw, ch);
    if (!d) return;
    const [p, name] = d;
    switch (name) {
      case 'Ping':
        return;
      case 'Keep-Alive':
        this.clientKeepalive = cmd(p, 0, 'ClientKeepalive').ClientKeepalive;
        return;
      case 'FlowControlAck':
        return this.onAck(cmd(p, 0, 'FlowControlAck'));
      case 'FlowControlAckWithDestination': {
        const dest = cmd(p, 0, 'Destination').Destination;
        if (dest !== FD.FDOutProxy && dest !== FD.FDServer) return this.protocolError(`FlowControlAck to destination ${dest}`);
        return this.onAck(cmd(p, 1, 'FlowControlAck'));
      }
      case 'IN_R1/A5':
        return this.onInA5(ch, cmd(p, 0, 'Cookie').Cookie);
      case 'OUT_R1/A7':
      case 'OUT_R2/A7':
        if (cmd(p, 0, 'Destination').Destination !== FD.FDServer) return this.protocolError(`${name} not to FDServer`);
        return this.onOutA7(name, cmd(p, 1, 'Cookie').Cookie);
      default:
        return this.protocolError(`${name} on an open IN channel`);
    }
  }

  /** MS-RPCH 3.2.1.5.1.2: find the OUT channel by cookie; an ack for no channel of ours is discarded. */
  private onAck(a: { BytesReceived: number; AvailableWindow: number; ChannelCookie: string }): void {
    const ch = [this.outCh, this.outSuccessor()].find((c) => c && c.cookie === a.ChannelCookie);
    if (!ch?.send) return;
    if (!ch.send.ack(a.BytesReceived, a.AvailableWindow)) return this.protocolError('FlowControlAck outside the window');
    this.pump();
  }

  private onOutChannelPdu(ch: Channel, raw: Buffer): void {
    if (raw[2] !== PTYPE_RTS) return this.protocolError('RPC PDU on an OUT channel');
    const d = this.decode(raw, ch);
    if (!d) return;
    const [, name] = d;
    const st = this.outState;
    if (name === 'OUT_R2/C1' && typeof st !== 'string' && (st.step === 'R2_A7W' || st.step === 'R2_C1W') && st.successor === ch) {
      if (st.step === 'R2_A7W') {
        st.c1 = true; // B1OrC1W -> B1W
        return;
      }
      return this.outRecycled(ch); // R2C1W -> opened
    }
    if (name === 'OUT_R1/A11' && typeof st !== 'string' && st.step === 'R1_A11W' && st.successor === ch) return this.outRecycled(ch);
    this.protocolError(`${name} on an OUT channel`);
  }

  // ---- IN channel recycling (IN_R1 / IN_R2) -----------------------------------------------------------------------

  /** IN_R1/A1 (= IN_R2/A1) on a new IN channel, cookie found (MS-RPCH 3.2.3.5.5.1 / 3.2.5.5.5 / 3.2.5.5.8). */
  attachInSuccessor(ch: Channel, predecessor: string, successor: string): void {
    if (this.state !== 'opened' || this.inState !== 'opened' || !this.inCh || !this.outCh) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_STATE', 'IN channel recycling while the virtual connection is not open');
    }
    if (predecessor !== this.inCh.cookie) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_COOKIE', 'IN_R1/A1 names another predecessor IN channel');
    }
    ch.cookie = successor;
    ch.vc = this;
    ch.recv = new ReceiveWindow(this.opts.receiveWindow);
    const seq = this.opts.inRecycle;
    this.inState = { recycling: ch, seq, since: this.table.now() };
    // the server's IN_R?/A3 reaches the client through the outbound proxy as IN_R?/A4
    this.writeRts(this.outCh, seq === 'R1' ? R.inR1A4(this.opts.receiveWindow, this.opts.connectionTimeoutMs) : R.inR2A4());
    this.log.debug({ seq }, 'IN channel recycling started');
  }

  /** IN_R1/A5 (= IN_R2/A5) on the predecessor: the successor becomes the IN channel (3.2.3.5.6 / 3.2.3.5.8). */
  private onInA5(pred: Channel, successorCookie: string): void {
    const st = this.inState;
    if (typeof st === 'string') return this.protocolError('IN_R1/A5 without IN channel recycling');
    const succ = st.recycling;
    this.inState = 'opened';
    if (successorCookie !== succ.cookie) {
      // MS-RPCH 3.2.3.5.8: close the successor and carry on with the predecessor
      this.log.info('IN_R2/A5 names another successor; successor closed');
      succ.vc = null;
      this.endChannel(succ);
      return;
    }
    this.inCh = succ;
    this.endChannel(pred);
    this.log.debug({ seq: st.seq }, 'IN channel recycled');
    if (this.inPaused || this.heldByQueue) succ.io.pause();
    const early = succ.early;
    succ.early = [];
    succ.earlyBytes = 0;
    for (const raw of early) this.onPdu(succ, raw);
  }

  // ---- OUT channel recycling (OUT_R1 / OUT_R2) --------------------------------------------------------------------

  private outSuccessor(): Channel | null {
    const st = this.outState;
    return typeof st === 'string' || st.step === 'A3W' ? null : st.successor;
  }

  /** The server side starts OUT recycling: OUT_R?/A1 becomes OUT_R?/A2 to the client (3.2.4.5.5). */
  startOutRecycling(): void {
    if (this.state !== 'opened' || this.outState !== 'opened' || !this.outCh) return;
    this.outState = { step: 'A3W', since: this.table.now() };
    this.writeRts(this.outCh, R.outRA2());
    this.log.debug({ seq: this.opts.outRecycle, sent: this.outCh.bytesOut }, 'OUT channel recycling started');
  }

  /** OUT_R1/A3 (= OUT_R2/A3) on a new OUT channel, cookie found (3.2.4.5.6). */
  attachOutSuccessor(ch: Channel, predecessor: string, successor: string, window: number): void {
    const st = this.outState;
    if (this.state !== 'opened' || typeof st === 'string' || st.step !== 'A3W' || !this.outCh) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_STATE', 'an OUT channel replacement nobody asked for');
    }
    if (predecessor !== this.outCh.cookie) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_COOKIE', 'OUT_R1/A3 names another predecessor OUT channel');
    }
    ch.cookie = successor;
    ch.vc = this;
    ch.send = new SendWindow(window);
    const now = this.table.now();
    if (this.opts.outRecycle === 'R1') {
      // OUT_R1/A4 -> server -> OUT_R1/A5 -> predecessor outbound proxy -> OUT_R1/A6 to the client
      this.outState = { step: 'R1_A7W', successor: ch, since: now };
      this.writeRts(this.outCh, R.outR1A6(this.opts.connectionTimeoutMs));
    } else {
      // OUT_R2/A4 -> server -> OUT_R2/A5 -> OUT_R2/A6 to the client
      this.outState = { step: 'R2_A7W', successor: ch, c1: false, since: now };
      this.writeRts(this.outCh, R.outR2A6());
    }
  }

  /** OUT_R1/A7 or OUT_R2/A7 from the client through the IN channel (3.2.5.5.10 / 3.2.5.5.12). */
  private onOutA7(name: 'OUT_R1/A7' | 'OUT_R2/A7', cookie: string): void {
    const st = this.outState;
    const pred = this.outCh;
    const want = this.opts.outRecycle === 'R1' ? 'R1_A7W' : 'R2_A7W';
    if (typeof st === 'string' || st.step !== want || !pred || name !== (want === 'R1_A7W' ? 'OUT_R1/A7' : 'OUT_R2/A7')) {
      return this.protocolError(`${name} out of sequence`);
    }
    if (cookie !== st.successor.cookie) return this.protocolError(`${name} names another successor OUT channel`);
    const succ = st.successor;
    // what still fits goes out on the predecessor; its last PDU says so (OUT_R1/A10, OUT_R2/B3 with EOF)
    this.pump();
    this.writeRts(pred, want === 'R1_A7W' ? R.outR1A10() : R.outR2B3());
    this.endChannel(pred);
    this.outCh = succ;
    if (want === 'R1_A7W') this.outState = { step: 'R1_A11W', successor: succ, since: st.since };
    else if (st.step === 'R2_A7W' && st.c1) this.outRecycled(succ);
    else this.outState = { step: 'R2_C1W', successor: succ, since: st.since };
  }

  /** The successor OUT channel is the OUT channel: its response head goes out, then what waited for it. */
  private outRecycled(succ: Channel): void {
    this.outState = 'opened';
    this.outCh = succ;
    this.sendHead(succ);
    this.log.debug({ seq: this.opts.outRecycle }, 'OUT channel recycled');
    this.pump();
  }

  // ---- output -----------------------------------------------------------------------------------------------------

  /** The OUT channel's `200 Success` response head (raw: Content-Length = lifetime; chunked), then anything held for it. */
  sendHead(ch: Channel): void {
    if (ch.headerSent) return;
    ch.headerSent = true;
    ch.chunked = this.opts.outChannel === 'chunked' && (ch.meta.httpVersion ?? '1.1') === '1.1';
    const framing = ch.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${this.opts.outChannelLifetime}`;
    ch.io.write(Buffer.from(`HTTP/1.1 200 Success\r\nContent-Type: application/rpc\r\n${framing}\r\n\r\n`, 'latin1'));
    const held = ch.held;
    ch.held = [];
    for (const b of held) this.rawWrite(ch, b);
  }

  private rawWrite(ch: Channel, b: Buffer): void {
    if (ch.closed || b.length === 0) return; // (an empty chunk would end a chunked body)
    if (!ch.headerSent) {
      ch.held.push(b);
      return;
    }
    // the lifetime counts RTS/RPC bytes, never the chunk framing
    ch.bytesOut += b.length;
    this.lastOut = this.table.now();
    if (!ch.io.write(ch.chunked ? chunk(b) : b) && !this.inPaused && this.inCh) {
      // back-pressure: a client that does not read its OUT channel stops being read on its IN channel
      const inCh = this.inCh;
      this.inPaused = true;
      inCh.io.pause();
      ch.io.onceDrain(() => {
        this.inPaused = false;
        if (this.inCh && !this.inCh.closed && !this.heldByQueue) this.inCh.io.resume();
      });
    }
  }

  /** RTS PDUs pass any window; only the channel's lifetime can hold them (a Ping is then dropped). */
  writeRts(ch: Channel, pdu: Buffer): void {
    if (rtsChannel.hasSubscribers) rtsChannel.publish({ vc: this.cookie, direction: 'out', channel: ch.kind, pdu });
    if (ch.bytesOut + pdu.length > this.opts.outChannelLifetime) {
      this.log.debug('RTS PDU dropped: OUT channel lifetime exhausted');
      return;
    }
    this.rawWrite(ch, pdu);
  }

  private sendRpc(pdu: Buffer): void {
    if (this.state === 'closed') return;
    this.queue.push(pdu);
    this.queuedBytes += pdu.length;
    this.pump();
    // a client that sends calls but never acknowledges their answers is not read until it does
    if (this.queuedBytes > MAX_QUEUED && !this.heldByQueue && this.inCh) {
      this.heldByQueue = true;
      this.inCh.io.pause();
    }
  }

  /**
   * MS-RPCH 3.2.1.4.1.3: sends queued RPC PDUs while the window and the channel's lifetime allow.
   */
  private pump(): void {
    const ch = this.outCh;
    if (!ch || !ch.send || ch.closed || !ch.headerSent) return;
    // during OUT recycling the predecessor keeps carrying data until the client's A7 comes, while it has room
    const limit = this.opts.outChannelLifetime - RTS_RESERVE;
    while (this.queue.length > 0) {
      const pdu = this.queue[0] as Buffer;
      if (ch.bytesOut + pdu.length > limit) {
        if (this.outState === 'opened') this.startOutRecycling();
        break;
      }
      if (!ch.send.fits(pdu.length)) break;
      this.queue.shift();
      this.queuedBytes -= pdu.length;
      ch.send.sent(pdu.length);
      this.rawWrite(ch, pdu);
    }
    if (this.heldByQueue && this.queuedBytes <= MAX_QUEUED / 2) {
      this.heldByQueue = false;
      if (!this.inPaused && this.inCh && !this.inCh.closed) this.inCh.io.resume();
    }
    if (this.outState === 'opened' && ch.bytesOut >= this.opts.outChannelLifetime - this.opts.recycleMargin) this.startOutRecycling();
  }

  /** The keep-alive duty of the outbound proxy (MS-RPCH 3.2.4.6) and the timeouts; called by the table's sweep. */
  tick(now: number): void {
    if (this.state === 'closed') return;
    if (this.state !== 'opened') {
      if (now - this.since > this.opts.setupTimeoutMs) this.close('the other half of the virtual connection never came');
      return;
    }
    const inSt = this.inState;
    const outSt = this.outState;
    if ((typeof inSt !== 'string' && now - inSt.since > this.opts.setupTimeoutMs) || (typeof outSt !== 'string' && now - outSt.since > this.opts.setupTimeoutMs)) {
      this.close('channel recycling did not complete');
      return;
    }
    if (now - this.lastIn > this.opts.idleTimeoutMs && (this.rpc?.callsInFlight ?? 0) === 0) {
      this.close('idle: nothing received within the idle timeout');
      return;
    }
    if (this.outCh?.headerSent && now - this.lastOut >= this.opts.pingIntervalMs) this.writeRts(this.outCh, R.pingPdu());
  }

  // ---- closing -----------------------------------------------------------------------------------------------------

  private endChannel(ch: Channel): void {
    if (ch.closed) return;
    ch.closed = true;
    if (ch.chunked) ch.io.write(LAST_CHUNK);
    ch.io.end();
  }

  /** A channel's socket closed (or errored). */
  channelClosed(ch: Channel): void {
    if (this.state === 'closed') return;
    const wasClosed = ch.closed;
    ch.closed = true;
    if (wasClosed && ch !== this.inCh && ch !== this.outCh) return; // a predecessor we ended
    const inSt = this.inState;
    if (typeof inSt !== 'string' && ch === inSt.recycling) {
      this.inState = 'opened';
      this.log.info('successor IN channel went away; recycling abandoned');
      return;
    }
    this.close(`${ch.kind === 'in' ? 'IN' : 'OUT'} channel closed by the client`);
  }

  protocolError(reason: string): void {
    this.log.warn({ reason }, 'RPC over HTTP protocol error; closing the virtual connection');
    this.close(reason);
  }

  /** Frees the virtual connection: every channel ends, the RPC connection is told. Idempotent. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    const opened = this.state === 'opened';
    this.state = 'closed';
    // what the RPC connection wrote last (a fault, a bind_nak) still goes out, window or not
    const out = this.outCh;
    if (out && out.headerSent && !out.closed) {
      for (const pdu of this.queue) if (out.bytesOut + pdu.length <= this.opts.outChannelLifetime) this.rawWrite(out, pdu);
    }
    this.queue = [];
    this.queuedBytes = 0;
    for (const ch of [this.inCh, this.outCh, this.outSuccessor(), typeof this.inState === 'string' ? null : this.inState.recycling]) {
      if (ch) this.endChannel(ch);
    }
    this.table.remove(this);
    if (opened) this.log.info({ reason }, 'virtual connection closed');
    else this.log.debug({ reason }, 'virtual connection dropped before it opened');
    const rpc = this.rpc;
    this.rpc = null;
    rpc?.transportClosed();
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');
/** The last chunk of a chunked body, no trailers (RFC 9112 7.1). */
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** One chunk of a chunked body (RFC 9112 7.1): `<hex length>\r\n<data>\r\n`. */
function chunk(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`, 'latin1'), b, CRLF]);
}

/** A fresh RTS cookie (MS-RPCH 2.2.3.1: Windows uses a random UUID). */
export const newCookie = randomGuid;
