// Over real sockets through the front door, with the in-process RpcServer behind the proxy: OUT and IN channel
// recycling forced in the middle of a session (both sequences) while calls keep being answered, an idle virtual
// connection kept past the connection timeout by pings, a silent one freed, and a vanished client freed.
import { afterEach, describe, expect, it } from 'vitest';
import { buildBind, buildRequest, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { PTYPE } from '../../src/dcerpc/constants.js';
import { MGMT } from '../../src/dcerpc/well-known.js';
import { RTS_FLAG } from '../../src/rpcproxy/rts.js';
import { HOST, PASSWORD, startProxyServer, type ProxyServer } from './http-server.js';
import { RtsClient } from './rts-client.js';

const AUTH = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
const bindMgmt = () => buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: syntax(MGMT.uuid, MGMT.major, MGMT.minor), transfer_syntaxes: [NDR20] }] });
const inqIfIds = (callId: number) => buildRequest({ callId, opnum: 0, stub: Buffer.alloc(0) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let srv: ProxyServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

describe('channel recycling in the middle of a session (real sockets, real RPC connection)', () => {
  for (const seq of ['R2', 'R1'] as const) {
    it(`OUT_${seq} and IN_${seq}: 400 calls over an OUT channel lifetime of 8 KiB and two IN channel replacements`, async () => {
      srv = await startProxyServer(['alice'], { outChannelLifetime: 8 * 1024, recycleMargin: 2048, outRecycle: seq, inRecycle: seq });
      const c = new RtsClient(srv.port, `${HOST}:6004`, AUTH);
      await c.connect();
      c.send(bindMgmt());
      await c.responsesAtLeast(1);
      expect(c.responses[0]?.[2]).toBe(PTYPE.bind_ack);
      let callId = 2;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 100; i++) c.send(inqIfIds(callId++));
        await c.responsesAtLeast(callId - 1);
        if (round === 1 || round === 2) await c.recycleIn();
      }
      const calls = c.responses.slice(1);
      expect(calls.map((p) => p[2])).toEqual(Array(400).fill(PTYPE.response));
      expect(calls.map((p) => p.readUInt32LE(12))).toEqual(Array.from({ length: 400 }, (_, i) => i + 2));
      expect(c.outRecycles).toBeGreaterThanOrEqual(4);
      expect(c.inRecycles).toBe(2);
      expect(c.errors).toEqual([]);
      expect(srv.proxy.table.size).toBe(1);
      c.destroy();
      await sleep(100);
      expect(srv.proxy.table.size).toBe(0);
    });
  }
});

describe('keep-alive and timeouts (real sockets)', () => {
  it('an idle virtual connection survives past the connection timeout on pings; a silent one is freed', async () => {
    srv = await startProxyServer(['alice'], { timeouts: { pingIntervalMs: 100, idleTimeoutMs: 600, sweepMs: 50 } });
    const c = new RtsClient(srv.port, `${HOST}:6004`, AUTH);
    await c.connect();
    c.send(bindMgmt());
    await c.responsesAtLeast(1);
    for (let i = 0; i < 12; i++) {
      await sleep(150);
      c.ping();
    }
    // 1.8 s idle as far as RPC goes, three idle timeouts: still open, and the proxy pinged the OUT channel
    c.send(inqIfIds(2));
    await c.responsesAtLeast(2);
    expect(c.rts.filter((p) => p.Flags === RTS_FLAG.PING).length).toBeGreaterThanOrEqual(5);
    expect(srv.proxy.table.size).toBe(1);
    await sleep(1200); // silence
    expect(srv.proxy.table.size).toBe(0);
    expect(c.outClosed).toBe(true);
    c.destroy();
  });

  it('a client that vanishes frees its virtual connection and its RPC connection', async () => {
    srv = await startProxyServer(['alice']);
    const clients = [new RtsClient(srv.port, `${HOST}:6004`, AUTH), new RtsClient(srv.port, `${HOST}:6002`, AUTH)];
    for (const c of clients) {
      await c.connect();
      c.send(bindMgmt());
      await c.responsesAtLeast(1);
    }
    expect(srv.proxy.table.size).toBe(2);
    clients[0]?.destroy();
    await sleep(200);
    expect(srv.proxy.table.size).toBe(1);
    clients[1]?.send(inqIfIds(2));
    await clients[1]?.responsesAtLeast(2);
    clients[1]?.destroy();
    await sleep(200);
    expect(srv.proxy.table.size).toBe(0);
  });
});
