// MS-OXCROPS 2.2.3.7 RopPublicFolderIsGhosted
// Success: IsGhosted u8, then ServersCount u16, CheapServersCount u16, Servers when IsGhosted is nonzero.
import { defineRop, need, readGhostInfo, writeGhostInfo, type GhostInfo } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopPublicFolderIsGhostedRequest extends RopRequestHeader {
  FolderId: bigint;
}

export interface RopPublicFolderIsGhostedResponse {
  IsGhosted: number;
  Ghost: GhostInfo;
}

export const RopPublicFolderIsGhosted = defineRop<RopPublicFolderIsGhostedRequest, RopPublicFolderIsGhostedResponse>({
  RopId: 0x45,
  name: 'RopPublicFolderIsGhosted',
  readReq: (r) => ({ FolderId: r.u64() }),
  writeReq: (w, q) => {
    w.u64(q.FolderId);
  },
  readOk: (r) => {
    const IsGhosted = r.u8();
    return IsGhosted ? { IsGhosted, Ghost: readGhostInfo(r) } : { IsGhosted };
  },
  writeOk: (w, s) => {
    const g = need(s.IsGhosted, 'RopPublicFolderIsGhosted', 'IsGhosted');
    w.u8(g);
    if (g) writeGhostInfo(w, s.Ghost);
  },
});
