// The ncacn_ip_tcp idle timeout over real TCP: a connection without traffic either way is closed, one that keeps
// calling or has a call in flight is not (the server sweeps connections once a second).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/dcerpc/client.js';
import { defineInterface, op, type StubCodec } from '../../src/dcerpc/interface.js';
import type { RpcServer } from '../../src/dcerpc/server.js';
import { makeServer } from '../helpers/rpc-harness.js';

const IDLE = { uuid: '22222222-3333-4444-5555-666666666666', major: 1, minor: 0 };
const empty: StubCodec<null> = { decode: () => null, encode: () => Buffer.alloc(4) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RpcServer;
let port: number;
beforeAll(async () => {
  server = makeServer({ idleTimeoutSeconds: 1 });
  server.registry.register(
    defineInterface({
      name: 'idle',
      uuid: IDLE.uuid,
      version: { major: 1, minor: 0 },
      ops: {
        0: op({ name: 'ping', request: empty, response: empty, handle: () => null }),
        1: op({ name: 'slow', request: empty, response: empty, handle: () => sleep(3000).then(() => null) }),
      },
    }),
  );
  port = (await server.listenTcp('test', '127.0.0.1', 0)).port;
});
afterAll(async () => server?.close());

async function client(): Promise<RpcClient> {
  const c = await RpcClient.connect({ host: '127.0.0.1', port });
  await c.bind(IDLE);
  return c;
}

describe('idle timeout', () => {
  it('closes an idle connection, keeps a busy one and one with a call in flight', async () => {
    const idle = await client();
    const busy = await client();
    const waiting = await client();
    const slow = waiting.call(1, Buffer.alloc(0));
    const start = Date.now();
    while (Date.now() - start < 2600) {
      await busy.call(0, Buffer.alloc(0));
      await sleep(200);
    }
    await expect(idle.call(0, Buffer.alloc(0))).rejects.toMatchObject({ code: 'OC_RPC_CLIENT_CLOSED' });
    await expect(slow).resolves.toBeInstanceOf(Buffer);
    await expect(busy.call(0, Buffer.alloc(0))).resolves.toBeInstanceOf(Buffer);
    await expect(waiting.call(0, Buffer.alloc(0))).resolves.toBeInstanceOf(Buffer);
    await busy.close();
    await waiting.close();
  }, 15_000);
});
