// MS-OXCROPS 2.2.5.11 RopCreateBookmark
import { defineRop, need, readSized16, writeSized16 } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopCreateBookmarkRequest extends RopRequestHeader {
}

export interface RopCreateBookmarkResponse {
  Bookmark: Buffer;
}

export const RopCreateBookmark = defineRop<RopCreateBookmarkRequest, RopCreateBookmarkResponse>({
  RopId: 0x1B,
  name: 'RopCreateBookmark',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const Bookmark = readSized16(r, 'bytes');
    return { Bookmark };
  },
  writeOk: (w, s) => {
    writeSized16(w, need(s.Bookmark, 'RopCreateBookmark', 'Bookmark'));
  },
});
