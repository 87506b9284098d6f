// MS-OXCROPS 2.2.4.8 RopCopyFolder
// Request: SourceHandleIndex (InputHandleIndex), DestHandleIndex, WantAsynchronous, WantRecursive, UseUnicode,
// FolderId, NewFolderName. Response as RopMoveCopyMessages.
import { defineRop, readMoveCopyBody, readStr, writeMoveCopyBody, writeStr, type MoveCopyResponse } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopCopyFolderRequest extends RopRequestHeader {
  DestHandleIndex: number;
  WantAsynchronous: number;
  WantRecursive: number;
  UseUnicode: number;
  FolderId: bigint;
  NewFolderName: string;
}

export type RopCopyFolderResponse = MoveCopyResponse;

export const RopCopyFolder = defineRop<RopCopyFolderRequest, RopCopyFolderResponse>({
  RopId: 0x36,
  name: 'RopCopyFolder',
  readReq: (r, ctx) => {
    const DestHandleIndex = r.u8();
    const WantAsynchronous = r.u8();
    const WantRecursive = r.u8();
    const UseUnicode = r.u8();
    const FolderId = r.u64();
    return { DestHandleIndex, WantAsynchronous, WantRecursive, UseUnicode, FolderId, NewFolderName: readStr(r, UseUnicode !== 0, ctx) };
  },
  writeReq: (w, q, ctx) => {
    w.u8(q.DestHandleIndex).u8(q.WantAsynchronous).u8(q.WantRecursive).u8(q.UseUnicode).u64(q.FolderId);
    writeStr(w, q.NewFolderName, q.UseUnicode !== 0, ctx);
  },
  readOk: (r) => readMoveCopyBody(r, 0),
  writeOk: (w, s) => writeMoveCopyBody(w, s),
  readFail: (r, _c, _q, rv) => readMoveCopyBody(r, rv),
  writeFail: (w, s) => writeMoveCopyBody(w, s),
});
