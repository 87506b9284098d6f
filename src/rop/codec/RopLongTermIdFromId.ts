// MS-OXCROPS 2.2.3.8 RopLongTermIdFromId
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopLongTermIdFromIdRequest extends RopRequestHeader {
  ObjectId: bigint;
}

export interface RopLongTermIdFromIdResponse {
  LongTermId: Buffer;
}

export const RopLongTermIdFromId = defineRop<RopLongTermIdFromIdRequest, RopLongTermIdFromIdResponse>({
  RopId: 0x43,
  name: 'RopLongTermIdFromId',
  readReq: (r) => {
    const ObjectId = r.u64();
    return { ObjectId };
  },
  writeReq: (w, q) => {
    w.u64(q.ObjectId);
  },
  readOk: (r) => {
    const LongTermId = Buffer.from(r.bytes(24, 'LongTermId'));
    return { LongTermId };
  },
  writeOk: (w, s) => {
    w.bytes(need(s.LongTermId, 'RopLongTermIdFromId', 'LongTermId'));
  },
});
