// The dispatcher with the project's ROP codecs (src/rop/codec via loadRopRegistry): the failures the dispatcher
// produces itself (ecNullObject, ecDstNullObject, ecNotImplemented, ecNotSupported, ecMAPIOOM, ecError) encode for
// every RopId, and a few requests run end to end.
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../src/mapi/buffer.js';
import { encodeRopRequests, RopRunner, splitRopBuffer } from '../../src/rop/dispatch.js';
import { ec } from '../../src/rop/ec.js';
import { loadRopRegistry } from '../../src/rop/registry.js';
import type { RopHandlerEntry, RopRequestHeader } from '../../src/rop/types.js';
import { silentLogger } from '../../src/util/log.js';

const registry = await loadRopRegistry();
const present = registry.missing.length === 0;
const log = silentLogger();
const N = 0xffffffff;

describe.skipIf(!present)('dispatcher-made failures encode for every RopId', () => {
  const fails = [ec.NullObject, ec.NotImplemented, ec.NotSupported, ec.MAPIOOM, ec.Error];
  for (const id of registry.ropIds) {
    const codec = registry.codec(id)!;
    if (!codec.hasResponse) continue;
    it(`${codec.name} (0x${id.toString(16)})`, () => {
      const req = { RopId: id, LogonId: 0, InputHandleIndex: 1, OutputHandleIndex: 2, DestHandleIndex: 3 } as RopRequestHeader;
      const bad: string[] = [];
      for (const rv of [...fails, ...(('DestHandleIndex' in (decodeSample(id) ?? {})) ? [ec.DstNullObject] : [])]) {
        const w = new RopWriter(64);
        try {
          codec.encodeResponse(w, { RopId: id, HandleIndex: codec.responseHandleIndex(req), ReturnValue: rv, DestHandleIndex: 3 } as never, { codePage: 1252 }, req);
        } catch (e) {
          bad.push(`0x${rv.toString(16)}: ${(e as Error).message}`);
        }
      }
      // server-only ROPs (RopNotify, RopPending, RopBackoff, RopBufferTooSmall) are never answered by the dispatcher
      if (isServerOnly(id)) return;
      expect(bad).toEqual([]);
    });
  }
});

function isServerOnly(id: number): boolean {
  try {
    registry.codec(id)!.decodeRequest(new RopReader(Buffer.alloc(64)), { codePage: 1252 });
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'OC_ROP_SERVER_ONLY';
  }
}

/** A request decoded from zero bytes (with the RopId in front), to see which fields the ROP has. */
function decodeSample(id: number): Record<string, unknown> | undefined {
  const b = Buffer.alloc(256);
  b[0] = id;
  try {
    return registry.codec(id)!.decodeRequest(new RopReader(b), { codePage: 1252 }) as unknown as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe.skipIf(!present)('dispatcher with the real codecs', () => {
  it('RopLogon without a handler answers ecNotImplemented at its OutputHandleIndex; with one, the logon is reachable', async () => {
    const logon = { RopId: 0xfe, LogonId: 0, OutputHandleIndex: 0, LogonFlags: 1, OpenFlags: 0x01000000, StoreState: 0, Essdn: '/o=x/ou=y/cn=Recipients/cn=alice' } as never;
    const bare = new RopRunner(registry, { session: null, log });
    const r = await bare.run(encodeRopRequests(registry, [logon], [N]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const { rops } = splitRopBuffer(r.output);
    const res = registry.codec(0xfe)!.decodeResponse(new RopReader(rops), { codePage: 1252 }, logon);
    expect(res).toMatchObject({ RopId: 0xfe, HandleIndex: 0, ReturnValue: ec.NotImplemented });

    let seen: { logon: unknown; input: unknown } | undefined;
    const handlers = new Map<number, RopHandlerEntry>([
      [0xfe, { inputKinds: 'any', handle: (q: RopRequestHeader) => ({ ec: 0, response: {}, created: { kind: 'logon', logonId: q.LogonId, parent: null } }) }],
      [0x07, { inputKinds: ['logon'], handle: (_q, ctx) => ((seen = { logon: ctx.logon, input: ctx.input }), { ec: ec.NotFound }) }],
    ]);
    const reg2 = await loadRopRegistry([handlers]);
    const run = new RopRunner(reg2, { session: null, log });
    const get = { RopId: 0x07, LogonId: 0, InputHandleIndex: 0, PropertySizeLimit: 0, WantUnicode: 1, PropertyTags: [0x3001001f] } as never;
    const ok = await run.run(encodeRopRequests(reg2, [logon, get], [N]));
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    const [h] = splitRopBuffer(ok.output).handles;
    expect(h).not.toBe(N);
    expect(run.state.logons.get(0)).toBe(run.state.handles.get(h!));
    expect(seen!.logon).toBe(run.state.logons.get(0));
    expect(seen!.input).toBe(seen!.logon);
  });

  it('RopMoveCopyMessages: ecNullObject for the source, ecDstNullObject with DestHandleIndex for the destination', async () => {
    const run = new RopRunner(registry, { session: null, log });
    const h = run.state.handles.add({ kind: 'folder', logonId: 0, parent: null })!;
    const q = (src: number, dst: number) => ({ RopId: 0x33, LogonId: 0, InputHandleIndex: src, DestHandleIndex: dst, MessageIds: [1n], WantAsynchronous: 0, WantCopy: 1 }) as never;
    const reqs = [q(1, 0), q(0, 1), q(0, 0)];
    const r = await run.run(encodeRopRequests(registry, reqs, [h, N]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const rd = new RopReader(splitRopBuffer(r.output).rops);
    const codec = registry.codec(0x33)!;
    const out = reqs.map((x) => codec.decodeResponse(rd, { codePage: 1252 }, x) as Record<string, unknown>);
    expect(out.map((x) => x.ReturnValue)).toEqual([ec.NullObject, ec.DstNullObject, ec.NotImplemented]);
    expect(out[1]!.DestHandleIndex).toBe(1);
    expect(rd.left).toBe(0);
  });
});
