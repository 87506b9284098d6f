// MS-RPCH 3.2.1.1.2 Virtual Connection Cookie Table: the virtual connections by cookie, the first PDU of every channel
// (CONN/A1, CONN/B1, IN_R1/A1, OUT_R1/A3), who may join a virtual connection (its HTTP user only), and the timer sweep.
import { describeError } from '../util/errors.js';
import * as R from './rts.js';
import { cmd, decodeRts, identifyClientRts, PTYPE_RTS, RtsError, type RtsPdu } from './rts.js';
import { SendWindow, ReceiveWindow } from './flow.js';
import { Channel, ChannelRefused, RPC_ERROR, rtsChannel, VirtualConnection, type ChannelIo, type ChannelKind, type ChannelMeta, type VcOptions } from './vconn.js';

/** MS-RPCH 3.2.1.1.2 Virtual Connection Cookie Table, and the first PDU of every channel. */
export class VirtualConnectionTable {
  private readonly vcs = new Map<string, VirtualConnection>();
  readonly now: () => number;
  private sweep: NodeJS.Timeout | null = null;

  constructor(readonly opts: VcOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.vcs.size;
  }

  get(cookie: string): VirtualConnection | undefined {
    return this.vcs.get(cookie);
  }

  /** Runs tick() on every virtual connection every `ms` (unref'd). */
  startSweep(ms: number): void {
    if (this.sweep) return;
    this.sweep = setInterval(() => this.tick(), ms);
    this.sweep.unref();
  }

  tick(now = this.now()): void {
    for (const vc of [...this.vcs.values()]) vc.tick(now);
  }

  remove(vc: VirtualConnection): void {
    if (this.vcs.get(vc.cookie) === vc) this.vcs.delete(vc.cookie);
  }

  /** Ends every virtual connection (server shutdown). */
  closeAll(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    for (const vc of [...this.vcs.values()]) vc.close('server shutting down');
  }

  /** A new channel: returns the object its bytes are fed to. */
  channel(kind: ChannelKind, io: ChannelIo, meta: ChannelMeta): Channel {
    return new Channel(kind, io, meta, this.opts.maxFragment);
  }

  /**
   * Bytes of a channel's body. Throws ChannelRefused when the channel's first PDU is refused (nothing was sent
   * on it yet: the caller answers 503); later errors close the virtual connection instead.
   */
  receive(ch: Channel, chunk: Buffer): void {
    if (ch.closed) return;
    ch.bytesIn += chunk.length;
    if (ch.bytesIn > ch.meta.contentLength) {
      if (ch.vc) return ch.vc.protocolError(`more body bytes than the channel's Content-Length ${ch.meta.contentLength}`);
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_BODY', 'more body bytes than Content-Length');
    }
    let pdus: Buffer[];
    try {
      pdus = ch.framer.push(chunk);
    } catch (e) {
      if (ch.vc) return ch.vc.protocolError(describeError(e));
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_FRAME', describeError(e));
    }
    for (const raw of pdus) {
      if (ch.closed) return;
      if (ch.vc) ch.vc.onPdu(ch, raw);
      else if (ch.cookie === '') this.first(ch, raw);
      else return; // refused earlier
    }
  }

  /** The socket of a channel closed. */
  closed(ch: Channel): void {
    if (ch.vc) ch.vc.channelClosed(ch);
    ch.closed = true;
  }

  private first(ch: Channel, raw: Buffer): void {
    if (rtsChannel.hasSubscribers) rtsChannel.publish({ vc: null, direction: 'in', channel: ch.kind, pdu: raw });
    let p: RtsPdu;
    try {
      if (raw[2] !== PTYPE_RTS) throw new RtsError('OC_RTS_FIRST', 'the first PDU of a channel is not an RTS PDU');
      if (raw.length > R.RTS_MAX_SIZE) throw new RtsError('OC_RTS_SIZE', `RTS PDU of ${raw.length} bytes`);
      p = decodeRts(raw);
    } catch (e) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_FIRST', describeError(e));
    }
    const name = identifyClientRts(p);
    const refuse = (why: string): never => {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_FIRST', why);
    };
    if (ch.kind === 'out') {
      if (name === 'CONN/A1') return this.connA1(ch, p);
      if (name === 'OUT_R1/A3') return this.outA3(ch, p);
      return refuse(`${name ?? 'an unknown RTS PDU'} as the first PDU of an OUT channel`);
    }
    if (name === 'CONN/B1') return this.connB1(ch, p);
    if (name === 'IN_R1/A1') return this.inA1(ch, p);
    return refuse(`${name ?? 'an unknown RTS PDU'} as the first PDU of an IN channel`);
  }

  /** The virtual connection a channel names, checked to belong to the channel's HTTP user (no stolen cookies). */
  private owned(ch: Channel, cookie: string): VirtualConnection | undefined {
    const vc = this.vcs.get(cookie);
    if (!vc) return undefined;
    if (vc.user.username.toLowerCase() !== ch.meta.user.username.toLowerCase()) {
      this.opts.log.warn(
        { vc: cookie, owner: vc.user.username, user: ch.meta.user.username, peer: ch.meta.peer.address },
        'channel for a virtual connection of another user refused',
      );
      throw new ChannelRefused(RPC_ERROR.ERROR_ACCESS_DENIED, 'OC_RTS_COOKIE_OWNER', 'virtual connection of another user');
    }
    if (vc.target !== ch.meta.target) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_TARGET', 'channel names another server than its virtual connection');
    }
    return vc;
  }

  private create(ch: Channel, cookie: string): VirtualConnection {
    if (this.vcs.size >= this.opts.maxVirtualConnections) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_OUT_OF_RESOURCES, 'OC_RTS_FULL', 'too many virtual connections');
    }
    const vc = new VirtualConnection(this, cookie, ch.meta.user, ch.meta.target, ch.meta.peer, ch.kind);
    this.vcs.set(cookie, vc);
    return vc;
  }

  /** MS-RPCH 3.2.4.5.3 CONN/A1: the OUT half; the 200 head and CONN/A3 go out at once. */
  private connA1(ch: Channel, p: RtsPdu): void {
    const vcCookie = cmd(p, 1, 'Cookie').Cookie;
    const window = cmd(p, 3, 'ReceiveWindowSize').ReceiveWindowSize;
    if (window < 0x2000 || window > 0x40000) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_WINDOW', `ReceiveWindowSize ${window} outside 8 KiB..256 KiB`);
    }
    let vc = this.owned(ch, vcCookie);
    if (vc && (vc.state !== 'wait_out' || vc.outCh)) {
      this.opts.log.warn({ vc: vcCookie, peer: ch.meta.peer.address }, 'second OUT channel for a virtual connection refused');
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_DUPLICATE', 'the virtual connection has an OUT channel');
    }
    vc ??= this.create(ch, vcCookie);
    ch.cookie = cmd(p, 2, 'Cookie').Cookie;
    ch.vc = vc;
    ch.send = new SendWindow(window);
    vc.outCh = ch;
    vc.sendHead(ch);
    vc.writeRts(ch, R.connA3(this.opts.connectionTimeoutMs));
    if (vc.inCh) vc.open();
  }

  /** MS-RPCH 3.2.3.5.3 CONN/B1: the IN half. */
  private connB1(ch: Channel, p: RtsPdu): void {
    const vcCookie = cmd(p, 1, 'Cookie').Cookie;
    let vc = this.owned(ch, vcCookie);
    if (vc && (vc.state !== 'wait_in' || vc.inCh)) {
      this.opts.log.warn({ vc: vcCookie, peer: ch.meta.peer.address }, 'second IN channel for a virtual connection refused');
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_DUPLICATE', 'the virtual connection has an IN channel');
    }
    const keepalive = cmd(p, 4, 'ClientKeepalive').ClientKeepalive;
    if (keepalive !== 0 && keepalive < 60_000) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_KEEPALIVE', `ClientKeepalive ${keepalive} ms`);
    }
    vc ??= this.create(ch, vcCookie);
    ch.cookie = cmd(p, 2, 'Cookie').Cookie;
    ch.vc = vc;
    ch.recv = new ReceiveWindow(this.opts.receiveWindow);
    vc.inCh = ch;
    vc.clientKeepalive = keepalive;
    vc.associationGroupId = cmd(p, 5, 'AssociationGroupId').AssociationGroupId;
    if (vc.outCh) vc.open();
  }

  /** IN_R1/A1 = IN_R2/A1 on a new IN channel (3.2.3.5.5). */
  private inA1(ch: Channel, p: RtsPdu): void {
    const vcCookie = cmd(p, 1, 'Cookie').Cookie;
    const vc = this.owned(ch, vcCookie);
    if (!vc) throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_UNKNOWN_VC', 'IN_R1/A1 for no virtual connection of ours');
    vc.attachInSuccessor(ch, cmd(p, 2, 'Cookie').Cookie, cmd(p, 3, 'Cookie').Cookie);
  }

  /** OUT_R1/A3 = OUT_R2/A3 on a new OUT channel (3.2.4.5.6). */
  private outA3(ch: Channel, p: RtsPdu): void {
    const vcCookie = cmd(p, 1, 'Cookie').Cookie;
    const vc = this.owned(ch, vcCookie);
    if (!vc) throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_UNKNOWN_VC', 'OUT_R1/A3 for no virtual connection of ours');
    const window = cmd(p, 4, 'ReceiveWindowSize').ReceiveWindowSize;
    if (window < 0x2000 || window > 0x40000) {
      throw new ChannelRefused(RPC_ERROR.RPC_S_PROTOCOL_ERROR, 'OC_RTS_WINDOW', `ReceiveWindowSize ${window} outside 8 KiB..256 KiB`);
    }
    vc.attachOutSuccessor(ch, cmd(p, 2, 'Cookie').Cookie, cmd(p, 3, 'Cookie').Cookie, window);
  }
}

