// Rules run on delivery (src/rules/engine.ts) over a real LocalStore: messages created in the Inbox and the engine
// called directly (from X -> move, subject -> copy, mark read, delete, tag, exit level, disabled rules, the
// out-of-office rule, conditions on recipients / attachments / importance, unsupported actions and conditions kept and
// reported, forward and reply through a submit function), then the whole path through the transport's delivery
// (src/transport/submit.ts) with the engine installed as a delivery hook.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RopWriter } from '../../src/mapi/buffer.js';
import { BMR, FL, RELOP } from '../../src/mapi/restriction.js';
import { writeRestriction, type RopRestriction } from '../../src/mapi/ropres.js';
import {
  BOUNCE, FWD_AS_ATTACHMENT, OP, RULE_ERROR, RULE_TAG, RPLY_STOCK_REPLY_TEMPLATE, ST, decodeRuleActions, encodeRuleActions, moveCopyAction, type ActionBlock,
} from '../../src/mapi/ruleactions.js';
import { privateFolderEntryId } from '../../src/mapi/entryid.js';
import { eidGlobcnt } from '../../src/mapi/ids.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { ATTACH_BY_VALUE, MAPI_CC, MAPI_TO, type MailboxOwner, type MailboxStore, type RecipientRow } from '../../src/mapistore/types.js';
import { DAM_MESSAGE_CLASS, DAM_TAG, TAG as ENGINE_TAG, installRulesEngine, runRulesOnDelivery, uninstallRulesEngine } from '../../src/rules/engine.js';
import { MailTransport } from '../../src/transport/submit.js';
import type { TransportUser } from '../../src/transport/types.js';
import { silentLogger } from '../../src/util/log.js';

const CP = 1252;
const ORG = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients';
const ALICE: MailboxOwner = { username: 'alice', displayName: 'Alice Example', legacyDn: `${ORG}/cn=alice` };
const BOB: MailboxOwner = { username: 'bob', displayName: 'Bob Example', legacyDn: `${ORG}/cn=bob` };
const USERS: TransportUser[] = [ALICE, BOB].map((u) => ({ username: u.username, displayName: u.displayName, legacyExchangeDN: u.legacyDn, smtpAddress: `${u.username}@example.com` }));

// the engine's MS-OXPROPS tags and those only the tests write
const TAG = {
  ...ENGINE_TAG,
  Importance: 0x00170003,
  AttachDataBinary: 0x37010102,
  Categories: 0x8000101f,
  MessageAttachments: 0x0e13000d,
  Sensitivity: 0x00360003,
} as const;

function res(r: RopRestriction): Buffer {
  const w = new RopWriter(32);
  writeRestriction(w, r, CP);
  return Buffer.from(w.result());
}
const subjectHas = (s: string): RopRestriction => ({ type: 'content', fuzzyLevel: FL.FL_SUBSTRING | FL.FL_IGNORECASE, propTag: TAG.Subject, value: { tag: TAG.Subject, value: s } });
/** Outlook's "from <address>": a COMMENT around PidTagSenderSearchKey = "<TYPE>:<ADDRESS>\0" upper case. */
const fromAddr = (type: string, addr: string): RopRestriction => ({
  type: 'comment',
  values: [{ tag: 0x6000001f, value: addr }],
  res: { type: 'property', relop: RELOP.RELOP_EQ, propTag: TAG.SenderSearchKey, value: { tag: TAG.SenderSearchKey, value: Buffer.from(`${type}:${addr}`.toUpperCase() + '\0', 'latin1') } },
});
const MARK_READ: ActionBlock = { ActionType: OP.OP_MARK_AS_READ, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'none' } };
const DELETE: ActionBlock = { ActionType: OP.OP_DELETE, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'none' } };

let dir: string;
let store: LocalStore;
let mb: MailboxStore;
const log = silentLogger();

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-rules-'));
  store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
  mb = await store.openMailbox(ALICE);
});

afterEach(async () => {
  uninstallRulesEngine();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function addRule(
  name: string,
  condition: RopRestriction | null,
  actions: ActionBlock[],
  o: { seq?: number; state?: number; fid?: bigint; provider?: string } = {},
): Promise<bigint> {
  const [id] = await mb.modifyRules(o.fid ?? mb.special.inbox, [
    {
      op: 'add',
      fields: {
        name, sequence: o.seq ?? 10, state: o.state ?? ST.ST_ENABLED, condition: condition ? res(condition) : null, actions: encodeRuleActions(actions, CP), codePage: CP,
        ...(o.provider !== undefined ? { provider: o.provider } : {}),
      },
    },
  ]);
  return id!;
}

interface MsgSpec {
  subject?: string;
  from?: [type: string, address: string, name?: string];
  importance?: number;
  recipients?: { type: number; address: string; addressType?: string }[];
  attachment?: boolean;
}

async function deliver(m: MsgSpec, fid = mb.special.inbox): Promise<bigint> {
  const msg = await mb.newMessage(fid);
  const [type, addr, name] = m.from ?? ['SMTP', 'carol@example.com', 'Carol'];
  await msg.setProps([
    { tag: TAG.MessageClass, value: 'IPM.Note' },
    { tag: TAG.Subject, value: m.subject ?? 'hello' },
    { tag: TAG.Body, value: 'body text' },
    { tag: TAG.SenderName, value: name ?? addr },
    { tag: TAG.SenderAddressType, value: type },
    { tag: TAG.SenderEmailAddress, value: addr },
    ...(type === 'SMTP' ? [{ tag: TAG.SenderSmtpAddress, value: addr }] : []),
    ...(m.importance !== undefined ? [{ tag: TAG.Importance, value: m.importance }] : []),
  ]);
  const rcpts = m.recipients ?? [{ type: MAPI_TO, address: ALICE.legacyDn, addressType: 'EX' }];
  await msg.setRecipients(
    rcpts.map((r, i) => ({
      rowId: i,
      props: [
        { tag: TAG.DisplayName, value: r.address },
        { tag: TAG.AddressType, value: r.addressType ?? 'SMTP' },
        { tag: TAG.EmailAddress, value: r.address },
        { tag: TAG.RecipientType, value: r.type },
      ],
    })),
  );
  if (m.attachment) {
    const a = await msg.createAttachment();
    await a.setProps([{ tag: TAG.AttachMethod, value: ATTACH_BY_VALUE }, { tag: TAG.AttachDataBinary, value: Buffer.from('data') }]);
    await a.save();
  }
  return msg.save();
}

const inbox = () => mb.special.inbox;
const run = (mid: bigint, submit?: (m: MailboxStore, mid: bigint) => Promise<void>) =>
  runRulesOnDelivery({ mailbox: mb, fid: inbox(), mid, log, ...(submit ? { submit } : {}) });
const flags = async (mid: bigint) => {
  const [r] = await mb.getMessageProps(mid, [TAG.MessageFlags]);
  return r && 'value' in r ? (r.value as number) : 0;
};
const ruleState = async (id: bigint) => (await mb.listRules(inbox())).find((r) => r.id === id)!;

describe('rules on delivery', () => {
  it('"from X -> move to folder F" moves only X\'s messages', async () => {
    const f = (await mb.createFolder(inbox(), { displayName: 'From Carol' })).fid;
    const id = await addRule('carol', fromAddr('SMTP', 'carol@example.com'), [moveCopyAction(OP.OP_MOVE, f)]);
    const m1 = await deliver({ from: ['SMTP', 'carol@example.com'] });
    const m2 = await deliver({ from: ['SMTP', 'dave@example.com'] });
    const o1 = await run(m1);
    expect(o1.fired).toEqual([id]);
    expect(o1.location).toEqual({ fid: f, mid: m1 });
    expect(await mb.folderOfMessage(m1)).toBe(f);
    const o2 = await run(m2);
    expect(o2.fired).toEqual([]);
    expect(await mb.folderOfMessage(m2)).toBe(inbox());
    expect(o1.problems).toEqual([]);
  });

  it('copies by folder entry id, marks read, deletes, tags', async () => {
    const f = (await mb.createFolder(inbox(), { displayName: 'Copies' })).fid;
    const feid = privateFolderEntryId(mb.mailboxGuid, mb.replGuid, eidGlobcnt(f));
    const copy: ActionBlock = { ActionType: OP.OP_COPY, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'moveCopy', FolderInThisStore: 1, StoreEID: Buffer.alloc(0), FolderEID: { form: 'entryId', bytes: feid } } };
    const tag: ActionBlock = { ActionType: OP.OP_TAG, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'tag', PropertyValue: { tag: TAG.Sensitivity, value: 2 } } };
    await addRule('copy', subjectHas('report'), [copy, MARK_READ, tag]);
    await addRule('delete', subjectHas('spam'), [DELETE]);
    const m1 = await deliver({ subject: 'Weekly REPORT' });
    const o = await run(m1);
    expect(o.fired).toHaveLength(1);
    expect(await mb.folderOfMessage(m1)).toBe(inbox());
    expect((await flags(m1)) & 1).toBe(1);
    const [s] = await mb.getMessageProps(m1, [TAG.Sensitivity]);
    expect(s && 'value' in s && s.value).toBe(2);
    const copies = await mb.contentsRows(f, { tags: [TAG.Subject] });
    expect(copies.map((r) => r.props.get(TAG.Subject))).toEqual(['Weekly REPORT']);

    const m2 = await deliver({ subject: 'cheap spam' });
    const o2 = await run(m2);
    expect(o2.location).toBe('deleted');
    expect(await mb.messageExists(m2)).toBe(false);
  });

  it('runs rules in sequence order and stops after ST_EXIT_LEVEL; disabled rules do not run', async () => {
    const f = (await mb.createFolder(inbox(), { displayName: 'Later' })).fid;
    const first = await addRule('first', subjectHas('x'), [MARK_READ], { seq: 1, state: ST.ST_ENABLED | ST.ST_EXIT_LEVEL });
    await addRule('second', subjectHas('x'), [moveCopyAction(OP.OP_MOVE, f)], { seq: 2 });
    await addRule('off', subjectHas('x'), [DELETE], { seq: 0, state: 0 });
    const m = await deliver({ subject: 'x' });
    const o = await run(m);
    expect(o.fired).toEqual([first]);
    expect(await mb.folderOfMessage(m)).toBe(inbox());
    expect((await flags(m)) & 1).toBe(1);
  });

  it('the out-of-office rule runs only while PidTagOutOfOfficeState is TRUE', async () => {
    const oofRule = await addRule('oof', null, [MARK_READ], { state: ST.ST_ONLY_WHEN_OOF });
    const m1 = await deliver({});
    expect((await run(m1)).fired).toEqual([]);
    expect((await flags(m1)) & 1).toBe(0);
    expect(await mb.setStoreProps([{ tag: RULE_TAG.PidTagOutOfOfficeState, value: true }])).toEqual([]);
    const m2 = await deliver({});
    expect((await run(m2)).fired).toEqual([oofRule]);
    expect((await flags(m2)) & 1).toBe(1);
    // while OOF is on, an exit-level rule before it does not stop it
    await addRule('exit', null, [], { seq: 1, state: ST.ST_ENABLED | ST.ST_EXIT_LEVEL });
    const m3 = await deliver({});
    expect((await run(m3)).fired).toHaveLength(2);
  });

  it('conditions on recipients (to me, cc), attachments (SUBRESTRICTION) and importance', async () => {
    const toMe = await addRule('tome', { type: 'property', relop: RELOP.RELOP_EQ, propTag: TAG.MessageToMe, value: { tag: TAG.MessageToMe, value: true } }, []);
    const att = await addRule('att', { type: 'sub', subObject: TAG.MessageAttachments, res: { type: 'exist', propTag: TAG.AttachMethod } }, []);
    const imp = await addRule('imp', { type: 'property', relop: RELOP.RELOP_EQ, propTag: TAG.Importance, value: { tag: TAG.Importance, value: 2 } }, []);
    const bits = await addRule('unread', { type: 'bitmask', relBMR: BMR.BMR_EQZ, propTag: TAG.MessageFlags, mask: 1 }, []);
    const a = await run(await deliver({ attachment: true, importance: 2 }));
    expect(a.fired.sort()).toEqual([toMe, att, imp, bits].sort());
    const b = await run(await deliver({ recipients: [{ type: MAPI_CC, address: ALICE.legacyDn, addressType: 'EX' }], importance: 1 }));
    expect(b.fired.sort()).toEqual([bits].sort());
  });

  it('keeps and reports what it cannot run: an unsupported action and a condition the evaluator refuses', async () => {
    const bounce: ActionBlock = { ActionType: OP.OP_BOUNCE, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'bounce', BounceCode: BOUNCE.Denied } };
    const b = await addRule('bounce', null, [bounce, MARK_READ]);
    const re = await addRule('regex', { type: 'property', relop: RELOP.RELOP_RE, propTag: TAG.Subject, value: { tag: TAG.Subject, value: '.*' } }, [DELETE]);
    const m = await deliver({});
    const o = await run(m);
    expect(o.fired).toEqual([b]);
    expect((await flags(m)) & 1).toBe(1); // the supported action ran
    expect(await mb.messageExists(m)).toBe(true); // the rule with the refused condition did not
    expect(o.problems.some((p) => p.includes('OP_BOUNCE'))).toBe(true);
    const sb = await ruleState(b);
    expect(sb.state & ST.ST_ERROR).toBe(ST.ST_ERROR);
    expect(sb.error).toBe(RULE_ERROR.Execution);
    expect(sb.actions.equals(encodeRuleActions([bounce, MARK_READ], CP))).toBe(true);
    const sr = await ruleState(re);
    expect(sr.state & ST.ST_ERROR).toBe(ST.ST_ERROR);
    expect(sr.error).toBe(RULE_ERROR.Processing);
    expect(sr.problem).toMatch(/condition/);
  });

  it('client-side actions become deferred action messages: one per rule provider, in the Deferred Action folder', async () => {
    const defer = (data: string): ActionBlock => ({ ActionType: OP.OP_DEFER_ACTION, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'defer', DeferActionData: Buffer.from(data) } });
    const toPst: ActionBlock = {
      ActionType: OP.OP_MOVE, ActionFlavor: 0, ActionFlags: 0,
      data: { kind: 'moveCopy', FolderInThisStore: 0, StoreEID: Buffer.from('pst store'), FolderEID: { form: 'entryId', bytes: Buffer.alloc(46, 9) } },
    };
    const r1 = await addRule('defer + read', subjectHas('report'), [defer('one'), MARK_READ], { seq: 1, provider: 'RuleOrganizer' });
    const r2 = await addRule('to pst', subjectHas('report'), [toPst], { seq: 2, provider: 'RuleOrganizer' });
    const r3 = await addRule('other provider', subjectHas('report'), [defer('three')], { seq: 3, provider: 'Other' });
    const m = await deliver({ subject: 'weekly report' });
    const o = await run(m);
    expect(o.fired).toEqual([r1, r2, r3]);
    expect(o.problems).toEqual([]);
    expect(o.dams).toHaveLength(2);
    expect((await flags(m)) & 1).toBe(1); // the server action of rule 1 ran
    expect(await mb.folderOfMessage(m)).toBe(inbox()); // the move into another store is the client's
    for (const id of [r1, r2, r3]) expect((await ruleState(id)).state).toBe(ST.ST_ENABLED);

    const daf = (await mb.contentsRows(mb.special.deferredAction)).map((x) => x.id);
    expect(daf.sort()).toEqual([...o.dams].sort());
    const props = async (mid: bigint) => new Map((await mb.getMessageProps(mid)).flatMap((x) => ('value' in x ? [[x.tag >>> 0, x.value] as const] : [])));
    const [msgEid] = await mb.getMessageProps(m, [0x0fff0102]);
    const inboxEid = (await mb.getFolderProps(inbox(), [0x0fff0102]))[0];
    const byProvider = new Map<string, Map<number, unknown>>();
    for (const id of o.dams) {
      const p = await props(id);
      byProvider.set(p.get(DAM_TAG.RuleProvider) as string, p);
    }
    const org = byProvider.get('RuleOrganizer')!;
    expect(org.get(TAG.MessageClass)).toBe(DAM_MESSAGE_CLASS);
    expect(org.get(DAM_TAG.DamBackPatched)).toBe(false);
    expect(decodeRuleActions(org.get(DAM_TAG.ClientActions) as Buffer, CP)).toEqual([defer('one'), toPst]);
    const ids = org.get(DAM_TAG.RuleIds) as Buffer;
    expect([ids.readBigUInt64LE(0), ids.readBigUInt64LE(8)]).toEqual([r1, r2]);
    expect(org.get(DAM_TAG.DamOriginalEntryId)).toEqual((msgEid as { value: Buffer }).value);
    expect(org.get(DAM_TAG.RuleFolderEntryId)).toEqual((inboxEid as { value: Buffer }).value);
    const sid = org.get(DAM_TAG.DeferredActionMessageOriginalEntryId) as Buffer;
    expect([sid.length, sid[0], sid.readBigUInt64LE(1), sid.readBigUInt64LE(9)]).toEqual([21, 1, inbox(), m]);
    const other = byProvider.get('Other')!;
    expect(decodeRuleActions(other.get(DAM_TAG.ClientActions) as Buffer, CP)).toEqual([defer('three')]);
    expect((other.get(DAM_TAG.RuleIds) as Buffer).length).toBe(8);
    expect((await props(m)).get(DAM_TAG.HasDeferredActionMessages)).toBe(true);

    // a server action that deletes the message leaves nothing for the client: no DAM, a problem reported
    await addRule('delete', subjectHas('junk'), [defer('x'), DELETE], { provider: 'RuleOrganizer' });
    const j = await deliver({ subject: 'junk' });
    const oj = await run(j);
    expect(oj.dams).toEqual([]);
    expect(oj.problems.some((x) => x.includes('deleted'))).toBe(true);
    expect((await mb.contentsRows(mb.special.deferredAction)).length).toBe(2);
  });

  it('a move to a folder that does not exist is reported and the message stays', async () => {
    const id = await addRule('gone', null, [moveCopyAction(OP.OP_MOVE, 0x0001_0000_0000_7777n)]);
    const m = await deliver({});
    const o = await run(m);
    expect(o.fired).toEqual([id]);
    expect(await mb.folderOfMessage(m)).toBe(inbox());
    expect((await ruleState(id)).error).toBe(RULE_ERROR.MoveCopy);
  });

  it('forwards (inline and as attachment) and replies with a template or stock text through submit', async () => {
    const sent: bigint[] = [];
    const submit = async (m: MailboxStore, mid: bigint) => {
      expect(m).toBe(mb);
      sent.push(mid);
    };
    const fwdTo = [{ Reserved: 1, PropertyValues: [{ tag: TAG.DisplayName, value: 'Bob' }, { tag: TAG.AddressType, value: 'EX' }, { tag: TAG.EmailAddress, value: BOB.legacyDn }] }];
    await addRule('fwd', subjectHas('fwd'), [{ ActionType: OP.OP_FORWARD, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'recipients', RecipientBlocks: fwdTo } }]);
    await addRule('fwdatt', subjectHas('attach'), [{ ActionType: OP.OP_FORWARD, ActionFlavor: FWD_AS_ATTACHMENT, ActionFlags: 0, data: { kind: 'recipients', RecipientBlocks: fwdTo } }]);
    // the reply template: an FAI message of the Inbox
    const tpl = await mb.newMessage(inbox(), { associated: true });
    await tpl.setProps([{ tag: TAG.MessageClass, value: 'IPM.Note.Rules.ReplyTemplate.Microsoft' }, { tag: TAG.Body, value: 'I got it.' }]);
    const tplMid = await tpl.save();
    await addRule('reply', subjectHas('question'), [{ ActionType: OP.OP_REPLY, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'reply', ReplyTemplateFID: inbox(), ReplyTemplateMID: tplMid, ReplyTemplateGUID: '00000000-0000-0000-0000-000000000001' } }]);
    await addRule('stock', subjectHas('stock'), [{ ActionType: OP.OP_REPLY, ActionFlavor: RPLY_STOCK_REPLY_TEMPLATE, ActionFlags: 0, data: { kind: 'reply', ReplyTemplateFID: 0n, ReplyTemplateMID: 0n, ReplyTemplateGUID: '00000000-0000-0000-0000-000000000000' } }]);

    const read = async (mid: bigint) => {
      const m = await mb.openMessage(mid);
      try {
        const p = new Map((await m.getProps()).flatMap((x) => ('value' in x ? [[x.tag >>> 0, x.value] as const] : [])));
        return { p, rcpts: await m.readRecipients(), atts: await m.attachmentTable([TAG.AttachMethod]), fid: m.fid };
      } finally {
        await m.discard();
      }
    };
    const addr = (rows: RecipientRow[]) => rows.map((r) => r.props.find((x) => x.tag === TAG.EmailAddress)?.value);

    expect((await run(await deliver({ subject: 'please fwd' }), submit)).sent).toBe(1);
    let g = await read(sent.at(-1)!);
    expect(g.fid).toBe(mb.special.outbox);
    expect(g.p.get(TAG.Subject)).toBe('FW: please fwd');
    expect(g.p.get(TAG.Body)).toBe('body text');
    expect(addr(g.rcpts)).toEqual([BOB.legacyDn]);

    expect((await run(await deliver({ subject: 'attach this' }), submit)).sent).toBe(1);
    g = await read(sent.at(-1)!);
    expect(g.atts).toHaveLength(1);

    expect((await run(await deliver({ subject: 'a question', from: ['SMTP', 'carol@example.com', 'Carol'] }), submit)).sent).toBe(1);
    g = await read(sent.at(-1)!);
    expect(g.p.get(TAG.Body)).toBe('I got it.');
    expect(g.p.get(TAG.MessageClass)).toBe('IPM.Note');
    expect(g.p.get(TAG.Subject)).toBe('RE: a question');
    expect(addr(g.rcpts)).toEqual(['carol@example.com']);

    expect((await run(await deliver({ subject: 'stock' }), submit)).sent).toBe(1);
    g = await read(sent.at(-1)!);
    expect(String(g.p.get(TAG.Body))).toMatch(/automatic reply/);

    // without a transport the forward is reported, nothing is lost
    const m = await deliver({ subject: 'fwd again' });
    const o = await run(m);
    expect(o.sent).toBe(0);
    expect(o.problems.some((p) => p.includes('OP_FORWARD'))).toBe(true);
    expect(await mb.folderOfMessage(m)).toBe(inbox());
  });

  it('an out-of-office reply goes once per sender while OOF is on', async () => {
    const sent: bigint[] = [];
    const submit = async (_m: MailboxStore, mid: bigint) => void sent.push(mid);
    await mb.setStoreProps([{ tag: RULE_TAG.PidTagOutOfOfficeState, value: true }]);
    await addRule('oof', null, [{ ActionType: OP.OP_OOF_REPLY, ActionFlavor: RPLY_STOCK_REPLY_TEMPLATE, ActionFlags: 0, data: { kind: 'reply', ReplyTemplateFID: 0n, ReplyTemplateMID: 0n, ReplyTemplateGUID: '00000000-0000-0000-0000-000000000000' } }], { state: ST.ST_ONLY_WHEN_OOF });
    await run(await deliver({ from: ['SMTP', 'carol@example.com'] }), submit);
    await run(await deliver({ from: ['SMTP', 'carol@example.com'] }), submit);
    await run(await deliver({ from: ['SMTP', 'dave@example.com'] }), submit);
    expect(sent).toHaveLength(2);
  });
});

describe('rules through the transport delivery', () => {
  it('Bob sends to Alice: her "from Bob -> move" rule moves it, her auto-reply reaches Bob', async () => {
    installRulesEngine();
    const bob = await store.openMailbox(BOB);
    const f = (await mb.createFolder(inbox(), { displayName: 'From Bob' })).fid;
    await addRule('from bob', fromAddr('EX', BOB.legacyDn), [
      moveCopyAction(OP.OP_MOVE, f),
      { ActionType: OP.OP_REPLY, ActionFlavor: RPLY_STOCK_REPLY_TEMPLATE, ActionFlags: 0, data: { kind: 'reply', ReplyTemplateFID: 0n, ReplyTemplateMID: 0n, ReplyTemplateGUID: '00000000-0000-0000-0000-000000000000' } },
    ]);
    const transport = new MailTransport({
      store,
      directory: { findUser: async (x) => USERS.find((u) => [u.username, u.legacyExchangeDN, u.smtpAddress].some((k) => k?.toLowerCase() === x.toLowerCase())) ?? null },
      log,
      localDomain: 'example.com',
      heloName: 'test',
    });
    const msg = await bob.newMessage(bob.special.outbox);
    await msg.setProps([{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: 'status' }, { tag: TAG.Body, value: 'all good' }]);
    await msg.setRecipients([{ rowId: 0, props: [{ tag: TAG.DisplayName, value: 'Alice' }, { tag: TAG.AddressType, value: 'EX' }, { tag: TAG.EmailAddress, value: ALICE.legacyDn }, { tag: TAG.RecipientType, value: MAPI_TO }] }]);
    const mid = await msg.save();
    const r = await transport.submit({ mailbox: bob, mid });
    expect(r.recipients.map((x) => x.status)).toEqual(['delivered']);
    const inAlice = await mb.contentsRows(inbox(), { tags: [TAG.Subject] });
    expect(inAlice.map((x) => x.props.get(TAG.Subject))).toEqual([]);
    const moved = await mb.contentsRows(f, { tags: [TAG.Subject] });
    expect(moved.map((x) => x.props.get(TAG.Subject))).toEqual(['status']);
    const bobInbox = await bob.contentsRows(bob.special.inbox, { tags: [TAG.Subject] });
    expect(bobInbox.map((x) => x.props.get(TAG.Subject))).toEqual(['RE: status']);
    // the reply was sent from Alice's Outbox and not kept there
    expect(await mb.contentsRows(mb.special.outbox, { tags: [TAG.Subject] })).toEqual([]);
    await transport.idle();
  });
});
