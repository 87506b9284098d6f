// Server-side rules of the embedded backend (MS-OXORULE 2.2.1.3.1 standard rules, stored per folder) and the
// RopUpdateDeferredActionMessages pairs (MS-OXORULE 3.2.5.3). The tables live in the mailbox's SQLite file and are
// created here on first use (the core schema does not know them).
//
// Choices:
// - a rule id (PidTagRuleId) is an EID of the mailbox's replica with a fresh GLOBCNT (unique in the mailbox, so in
//   the folder as MS-OXORULE 3.2.5.2 asks); the GLOBCNT is the key;
// - the actions are kept as the client's bytes plus the parsed form the caller hands over (RuleFields.actionsParsed),
//   so what the server cannot run is kept and answered back unchanged in the rules table;
// - modifyRules is one transaction: a bad change anywhere leaves every rule as it was;
// - rules of a deleted folder stay until the mailbox file goes (a FID is never reused, nothing can read them);
// - a change (modifyRules, setRuleStatus) is reported on the mailbox's bus as ObjectModified of the folder with tags
//   [PidTagRulesTable] (events.ts FOLDER_TABLE_TAG), so open rules tables read their rows again.
import type Database from 'better-sqlite3';
import { FOLDER_TABLE_TAG } from '../../events.js';
import { eidGlobcnt, eidReplId } from '../../../mapi/ids.js';
import { SEC, StoreError } from '../../errors.js';
import type { RuleChange, RuleFields, StoredRule } from '../../types.js';
import { REPL_ID, eid, g2n } from './helpers.js';
import * as ev from './events-emit.js';
import type { LocalMailbox } from './mailbox.js';

const RULES_SCHEMA = `
CREATE TABLE IF NOT EXISTS rules (
  fid INTEGER NOT NULL,
  rule_g INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  state INTEGER NOT NULL,
  user_flags INTEGER NOT NULL,
  level INTEGER NOT NULL,
  name TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_data BLOB,
  condition BLOB,
  actions BLOB NOT NULL,
  actions_parsed TEXT,
  code_page INTEGER NOT NULL,
  error INTEGER NOT NULL,
  problem TEXT,
  PRIMARY KEY (fid, rule_g)
);
CREATE TABLE IF NOT EXISTS deferred_action_updates (
  server_eid BLOB PRIMARY KEY,
  client_eid BLOB NOT NULL,
  modified INTEGER NOT NULL
);
`;

/** Most rules per folder (MS-OXORULE 3.2.5.2 lets the server limit them; past it: ecNotEnoughMemory). */
export const MAX_RULES_PER_FOLDER = 1000;

const ready = new WeakSet<Database.Database>();

function db(mb: LocalMailbox): Database.Database {
  if (!ready.has(mb.db)) {
    mb.db.exec(RULES_SCHEMA);
    ready.add(mb.db);
  }
  return mb.db;
}

interface RuleRow {
  rule_g: number;
  sequence: number;
  state: number;
  user_flags: number;
  level: number;
  name: string;
  provider: string;
  provider_data: Buffer | null;
  condition: Buffer | null;
  actions: Buffer;
  actions_parsed: string | null;
  code_page: number;
  error: number;
  problem: string | null;
}

function toRule(r: RuleRow): StoredRule {
  return {
    id: eid(r.rule_g),
    sequence: r.sequence,
    state: r.state >>> 0,
    userFlags: r.user_flags >>> 0,
    level: r.level,
    name: r.name,
    provider: r.provider,
    providerData: r.provider_data,
    condition: r.condition,
    actions: r.actions,
    actionsParsed: r.actions_parsed,
    codePage: r.code_page,
    error: r.error >>> 0,
    problem: r.problem,
  };
}

/** The folder's GLOBCNT (NotFound for an unknown folder). */
function folderG(mb: LocalMailbox, fid: bigint): number {
  return mb.folderRow(fid).fid;
}

function ruleG(id: bigint): number {
  if (eidReplId(id) !== REPL_ID) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `no rule 0x${id.toString(16)}`);
  return g2n(eidGlobcnt(id));
}

export function listRules(mb: LocalMailbox, fid: bigint): StoredRule[] {
  const f = folderG(mb, fid);
  const rows = db(mb).prepare('SELECT * FROM rules WHERE fid = ? ORDER BY sequence, rule_g').all(f) as RuleRow[];
  return rows.map(toRule);
}

const DEFAULTS: Omit<RuleFields, 'actions' | 'sequence'> = {
  state: 0,
  userFlags: 0,
  level: 0,
  name: '',
  provider: '',
  providerData: null,
  condition: null,
  actionsParsed: null,
  codePage: 1252,
  error: 0,
  problem: null,
};

/** Applies RopModifyRules changes in one transaction; returns the ids of the added rules in order. */
export async function modifyRules(mb: LocalMailbox, fid: bigint, changes: readonly RuleChange[], replace: boolean): Promise<bigint[]> {
  return mb.serial(async () => {
    const f = folderG(mb, fid);
    const adds = changes.filter((c) => c.op === 'add').length;
    for (const c of changes) {
      if (c.op === 'add' && !Buffer.isBuffer(c.fields.actions)) throw new StoreError('OC_STORE_RULE', SEC.InvalidParam, 'a rule needs PidTagRuleActions');
    }
    const first = adds > 0 ? await mb.ids(adds) : 0n;
    const d = db(mb);
    const added = mb.write(() => {
      if (replace) d.prepare('DELETE FROM rules WHERE fid = ?').run(f);
      const get = d.prepare('SELECT * FROM rules WHERE fid = ? AND rule_g = ?');
      const ins = d.prepare(
        'INSERT INTO rules (fid, rule_g, sequence, state, user_flags, level, name, provider, provider_data, condition, actions, actions_parsed, code_page, error, problem) ' +
          'VALUES (@fid, @rule_g, @sequence, @state, @userFlags, @level, @name, @provider, @providerData, @condition, @actions, @actionsParsed, @codePage, @error, @problem)',
      );
      const upd = d.prepare(
        'UPDATE rules SET sequence = @sequence, state = @state, user_flags = @userFlags, level = @level, name = @name, provider = @provider, ' +
          'provider_data = @providerData, condition = @condition, actions = @actions, actions_parsed = @actionsParsed, code_page = @codePage, ' +
          'error = @error, problem = @problem WHERE fid = @fid AND rule_g = @rule_g',
      );
      const maxSeq = () => (d.prepare('SELECT max(sequence) AS m FROM rules WHERE fid = ?').get(f) as { m: number | null }).m;
      const added: bigint[] = [];
      let next = first;
      for (const c of changes) {
        if (c.op === 'add') {
          const g = g2n(next++);
          const m = maxSeq();
          const r: RuleFields = { ...DEFAULTS, sequence: m === null ? 10 : m + 1, ...c.fields };
          ins.run({ fid: f, rule_g: g, ...r, state: r.state | 0, userFlags: r.userFlags | 0, error: r.error | 0 });
          added.push(eid(g));
          continue;
        }
        const g = ruleG(c.id);
        const cur = get.get(f, g) as RuleRow | undefined;
        if (!cur) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `no rule 0x${c.id.toString(16)} in this folder`);
        if (c.op === 'remove') {
          d.prepare('DELETE FROM rules WHERE fid = ? AND rule_g = ?').run(f, g);
          continue;
        }
        const r: RuleFields = { ...toRule(cur), ...c.fields };
        upd.run({ fid: f, rule_g: g, ...r, state: r.state | 0, userFlags: r.userFlags | 0, error: r.error | 0 });
      }
      const n = (d.prepare('SELECT count(*) AS n FROM rules WHERE fid = ?').get(f) as { n: number }).n;
      if (n > MAX_RULES_PER_FOLDER) throw new StoreError('OC_STORE_RULES_LIMIT', SEC.NotEnoughMemory, `more than ${MAX_RULES_PER_FOLDER} rules on one folder`);
      return added;
    });
    if (changes.length > 0 || replace) ev.folderModified(mb, fid, [FOLDER_TABLE_TAG.rules]);
    return added;
  });
}

export async function setRuleStatus(mb: LocalMailbox, fid: bigint, ruleId: bigint, s: { state: number; error: number; problem: string | null }): Promise<void> {
  return mb.serial(async () => {
    const f = folderG(mb, fid);
    const g = ruleG(ruleId);
    const d = db(mb);
    mb.write(() => {
      const r = d.prepare('UPDATE rules SET state = ?, error = ?, problem = ? WHERE fid = ? AND rule_g = ?').run(s.state | 0, s.error | 0, s.problem, f, g);
      if (r.changes === 0) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `no rule 0x${ruleId.toString(16)} in this folder`);
    });
    ev.folderModified(mb, fid, [FOLDER_TABLE_TAG.rules]);
  });
}

export async function recordDeferredActionUpdate(mb: LocalMailbox, serverEntryId: Buffer, clientEntryId: Buffer): Promise<void> {
  return mb.serial(async () => {
    const d = db(mb);
    mb.write(() => {
      d.prepare('INSERT OR REPLACE INTO deferred_action_updates (server_eid, client_eid, modified) VALUES (?, ?, ?)').run(
        Buffer.from(serverEntryId),
        Buffer.from(clientEntryId),
        Date.now(),
      );
    });
  });
}

export function deferredActionUpdates(mb: LocalMailbox): { serverEntryId: Buffer; clientEntryId: Buffer }[] {
  const rows = db(mb).prepare('SELECT server_eid, client_eid FROM deferred_action_updates ORDER BY modified, server_eid').all() as {
    server_eid: Buffer;
    client_eid: Buffer;
  }[];
  return rows.map((r) => ({ serverEntryId: r.server_eid, clientEntryId: r.client_eid }));
}
