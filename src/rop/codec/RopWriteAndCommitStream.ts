// MS-OXCROPS 2.2.9.12 RopWriteAndCommitStream
// One response buffer: WrittenSize follows ReturnValue whatever it is.
import { defineRop, u16, sized } from './kit.js';

export const RopWriteAndCommitStream = defineRop({
  RopId: 0x90,
  name: 'RopWriteAndCommitStream',
  request: [sized('Data', 2)],
  response: [u16('WrittenSize')],
  body: 'always',
});
