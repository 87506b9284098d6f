// MS-OXCROPS 2.2.4.6 RopMoveCopyMessages
// Request: RopId, LogonId, SourceHandleIndex (InputHandleIndex), DestHandleIndex, MessageIdCount u16, MessageIds,
// WantAsynchronous u8, WantCopy u8. Response: PartialCompletion (any ReturnValue); with ecDstNullObject the
// DestHandleIndex u32 comes first.
import { defineRop, readIds, readMoveCopyBody, writeIds, writeMoveCopyBody, type MoveCopyResponse } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopMoveCopyMessagesRequest extends RopRequestHeader {
  DestHandleIndex: number;
  MessageIds: bigint[];
  WantAsynchronous: number;
  WantCopy: number;
}

export type RopMoveCopyMessagesResponse = MoveCopyResponse;

export const RopMoveCopyMessages = defineRop<RopMoveCopyMessagesRequest, RopMoveCopyMessagesResponse>({
  RopId: 0x33,
  name: 'RopMoveCopyMessages',
  readReq: (r) => {
    const DestHandleIndex = r.u8();
    const MessageIds = readIds(r, r.u16());
    return { DestHandleIndex, MessageIds, WantAsynchronous: r.u8(), WantCopy: r.u8() };
  },
  writeReq: (w, q) => {
    w.u8(q.DestHandleIndex).u16(q.MessageIds.length);
    writeIds(w, q.MessageIds);
    w.u8(q.WantAsynchronous).u8(q.WantCopy);
  },
  readOk: (r) => readMoveCopyBody(r, 0),
  writeOk: (w, s) => writeMoveCopyBody(w, s),
  readFail: (r, _c, _q, rv) => readMoveCopyBody(r, rv),
  writeFail: (w, s) => writeMoveCopyBody(w, s),
});
