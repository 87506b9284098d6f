// Shared pieces of the IMAP backend tests: the master-user trust settings of the Dovecot test service, and a
// runner for the Python snippets that play "another IMAP client" (imaplib, email; Debian's /usr/bin/python3).
import { execFile } from 'node:child_process';
import type { ImapAuthSettings } from '../../src/mapistore/backends/imap/credentials.js';
import { MASTER_PASSWORD, MASTER_USER } from './dovecot.js';

/** imap.* trust settings matching startDovecot({ mode: 'master' }). */
export const MASTER_AUTH: ImapAuthSettings = {
  auth: 'master',
  masterUser: MASTER_USER,
  masterPassword: MASTER_PASSWORD,
  masterPasswordFile: '',
  masterSeparator: '*',
  trustedPassword: 'trusted',
  passwordFile: '',
};

/** Runs `/usr/bin/python3 -c script args...`; resolves with the exit code and stdout + stderr (30 s limit). */
export function python(script: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', ['-c', script, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: String(stdout) + String(stderr) });
    });
  });
}
