// MS-OXCROPS 2.2.5.10 RopSeekRowFractional
import { defineRop } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopSeekRowFractionalRequest extends RopRequestHeader {
  Numerator: number;
  Denominator: number;
}

export interface RopSeekRowFractionalResponse {
}

export const RopSeekRowFractional = defineRop<RopSeekRowFractionalRequest, RopSeekRowFractionalResponse>({
  RopId: 0x1A,
  name: 'RopSeekRowFractional',
  readReq: (r) => {
    const Numerator = r.u32();
    const Denominator = r.u32();
    return { Numerator, Denominator };
  },
  writeReq: (w, q) => {
    w.u32(q.Numerator);
    w.u32(q.Denominator);
  },
});
