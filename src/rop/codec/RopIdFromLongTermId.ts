// MS-OXCROPS 2.2.3.9 RopIdFromLongTermId
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopIdFromLongTermIdRequest extends RopRequestHeader {
  LongTermId: Buffer;
}

export interface RopIdFromLongTermIdResponse {
  ObjectId: bigint;
}

export const RopIdFromLongTermId = defineRop<RopIdFromLongTermIdRequest, RopIdFromLongTermIdResponse>({
  RopId: 0x44,
  name: 'RopIdFromLongTermId',
  readReq: (r) => {
    const LongTermId = Buffer.from(r.bytes(24, 'LongTermId'));
    return { LongTermId };
  },
  writeReq: (w, q) => {
    w.bytes(q.LongTermId);
  },
  readOk: (r) => {
    const ObjectId = r.u64();
    return { ObjectId };
  },
  writeOk: (w, s) => {
    w.u64(need(s.ObjectId, 'RopIdFromLongTermId', 'ObjectId'));
  },
});
