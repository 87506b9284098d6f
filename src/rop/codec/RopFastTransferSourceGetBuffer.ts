// MS-OXCROPS 2.2.12.4 RopFastTransferSourceGetBuffer
// BufferSize 0xBABE: MaximumBufferSize follows. One response buffer: TransferStatus, InProgressCount, TotalStepCount,
// Reserved and TransferBufferSize follow any ReturnValue (TransferStatus Error carries a failure, MS-OXCFXICS
// 2.2.3.1.1.5.2); TransferBuffer is present unless ReturnValue is ecServerBusy (0x480), and BackoffTime u32 only
// then. (Cross-checked with Microsoft's Interop-TestSuites client, RopFastTransferSourceGetBufferResponse.)
import { ec } from '../ec.js';
import { defineRop, sized, u16, u32, u8, when } from './kit.js';

const STATUS = [u16('TransferStatus'), u16('InProgressCount'), u16('TotalStepCount'), u8('Reserved')] as const;
const RESPONSE = [...STATUS, sized('TransferBuffer', 2)] as const;
const BUSY = [...STATUS, u16('TransferBufferSize'), u32('BackoffTime')] as const;

export const RopFastTransferSourceGetBuffer = defineRop({
  RopId: 0x4e,
  name: 'RopFastTransferSourceGetBuffer',
  request: [u16('BufferSize'), when((e) => e.obj.BufferSize === 0xbabe, u16('MaximumBufferSize'))],
  response: [...RESPONSE],
  body: (rv) => (rv === ec.ServerBusy ? BUSY : RESPONSE),
});
