// MS-OXORULE 2.2.5 RuleAction and 2.2.5.1 ActionBlock data of standard rules (the PtypRuleAction 0x00FE value of
// PidTagRuleActions in ROP buffers): NoOfActions u16, then ActionBlocks (ActionLength u16, ActionType u8,
// ActionFlavor u32, ActionFlags u32, ActionData), with the ActionData of every action type of 2.2.5.1.2.
//
// Where this module sits: src/mapi/ropprops.ts reads a PT_ACTIONS value only by its framing (NoOfActions and the
// ActionLength of each block) and keeps it as its bytes, so RopModifyRules decodes without knowing action types and
// the rules table answers the client's bytes unchanged. This module parses those bytes into a model (for the store's
// parsed form and for the rules engine) and encodes the model back byte-exact.
//
// Choices where the spec leaves room:
// - an ActionType this module does not know is kept as { kind: 'unknown', bytes } (its ActionData verbatim), so a
//   rule with a newer action is stored and reported rather than refused or dropped;
// - OP_MOVE / OP_COPY with FolderInThisStore TRUE carry a ServerEid (2.2.5.1.2.1.1, 21 bytes) when FolderEIDSize is
//   21 and its Ours byte is 0x01; any other FolderEID (a Folder EntryID, MS-OXCDATA 2.2.4.1, as clients use for
//   another store) is kept as bytes: { form: 'entryId' }. The FolderInThisStore byte is kept as sent (non-zero TRUE);
// - ActionData that does not match its ActionType (short, or bytes left over inside ActionLength, OP_DELETE /
//   OP_MARK_AS_READ with data, a RecipientBlock without properties) is a RuleActionError: RopModifyRules answers
//   ecInvalidParam (MS-OXORULE 3.2.5.2: "if any data in the request buffer is incorrect, the server MUST return an
//   error") and stores nothing;
// - only the standard-rule form (2-byte counts) is implemented: extended rules (MS-OXORULE 2.2.4, 4-byte counts, on
//   FAI messages) are not stored by this server.
import { RopFormatError, RopReader, RopWriter } from './buffer.js';
import type { TaggedValue } from './props.js';
import { readTaggedValue, writeTaggedValue } from './ropprops.js';
import { ProtocolError } from '../util/errors.js';

// MS-OXORULE 2.2.5.1 ActionType values
export const OP = {
  OP_MOVE: 0x01,
  OP_COPY: 0x02,
  OP_REPLY: 0x03,
  OP_OOF_REPLY: 0x04,
  OP_DEFER_ACTION: 0x05,
  OP_BOUNCE: 0x06,
  OP_FORWARD: 0x07,
  OP_DELEGATE: 0x08,
  OP_TAG: 0x09,
  OP_DELETE: 0x0a,
  OP_MARK_AS_READ: 0x0b,
} as const;

export const OP_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));

// MS-OXORULE 2.2.5.1.1 ActionFlavor bits
/** OP_FORWARD: PR preserve sender, NC do not munge, AT forward as attachment, TM text message (SMS). */
export const FWD_PRESERVE_SENDER = 0x01;
export const FWD_DO_NOT_MUNGE_MESSAGE = 0x02;
export const FWD_AS_ATTACHMENT = 0x04;
export const FWD_AS_SMS_ALERT = 0x08;
/** OP_REPLY / OP_OOF_REPLY: NS do not send to originator, ST stock reply template. */
export const RPLY_DO_NOT_SEND_TO_ORIGINATOR = 0x01;
export const RPLY_STOCK_REPLY_TEMPLATE = 0x02;

// MS-OXORULE 2.2.5.1.2.5 OP_BOUNCE BounceCode values
export const BOUNCE = { TooLarge: 0x0000000d, CannotDisplay: 0x0000001f, Denied: 0x00000026 } as const;

/** Size of a ServerEid (2.2.5.1.2.1.1): Ours u8, FolderId u64, MessageId u64, Instance u32. */
export const SERVER_EID_SIZE = 21;
/** ActionType + ActionFlavor + ActionFlags: the part of ActionLength before ActionData. */
const BLOCK_HEAD = 9;

/** MS-OXORULE 2.2.5.1.2.1 FolderEID of a standard-rule OP_MOVE / OP_COPY. */
export type MoveCopyFolder =
  /** 2.2.5.1.2.1.1 ServerEid: a folder of the user's mailbox (FolderInThisStore TRUE). */
  | { form: 'serverEid'; Ours: number; FolderId: bigint; MessageId: bigint; Instance: number }
  /** Any other FolderEID (a Folder EntryID, MS-OXCDATA 2.2.4.1), kept as its bytes. */
  | { form: 'entryId'; bytes: Buffer };

/** MS-OXORULE 2.2.5.1.2.4.1 RecipientBlockData (standard rules: NoOfProperties u16). */
export interface RecipientBlock {
  Reserved: number;
  PropertyValues: TaggedValue[];
}

export type ActionData =
  // 2.2.5.1.2.1 OP_MOVE / OP_COPY
  | { kind: 'moveCopy'; FolderInThisStore: number; StoreEID: Buffer; FolderEID: MoveCopyFolder }
  // 2.2.5.1.2.2 OP_REPLY / OP_OOF_REPLY
  | { kind: 'reply'; ReplyTemplateFID: bigint; ReplyTemplateMID: bigint; ReplyTemplateGUID: string }
  // 2.2.5.1.2.3 OP_DEFER_ACTION: opaque client data
  | { kind: 'defer'; DeferActionData: Buffer }
  // 2.2.5.1.2.5 OP_BOUNCE
  | { kind: 'bounce'; BounceCode: number }
  // 2.2.5.1.2.4 OP_FORWARD / OP_DELEGATE
  | { kind: 'recipients'; RecipientBlocks: RecipientBlock[] }
  // 2.2.5.1.2.6 OP_TAG: one TaggedPropertyValue
  | { kind: 'tag'; PropertyValue: TaggedValue }
  // OP_DELETE / OP_MARK_AS_READ: no ActionData
  | { kind: 'none' }
  // an ActionType this module does not know: the ActionData as sent
  | { kind: 'unknown'; bytes: Buffer };

/** MS-OXORULE 2.2.5.1 ActionBlock (ActionLength is derived from the encoding). */
export interface ActionBlock {
  ActionType: number;
  ActionFlavor: number;
  ActionFlags: number;
  data: ActionData;
}

/** Action data that does not match its ActionType, or a RuleAction whose framing is wrong. */
export class RuleActionError extends ProtocolError {
  constructor(
    message: string,
    /** Index of the ActionBlock at fault (-1: the RuleAction framing). */
    readonly actionIndex: number,
  ) {
    super('OC_RULE_ACTION', message);
  }
}

/** The ActionData kind a known ActionType carries (undefined: unknown type). */
function kindOf(type: number): ActionData['kind'] | undefined {
  switch (type) {
    case OP.OP_MOVE:
    case OP.OP_COPY:
      return 'moveCopy';
    case OP.OP_REPLY:
    case OP.OP_OOF_REPLY:
      return 'reply';
    case OP.OP_DEFER_ACTION:
      return 'defer';
    case OP.OP_BOUNCE:
      return 'bounce';
    case OP.OP_FORWARD:
    case OP.OP_DELEGATE:
      return 'recipients';
    case OP.OP_TAG:
      return 'tag';
    case OP.OP_DELETE:
    case OP.OP_MARK_AS_READ:
      return 'none';
    default:
      return undefined;
  }
}

function readData(r: RopReader, type: number, codePage: number): ActionData {
  const kind = kindOf(type);
  switch (kind) {
    case 'moveCopy': {
      const FolderInThisStore = r.u8();
      const StoreEID = Buffer.from(r.bytes(r.u16(), 'StoreEID'));
      const size = r.u16();
      const fe = r.bytes(size, 'FolderEID');
      if (FolderInThisStore !== 0 && size === SERVER_EID_SIZE && fe[0] === 0x01) {
        const s = new RopReader(fe);
        return {
          kind,
          FolderInThisStore,
          StoreEID,
          FolderEID: { form: 'serverEid', Ours: s.u8(), FolderId: s.u64(), MessageId: s.u64(), Instance: s.u32() },
        };
      }
      return { kind, FolderInThisStore, StoreEID, FolderEID: { form: 'entryId', bytes: Buffer.from(fe) } };
    }
    case 'reply':
      return { kind, ReplyTemplateFID: r.u64(), ReplyTemplateMID: r.u64(), ReplyTemplateGUID: r.guid() };
    case 'defer':
      return { kind, DeferActionData: Buffer.from(r.bytes(r.left, 'DeferActionData')) };
    case 'bounce':
      return { kind, BounceCode: r.u32() };
    case 'recipients': {
      const n = r.u16();
      // a RecipientBlockData is at least Reserved + NoOfProperties + one PropertyTag
      if (n * 7 > r.left) throw new RopFormatError('OC_ROP_COUNT', `RecipientCount ${n} exceeds the ${r.left} bytes left`);
      const RecipientBlocks: RecipientBlock[] = [];
      for (let i = 0; i < n; i++) {
        const Reserved = r.u8();
        const np = r.u16();
        // MS-OXORULE 2.2.5.1.2.4.1: NoOfProperties MUST be greater than zero
        if (np === 0) throw new RopFormatError('OC_ROP_COUNT', `RecipientBlock ${i} has no properties`);
        if (np * 4 > r.left) throw new RopFormatError('OC_ROP_COUNT', `NoOfProperties ${np} exceeds the ${r.left} bytes left`);
        const PropertyValues: TaggedValue[] = [];
        for (let j = 0; j < np; j++) PropertyValues.push(readTaggedValue(r, codePage));
        RecipientBlocks.push({ Reserved, PropertyValues });
      }
      return { kind, RecipientBlocks };
    }
    case 'tag':
      return { kind, PropertyValue: readTaggedValue(r, codePage) };
    case 'none':
      return { kind };
    default:
      return { kind: 'unknown', bytes: Buffer.from(r.bytes(r.left, 'ActionData')) };
  }
}

function writeData(w: RopWriter, type: number, d: ActionData, codePage: number): void {
  const want = kindOf(type) ?? 'unknown';
  if (d.kind !== want) throw new RuleActionError(`ActionType 0x${type.toString(16)} carries ${want} data, not ${d.kind}`, -1);
  switch (d.kind) {
    case 'moveCopy': {
      w.u8(d.FolderInThisStore);
      sized16(w, d.StoreEID, 'StoreEID');
      if (d.FolderEID.form === 'serverEid') {
        const f = d.FolderEID;
        w.u16(SERVER_EID_SIZE).u8(f.Ours).u64(f.FolderId).u64(f.MessageId).u32(f.Instance);
      } else sized16(w, d.FolderEID.bytes, 'FolderEID');
      return;
    }
    case 'reply':
      w.u64(d.ReplyTemplateFID).u64(d.ReplyTemplateMID).guid(d.ReplyTemplateGUID);
      return;
    case 'defer':
      w.bytes(d.DeferActionData);
      return;
    case 'bounce':
      w.u32(d.BounceCode);
      return;
    case 'recipients':
      if (d.RecipientBlocks.length > 0xffff) throw new RuleActionError('too many RecipientBlocks', -1);
      w.u16(d.RecipientBlocks.length);
      for (const b of d.RecipientBlocks) {
        if (b.PropertyValues.length === 0 || b.PropertyValues.length > 0xffff) throw new RuleActionError('a RecipientBlock needs 1..65535 properties', -1);
        w.u8(b.Reserved).u16(b.PropertyValues.length);
        for (const tv of b.PropertyValues) writeTaggedValue(w, tv, codePage);
      }
      return;
    case 'tag':
      writeTaggedValue(w, d.PropertyValue, codePage);
      return;
    case 'none':
      return;
    case 'unknown':
      w.bytes(d.bytes);
      return;
  }
}

function sized16(w: RopWriter, b: Buffer, what: string): void {
  if (b.length > 0xffff) throw new RuleActionError(`${what} of ${b.length} bytes does not fit a u16 size`, -1);
  w.u16(b.length).bytes(b);
}

/**
 * Decodes a RuleAction (MS-OXORULE 2.2.5, standard rules) from its bytes (the PT_ACTIONS value). Throws
 * RuleActionError (with the index of the faulty ActionBlock) for framing or ActionData that does not parse.
 */
export function decodeRuleActions(bytes: Uint8Array, codePage: number): ActionBlock[] {
  const r = new RopReader(bytes);
  let index = -1;
  try {
    const n = r.u16();
    // every ActionBlock is at least ActionLength + 9 bytes
    if (n * (2 + BLOCK_HEAD) > r.left) throw new RopFormatError('OC_ROP_COUNT', `NoOfActions ${n} exceeds the ${r.left} bytes left`);
    const out: ActionBlock[] = [];
    for (index = 0; index < n; index++) {
      const len = r.u16();
      if (len < BLOCK_HEAD) throw new RopFormatError('OC_ROP_SIZE', `ActionLength ${len} is shorter than the 9-byte block head`);
      r.need(len, 'ActionBlock');
      const b = new RopReader(r.buf, r.pos, r.pos + len);
      r.pos += len;
      const ActionType = b.u8();
      const ActionFlavor = b.u32();
      const ActionFlags = b.u32();
      const data = readData(b, ActionType, codePage);
      if (b.left !== 0) throw new RopFormatError('OC_ROP_SIZE', `${b.left} bytes left after the ActionData of ${OP_NAMES[ActionType] ?? 'action'}`);
      out.push({ ActionType, ActionFlavor, ActionFlags, data });
    }
    index = -1;
    if (r.left !== 0) throw new RopFormatError('OC_ROP_SIZE', `${r.left} bytes after the last ActionBlock`);
    return out;
  } catch (e) {
    if (e instanceof RuleActionError) throw e;
    if (e instanceof ProtocolError || e instanceof RangeError) {
      throw new RuleActionError(index >= 0 ? `ActionBlock ${index}: ${(e as Error).message}` : (e as Error).message, index);
    }
    throw e;
  }
}

/** Encodes a RuleAction (standard rules): the PT_ACTIONS value bytes. */
export function encodeRuleActions(actions: readonly ActionBlock[], codePage: number): Buffer {
  if (actions.length > 0xffff) throw new RuleActionError('more than 65535 actions', -1);
  const w = new RopWriter(64);
  w.u16(actions.length);
  for (const a of actions) {
    const at = w.pos;
    w.u16(0).u8(a.ActionType).u32(a.ActionFlavor >>> 0).u32(a.ActionFlags >>> 0);
    writeData(w, a.ActionType, a.data, codePage);
    const len = w.pos - at - 2;
    if (len > 0xffff) throw new RuleActionError(`an ActionBlock of ${len} bytes does not fit ActionLength`, -1);
    w.patchU16(at, len);
  }
  return Buffer.from(w.result());
}

/** A JSON-safe description of decoded actions (bigints as hex strings, buffers as hex): the store's parsed form. */
export function describeRuleActions(actions: readonly ActionBlock[]): string {
  return JSON.stringify(
    actions.map((a) => ({ type: OP_NAMES[a.ActionType] ?? `0x${a.ActionType.toString(16)}`, ...a })),
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return `0x${v.toString(16)}`;
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
        return Buffer.from((v as { data: number[] }).data).toString('hex');
      }
      return v;
    },
  );
}

/** Builds a ServerEid-form OP_MOVE / OP_COPY ActionBlock for a folder of the same mailbox. */
export function moveCopyAction(type: typeof OP.OP_MOVE | typeof OP.OP_COPY, folderId: bigint, storeEid: Buffer = Buffer.alloc(0)): ActionBlock {
  return {
    ActionType: type,
    ActionFlavor: 0,
    ActionFlags: 0,
    data: { kind: 'moveCopy', FolderInThisStore: 1, StoreEID: storeEid, FolderEID: { form: 'serverEid', Ours: 1, FolderId: folderId, MessageId: 0n, Instance: 0 } },
  };
}

// ---- the rule properties (MS-OXORULE 2.2.1.3.1, 2.2.7, MS-OXPROPS) ---------------------------------------------------

export const RULE_TAG = {
  PidTagRuleId: 0x66740014,
  PidTagRuleIds: 0x66750102,
  PidTagRuleSequence: 0x66760003,
  PidTagRuleState: 0x66770003,
  PidTagRuleUserFlags: 0x66780003,
  PidTagRuleCondition: 0x667900fd,
  PidTagRuleActions: 0x668000fe,
  PidTagRuleProvider: 0x6681001f,
  PidTagRuleName: 0x6682001f,
  PidTagRuleLevel: 0x66830003,
  PidTagRuleProviderData: 0x66840102,
  PidTagRuleError: 0x66480003,
  PidTagRuleActionType: 0x66490003,
  PidTagRuleActionNumber: 0x66500003,
  PidTagRuleFolderEntryId: 0x66510102,
  PidTagHasRules: 0x663a000b,
  PidTagOutOfOfficeState: 0x661d000b,
} as const;

// MS-OXORULE 2.2.1.3.1.3 PidTagRuleState bits
export const ST = {
  ST_ENABLED: 0x00000001,
  ST_ERROR: 0x00000002,
  ST_ONLY_WHEN_OOF: 0x00000004,
  ST_KEEP_OOF_HIST: 0x00000008,
  ST_EXIT_LEVEL: 0x00000010,
  ST_SKIP_IF_SCL_IS_SAFE: 0x00000020,
  ST_RULE_PARSE_ERROR: 0x00000040,
} as const;
/** The PidTagRuleState bits only the server sets (ignored when a client sends them). */
export const ST_SERVER_BITS = ST.ST_ERROR | ST.ST_RULE_PARSE_ERROR;

// MS-OXORULE 2.2.7.2 PidTagRuleError values
export const RULE_ERROR = {
  Generic: 0x01,
  OpenRulesFolder: 0x02,
  Delivery: 0x03,
  Parsing: 0x04,
  Processing: 0x05,
  MoveCopy: 0x06,
  MoveCopyPermission: 0x07,
  CreateDam: 0x08,
  SendAs: 0x09,
  RetrieveTemplate: 0x0a,
  Execution: 0x0b,
  MailboxQuota: 0x0c,
  TooManyRecipients: 0x0d,
  FolderQuota: 0x0e,
} as const;

// MS-OXORULE 2.2.1.1 RopModifyRules: ModifyRulesFlag and RuleDataFlags
export const MODIFY_RULES_FLAG_REPLACE = 0x01;
export const ROW_ADD = 0x01;
export const ROW_MODIFY = 0x02;
export const ROW_REMOVE = 0x04;
