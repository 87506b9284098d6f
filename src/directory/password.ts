// Password storage for HTTP Basic: scrypt with a random 16-byte salt, stored as
// "scrypt$<N>$<r>$<p>$<salt b64>$<key b64>" so the parameters can be raised later without breaking old entries.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { OcError } from '../util/errors.js';

const N = 32768;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const SALT_LEN = 16;
const MAX_MEM = 256 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** The scrypt cost parameter N of new hashes (a power of two). */
export const DEFAULT_SCRYPT_N = N;

/** A new stored hash; `cost` (scrypt N, a power of two from 2^10) defaults to DEFAULT_SCRYPT_N. */
export async function hashPassword(password: string, cost: number = N): Promise<string> {
  if (!Number.isInteger(cost) || cost < 1024 || cost > 1 << 20 || (cost & (cost - 1)) !== 0) {
    throw new OcError('OC_DIR_SCRYPT_COST', `scrypt N must be a power of two from 1024 to 2^20, not ${cost}`);
  }
  const salt = randomBytes(SALT_LEN);
  const key = await scrypt(password, salt, KEY_LEN, { N: cost, r: R, p: P, maxmem: MAX_MEM });
  return `scrypt$${cost}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const m = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return null;
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Refuse parameters that would make a check absurdly expensive (a tampered row must not stall the server).
  if (n < 2 || n > 1 << 20 || (n & (n - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(m[4] as string, 'base64');
  const key = Buffer.from(m[5] as string, 'base64');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { N: n, r, p, salt, key };
}

// Checked against for unknown or unusable accounts so that a miss takes as long as a hit.
let dummy: Promise<string> | null = null;

/** True when `password` matches `stored`; `stored` null (unknown user) still spends the time of a check. */
export async function verifyPasswordHash(stored: string | null, password: string): Promise<boolean> {
  const parsed = stored ? parse(stored) : null;
  if (!parsed) {
    dummy ??= hashPassword('\u0000ocng-dummy');
    const d = parse(await dummy) as Parsed;
    const key = await scrypt(password, d.salt, d.key.length, { N: d.N, r: d.r, p: d.p, maxmem: MAX_MEM });
    timingSafeEqual(key, d.key);
    return false;
  }
  const key = await scrypt(password, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p, maxmem: MAX_MEM });
  return timingSafeEqual(key, parsed.key);
}
