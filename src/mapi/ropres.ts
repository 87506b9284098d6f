// MS-OXCDATA 2.12 restrictions in ROP buffers: RestrictType u8, then the type's fields; And/Or counts are u16 and
// CommentRestriction's TaggedValuesCount u8 as in ROP buffers (extended rules use wider counts, not here).
// Reading is depth-bounded (the limits, never more than HARD_MAX_DEPTH frames), so a hostile nesting yields a
// RestrictionTooComplexError (the caller answers ecTooComplex), never a stack overflow; malformed bytes give a
// RopFormatError.
import { RopFormatError, type RopReader, type RopWriter } from './buffer.js';
import { DEFAULT_RESTRICTION_LIMITS, RES, type Restriction, type RestrictionLimits } from './restriction.js';
import { readTaggedValue, writeTaggedValue } from './ropprops.js';
import { ProtocolError } from '../util/errors.js';

import type { TaggedValue } from './props.js';

export type { RestrictionLimits } from './restriction.js';

/**
 * The shared model plus the two ROP-buffer variants it does not carry (MS-OXCDATA 2.12.10 CommentRestriction,
 * 2.12.12 CountRestriction), in the same shapes as src/mapi/table's TableRestriction so tables take it as is.
 * (Adding them to Restriction itself would break NSPI's exhaustive switches.)
 */
export type RopRestriction =
  | Restriction
  | { type: 'comment'; values: TaggedValue[]; res: RopRestriction | null }
  | { type: 'count'; count: number; res: RopRestriction };

/** A restriction deeper or larger than the limits (maps to ecTooComplex 0x80040117). */
export class RestrictionTooComplexError extends ProtocolError {}

/** Recursion never goes deeper than this whatever the limits say. */
export const HARD_MAX_DEPTH = 256;

interface ReadState {
  codePage: number;
  maxDepth: number;
  maxNodes: number;
  nodes: number;
}

function tooComplex(what: string): RestrictionTooComplexError {
  return new RestrictionTooComplexError('OC_ROP_TOO_COMPLEX', `restriction too complex: ${what}`);
}

function readNode(r: RopReader, st: ReadState, depth: number): RopRestriction {
  if (depth > st.maxDepth) throw tooComplex(`deeper than ${st.maxDepth}`);
  if (++st.nodes > st.maxNodes) throw tooComplex(`more than ${st.maxNodes} nodes`);
  const t = r.u8();
  switch (t) {
    case RES.RES_AND:
    case RES.RES_OR: {
      const n = r.u16();
      if (n > r.left) throw new RopFormatError('OC_ROP_COUNT', `RestrictCount ${n} exceeds the ${r.left} bytes left`);
      const res: Restriction[] = [];
      for (let i = 0; i < n; i++) res.push(readNode(r, st, depth + 1) as Restriction);
      return { type: t === RES.RES_AND ? 'and' : 'or', res };
    }
    case RES.RES_NOT:
      return { type: 'not', res: readNode(r, st, depth + 1) as Restriction };
    case RES.RES_CONTENT: {
      const low = r.u16();
      const high = r.u16();
      const propTag = r.u32();
      return { type: 'content', fuzzyLevel: ((high << 16) | low) >>> 0, propTag, value: readTaggedValue(r, st.codePage) };
    }
    case RES.RES_PROPERTY: {
      const relop = r.u8();
      const propTag = r.u32();
      return { type: 'property', relop, propTag, value: readTaggedValue(r, st.codePage) };
    }
    case RES.RES_COMPAREPROPS:
      return { type: 'compareProps', relop: r.u8(), propTag1: r.u32(), propTag2: r.u32() };
    case RES.RES_BITMASK:
      return { type: 'bitmask', relBMR: r.u8(), propTag: r.u32(), mask: r.u32() };
    case RES.RES_SIZE:
      return { type: 'size', relop: r.u8(), propTag: r.u32(), cb: r.u32() };
    case RES.RES_EXIST:
      return { type: 'exist', propTag: r.u32() };
    case RES.RES_SUBRESTRICTION: {
      const subObject = r.u32();
      return { type: 'sub', subObject, res: readNode(r, st, depth + 1) as Restriction };
    }
    case RES.RES_COMMENT: {
      const n = r.u8();
      if (n * 4 > r.left) throw new RopFormatError('OC_ROP_COUNT', `TaggedValuesCount ${n} exceeds the ${r.left} bytes left`);
      const values = [];
      for (let i = 0; i < n; i++) values.push(readTaggedValue(r, st.codePage));
      const present = r.u8();
      if (present === 0) return { type: 'comment', values, res: null };
      return { type: 'comment', values, res: readNode(r, st, depth + 1) };
    }
    case RES.RES_COUNT: {
      const count = r.u32();
      return { type: 'count', count, res: readNode(r, st, depth + 1) };
    }
    default:
      throw new RopFormatError('OC_ROP_RESTRICTION', `unknown RestrictType 0x${t.toString(16)}`);
  }
}

/** Reads one restriction (MS-OXCDATA 2.12). */
export function readRestriction(r: RopReader, codePage: number, limits: RestrictionLimits = DEFAULT_RESTRICTION_LIMITS): RopRestriction {
  const st: ReadState = {
    codePage,
    maxDepth: Math.min(limits.maxDepth, HARD_MAX_DEPTH),
    maxNodes: limits.maxNodes,
    nodes: 0,
  };
  return readNode(r, st, 1);
}

/** Reads one restriction and returns its bytes (a view), e.g. for PtypRestriction values. */
export function readRestrictionBytes(r: RopReader, codePage: number, limits?: RestrictionLimits): Buffer {
  const start = r.pos;
  readRestriction(r, codePage, limits);
  return r.buf.subarray(start, r.pos);
}

/** Writes one restriction (MS-OXCDATA 2.12); iterative over an explicit stack, so any depth is written. */
export function writeRestriction(w: RopWriter, res: RopRestriction, codePage: number): void {
  const stack: RopRestriction[] = [res];
  while (stack.length > 0) {
    const n = stack.pop() as RopRestriction;
    switch (n.type) {
      case 'and':
      case 'or':
        w.u8(n.type === 'and' ? RES.RES_AND : RES.RES_OR).u16(n.res.length);
        for (let i = n.res.length - 1; i >= 0; i--) stack.push(n.res[i] as Restriction);
        break;
      case 'not':
        w.u8(RES.RES_NOT);
        stack.push(n.res);
        break;
      case 'content':
        w.u8(RES.RES_CONTENT).u16(n.fuzzyLevel & 0xffff).u16(n.fuzzyLevel >>> 16).u32(n.propTag);
        writeTaggedValue(w, n.value, codePage);
        break;
      case 'property':
        w.u8(RES.RES_PROPERTY).u8(n.relop).u32(n.propTag);
        writeTaggedValue(w, n.value, codePage);
        break;
      case 'compareProps':
        w.u8(RES.RES_COMPAREPROPS).u8(n.relop).u32(n.propTag1).u32(n.propTag2);
        break;
      case 'bitmask':
        w.u8(RES.RES_BITMASK).u8(n.relBMR).u32(n.propTag).u32(n.mask);
        break;
      case 'size':
        w.u8(RES.RES_SIZE).u8(n.relop).u32(n.propTag).u32(n.cb);
        break;
      case 'exist':
        w.u8(RES.RES_EXIST).u32(n.propTag);
        break;
      case 'sub':
        w.u8(RES.RES_SUBRESTRICTION).u32(n.subObject);
        stack.push(n.res);
        break;
      case 'comment':
        w.u8(RES.RES_COMMENT).u8(n.values.length);
        for (const v of n.values) writeTaggedValue(w, v, codePage);
        w.u8(n.res ? 1 : 0);
        if (n.res) stack.push(n.res);
        break;
      case 'count':
        w.u8(RES.RES_COUNT).u32(n.count);
        stack.push(n.res);
        break;
    }
  }
}
