// MS-OXCROPS 2.2.4.13 RopGetHierarchyTable
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetHierarchyTableRequest extends RopRequestHeader {
  TableFlags: number;
}

export interface RopGetHierarchyTableResponse {
  RowCount: number;
}

export const RopGetHierarchyTable = defineRop<RopGetHierarchyTableRequest, RopGetHierarchyTableResponse>({
  RopId: 0x04,
  name: 'RopGetHierarchyTable',
  createsObject: true,
  readReq: (r) => {
    const TableFlags = r.u8();
    return { TableFlags };
  },
  writeReq: (w, q) => {
    w.u8(q.TableFlags);
  },
  readOk: (r) => {
    const RowCount = r.u32();
    return { RowCount };
  },
  writeOk: (w, s) => {
    w.u32(need(s.RowCount, 'RopGetHierarchyTable', 'RowCount'));
  },
});
