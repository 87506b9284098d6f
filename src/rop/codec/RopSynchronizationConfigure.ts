// MS-OXCROPS 2.2.13.1 RopSynchronizationConfigure
// RestrictionDataSize u16 + RestrictionData (null when the size is 0).
import { defineRop, u8, u16, u32, tags16 } from './kit.js';
import { sizedRestriction } from './kit-props.js';

export const RopSynchronizationConfigure = defineRop({
  RopId: 0x70,
  name: 'RopSynchronizationConfigure',
  createsObject: true,
  request: [u8('SynchronizationType'), u8('SendOptions'), u16('SynchronizationFlags'), sizedRestriction('RestrictionData'), u32('SynchronizationExtraFlags'), tags16('PropertyTags')],
  response: [],
});
