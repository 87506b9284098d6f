// MS-OXCROPS 2.2.9.10 RopLockRegionStream
import { defineRop, u32, u64 } from './kit.js';

export const RopLockRegionStream = defineRop({
  RopId: 0x5b,
  name: 'RopLockRegionStream',
  request: [u64('RegionOffset'), u64('RegionSize'), u32('LockFlags')],
  response: [],
});
