// MS-OXCROPS 2.2.4.4 RopSetSearchCriteria
// RestrictionDataSize u16, RestrictionData (MS-OXCDATA 2.12; size 0 keeps the current restriction), FolderIdCount
// u16, FolderIds, SearchFlags u32. A restriction past the limits sets RestrictionTooComplex (answer ecTooComplex).
import { defineRop, readIds, readRestrictionField, writeIds, writeRestrictionField, type RestrictionField } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSetSearchCriteriaRequest extends RopRequestHeader, RestrictionField {
  FolderIds: bigint[];
  SearchFlags: number;
}

export const RopSetSearchCriteria = defineRop<RopSetSearchCriteriaRequest, Record<string, never>>({
  RopId: 0x30,
  name: 'RopSetSearchCriteria',
  readReq: (r, ctx) => {
    const res = readRestrictionField(r, ctx);
    const FolderIds = readIds(r, r.u16());
    return { ...res, FolderIds, SearchFlags: r.u32() };
  },
  writeReq: (w, q, ctx) => {
    writeRestrictionField(w, q, ctx);
    w.u16(q.FolderIds.length);
    writeIds(w, q.FolderIds);
    w.u32(q.SearchFlags);
  },
});
