// MS-OXCROPS 2.2.5.3 RopRestrict
// RestrictFlags u8, RestrictionDataSize u16, RestrictionData (size 0 removes the restriction). Success: TableStatus.
import { defineRop, need, readRestrictionField, writeRestrictionField, type RestrictionField } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopRestrictRequest extends RopRequestHeader, RestrictionField {
  RestrictFlags: number;
}

export interface RopRestrictResponse {
  TableStatus: number;
}

export const RopRestrict = defineRop<RopRestrictRequest, RopRestrictResponse>({
  RopId: 0x14,
  name: 'RopRestrict',
  readReq: (r, ctx) => {
    const RestrictFlags = r.u8();
    return { RestrictFlags, ...readRestrictionField(r, ctx) };
  },
  writeReq: (w, q, ctx) => {
    w.u8(q.RestrictFlags);
    writeRestrictionField(w, q, ctx);
  },
  readOk: (r) => ({ TableStatus: r.u8() }),
  writeOk: (w, s) => {
    w.u8(need(s.TableStatus, 'RopRestrict', 'TableStatus'));
  },
});
