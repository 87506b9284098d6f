// MS-OXCDATA 2.11.4 / 2.12 fields for the kit: counted TaggedPropertyValue lists and size-prefixed restrictions,
// on top of src/mapi/ropprops.ts and src/mapi/ropres.ts.
import { RopFormatError, RopReader } from '../../mapi/buffer.js';
import type { TaggedValue } from '../../mapi/props.js';
import { readTaggedValues, writeTaggedValue } from '../../mapi/ropprops.js';
import { readRestriction, writeRestriction, type RopRestriction } from '../../mapi/ropres.js';
import { custom } from './kit.js';

/** PropertyValueCount u16 + TaggedPropertyValue x n. */
export const taggedValues16 = <N extends string>(name: N) =>
  custom<N, TaggedValue[]>(
    name,
    (r, env) => readTaggedValues(r, r.u16(), env.ctx.codePage),
    (w, v, env) => {
      const a = v ?? [];
      if (a.length > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `${name}: ${a.length} values do not fit a u16 count`);
      w.u16(a.length);
      for (const tv of a) writeTaggedValue(w, tv, env.ctx.codePage);
    },
    'taggedValues16',
  );

/**
 * RestrictionDataSize u16 + RestrictionData (MS-OXCDATA 2.12); null when the size is 0 (no restriction). The
 * restriction must fill exactly RestrictionDataSize bytes.
 */
export const sizedRestriction = <N extends string>(name: N) =>
  custom<N, RopRestriction | null>(
    name,
    (r, env) => {
      const size = r.u16();
      if (size === 0) return null;
      r.need(size, name);
      const sub = new RopReader(r.buf, r.pos, r.pos + size);
      const res = readRestriction(sub, env.ctx.codePage);
      if (sub.left !== 0) throw new RopFormatError('OC_ROP_SIZE', `${name}: restriction is ${size - sub.left} bytes, RestrictionDataSize says ${size}`);
      r.pos += size;
      return res;
    },
    (w, v, env) => {
      const at = w.pos;
      w.u16(0);
      if (v === null || v === undefined) return;
      writeRestriction(w, v, env.ctx.codePage);
      const size = w.pos - at - 2;
      if (size > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `${name}: a ${size}-byte restriction does not fit RestrictionDataSize`);
      w.patchU16(at, size);
    },
    'sizedRestriction',
  );
