// The DER encoder of the self-signed certificate, judged by Node's X509Certificate (OpenSSL's parser) and by the
// openssl program.
import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipBytes, pem, selfSignedCertificate } from '../../src/web/x509.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('self-signed X.509 encoder', () => {
  it('makes a certificate OpenSSL parses and verifies, with the names as SubjectAltNames', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2055-06-30T12:34:56Z'); // GeneralizedTime from 2050
    const der = selfSignedCertificate({ names: ['mail.example.com', 'autodiscover.example.com', '192.0.2.1', '2001:db8::1'], publicKey, privateKey, notBefore, notAfter });
    const x = new X509Certificate(der);
    expect(x.subject).toBe('CN=mail.example.com');
    expect(x.issuer).toBe('CN=mail.example.com');
    expect(x.subjectAltName).toBe('DNS:mail.example.com, DNS:autodiscover.example.com, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:1');
    expect(new Date(x.validFrom).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(x.validTo).toISOString()).toBe('2055-06-30T12:34:56.000Z');
    expect(x.verify(publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x.checkHost('autodiscover.example.com')).toBe('autodiscover.example.com');
    expect(x.checkIP('192.0.2.1')).toBe('192.0.2.1');
    // the openssl program agrees, and finds the signature good
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-x509-'));
    try {
      const f = path.join(dir, 'c.pem');
      fs.writeFileSync(f, pem('CERTIFICATE', der));
      const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', f]).toString();
      expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
      expect(text).toContain('CA:FALSE');
      expect(text).toContain('Digital Signature, Key Encipherment');
      expect(text).toContain('TLS Web Server Authentication');
      expect(execFileSync('openssl', ['verify', '-CAfile', f, '-check_ss_sig', '-partial_chain', f]).toString()).toContain(': OK');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodes IP literals', () => {
    expect(ipBytes('10.1.2.3').toString('hex')).toBe('0a010203');
    expect(ipBytes('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipBytes('fe80::').toString('hex')).toBe('fe800000000000000000000000000000');
    expect(ipBytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(ipBytes('1:2:3:4:5:6:7:8').toString('hex')).toBe('00010002000300040005000600070008');
  });
});
