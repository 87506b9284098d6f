// MS-OXCROPS 2.2.3.5 RopGetStoreState
import { defineRop, need } from './common.js';
import type { RopRequestHeader } from '../types.js';

export interface RopGetStoreStateRequest extends RopRequestHeader {
}

export interface RopGetStoreStateResponse {
  StoreState: number;
}

export const RopGetStoreState = defineRop<RopGetStoreStateRequest, RopGetStoreStateResponse>({
  RopId: 0x7B,
  name: 'RopGetStoreState',
  readReq: () => ({}),
  writeReq: () => {},
  readOk: (r) => {
    const StoreState = r.u32();
    return { StoreState };
  },
  writeOk: (w, s) => {
    w.u32(need(s.StoreState, 'RopGetStoreState', 'StoreState'));
  },
});
