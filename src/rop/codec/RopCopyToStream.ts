// MS-OXCROPS 2.2.9.9 RopCopyToStream
// Response: ReadByteCount + WrittenByteCount follow any ReturnValue; with ecDstNullObject (0x503) the
// DestHandleIndex (u32) comes first (Null Destination Failure Response Buffer).
import { ec } from '../ec.js';
import { defineRop, u8, u32, u64 } from './kit.js';

const RESPONSE = [u64('ReadByteCount'), u64('WrittenByteCount')] as const;
const NULL_DEST = [u32('DestHandleIndex'), u64('ReadByteCount'), u64('WrittenByteCount')] as const;

export const RopCopyToStream = defineRop({
  RopId: 0x3a,
  name: 'RopCopyToStream',
  request: [u8('DestHandleIndex'), u64('ByteCount')],
  response: [...RESPONSE],
  body: (rv) => (rv === ec.DstNullObject ? NULL_DEST : RESPONSE),
});
