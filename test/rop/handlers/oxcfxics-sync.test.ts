// MS-OXCFXICS ICS download ROPs through the handler harness: RopSynchronizationConfigure, RopFastTransferSourceGetBuffer
// (K3's handler) on the download context, the state upload ROPs and RopSynchronizationGetTransferState; bad input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdSet, eidGlobcntNumber, encodeIdsetReplGuid } from '../../../src/mapi/idset.js';
import { encodeXid } from '../../../src/mapi/ids.js';
import { encodePcl } from '../../../src/mapistore/pcl.js';
import { readGuid } from '../../../src/util/guid.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import { Marker, MetaTag } from '../../../src/rop/fxics/markers.js';
import { parseAll } from '../../../src/rop/fxics/parser.js';
import { SYNC_EXTRA, SYNC_FLAGS } from '../../../src/rop/fxics/sync-download.js';
import { TransferStatus } from '../../../src/rop/fxics/writer.js';
import { createFxCopyHandlers } from '../../../src/rop/handlers/oxcfxics-copy.js';
import { createSyncDownloadHandlers } from '../../../src/rop/handlers/oxcfxics-sync.js';
import { createUploadHandlers } from '../../../src/rop/handlers/oxcfxics-upload.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { changedMids, parseSync, populate, stateOf, stateSet, T, type ParsedSync } from '../fxics/sync-download-helpers.js';
import { ALICE, N, makeEnv, openFolder, type Env, type Req } from './harness.js';

const ALL = SYNC_FLAGS.Unicode | SYNC_FLAGS.ReadState | SYNC_FLAGS.FAI | SYNC_FLAGS.Normal;
const EXTRA = SYNC_EXTRA.Eid | SYNC_EXTRA.MessageSize | SYNC_EXTRA.Cn;

const configure = (inp: number, out: number, o: { type?: number; flags?: number; extra?: number; send?: number } = {}): Req => ({
  RopId: 0x70, LogonId: 0, InputHandleIndex: inp, OutputHandleIndex: out,
  SynchronizationType: o.type ?? 1, SendOptions: o.send ?? 0x01, SynchronizationFlags: o.flags ?? ALL,
  RestrictionData: null, SynchronizationExtraFlags: o.extra ?? EXTRA, PropertyTags: [],
});
const getBuffer = (inp: number): Req => ({ RopId: 0x4e, LogonId: 0, InputHandleIndex: inp, BufferSize: 0xbabe, MaximumBufferSize: 0x4000 });
const begin = (inp: number, StateProperty: number, TransferBufferSize: number): Req => ({ RopId: 0x75, LogonId: 0, InputHandleIndex: inp, StateProperty, TransferBufferSize });
const cont = (inp: number, StreamData: Buffer): Req => ({ RopId: 0x76, LogonId: 0, InputHandleIndex: inp, StreamData });
const end = (inp: number): Req => ({ RopId: 0x77, LogonId: 0, InputHandleIndex: inp });
const transferState = (inp: number, out: number): Req => ({ RopId: 0x82, LogonId: 0, InputHandleIndex: inp, OutputHandleIndex: out });

let env: Env;
let mb: MailboxStore;
let L: number;
let fid: bigint;

beforeEach(async () => {
  env = await makeEnv(ALICE, (d) => [createStoreHandlers(d), createFolderHandlers(d), createFxCopyHandlers(d), createSyncDownloadHandlers(d), createUploadHandlers(d)]);
  const o = await env.logon();
  mb = o.mb;
  L = o.handle;
  fid = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Sync' })).fid;
});
afterEach(async () => {
  await env.close();
});

/** Opens the folder and configures a synchronization on it; returns the context's handle. */
async function configured(o: Parameters<typeof configure>[2] = {}, folder = fid): Promise<number> {
  const { res, handles } = await env.call([openFolder(0, 1, folder), configure(1, 2, o)], [L, N, N]);
  expect(res.map((r) => r.ReturnValue)).toEqual([0, 0]);
  return handles[2]!;
}

/** Uploads state properties through Begin / Continue (in 100-byte pieces) / End. */
async function uploadState(h: number, state: { tag: number; data: Buffer }[]): Promise<void> {
  for (const s of state) {
    const reqs: Req[] = [begin(0, s.tag, s.data.length)];
    for (let i = 0; i < s.data.length; i += 100) reqs.push(cont(0, s.data.subarray(i, i + 100)));
    reqs.push(end(0));
    const { res } = await env.call(reqs, [h]);
    expect(res.every((r) => r.ReturnValue === 0)).toBe(true);
  }
}

/** Reads the whole stream through RopFastTransferSourceGetBuffer. */
async function download(h: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) {
    const { res } = await env.call([getBuffer(0)], [h]);
    const r = res[0]!;
    expect(r.ReturnValue).toBe(0);
    parts.push(r.TransferBuffer as Buffer);
    if (r.TransferStatus === TransferStatus.Done) return Buffer.concat(parts);
    expect(r.TransferStatus).toBe(TransferStatus.Partial);
  }
  throw new Error('no end');
}

async function sync(state: { tag: number; data: Buffer }[] = [], o: Parameters<typeof configure>[2] = {}): Promise<ParsedSync> {
  const h = await configured(o);
  await uploadState(h, state);
  return parseSync(await download(h));
}

const sortIds = (a: bigint[]): bigint[] => [...a].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

describe('RopSynchronizationConfigure + GetBuffer', () => {
  it('first sync of 50 messages, state uploaded back, then exactly the changes', async () => {
    const made = await populate(mb, fid, 50);
    const first = await sync();
    expect(first.changes).toHaveLength(50);
    for (const c of first.changes) {
      const mid = c.header.get(T.Mid) as bigint;
      const k = made.findIndex((m) => m.mid === mid);
      expect(c.props.get(T.Subject)).toBe(`msg ${k}`);
      expect(((c.props.get(T.MessageFlags) as number) & 1) !== 0).toBe(made[k]!.read);
      expect(c.children.includes('StartRecip')).toBe(!made[k]!.assoc);
      expect(c.children.includes('NewAttach')).toBe(k % 3 === 0 && !made[k]!.assoc);
    }
    const normal = made.filter((m) => !m.assoc);
    const modified = normal.slice(0, 3).map((m) => m.mid);
    const deleted = normal.slice(3, 5).map((m) => m.mid);
    const toRead = normal.filter((m) => !m.read).slice(3, 7).map((m) => m.mid);
    for (const mid of modified) await mb.setMessageProps(mid, [{ tag: T.Subject, value: 'changed' }]);
    await mb.deleteMessages(fid, [deleted[0]!]);
    await mb.deleteMessages(fid, [deleted[1]!], { hard: true });
    await mb.setReadFlags(fid, toRead, true);
    const [added] = await mb.bulkInsertMessages(fid, [{ props: [{ tag: T.Subject, value: 'added' }] }]);

    const second = await sync(stateOf(first));
    expect(sortIds(changedMids(second))).toEqual(sortIds([...modified, added!]));
    expect(sortIds(second.deleted)).toEqual(sortIds(deleted));
    expect(sortIds(second.read)).toEqual(sortIds(toRead));
    const third = await sync(stateOf(second));
    expect(third.top).toEqual(['IncrSyncStateBegin', 'IncrSyncStateEnd', 'IncrSyncEnd']);
  });

  it('hierarchy synchronization through the ROPs', async () => {
    const a = (await mb.createFolder(fid, { displayName: 'A' })).fid;
    await mb.createFolder(a, { displayName: 'B' });
    const first = await sync([], { type: 2, flags: SYNC_FLAGS.Unicode });
    expect(first.folders.map((f) => f.get(T.DisplayName))).toEqual(['A', 'B']);
    await mb.moveFolder(a, fid, 'A renamed');
    const second = await sync(stateOf(first), { type: 2, flags: SYNC_FLAGS.Unicode });
    expect(second.folders.map((f) => f.get(T.DisplayName))).toEqual(['A renamed']);
  });

  it('a mirroring backend refreshes first: refreshHierarchy for a hierarchy sync, refreshFolder for a contents sync', async () => {
    const calls: string[] = [];
    const store = mb as MailboxStore & { refreshHierarchy?: () => Promise<void>; refreshFolder?: (f: bigint) => Promise<void> };
    // what the IMAP backend would find on its server during the refresh: a folder, a message
    store.refreshHierarchy = async () => {
      calls.push('hierarchy');
      await mb.createFolder(fid, { displayName: 'From IMAP' });
    };
    store.refreshFolder = async (f) => {
      calls.push(f === fid ? 'folder' : 'other folder');
      await mb.bulkInsertMessages(f, [{ props: [{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: 'from IMAP' }] }]);
    };
    const h = await sync([], { type: 2, flags: SYNC_FLAGS.Unicode });
    expect(h.folders.map((f) => f.get(T.DisplayName))).toEqual(['From IMAP']);
    const c = await sync([], { type: 1, flags: SYNC_FLAGS.Unicode | SYNC_FLAGS.Normal });
    expect(c.changes.map((m) => m.props.get(T.Subject))).toEqual(['from IMAP']);
    expect(calls).toEqual(['hierarchy', 'folder']);
  });

  it('RopSynchronizationGetTransferState: initial state before the download, final state after', async () => {
    await populate(mb, fid, 5);
    const h = await configured();
    const given = new IdSet<string>().addGlobcnt(mb.replGuid.toLowerCase(), 1, 1);
    await uploadState(h, [{ tag: MetaTag.MetaTagIdsetGiven, data: encodeIdsetReplGuid(given) }]);
    const stateStream = async (): Promise<Map<number, Buffer>> => {
      const { res, handles } = await env.call([transferState(0, 1)], [h, N]);
      expect(res[0]!.ReturnValue).toBe(0);
      const els = parseAll(await download(handles[1]!));
      expect(els[0]).toEqual({ kind: 'marker', tag: Marker.IncrSyncStateBegin });
      expect(els[els.length - 1]).toEqual({ kind: 'marker', tag: Marker.IncrSyncStateEnd });
      return new Map(els.filter((e) => e.kind === 'prop').map((e) => [(e as { tag: number }).tag, (e as { value: Buffer }).value]));
    };
    const before = await stateStream();
    expect(before.get(MetaTag.MetaTagIdsetGiven)).toEqual(encodeIdsetReplGuid(given));
    const p = parseSync(await download(h));
    const after = await stateStream();
    expect(after.get(MetaTag.MetaTagIdsetGiven)).toEqual(p.state.get(MetaTag.MetaTagIdsetGiven));
    expect(after.get(MetaTag.MetaTagCnsetSeen)).toEqual(p.state.get(MetaTag.MetaTagCnsetSeen));
  });
});

describe('RopSynchronizationGetTransferState on an upload context', () => {
  const openCollector = (inp: number, out: number, contents: boolean): Req => ({ RopId: 0x7e, LogonId: 0, InputHandleIndex: inp, OutputHandleIndex: out, IsContentsCollector: contents ? 1 : 0 });
  const stateProps = async (h: number): Promise<{ marker: number[]; props: Map<number, Buffer> }> => {
    const { res, handles } = await env.call([transferState(0, 1)], [h, N]);
    expect(res[0]!.ReturnValue).toBe(0);
    const els = parseAll(await download(handles[1]!));
    return {
      marker: els.filter((e) => e.kind === 'marker').map((e) => (e as { tag: number }).tag),
      props: new Map(els.filter((e) => e.kind === 'prop').map((e) => [(e as { tag: number }).tag >>> 0, (e as { value: Buffer }).value])),
    };
  };

  it('returns the checkpoint state without MetaTagIdsetGiven (MS-OXCFXICS 3.2.5.2.1, 3.3.5.13), even when the client uploaded one', async () => {
    await populate(mb, fid, 4);
    const first = await sync();
    for (const contents of [true, false]) {
      const { res, handles } = await env.call([openFolder(0, 1, fid), openCollector(1, 2, contents)], [L, N, N]);
      expect(res.map((r) => r.ReturnValue)).toEqual([0, 0]);
      const col = handles[2]!;
      // the client SHOULD leave MetaTagIdsetGiven out; when it does not, the server ignores it (3.1.5.2.1)
      await uploadState(col, stateOf(first));
      const { marker, props } = await stateProps(col);
      expect(marker).toEqual([Marker.IncrSyncStateBegin, Marker.IncrSyncStateEnd]);
      expect(props.has(MetaTag.MetaTagIdsetGiven)).toBe(false);
      expect(props.has(0x40170102)).toBe(false);
      expect([...props.keys()]).toEqual(contents
        ? [MetaTag.MetaTagCnsetSeen, MetaTag.MetaTagCnsetSeenFAI, MetaTag.MetaTagCnsetRead]
        : [MetaTag.MetaTagCnsetSeen]);
      expect(props.get(MetaTag.MetaTagCnsetSeen)).toEqual(first.state.get(MetaTag.MetaTagCnsetSeen));
    }
    // a download context still returns all four
    const h = await configured();
    await uploadState(h, stateOf(first));
    const { props } = await stateProps(h);
    expect([...props.keys()]).toEqual([MetaTag.MetaTagIdsetGiven, MetaTag.MetaTagCnsetSeen, MetaTag.MetaTagCnsetSeenFAI, MetaTag.MetaTagCnsetRead]);
  });
});

describe('follow-ups through the ROPs', () => {
  it('a message the client imported under its own key: that key in the header (the server\'s GID with NoForeignIdentifiers); PartialItem gets full changes with MetaTagFXDelProp', async () => {
    const x = Number(await mb.allocateClientRange(4)); // a GLOBCNT (RopGetLocalReplicaIds), not an EID
    const sk = encodeXid(mb.replGuid, BigInt(x));
    const mid = await mb.createMessage(fid, { props: [{ tag: T.Subject, value: 'offline' }] });
    const ck = encodeXid('6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b', 9n);
    await mb.setChangeTracking('message', mid, { sourceKey: sk, changeKey: ck, pcl: encodePcl([{ guid: readGuid(ck, 0), localId: ck.subarray(16) }]), pclMode: 'replace' });
    // SendOptions Unicode | PartialItem
    const h = await configured({ send: 0x11 });
    const raw = await download(h);
    const p = parseSync(raw);
    expect(p.top.filter((n) => n === 'IncrSyncChg')).toHaveLength(1);
    expect(p.changes[0]!.header.get(T.SourceKey)).toEqual(sk);
    expect(stateSet(p, MetaTag.MetaTagIdsetGiven).hasGlobcnt(mb.replGuid.toLowerCase(), x)).toBe(true);
    const delProps = parseAll(raw).filter((e) => e.kind === 'prop' && e.tag >>> 0 === MetaTag.MetaTagFXDelProp).map((e) => (e as { value: number }).value >>> 0);
    expect(delProps).toEqual([0x0e12000d, 0x0e13000d]);
    // NoForeignIdentifiers: the server's GID of the MID
    const nf = await sync([], { flags: ALL | SYNC_FLAGS.NoForeignIdentifiers });
    const sent = nf.changes[0]!.header.get(T.SourceKey) as Buffer;
    expect(sent).toEqual(encodeXid(mb.replGuid, BigInt(eidGlobcntNumber(mid))));
    // the deletion is named by the client's id
    await mb.deleteMessages(fid, [mid]);
    const second = await sync(stateOf(p));
    expect(second.deleted.map((d) => eidGlobcntNumber(d))).toEqual([x]);
  });
});

describe('bad input', () => {
  it('refuses an unknown SynchronizationType or SendOptions bit, and a configure on the logon', async () => {
    const { res } = await env.call([openFolder(0, 1, fid), configure(1, 2, { type: 3 }), configure(1, 2, { send: 0x80 }), configure(0, 2)], [L, N, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([0, ec.InvalidParam, ec.InvalidParam, ec.NotSupported]);
  });

  it('refuses corrupt state streams (ecRpcFormat for IDSETs that do not decode, else their codes) and keeps the state it had', async () => {
    await populate(mb, fid, 6);
    const first = await sync();
    await mb.bulkInsertMessages(fid, [{ props: [{ tag: T.Subject, value: 'one more' }] }]);
    const h = await configured();
    await uploadState(h, stateOf(first));
    const good = first.state.get(MetaTag.MetaTagCnsetSeen)!;
    const corrupt = Buffer.concat([good.subarray(0, 16), Buffer.from([0x07, 1, 2, 3])]);
    const last = eidGlobcntNumber(await mb.currentCn());
    const future = encodeIdsetReplGuid(new IdSet<string>().addGlobcnt(mb.replGuid.toLowerCase(), 1, last + 50));
    const guid = good.subarray(0, 16);
    const reversed = Buffer.concat([guid, Buffer.from([0x05, 0, 0, 0, 0, 0, 0x52, 9, 2, 0x00])]);
    const overlapping = Buffer.concat([guid, Buffer.from([0x05, 0, 0, 0, 0, 0, 0x52, 1, 10, 0x52, 5, 8, 0x50, 0x00])]);
    const { res } = await env.call([
      begin(0, MetaTag.MetaTagCnsetSeen, corrupt.length), cont(0, corrupt), end(0), // bad IDSET
      begin(0, MetaTag.MetaTagCnsetSeen, 4), cont(0, Buffer.alloc(8)), // longer than announced
      end(0), // no upload in progress
      begin(0, 0x0e080003, 4), // not a state property
      begin(0, MetaTag.MetaTagCnsetSeen, good.length), cont(0, good.subarray(0, 5)), end(0), // fewer bytes than announced
      begin(0, MetaTag.MetaTagCnsetRead, future.length), cont(0, future), end(0), // CNs never issued
      begin(0, MetaTag.MetaTagCnsetSeen, 18), cont(0, good.subarray(0, 18)), end(0), // a truncated IDSET
      begin(0, MetaTag.MetaTagCnsetSeen, reversed.length), cont(0, reversed), end(0), // Range with low > high
      begin(0, MetaTag.MetaTagIdsetGiven, overlapping.length), cont(0, overlapping), end(0), // overlapping ranges
    ], [h]);
    // MS-OXCFXICS 3.1.5.4.3.2: a decoding failure SHOULD be ecRpcFormat (0x4B6)
    expect(res.map((r) => r.ReturnValue)).toEqual([
      0, 0, ec.RpcFormat, 0, ec.InvalidParam, ec.Error, ec.InvalidParam, 0, 0, ec.InvalidParam, 0, 0, ec.InvalidParam,
      0, 0, ec.RpcFormat, 0, 0, ec.RpcFormat, 0, 0, ec.RpcFormat,
    ]);
    expect(ec.RpcFormat).toBe(0x000004b6);
    // the state is the one uploaded before: only the new message comes
    const p = parseSync(await download(h));
    expect(p.changes).toHaveLength(1);
    expect(p.changes[0]!.props.get(T.Subject)).toBe('one more');
    expect(stateSet(p, MetaTag.MetaTagIdsetGiven).size()).toBe(7);
    // no state upload once the download has begun
    const { res: late } = await env.call([begin(0, MetaTag.MetaTagCnsetSeen, 0)], [h]);
    expect(late[0]!.ReturnValue).toBe(ec.Error);
  });
});
