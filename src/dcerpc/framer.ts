// Splits a byte stream into whole PDUs using frag_length (C706 12.6.1), without trusting it beyond the limit.
import { COMMON_HEADER_SIZE } from './constants.js';
import { PduError, peekFragLength } from './pdu.js';

export class PduFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** @param maxFrag the largest frag_length accepted right now (it changes after bind). */
  constructor(private readonly maxFrag: () => number) {}

  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Adds bytes and returns every PDU now complete. Throws PduError when a header announces a frag_length
   * below the header size or above the limit: the stream cannot be trusted after that.
   */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    if (this.buffered === 0) return this.pushWhole(chunk);
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 10) break;
      const fragLength = this.checkedLength(this.peek(10), 0);
      if (this.buffered < fragLength) break;
      out.push(this.take(fragLength));
    }
    return out;
  }

  /**
   * Nothing buffered: PDUs are cut straight out of the chunk, and a chunk that is exactly one PDU (a client
   * waiting for each answer sends nothing else) is returned as it is, with no view or queue entry.
   */
  private pushWhole(chunk: Buffer): Buffer[] {
    const n = chunk.length;
    // `[chunk]` is sized at once; pushing into `[]` allocates room for 17 elements (~190 bytes per PDU).
    if (n >= 10 && this.checkedLength(chunk, 0) === n) return [chunk];
    const out: Buffer[] = [];
    let off = 0;
    while (n - off >= 10) {
      const fragLength = this.checkedLength(chunk, off);
      if (n - off < fragLength) break;
      out.push(chunk.subarray(off, off + fragLength));
      off += fragLength;
    }
    if (off < n) {
      this.chunks.push(off === 0 ? chunk : chunk.subarray(off));
      this.buffered = n - off;
    }
    return out;
  }

  private checkedLength(head: Buffer, off: number): number {
    const fragLength = peekFragLength(head, off);
    if (fragLength < COMMON_HEADER_SIZE) {
      throw new PduError('OC_PDU_FRAG_LENGTH', `frag_length ${fragLength} is shorter than the PDU header`);
    }
    const max = this.maxFrag();
    if (fragLength > max) {
      throw new PduError('OC_PDU_FRAG_TOO_LONG', `frag_length ${fragLength} exceeds the limit ${max}`);
    }
    return fragLength;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] as Buffer;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    let pdu: Buffer;
    if (first.length >= n) {
      // A view, no copy: transport chunks are ours alone, and unsealing in place only touches this PDU's bytes.
      pdu = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      pdu = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0] as Buffer;
        const k = Math.min(c.length, n - off);
        c.copy(pdu, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return pdu;
  }
}
