// MS-OXCROPS 2.2.9.8 RopSeekStream
import { defineRop, u8, u64, i64 } from './kit.js';

export const RopSeekStream = defineRop({
  RopId: 0x2e,
  name: 'RopSeekStream',
  request: [u8('Origin'), i64('Offset')],
  response: [u64('NewPosition')],
});
