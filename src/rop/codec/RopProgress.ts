// MS-OXCROPS 2.2.8.13 RopProgress
// A completed asynchronous operation answers with its own ROP's response instead (the handler's business).
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopProgressRequest extends RopRequestHeader {
  WantCancel: number;
}

export interface RopProgressResponse {
  LogonId: number;
  CompletedTaskCount: number;
  TotalTaskCount: number;
}

export const RopProgress = defineRop<RopProgressRequest, RopProgressResponse>({
  RopId: 0x50,
  name: 'RopProgress',
  readReq: (r) => {
    const WantCancel = r.u8();
    return { WantCancel };
  },
  writeReq: (w, q) => {
    w.u8(q.WantCancel);
  },
  readOk: (r) => {
    const LogonId = r.u8();
    const CompletedTaskCount = r.u32();
    const TotalTaskCount = r.u32();
    return { LogonId, CompletedTaskCount, TotalTaskCount };
  },
  writeOk: (w, s) => {
    w.u8(need(s.LogonId, 'RopProgress', 'LogonId'));
    w.u32(need(s.CompletedTaskCount, 'RopProgress', 'CompletedTaskCount'));
    w.u32(need(s.TotalTaskCount, 'RopProgress', 'TotalTaskCount'));
  },
});
