// MS-OXCROPS 2.2.5.8 RopSeekRow
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSeekRowRequest extends RopRequestHeader {
  Origin: number;
  RowCount: number;
  WantRowMovedCount: number;
}

export interface RopSeekRowResponse {
  HasSoughtLess: number;
  RowsSought: number;
}

export const RopSeekRow = defineRop<RopSeekRowRequest, RopSeekRowResponse>({
  RopId: 0x18,
  name: 'RopSeekRow',
  readReq: (r) => {
    const Origin = r.u8();
    const RowCount = r.i32();
    const WantRowMovedCount = r.u8();
    return { Origin, RowCount, WantRowMovedCount };
  },
  writeReq: (w, q) => {
    w.u8(q.Origin);
    w.i32(q.RowCount);
    w.u8(q.WantRowMovedCount);
  },
  readOk: (r) => {
    const HasSoughtLess = r.u8();
    const RowsSought = r.i32();
    return { HasSoughtLess, RowsSought };
  },
  writeOk: (w, s) => {
    w.u8(need(s.HasSoughtLess, 'RopSeekRow', 'HasSoughtLess'));
    w.i32(need(s.RowsSought, 'RopSeekRow', 'RowsSought'));
  },
});
