// MS-OXCROPS 2.2.8.8 RopDeleteProperties
// PropertyTagCount u16, PropertyTags. Success: PropertyProblemCount u16, PropertyProblems.
import type { PropertyProblem } from '../../mapi/ropprops.js';
import { defineRop, readProblemsBody, readPropTags, writeProblemsBody, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopDeletePropertiesRequest extends RopRequestHeader {
  PropertyTags: number[];
}

export interface RopDeletePropertiesResponse {
  PropertyProblems: PropertyProblem[];
}

/** The codec of RopDeleteProperties under a RopId and name: RopDeletePropertiesNoReplicate has the same buffers. */
export function deletePropertiesCodec(RopId: number, name: string) {
  return defineRop<RopDeletePropertiesRequest, RopDeletePropertiesResponse>({
    RopId,
    name,
    readReq: (r) => ({ PropertyTags: readPropTags(r, r.u16()) }),
    writeReq: (w, q) => {
      w.u16(q.PropertyTags.length);
      writePropTags(w, q.PropertyTags);
    },
    readOk: (r) => readProblemsBody(r),
    writeOk: (w, s) => writeProblemsBody(w, s),
  });
}

export const RopDeleteProperties = deletePropertiesCodec(0x0B, 'RopDeleteProperties');
