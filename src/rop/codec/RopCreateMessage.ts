// MS-OXCROPS 2.2.6.2 RopCreateMessage
import { defineRop, u8, u16, u64, when } from './kit.js';

export const RopCreateMessage = defineRop({
  RopId: 0x06,
  name: 'RopCreateMessage',
  createsObject: true,
  request: [u16('CodePageId'), u64('FolderId'), u8('AssociatedFlag')],
  response: [u8('HasMessageId'), when((e) => e.obj.HasMessageId !== 0, u64('MessageId'))],
});
