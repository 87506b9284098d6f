// MS-OXCROPS 2.2.6.18 RopGetValidAttachments
import { defineRop, u32, counted } from './kit.js';

export const RopGetValidAttachments = defineRop({
  RopId: 0x52,
  name: 'RopGetValidAttachments',
  request: [],
  response: [counted('AttachmentIdArray', 2, u32('AttachmentId'), 4)],
});
