// MS-OXCROPS 2.2.11.2 RopGetRulesTable
import { defineRop, u8 } from './kit.js';

export const RopGetRulesTable = defineRop({
  RopId: 0x3f,
  name: 'RopGetRulesTable',
  createsObject: true,
  request: [u8('TableFlags')],
  response: [],
});
