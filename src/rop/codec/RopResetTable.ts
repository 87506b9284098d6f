// MS-OXCROPS 2.2.5.15 RopResetTable
import { defineRop } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopResetTableRequest extends RopRequestHeader {
}

export interface RopResetTableResponse {
}

export const RopResetTable = defineRop<RopResetTableRequest, RopResetTableResponse>({
  RopId: 0x81,
  name: 'RopResetTable',
  readReq: () => ({}),
  writeReq: () => {},
});
