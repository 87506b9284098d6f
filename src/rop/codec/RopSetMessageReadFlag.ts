// MS-OXCROPS 2.2.6.11 RopSetMessageReadFlag
// ClientData (request) is present when the logon is a public-folder logon, which the bytes do not say: the
// decoder asks CodecContext.isPublicLogon(LogonId) (an optional extension; absent = private mailbox). The success
// response carries LogonId + ClientData (the request's) when ReadStatusChanged is nonzero, which only a public-folder
// read-state change reports (as Microsoft's Interop-TestSuites client reads it).
import { defineRop, u8, fixed, when } from './kit.js';
import { publicLogon } from './kit-logon.js';

export const RopSetMessageReadFlag = defineRop({
  RopId: 0x11,
  name: 'RopSetMessageReadFlag',
  responseHandle: true,
  request: [u8('ReadFlags'), when((e) => publicLogon(e), fixed('ClientData', 24))],
  response: [u8('ReadStatusChanged'), when((e) => e.obj.ReadStatusChanged !== 0, u8('LogonId')), when((e) => e.obj.ReadStatusChanged !== 0, fixed('ClientData', 24))],
});
