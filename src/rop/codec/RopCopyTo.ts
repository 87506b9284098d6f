// MS-OXCROPS 2.2.8.12 RopCopyTo
// Request: SourceHandleIndex (InputHandleIndex), DestHandleIndex, WantAsynchronous u8, WantSubObjects u8,
// CopyFlags u8, ExcludedTagCount u16, ExcludedTags. Success: PropertyProblemCount u16, PropertyProblems;
// ecDstNullObject: DestHandleIndex u32; other failures: no body.
import type { PropertyProblem } from '../../mapi/ropprops.js';
import { defineRop, ecDstNullObject, readProblemsBody, readPropTags, writeProblemsBody, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopCopyToRequest extends RopRequestHeader {
  DestHandleIndex: number;
  WantAsynchronous: number;
  WantSubObjects: number;
  CopyFlags: number;
  ExcludedTags: number[];
}

export interface RopCopyToResponse {
  PropertyProblems: PropertyProblem[];
  DestHandleIndex: number;
}

export const RopCopyTo = defineRop<RopCopyToRequest, RopCopyToResponse>({
  RopId: 0x39,
  name: 'RopCopyTo',
  readReq: (r) => {
    const DestHandleIndex = r.u8();
    const WantAsynchronous = r.u8();
    const WantSubObjects = r.u8();
    const CopyFlags = r.u8();
    return { DestHandleIndex, WantAsynchronous, WantSubObjects, CopyFlags, ExcludedTags: readPropTags(r, r.u16()) };
  },
  writeReq: (w, q) => {
    w.u8(q.DestHandleIndex).u8(q.WantAsynchronous).u8(q.WantSubObjects).u8(q.CopyFlags).u16(q.ExcludedTags.length);
    writePropTags(w, q.ExcludedTags);
  },
  readOk: (r) => readProblemsBody(r),
  writeOk: (w, s) => writeProblemsBody(w, s),
  readFail: (r, _c, _q, rv) => (rv === ecDstNullObject ? { DestHandleIndex: r.u32() } : {}),
  writeFail: (w, s) => {
    if (s.ReturnValue === ecDstNullObject) w.u32(s.DestHandleIndex ?? 0);
  },
});
