// MS-OXCROPS 2.2.6.1 RopOpenMessage
import { defineRop, u8, u16, u64, tags16 } from './kit.js';
import { typedString, openRecipientRows } from './recipient-row.js';

export const RopOpenMessage = defineRop({
  RopId: 0x03,
  name: 'RopOpenMessage',
  createsObject: true,
  request: [u16('CodePageId'), u64('FolderId'), u8('OpenModeFlags'), u64('MessageId')],
  response: [u8('HasNamedProperties'), typedString('SubjectPrefix'), typedString('NormalizedSubject'), u16('RecipientCount'), tags16('RecipientColumns'), openRecipientRows('RecipientRows')],
});
