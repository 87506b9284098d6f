// MS-OXCROPS 2.2.4.9 RopEmptyFolder
// PartialCompletion is present whatever the ReturnValue (one response buffer).
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopEmptyFolderRequest extends RopRequestHeader {
  WantAsynchronous: number;
  WantDeleteAssociated: number;
}

export interface RopEmptyFolderResponse {
  PartialCompletion: number;
}

/** The codec of RopEmptyFolder under a RopId and name: RopHardDeleteMessagesAndSubfolders has the same buffers. */
export function emptyFolderCodec(RopId: number, name: string) {
  return defineRop<RopEmptyFolderRequest, RopEmptyFolderResponse>({
    RopId,
    name,
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

export const RopEmptyFolder = emptyFolderCodec(0x58, 'RopEmptyFolder');
