// The HTTPS listener's certificate: the configured PEM files, or a self-signed one generated on first start into
// `dataDir`/tls and reused afterwards (regenerated when the configured host names are no longer all among its
// SubjectAltNames, or when it has expired). Node has no certificate builder: x509.ts encodes the certificate and
// crypto.sign signs it. RSA 2048 / SHA-256 because Outlook 2007/2010 on Windows XP cannot use ECDSA certificates.
import { X509Certificate, createPrivateKey, generateKeyPair as generateKeyPairCb } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { pem, selfSignedCertificate } from './x509.js';

const generateKeyPair = promisify(generateKeyPairCb);

export interface CertificateFiles {
  cert: Buffer;
  key: Buffer;
  /** Where they came from (for the start-up log). */
  certPath: string;
  generated: boolean;
}

export const CERT_VALID_DAYS = 3650;

/** The SubjectAltName entries (`DNS:x` / `IP Address:x`, as X509Certificate prints them) of a certificate. */
export function subjectAltNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function sanEntry(name: string): string {
  return net.isIP(name) ? `IP Address:${name}` : `DNS:${name.toLowerCase()}`;
}

function covers(cert: X509Certificate, names: readonly string[]): boolean {
  const have = new Set(subjectAltNames(cert).map((s) => s.toLowerCase()));
  return names.every((n) => have.has(sanEntry(n).toLowerCase()));
}

async function generate(certPath: string, keyPath: string, names: readonly string[]): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const der = selfSignedCertificate({
    names: names.length > 0 ? names : ['localhost'],
    publicKey,
    privateKey,
    notBefore: new Date(now - 24 * 3600 * 1000), // a day back, for clients with a slow clock
    notAfter: new Date(now + CERT_VALID_DAYS * 24 * 3600 * 1000),
  });
  const tmpKey = `${keyPath}.${process.pid}.tmp`;
  const tmpCert = `${certPath}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmpKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(tmpCert, pem('CERTIFICATE', der));
    fs.renameSync(tmpKey, keyPath);
    fs.renameSync(tmpCert, certPath);
  } catch (e) {
    fs.rmSync(tmpKey, { force: true });
    fs.rmSync(tmpCert, { force: true });
    throw new ConfigError('OC_HTTP_CERT_GENERATION', `cannot write the HTTPS certificate: ${(e as Error).message}`);
  }
}

/**
 * The certificate and key to serve: `certFile`/`keyFile` when both are set, else the self-signed pair in
 * `dataDir`/tls (generated when missing, expired or not naming every one of `names`).
 */
export async function loadOrCreateCertificate(
  opts: { certFile: string; keyFile: string; dataDir: string; names: readonly string[] },
  log: Logger,
): Promise<CertificateFiles> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) throw new ConfigError('OC_HTTP_CERT_CONFIG', 'set both http.certFile and http.keyFile, or neither');
    try {
      const cert = fs.readFileSync(opts.certFile);
      const key = fs.readFileSync(opts.keyFile);
      new X509Certificate(cert);
      createPrivateKey(key);
      return { cert, key, certPath: opts.certFile, generated: false };
    } catch (e) {
      throw new ConfigError('OC_HTTP_CERT_CONFIG', `cannot use http.certFile/http.keyFile: ${(e as Error).message}`);
    }
  }
  const dir = path.join(opts.dataDir, 'tls');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  if (fs.existsSync(certPath) && fs.existsSync(keyPath)) {
    try {
      const cert = fs.readFileSync(certPath);
      const key = fs.readFileSync(keyPath);
      const x = new X509Certificate(cert);
      createPrivateKey(key);
      if (Date.parse(x.validTo) > Date.now() && covers(x, opts.names)) return { cert, key, certPath, generated: false };
      log.warn({ certPath, names: opts.names }, 'generated HTTPS certificate expired or lacks a configured host name: making a new one');
    } catch (e) {
      log.warn({ certPath, err: (e as Error).message }, 'generated HTTPS certificate unreadable: making a new one');
    }
  }
  await generate(certPath, keyPath, opts.names);
  log.info({ certPath, names: opts.names }, 'generated a self-signed HTTPS certificate');
  return { cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath), certPath, generated: true };
}
