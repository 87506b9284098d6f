// MS-OXCROPS 2.2.13.13 RopGetLocalReplicaIds
import { defineRop, u32, guid, fixed } from './kit.js';

export const RopGetLocalReplicaIds = defineRop({
  RopId: 0x7f,
  name: 'RopGetLocalReplicaIds',
  request: [u32('IdCount')],
  response: [guid('ReplGuid'), fixed('GlobalCount', 6)],
});
