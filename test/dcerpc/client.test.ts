// Our DCE/RPC client against the real server: startServer (mgmt inq_if_ids at every auth level with NTLM and
// SPNEGO, a wrong password) and an RpcServer with the real authenticators and an echo interface (requests and
// responses fragmented across many PDUs, pipelined calls, a second presentation context).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNtlmServer, createSpnegoServer, type NtlmServerOptions } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/load.js';
import { RpcClient, RpcClientError, type RpcClientAuth } from '../../src/dcerpc/client.js';
import { AUTHN, AUTHN_LEVEL, FAULT, PTYPE } from '../../src/dcerpc/constants.js';
import { pduChannel } from '../../src/dcerpc/connection.js';
import { defineInterface, op, type StubCodec } from '../../src/dcerpc/interface.js';
import { RpcServer } from '../../src/dcerpc/server.js';
import { EPMAPPER, MGMT } from '../../src/dcerpc/well-known.js';
import { openDirectory } from '../../src/directory/builtin.js';
import type { DirectoryAdmin } from '../../src/directory/types.js';
import { inq_if_ids_out } from '../../src/epm/mgmt.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { silentLogger } from '../../src/util/log.js';
import { IDENTITY, lookup } from '../auth/helpers/ntlm-client.js';
import { tempDir } from '../config/helpers.js';

const USER = { username: 'alice', password: 'Passw0rd!', domain: 'TEST' };

describe('RpcClient against startServer', () => {
  let server: RunningServer;
  let dir: DirectoryAdmin;
  let cleanup: () => void;

  beforeAll(async () => {
    const t = tempDir('ocng-client-');
    cleanup = t.cleanup;
    const config = loadConfig({
      env: {},
      cwd: t.dir,
      overrides: { dataDir: t.dir, log: { level: 'silent' }, rpc: { listen: '127.0.0.1', port: 0, epmPort: -1 } },
    });
    dir = openDirectory(config, silentLogger());
    await dir.addUser({ username: USER.username, password: USER.password });
    server = await startServer(config, silentLogger(), { directory: dir });
  });
  afterAll(async () => {
    await server?.close();
    await dir?.close();
    cleanup?.();
  });

  const connect = (auth?: RpcClientAuth, maxFrag?: number) => RpcClient.connect({ host: '127.0.0.1', port: server.ports.rpc, auth, maxFrag });

  for (const type of [AUTHN.RPC_C_AUTHN_WINNT, AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE] as const) {
    for (const level of [2, 5, 6] as const) {
      it(`mgmt inq_if_ids with auth type ${type} at level ${level}`, async () => {
        const c = await connect({ type, level, ...USER });
        try {
          await c.bind(MGMT);
          for (let i = 0; i < 3; i++) {
            const out = inq_if_ids_out.decode(await c.call(0, Buffer.alloc(0)));
            expect(out.status).toBe(0);
            const ids = out.if_id_vector?.if_id.map((x) => x?.uuid);
            expect(ids).toEqual(expect.arrayContaining([MGMT.uuid, EPMAPPER.uuid]));
          }
        } finally {
          await c.close();
        }
      });
    }
  }

  it('unauthenticated binds work too, and a second presentation context is usable', async () => {
    const c = await connect();
    await c.bind(EPMAPPER);
    const ctx = await c.alterContext(MGMT);
    expect(ctx).toBe(1);
    expect(inq_if_ids_out.decode(await c.call(0, Buffer.alloc(0), ctx)).status).toBe(0);
    await expect(c.call(99, Buffer.alloc(0), ctx)).rejects.toMatchObject({ code: 'OC_RPC_CLIENT_FAULT', status: FAULT.nca_s_op_rng_error });
    await c.close();
  });

  it('NTLM with a wrong password: the first call is refused with access denied', async () => {
    const c = await connect({ type: 10, level: 6, ...USER, password: 'wrong' });
    await c.bind(MGMT); // auth3 has no reply: the failure shows on the first call
    const e = await c.call(0, Buffer.alloc(0)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RpcClientError);
    expect(e).toMatchObject({ code: 'OC_RPC_CLIENT_FAULT', status: 5 });
    await c.close();
  });

  it('SPNEGO with a wrong password: the alter_context leg is refused with access denied', async () => {
    const c = await connect({ type: 9, level: 6, ...USER, password: 'wrong' });
    await expect(c.bind(MGMT)).rejects.toMatchObject({ code: 'OC_RPC_CLIENT_FAULT', status: 5 });
    await expect(c.call(0, Buffer.alloc(0))).rejects.toBeInstanceOf(RpcClientError);
    await c.close();
  });

  it('an unknown interface is rejected at bind', async () => {
    const c = await connect();
    await expect(c.bind({ uuid: '11111111-2222-3333-4444-555555555555', major: 1, minor: 0 })).rejects.toMatchObject({
      code: 'OC_RPC_CLIENT_REJECTED',
    });
    await c.close();
  });
});

const WHOAMI = { uuid: '0b5a2c1d-3e4f-4a5b-8c6d-7e8f9a0b1c2d', major: 1, minor: 0 };

// echo: request = u32 length + bytes; response = u32 length + the bytes reversed
const ECHO = { uuid: '6f1b2f5e-8a4d-4c39-9d0a-7d2f0c1e5a11', major: 1, minor: 0 };
const echoCodec: StubCodec<Buffer> = {
  decode(stub) {
    const b = Buffer.from(stub);
    const n = b.readUInt32LE(0);
    return b.subarray(4, 4 + n);
  },
  encode: (b) => Buffer.concat([Buffer.from(Uint32Array.of(b.length).buffer), b]),
};
const pattern = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

describe('RpcClient against an RpcServer with an echo interface', () => {
  let rpc: RpcServer;
  let port: number;

  beforeAll(async () => {
    const authOptions: NtlmServerOptions = { identity: IDENTITY, lookup, policy: { allowNtlmV1: false, maxClockSkewSeconds: 300 } };
    rpc = new RpcServer({
      log: silentLogger(),
      authenticators: (t) => (t === AUTHN.RPC_C_AUTHN_WINNT ? createNtlmServer(authOptions) : t === AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE ? createSpnegoServer(authOptions) : null),
      limits: { maxFragmentSize: 5840, maxRequestSize: 4 << 20, maxCallsPerConnection: 64 },
      maxConnections: 20,
      maxAssociationGroups: 20,
      idleTimeoutSeconds: 0,
    });
    rpc.registry.register(
      defineInterface({
        name: 'echo',
        uuid: ECHO.uuid,
        version: { major: 1, minor: 0 },
        ops: {
          0: op({
            name: 'echo',
            request: echoCodec,
            response: echoCodec,
            // answer out of order: bigger requests take longer
            handle: async (b) => {
              await new Promise((r) => setTimeout(r, b.length % 7));
              return Buffer.from(b).reverse();
            },
          }),
        },
        minAuthLevel: AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
      }),
    );
    rpc.registry.register(
      defineInterface({
        name: 'whoami',
        uuid: WHOAMI.uuid,
        version: { major: 1, minor: 0 },
        ops: {
          0: op({
            name: 'whoami',
            request: { decode: () => null, encode: () => Buffer.alloc(0) },
            response: { decode: (b) => Buffer.from(b).toString(), encode: (v: string) => Buffer.from(v) },
            handle: (_r, call) => `${call.user?.username ?? '-'}@${call.authLevel}`,
          }),
        },
        minAuthLevel: AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_CONNECT,
      }),
    );
    port = (await rpc.listenTcp('test', '127.0.0.1', 0)).port;
  });
  afterAll(async () => {
    await rpc?.close();
  });

  for (const [type, level] of [[10, 6], [9, 6], [10, 5], [9, 5]] as const) {
    it(`fragments 200 kB each way across many PDUs (auth type ${type}, level ${level}, maxFrag 1432)`, async () => {
      const c = await RpcClient.connect({ host: '127.0.0.1', port, maxFrag: 1432, auth: { type, level, ...USER } });
      await c.bind(ECHO);
      expect(c.maxXmitFrag).toBe(1432);
      const data = pattern(200_000, type + level);
      const seen = { in: [] as Buffer[], out: [] as Buffer[] };
      const listen = (m: unknown) => {
        const { direction, pdu } = m as { direction: 'in' | 'out'; pdu: Buffer };
        if (pdu[2] === PTYPE.request || pdu[2] === PTYPE.response) seen[direction].push(Buffer.from(pdu)); // not auth3
      };
      pduChannel.subscribe(listen);
      try {
        const out = echoCodec.decode(await c.call(0, echoCodec.encode(data)));
        expect(out.equals(Buffer.from(data).reverse())).toBe(true);
      } finally {
        pduChannel.unsubscribe(listen);
      }
      for (const list of [seen.in, seen.out]) {
        expect(list.length).toBeGreaterThan(140);
        expect(list.every((p) => p.length <= 1432 && p.readUInt16LE(10) === 16)).toBe(true);
        // sealed: the plaintext pattern never shows on the wire; signed: it does
        const probe = data.subarray(5000, 5032);
        const plain = list.some((p) => p.includes(probe) || p.includes(Buffer.from(probe).reverse()));
        expect(plain).toBe(level === 5);
      }
      await c.close();
    });
  }

  it('pipelines many outstanding calls of mixed sizes on one sealed connection', async () => {
    const c = await RpcClient.connect({ host: '127.0.0.1', port, maxFrag: 2000, auth: { type: 10, level: 6, ...USER } });
    await c.bind(ECHO);
    const sizes = Array.from({ length: 40 }, (_, i) => (i * 977) % 9000);
    const results = await Promise.all(sizes.map((n, i) => c.call(0, echoCodec.encode(pattern(n, i)))));
    results.forEach((r, i) => expect(echoCodec.decode(r).equals(pattern(sizes[i]!, i).reverse())).toBe(true));
    await c.close();
  });

  it('an unauthenticated call below the interface level is refused; close rejects outstanding calls', async () => {
    const c = await RpcClient.connect({ host: '127.0.0.1', port });
    await c.bind(ECHO);
    await expect(c.call(0, echoCodec.encode(Buffer.from('x')))).rejects.toMatchObject({ status: FAULT.nca_s_fault_access_denied });
    const pending = c.call(0, echoCodec.encode(Buffer.alloc(100_000))).catch((e: unknown) => e);
    await c.close();
    expect(await pending).toBeInstanceOf(RpcClientError); // its fault or the close, whichever came first
    await expect(c.call(0, echoCodec.encode(Buffer.from('x')))).rejects.toMatchObject({ code: 'OC_RPC_CLIENT_CLOSED' });
  });

  for (const type of [10, 9] as const) {
    it(`at CONNECT level (auth type ${type}) requests carry no verifier and run as the authenticated user`, async () => {
      const c = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type, level: 2, ...USER } });
      await c.bind(WHOAMI);
      expect((await c.call(0, Buffer.alloc(0))).toString()).toBe('alice@2');
      await c.close();
    });
  }

  it('at CONNECT level a failed authentication refuses the calls; without authentication the interface refuses', async () => {
    const bad = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: 10, level: 2, ...USER, password: 'wrong' } });
    await bad.bind(WHOAMI);
    await expect(bad.call(0, Buffer.alloc(0))).rejects.toMatchObject({ status: FAULT.nca_s_fault_access_denied });
    await bad.close();
    const anon = await RpcClient.connect({ host: '127.0.0.1', port });
    await anon.bind(WHOAMI);
    await expect(anon.call(0, Buffer.alloc(0))).rejects.toMatchObject({ status: FAULT.nca_s_fault_access_denied });
    await anon.close();
  });
});
