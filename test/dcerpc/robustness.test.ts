// Hostile input over real TCP: garbage, lying headers and half-sent PDUs on some connections while another
// connection keeps calling; the server answers or closes the bad ones and keeps serving the good one.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildBind, buildRequest, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { PduFramer } from '../../src/dcerpc/framer.js';
import { parsePdu, type Pdu } from '../../src/dcerpc/pdu.js';
import { startTestServer, type TestServer } from '../helpers/full-server.js';

const MGMT = syntax('afa8bd80-7d8a-11c9-bef4-08002b102989', 1, 0);
let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ rpc: { listen: '127.0.0.1', port: 0, epmPort: -1, maxFragmentSize: 5840, maxRequestSize: 65536 } });
});
afterAll(async () => ts?.close());

/** A raw client: sends bytes, collects PDUs, notices when the server closes. */
class Raw {
  readonly sock: net.Socket;
  readonly pdus: Pdu[] = [];
  closed = false;
  private readonly framer = new PduFramer(() => 0xffff);
  private waiters: Array<() => void> = [];
  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (d) => {
      for (const p of this.framer.push(d)) this.pdus.push(parsePdu(p));
      this.wake();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.sock.on('error', () => undefined);
  }
  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async until(cond: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  send(b: Buffer) {
    this.sock.write(b);
  }
}

async function goodCall(r: Raw, callId: number): Promise<void> {
  const before = r.pdus.length;
  r.send(buildRequest({ callId, opnum: 2, stub: Buffer.alloc(0) })); // is_server_listening
  await r.until(() => r.pdus.length > before);
  const p = r.pdus.at(-1)!;
  expect(p.kind).toBe('response');
  expect(p.header.call_id).toBe(callId);
}

describe('the server under hostile input', () => {
  it('closes a connection announcing a frag_length over the negotiated maximum, before reading it', async () => {
    const r = new Raw(ts.server.ports.rpc);
    const head = Buffer.from(buildRequest({ callId: 1, opnum: 0, stub: Buffer.alloc(8) }).subarray(0, 16));
    head.writeUInt16LE(65000, 8);
    r.send(head);
    await r.until(() => r.closed);
  });

  it('refuses an alloc_hint over rpc.maxRequestSize with a fault and goes on with the connection', async () => {
    const r = new Raw(ts.server.ports.rpc);
    r.send(buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: MGMT, transfer_syntaxes: [NDR20] }] }));
    await r.until(() => r.pdus.length === 1);
    r.send(buildRequest({ callId: 2, opnum: 1, stub: Buffer.alloc(4), allocHint: 1 << 30 }));
    await r.until(() => r.pdus.length === 2);
    expect(r.pdus[1]).toMatchObject({ kind: 'fault', status: 0x1c00001b });
    await goodCall(r, 3);
    r.sock.destroy();
  });

  it('keeps serving a good connection while others send garbage, lie, or stall', async () => {
    const good = new Raw(ts.server.ports.rpc);
    good.send(buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: MGMT, transfer_syntaxes: [NDR20] }] }));
    await good.until(() => good.pdus.length === 1);
    const stalled = new Raw(ts.server.ports.rpc);
    stalled.send(buildBind({ callId: 1, contexts: [{ p_cont_id: 0, abstract_syntax: MGMT, transfer_syntaxes: [NDR20] }] }).subarray(0, 20));
    let call = 10;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 400 }), { minLength: 1, maxLength: 4 }), async (chunks) => {
        const bad = new Raw(ts.server.ports.rpc);
        for (const c of chunks) {
          const b = Buffer.from(c);
          if (b.length >= 10) {
            b[0] = 5;
            b[4] = 0x10;
          }
          bad.send(b);
        }
        await goodCall(good, call++);
        bad.sock.destroy();
      }),
      { numRuns: 60 },
    );
    expect(good.closed).toBe(false);
    expect(stalled.closed).toBe(false); // a half-sent PDU just waits (idle timeout applies)
    stalled.sock.destroy();
    good.sock.destroy();
  });
});
