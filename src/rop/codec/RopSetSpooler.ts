// MS-OXCROPS 2.2.7.4 RopSetSpooler
import { defineRop } from './kit.js';

export const RopSetSpooler = defineRop({
  RopId: 0x47,
  name: 'RopSetSpooler',
  request: [],
  response: [],
});
