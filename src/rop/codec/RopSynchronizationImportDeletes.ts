// MS-OXCROPS 2.2.13.5 RopSynchronizationImportDeletes
import { defineRop, u8 } from './kit.js';
import { taggedValues16 } from './kit-props.js';

export const RopSynchronizationImportDeletes = defineRop({
  RopId: 0x74,
  name: 'RopSynchronizationImportDeletes',
  request: [u8('ImportDeleteFlags'), taggedValues16('PropertyValues')],
  response: [],
});
