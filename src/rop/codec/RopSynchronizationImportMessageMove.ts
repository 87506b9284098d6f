// MS-OXCROPS 2.2.13.6 RopSynchronizationImportMessageMove
import { defineRop, u64, sized } from './kit.js';

export const RopSynchronizationImportMessageMove = defineRop({
  RopId: 0x78,
  name: 'RopSynchronizationImportMessageMove',
  request: [sized('SourceFolderId', 4), sized('SourceMessageId', 4), sized('PredecessorChangeList', 4), sized('DestinationMessageId', 4), sized('ChangeNumber', 4)],
  response: [u64('MessageId')],
});
