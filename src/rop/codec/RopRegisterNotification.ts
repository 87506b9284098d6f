// MS-OXCROPS 2.2.14.1 RopRegisterNotification
// FolderId and MessageId are present when WantWholeStore is zero.
import { defineRop, u8, u64, when } from './kit.js';

export const RopRegisterNotification = defineRop({
  RopId: 0x29,
  name: 'RopRegisterNotification',
  createsObject: true,
  request: [u8('NotificationTypes'), u8('Reserved'), u8('WantWholeStore'), when((e) => e.obj.WantWholeStore === 0, u64('FolderId')), when((e) => e.obj.WantWholeStore === 0, u64('MessageId'))],
  response: [],
});
