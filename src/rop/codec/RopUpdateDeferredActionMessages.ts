// MS-OXCROPS 2.2.11.3 RopUpdateDeferredActionMessages
import { defineRop, sized } from './kit.js';

export const RopUpdateDeferredActionMessages = defineRop({
  RopId: 0x57,
  name: 'RopUpdateDeferredActionMessages',
  request: [sized('ServerEntryId', 2), sized('ClientEntryId', 2)],
  response: [],
});
