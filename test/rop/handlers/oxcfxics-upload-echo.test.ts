// ICS upload then download (MS-OXCFXICS 3.2.5.9.4 with 3.2.5.3): a client downloads a folder, hands that state to a
// collector, uploads a new message, a newer edit, a read-state change, a delete and a conflicting edit, and downloads
// again from the collector's state: only the conflict resolve message (as its two versions) and the server's own later
// change come back.
import { describe, expect, it } from 'vitest';
import { toFileTime } from '../../../src/mapi/props.js';
import { encodePcl, mergePcl } from '../../../src/mapistore/pcl.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { syncMessageContent } from '../../../src/rop/fxics/sync-content.js';
import { IcsDownloadContext, SYNC_EXTRA, SYNC_FLAGS } from '../../../src/rop/fxics/sync-download.js';
import { cloneState } from '../../../src/rop/fxics/sync-state.js';
import { IcsUploadObject } from '../../../src/rop/fxics/sync-upload.js';
import { TransferStatus } from '../../../src/rop/fxics/writer.js';
import { silentLogger } from '../../../src/util/log.js';
import { changedMids, parseSync, type ParsedSync } from '../fxics/sync-download-helpers.js';
import { cx, ok, pclOf, uploadLogon, version, xidEntry } from './oxcfxics-upload-env.js';
import { N, rop, T, type Env } from './oxcmsg-env.js';

const log = silentLogger();

describe('ICS upload, then download from the collector state', () => {
  let env: Env;
  let mb: MailboxStore;
  let L: number;
  let inbox: bigint;
  uploadLogon((s) => ({ env, mb, L, inbox } = s));

  async function download(state?: IcsUploadObject): Promise<{ p: ParsedSync; ctx: IcsDownloadContext }> {
    const ctx = new IcsDownloadContext(0, null, mb, {
      type: 'contents', fid: inbox, sendOptions: 0, flags: SYNC_FLAGS.Unicode | SYNC_FLAGS.ReadState | SYNC_FLAGS.FAI | SYNC_FLAGS.Normal,
      extraFlags: SYNC_EXTRA.Eid | SYNC_EXTRA.Cn, restriction: null, propertyTags: [], codePage: 1252,
    }, syncMessageContent, log);
    if (state) ctx.holder.state = cloneState(state.holder.state);
    const parts: Buffer[] = [];
    for (;;) {
      const b = await ctx.nextBuffer(8192);
      parts.push(b.data);
      if (b.status === TransferStatus.Done) break;
      expect(b.status).toBe(TransferStatus.Partial);
    }
    return { p: parseSync(Buffer.concat(parts)), ctx };
  }

  it('does not echo the uploaded changes back', async () => {
    const keep = await mb.createMessage(inbox, { props: [{ tag: T.Subject, value: 'to edit' }] });
    const toRead = await mb.createMessage(inbox, { props: [{ tag: T.Subject, value: 'to read' }] });
    const toDelete = await mb.createMessage(inbox, { props: [{ tag: T.Subject, value: 'to delete' }] });
    const toConflict = await mb.createMessage(inbox, { props: [{ tag: T.Subject, value: 'to conflict' }] });
    const first = await download();
    expect(first.p.changes).toHaveLength(4);

    // the client's collector starts from the state of that download
    const { res: r0, handles } = await env.call([rop.openFolder(0, 1, inbox), { RopId: 0x7e, LogonId: 0, InputHandleIndex: 1, OutputHandleIndex: 2, IsContentsCollector: 1 }], [L, N, N]);
    r0.forEach(ok);
    const col = env.runner.state.handles.get(handles[2]!) as IcsUploadObject;
    col.holder.state = first.ctx.transferState();

    const info = async (mid: bigint) => mb.messageChangeInfo(mid);
    const keepInfo = await info(keep);
    const ck = cx(0x11);
    const newer = encodePcl(mergePcl([xidEntry(keepInfo.changeKey)], [xidEntry(ck)]));
    // the server changes `toConflict` after the client downloaded it; the client changes it too
    await mb.setMessageProps(toConflict, [{ tag: T.Subject, value: 'server side' }]);
    const ckC = cx(0x12);
    const firstConflictInfo = first.p.changes.find((c) => c.header.get(0x674a0014) === toConflict)!;
    const clientConflictPcl = encodePcl(mergePcl([xidEntry(firstConflictInfo.header.get(0x65e20102) as Buffer)], [xidEntry(ckC)]));
    const readSk = (await info(toRead)).sourceKey;
    const delSk = (await info(toDelete)).sourceKey;
    const imported = cx(0x10);
    const call = (reqs: Parameters<Env['call']>[0]) => env.call(reqs, [...handles, N]);
    const { res } = await call([
      // a new message
      { RopId: 0x72, LogonId: 0, InputHandleIndex: 2, OutputHandleIndex: 3, ImportFlag: 0, PropertyValues: version(imported, toFileTime(new Date()), imported, pclOf(imported)) },
      rop.setProps(3, [{ tag: T.Subject, value: 'new offline' }]),
      rop.save(3, 2),
      rop.release(3),
      // a newer edit of `keep`
      { RopId: 0x72, LogonId: 0, InputHandleIndex: 2, OutputHandleIndex: 3, ImportFlag: 0, PropertyValues: version(keepInfo.sourceKey, toFileTime(new Date()), ck, newer) },
      rop.setProps(3, [{ tag: T.Subject, value: 'edited offline' }]),
      rop.save(3, 2),
      rop.release(3),
      // read, delete
      { RopId: 0x80, LogonId: 0, InputHandleIndex: 2, MessageReadStates: [{ MessageId: readSk, MarkAsRead: 1 }] },
      { RopId: 0x74, LogonId: 0, InputHandleIndex: 2, ImportDeleteFlags: 0, PropertyValues: [{ tag: 0x00001102, value: [delSk] }] },
      // a conflicting edit
      { RopId: 0x72, LogonId: 0, InputHandleIndex: 2, OutputHandleIndex: 3, ImportFlag: 0, PropertyValues: version((await info(toConflict)).sourceKey, toFileTime(new Date('2099-01-01')), ckC, clientConflictPcl) },
      rop.setProps(3, [{ tag: T.Subject, value: 'client side' }]),
      rop.save(3, 2),
      rop.release(3),
    ]);
    res.forEach(ok);
    const newMid = res[2]!.MessageId as bigint;

    // a server change after the upload
    await mb.setMessageProps(toRead, [{ tag: T.Body, value: 'server body' }]);

    const second = await download(col);
    const mids = changedMids(second.p);
    expect(mids).not.toContain(newMid);
    expect(mids).not.toContain(keep);
    // the conflict resolve message goes out as its two conflicting versions (MS-OXCFXICS 3.1.5.6.2.1), the server's
    // and the client's, each with the change key and PCL it was made with: the client detects the conflict itself
    expect([...new Set(mids)].sort()).toEqual([toRead, toConflict].sort());
    expect(second.p.deleted).toEqual([]);
    expect(second.p.read).toEqual([]);
    const versions = second.p.changes.filter((c) => c.header.get(0x674a0014) === toConflict);
    expect(versions.map((c) => c.props.get(T.Subject))).toEqual(['server side', 'client side']);
    expect(versions[1]!.header.get(0x65e20102)).toEqual(ckC);
    expect(versions[1]!.header.get(0x65e30102)).toEqual(clientConflictPcl);
  });
});
