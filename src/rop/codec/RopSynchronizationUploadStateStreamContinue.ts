// MS-OXCROPS 2.2.13.10 RopSynchronizationUploadStateStreamContinue
import { defineRop, sized } from './kit.js';

export const RopSynchronizationUploadStateStreamContinue = defineRop({
  RopId: 0x76,
  name: 'RopSynchronizationUploadStateStreamContinue',
  request: [sized('StreamData', 4)],
  response: [],
});
