// MS-OXCROPS 2.2.9.3 RopWriteStream
// One response buffer: WrittenSize follows ReturnValue whatever it is.
import { defineRop, u16, sized } from './kit.js';

export const RopWriteStream = defineRop({
  RopId: 0x2d,
  name: 'RopWriteStream',
  request: [sized('Data', 2)],
  response: [u16('WrittenSize')],
  body: 'always',
});
