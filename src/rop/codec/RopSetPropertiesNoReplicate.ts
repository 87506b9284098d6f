// MS-OXCROPS 2.2.8.7 RopSetPropertiesNoReplicate
// PropertyValueSize u16 (bytes of PropertyValueCount + PropertyValues), PropertyValueCount u16, PropertyValues
// (TaggedPropertyValue). Success: PropertyProblemCount u16, PropertyProblems.
import type { TaggedValue } from '../../mapi/props.js';
import type { PropertyProblem } from '../../mapi/ropprops.js';
import { defineRop, readProblemsBody, readSizedTaggedValues, writeProblemsBody, writeSizedTaggedValues } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSetPropertiesNoReplicateRequest extends RopRequestHeader {
  PropertyValues: TaggedValue[];
}

export interface RopSetPropertiesNoReplicateResponse {
  PropertyProblems: PropertyProblem[];
}

export const RopSetPropertiesNoReplicate = defineRop<RopSetPropertiesNoReplicateRequest, RopSetPropertiesNoReplicateResponse>({
  RopId: 0x79,
  name: 'RopSetPropertiesNoReplicate',
  readReq: (r, ctx) => ({ PropertyValues: readSizedTaggedValues(r, ctx) }),
  writeReq: (w, q, ctx) => writeSizedTaggedValues(w, q.PropertyValues, ctx),
  readOk: (r) => readProblemsBody(r),
  writeOk: (w, s) => writeProblemsBody(w, s),
});
