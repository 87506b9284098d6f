// MS-OXCROPS 2.2.8.2 RopGetNamesFromPropertyIds
// PropertyIdCount u16, PropertyIds (u16). Response: PropertyNameCount u16, PropertyNames (Kind 0xFF for an id
// without a name), also with ecWarnWithErrors.
import type { PropertyName } from '../../mapi/named.js';
import { defineRop, isOkOrWarn, need, readPropertyNames, readPropIds, writePropertyNames, writePropIds } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetNamesFromPropertyIdsRequest extends RopRequestHeader {
  PropertyIds: number[];
}

export interface RopGetNamesFromPropertyIdsResponse {
  PropertyNames: PropertyName[];
}

export const RopGetNamesFromPropertyIds = defineRop<RopGetNamesFromPropertyIdsRequest, RopGetNamesFromPropertyIdsResponse>({
  RopId: 0x55,
  name: 'RopGetNamesFromPropertyIds',
  readReq: (r) => ({ PropertyIds: readPropIds(r, r.u16()) }),
  writeReq: (w, q) => {
    w.u16(q.PropertyIds.length);
    writePropIds(w, q.PropertyIds);
  },
  readOk: (r) => ({ PropertyNames: readPropertyNames(r, r.u16()) }),
  writeOk: (w, s) => {
    const names = need(s.PropertyNames, 'RopGetNamesFromPropertyIds', 'PropertyNames');
    w.u16(names.length);
    writePropertyNames(w, names);
  },
  readFail: (r, _c, _q, rv) => (isOkOrWarn(rv) ? { PropertyNames: readPropertyNames(r, r.u16()) } : {}),
  writeFail: (w, s) => {
    if (!isOkOrWarn(s.ReturnValue)) return;
    const names = s.PropertyNames ?? [];
    w.u16(names.length);
    writePropertyNames(w, names);
  },
});
