// MS-OXCROPS 2.2.5.14 RopFreeBookmark
import { defineRop, readSized16, writeSized16 } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopFreeBookmarkRequest extends RopRequestHeader {
  Bookmark: Buffer;
}

export interface RopFreeBookmarkResponse {
}

export const RopFreeBookmark = defineRop<RopFreeBookmarkRequest, RopFreeBookmarkResponse>({
  RopId: 0x89,
  name: 'RopFreeBookmark',
  readReq: (r) => {
    const Bookmark = readSized16(r, 'bytes');
    return { Bookmark };
  },
  writeReq: (w, q) => {
    writeSized16(w, q.Bookmark);
  },
});
