// MS-OXCMSG read flags and message status end to end: RopSetReadFlags (partial completion, ClearReadFlag,
// receipts-only flags), RopSetMessageReadFlag (stored at once, seen by another session; public-logon client data),
// RopGetMessageStatus / RopSetMessageStatus (mask, no new CN), and open copies that do not undo them at save.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import { LogonObject, MessageServerObject } from '../../../src/rop/handlers/objects.js';
import { createMessageHandlers, MESSAGE_ROP } from '../../../src/rop/handlers/oxcmsg.js';
import type { RopContext } from '../../../src/rop/types.js';
import { silentLogger } from '../../../src/util/log.js';
import { SERVER_DN } from './harness.js';
import { N, T, cells, msgLogon, rop, secondSession, type Env } from './oxcmsg-env.js';

const READ = 0x01;
const NOTIFY_READ = 0x100;

describe('MS-OXCMSG read flags and message status', () => {
  let env: Env;
  let mb: MailboxStore;
  let L: number;
  let inbox: bigint;
  let m1: bigint;
  let m2: bigint;
  let d1: bigint;

  beforeEach(async () => {
    ({ env, mb, L } = await msgLogon());
    inbox = mb.special.inbox;
    m1 = await mb.createMessage(inbox, { props: [{ tag: T.Subject, value: 'one' }, { tag: T.MessageFlags, value: NOTIFY_READ }] });
    m2 = await mb.createMessage(inbox, { props: [{ tag: T.Subject, value: 'two' }] });
    d1 = await mb.createMessage(mb.special.drafts, { props: [{ tag: T.Subject, value: 'draft' }] });
  });
  afterEach(() => env.close());

  const flagsOf = async (mid: bigint): Promise<number> => {
    const r = (await mb.getMessageProps(mid, [T.MessageFlags]))[0]!;
    return 'value' in r ? (r.value as number) : 0;
  };

  it('RopSetReadFlags marks what is in the folder, reports the rest as PartialCompletion, and other sessions see it', async () => {
    const b = await secondSession(env);
    // session B opens m2 before A marks it read; B's later save must not undo the read state
    const ob = await b.call([rop.openMessage(0, 1, inbox, m2)], [b.logon, N]);
    expect(ob.res[0]!.ReturnValue).toBe(0);
    const { res, handles } = await env.call([
      rop.openFolder(0, 1, inbox),
      rop.setReadFlags(1, 0x00, [m1, m2, d1, 0x7fff01n, m1]),
    ], [L, N]);
    expect(res[0]!.ReturnValue).toBe(0);
    expect(res[1]).toMatchObject({ ReturnValue: 0, PartialCompletion: 1 });
    expect((await flagsOf(m1)) & READ).toBe(READ);
    expect((await flagsOf(m2)) & READ).toBe(READ);
    expect((await flagsOf(d1)) & READ).toBe(0);

    // session B: a message opened now shows the flag; the copy opened before keeps the stored state at its save
    let r = await b.call([rop.openMessage(0, 2, inbox, m1, 0), rop.getProps(2, [T.MessageFlags])], [...ob.handles, N]);
    expect((cells(r.res[1]!, [T.MessageFlags])[0] as number) & READ).toBe(READ);
    r = await b.call([rop.setProps(0, [{ tag: T.Subject, value: 'two, edited' }]), rop.save(0, 0)], [ob.handles[1]!]);
    expect(r.res[1]!.ReturnValue).toBe(0);
    expect((await flagsOf(m2)) & READ).toBe(READ);

    const f = handles[1]!;
    let s = await env.call([rop.setReadFlags(0, 0x04 | 0x01, [m1])], [f]);
    expect(s.res[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 0 });
    expect((await flagsOf(m1)) & READ).toBe(0);
    // receipts only: no change of mfRead
    s = await env.call([rop.setReadFlags(0, 0x10, [m1])], [f]);
    expect(s.res[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 0 });
    expect((await flagsOf(m1)) & READ).toBe(0);
    // rfClearNotifyRead clears mfNotifyRead, leaves mfRead
    expect((await flagsOf(m1)) & NOTIFY_READ).toBe(NOTIFY_READ);
    s = await env.call([rop.setReadFlags(0, 0x20, [m1])], [f]);
    expect((await flagsOf(m1)) & (NOTIFY_READ | READ)).toBe(0);
    // contradictory flags: ecInvalidParam, PartialCompletion still in the response, nothing changes
    s = await env.call([rop.setReadFlags(0, 0x04 | 0x10, [m2])], [f]);
    expect(s.res[0]).toMatchObject({ ReturnValue: ec.InvalidParam, PartialCompletion: 0 });
    expect((await flagsOf(m2)) & READ).toBe(READ);
    // an empty list changes nothing
    s = await env.call([rop.setReadFlags(0, 0x04 | 0x01, [])], [f]);
    expect(s.res[0]).toMatchObject({ ReturnValue: 0, PartialCompletion: 0 });
    // on a message handle: not a folder (the dispatcher's answer for a wrong object kind)
    s = await env.call([rop.openMessage(0, 1, inbox, m1), rop.setReadFlags(1, 0, [m1])], [L, N]);
    expect(s.res[1]!.ReturnValue).toBe(ec.NotSupported);
  });

  it('RopSetMessageReadFlag stores the read state at once and updates the open object', async () => {
    const b = await secondSession(env);
    const { res, handles } = await env.call([
      rop.openFolder(0, 1, inbox),
      rop.openMessage(1, 2, inbox, m1),
      rop.setMessageReadFlag(2, 1, 0x01),
      rop.getProps(2, [T.MessageFlags]),
    ], [L, N, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0]);
    expect(res[2]).toMatchObject({ ReadStatusChanged: 0, HandleIndex: 1 });
    expect((cells(res[3]!, [T.MessageFlags])[0] as number) & READ).toBe(READ);
    expect((await flagsOf(m1)) & READ).toBe(READ);
    const r = await b.call([rop.openMessage(0, 1, inbox, m1, 0), rop.getProps(1, [T.MessageFlags])], [b.logon, N]);
    expect((cells(r.res[1]!, [T.MessageFlags])[0] as number) & READ).toBe(READ);
    // clear it again through the same object; a save of the object keeps the cleared state
    const c = await env.call([rop.setMessageReadFlag(1, 0, 0x04 | 0x01), rop.save(1, 0)], [handles[1]!, handles[2]!]);
    expect(c.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    expect((await flagsOf(m1)) & READ).toBe(0);
    // a new message: only its working copy
    const n = await env.call([rop.createMessage(0, 1, inbox), rop.setMessageReadFlag(1, 0, 0), rop.getProps(1, [T.MessageFlags])], [L, N]);
    expect(n.res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
    expect((cells(n.res[2]!, [T.MessageFlags])[0] as number) & READ).toBe(READ);
  });

  it('RopSetMessageReadFlag on a public-folder logon returns LogonId and ClientData when the state changed', async () => {
    const entry = createMessageHandlers({ store: env.store, serverDn: SERVER_DN, log: silentLogger() }).get(MESSAGE_ROP.RopSetMessageReadFlag)!;
    const logon = new LogonObject(3, mb, 0x00 /* Private unset */, 0);
    const msg = new MessageServerObject(3, logon, logon, await mb.openMessage(m2), 1);
    const ctx = { session: {}, logon, input: msg, resolve: () => undefined, codePage: 1252, outputSpace: 0x8000, log: silentLogger() } as RopContext;
    const ClientData = Buffer.alloc(24, 0xab);
    const req = { RopId: 0x11, LogonId: 3, InputHandleIndex: 0, ResponseHandleIndex: 1, ReadFlags: 0, ClientData };
    expect(await entry.handle(req, ctx)).toEqual({ ec: 0, response: { ReadStatusChanged: 1, LogonId: 3, ClientData } });
    // unchanged the second time
    expect(await entry.handle(req, ctx)).toEqual({ ec: 0, response: { ReadStatusChanged: 0 } });
    msg.dispose();
  });

  it('RopGetMessageStatus / RopSetMessageStatus change the masked bits only, without a new CN', async () => {
    const { handles } = await env.call([rop.openFolder(0, 1, inbox)], [L, N]);
    const f = handles[1]!;
    const before = await mb.messageChangeInfo(m1);
    let { res } = await env.call([
      rop.getStatus(0, m1),
      rop.setStatus(0, m1, 0x1000 | 0x2000, 0x1000),
      rop.getStatus(0, m1),
      rop.setStatus(0, m1, 0x0800, 0x0800 | 0x1000),
      rop.getStatus(0, m1),
      rop.getStatus(0, d1),
      rop.setStatus(0, d1, 1, 1),
    ], [f]);
    expect(res.slice(0, 5).map((x) => [x.ReturnValue, x.MessageStatusFlags])).toEqual([[0, 0], [0, 0], [0, 0x1000], [0, 0x1000], [0, 0x0800]]);
    expect(res.slice(5).map((x) => x.ReturnValue)).toEqual([ec.NotFound, ec.NotFound]);
    const after = await mb.messageChangeInfo(m1);
    expect(after.cn).toBe(before.cn);
    expect(after.changeKey.equals(before.changeKey)).toBe(true);
    expect(after.lastModified).toBe(before.lastModified);
    // an object opened before the status change keeps the stored status at its save
    const o = await env.call([rop.openMessage(0, 2, inbox, m2), rop.setProps(2, [{ tag: T.Subject, value: 'x' }])], [L, N, N]);
    ({ res } = await env.call([rop.setStatus(0, m2, 0x4, 0x4)], [f]));
    expect(res[0]!.ReturnValue).toBe(0);
    ({ res } = await env.call([rop.save(0, 0), rop.getProps(0, [T.MessageStatus])], [o.handles[2]!]));
    expect(res[0]!.ReturnValue).toBe(0);
    expect(cells(res[1]!, [T.MessageStatus])).toEqual([0x4]);
    ({ res } = await env.call([rop.getStatus(0, m2)], [f]));
    expect(res[0]!.MessageStatusFlags).toBe(0x4);
  });
});
