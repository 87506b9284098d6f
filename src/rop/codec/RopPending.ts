// MS-OXCROPS 2.2.14.3 RopPending
// Server only: RopId, SessionIndex u16 (the session with pending notifications). No handle index, no ReturnValue.
import { defineServerRop, u16 } from './kit.js';

export const RopPending = defineServerRop({
  RopId: 0x6e,
  name: 'RopPending',
  response: [u16('SessionIndex')],
});
