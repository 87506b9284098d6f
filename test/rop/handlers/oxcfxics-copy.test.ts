// MS-OXCFXICS FastTransfer copy ROPs through the handler harness (codecs, dispatcher, LocalStore): CopyTo of a
// message with recipients, attachments, an embedded message and a 1 MB body read with GetBuffer loops of small and
// 0xBABE buffers; CopyMessages of 100 messages uploaded into another folder through a destination object
// (PutBuffer, PutBufferExtended); CopyFolder recursive into another folder; out-of-order and truncated uploads
// refused with nothing stored; the producer's memory bounded while a 20 MB folder is copied; flag checks.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { SUBOBJECT } from '../../../src/rop/fxics/content.js';
import { Marker, MetaTag } from '../../../src/rop/fxics/markers.js';
import { parseAll } from '../../../src/rop/fxics/parser.js';
import { encodeElement } from '../../../src/rop/fxics/props.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import { createFxCopyHandlers, FxSourceObject } from '../../../src/rop/handlers/oxcfxics-copy.js';
import { createMessageHandlers } from '../../../src/rop/handlers/oxcmsg.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { ec } from '../../../src/rop/ec.js';
import { describeFolder, describeMessage, midsOf, richMessage, TAGS } from '../fxics/content-helpers.js';
import { ALICE, N, makeEnv, openFolder, release, type Env, type Req, type Res } from './harness.js';

let env: Env;
let mb: MailboxStore;
let L: number;

beforeEach(async () => {
  env = await makeEnv(ALICE, (d) => [createStoreHandlers(d), createFolderHandlers(d), createMessageHandlers(d), createFxCopyHandlers(d)]);
  const r = await env.logon();
  mb = r.mb;
  L = r.handle;
});
afterEach(async () => {
  await env.close();
});

const h = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const ho = (RopId: number, inp: number, out: number, body: Record<string, unknown> = {}): Req => ({ ...h(RopId, inp, body), OutputHandleIndex: out });
const rop = {
  openMessage: (inp: number, out: number, fid: bigint, mid: bigint, mode = 1) => ho(0x03, inp, out, { CodePageId: 0x0fff, FolderId: fid, OpenModeFlags: mode, MessageId: mid }),
  copyTo: (inp: number, out: number, o: { Level?: number; CopyFlags?: number; SendOptions?: number; PropertyTags?: number[] } = {}) =>
    ho(0x4d, inp, out, { Level: 0, CopyFlags: 0, SendOptions: 0x01, PropertyTags: [], ...o }),
  copyProperties: (inp: number, out: number, tags: number[], o: { Level?: number; CopyFlags?: number; SendOptions?: number } = {}) =>
    ho(0x69, inp, out, { Level: 0, CopyFlags: 0, SendOptions: 0x01, PropertyTags: tags, ...o }),
  copyMessages: (inp: number, out: number, mids: bigint[], CopyFlags = 0, SendOptions = 0x01) => ho(0x4b, inp, out, { MessageIds: mids, CopyFlags, SendOptions }),
  copyFolder: (inp: number, out: number, CopyFlags = 0x10, SendOptions = 0x01) => ho(0x4c, inp, out, { CopyFlags, SendOptions }),
  getBuffer: (inp: number, BufferSize: number, MaximumBufferSize?: number) => h(0x4e, inp, BufferSize === 0xbabe ? { BufferSize, MaximumBufferSize } : { BufferSize }),
  configure: (inp: number, out: number, SourceOperation: number, CopyFlags = 0) => ho(0x53, inp, out, { SourceOperation, CopyFlags }),
  putBuffer: (inp: number, TransferData: Buffer) => h(0x54, inp, { TransferData }),
  putBufferExtended: (inp: number, TransferData: Buffer) => h(0x9d, inp, { TransferData }),
  tellVersion: (inp: number) => h(0x86, inp, { Version: [15, 0, 1497] }),
};

async function newFolder(name: string, parent = mb.special.ipmSubtree): Promise<bigint> {
  return (await mb.createFolder(parent, { displayName: name })).fid;
}

/** Opens folder `fid` and runs `make` (a ROP creating an object from handle index 1 into index 2); the handles. */
async function onFolder(fid: bigint, make: Req): Promise<{ res: Res[]; folder: number; obj: number }> {
  const { res, handles } = await env.call([openFolder(0, 1, fid), make], [L, N, N]);
  return { res, folder: handles[1]!, obj: handles[2]! };
}

/** GetBuffer until Done: the stream, the number of calls and the largest TransferBuffer. */
async function download(src: number, BufferSize: number, MaximumBufferSize?: number, maxOutput?: number): Promise<{ stream: Buffer; calls: number; largest: number; last: Res }> {
  const parts: Buffer[] = [];
  let largest = 0;
  for (let calls = 1; calls < 100_000; calls++) {
    const { res } = await env.call([rop.getBuffer(0, BufferSize, MaximumBufferSize)], [src], maxOutput);
    const r = res[0]!;
    expect(r.ReturnValue).toBe(0);
    const b = r.TransferBuffer as Buffer;
    parts.push(b);
    largest = Math.max(largest, b.length);
    if (r.TransferStatus === 0x0003) return { stream: Buffer.concat(parts), calls, largest, last: r };
    expect(r.TransferStatus).toBe(0x0001);
  }
  throw new Error('no end');
}

/** Uploads `stream` through a destination object in pieces of `piece` bytes; the responses. */
async function upload(dest: number, stream: Buffer, piece: number, extended = false): Promise<Res[]> {
  const out: Res[] = [];
  for (let off = 0; off < stream.length; off += piece) {
    const data = stream.subarray(off, off + piece);
    const { res } = await env.call([extended ? rop.putBufferExtended(0, data) : rop.putBuffer(0, data)], [dest]);
    out.push(res[0]!);
    if (res[0]!.ReturnValue !== 0) break;
  }
  return out;
}

describe('RopFastTransferSourceCopyTo + GetBuffer', () => {
  it('a message with recipients, attachments, an embedded message and a 1 MB body: small and 0xBABE buffers give the same stream, which parses back to the same content', async () => {
    const src = await newFolder('Source');
    const mid = await richMessage(mb, src, { bodyChars: 512 * 1024, recipients: 4, attachmentBytes: 300_000, embedded: true, named: 1 });
    const original = await describeMessage(mb, mid);
    const streams: Buffer[] = [];
    for (const [size, max] of [[2048, undefined], [0xbabe, 0xffff], [0xbabe, 1000]] as const) {
      const { res, handles } = await env.call([openFolder(0, 1, src), rop.openMessage(0, 2, src, mid, 0), rop.copyTo(2, 3)], [L, N, N, N]);
      expect(res.map((r) => r.ReturnValue)).toEqual([0, 0, 0]);
      const { stream, calls, largest } = await download(handles[3]!, size, max);
      if (size === 2048) expect(largest).toBeLessThanOrEqual(2048);
      if (max === 1000) expect(largest).toBeLessThanOrEqual(1000);
      if (max === 0xffff) expect(largest).toBeGreaterThan(0x4000); // fills the ROP output buffer
      expect(calls).toBeGreaterThan(1);
      streams.push(stream);
      await env.call([release(0), release(1), release(2)], [handles[3]!, handles[2]!, handles[1]!]);
    }
    expect(streams[1]!.equals(streams[0]!)).toBe(true);
    expect(streams[2]!.equals(streams[0]!)).toBe(true);
    const els = parseAll(streams[0]!);
    expect(els.filter((e) => e.kind === 'prop' && e.tag === MetaTag.MetaTagFXDelProp).map((e) => (e as { value: number }).value >>> 0))
      .toEqual([SUBOBJECT.PidTagMessageRecipients, SUBOBJECT.PidTagMessageAttachments]);
    const body = els.find((e) => e.tag === TAGS.Body) as { value: string };
    expect(body.value.length).toBe(512 * 1024);

    // the stream uploaded onto a new message (CopyTo destination on a message) reproduces the original
    const dst = await newFolder('Dest');
    const { res, handles } = await env.call([openFolder(0, 1, dst), ho(0x06, 1, 2, { CodePageId: 0x0fff, FolderId: dst, AssociatedFlag: 0 }), rop.configure(2, 3, 0x01)], [L, N, N, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([0, 0, 0]);
    const put = await upload(handles[3]!, streams[0]!, 30_000);
    expect(put.every((r) => r.ReturnValue === 0 && (r.BufferUsedSize as number) > 0)).toBe(true);
    const saved = await env.call([release(0), h(0x0c, 1, { ResponseHandleIndex: 1, SaveFlags: 0x02 })], [handles[3]!, handles[2]!]);
    expect(saved.res[0]!.ReturnValue).toBe(0);
    const [copy] = await midsOf(mb, dst);
    expect(await describeMessage(mb, copy!)).toEqual(original);
  });

  it('CopyTo of an attachment with an embedded message, uploaded onto a new attachment of another message', async () => {
    const src = await newFolder('Source');
    const mid = await richMessage(mb, src, { embedded: true, recipients: 0 });
    const target = await richMessage(mb, src, { seed: 9, recipients: 0 });
    const { res, handles } = await env.call([openFolder(0, 1, src), rop.openMessage(0, 2, src, mid, 0), ho(0x22, 2, 3, { OpenAttachmentFlags: 0, AttachmentID: 0 }), rop.copyTo(3, 4)], [L, N, N, N, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([0, 0, 0, 0]);
    const { stream } = await download(handles[4]!, 0xbabe, 0xffff);
    const els = parseAll(stream);
    expect(els.filter((e) => e.kind === 'marker').map((e) => e.tag).slice(0, 2)).toEqual([Marker.StartEmbed, Marker.StartRecip]);
    const up = await env.call([rop.openMessage(0, 1, src, target, 1), ho(0x23, 1, 2), rop.configure(2, 3, 0x01)], [L, N, N, N]);
    expect(up.res.map((r) => r.ReturnValue)).toEqual([0, 0, 0]);
    expect((await upload(up.handles[3]!, stream, 1000)).every((r) => r.ReturnValue === 0)).toBe(true);
    const saved = await env.call([release(0), h(0x25, 1, { ResponseHandleIndex: 1, SaveFlags: 0 }), h(0x0c, 2, { ResponseHandleIndex: 2, SaveFlags: 0 })], [up.handles[3]!, up.handles[2]!, up.handles[1]!]);
    expect(saved.res.map((r) => r.ReturnValue)).toEqual([0, 0]);
    const want = (await describeMessage(mb, mid)).attachments[0];
    const got = (await describeMessage(mb, target)).attachments;
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual(want);
  });

  it('CopyProperties includes only the listed tags; Level 1 leaves the subobjects out; SendOptions 0 writes 8-bit strings', async () => {
    const src = await newFolder('Source');
    const mid = await richMessage(mb, src, { recipients: 2, attachmentBytes: 10 });
    const { handles } = await env.call([openFolder(0, 1, src), rop.openMessage(0, 2, src, mid, 0), rop.copyProperties(2, 3, [TAGS.Subject, SUBOBJECT.PidTagMessageRecipients], { SendOptions: 0 })], [L, N, N, N]);
    const els = parseAll((await download(handles[3]!, 0xbabe, 0xffff)).stream);
    // the top object's propList: PidTagSubject only, as PtypString8; then MetaTagFXDelProp and the recipients
    const firstMarker = els.findIndex((e) => e.kind === 'marker' || e.tag === MetaTag.MetaTagFXDelProp);
    expect(els.slice(0, firstMarker)).toEqual([{ kind: 'prop', tag: 0x0037001e, value: 'Subject 1 – äöü' }]);
    expect(els.filter((e) => e.tag === Marker.StartRecip)).toHaveLength(2);
    expect(els.some((e) => e.tag === Marker.NewAttach)).toBe(false);
    const { handles: h2 } = await env.call([rop.copyTo(0, 1, { Level: 1, PropertyTags: [TAGS.Body] })], [handles[2]!, N]);
    const els2 = parseAll((await download(h2[1]!, 0xbabe, 0xffff)).stream);
    expect(els2.some((e) => e.kind === 'marker')).toBe(false);
    expect(els2.some((e) => e.tag === TAGS.Body)).toBe(false);
    expect(els2.some((e) => e.tag === TAGS.Subject)).toBe(true);
  });

  it('SendOptions: UseCpid writes CodePageString in the logon code page, ForUpload keeps the stored width, ForceUnicode PtypString; a large body follows', async () => {
    const src = await newFolder('Source');
    const mid = await richMessage(mb, src, { bodyChars: 40_000 });
    const first = async (SendOptions: number) => {
      const { handles } = await env.call([openFolder(0, 1, src), rop.openMessage(0, 2, src, mid, 0), rop.copyProperties(2, 3, [TAGS.Subject, TAGS.Body], { SendOptions })], [L, N, N, N]);
      const raw = (await download(handles[3]!, 0xbabe, 0xffff)).stream;
      return { rawTag: raw.readUInt32LE(0), els: parseAll(raw) };
    };
    const cpid = await first(0x02);
    expect(cpid.rawTag).toBe(0x003784e4); // PidTagSubject as CodePageString, code page 1252
    expect(cpid.els[0]).toMatchObject({ tag: 0x0037001e, codePage: 1252, value: 'Subject 1 – äöü' });
    // a body the store keeps as a blob streams as PtypString (content.ts: large values are never converted whole)
    expect((cpid.els[1] as { tag: number }).tag).toBe(0x1000001f);
    expect((await first(0x03)).rawTag).toBe(0x0037001f);
    const fu = await first(0x08);
    expect(fu.rawTag).toBe(0x0037001f);
    expect((fu.els[1] as { value: string }).value.length).toBe(40_000);
  });

  it('unknown CopyFlags or SendOptions bits are ecInvalidParam; Move on an attachment too; GetBuffer on a folder is ecNotSupported', async () => {
    const src = await newFolder('Source');
    const mid = await richMessage(mb, src, { attachmentBytes: 10 });
    const { res } = await env.call([openFolder(0, 1, src), rop.openMessage(0, 2, src, mid, 0), rop.copyTo(2, 3, { CopyFlags: 0x100 }), rop.copyTo(2, 3, { SendOptions: 0x80 }),
      rop.copyMessages(1, 3, [mid], 0x40), rop.copyFolder(1, 3, 0x20), ho(0x22, 2, 4, { OpenAttachmentFlags: 0, AttachmentID: 0 }), rop.copyTo(4, 3, { CopyFlags: 0x01 }), rop.getBuffer(1, 100)], [L, N, N, N, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([0, 0, ec.InvalidParam, ec.InvalidParam, ec.InvalidParam, ec.InvalidParam, 0, ec.InvalidParam, ec.NotSupported]);
  });

  it('RopTellVersion is accepted on download and upload contexts; a tiny BufferSize answers NoRoom without losing bytes', async () => {
    const src = await newFolder('Source');
    const mid = await richMessage(mb, src, {});
    const { res, handles } = await env.call([openFolder(0, 1, src), rop.copyMessages(1, 2, [mid]), rop.tellVersion(2), rop.configure(1, 3, 0x03), rop.tellVersion(3)], [L, N, N, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([0, 0, 0, 0, 0]);
    const first = await env.call([rop.getBuffer(0, 2)], [handles[2]!]);
    expect(first.res[0]!.TransferStatus).toBe(0x0002);
    expect((first.res[0]!.TransferBuffer as Buffer).length).toBe(0);
    const { stream } = await download(handles[2]!, 256);
    expect(parseAll(stream)[0]).toEqual({ kind: 'marker', tag: Marker.StartMessage });
  });
});

describe('RopFastTransferSourceCopyMessages -> RopFastTransferDestinationConfigure / PutBuffer', () => {
  it('100 messages copied into another folder through a destination object exist there with the same properties', async () => {
    const a = await newFolder('A');
    const b = await newFolder('B');
    const mids: bigint[] = [];
    for (let i = 0; i < 100; i++) mids.push(await richMessage(mb, a, { seed: i + 1, recipients: i % 4, attachmentBytes: i % 10 === 0 ? 50_000 : i % 3 === 0 ? 100 : undefined, embedded: i % 25 === 0, associated: i % 20 === 7 }));
    // read state travels in PidTagMessageFlags
    expect(await mb.setReadFlags(a, mids.filter((_, i) => i % 2 === 0), true)).toHaveLength(50);
    const src = await onFolder(a, rop.copyMessages(1, 2, mids));
    expect(src.res.map((r) => r.ReturnValue)).toEqual([0, 0]);
    const { stream, last } = await download(src.obj, 0xbabe, 0xffff);
    expect(last.InProgressCount).toBe(100);
    expect(last.TotalStepCount).toBe(100);
    const dst = await onFolder(b, rop.configure(1, 2, 0x03));
    expect(dst.res.map((r) => r.ReturnValue)).toEqual([0, 0]);
    const half = stream.length >> 1;
    const put1 = await upload(dst.obj, stream.subarray(0, half), 7919);
    const put2 = await upload(dst.obj, stream.subarray(half), 16_000, true);
    expect([...put1, ...put2].every((r) => r.ReturnValue === 0)).toBe(true);
    expect(put2.at(-1)!.InProgressCount).toBe(100);
    expect(await describeFolder(mb, b)).toEqual(await describeFolder(mb, a));
    expect(await describeFolder(mb, b, true)).toEqual(await describeFolder(mb, a, true));
    expect((await midsOf(mb, b)).length + (await midsOf(mb, b, true)).length).toBe(100);
    const read = (await mb.contentsRows(b, { tags: [TAGS.MessageFlags] })).filter((r) => ((r.props.get(TAGS.MessageFlags) as number) & 1) !== 0);
    expect(read.length).toBe((await mb.contentsRows(a, { tags: [TAGS.MessageFlags] })).filter((r) => ((r.props.get(TAGS.MessageFlags) as number) & 1) !== 0).length);
    expect(read.length).toBeGreaterThan(40);
  });

  it('messages of another folder are left out', async () => {
    const a = await newFolder('A');
    const other = await newFolder('Other');
    const m1 = await richMessage(mb, a, { seed: 1 });
    const m2 = await richMessage(mb, other, { seed: 2 });
    const src = await onFolder(a, rop.copyMessages(1, 2, [m1, m2]));
    const els = parseAll((await download(src.obj, 0xbabe, 0xffff)).stream);
    expect(els.filter((e) => e.tag === Marker.StartMessage)).toHaveLength(1);
  });
});

describe('RopFastTransferSourceCopyFolder', () => {
  it('copies a folder with its messages and subfolders (CopySubfolders) into another folder through a destination object', async () => {
    const top = await newFolder('Project');
    const s1 = await newFolder('Notes', top);
    const s2 = await newFolder('Deep', s1);
    await richMessage(mb, top, { seed: 1, attachmentBytes: 70_000 });
    await richMessage(mb, top, { seed: 2, associated: true });
    await richMessage(mb, s1, { seed: 3, embedded: true });
    await richMessage(mb, s2, { seed: 4, bodyChars: 100_000 });
    const src = await onFolder(top, rop.copyFolder(1, 2, 0x10));
    const { stream } = await download(src.obj, 4096);
    const archive = await newFolder('Archive');
    const dst = await onFolder(archive, rop.configure(1, 2, 0x04));
    const put = await upload(dst.obj, stream, 3000);
    expect(put.every((r) => r.ReturnValue === 0)).toBe(true);
    expect(put.at(-1)!.TransferStatus).toBe(0x0003);
    const cTop = (await mb.findChild(archive, 'Project'))!;
    const cS1 = (await mb.findChild(cTop, 'Notes'))!;
    const cS2 = (await mb.findChild(cS1, 'Deep'))!;
    expect(cS2).not.toBeNull();
    expect(await describeFolder(mb, cTop)).toEqual(await describeFolder(mb, top));
    expect(await describeFolder(mb, cTop, true)).toEqual(await describeFolder(mb, top, true));
    expect(await describeFolder(mb, cS1)).toEqual(await describeFolder(mb, s1));
    expect(await describeFolder(mb, cS2)).toEqual(await describeFolder(mb, s2));

    // without CopySubfolders only the folder itself and its messages
    const flat = await onFolder(top, rop.copyFolder(1, 2, 0x00));
    const els = parseAll((await download(flat.obj, 0xbabe, 0xffff)).stream);
    expect(els.some((e) => e.tag === Marker.StartSubFld)).toBe(false);
    expect(els.filter((e) => e.tag === Marker.StartMessage || e.tag === Marker.StartFAIMsg)).toHaveLength(2);
  });
});

describe('bad uploads', () => {
  async function sample(): Promise<{ a: bigint; stream: Buffer }> {
    const a = await newFolder('A');
    const mids = [await richMessage(mb, a, { seed: 1, attachmentBytes: 40_000 }), await richMessage(mb, a, { seed: 2 })];
    const src = await onFolder(a, rop.copyMessages(1, 2, mids));
    return { a, stream: (await download(src.obj, 0xbabe, 0xffff)).stream };
  }
  const enc = (tag: number) => encodeElement({ kind: 'marker', tag }, { strings: 'unicode', codePage: 1252 });

  it('markers out of order: ecInvalidParam, nothing stored, the context stays refused', async () => {
    const { stream } = await sample();
    const b = await newFolder('B');
    const dst = await onFolder(b, rop.configure(1, 2, 0x03));
    // the first message's EndMessage moved before its first recipient
    const bad = Buffer.concat([enc(Marker.StartMessage), enc(Marker.StartRecip), enc(Marker.EndMessage), stream]);
    const put = await upload(dst.obj, bad, 100_000);
    expect(put[0]!.ReturnValue).toBe(ec.InvalidParam);
    expect(put[0]!.BufferUsedSize).toBe(0);
    expect(await midsOf(mb, b)).toEqual([]);
    const again = await upload(dst.obj, stream, 100_000);
    expect(again[0]!.ReturnValue).toBe(ec.InvalidParam);
    expect(await midsOf(mb, b)).toEqual([]);
  });

  it('a lexically malformed stream (unknown property type) is ecRpcFormat, nothing stored', async () => {
    const b = await newFolder('B');
    const dst = await onFolder(b, rop.configure(1, 2, 0x03));
    const bad = Buffer.concat([enc(Marker.StartMessage), Buffer.from([0x37, 0x00, 0x99, 0x09, 1, 2, 3, 4])]);
    const put = await upload(dst.obj, bad, 100_000);
    expect(put[0]!.ReturnValue).toBe(ec.RpcFormat);
    expect(await midsOf(mb, b)).toEqual([]);
  });

  it('a truncated upload (destination released inside the first message) stores nothing', async () => {
    const { stream } = await sample();
    const b = await newFolder('B');
    const dst = await onFolder(b, rop.configure(1, 2, 0x03));
    // cut inside the first message's attachment data
    const put = await upload(dst.obj, stream.subarray(0, 30_000), 4000);
    expect(put.every((r) => r.ReturnValue === 0)).toBe(true);
    await env.call([release(0)], [dst.obj]);
    expect(await midsOf(mb, b)).toEqual([]);
    // and a topFolder cut before its EndFolder keeps no half-written message either
    const top = await onFolder(b, rop.configure(1, 2, 0x04));
    const tf = Buffer.concat([enc(Marker.StartTopFld), encodeElement({ kind: 'prop', tag: TAGS.DisplayName, value: 'Cut' }, { strings: 'unicode', codePage: 1252 }), stream.subarray(0, 30_000)]);
    await upload(top.obj, tf, 5000);
    await env.call([release(0)], [top.obj]);
    const cut = await mb.findChild(b, 'Cut');
    expect(cut).not.toBeNull();
    expect(await midsOf(mb, cut!)).toEqual([]);
  });

  it('Configure: unknown SourceOperation or CopyFlags are ecInvalidParam; CopyMessages into a message too', async () => {
    const a = await newFolder('A');
    const mid = await richMessage(mb, a, {});
    const { res } = await env.call([openFolder(0, 1, a), rop.configure(1, 2, 0x05), rop.configure(1, 2, 0x01, 0x02), rop.openMessage(0, 3, a, mid, 1), rop.configure(3, 2, 0x03)], [L, N, N, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([0, ec.InvalidParam, ec.InvalidParam, 0, ec.InvalidParam]);
  });
});

describe('memory stays flat', () => {
  it('copying a 20 MB folder holds no value whole, one message object at a time, and buffers of at most the asked size', async () => {
    const big = await newFolder('Big');
    for (let i = 0; i < 20; i++) await richMessage(mb, big, { seed: i + 1, bodyChars: 256 * 1024, attachmentBytes: 512 * 1024 });
    const src = await onFolder(big, rop.copyFolder(1, 2, 0x10));
    const obj = env.runner.state.handles.get(src.obj);
    expect(obj).toBeInstanceOf(FxSourceObject);
    const stats = (obj as FxSourceObject).stats;
    const heap0 = process.memoryUsage().heapUsed;
    let peak = heap0;
    let total = 0;
    let largest = 0;
    for (;;) {
      const { res } = await env.call([rop.getBuffer(0, 0xbabe, 0xffff)], [src.obj]);
      const r = res[0]!;
      expect(r.ReturnValue).toBe(0);
      total += (r.TransferBuffer as Buffer).length;
      largest = Math.max(largest, (r.TransferBuffer as Buffer).length);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      if (r.TransferStatus === 0x0003) break;
    }
    expect(total).toBeGreaterThan(20 * 1024 * 1024);
    expect(largest).toBeLessThanOrEqual(0x8000);
    expect(stats.streamedBytes).toBeGreaterThanOrEqual(20 * 1024 * 1024);
    expect(stats.maxInlineBytes).toBeLessThan(64 * 1024);
    expect(stats.maxOpenMessages).toBe(1);
    expect(stats.messages).toBe(20);
    // the heap does not grow with the folder (a whole-folder buffer would add > 20 MB)
    expect(peak - heap0).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
