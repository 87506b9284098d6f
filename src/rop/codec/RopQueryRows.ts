// MS-OXCROPS 2.2.5.4 RopQueryRows
// QueryRowsFlags u8, ForwardRead u8, RowCount u16. Success: Origin u8, RowCount u16, RowData (RowCount
// PropertyRows for the table's columns), carried as bytes the handler encoded with writePropertyRow so it can stop
// at the output space.
import { defineRop, need, readRowBytes } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopQueryRowsRequest extends RopRequestHeader {
  QueryRowsFlags: number;
  ForwardRead: number;
  RowCount: number;
  /** Not on the wire: the table's columns, for decodeResponse (tests, the bench client). */
  Columns?: readonly number[];
}

export interface RopQueryRowsResponse {
  Origin: number;
  RowCount: number;
  RowData: Buffer;
}

export const RopQueryRows = defineRop<RopQueryRowsRequest, RopQueryRowsResponse>({
  RopId: 0x15,
  name: 'RopQueryRows',
  readReq: (r) => ({ QueryRowsFlags: r.u8(), ForwardRead: r.u8(), RowCount: r.u16() }),
  writeReq: (w, q) => {
    w.u8(q.QueryRowsFlags).u8(q.ForwardRead).u16(q.RowCount);
  },
  readOk: (r, ctx, q) => {
    const Origin = r.u8();
    const RowCount = r.u16();
    return { Origin, RowCount, RowData: readRowBytes(r, RowCount, q.Columns, ctx) };
  },
  writeOk: (w, s) => {
    w.u8(need(s.Origin, 'RopQueryRows', 'Origin')).u16(need(s.RowCount, 'RopQueryRows', 'RowCount'));
    w.bytes(s.RowData ?? Buffer.alloc(0));
  },
});
