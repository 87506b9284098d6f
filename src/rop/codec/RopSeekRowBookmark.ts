// MS-OXCROPS 2.2.5.9 RopSeekRowBookmark
import { defineRop, need, readSized16, writeSized16 } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSeekRowBookmarkRequest extends RopRequestHeader {
  Bookmark: Buffer;
  RowCount: number;
  WantRowMovedCount: number;
}

export interface RopSeekRowBookmarkResponse {
  RowNoLongerVisible: number;
  HasSoughtLess: number;
  RowsSought: number;
}

export const RopSeekRowBookmark = defineRop<RopSeekRowBookmarkRequest, RopSeekRowBookmarkResponse>({
  RopId: 0x19,
  name: 'RopSeekRowBookmark',
  readReq: (r) => {
    const Bookmark = readSized16(r, 'bytes');
    const RowCount = r.i32();
    const WantRowMovedCount = r.u8();
    return { Bookmark, RowCount, WantRowMovedCount };
  },
  writeReq: (w, q) => {
    writeSized16(w, q.Bookmark);
    w.i32(q.RowCount);
    w.u8(q.WantRowMovedCount);
  },
  readOk: (r) => {
    const RowNoLongerVisible = r.u8();
    const HasSoughtLess = r.u8();
    const RowsSought = r.i32();
    return { RowNoLongerVisible, HasSoughtLess, RowsSought };
  },
  writeOk: (w, s) => {
    w.u8(need(s.RowNoLongerVisible, 'RopSeekRowBookmark', 'RowNoLongerVisible'));
    w.u8(need(s.HasSoughtLess, 'RopSeekRowBookmark', 'HasSoughtLess'));
    w.i32(need(s.RowsSought, 'RopSeekRowBookmark', 'RowsSought'));
  },
});
