// MS-OXCROPS 2.2.15.2 RopBackoff
// Server only: RopId, LogonId u8, Duration u32 (ms), BackoffRopCount u8 + BackoffRopData (RopIdBackoff u8,
// Duration u32) x n, AdditionalDataSize u16 + AdditionalData. No handle index, no ReturnValue.
import { counted, defineServerRop, sized, struct, u32, u8 } from './kit.js';

export const RopBackoff = defineServerRop({
  RopId: 0xf9,
  name: 'RopBackoff',
  response: [
    u8('LogonId'),
    u32('Duration'),
    counted('BackoffRopData', 1, struct('BackoffRop', [u8('RopIdBackoff'), u32('Duration')] as const), 5),
    sized('AdditionalData', 2),
  ],
});
