// MS-OXCROPS 2.2.3.6 RopGetOwningServers
import { defineRop, need, readAsciiList, writeAscii } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetOwningServersRequest extends RopRequestHeader {
  FolderId: bigint;
}

export interface RopGetOwningServersResponse {
  CheapServersCount: number;
  OwningServers: string[];
}

export const RopGetOwningServers = defineRop<RopGetOwningServersRequest, RopGetOwningServersResponse>({
  RopId: 0x42,
  name: 'RopGetOwningServers',
  readReq: (r) => ({ FolderId: r.u64() }),
  writeReq: (w, q) => {
    w.u64(q.FolderId);
  },
  readOk: (r) => {
    const n = r.u16();
    const CheapServersCount = r.u16();
    return { CheapServersCount, OwningServers: readAsciiList(r, n) };
  },
  writeOk: (w, s) => {
    const list = need(s.OwningServers, 'RopGetOwningServers', 'OwningServers');
    w.u16(list.length).u16(s.CheapServersCount ?? 0);
    for (const x of list) writeAscii(w, x);
  },
});

