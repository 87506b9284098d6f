// MS-OXCROPS 2.2.9.13 RopCloneStream
import { defineRop } from './kit.js';

export const RopCloneStream = defineRop({
  RopId: 0x3b,
  name: 'RopCloneStream',
  createsObject: true,
  request: [],
  response: [],
});
