// MS-OXCROPS 2.2.6.13 RopCreateAttachment
import { defineRop, u32 } from './kit.js';

export const RopCreateAttachment = defineRop({
  RopId: 0x23,
  name: 'RopCreateAttachment',
  createsObject: true,
  request: [],
  response: [u32('AttachmentID')],
});
