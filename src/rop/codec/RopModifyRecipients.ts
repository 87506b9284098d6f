// MS-OXCROPS 2.2.6.5 RopModifyRecipients
import { defineRop, tags16 } from './kit.js';
import { modifyRecipientRows } from './recipient-row.js';

export const RopModifyRecipients = defineRop({
  RopId: 0x0e,
  name: 'RopModifyRecipients',
  request: [tags16('RecipientColumns'), modifyRecipientRows('RecipientRows')],
  response: [],
});
