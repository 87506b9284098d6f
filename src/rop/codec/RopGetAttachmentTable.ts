// MS-OXCROPS 2.2.6.17 RopGetAttachmentTable
import { defineRop, u8 } from './kit.js';

export const RopGetAttachmentTable = defineRop({
  RopId: 0x21,
  name: 'RopGetAttachmentTable',
  createsObject: true,
  request: [u8('TableFlags')],
  response: [],
});
