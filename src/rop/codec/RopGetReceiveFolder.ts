// MS-OXCROPS 2.2.3.2 RopGetReceiveFolder
import { defineRop, need, readAscii, writeAscii } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetReceiveFolderRequest extends RopRequestHeader {
  MessageClass: string;
}

export interface RopGetReceiveFolderResponse {
  FolderId: bigint;
  ExplicitMessageClass: string;
}

export const RopGetReceiveFolder = defineRop<RopGetReceiveFolderRequest, RopGetReceiveFolderResponse>({
  RopId: 0x27,
  name: 'RopGetReceiveFolder',
  readReq: (r) => {
    const MessageClass = readAscii(r);
    return { MessageClass };
  },
  writeReq: (w, q) => {
    writeAscii(w, q.MessageClass);
  },
  readOk: (r) => {
    const FolderId = r.u64();
    const ExplicitMessageClass = readAscii(r);
    return { FolderId, ExplicitMessageClass };
  },
  writeOk: (w, s) => {
    w.u64(need(s.FolderId, 'RopGetReceiveFolder', 'FolderId'));
    writeAscii(w, need(s.ExplicitMessageClass, 'RopGetReceiveFolder', 'ExplicitMessageClass'));
  },
});
