// MS-OXCROPS 2.2.8.10 RopQueryNamedProperties
// QueryFlags u8, HasGuid u8, PropertyGuid (16) when HasGuid. Success: IdCount u16, PropertyIds (u16 x IdCount),
// PropertyNames (x IdCount).
import { RopFormatError } from '../../mapi/buffer.js';
import type { PropertyName } from '../../mapi/named.js';
import { defineRop, need, readPropertyNames, readPropIds, writePropertyNames, writePropIds } from './common.js';
import type { RopRequestHeader } from '../types.js';

// MS-OXCPRPT 2.2.13.1 QueryFlags
export const NoStrings = 0x01;
export const NoIds = 0x02;

export interface RopQueryNamedPropertiesRequest extends RopRequestHeader {
  QueryFlags: number;
  PropertyGuid?: string;
}

export interface RopQueryNamedPropertiesResponse {
  PropertyIds: number[];
  PropertyNames: PropertyName[];
}

export const RopQueryNamedProperties = defineRop<RopQueryNamedPropertiesRequest, RopQueryNamedPropertiesResponse>({
  RopId: 0x5f,
  name: 'RopQueryNamedProperties',
  readReq: (r) => {
    const QueryFlags = r.u8();
    const HasGuid = r.u8();
    return HasGuid ? { QueryFlags, PropertyGuid: r.guid() } : { QueryFlags };
  },
  writeReq: (w, q) => {
    w.u8(q.QueryFlags).u8(q.PropertyGuid !== undefined ? 1 : 0);
    if (q.PropertyGuid !== undefined) w.guid(q.PropertyGuid);
  },
  readOk: (r) => {
    const n = r.u16();
    const PropertyIds = readPropIds(r, n);
    return { PropertyIds, PropertyNames: readPropertyNames(r, n) };
  },
  writeOk: (w, s) => {
    const ids = need(s.PropertyIds, 'RopQueryNamedProperties', 'PropertyIds');
    const names = need(s.PropertyNames, 'RopQueryNamedProperties', 'PropertyNames');
    if (ids.length !== names.length) throw new RopFormatError('OC_ROP_COUNT', 'RopQueryNamedProperties: as many PropertyNames as PropertyIds');
    w.u16(ids.length);
    writePropIds(w, ids);
    writePropertyNames(w, names);
  },
});
