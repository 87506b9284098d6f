// MS-OXCROPS 2.2.3.3 RopSetReceiveFolder
import { defineRop, readAscii, writeAscii } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSetReceiveFolderRequest extends RopRequestHeader {
  FolderId: bigint;
  MessageClass: string;
}

export interface RopSetReceiveFolderResponse {
}

export const RopSetReceiveFolder = defineRop<RopSetReceiveFolderRequest, RopSetReceiveFolderResponse>({
  RopId: 0x26,
  name: 'RopSetReceiveFolder',
  readReq: (r) => {
    const FolderId = r.u64();
    const MessageClass = readAscii(r);
    return { FolderId, MessageClass };
  },
  writeReq: (w, q) => {
    w.u64(q.FolderId);
    writeAscii(w, q.MessageClass);
  },
});
