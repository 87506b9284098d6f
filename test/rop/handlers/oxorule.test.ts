// MS-OXORULE ROPs end to end through the real registry, dispatcher and LocalStore: the MS-OXORULE section 4
// examples (add "Project X", read it back through RopGetRulesTable byte-exact but for the rule id, remove it),
// ROW_ADD / ROW_MODIFY / ROW_REMOVE and ModifyRulesFlag REPLACE, broken action data refused with nothing stored
// changed, unsupported actions stored and reported, and RopUpdateDeferredActionMessages.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { readPropertyRow, type RowCell } from '../../../src/mapi/ropprops.js';
import { writeRestriction, type RopRestriction } from '../../../src/mapi/ropres.js';
import { FL } from '../../../src/mapi/restriction.js';
import {
  BOUNCE, OP, RULE_ERROR, RULE_TAG, ST, decodeRuleActions, encodeRuleActions, moveCopyAction, type ActionBlock,
} from '../../../src/mapi/ruleactions.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { ec } from '../../../src/rop/ec.js';
import { ALL_RIGHTS, folderRights, RIGHTS, setFolderRightsLookup } from '../../../src/rop/handlers/objects.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { createTableHandlers } from '../../../src/rop/handlers/oxctabl.js';
import { createRuleHandlers } from '../../../src/rop/handlers/oxorule.js';
import { uninstallRulesEngine } from '../../../src/rules/engine.js';
import { ALICE, BOB, N, logonReq, makeEnv, openFolder, release, type Env, type Req, type Res } from './harness.js';

const CP = 1252;
const vectors = (
  JSON.parse(readFileSync(new URL('../../../fixtures/vectors/rop-buffers-from-specs.json', import.meta.url), 'utf8')) as {
    vectors: Array<{ id: string; hex: string }>;
  }
).vectors;
const vec = (id: string): Buffer => Buffer.from(vectors.find((v) => v.id === id)!.hex, 'hex');

const T = RULE_TAG;
const COLUMNS: number[] = [T.PidTagRuleId, T.PidTagRuleSequence, T.PidTagRuleState, T.PidTagRuleName, T.PidTagRuleCondition, T.PidTagRuleActions, T.PidTagRuleError];

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const getRulesTable = (inp: number, out: number) => r(0x3f, inp, { OutputHandleIndex: out, TableFlags: 0x40 });
const setColumns = (inp: number, tags: number[]) => r(0x12, inp, { SetColumnsFlags: 0, PropertyTags: tags });
const queryRows = (inp: number) => r(0x15, inp, { QueryRowsFlags: 0, ForwardRead: 1, RowCount: 0x100 });
type RuleData = { RuleDataFlags: number; PropertyValues: { tag: number; value: unknown }[] };
const modifyRules = (inp: number, data: RuleData[], ModifyRulesFlag = 0) => r(0x41, inp, { ModifyRulesFlag, RulesData: data });

function restriction(res: RopRestriction): Buffer {
  const w = new RopWriter(32);
  writeRestriction(w, res, CP);
  return Buffer.from(w.result());
}
const subjectContains = (s: string) =>
  restriction({ type: 'content', fuzzyLevel: FL.FL_SUBSTRING | FL.FL_IGNORECASE, propTag: 0x0037001f, value: { tag: 0x0037001f, value: s } });

const add = (name: string, actions: ActionBlock[] | Buffer, extra: { tag: number; value: unknown }[] = []): RuleData => ({
  RuleDataFlags: 0x01,
  PropertyValues: [
    { tag: T.PidTagRuleName, value: name },
    { tag: T.PidTagRuleSequence, value: 10 },
    { tag: T.PidTagRuleState, value: ST.ST_ENABLED },
    { tag: T.PidTagRuleProvider, value: 'RuleOrganizer' },
    { tag: T.PidTagRuleCondition, value: subjectContains(name) },
    { tag: T.PidTagRuleActions, value: Buffer.isBuffer(actions) ? actions : encodeRuleActions(actions, CP) },
    ...extra,
  ],
});
const modify = (id: bigint, props: { tag: number; value: unknown }[]): RuleData => ({ RuleDataFlags: 0x02, PropertyValues: [{ tag: T.PidTagRuleId, value: id }, ...props] });
const remove = (id: bigint): RuleData => ({ RuleDataFlags: 0x04, PropertyValues: [{ tag: T.PidTagRuleId, value: id }] });

const MARK_READ: ActionBlock = { ActionType: OP.OP_MARK_AS_READ, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'none' } };
const DELETE: ActionBlock = { ActionType: OP.OP_DELETE, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'none' } };

let env: Env;
let mb: MailboxStore;
let handles: number[];

beforeEach(async () => {
  env = await makeEnv(ALICE, (d) => [createStoreHandlers(d), createFolderHandlers(d), createTableHandlers(d), createRuleHandlers(d)]);
  const l = await env.logon();
  mb = l.mb;
  const out = await env.call([openFolder(0, 1, mb.special.inbox)], [l.handle, N]);
  expect(out.res[0]!.ReturnValue).toBe(0);
  handles = out.handles;
});

afterEach(async () => {
  uninstallRulesEngine();
  await env.close();
});

async function run(req: Req): Promise<Res> {
  const out = await env.call([req], handles);
  return out.res[0]!;
}

/** Reads the Inbox's rules through RopGetRulesTable + RopSetColumns + RopQueryRows. */
async function readRules(columns = COLUMNS): Promise<{ rows: RowCell[][]; raw: Buffer }> {
  const out = await env.call([getRulesTable(1, 2), setColumns(2, columns), queryRows(2), release(2)], [...handles, N]);
  expect(out.res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
  const raw = out.res[2]!.RowData as Buffer;
  const rd = new RopReader(raw);
  const rows: RowCell[][] = [];
  for (let i = 0; i < (out.res[2]!.RowCount as number); i++) rows.push(readPropertyRow(rd, columns, CP));
  return { rows, raw };
}

describe('MS-OXORULE section 4 examples', () => {
  it('4.1.1 adds "Project X"; 4.2 reads it back as 4.2.2 shows; 4.3.1 removes it', async () => {
    // 4.1.1: the client's RopModifyRules request, decoded with the codec and run on the Inbox
    const codec = env.registry.codec(0x41)!;
    const req = codec.decodeRequest(new RopReader(vec('ms-oxorule-4.1.1#1')), { codePage: CP }) as Req;
    const res = await run({ ...req, InputHandleIndex: 1 });
    expect(res.ReturnValue).toBe(0); // 4.1.2: 41 01 00000000

    // 4.2.1: SetColumns PidTagRuleId, PidTagRuleProviderData, PidTagRuleName (0x40 UseUnicode on the table)
    const setCols = env.registry.codec(0x12)!.decodeRequest(new RopReader(vec('ms-oxorule-4.2.1#2')), { codePage: CP }) as Req;
    const cols = setCols.PropertyTags as number[];
    expect(cols).toEqual([T.PidTagRuleId, T.PidTagRuleProviderData, T.PidTagRuleName]);
    const { rows, raw } = await readRules(cols);
    expect(rows).toHaveLength(1);
    const id = rows[0]![0] as bigint;
    expect(rows[0]![2]).toBe('Project X');
    // 4.2.2: the RopQueryRows RowData is the same bytes but for the server-assigned PidTagRuleId
    const v = vec('ms-oxorule-4.2.2#3');
    const expected = Buffer.from(v.subarray(6 + 1 + 2));
    const ourId = Buffer.alloc(8);
    ourId.writeBigUInt64LE(id);
    ourId.copy(expected, 1);
    expect(raw.equals(expected)).toBe(true);

    // the stored actions are the client's bytes; the OP_MOVE's ServerEid is parsed
    const full = await readRules();
    const actions = decodeRuleActions(full.rows[0]![5] as Buffer, CP);
    expect(actions[0]!.ActionType).toBe(OP.OP_MOVE);

    // 4.3.1: ROW_REMOVE with PidTagRuleId
    const rm = env.registry.codec(0x41)!.decodeRequest(new RopReader(vec('ms-oxorule-4.3.1#1')), { codePage: CP }) as Req;
    const rd = rm.RulesData as RuleData[];
    expect(rd[0]!.RuleDataFlags).toBe(0x04);
    rd[0]!.PropertyValues[0]!.value = id;
    expect((await run({ ...rm, InputHandleIndex: 1 })).ReturnValue).toBe(0);
    expect((await readRules()).rows).toHaveLength(0);
  });
});

describe('RopModifyRules', () => {
  it('adds, modifies, removes and replaces rules; RopGetRulesTable shows each state', async () => {
    expect((await run(modifyRules(1, [add('alpha', [MARK_READ]), add('beta', [DELETE], [{ tag: T.PidTagRuleSequence, value: 5 }])]))).ReturnValue).toBe(0);
    let { rows } = await readRules();
    // sequence order: beta (5) before alpha (10)
    expect(rows.map((x) => x[3])).toEqual(['beta', 'alpha']);
    expect(rows.map((x) => x[2])).toEqual([ST.ST_ENABLED, ST.ST_ENABLED]);
    expect((rows[1]![4] as Buffer).equals(subjectContains('alpha'))).toBe(true);
    expect((rows[1]![5] as Buffer).equals(encodeRuleActions([MARK_READ], CP))).toBe(true);
    const [betaId, alphaId] = rows.map((x) => x[0] as bigint);
    expect(betaId).not.toBe(alphaId);

    // modify: alpha gets a new name, sequence 1, is disabled, and moves to Deleted Items
    const move = moveCopyAction(OP.OP_MOVE, mb.special.deletedItems);
    const m = modify(alphaId!, [
      { tag: T.PidTagRuleName, value: 'alpha2' },
      { tag: T.PidTagRuleSequence, value: 1 },
      { tag: T.PidTagRuleState, value: 0 },
      { tag: T.PidTagRuleActions, value: encodeRuleActions([move], CP) },
    ]);
    expect((await run(modifyRules(1, [m]))).ReturnValue).toBe(0);
    ({ rows } = await readRules());
    expect(rows.map((x) => x[3])).toEqual(['alpha2', 'beta']);
    expect(rows[0]![0]).toBe(alphaId);
    expect(rows[0]![2]).toBe(0);
    expect(decodeRuleActions(rows[0]![5] as Buffer, CP)).toEqual([move]);
    // the condition was kept
    expect((rows[0]![4] as Buffer).equals(subjectContains('alpha'))).toBe(true);

    // remove beta
    expect((await run(modifyRules(1, [remove(betaId!)]))).ReturnValue).toBe(0);
    ({ rows } = await readRules());
    expect(rows.map((x) => x[3])).toEqual(['alpha2']);

    // replace: every rule goes, the request's rules come
    expect((await run(modifyRules(1, [add('gamma', [MARK_READ]), add('delta', [DELETE])], 0x01))).ReturnValue).toBe(0);
    ({ rows } = await readRules());
    expect(rows.map((x) => x[3]).sort()).toEqual(['delta', 'gamma']);
    expect(rows.some((x) => x[0] === alphaId)).toBe(false);
    // the store sees the same
    expect((await mb.listRules(mb.special.inbox)).map((x) => x.name).sort()).toEqual(['delta', 'gamma']);
    // PidTagHasRules follows (MS-OXORULE 3.2.5.2)
    const hasRules = async () => (await mb.getFolderProps(mb.special.inbox, [T.PidTagHasRules]))[0];
    expect(await hasRules()).toEqual({ tag: T.PidTagHasRules, value: true });
    const ids = (await mb.listRules(mb.special.inbox)).map((x) => x.id);
    expect((await run(modifyRules(1, ids.map(remove)))).ReturnValue).toBe(0);
    expect(await hasRules()).toEqual({ tag: T.PidTagHasRules, value: false });
  });

  it('refuses broken action data with ecInvalidParam and changes nothing stored', async () => {
    expect((await run(modifyRules(1, [add('keep', [MARK_READ])]))).ReturnValue).toBe(0);
    const before = await readRules();
    // an OP_MOVE whose ServerEid is cut short (the RuleAction framing still holds, the ActionData does not parse)
    const good = encodeRuleActions([moveCopyAction(OP.OP_MOVE, mb.special.deletedItems)], CP);
    const bad = Buffer.from(good.subarray(0, good.length - 3));
    bad.writeUInt16LE(bad.readUInt16LE(2) - 3, 2);
    // an OP_MARK_AS_READ carrying data
    const bad2 = Buffer.from([1, 0, 10, 0, OP.OP_MARK_AS_READ, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    for (const b of [bad, bad2]) {
      // a good add and a modify of the kept rule in the same request: none of it is stored
      const keepId = before.rows[0]![0] as bigint;
      const res = await run(modifyRules(1, [add('new', [DELETE]), modify(keepId, [{ tag: T.PidTagRuleName, value: 'changed' }]), add('broken', b)]));
      expect(res.ReturnValue).toBe(ec.InvalidParam);
      const after = await readRules();
      expect(after.raw.equals(before.raw)).toBe(true);
    }
    // REPLACE with broken data keeps the old rules too
    expect((await run(modifyRules(1, [add('broken', bad)], 0x01))).ReturnValue).toBe(ec.InvalidParam);
    expect((await readRules()).raw.equals(before.raw)).toBe(true);
  });

  it('answers ecNotFound for an unknown rule id, ecInvalidParam for a rule without actions or id, and stores nothing', async () => {
    expect((await run(modifyRules(1, [add('keep', [MARK_READ])]))).ReturnValue).toBe(0);
    const before = await readRules();
    expect((await run(modifyRules(1, [add('x', [DELETE]), remove(0x0001_0000_0000_9999n)]))).ReturnValue).toBe(ec.NotFound);
    expect((await run(modifyRules(1, [modify(0x0001_0000_0000_9999n, [{ tag: T.PidTagRuleName, value: 'y' }])]))).ReturnValue).toBe(ec.NotFound);
    const noActions: RuleData = { RuleDataFlags: 0x01, PropertyValues: [{ tag: T.PidTagRuleName, value: 'z' }, { tag: T.PidTagRuleCondition, value: subjectContains('z') }] };
    expect((await run(modifyRules(1, [noActions]))).ReturnValue).toBe(ec.InvalidParam);
    expect((await run(modifyRules(1, [{ RuleDataFlags: 0x04, PropertyValues: [] }]))).ReturnValue).toBe(ec.InvalidParam);
    expect((await run(modifyRules(1, [{ RuleDataFlags: 0x03, PropertyValues: [] }]))).ReturnValue).toBe(ec.InvalidParam);
    expect((await readRules()).raw.equals(before.raw)).toBe(true);
  });

  it('keeps unsupported and unknown actions as bytes and reports them in PidTagRuleState / PidTagRuleError', async () => {
    const bounce: ActionBlock = { ActionType: OP.OP_BOUNCE, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'bounce', BounceCode: BOUNCE.Denied } };
    const unknown: ActionBlock = { ActionType: 0x42, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'unknown', bytes: Buffer.from('future') } };
    const bytes1 = encodeRuleActions([bounce, MARK_READ], CP);
    const bytes2 = encodeRuleActions([unknown], CP);
    // a client's ST_ERROR / ST_RULE_PARSE_ERROR bits are ignored
    const clean = add('clean', [MARK_READ], [{ tag: T.PidTagRuleState, value: ST.ST_ENABLED | ST.ST_ERROR | ST.ST_RULE_PARSE_ERROR }]);
    clean.PropertyValues.splice(2, 1);
    expect((await run(modifyRules(1, [add('bounce', bytes1), add('future', bytes2), clean]))).ReturnValue).toBe(0);
    const { rows } = await readRules();
    const byName = new Map(rows.map((x) => [x[3] as string, x]));
    const b = byName.get('bounce')!;
    expect(((b[2] as number) & ST.ST_ERROR) !== 0).toBe(true);
    expect(b[6]).toBe(RULE_ERROR.Execution);
    expect((b[5] as Buffer).equals(bytes1)).toBe(true);
    const f = byName.get('future')!;
    expect(((f[2] as number) & ST.ST_RULE_PARSE_ERROR) !== 0).toBe(true);
    expect(f[6]).toBe(RULE_ERROR.Parsing);
    expect((f[5] as Buffer).equals(bytes2)).toBe(true);
    const c = byName.get('clean')!;
    expect(c[2]).toBe(ST.ST_ENABLED);
    expect(c[6]).toEqual({ error: 0x8004010f }); // PidTagRuleError absent (MAPI_E_NOT_FOUND): no error
    const stored = (await mb.listRules(mb.special.inbox)).find((x) => x.name === 'future')!;
    expect(stored.problem).toMatch(/unknown ActionType 0x42/);
    expect(stored.actionsParsed).toContain('unknown');

    // enabling the rule again keeps the server's error bits
    expect((await run(modifyRules(1, [modify(f[0] as bigint, [{ tag: T.PidTagRuleState, value: ST.ST_ENABLED | ST.ST_EXIT_LEVEL }])]))).ReturnValue).toBe(0);
    const again = (await readRules()).rows.find((x) => x[3] === 'future')!;
    expect(again[2]).toBe(ST.ST_ENABLED | ST.ST_EXIT_LEVEL | ST.ST_RULE_PARSE_ERROR);
  });

  it('client-side actions (OP_DEFER_ACTION, a move into another store) are stored without an error: DAMs carry them', async () => {
    const defer: ActionBlock = { ActionType: OP.OP_DEFER_ACTION, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'defer', DeferActionData: Buffer.from('client') } };
    const toPst: ActionBlock = {
      ActionType: OP.OP_COPY, ActionFlavor: 0, ActionFlags: 0,
      data: { kind: 'moveCopy', FolderInThisStore: 0, StoreEID: Buffer.from('pst'), FolderEID: { form: 'entryId', bytes: Buffer.alloc(46, 1) } },
    };
    expect((await run(modifyRules(1, [add('client', [defer, toPst, MARK_READ])]))).ReturnValue).toBe(0);
    const [row] = (await readRules()).rows;
    expect(row![2]).toBe(ST.ST_ENABLED);
    expect(row![6]).toEqual({ error: 0x8004010f });
  });

  it('RopOpenFolder answers HasRules from the folder\'s rules (PidTagHasRules)', async () => {
    const open = async () => (await env.call([openFolder(0, 2, mb.special.inbox)], [handles[0]!, N, N])).res[0]!;
    expect(await open()).toMatchObject({ ReturnValue: 0, HasRules: 0 });
    expect((await run(modifyRules(1, [add('alpha', [MARK_READ])]))).ReturnValue).toBe(0);
    expect(await open()).toMatchObject({ ReturnValue: 0, HasRules: 1 });
    const ids = (await mb.listRules(mb.special.inbox)).map((x) => x.id);
    expect((await run(modifyRules(1, ids.map(remove)))).ReturnValue).toBe(0);
    expect(await open()).toMatchObject({ ReturnValue: 0, HasRules: 0 });
  });

  it('an open rules table follows RopModifyRules and rule status changes', async () => {
    const cols = [T.PidTagRuleName, T.PidTagRuleState];
    let out = await env.call([getRulesTable(1, 2), setColumns(2, cols), queryRows(2)], [...handles, N]);
    expect(out.res.map((x) => [x.ReturnValue, x.RowCount])).toEqual([[0, undefined], [0, undefined], [0, 0]]);
    const table = out.handles[2]!;
    const readAgain = async (): Promise<RowCell[][]> => {
      const o = await env.call([r(0x18, 0, { Origin: 0, RowCount: 0, WantRowMovedCount: 0 }), queryRows(0)], [table]);
      expect(o.res.map((x) => x.ReturnValue)).toEqual([0, 0]);
      const rd = new RopReader(o.res[1]!.RowData as Buffer);
      return Array.from({ length: o.res[1]!.RowCount as number }, () => readPropertyRow(rd, cols, CP));
    };
    expect((await run(modifyRules(1, [add('alpha', [MARK_READ])]))).ReturnValue).toBe(0);
    expect(await readAgain()).toEqual([['alpha', ST.ST_ENABLED]]);
    const [rule] = await mb.listRules(mb.special.inbox);
    await mb.setRuleStatus(mb.special.inbox, rule!.id, { state: ST.ST_ENABLED | ST.ST_ERROR, error: 0x06, problem: 'test' });
    expect(await readAgain()).toEqual([['alpha', ST.ST_ENABLED | ST.ST_ERROR]]);
    expect((await run(modifyRules(1, [remove(rule!.id)]))).ReturnValue).toBe(0);
    expect(await readAgain()).toEqual([]);
  });

  it('needs a folder as input; RopGetRulesTable on a folder without rules is empty', async () => {
    expect((await readRules()).rows).toHaveLength(0);
    const out = await env.call([modifyRules(0, [add('x', [DELETE])])], handles);
    expect(out.res[0]!.ReturnValue).toBe(ec.NotSupported);
  });
});

describe('rules of another user\'s mailbox', () => {
  it('a delegate needs FolderOwner rights to read or change them', async () => {
    expect((await run(modifyRules(1, [add('alice only', [MARK_READ])]))).ReturnValue).toBe(0);
    const before = folderRights;
    let granted = RIGHTS.ReadAny | RIGHTS.FolderVisible;
    // the permissions module's lookup stands in: Bob (a delegate logon) gets `granted`
    setFolderRightsLookup(async (logon) => (logon.delegateUser === undefined ? ALL_RIGHTS : granted));
    const bobEnv = await makeEnv(BOB, (d) => [createStoreHandlers(d), createFolderHandlers(d), createTableHandlers(d), createRuleHandlers(d)], { dir: env.dir });
    try {
      const lo = await bobEnv.call([logonReq(0, 0, ALICE.legacyExchangeDN)], [N]);
      expect(lo.res[0]!.ReturnValue).toBe(0);
      const op = await bobEnv.call([openFolder(0, 1, mb.special.inbox)], [lo.handles[0]!, N]);
      expect(op.res[0]!.ReturnValue).toBe(0);
      const h = op.handles;
      expect((await bobEnv.call([modifyRules(1, [add('bob was here', [DELETE])], 0x01)], h)).res[0]!.ReturnValue).toBe(ec.AccessDenied);
      expect((await bobEnv.call([getRulesTable(1, 2)], [...h, N])).res[0]!.ReturnValue).toBe(ec.AccessDenied);
      granted |= RIGHTS.FolderOwner;
      const ok = await bobEnv.call([getRulesTable(1, 2), setColumns(2, [T.PidTagRuleName]), queryRows(2)], [...h, N]);
      expect(ok.res.map((x) => x.ReturnValue)).toEqual([0, 0, 0]);
      expect(ok.res[2]!.RowCount).toBe(1);
    } finally {
      setFolderRightsLookup(before);
      bobEnv.runner.state.clear();
      await bobEnv.store.close();
    }
    expect((await readRules()).rows.map((x) => x[3])).toEqual(['alice only']);
  });
});

describe('RopUpdateDeferredActionMessages', () => {
  it('records the server and client entry ids and answers Success', async () => {
    const res = await run(r(0x57, 0, { ServerEntryId: Buffer.from('server-eid'), ClientEntryId: Buffer.from('client-eid') }));
    expect(res.ReturnValue).toBe(0);
    expect(await mb.deferredActionUpdates()).toEqual([{ serverEntryId: Buffer.from('server-eid'), clientEntryId: Buffer.from('client-eid') }]);
  });
});
