// The OUT channel's body framing (issue 5 deliver 1, "chunked or raw OUT channel"; config `http.rpcOutChannel`):
// raw is Windows' (Content-Length = the channel lifetime, then the PDUs); chunked sends `Transfer-Encoding: chunked`
// with one chunk per PDU written and the last chunk when the channel ends, for HTTP/1.1 requests only. Over real
// sockets through the front door with the in-process RpcServer behind the proxy; the chunked body is decoded strictly
// by rts-client.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { buildBind, buildRequest, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { PTYPE } from '../../src/dcerpc/constants.js';
import { EPMAPPER, MGMT } from '../../src/dcerpc/well-known.js';
import { EPT_STATUS } from '../../src/epm/idl.js';
import { decodeRts, PTYPE_RTS, RTS_FLAG } from '../../src/rpcproxy/rts.js';
import { PASSWORD as SERVER_PASSWORD, startTestServer, type TestServer } from '../helpers/full-server.js';
import { HOST, PASSWORD, startProxyServer, type ProxyServer } from './http-server.js';
import { RtsClient } from './rts-client.js';

const AUTH = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One bind for the endpoint mapper (context 0) and mgmt (context 1). */
const bindEpmAndMgmt = () =>
  buildBind({
    callId: 1,
    contexts: [
      { p_cont_id: 0, abstract_syntax: syntax(EPMAPPER.uuid, EPMAPPER.major, EPMAPPER.minor), transfer_syntaxes: [NDR20] },
      { p_cont_id: 1, abstract_syntax: syntax(MGMT.uuid, MGMT.major, MGMT.minor), transfer_syntaxes: [NDR20] },
    ],
  });
const bindMgmt = () => buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: syntax(MGMT.uuid, MGMT.major, MGMT.minor), transfer_syntaxes: [NDR20] }] });

/** ept_lookup (opnum 2): RPC_C_EP_ALL_ELTS, no object, no interface, RPC_C_VERS_ALL, a null handle, 10 entries. */
function eptLookup(callId: number): Buffer {
  const stub = Buffer.alloc(40);
  stub.writeUInt32LE(0, 0); // inquiry_type
  stub.writeUInt32LE(0, 4); // object: null
  stub.writeUInt32LE(0, 8); // interface_id: null
  stub.writeUInt32LE(1, 12); // vers_option
  // entry_handle: 20 zero bytes at 16
  stub.writeUInt32LE(10, 36); // max_ents
  return buildRequest({ callId, opnum: 2, pContId: 0, stub });
}
const inqIfIds = (callId: number, pContId = 0) => buildRequest({ callId, opnum: 0, pContId, stub: Buffer.alloc(0) });

let srv: ProxyServer | null = null;
let full: TestServer | null = null;
const clients: RtsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await srv?.close();
  srv = null;
  await full?.close();
  full = null;
});

/** The shape of a PDU for comparing two runs: RTS flags and command types, or PTYPE and call id. */
function shape(p: Buffer): string {
  if (p[2] === PTYPE_RTS) {
    const r = decodeRts(p);
    return `rts ${r.Flags} ${r.commands.map((c) => c.type).join(',')}`;
  }
  return `rpc ${p[2]} call ${p.readUInt32LE(12)}`;
}

/** Opens a virtual connection to the endpoint mapper port, binds epmapper + mgmt, runs ept_lookup and inq_if_ids. */
async function epmSession(port: number, version: '1.0' | '1.1'): Promise<RtsClient> {
  const c = new RtsClient(port, `${HOST}:593`, AUTH, { httpVersion: version, keepPredecessors: true });
  clients.push(c);
  await c.connect();
  c.send(bindEpmAndMgmt());
  await c.responsesAtLeast(1);
  c.send(eptLookup(2));
  c.send(inqIfIds(3, 1));
  await c.responsesAtLeast(3);
  return c;
}

describe('OUT channel framing: chunked', () => {
  it('HTTP/1.1 with chunked on: Transfer-Encoding chunked, no Content-Length, one PDU per chunk, the same PDUs as raw', async () => {
    srv = await startProxyServer(['alice'], { outChannel: 'chunked' });
    const c = await epmSession(srv.port, '1.1');
    const out = c.outs[0]!;
    expect(out.head?.split('\r\n')[0]).toBe('HTTP/1.1 200 Success');
    expect(out.headers.get('transfer-encoding')).toBe('chunked');
    expect(out.headers.has('content-length')).toBe(false);
    expect(out.headers.get('content-type')).toBe('application/rpc');
    expect(out.errors).toEqual([]);
    expect(c.errors).toEqual([]);
    // CONN/A3, CONN/C2, then the bind_ack and the two responses, each PDU in a chunk of its own
    const shapes = out.pdus.map(shape);
    expect(shapes.slice(0, 2)).toEqual(['rts 0 ConnectionTimeout', 'rts 0 Version,ReceiveWindowSize,ConnectionTimeout']);
    expect(shapes.slice(2)).toEqual([`rpc ${PTYPE.bind_ack} call 1`, `rpc ${PTYPE.response} call 2`, `rpc ${PTYPE.response} call 3`]);
    expect(out.chunks).toEqual(out.pdus.map((p) => p.length));
    expect(out.payloadBytes).toBe(out.pdus.reduce((n, p) => n + p.length, 0));
    const lookup = c.responses[1]!;
    expect(lookup.readUInt32LE(lookup.length - 4)).toBe(EPT_STATUS.ept_s_not_registered);

    // the same session over a raw OUT channel: the same PDUs (the bind_ack's association group aside)
    const rawSrv = await startProxyServer(['alice']);
    try {
      const r = await epmSession(rawSrv.port, '1.1');
      const rawOut = r.outs[0]!;
      expect(rawOut.headers.get('content-length')).toBe(String(0x40000000));
      expect(rawOut.pdus.map(shape)).toEqual(shapes);
      expect(out.pdus[0]).toEqual(rawOut.pdus[0]);
      expect(out.pdus[1]).toEqual(rawOut.pdus[1]);
      expect(c.responses.slice(1).map((p) => p.subarray(16))).toEqual(r.responses.slice(1).map((p) => p.subarray(16)));
      r.destroy();
    } finally {
      await rawSrv.close();
    }

    // the virtual connection closed by the client: the proxy ends the OUT channel with the last chunk
    srv.proxy.close();
    await sleep(100);
    expect(out.lastChunk).toBe(true);
    expect(out.errors).toEqual([]);
  });

  for (const seq of ['R2', 'R1'] as const) {
    it(`OUT_${seq} recycling with chunked framing: every old channel ends with the last chunk; the lifetime counts PDU bytes only`, async () => {
      const lifetime = 8 * 1024;
      const margin = 2048;
      srv = await startProxyServer(['alice'], { outChannel: 'chunked', outChannelLifetime: lifetime, recycleMargin: margin, outRecycle: seq });
      const c = new RtsClient(srv.port, `${HOST}:6004`, AUTH, { keepPredecessors: true });
      clients.push(c);
      await c.connect();
      c.send(bindMgmt());
      await c.responsesAtLeast(1);
      let callId = 2;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 100; i++) c.send(inqIfIds(callId++));
        await c.responsesAtLeast(callId - 1);
      }
      const calls = c.responses.slice(1);
      expect(calls.map((p) => p[2])).toEqual(Array(400).fill(PTYPE.response));
      expect(calls.map((p) => p.readUInt32LE(12))).toEqual(Array.from({ length: 400 }, (_, i) => i + 2));
      expect(c.errors).toEqual([]);
      expect(c.outRecycles).toBeGreaterThanOrEqual(4);
      await sleep(100);
      const finished = c.outs.slice(0, c.outRecycles);
      for (const [i, o] of c.outs.entries()) {
        expect(o.headers.get('transfer-encoding'), `OUT channel ${i}`).toBe('chunked');
        expect(o.headers.has('content-length'), `OUT channel ${i}`).toBe(false);
        expect(o.errors, `OUT channel ${i}`).toEqual([]);
        expect(o.chunks, `OUT channel ${i}`).toEqual(o.pdus.map((p) => p.length));
      }
      for (const [i, o] of finished.entries()) {
        expect(o.lastChunk, `recycled OUT channel ${i}`).toBe(true);
        expect(o.closed, `recycled OUT channel ${i}`).toBe(true);
        // recycling (OUT_R?/A2) started once lifetime - margin PDU bytes had gone out (not earlier, as if the chunk
        // framing counted), and the channel never carried more PDU bytes than its lifetime
        const a2 = o.pdus.findIndex((p) => p[2] === PTYPE_RTS && decodeRts(p).Flags === RTS_FLAG.RECYCLE_CHANNEL);
        expect(a2, `recycled OUT channel ${i}`).toBeGreaterThan(0);
        const beforeA2 = o.pdus.slice(0, a2).reduce((n, p) => n + p.length, 0);
        expect(beforeA2, `recycled OUT channel ${i}`).toBeGreaterThanOrEqual(lifetime - margin);
        expect(o.payloadBytes, `recycled OUT channel ${i}`).toBeLessThanOrEqual(lifetime);
      }
      const current = c.outs[c.outRecycles]!;
      expect(current).toBe(c.out);
      expect(current.lastChunk).toBe(false);
      expect(srv.proxy.table.size).toBe(1);
      c.destroy();
      await sleep(100);
      expect(srv.proxy.table.size).toBe(0);
    });
  }
});

describe('OUT channel framing: raw', () => {
  it('HTTP/1.0 requests get the raw body even with chunked on', async () => {
    srv = await startProxyServer(['alice'], { outChannel: 'chunked' });
    const c = await epmSession(srv.port, '1.0');
    const out = c.outs[0]!;
    expect(out.head?.split('\r\n')[0]).toBe('HTTP/1.1 200 Success');
    expect(out.chunked).toBe(false);
    expect(out.headers.has('transfer-encoding')).toBe(false);
    expect(out.headers.get('content-length')).toBe(String(0x40000000));
    expect(out.pdus.map(shape).slice(2)).toEqual([`rpc ${PTYPE.bind_ack} call 1`, `rpc ${PTYPE.response} call 2`, `rpc ${PTYPE.response} call 3`]);
    expect(out.payloadBytes).toBe(out.pdus.reduce((n, p) => n + p.length, 0));
    expect(c.errors).toEqual([]);
  });

  for (const outChannel of [undefined, 'raw'] as const) {
    it(`HTTP/1.1 with ${outChannel ?? 'the default'} framing: Content-Length = lifetime, raw PDUs`, async () => {
      srv = await startProxyServer(['alice'], outChannel ? { outChannel } : {});
      const c = await epmSession(srv.port, '1.1');
      const out = c.outs[0]!;
      expect(out.headers.has('transfer-encoding')).toBe(false);
      expect(out.headers.get('content-length')).toBe(String(0x40000000));
      expect(out.pdus.map(shape).slice(2)).toEqual([`rpc ${PTYPE.bind_ack} call 1`, `rpc ${PTYPE.response} call 2`, `rpc ${PTYPE.response} call 3`]);
      expect(out.payloadBytes).toBe(out.pdus.reduce((n, p) => n + p.length, 0));
      // ending the channel adds nothing after the PDUs
      srv.proxy.close();
      await sleep(100);
      expect(out.closed).toBe(true);
      expect(out.payloadBytes).toBe(out.pdus.reduce((n, p) => n + p.length, 0));
    });
  }
});

describe('http.rpcOutChannel in a running server', () => {
  it('startServer passes `chunked` to its RPC proxy', async () => {
    full = await startTestServer({
      http: { enabled: true, listen: '127.0.0.1', port: 0, plainPort: 0, allowBasicOverHttp: true, rpcOutChannel: 'chunked' },
    });
    const port = full.server.web!.ports.http!;
    const auth = `Basic ${Buffer.from(`alice:${SERVER_PASSWORD}`).toString('base64')}`;
    const c = new RtsClient(port, `${HOST}:6004`, auth, { keepPredecessors: true });
    clients.push(c);
    await c.connect();
    c.send(bindMgmt());
    c.send(inqIfIds(2));
    await c.responsesAtLeast(2);
    const out = c.outs[0]!;
    expect(out.headers.get('transfer-encoding')).toBe('chunked');
    expect(out.headers.has('content-length')).toBe(false);
    expect(out.errors).toEqual([]);
    expect(c.responses.map((p) => p[2])).toEqual([PTYPE.bind_ack, PTYPE.response]);
  });
});
