// Text decoding for MIME: charsets (RFC 2045 5.1 charset parameter, RFC 2046 4.1.2), RFC 2047 encoded-words
// (sections 2, 4, 5 and 6.2), RFC 2231 section 4 extended values (charset'language'%XX), and 8-bit header bytes.
//
// Choices where the RFCs leave room, as mail readers do:
// - charsets go through the WHATWG/ICU TextDecoder (Node 20 full ICU), except windows-1252 (and its WHATWG aliases
//   iso-8859-1, latin1) which Node 20's TextDecoder decodes as ISO-8859-1, so a table does it here; an unknown charset decodes as UTF-8 when the
//   bytes are valid UTF-8, else as latin1, and adds a warning; malformed bytes become U+FFFD.
// - 8-bit header bytes (RFC 6532 or raw legacy) decode as UTF-8 when valid, else latin1.
// - adjacent encoded-words separated only by whitespace are joined (RFC 2047 6.2); consecutive words in the same
//   charset are joined at byte level before decoding, so a multi-byte character split across two words survives.
// - an encoded-word that fails to decode (bad charset, bad encoding letter) is left as written.
// - encoded-words are recognised even when not whitespace-delimited (e.g. `foo=?utf-8?q?x?=`), as many readers do.

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** A charset label's canonical TextDecoder encoding name, or null when unknown. */
export function charsetEncoding(charset: string): string | null {
  const label = charset.trim().toLowerCase().replace(/^"|"$/g, '');
  if (label === '' || label === 'us-ascii' || label === 'ascii' || label === 'ansi_x3.4-1968') return 'utf-8'; // a superset; 8-bit bytes in "us-ascii" are nearly always UTF-8 or latin1
  try {
    return new TextDecoder(label).encoding;
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** Bytes as UTF-8 when they are valid UTF-8, else latin1. */
export function utf8OrLatin1(b: Uint8Array): string {
  try {
    return utf8Fatal.decode(b);
  } catch (e) {
    if (e instanceof TypeError) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
    throw e;
  }
}

/** Bytes in a charset; unknown charsets fall back to UTF-8/latin1 and push a warning. */
export function decodeCharset(b: Uint8Array, charset: string | undefined, warnings?: string[]): string {
  if (charset === undefined) return utf8OrLatin1(b);
  const enc = charsetEncoding(charset);
  if (enc === null) {
    warnings?.push(`unknown charset ${JSON.stringify(charset.slice(0, 40))}: decoded as UTF-8/latin1`);
    return utf8OrLatin1(b);
  }
  if (enc === 'utf-8' && charset.trim().toLowerCase().includes('ascii')) return utf8OrLatin1(b);
  if (enc === 'windows-1252') return decode1252(b);
  return new TextDecoder(enc).decode(b);
}

// windows-1252 0x80-0x9f (WHATWG index-windows-1252); undefined positions map to the C1 control of the same value.
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** windows-1252 by table: Node 20's TextDecoder decodes this label (and latin1, us-ascii) as ISO-8859-1. */
function decode1252(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 8192) {
    const chunk = Array.from(b.subarray(i, i + 8192), (c) => (c >= 0x80 && c <= 0x9f ? CP1252_HIGH[c - 0x80]! : String.fromCharCode(c)));
    out += chunk.join('');
  }
  return out;
}

/** RFC 2047 4.2 "Q" encoding (underscore is a space). */
function decodeQ(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) out.push(0x20);
    else if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Tolerant base64: characters outside the alphabet (and padding) are skipped, a dangling sextet dropped. */
export function decodeBase64Loose(s: string): { bytes: Buffer; clean: boolean } {
  const alpha = s.replace(/[^A-Za-z0-9+/]/g, '');
  const stripped = s.replace(/[\s=]/g, '');
  const usable = alpha.length - (alpha.length % 4 === 1 ? 1 : 0);
  const clean = alpha.length === stripped.length && alpha.length % 4 !== 1 && (s.replace(/\s/g, '').length % 4 === 0);
  return { bytes: Buffer.from(alpha.slice(0, usable), 'base64'), clean };
}

const EW = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** Decodes RFC 2047 encoded-words inside text (header text or a phrase); text outside them is kept as is. */
export function decodeWords(text: string): string {
  if (!text.includes('=?')) return text;
  let out = '';
  let last = 0;
  // a run of words: bytes in one charset waiting to be decoded
  let pend: { charset: string; bytes: Buffer[] } | null = null;
  const flush = (): void => {
    if (pend) out += decodeCharset(Buffer.concat(pend.bytes), pend.charset);
    pend = null;
  };
  EW.lastIndex = 0;
  for (let m = EW.exec(text); m !== null; m = EW.exec(text)) {
    const between = text.slice(last, m.index);
    const charset = m[1]!.split('*')[0]!; // RFC 2231 5: charset*language
    if (charsetEncoding(charset) === null) continue; // left as written
    const bytes = m[2]!.toUpperCase() === 'B' ? decodeBase64Loose(m[3]!).bytes : decodeQ(m[3]!);
    const adjacent = pend !== null && /^[ \t\r\n]*$/.test(between);
    if (adjacent && pend!.charset.toLowerCase() === charset.toLowerCase()) pend!.bytes.push(bytes);
    else {
      flush();
      if (!adjacent) out += between;
      pend = { charset, bytes: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + text.slice(last);
}

/** RFC 2231 4 extended-initial-value `charset'lang'%XX...`: the charset and the percent-decoded bytes. */
export function decode2231(value: string, withCharset: boolean): { charset: string | undefined; bytes: Buffer } {
  let charset: string | undefined;
  let rest = value;
  if (withCharset) {
    const m = /^([^']*)'[^']*'(.*)$/s.exec(value);
    if (m) {
      charset = m[1] || undefined;
      rest = m[2]!;
    }
  }
  const out: number[] = [];
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(rest.slice(i + 1, i + 3))) {
      out.push(parseInt(rest.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) out.push(c);
    else out.push(...Buffer.from(rest[i]!, 'utf8'));
  }
  return { charset, bytes: Buffer.from(out) };
}
