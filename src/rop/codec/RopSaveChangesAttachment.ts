// MS-OXCROPS 2.2.6.15 RopSaveChangesAttachment
// ResponseHandleIndex comes before InputHandleIndex in the request and is what the response prefix carries.
import { defineRop, u8 } from './kit.js';

export const RopSaveChangesAttachment = defineRop({
  RopId: 0x25,
  name: 'RopSaveChangesAttachment',
  responseHandle: true,
  request: [u8('SaveFlags')],
  response: [],
});
