// MS-OXCROPS 2.2.15.3 RopRelease
// RopId, LogonId, InputHandleIndex; the server sends no response.
import { defineRop } from './common.js';
import type { RopRequestHeader } from '../types.js';

export type RopReleaseRequest = RopRequestHeader;

export const RopRelease = defineRop<RopReleaseRequest, Record<string, never>>({
  RopId: 0x01,
  name: 'RopRelease',
  hasResponse: false,
  readReq: () => ({}),
  writeReq: () => {},
});
