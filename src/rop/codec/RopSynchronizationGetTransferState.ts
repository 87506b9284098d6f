// MS-OXCROPS 2.2.13.8 RopSynchronizationGetTransferState
import { defineRop } from './kit.js';

export const RopSynchronizationGetTransferState = defineRop({
  RopId: 0x82,
  name: 'RopSynchronizationGetTransferState',
  createsObject: true,
  request: [],
  response: [],
});
