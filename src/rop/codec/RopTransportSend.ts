// MS-OXCROPS 2.2.7.6 RopTransportSend
// Success response: NoPropertiesReturned u8, PropertyValueCount u16 + PropertyValues. The spec marks
// PropertyValueCount "optional" without a condition; it is always written (0 values when NoPropertiesReturned is
// nonzero), as Microsoft's Interop-TestSuites client always reads it.
import { defineRop, u8 } from './kit.js';
import { taggedValues16 } from './kit-props.js';

export const RopTransportSend = defineRop({
  RopId: 0x4a,
  name: 'RopTransportSend',
  request: [],
  response: [u8('NoPropertiesReturned'), taggedValues16('PropertyValues')],
});
