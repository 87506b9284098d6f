// MS-OXCROPS 2.2.9.4 RopWriteStreamExtended
// One response buffer: WrittenSize (u32) follows ReturnValue whatever it is.
import { defineRop, u32, sized } from './kit.js';

export const RopWriteStreamExtended = defineRop({
  RopId: 0xa3,
  name: 'RopWriteStreamExtended',
  request: [sized('Data', 2)],
  response: [u32('WrittenSize')],
  body: 'always',
});
