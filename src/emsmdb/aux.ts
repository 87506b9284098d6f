// MS-OXCRPC 2.2.2.2 auxiliary buffers: a sequence of AUX_HEADER + auxiliary block, each block padded so the next
// header starts on a 4-byte boundary (the padding counts in Size). The (Version, Type) pair selects the block
// structure; unknown pairs are kept as raw bytes and skipped by Size (3.1.4.1.2: the server ignores what it does
// not recognise). Variable-length fields (strings, addresses) sit after the fixed part and are found by offsets
// from the start of the AUX_HEADER; strings are null-terminated UTF-16LE.
//
// Every structure is declared once, as a field list (AUX_STRUCTURES); the parser and the encoder both read it.
// Parsing is bounded by the block's Size: a fixed part longer than the block, an offset outside the block or a
// string without its terminator is an AuxError, as are a Size below 4 or past the end of the buffer.
import { readGuid, writeGuid } from '../util/guid.js';
import { AuxError, EmsmdbEncodeError } from './errors.js';

export const AUX_VERSION_1 = 0x01;
export const AUX_VERSION_2 = 0x02;
export const AUX_HEADER_SIZE = 4;

/** MS-OXCRPC 2.2.2.2 AUX_HEADER Type values. */
export const AuxType = {
  AUX_TYPE_PERF_REQUESTID: 0x01,
  AUX_TYPE_PERF_CLIENTINFO: 0x02,
  AUX_TYPE_PERF_SERVERINFO: 0x03,
  AUX_TYPE_PERF_SESSIONINFO: 0x04,
  AUX_TYPE_PERF_DEFMDB_SUCCESS: 0x05,
  AUX_TYPE_PERF_DEFGC_SUCCESS: 0x06,
  AUX_TYPE_PERF_MDB_SUCCESS: 0x07,
  AUX_TYPE_PERF_GC_SUCCESS: 0x08,
  AUX_TYPE_PERF_FAILURE: 0x09,
  AUX_TYPE_CLIENT_CONTROL: 0x0a,
  AUX_TYPE_PERF_PROCESSINFO: 0x0b,
  AUX_TYPE_PERF_BG_DEFMDB_SUCCESS: 0x0c,
  AUX_TYPE_PERF_BG_DEFGC_SUCCESS: 0x0d,
  AUX_TYPE_PERF_BG_MDB_SUCCESS: 0x0e,
  AUX_TYPE_PERF_BG_GC_SUCCESS: 0x0f,
  AUX_TYPE_PERF_BG_FAILURE: 0x10,
  AUX_TYPE_PERF_FG_DEFMDB_SUCCESS: 0x11,
  AUX_TYPE_PERF_FG_DEFGC_SUCCESS: 0x12,
  AUX_TYPE_PERF_FG_MDB_SUCCESS: 0x13,
  AUX_TYPE_PERF_FG_GC_SUCCESS: 0x14,
  AUX_TYPE_PERF_FG_FAILURE: 0x15,
  AUX_TYPE_OSVERSIONINFO: 0x16,
  AUX_TYPE_EXORGINFO: 0x17,
  AUX_TYPE_PERF_ACCOUNTINFO: 0x18,
  AUX_TYPE_SERVER_CAPABILITIES: 0x46,
  AUX_TYPE_ENDPOINT_CAPABILITIES: 0x48,
  AUX_CLIENT_CONNECTION_INFO: 0x4a,
  AUX_SERVER_SESSION_INFO: 0x4b,
  AUX_PROTOCOL_DEVICE_IDENTIFICATION: 0x4e,
} as const;

/** MS-OXCRPC 2.2.2.2.15 AUX_CLIENT_CONTROL EnableFlags. */
export const ENABLE_PERF_SENDTOSERVER = 0x00000001;
export const ENABLE_COMPRESSION = 0x00000004;
export const ENABLE_HTTP_TUNNELING = 0x00000008;
export const ENABLE_PERF_SENDGCDATA = 0x00000010;
/** MS-OXCRPC 2.2.2.2.17 AUX_EXORGINFO OrgFlags. */
export const PUBLIC_FOLDERS_ENABLED = 0x00000001;
export const USE_AUTODISCOVER_FOR_PUBLIC_FOLDER_CONFIGURATION = 0x00000002;
/** MS-OXCRPC 2.2.2.2.19 AUX_SERVER_CAPABILITIES ServerCapabilityFlags. */
export const PACKED_FAST_TRANSFER_UPLOAD_BUFFERS = 0x00000001;
export const PACKED_WRITE_STREAM_UPLOAD_BUFFERS = 0x00000002;
export const ULTRA_LARGE_PACKED_DOWNLOAD_BUFFERS = 0x00000008;
/** MS-OXCRPC 2.2.2.2.20 AUX_ENDPOINT_CAPABILITIES EndpointCapabilityFlag. */
export const ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT = 0x00000001;
/** MS-OXCRPC 2.2.2.2.4 AUX_PERF_CLIENTINFO ClientMode. */
export const CLIENTMODE_UNKNOWN = 0x00;
export const CLIENTMODE_CLASSIC = 0x01;
export const CLIENTMODE_CACHED = 0x02;

// ---- structure declarations ------------------------------------------------------------------------------------

/**
 * Field kinds: fixed-size integers, a GUID, reserved bytes of a given length, a string found through a 2-byte
 * offset (`wstr`), and bytes found through a 2-byte size followed by a 2-byte offset (`sizedBytes`; the size and
 * offset fields sit next to each other in every structure that has them).
 */
type FieldKind = 'u8' | 'u16' | 'u32' | 'guid' | `bytes${number}` | 'wstr' | 'sizedBytes';
type FieldSpec = readonly [name: string, kind: FieldKind];

const FIXED_SIZE: Record<string, number> = { u8: 1, u16: 2, u32: 4, guid: 16, wstr: 2, sizedBytes: 4 };
const fieldSize = (k: FieldKind): number => FIXED_SIZE[k] ?? Number(k.slice(5));

// One entry per block structure; the comment names its section.
const S = {
  // MS-OXCRPC 2.2.2.2.1 AUX_PERF_REQUESTID
  AUX_PERF_REQUESTID: [['SessionID', 'u16'], ['RequestID', 'u16']],
  // MS-OXCRPC 2.2.2.2.2 AUX_PERF_SESSIONINFO
  AUX_PERF_SESSIONINFO: [['SessionID', 'u16'], ['Reserved', 'u16'], ['SessionGuid', 'guid']],
  // MS-OXCRPC 2.2.2.2.3 AUX_PERF_SESSIONINFO_V2
  AUX_PERF_SESSIONINFO_V2: [['SessionID', 'u16'], ['Reserved', 'u16'], ['SessionGuid', 'guid'], ['ConnectionID', 'u32']],
  // MS-OXCRPC 2.2.2.2.4 AUX_PERF_CLIENTINFO
  AUX_PERF_CLIENTINFO: [
    ['AdapterSpeed', 'u32'], ['ClientID', 'u16'], ['MachineName', 'wstr'], ['UserName', 'wstr'], ['ClientIP', 'sizedBytes'],
    ['ClientIPMask', 'sizedBytes'], ['AdapterName', 'wstr'], ['MacAddress', 'sizedBytes'], ['ClientMode', 'u16'], ['Reserved', 'u16'],
  ],
  // MS-OXCRPC 2.2.2.2.5 AUX_PERF_SERVERINFO
  AUX_PERF_SERVERINFO: [['ServerID', 'u16'], ['ServerType', 'u16'], ['ServerDN', 'wstr'], ['ServerName', 'wstr']],
  // MS-OXCRPC 2.2.2.2.6 AUX_PERF_PROCESSINFO
  AUX_PERF_PROCESSINFO: [['ProcessID', 'u16'], ['Reserved_1', 'u16'], ['ProcessGuid', 'guid'], ['ProcessName', 'wstr'], ['Reserved_2', 'u16']],
  // MS-OXCRPC 2.2.2.2.7 AUX_PERF_DEFMDB_SUCCESS
  AUX_PERF_DEFMDB_SUCCESS: [['TimeSinceRequest', 'u32'], ['TimeToCompleteRequest', 'u32'], ['RequestID', 'u16'], ['Reserved', 'u16']],
  // MS-OXCRPC 2.2.2.2.8 AUX_PERF_DEFGC_SUCCESS
  AUX_PERF_DEFGC_SUCCESS: [
    ['ServerID', 'u16'], ['SessionID', 'u16'], ['TimeSinceRequest', 'u32'], ['TimeToCompleteRequest', 'u32'],
    ['RequestOperation', 'u8'], ['Reserved', 'bytes3'],
  ],
  // MS-OXCRPC 2.2.2.2.9 AUX_PERF_MDB_SUCCESS
  AUX_PERF_MDB_SUCCESS: [
    ['ClientID', 'u16'], ['ServerID', 'u16'], ['SessionID', 'u16'], ['RequestID', 'u16'], ['TimeSinceRequest', 'u32'],
    ['TimeToCompleteRequest', 'u32'],
  ],
  // MS-OXCRPC 2.2.2.2.10 AUX_PERF_MDB_SUCCESS_V2
  AUX_PERF_MDB_SUCCESS_V2: [
    ['ProcessID', 'u16'], ['ClientID', 'u16'], ['ServerID', 'u16'], ['SessionID', 'u16'], ['RequestID', 'u16'], ['Reserved', 'u16'],
    ['TimeSinceRequest', 'u32'], ['TimeToCompleteRequest', 'u32'],
  ],
  // MS-OXCRPC 2.2.2.2.11 AUX_PERF_GC_SUCCESS
  AUX_PERF_GC_SUCCESS: [
    ['ClientID', 'u16'], ['ServerID', 'u16'], ['SessionID', 'u16'], ['Reserved_1', 'u16'], ['TimeSinceRequest', 'u32'],
    ['TimeToCompleteRequest', 'u32'], ['RequestOperation', 'u8'], ['Reserved_2', 'bytes3'],
  ],
  // MS-OXCRPC 2.2.2.2.12 AUX_PERF_GC_SUCCESS_V2
  AUX_PERF_GC_SUCCESS_V2: [
    ['ProcessID', 'u16'], ['ClientID', 'u16'], ['ServerID', 'u16'], ['SessionID', 'u16'], ['TimeSinceRequest', 'u32'],
    ['TimeToCompleteRequest', 'u32'], ['RequestOperation', 'u8'], ['Reserved', 'bytes3'],
  ],
  // MS-OXCRPC 2.2.2.2.13 AUX_PERF_FAILURE
  AUX_PERF_FAILURE: [
    ['ClientID', 'u16'], ['ServerID', 'u16'], ['SessionID', 'u16'], ['RequestID', 'u16'], ['TimeSinceRequest', 'u32'],
    ['TimeToFailRequest', 'u32'], ['ResultCode', 'u32'], ['RequestOperation', 'u8'], ['Reserved', 'bytes3'],
  ],
  // MS-OXCRPC 2.2.2.2.14 AUX_PERF_FAILURE_V2
  AUX_PERF_FAILURE_V2: [
    ['ProcessID', 'u16'], ['ClientID', 'u16'], ['ServerID', 'u16'], ['SessionID', 'u16'], ['RequestID', 'u16'], ['Reserved_1', 'u16'],
    ['TimeSinceRequest', 'u32'], ['TimeToFailRequest', 'u32'], ['ResultCode', 'u32'], ['RequestOperation', 'u8'], ['Reserved_2', 'bytes3'],
  ],
  // MS-OXCRPC 2.2.2.2.15 AUX_CLIENT_CONTROL
  AUX_CLIENT_CONTROL: [['EnableFlags', 'u32'], ['ExpiryTime', 'u32']],
  // MS-OXCRPC 2.2.2.2.16 AUX_OSVERSIONINFO
  AUX_OSVERSIONINFO: [
    ['OSVersionInfoSize', 'u32'], ['MajorVersion', 'u32'], ['MinorVersion', 'u32'], ['BuildNumber', 'u32'], ['Reserved_1', 'bytes132'],
    ['ServicePackMajor', 'u16'], ['ServicePackMinor', 'u16'], ['Reserved_2', 'u32'],
  ],
  // MS-OXCRPC 2.2.2.2.17 AUX_EXORGINFO
  AUX_EXORGINFO: [['OrgFlags', 'u32']],
  // MS-OXCRPC 2.2.2.2.18 AUX_PERF_ACCOUNTINFO
  AUX_PERF_ACCOUNTINFO: [['ClientID', 'u16'], ['Reserved', 'u16'], ['Account', 'guid']],
  // MS-OXCRPC 2.2.2.2.19 AUX_SERVER_CAPABILITIES
  AUX_SERVER_CAPABILITIES: [['ServerCapabilityFlags', 'u32']],
  // MS-OXCRPC 2.2.2.2.20 AUX_ENDPOINT_CAPABILITIES
  AUX_ENDPOINT_CAPABILITIES: [['EndpointCapabilityFlag', 'u32']],
  // MS-OXCRPC 2.2.2.2.21 AUX_CLIENT_CONNECTION_INFO
  AUX_CLIENT_CONNECTION_INFO: [
    ['ConnectionGUID', 'guid'], ['ConnectionContextInfo', 'wstr'], ['Reserved', 'u16'], ['ConnectionAttempts', 'u32'], ['ConnectionFlags', 'u32'],
  ],
  // MS-OXCRPC 2.2.2.2.22 AUX_SERVER_SESSION_INFO
  AUX_SERVER_SESSION_INFO: [['ServerSessionContextInfo', 'wstr']],
  // MS-OXCRPC 2.2.2.2.23 AUX_PROTOCOL_DEVICE_IDENTIFICATION
  AUX_PROTOCOL_DEVICE_IDENTIFICATION: [
    ['DeviceManufacturer', 'wstr'], ['DeviceModel', 'wstr'], ['DeviceSerialNumber', 'wstr'], ['DeviceVersion', 'wstr'],
    ['DeviceFirmwareVersion', 'wstr'],
  ],
} as const satisfies Record<string, readonly FieldSpec[]>;

export type AuxStructureName = keyof typeof S;
export const AUX_STRUCTURES: Readonly<Record<AuxStructureName, readonly FieldSpec[]>> = S;

/** (Version, Type) -> structure, MS-OXCRPC 2.2.2.2 table. */
const BY_KEY = new Map<number, AuxStructureName>();
const key = (version: number, type: number) => (version << 8) | type;
const T = AuxType;
for (const [v, t, s] of [
  [1, T.AUX_TYPE_PERF_REQUESTID, 'AUX_PERF_REQUESTID'],
  [1, T.AUX_TYPE_PERF_CLIENTINFO, 'AUX_PERF_CLIENTINFO'],
  [1, T.AUX_TYPE_PERF_SERVERINFO, 'AUX_PERF_SERVERINFO'],
  [1, T.AUX_TYPE_PERF_SESSIONINFO, 'AUX_PERF_SESSIONINFO'],
  [2, T.AUX_TYPE_PERF_SESSIONINFO, 'AUX_PERF_SESSIONINFO_V2'],
  [1, T.AUX_TYPE_PERF_DEFMDB_SUCCESS, 'AUX_PERF_DEFMDB_SUCCESS'],
  [1, T.AUX_TYPE_PERF_DEFGC_SUCCESS, 'AUX_PERF_DEFGC_SUCCESS'],
  [1, T.AUX_TYPE_PERF_MDB_SUCCESS, 'AUX_PERF_MDB_SUCCESS'],
  [2, T.AUX_TYPE_PERF_MDB_SUCCESS, 'AUX_PERF_MDB_SUCCESS_V2'],
  [1, T.AUX_TYPE_PERF_GC_SUCCESS, 'AUX_PERF_GC_SUCCESS'],
  [2, T.AUX_TYPE_PERF_GC_SUCCESS, 'AUX_PERF_GC_SUCCESS_V2'],
  [1, T.AUX_TYPE_PERF_FAILURE, 'AUX_PERF_FAILURE'],
  [2, T.AUX_TYPE_PERF_FAILURE, 'AUX_PERF_FAILURE_V2'],
  [1, T.AUX_TYPE_CLIENT_CONTROL, 'AUX_CLIENT_CONTROL'],
  [1, T.AUX_TYPE_PERF_PROCESSINFO, 'AUX_PERF_PROCESSINFO'],
  [2, T.AUX_TYPE_PERF_PROCESSINFO, 'AUX_PERF_PROCESSINFO'],
  [1, T.AUX_TYPE_PERF_BG_DEFMDB_SUCCESS, 'AUX_PERF_DEFMDB_SUCCESS'],
  [1, T.AUX_TYPE_PERF_BG_DEFGC_SUCCESS, 'AUX_PERF_DEFGC_SUCCESS'],
  [1, T.AUX_TYPE_PERF_BG_MDB_SUCCESS, 'AUX_PERF_MDB_SUCCESS'],
  [2, T.AUX_TYPE_PERF_BG_MDB_SUCCESS, 'AUX_PERF_MDB_SUCCESS_V2'],
  [1, T.AUX_TYPE_PERF_BG_GC_SUCCESS, 'AUX_PERF_GC_SUCCESS'],
  [2, T.AUX_TYPE_PERF_BG_GC_SUCCESS, 'AUX_PERF_GC_SUCCESS_V2'],
  [1, T.AUX_TYPE_PERF_BG_FAILURE, 'AUX_PERF_FAILURE'],
  [2, T.AUX_TYPE_PERF_BG_FAILURE, 'AUX_PERF_FAILURE_V2'],
  [1, T.AUX_TYPE_PERF_FG_DEFMDB_SUCCESS, 'AUX_PERF_DEFMDB_SUCCESS'],
  [1, T.AUX_TYPE_PERF_FG_DEFGC_SUCCESS, 'AUX_PERF_DEFGC_SUCCESS'],
  [1, T.AUX_TYPE_PERF_FG_MDB_SUCCESS, 'AUX_PERF_MDB_SUCCESS'],
  [2, T.AUX_TYPE_PERF_FG_MDB_SUCCESS, 'AUX_PERF_MDB_SUCCESS_V2'],
  [1, T.AUX_TYPE_PERF_FG_GC_SUCCESS, 'AUX_PERF_GC_SUCCESS'],
  [2, T.AUX_TYPE_PERF_FG_GC_SUCCESS, 'AUX_PERF_GC_SUCCESS_V2'],
  [1, T.AUX_TYPE_PERF_FG_FAILURE, 'AUX_PERF_FAILURE'],
  [2, T.AUX_TYPE_PERF_FG_FAILURE, 'AUX_PERF_FAILURE_V2'],
  [1, T.AUX_TYPE_OSVERSIONINFO, 'AUX_OSVERSIONINFO'],
  [1, T.AUX_TYPE_EXORGINFO, 'AUX_EXORGINFO'],
  [1, T.AUX_TYPE_PERF_ACCOUNTINFO, 'AUX_PERF_ACCOUNTINFO'],
  [1, T.AUX_TYPE_SERVER_CAPABILITIES, 'AUX_SERVER_CAPABILITIES'],
  [1, T.AUX_TYPE_ENDPOINT_CAPABILITIES, 'AUX_ENDPOINT_CAPABILITIES'],
  [1, T.AUX_CLIENT_CONNECTION_INFO, 'AUX_CLIENT_CONNECTION_INFO'],
  [1, T.AUX_SERVER_SESSION_INFO, 'AUX_SERVER_SESSION_INFO'],
  [1, T.AUX_PROTOCOL_DEVICE_IDENTIFICATION, 'AUX_PROTOCOL_DEVICE_IDENTIFICATION'],
] as const) {
  BY_KEY.set(key(v, t), s);
}

/** The structure a (Version, Type) pair selects, or undefined for pairs the spec does not define. */
export function auxStructureOf(version: number, type: number): AuxStructureName | undefined {
  return BY_KEY.get(key(version, type));
}

// ---- typed values ----------------------------------------------------------------------------------------------

type ValueOf<K extends FieldKind> = K extends 'guid' ? string : K extends 'wstr' ? string | null : K extends 'sizedBytes' ? Buffer | null : K extends `bytes${number}` ? Buffer : number;
type FieldsOf<L extends readonly FieldSpec[]> = { [F in L[number] as F[0]]: ValueOf<F[1]> };

/** A known block: its header's Version and Type, the structure name, and the structure's fields by spec name. */
export type AuxKnownBlock = {
  [N in AuxStructureName]: { Version: number; Type: number; structure: N } & FieldsOf<(typeof S)[N]>;
}[AuxStructureName];
/** A (Version, Type) pair the spec does not define: the block's bytes after the AUX_HEADER, padding included. */
export interface AuxUnknownBlock {
  Version: number;
  Type: number;
  structure: 'unknown';
  data: Buffer;
}
export type AuxBlock = AuxKnownBlock | AuxUnknownBlock;
export type AuxBlockOf<N extends AuxStructureName> = Extract<AuxKnownBlock, { structure: N }>;

// ---- parsing ---------------------------------------------------------------------------------------------------

function fail(code: string, message: string, details?: Record<string, unknown>): never {
  throw new AuxError(code, message, details);
}

/** Null-terminated UTF-16LE string at `at` (relative to the block start), inside the block. */
function readWstr(buf: Buffer, blockStart: number, blockEnd: number, at: number, field: string): string {
  const start = blockStart + at;
  if (at < AUX_HEADER_SIZE || start >= blockEnd) fail('OC_AUX_BAD_OFFSET', `${field} offset ${at} outside the block`, { field, at });
  let end = start;
  while (end + 1 < blockEnd && (buf[end] !== 0 || buf[end + 1] !== 0)) end += 2;
  if (end + 1 >= blockEnd) fail('OC_AUX_BAD_STRING', `${field} at offset ${at} has no terminator inside the block`, { field, at });
  return buf.toString('utf16le', start, end);
}

function parseStructure(name: AuxStructureName, buf: Buffer, blockStart: number, blockEnd: number): Record<string, unknown> {
  const fields = S[name];
  const v: Record<string, unknown> = {};
  let p = blockStart + AUX_HEADER_SIZE;
  let fixed = 0;
  for (const [, kind] of fields) fixed += fieldSize(kind);
  if (p + fixed > blockEnd) {
    fail('OC_AUX_SHORT_BLOCK', `${name} needs ${fixed} bytes, its block holds ${blockEnd - p}`, { structure: name, need: fixed, have: blockEnd - p });
  }
  for (const [fname, kind] of fields) {
    switch (kind) {
      case 'u8':
        v[fname] = buf[p];
        p += 1;
        break;
      case 'u16':
        v[fname] = buf.readUInt16LE(p);
        p += 2;
        break;
      case 'u32':
        v[fname] = buf.readUInt32LE(p);
        p += 4;
        break;
      case 'guid':
        v[fname] = readGuid(buf, p);
        p += 16;
        break;
      case 'wstr': {
        const at = buf.readUInt16LE(p);
        p += 2;
        v[fname] = at === 0 ? null : readWstr(buf, blockStart, blockEnd, at, fname);
        break;
      }
      case 'sizedBytes': {
        const size = buf.readUInt16LE(p);
        const at = buf.readUInt16LE(p + 2);
        p += 4;
        if (at === 0) {
          v[fname] = null;
        } else {
          if (at < AUX_HEADER_SIZE || blockStart + at + size > blockEnd) {
            fail('OC_AUX_BAD_OFFSET', `${fname} (${size} bytes at offset ${at}) outside the block`, { field: fname, at, size });
          }
          v[fname] = Buffer.from(buf.subarray(blockStart + at, blockStart + at + size));
        }
        break;
      }
      default: {
        const n = fieldSize(kind);
        v[fname] = Buffer.from(buf.subarray(p, p + n));
        p += n;
      }
    }
  }
  return v;
}

export interface ParseAuxOptions {
  /** Most blocks accepted (default 256; a 0x1008-byte buffer holds at most 1026 headers). */
  maxBlocks?: number;
}

/** MS-OXCRPC 2.2.2.2 / 3.1.4.1.2: the auxiliary blocks of an rgbAuxIn / rgbAuxOut payload (after readExtendedBuffer). */
export function parseAuxBlocks(payload: Uint8Array, opts: ParseAuxOptions = {}): AuxBlock[] {
  const maxBlocks = opts.maxBlocks ?? 256;
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const blocks: AuxBlock[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < AUX_HEADER_SIZE) fail('OC_AUX_TRUNCATED', `${buf.length - off} bytes left at ${off}, an AUX_HEADER needs 4`, { at: off });
    if (blocks.length >= maxBlocks) fail('OC_AUX_TOO_MANY', `more than ${maxBlocks} auxiliary blocks`, { at: off, maxBlocks });
    // MS-OXCRPC 2.2.2.2 AUX_HEADER
    const Size = buf.readUInt16LE(off);
    const Version = buf[off + 2]!;
    const Type = buf[off + 3]!;
    if (Size < AUX_HEADER_SIZE || Size > buf.length - off) {
      fail('OC_AUX_BAD_SIZE', `AUX_HEADER at ${off}: Size ${Size} outside 4..${buf.length - off}`, { at: off, Size, Version, Type });
    }
    const end = off + Size;
    const structure = auxStructureOf(Version, Type);
    if (structure === undefined) {
      blocks.push({ Version, Type, structure: 'unknown', data: Buffer.from(buf.subarray(off + AUX_HEADER_SIZE, end)) });
    } else {
      blocks.push({ Version, Type, structure, ...parseStructure(structure, buf, off, end) } as AuxKnownBlock);
    }
    off = end;
  }
  return blocks;
}

// ---- encoding --------------------------------------------------------------------------------------------------

const align4 = (n: number) => (n + 3) & ~3;

/** One AUX_HEADER + block, padded with zeros to a multiple of 4 bytes. */
export function encodeAuxBlock(block: AuxBlock): Buffer {
  let body: Buffer;
  if (block.structure === 'unknown') {
    body = block.data;
  } else {
    const expected = auxStructureOf(block.Version, block.Type);
    if (expected !== block.structure) {
      throw new EmsmdbEncodeError('OC_AUX_ENCODE_MISMATCH', `(Version ${block.Version}, Type 0x${block.Type.toString(16)}) is not ${block.structure}`, {
        structure: block.structure,
      });
    }
    body = encodeStructure(block.structure, block as unknown as Record<string, unknown>);
  }
  const size = align4(AUX_HEADER_SIZE + body.length);
  if (size > 0xffff) throw new EmsmdbEncodeError('OC_AUX_ENCODE_TOO_LARGE', `auxiliary block of ${size} bytes`, { size });
  const out = Buffer.alloc(size);
  out.writeUInt16LE(size, 0);
  out[2] = block.Version;
  out[3] = block.Type;
  body.copy(out, AUX_HEADER_SIZE);
  return out;
}

/** The blocks back to back: the payload of an rgbAuxOut (wrap it with writeExtendedBuffer). */
export function encodeAuxBlocks(blocks: readonly AuxBlock[]): Buffer {
  return Buffer.concat(blocks.map(encodeAuxBlock));
}

/** Fixed part, then the variable fields in declaration order; offsets count from the AUX_HEADER. */
function encodeStructure(name: AuxStructureName, v: Record<string, unknown>): Buffer {
  const fields = S[name];
  let fixed = 0;
  for (const [, kind] of fields) fixed += fieldSize(kind);
  const tails: Buffer[] = [];
  let tailAt = AUX_HEADER_SIZE + fixed;
  const head = Buffer.alloc(fixed);
  let p = 0;
  const num = (f: string): number => {
    const x = v[f];
    return typeof x === 'number' ? x : 0;
  };
  for (const [fname, kind] of fields) {
    switch (kind) {
      case 'u8':
        head[p] = num(fname);
        p += 1;
        break;
      case 'u16':
        head.writeUInt16LE(num(fname), p);
        p += 2;
        break;
      case 'u32':
        head.writeUInt32LE(num(fname) >>> 0, p);
        p += 4;
        break;
      case 'guid':
        writeGuid(String(v[fname] ?? '00000000-0000-0000-0000-000000000000'), head, p);
        p += 16;
        break;
      case 'wstr': {
        const s = v[fname];
        if (typeof s === 'string') {
          const t = Buffer.from(s + '\0', 'utf16le');
          head.writeUInt16LE(tailAt, p);
          tails.push(t);
          tailAt += t.length;
        }
        p += 2;
        break;
      }
      case 'sizedBytes': {
        const b = v[fname];
        if (b instanceof Uint8Array) {
          head.writeUInt16LE(b.length, p);
          head.writeUInt16LE(tailAt, p + 2);
          tails.push(Buffer.from(b));
          tailAt += b.length;
        }
        p += 4;
        break;
      }
      default: {
        const n = fieldSize(kind);
        const b = v[fname];
        if (b instanceof Uint8Array) head.set(b.subarray(0, n), p);
        p += n;
      }
    }
  }
  if (tailAt > 0xffff) throw new EmsmdbEncodeError('OC_AUX_ENCODE_TOO_LARGE', `${name} of ${tailAt} bytes`, { structure: name, size: tailAt });
  return tails.length ? Buffer.concat([head, ...tails]) : head;
}

// ---- what a server sends (MS-OXCRPC 3.1.4.1.2.1) -----------------------------------------------------------------

/** AUX_EXORGINFO: whether the organization has public folders (the client must not open them otherwise). */
export function auxExOrgInfo(OrgFlags: number): AuxBlockOf<'AUX_EXORGINFO'> {
  return { Version: AUX_VERSION_1, Type: AuxType.AUX_TYPE_EXORGINFO, structure: 'AUX_EXORGINFO', OrgFlags };
}

/** AUX_CLIENT_CONTROL: which client behaviours to enable (ENABLE_*), for ExpiryTime milliseconds. */
export function auxClientControl(EnableFlags: number, ExpiryTime: number): AuxBlockOf<'AUX_CLIENT_CONTROL'> {
  return { Version: AUX_VERSION_1, Type: AuxType.AUX_TYPE_CLIENT_CONTROL, structure: 'AUX_CLIENT_CONTROL', EnableFlags, ExpiryTime };
}

/** AUX_ENDPOINT_CAPABILITIES: ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT when NSPI and RFR share the EMSMDB endpoint. */
export function auxEndpointCapabilities(EndpointCapabilityFlag: number): AuxBlockOf<'AUX_ENDPOINT_CAPABILITIES'> {
  return { Version: AUX_VERSION_1, Type: AuxType.AUX_TYPE_ENDPOINT_CAPABILITIES, structure: 'AUX_ENDPOINT_CAPABILITIES', EndpointCapabilityFlag };
}

/** AUX_SERVER_CAPABILITIES: packed upload/download buffer support (PACKED_* / ULTRA_LARGE_*). */
export function auxServerCapabilities(ServerCapabilityFlags: number): AuxBlockOf<'AUX_SERVER_CAPABILITIES'> {
  return { Version: AUX_VERSION_1, Type: AuxType.AUX_TYPE_SERVER_CAPABILITIES, structure: 'AUX_SERVER_CAPABILITIES', ServerCapabilityFlags };
}
