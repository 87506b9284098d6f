// MS-OXCROPS 2.2.12.9 RopTellVersion
// Version: three u16 (the sending server's product major, minor and build, MS-OXCFXICS 2.2.3.1.1.6).
import { RopFormatError } from '../../mapi/buffer.js';
import { custom, defineRop } from './kit.js';

export const RopTellVersion = defineRop({
  RopId: 0x86,
  name: 'RopTellVersion',
  request: [
    custom(
      'Version',
      (r) => [r.u16(), r.u16(), r.u16()],
      (w, v: number[]) => {
        const a = v ?? [0, 0, 0];
        if (a.length !== 3) throw new RopFormatError('OC_ROP_FIELD', `RopTellVersion Version has 3 parts, not ${a.length}`);
        for (const x of a) w.u16(x);
      },
      'version',
    ),
  ],
  response: [],
});
