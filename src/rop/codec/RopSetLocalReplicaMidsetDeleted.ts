// MS-OXCROPS 2.2.13.12 RopSetLocalReplicaMidsetDeleted
// DataSize u16 (bytes that follow), LongTermIdRangeCount u32, LongTermIdRange (MinLongTermId 24, MaxLongTermId 24)
// x n; the ranges must fill DataSize exactly.
import { RopFormatError, RopReader } from '../../mapi/buffer.js';
import { custom, defineRop } from './kit.js';

export interface LongTermIdRange {
  MinLongTermId: Buffer;
  MaxLongTermId: Buffer;
}

export const RopSetLocalReplicaMidsetDeleted = defineRop({
  RopId: 0x93,
  name: 'RopSetLocalReplicaMidsetDeleted',
  request: [
    custom(
      'LongTermIdRanges',
      (r) => {
        const size = r.u16();
        r.need(size, 'LongTermIdRanges');
        const sub = new RopReader(r.buf, r.pos, r.pos + size);
        const n = sub.u32();
        if (n * 48 !== sub.left) throw new RopFormatError('OC_ROP_SIZE', `LongTermIdRangeCount ${n} does not match DataSize ${size}`);
        const out: LongTermIdRange[] = [];
        for (let i = 0; i < n; i++) out.push({ MinLongTermId: Buffer.from(sub.bytes(24)), MaxLongTermId: Buffer.from(sub.bytes(24)) });
        r.pos += size;
        return out;
      },
      (w, v: LongTermIdRange[]) => {
        const a = v ?? [];
        const size = 4 + a.length * 48;
        if (size > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `${a.length} ranges do not fit DataSize`);
        w.u16(size).u32(a.length);
        for (const x of a) {
          if (x.MinLongTermId.length !== 24 || x.MaxLongTermId.length !== 24) throw new RopFormatError('OC_ROP_FIELD', 'a LongTermId is 24 bytes');
          w.bytes(x.MinLongTermId).bytes(x.MaxLongTermId);
        }
      },
      'ltidRanges',
    ),
  ],
  response: [],
});
