// RTS codec (MS-RPCH 2.2.3.5-2.2.3.6, 2.2.4): the derived vectors of fixtures/rpcproxy both ways, the PDU
// builders, the client-PDU table, and properties: arbitrary or mutated bytes give a PDU or an RtsError.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as R from '../../src/rpcproxy/rts.js';
import { decodeRts, encodeRts, identifyClientRts, RtsError, type RtsPdu } from '../../src/rpcproxy/rts.js';

interface Vector {
  id: string;
  description: string;
  length: number;
  hex: string;
}
const file = JSON.parse(readFileSync(new URL('../../fixtures/rpcproxy/ms-rpch-rts-derived.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
  flowControlExample: { receiveWindow: number; steps: Array<Record<string, unknown>> };
};

const VC = '11111111-2222-3333-4444-555555555555';
const OUT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const IN = '01020304-0506-0708-090a-0b0c0d0e0f10';
const AG = 'f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfeff';

// What each vector decodes to (MS-RPCH 2.2.4.x field tables), named as the vectors file names them.
const EXPECTED: Record<string, { pdu: RtsPdu; name: ReturnType<typeof identifyClientRts> | 'server' }> = {
  'rpch-conn-a1': {
    name: 'CONN/A1',
    pdu: {
      Flags: 0,
      commands: [
        { type: 'Version', Version: 1 },
        { type: 'Cookie', Cookie: VC },
        { type: 'Cookie', Cookie: OUT },
        { type: 'ReceiveWindowSize', ReceiveWindowSize: 65536 },
      ],
    },
  },
  'rpch-conn-b1': {
    name: 'CONN/B1',
    pdu: {
      Flags: 0,
      commands: [
        { type: 'Version', Version: 1 },
        { type: 'Cookie', Cookie: VC },
        { type: 'Cookie', Cookie: IN },
        { type: 'ChannelLifetime', ChannelLifetime: 0x40000000 },
        { type: 'ClientKeepalive', ClientKeepalive: 300000 },
        { type: 'AssociationGroupId', AssociationGroupId: AG },
      ],
    },
  },
  'rpch-conn-a3': { name: 'server', pdu: { Flags: 0, commands: [{ type: 'ConnectionTimeout', ConnectionTimeout: 120000 }] } },
  'rpch-conn-c2': {
    name: 'server',
    pdu: {
      Flags: 0,
      commands: [
        { type: 'Version', Version: 1 },
        { type: 'ReceiveWindowSize', ReceiveWindowSize: 65536 },
        { type: 'ConnectionTimeout', ConnectionTimeout: 120000 },
      ],
    },
  },
  'rpch-conn-b3': {
    name: 'server',
    pdu: { Flags: 0, commands: [{ type: 'ReceiveWindowSize', ReceiveWindowSize: 65536 }, { type: 'Version', Version: 1 }] },
  },
  'rpch-conn-b2': {
    name: 'server',
    pdu: {
      Flags: R.RTS_FLAG.IN_CHANNEL,
      commands: [
        { type: 'Version', Version: 1 },
        { type: 'Cookie', Cookie: VC },
        { type: 'Cookie', Cookie: IN },
        { type: 'ReceiveWindowSize', ReceiveWindowSize: 65536 },
        { type: 'ConnectionTimeout', ConnectionTimeout: 120000 },
        { type: 'AssociationGroupId', AssociationGroupId: AG },
        { type: 'ClientAddress', AddressType: 0, ClientAddress: '127.0.0.1' },
      ],
    },
  },
  'rpch-echo': { name: 'Echo', pdu: { Flags: R.RTS_FLAG.ECHO, commands: [] } },
  'rpch-ping': { name: 'Ping', pdu: { Flags: R.RTS_FLAG.PING, commands: [] } },
  'rpch-flowcontrolack': {
    name: 'FlowControlAck',
    pdu: { Flags: R.RTS_FLAG.OTHER_CMD, commands: [{ type: 'FlowControlAck', BytesReceived: 250, AvailableWindow: 850, ChannelCookie: IN }] },
  },
  'rpch-flowcontrolack-dest': {
    name: 'FlowControlAckWithDestination',
    pdu: {
      Flags: R.RTS_FLAG.OTHER_CMD,
      commands: [
        { type: 'Destination', Destination: R.FD.FDOutProxy },
        { type: 'FlowControlAck', BytesReceived: 750, AvailableWindow: 1000, ChannelCookie: OUT },
      ],
    },
  },
  'rpch-keepalive': { name: 'Keep-Alive', pdu: { Flags: R.RTS_FLAG.OTHER_CMD, commands: [{ type: 'ClientKeepalive', ClientKeepalive: 60000 }] } },
};

describe('RTS PDU codec (MS-RPCH 2.2.3.6) on the derived vectors', () => {
  it('covers every vector of the file', () => {
    expect(file.vectors.map((v) => v.id).sort()).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const v of file.vectors) {
    it(`${v.id}: decode(hex) == json, encode(json) == hex`, () => {
      const e = EXPECTED[v.id];
      if (!e) throw new Error(`no expectation for ${v.id}`);
      const bytes = Buffer.from(v.hex, 'hex');
      expect(bytes.length).toBe(v.length);
      expect(decodeRts(bytes)).toEqual(e.pdu);
      expect(encodeRts(e.pdu).toString('hex')).toBe(v.hex);
      if (e.name !== 'server') expect(identifyClientRts(e.pdu)).toBe(e.name);
    });
  }

  it('the builders give the bytes of the vectors (CONN/A3, CONN/C2, Echo, Ping, FlowControlAck)', () => {
    const hex = (id: string) => file.vectors.find((v) => v.id === id)?.hex;
    expect(R.connA3(120000).toString('hex')).toBe(hex('rpch-conn-a3'));
    expect(R.connC2(65536, 120000).toString('hex')).toBe(hex('rpch-conn-c2'));
    expect(R.echoPdu().toString('hex')).toBe(hex('rpch-echo'));
    expect(R.pingPdu().toString('hex')).toBe(hex('rpch-ping'));
    expect(R.flowControlAck(250, 850, IN).toString('hex')).toBe(hex('rpch-flowcontrolack'));
  });

  it('the recycling PDUs have the sizes and flags of MS-RPCH 2.2.4', () => {
    const flags = (b: Buffer) => decodeRts(b).Flags;
    expect(R.inR1A4(65536, 120000).length).toBe(52);
    expect(R.inR2A4().length).toBe(28);
    expect(R.outRA2()).toEqual(Buffer.from('0500140310000000' + '1c000000' + '00000000' + '0400' + '0100' + '0d000000' + '00000000', 'hex'));
    expect(flags(R.outR1A6(120000))).toBe(R.RTS_FLAG.OUT_CHANNEL);
    expect(R.outR1A10().length).toBe(24);
    expect(R.outR2A6().length).toBe(32);
    expect(flags(R.outR2B3())).toBe(R.RTS_FLAG.EOF);
    // OUT_R2/C1 and OUT_R1/A11 are the same size (2.2.4.45), so a replacement OUT channel is 96 + 24 = 120 bytes
    const a3: RtsPdu = {
      Flags: R.RTS_FLAG.RECYCLE_CHANNEL,
      commands: [
        { type: 'Version', Version: 1 },
        { type: 'Cookie', Cookie: VC },
        { type: 'Cookie', Cookie: OUT },
        { type: 'Cookie', Cookie: IN },
        { type: 'ReceiveWindowSize', ReceiveWindowSize: 65536 },
      ],
    };
    expect(encodeRts(a3).length + encodeRts({ Flags: R.RTS_FLAG.PING, commands: [{ type: 'Empty' }] }).length).toBe(120);
    expect(identifyClientRts(a3)).toBe('OUT_R1/A3');
    expect(identifyClientRts({ Flags: R.RTS_FLAG.PING, commands: [{ type: 'Padding', ConformanceCount: 0 }] })).toBe('OUT_R2/C1');
    expect(identifyClientRts({ Flags: R.RTS_FLAG.NONE, commands: [{ type: 'ANCE' }] })).toBe('OUT_R1/A11');
  });

  it('an IPv6 ClientAddress round-trips', () => {
    const p: RtsPdu = { Flags: 0, commands: [{ type: 'ClientAddress', AddressType: 1, ClientAddress: 'fe80:0:0:0:0:0:0:1' }, { type: 'Padding', ConformanceCount: 3 }] };
    expect(decodeRts(encodeRts(p))).toEqual(p);
  });

  it('refuses what 2.2.3.6.1 forbids, with coded errors', () => {
    const ping = R.pingPdu();
    const bad = (mutate: (b: Buffer) => void, code: string) => {
      const b = Buffer.from(ping);
      mutate(b);
      expect(() => decodeRts(b)).toThrow(expect.objectContaining({ code }));
    };
    bad((b) => (b[3] = 0x01), 'OC_RTS_PFC');
    bad((b) => (b[2] = 0), 'OC_RTS_PTYPE');
    bad((b) => b.writeUInt32LE(7, 12), 'OC_RTS_CALL_ID');
    bad((b) => b.writeUInt16LE(4, 10), 'OC_RTS_AUTH_LENGTH');
    bad((b) => b.writeUInt16LE(1, 18), 'OC_RTS_SHORT');
    bad((b) => b.writeUInt16LE(24, 8), 'OC_RTS_FRAG_LENGTH');
    expect(() => decodeRts(Buffer.concat([R.connA3(1), Buffer.alloc(0)]).subarray(0, 24))).toThrow(RtsError);
    const unknown = Buffer.from(R.connA3(1));
    unknown.writeUInt32LE(99, 20);
    expect(() => decodeRts(unknown)).toThrow(expect.objectContaining({ code: 'OC_RTS_COMMAND' }));
  });
});

describe('RTS decoder properties', () => {
  const check = (bytes: Uint8Array) => {
    try {
      const p = decodeRts(Buffer.from(bytes));
      // whatever decodes re-encodes to the same bytes, except Padding content, which is ignored
      if (!p.commands.some((c) => c.type === 'Padding' || c.type === 'ClientAddress')) expect(encodeRts(p)).toEqual(Buffer.from(bytes));
    } catch (e) {
      if (!(e instanceof RtsError)) throw e;
    }
  };
  it('arbitrary bytes give a PDU or an RtsError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 3000 });
  });
  it('mutated valid PDUs give a PDU or an RtsError', () => {
    const seeds = file.vectors.map((v) => Buffer.from(v.hex, 'hex'));
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (seed, flips, cut) => {
        const b = Buffer.from(seed);
        for (const [i, v] of flips) b[i % b.length] = v;
        check(b);
        check(b.subarray(0, cut % (b.length + 1)));
      }),
      { numRuns: 3000 },
    );
  });
  it('encode(decode(x)) == x for generated PDUs', () => {
    const cookie = fc.uuid().map((u) => u.toLowerCase());
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const command = fc.oneof(
      u32.map((v) => ({ type: 'ReceiveWindowSize' as const, ReceiveWindowSize: v })),
      fc.tuple(u32, u32, cookie).map(([a, b, c]) => ({ type: 'FlowControlAck' as const, BytesReceived: a, AvailableWindow: b, ChannelCookie: c })),
      cookie.map((c) => ({ type: 'Cookie' as const, Cookie: c })),
      u32.map((v) => ({ type: 'Version' as const, Version: v })),
      fc.constant({ type: 'Empty' as const }),
      fc.constant({ type: 'ANCE' as const }),
      fc.integer({ min: 0, max: 3 }).map((d) => ({ type: 'Destination' as const, Destination: d })),
      fc.ipV4().map((a) => ({ type: 'ClientAddress' as const, AddressType: 0 as const, ClientAddress: a })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7f }), fc.array(command, { maxLength: 8 }), (Flags, commands) => {
        const p: RtsPdu = { Flags, commands };
        expect(decodeRts(encodeRts(p))).toEqual(p);
      }),
    );
  });
});
