// MS-OXCROPS 2.2.5.1 RopSetColumns
import { defineRop, need, readPropTags, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSetColumnsRequest extends RopRequestHeader {
  SetColumnsFlags: number;
  PropertyTags: number[];
}

export interface RopSetColumnsResponse {
  TableStatus: number;
}

export const RopSetColumns = defineRop<RopSetColumnsRequest, RopSetColumnsResponse>({
  RopId: 0x12,
  name: 'RopSetColumns',
  readReq: (r) => {
    const SetColumnsFlags = r.u8();
    const PropertyTags = readPropTags(r, r.u16());
    return { SetColumnsFlags, PropertyTags };
  },
  writeReq: (w, q) => {
    w.u8(q.SetColumnsFlags);
    w.u16(q.PropertyTags.length); writePropTags(w, q.PropertyTags);
  },
  readOk: (r) => {
    const TableStatus = r.u8();
    return { TableStatus };
  },
  writeOk: (w, s) => {
    w.u8(need(s.TableStatus, 'RopSetColumns', 'TableStatus'));
  },
});
