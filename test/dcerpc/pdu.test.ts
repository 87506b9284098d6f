import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePdu, PduError, assemblePdu, encodeFaultBody, encodeBindNakBody, type RequestPdu } from '../../src/dcerpc/pdu.js';
import { buildBind, buildRequest, buildAuth3, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { PFC, PTYPE } from '../../src/dcerpc/constants.js';

const EPM = syntax('e1af8308-5d1f-11c9-91a4-08002b14a0fa', 3, 0);

describe('PDU codec', () => {
  it('round-trips a bind with two presentation contexts and an auth verifier', () => {
    const token = Buffer.from('4e544c4d5353500001000000', 'hex');
    const raw = buildBind({
      callId: 7,
      assocGroupId: 0x1234,
      contexts: [
        { p_cont_id: 0, abstract_syntax: EPM, transfer_syntaxes: [NDR20] },
        { p_cont_id: 1, abstract_syntax: EPM, transfer_syntaxes: [syntax('71710533-beba-4937-8319-b5dbef9ccc36', 1)] },
      ],
      auth: { type: 10, level: 6, contextId: 3, token },
    });
    const p = parsePdu(raw);
    expect(p.kind).toBe('bind');
    if (p.kind !== 'bind') return;
    expect(p.header.call_id).toBe(7);
    expect(p.header.frag_length).toBe(raw.length);
    expect(p.header.auth_length).toBe(token.length);
    expect(p.assoc_group_id).toBe(0x1234);
    expect(p.p_context_elem).toHaveLength(2);
    expect(p.p_context_elem[0]!.abstract_syntax).toEqual(EPM);
    expect(p.auth).toMatchObject({ auth_type: 10, auth_level: 6, auth_context_id: 3 });
    expect(p.auth!.auth_value).toEqual(token);
  });

  it('parses a request with an object UUID and strips auth padding', () => {
    const raw = buildRequest({ callId: 9, opnum: 3, stub: Buffer.from('0102030405', 'hex'), object: '12345678-1234-5678-9abc-def012345678' });
    const p = parsePdu(raw) as RequestPdu;
    expect(p.kind).toBe('request');
    expect(p.object).toBe('12345678-1234-5678-9abc-def012345678');
    expect(p.opnum).toBe(3);
    expect(p.stub.toString('hex')).toBe('0102030405');

    const body = Buffer.concat([Buffer.from('0500000000000300', 'hex'), Buffer.from('0102030405', 'hex'), Buffer.alloc(11)]);
    const signed = assemblePdu({ PTYPE: PTYPE.request, pfc_flags: 3, call_id: 1 }, body, {
      trailer: { auth_type: 10, auth_level: 5, auth_pad_length: 11, auth_context_id: 0 },
      value: 16,
    });
    const q = parsePdu(signed) as RequestPdu;
    expect(q.stub.toString('hex')).toBe('0102030405');
    expect(q.auth!.auth_pad_length).toBe(11);
    expect(q.auth!.trailerOffset).toBe(24 + 16);
  });

  it('encodes fault and bind_nak as C706 lays them out', () => {
    const f = parsePdu(assemblePdu({ PTYPE: PTYPE.fault, pfc_flags: 0x23, call_id: 4 }, encodeFaultBody(2, 0x1c010002)));
    expect(f).toMatchObject({ kind: 'fault', status: 0x1c010002, p_cont_id: 2 });
    expect(f.header.frag_length).toBe(32);
    const n = parsePdu(assemblePdu({ PTYPE: PTYPE.bind_nak, pfc_flags: 3, call_id: 1 }, encodeBindNakBody(4)));
    expect(n).toMatchObject({ kind: 'bind_nak', provider_reject_reason: 4, versions: [{ major: 5, minor: 0 }] });
  });

  it('refuses auth_length larger than the PDU, short bodies, unknown PTYPEs and big-endian data', () => {
    const good = buildAuth3(1, { type: 10, level: 6, token: Buffer.alloc(20) });
    const longAuth = Buffer.from(good);
    longAuth.writeUInt16LE(200, 10);
    expect(() => parsePdu(longAuth)).toThrow(PduError);
    const short = assemblePdu({ PTYPE: PTYPE.request, pfc_flags: 3, call_id: 1 }, Buffer.alloc(5));
    expect(() => parsePdu(short)).toThrow(/too short/);
    const unknown = assemblePdu({ PTYPE: 1, pfc_flags: 3, call_id: 1 }, Buffer.alloc(8));
    expect(() => parsePdu(unknown)).toThrow(/PTYPE/);
    const be = Buffer.from(short);
    be[4] = 0x00;
    expect(() => parsePdu(be)).toThrow(/data representation/);
  });

  it('property: arbitrary bytes give a PDU or a PduError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        if (b.length >= 10) b.writeUInt16LE(b.length, 8);
        if (b.length >= 5) {
          b[0] = 5;
          b[4] = 0x10;
        }
        try {
          parsePdu(b);
        } catch (e) {
          expect(e).toBeInstanceOf(PduError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: mutated valid PDUs give a PDU or a PduError', () => {
    const seeds = [
      buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: EPM, transfer_syntaxes: [NDR20, NDR20] }], auth: { type: 9, level: 6, token: Buffer.alloc(40, 1) } }),
      buildRequest({ callId: 2, opnum: 3, stub: Buffer.alloc(64, 2), object: '12345678-1234-5678-9abc-def012345678' }),
      buildAuth3(3, { type: 10, level: 5, token: Buffer.alloc(100, 3) }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(), (seed, flips, cut) => {
        const b = Buffer.from(seed);
        for (const [pos, v] of flips) b[8 + (pos % (b.length - 8))] = v;
        const t = b.subarray(0, Math.max(16, b.length - (cut % 8)));
        t.writeUInt16LE(t.length, 8);
        try {
          parsePdu(t);
        } catch (e) {
          expect(e).toBeInstanceOf(PduError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the flags it was given', () => {
    const raw = buildRequest({ callId: 1, opnum: 0, stub: Buffer.alloc(0), flags: PFC.FIRST_FRAG });
    expect(parsePdu(raw).header.pfc_flags).toBe(PFC.FIRST_FRAG);
  });
});
