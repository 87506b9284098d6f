// MS-OXCROPS 2.2.3.4 RopGetReceiveFolderTable
// Success: RowCount u32, Rows: one PropertyRow each of PidTagFolderId, PidTagMessageClass (PtypString8, ASCII),
// PidTagLastModificationTime (MS-OXCSTOR 2.2.1.4.2).
import { RopFormatError } from '../../mapi/buffer.js';
import { readPropertyRow, writePropertyRow } from '../../mapi/ropprops.js';
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

/** The columns of a receive folder row, in wire order. */
export const RECEIVE_FOLDER_COLUMNS = [0x67480014, 0x001a001e, 0x30080040] as const;

export interface ReceiveFolderRow {
  FolderId: bigint;
  MessageClass: string;
  /** FILETIME */
  LastModificationTime: bigint;
}

export type RopGetReceiveFolderTableRequest = RopRequestHeader;

export interface RopGetReceiveFolderTableResponse {
  Rows: ReceiveFolderRow[];
}

const ASCII = 20127;

export const RopGetReceiveFolderTable = defineRop<RopGetReceiveFolderTableRequest, RopGetReceiveFolderTableResponse>({
  RopId: 0x68,
  name: 'RopGetReceiveFolderTable',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const n = r.u32();
    if (n > r.left) throw new RopFormatError('OC_ROP_COUNT', `RowCount ${n} exceeds the ${r.left} bytes left`);
    const Rows: ReceiveFolderRow[] = [];
    for (let i = 0; i < n; i++) {
      const [fid, cls, time] = readPropertyRow(r, RECEIVE_FOLDER_COLUMNS, ASCII);
      if (typeof fid !== 'bigint' || typeof cls !== 'string' || typeof time !== 'bigint') {
        throw new RopFormatError('OC_ROP_ROW', 'a receive folder row lacks a value');
      }
      Rows.push({ FolderId: fid, MessageClass: cls, LastModificationTime: time });
    }
    return { Rows };
  },
  writeOk: (w, s) => {
    const rows = need(s.Rows, 'RopGetReceiveFolderTable', 'Rows');
    w.u32(rows.length);
    for (const x of rows) writePropertyRow(w, RECEIVE_FOLDER_COLUMNS, [BigInt.asIntN(64, x.FolderId), x.MessageClass, x.LastModificationTime], ASCII);
  },
});
