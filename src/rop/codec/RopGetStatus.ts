// MS-OXCROPS 2.2.5.6 RopGetStatus
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetStatusRequest extends RopRequestHeader {
}

export interface RopGetStatusResponse {
  TableStatus: number;
}

export const RopGetStatus = defineRop<RopGetStatusRequest, RopGetStatusResponse>({
  RopId: 0x16,
  name: 'RopGetStatus',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const TableStatus = r.u8();
    return { TableStatus };
  },
  writeOk: (w, s) => {
    w.u8(need(s.TableStatus, 'RopGetStatus', 'TableStatus'));
  },
});
