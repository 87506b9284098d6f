// MS-OXCROPS 2.2.5.19 RopSetCollapseState
import { defineRop, need, readSized16, writeSized16 } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSetCollapseStateRequest extends RopRequestHeader {
  CollapseState: Buffer;
}

export interface RopSetCollapseStateResponse {
  Bookmark: Buffer;
}

export const RopSetCollapseState = defineRop<RopSetCollapseStateRequest, RopSetCollapseStateResponse>({
  RopId: 0x6C,
  name: 'RopSetCollapseState',
  readReq: (r) => {
    const CollapseState = readSized16(r, 'bytes');
    return { CollapseState };
  },
  writeReq: (w, q) => {
    writeSized16(w, q.CollapseState);
  },
  readOk: (r) => {
    const Bookmark = readSized16(r, 'bytes');
    return { Bookmark };
  },
  writeOk: (w, s) => {
    writeSized16(w, need(s.Bookmark, 'RopSetCollapseState', 'Bookmark'));
  },
});
