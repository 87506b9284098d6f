// MS-OXCROPS 2.2.6.3 RopSaveChangesMessage
// ResponseHandleIndex comes before InputHandleIndex in the request and is what the response prefix carries.
import { defineRop, u8, u64 } from './kit.js';

export const RopSaveChangesMessage = defineRop({
  RopId: 0x0c,
  name: 'RopSaveChangesMessage',
  responseHandle: true,
  request: [u8('SaveFlags')],
  response: [u8('InputHandleIndex'), u64('MessageId')],
});
