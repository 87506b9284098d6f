import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutodiscoverRoute } from '../../src/autodiscover/route.js';
import { childrenNamed, parseXml } from '../../src/autodiscover/xml.js';
import type { Directory } from '../../src/directory/types.js';
import { adFixture, PASSWORD, protocolsOf, requestBody, serveRoute, type AdFixture, type RouteServer } from './harness.js';

const auth = (user: string) => 'Basic ' + Buffer.from(`${user}:${PASSWORD}`).toString('base64');

async function post(url: string, body: string | Buffer, user = 'alice', method = 'POST') {
  const r = await fetch(url, { method, body: method === 'GET' ? undefined : body, headers: { Authorization: auth(user), 'Content-Type': 'text/xml' } });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
}

function errorCode(xml: string): string {
  const error = childrenNamed(childrenNamed(parseXml(xml), 'Response')[0]!, 'Error')[0]!;
  return childrenNamed(error, 'ErrorCode')[0]!.text;
}

function account(xml: string) {
  return childrenNamed(childrenNamed(parseXml(xml), 'Response')[0]!, 'Account')[0]!;
}

describe('Autodiscover route', () => {
  let fx: AdFixture;
  let srv: RouteServer;

  beforeAll(async () => {
    fx = await adFixture({ autodiscover: { redirectDomains: 'old.example=example.com', ewsUrl: 'https://exch01.example.com/EWS/Exchange.asmx' } });
    srv = await serveRoute(createAutodiscoverRoute({ config: fx.config, directory: fx.directory, rpcPort: () => 6100 }), fx.directory);
  });
  afterAll(async () => {
    await srv?.close();
    await fx?.close();
  });

  it('matches /autodiscover/autodiscover.xml in any case, POST and GET, behind authentication', () => {
    const route = createAutodiscoverRoute({ config: fx.config, directory: fx.directory });
    expect(route.path.test('/autodiscover/autodiscover.xml')).toBe(true);
    expect(route.path.test('/Autodiscover/Autodiscover.xml')).toBe(true);
    expect(route.path.test('/AUTODISCOVER/AUTODISCOVER.XML')).toBe(true);
    expect(route.path.test('/autodiscover/autodiscover.svc')).toBe(false);
    expect(route.path.test('/x/autodiscover/autodiscover.xml')).toBe(false);
    expect(route.methods).toEqual(['POST', 'GET']);
    expect(route.auth).toBe(true);
  });

  it('answers a user with settings built from the directory', async () => {
    const r = await post(srv.url, requestBody('alice@example.com'));
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/xml; charset=utf-8');
    const root = parseXml(r.text);
    const user = Object.fromEntries(childrenNamed(childrenNamed(root, 'Response')[0]!, 'User')[0]!.children.map((c) => [c.name, c.text]));
    const alice = (await fx.directory.findUser('alice'))!;
    expect(user).toMatchObject({ DisplayName: 'Alice Smith', LegacyDN: alice.legacyExchangeDN, AutoDiscoverSMTPAddress: 'alice@example.com' });
    const p = protocolsOf(account(r.text));
    expect(p.EXCH).toMatchObject({
      Server: 'exch01.example.com',
      ServerDN: '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01',
      MdbDN: '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01/cn=Microsoft Private MDB',
      Port: '6100',
    });
    expect(p.EXPR).toMatchObject({ Server: 'exch01.example.com', SSL: 'On', AuthPackage: 'Ntlm', EwsUrl: 'https://exch01.example.com/EWS/Exchange.asmx' });
  });

  it('finds a user by alias (AutoDiscoverSMTPAddress is the primary address), by case, and by LegacyDN', async () => {
    const byAlias = parseXml((await post(srv.url, requestBody('Alice.Smith@EXAMPLE.com'))).text);
    const u = childrenNamed(childrenNamed(byAlias, 'Response')[0]!, 'User')[0]!;
    expect(childrenNamed(u, 'AutoDiscoverSMTPAddress')[0]!.text).toBe('alice@example.com');
    const carol = (await fx.directory.findUser('carol'))!;
    const body =
      '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
      `<LegacyDN>${carol.legacyExchangeDN}</LegacyDN><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;
    const r = await post(srv.url, body);
    const cu = childrenNamed(childrenNamed(parseXml(r.text), 'Response')[0]!, 'User')[0]!;
    expect(childrenNamed(cu, 'DisplayName')[0]!.text).toBe("Carol <O'Hara & Co>");
    expect(r.text).toContain('Carol &lt;O&apos;Hara &amp; Co&gt;');
  });

  it('answers unknown, disabled and non-address names with ErrorCode 500', async () => {
    for (const who of ['nobody@example.com', 'bob@example.com', 'alice', 'nobody@elsewhere.test']) {
      const r = await post(srv.url, requestBody(who));
      expect(r.status, who).toBe(200);
      expect(errorCode(r.text), who).toBe('500');
      expect(r.text).toContain('<Message>The e-mail address cannot be found.</Message>');
    }
  });

  it('answers addresses in a redirect domain with redirectAddr', async () => {
    const r = await post(srv.url, requestBody('Alice@Old.Example'));
    const a = account(r.text);
    expect(childrenNamed(a, 'Action')[0]!.text).toBe('redirectAddr');
    expect(childrenNamed(a, 'RedirectAddr')[0]!.text).toBe('Alice@example.com');
  });

  it('answers other schemas with 601, bad XML and GET with 600', async () => {
    expect(errorCode((await post(srv.url, requestBody('alice@example.com', 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006'))).text)).toBe('601');
    expect(errorCode((await post(srv.url, '<Autodiscover><Request>')).text)).toBe('600');
    expect(errorCode((await post(srv.url, '<!DOCTYPE x [<!ENTITY a "b">]><Autodiscover/>')).text)).toBe('600');
    expect(errorCode((await post(srv.url, Buffer.from([0xff, 0xfe, 0x00]))).text)).toBe('600');
    const g = await post(srv.url, '', 'alice', 'GET');
    expect(g.status).toBe(200);
    expect(errorCode(g.text)).toBe('600');
  });

  it('refuses an oversized body with 413 without reading it, and serves the next client', async () => {
    const big = await post(srv.url, 'x'.repeat(200_000));
    expect(big.status).toBe(413);
    // a body that lies about its length: the declared length alone is refused
    const status = await new Promise<string>((resolve, reject) => {
      const s = net.connect(srv.port, '127.0.0.1', () => {
        s.write(
          `POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth('alice')}\r\nContent-Length: 999999999\r\n\r\n<Autodiscover>`,
        );
      });
      let got = '';
      s.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n')) {
          resolve(got.split('\r\n')[0]!);
          s.destroy();
        }
      });
      s.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 413 Payload Too Large');
    expect((await post(srv.url, requestBody('alice@example.com'))).status).toBe(200);
  });

  it('gives up on a body that never arrives', async () => {
    const route = createAutodiscoverRoute({ config: fx.config, directory: fx.directory, bodyTimeoutMs: 200 });
    const slow = await serveRoute(route, fx.directory);
    try {
      const status = await new Promise<string>((resolve, reject) => {
        const s = net.connect(slow.port, '127.0.0.1', () => {
          s.write(`POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth('alice')}\r\nContent-Length: 100\r\n\r\n<Auto`);
        });
        s.on('data', (d) => {
          resolve(d.toString('latin1').split('\r\n')[0]!);
          s.destroy();
        });
        s.on('error', reject);
      });
      expect(status).toBe('HTTP/1.1 408 Request Timeout');
    } finally {
      await slow.close();
    }
  });

  it('answers 603 when the directory fails, and the next request is served', async () => {
    const broken: Directory = { ...fx.directory, findUser: () => Promise.reject(new Error('directory down')) } as unknown as Directory;
    const route = createAutodiscoverRoute({ config: fx.config, directory: broken });
    const s = await serveRoute(route, fx.directory);
    try {
      expect(errorCode((await post(s.url, requestBody('alice@example.com'))).text)).toBe('603');
    } finally {
      await s.close();
    }
    expect((await post(srv.url, requestBody('alice@example.com'))).status).toBe(200);
  });

  it('sends Negotiate only to clients that announce X-ClientCanHandle: Negotiate', async () => {
    const cfg = { ...fx.config, autodiscover: { ...fx.config.autodiscover, httpAuthPackage: 'negotiate' as const, rpcAuthPackage: 'negotiate' as const } };
    const s = await serveRoute(createAutodiscoverRoute({ config: cfg, directory: fx.directory }), fx.directory);
    try {
      const ask = async (canHandle?: string) => {
        const headers: Record<string, string> = { Authorization: auth('alice') };
        if (canHandle !== undefined) headers['X-ClientCanHandle'] = canHandle;
        const r = await fetch(s.url, { method: 'POST', body: requestBody('alice@example.com'), headers });
        const p = protocolsOf(account(await r.text()));
        return [p.EXPR!.AuthPackage, p.EXCH!.AuthPackage];
      };
      expect(await ask()).toEqual(['Ntlm', 'Ntlm']);
      expect(await ask('PartnerToken')).toEqual(['Ntlm', 'Ntlm']);
      expect(await ask('PartnerToken, negotiate')).toEqual(['Negotiate', 'Negotiate']);
    } finally {
      await s.close();
    }
  });

  it('is refused by the front door without credentials', async () => {
    const r = await fetch(srv.url, { method: 'POST', body: requestBody('alice@example.com') });
    expect(r.status).toBe(401);
  });
});
