// What the dispatcher relies on for the ROPs of OTHER_CODECS: the RopId set, which handle index each response
// carries, the exact failure responses (6-byte prefix, or the spec's exceptions), the 0xBABE request forms, and the
// server-only ROPs (RopNotify, RopPending, RopBackoff, RopBufferTooSmall).
import { describe, expect, it } from 'vitest';
import { RopFormatError, RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import type { KitCodec } from '../../../src/rop/codec/kit.js';
import { OTHER_CODECS } from '../../../src/rop/codec/other.js';
import { ec } from '../../../src/rop/ec.js';
import type { CodecContext } from '../../../src/rop/types.js';

const ctx: CodecContext = { codePage: 1252 };
const codecs = OTHER_CODECS as unknown as KitCodec[];
const byId = new Map(codecs.map((c) => [c.RopId, c]));
const get = (id: number): KitCodec => byId.get(id)!;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decodeReq = (id: number, bytes: Buffer, cx: CodecContext = ctx) => {
  const r = new RopReader(bytes);
  const v = get(id).decodeRequest(r, cx) as Record<string, unknown>;
  return { v, used: r.pos };
};
const encodeRes = (id: number, res: Record<string, unknown>, req: Record<string, unknown>): Buffer => {
  const w = new RopWriter();
  get(id).encodeResponse(w, res as never, ctx, req as never);
  return Buffer.from(w.result());
};

// MS-OXCROPS 2.2.2 RopIds outside CORE_CODECS
const EXPECTED = [
  0x03, 0x06, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
  0x32, 0x34, 0x3a, 0x3b, 0x3e, 0x3f, 0x40, 0x41, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x51, 0x52, 0x53, 0x54, 0x57,
  0x5b, 0x5c, 0x5d, 0x5e, 0x66, 0x69, 0x6d, 0x6e, 0x6f, 0x70, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x7e, 0x7f, 0x80, 0x82, 0x86,
  0x90, 0x93, 0x9d, 0xa3, 0xf9, 0xff,
];
const CREATES = [0x03, 0x06, 0x21, 0x22, 0x23, 0x29, 0x2b, 0x3b, 0x3e, 0x3f, 0x46, 0x4b, 0x4c, 0x4d, 0x53, 0x69, 0x70, 0x72, 0x7e, 0x82];
const RESPONSE_HANDLE = [0x0c, 0x11, 0x25];
// ROPs whose response fields follow ReturnValue whatever it is (one "Response Buffer" in MS-OXCROPS)
const ALWAYS_BODY = [0x2c, 0x2d, 0x4e, 0x54, 0x66, 0x90, 0x9d, 0xa3];

describe('OTHER_CODECS coverage', () => {
  it('holds exactly the RopIds of MS-OXCROPS 2.2.2 that CORE_CODECS does not', () => {
    expect(codecs.map((c) => c.RopId).sort((a, b) => a - b)).toEqual(EXPECTED);
  });

  it('joins CORE_CODECS without a duplicate RopId and covers every RopId of MS-OXCROPS 2.2.2', async () => {
    let core: { RopId: number }[];
    try {
      core = ((await import('../../../src/rop/codec/core.js' as string)) as { CORE_CODECS: { RopId: number }[] }).CORE_CODECS;
    } catch {
      return; // CORE_CODECS not built yet
    }
    const all = [...core.map((c) => c.RopId), ...EXPECTED];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(132);
  });

  it('createsObject exactly for the ROPs with an OutputHandleIndex', () => {
    expect(codecs.filter((c) => c.createsObject).map((c) => c.RopId).sort((a, b) => a - b)).toEqual(CREATES);
  });
});

describe('handle index of the response prefix', () => {
  const req = { LogonId: 0, InputHandleIndex: 0x11, OutputHandleIndex: 0x22, ResponseHandleIndex: 0x33 };
  for (const c of codecs.filter((c) => ![0x2a, 0x6e, 0xf9, 0xff].includes(c.RopId))) {
    const want = CREATES.includes(c.RopId) ? 0x22 : RESPONSE_HANDLE.includes(c.RopId) ? 0x33 : 0x11;
    it(`${c.name}: ${want === 0x22 ? 'OutputHandleIndex' : want === 0x33 ? 'ResponseHandleIndex' : 'InputHandleIndex'}`, () => {
      expect(c.responseHandleIndex({ RopId: c.RopId, ...req } as never)).toBe(want);
    });
  }
});

describe('failure responses', () => {
  for (const c of codecs.filter((c) => ![0x2a, 0x6e, 0xf9, 0xff, 0x3a, ...ALWAYS_BODY].includes(c.RopId))) {
    it(`${c.name}: ecNotImplemented is the 6-byte prefix`, () => {
      const req = { RopId: c.RopId, LogonId: 0, InputHandleIndex: 4, OutputHandleIndex: 5, ResponseHandleIndex: 6 };
      const h = c.responseHandleIndex(req as never);
      const b = encodeRes(c.RopId, { RopId: c.RopId, HandleIndex: h, ReturnValue: ec.NotImplemented }, req);
      expect(b.toString('hex')).toBe(Buffer.from([c.RopId, h, 0xff, 0x0f, 0x04, 0x80]).toString('hex'));
    });
  }

  it('RopReadStream keeps DataSize (+ Data) after a failure', () => {
    const b = encodeRes(0x2c, { RopId: 0x2c, HandleIndex: 1, ReturnValue: ec.AccessDenied, Data: Buffer.alloc(0) }, { InputHandleIndex: 1 });
    expect(b.toString('hex')).toBe('2c01050007800000');
  });

  it('RopWriteStream / RopWriteStreamExtended keep WrittenSize (u16 / u32) after a failure', () => {
    expect(encodeRes(0x2d, { RopId: 0x2d, HandleIndex: 1, ReturnValue: ec.TooBig, WrittenSize: 0 }, {}).length).toBe(8);
    expect(encodeRes(0xa3, { RopId: 0xa3, HandleIndex: 1, ReturnValue: ec.TooBig, WrittenSize: 0 }, {}).length).toBe(10);
  });

  it('RopSetReadFlags keeps PartialCompletion after a failure', () => {
    expect(encodeRes(0x66, { RopId: 0x66, HandleIndex: 1, ReturnValue: ec.Error, PartialCompletion: 1 }, {}).toString('hex')).toBe('6601054000800' + '1');
  });

  it('RopCopyToStream: byte counts after any failure; DestHandleIndex (u32) first with ecDstNullObject', () => {
    const req = { RopId: 0x3a, LogonId: 0, InputHandleIndex: 1, DestHandleIndex: 2, ByteCount: 10n };
    expect(encodeRes(0x3a, { RopId: 0x3a, HandleIndex: 1, ReturnValue: ec.Error, ReadByteCount: 3n, WrittenByteCount: 2n }, req).toString('hex')).toBe(
      '3a01054000800300000000000000' + '0200000000000000',
    );
    const nd = encodeRes(0x3a, { RopId: 0x3a, HandleIndex: 1, ReturnValue: ec.DstNullObject, DestHandleIndex: 2, ReadByteCount: 0n, WrittenByteCount: 0n }, req);
    expect(nd.toString('hex')).toBe('3a01030500000200000000000000000000000000000000000000');
    expect(get(0x3a).decodeResponse(new RopReader(nd), ctx, req as never)).toEqual({
      RopId: 0x3a,
      HandleIndex: 1,
      ReturnValue: ec.DstNullObject,
      DestHandleIndex: 2,
      ReadByteCount: 0n,
      WrittenByteCount: 0n,
    });
  });

  it('RopFastTransferSourceGetBuffer: status fields after any ReturnValue; ecServerBusy: no TransferBuffer, BackoffTime', () => {
    const req = { RopId: 0x4e, LogonId: 0, InputHandleIndex: 3, BufferSize: 0xbabe, MaximumBufferSize: 0x8000 };
    const busyRes = { RopId: 0x4e, HandleIndex: 3, ReturnValue: ec.ServerBusy, TransferStatus: 0, InProgressCount: 0, TotalStepCount: 0, Reserved: 0, TransferBufferSize: 0, BackoffTime: 1500 };
    const busy = encodeRes(0x4e, busyRes, req);
    expect(busy.toString('hex')).toBe('4e0380040000' + '0000' + '0000' + '0000' + '00' + '0000' + 'dc050000');
    expect(get(0x4e).decodeResponse(new RopReader(busy), ctx, req as never)).toEqual(busyRes);
    const err = encodeRes(0x4e, { RopId: 0x4e, HandleIndex: 3, ReturnValue: ec.Error, TransferStatus: 0, InProgressCount: 0, TotalStepCount: 0, Reserved: 0, TransferBuffer: Buffer.alloc(0) }, req);
    expect(err.toString('hex')).toBe('4e0305400080' + '0000' + '0000' + '0000' + '00' + '0000');
    const ok = encodeRes(0x4e, { RopId: 0x4e, HandleIndex: 3, ReturnValue: 0, TransferStatus: 3, InProgressCount: 1, TotalStepCount: 1, Reserved: 0, TransferBuffer: hex('0300150040') }, req);
    expect(ok.toString('hex')).toBe('4e0300000000' + '0300' + '0100' + '0100' + '00' + '0500' + '0300150040');
  });
});

describe('request forms', () => {
  it('RopReadStream: MaximumByteCount only after ByteCount 0xBABE', () => {
    expect(decodeReq(0x2c, hex('2c 00 01 0010'))).toEqual({ v: { RopId: 0x2c, LogonId: 0, InputHandleIndex: 1, ByteCount: 0x1000 }, used: 5 });
    expect(decodeReq(0x2c, hex('2c 00 01 beba 00000100 ff'))).toEqual({
      v: { RopId: 0x2c, LogonId: 0, InputHandleIndex: 1, ByteCount: 0xbabe, MaximumByteCount: 0x10000 },
      used: 9,
    });
  });

  it('RopFastTransferSourceGetBuffer: MaximumBufferSize only after BufferSize 0xBABE', () => {
    expect(decodeReq(0x4e, hex('4e 00 02 7c3c')).used).toBe(5);
    expect(decodeReq(0x4e, hex('4e 00 02 beba 0080')).v).toMatchObject({ BufferSize: 0xbabe, MaximumBufferSize: 0x8000 });
  });

  it('RopRegisterNotification: FolderId and MessageId only when WantWholeStore is 0', () => {
    expect(decodeReq(0x29, hex('29 00 00 01 0e 00 01')).used).toBe(7);
    const { v, used } = decodeReq(0x29, hex('29 00 00 01 02 00 00 0100000000000001 0100000000000002'));
    expect(used).toBe(23);
    expect(v).toMatchObject({ WantWholeStore: 0, FolderId: 0x0100000000000001n, MessageId: 0x0200000000000001n });
  });

  it('RopSetMessageReadFlag: ClientData only for a public-folder logon', () => {
    const priv = decodeReq(0x11, hex('11 00 01 02 00'));
    expect(priv).toEqual({ v: { RopId: 0x11, LogonId: 0, ResponseHandleIndex: 1, InputHandleIndex: 2, ReadFlags: 0 }, used: 5 });
    const pubCtx = { codePage: 1252, isPublicLogon: (id: number) => id === 3 };
    const bytes = Buffer.concat([hex('11 03 01 02 00'), Buffer.alloc(24, 0xab)]);
    const pub = decodeReq(0x11, bytes, pubCtx);
    expect(pub.used).toBe(29);
    const req = pub.v;
    const res = { RopId: 0x11, HandleIndex: 1, ReturnValue: 0, ReadStatusChanged: 1, LogonId: 3, ClientData: Buffer.alloc(24, 0xab) };
    const b = encodeRes(0x11, res, req);
    expect(b.length).toBe(6 + 1 + 1 + 24);
    expect(get(0x11).decodeResponse(new RopReader(b), ctx, req as never)).toEqual(res);
    expect(encodeRes(0x11, { RopId: 0x11, HandleIndex: 1, ReturnValue: 0, ReadStatusChanged: 0 }, priv.v).length).toBe(7);
  });

  it('RopSynchronizationConfigure with a restriction and property tags', () => {
    // RestrictionDataSize 5: RES_EXIST (0x08) + PidTagSubject; SynchronizationExtraFlags; 1 tag
    const bytes = hex('70 00 01 02 02 00 1100 0500 08 1f003700 00000000 0100 1f003700');
    const { v, used } = decodeReq(0x70, bytes);
    expect(used).toBe(bytes.length);
    expect(v).toMatchObject({ OutputHandleIndex: 2, SynchronizationType: 2, SynchronizationFlags: 0x11, PropertyTags: [0x0037001f] });
    expect(v.RestrictionData).toEqual({ type: 'exist', propTag: 0x0037001f });
    const w = new RopWriter();
    get(0x70).encodeRequest(w, v as never, ctx);
    expect(Buffer.from(w.result()).equals(bytes)).toBe(true);
  });

  it('RopSynchronizationUploadStateStreamContinue: u32 StreamDataSize', () => {
    expect(decodeReq(0x76, hex('76 00 01 03000000 aabbcc'))).toEqual({
      v: { RopId: 0x76, LogonId: 0, InputHandleIndex: 1, StreamData: hex('aabbcc') },
      used: 10,
    });
    expect(() => decodeReq(0x76, hex('76 00 01 ffffffff aabbcc'))).toThrow(RopFormatError);
  });

  it('a truncated request is a RopFormatError', () => {
    expect(() => decodeReq(0x03, hex('03 00 00 01 ff0f 01000000'))).toThrow(RopFormatError);
    expect(() => decodeReq(0x03, hex('04 00 00 01'))).toThrow(RopFormatError);
  });
});

describe('server-only ROPs', () => {
  it('RopPending: RopId + SessionIndex', () => {
    const w = new RopWriter();
    get(0x6e).encodeResponse(w, { RopId: 0x6e, HandleIndex: 0, ReturnValue: 0, SessionIndex: 2 } as never, ctx, {} as never);
    expect(Buffer.from(w.result()).toString('hex')).toBe('6e0200');
  });

  it('RopBackoff: LogonId, Duration, per-ROP durations, AdditionalData', () => {
    const res = { RopId: 0xf9, HandleIndex: 0, ReturnValue: 0, LogonId: 1, Duration: 1000, BackoffRopData: [{ RopIdBackoff: 0x4e, Duration: 500 }], AdditionalData: Buffer.alloc(0) };
    const w = new RopWriter();
    get(0xf9).encodeResponse(w, res as never, ctx, {} as never);
    const b = Buffer.from(w.result());
    expect(b.toString('hex')).toBe('f9' + '01' + 'e8030000' + '01' + '4e' + 'f4010000' + '0000');
    expect(get(0xf9).decodeResponse(new RopReader(b), ctx, {} as never)).toEqual(res);
  });

  it('RopBufferTooSmall: SizeNeeded + the unprocessed requests to the end', () => {
    const res = { RopId: 0xff, HandleIndex: 0, ReturnValue: 0, SizeNeeded: 0x1234, RequestBuffers: hex('2c00010010') };
    const w = new RopWriter();
    get(0xff).encodeResponse(w, res as never, ctx, {} as never);
    expect(Buffer.from(w.result()).toString('hex')).toBe('ff34122c00010010');
    expect(get(0xff).decodeResponse(new RopReader(w.result()), ctx, {} as never)).toEqual(res);
  });

  it('a request with a server-only RopId is a RopFormatError', () => {
    for (const id of [0x2a, 0x6e, 0xf9, 0xff]) {
      expect(() => decodeReq(id, Buffer.from([id, 0, 0, 0, 0, 0, 0, 0]))).toThrow(RopFormatError);
    }
  });
});
