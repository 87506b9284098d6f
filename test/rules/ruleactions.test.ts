// MS-OXORULE 2.2.5 RuleAction codec: the OP_MOVE action of the MS-OXORULE 4.1.1 RopModifyRules example (decoded and
// re-encoded byte-exact, also as it comes out of the RopModifyRules codec), every action type round-tripped,
// generated action lists round-tripped, and arbitrary or mutated bytes giving a value or a coded RuleActionError.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RopReader } from '../../src/mapi/buffer.js';
import { PT } from '../../src/mapi/props.js';
import {
  BOUNCE, OP, RuleActionError, decodeRuleActions, describeRuleActions, encodeRuleActions, moveCopyAction, type ActionBlock,
} from '../../src/mapi/ruleactions.js';
import { RopModifyRules } from '../../src/rop/codec/RopModifyRules.js';

const CP = 1252;
const vectors = (
  JSON.parse(readFileSync(new URL('../../fixtures/vectors/rop-buffers-from-specs.json', import.meta.url), 'utf8')) as {
    vectors: Array<{ id: string; hex: string }>;
  }
).vectors;
const vec = (id: string): Buffer => Buffer.from(vectors.find((v) => v.id === id)!.hex, 'hex');

const PidTagRuleActions = 0x668000fe;
const PidTagRuleCondition = 0x667900fd;

/** The PidTagRuleActions value of the MS-OXORULE 4.1.1 request, as the RopModifyRules codec hands it over. */
function example411Actions(): Buffer {
  const r = new RopReader(vec('ms-oxorule-4.1.1#1'));
  const req = RopModifyRules.decodeRequest(r, { codePage: CP }) as unknown as {
    ModifyRulesFlag: number;
    RulesData: Array<{ RuleDataFlags: number; PropertyValues: Array<{ tag: number; value: unknown }> }>;
  };
  expect(req.ModifyRulesFlag).toBe(0);
  expect(req.RulesData).toHaveLength(1);
  expect(req.RulesData[0]!.RuleDataFlags).toBe(0x01); // ROW_ADD
  const v = req.RulesData[0]!.PropertyValues.find((p) => p.tag === PidTagRuleActions)!.value;
  expect(Buffer.isBuffer(v)).toBe(true);
  // the condition comes through as its restriction bytes as well
  expect(Buffer.isBuffer(req.RulesData[0]!.PropertyValues.find((p) => p.tag === PidTagRuleCondition)!.value)).toBe(true);
  return v as Buffer;
}

describe('MS-OXORULE 4.1.1 OP_MOVE action', () => {
  it('decodes the ServerEid form and re-encodes byte-exact', () => {
    const bytes = example411Actions();
    const a = decodeRuleActions(bytes, CP);
    expect(a).toHaveLength(1);
    const m = a[0]!;
    expect(m.ActionType).toBe(OP.OP_MOVE);
    expect(m.ActionFlavor).toBe(0);
    expect(m.ActionFlags).toBe(0);
    expect(m.data.kind).toBe('moveCopy');
    if (m.data.kind !== 'moveCopy') return;
    expect(m.data.FolderInThisStore).toBe(1);
    expect(m.data.StoreEID.length).toBe(0xad);
    // the StoreEID is a Store Object EntryID (MS-OXCDATA 2.2.4.3) naming EMSMDB.DLL
    expect(m.data.StoreEID.includes(Buffer.from('EMSMDB.DLL'))).toBe(true);
    expect(m.data.FolderEID.form).toBe('serverEid');
    if (m.data.FolderEID.form === 'serverEid') expect(m.data.FolderEID.Ours).toBe(1);
    expect(encodeRuleActions(a, CP).equals(bytes)).toBe(true);
    expect(describeRuleActions(a)).toContain('OP_MOVE');
  });
});

const sample: ActionBlock[] = [
  moveCopyAction(OP.OP_MOVE, 0x0000000000120001n),
  moveCopyAction(OP.OP_COPY, 0x0000000000130001n, Buffer.from('store')),
  { ActionType: OP.OP_COPY, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'moveCopy', FolderInThisStore: 0, StoreEID: Buffer.from([1, 2]), FolderEID: { form: 'entryId', bytes: Buffer.alloc(46, 7) } } },
  { ActionType: OP.OP_REPLY, ActionFlavor: 2, ActionFlags: 5, data: { kind: 'reply', ReplyTemplateFID: 0x0100000000000401n, ReplyTemplateMID: 0x0100000000000901n, ReplyTemplateGUID: '01020304-0506-0708-090a-0b0c0d0e0f10' } },
  { ActionType: OP.OP_OOF_REPLY, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'reply', ReplyTemplateFID: 1n, ReplyTemplateMID: 2n, ReplyTemplateGUID: '00000000-0000-0000-0000-000000000000' } },
  { ActionType: OP.OP_DEFER_ACTION, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'defer', DeferActionData: Buffer.from('client data') } },
  { ActionType: OP.OP_BOUNCE, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'bounce', BounceCode: BOUNCE.Denied } },
  {
    ActionType: OP.OP_FORWARD,
    ActionFlavor: 1,
    ActionFlags: 0,
    data: {
      kind: 'recipients',
      RecipientBlocks: [
        { Reserved: 1, PropertyValues: [{ tag: 0x3001001f, value: 'Bob' }, { tag: 0x3003001f, value: 'bob@example.com' }, { tag: 0x0c150003, value: 1 }] },
      ],
    },
  },
  { ActionType: OP.OP_DELEGATE, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'recipients', RecipientBlocks: [{ Reserved: 1, PropertyValues: [{ tag: 0x0fff0102, value: Buffer.from([9, 9]) }] }] } },
  { ActionType: OP.OP_TAG, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'tag', PropertyValue: { tag: 0x00170003, value: 2 } } },
  { ActionType: OP.OP_DELETE, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'none' } },
  { ActionType: OP.OP_MARK_AS_READ, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'none' } },
  { ActionType: 0x42, ActionFlavor: 0, ActionFlags: 0, data: { kind: 'unknown', bytes: Buffer.from([1, 2, 3]) } },
];

describe('RuleAction codec', () => {
  it('round-trips every action type', () => {
    const b = encodeRuleActions(sample, CP);
    expect(decodeRuleActions(b, CP)).toEqual(sample);
    expect(encodeRuleActions(decodeRuleActions(b, CP), CP).equals(b)).toBe(true);
  });

  it('refuses ActionData that does not match its type, with the index of the block', () => {
    const good = encodeRuleActions([sample[10]!, sample[0]!], CP);
    // cut the last byte of the OP_MOVE block and shrink its ActionLength to match: the ServerEid is short
    const bad = Buffer.from(good.subarray(0, good.length - 1));
    const at = 2 + 2 + 9; // second block's ActionLength
    bad.writeUInt16LE(bad.readUInt16LE(at) - 1, at);
    try {
      decodeRuleActions(bad, CP);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RuleActionError);
      expect((e as RuleActionError).actionIndex).toBe(1);
    }
    // OP_DELETE with data
    const del = Buffer.from([1, 0, 10, 0, OP.OP_DELETE, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]);
    expect(() => decodeRuleActions(del, CP)).toThrow(RuleActionError);
    // a forward without recipients' properties
    const fwd = Buffer.from([1, 0, 13, 0, OP.OP_FORWARD, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
    expect(() => decodeRuleActions(fwd, CP)).toThrow(RuleActionError);
    // bytes after the last block
    expect(() => decodeRuleActions(Buffer.concat([good, Buffer.from([0])]), CP)).toThrow(RuleActionError);
  });

  const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
    const h = Buffer.from(b).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  });
  const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const tagged = fc.oneof(
    fc.record({ tag: fc.constant(0x3001001f), value: fc.string({ maxLength: 12 }).filter((s) => !s.includes('\0')) }),
    fc.record({ tag: fc.constant(0x0c150003), value: fc.integer({ min: -1000, max: 1000 }) }),
    fc.record({ tag: fc.constant(0x0fff0102), value: bytes(30) }),
    fc.record({ tag: fc.constant(0x0e1b000b), value: fc.boolean() }),
  );
  const head = { ActionFlavor: u32, ActionFlags: u32 };
  const block: fc.Arbitrary<ActionBlock> = fc.oneof(
    fc.record({
      ActionType: fc.constantFrom(OP.OP_MOVE, OP.OP_COPY),
      ...head,
      data: fc.record({
        kind: fc.constant('moveCopy' as const),
        FolderInThisStore: fc.constant(1),
        StoreEID: bytes(60),
        FolderEID: fc.record({ form: fc.constant('serverEid' as const), Ours: fc.constant(1), FolderId: u64, MessageId: u64, Instance: u32 }),
      }),
    }),
    fc.record({
      ActionType: fc.constantFrom(OP.OP_MOVE, OP.OP_COPY),
      ...head,
      data: fc.record({ kind: fc.constant('moveCopy' as const), FolderInThisStore: fc.constant(0), StoreEID: bytes(60), FolderEID: fc.record({ form: fc.constant('entryId' as const), bytes: bytes(60) }) }),
    }),
    fc.record({
      ActionType: fc.constantFrom(OP.OP_REPLY, OP.OP_OOF_REPLY),
      ...head,
      data: fc.record({ kind: fc.constant('reply' as const), ReplyTemplateFID: u64, ReplyTemplateMID: u64, ReplyTemplateGUID: guid }),
    }),
    fc.record({ ActionType: fc.constant(OP.OP_DEFER_ACTION), ...head, data: fc.record({ kind: fc.constant('defer' as const), DeferActionData: bytes(40) }) }),
    fc.record({ ActionType: fc.constant(OP.OP_BOUNCE), ...head, data: fc.record({ kind: fc.constant('bounce' as const), BounceCode: u32 }) }),
    fc.record({
      ActionType: fc.constantFrom(OP.OP_FORWARD, OP.OP_DELEGATE),
      ...head,
      data: fc.record({
        kind: fc.constant('recipients' as const),
        RecipientBlocks: fc.array(fc.record({ Reserved: fc.integer({ min: 0, max: 255 }), PropertyValues: fc.array(tagged, { minLength: 1, maxLength: 4 }) }), { maxLength: 3 }),
      }),
    }),
    fc.record({ ActionType: fc.constant(OP.OP_TAG), ...head, data: fc.record({ kind: fc.constant('tag' as const), PropertyValue: tagged }) }),
    fc.record({ ActionType: fc.constantFrom(OP.OP_DELETE, OP.OP_MARK_AS_READ), ...head, data: fc.constant({ kind: 'none' as const }) }),
    fc.record({ ActionType: fc.integer({ min: 0x0c, max: 0xff }), ...head, data: fc.record({ kind: fc.constant('unknown' as const), bytes: bytes(20) }) }),
  );

  it('property: generated action lists round-trip (model -> bytes -> model, bytes -> model -> bytes)', () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 6 }), (actions) => {
        const b = encodeRuleActions(actions, CP);
        const back = decodeRuleActions(b, CP);
        expect(back).toEqual(actions);
        expect(encodeRuleActions(back, CP).equals(b)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('property: arbitrary and mutated bytes give a value or a RuleActionError', () => {
    const seeds = [example411Actions(), encodeRuleActions(sample, CP)];
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
      .map(([s, edits, cut]) => {
        const b = Buffer.from(s);
        for (const [i, v] of edits) b[i % b.length] = v;
        return b.subarray(0, b.length - (cut % 4));
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)), mutated), (b) => {
        try {
          const a = decodeRuleActions(b, CP);
          // what decodes re-encodes to the same bytes (string8 values aside, which the seeds do not carry)
          expect(Array.isArray(a)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(RuleActionError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('PT_ACTIONS is the rule-action property type', () => {
    expect(PidTagRuleActions & 0xffff).toBe(PT.ACTIONS);
  });
});
