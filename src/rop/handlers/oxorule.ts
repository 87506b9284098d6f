// MS-OXORULE 3.2.5 server-side rules ROPs: RopModifyRules (add / modify / remove standard rules of a folder, or
// replace them all), RopGetRulesTable (a table over the folder's rules, MS-OXORULE 2.2.2) and
// RopUpdateDeferredActionMessages (3.2.5.3). Rules are kept by the store (MailboxStore.listRules / modifyRules);
// execution on delivery is src/rules/engine.ts.
//
// Choices where the spec leaves room:
// - PidTagRuleActions arrives as its bytes (src/mapi/ropprops.ts checks only the RuleAction framing); each rule's
//   actions are parsed here (src/mapi/ruleactions.ts). ActionData that does not parse is "data in the request buffer
//   [that] is incorrect" (3.2.5.2): ecInvalidParam, and no change of the request is stored (one store transaction);
// - an action or condition the server keeps but cannot run is stored with its bytes and reported in PidTagRuleState
//   (ST_ERROR / ST_RULE_PARSE_ERROR) and PidTagRuleError (src/rules/analyze.ts), and logged;
// - ROW_ADD without PidTagRuleActions or PidTagRuleCondition, ROW_MODIFY / ROW_REMOVE without PidTagRuleId, and
//   RuleDataFlags other than exactly one of ROW_ADD / ROW_MODIFY / ROW_REMOVE: ecInvalidParam; a PidTagRuleId on
//   ROW_ADD is ignored (the server assigns it); an unknown rule id: ecNotFound; properties other than the rule
//   properties of 2.2.1.3.1 are ignored;
// - ST_ERROR and ST_RULE_PARSE_ERROR sent by a client are ignored (2.2.1.3.1.3: not set by the client);
// - reading and changing rules needs FolderOwner rights on the folder (the mailbox owner has them; a delegate needs
//   them granted), else ecAccessDenied;
// - more than MAX_RULES_PER_FOLDER (1000) rules on a folder: ecNotEnoughMemory (3.2.5.2) and, unlike the SHOULD
//   there, nothing of the request stored (all or nothing like every other refusal);
// - PidTagHasRules (3.2.5.2) is a stored folder property set after each successful RopModifyRules;
// - a rules table is read again through ruleRows() after the folder's rules changed (the store reports the change as
//   ObjectModified of the folder; notif-tables.ts);
// - RopUpdateDeferredActionMessages records the pair and patches the deferred action messages (DAMs) of the
//   Deferred Action folder whose PidTagDamOriginalEntryId is ServerEntryId (3.2.5.3): the client's entry id, and
//   PidTagDamBackPatched TRUE; it answers Success also when no DAM matches.
import { propId, type PropValue, type TaggedValue } from '../../mapi/props.js';
import { TableView, type TableRow } from '../../mapi/table/index.js';
import {
  MODIFY_RULES_FLAG_REPLACE, ROW_ADD, ROW_MODIFY, ROW_REMOVE, RULE_TAG, RuleActionError, ST_SERVER_BITS,
} from '../../mapi/ruleactions.js';
import type { MailboxStore, RuleChange, RuleFields, StoredRule } from '../../mapistore/types.js';
import { analyzeRule } from '../../rules/analyze.js';
import { installRulesEngine } from '../../rules/engine.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult } from '../types.js';
import { setTableRowsReader } from './notif-tables.js';
import { checkedLogon, folderRights, FolderObject, guard, RIGHTS, TableObject, type LogonObject, type MailboxHandlerDeps } from './objects.js';

// MS-OXCROPS 2.2.11 RopIds
export const RULE_ROP = { RopModifyRules: 0x41, RopGetRulesTable: 0x3f, RopUpdateDeferredActionMessages: 0x57 } as const;

// MS-OXORULE 2.2.9 / MS-OXPROPS DAM properties patched by RopUpdateDeferredActionMessages
const PidTagDamOriginalEntryId = 0x66460102;
const PidTagDamBackPatched = 0x6647000b;

interface RuleData {
  RuleDataFlags: number;
  PropertyValues: TaggedValue[];
}
interface ModifyRulesRequest extends RopRequestHeader {
  ModifyRulesFlag: number;
  RulesData: RuleData[];
}
interface GetRulesTableRequest extends RopRequestHeader {
  OutputHandleIndex: number;
  TableFlags: number;
}
interface UpdateDamRequest extends RopRequestHeader {
  ServerEntryId: Buffer;
  ClientEntryId: Buffer;
}

/** The rows of a rules table: one per rule, with the rule properties of MS-OXORULE 2.2.1.3.1 (+ PidTagRuleError). */
export async function ruleRows(store: MailboxStore, fid: bigint): Promise<TableRow[]> {
  const rules = await store.listRules(fid);
  return rules.map((r) => ({ id: r.id, props: ruleProps(r) }));
}

setTableRowsReader('rules', (t) => (t.source.type === 'rules' ? ruleRows(t.logon.store, t.source.fid) : Promise.resolve([])));

function ruleProps(r: StoredRule): Map<number, PropValue> {
  const m = new Map<number, PropValue>([
    [RULE_TAG.PidTagRuleId, r.id],
    [RULE_TAG.PidTagRuleSequence, r.sequence],
    [RULE_TAG.PidTagRuleState, r.state | 0],
    [RULE_TAG.PidTagRuleUserFlags, r.userFlags | 0],
    [RULE_TAG.PidTagRuleActions, r.actions],
    [RULE_TAG.PidTagRuleProvider, r.provider],
    [RULE_TAG.PidTagRuleName, r.name],
    [RULE_TAG.PidTagRuleLevel, r.level],
  ]);
  if (r.condition) m.set(RULE_TAG.PidTagRuleCondition, r.condition);
  if (r.providerData) m.set(RULE_TAG.PidTagRuleProviderData, r.providerData);
  if (r.error !== 0) m.set(RULE_TAG.PidTagRuleError, r.error | 0);
  return m;
}

/** The rule properties of a RuleData by property id (either string type for names); others ignored. */
function readRuleProps(values: readonly TaggedValue[]): { id?: bigint; fields: Partial<RuleFields> } {
  const fields: Partial<RuleFields> = {};
  let id: bigint | undefined;
  for (const { tag, value } of values) {
    switch (propId(tag)) {
      case propId(RULE_TAG.PidTagRuleId):
        if (typeof value === 'bigint') id = value;
        break;
      case propId(RULE_TAG.PidTagRuleSequence):
        if (typeof value === 'number') fields.sequence = value;
        break;
      case propId(RULE_TAG.PidTagRuleState):
        if (typeof value === 'number') fields.state = value >>> 0;
        break;
      case propId(RULE_TAG.PidTagRuleUserFlags):
        if (typeof value === 'number') fields.userFlags = value >>> 0;
        break;
      case propId(RULE_TAG.PidTagRuleLevel):
        if (typeof value === 'number') fields.level = value;
        break;
      case propId(RULE_TAG.PidTagRuleName):
        if (typeof value === 'string') fields.name = value;
        break;
      case propId(RULE_TAG.PidTagRuleProvider):
        if (typeof value === 'string') fields.provider = value;
        break;
      case propId(RULE_TAG.PidTagRuleProviderData):
        if (Buffer.isBuffer(value)) fields.providerData = Buffer.from(value);
        break;
      case propId(RULE_TAG.PidTagRuleCondition):
        if (Buffer.isBuffer(value)) fields.condition = Buffer.from(value);
        break;
      case propId(RULE_TAG.PidTagRuleActions):
        if (Buffer.isBuffer(value)) fields.actions = Buffer.from(value);
        break;
      default:
        break;
    }
  }
  return id === undefined ? { fields } : { id, fields };
}

class BadRuleData extends Error {
  constructor(
    readonly ec: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns the request's RuleData into store changes: the actions parsed (BadRuleData ecInvalidParam when they do not
 * parse), the parsed form and the server's state bits and PidTagRuleError filled in. `current` gives a modified
 * rule's stored fields (its condition and actions are analyzed again when only one of them changes).
 */
function toChanges(req: ModifyRulesRequest, codePage: number, current: Map<bigint, StoredRule>, ctx: RopContext): RuleChange[] {
  const out: RuleChange[] = [];
  req.RulesData.forEach((rd, i) => {
    const { id, fields } = readRuleProps(rd.PropertyValues);
    if (rd.RuleDataFlags === ROW_REMOVE) {
      if (id === undefined) throw new BadRuleData(ec.InvalidParam, `RuleData ${i}: ROW_REMOVE without PidTagRuleId`);
      out.push({ op: 'remove', id });
      return;
    }
    if (rd.RuleDataFlags !== ROW_ADD && rd.RuleDataFlags !== ROW_MODIFY) {
      throw new BadRuleData(ec.InvalidParam, `RuleData ${i}: RuleDataFlags 0x${rd.RuleDataFlags.toString(16)}`);
    }
    const add = rd.RuleDataFlags === ROW_ADD;
    if (!add && id === undefined) throw new BadRuleData(ec.InvalidParam, `RuleData ${i}: ROW_MODIFY without PidTagRuleId`);
    const cur = add ? undefined : current.get(id as bigint);
    if (!add && !cur) throw new BadRuleData(ec.NotFound, `RuleData ${i}: no rule 0x${(id as bigint).toString(16)}`);
    if (add && (!fields.actions || fields.condition === undefined)) {
      throw new BadRuleData(ec.InvalidParam, `RuleData ${i}: ROW_ADD needs PidTagRuleCondition and PidTagRuleActions`);
    }
    if (fields.state !== undefined) fields.state = (fields.state & ~ST_SERVER_BITS) >>> 0;
    const actions = fields.actions ?? cur?.actions;
    if (fields.actions !== undefined || fields.condition !== undefined || add) {
      const condition = fields.condition !== undefined ? fields.condition : (cur?.condition ?? null);
      let a;
      try {
        a = analyzeRule(condition, actions as Buffer, fields.actions !== undefined || !cur ? codePage : cur.codePage);
      } catch (e) {
        if (e instanceof RuleActionError) throw new BadRuleData(ec.InvalidParam, `RuleData ${i}: ${e.message}`);
        throw e;
      }
      const state = ((fields.state ?? (cur ? cur.state & ~ST_SERVER_BITS : 0)) | a.serverState) >>> 0;
      Object.assign(fields, { state, actionsParsed: a.actionsParsed, error: a.error, problem: a.problem });
      if (fields.actions !== undefined) fields.codePage = codePage;
      if (a.problem) ctx.log.warn({ rule: fields.name ?? cur?.name, problem: a.problem }, 'rule stored with a problem');
    } else if (fields.state !== undefined && cur) {
      // a state change keeps the server's bits of the stored rule
      fields.state = (fields.state | (cur.state & ST_SERVER_BITS)) >>> 0;
    }
    if (add) out.push({ op: 'add', fields: fields as Partial<RuleFields> & Pick<RuleFields, 'actions'> });
    else out.push({ op: 'modify', id: id as bigint, fields });
  });
  return out;
}

/** MS-OXORULE 3.2.5.2: PidTagHasRules of the folder follows its rules (set only when it changes). */
async function updateHasRules(store: MailboxStore, fid: bigint): Promise<void> {
  const has = (await store.listRules(fid)).length > 0;
  const [cur] = await store.getFolderProps(fid, [RULE_TAG.PidTagHasRules]);
  const was = cur !== undefined && 'value' in cur && cur.value === true;
  if (has !== was) await store.setFolderProps(fid, [{ tag: RULE_TAG.PidTagHasRules, value: has }]);
}

function folderOf(req: RopRequestHeader, ctx: RopContext): { folder: FolderObject; logon: LogonObject } | undefined {
  const logon = checkedLogon(req, ctx);
  const folder = ctx.input;
  if (!logon || !(folder instanceof FolderObject) || folder.logon !== logon) return undefined;
  return { folder, logon };
}

export function createRuleHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  // the server that answers the rules ROPs also runs the rules on delivery (src/transport/hooks.ts)
  installRulesEngine();
  const m = new Map<number, RopHandlerEntry>();

  // MS-OXORULE 3.2.5.2 RopModifyRules
  m.set(RULE_ROP.RopModifyRules, {
    inputKinds: ['folder'],
    handle: (req: ModifyRulesRequest, ctx: RopContext) => {
      const f = folderOf(req, ctx);
      if (!f) return { ec: ec.NullObject };
      return guard(ctx, async (): Promise<RopResult> => {
        const { folder, logon } = f;
        if (((await folderRights(logon, folder.fid)) & RIGHTS.FolderOwner) === 0) return { ec: ec.AccessDenied };
        const replace = (req.ModifyRulesFlag & MODIFY_RULES_FLAG_REPLACE) !== 0;
        const current = new Map((await logon.store.listRules(folder.fid)).map((r) => [r.id, r] as const));
        let changes: RuleChange[];
        try {
          changes = toChanges(req, ctx.codePage, current, ctx);
        } catch (e) {
          if (!(e instanceof BadRuleData)) throw e;
          ctx.log.warn({ fid: folder.fid.toString(16), err: e.message }, 'RopModifyRules refused');
          return { ec: e.ec };
        }
        await logon.store.modifyRules(folder.fid, changes, { replace });
        await updateHasRules(logon.store, folder.fid);
        return { ec: ec.Success, response: {} };
      });
    },
  });

  // MS-OXORULE 3.2.5.1 RopGetRulesTable: TableFlags UseUnicode (0x40) as for other tables
  m.set(RULE_ROP.RopGetRulesTable, {
    inputKinds: ['folder'],
    handle: (req: GetRulesTableRequest, ctx: RopContext) => {
      const f = folderOf(req, ctx);
      if (!f) return { ec: ec.NullObject };
      return guard(ctx, async (): Promise<RopResult> => {
        const { folder, logon } = f;
        if (((await folderRights(logon, folder.fid)) & RIGHTS.FolderOwner) === 0) return { ec: ec.AccessDenied };
        const rows = await ruleRows(logon.store, folder.fid);
        const table = new TableObject(req.LogonId, logon, logon, { type: 'rules', fid: folder.fid }, req.TableFlags, new TableView(rows));
        return { ec: ec.Success, created: table, response: {} };
      });
    },
  });

  // MS-OXORULE 3.2.5.3 RopUpdateDeferredActionMessages: on the logon (or a folder of it)
  m.set(RULE_ROP.RopUpdateDeferredActionMessages, {
    inputKinds: ['logon', 'folder'],
    handle: (req: UpdateDamRequest, ctx: RopContext) => {
      const logon = checkedLogon(req, ctx);
      if (!logon || (ctx.input instanceof FolderObject && ctx.input.logon !== logon)) return { ec: ec.NullObject };
      return guard(ctx, async (): Promise<RopResult> => {
        const store = logon.store;
        const server = Buffer.from(req.ServerEntryId);
        const client = Buffer.from(req.ClientEntryId);
        await store.recordDeferredActionUpdate(server, client);
        const dams = await store.contentsRows(store.special.deferredAction, { tags: [PidTagDamOriginalEntryId] });
        for (const r of dams) {
          const v = r.props.get(PidTagDamOriginalEntryId);
          if (Buffer.isBuffer(v) && v.equals(server)) {
            await store.setMessageProps(r.id, [
              { tag: PidTagDamOriginalEntryId, value: client },
              { tag: PidTagDamBackPatched, value: true },
            ]);
          }
        }
        return { ec: ec.Success, response: {} };
      });
    },
  });

  return m;
}

