// MS-OXCROPS 2.2.6.14 RopDeleteAttachment
import { defineRop, u32 } from './kit.js';

export const RopDeleteAttachment = defineRop({
  RopId: 0x24,
  name: 'RopDeleteAttachment',
  request: [u32('AttachmentID')],
  response: [],
});
