// Stored form of property values: one JSON text per object ({"<tag>": value}), the value's JSON shape chosen by
// the tag's type (bigint types as decimal strings, binary as base64). A message row keeps its large strings and
// binaries (BIG_MIN and up: bodies above all) as raw bytes in a second column instead (encodeStored, decodeStored).
// PtypRestriction (0x00FD) and PtypRuleAction (0x00FE) values are kept as the bytes of their ROP-buffer form
// (MS-OXCDATA 2.12, MS-OXORULE 2.2.5; what src/mapi/ropprops.ts reads and writes): PidTagRuleCondition /
// PidTagRuleActions and a deferred action message's PidTagClientActions (MS-OXORULE 2.2.6.7) can be stored on
// messages. Multi-valued forms of the two do not exist (MS-OXCDATA 2.11.1) and are refused.
import { PT, MV_FLAG, propType, type PropValue } from '../mapi/props.js';
import { StoreError, SEC } from './errors.js';

type Json = string | number | boolean | null | Json[];

function enc1(type: number, v: unknown): Json {
  switch (type) {
    case PT.I8:
    case PT.CURRENCY:
    case PT.SYSTIME:
      return (v as bigint).toString();
    case PT.BINARY:
    case PT.SVREID:
    case PT.SRESTRICT:
    case PT.ACTIONS:
      return (v as Buffer).toString('base64');
    default:
      return v as Json;
  }
}

function dec1(type: number, v: Json): PropValue {
  switch (type) {
    case PT.I8:
    case PT.CURRENCY:
    case PT.SYSTIME:
      return BigInt(v as string);
    case PT.BINARY:
    case PT.SVREID:
    case PT.SRESTRICT:
    case PT.ACTIONS:
      return Buffer.from(v as string, 'base64');
    default:
      return v as PropValue;
  }
}

export function encodeValue(tag: number, v: PropValue): Json {
  const t = propType(tag);
  if (t & MV_FLAG) return (v as unknown[]).map((x) => enc1(t & ~MV_FLAG, x));
  return enc1(t, v);
}

export function decodeValue(tag: number, v: Json): PropValue {
  const t = propType(tag);
  if (t & MV_FLAG) return (v as Json[]).map((x) => dec1(t & ~MV_FLAG, x)) as PropValue;
  return dec1(t, v);
}

export function encodeProps(m: Map<number, PropValue>): string {
  const o: Record<string, Json> = {};
  for (const [tag, v] of m) o[tag >>> 0] = encodeValue(tag, v);
  return JSON.stringify(o);
}

export function decodeProps(s: string | null | undefined): Map<number, PropValue> {
  const m = new Map<number, PropValue>();
  if (!s) return m;
  const o = JSON.parse(s) as Record<string, Json>;
  for (const k of Object.keys(o)) {
    const tag = Number(k) >>> 0;
    m.set(tag, decodeValue(tag, o[k] as Json));
  }
  return m;
}

// ---------------------------------------------------------------- message rows: large values out of the JSON text

/**
 * Single-valued strings of at least this many characters and binaries of at least this many bytes are stored out of
 * a message row's JSON text, in its `big` column (encodeStored). A mail body is most of a message's bytes: as a JSON
 * string it costs an escaping pass on every save and an unescaping pass on every read (~25 us each for a 9 KB text
 * body; binaries also base64), and the header reads' json_extract parses the whole text. Raw bytes cost neither.
 */
export const BIG_MIN = 1024;
/** What the JSON text holds for a value kept in `big` (a number: no string or binary value is stored as one). */
const BIG_MARK = 0;
const BIG_UTF8 = 0;
const BIG_UTF16 = 1;
const BIG_BYTES = 2;
const BIG_HEAD = 9;

/** Types whose single values may live in `big` (strings, and the binaries stored as base64 in the JSON text). */
function bigType(t: number): boolean {
  return t === PT.STRING8 || t === PT.UNICODE || t === PT.BINARY || t === PT.SVREID || t === PT.SRESTRICT || t === PT.ACTIONS;
}

type WellFormed = { isWellFormed(): boolean };

/** A message row's stored properties: the JSON text and the large values (null when none). */
export interface StoredProps {
  text: string;
  big: Buffer | null;
}

/**
 * The stored form of a message's properties (messages.props and messages.big). `big` is a run of entries: tag (u32
 * LE), kind (u8: 0 UTF-8 text, 1 UTF-16LE text for a string with lone surrogates, which UTF-8 cannot carry, 2 bytes),
 * length (u32 LE), the bytes. The JSON text keeps each such tag with BIG_MARK, so the properties keep their order.
 */
export function encodeStored(m: Map<number, PropValue>): StoredProps {
  const o: Record<string, Json> = {};
  // the large values (tag, kind, byte length) first, then one buffer written in place: no copy per value, no concat
  let bigs: Array<{ tag: number; kind: number; v: string | Buffer; len: number }> | null = null;
  let total = 0;
  m.forEach((v, tag) => {
    const k = tag >>> 0;
    const t = propType(k);
    if (bigType(t) && (typeof v === 'string' || Buffer.isBuffer(v)) && v.length >= BIG_MIN) {
      let kind: number;
      let len: number;
      if (typeof v !== 'string') {
        kind = BIG_BYTES;
        len = v.length;
      } else if ((v as unknown as WellFormed).isWellFormed()) {
        kind = BIG_UTF8;
        len = Buffer.byteLength(v, 'utf8');
      } else {
        kind = BIG_UTF16;
        len = 2 * v.length;
      }
      (bigs ??= []).push({ tag: k, kind, v, len });
      total += BIG_HEAD + len;
      o[k] = BIG_MARK;
      return;
    }
    o[k] = encodeValue(k, v);
  });
  let big: Buffer | null = null;
  if (bigs) {
    big = Buffer.allocUnsafe(total);
    let p = 0;
    for (const b of bigs as Array<{ tag: number; kind: number; v: string | Buffer; len: number }>) {
      big.writeUInt32LE(b.tag, p);
      big[p + 4] = b.kind;
      big.writeUInt32LE(b.len, p + 5);
      p += BIG_HEAD;
      if (typeof b.v !== 'string') b.v.copy(big, p);
      else big.write(b.v, p, b.len, b.kind === BIG_UTF8 ? 'utf8' : 'utf16le');
      p += b.len;
    }
  }
  return { text: JSON.stringify(o), big };
}

/** The large values of a `big` column by tag; a damaged tail (an entry longer than what is left) is ignored. */
function readBig(big: Buffer): Map<number, PropValue> {
  const out = new Map<number, PropValue>();
  for (let p = 0; p + BIG_HEAD <= big.length; ) {
    const tag = big.readUInt32LE(p);
    const kind = big[p + 4];
    const len = big.readUInt32LE(p + 5);
    p += BIG_HEAD;
    if (len > big.length - p) break;
    const end = p + len;
    out.set(tag, kind === BIG_UTF8 ? big.toString('utf8', p, end) : kind === BIG_UTF16 ? big.toString('utf16le', p, end) : big.subarray(p, end));
    p = end;
  }
  return out;
}

/**
 * A message row's properties from its JSON text and `big` column (encodeStored's form; a row written before `big`
 * existed has only the text). A marked tag whose value `big` does not have (a damaged row) is left out rather than given
 * a value of the wrong type.
 */
export function decodeStored(text: string | null | undefined, big: Buffer | null | undefined): Map<number, PropValue> {
  const m = new Map<number, PropValue>();
  if (!text) return m;
  const o = JSON.parse(text) as Record<string, Json>;
  let values: Map<number, PropValue> | null = null;
  for (const k of Object.keys(o)) {
    const tag = Number(k) >>> 0;
    const j = o[k] as Json;
    if (typeof j === 'number' && bigType(propType(tag))) {
      values ??= big ? readBig(big) : new Map();
      const v = values.get(tag);
      if (v !== undefined) m.set(tag, v);
      continue;
    }
    m.set(tag, decodeValue(tag, j));
  }
  return m;
}

/** True when a JSON value read from a row's text (json_extract) stands for a value kept in `big`. */
export function isBigMark(tag: number, v: unknown): boolean {
  return typeof v === 'number' && bigType(propType(tag));
}

/** Checks that a value has the JS shape its tag's type calls for (src/mapi/props.ts PropValue). */
export function checkValue(tag: number, v: PropValue): boolean {
  const t = propType(tag);
  const one = (bt: number, x: unknown): boolean => {
    switch (bt) {
      case PT.I2: case PT.LONG: case PT.ERROR: case PT.R4: case PT.DOUBLE: case PT.APPTIME:
        return typeof x === 'number';
      case PT.I8: case PT.CURRENCY: case PT.SYSTIME:
        return typeof x === 'bigint';
      case PT.BOOLEAN:
        return typeof x === 'boolean';
      case PT.STRING8: case PT.UNICODE: case PT.CLSID:
        return typeof x === 'string';
      case PT.BINARY: case PT.SVREID: case PT.SRESTRICT: case PT.ACTIONS:
        return Buffer.isBuffer(x);
      case PT.NULL:
        return x === null;
      default:
        return false;
    }
  };
  if (t & MV_FLAG) {
    const bt = t & ~MV_FLAG;
    if (bt === PT.SRESTRICT || bt === PT.ACTIONS) return false;
    return Array.isArray(v) && (v as unknown[]).every((x) => one(bt, x));
  }
  return one(t, v);
}

/** Approximate stored size of a property value (for PidTagMessageSize). */
export function valueSize(tag: number, v: PropValue): number {
  if (typeof v === 'string') return 2 * v.length + 2;
  if (Buffer.isBuffer(v)) return v.length;
  if (Array.isArray(v)) return (v as PropValue[]).reduce<number>((n, x) => n + valueSize(tag & ~MV_FLAG, x as PropValue), 4);
  if (typeof v === 'bigint') return 8;
  if (typeof v === 'boolean') return 1;
  return 4;
}

export function badValue(tag: number): StoreError {
  return new StoreError('OC_STORE_BAD_VALUE', SEC.InvalidParam, `value does not fit tag 0x${(tag >>> 0).toString(16)}`);
}
