// MS-OXCROPS 2.2.8.9 RopDeletePropertiesNoReplicate
// PropertyTagCount u16, PropertyTags. Success: PropertyProblemCount u16, PropertyProblems.
import type { PropertyProblem } from '../../mapi/ropprops.js';
import { defineRop, readProblemsBody, readPropTags, writeProblemsBody, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopDeletePropertiesNoReplicateRequest extends RopRequestHeader {
  PropertyTags: number[];
}

export interface RopDeletePropertiesNoReplicateResponse {
  PropertyProblems: PropertyProblem[];
}

export const RopDeletePropertiesNoReplicate = defineRop<RopDeletePropertiesNoReplicateRequest, RopDeletePropertiesNoReplicateResponse>({
  RopId: 0x7A,
  name: 'RopDeletePropertiesNoReplicate',
  readReq: (r) => ({ PropertyTags: readPropTags(r, r.u16()) }),
  writeReq: (w, q) => {
    w.u16(q.PropertyTags.length);
    writePropTags(w, q.PropertyTags);
  },
  readOk: (r) => readProblemsBody(r),
  writeOk: (w, s) => writeProblemsBody(w, s),
});
