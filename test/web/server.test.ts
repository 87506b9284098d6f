// startServer starts the front door when http.enabled and exposes it as `web` for the RPC proxy and routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/full-server.js';
import { RawClient } from './helpers.js';

describe('startServer with http.enabled', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ http: { enabled: true, listen: '127.0.0.1', port: 0 } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('listens on HTTPS, asks for authentication on RPC_IN_DATA and takes routes', async () => {
    const web = t.server.web;
    expect(web).toBeTruthy();
    const port = web!.ports.https;
    expect(port).toBeGreaterThan(0);
    expect(web!.ports.http).toBeNull();
    expect(t.server.endpoints.some((e) => e.startsWith(`https://127.0.0.1:${port}/`))).toBe(true);
    web!.addRoute({ path: /^\/ping$/, methods: ['GET'], auth: false, handle: (_q, r) => void r.end('pong') });
    const c = await RawClient.tls(port);
    c.write('RPC_IN_DATA /rpc/rpcproxy.dll?exch01:6001 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    const r = await c.response();
    expect(r.status).toBe(401);
    expect(r.all('www-authenticate')).toContain('NTLM');
    c.write('GET /PING HTTP/1.1\r\nHost: x\r\n\r\n');
    const p = await c.response();
    expect(p.status).toBe(200);
    c.close();
  });

  it('serves Autodiscover (registered by startServer) after HTTP authentication', async () => {
    const port = t.server.web!.ports.https;
    const body =
      '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">' +
      '<Request><EMailAddress>alice@test.local</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>';
    const send = async (auth: string | null) => {
      const c = await RawClient.tls(port);
      c.write(`POST /AutoDiscover/AutoDiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n${auth ? `Authorization: ${auth}\r\n` : ''}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      const r = await c.response();
      c.close();
      return r;
    };
    expect((await send(null)).status).toBe(401);
    const r = await send(`Basic ${Buffer.from('alice:Passw0rd!').toString('base64')}`);
    expect(r.status).toBe(200);
    const xml = r.body.toString('utf8');
    expect(xml).toContain('<Type>EXPR</Type>');
    expect(xml).toContain('<Type>EXCH</Type>');
    expect(xml).toContain('<Server>exch01.test.local</Server>');
    expect(xml).toContain('/cn=Recipients/cn=alice</LegacyDN>');
  });
});

describe('startServer without http.enabled', () => {
  it('has no front door', async () => {
    const t = await startTestServer();
    try {
      expect(t.server.web ?? null).toBeNull();
    } finally {
      await t.close();
    }
  }, 60_000);
});
