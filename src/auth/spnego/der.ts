// X.690 DER, only what SPNEGO needs: single-byte tags, definite lengths (up to 4 length octets), OBJECT
// IDENTIFIER, ENUMERATED, OCTET STRING, BIT STRING, SEQUENCE and context/application tags. Every length is
// checked against the bytes left; decoding never allocates from a wire length. Long-form lengths that could have
// been shorter are accepted (BER leniency costs nothing here; the mechListMIC is computed over the bytes as
// received); indefinite lengths and multi-byte tags are refused.

import { AuthError, need } from '../errors.js';

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_ENUMERATED = 0x0a;
export const TAG_SEQUENCE = 0x30;
/** [APPLICATION 0] constructed: the GSS-API InitialContextToken (RFC 2743 3.1). */
export const TAG_APPLICATION_0 = 0x60;
/** [n] constructed context tag. */
export const contextTag = (n: number): number => 0xa0 | n;

/** Largest nesting a decoder may walk into (the SPNEGO schema needs 5). */
export const MAX_DEPTH = 8;

export interface Tlv {
  tag: number;
  /** Content octets. */
  value: Buffer;
  /** The whole element: tag, length and content. */
  raw: Buffer;
}

/** Reads one element at `at`; returns it and the offset after it. */
export function readTlv(buf: Buffer, at: number): { tlv: Tlv; next: number } {
  need(buf.length - at >= 2, 'DER element truncated');
  const tag = buf[at] as number;
  need((tag & 0x1f) !== 0x1f, 'DER multi-byte tags are not used by SPNEGO');
  let len = buf[at + 1] as number;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    need(n !== 0, 'DER indefinite length');
    need(n <= 4, 'DER length of more than 4 octets');
    need(buf.length - p >= n, 'DER length truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] as number);
    p += n;
  }
  need(len <= buf.length - p, 'DER length runs past the end of its container');
  return { tlv: { tag, value: buf.subarray(p, p + len), raw: buf.subarray(at, p + len) }, next: p + len };
}

/** Reads exactly one element filling `buf` completely. */
export function readOne(buf: Buffer): Tlv {
  const { tlv, next } = readTlv(buf, 0);
  need(next === buf.length, 'trailing bytes after DER element');
  return tlv;
}

/** The elements inside a constructed value, in order; `depth` is the nesting level of the container. */
export function children(container: Tlv, depth: number): Tlv[] {
  need(depth < MAX_DEPTH, 'DER nesting too deep');
  need((container.tag & 0x20) !== 0, 'DER primitive element where a constructed one is required');
  const out: Tlv[] = [];
  let at = 0;
  while (at < container.value.length) {
    const r = readTlv(container.value, at);
    out.push(r.tlv);
    at = r.next;
  }
  return out;
}

export function expectTag(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) {
    throw new AuthError('OC_AUTH_MALFORMED', `${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
  }
  return t;
}

/** A [n] EXPLICIT wrapper holding exactly one element. */
export function unwrapExplicit(t: Tlv, depth: number, what: string): Tlv {
  const inner = children(t, depth);
  need(inner.length === 1, `${what}: explicit tag must hold one element`);
  return inner[0] as Tlv;
}

export function decodeOid(t: Tlv): string {
  expectTag(t, TAG_OID, 'OBJECT IDENTIFIER');
  const b = t.value;
  need(b.length > 0 && b.length <= 64, 'OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let v = 0;
  let started = false;
  for (let i = 0; i < b.length; i++) {
    const byte = b[i] as number;
    need(started || byte !== 0x80, 'OBJECT IDENTIFIER arc with a leading zero octet');
    v = v * 128 + (byte & 0x7f);
    need(v <= 0xffffffff, 'OBJECT IDENTIFIER arc too large');
    started = true;
    if (!(byte & 0x80)) {
      if (arcs.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        arcs.push(first, v - first * 40);
      } else arcs.push(v);
      v = 0;
      started = false;
    }
  }
  need(!started, 'OBJECT IDENTIFIER ends inside an arc');
  return arcs.join('.');
}

export function decodeEnumerated(t: Tlv): number {
  expectTag(t, TAG_ENUMERATED, 'ENUMERATED');
  need(t.value.length >= 1 && t.value.length <= 4, 'ENUMERATED length');
  return t.value.readIntBE(0, t.value.length);
}

export function decodeOctetString(t: Tlv): Buffer {
  return expectTag(t, TAG_OCTET_STRING, 'OCTET STRING').value;
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, ...content: Buffer[]): Buffer {
  const value = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map((s) => Number(s));
  need(arcs.length >= 2 && arcs.every((a) => Number.isInteger(a) && a >= 0), `bad OID ${oid}`);
  const body: number[] = [];
  const push = (v: number) => {
    const out = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) out.unshift(0x80 | (v & 0x7f));
    body.push(...out);
  };
  push((arcs[0] as number) * 40 + (arcs[1] as number));
  for (const a of arcs.slice(2)) push(a);
  return encodeTlv(TAG_OID, Buffer.from(body));
}

export function encodeEnumerated(n: number): Buffer {
  return encodeTlv(TAG_ENUMERATED, Buffer.from([n & 0xff]));
}

export function encodeOctetString(b: Buffer): Buffer {
  return encodeTlv(TAG_OCTET_STRING, b);
}
