// MS-OXCROPS 2.2.12.5 RopFastTransferSourceCopyFolder
import { defineRop, u8 } from './kit.js';

export const RopFastTransferSourceCopyFolder = defineRop({
  RopId: 0x4c,
  name: 'RopFastTransferSourceCopyFolder',
  createsObject: true,
  request: [u8('CopyFlags'), u8('SendOptions')],
  response: [],
});
