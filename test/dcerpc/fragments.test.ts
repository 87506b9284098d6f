// encodeFragments (src/dcerpc/protection.ts): a stub's PDUs built one after another in one buffer, each signed or
// sealed on its own; the peer reads them back fragment by fragment. And the connection's use of it: one write for
// a transport that takes a byte stream, one PDU per write otherwise (RPC over HTTP's OUT channel).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as C from '../../src/auth/ntlm/constants.js';
import { NtlmSession } from '../../src/auth/ntlm/session.js';
import { PFC, PTYPE } from '../../src/dcerpc/constants.js';
import { defineInterface, op } from '../../src/dcerpc/interface.js';
import { countPdus, encodeFragments, forEachPdu, unprotectFragment, type Protection } from '../../src/dcerpc/protection.js';
import { buildBind, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { parsePdu, type RequestPdu, type ResponsePdu } from '../../src/dcerpc/pdu.js';
import { connect, exchange, makeServer } from '../helpers/rpc-harness.js';

const FLAGS = C.NTLMSSP_NEGOTIATE_SIGN | C.NTLMSSP_NEGOTIATE_SEAL | C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | C.NTLMSSP_NEGOTIATE_128 | C.NTLMSSP_NEGOTIATE_KEY_EXCH;

function pair(level: number): { send: Protection | null; receive: Protection | null } {
  if (level < 4) return { send: null, receive: null };
  const key = randomBytes(16);
  return {
    send: { type: 10, level, contextId: 0, security: new NtlmSession(key, FLAGS, 'Server') },
    receive: { type: 10, level, contextId: 0, security: new NtlmSession(key, FLAGS, 'Client') },
  };
}

describe('encodeFragments', () => {
  it('property: PDUs within maxXmit, first/last flags and alloc_hint right, and the peer gets the stub back (none, PKT_INTEGRITY, PKT_PRIVACY)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 5, 6),
        fc.integer({ min: 0, max: 40_000 }),
        fc.oneof(fc.constantFrom(1432, 4280, 5840), fc.integer({ min: 1432, max: 0xffff })),
        fc.integer({ min: 1, max: 0xffffffff }),
        (level, size, maxXmit, callId) => {
          const stub = randomBytes(size);
          const { send, receive } = pair(level);
          const data = encodeFragments({ ptype: PTYPE.response, callId, pContId: 3, opnum: 0, maxXmit }, stub, send);
          const pdus: Buffer[] = [];
          const n = forEachPdu(data, (p) => pdus.push(Buffer.from(p)));
          expect(n).toBe(pdus.length);
          expect(countPdus(data)).toBe(n);
          let got = 0;
          const parts: Buffer[] = [];
          pdus.forEach((raw, i) => {
            expect(raw.length).toBeLessThanOrEqual(maxXmit);
            const p = parsePdu(raw) as ResponsePdu;
            expect(p.kind).toBe('response');
            expect(p.header.call_id).toBe(callId >>> 0);
            expect(p.p_cont_id).toBe(3);
            expect((p.header.pfc_flags & PFC.FIRST_FRAG) !== 0).toBe(i === 0);
            expect((p.header.pfc_flags & PFC.LAST_FRAG) !== 0).toBe(i === pdus.length - 1);
            expect(p.alloc_hint).toBe(size - got);
            if (receive) unprotectFragment(receive, p.raw, p.stubOffset, p.auth!);
            else expect(p.auth).toBeNull();
            parts.push(Buffer.from(p.stub));
            got += p.stub.length;
          });
          expect(Buffer.concat(parts).equals(stub)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a tampered fragment fails its own check; the fragments before it read fine', () => {
    const { send, receive } = pair(6);
    const stub = randomBytes(20_000);
    const data = encodeFragments({ ptype: PTYPE.request, callId: 9, pContId: 0, opnum: 2, maxXmit: 5840 }, stub, send);
    const pdus: Buffer[] = [];
    forEachPdu(data, (p) => pdus.push(p));
    expect(pdus.length).toBe(4);
    const third = pdus[2]!;
    third[100] = third[100]! ^ 1;
    for (const [i, raw] of pdus.entries()) {
      const p = parsePdu(raw) as RequestPdu;
      const check = () => unprotectFragment(receive!, p.raw, p.stubOffset, p.auth!);
      if (i < 2) expect(check).not.toThrow();
      else if (i === 2) expect(check).toThrow(expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' }));
    }
  });
});

describe('connection responses', () => {
  const IFACE = { uuid: '2d3c4b5a-6978-4e1f-8a9b-0c1d2e3f4a5b', major: 1, minor: 0 };
  function server() {
    const s = makeServer();
    s.registry.register(
      defineInterface({
        name: 'big',
        uuid: IFACE.uuid,
        version: { major: 1, minor: 0 },
        ops: {
          0: op({
            name: 'big',
            request: { decode: (b) => b.length, encode: () => Buffer.alloc(0) },
            response: { decode: (b) => b, encode: (v: Buffer) => v },
            handle: () => Buffer.alloc(20_000, 0x5a),
          }),
        },
      }),
    );
    return s;
  }
  const call = () =>
    encodeFragments({ ptype: PTYPE.request, callId: 2, pContId: 0, opnum: 0, maxXmit: 5840 }, Buffer.alloc(8), null);
  const bind = () => buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: syntax(IFACE.uuid, 1), transfer_syntaxes: [NDR20] }] });

  it('a byte-stream transport gets a many-fragment response in one write', async () => {
    const s = server();
    const { conn, t } = connect(s);
    Object.assign(t, { byteStream: true });
    await exchange(conn, t, bind());
    const before = s.stats.pktsOut;
    conn.receive(call());
    await conn.drained;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(t.written.length).toBe(1);
    const pdus = t.take() as ResponsePdu[];
    expect(pdus.length).toBe(4);
    expect(s.stats.pktsOut - before).toBe(4);
    expect(Buffer.concat(pdus.map((p) => p.stub)).equals(Buffer.alloc(20_000, 0x5a))).toBe(true);
  });

  it('a transport without it gets one PDU per write', async () => {
    const s = server();
    const { conn, t } = connect(s);
    await exchange(conn, t, bind());
    conn.receive(call());
    await conn.drained;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(t.written.length).toBe(4);
    const lengths = t.written.map((b) => b.length);
    const pdus = t.take() as ResponsePdu[];
    expect(pdus.map((p) => p.raw.length)).toEqual(lengths);
    expect(Buffer.concat(pdus.map((p) => p.stub)).equals(Buffer.alloc(20_000, 0x5a))).toBe(true);
  });
});
