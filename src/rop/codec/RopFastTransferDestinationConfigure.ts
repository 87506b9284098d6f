// MS-OXCROPS 2.2.12.1 RopFastTransferDestinationConfigure
import { defineRop, u8 } from './kit.js';

export const RopFastTransferDestinationConfigure = defineRop({
  RopId: 0x53,
  name: 'RopFastTransferDestinationConfigure',
  createsObject: true,
  request: [u8('SourceOperation'), u8('CopyFlags')],
  response: [],
});
