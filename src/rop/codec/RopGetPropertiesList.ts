// MS-OXCROPS 2.2.8.5 RopGetPropertiesList
import { defineRop, need, readPropTags, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetPropertiesListRequest extends RopRequestHeader {
}

export interface RopGetPropertiesListResponse {
  PropertyTags: number[];
}

export const RopGetPropertiesList = defineRop<RopGetPropertiesListRequest, RopGetPropertiesListResponse>({
  RopId: 0x09,
  name: 'RopGetPropertiesList',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const PropertyTags = readPropTags(r, r.u16());
    return { PropertyTags };
  },
  writeOk: (w, s) => {
    w.u16(need(s.PropertyTags, 'RopGetPropertiesList', 'PropertyTags').length); writePropTags(w, need(s.PropertyTags, 'RopGetPropertiesList', 'PropertyTags'));
  },
});
