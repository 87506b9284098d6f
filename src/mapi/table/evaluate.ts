// Restriction evaluation over table rows (MS-OXCDATA 2.12, MS-OXCTABL 3.2.5.3). A property the row lacks makes
// CONTENT, PROPERTY, COMPAREPROPS, BITMASK and SIZE false. A multi-valued property satisfies CONTENT and PROPERTY
// when one of its values does (unless the restriction's value is itself multi-valued: then the whole lists
// compare). Strings compare case-insensitively in relops (locale-independent fold, as the sort does). SUBRESTRICTION
// runs its restriction over the rows a hook returns for the message's recipients or attachments; without a hook it
// is false. COMMENT evaluates its restriction (true without one). COUNT lets the first `count` rows that satisfy
// its restriction through, in evaluation order.
import { MAPI_E, MV_FLAG, MV_INSTANCE, PT, propId, propType, type PropValue } from '../props.js';
import { BMR, FL, RELOP, checkRestriction, contentBinaryMatch, contentStringMatch, relopHolds, type Restriction, type RestrictionLimits, DEFAULT_RESTRICTION_LIMITS } from '../restriction.js';
import { comparable, compareValues, foldCase, stripNonSpacing } from './compare.js';
import { TABLE_EC, TableError, type SubObjectsHook, type TableRestriction, type TableRow } from './types.js';

/** Reads a property of the row being evaluated (undefined when absent). */
export type PropGetter = (tag: number) => PropValue | undefined;

/**
 * Validates a restriction before use: depth/node limits and operators through checkRestriction (its leaves and
 * standard subtrees), COMMENT and COUNT nodes walked here. Throws TableError (ecTooComplex) when refused.
 */
export function validateRestriction(r: TableRestriction, limits: RestrictionLimits = DEFAULT_RESTRICTION_LIMITS): void {
  const stack: Array<[TableRestriction, number]> = [[r, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [n, depth] = stack.pop() as [TableRestriction, number];
    if (++nodes > limits.maxNodes || depth > limits.maxDepth) throw tooComplex('restriction too deep or too large');
    switch (n.type) {
      case 'and':
      case 'or':
        if (n.res.length > limits.maxNodes) throw tooComplex('restriction too large');
        for (const c of n.res) stack.push([c, depth + 1]);
        break;
      case 'not':
      case 'sub':
      case 'count':
        stack.push([n.res, depth + 1]);
        break;
      case 'comment':
        if (n.res) stack.push([n.res, depth + 1]);
        break;
      default:
        if (checkRestriction(n as Restriction, limits) !== MAPI_E.SUCCESS) throw tooComplex(`unsupported ${n.type} restriction`);
        if (n.type === 'property' && propType(n.propTag) === PT.UNSPECIFIED) throw tooComplex('PT_UNSPECIFIED in a property restriction');
    }
  }
}

function tooComplex(msg: string): TableError {
  return new TableError('OC_TABLE_TOO_COMPLEX', TABLE_EC.TooComplex, msg);
}

/** Looks a tag up in a property map: exact tag, else the other string type, else (PT_UNSPECIFIED) any type. */
export function lookupProp(props: ReadonlyMap<number, PropValue>, tagIn: number): PropValue | undefined {
  const tag = (tagIn & ~MV_INSTANCE) >>> 0;
  const v = props.get(tag);
  if (v !== undefined) return v;
  const type = tag & 0xffff;
  const base = type & ~MV_FLAG;
  if (base === PT.STRING8 || base === PT.UNICODE) {
    const other = (tag & 0xffff0000) | (type & MV_FLAG) | (base === PT.STRING8 ? PT.UNICODE : PT.STRING8);
    return props.get(other >>> 0);
  }
  if (type === PT.UNSPECIFIED) {
    const id = propId(tag);
    for (const [t, x] of props) if (propId(t) === id) return x;
  }
  return undefined;
}

/** One evaluation pass (COUNT nodes keep their counters for the pass). */
export class RestrictionEvaluator {
  private readonly counters = new Map<object, number>();

  constructor(
    private readonly root: TableRestriction,
    private readonly subObjects?: SubObjectsHook,
  ) {}

  matches(get: PropGetter, rowId: bigint): boolean {
    return this.eval(this.root, get, rowId);
  }

  private eval(r: TableRestriction, get: PropGetter, rowId: bigint): boolean {
    switch (r.type) {
      case 'and':
        for (const c of r.res) if (!this.eval(c, get, rowId)) return false;
        return true;
      case 'or':
        for (const c of r.res) if (this.eval(c, get, rowId)) return true;
        return false;
      case 'not':
        return !this.eval(r.res, get, rowId);
      case 'content':
        return content(get(r.propTag), r.fuzzyLevel, r.value.value);
      case 'property':
        return property(get(r.propTag), r.relop, r.value.value, (r.value.tag & MV_FLAG) !== 0 && (r.value.tag & MV_INSTANCE) === 0);
      case 'compareProps': {
        const a = get(r.propTag1);
        const b = get(r.propTag2);
        if (a === undefined || b === undefined || Array.isArray(a) !== Array.isArray(b) || !comparable(a, b)) return false;
        return relopHolds(r.relop, compareValues(a, b));
      }
      case 'bitmask': {
        const a = get(r.propTag);
        if (typeof a !== 'number') return false;
        const set = ((a & r.mask) >>> 0) !== 0;
        return r.relBMR === BMR.BMR_NEZ ? set : r.relBMR === BMR.BMR_EQZ ? !set : false;
      }
      case 'size': {
        const a = get(r.propTag);
        if (a === undefined) return false;
        const size = valueSize(propType(r.propTag), a);
        return relopHolds(r.relop, size < r.cb ? -1 : size > r.cb ? 1 : 0);
      }
      case 'exist':
        return get(r.propTag) !== undefined;
      case 'sub': {
        if (!this.subObjects) return false;
        for (const sub of this.subObjects(rowId, r.subObject)) {
          const props = sub.props;
          if (this.eval(r.res, (t) => lookupProp(props, t), sub.id)) return true;
        }
        return false;
      }
      case 'comment':
        return r.res === null ? true : this.eval(r.res, get, rowId);
      case 'count': {
        const left = this.counters.get(r) ?? r.count;
        if (left <= 0) return false;
        if (!this.eval(r.res, get, rowId)) return false;
        this.counters.set(r, left - 1);
        return true;
      }
      default:
        return false;
    }
  }
}

function property(a: PropValue | undefined, relop: number, want: PropValue, wantIsMulti: boolean): boolean {
  if (a === undefined) return false;
  if (relop === RELOP.RELOP_RE) throw tooComplex('RELOP_RE is not supported');
  if (Array.isArray(a) && !wantIsMulti && !Array.isArray(want)) {
    for (const x of a as PropValue[]) if (comparable(x, want) && relopHolds(relop, compareValues(x, want))) return true;
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(want) || !comparable(a, want)) return false;
  return relopHolds(relop, compareValues(a, want));
}

function content(a: PropValue | undefined, fuzzy: number, want: PropValue): boolean {
  if (a === undefined) return false;
  const values: PropValue[] = Array.isArray(a) ? (a as PropValue[]) : [a];
  if (typeof want === 'string') {
    const loose = (fuzzy & FL.FL_LOOSE) !== 0;
    const ic = loose || (fuzzy & FL.FL_IGNORECASE) !== 0;
    const ns = loose || (fuzzy & FL.FL_IGNORENONSPACE) !== 0;
    const norm = (s: string): string => {
      let x = ns ? stripNonSpacing(s) : s;
      if (ic) x = foldCase(x);
      return x;
    };
    const needle = norm(want);
    for (const v of values) if (typeof v === 'string' && contentStringMatch(norm(v), needle, fuzzy)) return true;
    return false;
  }
  if (Buffer.isBuffer(want)) {
    for (const v of values) if (Buffer.isBuffer(v) && contentBinaryMatch(v, want, fuzzy)) return true;
    return false;
  }
  return false;
}


/** Size in bytes of a value as MS-OXCDATA 2.11.1 counts it (strings with their terminator). */
export function valueSize(type: number, v: PropValue): number {
  const base = type & ~(MV_FLAG | MV_INSTANCE);
  const one = (x: PropValue): number => {
    if (typeof x === 'string') return base === PT.STRING8 ? Buffer.byteLength(x, 'latin1') + 1 : (x.length + 1) * 2;
    if (Buffer.isBuffer(x)) return x.length;
    if (typeof x === 'boolean') return base === PT.BOOLEAN ? 1 : 2;
    if (typeof x === 'bigint') return 8;
    if (typeof x === 'number') return base === PT.I2 ? 2 : base === PT.DOUBLE || base === PT.APPTIME ? 8 : 4;
    return 0;
  };
  if (Array.isArray(v)) {
    let n = 0;
    for (const x of v as PropValue[]) n += one(x);
    return n;
  }
  return one(v);
}

export type { TableRow };
