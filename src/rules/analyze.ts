// What the server makes of a standard rule (MS-OXORULE 2.2.1.3.1): its condition parsed (MS-OXCDATA 2.12) and checked
// against what the restriction evaluator of src/mapi/table can run, its actions parsed (src/mapi/ruleactions.ts) and
// checked against what the rules engine (engine.ts) runs. Used by RopModifyRules to store the parsed form and report
// problems at once, and by the engine before it runs a rule.
//
// Choices where the spec leaves room:
// - action data that does not parse is not reported here: RopModifyRules refuses it (ecInvalidParam) before storing;
// - an action the server keeps but cannot run (an unknown ActionType: ST_RULE_PARSE_ERROR + PidTagRuleError 0x04
//   "error while parsing the rule format"; OP_BOUNCE, OP_DELEGATE: ST_ERROR + PidTagRuleError 0x0B "generic error
//   while executing the rule on the server") is stored with its bytes and the rule is marked; the engine runs the
//   rule's other actions;
// - client-side actions (isClientAction: OP_DEFER_ACTION, and OP_MOVE / OP_COPY into another store, which only the
//   client can reach) are fine: the engine hands them to the client in a deferred action message (MS-OXORULE
//   3.2.5.1.2);
// - a condition the evaluator cannot run (RELOP_RE, too deep) marks the rule ST_ERROR + PidTagRuleError 0x05 (error
//   processing the rule) and the engine skips the rule: a rule whose condition cannot be decided never fires.
import { RopReader } from '../mapi/buffer.js';
import { readRestriction, type RopRestriction } from '../mapi/ropres.js';
import { OP, OP_NAMES, RULE_ERROR, ST, decodeRuleActions, describeRuleActions, type ActionBlock } from '../mapi/ruleactions.js';
import { validateRestriction, type TableRestriction } from '../mapi/table/index.js';

/**
 * Whether an action is for the client (MS-OXORULE 3.2.5.1.2: the server cannot perform it and generates a DAM):
 * OP_DEFER_ACTION (2.2.5.1.2.3), or a move / copy into another store (FolderInThisStore 0, 2.2.5.1.2.1).
 */
export function isClientAction(a: ActionBlock): boolean {
  return a.ActionType === OP.OP_DEFER_ACTION || (a.data.kind === 'moveCopy' && a.data.FolderInThisStore === 0);
}

/** The actions the engine runs itself (client actions go into DAMs; others are kept and reported). */
export const ENGINE_ACTIONS: ReadonlySet<number> = new Set([
  OP.OP_MOVE,
  OP.OP_COPY,
  OP.OP_DELETE,
  OP.OP_MARK_AS_READ,
  OP.OP_TAG,
  OP.OP_FORWARD,
  OP.OP_REPLY,
  OP.OP_OOF_REPLY,
]);

export interface RuleAnalysis {
  /** Null when the rule has no condition or it does not parse. */
  condition: RopRestriction | null;
  /** The condition can be evaluated. */
  conditionOk: boolean;
  actions: ActionBlock[];
  /** describeRuleActions(actions). */
  actionsParsed: string;
  /** Server bits for PidTagRuleState (ST_ERROR / ST_RULE_PARSE_ERROR). */
  serverState: number;
  /** PidTagRuleError, 0 for none. */
  error: number;
  /** What is wrong, for the log and the stored rule; null when nothing. */
  problem: string | null;
}

/**
 * Analyzes a rule. Throws RuleActionError when the action bytes do not parse (the caller refuses the change);
 * everything else (unknown actions, unsupported conditions) is reported in the result.
 */
export function analyzeRule(conditionBytes: Buffer | null, actionBytes: Buffer, codePage: number): RuleAnalysis {
  const actions = decodeRuleActions(actionBytes, codePage);
  const problems: string[] = [];
  let serverState = 0;
  let error = 0;
  let condition: RopRestriction | null = null;
  let conditionOk = true;
  if (conditionBytes !== null) {
    try {
      condition = readRestriction(new RopReader(conditionBytes), codePage);
      validateRestriction(condition as TableRestriction);
    } catch (e) {
      conditionOk = false;
      serverState |= ST.ST_ERROR;
      error = RULE_ERROR.Processing;
      problems.push(`condition not supported: ${(e as Error).message}`);
    }
  }
  actions.forEach((a, i) => {
    const name = OP_NAMES[a.ActionType];
    if (a.data.kind === 'unknown') {
      serverState |= ST.ST_RULE_PARSE_ERROR;
      if (error === 0) error = RULE_ERROR.Parsing;
      problems.push(`action ${i}: unknown ActionType 0x${a.ActionType.toString(16)} kept as bytes`);
      return;
    }
    if (isClientAction(a)) return;
    if (!ENGINE_ACTIONS.has(a.ActionType)) {
      serverState |= ST.ST_ERROR;
      if (error === 0) error = RULE_ERROR.Execution;
      problems.push(`action ${i}: ${name} is not run by this server`);
    }
  });
  return { condition, conditionOk, actions, actionsParsed: describeRuleActions(actions), serverState, error, problem: problems.length ? problems.join('; ') : null };
}
