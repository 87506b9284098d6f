// MS-OXCROPS 2.2.4.1 RopOpenFolder
// Success: HasRules u8, IsGhosted u8, and the ghost information (ServerCount, CheapServerCount, Servers) when
// IsGhosted is nonzero (public folders only).
import { defineRop, need, readGhostInfo, writeGhostInfo, type GhostInfo } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopOpenFolderRequest extends RopRequestHeader {
  OutputHandleIndex: number;
  FolderId: bigint;
  OpenModeFlags: number;
}

export interface RopOpenFolderResponse {
  HasRules: number;
  IsGhosted: number;
  Ghost: GhostInfo;
}

export const RopOpenFolder = defineRop<RopOpenFolderRequest, RopOpenFolderResponse>({
  RopId: 0x02,
  name: 'RopOpenFolder',
  createsObject: true,
  readReq: (r) => ({ FolderId: r.u64(), OpenModeFlags: r.u8() }),
  writeReq: (w, q) => {
    w.u64(q.FolderId).u8(q.OpenModeFlags);
  },
  readOk: (r) => {
    const HasRules = r.u8();
    const IsGhosted = r.u8();
    return IsGhosted ? { HasRules, IsGhosted, Ghost: readGhostInfo(r) } : { HasRules, IsGhosted };
  },
  writeOk: (w, s) => {
    const g = s.IsGhosted ?? 0;
    w.u8(need(s.HasRules, 'RopOpenFolder', 'HasRules')).u8(g);
    if (g) writeGhostInfo(w, s.Ghost);
  },
});
