// MS-OXCROPS 2.2.4.14 RopGetContentsTable
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetContentsTableRequest extends RopRequestHeader {
  TableFlags: number;
}

export interface RopGetContentsTableResponse {
  RowCount: number;
}

/** The codec of RopGetContentsTable under a RopId and name: RopGetHierarchyTable has the same buffers. */
export function getContentsTableCodec(RopId: number, name: string) {
  return defineRop<RopGetContentsTableRequest, RopGetContentsTableResponse>({
    RopId,
    name,
    createsObject: true,
    readReq: (r) => {
      const TableFlags = r.u8();
      return { TableFlags };
    },
    writeReq: (w, q) => {
      w.u8(q.TableFlags);
    },
    readOk: (r) => {
      const RowCount = r.u32();
      return { RowCount };
    },
    writeOk: (w, s) => {
      w.u32(need(s.RowCount, name, 'RowCount'));
    },
  });
}

export const RopGetContentsTable = getContentsTableCodec(0x05, 'RopGetContentsTable');
