// MS-OXCROPS 2.2.4.11 RopDeleteMessages
// PartialCompletion is present whatever the ReturnValue (one response buffer).
import { defineRop, need, readIds, writeIds } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopDeleteMessagesRequest extends RopRequestHeader {
  WantAsynchronous: number;
  NotifyNonRead: number;
  MessageIds: bigint[];
}

export interface RopDeleteMessagesResponse {
  PartialCompletion: number;
}

/** The codec of RopDeleteMessages under a RopId and name: RopHardDeleteMessages has the same buffers. */
export function deleteMessagesCodec(RopId: number, name: string) {
  return defineRop<RopDeleteMessagesRequest, RopDeleteMessagesResponse>({
    RopId,
    name,
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
      w.u8(need(s.PartialCompletion, name, 'PartialCompletion'));
    },
    readFail: (r) => {
      const PartialCompletion = r.u8();
      return { PartialCompletion };
    },
    writeFail: (w, s) => {
      w.u8(s.PartialCompletion ?? 0);
    },
  });
}

export const RopDeleteMessages = deleteMessagesCodec(0x1E, 'RopDeleteMessages');
