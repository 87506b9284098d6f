// ICS upload end to end (MS-OXCFXICS 3.2.5.9.4): ROP buffers through the real registry and dispatcher to a real
// LocalStore. A client with its own replica GUID imports a new message (recipients, attachment), moves, deletes (soft
// and hard), read states, a stale edit (ignored), a newer edit (applied), a conflicting edit (a conflict resolve
// message, or FailOnConflict's ecSyncConflict), folders (create, rename, move, delete), asks for local replica ids and
// gives some up; bad input is refused with its ec and changes nothing. Source keys naming IDs the client reserved with
// RopGetLocalReplicaIds become the IDs of new messages, moved messages and new folders (MS-OXCFXICS 3.3.5.2.1); the
// imported message's PidTagMessageFlags (MSGFLAG_HASATTACH) reads the same through every reader.
import { describe, expect, it } from 'vitest';
import { encodeLongTermId, encodeXid, eidGlobcnt, globcntFromBytes, makeEid } from '../../../src/mapi/ids.js';
import { toFileTime } from '../../../src/mapi/props.js';
import { encodePcl, mergePcl, pclIncludes } from '../../../src/mapistore/pcl.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { deletedRanges } from '../../../src/mapistore/backends/local/ics-import.js';
import type { LocalMailbox } from '../../../src/mapistore/backends/local/mailbox.js';
import fc from 'fast-check';
import { ec } from '../../../src/rop/ec.js';
import { IcsUploadObject } from '../../../src/rop/fxics/sync-upload.js';
import { MS_IN_CONFLICT } from '../../../src/rop/fxics/sync-upload-message.js';
import { readGuid } from '../../../src/util/guid.js';
import { RecipientFlags, RecipientType } from '../../../src/rop/codec/recipient-row.js';
import { CG, cx, ok, pclOf, uploadLogon, version } from './oxcfxics-upload-env.js';
import { cells, N, rop, T, type Env, type Req } from './oxcmsg-env.js';

const ft = (iso: string): bigint => toFileTime(new Date(iso));

const SK = 0x65e00102;
const PSK = 0x65e10102;
const CK = 0x65e20102;
const PCL = 0x65e30102;
const LMT = 0x30080040;
const DN = 0x3001001f;
const InConflict = 0x666c000b;

const h = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const ho = (RopId: number, inp: number, out: number, body: Record<string, unknown> = {}): Req => ({ ...h(RopId, inp, body), OutputHandleIndex: out });
const ics = {
  openCollector: (inp: number, out: number, contents: boolean) => ho(0x7e, inp, out, { IsContentsCollector: contents ? 1 : 0 }),
  importChange: (inp: number, out: number, flag: number, values: Array<{ tag: number; value: unknown }>) => ho(0x72, inp, out, { ImportFlag: flag, PropertyValues: values }),
  importHierarchy: (inp: number, hv: Array<{ tag: number; value: unknown }>, pv: Array<{ tag: number; value: unknown }> = []) =>
    h(0x73, inp, { HierarchyValues: hv, PropertyValues: pv }),
  importDeletes: (inp: number, flags: number, keys: Buffer[]) => h(0x74, inp, { ImportDeleteFlags: flags, PropertyValues: [{ tag: 0x00001102, value: keys }] }),
  importReads: (inp: number, states: Array<{ MessageId: Buffer; MarkAsRead: number }>) => h(0x80, inp, { MessageReadStates: states }),
  importMove: (inp: number, b: { SourceFolderId: Buffer; SourceMessageId: Buffer; PredecessorChangeList: Buffer; DestinationMessageId: Buffer; ChangeNumber: Buffer }) => h(0x78, inp, b),
  localReplicaIds: (inp: number, IdCount: number) => h(0x7f, inp, { IdCount }),
  midsetDeleted: (inp: number, ranges: Array<{ MinLongTermId: Buffer; MaxLongTermId: Buffer }>) => h(0x93, inp, { LongTermIdRanges: ranges }),
};

describe('MS-OXCFXICS ICS upload ROPs', () => {
  let env: Env;
  let mb: MailboxStore;
  let L: number;
  let inbox: bigint;
  uploadLogon((s) => ({ env, mb, L, inbox } = s));

  /** The collector object behind a handle (for its ICS state). */
  const collector = (handle: number): IcsUploadObject => {
    const o = env.runner.state.handles.get(handle);
    expect(o).toBeInstanceOf(IcsUploadObject);
    return o as IcsUploadObject;
  };

  /** Imports a new message (subject, a recipient, an attachment) through a contents collector on `fid`. */
  async function importNew(fid: bigint, sk: Buffer, subject: string, lm = ft('2026-01-02T10:00:00Z')): Promise<{ mid: bigint; handles: number[] }> {
    const { res, handles } = await env.call([
      rop.openFolder(0, 1, fid),
      ics.openCollector(1, 2, true),
      ics.importChange(2, 3, 0, version(sk, lm, sk, pclOf(sk))),
      rop.setProps(3, [{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: subject }]),
      rop.modifyRecipients(3, [], [{
        RowId: 0, RecipientType: 1,
        RecipientRow: { RecipientFlags: RecipientType.SMTP | RecipientFlags.E | RecipientFlags.D | RecipientFlags.U, EmailAddress: 'bob@example.com', DisplayName: 'Bob', RecipientColumnCount: 0, RecipientProperties: [] },
      }]),
      rop.createAttachment(3, 4),
      rop.setProps(4, [{ tag: T.AttachMethod, value: 1 }, { tag: T.AttachDataBinary, value: Buffer.from('offline attachment') }]),
      rop.saveAttachment(4, 3),
      rop.save(3, 2),
      rop.release(4),
      rop.release(3),
    ], [L, N, N, N, N]);
    res.forEach(ok);
    expect(res[2]!.MessageId).toBe(0n);
    const mid = res[8]!.MessageId as bigint;
    expect(mid).not.toBe(0n);
    return { mid, handles };
  }

  it('imports a new message with recipients and an attachment under the client source key, change key and PCL', async () => {
    const sk = cx(0x101);
    const { mid, handles } = await importNew(inbox, sk, 'written offline');
    expect((await mb.contentsRows(inbox)).map((r) => r.id)).toContain(mid);
    const m = await mb.openMessage(mid);
    expect((await m.getProps([T.Subject]))[0]).toMatchObject({ value: 'written offline' });
    expect((await m.readRecipients()).length).toBe(1);
    expect((await m.attachmentTable()).length).toBe(1);
    await m.discard();
    const info = await mb.messageChangeInfo(mid);
    expect(info.sourceKey).toEqual(sk);
    expect(info.changeKey).toEqual(sk);
    expect(info.pcl).toEqual(pclOf(sk));
    expect(info.lastModified).toBe(ft('2026-01-02T10:00:00Z'));
    const props = await mb.getMessageProps(mid, [SK, CK]);
    expect(props.map((p) => ('value' in p ? p.value : null))).toEqual([sk, sk]);
    expect(await mb.findBySourceKey('message', sk)).toEqual({ id: mid, deleted: false });
    // the collector's state holds the import: the next download does not send it back
    const st = collector(handles[2]!).holder.state;
    expect(st.cnsetSeen.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(info.cn)))).toBe(true);
    expect(st.idsetGiven.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(mid)))).toBe(true);
  });

  it('ignores a stale edit (ecSyncIgnore) and applies a newer one from the client', async () => {
    const sk = cx(0x201);
    const { mid } = await importNew(inbox, sk, 'v1');
    // the same version again, and an older one: the server has them
    let { res } = await env.call([rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), ics.importChange(2, 3, 0, version(sk, ft('2026-01-02T10:00:00Z'), sk, pclOf(sk)))], [L, N, N, N]);
    expect(res[2]!.ReturnValue).toBe(ec.SyncIgnore);
    // the server changes it: a client version without that change is stale
    await mb.setMessageProps(mid, [{ tag: T.Subject, value: 'server edit' }]);
    const before = await mb.messageChangeInfo(mid);
    ({ res } = await env.call([rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), ics.importChange(2, 3, 0, version(sk, ft('2026-01-03T10:00:00Z'), sk, pclOf(sk)))], [L, N, N, N]));
    expect(res[2]!.ReturnValue).toBe(ec.SyncIgnore);
    expect(await mb.messageChangeInfo(mid)).toEqual(before);
    // a client version that includes the server's change replaces the message
    const ck2 = cx(0x202);
    const newer = encodePcl(mergePcl(
      [{ guid: readGuid(before.changeKey, 0), localId: Buffer.from(before.changeKey.subarray(16)) }],
      [{ guid: CG, localId: Buffer.from(ck2.subarray(16)) }],
    ));
    expect(pclIncludes(newer, before.pcl)).toBe(true);
    ({ res } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importChange(2, 3, 0, version(sk, ft('2026-01-04T10:00:00Z'), ck2, newer)),
      rop.setProps(3, [{ tag: T.Subject, value: 'client v2' }]),
      rop.save(3, 2),
    ], [L, N, N, N]));
    res.forEach(ok);
    expect(res[4]!.MessageId).toBe(mid);
    const m = await mb.openMessage(mid);
    expect((await m.getProps([T.Subject]))[0]).toMatchObject({ value: 'client v2' });
    // the object started empty: the old recipient and attachment are gone with the whole-message upload
    expect(await m.readRecipients()).toEqual([]);
    expect(await m.attachmentTable()).toEqual([]);
    await m.discard();
    const after = await mb.messageChangeInfo(mid);
    expect(after.changeKey).toEqual(ck2);
    expect(after.pcl).toEqual(newer);
  });

  it('resolves a conflicting edit with a conflict resolve message; FailOnConflict refuses it', async () => {
    const sk = cx(0x301);
    const { mid } = await importNew(inbox, sk, 'base');
    await mb.setMessageProps(mid, [{ tag: T.Subject, value: 'server side' }]);
    const server = await mb.messageChangeInfo(mid);
    const ck2 = cx(0x302);
    const clientPcl = pclOf(sk, ck2);
    // FailOnConflict: refused, nothing changes
    let { res } = await env.call([rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), ics.importChange(2, 3, 0x40, version(sk, ft('2099-01-01T00:00:00Z'), ck2, clientPcl))], [L, N, N, N]);
    expect(res[2]!.ReturnValue).toBe(ec.SyncConflict);
    expect(await mb.messageChangeInfo(mid)).toEqual(server);
    // accepted: the last writer (the client, later time) wins the content; both versions become attachments
    let handles: number[];
    ({ res, handles } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importChange(2, 3, 0, version(sk, ft('2099-01-01T00:00:00Z'), ck2, clientPcl)),
      rop.setProps(3, [{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: 'client side' }]),
      rop.save(3, 2),
    ], [L, N, N, N]));
    res.forEach(ok);
    expect(res[4]!.MessageId).toBe(mid);
    const m = await mb.openMessage(mid);
    expect((await m.getProps([T.Subject]))[0]).toMatchObject({ value: 'client side' });
    const status = (await m.getProps([T.MessageStatus]))[0]!;
    expect('value' in status && ((status.value as number) & MS_IN_CONFLICT) !== 0).toBe(true);
    // each version's attachment keeps the change key, PCL and time it was made with (what the ICS download sends)
    const atts = await m.attachmentTable([InConflict, T.AttachMethod, CK, PCL, LMT]);
    expect(atts.length).toBe(2);
    expect(atts.map((a) => a.props.slice(2).map((p) => ('value' in p ? p.value : null)))).toEqual([
      [server.changeKey, server.pcl, server.lastModified],
      [ck2, clientPcl, ft('2099-01-01T00:00:00Z')],
    ]);
    const subjects: unknown[] = [];
    for (const a of atts) {
      expect(a.props.slice(0, 2).map((p) => ('value' in p ? p.value : null))).toEqual([true, 5]);
      const emb = await (await m.openAttachment(a.attachNum)).openEmbeddedMessage(false);
      subjects.push(((await emb.getProps([T.Subject]))[0] as { value: unknown }).value);
    }
    expect(subjects).toEqual(['server side', 'client side']);
    await m.discard();
    const after = await mb.messageChangeInfo(mid);
    // a successor of both versions, not marked seen: the client downloads it
    expect(pclIncludes(after.pcl, server.pcl) && pclIncludes(after.pcl, clientPcl)).toBe(true);
    expect(collector(handles[2]!).holder.state.cnsetSeen.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(after.cn)))).toBe(false);
  });

  it('a conflicting FAI message: the last writer wins without a conflict message (server newer: a new CN, content kept)', async () => {
    const sk = cx(0x401);
    let { res } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importChange(2, 3, 0x10, version(sk, ft('2026-01-01T00:00:00Z'), sk, pclOf(sk))),
      rop.setProps(3, [{ tag: T.MessageClass, value: 'IPM.Configuration' }, { tag: T.Subject, value: 'fai' }]),
      rop.save(3, 2),
    ], [L, N, N, N]);
    res.forEach(ok);
    const mid = res[4]!.MessageId as bigint;
    expect((await mb.contentsRows(inbox, { associated: true })).map((r) => r.id)).toContain(mid);
    await mb.setMessageProps(mid, [{ tag: T.Subject, value: 'server fai' }]);
    const server = await mb.messageChangeInfo(mid);
    const ck2 = cx(0x402);
    ({ res } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importChange(2, 3, 0x10, version(sk, ft('2000-01-01T00:00:00Z'), ck2, pclOf(sk, ck2))),
      rop.setProps(3, [{ tag: T.Subject, value: 'old client fai' }]),
      rop.save(3, 2),
    ], [L, N, N, N]));
    res.forEach(ok);
    const m = await mb.openMessage(mid);
    expect((await m.getProps([T.Subject]))[0]).toMatchObject({ value: 'server fai' });
    expect(await m.attachmentTable()).toEqual([]);
    await m.discard();
    const after = await mb.messageChangeInfo(mid);
    expect(after.cn).not.toBe(server.cn);
    expect(pclIncludes(after.pcl, pclOf(sk, ck2)) && pclIncludes(after.pcl, server.pcl)).toBe(true);
  });

  it('imports a move: the message changes folder and takes the destination source key', async () => {
    const sk = cx(0x501);
    const { mid } = await importNew(inbox, sk, 'to move');
    const info = await mb.messageChangeInfo(mid);
    const drafts = mb.special.drafts;
    const inboxSk = (await mb.folderChangeInfo(inbox)).sourceKey;
    const dst = cx(0x502);
    const ckMove = cx(0x503);
    const { res } = await env.call([
      rop.openFolder(0, 1, drafts), ics.openCollector(1, 2, true),
      ics.importMove(2, { SourceFolderId: inboxSk, SourceMessageId: sk, PredecessorChangeList: info.pcl, DestinationMessageId: dst, ChangeNumber: ckMove }),
    ], [L, N, N]);
    res.forEach(ok);
    expect(res[2]!.MessageId).toBe(0n);
    expect(await mb.folderOfMessage(mid)).toBe(drafts);
    const after = await mb.messageChangeInfo(mid);
    expect(after.sourceKey).toEqual(dst);
    expect(after.changeKey).toEqual(ckMove);
    expect(await mb.findBySourceKey('message', dst)).toEqual({ id: mid, deleted: false });
    expect((await mb.findBySourceKey('message', sk))?.deleted).toBe(true);
    // a move of a message the server does not have
    const r2 = await env.call([
      rop.openFolder(0, 1, drafts), ics.openCollector(1, 2, true),
      ics.importMove(2, { SourceFolderId: inboxSk, SourceMessageId: cx(0x5ff), PredecessorChangeList: info.pcl, DestinationMessageId: cx(0x5fe), ChangeNumber: cx(0x5fd) }),
    ], [L, N, N]);
    expect(r2.res[2]!.ReturnValue).toBe(ec.SyncObjectDeleted);
    // a move of a message the client also changed: moved, and the client is told to upload its version
    const other = await importNew(inbox, cx(0x511), 'changed and moved');
    const oi = await mb.messageChangeInfo(other.mid);
    const r3 = await env.call([
      rop.openFolder(0, 1, drafts), ics.openCollector(1, 2, true),
      ics.importMove(2, { SourceFolderId: inboxSk, SourceMessageId: cx(0x511), PredecessorChangeList: pclOf(cx(0x511), cx(0x512)), DestinationMessageId: cx(0x513), ChangeNumber: cx(0x514) }),
    ], [L, N, N]);
    expect(r3.res[2]!.ReturnValue).toBe(ec.SyncClientChangeNewer);
    expect(await mb.folderOfMessage(other.mid)).toBe(drafts);
    expect(pclIncludes((await mb.messageChangeInfo(other.mid)).pcl, oi.pcl)).toBe(true);
  });

  it('imports soft and hard deletes; unknown source keys are recorded, not restored by a later import', async () => {
    const a = await importNew(inbox, cx(0x601), 'a');
    const b = await importNew(inbox, cx(0x602), 'b');
    const serverMid = await mb.createMessage(inbox, { props: [{ tag: T.Subject, value: 'server made' }] });
    const serverSk = (await mb.messageChangeInfo(serverMid)).sourceKey;
    let { res, handles } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importDeletes(2, 0, [cx(0x601), serverSk, cx(0x6ff)]),
      ics.importDeletes(2, 0x02, [cx(0x602)]),
    ], [L, N, N]);
    res.forEach(ok);
    expect(await mb.messageExists(a.mid)).toBe(false);
    expect(await mb.messageExists(b.mid)).toBe(false);
    expect(await mb.messageExists(serverMid)).toBe(false);
    const dead = await mb.changesSince(inbox, 'message', 0n);
    expect(dead.find((c) => c.id === a.mid && c.deleted)?.hard).toBe(false);
    expect(dead.find((c) => c.id === b.mid && c.deleted)?.hard).toBe(true);
    expect(collector(handles[2]!).holder.state.idsetGiven.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(a.mid)))).toBe(false);
    // the never-seen key stays deleted: importing it is refused
    ({ res } = await env.call([rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), ics.importChange(2, 3, 0, version(cx(0x6ff), ft('2026-01-01T00:00:00Z'), cx(0x6ff), pclOf(cx(0x6ff))))], [L, N, N, N]));
    expect(res[2]!.ReturnValue).toBe(ec.SyncObjectDeleted);
    // deleting again is ignored
    ({ res } = await env.call([rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), ics.importDeletes(2, 0, [cx(0x601)])], [L, N, N]));
    res.forEach(ok);
  });

  it('imports read-state changes with one CN in CnsetRead; FAI and unknown messages are skipped', async () => {
    const a = await importNew(inbox, cx(0x701), 'a');
    const { res, handles } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importReads(2, [{ MessageId: cx(0x701), MarkAsRead: 1 }, { MessageId: cx(0x7ff), MarkAsRead: 1 }]),
    ], [L, N, N]);
    res.forEach(ok);
    const [read] = await mb.getMessageProps(a.mid, [0x0e69000b]);
    expect(read).toMatchObject({ value: true });
    const reads = await mb.readChangesSince(inbox, 0n);
    const cn = reads.find((r) => r.id === a.mid)!.cn;
    expect(collector(handles[2]!).holder.state.cnsetRead.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(cn)))).toBe(true);
  });

  it('read states: FAI messages ignored, a message of another folder changes too (as RopSetMessageReadFlag would)', async () => {
    const drafts = mb.special.drafts;
    const elsewhere = await importNew(drafts, cx(0x711), 'in drafts');
    const fai = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importChange(2, 3, 0x10, version(cx(0x712), ft('2026-01-01T00:00:00Z'), cx(0x712), pclOf(cx(0x712)))),
      rop.setProps(3, [{ tag: T.MessageClass, value: 'IPM.Configuration' }]),
      rop.save(3, 2),
    ], [L, N, N, N]);
    fai.res.forEach(ok);
    const faiMid = fai.res[4]!.MessageId as bigint;
    const { res, handles } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true),
      ics.importReads(2, [{ MessageId: cx(0x711), MarkAsRead: 1 }, { MessageId: cx(0x712), MarkAsRead: 1 }]),
    ], [L, N, N]);
    res.forEach(ok);
    expect(await mb.getMessageProps(elsewhere.mid, [0x0e69000b])).toEqual([{ tag: 0x0e69000b, value: true }]);
    expect(await mb.getMessageProps(faiMid, [0x0e69000b])).toEqual([{ tag: 0x0e69000b, value: false }]);
    const cn = (await mb.readChangesSince(drafts, 0n)).find((r) => r.id === elsewhere.mid)!.cn;
    expect(collector(handles[2]!).holder.state.cnsetRead.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(cn)))).toBe(true);
    expect((await mb.readChangesSince(inbox, 0n)).some((r) => r.id === faiMid)).toBe(false);
  });

  it('an import whose save fails stores nothing of it: two collectors racing with one new source key', async () => {
    const sk = cx(0x721);
    const rows = (await mb.contentsRows(inbox)).length;
    const { res, handles } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), ics.openCollector(1, 3, true),
      ics.importChange(2, 4, 0, version(sk, ft('2026-01-01T00:00:00Z'), sk, pclOf(sk))),
      ics.importChange(3, 5, 0, version(sk, ft('2026-01-01T00:00:00Z'), cx(0x722), pclOf(cx(0x722)))),
      rop.setProps(4, [{ tag: T.Subject, value: 'first' }]),
      rop.setProps(5, [{ tag: T.Subject, value: 'second' }]),
      rop.save(4, 2),
      rop.save(5, 3),
    ], [L, N, N, N, N, N]);
    res.slice(0, 8).forEach(ok);
    expect(res[8]!.ReturnValue).toBe(ec.InvalidParam);
    const rowsAfter = await mb.contentsRows(inbox, { tags: [T.Subject, SK, CK] });
    expect(rowsAfter.length).toBe(rows + 1);
    const mid = res[7]!.MessageId as bigint;
    const info = await mb.messageChangeInfo(mid);
    expect([info.sourceKey, info.changeKey]).toEqual([sk, sk]);
    expect(rowsAfter.find((r) => r.id === mid)!.props.get(T.Subject)).toBe('first');
    // the failing collector's state gained nothing
    expect(collector(handles[3]!).holder.state.idsetGiven.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(mid)))).toBe(false);
  });

  it('imports folders: create, rename, move (under another imported folder) and delete', async () => {
    const ipm = mb.special.ipmSubtree;
    const fsk = cx(0x801);
    const hv = (parent: Buffer, sk: Buffer, name: string, ck: Buffer, pcl: Buffer, lm = ft('2026-02-01T00:00:00Z')) => [
      { tag: PSK, value: parent }, { tag: SK, value: sk }, { tag: LMT, value: lm }, { tag: CK, value: ck }, { tag: PCL, value: pcl }, { tag: DN, value: name },
    ];
    let { res, handles } = await env.call([
      rop.openFolder(0, 1, ipm), ics.openCollector(1, 2, false),
      ics.importHierarchy(2, hv(Buffer.alloc(0), fsk, 'Projects', fsk, pclOf(fsk)), [{ tag: 0x3613001f, value: 'IPF.Note' }]),
      ics.importHierarchy(2, hv(Buffer.alloc(0), cx(0x802), 'Archive', cx(0x802), pclOf(cx(0x802)))),
    ], [L, N, N]);
    res.forEach(ok);
    expect(res[2]!.FolderId).toBe(0n);
    const projects = await mb.findChild(ipm, 'Projects');
    expect(projects).not.toBeNull();
    expect((await mb.folderChangeInfo(projects!)).sourceKey).toEqual(fsk);
    expect((await mb.getFolderProps(projects!, [0x3613001f, SK]))).toEqual([{ tag: 0x3613001f, value: 'IPF.Note' }, { tag: SK, value: fsk }]);
    // rename, then move below Archive (parent given by its client source key)
    const ck2 = cx(0x803);
    const ck3 = cx(0x804);
    ({ res, handles } = await env.call([
      ics.importHierarchy(2, hv(Buffer.alloc(0), fsk, 'Projects 2026', ck2, pclOf(fsk, ck2))),
      ics.importHierarchy(2, hv(cx(0x802), fsk, 'Projects 2026', ck3, pclOf(fsk, ck3))),
    ], handles));
    res.forEach(ok);
    const archive = await mb.findChild(ipm, 'Archive');
    expect(await mb.parentOf(projects!)).toBe(archive);
    expect(await mb.findChild(archive!, 'Projects 2026')).toBe(projects);
    const [psk] = await mb.getFolderProps(projects!, [PSK]);
    expect(psk).toEqual({ tag: PSK, value: cx(0x802) });
    // a stale rename is ignored
    ({ res, handles } = await env.call([ics.importHierarchy(2, hv(Buffer.alloc(0), fsk, 'Old name', ck2, pclOf(fsk, ck2)))], handles));
    expect(res[0]!.ReturnValue).toBe(ec.SyncIgnore);
    // an unknown parent
    ({ res, handles } = await env.call([ics.importHierarchy(2, hv(cx(0x8ff), cx(0x8fe), 'Orphan', cx(0x8fe), pclOf(cx(0x8fe))))], handles));
    expect(res[0]!.ReturnValue).toBe(ec.SyncNoParent);
    // delete Archive with Projects below it (hard)
    ({ res, handles } = await env.call([ics.importDeletes(2, 0x03, [cx(0x802)])], handles));
    res.forEach(ok);
    expect(await mb.folderExists(archive!)).toBe(false);
    expect(await mb.folderExists(projects!)).toBe(false);
    // a special folder refuses the whole ROP
    const inboxSk = (await mb.folderChangeInfo(inbox)).sourceKey;
    ({ res } = await env.call([ics.importDeletes(2, 0x01, [inboxSk])], handles));
    expect(res[0]!.ReturnValue).toBe(ec.AccessDenied);
    expect(await mb.folderExists(inbox)).toBe(true);
  });

  /** RopGetLocalReplicaIds: the first of `n` reserved GLOBCNTs and a maker of their source keys (GIDs of the replica). */
  async function reserve(n: number): Promise<{ first: bigint; key: (i: number) => Buffer }> {
    const { res } = await env.call([ics.localReplicaIds(0, n)], [L]);
    ok(res[0]);
    const first = globcntFromBytes(res[0]!.GlobalCount as Buffer);
    return { first, key: (i) => encodeXid(res[0]!.ReplGuid as string, first + BigInt(i)) };
  }

  it('a new message whose source key names a reserved ID is saved under that MID; its flags agree in every reader', async () => {
    const r = await reserve(4);
    const { mid } = await importNew(inbox, r.key(1), 'reserved id');
    expect(mid).toBe(makeEid(1, r.first + 1n));
    expect(await mb.findBySourceKey('message', r.key(1))).toEqual({ id: mid, deleted: false });
    expect((await mb.messageChangeInfo(mid)).sourceKey).toEqual(r.key(1));
    // MSGFLAG_HASATTACH (the import has an attachment): contents row, getMessageProps, the opened message (RopGetPropertiesSpecific)
    const HAS = 0x0e1b000b;
    const row = (await mb.contentsRows(inbox, { tags: [T.MessageFlags, HAS] })).find((x) => x.id === mid)!;
    const props = await mb.getMessageProps(mid, [T.MessageFlags, HAS]);
    const { res } = await env.call([rop.openMessage(0, 1, inbox, mid, 0), rop.getProps(1, [T.MessageFlags, HAS])], [L, N]);
    res.forEach(ok);
    const opened = cells(res[1]!, [T.MessageFlags, HAS]);
    expect([row.props.get(T.MessageFlags), row.props.get(HAS)]).toEqual(props.map((p) => ('value' in p ? p.value : null)));
    expect(opened).toEqual([row.props.get(T.MessageFlags), true]);
    expect((opened[0] as number) & 0x10).toBe(0x10);
    // a GID of this replica that was never reserved, or one given up: a fresh MID, the key kept as the client's
    const lt = (g: bigint) => encodeLongTermId({ guid: mb.replGuid, globcnt: g });
    ok((await env.call([rop.openFolder(0, 1, inbox), ics.midsetDeleted(1, [{ MinLongTermId: lt(r.first + 2n), MaxLongTermId: lt(r.first + 2n) }])], [L, N])).res[1]);
    const stray = encodeXid(mb.replGuid, r.first + 100_000n);
    for (const sk of [r.key(2), stray]) {
      const x = await importNew(inbox, sk, 'fresh id');
      expect(eidGlobcnt(x.mid)).not.toBe(globcntFromBytes(sk, 16));
      expect((await mb.messageChangeInfo(x.mid)).sourceKey).toEqual(sk);
    }
  });

  it('a move whose DestinationMessageId names a reserved ID: the message has that ID in the destination folder', async () => {
    const r = await reserve(2);
    const sk = cx(0x521);
    const { mid } = await importNew(inbox, sk, 'moved to a reserved id');
    const info = await mb.messageChangeInfo(mid);
    const drafts = mb.special.drafts;
    const inboxSk = (await mb.folderChangeInfo(inbox)).sourceKey;
    const { res, handles } = await env.call([
      rop.openFolder(0, 1, drafts), ics.openCollector(1, 2, true),
      ics.importMove(2, { SourceFolderId: inboxSk, SourceMessageId: sk, PredecessorChangeList: info.pcl, DestinationMessageId: r.key(0), ChangeNumber: cx(0x522) }),
    ], [L, N, N]);
    res.forEach(ok);
    expect(res[2]!.MessageId).toBe(0n);
    const moved = makeEid(1, r.first);
    expect(await mb.messageExists(mid)).toBe(false);
    expect((await mb.contentsRows(drafts)).map((x) => x.id)).toContain(moved);
    expect((await mb.contentsRows(inbox)).map((x) => x.id)).not.toContain(mid);
    const after = await mb.messageChangeInfo(moved);
    expect([after.sourceKey, after.changeKey]).toEqual([r.key(0), cx(0x522)]);
    expect((await mb.getMessageProps(moved, [T.Subject]))[0]).toMatchObject({ value: 'moved to a reserved id' });
    expect((await mb.findBySourceKey('message', sk))?.deleted).toBe(true);
    // the collector's state holds the moved message under its new ID
    const st = collector(handles[2]!).holder.state;
    expect(st.cnsetSeen.hasGlobcnt(mb.replGuid.toLowerCase(), Number(eidGlobcnt(after.cn)))).toBe(true);
    expect(st.idsetGiven.hasGlobcnt(mb.replGuid.toLowerCase(), Number(r.first))).toBe(true);
  });

  it('a folder created with a source key naming a reserved ID gets that FID', async () => {
    const r = await reserve(2);
    const ipm = mb.special.ipmSubtree;
    const hv = [{ tag: PSK, value: Buffer.alloc(0) }, { tag: SK, value: r.key(1) }, { tag: LMT, value: ft('2026-02-01T00:00:00Z') },
      { tag: CK, value: cx(0x811) }, { tag: PCL, value: pclOf(cx(0x811)) }, { tag: DN, value: 'Offline folder' }];
    const { res } = await env.call([rop.openFolder(0, 1, ipm), ics.openCollector(1, 2, false), ics.importHierarchy(2, hv)], [L, N, N]);
    res.forEach(ok);
    expect(res[2]!.FolderId).toBe(0n);
    expect(await mb.findChild(ipm, 'Offline folder')).toBe(makeEid(1, r.first + 1n));
    expect((await mb.folderChangeInfo(makeEid(1, r.first + 1n))).sourceKey).toEqual(r.key(1));
  });

  it('RopGetLocalReplicaIds never gives a range twice; RopSetLocalReplicaMidsetDeleted records ranges', async () => {
    const { res } = await env.call([ics.localReplicaIds(0, 100), ics.localReplicaIds(0, 50)], [L]);
    res.forEach(ok);
    expect(res[0]!.ReplGuid).toBe(mb.replGuid);
    const a = globcntFromBytes(res[0]!.GlobalCount as Buffer);
    const b = globcntFromBytes(res[1]!.GlobalCount as Buffer);
    expect(b >= a + 100n).toBe(true);
    const id = await mb.newId();
    expect(eidGlobcnt(id) >= b + 50n).toBe(true);
    const lt = (g: bigint) => encodeLongTermId({ guid: mb.replGuid, globcnt: g });
    const r2 = await env.call([rop.openFolder(0, 1, inbox), ics.midsetDeleted(1, [{ MinLongTermId: lt(a), MaxLongTermId: lt(a + 9n) }])], [L, N]);
    r2.res.forEach(ok);
    expect(deletedRanges(mb as LocalMailbox)).toEqual([{ first: a, last: a + 9n }]);
    const r3 = await env.call([rop.openFolder(0, 1, inbox), ics.midsetDeleted(1, [{ MinLongTermId: lt(a + 9n), MaxLongTermId: lt(a) }]), ics.localReplicaIds(0, 0)], [L, N]);
    expect(r3.res[1]!.ReturnValue).toBe(ec.InvalidParam);
    expect(r3.res[2]!.ReturnValue).toBe(ec.InvalidParam);
  });

  it('refuses bad input with its ec and changes nothing', async () => {
    const before = await mb.currentCn();
    const rows = (await mb.contentsRows(inbox)).length;
    const good = version(cx(0x901), ft('2026-01-01T00:00:00Z'), cx(0x901), pclOf(cx(0x901)));
    const cases: Array<[Req, number]> = [
      // properties out of their fixed positions / missing / malformed
      [ics.importChange(2, 3, 0, [good[1]!, good[0]!, good[2]!, good[3]!]), ec.InvalidParam],
      [ics.importChange(2, 3, 0, good.slice(0, 3)), ec.InvalidParam],
      [ics.importChange(2, 3, 0, version(Buffer.alloc(5), ft('2026-01-01T00:00:00Z'), cx(1), pclOf(cx(1)))), ec.InvalidParam],
      [ics.importChange(2, 3, 0, version(cx(0x902), ft('2026-01-01T00:00:00Z'), cx(0x902), Buffer.from([0x16, 1, 2, 3]))), ec.InvalidParam],
      // unknown ImportFlag bits
      [ics.importChange(2, 3, 0x01, good), ec.InvalidParam],
      // hierarchy import on a contents collector, deletes of malformed keys, unknown delete flags
      [ics.importHierarchy(2, good), ec.InvalidParam],
      [ics.importDeletes(2, 0, [Buffer.alloc(3)]), ec.InvalidParam],
      [ics.importDeletes(2, 0x80, [cx(1)]), ec.InvalidParam],
      // ImportDeleteFlags Hierarchy (0x01) on a contents collector
      [ics.importDeletes(2, 0x01, [cx(1)]), ec.InvalidParam],
      [ics.importDeletes(2, 0x03, [cx(1)]), ec.InvalidParam],
      [h(0x74, 2, { ImportDeleteFlags: 0, PropertyValues: [] }), ec.InvalidParam],
      [ics.importReads(2, [{ MessageId: Buffer.alloc(2), MarkAsRead: 1 }]), ec.InvalidParam],
      [ics.importMove(2, { SourceFolderId: Buffer.alloc(4), SourceMessageId: cx(1), PredecessorChangeList: Buffer.alloc(0), DestinationMessageId: cx(2), ChangeNumber: cx(3) }), ec.InvalidParam],
    ];
    for (const [req, code] of cases) {
      const { res } = await env.call([rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), req], [L, N, N, N]);
      expect(res[2]!.ReturnValue, JSON.stringify(req, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(code);
    }
    // an import whose message is never saved (the session ends half-way) leaves nothing behind
    const { res } = await env.call([
      rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true), ics.importChange(2, 3, 0, good), rop.setProps(3, [{ tag: T.Subject, value: 'never saved' }]), rop.release(2),
    ], [L, N, N, N]);
    res.forEach(ok);
    expect(await mb.currentCn()).toBe(before);
    expect((await mb.contentsRows(inbox)).length).toBe(rows);
    expect(await mb.findBySourceKey('message', cx(0x901))).toBeNull();
  });

  it('arbitrary source keys in deletes, read states and moves give Success or an ec, never ecError', async () => {
    const { handles } = await env.call([rop.openFolder(0, 1, inbox), ics.openCollector(1, 2, true)], [L, N, N]);
    const arbKey = fc.oneof(fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)), fc.integer({ min: 1, max: 1 << 20 }).map((n) => cx(n)));
    await fc.assert(
      fc.asyncProperty(fc.array(arbKey, { maxLength: 4 }), arbKey, fc.uint8Array({ maxLength: 40 }), async (keys, key, pcl) => {
        const { res } = await env.call([
          ics.importDeletes(2, 0, keys),
          ics.importReads(2, keys.map((k) => ({ MessageId: k, MarkAsRead: 1 }))),
          ics.importMove(2, { SourceFolderId: key, SourceMessageId: key, PredecessorChangeList: Buffer.from(pcl), DestinationMessageId: key, ChangeNumber: key }),
        ], handles);
        for (const r of res) expect([0, ec.InvalidParam, ec.NotFound, ec.SyncObjectDeleted]).toContain(r.ReturnValue);
      }),
      { numRuns: 40 },
    );
    expect((await mb.contentsRows(inbox)).length).toBe(0);
  });
});
