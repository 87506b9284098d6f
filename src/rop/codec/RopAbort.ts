// MS-OXCROPS 2.2.5.5 RopAbort
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopAbortRequest extends RopRequestHeader {
}

export interface RopAbortResponse {
  TableStatus: number;
}

export const RopAbort = defineRop<RopAbortRequest, RopAbortResponse>({
  RopId: 0x38,
  name: 'RopAbort',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const TableStatus = r.u8();
    return { TableStatus };
  },
  writeOk: (w, s) => {
    w.u8(need(s.TableStatus, 'RopAbort', 'TableStatus'));
  },
});
