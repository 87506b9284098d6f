// MS-OXCROPS 2.2.4.3 RopDeleteFolder
// PartialCompletion is present whatever the ReturnValue (one response buffer).
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopDeleteFolderRequest extends RopRequestHeader {
  DeleteFolderFlags: number;
  FolderId: bigint;
}

export interface RopDeleteFolderResponse {
  PartialCompletion: number;
}

export const RopDeleteFolder = defineRop<RopDeleteFolderRequest, RopDeleteFolderResponse>({
  RopId: 0x1D,
  name: 'RopDeleteFolder',
  readReq: (r) => {
    const DeleteFolderFlags = r.u8();
    const FolderId = r.u64();
    return { DeleteFolderFlags, FolderId };
  },
  writeReq: (w, q) => {
    w.u8(q.DeleteFolderFlags);
    w.u64(q.FolderId);
  },
  readOk: (r) => {
    const PartialCompletion = r.u8();
    return { PartialCompletion };
  },
  writeOk: (w, s) => {
    w.u8(need(s.PartialCompletion, 'RopDeleteFolder', 'PartialCompletion'));
  },
  readFail: (r) => {
    const PartialCompletion = r.u8();
    return { PartialCompletion };
  },
  writeFail: (w, s) => {
    w.u8(s.PartialCompletion ?? 0);
  },
});
