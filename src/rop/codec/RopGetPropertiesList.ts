// MS-OXCROPS 2.2.8.5 RopGetPropertiesList
import { defineRop, need, readPropTags, writePropTags } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetPropertiesListRequest extends RopRequestHeader {
}

export interface RopGetPropertiesListResponse {
  PropertyTags: number[];
}

/** The codec of RopGetPropertiesList under a RopId and name: RopQueryColumnsAll has the same buffers. */
export function getPropertiesListCodec(RopId: number, name: string) {
  return defineRop<RopGetPropertiesListRequest, RopGetPropertiesListResponse>({
    RopId,
    name,
    readReq: () => ({}),
    writeReq: () => {},
    readOk: (r) => {
      const PropertyTags = readPropTags(r, r.u16());
      return { PropertyTags };
    },
    writeOk: (w, s) => {
      w.u16(need(s.PropertyTags, name, 'PropertyTags').length); writePropTags(w, need(s.PropertyTags, name, 'PropertyTags'));
    },
  });
}

export const RopGetPropertiesList = getPropertiesListCodec(0x09, 'RopGetPropertiesList');
