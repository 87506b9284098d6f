// MS-OXCROPS 2.2.7.3 RopGetAddressTypes
// Success response: AddressTypeCount u16, AddressTypeSize u16 (bytes of AddressTypes), AddressTypes (NUL-terminated
// 8-bit strings); the decoder checks that the strings fill AddressTypeSize exactly.
import { RopFormatError, RopReader } from '../../mapi/buffer.js';
import { custom, defineRop } from './kit.js';

export const RopGetAddressTypes = defineRop({
  RopId: 0x49,
  name: 'RopGetAddressTypes',
  request: [],
  response: [
    custom(
      'AddressTypes',
      (r, env) => {
        const count = r.u16();
        const size = r.u16();
        r.need(size, 'AddressTypes');
        if (count > size) throw new RopFormatError('OC_ROP_COUNT', `AddressTypeCount ${count} exceeds AddressTypeSize ${size}`);
        const sub = new RopReader(r.buf, r.pos, r.pos + size);
        const out: string[] = [];
        for (let i = 0; i < count; i++) out.push(sub.string8(env.ctx.codePage));
        if (sub.left !== 0) throw new RopFormatError('OC_ROP_SIZE', `AddressTypes are ${size - sub.left} bytes, AddressTypeSize says ${size}`);
        r.pos += size;
        return out;
      },
      (w, v: string[], env) => {
        const a = v ?? [];
        w.u16(a.length);
        const at = w.pos;
        w.u16(0);
        for (const s of a) w.string8(s, env.ctx.codePage);
        const size = w.pos - at - 2;
        if (size > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `AddressTypes of ${size} bytes do not fit AddressTypeSize`);
        w.patchU16(at, size);
      },
      'addressTypes',
    ),
  ],
});
