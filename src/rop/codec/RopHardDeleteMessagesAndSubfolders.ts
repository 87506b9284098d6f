// MS-OXCROPS 2.2.4.10 RopHardDeleteMessagesAndSubfolders
// PartialCompletion is present whatever the ReturnValue (one response buffer).
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopHardDeleteMessagesAndSubfoldersRequest extends RopRequestHeader {
  WantAsynchronous: number;
  WantDeleteAssociated: number;
}

export interface RopHardDeleteMessagesAndSubfoldersResponse {
  PartialCompletion: number;
}

export const RopHardDeleteMessagesAndSubfolders = defineRop<RopHardDeleteMessagesAndSubfoldersRequest, RopHardDeleteMessagesAndSubfoldersResponse>({
  RopId: 0x92,
  name: 'RopHardDeleteMessagesAndSubfolders',
  readReq: (r) => {
    const WantAsynchronous = r.u8();
    const WantDeleteAssociated = r.u8();
    return { WantAsynchronous, WantDeleteAssociated };
  },
  writeReq: (w, q) => {
    w.u8(q.WantAsynchronous);
    w.u8(q.WantDeleteAssociated);
  },
  readOk: (r) => {
    const PartialCompletion = r.u8();
    return { PartialCompletion };
  },
  writeOk: (w, s) => {
    w.u8(need(s.PartialCompletion, 'RopHardDeleteMessagesAndSubfolders', 'PartialCompletion'));
  },
  readFail: (r) => {
    const PartialCompletion = r.u8();
    return { PartialCompletion };
  },
  writeFail: (w, s) => {
    w.u8(s.PartialCompletion ?? 0);
  },
});
