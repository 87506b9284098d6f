// MS-OXCROPS 2.2.9.7 RopSetStreamSize
import { defineRop, u64 } from './kit.js';

export const RopSetStreamSize = defineRop({
  RopId: 0x2f,
  name: 'RopSetStreamSize',
  request: [u64('StreamSize')],
  response: [],
});
