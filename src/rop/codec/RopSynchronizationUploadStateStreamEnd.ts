// MS-OXCROPS 2.2.13.11 RopSynchronizationUploadStateStreamEnd
import { defineRop } from './kit.js';

export const RopSynchronizationUploadStateStreamEnd = defineRop({
  RopId: 0x77,
  name: 'RopSynchronizationUploadStateStreamEnd',
  request: [],
  response: [],
});
