// MS-OXCROPS 2.2.3.13 RopWritePerUserInformation
// FolderId (LongTermId 24), HasFinished u8, DataOffset u32, DataSize u16, Data, and ReplGuid (16) only when
// DataOffset is 0 and the logon was made with USE_PER_MDB_REPLID_MAPPING (MS-OXCSTOR 2.2.1.1.1 OpenFlags
// 0x01000000). The codec learns the logon's OpenFlags from CodecContext.logonOpenFlags; without it, it assumes the
// flag is clear.
import { defineRop } from './common.js';
import type { CodecContext, RopRequestHeader } from '../types.js';

export const USE_PER_MDB_REPLID_MAPPING = 0x01000000;

export interface RopWritePerUserInformationRequest extends RopRequestHeader {
  FolderId: Buffer;
  HasFinished: number;
  DataOffset: number;
  Data: Buffer;
  ReplGuid?: string;
}

function carriesReplGuid(ctx: CodecContext, logonId: number, dataOffset: number): boolean {
  const flags = ctx.logonOpenFlags?.(logonId);
  return dataOffset === 0 && flags !== undefined && (flags & USE_PER_MDB_REPLID_MAPPING) !== 0;
}

export const RopWritePerUserInformation = defineRop<RopWritePerUserInformationRequest, Record<string, never>>({
  RopId: 0x64,
  name: 'RopWritePerUserInformation',
  readReq: (r, ctx, h) => {
    const FolderId = Buffer.from(r.bytes(24, 'LongTermId'));
    const HasFinished = r.u8();
    const DataOffset = r.u32();
    const n = r.u16();
    const Data = Buffer.from(r.bytes(n, 'Data'));
    if (carriesReplGuid(ctx, h.LogonId, DataOffset)) return { FolderId, HasFinished, DataOffset, Data, ReplGuid: r.guid() };
    return { FolderId, HasFinished, DataOffset, Data };
  },
  writeReq: (w, q, ctx) => {
    w.bytes(q.FolderId).u8(q.HasFinished).u32(q.DataOffset).u16(q.Data.length).bytes(q.Data);
    // a request that carries ReplGuid writes it; one without gets the nil GUID where the logon's flags demand one
    if (q.ReplGuid !== undefined) w.guid(q.ReplGuid);
    else if (carriesReplGuid(ctx, q.LogonId, q.DataOffset)) w.guid('00000000-0000-0000-0000-000000000000');
  },
});
