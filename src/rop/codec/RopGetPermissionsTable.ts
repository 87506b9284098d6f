// MS-OXCROPS 2.2.10.2 RopGetPermissionsTable
import { defineRop, u8 } from './kit.js';

export const RopGetPermissionsTable = defineRop({
  RopId: 0x3e,
  name: 'RopGetPermissionsTable',
  createsObject: true,
  request: [u8('TableFlags')],
  response: [],
});
