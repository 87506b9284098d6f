// MS-OXCROPS 2.2.5.5 RopAbort
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopAbortRequest extends RopRequestHeader {
}

export interface RopAbortResponse {
  TableStatus: number;
}

/** The codec of RopAbort under a RopId and name: RopGetStatus has the same buffers. */
export function abortCodec(RopId: number, name: string) {
  return defineRop<RopAbortRequest, RopAbortResponse>({
    RopId,
    name,
    readReq: () => ({}),
    writeReq: () => {},
    readOk: (r) => {
      const TableStatus = r.u8();
      return { TableStatus };
    },
    writeOk: (w, s) => {
      w.u8(need(s.TableStatus, name, 'TableStatus'));
    },
  });
}

export const RopAbort = abortCodec(0x38, 'RopAbort');
