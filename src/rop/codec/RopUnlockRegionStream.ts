// MS-OXCROPS 2.2.9.11 RopUnlockRegionStream
import { defineRop, u32, u64 } from './kit.js';

export const RopUnlockRegionStream = defineRop({
  RopId: 0x5c,
  name: 'RopUnlockRegionStream',
  request: [u64('RegionOffset'), u64('RegionSize'), u32('LockFlags')],
  response: [],
});
