// MS-OXCROPS 2.2.8.3 RopGetPropertiesSpecific
// PropertySizeLimit u16, WantUnicode u16, PropertyTagCount u16, PropertyTags. Success: RowData, one PropertyRow
// for the requested tags in order (MS-OXCDATA 2.8.1), carried as bytes the handler encoded with writePropertyRow.
import { readPropTags, writePropTags } from '../../mapi/ropprops.js';
import { defineRop, need, readRowBytes } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetPropertiesSpecificRequest extends RopRequestHeader {
  PropertySizeLimit: number;
  WantUnicode: number;
  PropertyTags: number[];
}

export interface RopGetPropertiesSpecificResponse {
  RowData: Buffer;
}

export const RopGetPropertiesSpecific = defineRop<RopGetPropertiesSpecificRequest, RopGetPropertiesSpecificResponse>({
  RopId: 0x07,
  name: 'RopGetPropertiesSpecific',
  readReq: (r) => {
    const PropertySizeLimit = r.u16();
    const WantUnicode = r.u16();
    return { PropertySizeLimit, WantUnicode, PropertyTags: readPropTags(r, r.u16()) };
  },
  writeReq: (w, q) => {
    w.u16(q.PropertySizeLimit).u16(q.WantUnicode).u16(q.PropertyTags.length);
    writePropTags(w, q.PropertyTags);
  },
  readOk: (r, ctx, q) => ({ RowData: readRowBytes(r, 1, q.PropertyTags, ctx) }),
  writeOk: (w, s) => {
    w.bytes(need(s.RowData, 'RopGetPropertiesSpecific', 'RowData'));
  },
});
