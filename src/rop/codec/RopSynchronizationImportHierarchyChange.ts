// MS-OXCROPS 2.2.13.4 RopSynchronizationImportHierarchyChange
import { defineRop, u64 } from './kit.js';
import { taggedValues16 } from './kit-props.js';

export const RopSynchronizationImportHierarchyChange = defineRop({
  RopId: 0x73,
  name: 'RopSynchronizationImportHierarchyChange',
  request: [taggedValues16('HierarchyValues'), taggedValues16('PropertyValues')],
  response: [u64('FolderId')],
});
