// MS-OXCROPS 2.2.6.12 RopOpenAttachment
import { defineRop, u8, u32 } from './kit.js';

export const RopOpenAttachment = defineRop({
  RopId: 0x22,
  name: 'RopOpenAttachment',
  createsObject: true,
  request: [u8('OpenAttachmentFlags'), u32('AttachmentID')],
  response: [],
});
