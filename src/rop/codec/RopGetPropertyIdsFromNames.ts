// MS-OXCROPS 2.2.8.1 RopGetPropertyIdsFromNames
// Flags u8 (0x02 create), PropertyNameCount u16, PropertyNames. Response: PropertyIdCount u16, PropertyIds (u16),
// also with ecWarnWithErrors (some names not mapped: id 0x0000, MS-OXCPRPT 3.2.5.8).
import type { PropertyName } from '../../mapi/named.js';
import { defineRop, isOkOrWarn, need, readPropertyNames, readPropIds, writePropertyNames, writePropIds } from './common.js';
import type { RopRequestHeader } from '../types.js';

// MS-OXCPRPT 2.2.12.1 Flags
export const MAPI_CREATE = 0x02;

export interface RopGetPropertyIdsFromNamesRequest extends RopRequestHeader {
  Flags: number;
  PropertyNames: PropertyName[];
}

export interface RopGetPropertyIdsFromNamesResponse {
  PropertyIds: number[];
}

export const RopGetPropertyIdsFromNames = defineRop<RopGetPropertyIdsFromNamesRequest, RopGetPropertyIdsFromNamesResponse>({
  RopId: 0x56,
  name: 'RopGetPropertyIdsFromNames',
  readReq: (r) => {
    const Flags = r.u8();
    return { Flags, PropertyNames: readPropertyNames(r, r.u16()) };
  },
  writeReq: (w, q) => {
    w.u8(q.Flags).u16(q.PropertyNames.length);
    writePropertyNames(w, q.PropertyNames);
  },
  readOk: (r) => ({ PropertyIds: readPropIds(r, r.u16()) }),
  writeOk: (w, s) => {
    const ids = need(s.PropertyIds, 'RopGetPropertyIdsFromNames', 'PropertyIds');
    w.u16(ids.length);
    writePropIds(w, ids);
  },
  readFail: (r, _c, _q, rv) => (isOkOrWarn(rv) ? { PropertyIds: readPropIds(r, r.u16()) } : {}),
  writeFail: (w, s) => {
    if (!isOkOrWarn(s.ReturnValue)) return;
    const ids = s.PropertyIds ?? [];
    w.u16(ids.length);
    writePropIds(w, ids);
  },
});
