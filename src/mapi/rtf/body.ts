// Best-body helpers for the message backends: PidTagRtfCompressed produced from PidTagHtml / PidTagBody (MS-OXRTFEX
// encapsulation, MS-OXRTFCP compression), the bodies recovered from a PidTagRtfCompressed that Outlook wrote, and
// PidTagNativeBody (MS-OXCMSG 2.2.1.58.2: 1 plain text, 2 RTF, 3 HTML; 0 undefined) chosen as MS-OXBBODY 2.1.3.1's
// best body algorithm does.
//
// Choices where the specs leave room:
// - bodiesFromRtf returns the HTML encoded in `opts.cpid` (the message's PidTagInternetCodepage) when given and able
//   to carry every character, else in the RTF's \ansicpg when able, else UTF-8 (65001); `cpid` says which.
// - `text` of an HTML-encapsulating RTF is what an RTF reader shows (the \htmlrtf parts, no tags), with CRLF lines.
// - nativeBody: an RTF that is in sync (PidTagRtfInSync TRUE), or the only body, wins and counts as HTML or plain
//   text when it encapsulates one (MS-OXBBODY 2.1.3.1 step 3); otherwise PidTagHtml, then PidTagBody. An RTF value
//   that cannot be read counts as absent.
import { decode as cpDecode, encode as cpEncode, CP_UTF8, isSupported } from '../codepage.js';
import { compressRtf, decompressRtf, type DecompressOptions } from './lzfu.js';
import { deencapsulateHtml, deencapsulateText, encapsulateHtml, encapsulateText, rtfInfo, rtfToText } from './encap.js';
import { isOcError } from '../../util/errors.js';

export const NATIVE_BODY_UNDEFINED = 0;
export const NATIVE_BODY_PLAIN = 1;
export const NATIVE_BODY_RTF = 2;
export const NATIVE_BODY_HTML = 3;

/** Compressed RTF (PidTagRtfCompressed) encapsulating `html`, whose bytes are in code page `cpid`. */
export function rtfFromHtml(html: Buffer, cpid: number): Buffer {
  const str = cpDecode(html, isSupported(cpid) ? cpid : CP_UTF8);
  return compressRtf(encapsulateHtml(str, cpid));
}

/** Compressed RTF (PidTagRtfCompressed) encapsulating plain `text`. */
export function rtfFromText(text: string, cpid = 1252): Buffer {
  return compressRtf(encapsulateText(text, cpid));
}

export interface RtfBodies {
  /** The de-encapsulated HTML, for kind 'html'. */
  html?: Buffer;
  /** Code page of `html`. */
  cpid?: number;
  /** Plain text (PidTagBody). */
  text: string;
  kind: 'html' | 'text' | 'rtf';
}

function encodeExact(s: string, cpid: number): Buffer | undefined {
  if (!isSupported(cpid)) return undefined;
  const b = cpEncode(s, cpid);
  return cpDecode(b, cpid) === s ? b : undefined;
}

/** The bodies a PidTagRtfCompressed value carries. */
export function bodiesFromRtf(compressed: Uint8Array, opts: DecompressOptions & { cpid?: number } = {}): RtfBodies {
  const rtf = decompressRtf(compressed, opts);
  const info = rtfInfo(rtf);
  if (info.from === 'html') {
    const s = deencapsulateHtml(rtf);
    for (const cp of [opts.cpid, info.ansiCpg]) {
      if (cp === undefined) continue;
      const b = encodeExact(s, cp);
      if (b !== undefined) return { html: b, cpid: cp, text: rtfToText(rtf), kind: 'html' };
    }
    return { html: Buffer.from(s, 'utf8'), cpid: CP_UTF8, text: rtfToText(rtf), kind: 'html' };
  }
  if (info.from === 'text') return { text: deencapsulateText(rtf), kind: 'text' };
  return { text: rtfToText(rtf), kind: 'rtf' };
}

export interface BodyValues {
  /** PidTagBody present (any value). */
  body?: string | Buffer | undefined;
  /** PidTagHtml. */
  html?: Buffer | undefined;
  /** PidTagRtfCompressed. */
  rtfCompressed?: Uint8Array | undefined;
  /** PidTagRtfInSync. */
  rtfInSync?: boolean | undefined;
}

function rtfKind(v: Uint8Array): number | undefined {
  try {
    const info = rtfInfo(decompressRtf(v));
    return info.from === 'html' ? NATIVE_BODY_HTML : info.from === 'text' ? NATIVE_BODY_PLAIN : NATIVE_BODY_RTF;
  } catch (e) {
    if (isOcError(e)) return undefined; // unreadable RTF: as if absent (stated in the header comment)
    throw e;
  }
}

/** PidTagNativeBody for a message with these body properties (MS-OXCMSG 2.2.1.58.2, MS-OXBBODY 2.1.3.1). */
export function nativeBody(values: BodyValues): number {
  const rtf = values.rtfCompressed !== undefined ? rtfKind(values.rtfCompressed) : undefined;
  if (rtf !== undefined && values.rtfInSync === true) return rtf;
  if (values.html !== undefined) return NATIVE_BODY_HTML;
  if (values.body !== undefined) return NATIVE_BODY_PLAIN;
  if (rtf !== undefined) return rtf;
  return NATIVE_BODY_UNDEFINED;
}
