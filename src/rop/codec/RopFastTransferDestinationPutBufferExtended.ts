// MS-OXCROPS 2.2.12.3 RopFastTransferDestinationPutBufferExtended
// One response buffer: the status fields follow ReturnValue whatever it is (MS-OXCFXICS 2.2.3.1.2.3.2).
import { defineRop, u8, u16, u32, sized } from './kit.js';

export const RopFastTransferDestinationPutBufferExtended = defineRop({
  RopId: 0x9d,
  name: 'RopFastTransferDestinationPutBufferExtended',
  request: [sized('TransferData', 2)],
  response: [u16('TransferStatus'), u32('InProgressCount'), u32('TotalStepCount'), u8('Reserved'), u16('BufferUsedSize')],
  body: 'always',
});
