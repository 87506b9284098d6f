// MAPI restrictions inside the program (MS-OXCDATA 2.12): one tree type for every protocol that carries them (NSPI's
// Restriction_r, ROP restriction buffers, rules). Wire codecs convert to and from this form; evaluators live with the
// data they evaluate.
import { MAPI_E, type TaggedValue } from './props.js';

// MS-OXCDATA 2.12 RestrictType values
export const RES = {
  RES_AND: 0x00,
  RES_OR: 0x01,
  RES_NOT: 0x02,
  RES_CONTENT: 0x03,
  RES_PROPERTY: 0x04,
  RES_COMPAREPROPS: 0x05,
  RES_BITMASK: 0x06,
  RES_SIZE: 0x07,
  RES_EXIST: 0x08,
  RES_SUBRESTRICTION: 0x09,
  RES_COMMENT: 0x0a,
  RES_COUNT: 0x0b,
} as const;

// MS-OXCDATA 2.12.5.1 relational operators
export const RELOP = {
  RELOP_LT: 0x00,
  RELOP_LE: 0x01,
  RELOP_GT: 0x02,
  RELOP_GE: 0x03,
  RELOP_EQ: 0x04,
  RELOP_NE: 0x05,
  RELOP_RE: 0x06,
} as const;

// MS-OXCDATA 2.12.4.1 ContentRestriction FuzzyLevelLow / FuzzyLevelHigh
export const FL = {
  FL_FULLSTRING: 0x0000,
  FL_SUBSTRING: 0x0001,
  FL_PREFIX: 0x0002,
  FL_PREFIX_ON_ANY_WORD: 0x0010,
  FL_PHRASE_MATCH: 0x0020,
  FL_IGNORECASE: 0x00010000,
  FL_IGNORENONSPACE: 0x00020000,
  FL_LOOSE: 0x00040000,
} as const;

// MS-OXCDATA 2.12.6.1 BitMaskRestriction BitmapRelOp
export const BMR = { BMR_EQZ: 0x00, BMR_NEZ: 0x01 } as const;

export type Restriction =
  | { type: 'and'; res: Restriction[] }
  | { type: 'or'; res: Restriction[] }
  | { type: 'not'; res: Restriction }
  | { type: 'content'; fuzzyLevel: number; propTag: number; value: TaggedValue }
  | { type: 'property'; relop: number; propTag: number; value: TaggedValue }
  | { type: 'compareProps'; relop: number; propTag1: number; propTag2: number }
  | { type: 'bitmask'; relBMR: number; propTag: number; mask: number }
  | { type: 'size'; relop: number; propTag: number; cb: number }
  | { type: 'exist'; propTag: number }
  | { type: 'sub'; subObject: number; res: Restriction };

export interface RestrictionLimits {
  /** Deepest nesting accepted (a leaf alone is depth 1). */
  maxDepth: number;
  /** Most nodes accepted. */
  maxNodes: number;
}

export const DEFAULT_RESTRICTION_LIMITS: RestrictionLimits = { maxDepth: 64, maxNodes: 10_000 };

/**
 * MAPI_E_TOO_COMPLEX when the tree is deeper or larger than the limits or uses an operator we do not evaluate
 * (RELOP_RE, unknown relops), else SUCCESS. Iterative, so hostile depths cannot exhaust the stack.
 */
export function checkRestriction(r: Restriction, limits: RestrictionLimits = DEFAULT_RESTRICTION_LIMITS): number {
  const stack: Array<[Restriction, number]> = [[r, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [n, depth] = stack.pop() as [Restriction, number];
    if (++nodes > limits.maxNodes || depth > limits.maxDepth) return MAPI_E.TOO_COMPLEX;
    switch (n.type) {
      case 'and':
      case 'or':
        if (n.res.length > limits.maxNodes) return MAPI_E.TOO_COMPLEX;
        for (const c of n.res) stack.push([c, depth + 1]);
        break;
      case 'not':
      case 'sub':
        stack.push([n.res, depth + 1]);
        break;
      case 'property':
      case 'compareProps':
      case 'size':
        if (!(n.relop >= RELOP.RELOP_LT && n.relop <= RELOP.RELOP_NE)) return MAPI_E.TOO_COMPLEX;
        break;
      case 'bitmask':
        if (n.relBMR !== BMR.BMR_EQZ && n.relBMR !== BMR.BMR_NEZ) return MAPI_E.TOO_COMPLEX;
        break;
      default:
        break;
    }
  }
  return MAPI_E.SUCCESS;
}

/** Applies a relational operator to a three-way comparison result. */
export function relopHolds(relop: number, cmp: number): boolean {
  switch (relop) {
    case RELOP.RELOP_LT:
      return cmp < 0;
    case RELOP.RELOP_LE:
      return cmp <= 0;
    case RELOP.RELOP_GT:
      return cmp > 0;
    case RELOP.RELOP_GE:
      return cmp >= 0;
    case RELOP.RELOP_EQ:
      return cmp === 0;
    case RELOP.RELOP_NE:
      return cmp !== 0;
    default:
      return false;
  }
}

/**
 * MS-OXCDATA 2.12.4 ContentRestriction on strings: FuzzyLevelLow (FL_FULLSTRING / FL_SUBSTRING / FL_PREFIX, and
 * FL_PREFIX_ON_ANY_WORD / FL_PHRASE_MATCH) on strings the caller has already folded for FuzzyLevelHigh.
 */
export function contentStringMatch(hay: string, needle: string, fuzzy: number): boolean {
  const low = fuzzy & 0xffff;
  if (low & FL.FL_PREFIX_ON_ANY_WORD) return hay.split(/\s+/u).some((w) => w.startsWith(needle));
  if (low & FL.FL_PHRASE_MATCH) return hay.includes(needle);
  switch (low & 0x0f) {
    case FL.FL_SUBSTRING:
      return hay.includes(needle);
    case FL.FL_PREFIX:
      return hay.startsWith(needle);
    default:
      return hay === needle;
  }
}

/** MS-OXCDATA 2.12.4 ContentRestriction on binary values (FuzzyLevelLow only). */
export function contentBinaryMatch(hay: Buffer, needle: Buffer, fuzzy: number): boolean {
  switch (fuzzy & 0x0f) {
    case FL.FL_SUBSTRING:
      return hay.includes(needle);
    case FL.FL_PREFIX:
      return hay.length >= needle.length && hay.subarray(0, needle.length).equals(needle);
    default:
      return hay.equals(needle);
  }
}
