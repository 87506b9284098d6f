// MS-OXCROPS 2.2.8.11 RopCopyProperties
// Request: SourceHandleIndex (InputHandleIndex), DestHandleIndex, WantAsynchronous u8, CopyFlags u8,
// PropertyTagCount u16, PropertyTags. Success: PropertyProblemCount u16, PropertyProblems; ecDstNullObject:
// DestHandleIndex u32; other failures: no body.
import type { PropertyProblem } from '../../mapi/ropprops.js';
import { defineRop, ecDstNullObject, readProblemsBody, readPropTags, writeProblemsBody, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopCopyPropertiesRequest extends RopRequestHeader {
  DestHandleIndex: number;
  WantAsynchronous: number;
  CopyFlags: number;
  PropertyTags: number[];
}

export interface RopCopyPropertiesResponse {
  PropertyProblems: PropertyProblem[];
  DestHandleIndex: number;
}

export const RopCopyProperties = defineRop<RopCopyPropertiesRequest, RopCopyPropertiesResponse>({
  RopId: 0x67,
  name: 'RopCopyProperties',
  readReq: (r) => {
    const DestHandleIndex = r.u8();
    const WantAsynchronous = r.u8();
    const CopyFlags = r.u8();
    return { DestHandleIndex, WantAsynchronous, CopyFlags, PropertyTags: readPropTags(r, r.u16()) };
  },
  writeReq: (w, q) => {
    w.u8(q.DestHandleIndex).u8(q.WantAsynchronous).u8(q.CopyFlags).u16(q.PropertyTags.length);
    writePropTags(w, q.PropertyTags);
  },
  readOk: (r) => readProblemsBody(r),
  writeOk: (w, s) => writeProblemsBody(w, s),
  readFail: (r, _c, _q, rv) => (rv === ecDstNullObject ? { DestHandleIndex: r.u32() } : {}),
  writeFail: (w, s) => {
    if (s.ReturnValue === ecDstNullObject) w.u32(s.DestHandleIndex ?? 0);
  },
});
