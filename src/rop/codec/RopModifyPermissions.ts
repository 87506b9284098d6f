// MS-OXCROPS 2.2.10.1 RopModifyPermissions
// PermissionsData: ModifyCount u16, then PermissionData (DataFlags u8, PropertyValueCount u16, PropertyValues).
import { defineRop, u8, counted, struct } from './kit.js';
import { taggedValues16 } from './kit-props.js';

export const RopModifyPermissions = defineRop({
  RopId: 0x40,
  name: 'RopModifyPermissions',
  request: [u8('ModifyFlags'), counted('PermissionsData', 2, struct('PermissionData', [u8('DataFlags'), taggedValues16('PermissionDataEntries')] as const), 3)],
  response: [],
});
