// MS-OXCROPS 2.2.4.5 RopGetSearchCriteria
// Success: RestrictionDataSize u16, RestrictionData, LogonId u8, FolderIdCount u16, FolderIds, SearchFlags u32.
import { defineRop, need, readIds, readRestrictionField, writeIds, writeRestrictionField, type RestrictionField } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetSearchCriteriaRequest extends RopRequestHeader {
  UseUnicode: number;
  IncludeRestriction: number;
  IncludeFolders: number;
}

export interface RopGetSearchCriteriaResponse extends RestrictionField {
  LogonId: number;
  FolderIds: bigint[];
  SearchFlags: number;
}

export const RopGetSearchCriteria = defineRop<RopGetSearchCriteriaRequest, RopGetSearchCriteriaResponse>({
  RopId: 0x31,
  name: 'RopGetSearchCriteria',
  readReq: (r) => ({ UseUnicode: r.u8(), IncludeRestriction: r.u8(), IncludeFolders: r.u8() }),
  writeReq: (w, q) => {
    w.u8(q.UseUnicode).u8(q.IncludeRestriction).u8(q.IncludeFolders);
  },
  readOk: (r, ctx) => {
    const res = readRestrictionField(r, ctx);
    const LogonId = r.u8();
    const FolderIds = readIds(r, r.u16());
    return { ...res, LogonId, FolderIds, SearchFlags: r.u32() };
  },
  writeOk: (w, s, ctx, q) => {
    writeRestrictionField(w, s, ctx);
    const ids = s.FolderIds ?? [];
    w.u8(s.LogonId ?? q.LogonId).u16(ids.length);
    writeIds(w, ids);
    w.u32(need(s.SearchFlags, 'RopGetSearchCriteria', 'SearchFlags'));
  },
});
