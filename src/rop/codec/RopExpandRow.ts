// MS-OXCROPS 2.2.5.16 RopExpandRow
// MaxRowCount u16, CategoryId u64. Success: ExpandedRowCount u32, RowCount u16, RowData (PropertyRows as bytes).
import { defineRop, need, readRowBytes } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopExpandRowRequest extends RopRequestHeader {
  MaxRowCount: number;
  CategoryId: bigint;
  /** Not on the wire: the table's columns, for decodeResponse. */
  Columns?: readonly number[];
}

export interface RopExpandRowResponse {
  ExpandedRowCount: number;
  RowCount: number;
  RowData: Buffer;
}

export const RopExpandRow = defineRop<RopExpandRowRequest, RopExpandRowResponse>({
  RopId: 0x59,
  name: 'RopExpandRow',
  readReq: (r) => ({ MaxRowCount: r.u16(), CategoryId: r.u64() }),
  writeReq: (w, q) => {
    w.u16(q.MaxRowCount).u64(q.CategoryId);
  },
  readOk: (r, ctx, q) => {
    const ExpandedRowCount = r.u32();
    const RowCount = r.u16();
    return { ExpandedRowCount, RowCount, RowData: readRowBytes(r, RowCount, q.Columns, ctx) };
  },
  writeOk: (w, s) => {
    w.u32(need(s.ExpandedRowCount, 'RopExpandRow', 'ExpandedRowCount')).u16(need(s.RowCount, 'RopExpandRow', 'RowCount'));
    w.bytes(s.RowData ?? Buffer.alloc(0));
  },
});
