// Compressed RTF (PidTagRtfCompressed): MS-OXRTFCP 2.1.3 (header: COMPSIZE, RAWSIZE, COMPTYPE, CRC), 2.1.3.1 (the
// 4096-byte dictionary pre-loaded with a fixed 207-byte RTF prefix), 2.1.3.2 (runs of a control byte, bits read
// least significant first, and 8 tokens: 0 = literal byte, 1 = big-endian 16-bit reference of a 12-bit dictionary
// offset and a 4-bit length - 2), 3.1.3 (decompression, a reference whose offset equals the write position ends the
// stream), 3.2 (compression), 3.1.3.2 / 3.2.3 (CRC-32 over the compressed bytes after the header: the reflected
// polynomial 0xEDB88320, initial value 0, no final xor).
//
// Choices where the spec leaves room, stated here:
// - decompress: RAWSIZE is checked against `maxRawSize` before any allocation; the output may never exceed RAWSIZE
//   (OC_RTF_RAWSIZE), and the stream must produce exactly RAWSIZE bytes (a shorter one is OC_RTF_RAWSIZE too).
//   A buffer longer than COMPSIZE + 4 is accepted (the tail is ignored: stores pad property values); a shorter one is
//   OC_RTF_TRUNCATED. Input that ends without the end reference is accepted when it has produced RAWSIZE bytes. The
//   CRC of a compressed stream is checked (OC_RTF_CRC); the CRC of an UNCOMPRESSED ("MELA") one, which writers set
//   to 0, is not.
// - compress: greedy longest match (2..17 bytes) among the dictionary positions already written (the prefix and
//   the output so far; never the zero-filled rest), including references that run into the bytes being written
//   (MS-OXRTFCP 4.2's crossing reference); on equal length the older position wins, which reproduces the section 4
//   examples byte for byte. Candidates come from hash chains of 2-byte keys, at most CHAIN_LIMIT per position, so
//   a run of one repeated byte costs bounded time.
import { ProtocolError } from '../../util/errors.js';
import { crc32Update } from '../../util/crc32.js';

export const RTF_TOO_SHORT = 'OC_RTF_TOO_SHORT';
export const RTF_TRUNCATED = 'OC_RTF_TRUNCATED';
export const RTF_BAD_COMPTYPE = 'OC_RTF_BAD_COMPTYPE';
export const RTF_TOO_LARGE = 'OC_RTF_TOO_LARGE';
export const RTF_RAWSIZE = 'OC_RTF_RAWSIZE';
export const RTF_CRC = 'OC_RTF_CRC';

/** A compressed RTF value that cannot be decompressed. */
export class RtfCompressionError extends ProtocolError {}

// MS-OXRTFCP 2.1.3.1 Dictionary: the initial 207 bytes
export const RTF_PREFIX = Buffer.from(
  '{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor ' +
    'MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par ' +
    '\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx',
  'latin1',
);

export const COMPTYPE_COMPRESSED = 0x75465a4c; // "LZFu"
export const COMPTYPE_UNCOMPRESSED = 0x414c454d; // "MELA"
const HEADER = 16;
const DICT = 4096;
const MASK = DICT - 1;
const MAX_MATCH = 17;
const CHAIN_LIMIT = 256;
/** Default bound on RAWSIZE (the decompressed RTF), bytes. */
export const DEFAULT_MAX_RAW_SIZE = 64 * 1024 * 1024;

/** MS-OXRTFCP 3.1.3.2 CRC: initial 0, no final xor. */
export function rtfCrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Update(0, bytes, start, end);
}

export interface RtfHeader {
  compSize: number;
  rawSize: number;
  compType: number;
  crc: number;
}

/** MS-OXRTFCP 2.1.3.1.1 header of a PidTagRtfCompressed value. */
export function readRtfHeader(buf: Uint8Array): RtfHeader {
  if (buf.length < HEADER) throw new RtfCompressionError(RTF_TOO_SHORT, `compressed RTF of ${buf.length} bytes`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { compSize: b.readUInt32LE(0), rawSize: b.readUInt32LE(4), compType: b.readUInt32LE(8), crc: b.readUInt32LE(12) };
}

export interface DecompressOptions {
  /** Upper bound on RAWSIZE; default DEFAULT_MAX_RAW_SIZE. */
  maxRawSize?: number;
}

/** The RTF bytes of a PidTagRtfCompressed value (compressed "LZFu" or uncompressed "MELA"). */
export function decompressRtf(buf: Uint8Array, opts: DecompressOptions = {}): Buffer {
  const h = readRtfHeader(buf);
  const max = opts.maxRawSize ?? DEFAULT_MAX_RAW_SIZE;
  if (h.compSize < HEADER - 4 || h.compSize > buf.length - 4) {
    throw new RtfCompressionError(RTF_TRUNCATED, `COMPSIZE ${h.compSize} does not fit ${buf.length} bytes`);
  }
  if (h.rawSize > max) throw new RtfCompressionError(RTF_TOO_LARGE, `RAWSIZE ${h.rawSize} over the limit ${max}`);
  const end = h.compSize + 4;
  if (h.compType === COMPTYPE_UNCOMPRESSED) {
    if (h.rawSize > end - HEADER) {
      throw new RtfCompressionError(RTF_TRUNCATED, `RAWSIZE ${h.rawSize} but ${end - HEADER} bytes of data`);
    }
    return Buffer.from(buf.subarray(HEADER, HEADER + h.rawSize));
  }
  if (h.compType !== COMPTYPE_COMPRESSED) {
    throw new RtfCompressionError(RTF_BAD_COMPTYPE, `COMPTYPE 0x${h.compType.toString(16)}`);
  }
  const crc = rtfCrc(buf, HEADER, end);
  if (crc !== h.crc) throw new RtfCompressionError(RTF_CRC, `CRC 0x${crc.toString(16)} != 0x${h.crc.toString(16)}`);

  const dict = new Uint8Array(DICT);
  dict.set(RTF_PREFIX);
  let wp = RTF_PREFIX.length;
  const out = Buffer.alloc(h.rawSize);
  let n = 0;
  let i = HEADER;
  const overflow = (): never => {
    throw new RtfCompressionError(RTF_RAWSIZE, `output exceeds RAWSIZE ${h.rawSize}`);
  };
  outer: while (i < end) {
    const control = buf[i++] as number;
    for (let bit = 0; bit < 8; bit++) {
      if (i >= end) break outer;
      if ((control & (1 << bit)) === 0) {
        if (n >= h.rawSize) overflow();
        const c = buf[i++] as number;
        out[n++] = c;
        dict[wp] = c;
        wp = (wp + 1) & MASK;
        continue;
      }
      if (i + 1 >= end) throw new RtfCompressionError(RTF_TRUNCATED, 'reference cut short');
      const ref = ((buf[i] as number) << 8) | (buf[i + 1] as number);
      i += 2;
      let rp = ref >>> 4;
      if (rp === wp) {
        if (n !== h.rawSize) {
          throw new RtfCompressionError(RTF_RAWSIZE, `stream ended after ${n} of RAWSIZE ${h.rawSize} bytes`);
        }
        return out;
      }
      const len = (ref & 0x0f) + 2;
      if (n + len > h.rawSize) overflow();
      for (let k = 0; k < len; k++) {
        const c = dict[rp] as number;
        out[n++] = c;
        dict[wp] = c;
        wp = (wp + 1) & MASK;
        rp = (rp + 1) & MASK;
      }
    }
  }
  if (n !== h.rawSize) throw new RtfCompressionError(RTF_TRUNCATED, `input ended after ${n} of RAWSIZE ${h.rawSize} bytes`);
  return out;
}

function header(body: Buffer, rawSize: number, compType: number, crc: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt32LE(body.length + 12, 0);
  h.writeUInt32LE(rawSize, 4);
  h.writeUInt32LE(compType, 8);
  h.writeUInt32LE(crc, 12);
  return Buffer.concat([h, body]);
}

/** MS-OXRTFCP 2.1.3.1.1: the UNCOMPRESSED ("MELA") form, CRC 0. */
export function storeRtfUncompressed(rtf: Uint8Array): Buffer {
  return header(Buffer.from(rtf), rtf.length, COMPTYPE_UNCOMPRESSED, 0);
}

/** MS-OXRTFCP 3.2: the COMPRESSED ("LZFu") form of `rtf`. */
export function compressRtf(rtf: Uint8Array): Buffer {
  const P = RTF_PREFIX.length;
  const s = new Uint8Array(P + rtf.length); // the stream the dictionary sees: prefix, then the data
  s.set(RTF_PREFIX);
  s.set(rtf, P);
  const total = s.length;
  const head = new Int32Array(65536).fill(-1);
  const prev = new Int32Array(DICT).fill(-1); // by absolute position & MASK
  const insert = (p: number): void => {
    if (p + 1 >= total) return;
    const key = ((s[p] as number) << 8) | (s[p + 1] as number);
    prev[p & MASK] = head[key] as number;
    head[key] = p;
  };
  for (let p = 0; p < P; p++) insert(p);

  const out: number[] = [];
  let controlAt = -1;
  let bit = 8;
  const token = (isRef: boolean): void => {
    if (bit === 8) {
      controlAt = out.length;
      out.push(0);
      bit = 0;
    }
    if (isRef) out[controlAt] = (out[controlAt] as number) | (1 << bit);
    bit++;
  };

  let cur = P;
  while (cur < total) {
    const maxLen = Math.min(MAX_MATCH, total - cur);
    let bestLen = 0;
    let bestPos = -1;
    if (maxLen >= 2) {
      let c = head[((s[cur] as number) << 8) | (s[cur + 1] as number)] as number;
      let steps = 0;
      while (c >= 0 && c > cur - DICT && steps++ < CHAIN_LIMIT) {
        let l = 0;
        while (l < maxLen && s[c + l] === s[cur + l]) l++;
        if (l >= bestLen && l >= 2) {
          bestLen = l;
          bestPos = c;
        }
        const next = prev[c & MASK] as number;
        if (next >= c) break; // a slot reused by a newer position: the chain is done
        c = next;
      }
    }
    if (bestLen >= 2) {
      token(true);
      const ref = ((bestPos & MASK) << 4) | (bestLen - 2);
      out.push(ref >>> 8, ref & 0xff);
      for (let k = 0; k < bestLen; k++) insert(cur + k);
      cur += bestLen;
    } else {
      token(false);
      out.push(s[cur] as number);
      insert(cur);
      cur++;
    }
  }
  token(true);
  const endRef = (cur & MASK) << 4;
  out.push(endRef >>> 8, endRef & 0xff);
  const body = Buffer.from(out);
  return header(body, rtf.length, COMPTYPE_COMPRESSED, rtfCrc(body));
}
