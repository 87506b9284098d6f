// MS-OXCROPS 2.2.7.8 RopGetTransportFolder
import { defineRop, u64 } from './kit.js';

export const RopGetTransportFolder = defineRop({
  RopId: 0x6d,
  name: 'RopGetTransportFolder',
  request: [],
  response: [u64('FolderId')],
});
