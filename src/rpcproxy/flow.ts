// MS-RPCH 3.2.1.1.4-3.2.1.1.5 flow control, per channel instance: what we may still send on an OUT channel
// (SendingChannel) and when we acknowledge what a client sent on an IN channel (ReceivingChannel). Only RPC PDUs
// count; RTS PDUs are never held back by a window.

/** The sender side of one OUT channel instance. */
export class SendWindow {
  /** BytesSent: RPC PDU bytes sent on this channel instance. */
  bytesSent = 0;
  /** Sender AvailableWindow. */
  available: number;

  constructor(
    /** PeerReceiveWindow: the client's ReceiveWindowSize (CONN/A1, OUT_R1/A3). */
    readonly peerWindow: number,
  ) {
    this.available = peerWindow;
  }

  /** Whether a PDU of `n` bytes may go now; one larger than the whole window goes when nothing is in flight. */
  fits(n: number): boolean {
    return n <= this.available || this.available >= this.peerWindow;
  }

  sent(n: number): void {
    this.bytesSent += n;
    this.available -= n;
  }

  /**
   * MS-RPCH 3.2.1.5.1.2: Sender AvailableWindow = AvailableWindow_from_ack - (BytesSent - BytesReceived_from_ack).
   * Returns false (and changes nothing) for an ack that acknowledges bytes never sent or advertises more than the
   * window: an invalid PDU (3.2.1.5.1.1).
   */
  ack(bytesReceived: number, availableWindow: number): boolean {
    const inFlight = this.bytesSent - bytesReceived;
    if (inFlight < 0 || availableWindow > this.peerWindow) return false;
    this.available = Math.max(0, availableWindow - inFlight);
    return true;
  }
}

/** The receiver side of one IN channel instance; we consume each RPC PDU as soon as it is queued. */
export class ReceiveWindow {
  /** Recipient BytesReceived. */
  bytesReceived = 0;
  /** AvailableWindowAdvertised (Windows keeps it, MS-RPCH <25>). */
  private advertised: number;

  constructor(readonly size: number) {
    this.advertised = size;
  }

  /**
   * A PDU of `n` bytes was received and consumed. Returns the acknowledgment to send, if any: Windows acks when
   * AvailableWindowAdvertised drops below half the window (MS-RPCH <27>); everything is consumed, so the
   * available window is the whole window again.
   */
  consumed(n: number): { bytesReceived: number; availableWindow: number } | null {
    this.bytesReceived = (this.bytesReceived + n) >>> 0;
    this.advertised -= n;
    if (this.advertised >= this.size / 2) return null;
    this.advertised = this.size;
    return { bytesReceived: this.bytesReceived, availableWindow: this.size };
  }
}
