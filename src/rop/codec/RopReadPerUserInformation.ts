// MS-OXCROPS 2.2.3.12 RopReadPerUserInformation
import { defineRop, need, readSized16, writeSized16 } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopReadPerUserInformationRequest extends RopRequestHeader {
  FolderId: Buffer;
  Reserved: number;
  DataOffset: number;
  MaxDataSize: number;
}

export interface RopReadPerUserInformationResponse {
  HasFinished: number;
  Data: Buffer;
}

export const RopReadPerUserInformation = defineRop<RopReadPerUserInformationRequest, RopReadPerUserInformationResponse>({
  RopId: 0x63,
  name: 'RopReadPerUserInformation',
  readReq: (r) => {
    const FolderId = Buffer.from(r.bytes(24, 'LongTermId'));
    const Reserved = r.u8();
    const DataOffset = r.u32();
    const MaxDataSize = r.u16();
    return { FolderId, Reserved, DataOffset, MaxDataSize };
  },
  writeReq: (w, q) => {
    w.bytes(q.FolderId);
    w.u8(q.Reserved);
    w.u32(q.DataOffset);
    w.u16(q.MaxDataSize);
  },
  readOk: (r) => {
    const HasFinished = r.u8();
    const Data = readSized16(r, 'bytes');
    return { HasFinished, Data };
  },
  writeOk: (w, s) => {
    w.u8(need(s.HasFinished, 'RopReadPerUserInformation', 'HasFinished'));
    writeSized16(w, need(s.Data, 'RopReadPerUserInformation', 'Data'));
  },
});
