import { describe, expect, it } from 'vitest';
import { PduFramer } from '../../src/dcerpc/framer.js';
import { buildBind, buildRequest, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { PduError } from '../../src/dcerpc/pdu.js';

const MGMT = syntax('afa8bd80-7d8a-11c9-bef4-08002b102989', 1, 0);
const stream = Buffer.concat([
  buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: MGMT, transfer_syntaxes: [NDR20] }] }),
  buildRequest({ callId: 2, opnum: 2, stub: Buffer.alloc(0) }),
  buildRequest({ callId: 3, opnum: 0, stub: Buffer.alloc(300, 7) }),
]);
const expected = [72, 24, 324];

describe('PduFramer', () => {
  it('reassembles the same PDUs whatever the split point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new PduFramer(() => 5840);
      const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
      expect(got.map((p) => p.length)).toEqual(expected);
      expect(Buffer.concat(got)).toEqual(stream);
      expect(f.pendingBytes).toBe(0);
    }
  });

  it('reassembles when fed one byte at a time', () => {
    const f = new PduFramer(() => 5840);
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...f.push(stream.subarray(i, i + 1)));
    expect(Buffer.concat(got)).toEqual(stream);
  });

  it('refuses a frag_length above the negotiated limit before buffering it', () => {
    const f = new PduFramer(() => 1432);
    const big = buildRequest({ callId: 1, opnum: 0, stub: Buffer.alloc(2000) });
    expect(() => f.push(big.subarray(0, 16))).toThrow(PduError);
  });

  it('refuses a frag_length shorter than the header', () => {
    const f = new PduFramer(() => 5840);
    const bad = Buffer.from(stream.subarray(0, 16));
    bad.writeUInt16LE(8, 8);
    expect(() => f.push(bad)).toThrow(/shorter than the PDU header/);
  });
});
