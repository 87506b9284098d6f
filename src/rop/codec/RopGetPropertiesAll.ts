// MS-OXCROPS 2.2.8.4 RopGetPropertiesAll
// PropertySizeLimit u16, WantUnicode u16. Success: PropertyValueCount u16, PropertyValues (TaggedPropertyValue).
import type { TaggedValue } from '../../mapi/props.js';
import { readTaggedValues, writeTaggedValue } from '../../mapi/ropprops.js';
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetPropertiesAllRequest extends RopRequestHeader {
  PropertySizeLimit: number;
  WantUnicode: number;
}

export interface RopGetPropertiesAllResponse {
  PropertyValues: TaggedValue[];
}

export const RopGetPropertiesAll = defineRop<RopGetPropertiesAllRequest, RopGetPropertiesAllResponse>({
  RopId: 0x08,
  name: 'RopGetPropertiesAll',
  readReq: (r) => ({ PropertySizeLimit: r.u16(), WantUnicode: r.u16() }),
  writeReq: (w, q) => {
    w.u16(q.PropertySizeLimit).u16(q.WantUnicode);
  },
  readOk: (r, ctx) => ({ PropertyValues: readTaggedValues(r, r.u16(), ctx.codePage) }),
  writeOk: (w, s, ctx) => {
    const vals = need(s.PropertyValues, 'RopGetPropertiesAll', 'PropertyValues');
    w.u16(vals.length);
    for (const v of vals) writeTaggedValue(w, v, ctx.codePage);
  },
});
