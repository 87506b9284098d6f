// MS-OXCROPS 2.2.5.2 RopSortTable
// SortTableFlags u8, SortOrderCount u16, CategorizedCount u16, ExpandedCount u16, SortOrders (MS-OXCDATA 2.13.1
// SortOrder: PropertyType u16, PropertyId u16 = a PropertyTag u32, Order u8). Success: TableStatus u8.
import { RopFormatError } from '../../mapi/buffer.js';
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

// MS-OXCDATA 2.13.1 SortOrder Order values
export const ORDER = { Ascending: 0x00, Descending: 0x01, MaximumCategory: 0x04 } as const;

export interface SortOrder {
  PropertyTag: number;
  Order: number;
}

export interface RopSortTableRequest extends RopRequestHeader {
  SortTableFlags: number;
  CategorizedCount: number;
  ExpandedCount: number;
  SortOrders: SortOrder[];
}

export interface RopSortTableResponse {
  TableStatus: number;
}

export const RopSortTable = defineRop<RopSortTableRequest, RopSortTableResponse>({
  RopId: 0x13,
  name: 'RopSortTable',
  readReq: (r) => {
    const SortTableFlags = r.u8();
    const n = r.u16();
    const CategorizedCount = r.u16();
    const ExpandedCount = r.u16();
    if (n * 5 > r.left) throw new RopFormatError('OC_ROP_COUNT', `SortOrderCount ${n} exceeds the ${r.left} bytes left`);
    const SortOrders: SortOrder[] = [];
    for (let i = 0; i < n; i++) SortOrders.push({ PropertyTag: r.u32(), Order: r.u8() });
    return { SortTableFlags, CategorizedCount, ExpandedCount, SortOrders };
  },
  writeReq: (w, q) => {
    w.u8(q.SortTableFlags).u16(q.SortOrders.length).u16(q.CategorizedCount).u16(q.ExpandedCount);
    for (const s of q.SortOrders) w.u32(s.PropertyTag).u8(s.Order);
  },
  readOk: (r) => ({ TableStatus: r.u8() }),
  writeOk: (w, s) => {
    w.u8(need(s.TableStatus, 'RopSortTable', 'TableStatus'));
  },
});
