// MS-OXCROPS 2.2.5.18 RopGetCollapseState
import { defineRop, need, readSized16, writeSized16 } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetCollapseStateRequest extends RopRequestHeader {
  RowId: bigint;
  RowInstanceNumber: number;
}

export interface RopGetCollapseStateResponse {
  CollapseState: Buffer;
}

export const RopGetCollapseState = defineRop<RopGetCollapseStateRequest, RopGetCollapseStateResponse>({
  RopId: 0x6B,
  name: 'RopGetCollapseState',
  readReq: (r) => {
    const RowId = r.u64();
    const RowInstanceNumber = r.u32();
    return { RowId, RowInstanceNumber };
  },
  writeReq: (w, q) => {
    w.u64(q.RowId);
    w.u32(q.RowInstanceNumber);
  },
  readOk: (r) => {
    const CollapseState = readSized16(r, 'bytes');
    return { CollapseState };
  },
  writeOk: (w, s) => {
    writeSized16(w, need(s.CollapseState, 'RopGetCollapseState', 'CollapseState'));
  },
});
