// MS-OXCRPC 3.1.4.1.1 / 3.1.4.2.1 extended buffers: rgbIn, rgbOut, rgbAuxIn and rgbAuxOut each hold one or more
// RPC_HEADER_EXT + payload pairs; the header with Last ends the chain. A payload is compressed (MS-OXCRPC
// 3.1.4.1.1.2, lz77.ts), then XOR-obfuscated (3.1.4.1.1.3); the receiver undoes the two in the opposite order.
//
// Errors and what the handlers make of them (the mapping lives in the EcDoRpcExt2 / EcDoConnectEx handlers):
// - the NDR-level size checks come first and are not here: cbIn > 0x40000 or cbAuxIn / pcbAuxOut > 0x1008 are an
//   RPC fault RPC_X_BAD_STUB_DATA (0x6F7); cbIn < 8 is ecRpcFailed (0x80040115), as is cbAuxIn 1..7 on
//   EcDoConnectEx (MS-OXCRPC 3.1.4.1 / 3.1.4.2);
// - every ExtendedBufferError (OC_EXTBUF_*) and Lz77Error (OC_LZ77_*) thrown by readExtendedBuffer() is a malformed
//   request: EcDoRpcExt2 returns ecRpcFormat (0x000004B6) with pcbOut = 0 (3.1.4.2 "the format of the request was
//   found to be invalid"); a bad rgbAuxIn is treated the same way;
// - EmsmdbEncodeError from writeExtendedBuffer() is our own failure (a reply larger than the client's pcbOut the
//   ROP layer should have prevented with RopBufferTooSmall): the handler logs it and returns ecRpcFailed.
import { EmsmdbEncodeError, ExtendedBufferError } from './errors.js';
import { compress, decompress } from './lz77.js';

/** MS-OXCRPC 2.2.2.1 RPC_HEADER_EXT Flags. */
export const RHE_FLAG_COMPRESSED = 0x0001;
export const RHE_FLAG_XORMAGIC = 0x0002;
export const RHE_FLAG_LAST = 0x0004;

/** MS-OXCRPC 3.1.4.2.1 "A single payload MUST NOT exceed 32 KB in size." */
export const MAX_PAYLOAD_SIZE = 0x8000;
/** Most payloads in one chained rgbOut (ours: 64 x 32 KB, 2 MiB uncompressed at most; emsmdb.ts chainResponses). */
export const MAX_CHAINED_PAYLOADS = 64;
/** MS-OXCRPC 3.1.4.2 BIG_RANGE_ULONG: largest cbIn / pcbOut. */
export const MAX_RGB_SIZE = 0x40000;
/** MS-OXCRPC 3.1.4.1 / 3.1.4.2 SMALL_RANGE_ULONG: largest cbAuxIn / pcbAuxOut. */
export const MAX_AUX_SIZE = 0x1008;

export const RPC_HEADER_EXT_SIZE = 8;

// MS-OXCRPC 2.2.2.1 RPC_HEADER_EXT
export interface RPC_HEADER_EXT {
  Version: number;
  Flags: number;
  Size: number;
  SizeActual: number;
}

/** Reads the 8-byte header at `offset` (the caller has checked that 8 bytes are there). */
export function decodeRpcHeaderExt(buf: Uint8Array, offset: number): RPC_HEADER_EXT {
  return {
    Version: buf[offset]! | (buf[offset + 1]! << 8),
    Flags: buf[offset + 2]! | (buf[offset + 3]! << 8),
    Size: buf[offset + 4]! | (buf[offset + 5]! << 8),
    SizeActual: buf[offset + 6]! | (buf[offset + 7]! << 8),
  };
}

export function encodeRpcHeaderExt(h: RPC_HEADER_EXT, out: Buffer, offset: number): void {
  out.writeUInt16LE(h.Version, offset);
  out.writeUInt16LE(h.Flags, offset + 2);
  out.writeUInt16LE(h.Size, offset + 4);
  out.writeUInt16LE(h.SizeActual, offset + 6);
}

/** MS-OXCRPC 3.1.4.1.1.3: XOR every byte with 0xA5, from `src` into `dst` (may be the same buffer). */
export function xorMagic(src: Uint8Array, dst: Uint8Array): void {
  const n = src.length;
  let i = 0;
  // four bytes at a time where both views allow it
  if ((src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && n >= 16) {
    const words = n >>> 2;
    const s32 = new Uint32Array(src.buffer, src.byteOffset, words);
    const d32 = new Uint32Array(dst.buffer, dst.byteOffset, words);
    for (let w = 0; w < words; w++) d32[w] = s32[w]! ^ 0xa5a5a5a5;
    i = words << 2;
  } else if (n >= 16) {
    // unaligned views (a payload after another in a chained response): four bytes at a time through DataViews,
    // ~3x faster than byte by byte
    const sv = new DataView(src.buffer, src.byteOffset, n);
    const dv = new DataView(dst.buffer, dst.byteOffset, n);
    for (; i + 4 <= n; i += 4) dv.setInt32(i, sv.getInt32(i, true) ^ 0xa5a5a5a5, true);
  }
  for (; i < n; i++) dst[i] = src[i]! ^ 0xa5;
}

export interface ExtendedBufferLimits {
  /** Largest SizeActual of one payload (default MAX_PAYLOAD_SIZE, 0x8000). */
  maxPayload?: number;
  /** Largest sum of SizeActual over the chain (default 0x100000). */
  maxTotal?: number;
  /** Most headers in the chain (default 64; 1 for rgbIn without packing, rgbAuxIn and rgbAuxOut). */
  maxPayloads?: number;
}

/** rgbIn as sent by clients that were not offered packed uploads: one payload of at most 32 KB. */
export const RGB_IN_LIMITS: Readonly<ExtendedBufferLimits> = { maxPayload: MAX_PAYLOAD_SIZE, maxPayloads: 1 };
/** rgbIn with packed upload buffers (AUX_SERVER_CAPABILITIES offered, MS-OXCRPC 3.1.4.2.1.2.1). */
export const RGB_IN_PACKED_LIMITS: Readonly<ExtendedBufferLimits> = { maxPayload: MAX_PAYLOAD_SIZE, maxPayloads: 64, maxTotal: 0x100000 };
/** rgbAuxIn: one header with Last (3.1.4.1.1.1.1), at most 0x1008 bytes of auxiliary blocks. */
export const AUX_IN_LIMITS: Readonly<ExtendedBufferLimits> = { maxPayload: MAX_AUX_SIZE, maxPayloads: 1 };

function fail(code: string, message: string, details?: Record<string, unknown>): never {
  throw new ExtendedBufferError(code, message, details);
}

/**
 * MS-OXCRPC 3.1.4.1.1 / 3.1.4.2.1.1: the payloads of an RPC_HEADER_EXT chain, un-XORed and decompressed, in order.
 * An uncompressed, unobfuscated payload is a view into `buf`; the others are new buffers. With `inPlace` (the
 * caller's `buf` is not needed afterwards: a received stub) the XOR is undone in `buf` itself, so an uncompressed
 * payload is a view into it too, and a compressed one is decompressed from there without a copy.
 */
export function readExtendedBuffer(buf: Uint8Array, limits: ExtendedBufferLimits = RGB_IN_LIMITS, inPlace = false): Buffer[] {
  const maxPayload = limits.maxPayload ?? MAX_PAYLOAD_SIZE;
  const maxTotal = limits.maxTotal ?? 0x100000;
  const maxPayloads = limits.maxPayloads ?? 64;
  const whole = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const payloads: Buffer[] = [];
  let off = 0;
  let total = 0;
  for (;;) {
    if (whole.length - off < RPC_HEADER_EXT_SIZE) {
      fail(off === 0 ? 'OC_EXTBUF_TRUNCATED' : 'OC_EXTBUF_NO_LAST', off === 0
        ? `extended buffer of ${whole.length} bytes holds no RPC_HEADER_EXT`
        : `extended buffer ends at ${off} without a header carrying Last`, { at: off, length: whole.length });
    }
    if (payloads.length >= maxPayloads) {
      fail('OC_EXTBUF_TOO_MANY', `more than ${maxPayloads} RPC_HEADER_EXT in one buffer`, { at: off, maxPayloads });
    }
    const h = decodeRpcHeaderExt(whole, off);
    if (h.Version !== 0) fail('OC_EXTBUF_BAD_VERSION', `RPC_HEADER_EXT Version ${h.Version} at ${off}, must be 0`, { at: off, ...h });
    const compressed = (h.Flags & RHE_FLAG_COMPRESSED) !== 0;
    // Bits other than the three of 2.2.2.1 have no meaning; they are ignored, as is usual for reserved flags.
    if (compressed ? h.Size >= h.SizeActual : h.Size !== h.SizeActual) {
      fail('OC_EXTBUF_BAD_SIZE', compressed
        ? `compressed payload at ${off}: Size ${h.Size} not below SizeActual ${h.SizeActual}`
        : `uncompressed payload at ${off}: Size ${h.Size} != SizeActual ${h.SizeActual}`, { at: off, ...h });
    }
    if (h.SizeActual > maxPayload) {
      fail('OC_EXTBUF_TOO_LARGE', `payload at ${off} of ${h.SizeActual} bytes exceeds ${maxPayload}`, { at: off, ...h, maxPayload });
    }
    total += h.SizeActual;
    if (total > maxTotal) fail('OC_EXTBUF_TOO_LARGE', `payloads add up to more than ${maxTotal} bytes`, { at: off, maxTotal });
    const start = off + RPC_HEADER_EXT_SIZE;
    if (whole.length - start < h.Size) {
      fail('OC_EXTBUF_TRUNCATED', `payload at ${off} claims ${h.Size} bytes, ${whole.length - start} left`, { at: off, ...h });
    }
    let data = whole.subarray(start, start + h.Size);
    if (h.Flags & RHE_FLAG_XORMAGIC) {
      if (inPlace) {
        xorMagic(data, data);
      } else {
        const plain = Buffer.allocUnsafe(h.Size);
        xorMagic(data, plain);
        data = plain;
      }
    }
    if (compressed) data = decompress(data, h.SizeActual, { maxOutput: maxPayload });
    payloads.push(data);
    off = start + h.Size;
    if (h.Flags & RHE_FLAG_LAST) break;
  }
  if (off !== whole.length) {
    fail('OC_EXTBUF_TRAILING_BYTES', `${whole.length - off} bytes after the header carrying Last`, { at: off, length: whole.length });
  }
  return payloads;
}

export interface WriteExtendedBufferOptions {
  /** Compress payloads where that makes them smaller (the client did not send NoCompression). */
  compress: boolean;
  /** XOR-obfuscate payloads (the client did not send NoXorMagic). */
  xor: boolean;
  /** Largest result the client accepts (its pcbOut / pcbAuxOut). */
  maxOut: number;
  /** Payloads already encoded with payloadData() (same `compress`): used as they are, not compressed again. */
  encoded?: ReadonlyMap<Uint8Array, Uint8Array>;
}

/** Payloads shorter than this are sent as they are: compressing them cannot gain the header bytes back. */
const MIN_COMPRESS = 32;

/** The bytes payload `p` travels as (before XOR): LZ77-compressed when asked for and smaller, else `p` itself. */
export function payloadData(p: Uint8Array, compressIt: boolean): Uint8Array {
  if (compressIt && p.length >= MIN_COMPRESS) {
    const c = compress(p);
    if (c.length < p.length) return c;
  }
  return p;
}

/**
 * MS-OXCRPC 3.1.4.1.1.1.2 / 3.1.4.2.1.1.2: one RPC_HEADER_EXT + payload per element of `payloads` (several only when
 * the client set Chain), Last on the final header. A payload is compressed only when that shrinks it, then XORed.
 */
export function writeExtendedBuffer(payloads: readonly Uint8Array[], opts: WriteExtendedBufferOptions): Buffer {
  if (payloads.length === 0) throw new EmsmdbEncodeError('OC_EXTBUF_EMPTY', 'an extended buffer needs at least one payload');
  const parts: Array<{ flags: number; size: number; sizeActual: number; data: Uint8Array }> = [];
  let total = 0;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i]!;
    if (p.length > 0xffff) {
      throw new EmsmdbEncodeError('OC_EXTBUF_PAYLOAD_TOO_LARGE', `payload ${i} of ${p.length} bytes does not fit SizeActual`, { index: i, length: p.length });
    }
    let flags = i === payloads.length - 1 ? RHE_FLAG_LAST : 0;
    const data = opts.encoded?.get(p) ?? payloadData(p, opts.compress);
    if (data !== p) flags |= RHE_FLAG_COMPRESSED;
    if (opts.xor) flags |= RHE_FLAG_XORMAGIC;
    parts.push({ flags, size: data.length, sizeActual: p.length, data });
    total += RPC_HEADER_EXT_SIZE + data.length;
  }
  if (total > opts.maxOut) {
    throw new EmsmdbEncodeError('OC_EXTBUF_OUT_TOO_SMALL', `extended buffer of ${total} bytes exceeds the client's ${opts.maxOut}`, { total, maxOut: opts.maxOut });
  }
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const part of parts) {
    encodeRpcHeaderExt({ Version: 0, Flags: part.flags, Size: part.size, SizeActual: part.sizeActual }, out, off);
    off += RPC_HEADER_EXT_SIZE;
    const dst = out.subarray(off, off + part.size);
    if (part.flags & RHE_FLAG_XORMAGIC) xorMagic(part.data, dst);
    else dst.set(part.data);
    off += part.size;
  }
  return out;
}
