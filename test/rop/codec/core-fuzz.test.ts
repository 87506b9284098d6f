// Every core ROP codec (CORE_CODECS): arbitrary and mutated bytes into the request (and response) decoders give a
// value or a coded error, never a RangeError/TypeError; what decodes re-encodes to bytes that decode and encode to
// the same bytes again; generated responses round-trip; failure forms carry the bodies the spec defines.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { CORE_CODECS } from '../../../src/rop/codec/core.js';
import type { CodecContext, RopCodec, RopRequestHeader, RopResponse } from '../../../src/rop/types.js';
import { ProtocolError } from '../../../src/util/errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCodec = RopCodec<any, any>;

const contexts: CodecContext[] = [
  { codePage: 1252 },
  { codePage: 65001, logonOpenFlags: () => 0x01000000 },
  { codePage: 932, logonOpenFlags: () => 0 },
];

const vectors = (
  JSON.parse(readFileSync(new URL('../../../fixtures/vectors/rop-buffers-from-specs.json', import.meta.url), 'utf8')) as {
    vectors: Array<{ rop: string; direction: string; coverage: string; hex: string }>;
  }
).vectors.filter((v) => v.direction === 'request' && !(v.coverage ?? '').startsWith('ROP-specific'));

function tryDecodeReq(codec: AnyCodec, bytes: Uint8Array, ctx: CodecContext): RopRequestHeader | undefined {
  try {
    return codec.decodeRequest(new RopReader(bytes), ctx);
  } catch (e) {
    expect(e, `${codec.name}: ${String(e)}`).toBeInstanceOf(ProtocolError);
    return undefined;
  }
}

function encReq(codec: AnyCodec, req: RopRequestHeader, ctx: CodecContext): Buffer {
  const w = new RopWriter(16);
  codec.encodeRequest(w, req, ctx);
  return Buffer.from(w.result());
}

function encRes(codec: AnyCodec, res: RopResponse, ctx: CodecContext, req: RopRequestHeader): Buffer {
  const w = new RopWriter(16);
  codec.encodeResponse(w, res, ctx, req);
  return Buffer.from(w.result());
}

/** Request bytes for `codec`: its RopId, then arbitrary bytes, or a spec vector of that ROP with mutations. */
function requestBytes(codec: AnyCodec): fc.Arbitrary<Uint8Array> {
  const seeds = vectors.filter((v) => v.rop === codec.name).map((v) => Buffer.from(v.hex, 'hex'));
  const random = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.concat([Buffer.from([codec.RopId]), b]));
  const anything = fc.uint8Array({ maxLength: 40 });
  if (seeds.length === 0) return fc.oneof(random, anything);
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat())
    .map(([s, muts, cut]) => {
      const b = Buffer.from(s);
      for (const [at, v] of muts) if (at % b.length !== 0) b[at % b.length] = v;
      return b.subarray(0, 1 + (cut % b.length));
    });
  return fc.oneof(random, mutated, fc.constantFrom(...seeds), anything);
}

describe('core ROP request decoders', () => {
  it('lists 60 codecs with distinct RopIds', () => {
    expect(CORE_CODECS).toHaveLength(60);
    expect(new Set(CORE_CODECS.map((c) => c.RopId)).size).toBe(60);
  });

  for (const codec of CORE_CODECS as AnyCodec[]) {
    it(`${codec.name}: arbitrary/mutated bytes give a request or a coded error; what decodes re-encodes stably`, () => {
      fc.assert(
        fc.property(requestBytes(codec), fc.constantFrom(...contexts), (bytes, ctx) => {
          const req = tryDecodeReq(codec, bytes, ctx);
          if (!req) return;
          const b1 = encReq(codec, req, ctx);
          const r = new RopReader(b1);
          const again = codec.decodeRequest(r, ctx);
          expect(r.left).toBe(0);
          expect(encReq(codec, again, ctx)).toEqual(b1);
        }),
        { numRuns: 400 },
      );
    });

    if (!codec.hasResponse) continue;
    it(`${codec.name}: arbitrary response bytes decode or fail with a coded error; what decodes re-encodes stably`, () => {
      fc.assert(
        fc.property(
          requestBytes(codec),
          fc.constantFrom(0, 0, 0, 0x80004005, 0x00000503, 0x00000478, 0x00040380),
          fc.uint8Array({ maxLength: 120 }),
          fc.constantFrom(...contexts),
          (reqBytes, rv, body, ctx) => {
            const req = tryDecodeReq(codec, reqBytes, ctx);
            if (!req) return;
            const head = Buffer.alloc(6);
            head[0] = codec.RopId;
            head[1] = 1;
            head.writeUInt32LE(rv, 2);
            let res: RopResponse;
            try {
              res = codec.decodeResponse(new RopReader(Buffer.concat([head, body])), ctx, req);
            } catch (e) {
              expect(e, `${codec.name}: ${String(e)}`).toBeInstanceOf(ProtocolError);
              return;
            }
            const b1 = encRes(codec, res, ctx, req);
            const r = new RopReader(b1);
            const again = codec.decodeResponse(r, ctx, req);
            expect(r.left).toBe(0);
            expect(encRes(codec, again, ctx, req)).toEqual(b1);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('failure responses', () => {
  const byName = new Map((CORE_CODECS as AnyCodec[]).map((c) => [c.name, c]));
  const req = (name: string, extra: Record<string, unknown> = {}) => ({ RopId: byName.get(name)!.RopId, LogonId: 0, InputHandleIndex: 1, ...extra });
  const ctx = contexts[0]!;

  it('most ROPs answer a failure with the 6-byte prefix only', () => {
    for (const name of ['RopOpenFolder', 'RopGetPropertiesSpecific', 'RopQueryRows', 'RopSetColumns', 'RopGetReceiveFolder', 'RopCopyTo']) {
      const c = byName.get(name)!;
      expect(encRes(c, { RopId: c.RopId, HandleIndex: 1, ReturnValue: 0x8004010f }, ctx, req(name)).toString('hex')).toBe(
        `${c.RopId.toString(16).padStart(2, '0')}010f010480`,
      );
    }
  });

  it('ecDstNullObject carries DestHandleIndex (u32) and, for the move/copy ROPs, PartialCompletion', () => {
    const mc = byName.get('RopMoveCopyMessages')!;
    expect(encRes(mc, { RopId: 0x33, HandleIndex: 0, ReturnValue: 0x503, DestHandleIndex: 2 }, ctx, req('RopMoveCopyMessages')).toString('hex')).toBe(
      '3300030500000200000000',
    );
    const cp = byName.get('RopCopyProperties')!;
    expect(encRes(cp, { RopId: 0x67, HandleIndex: 0, ReturnValue: 0x503, DestHandleIndex: 2 }, ctx, req('RopCopyProperties')).toString('hex')).toBe(
      '670003050000' + '02000000',
    );
  });

  it('the delete/empty/move ROPs keep PartialCompletion on any failure', () => {
    for (const name of ['RopDeleteFolder', 'RopDeleteMessages', 'RopHardDeleteMessages', 'RopEmptyFolder', 'RopHardDeleteMessagesAndSubfolders', 'RopMoveFolder', 'RopCopyFolder']) {
      const c = byName.get(name)!;
      expect(encRes(c, { RopId: c.RopId, HandleIndex: 1, ReturnValue: 0x80070005, PartialCompletion: 1 }, ctx, req(name)).length).toBe(7);
    }
  });

  it('RopLogon ecWrongServer carries LogonFlags, ServerNameSize and ServerName', () => {
    const c = byName.get('RopLogon')!;
    const q = { RopId: 0xfe, LogonId: 0, InputHandleIndex: undefined, OutputHandleIndex: 0 } as unknown as RopRequestHeader;
    const b = encRes(c, { RopId: 0xfe, HandleIndex: 0, ReturnValue: 0x478, LogonFlags: 1, ServerName: 'mbx2' }, ctx, q);
    expect(b.toString('hex')).toBe('fe0078040000' + '01' + '05' + Buffer.from('mbx2\0').toString('hex'));
    expect(c.decodeResponse(new RopReader(b), ctx, q)).toMatchObject({ ReturnValue: 0x478, LogonFlags: 1, ServerName: 'mbx2' });
  });

  it('RopGetPropertyIdsFromNames keeps its ids with ecWarnWithErrors', () => {
    const c = byName.get('RopGetPropertyIdsFromNames')!;
    const b = encRes(c, { RopId: 0x56, HandleIndex: 0, ReturnValue: 0x00040380, PropertyIds: [0x8001, 0] }, ctx, req('RopGetPropertyIdsFromNames'));
    expect(b.toString('hex')).toBe('560080030400' + '0200' + '0180' + '0000');
  });

  it('a restriction past the limits is flagged on the request, the buffer goes on', () => {
    const c = byName.get('RopRestrict')!;
    const depth = 200;
    const data = Buffer.concat([Buffer.alloc(depth, 0x02), Buffer.from('0801000000', 'hex')]);
    const bytes = Buffer.concat([Buffer.from([0x14, 0, 1, 0]), Buffer.from([data.length & 0xff, data.length >> 8]), data, Buffer.from([0xff])]);
    const r = new RopReader(bytes);
    const q = c.decodeRequest(r, ctx) as { RestrictionTooComplex?: boolean; Restriction?: unknown };
    expect(q.RestrictionTooComplex).toBe(true);
    expect(q.Restriction).toBeUndefined();
    expect(r.left).toBe(1);
  });
});
