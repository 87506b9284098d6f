// MS-OXCROPS 2.2.6.6 RopReadRecipients
// The response has no recipient columns on the wire: decoded RecipientProperties stay bytes; a handler gives each row its Columns to write cells.
import { defineRop, u16, u32 } from './kit.js';
import { readRecipientRows } from './recipient-row.js';

export const RopReadRecipients = defineRop({
  RopId: 0x0f,
  name: 'RopReadRecipients',
  request: [u32('RowId'), u16('Reserved')],
  response: [readRecipientRows('RecipientRows')],
});
