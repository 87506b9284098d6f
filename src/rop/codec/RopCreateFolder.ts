// MS-OXCROPS 2.2.4.2 RopCreateFolder
// DisplayName and Comment are UTF-16LE when UseUnicodeStrings is nonzero, else 8-bit in the logon's code page.
// Success: FolderId u64, IsExistingFolder u8, then HasRules u8, IsGhosted u8 [+ ghost information] only when
// IsExistingFolder is nonzero.
import { defineRop, need, readGhostInfo, readStr, writeGhostInfo, writeStr, type GhostInfo } from './common.js';
import type { RopRequestHeader } from '../types.js';

// MS-OXCFOLD 2.2.1.2.1 FolderType
export const FOLDER_GENERIC = 0x01;
export const FOLDER_SEARCH = 0x02;

export interface RopCreateFolderRequest extends RopRequestHeader {
  OutputHandleIndex: number;
  FolderType: number;
  UseUnicodeStrings: number;
  OpenExisting: number;
  Reserved: number;
  DisplayName: string;
  Comment: string;
}

export interface RopCreateFolderResponse {
  FolderId: bigint;
  IsExistingFolder: number;
  HasRules: number;
  IsGhosted: number;
  Ghost: GhostInfo;
}

export const RopCreateFolder = defineRop<RopCreateFolderRequest, RopCreateFolderResponse>({
  RopId: 0x1c,
  name: 'RopCreateFolder',
  createsObject: true,
  readReq: (r, ctx) => {
    const FolderType = r.u8();
    const UseUnicodeStrings = r.u8();
    const OpenExisting = r.u8();
    const Reserved = r.u8();
    const DisplayName = readStr(r, UseUnicodeStrings !== 0, ctx);
    const Comment = readStr(r, UseUnicodeStrings !== 0, ctx);
    return { FolderType, UseUnicodeStrings, OpenExisting, Reserved, DisplayName, Comment };
  },
  writeReq: (w, q, ctx) => {
    w.u8(q.FolderType).u8(q.UseUnicodeStrings).u8(q.OpenExisting).u8(q.Reserved);
    writeStr(w, q.DisplayName, q.UseUnicodeStrings !== 0, ctx);
    writeStr(w, q.Comment, q.UseUnicodeStrings !== 0, ctx);
  },
  readOk: (r) => {
    const FolderId = r.u64();
    const IsExistingFolder = r.u8();
    if (!IsExistingFolder) return { FolderId, IsExistingFolder };
    const HasRules = r.u8();
    const IsGhosted = r.u8();
    return IsGhosted ? { FolderId, IsExistingFolder, HasRules, IsGhosted, Ghost: readGhostInfo(r) } : { FolderId, IsExistingFolder, HasRules, IsGhosted };
  },
  writeOk: (w, s) => {
    const existing = s.IsExistingFolder ?? 0;
    w.u64(need(s.FolderId, 'RopCreateFolder', 'FolderId')).u8(existing);
    if (!existing) return;
    const g = s.IsGhosted ?? 0;
    w.u8(s.HasRules ?? 0).u8(g);
    if (g) writeGhostInfo(w, s.Ghost);
  },
});
