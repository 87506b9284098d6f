// MS-OXCROPS 2.2.7.2 RopAbortSubmit
import { defineRop, u64 } from './kit.js';

export const RopAbortSubmit = defineRop({
  RopId: 0x34,
  name: 'RopAbortSubmit',
  request: [u64('FolderId'), u64('MessageId')],
  response: [],
});
