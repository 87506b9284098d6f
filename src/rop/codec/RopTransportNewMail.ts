// MS-OXCROPS 2.2.7.7 RopTransportNewMail
import { defineRop, u32, u64, str8 } from './kit.js';

export const RopTransportNewMail = defineRop({
  RopId: 0x51,
  name: 'RopTransportNewMail',
  request: [u64('MessageId'), u64('FolderId'), str8('MessageClass'), u32('MessageFlags')],
  response: [],
});
