// Server-side rules run on delivery (MS-OXORULE 3.2.5.1): the standard rules of the folder a message was delivered
// into (normally the Inbox), in PidTagRuleSequence order, each condition evaluated against the message (the table
// engine's restriction evaluator, src/mapi/table, with the message's recipients and attachments for
// SUBRESTRICTION), and the actions of the rules that match run: OP_MOVE, OP_COPY (a folder of the same mailbox by
// ServerEid or folder entry id), OP_DELETE, OP_MARK_AS_READ, OP_TAG, OP_FORWARD, OP_REPLY and OP_OOF_REPLY (new
// messages submitted through the transport's submit function). Entry point: runRulesOnDelivery; installRulesEngine
// registers it as a delivery hook of src/transport/hooks.ts.
//
// Choices where the spec leaves room:
// - a rule runs when ST_ENABLED is set, or when ST_ONLY_WHEN_OOF is set and PidTagOutOfOfficeState of the store is
//   TRUE (2.2.1.3.1.3); ST_EXIT_LEVEL on a matching rule stops the evaluation of the following rules, except the
//   out-of-office rules while OOF is on, unless the exiting rule is itself an out-of-office rule (3.2.5.1.1.1);
// - actions run in their order on the message where it is at that moment: after OP_MOVE, later actions (and later
//   rules) act on the moved message; after OP_DELETE (a hard delete, as "permanently delete" in Outlook; Outlook's
//   "delete" is a move to Deleted Items) actions that need the message are skipped and logged;
// - conditions are evaluated on the message's properties as delivered; PidTagMessageToMe / CcMe / RecipientMe and
//   the sender's search key are computed when the delivery did not set them. Values only a stream can read (long
//   bodies) are absent for the evaluator, so a body condition on a long body does not match;
// - what cannot be run (a condition the evaluator refuses, an action not implemented here: OP_BOUNCE, OP_DELEGATE,
//   an unknown ActionType) is never dropped: the rule keeps it, the failure goes into PidTagRuleState ST_ERROR /
//   PidTagRuleError (MailboxStore.setRuleStatus) and the log; the rule's other actions still run;
// - client-side actions (OP_DEFER_ACTION, a move / copy into another store: analyze.ts isClientAction) go into a
//   deferred action message (DAM, MS-OXORULE 2.2.6 / 3.2.5.1.2) in the Deferred Action folder, made once the rules
//   have run: one DAM per rule provider and delivered message, with the actions of every matching rule of that
//   provider in rule order (PidTagClientActions, a RuleAction with 2-byte counts as the rules were stored) and their
//   ids (PidTagRuleIds); the delivered message gets PidTagHasDeferredActionMessages TRUE. The DAM names the message
//   where the server's own actions left it; when they deleted it no DAM is made (nothing is left to act on: logged);
// - forwards, replies and out-of-office replies are saved in the Outbox and submitted through `submit` (the
//   transport deletes them after sending); without a submit function they are reported as failures. Replies and
//   OOF replies are not sent to messages whose PidTagAutoResponseSuppress asks for it, to reports (REPORT.*) or to
//   rule-generated messages, and generated messages carry PidTagAutoResponseSuppress so they start no reply loop;
//   an out-of-office reply goes to each sender once while OOF stays on (the OOF history is kept in memory and
//   forgotten when a delivery sees OOF off).
import { decodeFolderEntryId } from '../mapi/entryid.js';
import { makeEid } from '../mapi/ids.js';
import type { PropValue, TaggedValue } from '../mapi/props.js';
import {
  FWD_AS_ATTACHMENT, OP, OP_NAMES, RPLY_DO_NOT_SEND_TO_ORIGINATOR, RPLY_STOCK_REPLY_TEMPLATE, RULE_ERROR, RULE_TAG, ST, encodeRuleActions, type ActionBlock,
} from '../mapi/ruleactions.js';
import {
  RestrictionEvaluator, lookupProp, PidTagMessageAttachments, PidTagMessageRecipients, type TableRestriction, type TableRow,
} from '../mapi/table/index.js';
import { ATTACH_EMBEDDED_MSG, MAPI_BCC, MAPI_CC, MAPI_TO, type MailboxStore, type MessageObject, type StoredRule } from '../mapistore/types.js';
import { copyMessageInto } from '../transport/copy.js';
import { onDelivered, type DeliveryContext } from '../transport/hooks.js';
import type { Logger } from '../util/log.js';
import { analyzeRule, ENGINE_ACTIONS, isClientAction } from './analyze.js';

// MS-OXPROPS tags the engine reads or writes (the tests build their messages with them too)
export const TAG = {
  Subject: 0x0037001f,
  SubjectPrefix: 0x003d001f,
  NormalizedSubject: 0x0e1d001f,
  MessageClass: 0x001a001f,
  MessageFlags: 0x0e070003,
  MessageToMe: 0x0057000b,
  MessageCcMe: 0x0058000b,
  MessageRecipientMe: 0x0059000b,
  SenderName: 0x0c1a001f,
  SenderSearchKey: 0x0c1d0102,
  SenderAddressType: 0x0c1e001f,
  SenderEmailAddress: 0x0c1f001f,
  SenderSmtpAddress: 0x5d01001f,
  SentRepresentingName: 0x0042001f,
  SentRepresentingSearchKey: 0x003b0102,
  SentRepresentingAddressType: 0x0064001f,
  SentRepresentingEmailAddress: 0x0065001f,
  SentRepresentingSmtpAddress: 0x5d02001f,
  AutoResponseSuppress: 0x3fdf0003,
  Body: 0x1000001f,
  DisplayName: 0x3001001f,
  AddressType: 0x3002001f,
  EmailAddress: 0x3003001f,
  SmtpAddress: 0x39fe001f,
  RecipientType: 0x0c150003,
  AttachMethod: 0x37050003,
  InReplyToId: 0x1042001f,
  InternetMessageId: 0x1035001f,
  EntryId: 0x0fff0102,
} as const;

// MS-OXORULE 2.2.6 DAM properties (MS-OXPROPS tags) and 2.2.9.1 on the delivered message
export const DAM_TAG = {
  DamBackPatched: 0x6647000b,
  DamOriginalEntryId: 0x66460102,
  RuleProvider: 0x6681001f,
  RuleFolderEntryId: 0x66510102,
  ClientActions: 0x66450102,
  RuleIds: 0x66750102,
  DeferredActionMessageOriginalEntryId: 0x674100fb,
  HasDeferredActionMessages: 0x3fea000b,
} as const;
/** MS-OXORULE 2.2.6.1 PidTagMessageClass of a DAM. */
export const DAM_MESSAGE_CLASS = 'IPC.Microsoft Exchange 4.0.Deferred Action';

// MS-OXOMSG 2.2.1.77 PidTagAutoResponseSuppress bits
const ARS_OOF = 0x10;
const ARS_AUTO_REPLY = 0x20;
/** What generated messages carry: no delivery/read reports, no OOF, no auto-replies to them. */
const ARS_ALL = 0xffffffff;
/** MS-OXCMSG 2.2.1.6 mfRead. */
const MSGFLAG_READ = 0x01;

/** The text of a reply with ActionFlavor ST (stock reply template): server-defined (MS-OXORULE 2.2.5.1.1). */
export const STOCK_REPLY_TEXT = 'Your message has been received. This is an automatic reply.';

export interface RulesRunContext {
  mailbox: MailboxStore;
  /** The folder the message was delivered into: its rules run (normally the Inbox). */
  fid: bigint;
  mid: bigint;
  log: Logger;
  /** Sends a message saved in `mailbox` (forward, reply, OOF reply); absent: those actions fail and are reported. */
  submit?: (mailbox: MailboxStore, mid: bigint) => Promise<void>;
}

export interface RulesOutcome {
  /** Rules whose condition matched, in the order they ran. */
  fired: bigint[];
  /** Where the delivered message is now. */
  location: { fid: bigint; mid: bigint } | 'deleted';
  /** Messages generated and submitted (forwards, replies, OOF replies). */
  sent: number;
  /** What could not be done (also logged and recorded on the rules). */
  problems: string[];
  /** Deferred action messages made in the Deferred Action folder (MIDs). */
  dams: bigint[];
}

/** Out-of-office history: mailbox GUID -> rule id -> senders already answered. */
const oofHistory = new Map<string, Map<bigint, Set<string>>>();

interface Run {
  ctx: RulesRunContext;
  mb: MailboxStore;
  props: Map<number, PropValue>;
  loc: { fid: bigint; mid: bigint } | 'deleted';
  outcome: RulesOutcome;
  oof: boolean;
  /** Client-side actions met, by rule provider (one DAM each, made after the rules ran). */
  deferred: Map<string, { rules: StoredRule[]; actions: ActionBlock[] }>;
}

const str = (v: PropValue | undefined): string => (typeof v === 'string' ? v : '');

function valuesOf(results: readonly ({ tag: number; value: PropValue } | { tag: number; error: number })[]): Map<number, PropValue> {
  const m = new Map<number, PropValue>();
  for (const r of results) if ('value' in r) m.set(r.tag >>> 0, r.value);
  return m;
}

function searchKey(type: string, address: string): Buffer {
  return Buffer.from(`${type}:${address}`.toUpperCase() + '\0', 'latin1');
}

/** Runs the rules of `ctx.fid` on message `ctx.mid`. Never throws for a rule's failure (it is recorded instead). */
export async function runRulesOnDelivery(ctx: RulesRunContext): Promise<RulesOutcome> {
  const mb = ctx.mailbox;
  const outcome: RulesOutcome = { fired: [], location: { fid: ctx.fid, mid: ctx.mid }, sent: 0, problems: [], dams: [] };
  const rules = await mb.listRules(ctx.fid);
  if (rules.length === 0) return outcome;
  const oofRes = (await mb.storeProps([RULE_TAG.PidTagOutOfOfficeState]))[0];
  const oof = !!oofRes && 'value' in oofRes && oofRes.value === true;
  if (!oof) oofHistory.delete(mb.mailboxGuid);

  // the message as delivered, with its recipients and attachments for SUBRESTRICTION
  const props = valuesOf(await mb.getMessageProps(ctx.mid));
  const msg = await mb.openMessage(ctx.mid);
  let recipients: TableRow[];
  let attachments: TableRow[];
  try {
    const rows = await msg.readRecipients();
    recipients = rows.map((r) => ({ id: BigInt(r.rowId), props: new Map(r.props.map((p) => [p.tag >>> 0, p.value] as const)) }));
    attachments = (await msg.attachmentTable()).map((a) => ({ id: BigInt(a.attachNum), props: valuesOf(a.props) }));
  } finally {
    await msg.discard().catch(() => {});
  }
  addComputed(props, recipients, mb);
  const sub = (_rowId: bigint, subObject: number): Iterable<TableRow> =>
    subObject === PidTagMessageRecipients ? recipients : subObject === PidTagMessageAttachments ? attachments : [];
  const get = (tag: number) => lookupProp(props, tag);

  const run: Run = { ctx, mb, props, loc: outcome.location, outcome, oof, deferred: new Map() };
  let exited = false;
  for (const rule of rules) {
    const oofRule = (rule.state & ST.ST_ONLY_WHEN_OOF) !== 0;
    if (oofRule ? !oof : (rule.state & ST.ST_ENABLED) === 0) continue;
    // after ST_EXIT_LEVEL only out-of-office rules still run (3.2.5.1.1.1)
    if (exited && !oofRule) continue;
    let a;
    try {
      a = analyzeRule(rule.condition, rule.actions, rule.codePage);
    } catch (e) {
      await fail(run, rule, RULE_ERROR.Parsing, `actions do not parse: ${(e as Error).message}`);
      continue;
    }
    if (!a.conditionOk) {
      await fail(run, rule, RULE_ERROR.Processing, a.problem ?? 'condition not supported');
      continue;
    }
    let matched: boolean;
    try {
      matched = a.condition === null || new RestrictionEvaluator(a.condition as TableRestriction, sub).matches(get, ctx.mid);
    } catch (e) {
      await fail(run, rule, RULE_ERROR.Processing, `condition not evaluated: ${(e as Error).message}`);
      continue;
    }
    if (!matched) continue;
    outcome.fired.push(rule.id);
    ctx.log.info({ rule: rule.name, id: rule.id.toString(16), mid: ctx.mid.toString(16) }, 'rule matched');
    for (let i = 0; i < a.actions.length; i++) await runAction(run, rule, a.actions[i]!, i);
    if (rule.state & ST.ST_EXIT_LEVEL) {
      if (oofRule) break;
      exited = true;
    }
  }
  await makeDams(run);
  outcome.location = run.loc;
  return outcome;
}

/** MS-OXCDATA 2.11.1 PtypServerId of a message of this mailbox: Ours 0x01, FolderId, MessageId, Instance 0. */
function serverId(fid: bigint, mid: bigint): Buffer {
  const b = Buffer.alloc(21);
  b[0] = 0x01;
  b.writeBigUInt64LE(fid, 1);
  b.writeBigUInt64LE(mid, 9);
  return b;
}

/** MS-OXORULE 3.2.5.1.2: one DAM per rule provider for the client-side actions met while the rules ran. */
async function makeDams(run: Run): Promise<void> {
  if (run.deferred.size === 0) return;
  const { mb, ctx } = run;
  const loc = run.loc;
  if (loc === 'deleted') {
    const problem = 'client-side actions not handed over: the message was deleted by a server action';
    run.outcome.problems.push(problem);
    ctx.log.info({ mid: ctx.mid.toString(16) }, problem);
    return;
  }
  for (const [provider, d] of run.deferred) {
    try {
      const msgEid = valuesOf(await mb.getMessageProps(loc.mid, [TAG.EntryId])).get(TAG.EntryId);
      const folderEid = valuesOf(await mb.getFolderProps(ctx.fid, [TAG.EntryId])).get(TAG.EntryId);
      const ids = Buffer.alloc(8 * d.rules.length);
      d.rules.forEach((r, i) => ids.writeBigUInt64LE(BigInt.asUintN(64, r.id), 8 * i));
      const props: TaggedValue[] = [
        { tag: TAG.MessageClass, value: DAM_MESSAGE_CLASS },
        { tag: DAM_TAG.DamBackPatched, value: false },
        { tag: DAM_TAG.RuleProvider, value: provider },
        { tag: DAM_TAG.ClientActions, value: encodeRuleActions(d.actions, d.rules[0]!.codePage) },
        { tag: DAM_TAG.RuleIds, value: ids },
        { tag: DAM_TAG.DeferredActionMessageOriginalEntryId, value: serverId(loc.fid, loc.mid) },
      ];
      if (Buffer.isBuffer(msgEid)) props.push({ tag: DAM_TAG.DamOriginalEntryId, value: msgEid });
      if (Buffer.isBuffer(folderEid)) props.push({ tag: DAM_TAG.RuleFolderEntryId, value: folderEid });
      const dam = await mb.createMessage(mb.special.deferredAction, { props });
      await mb.setMessageProps(loc.mid, [{ tag: DAM_TAG.HasDeferredActionMessages, value: true }]);
      run.outcome.dams.push(dam);
      ctx.log.info({ provider, rules: d.rules.length, actions: d.actions.length, dam: dam.toString(16) }, 'deferred action message created');
    } catch (e) {
      for (const r of d.rules) await fail(run, r, RULE_ERROR.Execution, `deferred action message not created: ${(e as Error).message}`);
    }
  }
}

/** Fills in what the delivery may not have set: ToMe / CcMe / RecipientMe and the sender search keys. */
function addComputed(props: Map<number, PropValue>, recipients: TableRow[], mb: MailboxStore): void {
  const me = [mb.owner.legacyDn, mb.owner.username, String(mb.owner['smtpAddress'] ?? '')].filter((s) => s !== '').map((s) => s.toLowerCase());
  const mine = recipients.filter((r) => {
    const a = str(lookupProp(r.props, TAG.EmailAddress)).toLowerCase();
    const s = str(lookupProp(r.props, TAG.SmtpAddress)).toLowerCase();
    return (a !== '' && me.includes(a)) || (s !== '' && (me.includes(s) || s.split('@')[0] === mb.owner.username.toLowerCase()));
  });
  const type = (r: TableRow) => lookupProp(r.props, TAG.RecipientType);
  if (!props.has(TAG.MessageToMe)) props.set(TAG.MessageToMe, mine.some((r) => type(r) === MAPI_TO));
  if (!props.has(TAG.MessageCcMe)) props.set(TAG.MessageCcMe, mine.some((r) => type(r) === MAPI_CC));
  if (!props.has(TAG.MessageRecipientMe)) props.set(TAG.MessageRecipientMe, mine.some((r) => type(r) === MAPI_TO || type(r) === MAPI_CC || type(r) === MAPI_BCC));
  const st = str(lookupProp(props, TAG.SenderAddressType));
  const sa = str(lookupProp(props, TAG.SenderEmailAddress));
  if (!props.has(TAG.SenderSearchKey) && st && sa) props.set(TAG.SenderSearchKey, searchKey(st, sa));
  const rt = str(lookupProp(props, TAG.SentRepresentingAddressType));
  const ra = str(lookupProp(props, TAG.SentRepresentingEmailAddress));
  if (!props.has(TAG.SentRepresentingSearchKey) && rt && ra) props.set(TAG.SentRepresentingSearchKey, searchKey(rt, ra));
}

/** Records a rule failure (ST_ERROR + PidTagRuleError) and logs it; never throws. */
async function fail(run: Run, rule: StoredRule, error: number, problem: string): Promise<void> {
  run.outcome.problems.push(`rule ${rule.name || rule.id.toString(16)}: ${problem}`);
  run.ctx.log.warn({ rule: rule.name, id: rule.id.toString(16), error, problem }, 'rule not fully run');
  try {
    await run.mb.setRuleStatus(run.ctx.fid, rule.id, { state: (rule.state | ST.ST_ERROR) >>> 0, error, problem });
  } catch (e) {
    run.ctx.log.warn({ err: (e as Error).message }, 'rule status not recorded');
  }
}

/** The destination of an OP_MOVE / OP_COPY in this mailbox, or null (another store, or not a folder of ours). */
function targetFolder(mb: MailboxStore, a: ActionBlock): bigint | null {
  if (a.data.kind !== 'moveCopy' || a.data.FolderInThisStore === 0) return null;
  const f = a.data.FolderEID;
  if (f.form === 'serverEid') return f.FolderId;
  try {
    const e = decodeFolderEntryId(f.bytes);
    return e.databaseGuid.toLowerCase() === mb.replGuid.toLowerCase() ? makeEid(1, e.globcnt) : null;
  } catch {
    return null;
  }
}

async function runAction(run: Run, rule: StoredRule, a: ActionBlock, i: number): Promise<void> {
  const name = OP_NAMES[a.ActionType] ?? `ActionType 0x${a.ActionType.toString(16)}`;
  const { mb } = run;
  if (isClientAction(a)) {
    // for the client: collected for the DAM of the rule's provider (makeDams)
    let d = run.deferred.get(rule.provider);
    if (!d) run.deferred.set(rule.provider, (d = { rules: [], actions: [] }));
    if (!d.rules.includes(rule)) d.rules.push(rule);
    d.actions.push(a);
    return;
  }
  if (!ENGINE_ACTIONS.has(a.ActionType) || a.data.kind === 'unknown') {
    await fail(run, rule, a.data.kind === 'unknown' ? RULE_ERROR.Parsing : RULE_ERROR.Execution, `action ${i}: ${name} is not run by this server (kept)`);
    return;
  }
  const loc = run.loc;
  const needsMessage = a.ActionType !== OP.OP_OOF_REPLY && a.ActionType !== OP.OP_REPLY;
  if (loc === 'deleted' && needsMessage) {
    run.ctx.log.info({ rule: rule.name, action: name }, 'rule action skipped: the message was deleted by an earlier action');
    return;
  }
  try {
    switch (a.ActionType) {
      case OP.OP_MOVE:
      case OP.OP_COPY: {
        const cur = loc as { fid: bigint; mid: bigint };
        const target = targetFolder(mb, a);
        if (target === null || !(await mb.folderExists(target))) {
          await fail(run, rule, RULE_ERROR.MoveCopy, `action ${i}: ${name} destination is not a folder of this mailbox`);
          return;
        }
        if (target === cur.fid) return;
        const copy = a.ActionType === OP.OP_COPY;
        const r = await mb.moveCopyMessages(cur.fid, [cur.mid], target, copy);
        if (r.partial) throw new Error(`${name} did not complete`);
        if (!copy) run.loc = { fid: target, mid: r.ids.get(cur.mid) ?? cur.mid };
        return;
      }
      case OP.OP_DELETE: {
        const cur = loc as { fid: bigint; mid: bigint };
        await mb.deleteMessages(cur.fid, [cur.mid], { hard: true });
        run.loc = 'deleted';
        return;
      }
      case OP.OP_MARK_AS_READ: {
        const cur = loc as { fid: bigint; mid: bigint };
        await mb.setReadFlags(cur.fid, [cur.mid], true);
        const f = run.props.get(TAG.MessageFlags);
        run.props.set(TAG.MessageFlags, (typeof f === 'number' ? f : 0) | MSGFLAG_READ);
        return;
      }
      case OP.OP_TAG: {
        if (a.data.kind !== 'tag') return;
        const cur = loc as { fid: bigint; mid: bigint };
        const problems = await mb.setMessageProps(cur.mid, [a.data.PropertyValue]);
        if (problems.length > 0) throw new Error(`OP_TAG property 0x${a.data.PropertyValue.tag.toString(16)} refused (0x${problems[0]!.error.toString(16)})`);
        run.props.set(a.data.PropertyValue.tag >>> 0, a.data.PropertyValue.value);
        return;
      }
      case OP.OP_FORWARD:
        await forward(run, rule, a, i);
        return;
      case OP.OP_REPLY:
      case OP.OP_OOF_REPLY:
        await reply(run, rule, a, i);
        return;
      default:
        return;
    }
  } catch (e) {
    await fail(run, rule, a.ActionType === OP.OP_MOVE || a.ActionType === OP.OP_COPY ? RULE_ERROR.MoveCopy : RULE_ERROR.Execution, `action ${i}: ${name} failed: ${(e as Error).message}`);
  }
}

/** Saves a generated message of the Outbox and submits it (fails when nothing can send). */
async function send(run: Run, build: (m: MessageObject) => Promise<void>): Promise<void> {
  const submit = run.ctx.submit;
  if (!submit) throw new Error('no transport to send with');
  const m = await run.mb.newMessage(run.mb.special.outbox);
  let mid: bigint;
  try {
    await build(m);
    await m.setProps([{ tag: TAG.AutoResponseSuppress, value: ARS_ALL | 0 }]);
    mid = await m.save();
  } finally {
    // saved or not, this copy is done with: the submission reads the stored message
    await m.discard().catch(() => {});
  }
  await submit(run.mb, mid);
  run.outcome.sent++;
}

// props of the delivered copy a forward does not take over (the transport sets sender and delivery props anew)
const FORWARD_SKIP = new Set<number>(
  [TAG.Subject, TAG.SubjectPrefix, TAG.NormalizedSubject, TAG.MessageFlags, TAG.MessageToMe, TAG.MessageCcMe, TAG.MessageRecipientMe, TAG.InternetMessageId].map((t) => t >>> 16),
);

async function forward(run: Run, rule: StoredRule, a: ActionBlock, i: number): Promise<void> {
  if (a.data.kind !== 'recipients') return;
  const blocks = a.data.RecipientBlocks;
  if (blocks.length === 0) {
    await fail(run, rule, RULE_ERROR.Execution, `action ${i}: OP_FORWARD without recipients`);
    return;
  }
  const cur = run.loc as { fid: bigint; mid: bigint };
  const orig = await run.mb.openMessage(cur.mid);
  try {
    await send(run, async (m) => {
      const subject = str(lookupProp(run.props, TAG.Subject));
      if (a.ActionFlavor & FWD_AS_ATTACHMENT) {
        const att = await m.createAttachment();
        await att.setProps([{ tag: TAG.AttachMethod, value: ATTACH_EMBEDDED_MSG }, { tag: 0x3001001f, value: subject }]);
        const emb = await att.openEmbeddedMessage(true);
        await copyMessageInto(orig, emb);
        await emb.save();
        await att.save();
        await m.setProps([{ tag: TAG.MessageClass, value: 'IPM.Note' }]);
      } else {
        await copyMessageInto(orig, m, { skipIds: FORWARD_SKIP, keepRecipient: () => false });
      }
      await m.setProps([{ tag: TAG.Subject, value: `FW: ${subject}` }]);
      await m.setRecipients(blocks.map((b, n) => ({ rowId: n, props: withRecipientType(b.PropertyValues) })));
    });
  } finally {
    await orig.discard().catch(() => {});
  }
}

function withRecipientType(values: readonly TaggedValue[]): TaggedValue[] {
  return values.some((v) => v.tag >>> 16 === TAG.RecipientType >>> 16) ? [...values] : [...values, { tag: TAG.RecipientType, value: MAPI_TO }];
}

/** The original sender as a recipient row (the represented sender first, as a reply goes to it). */
function senderRecipient(props: Map<number, PropValue>): TaggedValue[] | null {
  const pick = (repr: number, sender: number) => str(lookupProp(props, repr)) || str(lookupProp(props, sender));
  const type = pick(TAG.SentRepresentingAddressType, TAG.SenderAddressType);
  const addr = pick(TAG.SentRepresentingEmailAddress, TAG.SenderEmailAddress);
  const smtp = pick(TAG.SentRepresentingSmtpAddress, TAG.SenderSmtpAddress);
  if (!addr && !smtp) return null;
  const out: TaggedValue[] = [
    { tag: TAG.DisplayName, value: pick(TAG.SentRepresentingName, TAG.SenderName) || addr || smtp },
    { tag: TAG.AddressType, value: type || 'SMTP' },
    { tag: TAG.EmailAddress, value: addr || smtp },
    { tag: TAG.RecipientType, value: MAPI_TO },
  ];
  if (smtp) out.push({ tag: TAG.SmtpAddress, value: smtp });
  return out;
}

async function reply(run: Run, rule: StoredRule, a: ActionBlock, i: number): Promise<void> {
  if (a.data.kind !== 'reply') return;
  const oofAction = a.ActionType === OP.OP_OOF_REPLY;
  const props = run.props;
  const cls = str(lookupProp(props, TAG.MessageClass)).toUpperCase();
  const ars = lookupProp(props, TAG.AutoResponseSuppress);
  const suppress = typeof ars === 'number' && (ars & (oofAction ? ARS_OOF : ARS_AUTO_REPLY)) !== 0;
  if (suppress || cls.startsWith('REPORT.') || cls.startsWith('IPM.NOTE.RULES.')) {
    run.ctx.log.info({ rule: rule.name, action: OP_NAMES[a.ActionType] }, 'no automatic reply to an automatic message');
    return;
  }
  const noOriginator = (a.ActionFlavor & RPLY_DO_NOT_SEND_TO_ORIGINATOR) !== 0;
  const to = senderRecipient(props);
  if (!noOriginator && !to) {
    await fail(run, rule, RULE_ERROR.Execution, `action ${i}: the message has no sender to reply to`);
    return;
  }
  const senderKey = to ? str(to[2]!.value).toLowerCase() : '';
  if (oofAction) {
    let perRule = oofHistory.get(run.mb.mailboxGuid);
    if (!perRule) oofHistory.set(run.mb.mailboxGuid, (perRule = new Map()));
    let seen = perRule.get(rule.id);
    if (!seen) perRule.set(rule.id, (seen = new Set()));
    if (seen.has(senderKey)) return;
    seen.add(senderKey);
  }
  let template: MessageObject | null = null;
  if ((a.ActionFlavor & RPLY_STOCK_REPLY_TEMPLATE) === 0) {
    try {
      template = await run.mb.openMessage(a.data.ReplyTemplateMID);
    } catch (e) {
      await fail(run, rule, RULE_ERROR.RetrieveTemplate, `action ${i}: reply template 0x${a.data.ReplyTemplateMID.toString(16)}: ${(e as Error).message}`);
      return;
    }
  }
  try {
    const subject = str(lookupProp(props, TAG.Subject));
    await send(run, async (m) => {
      if (template) await copyMessageInto(template, m, { keepRecipient: () => noOriginator });
      else await m.setProps([{ tag: TAG.Body, value: STOCK_REPLY_TEXT }]);
      const t = template ? valuesOf(await m.getProps([TAG.Subject])) : new Map<number, PropValue>();
      const own = str(t.get(TAG.Subject));
      const extra: TaggedValue[] = [
        { tag: TAG.MessageClass, value: 'IPM.Note' },
        { tag: TAG.Subject, value: own !== '' ? own : `${oofAction ? 'Automatic reply' : 'RE'}: ${subject}` },
      ];
      const irt = str(lookupProp(props, TAG.InternetMessageId));
      if (irt) extra.push({ tag: TAG.InReplyToId, value: irt });
      await m.setProps(extra);
      await m.deleteProps([TAG.SubjectPrefix, TAG.NormalizedSubject]);
      if (!noOriginator && to) await m.setRecipients([{ rowId: 0, props: to }]);
    });
  } finally {
    await template?.discard().catch(() => {});
  }
}

let installed: (() => void) | null = null;

/**
 * Registers runRulesOnDelivery as a delivery hook (idempotent): every local delivery runs the rules of the folder
 * it was delivered into, and rule-generated messages go out through the delivery's submit function.
 */
export function installRulesEngine(): void {
  if (installed) return;
  installed = onDelivered(async (d: DeliveryContext) => {
    await runRulesOnDelivery({ mailbox: d.mailbox, fid: d.fid, mid: d.mid, log: d.log, submit: d.submit });
  });
}

/** Removes the hook again (tests). */
export function uninstallRulesEngine(): void {
  installed?.();
  installed = null;
}
