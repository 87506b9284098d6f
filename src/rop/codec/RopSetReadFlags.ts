// MS-OXCROPS 2.2.6.10 RopSetReadFlags
// One response buffer: PartialCompletion follows ReturnValue whatever it is.
import { defineRop, u8, ids16 } from './kit.js';

export const RopSetReadFlags = defineRop({
  RopId: 0x66,
  name: 'RopSetReadFlags',
  request: [u8('WantAsynchronous'), u8('ReadFlags'), ids16('MessageIds')],
  response: [u8('PartialCompletion')],
  body: 'always',
});
