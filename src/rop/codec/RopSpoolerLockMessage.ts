// MS-OXCROPS 2.2.7.5 RopSpoolerLockMessage
import { defineRop, u8, u64 } from './kit.js';

export const RopSpoolerLockMessage = defineRop({
  RopId: 0x48,
  name: 'RopSpoolerLockMessage',
  request: [u64('MessageId'), u8('LockState')],
  response: [],
});
