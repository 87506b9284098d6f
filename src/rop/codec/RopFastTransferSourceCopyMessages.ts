// MS-OXCROPS 2.2.12.6 RopFastTransferSourceCopyMessages
import { defineRop, u8, ids16 } from './kit.js';

export const RopFastTransferSourceCopyMessages = defineRop({
  RopId: 0x4b,
  name: 'RopFastTransferSourceCopyMessages',
  createsObject: true,
  request: [ids16('MessageIds'), u8('CopyFlags'), u8('SendOptions')],
  response: [],
});
