// MS-OXCROPS 2.2.4.12 RopHardDeleteMessages
// PartialCompletion is present whatever the ReturnValue (one response buffer).
import { defineRop, need, readIds, writeIds } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopHardDeleteMessagesRequest extends RopRequestHeader {
  WantAsynchronous: number;
  NotifyNonRead: number;
  MessageIds: bigint[];
}

export interface RopHardDeleteMessagesResponse {
  PartialCompletion: number;
}

export const RopHardDeleteMessages = defineRop<RopHardDeleteMessagesRequest, RopHardDeleteMessagesResponse>({
  RopId: 0x91,
  name: 'RopHardDeleteMessages',
  readReq: (r) => {
    const WantAsynchronous = r.u8();
    const NotifyNonRead = r.u8();
    const MessageIds = readIds(r, r.u16());
    return { WantAsynchronous, NotifyNonRead, MessageIds };
  },
  writeReq: (w, q) => {
    w.u8(q.WantAsynchronous);
    w.u8(q.NotifyNonRead);
    w.u16(q.MessageIds.length); writeIds(w, q.MessageIds);
  },
  readOk: (r) => {
    const PartialCompletion = r.u8();
    return { PartialCompletion };
  },
  writeOk: (w, s) => {
    w.u8(need(s.PartialCompletion, 'RopHardDeleteMessages', 'PartialCompletion'));
  },
  readFail: (r) => {
    const PartialCompletion = r.u8();
    return { PartialCompletion };
  },
  writeFail: (w, s) => {
    w.u8(s.PartialCompletion ?? 0);
  },
});
