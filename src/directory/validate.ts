// Checks on what the admin commands and the self-service calls store in the built-in directory: names, display
// names, SMTP and proxy addresses, person attributes, certificates and delegates. Every check throws a coded
// DirectoryError naming the value that is wrong.
import { DirectoryError, DirectoryErrorCode } from './errors.js';
import type { PersonAttributes } from './types.js';

export const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const SMTP_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/;
export const MAX_PASSWORD_LENGTH = 256;
export const MAX_DISPLAY_NAME = 256;
export const MAX_ATTRIBUTE_LENGTH = 1024;
/** Proxy addresses besides the primary SMTP address, per recipient. */
export const MAX_ALIASES = 100;
export const MAX_CERTIFICATES = 32;
export const MAX_CERTIFICATE_BYTES = 32 * 1024;
export const MAX_DELEGATES = 1000;

/** Every PersonAttributes key, in the order the CLI and `user show` print them. */
export const PERSON_ATTRIBUTE_KEYS = [
  'givenName',
  'surname',
  'initials',
  'title',
  'department',
  'company',
  'office',
  'businessPhone',
  'mobilePhone',
  'homePhone',
  'fax',
  'streetAddress',
  'locality',
  'stateOrProvince',
  'postalCode',
  'country',
  'comment',
] as const satisfies readonly (keyof PersonAttributes)[];

// The list must name every key of PersonAttributes (a new attribute added to the contract fails to compile here).
type MissingKeys = Exclude<keyof PersonAttributes, (typeof PERSON_ATTRIBUTE_KEYS)[number]>;
const everyKeyListed: [MissingKeys] extends [never] ? true : MissingKeys = true;
void everyKeyListed;

/** Attributes whose values may span lines (an address block, a note). */
const MULTILINE = new Set<keyof PersonAttributes>(['streetAddress', 'comment']);

export function checkName(what: 'user' | 'group' | 'contact', name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new DirectoryError(
      DirectoryErrorCode.BAD_NAME,
      `invalid ${what} name ${JSON.stringify(name)}: use 1 to 64 letters, digits, ".", "_" or "-"`,
    );
  }
}

export function checkDisplayName(v: string): string {
  const t = typeof v === 'string' ? v.trim() : '';
  if (!t || t.length > MAX_DISPLAY_NAME || /[\u0000-\u001f\u007f]/.test(t)) {
    throw new DirectoryError(
      DirectoryErrorCode.BAD_VALUE,
      `invalid display name ${JSON.stringify(v)}: 1 to ${MAX_DISPLAY_NAME} characters without control characters`,
    );
  }
  return t;
}

export function checkSmtp(v: string): string {
  const t = typeof v === 'string' ? v.trim() : '';
  if (t.length > 254 || !SMTP_RE.test(t)) {
    throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `invalid SMTP address ${JSON.stringify(v)}`);
  }
  return t;
}

export function checkPassword(pw: string): void {
  if (typeof pw !== 'string' || pw.length === 0) {
    throw new DirectoryError(DirectoryErrorCode.WEAK_PASSWORD, 'the password must not be empty');
  }
  if (pw.length > MAX_PASSWORD_LENGTH) {
    throw new DirectoryError(DirectoryErrorCode.BAD_PASSWORD, `the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
}

/**
 * Checks and trims attribute values. Returns the entries to store: a value, or '' where the caller asked to clear
 * one. Unknown keys are refused (a typo would otherwise vanish silently).
 */
export function checkAttributes(attrs: PersonAttributes | undefined): Array<[keyof PersonAttributes, string]> {
  if (attrs === undefined || attrs === null) return [];
  if (typeof attrs !== 'object') throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, 'attributes must be an object');
  const known = new Set<string>(PERSON_ATTRIBUTE_KEYS);
  const out: Array<[keyof PersonAttributes, string]> = [];
  for (const [k, raw] of Object.entries(attrs)) {
    if (raw === undefined) continue;
    if (!known.has(k)) throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `unknown attribute ${JSON.stringify(k)}`);
    const key = k as keyof PersonAttributes;
    if (typeof raw !== 'string') throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `attribute ${k} must be a string`);
    const v = raw.trim();
    const bad = MULTILINE.has(key) ? /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
    if (v.length > MAX_ATTRIBUTE_LENGTH || bad.test(v)) {
      throw new DirectoryError(
        DirectoryErrorCode.BAD_VALUE,
        `invalid ${k} ${JSON.stringify(raw.length > 80 ? raw.slice(0, 80) + '...' : raw)}: at most ${MAX_ATTRIBUTE_LENGTH} characters` +
          (MULTILINE.has(key) ? ', no control characters but line breaks' : ', no control characters'),
      );
    }
    out.push([key, v]);
  }
  return out;
}

/** Merges checked entries into stored attributes; '' removes a key. Keys come out in PERSON_ATTRIBUTE_KEYS order. */
export function mergeAttributes(stored: PersonAttributes, changes: Array<[keyof PersonAttributes, string]>): PersonAttributes {
  const merged: PersonAttributes = { ...stored };
  for (const [k, v] of changes) {
    if (v) merged[k] = v;
    else delete merged[k];
  }
  const out: PersonAttributes = {};
  for (const k of PERSON_ATTRIBUTE_KEYS) if (merged[k]) out[k] = merged[k];
  return out;
}

const PROXY_RE = /^([A-Za-z0-9]{1,16}):(.*)$/s;

/**
 * A proxy address as stored: "smtp:alias@x" for an SMTP alias (given bare or with any-case smtp: prefix), else
 * "<TYPE>:<value>" as given (X500:/o=..., SIP:..., X400:...). The primary SMTP address is not a proxy of its own.
 */
export function normalizeProxy(v: string): string {
  if (typeof v !== 'string' || !v.trim()) throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, 'an empty address is not an alias');
  const t = v.trim();
  const m = PROXY_RE.exec(t);
  if (!m || (m[1] as string).toLowerCase() === 'smtp') return 'smtp:' + checkSmtp(m ? (m[2] as string) : t);
  const type = m[1] as string;
  const value = (m[2] as string).trim();
  if (!value || value.length > MAX_ATTRIBUTE_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `invalid ${type} address ${JSON.stringify(v)}`);
  }
  if (type.toLowerCase() === 'x500' && !value.startsWith('/')) {
    throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `invalid X500 address ${JSON.stringify(v)}: it must start with "/"`);
  }
  return `${type}:${value}`;
}

/** Reads a DER length at `off`; returns [length, header bytes] or null when malformed. */
function derLength(b: Buffer, off: number): [number, number] | null {
  if (off >= b.length) return null;
  const first = b[off] as number;
  if (first < 0x80) return [first, 1];
  const n = first & 0x7f;
  if (n === 0 || n > 4 || off + 1 + n > b.length) return null; // indefinite length is not DER
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (b[off + 1 + i] as number);
  if (len < 0x80 || (n > 1 && (b[off + 1] as number) === 0)) return null; // not the shortest form
  return [len, 1 + n];
}

/** True when b is exactly one DER SEQUENCE (what every X.509 certificate is); its content is not parsed. */
export function isDerSequence(b: Buffer): boolean {
  if (b.length < 2 || b[0] !== 0x30) return false;
  const l = derLength(b, 1);
  return l !== null && 1 + l[1] + l[0] === b.length;
}

export function checkCertificates(certs: Buffer[]): Buffer[] {
  if (!Array.isArray(certs)) throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, 'certificates must be a list');
  if (certs.length > MAX_CERTIFICATES) {
    throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `at most ${MAX_CERTIFICATES} certificates can be published (got ${certs.length})`);
  }
  return certs.map((c, i) => {
    if (!((c as unknown) instanceof Uint8Array)) {
      throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `certificate ${i + 1} is not binary data`);
    }
    const b = Buffer.from(c);
    if (b.length > MAX_CERTIFICATE_BYTES) {
      throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `certificate ${i + 1} is larger than ${MAX_CERTIFICATE_BYTES} bytes (${b.length})`);
    }
    if (!isDerSequence(b)) {
      throw new DirectoryError(DirectoryErrorCode.BAD_VALUE, `certificate ${i + 1} is not a DER-encoded X.509 certificate`);
    }
    return b;
  });
}
