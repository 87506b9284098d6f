// MS-OXDSCLI Autodiscover request (POX): <Autodiscover><Request> with EMailAddress or LegacyDN and
// AcceptableResponseSchema. Read tolerantly (any namespace or prefix, any case of element names, http or https in
// the schema URI, UTF-8 or UTF-16 with a byte order mark, Latin-1 when declared) but safely: bounded size, no DTD,
// no entity expansion (see xml.ts).
import { ProtocolError } from '../util/errors.js';
import { childrenNamed, DEFAULT_XML_LIMITS, parseXml, XmlError } from './xml.js';

/** The request namespace of the MS-OXDSCLI request (clients also send it without a namespace). */
export const REQUEST_SCHEMA_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
/** The only AcceptableResponseSchema this server answers (MS-OXDSCLI AcceptableResponseSchema). */
export const OUTLOOK_RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

/** Largest request body accepted (bytes); a real one is a few hundred. */
export const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_EMAIL_CHARS = 320;
const MAX_LEGACY_DN_CHARS = 1024;
const MAX_SCHEMA_CHARS = 256;

export interface AutodiscoverRequest {
  /** EMailAddress, trimmed; null when absent. */
  emailAddress: string | null;
  /** LegacyDN, trimmed; null when absent. */
  legacyDN: string | null;
  /** AcceptableResponseSchema as sent (trimmed); null when absent. */
  acceptableResponseSchema: string | null;
}

/** OC_AUTODISCOVER_*: a request body that is not an Autodiscover request this server can read (ErrorCode 600). */
export class AutodiscoverRequestError extends ProtocolError {}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

function bad(code: string, message: string): never {
  throw new AutodiscoverRequestError(code, message);
}

/** The encoding named in an XML declaration at the start of 8-bit text, lower-cased; null when none. */
function declaredEncoding(body: Buffer): string | null {
  const head = body.subarray(0, 200).toString('latin1');
  const m = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([A-Za-z0-9._-]{1,40})\1/.exec(head);
  return m ? m[2]!.toLowerCase() : null;
}

/** Decodes a request body to text by byte order mark, else by the XML declaration (UTF-8 by default). */
export function decodeBody(body: Buffer): string {
  try {
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return utf8.decode(body.subarray(3));
    if (body[0] === 0xff && body[1] === 0xfe) return utf16le.decode(body.subarray(2));
    if (body[0] === 0xfe && body[1] === 0xff) return utf16be.decode(body.subarray(2));
    if (body[0] === 0x3c && body[1] === 0x00) return utf16le.decode(body);
    if (body[0] === 0x00 && body[1] === 0x3c) return utf16be.decode(body);
  } catch {
    bad('OC_AUTODISCOVER_ENCODING', 'the body is not valid UTF-8 or UTF-16');
  }
  const enc = declaredEncoding(body) ?? 'utf-8';
  switch (enc) {
    case 'utf-8':
    case 'utf8':
      try {
        return utf8.decode(body);
      } catch {
        return bad('OC_AUTODISCOVER_ENCODING', 'the body is not valid UTF-8');
      }
    case 'us-ascii':
    case 'ascii':
      if (body.some((b) => b > 0x7f)) bad('OC_AUTODISCOVER_ENCODING', 'the body is not ASCII as declared');
      return body.toString('latin1');
    case 'iso-8859-1':
    case 'latin1':
    case 'l1':
      return body.toString('latin1');
    default:
      return bad('OC_AUTODISCOVER_ENCODING', `unsupported encoding "${enc}"`);
  }
}

/** True for the outlook response schema, compared case-insensitively and with http or https. */
export function isOutlookSchema(uri: string): boolean {
  return uri.trim().toLowerCase().replace(/^https:/, 'http:') === OUTLOOK_RESPONSE_SCHEMA;
}

/**
 * Reads an Autodiscover POX request body. Throws AutodiscoverRequestError (or its XmlError sibling, both
 * ProtocolError) for anything that is not one: the caller answers those with ErrorCode 600.
 */
export function parseAutodiscoverRequest(body: Buffer): AutodiscoverRequest {
  if (body.length === 0) bad('OC_AUTODISCOVER_EMPTY', 'empty request body');
  if (body.length > MAX_REQUEST_BYTES) bad('OC_AUTODISCOVER_TOO_LARGE', `request body over ${MAX_REQUEST_BYTES} bytes`);
  const text = decodeBody(body);
  const root = parseXml(text, { ...DEFAULT_XML_LIMITS, maxChars: MAX_REQUEST_BYTES });
  if (root.name.toLowerCase() !== 'autodiscover') bad('OC_AUTODISCOVER_NOT_AUTODISCOVER', `root element is "${root.name}"`);
  const requests = childrenNamed(root, 'Request');
  if (requests.length !== 1) bad('OC_AUTODISCOVER_REQUEST_COUNT', `${requests.length} Request elements`);
  const req = requests[0]!;
  const one = (name: string, max: number): string | null => {
    const els = childrenNamed(req, name);
    if (els.length > 1) bad('OC_AUTODISCOVER_DUPLICATE', `more than one ${name}`);
    if (els.length === 0) return null;
    const v = els[0]!.text.trim();
    if (v.length > max) bad('OC_AUTODISCOVER_TOO_LONG', `${name} longer than ${max} characters`);
    return v === '' ? null : v;
  };
  const emailAddress = one('EMailAddress', MAX_EMAIL_CHARS);
  const legacyDN = one('LegacyDN', MAX_LEGACY_DN_CHARS);
  const acceptableResponseSchema = one('AcceptableResponseSchema', MAX_SCHEMA_CHARS);
  if (emailAddress === null && legacyDN === null) bad('OC_AUTODISCOVER_NO_ADDRESS', 'neither EMailAddress nor LegacyDN');
  return { emailAddress, legacyDN, acceptableResponseSchema };
}

export { XmlError };
