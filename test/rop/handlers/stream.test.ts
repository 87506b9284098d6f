// MS-OXCPRPT stream ROPs end to end: ROP buffers through the real registry and dispatcher to a real LocalStore (the
// harness env with a configurable maxValueSize), answers decoded with the codecs and checked against what the store holds. Message and
// attachment server objects are bound into the handle table directly (the message ROPs are another module's), the
// way a RopOpenMessage / RopCreateAttachment would bind them.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailboxStore, MessageObject } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import { AttachmentServerObject, LogonObject, MessageServerObject } from '../../../src/rop/handlers/objects.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { createStreamHandlers, READ_STREAM_BABE, STREAM_OPEN, STREAM_SEEK } from '../../../src/rop/handlers/oxcprpt-stream.js';
import { MEMORY_STREAM_MAX, STREAM_EC } from '../../../src/rop/handlers/stream-object.js';
import { ALICE, N, makeEnv, openFolder, release, type Env, type Req, type Res } from './harness.js';

const PidTagBody = 0x1000001f;
const PidTagAttachDataBinary = 0x37010102;
const PidTagAttachDataObject = 0x3701000d;
const CUSTOM_BIN = 0x67000102;
const CUSTOM_STR = 0x6702001f;

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const openStream = (inp: number, out: number, PropertyTag: number, OpenModeFlags: number) => r(0x2b, inp, { OutputHandleIndex: out, PropertyTag, OpenModeFlags });
const readStream = (inp: number, ByteCount: number, MaximumByteCount?: number) =>
  r(0x2c, inp, ByteCount === READ_STREAM_BABE ? { ByteCount, MaximumByteCount } : { ByteCount });
const writeStream = (inp: number, Data: Buffer, RopId = 0x2d) => r(RopId, inp, { Data });
const commitStream = (inp: number) => r(0x5d, inp);
const getStreamSize = (inp: number) => r(0x5e, inp);
const setStreamSize = (inp: number, size: number | bigint) => r(0x2f, inp, { StreamSize: BigInt(size) });
const seekStream = (inp: number, Origin: number, Offset: number | bigint) => r(0x2e, inp, { Origin, Offset: BigInt(Offset) });
const copyToStream = (inp: number, DestHandleIndex: number, ByteCount: number | bigint) => r(0x3a, inp, { DestHandleIndex, ByteCount: BigInt(ByteCount) });

type StreamEnv = Omit<Env, 'logon'> & {
  mb: MailboxStore;
  logonHandle: number;
  logon: LogonObject;
  /** Binds a server object into the handle table (as RopOpenMessage / RopCreateAttachment would) and returns its handle. */
  bind(o: MessageServerObject | AttachmentServerObject): number;
};

/** The harness env with the store, folder and stream handlers, Alice logged on. */
async function makeStreamEnv(maxValueSize?: number): Promise<StreamEnv> {
  const env = await makeEnv(ALICE, (d) => [createStoreHandlers(d), createFolderHandlers(d), createStreamHandlers(d)], maxValueSize === undefined ? {} : { maxValueSize });
  const { handle, mb } = await env.logon();
  const logon = env.runner.state.handles.get(handle) as LogonObject;
  return { ...env, mb, logonHandle: handle, logon, bind: (o) => env.runner.state.handles.add(o)! };
}

/** A new message in the Inbox bound as a (read/write) message object; returns its handle and the store object. */
async function newMessage(env: StreamEnv, openMode = 1): Promise<{ h: number; msg: MessageObject; obj: MessageServerObject }> {
  const msg = await env.mb.newMessage(env.mb.special.inbox);
  const obj = new MessageServerObject(0, env.logon, env.logon, msg, openMode);
  return { h: env.bind(obj), msg, obj };
}

async function reopen(env: StreamEnv, mid: bigint, openMode = 0): Promise<{ h: number; msg: MessageObject }> {
  const msg = await env.mb.openMessage(mid);
  return { h: env.bind(new MessageServerObject(0, env.logon, env.logon, msg, openMode)), msg };
}

/** Opens a stream on the object of handle `h`; returns the response and the stream handle. */
async function open(env: StreamEnv, h: number, tag: number, mode: number): Promise<{ res: Res; sh: number }> {
  const { res, handles } = await env.call([openStream(0, 1, tag, mode)], [h, N]);
  return { res: res[0]!, sh: handles[1]! };
}

/** Writes `data` in RopWriteStream chunks of `chunk` bytes, several ROPs per buffer. */
async function writeAll(env: StreamEnv, sh: number, data: Buffer, chunk = 4096, perBuffer = 15): Promise<void> {
  for (let off = 0; off < data.length; off += chunk * perBuffer) {
    const reqs: Req[] = [];
    for (let o = off; o < Math.min(data.length, off + chunk * perBuffer); o += chunk) reqs.push(writeStream(0, data.subarray(o, o + chunk)));
    const { res } = await env.call(reqs, [sh]);
    for (const [i, x] of res.entries()) {
      expect(x.ReturnValue).toBe(0);
      expect(x.WrittenSize).toBe((reqs[i]!.Data as Buffer).length);
    }
  }
}

/** Reads the stream to its end with RopReadStream (plain ByteCount, or 0xBABE with a large MaximumByteCount). */
async function readAll(env: StreamEnv, sh: number, babe: boolean, maxOutput?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const req = babe ? readStream(0, READ_STREAM_BABE, 0x7fffffff) : readStream(0, 0xf000);
    const { res } = await env.call([req], [sh], maxOutput);
    expect(res[0]!.ReturnValue).toBe(0);
    const d = res[0]!.Data as Buffer;
    if (d.length === 0) break;
    parts.push(d);
  }
  return Buffer.concat(parts);
}

const pattern = (n: number, seed = 1): Buffer => {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

describe('stream ROPs (MS-OXCPRPT 3.2.5.13-26)', () => {
  let env: StreamEnv;
  beforeEach(async () => {
    env = await makeStreamEnv();
  });
  afterEach(async () => {
    await env.close();
  });

  it('writes a 5 MB body in 4 KB RopWriteStream chunks, commits, saves, and reads it back byte-identical (ByteCount and 0xBABE)', async () => {
    const body = pattern(5 * 1024 * 1024, 7);
    const { h, msg } = await newMessage(env);
    const o = await open(env, h, PidTagBody, STREAM_OPEN.Create);
    expect(o.res.ReturnValue).toBe(0);
    expect(o.res.StreamSize).toBe(0);
    await writeAll(env, o.sh, body);
    const { res } = await env.call([getStreamSize(0), commitStream(0)], [o.sh]);
    expect(res[0]!.StreamSize).toBe(body.length);
    expect(res[1]!.ReturnValue).toBe(0);
    const mid = await msg.save();

    const back = await reopen(env, mid);
    const a = await open(env, back.h, PidTagBody, STREAM_OPEN.ReadOnly);
    expect(a.res.ReturnValue).toBe(0);
    expect(a.res.StreamSize).toBe(body.length);
    expect((await readAll(env, a.sh, true)).equals(body)).toBe(true);
    const b = await open(env, back.h, PidTagBody, STREAM_OPEN.ReadOnly);
    expect((await readAll(env, b.sh, false)).equals(body)).toBe(true);
  }, 60_000);

  it('RopReadStream returns no more than fits the output buffer, and chains of 0xBABE reads cover the value', async () => {
    const data = pattern(100_000, 3);
    const { h } = await newMessage(env);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    await writeAll(env, o.sh, data);
    await env.call([seekStream(0, STREAM_SEEK.Beginning, 0)], [o.sh]);
    const { res } = await env.call([readStream(0, READ_STREAM_BABE, 50_000)], [o.sh], 1000);
    const d = res[0]!.Data as Buffer;
    // RopSize 2 + handle table 4 + response head 8
    expect(d.length).toBe(1000 - 2 - 4 - 8);
    expect(d.equals(data.subarray(0, d.length))).toBe(true);
    const rest = await readAll(env, o.sh, true, 4096);
    expect(Buffer.concat([d, rest]).equals(data)).toBe(true);
    // ByteCount smaller than the room: exactly ByteCount
    await env.call([seekStream(0, STREAM_SEEK.Beginning, 10)], [o.sh]);
    const small = await env.call([readStream(0, 5)], [o.sh]);
    expect((small.res[0]!.Data as Buffer).equals(data.subarray(10, 15))).toBe(true);
  });

  it('RopSeekStream: origins, the position reported, and StreamSeekError / StreamInvalidParam', async () => {
    const data = pattern(100);
    const { h } = await newMessage(env);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    await writeAll(env, o.sh, data);
    const { res } = await env.call(
      [
        seekStream(0, STREAM_SEEK.Beginning, 10),
        seekStream(0, STREAM_SEEK.Current, 5),
        readStream(0, 3),
        seekStream(0, STREAM_SEEK.End, -20),
        seekStream(0, STREAM_SEEK.Current, 0),
        seekStream(0, STREAM_SEEK.Current, -100),
        seekStream(0, 3, 0),
        seekStream(0, STREAM_SEEK.Beginning, 2n ** 31n + 1n),
        seekStream(0, STREAM_SEEK.Beginning, -1),
        seekStream(0, STREAM_SEEK.Current, 0),
      ],
      [o.sh],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0, STREAM_EC.StreamSeekError, STREAM_EC.StreamInvalidParam, STREAM_EC.StreamSeekError, STREAM_EC.StreamSeekError, 0]);
    expect(res[0]!.NewPosition).toBe(10n);
    expect(res[1]!.NewPosition).toBe(15n);
    expect((res[2]!.Data as Buffer).equals(data.subarray(15, 18))).toBe(true);
    expect(res[3]!.NewPosition).toBe(80n);
    expect(res[4]!.NewPosition).toBe(80n);
    // failed seeks leave the pointer alone
    expect(res[9]!.NewPosition).toBe(80n);

    // past the end of a writable stream: extended with zeros (3.2.5.18)
    const ext = await env.call([seekStream(0, STREAM_SEEK.End, 10), getStreamSize(0), seekStream(0, STREAM_SEEK.Beginning, 95), readStream(0, 100)], [o.sh]);
    expect(ext.res[0]!.NewPosition).toBe(110n);
    expect(ext.res[1]!.StreamSize).toBe(110);
    expect((ext.res[3]!.Data as Buffer).equals(Buffer.concat([data.subarray(95), Buffer.alloc(10)]))).toBe(true);
  });

  it('a read-only stream keeps its size when seeking past the end, and refuses writes and size changes', async () => {
    const { h, msg } = await newMessage(env);
    await msg.setProps([{ tag: CUSTOM_BIN, value: pattern(50) }]);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.ReadOnly);
    expect(o.res.StreamSize).toBe(50);
    const { res } = await env.call(
      [seekStream(0, STREAM_SEEK.End, 30), readStream(0, 10), getStreamSize(0), writeStream(0, Buffer.from('x')), setStreamSize(0, 10), commitStream(0)],
      [o.sh],
    );
    expect(res[0]!.NewPosition).toBe(80n);
    expect((res[1]!.Data as Buffer).length).toBe(0);
    expect(res[2]!.StreamSize).toBe(50);
    expect(res[3]!.ReturnValue).toBe(STREAM_EC.StreamAccessDenied);
    expect(res[3]!.WrittenSize).toBe(0);
    expect(res[4]!.ReturnValue).toBe(STREAM_EC.StreamAccessDenied);
    expect(res[5]!.ReturnValue).toBe(0);
  });

  it('RopSetStreamSize truncates and zero-extends; the seek pointer stays', async () => {
    const data = pattern(100, 9);
    const { h } = await newMessage(env);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    await writeAll(env, o.sh, data);
    const { res } = await env.call(
      [setStreamSize(0, 40), getStreamSize(0), seekStream(0, STREAM_SEEK.Current, 0), setStreamSize(0, 60), seekStream(0, STREAM_SEEK.Beginning, 0), readStream(0, 1000)],
      [o.sh],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(res[1]!.StreamSize).toBe(40);
    expect(res[2]!.NewPosition).toBe(100n);
    expect((res[5]!.Data as Buffer).equals(Buffer.concat([data.subarray(0, 40), Buffer.alloc(20)]))).toBe(true);
    const big = await env.call([setStreamSize(0, 2n ** 31n + 1n)], [o.sh]);
    expect(big.res[0]!.ReturnValue).toBe(STREAM_EC.StreamSizeError);
  });

  it('RopWriteStreamExtended writes like RopWriteStream with a 4-byte WrittenSize', async () => {
    const { h } = await newMessage(env);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    const { res } = await env.call([writeStream(0, pattern(3000), 0xa3), getStreamSize(0)], [o.sh]);
    expect(res[0]!.ReturnValue).toBe(0);
    expect(res[0]!.WrittenSize).toBe(3000);
    expect(res[1]!.StreamSize).toBe(3000);
  });

  it('RopCopyToStream copies from the source seek pointer to the destination seek pointer; ecDstNullObject for a gone destination', async () => {
    const data = pattern(200, 5);
    const { h: h1, msg } = await newMessage(env);
    await msg.setProps([{ tag: CUSTOM_BIN, value: data }]);
    const src = await open(env, h1, CUSTOM_BIN, STREAM_OPEN.ReadOnly);
    const dst = await open(env, h1, PidTagAttachDataBinary, STREAM_OPEN.Create);
    await env.call([writeStream(0, Buffer.from('HEAD'))], [dst.sh]);
    const { res } = await env.call(
      [seekStream(0, STREAM_SEEK.Beginning, 10), copyToStream(0, 1, 50), copyToStream(0, 1, 10_000), seekStream(1, STREAM_SEEK.Beginning, 0), readStream(1, 1000)],
      [src.sh, dst.sh],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0]);
    expect(res[1]!.ReadByteCount).toBe(50n);
    expect(res[1]!.WrittenByteCount).toBe(50n);
    expect(res[2]!.ReadByteCount).toBe(140n);
    expect((res[4]!.Data as Buffer).equals(Buffer.concat([Buffer.from('HEAD'), data.subarray(10)]))).toBe(true);

    // the destination released: ecDstNullObject with DestHandleIndex; a read-only destination: StreamAccessDenied
    const gone = await env.call([release(1), copyToStream(0, 1, 10)], [src.sh, dst.sh]);
    expect(gone.res[0]!.ReturnValue).toBe(ec.DstNullObject);
    expect(gone.res[0]!.DestHandleIndex).toBe(1);
    const ro = await open(env, h1, CUSTOM_BIN, STREAM_OPEN.ReadOnly);
    const denied = await env.call([seekStream(0, STREAM_SEEK.Beginning, 0), copyToStream(0, 1, 10)], [src.sh, ro.sh]);
    expect(denied.res[1]!.ReturnValue).toBe(STREAM_EC.StreamAccessDenied);
    expect(denied.res[1]!.ReadByteCount).toBe(0n);
    // a destination that is not a stream
    const notStream = await env.call([copyToStream(0, 1, 10)], [src.sh, h1]);
    expect(notStream.res[0]!.ReturnValue).toBe(ec.NotSupported);
  });

  it('RopOpenStream: NotFound for a missing property unless Create; ReadWrite keeps the value; types; read-only parents', async () => {
    const { h, msg } = await newMessage(env);
    await msg.setProps([{ tag: CUSTOM_STR, value: 'hello' }]);
    const { res, handles } = await env.call(
      [
        openStream(0, 1, CUSTOM_BIN, STREAM_OPEN.ReadOnly),
        openStream(0, 1, CUSTOM_BIN, STREAM_OPEN.ReadWrite),
        openStream(0, 1, CUSTOM_BIN, STREAM_OPEN.BestAccess),
        openStream(0, 1, CUSTOM_STR, STREAM_OPEN.ReadWrite),
        openStream(0, 2, 0x67030003, STREAM_OPEN.ReadOnly),
        openStream(0, 2, 0x6704000d, STREAM_OPEN.ReadOnly),
        openStream(0, 2, CUSTOM_BIN, 7),
      ],
      [h, N, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NotFound, ec.NotFound, ec.NotFound, 0, ec.NotSupported, ec.NotFound, ec.InvalidParam]);
    expect(res[3]!.StreamSize).toBe(10); // "hello" as UTF-16LE
    const rd = await env.call([readStream(0, 100)], [handles[1]!]);
    expect((rd.res[0]!.Data as Buffer).toString('utf16le')).toBe('hello');

    // a message opened read-only: write modes are AccessDenied, BestAccess opens read-only
    const saved = await msg.save();
    const ro = await reopen(env, saved, 0);
    const r2 = await env.call(
      [openStream(0, 1, CUSTOM_STR, STREAM_OPEN.Create), openStream(0, 1, CUSTOM_STR, STREAM_OPEN.ReadWrite), openStream(0, 1, CUSTOM_STR, STREAM_OPEN.BestAccess), writeStream(1, Buffer.from('x'))],
      [ro.h, N],
    );
    expect(r2.res.map((x) => x.ReturnValue)).toEqual([ec.AccessDenied, ec.AccessDenied, 0, STREAM_EC.StreamAccessDenied]);
  });

  it('streams on an attachment: PidTagAttachDataObject is the attachment data; commit puts it into the attachment', async () => {
    const { obj: mobj, msg } = await newMessage(env);
    const att = await msg.createAttachment();
    const ah = env.bind(new AttachmentServerObject(0, mobj, env.logon, att, mobj, 1));
    const data = pattern(70_000, 11);
    const o = await open(env, ah, PidTagAttachDataObject, STREAM_OPEN.Create);
    expect(o.res.ReturnValue).toBe(0);
    await writeAll(env, o.sh, data);
    expect((await env.call([commitStream(0)], [o.sh])).res[0]!.ReturnValue).toBe(0);
    await att.save();
    const mid = await msg.save();
    const back = await env.mb.openMessage(mid);
    const s = await (await back.openAttachment(att.attachNum)).openStream(PidTagAttachDataBinary, 'read');
    expect((await s.read(0, s.size())).equals(data)).toBe(true);
    // PtypObject on a message is not its data
    const m = await newMessage(env);
    expect((await open(env, m.h, PidTagAttachDataObject, STREAM_OPEN.Create)).res.ReturnValue).toBe(ec.NotFound);
  });

  it('release without commit drops the writes', async () => {
    const { h, msg } = await newMessage(env);
    await msg.setProps([{ tag: CUSTOM_BIN, value: Buffer.from('original') }]);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.ReadWrite);
    await env.call([writeStream(0, Buffer.from('CHANGED!')), release(0)], [o.sh]);
    const mid = await msg.save();
    const back = await env.mb.openMessage(mid);
    const [p] = await back.getProps([CUSTOM_BIN]);
    expect(p && 'value' in p ? p.value : null).toEqual(Buffer.from('original'));
  });

  it('streams of a released message answer ecNullObject; opening on the released handle too', async () => {
    const { h } = await newMessage(env);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    await env.call([writeStream(0, Buffer.from('abc'))], [o.sh]);
    const { res } = await env.call([release(0), readStream(1, 10), writeStream(1, Buffer.from('x')), openStream(0, 2, CUSTOM_BIN, STREAM_OPEN.Create)], [h, o.sh, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NullObject, ec.NullObject, ec.NullObject]);
    expect((res[0]!.Data as Buffer).length).toBe(0);
    expect(res[1]!.WrittenSize).toBe(0);
  });

  it('stream ROPs on other objects are NotSupported; RopOpenStream on a table or stream too', async () => {
    const { h } = await newMessage(env);
    const { res } = await env.call([readStream(0, 10), getStreamSize(0), seekStream(0, 0, 0)], [h]);
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NotSupported, ec.NotSupported, ec.NotSupported]);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    expect((await open(env, o.sh, CUSTOM_BIN, STREAM_OPEN.Create)).res.ReturnValue).toBe(ec.NotSupported);
  });

  it('RopLockRegionStream, RopUnlockRegionStream, RopWriteAndCommitStream, RopCloneStream answer ecNotImplemented as Exchange 2010+', async () => {
    const { h } = await newMessage(env);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    const region = { RegionOffset: 0n, RegionSize: 10n, LockFlags: 1 };
    const { res } = await env.call(
      [r(0x5b, 0, region), r(0x5c, 0, region), writeStream(0, Buffer.from('abc'), 0x90), r(0x3b, 0, { OutputHandleIndex: 1 }), getStreamSize(0)],
      [o.sh, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NotImplemented, ec.NotImplemented, ec.NotImplemented, ec.NotImplemented, 0]);
    expect(res[2]!.WrittenSize).toBe(0);
    expect(res[4]!.StreamSize).toBe(0);
  });

  it('folder streams: PtypBinary in memory, stored by RopCommitStream; dropped without it', async () => {
    const inbox = env.mb.special.inbox;
    const f = await env.call([openFolder(0, 1, inbox)], [env.logonHandle, N]);
    const fh = f.handles[1]!;
    const none = await open(env, fh, CUSTOM_BIN, STREAM_OPEN.ReadOnly);
    expect(none.res.ReturnValue).toBe(ec.NotFound);
    expect((await open(env, fh, CUSTOM_STR, STREAM_OPEN.Create)).res.ReturnValue).toBe(ec.NotSupported);
    const o = await open(env, fh, CUSTOM_BIN, STREAM_OPEN.Create);
    expect(o.res.ReturnValue).toBe(0);
    await env.call([writeStream(0, Buffer.from('folder data')), commitStream(0)], [o.sh]);
    let [p] = await env.mb.getFolderProps(inbox, [CUSTOM_BIN]);
    expect(p && 'value' in p ? p.value : null).toEqual(Buffer.from('folder data'));
    const o2 = await open(env, fh, CUSTOM_BIN, STREAM_OPEN.ReadWrite);
    expect(o2.res.StreamSize).toBe(11);
    await env.call([seekStream(0, STREAM_SEEK.End, 0), writeStream(0, Buffer.from(' more')), release(0)], [o2.sh]);
    [p] = await env.mb.getFolderProps(inbox, [CUSTOM_BIN]);
    expect(p && 'value' in p ? p.value : null).toEqual(Buffer.from('folder data'));
    // bounded: past MEMORY_STREAM_MAX is ecTooBig and the value stays
    const o3 = await open(env, fh, CUSTOM_BIN, STREAM_OPEN.ReadWrite);
    const big = await env.call(
      [seekStream(0, STREAM_SEEK.Beginning, MEMORY_STREAM_MAX + 1), seekStream(0, STREAM_SEEK.Beginning, MEMORY_STREAM_MAX - 2), writeStream(0, Buffer.from('abcd')), release(0)],
      [o3.sh],
    );
    expect(big.res.map((x) => x.ReturnValue)).toEqual([STREAM_EC.StreamSeekError, 0, ec.TooBig]);
    expect(big.res[2]!.WrittenSize).toBe(0);
    [p] = await env.mb.getFolderProps(inbox, [CUSTOM_BIN]);
    expect(p && 'value' in p ? p.value : null).toEqual(Buffer.from('folder data'));
  });

  it('logon streams read and write store properties', async () => {
    const o = await open(env, env.logonHandle, CUSTOM_BIN, STREAM_OPEN.Create);
    expect(o.res.ReturnValue).toBe(0);
    await env.call([writeStream(0, Buffer.from('store')), commitStream(0)], [o.sh]);
    const [p] = await env.mb.storeProps([CUSTOM_BIN]);
    expect(p && 'value' in p ? p.value : null).toEqual(Buffer.from('store'));
  });
});

describe('stream limits (a store with a small maxValueSize)', () => {
  const LIMIT = 100_000;
  let env: StreamEnv;
  beforeEach(async () => {
    env = await makeStreamEnv(LIMIT);
  });
  afterEach(async () => {
    await env.close();
  });

  it('writes past the limit are refused with ecTooBig, WrittenSize 0, and nothing stored changes', async () => {
    const original = pattern(50_000, 21);
    const { h, msg } = await newMessage(env);
    const o = await open(env, h, CUSTOM_BIN, STREAM_OPEN.Create);
    await writeAll(env, o.sh, original);
    await env.call([commitStream(0), release(0)], [o.sh]);
    const mid = await msg.save();

    const back = await reopen(env, mid, 1);
    const s = await open(env, back.h, CUSTOM_BIN, STREAM_OPEN.ReadWrite);
    expect(s.res.StreamSize).toBe(original.length);
    const { res } = await env.call(
      [
        seekStream(0, STREAM_SEEK.End, 0),
        writeStream(0, pattern(40_000, 2), 0xa3),
        writeStream(0, pattern(20_000, 3), 0xa3),
        getStreamSize(0),
        setStreamSize(0, LIMIT + 1),
        seekStream(0, STREAM_SEEK.Beginning, LIMIT + 1),
        getStreamSize(0),
      ],
      [s.sh],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, ec.TooBig, 0, ec.TooBig, STREAM_EC.StreamSeekError, 0]);
    expect(res[2]!.WrittenSize).toBe(0);
    expect(res[3]!.StreamSize).toBe(90_000);
    expect(res[6]!.StreamSize).toBe(90_000);
    // released without commit: the stored value is the original
    await env.call([release(0)], [s.sh]);
    await back.msg.save();
    const again = await env.mb.openMessage(mid);
    const st = await again.openStream(CUSTOM_BIN, 'read');
    expect((await st.read(0, st.size())).equals(original)).toBe(true);
  });

  it('RopCopyToStream into a destination at its limit stops with ecTooBig and the counts copied', async () => {
    const { h, msg } = await newMessage(env);
    await msg.setProps([{ tag: CUSTOM_BIN, value: pattern(30_000, 4) }]);
    const src = await open(env, h, CUSTOM_BIN, STREAM_OPEN.ReadOnly);
    const dst = await open(env, h, PidTagBody, STREAM_OPEN.Create);
    const { res } = await env.call([seekStream(1, STREAM_SEEK.Beginning, LIMIT - 10), copyToStream(0, 1, 30_000), getStreamSize(1)], [src.sh, dst.sh]);
    expect(res[1]!.ReturnValue).toBe(ec.TooBig);
    expect(res[1]!.WrittenByteCount).toBe(0n);
    expect(res[2]!.StreamSize).toBe(LIMIT - 10);
  });
});

describe('stream ROPs against a Buffer model (fast-check)', () => {
  let env: StreamEnv;
  beforeEach(async () => {
    env = await makeStreamEnv(1 << 20);
  });
  afterEach(async () => {
    await env.close();
  });

  type Op =
    | { op: 'write'; data: Uint8Array }
    | { op: 'seek'; origin: number; offset: number }
    | { op: 'read'; count: number }
    | { op: 'size'; size: number }
    | { op: 'commit' };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('write' as const), data: fc.uint8Array({ minLength: 0, maxLength: 3000 }) }),
    fc.record({ op: fc.constant('seek' as const), origin: fc.integer({ min: 0, max: 3 }), offset: fc.integer({ min: -5000, max: 90_000 }) }),
    fc.record({ op: fc.constant('read' as const), count: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ op: fc.constant('size' as const), size: fc.integer({ min: 0, max: 80_000 }) }),
    fc.record({ op: fc.constant('commit' as const) }),
  );

  it('random write / seek / read / set-size / commit sequences match a plain Buffer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 70_000 }), fc.array(opArb, { maxLength: 25 }), async (initial, ops) => {
        const { h, msg } = await newMessage(env);
        if (initial.length > 0) await msg.setProps([{ tag: CUSTOM_BIN, value: Buffer.from(initial) }]);
        let model = Buffer.from(initial);
        let pos = 0;
        const o = await open(env, h, CUSTOM_BIN, initial.length > 0 ? STREAM_OPEN.ReadWrite : STREAM_OPEN.Create);
        expect(o.res.ReturnValue).toBe(0);
        expect(o.res.StreamSize).toBe(model.length);
        const grow = (n: number) => {
          if (n > model.length) model = Buffer.concat([model, Buffer.alloc(n - model.length)]);
        };
        for (const x of ops) {
          if (x.op === 'write') {
            const { res } = await env.call([writeStream(0, Buffer.from(x.data))], [o.sh]);
            expect(res[0]!.ReturnValue).toBe(0);
            expect(res[0]!.WrittenSize).toBe(x.data.length);
            if (x.data.length > 0) {
              grow(pos + x.data.length);
              model.set(x.data, pos);
              pos += x.data.length;
            }
          } else if (x.op === 'seek') {
            const { res } = await env.call([seekStream(0, x.origin, x.offset)], [o.sh]);
            const base = x.origin === 0 ? 0 : x.origin === 1 ? pos : model.length;
            const target = base + x.offset;
            if (x.origin > 2) expect(res[0]!.ReturnValue).toBe(STREAM_EC.StreamInvalidParam);
            else if (target < 0) expect(res[0]!.ReturnValue).toBe(STREAM_EC.StreamSeekError);
            else {
              expect(res[0]!.ReturnValue).toBe(0);
              expect(res[0]!.NewPosition).toBe(BigInt(target));
              grow(target);
              pos = target;
            }
          } else if (x.op === 'read') {
            const { res } = await env.call([readStream(0, x.count)], [o.sh]);
            const want = model.subarray(Math.min(pos, model.length), Math.min(model.length, pos + Math.min(x.count, 0x8000 - 2 - 4 - 8)));
            expect(Buffer.from(res[0]!.Data as Buffer).equals(want)).toBe(true);
            pos += want.length;
          } else if (x.op === 'size') {
            const { res } = await env.call([setStreamSize(0, x.size)], [o.sh]);
            expect(res[0]!.ReturnValue).toBe(0);
            model = x.size <= model.length ? Buffer.from(model.subarray(0, x.size)) : Buffer.concat([model, Buffer.alloc(x.size - model.length)]);
          } else {
            const { res } = await env.call([commitStream(0)], [o.sh]);
            expect(res[0]!.ReturnValue).toBe(0);
          }
          const { res } = await env.call([getStreamSize(0)], [o.sh]);
          expect(res[0]!.StreamSize).toBe(model.length);
        }
        // the whole value, read from the start
        await env.call([seekStream(0, STREAM_SEEK.Beginning, 0)], [o.sh]);
        expect((await readAll(env, o.sh, true)).equals(model)).toBe(true);
        await env.call([release(0)], [o.sh]);
        env.runner.state.release(h);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
