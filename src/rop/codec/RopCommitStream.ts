// MS-OXCROPS 2.2.9.5 RopCommitStream
import { defineRop } from './kit.js';

export const RopCommitStream = defineRop({
  RopId: 0x5d,
  name: 'RopCommitStream',
  request: [],
  response: [],
});
