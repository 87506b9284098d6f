// Compress-ahead (src/emsmdb/compress-ahead.ts) over a real socket at PKT_PRIVACY: a FastTransfer download through
// chained RopFastTransferSourceGetBuffer calls (the real handler, on a download context with read-ahead) gives the
// same rgbOut bytes, call for call, with compress-ahead as without it; the predicted payloads are used (counted on
// the session); and a request that differs from the one predicted (another MaximumBufferSize, a ROP in front of the
// GetBuffer, no Chain) still gets exactly the stream's next bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/dcerpc/client.js';
import type { RpcServer } from '../../src/dcerpc/server.js';
import { EMSMDB } from '../../src/dcerpc/well-known.js';
import type { Directory, DirectoryUser } from '../../src/directory/types.js';
import { createEmsmdbInterface } from '../../src/emsmdb/emsmdb.js';
import { readExtendedBuffer, writeExtendedBuffer } from '../../src/emsmdb/extbuf.js';
import { SessionManager } from '../../src/emsmdb/session.js';
import type { ContextHandle } from '../../src/ndr/index.js';
import { RopReader } from '../../src/mapi/buffer.js';
import type { MailboxStore } from '../../src/mapistore/types.js';
import { encodeRopRequests, splitRopBuffer } from '../../src/rop/dispatch.js';
import type { FxSourceYield } from '../../src/rop/fxics/writer.js';
import { createFxCopyHandlers, FxSourceObject } from '../../src/rop/handlers/oxcfxics-copy.js';
import { LogonObject } from '../../src/rop/handlers/objects.js';
import { loadRopRegistry, type RopRegistry } from '../../src/rop/registry.js';
import { silentLogger } from '../../src/util/log.js';
import { connectEx, ntlmTestServer, rpcExt2 } from './helpers.js';

const USER = { username: 'dave', password: 'Ahead-Passw0rd!', domain: 'T' };
const DN = '/o=T/ou=G/cn=Recipients/cn=dave';
const CHAIN = 0x4;
const MESSAGES = 400;

interface Side {
  server: RpcServer;
  sessions: SessionManager;
  client: RpcClient;
  cxh: ContextHandle;
}

let registry: RopRegistry;
const sides: Side[] = [];

/** ~3 MB of FastTransfer stream: per "message" markers, a few properties and a body of random-letter words. */
async function* content(): AsyncGenerator<FxSourceYield> {
  for (let i = 0; i < MESSAGES; i++) {
    let x = (i + 1) * 2654435761;
    const letter = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return 'etaoinshrdlucmfwypvbgkqjxz'[(x >>> 0) % 26];
    };
    const words = Array.from({ length: 600 }, () => Array.from({ length: 3 + ((x >>> 3) & 3) }, letter).join('')).join(' ');
    yield [
      { kind: 'marker', tag: 0x400c0003 }, // StartMessage
      { kind: 'prop', tag: 0x0e080003, value: i }, // PidTagMessageSize
      { kind: 'prop', tag: 0x0037001f, value: `Message ${i}` }, // PidTagSubject
      { kind: 'prop', tag: 0x1000001f, value: words }, // PidTagBody
      { kind: 'marker', tag: 0x400d0003 }, // EndMessage
      { kind: 'progress', inProgressCount: i + 1, totalStepCount: MESSAGES },
    ];
  }
}

async function side(compressAhead: boolean): Promise<Side> {
  const user: DirectoryUser = { id: 1, username: USER.username, displayName: 'Dave', smtpAddress: 'd@t', legacyExchangeDN: DN, enabled: true, attributes: {}, proxyAddresses: [] };
  const directory = { findUser: async (n: string) => (n.toLowerCase() === DN.toLowerCase() ? user : null) } as unknown as Directory;
  const sessions = new SessionManager({ maxSessionsPerUser: 4, maxObjectsPerSession: 100, sessionIdleSeconds: 600 }, silentLogger());
  const server = ntlmTestServer(USER);
  server.registry.register(
    createEmsmdbInterface({
      directory, sessions, registry, serverDn: '/o=T/ou=G/cn=Configuration/cn=Servers/cn=EXCH01', minClientVersion: [12, 0, 0, 0], requireEncryption: true, compressAhead,
    }),
  );
  const { port } = await server.listenTcp('t', '127.0.0.1', 0);
  const client = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: 10, level: 6, ...USER } });
  await client.bind(EMSMDB);
  const c = await connectEx(client, DN, [0x0e00, 0x8000 | 6000, 0]);
  expect(c.result).toBe(0);
  return { server, sessions, client, cxh: c.pcxh };
}

beforeAll(async () => {
  registry = await loadRopRegistry([new Map([[0x4e, createFxCopyHandlers({} as never).get(0x4e)!]])]);
  sides.push(await side(true), await side(false));
});
afterAll(async () => {
  for (const s of sides) {
    await s.client.close();
    await s.server.close();
    s.sessions.close();
  }
});

/** A logon and a download context of `content()` (read-ahead 1 MiB) in the side's session: the context's handle. */
function openDownload(s: Side): number {
  const session = s.sessions.get(s.cxh.uuid)!;
  const logon = new LogonObject(0, {} as MailboxStore, 0, 0);
  session.rop.logons.set(0, logon);
  session.rop.handles.add(logon);
  return session.rop.handles.add(new FxSourceObject(0, logon, content(), 'unicode', 1252, {} as MailboxStore, {} as never, 1 << 20))!;
}

type Req = { BufferSize: number; MaximumBufferSize?: number };

/** One EcDoRpcExt2 of GetBuffer requests (more than one: the first ones are extra ROPs in front): rgbOut and the stream bytes. */
async function call(s: Side, h: number, reqs: Req[], flags: number, pcbOut = 0x40000) {
  const rops = encodeRopRequests(registry, reqs.map((q) => ({ RopId: 0x4e, LogonId: 0, InputHandleIndex: 0, ...q })), [h]);
  const rgbIn = writeExtendedBuffer([rops], { compress: false, xor: true, maxOut: 0x1000 });
  const r = await rpcExt2(s.client, s.cxh, rgbIn, { flags, pcbOut });
  expect(r.result).toBe(0);
  const codec = registry.codec(0x4e)!;
  const parts: Buffer[] = [];
  let status = 0;
  for (const p of readExtendedBuffer(r.rgbOut, { maxPayloads: 64, maxTotal: 64 * 0x8000 })) {
    const rd = new RopReader(splitRopBuffer(p).rops);
    for (const q of reqs) {
      const res = codec.decodeResponse(rd, { codePage: 1252 }, { RopId: 0x4e, ...q } as never) as unknown as { ReturnValue: number; TransferStatus: number; TransferBuffer: Buffer };
      expect(res.ReturnValue).toBe(0);
      parts.push(res.TransferBuffer);
      status = res.TransferStatus;
      if (rd.pos >= rd.end) break;
    }
  }
  return { rgbOut: Buffer.from(r.rgbOut), bytes: Buffer.concat(parts), status };
}

/** Lets the server's read-ahead and compress-ahead run, as a client reading its response gives them time to. */
const pause = () => new Promise((r) => setTimeout(r, 30));

describe('compress-ahead', () => {
  it('the same rgbOut bytes with and without it, call for call; its predictions are used', async () => {
    const [on, off] = sides as [Side, Side];
    const hOn = openDownload(on);
    const hOff = openDownload(off);
    const req = [{ BufferSize: 0xbabe, MaximumBufferSize: 0x8000 }];
    let calls = 0;
    let hits = 0;
    let misses = 0;
    for (;;) {
      // what the server predicted while the client "read" the previous response
      const predicted = on.sessions.get(on.cxh.uuid)!.compressAhead;
      // a pcbOut of 64 KB: a few payloads per call, many calls
      const a = await call(on, hOn, req, CHAIN, 0x10000);
      const b = await call(off, hOff, req, CHAIN, 0x10000);
      expect(a.rgbOut.equals(b.rgbOut)).toBe(true);
      if (predicted) {
        hits += predicted.hits;
        misses += predicted.misses;
      }
      calls++;
      if (a.status === 3) break; // Done
      expect(calls).toBeLessThan(200);
      await pause();
    }
    expect(calls).toBeGreaterThan(10);
    expect(hits).toBeGreaterThan(calls); // payloads were predicted, compressed ahead and used
    expect(misses).toBe(0); // the same request again: every prediction made was right
    expect(off.sessions.get(off.cxh.uuid)!.compressAhead).toBeUndefined();
  });

  it('requests other than the predicted one get the stream exactly (another size, a ROP in front, no Chain)', async () => {
    const [on, off] = sides as [Side, Side];
    const hOn = openDownload(on);
    const hOff = openDownload(off);
    const plan: Array<{ reqs: Req[]; flags: number }> = [
      { reqs: [{ BufferSize: 0xbabe, MaximumBufferSize: 0x8000 }], flags: CHAIN },
      { reqs: [{ BufferSize: 0xbabe, MaximumBufferSize: 0x4000 }], flags: CHAIN },
      { reqs: [{ BufferSize: 0xbabe, MaximumBufferSize: 0x4000 }], flags: 0 },
      { reqs: [{ BufferSize: 3000 }, { BufferSize: 0xbabe, MaximumBufferSize: 0x8000 }], flags: CHAIN },
      { reqs: [{ BufferSize: 0xbabe, MaximumBufferSize: 0x8000 }], flags: CHAIN },
    ];
    const got: Buffer[] = [];
    const want: Buffer[] = [];
    for (let i = 0; ; i++) {
      const step = plan[i % plan.length]!;
      const a = await call(on, hOn, step.reqs, step.flags);
      const b = await call(off, hOff, step.reqs, step.flags);
      expect(a.rgbOut.equals(b.rgbOut)).toBe(true);
      got.push(a.bytes);
      want.push(b.bytes);
      if (a.status === 3) break;
      expect(i).toBeLessThan(400);
      await pause();
    }
    expect(Buffer.concat(got).equals(Buffer.concat(want))).toBe(true);
  });

  it('backs off when its predictions go unused: two downloads read in turn in one session', async () => {
    const [on, off] = sides as [Side, Side];
    const onH = [openDownload(on), openDownload(on)];
    const offH = [openDownload(off), openDownload(off)];
    const req = [{ BufferSize: 0xbabe, MaximumBufferSize: 0x8000 }];
    const session = on.sessions.get(on.cxh.uuid)!;
    session.compressAheadUnused = 0;
    let predicted = 0;
    let used = 0;
    for (let i = 0; i < 40; i++) {
      const k = i % 2;
      const pending = session.compressAhead;
      const a = await call(on, onH[k]!, req, CHAIN, 0x10000);
      const b = await call(off, offH[k]!, req, CHAIN, 0x10000);
      expect(a.rgbOut.equals(b.rgbOut)).toBe(true);
      if (pending) used += pending.hits;
      if (session.compressAhead) predicted++;
      await pause();
    }
    expect(used).toBe(0); // each prediction was for the other download
    expect(predicted).toBeLessThanOrEqual(3 + 3); // three, then one every 16th call
    expect(predicted).toBeGreaterThanOrEqual(3);
  });
});
