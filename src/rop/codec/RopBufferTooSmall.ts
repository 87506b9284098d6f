// MS-OXCROPS 2.2.15.1 RopBufferTooSmall
// Server only, the last response of a RopsList: RopId, SizeNeeded u16, RequestBuffers (the ROP requests not
// processed, copied as they came, to the end of the RopsList). No handle index, no ReturnValue.
import { custom, defineServerRop, u16 } from './kit.js';

export const RopBufferTooSmall = defineServerRop({
  RopId: 0xff,
  name: 'RopBufferTooSmall',
  response: [
    u16('SizeNeeded'),
    custom(
      'RequestBuffers',
      (r) => Buffer.from(r.bytes(r.left, 'RequestBuffers')),
      (w, v: Buffer) => void w.bytes(v ?? Buffer.alloc(0)),
      'rest',
    ),
  ],
});
