// The virtual connection state machine (MS-RPCH 3.2.3-3.2.5, proxy and server roles in one) driven with fake
// channels: CONN in both orders, flow control both ways, RTS past a full window, keep-alive pings and the idle
// timeout, IN and OUT channel recycling (R1 and R2) in the middle of a session, garbage RTS, stolen cookies and
// vanished clients.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeRts, RTS_FLAG, type RtsPdu } from '../../src/rpcproxy/rts.js';
import { ChannelRefused, RPC_ERROR } from '../../src/rpcproxy/vconn.js';
import { ALICE, MALLORY, client, connect, harness, rpcPdu, type FakeIo } from './vconn-harness.js';

const types = (p: RtsPdu) => p.commands.map((c) => c.type).join(',');

function refusedWith(f: () => void, rpcError: number): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ChannelRefused);
    expect((e as ChannelRefused).rpcError).toBe(rpcError);
    return;
  }
  throw new Error('not refused');
}

describe('CONN: virtual connection establishment (MS-RPCH 3.2.1.5.3.1)', () => {
  it('OUT first: 200 Success, CONN/A3, then CONN/C2 once CONN/B1 arrives', () => {
    const h = harness();
    const vc = randomUUID();
    const out = h.open('out');
    h.table.receive(out.ch, client.connA1(vc, randomUUID()));
    const p1 = out.io.parse();
    expect(p1.head).toBe('HTTP/1.1 200 Success\r\nContent-Type: application/rpc\r\nContent-Length: 1073741824\r\n\r\n');
    expect(p1.pdus.map((b) => b.toString('hex'))).toEqual(['05001403100000001c000000000000000000010002000000c0d40100']);
    expect(h.rpcs).toHaveLength(0);
    const inn = h.open('in');
    h.table.receive(inn.ch, client.connB1(vc, randomUUID()));
    expect(out.io.parse().pdus[1]?.toString('hex')).toBe('05001403100000002c00000000000000000003000600000001000000000000000000010002000000c0d40100');
    expect(h.rpcs).toHaveLength(1);
    expect(h.table.get(vc)?.state).toBe('opened');
  });

  it('IN first works too, and bytes split at every position still frame', () => {
    for (let cut = 0; cut <= 104; cut += 13) {
      const h = harness();
      const vc = randomUUID();
      const inn = h.open('in');
      const b1 = client.connB1(vc, randomUUID());
      h.table.receive(inn.ch, b1.subarray(0, cut));
      h.table.receive(inn.ch, b1.subarray(cut));
      const out = h.open('out');
      h.table.receive(out.ch, client.connA1(vc, randomUUID()));
      expect(out.io.rts().map(types)).toEqual(['ConnectionTimeout', 'Version,ReceiveWindowSize,ConnectionTimeout']);
      h.table.receive(inn.ch, rpcPdu(100, 7));
      expect(h.rpcs[0]?.got[0]?.[16]).toBe(7);
      expect(out.io.rpc()).toHaveLength(1);
    }
  });

  it('a half whose other half never comes is dropped after the setup timeout', () => {
    const h = harness({ setupTimeoutMs: 1000 });
    const out = h.open('out');
    h.table.receive(out.ch, client.connA1(randomUUID(), randomUUID()));
    h.clock.now += 1001;
    h.table.tick();
    expect(out.io.ended).toBe(true);
    expect(h.table.size).toBe(0);
  });
});

describe('flow control (MS-RPCH 3.2.1.4-3.2.1.5)', () => {
  it('acknowledges IN traffic on the OUT channel with the IN channel cookie once half the window is used', () => {
    const h = harness({ receiveWindow: 0x4000 });
    const c = connect(h);
    c.rpc.echo = false;
    for (let i = 0; i < 4; i++) h.table.receive(c.inn.ch, rpcPdu(2000));
    expect(c.out.io.rts().filter((p) => p.Flags === RTS_FLAG.OTHER_CMD)).toHaveLength(0);
    h.table.receive(c.inn.ch, rpcPdu(2000)); // 10000 bytes: the advertised window 16384 - 10000 < 8192
    const acks = c.out.io.rts().filter((p) => p.Flags === RTS_FLAG.OTHER_CMD);
    expect(acks.map((p) => p.commands[0])).toEqual([{ type: 'FlowControlAck', BytesReceived: 10000, AvailableWindow: 0x4000, ChannelCookie: c.inCookie }]);
  });

  it('holds RPC PDUs beyond the client window until FlowControlAckWithDestination; RTS PDUs pass a full window', () => {
    const h = harness({ pingIntervalMs: 10 });
    const c = connect(h, ALICE, 0x2000);
    for (let i = 0; i < 3; i++) h.table.receive(c.inn.ch, rpcPdu(4000, i));
    expect(c.out.io.rpc().map((b) => b[16])).toEqual([0, 1]); // 8000 of 8192 sent
    h.clock.now += 11;
    h.table.tick();
    expect(c.out.io.rts().at(-1)?.Flags).toBe(RTS_FLAG.PING); // the window is full, the Ping goes anyway
    h.table.receive(c.inn.ch, client.ackOut(4000, 0x2000, c.outCookie)); // 8192 - (8000 - 4000) = 4192
    expect(c.out.io.rpc().map((b) => b[16])).toEqual([0, 1, 2]);
    // an ack for a channel that is not ours is discarded; one that acknowledges unsent bytes is a protocol error
    h.table.receive(c.inn.ch, client.ackOut(1, 1, randomUUID()));
    expect(h.table.get(c.vc)?.state).toBe('opened');
    h.table.receive(c.inn.ch, client.ackOut(999_999, 0x2000, c.outCookie));
    expect(h.table.get(c.vc)).toBeUndefined();
    expect(c.rpc.closed).toBe(true);
  });

  it('the spec walk-through of MS-RPCH 4.2 (SendWindow)', async () => {
    const { SendWindow } = await import('../../src/rpcproxy/flow.js');
    const w = new SendWindow(1000);
    w.sent(250);
    expect(w.available).toBe(750);
    w.sent(500);
    expect(w.available).toBe(250);
    expect(w.ack(250, 850)).toBe(true);
    expect(w.available).toBe(350);
    expect(w.ack(750, 550)).toBe(true);
    expect(w.available).toBe(550);
    expect(w.ack(750, 1000)).toBe(true);
    expect(w.available).toBe(1000);
    expect(w.ack(751, 1000)).toBe(false);
    expect(w.ack(750, 1001)).toBe(false);
  });

  it('a client that does not read its OUT channel stops being read on its IN channel', () => {
    const h = harness();
    const c = connect(h);
    c.out.io.full = true;
    h.table.receive(c.inn.ch, rpcPdu(100));
    expect(c.inn.io.paused).toBe(true);
    c.out.io.drained();
    expect(c.inn.io.paused).toBe(false);
  });
});

describe('keep-alive, connection timeout and vanished clients', () => {
  it('an idle virtual connection gets Pings on its OUT channel and survives past the connection timeout while the client pings', () => {
    const h = harness({ pingIntervalMs: 60_000, idleTimeoutMs: 300_000 });
    const c = connect(h);
    for (let minute = 1; minute <= 20; minute++) {
      h.clock.now += 60_000;
      h.table.tick();
      if (minute % 4 === 0) h.table.receive(c.inn.ch, client.ping()); // the client's keep-alive (ClientKeepalive 300 s)
    }
    expect(h.table.get(c.vc)?.state).toBe('opened');
    expect(c.out.io.rts().filter((p) => p.Flags === RTS_FLAG.PING).length).toBeGreaterThanOrEqual(19);
    h.table.receive(c.inn.ch, rpcPdu(64, 9));
    expect(c.out.io.rpc().at(-1)?.[16]).toBe(9);
  });

  it('a client that goes silent is freed after the idle timeout, unless a call is running', () => {
    const h = harness({ idleTimeoutMs: 300_000 });
    const c = connect(h);
    c.rpc.callsInFlight = 1;
    h.clock.now += 400_000;
    h.table.tick();
    expect(h.table.get(c.vc)).toBeDefined();
    c.rpc.callsInFlight = 0;
    h.table.tick();
    expect(h.table.get(c.vc)).toBeUndefined();
    expect(c.rpc.closed).toBe(true);
    expect(c.inn.io.ended && c.out.io.ended).toBe(true);
  });

  it('a client whose socket closes frees its virtual connection', () => {
    const h = harness();
    const c = connect(h);
    h.table.closed(c.out.ch);
    expect(h.table.size).toBe(0);
    expect(c.rpc.closed).toBe(true);
    expect(c.inn.io.ended).toBe(true);
  });
});

describe('bad input', () => {
  it('garbage as a first PDU is refused before anything is sent (503 by the caller)', () => {
    const h = harness();
    const out = h.open('out');
    refusedWith(() => h.table.receive(out.ch, Buffer.from('05001403100000001400000000000000ffff0000', 'hex')), RPC_ERROR.RPC_S_PROTOCOL_ERROR);
    const inn = h.open('in');
    refusedWith(() => h.table.receive(inn.ch, rpcPdu(40)), RPC_ERROR.RPC_S_PROTOCOL_ERROR);
    const in2 = h.open('in');
    refusedWith(() => h.table.receive(in2.ch, client.connA1(randomUUID(), randomUUID())), RPC_ERROR.RPC_S_PROTOCOL_ERROR);
    expect(out.io.written).toHaveLength(0);
    expect(h.table.size).toBe(0);
  });

  it('garbage RTS on an open channel closes that virtual connection only', () => {
    const h = harness();
    const a = connect(h);
    const b = connect(h);
    h.table.receive(a.inn.ch, Buffer.from('05001403100000001800000000000000020001006300000000000000', 'hex').subarray(0, 0x18));
    expect(h.table.get(a.vc)).toBeUndefined();
    expect(a.rpc.closed).toBe(true);
    h.table.receive(b.inn.ch, rpcPdu(50, 3));
    expect(b.out.io.rpc().at(-1)?.[16]).toBe(3);
    // CONN/B1 again on an open IN channel, an RPC PDU on an OUT channel: protocol errors too
    const c = connect(h);
    h.table.receive(c.inn.ch, client.connB1(c.vc, randomUUID()));
    expect(h.table.get(c.vc)).toBeUndefined();
  });

  it('more body than the Content-Length announced is a protocol error', () => {
    const h = harness();
    const c = connect(h);
    h.table.receive(c.out.ch, client.outR2C1()); // 76 bytes of CONN/A1 were all the OUT channel may carry
    expect(h.table.get(c.vc)).toBeUndefined();
  });

  it('a second OUT channel with a stolen cookie is refused and the virtual connection carries on', () => {
    const h = harness();
    const c = connect(h);
    const thief = h.open('out', MALLORY);
    refusedWith(() => h.table.receive(thief.ch, client.connA1(c.vc, randomUUID())), RPC_ERROR.ERROR_ACCESS_DENIED);
    const again = h.open('out', ALICE);
    refusedWith(() => h.table.receive(again.ch, client.connA1(c.vc, randomUUID())), RPC_ERROR.RPC_S_PROTOCOL_ERROR);
    const recycle = h.open('out', MALLORY, 120);
    refusedWith(() => h.table.receive(recycle.ch, client.outR1A3(c.vc, c.outCookie, randomUUID())), RPC_ERROR.ERROR_ACCESS_DENIED);
    const inThief = h.open('in', MALLORY);
    refusedWith(() => h.table.receive(inThief.ch, client.inR1A1(c.vc, c.inCookie, randomUUID())), RPC_ERROR.ERROR_ACCESS_DENIED);
    expect(thief.io.written).toHaveLength(0);
    h.table.receive(c.inn.ch, rpcPdu(80, 5));
    expect(c.out.io.rpc().at(-1)?.[16]).toBe(5);
    expect(h.table.get(c.vc)?.state).toBe('opened');
  });

  it('a half-open virtual connection cannot be joined by another user', () => {
    const h = harness();
    const vc = randomUUID();
    const out = h.open('out', ALICE);
    h.table.receive(out.ch, client.connA1(vc, randomUUID()));
    const inn = h.open('in', MALLORY);
    refusedWith(() => h.table.receive(inn.ch, client.connB1(vc, randomUUID())), RPC_ERROR.ERROR_ACCESS_DENIED);
    expect(h.rpcs).toHaveLength(0);
  });
});

describe('IN channel recycling in the middle of a session', () => {
  for (const seq of ['R2', 'R1'] as const) {
    it(`IN_${seq}: A1 on the successor, A4 on OUT, A5 on the predecessor; early successor data waits`, () => {
      const h = harness({ inRecycle: seq, receiveWindow: 0x4000 });
      const c = connect(h);
      h.table.receive(c.inn.ch, rpcPdu(100, 1));
      const succCookie = randomUUID();
      const succ = h.open('in');
      h.table.receive(succ.ch, client.inR1A1(c.vc, c.inCookie, succCookie));
      const a4 = c.out.io.rts().at(-1) as RtsPdu;
      if (seq === 'R2') expect(types(a4)).toBe('Destination');
      else expect(a4.commands).toEqual([
        { type: 'Destination', Destination: 0 },
        { type: 'Version', Version: 1 },
        { type: 'ReceiveWindowSize', ReceiveWindowSize: 0x4000 },
        { type: 'ConnectionTimeout', ConnectionTimeout: 120000 },
      ]);
      // the client unplugs the successor after A5, but the bytes may race ahead of the predecessor's last ones
      h.table.receive(succ.ch, rpcPdu(100, 3));
      h.table.receive(c.inn.ch, rpcPdu(100, 2));
      h.table.receive(c.inn.ch, client.inR1A5(succCookie));
      expect(c.inn.io.ended).toBe(true);
      expect(c.rpc.got.map((b) => b[16])).toEqual([1, 2, 3]);
      for (let i = 0; i < 100; i++) h.table.receive(succ.ch, rpcPdu(100, 4));
      expect(c.rpc.got).toHaveLength(103);
      // acks now name the successor
      const acks = c.out.io.rts().filter((p) => p.Flags === RTS_FLAG.OTHER_CMD);
      expect(acks.at(-1)?.commands[0]).toMatchObject({ type: 'FlowControlAck', ChannelCookie: succCookie });
      h.table.closed(c.inn.ch); // the predecessor's socket closing is no event
      expect(h.table.get(c.vc)?.state).toBe('opened');
    });
  }

  it('IN_R1/A1 naming another predecessor is refused; A5 naming another successor closes the successor only', () => {
    const h = harness();
    const c = connect(h);
    const bad = h.open('in');
    refusedWith(() => h.table.receive(bad.ch, client.inR1A1(c.vc, randomUUID(), randomUUID())), RPC_ERROR.RPC_S_PROTOCOL_ERROR);
    const succ = h.open('in');
    h.table.receive(succ.ch, client.inR1A1(c.vc, c.inCookie, randomUUID()));
    h.table.receive(c.inn.ch, client.inR1A5(randomUUID()));
    expect(succ.io.ended).toBe(true);
    h.table.receive(c.inn.ch, rpcPdu(60, 8));
    expect(c.rpc.got.at(-1)?.[16]).toBe(8);
  });
});

describe('OUT channel recycling in the middle of a session', () => {
  const lifetime = 32 * 1024;
  function fillUntilRecycle(h: ReturnType<typeof harness>, c: ReturnType<typeof connect>, io: FakeIo): number {
    let i = 0;
    while (!io.rts().some((p) => p.Flags === RTS_FLAG.RECYCLE_CHANNEL) && i < 1000) h.table.receive(c.inn.ch, rpcPdu(1000, i++ & 0xff));
    return i;
  }

  it('OUT_R2: A2, A3 on the successor, A6, A7 + C1, B3 (EOF) on the predecessor, then the successor carries on', () => {
    const h = harness({ outChannelLifetime: lifetime, recycleMargin: 8192, receiveWindow: 0x40000 });
    const c = connect(h);
    const sent = fillUntilRecycle(h, c, c.out.io);
    expect(decodeRts(c.out.io.parse().pdus.at(-1) as Buffer).commands).toEqual([{ type: 'Destination', Destination: 0 }]);
    // more calls while the client opens the successor: they still fit on the predecessor or wait
    for (let k = 0; k < 10; k++) h.table.receive(c.inn.ch, rpcPdu(1000, 200 + k));
    const succCookie = randomUUID();
    const succ = h.open('out', ALICE, 120);
    h.table.receive(succ.ch, client.outR1A3(c.vc, c.outCookie, succCookie));
    expect(types(c.out.io.rts().at(-1) as RtsPdu)).toBe('Destination,ANCE'); // OUT_R2/A6
    expect(succ.io.written).toHaveLength(0); // plugged: no head before B1 and C1
    h.table.receive(succ.ch, client.outR2C1());
    h.table.receive(c.inn.ch, client.outR2A7(succCookie));
    const last = c.out.io.rts().at(-1) as RtsPdu;
    expect(last).toEqual({ Flags: RTS_FLAG.EOF, commands: [{ type: 'ANCE' }] }); // OUT_R2/B3
    expect(c.out.io.ended).toBe(true);
    expect(Buffer.concat(c.out.io.written).length).toBeLessThanOrEqual(lifetime + 200);
    const s = succ.io.parse();
    expect(s.head).toMatch(/^HTTP\/1\.1 200 Success\r\n/);
    // every response arrived exactly once, in order, across both channels
    const tags = [...c.out.io.rpc(), ...s.pdus.filter((p) => p[2] !== 20)].map((b) => b[16]);
    const want = [...Array.from({ length: sent }, (_, i) => i & 0xff), ...Array.from({ length: 10 }, (_, k) => 200 + k)];
    expect(tags).toEqual(want);
    h.table.receive(c.inn.ch, rpcPdu(500, 77));
    expect(succ.io.rpc().at(-1)?.[16]).toBe(77);
    h.table.closed(c.out.ch); // the predecessor's socket closing is no event
    expect(h.table.get(c.vc)?.state).toBe('opened');
  });

  it('OUT_R2 with A7 before C1 sends the head on C1', () => {
    const h = harness({ outChannelLifetime: lifetime, receiveWindow: 0x40000 });
    const c = connect(h);
    fillUntilRecycle(h, c, c.out.io);
    const succCookie = randomUUID();
    const succ = h.open('out', ALICE, 120);
    h.table.receive(succ.ch, client.outR1A3(c.vc, c.outCookie, succCookie));
    h.table.receive(c.inn.ch, client.outR2A7(succCookie));
    expect(succ.io.written).toHaveLength(0);
    h.table.receive(c.inn.ch, rpcPdu(300, 55)); // answered once the successor is open
    h.table.receive(succ.ch, client.outR2C1());
    expect(succ.io.parse().head).toMatch(/^HTTP\/1\.1 200/);
    expect(succ.io.rpc().map((b) => b[16])).toEqual([55]);
  });

  it('OUT_R1: A6 (Version, ConnectionTimeout), A7, A10 on the predecessor, A11, head on the successor', () => {
    const h = harness({ outRecycle: 'R1', outChannelLifetime: lifetime, receiveWindow: 0x40000 });
    const c = connect(h);
    fillUntilRecycle(h, c, c.out.io);
    const succCookie = randomUUID();
    const succ = h.open('out', ALICE, 120);
    h.table.receive(succ.ch, client.outR1A3(c.vc, c.outCookie, succCookie));
    expect(c.out.io.rts().at(-1)).toEqual({
      Flags: RTS_FLAG.OUT_CHANNEL,
      commands: [
        { type: 'Destination', Destination: 0 },
        { type: 'Version', Version: 1 },
        { type: 'ConnectionTimeout', ConnectionTimeout: 120000 },
      ],
    });
    h.table.receive(c.inn.ch, client.outR1A7(succCookie));
    expect(c.out.io.rts().at(-1)).toEqual({ Flags: 0, commands: [{ type: 'ANCE' }] });
    expect(c.out.io.ended).toBe(true);
    h.table.receive(c.inn.ch, rpcPdu(300, 66));
    h.table.receive(succ.ch, client.outR1A11());
    expect(succ.io.parse().head).toMatch(/^HTTP\/1\.1 200/);
    expect(succ.io.rpc().map((b) => b[16])).toEqual([66]);
  });

  it('the wrong sequence or cookie during OUT recycling is a protocol error; an unasked replacement is refused', () => {
    const h = harness({ outChannelLifetime: lifetime, receiveWindow: 0x40000 });
    const c = connect(h);
    const early = h.open('out', ALICE, 120);
    refusedWith(() => h.table.receive(early.ch, client.outR1A3(c.vc, c.outCookie, randomUUID())), RPC_ERROR.RPC_S_PROTOCOL_ERROR);
    fillUntilRecycle(h, c, c.out.io);
    const succ = h.open('out', ALICE, 120);
    h.table.receive(succ.ch, client.outR1A3(c.vc, c.outCookie, randomUUID()));
    h.table.receive(c.inn.ch, client.outR1A7(randomUUID())); // R1's A7 in an R2 sequence
    expect(h.table.get(c.vc)).toBeUndefined();
    expect(succ.io.ended).toBe(true);
  });

  it('a recycling that never completes closes the virtual connection after the setup timeout', () => {
    const h = harness({ outChannelLifetime: lifetime, receiveWindow: 0x40000, setupTimeoutMs: 5000 });
    const c = connect(h);
    fillUntilRecycle(h, c, c.out.io);
    h.clock.now += 5001;
    h.table.tick();
    expect(h.table.get(c.vc)).toBeUndefined();
  });
});

describe('memory bounds', () => {
  it('a client that never acknowledges stops being read once 4 MiB of answers wait, and is read again after an ack', () => {
    const h = harness({ receiveWindow: 0x40000 });
    const c = connect(h, ALICE, 0x2000);
    for (let i = 0; i < 1100; i++) h.table.receive(c.inn.ch, rpcPdu(4000, i & 0xff));
    expect(c.inn.io.paused).toBe(true);
    // the client acknowledges everything it got and opens its window again, step by step
    for (let k = 0; k < 2000 && c.inn.io.paused; k++) {
      const got = c.out.io.rpc().reduce((n, b) => n + b.length, 0);
      h.table.receive(c.inn.ch, client.ackOut(got, 0x2000, c.outCookie));
    }
    expect(c.inn.io.paused).toBe(false);
    expect(c.out.io.rpc().length).toBeGreaterThan(500);
  });

  it('an RPC PDU larger than the whole client window still goes when nothing is in flight', () => {
    const h = harness();
    const c = connect(h, ALICE, 0x2000);
    h.table.receive(c.inn.ch, rpcPdu(10_000, 1));
    h.table.receive(c.inn.ch, rpcPdu(100, 2));
    expect(c.out.io.rpc().map((b) => b[16])).toEqual([1]);
    h.table.receive(c.inn.ch, client.ackOut(10_000, 0x2000, c.outCookie));
    expect(c.out.io.rpc().map((b) => b[16])).toEqual([1, 2]);
  });
});
