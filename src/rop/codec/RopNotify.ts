// MS-OXCROPS 2.2.14.2 RopNotify
// Server only: RopId, NotificationHandle u32 (the handle of the RopRegisterNotification object), LogonId u8,
// NotificationData (MS-OXCNOTIF 2.2.1.4.1.2). No handle index, no ReturnValue.
import { defineServerRop, u32, u8 } from './kit.js';
import { notificationData } from './notification-data.js';

export const RopNotify = defineServerRop({
  RopId: 0x2a,
  name: 'RopNotify',
  response: [u32('NotificationHandle'), u8('LogonId'), notificationData('NotificationData')],
});
