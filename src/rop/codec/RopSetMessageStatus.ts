// MS-OXCROPS 2.2.6.8 RopSetMessageStatus
import { defineRop, u32, u64 } from './kit.js';

export const RopSetMessageStatus = defineRop({
  RopId: 0x20,
  name: 'RopSetMessageStatus',
  request: [u64('MessageId'), u32('MessageStatusFlags'), u32('MessageStatusMask')],
  response: [u32('MessageStatusFlags')],
});
