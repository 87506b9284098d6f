// MS-OXCROPS 2.2.13.7 RopSynchronizationOpenCollector
import { defineRop, u8 } from './kit.js';

export const RopSynchronizationOpenCollector = defineRop({
  RopId: 0x7e,
  name: 'RopSynchronizationOpenCollector',
  createsObject: true,
  request: [u8('IsContentsCollector')],
  response: [],
});
