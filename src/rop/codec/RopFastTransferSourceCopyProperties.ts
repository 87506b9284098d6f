// MS-OXCROPS 2.2.12.8 RopFastTransferSourceCopyProperties
import { defineRop, u8, tags16 } from './kit.js';

export const RopFastTransferSourceCopyProperties = defineRop({
  RopId: 0x69,
  name: 'RopFastTransferSourceCopyProperties',
  createsObject: true,
  request: [u8('Level'), u8('CopyFlags'), u8('SendOptions'), tags16('PropertyTags')],
  response: [],
});
