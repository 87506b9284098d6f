// MS-OXCROPS 2.2.9.2 RopReadStream
// ByteCount 0xBABE: MaximumByteCount follows. One response buffer: DataSize + Data follow ReturnValue whatever it is.
import { defineRop, u16, u32, sized, when } from './kit.js';

export const RopReadStream = defineRop({
  RopId: 0x2c,
  name: 'RopReadStream',
  request: [u16('ByteCount'), when((e) => e.obj.ByteCount === 0xbabe, u32('MaximumByteCount'))],
  response: [sized('Data', 2)],
  body: 'always',
});
