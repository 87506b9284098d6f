// Acceptance (issue 5): exchangelib's POX Autodiscover client, through the HTTPS front door (src/web) with NTLM and
// with Basic HTTP authentication, gets our EXCH and EXPR settings for a test user, ErrorNonExistentMailbox for an
// unknown address, and follows a redirectAddr.
import { execFile } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutodiscoverRoute } from '../../src/autodiscover/route.js';
import { deploymentIdOf } from '../../src/autodiscover/settings.js';
import { silentLogger } from '../../src/util/log.js';
import { startWeb, type WebFrontDoor } from '../../src/web/index.js';
import { childrenNamed, parseXml } from '../../src/autodiscover/xml.js';
import { adFixture, PASSWORD, requestBody, type AdFixture } from './harness.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'exchangelib_autodiscover.py');
const EWS = 'https://exch01.example.com/EWS/Exchange.asmx';

interface Result {
  user: Record<string, string | null>;
  account: { type: string; action: string };
  protocols: Array<Record<string, unknown>>;
  ews_endpoint: string;
  ews_auth_type: string;
  version: string | null;
  unknown?: string;
  redirected?: string;
}

/** One request through the front door with Basic credentials (certificate not checked: it is self-signed). */
function httpsRequest(url: string, method: string, body: Buffer | string, user = 'alice'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const req = https.request(
      url,
      {
        method,
        rejectUnauthorized: false,
        agent: false,
        headers: { Authorization: 'Basic ' + Buffer.from(`${user}:${PASSWORD}`).toString('base64'), 'Content-Type': 'text/xml', 'Content-Length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: -1, text: e.code }) : reject(e)));
    req.end(data);
  });
}

function errorCodeOf(xml: string): string | undefined {
  const error = childrenNamed(childrenNamed(parseXml(xml), 'Response')[0]!, 'Error')[0];
  return error ? childrenNamed(error, 'ErrorCode')[0]?.text : undefined;
}

function runExchangelib(args: string[], cacheDir: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [SCRIPT, ...args], { timeout: 90_000, env: { ...process.env, TMPDIR: cacheDir } }, (err, stdout, stderr) => {
      const line = String(stdout).trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as Result);
      } catch {
        reject(new Error(`exchangelib_autodiscover.py failed (${err?.message ?? 'no JSON'}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe('exchangelib Autodiscover (POX) against the HTTPS front door', () => {
  let fx: AdFixture;
  let web: WebFrontDoor;
  let cacheDir: string;

  beforeAll(async () => {
    fx = await adFixture({
      http: { enabled: true, listen: '127.0.0.1', port: 0, plainPort: -1, authSchemes: 'negotiate,ntlm,basic' },
      autodiscover: { ewsUrl: EWS, redirectDomains: 'old.example=example.com', certPrincipalName: 'msstd:exch01.example.com' },
    });
    web = await startWeb(fx.config, silentLogger(), { directory: fx.directory });
    web.addRoute(createAutodiscoverRoute({ config: fx.config, directory: fx.directory, rpcPort: () => 6100 }));
    cacheDir = mkdtempSync(path.join(tmpdir(), 'ocng-exchangelib-'));
  });
  afterAll(async () => {
    await web?.close();
    await fx?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  const url = () => `https://127.0.0.1:${web.ports.https}/Autodiscover/Autodiscover.xml`;

  function expectOurSettings(r: Result, alice: { legacyExchangeDN: string }) {
    expect(r.user).toEqual({
      display_name: 'Alice Smith',
      legacy_dn: alice.legacyExchangeDN,
      deployment_id: deploymentIdOf('First Organization'),
      autodiscover_smtp_address: 'alice@example.com',
    });
    expect(r.account).toEqual({ type: 'email', action: 'settings' });
    const byType = Object.fromEntries(r.protocols.map((p) => [p.type, p]));
    const serverDn = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01';
    expect(byType.EXCH).toMatchObject({
      server: 'exch01.example.com',
      server_dn: serverDn,
      server_version: [14, 3, 123],
      mdb_dn: serverDn + '/cn=Microsoft Private MDB',
      public_folder_server: 'exch01.example.com',
      port: 6100,
      directory_port: 6100,
      referral_port: 6100,
      ews_url: EWS,
      auth_package: 'Ntlm',
      auth_type: 'NTLM',
    });
    expect(byType.EXPR).toMatchObject({
      server: 'exch01.example.com',
      ssl: true,
      auth_package: 'Ntlm',
      auth_type: 'NTLM',
      ews_url: EWS,
      as_url: EWS,
      oof_url: EWS,
      cert_principal_name: 'msstd:exch01.example.com',
    });
    expect(byType.WEB).toBeDefined();
    // exchangelib picks EXPR's EWS URL and the version it finds on the same URL (EXCH's ServerVersion)
    expect(r.ews_endpoint).toBe(EWS);
    expect(r.ews_auth_type).toBe('NTLM');
    expect(r.version).toBe('14.3.123.0');
    expect(r.unknown).toBe('ErrorNonExistentMailbox');
    expect(r.redirected).toBe('alice@example.com');
  }

  it('with NTLM', async () => {
    const alice = (await fx.directory.findUser('alice'))!;
    const r = await runExchangelib([url(), 'EXAMPLE\\alice', PASSWORD, 'ntlm', 'alice@example.com', 'nobody@example.com', 'alice@old.example'], cacheDir);
    expectOurSettings(r, alice);
  });

  it('with Basic', async () => {
    const alice = (await fx.directory.findUser('alice'))!;
    const r = await runExchangelib([url(), 'alice', PASSWORD, 'basic', 'alice@example.com', 'nobody@example.com', 'alice@old.example'], cacheDir);
    expectOurSettings(r, alice);
  });

  it('answers bad requests through the front door cleanly, and the next client is served', async () => {
    const get = await httpsRequest(url(), 'GET', '');
    expect(get.status).toBe(200);
    expect(errorCodeOf(get.text)).toBe('600');
    const laughs = '<!DOCTYPE a [<!ENTITY b "cccccccccc"><!ENTITY d "&b;&b;&b;&b;&b;&b;&b;&b;">]><Autodiscover><Request><EMailAddress>&d;</EMailAddress></Request></Autodiscover>';
    expect(errorCodeOf((await httpsRequest(url(), 'POST', laughs)).text)).toBe('600');
    const big = await httpsRequest(url(), 'POST', Buffer.alloc(300_000, 0x41));
    expect([413, -1]).toContain(big.status); // 413, or the connection closed while we were still sending
    const ok = await httpsRequest(url().replace('/Autodiscover/Autodiscover.xml', '/AUTODISCOVER/autodiscover.XML'), 'POST', requestBody('carol@example.com'), 'carol');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<AutoDiscoverSMTPAddress>carol@example.com</AutoDiscoverSMTPAddress>');
  });

  it('gets nothing with a wrong password', async () => {
    await expect(runExchangelib([url(), 'EXAMPLE\\carol', 'wrong', 'ntlm', 'carol@example.com'], cacheDir)).rejects.toThrow(/AutoDiscover|Unauthorized|TransportError/);
  });
});
