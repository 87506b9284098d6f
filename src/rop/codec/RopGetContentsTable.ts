// MS-OXCROPS 2.2.4.14 RopGetContentsTable
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetContentsTableRequest extends RopRequestHeader {
  TableFlags: number;
}

export interface RopGetContentsTableResponse {
  RowCount: number;
}

export const RopGetContentsTable = defineRop<RopGetContentsTableRequest, RopGetContentsTableResponse>({
  RopId: 0x05,
  name: 'RopGetContentsTable',
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
    w.u32(need(s.RowCount, 'RopGetContentsTable', 'RowCount'));
  },
});
