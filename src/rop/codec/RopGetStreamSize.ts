// MS-OXCROPS 2.2.9.6 RopGetStreamSize
import { defineRop, u32 } from './kit.js';

export const RopGetStreamSize = defineRop({
  RopId: 0x5e,
  name: 'RopGetStreamSize',
  request: [],
  response: [u32('StreamSize')],
});
