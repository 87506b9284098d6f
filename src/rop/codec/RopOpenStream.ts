// MS-OXCROPS 2.2.9.1 RopOpenStream
import { defineRop, u8, u32 } from './kit.js';

export const RopOpenStream = defineRop({
  RopId: 0x2b,
  name: 'RopOpenStream',
  createsObject: true,
  request: [u32('PropertyTag'), u8('OpenModeFlags')],
  response: [u32('StreamSize')],
});
