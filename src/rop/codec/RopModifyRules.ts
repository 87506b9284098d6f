// MS-OXCROPS 2.2.11.1 RopModifyRules
// RulesData: RulesCount u16, then RuleData (RuleDataFlags u8, PropertyValueCount u16, PropertyValues; rule
// conditions are PtypRestriction and actions PtypRuleAction values, kept as their bytes by ropprops).
import { defineRop, u8, counted, struct } from './kit.js';
import { taggedValues16 } from './kit-props.js';

export const RopModifyRules = defineRop({
  RopId: 0x41,
  name: 'RopModifyRules',
  request: [u8('ModifyRulesFlag'), counted('RulesData', 2, struct('RuleData', [u8('RuleDataFlags'), taggedValues16('PropertyValues')] as const), 3)],
  response: [],
});
