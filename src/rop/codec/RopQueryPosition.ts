// MS-OXCROPS 2.2.5.7 RopQueryPosition
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopQueryPositionRequest extends RopRequestHeader {
}

export interface RopQueryPositionResponse {
  Numerator: number;
  Denominator: number;
}

export const RopQueryPosition = defineRop<RopQueryPositionRequest, RopQueryPositionResponse>({
  RopId: 0x17,
  name: 'RopQueryPosition',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const Numerator = r.u32();
    const Denominator = r.u32();
    return { Numerator, Denominator };
  },
  writeOk: (w, s) => {
    w.u32(need(s.Numerator, 'RopQueryPosition', 'Numerator'));
    w.u32(need(s.Denominator, 'RopQueryPosition', 'Denominator'));
  },
});
