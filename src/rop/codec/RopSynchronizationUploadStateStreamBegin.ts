// MS-OXCROPS 2.2.13.9 RopSynchronizationUploadStateStreamBegin
import { defineRop, u32 } from './kit.js';

export const RopSynchronizationUploadStateStreamBegin = defineRop({
  RopId: 0x75,
  name: 'RopSynchronizationUploadStateStreamBegin',
  request: [u32('StateProperty'), u32('TransferBufferSize')],
  response: [],
});
