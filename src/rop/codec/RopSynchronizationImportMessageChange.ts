// MS-OXCROPS 2.2.13.2 RopSynchronizationImportMessageChange
import { defineRop, u8, u64 } from './kit.js';
import { taggedValues16 } from './kit-props.js';

export const RopSynchronizationImportMessageChange = defineRop({
  RopId: 0x72,
  name: 'RopSynchronizationImportMessageChange',
  createsObject: true,
  request: [u8('ImportFlag'), taggedValues16('PropertyValues')],
  response: [u64('MessageId')],
});
