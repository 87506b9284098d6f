// MS-OXCROPS 2.2.5.12 RopQueryColumnsAll
import { defineRop, need, readPropTags, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopQueryColumnsAllRequest extends RopRequestHeader {
}

export interface RopQueryColumnsAllResponse {
  PropertyTags: number[];
}

export const RopQueryColumnsAll = defineRop<RopQueryColumnsAllRequest, RopQueryColumnsAllResponse>({
  RopId: 0x37,
  name: 'RopQueryColumnsAll',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const PropertyTags = readPropTags(r, r.u16());
    return { PropertyTags };
  },
  writeOk: (w, s) => {
    w.u16(need(s.PropertyTags, 'RopQueryColumnsAll', 'PropertyTags').length); writePropTags(w, need(s.PropertyTags, 'RopQueryColumnsAll', 'PropertyTags'));
  },
});
