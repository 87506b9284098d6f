// MS-OXCROPS 2.2.3.10 RopGetPerUserLongTermIds
import { RopFormatError } from '../../mapi/buffer.js';
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetPerUserLongTermIdsRequest extends RopRequestHeader {
  DatabaseGuid: string;
}

export interface RopGetPerUserLongTermIdsResponse {
  /** 24-byte LongTermIds. */
  LongTermIds: Buffer[];
}

export const RopGetPerUserLongTermIds = defineRop<RopGetPerUserLongTermIdsRequest, RopGetPerUserLongTermIdsResponse>({
  RopId: 0x60,
  name: 'RopGetPerUserLongTermIds',
  readReq: (r) => ({ DatabaseGuid: r.guid() }),
  writeReq: (w, q) => {
    w.guid(q.DatabaseGuid);
  },
  readOk: (r) => {
    const n = r.u16();
    if (n * 24 > r.left) throw new RopFormatError('OC_ROP_COUNT', `LongTermIdCount ${n} exceeds the ${r.left} bytes left`);
    const LongTermIds: Buffer[] = [];
    for (let i = 0; i < n; i++) LongTermIds.push(Buffer.from(r.bytes(24, 'LongTermId')));
    return { LongTermIds };
  },
  writeOk: (w, s) => {
    const ids = need(s.LongTermIds, 'RopGetPerUserLongTermIds', 'LongTermIds');
    w.u16(ids.length);
    for (const x of ids) {
      if (x.length !== 24) throw new RopFormatError('OC_ROP_LTID', 'a LongTermId has 24 bytes');
      w.bytes(x);
    }
  },
});
