// PEM files of certificate authorities named by the configuration (imap.caFile, smtp.caFile): read once, at start-up,
// so a missing or wrong file stops the server with the key named instead of failing the first connection.
import fs from 'node:fs';
import { ConfigError } from './errors.js';

/** Largest CA file read (a bundle of certificates, not a database). */
const MAX_CA_FILE = 4 * 1024 * 1024;

/** The text of `file` (config key `key`) when it holds at least one PEM certificate; ConfigError OC_CONFIG_CA_FILE otherwise. */
export function readPemCertificates(file: string, key: string): string {
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_CA_FILE) throw new Error(`larger than ${MAX_CA_FILE} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('OC_CONFIG_CA_FILE', `${key} ${file} cannot be read: ${(e as Error).message}`);
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
    throw new ConfigError('OC_CONFIG_CA_FILE', `${key} ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return text;
}
