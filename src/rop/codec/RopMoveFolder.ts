// MS-OXCROPS 2.2.4.7 RopMoveFolder
// Request: SourceHandleIndex (InputHandleIndex), DestHandleIndex, WantAsynchronous, UseUnicode, FolderId,
// NewFolderName (UTF-16LE when UseUnicode, else 8-bit). Response as RopMoveCopyMessages.
import { defineRop, readMoveCopyBody, readStr, writeMoveCopyBody, writeStr, type MoveCopyResponse } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopMoveFolderRequest extends RopRequestHeader {
  DestHandleIndex: number;
  WantAsynchronous: number;
  UseUnicode: number;
  FolderId: bigint;
  NewFolderName: string;
}

export type RopMoveFolderResponse = MoveCopyResponse;

export const RopMoveFolder = defineRop<RopMoveFolderRequest, RopMoveFolderResponse>({
  RopId: 0x35,
  name: 'RopMoveFolder',
  readReq: (r, ctx) => {
    const DestHandleIndex = r.u8();
    const WantAsynchronous = r.u8();
    const UseUnicode = r.u8();
    const FolderId = r.u64();
    return { DestHandleIndex, WantAsynchronous, UseUnicode, FolderId, NewFolderName: readStr(r, UseUnicode !== 0, ctx) };
  },
  writeReq: (w, q, ctx) => {
    w.u8(q.DestHandleIndex).u8(q.WantAsynchronous).u8(q.UseUnicode).u64(q.FolderId);
    writeStr(w, q.NewFolderName, q.UseUnicode !== 0, ctx);
  },
  readOk: (r) => readMoveCopyBody(r, 0),
  writeOk: (w, s) => writeMoveCopyBody(w, s),
  readFail: (r, _c, _q, rv) => readMoveCopyBody(r, rv),
  writeFail: (w, s) => writeMoveCopyBody(w, s),
});
