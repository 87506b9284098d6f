// MS-OXCROPS 2.2.12.2 RopFastTransferDestinationPutBuffer
// One response buffer: the status fields follow ReturnValue whatever it is (MS-OXCFXICS 2.2.3.1.2.2.2: BufferUsedSize
// is meaningful on failure too).
import { defineRop, u8, u16, sized } from './kit.js';

export const RopFastTransferDestinationPutBuffer = defineRop({
  RopId: 0x54,
  name: 'RopFastTransferDestinationPutBuffer',
  request: [sized('TransferData', 2)],
  response: [u16('TransferStatus'), u16('InProgressCount'), u16('TotalStepCount'), u8('Reserved'), u16('BufferUsedSize')],
  body: 'always',
});
