// MS-OXCROPS 2.2.3.11 RopGetPerUserGuid
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetPerUserGuidRequest extends RopRequestHeader {
  LongTermId: Buffer;
}

export interface RopGetPerUserGuidResponse {
  DatabaseGuid: string;
}

export const RopGetPerUserGuid = defineRop<RopGetPerUserGuidRequest, RopGetPerUserGuidResponse>({
  RopId: 0x61,
  name: 'RopGetPerUserGuid',
  readReq: (r) => {
    const LongTermId = Buffer.from(r.bytes(24, 'LongTermId'));
    return { LongTermId };
  },
  writeReq: (w, q) => {
    w.bytes(q.LongTermId);
  },
  readOk: (r) => {
    const DatabaseGuid = r.guid();
    return { DatabaseGuid };
  },
  writeOk: (w, s) => {
    w.guid(need(s.DatabaseGuid, 'RopGetPerUserGuid', 'DatabaseGuid'));
  },
});
