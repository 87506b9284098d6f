// MS-OXCROPS 2.2.12.7 RopFastTransferSourceCopyTo
import { defineRop, u8, u32, tags16 } from './kit.js';

export const RopFastTransferSourceCopyTo = defineRop({
  RopId: 0x4d,
  name: 'RopFastTransferSourceCopyTo',
  createsObject: true,
  request: [u8('Level'), u32('CopyFlags'), u8('SendOptions'), tags16('PropertyTags')],
  response: [],
});
