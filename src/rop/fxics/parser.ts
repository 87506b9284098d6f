// MS-OXCFXICS 2.2.4.1 incremental parser of uploaded FastTransfer streams (RopFastTransferDestinationPutBuffer /
// PutBufferExtended, ICS upload): push(buffer) returns the elements completed by that buffer; a value may be split
// across buffers at any byte. Lexical checks only: every tag is a marker or a property of a type with a stream form,
// named-property info well formed, lengths and counts within the limits, no bytes left over at end(). The order of
// markers (the syntactic grammar of 2.2.4.2/2.2.4.3) is the caller's: K3's destination ROPs and K5's ICS upload check
// it for their own element (FxNestingChecker below checks only that Start/End markers pair up).
//
// Choices where the spec leaves room:
// - A PropertyId >= 0x8000 always carries namedPropInfo (also for meta-properties, which are all < 0x8000).
// - A string name in namedPropInfo is at most `maxNameBytes` (default 1024) bytes before its NUL terminator.
// - MetaTagIdsetGiven arrives as 0x40170003 (read as binary, MS-OXCFXICS 2.2.1.1.1) or 0x40170102; both are
//   reported with the tag MetaTag.MetaTagIdsetGiven.
// - A var-size value is held whole until complete (bounded by maxValueSize); big uploads are bounded by that limit.
import { MV_FLAG, PT, makeTag, propId, type PropValue } from '../../mapi/props.js';
import { MNID_ID, MNID_STRING, type PropertyName } from '../../mapi/named.js';
import { readGuid } from '../../util/guid.js';
import { CP_DEFAULT, isSupported as cpSupported } from '../../mapi/codepage.js';
import { isMarker, Marker, MetaTag, MetaTagIdsetGivenBinary, describeTag, wireValueType } from './markers.js';
import { CP_UTF16LE, DEFAULT_FX_LIMITS, FxStreamError, isCodePageReadable, decodeFixed, decodeVar, fixedSize, isCodePageType, isFxPropType, codePageOfType, type FxDecodeLimits, type FxElement, type FxProp } from './props.js';

export interface FxParserOptions extends Partial<FxDecodeLimits> {
  /** Code page of PtypString8 values (the connection's). */
  codePage?: number;
  /** Longest namedPropInfo name in bytes (without terminator). */
  maxNameBytes?: number;
}

/** FIFO of received bytes with exact-size takes. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Exactly n bytes, or null when fewer are queued (a view of the received buffer when one holds them whole). */
  take(n: number): Buffer | null {
    const b = this.takeAt(n);
    return b && (b.length === n ? b : b.subarray(this.at, this.at + n));
  }

  /** Offset in the buffer takeAt returned of the bytes it took. */
  at = 0;

  /**
   * Exactly n bytes as a buffer and an offset (`at`) into it, or null when fewer are queued: the received buffer
   * itself when it holds them whole (no view allocated: fixed-size values, tags and lengths are read in place),
   * else a copy of exactly n bytes (at 0).
   */
  takeAt(n: number): Buffer | null {
    if (this.length < n) return null;
    const first = this.chunks[0];
    if (first && first.length - this.head >= n) {
      this.at = this.head;
      this.head += n;
      this.length -= n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(n - got, c.length - this.head);
      c.copy(out, got, this.head, this.head + k);
      got += k;
      this.head += k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= n;
    this.at = 0;
    return out;
  }

  /** Position of the first 0x0000 UTF-16 unit at an even offset, searching at most `limit` bytes; -1 if none yet. */
  findWideNul(limit: number): number {
    let off = 0;
    let prev = -1;
    let ci = 0;
    let pos = this.head;
    while (off < Math.min(this.length, limit + 2)) {
      const c = this.chunks[ci];
      if (!c) break;
      if (pos >= c.length) {
        ci++;
        pos = 0;
        continue;
      }
      const v = c[pos] as number;
      if (off % 2 === 1 && prev === 0 && v === 0) return off - 1;
      prev = v;
      off++;
      pos++;
    }
    return -1;
  }
}

type State =
  | { s: 'tag' }
  | { s: 'guid'; tag: number }
  | { s: 'lid'; tag: number; guid: string }
  | { s: 'name'; tag: number; guid: string }
  | { s: 'value'; tag: number; name?: PropertyName }
  | { s: 'len'; tag: number; name?: PropertyName }
  | { s: 'bytes'; tag: number; name?: PropertyName; len: number }
  | { s: 'count'; tag: number; name?: PropertyName }
  | { s: 'mv'; tag: number; name?: PropertyName; count: number; values: unknown[]; len: number | undefined };

/** The state between elements (shared: states without fields are never changed). */
const AT_TAG: State = { s: 'tag' };

/** The incremental FastTransfer stream parser of one upload. */
export class FxStreamParser {
  private readonly q = new ByteQueue();
  private st: State = AT_TAG;
  private readonly limits: FxDecodeLimits;
  private readonly codePage: number;
  private readonly maxNameBytes: number;
  private broken: FxStreamError | undefined;
  /** Bytes consumed so far (offset of the next unparsed byte; for error messages). */
  offset = 0;

  constructor(opts: FxParserOptions = {}) {
    this.limits = { maxValueSize: opts.maxValueSize ?? DEFAULT_FX_LIMITS.maxValueSize, maxMvCount: opts.maxMvCount ?? DEFAULT_FX_LIMITS.maxMvCount };
    this.codePage = opts.codePage !== undefined && cpSupported(opts.codePage) ? opts.codePage : CP_DEFAULT;
    this.maxNameBytes = opts.maxNameBytes ?? 1024;
  }

  /** Bytes received but not yet part of a complete element. */
  get pending(): number {
    return this.q.length;
  }

  /** True between elements (nothing partial held): end() would succeed. */
  get atBoundary(): boolean {
    return this.st.s === 'tag' && this.q.length === 0;
  }

  /**
   * Feeds the next buffer; returns the elements it completed, in order. Malformed input: FxStreamError (codes
   * OC_FX_PROPTYPE unknown tag type, OC_FX_CODEPAGE CodePageString of an unsupported code page, OC_FX_NAME bad
   * namedPropInfo, OC_FX_LENGTH value or count over the limits, OC_FX_STRING bad string); after an error every later call throws the same error.
   */
  push(chunk: Uint8Array): FxElement[] {
    if (this.broken) throw this.broken;
    this.q.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const out: FxElement[] = [];
    try {
      while (this.step(out));
    } catch (e) {
      if (e instanceof FxStreamError) this.broken = e;
      throw e;
    }
    return out;
  }

  /** The stream is complete: throws FxStreamError OC_FX_TRUNCATED when an element is unfinished. */
  end(): void {
    if (this.broken) throw this.broken;
    if (!this.atBoundary) {
      this.broken = new FxStreamError('OC_FX_TRUNCATED', `stream ends inside an element (${this.q.length} bytes pending at offset ${this.offset}, state ${this.st.s})`);
      throw this.broken;
    }
  }

  private take(n: number): Buffer | null {
    const b = this.q.take(n);
    if (b) this.offset += n;
    return b;
  }

  /** take() read in place: the bytes are at this.q.at of the buffer returned. */
  private takeAt(n: number): Buffer | null {
    const b = this.q.takeAt(n);
    if (b) this.offset += n;
    return b;
  }

  private fail(code: string, msg: string): never {
    throw new FxStreamError(code, `${msg} at stream offset ${this.offset}`);
  }

  private emit(out: FxElement[], tag: number, value: PropValue, name: PropertyName | undefined): void {
    const t = tag >>> 0 === MetaTagIdsetGivenBinary ? MetaTag.MetaTagIdsetGiven : tag >>> 0;
    const type = wireValueType(t);
    const el: FxProp = { kind: 'prop', tag: t, value };
    if (isCodePageType(type)) {
      const cp = codePageOfType(type);
      if (cp === CP_UTF16LE) el.tag = makeTag(propId(t), PT.UNICODE);
      else {
        el.codePage = cp;
        el.tag = makeTag(propId(t), PT.STRING8);
      }
    }
    if (name) el.name = name;
    out.push(el);
    this.st = AT_TAG;
  }

  /** One state transition; false when more bytes are needed. */
  private step(out: FxElement[]): boolean {
    const st = this.st;
    switch (st.s) {
      case 'tag': {
        const b = this.takeAt(4);
        if (!b) return false;
        const tag = b.readUInt32LE(this.q.at);
        if (isMarker(tag)) {
          out.push({ kind: 'marker', tag });
          return true;
        }
        const type = tag === MetaTagIdsetGivenBinary ? 0x0102 : wireValueType(tag);
        if (!isFxPropType(type)) this.fail('OC_FX_PROPTYPE', `tag ${describeTag(tag)} is neither a marker nor a property with a stream form`);
        if (isCodePageType(type) && !isCodePageReadable(codePageOfType(type))) this.fail('OC_FX_CODEPAGE', `tag ${describeTag(tag)}: code page ${codePageOfType(type)} is not supported`);
        this.st = propId(tag) >= 0x8000 ? { s: 'guid', tag } : { s: 'value', tag };
        return true;
      }
      case 'guid': {
        const b = this.takeAt(17);
        if (!b) return false;
        const at = this.q.at;
        const guid = readGuid(b, at);
        const kind = b[at + 16];
        if (kind === MNID_ID) this.st = { s: 'lid', tag: st.tag, guid };
        else if (kind === MNID_STRING) this.st = { s: 'name', tag: st.tag, guid };
        else this.fail('OC_FX_NAME', `namedPropInfo Kind 0x${(kind ?? 0).toString(16)}`);
        return true;
      }
      case 'lid': {
        const b = this.takeAt(4);
        if (!b) return false;
        this.st = { s: 'value', tag: st.tag, name: { guid: st.guid, lid: b.readUInt32LE(this.q.at) } };
        return true;
      }
      case 'name': {
        const at = this.q.findWideNul(this.maxNameBytes);
        if (at < 0) {
          if (this.q.length >= this.maxNameBytes + 2) this.fail('OC_FX_NAME', `namedPropInfo name longer than ${this.maxNameBytes} bytes`);
          return false;
        }
        const b = this.take(at + 2) as Buffer;
        this.st = { s: 'value', tag: st.tag, name: { guid: st.guid, name: b.subarray(0, at).toString('utf16le') } };
        return true;
      }
      case 'value': {
        const type = wireValueType(st.tag === MetaTagIdsetGivenBinary ? MetaTag.MetaTagIdsetGiven : st.tag);
        if (type & MV_FLAG && !isCodePageType(type)) {
          this.st = { s: 'count', tag: st.tag, ...(st.name ? { name: st.name } : {}) };
          return true;
        }
        const n = fixedSize(type);
        if (n > 0) {
          const b = this.takeAt(n);
          if (!b) return false;
          this.emit(out, st.tag, decodeFixed(type, b, this.q.at), st.name);
          return true;
        }
        this.st = { s: 'len', tag: st.tag, ...(st.name ? { name: st.name } : {}) };
        return true;
      }
      case 'len': {
        const b = this.takeAt(4);
        if (!b) return false;
        const len = b.readUInt32LE(this.q.at);
        if (len > this.limits.maxValueSize) this.fail('OC_FX_LENGTH', `value of ${describeTag(st.tag)} is ${len} bytes, over the ${this.limits.maxValueSize}-byte limit`);
        this.st = { s: 'bytes', tag: st.tag, len, ...(st.name ? { name: st.name } : {}) };
        return true;
      }
      case 'bytes': {
        const b = this.take(st.len);
        if (!b) return false;
        const type = wireValueType(st.tag === MetaTagIdsetGivenBinary ? MetaTag.MetaTagIdsetGiven : st.tag);
        this.emit(out, st.tag, decodeVar(type, b, this.codePage), st.name);
        return true;
      }
      case 'count': {
        const b = this.takeAt(4);
        if (!b) return false;
        const count = b.readUInt32LE(this.q.at);
        if (count > this.limits.maxMvCount) this.fail('OC_FX_LENGTH', `${count} values of ${describeTag(st.tag)}, over the limit of ${this.limits.maxMvCount}`);
        this.st = { s: 'mv', tag: st.tag, count, values: [], len: undefined, ...(st.name ? { name: st.name } : {}) };
        return true;
      }
      case 'mv': {
        if (st.values.length === st.count) {
          this.emit(out, st.tag, st.values as PropValue, st.name);
          return true;
        }
        const single = wireValueType(st.tag) & ~MV_FLAG;
        const n = fixedSize(single);
        if (n > 0) {
          const b = this.takeAt(n);
          if (!b) return false;
          st.values.push(decodeFixed(single, b, this.q.at));
          return true;
        }
        if (st.len === undefined) {
          const b = this.takeAt(4);
          if (!b) return false;
          const len = b.readUInt32LE(this.q.at);
          if (len > this.limits.maxValueSize) this.fail('OC_FX_LENGTH', `a value of ${describeTag(st.tag)} is ${len} bytes, over the ${this.limits.maxValueSize}-byte limit`);
          st.len = len;
          return true;
        }
        const b = this.take(st.len);
        if (!b) return false;
        st.values.push(decodeVar(single, b, this.codePage));
        st.len = undefined;
        return true;
      }
    }
  }
}

/** Parses a whole stream held in memory (tests, small uploads). */
export function parseAll(bytes: Uint8Array, opts?: FxParserOptions): FxElement[] {
  const p = new FxStreamParser(opts);
  const out = p.push(bytes);
  p.end();
  return out;
}

const PAIRS: ReadonlyMap<number, readonly number[]> = new Map([
  [Marker.EndFolder, [Marker.StartTopFld, Marker.StartSubFld]],
  [Marker.EndMessage, [Marker.StartMessage, Marker.StartFAIMsg]],
  [Marker.EndEmbed, [Marker.StartEmbed]],
  [Marker.EndAttach, [Marker.NewAttach]],
  [Marker.EndToRecip, [Marker.StartRecip]],
]);
const OPENERS: ReadonlySet<number> = new Set([Marker.StartTopFld, Marker.StartSubFld, Marker.StartMessage, Marker.StartFAIMsg, Marker.StartEmbed, Marker.NewAttach, Marker.StartRecip]);

/**
 * Checks only that Start/End markers nest (StartTopFld|StartSubFld..EndFolder, StartMessage|StartFAIMsg..EndMessage,
 * StartEmbed..EndEmbed, NewAttach..EndAttach, StartRecip..EndToRecip), up to `maxDepth` levels. The full grammar
 * (MS-OXCFXICS 2.2.4.3) is the element consumer's. Throws FxStreamError OC_FX_GRAMMAR.
 */
export class FxNestingChecker {
  private readonly stack: number[] = [];

  constructor(private readonly maxDepth = 64) {}

  get depth(): number {
    return this.stack.length;
  }

  /** Feeds one element (property elements are ignored). */
  feed(el: FxElement): void {
    if (el.kind !== 'marker') return;
    if (OPENERS.has(el.tag)) {
      if (this.stack.length >= this.maxDepth) throw new FxStreamError('OC_FX_GRAMMAR', `nesting deeper than ${this.maxDepth}`);
      this.stack.push(el.tag);
      return;
    }
    const openers = PAIRS.get(el.tag);
    if (!openers) return;
    const top = this.stack[this.stack.length - 1];
    if (top === undefined || !openers.includes(top)) throw new FxStreamError('OC_FX_GRAMMAR', `${describeTag(el.tag)} without its start marker`);
    this.stack.pop();
  }

  /** The stream ended: every started element must have ended. */
  end(): void {
    if (this.stack.length > 0) throw new FxStreamError('OC_FX_GRAMMAR', `${describeTag(this.stack[this.stack.length - 1] as number)} not closed`);
  }
}
