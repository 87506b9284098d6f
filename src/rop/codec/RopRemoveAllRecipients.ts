// MS-OXCROPS 2.2.6.4 RopRemoveAllRecipients
import { defineRop, u32 } from './kit.js';

export const RopRemoveAllRecipients = defineRop({
  RopId: 0x0d,
  name: 'RopRemoveAllRecipients',
  request: [u32('Reserved')],
  response: [],
});
