// MS-OXCROPS 2.2.6.16 RopOpenEmbeddedMessage
import { defineRop, u8, u16, u64, tags16 } from './kit.js';
import { typedString, openRecipientRows } from './recipient-row.js';

export const RopOpenEmbeddedMessage = defineRop({
  RopId: 0x46,
  name: 'RopOpenEmbeddedMessage',
  createsObject: true,
  request: [u16('CodePageId'), u8('OpenModeFlags')],
  response: [u8('Reserved'), u64('MessageId'), u8('HasNamedProperties'), typedString('SubjectPrefix'), typedString('NormalizedSubject'), u16('RecipientCount'), tags16('RecipientColumns'), openRecipientRows('RecipientRows')],
});
