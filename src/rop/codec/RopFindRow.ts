// MS-OXCROPS 2.2.5.13 RopFindRow
// FindRowFlags u8, RestrictionDataSize u16, RestrictionData, Origin u8, BookmarkSize u16, Bookmark.
// Success: RowNoLongerVisible u8, HasRowData u8, RowData (one PropertyRow, as bytes) when HasRowData.
import { defineRop, need, readRestrictionField, readRowBytes, readSized16, writeRestrictionField, writeSized16, type RestrictionField } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopFindRowRequest extends RopRequestHeader, RestrictionField {
  FindRowFlags: number;
  Origin: number;
  Bookmark: Buffer;
  /** Not on the wire: the table's columns, for decodeResponse. */
  Columns?: readonly number[];
}

export interface RopFindRowResponse {
  RowNoLongerVisible: number;
  HasRowData: number;
  RowData: Buffer;
}

export const RopFindRow = defineRop<RopFindRowRequest, RopFindRowResponse>({
  RopId: 0x4f,
  name: 'RopFindRow',
  readReq: (r, ctx) => {
    const FindRowFlags = r.u8();
    const res = readRestrictionField(r, ctx);
    const Origin = r.u8();
    return { FindRowFlags, ...res, Origin, Bookmark: readSized16(r, 'Bookmark') };
  },
  writeReq: (w, q, ctx) => {
    w.u8(q.FindRowFlags);
    writeRestrictionField(w, q, ctx);
    w.u8(q.Origin);
    writeSized16(w, q.Bookmark);
  },
  readOk: (r, ctx, q) => {
    const RowNoLongerVisible = r.u8();
    const HasRowData = r.u8();
    if (!HasRowData) return { RowNoLongerVisible, HasRowData };
    return { RowNoLongerVisible, HasRowData, RowData: readRowBytes(r, 1, q.Columns, ctx) };
  },
  writeOk: (w, s) => {
    const has = s.HasRowData ?? (s.RowData && s.RowData.length > 0 ? 1 : 0);
    w.u8(need(s.RowNoLongerVisible, 'RopFindRow', 'RowNoLongerVisible')).u8(has);
    if (has) w.bytes(need(s.RowData, 'RopFindRow', 'RowData'));
  },
});
