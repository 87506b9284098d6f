// The IMAP connections' TLS (src/mapistore/backends/imap/pool.ts: imap.security, imap.caFile,
// imap.allowInvalidCertificates) against a real Dovecot with TLS on (test/helpers/dovecot.ts `tls`: STARTTLS on its
// port, implicit TLS on `tlsPort`) and one without: STARTTLS (the default) and implicit TLS log in when the server's
// self-signed certificate is trusted through imap.caFile; an untrusted certificate, a server without STARTTLS and
// implicit TLS aimed at a plain port each fail with OC_IMAP_CONNECT saying what to change; an unusable imap.caFile
// stops the start-up (OC_IMAP_CONFIG). `ocng imap check` runs over STARTTLS.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapCredentials } from '../../src/mapistore/backends/imap/credentials.js';
import { ImapPool, type ImapPoolSettings } from '../../src/mapistore/backends/imap/pool.js';
import { createStore } from '../../src/mapistore/index.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/util/log.js';
import { pem, selfSignedCertificate } from '../../src/web/x509.js';
import { cli } from '../cli/harness.js';
import { MASTER_PASSWORD, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { MASTER_AUTH } from '../helpers/imap-test.js';

function certificate(names: string[]): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = selfSignedCertificate({ names, publicKey, privateKey, notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + 86_400_000) });
  return { cert: pem('CERTIFICATE', der), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-tls-'));
const server = certificate(['localhost', '127.0.0.1']);
const caFile = path.join(tmp, 'ca.pem');
const otherCa = path.join(tmp, 'other-ca.pem');
fs.writeFileSync(caFile, server.cert);
fs.writeFileSync(otherCa, certificate(['other.example']).cert);

let tlsDovecot: Dovecot;
let plain: Dovecot;
beforeAll(async () => {
  [tlsDovecot, plain] = await Promise.all([startDovecot({ mode: 'master', tls: server }), startDovecot({ mode: 'master' })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([tlsDovecot?.stop(), plain?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function pool(o: Partial<ImapPoolSettings> & Pick<ImapPoolSettings, 'port' | 'security'>): ImapPool {
  return new ImapPool(
    { host: '127.0.0.1', allowInvalidCertificates: false, maxConnectionsPerUser: 2, idleSeconds: 60, timeoutSeconds: 5, ...o },
    new ImapCredentials(MASTER_AUTH),
    silentLogger(),
  );
}

/** Logs alice in and APPENDs a message; whether the connection was TLS. */
async function login(p: ImapPool): Promise<boolean> {
  try {
    return await p.run('alice', async (c) => {
      const r = await c.append('INBOX', Buffer.from('Subject: over TLS\r\n\r\nbody\r\n'));
      expect(r && r.uid).toBeGreaterThan(0);
      return c.secureConnection;
    });
  } finally {
    await p.close();
  }
}

async function failure(p: ImapPool): Promise<{ code: string; message: string }> {
  try {
    await login(p);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error('expected the login to fail');
}

describe('IMAP over TLS', () => {
  it('STARTTLS (the default security) with the self-signed certificate in imap.caFile', async () => {
    expect(await login(pool({ port: tlsDovecot.port, security: 'starttls', caFile }))).toBe(true);
  });

  it('implicit TLS on the imaps port with imap.caFile', async () => {
    expect(await login(pool({ port: tlsDovecot.tlsPort!, security: 'tls', caFile }))).toBe(true);
  });

  it('imap.allowInvalidCertificates takes the certificate unchecked (test servers)', async () => {
    expect(await login(pool({ port: tlsDovecot.port, security: 'starttls', allowInvalidCertificates: true }))).toBe(true);
  });

  it('an untrusted certificate: OC_IMAP_CONNECT naming imap.caFile, with or without one set', async () => {
    const none = await failure(pool({ port: tlsDovecot.port, security: 'starttls' }));
    expect(none.code).toBe('OC_IMAP_CONNECT');
    expect(none.message).toMatch(/self-signed certificate \(the IMAP server's certificate is not trusted: set imap\.caFile/);
    const wrong = await failure(pool({ port: tlsDovecot.tlsPort!, security: 'tls', caFile: otherCa }));
    expect(wrong.code).toBe('OC_IMAP_CONNECT');
    expect(wrong.message).toContain('not trusted by imap.caFile');
  });

  it('STARTTLS to a server without TLS, and implicit TLS to a plain port: OC_IMAP_CONNECT saying what to change', async () => {
    const starttls = await failure(pool({ port: plain.port, security: 'starttls' }));
    expect(starttls.code).toBe('OC_IMAP_CONNECT');
    expect(starttls.message).toMatch(/STARTTLS.*\(imap\.security starttls: turn TLS on in the IMAP server/);
    const tls = await failure(pool({ port: plain.port, security: 'tls', caFile }));
    expect(tls.code).toBe('OC_IMAP_CONNECT');
    expect(tls.message).toContain(`imap.security tls, but port ${plain.port} does not start with TLS`);
  });

  it('an unreadable imap.caFile, or one without a certificate, stops the start-up with OC_IMAP_CONFIG', () => {
    const junk = path.join(tmp, 'junk.pem');
    fs.writeFileSync(junk, 'not a certificate\n');
    for (const [file, text] of [[path.join(tmp, 'missing.pem'), 'cannot be read'], [junk, 'holds no PEM certificate']] as const) {
      expect(() => pool({ port: tlsDovecot.port, security: 'starttls', caFile: file })).toThrow(
        expect.objectContaining({ code: 'OC_IMAP_CONFIG', message: expect.stringContaining(`imap.caFile ${file} ${text}`) }),
      );
      const config = loadConfig({
        env: {},
        overrides: {
          dataDir: path.join(tmp, 'data'),
          store: { backend: 'imap' },
          imap: { host: '127.0.0.1', port: tlsDovecot.port, auth: 'master', masterUser: 'master', masterPassword: MASTER_PASSWORD, caFile: file },
        },
      });
      expect(() => createStore({ dataDir: config.dataDir, store: config.store, index: config.index, imap: config.imap, logger: silentLogger() })).toThrow(
        expect.objectContaining({ code: 'OC_IMAP_CONFIG' }),
      );
    }
  });

  it('ocng imap check over STARTTLS with imap.caFile', async () => {
    const sets = ['store.backend=imap', 'imap.host=127.0.0.1', `imap.port=${tlsDovecot.port}`, 'imap.security=starttls', `imap.caFile=${caFile}`,
      'imap.auth=master', 'imap.masterUser=master', `imap.masterPassword=${MASTER_PASSWORD}`];
    const r = await cli([...sets.flatMap((s) => ['--set', s]), 'imap', 'check', 'alice'], { cwd: tmp });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`IMAP server 127.0.0.1:${tlsDovecot.port} (imap.security starttls)`);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^OK: \d+ mailboxes$/);
  });
});
