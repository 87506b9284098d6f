// MS-OXCROPS 2.2.6.9 RopGetMessageStatus
import { defineRop, u32, u64 } from './kit.js';

export const RopGetMessageStatus = defineRop({
  RopId: 0x1f,
  name: 'RopGetMessageStatus',
  request: [u64('MessageId')],
  response: [u32('MessageStatusFlags')],
});
