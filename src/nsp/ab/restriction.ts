// Restriction evaluation over address book objects (NspiGetMatches, MS-OXNSPI 3.1.4.1.10 constraint 8; semantics of
// MS-OXCDATA 2.12). String comparisons use the call's sort locale with the NSPI compare flags (MS-OXNSPI
// 3.1.4.3.5.1); PidTagAddressBookDisplayNamePrintable is an 8-bit case-sensitive string (3.1.4.3.1) compared as a
// buffer, shorter first (3.1.4.3.5.2). A property the object lacks makes PROPERTY, CONTENT, BITMASK, SIZE and
// COMPAREPROPS false; a multi-valued property satisfies them when one of its values does. PR_ANR in a PROPERTY or
// CONTENT restriction matches the ANR set of its string (MS-OXNSPI 3.1.4.7). SUBRESTRICTION applies to message
// recipients and attachments, which address book objects do not have: it is false.
import { PT, propId, propType, type PropValue, type TaggedValue } from '../../mapi/props.js';
import { BMR, FL, contentBinaryMatch, contentStringMatch, relopHolds, type Restriction } from '../../mapi/restriction.js';
import { stringOrder, stripMarks, type StringOrder } from './collation.js';
import type { AbEntry } from './entry.js';
import { rawProp, type PropContext } from './props.js';
import { PidTagAddressBookDisplayNamePrintable, PidTagAnr } from './tags.js';

const ANR_ID = propId(PidTagAnr);
const CASE_SENSITIVE_8BIT = new Set([propId(PidTagAddressBookDisplayNamePrintable)]);

interface Typed {
  type: number;
  value: PropValue;
}

export class RestrictionEvaluator {
  private readonly order: StringOrder;
  private readonly anrSets = new Map<Restriction, Set<AbEntry>>();

  constructor(
    private readonly ctx: PropContext,
    sortLocale: number,
  ) {
    this.order = stringOrder(sortLocale);
  }

  matches(e: AbEntry, r: Restriction): boolean {
    switch (r.type) {
      case 'and':
        return r.res.every((c) => this.matches(e, c));
      case 'or':
        return r.res.some((c) => this.matches(e, c));
      case 'not':
        return !this.matches(e, r.res);
      case 'content':
        if (propId(r.propTag) === ANR_ID) return this.anr(e, r, r.value);
        return this.content(e, r.propTag, r.fuzzyLevel, r.value);
      case 'property':
        if (propId(r.propTag) === ANR_ID) return this.anr(e, r, r.value);
        return this.property(e, r.propTag, r.relop, r.value);
      case 'compareProps': {
        const a = rawProp(e, r.propTag1, this.ctx);
        const b = rawProp(e, r.propTag2, this.ctx);
        if (!a || !b) return false;
        const cmp = this.compareAny(a, b, propId(r.propTag1));
        return cmp !== null && relopHolds(r.relop, cmp);
      }
      case 'bitmask': {
        const a = rawProp(e, r.propTag, this.ctx);
        if (!a || typeof a.value !== 'number') return false;
        const set = (a.value & r.mask) !== 0;
        return r.relBMR === BMR.BMR_NEZ ? set : r.relBMR === BMR.BMR_EQZ ? !set : false;
      }
      case 'size': {
        const a = rawProp(e, r.propTag, this.ctx);
        if (!a) return false;
        const size = valueSize(a);
        return relopHolds(r.relop, size < r.cb ? -1 : size > r.cb ? 1 : 0);
      }
      case 'exist':
        return propId(r.propTag) !== ANR_ID && rawProp(e, r.propTag, this.ctx) !== undefined;
      case 'sub':
        return false;
      default:
        return false;
    }
  }

  private anr(e: AbEntry, node: Restriction, v: TaggedValue): boolean {
    let set = this.anrSets.get(node);
    if (!set) {
      set = typeof v.value === 'string' ? this.ctx.snap.anr.matchSet(v.value) : new Set();
      this.anrSets.set(node, set);
    }
    return set.has(e);
  }

  private property(e: AbEntry, tag: number, relop: number, v: TaggedValue): boolean {
    const a = rawProp(e, tag, this.ctx);
    if (!a) return false;
    const want: Typed = { type: propType(v.tag), value: v.value };
    const id = propId(tag);
    if (Array.isArray(a.value) && !Array.isArray(want.value)) {
      // a multi-valued property: true when one value satisfies the relation
      for (const x of a.value) {
        const cmp = this.compareAny({ type: a.type & ~0x1000, value: x as PropValue }, want, id);
        if (cmp !== null && relopHolds(relop, cmp)) return true;
      }
      return false;
    }
    const cmp = this.compareAny(a, want, id);
    return cmp !== null && relopHolds(relop, cmp);
  }

  private content(e: AbEntry, tag: number, fuzzy: number, v: TaggedValue): boolean {
    const a = rawProp(e, tag, this.ctx);
    if (!a) return false;
    const values = Array.isArray(a.value) ? (a.value as PropValue[]) : [a.value];
    if (typeof v.value === 'string') {
      const loose = (fuzzy & FL.FL_LOOSE) !== 0;
      const ic = loose || (fuzzy & FL.FL_IGNORECASE) !== 0;
      const nonspace = loose || (fuzzy & FL.FL_IGNORENONSPACE) !== 0;
      const norm = (s: string) => {
        let x = nonspace ? stripMarks(s) : s;
        if (ic) x = x.toLowerCase();
        return x;
      };
      const needle = norm(v.value);
      return values.some((x) => typeof x === 'string' && contentStringMatch(norm(x), needle, fuzzy));
    }
    if (Buffer.isBuffer(v.value)) {
      const needle = v.value;
      return values.some((x) => Buffer.isBuffer(x) && contentBinaryMatch(x, needle, fuzzy));
    }
    return false;
  }

  /** Three-way comparison of two values of compatible types, null when they cannot be compared. */
  private compareAny(a: Typed, b: Typed, id: number): number | null {
    const x = a.value;
    const y = b.value;
    if (typeof x === 'string' && typeof y === 'string') {
      if (CASE_SENSITIVE_8BIT.has(id)) return compare8bit(x, y);
      return Math.sign(this.order.compare(x, y));
    }
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
    if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
    if (typeof x === 'boolean' && typeof y === 'boolean') return Number(x) - Number(y);
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return Buffer.compare(x, y);
    if (Array.isArray(x) && Array.isArray(y)) {
      // multi-valued against multi-valued: equal when the lists are equal value by value
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      for (let i = 0; i < x.length; i++) {
        const c = this.compareAny({ type: a.type & ~0x1000, value: x[i] as PropValue }, { type: b.type & ~0x1000, value: y[i] as PropValue }, id);
        if (c === null) return null;
        if (c !== 0) return c;
      }
      return 0;
    }
    return null;
  }
}

/** MS-OXNSPI 3.1.4.3.5.2: the shorter buffer is less; equal lengths compare bytewise. */
function compare8bit(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}


/** Size of a value in bytes as MS-OXCDATA 2.11.1 encodes it (strings with their terminator). */
function valueSize(a: Typed): number {
  const one = (type: number, v: PropValue): number => {
    if (typeof v === 'string') return type === PT.STRING8 ? Buffer.byteLength(v, 'latin1') + 1 : (v.length + 1) * 2;
    if (Buffer.isBuffer(v)) return v.length;
    if (typeof v === 'boolean') return 1;
    if (typeof v === 'bigint') return 8;
    if (typeof v === 'number') return type === PT.I2 ? 2 : 4;
    return 0;
  };
  if (Array.isArray(a.value)) {
    let n = 0;
    for (const v of a.value) n += one(a.type & ~0x1000, v as PropValue);
    return n;
  }
  return one(a.type, a.value);
}

