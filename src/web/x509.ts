// RFC 5280 4.1: a minimal DER encoder for one self-signed X.509 v3 server certificate (Node can sign but has no
// certificate builder). Only what the HTTPS listener needs: RSA key, sha256WithRSAEncryption, subject = issuer =
// CN=<first host name>, SubjectAltName (DNS names, IP addresses), basicConstraints CA:FALSE, keyUsage
// digitalSignature + keyEncipherment, extKeyUsage serverAuth.
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import net from 'node:net';

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const NULL = Buffer.from([0x05, 0x00]);

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * (arcs[0] as number) + (arcs[1] as number)];
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i] = (groups[i] as number) | 0x80;
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050
  return y < 2050 ? tlv(0x17, Buffer.from(p(y % 100) + rest, 'latin1')) : tlv(0x18, Buffer.from(p(y, 4) + rest, 'latin1'));
}

/** The 4 or 16 bytes of an IP address literal. */
export function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!net.isIPv6(ip)) throw new TypeError(`not an IP address: ${ip}`);
  let text = ip;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = (v4[1] as string).split('.').map(Number);
    const hi = (((tail[0] as number) << 8) | (tail[1] as number)).toString(16);
    const lo = (((tail[2] as number) << 8) | (tail[3] as number)).toString(16);
    text = text.slice(0, -(v4[1] as string).length) + `${hi}:${lo}`;
  }
  const [left, right] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const l = left ? left.split(':') : [];
  const r = right === null ? [] : right ? right.split(':') : [];
  const groups = right === null ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}

const OID_SHA256_RSA = '1.2.840.113549.1.1.11';
const OID_CN = '2.5.4.3';
const OID_SAN = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), octets(value));
}

export interface SelfSignedOptions {
  /** DNS names and IP literals; the first is also the subject's CN. */
  names: readonly string[];
  /** RSA key pair. */
  publicKey: KeyObject;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** The DER bytes of a self-signed certificate. */
export function selfSignedCertificate(o: SelfSignedOptions): Buffer {
  if (o.names.length === 0) throw new TypeError('a certificate needs at least one name');
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40; // positive, 16 bytes
  const algorithm = seq(oid(OID_SHA256_RSA), NULL);
  const cn = (o.names[0] as string).slice(0, 64);
  const name = seq(set(seq(oid(OID_CN), tlv(0x0c, Buffer.from(cn, 'utf8')))));
  const san = seq(...o.names.map((n) => (net.isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'latin1')))));
  const extensions = tlv(
    0xa3,
    seq(
      extension(OID_BASIC_CONSTRAINTS, true, seq()),
      // digitalSignature (bit 0) + keyEncipherment (bit 2): 0xa0 with 5 unused bits
      extension(OID_KEY_USAGE, true, tlv(0x03, Buffer.from([0x05, 0xa0]))),
      extension(OID_EXT_KEY_USAGE, false, seq(oid(OID_SERVER_AUTH))),
      extension(OID_SAN, false, san),
    ),
  );
  const spki = o.publicKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version v3
    tlv(0x02, serial),
    algorithm,
    name,
    seq(time(o.notBefore), time(o.notAfter)),
    name,
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, o.privateKey);
  return seq(tbs, algorithm, bits(signature));
}

/** PEM armour for DER bytes. */
export function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
