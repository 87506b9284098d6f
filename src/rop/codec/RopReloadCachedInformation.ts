// MS-OXCROPS 2.2.6.7 RopReloadCachedInformation
import { defineRop, u8, u16, tags16 } from './kit.js';
import { typedString, openRecipientRows } from './recipient-row.js';

export const RopReloadCachedInformation = defineRop({
  RopId: 0x10,
  name: 'RopReloadCachedInformation',
  request: [u16('Reserved')],
  response: [u8('HasNamedProperties'), typedString('SubjectPrefix'), typedString('NormalizedSubject'), u16('RecipientCount'), tags16('RecipientColumns'), openRecipientRows('RecipientRows')],
});
