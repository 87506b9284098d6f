// EcDoRpcExt2 response chaining (MS-OXCRPC 3.1.4.2 pulFlags Chain, example 4.3) over a real socket at PKT_PRIVACY:
// a RopReadStream whose data does not fit one 32 KB payload continues in further RPC_HEADER_EXT + payload pairs,
// each a whole ROP output buffer, up to what the client asked for and what pcbOut allows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/dcerpc/client.js';
import type { RpcServer } from '../../src/dcerpc/server.js';
import { EMSMDB } from '../../src/dcerpc/well-known.js';
import type { Directory, DirectoryUser } from '../../src/directory/types.js';
import { createEmsmdbInterface } from '../../src/emsmdb/emsmdb.js';
import { decodeRpcHeaderExt, readExtendedBuffer, RHE_FLAG_LAST, writeExtendedBuffer } from '../../src/emsmdb/extbuf.js';
import { SessionManager } from '../../src/emsmdb/session.js';
import type { ContextHandle } from '../../src/ndr/index.js';
import { RopReader } from '../../src/mapi/buffer.js';
import { encodeRopRequests, splitRopBuffer } from '../../src/rop/dispatch.js';
import { loadRopRegistry, type RopRegistry } from '../../src/rop/registry.js';
import type { RopHandlerEntry, RopRequestHeader, ServerObject } from '../../src/rop/types.js';
import { silentLogger } from '../../src/util/log.js';
import { connectEx, ntlmTestServer, rpcExt2 } from './helpers.js';

const USER = { username: 'carol', password: 'Chain-Passw0rd!', domain: 'T' };
const DN = '/o=T/ou=G/cn=Recipients/cn=carol';
const STREAM_SIZE = 200_000;

interface StreamObject extends ServerObject {
  pos: number;
}

let server: RpcServer;
let sessions: SessionManager;
let client: RpcClient;
let cxh: ContextHandle;
let registry: RopRegistry;

beforeAll(async () => {
  const user: DirectoryUser = { id: 1, username: USER.username, displayName: 'Carol', smtpAddress: 'c@t', legacyExchangeDN: DN, enabled: true, attributes: {}, proxyAddresses: [] };
  const directory = { findUser: async (n: string) => (n.toLowerCase() === DN.toLowerCase() ? user : null) } as unknown as Directory;
  // RopReadStream: as many bytes as asked for, within what the output buffer has room for
  const handlers = new Map<number, RopHandlerEntry>([
    [
      0x2c,
      {
        inputKinds: ['stream'],
        handle: (q: RopRequestHeader & { ByteCount: number; MaximumByteCount?: number }, ctx) => {
          const s = ctx.input as StreamObject;
          const want = q.ByteCount === 0xbabe ? (q.MaximumByteCount ?? 0) : q.ByteCount;
          const n = Math.max(0, Math.min(want, STREAM_SIZE - s.pos, ctx.outputSpace - 8));
          const Data = Buffer.alloc(n);
          for (let i = 0; i < n; i++) Data[i] = (s.pos + i) & 0xff;
          s.pos += n;
          return { ec: 0, response: { Data } };
        },
      },
    ],
  ]);
  registry = await loadRopRegistry([handlers]);
  sessions = new SessionManager({ maxSessionsPerUser: 4, maxObjectsPerSession: 100, sessionIdleSeconds: 600 }, silentLogger());
  server = ntlmTestServer(USER);
  server.registry.register(
    createEmsmdbInterface({ directory, sessions, registry, serverDn: '/o=T/ou=G/cn=Configuration/cn=Servers/cn=EXCH01', minClientVersion: [12, 0, 0, 0], requireEncryption: true }),
  );
  const { port } = await server.listenTcp('t', '127.0.0.1', 0);
  client = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: 10, level: 6, ...USER } });
  await client.bind(EMSMDB);
  const c = await connectEx(client, DN, [0x0e00, 0x8000 | 6000, 0]);
  expect(c.result).toBe(0);
  cxh = c.pcxh;
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  sessions?.close();
});

/** Opens a fresh stream object in the session; returns its handle. */
function openStream(): number {
  const s = sessions.get(cxh.uuid)!;
  const obj: StreamObject = { kind: 'stream', logonId: 0, parent: null, pos: 0 };
  return s.rop.handles.add(obj)!;
}

async function readStream(req: Record<string, number>, flags: number, pcbOut: number) {
  const h = openStream();
  const payload = encodeRopRequests(registry, [{ RopId: 0x2c, LogonId: 0, InputHandleIndex: 0, ...req }], [h]);
  const rgbIn = writeExtendedBuffer([payload], { compress: false, xor: false, maxOut: 0x1000 });
  const r = await rpcExt2(client, cxh, rgbIn, { flags, pcbOut, pcbAuxOut: 0 });
  expect(r.result).toBe(0);
  expect(r.rgbOut.length).toBeLessThanOrEqual(pcbOut);
  const payloads = readExtendedBuffer(r.rgbOut, { maxPayloads: 64 });
  const codec = registry.codec(0x2c)!;
  const data = payloads.map((p) => {
    expect(p.length).toBeLessThanOrEqual(0x8000);
    const { rops, handles } = splitRopBuffer(p);
    expect(handles).toEqual([h]);
    const res = codec.decodeResponse(new RopReader(rops), { codePage: 1252 }, { RopId: 0x2c } as never) as unknown as { Data: Buffer; ReturnValue: number };
    expect(res.ReturnValue).toBe(0);
    return res.Data;
  });
  // only the final header carries Last
  let off = 0;
  const flagsSeen: number[] = [];
  while (off < r.rgbOut.length) {
    const hd = decodeRpcHeaderExt(r.rgbOut, off);
    flagsSeen.push(hd.Flags & RHE_FLAG_LAST);
    off += 8 + hd.Size;
  }
  expect(flagsSeen.slice(0, -1).every((f) => f === 0)).toBe(true);
  expect(flagsSeen.at(-1)).toBe(RHE_FLAG_LAST);
  const all = Buffer.concat(data);
  for (let i = 0; i < all.length; i++) if (all[i] !== (i & 0xff)) throw new Error(`byte ${i}`);
  return { payloads: payloads.length, bytes: all.length };
}

describe('EcDoRpcExt2 response chaining', () => {
  it('without Chain: one payload of at most 32 KB', async () => {
    const r = await readStream({ ByteCount: 0xbabe, MaximumByteCount: 100_000 }, 0, 0x40000);
    expect(r.payloads).toBe(1);
    expect(r.bytes).toBeGreaterThan(0x7f00);
    expect(r.bytes).toBeLessThan(0x8000);
  });

  it('with Chain: further payloads until the client has what it asked for', async () => {
    const r = await readStream({ ByteCount: 0xbabe, MaximumByteCount: 100_000 }, 0x4, 0x40000);
    expect(r.payloads).toBe(4);
    expect(r.bytes).toBe(100_000);
  });

  it('with Chain: pcbOut bounds the chain; compression and XOR apply to every payload', async () => {
    // NoCompression: the payloads travel as they are, so pcbOut (two 32 KB payloads and a bit) holds two
    const r = await readStream({ ByteCount: 0xbabe, MaximumByteCount: 150_000 }, 0x5, 0xa016);
    expect(r.payloads).toBe(2);
    const x = await readStream({ ByteCount: 0xbabe, MaximumByteCount: 150_000 }, 0x4, 0x40000);
    expect(x.payloads).toBeGreaterThanOrEqual(5);
    expect(x.bytes).toBe(150_000);
  });

  it('with Chain and compression: pcbOut bounds the compressed rgbOut, not the uncompressed payloads', async () => {
    // MS-OXCRPC 3.1.4.2: pcbOut is the size of rgbOut; 3.1.4.2.1: each payload at most 32 KB (SizeActual). The
    // stream's bytes compress well, so the same pcbOut that holds two raw payloads holds the whole 150,000 bytes.
    const r = await readStream({ ByteCount: 0xbabe, MaximumByteCount: 150_000 }, 0x4, 0xa016);
    expect(r.payloads).toBeGreaterThanOrEqual(5);
    expect(r.bytes).toBe(150_000);
    // a pcbOut too small for a second raw payload still chains while the compressed ones fit
    const small = await readStream({ ByteCount: 0xbabe, MaximumByteCount: 150_000 }, 0x4, 0x8400);
    expect(small.payloads).toBeGreaterThan(1);
  });

  it('with Chain, a plain ByteCount read stops at ByteCount and at the end of the stream', async () => {
    const small = await readStream({ ByteCount: 1000 }, 0x4, 0x40000);
    expect(small).toEqual({ payloads: 1, bytes: 1000 });
    const all = await readStream({ ByteCount: 0xbabe, MaximumByteCount: 0x7fffffff }, 0x4, 0x40000);
    expect(all.bytes).toBe(STREAM_SIZE);
  });
});
