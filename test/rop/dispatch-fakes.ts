// Small fake ROP codecs and handlers for the dispatcher tests and the bench (the real codecs live in src/rop/codec).
import type { RopReader, RopWriter } from '../../src/mapi/buffer.js';
import { ec } from '../../src/rop/ec.js';
import type { RopCodec, RopHandlerEntry, RopRequestHeader, RopResponse, ServerObject } from '../../src/rop/types.js';

type Req = RopRequestHeader & { Count?: number; DestHandleIndex?: number };

function codec(spec: {
  RopId: number;
  name: string;
  input?: boolean;
  output?: boolean;
  count?: boolean;
  dest?: boolean;
  hasResponse?: boolean;
}): RopCodec<Req> {
  const input = spec.input ?? true;
  return {
    RopId: spec.RopId,
    name: spec.name,
    hasResponse: spec.hasResponse ?? true,
    createsObject: spec.output ?? false,
    decodeRequest(r: RopReader): Req {
      const req: Req = { RopId: r.u8(), LogonId: r.u8(), InputHandleIndex: undefined as unknown as number };
      if (input) req.InputHandleIndex = r.u8();
      if (spec.dest) req.DestHandleIndex = r.u8();
      if (spec.output) req.OutputHandleIndex = r.u8();
      if (spec.count) req.Count = r.u16();
      return req;
    },
    encodeRequest(w: RopWriter, req: Req): void {
      w.u8(req.RopId).u8(req.LogonId);
      if (input) w.u8(req.InputHandleIndex);
      if (spec.dest) w.u8(req.DestHandleIndex ?? 0);
      if (spec.output) w.u8(req.OutputHandleIndex ?? 0);
      if (spec.count) w.u16(req.Count ?? 0);
    },
    responseHandleIndex: (req: Req) => (spec.output ? req.OutputHandleIndex! : req.InputHandleIndex),
    encodeResponse(w: RopWriter, res: RopResponse): void {
      w.u8(res.RopId).u8(res.HandleIndex).u32(res.ReturnValue);
      if (res.ReturnValue === ec.DstNullObject && spec.dest) w.u32((res as { DestHandleIndex?: number }).DestHandleIndex ?? 0);
      if (res.ReturnValue === ec.Success && spec.count) {
        const data = (res as { Data?: Buffer }).Data ?? Buffer.alloc(0);
        w.u16(data.length).bytes(data);
      }
    },
    decodeResponse(r: RopReader, _ctx, req: Req): RopResponse {
      const res: RopResponse = { RopId: r.u8(), HandleIndex: r.u8(), ReturnValue: r.u32() };
      if (res.ReturnValue === ec.DstNullObject && spec.dest) (res as Record<string, unknown>).DestHandleIndex = r.u32();
      if (res.ReturnValue === ec.Success && spec.count) (res as Record<string, unknown>).Data = r.bytes(r.u16());
      void req;
      return res;
    },
  };
}

export const FAKE = {
  Release: 0x01,
  Open: 0x02,
  Get: 0x07,
  NoHandler: 0x08,
  Move: 0x33,
  Logon: 0xfe,
} as const;

export const FAKE_CODECS = [
  codec({ RopId: FAKE.Release, name: 'RopRelease', hasResponse: false }),
  codec({ RopId: FAKE.Open, name: 'FakeOpen', output: true }),
  codec({ RopId: FAKE.Get, name: 'FakeGet', count: true }),
  codec({ RopId: FAKE.NoHandler, name: 'FakeNoHandler' }),
  codec({ RopId: FAKE.Move, name: 'FakeMove', dest: true }),
  codec({ RopId: FAKE.Logon, name: 'FakeLogon', input: false, output: true }),
];

export interface FakeObject extends ServerObject {
  id: number;
  disposed: boolean;
}

let nextId = 1;
export function fakeObject(kind: ServerObject['kind'], logonId: number, parent: ServerObject | null): FakeObject {
  const o: FakeObject = {
    kind,
    logonId,
    parent,
    id: nextId++,
    disposed: false,
    dispose() {
      o.disposed = true;
    },
  };
  return o;
}

/** Logon creates a logon; Open (on a logon or folder) creates a folder; Get answers Count bytes; Move needs folders. */
export function fakeHandlers(): Map<number, RopHandlerEntry> {
  return new Map<number, RopHandlerEntry>([
    [FAKE.Logon, { inputKinds: 'any', handle: (req: Req) => ({ ec: 0, created: fakeObject('logon', req.LogonId, null) }) }],
    [FAKE.Open, { inputKinds: ['logon', 'folder'], handle: (_req: Req, ctx) => ({ ec: 0, created: fakeObject('folder', ctx.input.logonId, ctx.input) }) }],
    [FAKE.Get, { inputKinds: ['folder'], handle: (req: Req) => ({ ec: 0, response: { Data: Buffer.alloc(req.Count ?? 0, 0xab) } }) }],
    [FAKE.Move, { inputKinds: ['folder'], handle: () => ({ ec: 0 }) }],
  ]);
}
