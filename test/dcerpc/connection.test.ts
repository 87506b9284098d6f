// The connection state machine with a small hand-coded test interface (no NDR engine involved).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect, exchange, makeServer } from '../helpers/rpc-harness.js';
import { buildBind, buildFragmentedRequest, buildRequest, buildSimple, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { defineInterface, op, RpcFault, type StubCodec } from '../../src/dcerpc/interface.js';
import { BIND_NAK_REASON, CONT_RESULT, FAULT, PFC, PROVIDER_REASON, PTYPE } from '../../src/dcerpc/constants.js';
import { ProtocolError } from '../../src/util/errors.js';
import type { BindAckPdu, FaultPdu, ResponsePdu } from '../../src/dcerpc/pdu.js';

const TEST_UUID = '11111111-2222-3333-4444-555555555555';
const TEST = syntax(TEST_UUID, 1, 0);

// echo: request = u32 length + bytes; response = the bytes reversed
const echoCodec: StubCodec<Buffer> = {
  decode(stub) {
    if (stub.length < 4) throw new ProtocolError('OC_NDR_SHORT_BUFFER', 'short');
    const n = Buffer.from(stub).readUInt32LE(0);
    if (n > stub.length - 4) throw new ProtocolError('OC_NDR_BAD_COUNT', 'count');
    return Buffer.from(stub.subarray(4, 4 + n));
  },
  encode: (b) => Buffer.from(b),
};
const empty: StubCodec<null> = { decode: () => null, encode: () => Buffer.alloc(4) };

let lastSignal: AbortSignal | null = null;
let release: (() => void) | null = null;

function server(over: Parameters<typeof makeServer>[0] = {}) {
  const s = makeServer(over);
  s.registry.register(
    defineInterface({
      name: 'test',
      uuid: TEST_UUID,
      version: { major: 1, minor: 2 },
      ops: {
        0: op({ name: 'echo', request: echoCodec, response: echoCodec, handle: (b) => Buffer.from(b).reverse() }),
        1: op({ name: 'fault', request: empty, response: empty, handle: () => { throw new RpcFault(0x12345678); } }),
        2: op({ name: 'crash', request: empty, response: empty, handle: () => { throw new TypeError('bug'); } }),
        3: op({
          name: 'wait',
          request: empty,
          response: empty,
          handle: (_r, call) => {
            lastSignal = call.signal;
            return new Promise<null>((resolve) => { release = () => resolve(null); });
          },
        }),
      },
    }),
  );
  return s;
}
const bind = (callId = 1, over: Partial<Parameters<typeof buildBind>[0]> = {}) =>
  buildBind({ callId, contexts: [{ p_cont_id: 0, abstract_syntax: TEST, transfer_syntaxes: [NDR20] }], ...over });
const echoStub = (data: Buffer) => Buffer.concat([Buffer.from(Uint32Array.of(data.length).buffer), data]);

describe('RpcConnection', () => {
  it('binds, accepts NDR 2.0, and answers a call', async () => {
    const s = server();
    const { conn, t } = connect(s);
    const [ack] = (await exchange(conn, t, bind())) as BindAckPdu[];
    expect(ack!.kind).toBe('bind_ack');
    expect(ack!.p_result_list[0]!.result).toBe(CONT_RESULT.acceptance);
    expect(ack!.sec_addr).toBe('6100');
    expect(ack!.assoc_group_id).toBeGreaterThan(0);
    const [r] = (await exchange(conn, t, buildRequest({ callId: 2, opnum: 0, stub: echoStub(Buffer.from('abc')) }))) as ResponsePdu[];
    expect(r!.kind).toBe('response');
    expect(r!.header.call_id).toBe(2);
    expect(r!.stub.toString()).toBe('cba');
  });

  it('rejects unknown interfaces, wrong major versions, newer minor versions and NDR64-only contexts per context', async () => {
    const s = server();
    const { conn, t } = connect(s);
    const [ack] = (await exchange(
      conn,
      t,
      buildBind({
        callId: 1,
        contexts: [
          { p_cont_id: 0, abstract_syntax: syntax('99999999-2222-3333-4444-555555555555', 1), transfer_syntaxes: [NDR20] },
          { p_cont_id: 1, abstract_syntax: syntax(TEST_UUID, 2), transfer_syntaxes: [NDR20] },
          { p_cont_id: 2, abstract_syntax: syntax(TEST_UUID, 1, 3), transfer_syntaxes: [NDR20] },
          { p_cont_id: 3, abstract_syntax: TEST, transfer_syntaxes: [syntax('71710533-beba-4937-8319-b5dbef9ccc36', 1)] },
          { p_cont_id: 4, abstract_syntax: syntax(TEST_UUID, 1, 1), transfer_syntaxes: [NDR20] },
        ],
      }),
    )) as BindAckPdu[];
    expect(ack!.p_result_list.map((r) => [r.result, r.reason])).toEqual([
      [CONT_RESULT.provider_rejection, PROVIDER_REASON.abstract_syntax_not_supported],
      [CONT_RESULT.provider_rejection, PROVIDER_REASON.abstract_syntax_not_supported],
      [CONT_RESULT.provider_rejection, PROVIDER_REASON.abstract_syntax_not_supported],
      [CONT_RESULT.provider_rejection, PROVIDER_REASON.proposed_transfer_syntaxes_not_supported],
      [CONT_RESULT.acceptance, 0],
    ]);
    // a request on a rejected context is nca_s_unk_if
    const [f] = (await exchange(conn, t, buildRequest({ callId: 2, pContId: 0, opnum: 0, stub: echoStub(Buffer.alloc(1)) }))) as FaultPdu[];
    expect(f).toMatchObject({ kind: 'fault', status: FAULT.nca_s_unk_if });
  });

  it('faults unknown opnums, undecodable stubs, handler faults and handler bugs, and keeps serving', async () => {
    const s = server();
    const { conn, t } = connect(s);
    await exchange(conn, t, bind());
    const out = (await exchange(
      conn,
      t,
      buildRequest({ callId: 2, opnum: 99, stub: Buffer.alloc(0) }),
      buildRequest({ callId: 3, opnum: 0, stub: Buffer.from('ffffffff', 'hex') }),
      buildRequest({ callId: 4, opnum: 1, stub: Buffer.alloc(0) }),
      buildRequest({ callId: 5, opnum: 2, stub: Buffer.alloc(0) }),
      buildRequest({ callId: 6, opnum: 0, stub: echoStub(Buffer.from('ok')) }),
    )) as Array<FaultPdu | ResponsePdu>;
    const byCall = new Map(out.map((p) => [p.header.call_id, p]));
    expect(byCall.get(2)).toMatchObject({ kind: 'fault', status: FAULT.nca_s_op_rng_error });
    expect(byCall.get(2)!.header.pfc_flags & PFC.DID_NOT_EXECUTE).toBeTruthy();
    expect(byCall.get(3)).toMatchObject({ kind: 'fault', status: FAULT.nca_s_fault_ndr });
    expect(byCall.get(4)).toMatchObject({ kind: 'fault', status: 0x12345678 });
    expect(byCall.get(5)).toMatchObject({ kind: 'fault', status: FAULT.nca_s_fault_unspec });
    expect((byCall.get(6) as ResponsePdu).stub.toString()).toBe('ko');
    expect(t.closed).toBe(false);
  });

  it('reassembles fragmented requests and fragments responses to max_xmit_frag', async () => {
    const s = server();
    const { conn, t } = connect(s);
    await exchange(conn, t, bind(1, { maxRecv: 1432 }));
    const data = Buffer.alloc(10_000);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    const frags = buildFragmentedRequest({ callId: 2, opnum: 0, stub: echoStub(data) }, 1000);
    expect(frags.length).toBe(11);
    const out = (await exchange(conn, t, ...frags)) as ResponsePdu[];
    expect(out.length).toBeGreaterThan(7);
    expect(out.every((p) => p.kind === 'response' && p.header.frag_length <= 1432)).toBe(true);
    expect(out[0]!.header.pfc_flags & PFC.FIRST_FRAG).toBeTruthy();
    expect(out.at(-1)!.header.pfc_flags & PFC.LAST_FRAG).toBeTruthy();
    expect(out[0]!.alloc_hint).toBe(10_000);
    expect(Buffer.concat(out.map((p) => p.stub))).toEqual(Buffer.from(data).reverse());
  });

  it('refuses an alloc_hint or a reassembled stub over the limit, drops the rest of that call, serves the next', async () => {
    const s = server({ limits: { maxFragmentSize: 5840, maxRequestSize: 65536, maxCallsPerConnection: 16 } });
    const { conn, t } = connect(s);
    await exchange(conn, t, bind());
    const big = buildFragmentedRequest({ callId: 2, opnum: 0, stub: echoStub(Buffer.alloc(5000)), allocHint: 0x7fffffff }, 4000);
    const over = buildFragmentedRequest({ callId: 3, opnum: 0, stub: Buffer.alloc(70_000) }, 5000).map((f) => {
      f.writeUInt32LE(100, 16); // a lying alloc_hint
      return f;
    });
    const out = (await exchange(conn, t, ...big, ...over, buildRequest({ callId: 4, opnum: 0, stub: echoStub(Buffer.from('x')) }))) as Array<FaultPdu | ResponsePdu>;
    expect(out.map((p) => [p.header.call_id, p.kind])).toEqual([
      [2, 'fault'],
      [3, 'fault'],
      [4, 'response'],
    ]);
    expect((out[0] as FaultPdu).status).toBe(FAULT.nca_s_fault_remote_no_memory);
    expect((out[1] as FaultPdu).status).toBe(FAULT.nca_s_fault_remote_no_memory);
  });

  it('answers a request before bind with a protocol-error fault and closes', async () => {
    const s = server();
    const { conn, t } = connect(s);
    const [f] = (await exchange(conn, t, buildRequest({ callId: 1, opnum: 0, stub: Buffer.alloc(4) }))) as FaultPdu[];
    expect(f).toMatchObject({ kind: 'fault', status: FAULT.nca_proto_error });
    expect(t.closed).toBe(true);
  });

  it('naks a bind with an unknown auth type, an unknown association group, or a second bind', async () => {
    const s = server();
    let { conn, t } = connect(s);
    let [n] = await exchange(conn, t, bind(1, { auth: { type: 0x44, level: 6, token: Buffer.alloc(8) } }));
    expect(n).toMatchObject({ kind: 'bind_nak', provider_reject_reason: BIND_NAK_REASON.authentication_type_not_recognized });
    ({ conn, t } = connect(s));
    [n] = await exchange(conn, t, bind(1, { assocGroupId: 0x4242 }));
    expect(n).toMatchObject({ kind: 'bind_nak', provider_reject_reason: BIND_NAK_REASON.reason_not_specified });
    ({ conn, t } = connect(s));
    const out = await exchange(conn, t, bind(1), bind(2));
    expect(out.map((p) => p.kind)).toEqual(['bind_ack', 'bind_nak']);
  });

  it('lets a second connection from the same address join the association group, not one from elsewhere', async () => {
    const s = server();
    const a = connect(s);
    const [ack] = (await exchange(a.conn, a.t, bind())) as BindAckPdu[];
    const b = connect(s);
    const [ack2] = (await exchange(b.conn, b.t, bind(1, { assocGroupId: ack!.assoc_group_id }))) as BindAckPdu[];
    expect(ack2).toMatchObject({ kind: 'bind_ack', assoc_group_id: ack!.assoc_group_id });
    const c = connect(s, '10.9.8.7');
    const [nak] = await exchange(c.conn, c.t, bind(1, { assocGroupId: ack!.assoc_group_id }));
    expect(nak!.kind).toBe('bind_nak');
    expect(s.groups.size).toBe(1);
    a.conn.close();
    expect(s.groups.size).toBe(1);
    b.conn.close();
    expect(s.groups.size).toBe(0);
  });

  it('adds presentation contexts with alter_context', async () => {
    const s = server();
    const { conn, t } = connect(s);
    await exchange(conn, t, buildBind({ callId: 1, contexts: [] }));
    const [r] = (await exchange(conn, t, bind(2, { alter: true }))) as BindAckPdu[];
    expect(r).toMatchObject({ kind: 'alter_context_resp', sec_addr: '' });
    expect(r!.p_result_list[0]!.result).toBe(CONT_RESULT.acceptance);
  });

  it('aborts a call on co_cancel and drops the response of an orphaned call', async () => {
    const s = server();
    const { conn, t } = connect(s);
    await exchange(conn, t, bind());
    await exchange(conn, t, buildRequest({ callId: 2, opnum: 3, stub: Buffer.alloc(0) }));
    expect(lastSignal?.aborted).toBe(false);
    await exchange(conn, t, buildSimple(PTYPE.co_cancel, 2));
    expect(lastSignal?.aborted).toBe(true);
    release!();
    const done = await exchange(conn, t);
    expect(done.map((p) => p.kind)).toEqual(['response']);
    await exchange(conn, t, buildRequest({ callId: 3, opnum: 3, stub: Buffer.alloc(0) }));
    await exchange(conn, t, buildSimple(PTYPE.orphaned, 3));
    release!();
    expect(await exchange(conn, t)).toEqual([]);
  });

  it('limits the calls in flight per connection', async () => {
    const s = server({ limits: { maxFragmentSize: 5840, maxRequestSize: 1 << 20, maxCallsPerConnection: 2 } });
    const { conn, t } = connect(s);
    await exchange(conn, t, bind());
    const out = await exchange(
      conn,
      t,
      buildRequest({ callId: 2, opnum: 3, stub: Buffer.alloc(0) }),
      buildRequest({ callId: 3, opnum: 3, stub: Buffer.alloc(0) }),
      buildRequest({ callId: 4, opnum: 3, stub: Buffer.alloc(0) }),
    );
    expect(out).toMatchObject([{ kind: 'fault', status: FAULT.nca_server_too_busy, header: { call_id: 4 } }]);
  });

  it('property: arbitrary byte streams never throw out of the connection and leave the server usable', async () => {
    const s = server();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), fc.boolean(), async (chunks, bound) => {
        const { conn, t } = connect(s);
        if (bound) await exchange(conn, t, bind());
        for (const c of chunks) {
          const b = Buffer.from(c);
          if (b.length >= 10) {
            b[0] = 5;
            b[4] = 0x10;
            b.writeUInt16LE(Math.min(b.length, b.readUInt16LE(8)), 8);
          }
          conn.receive(b);
        }
        await conn.drained;
        conn.close();
      }),
      { numRuns: 300 },
    );
    const { conn, t } = connect(s);
    await exchange(conn, t, bind());
    const [r] = (await exchange(conn, t, buildRequest({ callId: 2, opnum: 0, stub: echoStub(Buffer.from('hi')) }))) as ResponsePdu[];
    expect(r!.stub.toString()).toBe('ih');
  });
});
