// MS-OXCROPS 2.2.8.6 RopSetProperties
// PropertyValueSize u16 (bytes of PropertyValueCount + PropertyValues), PropertyValueCount u16, PropertyValues
// (TaggedPropertyValue). Success: PropertyProblemCount u16, PropertyProblems.
import type { TaggedValue } from '../../mapi/props.js';
import type { PropertyProblem } from '../../mapi/ropprops.js';
import { defineRop, readProblemsBody, readSizedTaggedValues, writeProblemsBody, writeSizedTaggedValues } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSetPropertiesRequest extends RopRequestHeader {
  PropertyValues: TaggedValue[];
}

export interface RopSetPropertiesResponse {
  PropertyProblems: PropertyProblem[];
}

export const RopSetProperties = defineRop<RopSetPropertiesRequest, RopSetPropertiesResponse>({
  RopId: 0x0A,
  name: 'RopSetProperties',
  readReq: (r, ctx) => ({ PropertyValues: readSizedTaggedValues(r, ctx) }),
  writeReq: (w, q, ctx) => writeSizedTaggedValues(w, q.PropertyValues, ctx),
  readOk: (r) => readProblemsBody(r),
  writeOk: (w, s) => writeProblemsBody(w, s),
});
