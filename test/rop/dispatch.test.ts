import { describe, expect, it } from 'vitest';
import { RopFormatError, RopReader } from '../../src/mapi/buffer.js';
import { buildRopBuffer, dispatchRopBuffer, NO_INPUT, RopRunner, RopSessionState, splitRopBuffer } from '../../src/rop/dispatch.js';
import { ec } from '../../src/rop/ec.js';
import { NO_HANDLE } from '../../src/rop/handles.js';
import { createRopRegistry, loadRopRegistry } from '../../src/rop/registry.js';
import type { RopContext, RopHandlerEntry, RopResponse } from '../../src/rop/types.js';
import { silentLogger } from '../../src/util/log.js';
import { FAKE, FAKE_CODECS, fakeHandlers, type FakeObject } from './dispatch-fakes.js';

const log = silentLogger();
const N = NO_HANDLE;

function runner(handlers = fakeHandlers(), maxObjects = 100) {
  const registry = createRopRegistry({ codecs: FAKE_CODECS, handlers: [handlers] });
  return new RopRunner(registry, { session: { name: 'S' }, log, maxObjects });
}

const logon = (out: number, logonId = 0) => Buffer.from([FAKE.Logon, logonId, out]);
const open = (inp: number, out: number, logonId = 0) => Buffer.from([FAKE.Open, logonId, inp, out]);
const get = (inp: number, count = 0) => Buffer.from([FAKE.Get, 0, inp, count & 0xff, count >> 8]);
const release = (inp: number) => Buffer.from([FAKE.Release, 0, inp]);
const move = (inp: number, dest: number) => Buffer.from([FAKE.Move, 0, inp, dest]);
const noHandler = (inp: number) => Buffer.from([FAKE.NoHandler, 0, inp]);

/** Decodes the responses with the fake codecs, in order. */
function responses(output: Buffer, requests: Buffer[]): { res: Array<RopResponse & Record<string, unknown>>; handles: number[]; rest: Buffer } {
  const { rops, handles } = splitRopBuffer(output);
  const r = new RopReader(rops);
  const res: Array<RopResponse & Record<string, unknown>> = [];
  for (const q of requests) {
    if (r.left === 0) break;
    if (rops[r.pos] === 0xff) break;
    const codec = FAKE_CODECS.find((c) => c.RopId === q[0])!;
    if (!codec.hasResponse) continue;
    const req = codec.decodeRequest(new RopReader(q), { codePage: 1252 });
    res.push(codec.decodeResponse(r, { codePage: 1252 }, req) as RopResponse & Record<string, unknown>);
  }
  return { res, handles, rest: rops.subarray(r.pos) };
}

async function ok(run: RopRunner, reqs: Buffer[], table: number[], max?: number) {
  const r = await run.run(buildRopBuffer(reqs, table), max);
  if (!r.ok) throw r.error;
  return { ...responses(r.output, reqs), result: r };
}

describe('ROP dispatcher', () => {
  it('runs logon, open and get; created objects land in their OutputHandleIndex slots', async () => {
    const run = runner();
    const reqs = [logon(0), open(0, 1), get(1, 3)];
    const { res, handles } = await ok(run, reqs, [N, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
    expect(res.map((x) => x.HandleIndex)).toEqual([0, 1, 1]);
    expect(res[2]!.Data).toEqual(Buffer.from([0xab, 0xab, 0xab]));
    expect(handles[0]).not.toBe(N);
    expect(handles[1]).not.toBe(N);
    expect(run.state.handles.get(handles[0]!)!.kind).toBe('logon');
    expect(run.state.handles.get(handles[1]!)!.kind).toBe('folder');
    expect(run.state.logons.get(0)!.kind).toBe('logon');
  });

  it('gives handlers the session, the logon of LogonId, the input object and the output space', async () => {
    const seen: RopContext[] = [];
    const h = fakeHandlers();
    h.set(FAKE.Move, { inputKinds: 'any', handle: (_req, ctx) => (seen.push(ctx), { ec: 0 }) });
    h.set(FAKE.NoHandler, { inputKinds: 'any', handle: (_req, ctx) => (seen.push(ctx), { ec: 0 }) });
    const run = runner(h);
    const first = await ok(run, [logon(0, 3), open(0, 1, 3)], [N, N]);
    await ok(run, [Buffer.from([FAKE.Move, 3, 0, 1]), Buffer.from([FAKE.NoHandler, 3, 1])], first.handles);
    expect(seen[0]!.session).toEqual({ name: 'S' });
    expect(seen[0]!.logon!.kind).toBe('logon');
    expect(seen[0]!.logon!.logonId).toBe(3);
    expect(seen[0]!.input.kind).toBe('logon');
    expect(seen[0]!.resolve(1)!.kind).toBe('folder');
    expect(seen[0]!.resolve(7)).toBeUndefined();
    expect(seen[1]!.input.kind).toBe('folder');
    // the first ROP's room keeps back a RopBufferTooSmall (3 bytes) carrying the 3-byte request behind it
    expect(seen[0]!.outputSpace).toBe(0x8000 - 2 - 8 - 3 - 3);
    // the last ROP gets everything left after the responses before it
    expect(seen[1]!.outputSpace).toBeLessThan(0x8000 - 2 - 8);
    expect(seen[1]!.outputSpace).toBeGreaterThan(seen[0]!.outputSpace - 64);
  });

  it('ROPs without InputHandleIndex get NO_INPUT and no kind check', async () => {
    let input: unknown;
    const h = fakeHandlers();
    h.set(FAKE.Logon, { inputKinds: ['folder'], handle: (req, ctx) => ((input = ctx.input), { ec: ec.LoginFailure }) });
    const { res } = await ok(runner(h), [logon(0)], [N]);
    expect(input).toBe(NO_INPUT);
    expect(res[0]!.ReturnValue).toBe(ec.LoginFailure);
  });

  it('answers ecNullObject for an index out of range, an empty slot and a released handle, and goes on', async () => {
    const run = runner();
    const a = await ok(run, [logon(0), open(0, 1)], [N, N]);
    const folder = a.handles[1]!;
    const reqs = [get(5), get(2), release(1), get(1, 1), get(0, 0)];
    const { res } = await ok(run, reqs, [a.handles[0]!, folder, N]);
    expect(res.map((x) => [x.HandleIndex, x.ReturnValue])).toEqual([
      [5, ec.NullObject],
      [2, ec.NullObject],
      [1, ec.NullObject],
      [0, ec.NotSupported], // a logon is not a folder
    ]);
    expect(run.state.handles.get(folder)).toBeUndefined();
  });

  it('RopRelease frees the object and its children, disposing each once; no response', async () => {
    const run = runner();
    const a = await ok(run, [logon(0), open(0, 1), open(1, 2), open(2, 3)], [N, N, N, N]);
    const objs = a.handles.map((h) => run.state.handles.get(h) as FakeObject);
    const r = await ok(run, [release(1), release(1), release(7)], a.handles);
    expect(r.res).toEqual([]);
    expect(splitRopBuffer(r.result.ok ? r.result.output : Buffer.alloc(0)).rops.length).toBe(0);
    expect(objs.map((o) => o.disposed)).toEqual([false, true, true, true]);
    expect(run.state.handles.size).toBe(1);
    await ok(run, [release(0)], a.handles);
    expect(run.state.logons.size).toBe(0);
    expect(run.state.handles.size).toBe(0);
  });

  it('answers ecNotSupported for the wrong object kind and ecNotImplemented without a handler', async () => {
    const run = runner();
    const a = await ok(run, [logon(0), open(0, 1)], [N, N]);
    const { res } = await ok(run, [get(0), noHandler(1), get(1)], a.handles);
    expect(res.map((x) => [x.HandleIndex, x.ReturnValue])).toEqual([
      [0, ec.NotSupported],
      [1, ec.NotImplemented],
      [1, ec.Success],
    ]);
  });

  it('answers ecDstNullObject with DestHandleIndex when the destination is missing', async () => {
    const run = runner();
    const a = await ok(run, [logon(0), open(0, 1)], [N, N, N]);
    const { res } = await ok(run, [move(1, 2), move(1, 9), move(1, 1)], a.handles);
    expect(res.map((x) => [x.ReturnValue, x.DestHandleIndex])).toEqual([
      [ec.DstNullObject, 2],
      [ec.DstNullObject, 9],
      [0, undefined],
    ]);
  });

  it('refuses a buffer with a reserved RopId as a whole (ecRpcFormat) and releases what it opened', async () => {
    const run = runner();
    const r = await run.run(buildRopBuffer([logon(0), Buffer.from([0x99, 0, 0]), logon(1)], [N, N]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('OC_ROP_RESERVED');
    // the logon the first ROP made is gone again: the client never learnt its handle
    expect(run.state.handles.size).toBe(0);
    expect(run.state.logons.size).toBe(0);
  });

  it('fails the buffer (ecRpcFormat at the RPC layer) on a truncated ROP, and the session goes on', async () => {
    const run = runner();
    const r = await run.run(buildRopBuffer([logon(0), Buffer.from([FAKE.Get, 0, 0, 1])], [N]));
    expect(r.ok).toBe(false);
    const again = await ok(run, [logon(0)], [N]);
    expect(again.res[0]!.ReturnValue).toBe(0);
  });

  it('refuses payloads that are not ROP buffers', async () => {
    const run = runner();
    for (const p of [Buffer.alloc(0), Buffer.from([1]), Buffer.from([1, 0]), Buffer.from([9, 0, 1, 2]), Buffer.from([2, 0, 1])]) {
      expect((await run.run(p)).ok).toBe(false);
    }
    const empty = await run.run(Buffer.from([2, 0]));
    expect(empty.ok && empty.output).toEqual(Buffer.from([2, 0]));
  });

  it('writes RopBufferTooSmall with SizeNeeded and the unprocessed tail when a response does not fit', async () => {
    const run = runner();
    const a = await ok(run, [logon(0), open(0, 1)], [N, N]);
    const reqs = [get(1, 10), get(1, 200), get(1, 1)];
    const max = 2 + 8 + 18 + 40; // RopSize, handle table, first response, room for the BufferTooSmall
    const r = await run.run(buildRopBuffer(reqs, a.handles), max);
    expect(r.ok && r.stopped).toBe('bufferTooSmall');
    if (!r.ok) return;
    expect(r.output.length).toBeLessThanOrEqual(max);
    const { rops } = splitRopBuffer(r.output);
    expect(rops[0]).toBe(FAKE.Get);
    const t = rops.subarray(18);
    expect(t[0]).toBe(0xff);
    expect(t.readUInt16LE(1)).toBe(8 + 200);
    expect(t.subarray(3)).toEqual(Buffer.concat([get(1, 200), get(1, 1)]));
  });

  it('releases an object created by a ROP whose response did not fit', async () => {
    const run = runner();
    const r = await run.run(buildRopBuffer([logon(0), open(0, 1)], [N, N]), 2 + 8 + 3);
    expect(r.ok && r.stopped).toBe('bufferTooSmall');
    expect(run.state.handles.size).toBe(0);
  });

  it('enforces the per-session object limit with ecMAPIOOM', async () => {
    const run = runner(fakeHandlers(), 2);
    const { res, handles } = await ok(run, [logon(0), open(0, 1), open(0, 2)], [N, N, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, ec.MAPIOOM]);
    expect(handles[2]).toBe(N);
  });

  it('turns a handler exception into ecError and goes on', async () => {
    const h = fakeHandlers();
    h.set(FAKE.NoHandler, { inputKinds: 'any', handle: () => { throw new Error('boom'); } });
    const run = runner(h);
    const a = await ok(run, [logon(0)], [N]);
    const { res } = await ok(run, [noHandler(0), noHandler(0)], a.handles);
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.Error, ec.Error]);
  });

  it('awaits asynchronous handlers', async () => {
    const h = fakeHandlers();
    h.set(FAKE.NoHandler, { inputKinds: 'any', handle: async () => ({ ec: ec.NotFound }) } as RopHandlerEntry);
    const run = runner(h);
    const a = await ok(run, [logon(0)], [N]);
    expect((await ok(run, [noHandler(0)], a.handles)).res[0]!.ReturnValue).toBe(ec.NotFound);
  });

  it('works directly on a RopSessionState', async () => {
    const state = new RopSessionState(10);
    const registry = createRopRegistry({ codecs: FAKE_CODECS, handlers: [fakeHandlers()] });
    const r = await dispatchRopBuffer(buildRopBuffer([logon(0)], [N]), { registry, state, session: null, codePage: 1252, log, maxOutput: 100 });
    expect(r.ok).toBe(true);
    expect(state.handles.size).toBe(1);
    state.clear();
    expect(state.handles.size).toBe(0);
  });

  it('the registry refuses duplicate codecs and handlers without codecs', () => {
    expect(() => createRopRegistry({ codecs: [...FAKE_CODECS, FAKE_CODECS[0]!] })).toThrow(/two codecs/);
    expect(() => createRopRegistry({ codecs: [], handlers: [fakeHandlers()] })).toThrow(/without a codec/);
  });
});

describe('loadRopRegistry', () => {
  it('imports codec modules by path, skips missing ones, and drops handlers without codecs', async () => {
    const h = fakeHandlers();
    const reg = await loadRopRegistry([h], [
      ['../../test/rop/dispatch-fakes.js', 'FAKE_CODECS'],
      ['./codec/does-not-exist.js', 'NOPE'],
    ]);
    expect(reg.missing).toEqual(['./codec/does-not-exist.js']);
    expect(reg.ropIds).toEqual([0x01, 0x02, 0x07, 0x08, 0x33, 0xfe]);
    expect(reg.handler(FAKE.Open)).toBe(h.get(FAKE.Open));
    const none = await loadRopRegistry([h], [['./codec/does-not-exist.js', 'NOPE']]);
    expect(none.ropIds).toEqual([]);
    expect(none.handler(FAKE.Open)).toBeUndefined();
  });
});

describe('ROP dispatcher with a server-only codec', () => {
  it('treats a server-only RopId in a request as unknown: processing stops there', async () => {
    const serverOnly = {
      ...FAKE_CODECS[3]!,
      RopId: 0xff,
      name: 'RopBufferTooSmall',
      decodeRequest: () => {
        throw new RopFormatError('OC_ROP_SERVER_ONLY', 'server only');
      },
    };
    const registry = createRopRegistry({ codecs: [...FAKE_CODECS, serverOnly], handlers: [fakeHandlers()] });
    const run = new RopRunner(registry, { session: null, log });
    const r = await run.run(buildRopBuffer([logon(0), Buffer.from([0xff, 0, 0]), logon(1)], [N, N]));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('OC_ROP_SERVER_ONLY');
  });
});
