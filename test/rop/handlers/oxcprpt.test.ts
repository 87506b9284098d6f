// MS-OXCPRPT property ROPs end to end on logon and folder objects: ROP buffers through the real registry and
// dispatcher to a real LocalStore, answers decoded with the codecs and checked against what the store holds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RopReader } from '../../../src/mapi/buffer.js';
import { PS_MAPI, PS_PUBLIC_STRINGS, type PropertyName } from '../../../src/mapi/named.js';
import { MAPI_E, PT, makeTag } from '../../../src/mapi/props.js';
import { readPropertyRow, type RowCell } from '../../../src/mapi/ropprops.js';
import { TAG } from '../../../src/mapistore/tags.js';
import type { MailboxStore, PropResult, Store } from '../../../src/mapistore/types.js';
import { encodeRopRequests, RopRunner, splitRopBuffer } from '../../../src/rop/dispatch.js';
import { ec } from '../../../src/rop/ec.js';
import { createMailboxHandlers } from '../../../src/rop/handlers/index.js';
import type { RopRegistry } from '../../../src/rop/registry.js';
import type { RopRequestHeader, RopResponse } from '../../../src/rop/types.js';
import { NIL_GUID } from '../../../src/util/guid.js';
import { ALICE, N, SERVER_DN, logonReq, openFolder, release } from './harness.js';
import { makeEnv as harnessEnv } from './harness.js';

type Req = RopRequestHeader & Record<string, unknown>;
type Res = RopResponse & Record<string, unknown>;

const PSETID_COMMON = '00062008-0000-0000-c000-000000000046';
const PidTagComment = TAG.Comment;
const CUSTOM_BIN = 0x67000102;
const CUSTOM_LONG = 0x67010003;
const CUSTOM_STR = 0x6702001f;

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const getSpecific = (inp: number, PropertyTags: number[], WantUnicode = 1, PropertySizeLimit = 0) => r(0x07, inp, { PropertySizeLimit, WantUnicode, PropertyTags });
const getAll = (inp: number, WantUnicode = 1, PropertySizeLimit = 0) => r(0x08, inp, { PropertySizeLimit, WantUnicode });
const getList = (inp: number) => r(0x09, inp);
const setProps = (inp: number, PropertyValues: Array<{ tag: number; value: unknown }>, RopId = 0x0a) => r(RopId, inp, { PropertyValues });
const delProps = (inp: number, PropertyTags: number[], RopId = 0x0b) => r(RopId, inp, { PropertyTags });
const idsFromNames = (inp: number, PropertyNames: PropertyName[], Flags = 0) => r(0x56, inp, { Flags, PropertyNames });
const namesFromIds = (inp: number, PropertyIds: number[]) => r(0x55, inp, { PropertyIds });
const copyTo = (inp: number, DestHandleIndex: number, CopyFlags = 0, WantSubObjects = 0, ExcludedTags: number[] = []) =>
  r(0x39, inp, { DestHandleIndex, WantAsynchronous: 0, WantSubObjects, CopyFlags, ExcludedTags });
const copyProps = (inp: number, DestHandleIndex: number, PropertyTags: number[], CopyFlags = 0) =>
  r(0x67, inp, { DestHandleIndex, WantAsynchronous: 0, CopyFlags, PropertyTags });

interface Env {
  dir: string;
  store: Store;
  registry: RopRegistry;
  runner: RopRunner;
  mb: MailboxStore;
  logonHandle: number;
}

async function openEnv(dir: string): Promise<Env> {
  // the shared harness builds the store, registry (all mailbox handlers) and runner and logs Alice on
  const h = await harnessEnv(ALICE, createMailboxHandlers, { dir: dir });
  const { handle, mb } = await h.logon();
  return { dir: h.dir, store: h.store, registry: h.registry, runner: h.runner, mb, logonHandle: handle };
}

async function call(env: Pick<Env, 'registry' | 'runner'>, requests: Req[], handles: number[], maxOutput?: number): Promise<{ res: Res[]; handles: number[] }> {
  const out = await env.runner.run(encodeRopRequests(env.registry, requests, handles), maxOutput);
  if (!out.ok) throw out.error;
  const { rops, handles: outHandles } = splitRopBuffer(out.output);
  const rd = new RopReader(rops);
  const res: Res[] = [];
  for (const q of requests) {
    const codec = env.registry.codec(q.RopId)!;
    if (!codec.hasResponse || rd.left === 0) continue;
    res.push(codec.decodeResponse(rd, { codePage: 1252 }, q) as Res);
  }
  expect(rd.left).toBe(0);
  return { res, handles: outHandles };
}

const row = (res: Res, tags: number[]): RowCell[] => readPropertyRow(new RopReader(res.RowData as Buffer), tags, 1252);
const val = (results: PropResult[], tag: number) => {
  const x = results.find((p) => p.tag >>> 0 === tag >>> 0);
  return x && 'value' in x ? x.value : undefined;
};

describe('MS-OXCPRPT handlers on logon and folder objects', () => {
  let env: Env;
  let dir: string;
  let a: bigint;
  let b: bigint;
  /** Handles: [logon, inbox, A, B] */
  let h: number[];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-prpt-'));
    env = await openEnv(dir);
    const inbox = env.mb.special.inbox;
    a = (await env.mb.createFolder(inbox, { displayName: 'Alpha', comment: 'first' })).fid;
    b = (await env.mb.createFolder(inbox, { displayName: 'Beta' })).fid;
    const { res, handles } = await call(env, [openFolder(0, 1, inbox), openFolder(0, 2, a), openFolder(0, 3, b)], [env.logonHandle, N, N, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
    h = handles;
  });
  afterEach(async () => {
    env.runner.state.clear();
    await env.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const run = async (reqs: Req[], maxOutput?: number) => (await call(env, reqs, h, maxOutput)).res;

  it('gets specific folder properties: both string widths, PT_UNSPECIFIED per WantUnicode, missing ones flagged NotFound', async () => {
    const name8 = makeTag(TAG.DisplayName >>> 16, PT.STRING8);
    const unspec = makeTag(TAG.DisplayName >>> 16, PT.UNSPECIFIED);
    const tags = [TAG.DisplayName, name8, unspec, TAG.FolderId, TAG.ContentCount, CUSTOM_LONG];
    let res = await run([getSpecific(2, tags, 0)]);
    expect(res[0]!.ReturnValue).toBe(0);
    let c = row(res[0]!, tags);
    expect(c[0]).toBe('Alpha');
    expect(c[1]).toBe('Alpha');
    expect(c[2]).toEqual({ type: PT.STRING8, value: 'Alpha' });
    expect(BigInt.asUintN(64, c[3] as bigint)).toBe(a);
    expect(c[4]).toBe(0);
    expect(c[5]).toEqual({ error: MAPI_E.NOT_FOUND });
    res = await run([getSpecific(2, [unspec], 1)]);
    c = row(res[0]!, [unspec]);
    expect(c[0]).toEqual({ type: PT.UNICODE, value: 'Alpha' });
    // every value present: a standard row (flag 0)
    res = await run([getSpecific(2, [TAG.DisplayName, TAG.ContentCount])]);
    expect((res[0]!.RowData as Buffer)[0]).toBe(0);
  });

  it('turns values over PropertySizeLimit, or too big for the buffer, into NotEnoughMemory', async () => {
    const big = Buffer.alloc(3000, 7);
    let res = await run([setProps(2, [{ tag: CUSTOM_BIN, value: big }, { tag: CUSTOM_STR, value: 'x'.repeat(200) }])]);
    expect(res[0]!.PropertyProblems).toEqual([]);
    const tags = [CUSTOM_BIN, CUSTOM_STR, TAG.DisplayName];
    res = await run([getSpecific(2, tags, 1, 1000)]);
    let c = row(res[0]!, tags);
    expect(c[0]).toEqual({ error: MAPI_E.NOT_ENOUGH_MEMORY });
    expect(c[1]).toBe('x'.repeat(200));
    expect(c[2]).toBe('Alpha');
    res = await run([getSpecific(2, tags)]);
    expect(row(res[0]!, tags)[0]).toEqual(big);
    // a buffer of 600 bytes: the largest value gives way, the rest still comes
    res = await run([getSpecific(2, tags)], 600);
    expect(res[0]!.ReturnValue).toBe(0);
    c = row(res[0]!, tags);
    expect(c[0]).toEqual({ error: MAPI_E.NOT_ENOUGH_MEMORY });
    expect(c[1]).toBe('x'.repeat(200));
    // a value no ROP buffer can carry (binary past the u16 count), stored directly: NotEnoughMemory too
    const huge = 0x67030102;
    expect(await env.mb.setFolderProps(a, [{ tag: huge, value: Buffer.alloc(70_000, 1) }])).toEqual([]);
    res = await run([getSpecific(2, [huge, TAG.DisplayName])]);
    expect(row(res[0]!, [huge, TAG.DisplayName])).toEqual([{ error: MAPI_E.NOT_ENOUGH_MEMORY }, 'Alpha']);
    res = await run([getAll(2, 1)]);
    expect(res[0]!.PropertyValues).toContainEqual({ tag: makeTag(huge >>> 16, PT.ERROR), value: MAPI_E.NOT_ENOUGH_MEMORY });
    // RopGetPropertiesAll: PT_ERROR in place of the big value
    res = await run([getAll(2, 1, 1000)]);
    const vals = res[0]!.PropertyValues as Array<{ tag: number; value: unknown }>;
    expect(vals).toContainEqual({ tag: makeTag(CUSTOM_BIN >>> 16, PT.ERROR), value: MAPI_E.NOT_ENOUGH_MEMORY });
  });

  it('gets all properties (strings per WantUnicode) and the property list', async () => {
    let res = await run([getAll(2, 0)]);
    let vals = res[0]!.PropertyValues as Array<{ tag: number; value: unknown }>;
    expect(vals).toContainEqual({ tag: makeTag(TAG.DisplayName >>> 16, PT.STRING8), value: 'Alpha' });
    expect(vals).toContainEqual({ tag: makeTag(PidTagComment >>> 16, PT.STRING8), value: 'first' });
    res = await run([getAll(2, 1), getList(2)]);
    vals = res[0]!.PropertyValues as Array<{ tag: number; value: unknown }>;
    expect(vals).toContainEqual({ tag: TAG.DisplayName, value: 'Alpha' });
    const list = res[1]!.PropertyTags as number[];
    const stored = await env.mb.listFolderProps(a);
    expect(new Set(list)).toEqual(new Set(stored));
    expect(list).toContain(TAG.DisplayName);
    expect(list).toContain(PidTagComment);
  });

  it('sets and deletes folder properties; computed ones come back as PropertyProblems', async () => {
    let res = await run([
      setProps(2, [{ tag: PidTagComment, value: 'changed' }, { tag: TAG.FolderId, value: 5n }, { tag: CUSTOM_LONG, value: 42 }]),
      setProps(2, [{ tag: TAG.ContentCount, value: 9 }], 0x79),
    ]);
    expect(res[0]!.ReturnValue).toBe(0);
    expect(res[0]!.PropertyProblems).toEqual([{ Index: 1, PropertyTag: TAG.FolderId, ErrorCode: ec.Computed }]);
    expect(res[1]!.PropertyProblems).toEqual([{ Index: 0, PropertyTag: TAG.ContentCount, ErrorCode: ec.Computed }]);
    let props = await env.mb.getFolderProps(a, [PidTagComment, CUSTOM_LONG, TAG.ContentCount]);
    expect(val(props, PidTagComment)).toBe('changed');
    expect(val(props, CUSTOM_LONG)).toBe(42);
    expect(val(props, TAG.ContentCount)).toBe(0);
    res = await run([delProps(2, [PidTagComment, TAG.EntryId]), delProps(2, [CUSTOM_LONG], 0x7a)]);
    expect(res[0]!.PropertyProblems).toEqual([{ Index: 1, PropertyTag: TAG.EntryId, ErrorCode: ec.Computed }]);
    expect(res[1]!.PropertyProblems).toEqual([]);
    props = await env.mb.getFolderProps(a, [PidTagComment, CUSTOM_LONG]);
    expect(props.every((p) => 'error' in p)).toBe(true);
  });

  it('renames a folder with PidTagDisplayName and refuses the name of a sibling', async () => {
    let res = await run([setProps(2, [{ tag: TAG.DisplayName, value: 'Gamma' }])]);
    expect(res[0]!.PropertyProblems).toEqual([]);
    expect(await env.mb.findChild(env.mb.special.inbox, 'gamma')).toBe(a);
    res = await run([setProps(2, [{ tag: TAG.DisplayName, value: 'BETA' }])]);
    expect(res[0]!.PropertyProblems).toEqual([{ Index: 0, PropertyTag: TAG.DisplayName, ErrorCode: ec.DuplicateName }]);
    expect(val(await env.mb.getFolderProps(a, [TAG.DisplayName]), TAG.DisplayName)).toBe('Gamma');
    res = await run([getSpecific(2, [TAG.DisplayName])]);
    expect(row(res[0]!, [TAG.DisplayName])[0]).toBe('Gamma');
  });

  it('gets, sets and deletes properties of the logon object', async () => {
    const tags = [TAG.MailboxOwnerName, TAG.IpmSubtreeEntryId, CUSTOM_STR];
    let res = await run([getSpecific(0, tags)]);
    let c = row(res[0]!, tags);
    expect(c[0]).toBe(ALICE.displayName);
    expect(c[1]).toEqual(val(await env.mb.storeProps([TAG.IpmSubtreeEntryId]), TAG.IpmSubtreeEntryId));
    expect(c[2]).toEqual({ error: MAPI_E.NOT_FOUND });
    res = await run([setProps(0, [{ tag: CUSTOM_STR, value: 'on the store' }, { tag: TAG.MailboxOwnerName, value: 'Mallory' }]), getSpecific(0, tags), getList(0)]);
    expect(res[0]!.PropertyProblems).toEqual([{ Index: 1, PropertyTag: TAG.MailboxOwnerName, ErrorCode: ec.Computed }]);
    c = row(res[1]!, tags);
    expect(c[0]).toBe(ALICE.displayName);
    expect(c[2]).toBe('on the store');
    expect(res[2]!.PropertyTags).toContain(CUSTOM_STR);
    res = await run([delProps(0, [CUSTOM_STR]), getSpecific(0, [CUSTOM_STR])]);
    expect(res[0]!.PropertyProblems).toEqual([]);
    expect(row(res[1]!, [CUSTOM_STR])[0]).toEqual({ error: MAPI_E.NOT_FOUND });
  });

  it('maps names to ids (create, PS_MAPI, unresolved -> ecWarnWithErrors) and back, stable across a store reopen', async () => {
    const names: PropertyName[] = [
      { guid: PSETID_COMMON, lid: 0x8510 },
      { guid: PS_PUBLIC_STRINGS, name: 'Keywords' },
      { guid: PS_MAPI, lid: 0x3001 },
    ];
    let res = await run([idsFromNames(0, names)]);
    expect(res[0]!.ReturnValue).toBe(ec.WarnWithErrors);
    expect(res[0]!.PropertyIds).toEqual([0, 0, 0x3001]);
    res = await run([idsFromNames(2, names, 0x02)]);
    expect(res[0]!.ReturnValue).toBe(0);
    const ids = res[0]!.PropertyIds as number[];
    expect(ids[0]).toBeGreaterThanOrEqual(0x8000);
    expect(ids[1]).toBeGreaterThanOrEqual(0x8000);
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[2]).toBe(0x3001);
    res = await run([namesFromIds(2, [ids[1]!, ids[0]!, 0x3001, 0xfff0])]);
    expect(res[0]!.ReturnValue).toBe(ec.WarnWithErrors);
    expect(res[0]!.PropertyNames).toEqual([names[1], names[0], { guid: PS_MAPI, lid: 0x3001 }, { guid: NIL_GUID }]);
    // a named property used as a value
    const namedTag = makeTag(ids[1]!, PT.UNICODE);
    res = await run([setProps(2, [{ tag: namedTag, value: 'tagged' }])]);
    expect(res[0]!.PropertyProblems).toEqual([]);
    // RopQueryNamedProperties: all, by GUID, without strings
    res = await run([r(0x5f, 0, { QueryFlags: 0 }), r(0x5f, 0, { QueryFlags: 0, PropertyGuid: PS_PUBLIC_STRINGS }), r(0x5f, 0, { QueryFlags: 0x01 })]);
    expect(res[0]!.PropertyIds).toEqual(expect.arrayContaining([ids[0], ids[1]]));
    expect(res[1]).toMatchObject({ PropertyIds: [ids[1]], PropertyNames: [names[1]] });
    expect(res[2]!.PropertyIds).toContain(ids[0]);
    expect(res[2]!.PropertyIds).not.toContain(ids[1]);
    // no names on the logon: every mapped id
    res = await run([idsFromNames(0, [])]);
    expect(res[0]!.PropertyIds).toEqual(expect.arrayContaining([ids[0], ids[1]]));

    // reopen everything: the same names resolve to the same ids, and the value is still under its tag
    env.runner.state.clear();
    await env.store.close();
    env = await openEnv(dir);
    const { res: res2, handles } = await call(env, [openFolder(0, 1, a), idsFromNames(0, names.slice(0, 2)), namesFromIds(0, ids.slice(0, 2))], [env.logonHandle, N]);
    expect(res2[1]!.ReturnValue).toBe(0);
    expect(res2[1]!.PropertyIds).toEqual(ids.slice(0, 2));
    expect(res2[2]!.PropertyNames).toEqual(names.slice(0, 2));
    const got = await call(env, [getSpecific(1, [namedTag])], handles);
    expect(row(got.res[0]!, [namedTag])[0]).toBe('tagged');
  });

  it('copies folder properties with RopCopyProperties: listed tags, NotFound problems, NoOverwrite, Move', async () => {
    await run([setProps(2, [{ tag: CUSTOM_LONG, value: 1 }, { tag: CUSTOM_STR, value: 'from alpha' }]), setProps(3, [{ tag: CUSTOM_LONG, value: 2 }])]);
    let res = await run([copyProps(2, 3, [CUSTOM_STR, CUSTOM_BIN, CUSTOM_LONG], 0x02)]);
    expect(res[0]!.ReturnValue).toBe(0);
    expect(res[0]!.PropertyProblems).toEqual([{ Index: 1, PropertyTag: CUSTOM_BIN, ErrorCode: MAPI_E.NOT_FOUND }]);
    let pb = await env.mb.getFolderProps(b, [CUSTOM_STR, CUSTOM_LONG]);
    expect(val(pb, CUSTOM_STR)).toBe('from alpha');
    expect(val(pb, CUSTOM_LONG)).toBe(2); // NoOverwrite kept it
    res = await run([copyProps(2, 3, [CUSTOM_LONG, TAG.FolderId], 0x01)]);
    expect(res[0]!.PropertyProblems).toEqual([{ Index: 1, PropertyTag: TAG.FolderId, ErrorCode: ec.Computed }]);
    pb = await env.mb.getFolderProps(b, [CUSTOM_LONG]);
    expect(val(pb, CUSTOM_LONG)).toBe(1);
    const pa = await env.mb.getFolderProps(a, [CUSTOM_LONG, CUSTOM_STR]);
    expect('error' in pa[0]!).toBe(true); // moved away
    expect(val(pa, CUSTOM_STR)).toBe('from alpha');
    // across object kinds: ecNotSupported; a released destination: ecDstNullObject
    res = await run([copyProps(2, 0, [CUSTOM_STR])]);
    expect(res[0]!.ReturnValue).toBe(ec.NotSupported);
    const out = await call(env, [release(3), copyProps(2, 3, [CUSTOM_STR])], h);
    expect(out.res[0]).toMatchObject({ ReturnValue: ec.DstNullObject, DestHandleIndex: 3 });
  });

  it('copies a folder onto another with RopCopyTo: properties but excluded ones, sub-objects when asked, Move', async () => {
    const inbox = env.mb.special.inbox;
    await env.mb.bulkInsertMessages(a, [
      { props: [{ tag: TAG.Subject, value: 'one' }] },
      { props: [{ tag: TAG.Subject, value: 'two' }] },
    ]);
    await env.mb.createFolder(a, { displayName: 'Child' });
    await run([setProps(2, [{ tag: CUSTOM_LONG, value: 7 }, { tag: CUSTOM_STR, value: 'copied' }])]);
    let res = await run([copyTo(2, 3, 0, 0, [TAG.DisplayName, CUSTOM_STR])]);
    expect(res[0]!.ReturnValue).toBe(0);
    expect(res[0]!.PropertyProblems).toEqual([]);
    let pb = await env.mb.getFolderProps(b, [CUSTOM_LONG, CUSTOM_STR, TAG.DisplayName, PidTagComment, TAG.ContentCount]);
    expect(val(pb, CUSTOM_LONG)).toBe(7);
    expect('error' in pb[1]!).toBe(true);
    expect(val(pb, TAG.DisplayName)).toBe('Beta');
    expect(val(pb, PidTagComment)).toBe('first');
    expect(val(pb, TAG.ContentCount)).toBe(0);
    // with sub-objects: messages and the subfolder come along, the source keeps them
    res = await run([copyTo(2, 3, 0, 1, [TAG.DisplayName])]);
    expect(res[0]!.ReturnValue).toBe(0);
    pb = await env.mb.getFolderProps(b, [TAG.ContentCount]);
    expect(val(pb, TAG.ContentCount)).toBe(2);
    expect(await env.mb.findChild(b, 'Child')).not.toBeNull();
    expect(val(await env.mb.getFolderProps(a, [TAG.ContentCount]), TAG.ContentCount)).toBe(2);
    // Move into a third folder: the source is emptied and loses its properties
    const c = (await env.mb.createFolder(inbox, { displayName: 'Gamma' })).fid;
    const { handles } = await call(env, [openFolder(0, 1, c)], [env.logonHandle, N]);
    const hc = handles[1]!;
    const out = await call(env, [copyTo(0, 1, 0x01, 1, [TAG.DisplayName])], [h[2]!, hc]);
    expect(out.res[0]!.ReturnValue).toBe(0);
    expect(val(await env.mb.getFolderProps(c, [TAG.ContentCount]), TAG.ContentCount)).toBe(2);
    expect(val(await env.mb.getFolderProps(a, [TAG.ContentCount]), TAG.ContentCount)).toBe(0);
    expect(await env.mb.children(a)).toEqual([]);
    expect(await env.mb.findChild(c, 'Child')).not.toBeNull();
    expect('error' in (await env.mb.getFolderProps(a, [CUSTOM_LONG]))[0]!).toBe(true);
    // onto itself: ecInvalidParam; into its own subtree with sub-objects: ecFolderCycle
    res = await run([copyTo(2, 2)]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidParam);
    const kid = (await env.mb.createFolder(a, { displayName: 'Kid' })).fid;
    const k = await call(env, [openFolder(0, 1, kid)], [env.logonHandle, N]);
    const cyc = await call(env, [copyTo(0, 1, 0, 1)], [h[2]!, k.handles[1]!]);
    expect(cyc.res[0]!.ReturnValue).toBe(ec.FolderCycle);
    // unknown CopyFlags
    res = await run([copyTo(2, 3, 0x80)]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidParam);
  });

  it('answers RopProgress with nothing in progress, and ecNotSupported for property ROPs on a table', async () => {
    let res = await run([r(0x50, 0, { WantCancel: 0 })]);
    expect(res[0]).toMatchObject({ ReturnValue: 0, LogonId: 0, CompletedTaskCount: 0, TotalTaskCount: 0 });
    const t = await call(env, [r(0x05, 1, { OutputHandleIndex: 2, TableFlags: 0 }), getSpecific(2, [TAG.DisplayName])], [h[0]!, h[1]!, N]);
    expect(t.res.map((x) => x.ReturnValue)).toEqual([0, ec.NotSupported]);
    res = await run([r(0x50, 2, { WantCancel: 1 })]);
    expect(res[0]!.ReturnValue).toBe(0);
  });
});
