// MS-OXCROPS 2.2.7.1 RopSubmitMessage
import { defineRop, u8 } from './kit.js';

export const RopSubmitMessage = defineRop({
  RopId: 0x32,
  name: 'RopSubmitMessage',
  request: [u8('SubmitFlags')],
  response: [],
});
