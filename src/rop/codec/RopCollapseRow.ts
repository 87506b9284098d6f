// MS-OXCROPS 2.2.5.17 RopCollapseRow
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopCollapseRowRequest extends RopRequestHeader {
  CategoryId: bigint;
}

export interface RopCollapseRowResponse {
  CollapsedRowCount: number;
}

export const RopCollapseRow = defineRop<RopCollapseRowRequest, RopCollapseRowResponse>({
  RopId: 0x5A,
  name: 'RopCollapseRow',
  readReq: (r) => {
    const CategoryId = r.u64();
    return { CategoryId };
  },
  writeReq: (w, q) => {
    w.u64(q.CategoryId);
  },
  readOk: (r) => {
    const CollapsedRowCount = r.u32();
    return { CollapsedRowCount };
  },
  writeOk: (w, s) => {
    w.u32(need(s.CollapsedRowCount, 'RopCollapseRow', 'CollapsedRowCount'));
  },
});
