// MS-OXCPRPT property ROPs on message and attachment objects (prpt-target.ts): they act on the object's working
// copy, are stored by the saves, and copy between objects of the same kind; and ForceSave of a stale object that
// still refers to a large value another save replaced (the store keeps that value for the open object).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAPI_E } from '../../../src/mapi/props.js';
import { SEC } from '../../../src/mapistore/errors.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import { N, T, cells, msgLogon, rop, type Env } from './oxcmsg-env.js';

const PidTagComment = 0x3004001f;
const h = (RopId: number, inp: number, body: Record<string, unknown>) => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });

describe('property ROPs on message and attachment objects', () => {
  let env: Env;
  let mb: MailboxStore;
  let L: number;
  let drafts: bigint;

  beforeEach(async () => {
    ({ env, mb, L } = await msgLogon());
    drafts = mb.special.drafts;
  });
  afterEach(() => env.close());

  it('sets, lists, deletes and copies properties of messages and attachments in their working copies', async () => {
    const { res, handles } = await env.call([
      rop.createMessage(0, 1, drafts),
      rop.setProps(1, [{ tag: T.Subject, value: 'props' }, { tag: PidTagComment, value: 'to be deleted' }, { tag: T.MessageSize, value: 1 }]),
      h(0x0b, 1, { PropertyTags: [PidTagComment] }), // RopDeleteProperties
      h(0x09, 1, {}), // RopGetPropertiesList
      rop.createAttachment(1, 2),
      rop.setProps(2, [{ tag: T.AttachLongFilename, value: 'a.txt' }, { tag: T.AttachNumber, value: 9 }]),
      rop.getProps(2, [T.AttachLongFilename, T.AttachNumber]),
      rop.saveAttachment(2, 1),
      rop.save(1, 0),
      rop.createMessage(0, 3, drafts),
      h(0x67, 1, { DestHandleIndex: 3, WantAsynchronous: 0, CopyFlags: 0, PropertyTags: [T.Subject, PidTagComment] }), // RopCopyProperties
      rop.getProps(3, [T.Subject]),
      h(0x67, 1, { DestHandleIndex: 2, WantAsynchronous: 0, CopyFlags: 0, PropertyTags: [T.Subject] }), // to an attachment
    ], [L, N, N, N]);
    expect(res.slice(0, 10).map((r) => r.ReturnValue)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // PidTagMessageSize is the store's; PidTagAttachNumber too
    expect(res[1]!.PropertyProblems).toEqual([{ Index: 2, PropertyTag: 0x0e080003, ErrorCode: SEC.Computed >>> 0 }]);
    expect(res[5]!.PropertyProblems).toEqual([{ Index: 1, PropertyTag: T.AttachNumber, ErrorCode: SEC.Computed >>> 0 }]);
    const listed = res[3]!.PropertyTags as number[];
    expect(listed).toContain(T.Subject);
    expect(listed).not.toContain(PidTagComment);
    expect(cells(res[6]!, [T.AttachLongFilename, T.AttachNumber])).toEqual(['a.txt', 0]);
    expect(res[10]).toMatchObject({ ReturnValue: 0, PropertyProblems: [{ Index: 1, PropertyTag: PidTagComment, ErrorCode: MAPI_E.NOT_FOUND }] });
    expect(cells(res[11]!, [T.Subject])).toEqual(['props']);
    expect(res[12]!.ReturnValue).toBe(ec.NotSupported);
    const mid = res[8]!.MessageId as bigint;
    expect((await mb.getMessageProps(mid, [T.Subject, PidTagComment]))).toEqual([
      { tag: T.Subject, value: 'props' },
      { tag: (PidTagComment & 0xffff0000 | 0x000a) >>> 0, error: MAPI_E.NOT_FOUND },
    ]);
    // the copy target was never saved: it is not stored
    void handles;
    expect((await mb.contentsRows(drafts)).length).toBe(1);
  });

  it('ForceSave of a stale object keeps the large value it still refers to', async () => {
    const d = await mb.newMessage(drafts);
    const big = Buffer.from('b'.repeat(50_000), 'utf16le');
    const w = await d.openStream(T.Body, 'create');
    await w.write(0, big);
    await w.commit();
    const mid = await d.save();
    await d.discard();
    const a = await mb.openMessage(mid);
    const b = await mb.openMessage(mid);
    const wa = await a.openStream(T.Body, 'create');
    await wa.write(0, Buffer.from('a'.repeat(60_000), 'utf16le'));
    await wa.commit();
    await a.save();
    await b.setProps([{ tag: T.Subject, value: 'B wins' }]);
    await expect(b.save()).rejects.toMatchObject({ ec: SEC.ObjectModified });
    expect(await b.save({ force: true })).toBe(mid);
    const r = await (await mb.openMessage(mid)).openStream(T.Body, 'read');
    expect((await r.read(0, big.length + 10)).equals(big)).toBe(true);
    expect((await mb.getMessageProps(mid, [T.Subject]))[0]).toEqual({ tag: T.Subject, value: 'B wins' });
    await a.discard();
    await b.discard();
    // A's value, no longer used by anyone, is gone; nothing staged is left behind
    const mbx = mb as unknown as { db: { prepare(sql: string): { get(): unknown } } };
    expect(mbx.db.prepare('SELECT COUNT(*) AS n FROM blobs WHERE state = 0').get()).toEqual({ n: 0 });
    expect(mbx.db.prepare('SELECT COUNT(*) AS n FROM blobs').get()).toEqual({ n: 1 });
  });
});
