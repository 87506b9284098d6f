// Opaque byte forms the engine hands to clients: custom bookmarks (MS-OXCTABL 2.2.2.1.2, RopCreateBookmark) and
// collapse states (RopGetCollapseState / RopSetCollapseState). Both are our own formats, checked when they come
// back: anything malformed, foreign or stale is a TableError (ecInvalidBookmark / ecInvalidParam), never a crash.
//
// Bookmark (16 bytes): "OCTB" | u32 view token | u32 view generation | u32 bookmark number.
// Collapse state: "OCCS" | u8 version 1 | u32 sort signature | u64 row id | u32 instance | u32 count |
//   count x (u16 key length | UTF-8 category key | u8 expanded) | u32 FNV-1a of all the preceding bytes.
import { TABLE_EC, TableError } from './types.js';

const BM_MAGIC = 0x4254434f; // "OCTB" little-endian
const CS_MAGIC = 0x5343434f; // "OCCS" little-endian
export const BOOKMARK_SIZE = 16;
/** Upper bound on a collapse state we accept (keys are bounded by the categories of one table). */
export const MAX_COLLAPSE_STATE = 1 << 20;

export interface BookmarkRef {
  token: number;
  generation: number;
  number: number;
}

export function encodeBookmark(b: BookmarkRef): Buffer {
  const out = Buffer.alloc(BOOKMARK_SIZE);
  out.writeUInt32LE(BM_MAGIC, 0);
  out.writeUInt32LE(b.token >>> 0, 4);
  out.writeUInt32LE(b.generation >>> 0, 8);
  out.writeUInt32LE(b.number >>> 0, 12);
  return out;
}

export function decodeBookmark(bytes: Uint8Array): BookmarkRef {
  if (bytes.length !== BOOKMARK_SIZE) throw invalidBookmark(`bookmark of ${bytes.length} bytes`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.readUInt32LE(0) !== BM_MAGIC) throw invalidBookmark('not a bookmark of this server');
  return { token: b.readUInt32LE(4), generation: b.readUInt32LE(8), number: b.readUInt32LE(12) };
}

export function invalidBookmark(msg: string): TableError {
  return new TableError('OC_TABLE_INVALID_BOOKMARK', TABLE_EC.InvalidBookmark, msg);
}

export interface CollapseState {
  signature: number;
  rowId: bigint;
  instance: number;
  /** Category key -> expanded. */
  states: Array<[string, boolean]>;
}

export function fnv1a(b: Uint8Array, end = b.length): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) {
    h ^= b[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function encodeCollapseState(s: CollapseState): Buffer {
  const keys = s.states.map(([k, e]) => [Buffer.from(k, 'utf8'), e] as const);
  let size = 4 + 1 + 4 + 8 + 4 + 4 + 4;
  for (const [k] of keys) size += 2 + Math.min(k.length, 0xffff) + 1;
  const out = Buffer.alloc(size);
  let o = out.writeUInt32LE(CS_MAGIC, 0);
  o = out.writeUInt8(1, o);
  o = out.writeUInt32LE(s.signature >>> 0, o);
  o = out.writeBigUInt64LE(BigInt.asUintN(64, s.rowId), o);
  o = out.writeUInt32LE(s.instance >>> 0, o);
  o = out.writeUInt32LE(keys.length, o);
  for (const [k, e] of keys) {
    const n = Math.min(k.length, 0xffff);
    o = out.writeUInt16LE(n, o);
    o += k.copy(out, o, 0, n);
    o = out.writeUInt8(e ? 1 : 0, o);
  }
  out.writeUInt32LE(fnv1a(out, o), o);
  return out;
}

export function decodeCollapseState(bytes: Uint8Array): CollapseState {
  const bad = (why: string) => new TableError('OC_TABLE_BAD_COLLAPSE_STATE', TABLE_EC.InvalidParam, `collapse state: ${why}`);
  if (bytes.length < 29) throw bad('too short');
  if (bytes.length > MAX_COLLAPSE_STATE) throw bad('too long');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.readUInt32LE(0) !== CS_MAGIC || b.readUInt8(4) !== 1) throw bad('unknown format');
  const end = b.length - 4;
  if (fnv1a(b, end) !== b.readUInt32LE(end)) throw bad('checksum mismatch');
  const signature = b.readUInt32LE(5);
  const rowId = b.readBigUInt64LE(9);
  const instance = b.readUInt32LE(17);
  const count = b.readUInt32LE(21);
  let o = 25;
  if (count > (end - o) / 3) throw bad('count exceeds the bytes present');
  const states: Array<[string, boolean]> = [];
  for (let i = 0; i < count; i++) {
    if (o + 2 > end) throw bad('truncated');
    const n = b.readUInt16LE(o);
    o += 2;
    if (o + n + 1 > end) throw bad('truncated');
    const key = b.toString('utf8', o, o + n);
    o += n;
    const e = b.readUInt8(o++);
    if (e > 1) throw bad('bad state byte');
    states.push([key, e === 1]);
  }
  if (o !== end) throw bad('trailing bytes');
  return { signature, rowId, instance, states };
}
