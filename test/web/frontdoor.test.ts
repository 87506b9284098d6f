// The HTTPS front door against real clients: curl (Basic, NTLM), impacket's HTTP NTLM client (RPC_IN_DATA with
// Expect: 100-continue, as its RPCProxyClient does), Python's http.client, Node's TLS client, and raw bytes.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNtlmClient, createSpnegoClient } from '../../src/auth/index.js';
import { startWeb } from '../../src/web/index.js';
import type { HttpContext, HttpRequestHead, HttpRoute, HttpUser } from '../../src/web/types.js';
import { basic, PASSWORD, RawClient, startTestWeb, type TestWeb } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

function run(cmd: string, args: string[], timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function impacket(args: string[]): Promise<Record<string, unknown>> {
  const r = await run(PYTHON, [path.join(HERE, 'impacket_http.py'), ...args]);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`impacket_http.py printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** curl -w '%{http_code}' with the body; -k for the self-signed certificate. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const r = await run('curl', ['-sk', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', ...args]);
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

interface RpcCall {
  head: HttpRequestHead;
  user: HttpUser;
  rest: Buffer;
  secure: boolean;
}

function routes(): HttpRoute[] {
  return [
    {
      path: /^\/who$/,
      methods: ['GET', 'POST'],
      auth: true,
      handle(req, res, ctx: HttpContext) {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = JSON.stringify({ user: ctx.user, secure: ctx.secure, peer: ctx.peer.address, got: Buffer.concat(chunks).length });
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
        });
      },
    },
    {
      path: /^\/open$/,
      methods: ['GET'],
      auth: false,
      handle(_req, res) {
        res.writeHead(200, { 'Content-Length': '4' }).end('open');
      },
    },
  ];
}

function rpcRecorder(calls: RpcCall[]) {
  return (head: HttpRequestHead, socket: Duplex, rest: Buffer, ctx: HttpContext & { user: HttpUser }) => {
    calls.push({ head, user: ctx.user, rest, secure: ctx.secure });
    if (rest.length > 0) socket.write(`ECHO:${rest.toString('latin1')}`);
    socket.on('data', (d: Buffer) => socket.write(`ECHO:${d.toString('latin1')}`));
  };
}

describe('HTTPS front door', () => {
  let t: TestWeb;
  const calls: RpcCall[] = [];

  beforeAll(async () => {
    t = await startTestWeb({ plainPort: 0, maxHeadBytes: 4096, maxHeaders: 20 });
    for (const r of routes()) t.web.addRoute(r);
    t.web.registerRpcProxy(rpcRecorder(calls));
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const url = (p: string) => `https://127.0.0.1:${t.web.ports.https}${p}`;

  it('generates a certificate with the configured SubjectAltNames, reused on restart', async () => {
    const pem = fs.readFileSync(path.join(t.dataDir, 'tls', 'cert.pem'));
    const x = new X509Certificate(pem);
    expect(x.subjectAltName).toBe('DNS:exch01.test.local, DNS:autodiscover.test.local, IP Address:127.0.0.1');
    const years = (Date.parse(x.validTo) - Date.now()) / (365 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(9.9);
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // openssl agrees
    const text = await run('openssl', ['x509', '-noout', '-text', '-in', path.join(t.dataDir, 'tls', 'cert.pem')]);
    expect(text.stdout).toContain('sha256WithRSAEncryption');
    expect(text.stdout).toMatch(/DNS:exch01\.test\.local, DNS:autodiscover\.test\.local, IP Address:127\.0\.0\.1/);
    // the listener serves it
    const c = await RawClient.tls(t.web.ports.https);
    expect((c.socket as import('node:tls').TLSSocket).getPeerX509Certificate()?.fingerprint256).toBe(x.fingerprint256);
    c.close();
    // a second front door on the same data directory reuses it
    const again = await startTestWeb({}, t.dataDir);
    try {
      expect(new X509Certificate(fs.readFileSync(path.join(t.dataDir, 'tls', 'cert.pem'))).fingerprint256).toBe(x.fingerprint256);
    } finally {
      await again.stop();
    }
  });

  it('curl with Basic over TLS reaches the route as the user', async () => {
    const r = await curl(['-u', `alice:${PASSWORD}`, url('/who')]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ user: { username: 'alice', method: 'basic', domain: 'TEST' }, secure: true, peer: '127.0.0.1' });
    const d = await curl(['-u', `TEST\\bob:${PASSWORD}`, url('/who')]);
    expect(JSON.parse(d.body)).toMatchObject({ user: { username: 'bob', method: 'basic' } });
  });

  it('curl with NTLM over TLS reaches the route as the user', async () => {
    const r = await curl(['--ntlm', '-u', `TEST\\alice:${PASSWORD}`, url('/who')]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ user: { username: 'alice', method: 'ntlm' } });
  });

  it('impacket NTLM: RPC_IN_DATA with Expect: 100-continue gets 100 Continue, then the handler has the channel and the user', async () => {
    const n = calls.length;
    const r = await impacket(['rpc', '--port', String(t.web.ports.https), '--payload', 'CONN/B1']);
    expect(r).toMatchObject({ ok: true, status: 'HTTP/1.1 100 Continue', echo: 'ECHO:CONN/B1' });
    expect(calls.length).toBe(n + 1);
    const call = calls[n] as RpcCall;
    expect(call.head.method).toBe('RPC_IN_DATA');
    expect(call.head.target).toBe('/rpc/rpcproxy.dll?exch01:6004');
    expect(call.head.get('content-length')).toBe('1073741824');
    expect(call.user).toEqual({ username: 'alice', domain: 'TEST', method: 'ntlm' });
    expect(call.secure).toBe(true);
  });

  it('impacket Basic on RPC_IN_DATA; wrong password refused', async () => {
    const r = await impacket(['rpc', '--auth', 'basic', '--port', String(t.web.ports.https)]);
    expect(r).toMatchObject({ ok: true, echo: 'ECHO:hello' });
    expect(calls.at(-1)?.user).toEqual({ username: 'alice', domain: 'TEST', method: 'basic' });
    const bad = await impacket(['rpc', '--port', String(t.web.ports.https), '-p', 'wrong']);
    expect(bad).toMatchObject({ ok: false, stage: '100' });
    expect(String(bad.status)).toMatch(/^HTTP\/1\.1 401/);
  });

  it('impacket NTLM binds the user to the connection: a second request on it needs no Authorization', async () => {
    const r = await impacket(['route', '--port', String(t.web.ports.https)]);
    const responses = r.responses as Array<{ status: number; body: string }>;
    expect(responses.map((x) => x.status)).toEqual([200, 200]);
    for (const x of responses) expect(JSON.parse(x.body)).toMatchObject({ user: { username: 'alice', method: 'ntlm' } });
  });

  it('Negotiate (NTLM inside SPNEGO) as a connection-based handshake', async () => {
    const c = await RawClient.tls(t.web.ports.https);
    const client = createSpnegoClient({ username: 'alice', password: PASSWORD, domain: 'TEST' });
    let tok = (await client.step(null)).token as Buffer;
    let res;
    for (let i = 0; i < 4; i++) {
      c.write(`GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: Negotiate ${tok.toString('base64')}\r\n\r\n`);
      res = await c.response();
      if (res.status !== 401) break;
      const www = res.header('www-authenticate') ?? '';
      expect(www).toMatch(/^Negotiate /);
      const next = await client.step(Buffer.from(www.slice(10), 'base64'));
      tok = next.token as Buffer;
    }
    expect(res?.status).toBe(200);
    expect(JSON.parse(res!.body.toString())).toMatchObject({ user: { username: 'alice', method: 'negotiate' } });
    const fin = res!.header('www-authenticate');
    if (fin) await client.step(Buffer.from(fin.slice(10), 'base64'));
    c.close();
  });

  it('NTLM as Samba sends it: HTTP/1.0, Content-Length 1 GiB on every leg, no Expect, no body before success', async () => {
    const c = await RawClient.tls(t.web.ports.https);
    const client = createNtlmClient({ username: 'bob', password: PASSWORD, domain: 'TEST' });
    const req = (auth: string) =>
      'RPC_IN_DATA /rpc/rpcproxy.dll?exch01:6004 HTTP/1.0\r\nAccept: application/rpc\r\nUser-Agent: MSRPC\r\nHost: 127.0.0.1\r\n' +
      `Connection: keep-alive\r\nContent-Length: 1073741824\r\nCache-Control: no-cache\r\nPragma: no-cache\r\nAuthorization: NTLM ${auth}\r\n\r\n`;
    c.write(req(((await client.step(null)).token as Buffer).toString('base64')));
    const r = await c.response();
    expect(r.status).toBe(401);
    expect(r.header('connection')).toBe('keep-alive');
    const challenge = Buffer.from((r.header('www-authenticate') ?? '').replace(/^NTLM /, ''), 'base64');
    const n = calls.length;
    c.write(req(((await client.step(challenge)).token as Buffer).toString('base64')));
    c.write('B1');
    expect((await c.bytes(7)).toString()).toBe('ECHO:B1');
    expect(calls[n]).toMatchObject({ user: { username: 'bob', method: 'ntlm' } });
    c.close();
  });

  it('missing or wrong Authorization gets 401 with the offered schemes; the connection stays usable', async () => {
    const c = await RawClient.tls(t.web.ports.https);
    c.write('GET /who HTTP/1.1\r\nHost: x\r\n\r\n');
    const r = await c.response();
    expect(r.status).toBe(401);
    expect(r.all('www-authenticate')).toEqual(['Negotiate', 'NTLM', 'Basic realm="exch01.test.local"']);
    c.write(`GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('alice', 'nope')}\r\n\r\n`);
    expect((await c.response()).status).toBe(401);
    c.write('GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n');
    expect((await c.response()).status).toBe(401);
    c.write('GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: NTLM !!!\r\n\r\n');
    expect((await c.response()).status).toBe(401);
    c.write(`GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('alice', PASSWORD)}\r\n\r\n`);
    expect((await c.response()).status).toBe(200);
    // Basic does not bind the connection
    c.write('GET /who HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await c.response()).status).toBe(401);
    c.close();
    expect((await curl([url('/who')])).status).toBe(401);
  });

  it('keeps a connection alive for two requests, and serves HTTP/1.0', async () => {
    const c = await RawClient.tls(t.web.ports.https);
    c.write('GET /open HTTP/1.1\r\nHost: x\r\n\r\nGET /open HTTP/1.1\r\nHost: x\r\n\r\n');
    const a = await c.response();
    const b = await c.response();
    expect([a.status, a.body.toString(), b.status, b.body.toString()]).toEqual([200, 'open', 200, 'open']);
    c.close();
    const d = await RawClient.tls(t.web.ports.https);
    d.write('GET /open HTTP/1.0\r\n\r\n');
    const r = await d.response();
    expect(r.status).toBe(200);
    expect(r.statusLine).toMatch(/^HTTP\/1\.1 200/);
    await d.closed();
    // HTTP/1.0 with keep-alive, our own 401 on RPC_OUT_DATA, then a second request on the same connection
    const e = await RawClient.tls(t.web.ports.https);
    e.write('RPC_OUT_DATA /rpc/rpcproxy.dll?x:6004 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 76\r\n\r\n');
    const u = await e.response();
    expect(u.status).toBe(401);
    expect(u.header('connection')).toBe('keep-alive');
    e.write(`RPC_OUT_DATA /rpc/rpcproxy.dll?x:6004 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 76\r\nAuthorization: ${basic('bob', PASSWORD)}\r\n\r\nA1`);
    expect((await e.bytes(7)).toString()).toBe('ECHO:A1');
    expect(calls.at(-1)).toMatchObject({ user: { username: 'bob' } });
    e.close();
  });

  it('passes a POST body (Content-Length and chunked) to the route and reads the next request after it', async () => {
    const c = await RawClient.tls(t.web.ports.https);
    const auth = basic('alice', PASSWORD);
    c.write(`POST /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 5\r\n\r\nhello`);
    c.write(`POST /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n`);
    c.write(`GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`);
    const got = [];
    for (let i = 0; i < 3; i++) got.push(JSON.parse((await c.response()).body.toString()).got);
    expect(got).toEqual([5, 7, 0]);
    c.close();
  });

  it('answers 404 and 405 itself; 503 for RPC while no proxy is registered', async () => {
    expect((await curl([url('/nothing')])).status).toBe(404);
    expect((await curl(['-X', 'DELETE', url('/open')])).status).toBe(405);
    t.web.registerRpcProxy(null);
    try {
      const c = await RawClient.tls(t.web.ports.https);
      c.write(`RPC_IN_DATA /rpc/rpcproxy.dll?x:6001 HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('alice', PASSWORD)}\r\nContent-Length: 0\r\n\r\n`);
      expect((await c.response()).status).toBe(503);
      c.close();
    } finally {
      t.web.registerRpcProxy(rpcRecorder(calls));
    }
  });

  it('refuses oversize heads, too many headers and bad Content-Length with 400; other connections carry on', async () => {
    const good = await RawClient.tls(t.web.ports.https);
    good.write('GET /open HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await good.response()).status).toBe(200);
    const bads = [
      'GET /open HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(5000) + '\r\n\r\n',
      'GET /open HTTP/1.1\r\nHost: x\r\n' + Array.from({ length: 25 }, (_, i) => `X-${i}: 1\r\n`).join('') + '\r\n',
      'POST /who HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n',
      'POST /who HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
      'RPC_IN_DATA /rpc/rpcproxy.dll HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    ];
    for (const text of bads) {
      const c = await RawClient.tls(t.web.ports.https);
      c.write(text);
      const r = await c.response();
      expect(r.status, text.slice(0, 40)).toBe(400);
      expect(r.header('connection')).toBe('close');
      await c.closed();
    }
    // a head that never ends is cut at the limit without waiting for the rest
    const slow = await RawClient.tls(t.web.ports.https);
    slow.write('GET /open HTTP/1.1\r\nHost: x\r\nX: ' + 'b'.repeat(4200));
    expect((await slow.response()).status).toBe(400);
    good.write('GET /open HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await good.response()).status).toBe(200);
    good.close();
  });

  it('reads a head and body that arrive one byte per TLS record', async () => {
    const c = await RawClient.tls(t.web.ports.https);
    const text = `POST /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('alice', PASSWORD)}\r\nContent-Length: 3\r\n\r\nabcGET /open HTTP/1.1\r\nHost: x\r\n\r\n`;
    for (const ch of text) {
      c.write(ch);
      await new Promise((r) => setImmediate(r));
    }
    expect(JSON.parse((await c.response()).body.toString())).toMatchObject({ got: 3, user: { username: 'alice' } });
    expect((await c.response()).body.toString()).toBe('open');
    c.close();
  });

  it('plain HTTP: Basic is neither offered nor accepted, NTLM works', async () => {
    const c = await RawClient.plain(t.web.ports.http as number);
    c.write('GET /who HTTP/1.1\r\nHost: x\r\n\r\n');
    const r = await c.response();
    expect(r.all('www-authenticate')).toEqual(['Negotiate', 'NTLM']);
    c.write(`GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('alice', PASSWORD)}\r\n\r\n`);
    expect((await c.response()).status).toBe(401);
    c.close();
    const n = await impacket(['route', '--plain', '--port', String(t.web.ports.http)]);
    expect((n.responses as Array<{ body: string }>).map((x) => JSON.parse(x.body))).toMatchObject([
      { user: { username: 'alice' }, secure: false },
      { user: { username: 'alice' }, secure: false },
    ]);
  });

  it('requires TLS 1.2: a TLS 1.1 client is refused', async () => {
    await expect(RawClient.tls(t.web.ports.https, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })).rejects.toThrow();
    const ok = await RawClient.tls(t.web.ports.https, { maxVersion: 'TLSv1.2' });
    expect((ok.socket as import('node:tls').TLSSocket).getProtocol()).toBe('TLSv1.2');
    ok.close();
  });
});

describe('HTTPS front door options', () => {
  it('http.legacyTls lets a TLS 1.1 client in', async () => {
    const t = await startTestWeb({ legacyTls: true });
    try {
      const c = await RawClient.tls(t.web.ports.https, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
      expect((c.socket as import('node:tls').TLSSocket).getProtocol()).toBe('TLSv1.1');
      c.close();
    } finally {
      await t.close();
    }
  }, 60_000);

  it('rate-limits failed logins per user and per address with 429 and Retry-After', async () => {
    const t = await startTestWeb({ maxAuthFailuresPerUser: 3, maxAuthFailuresPerAddress: 6, authFailureWindowSeconds: 60 });
    t.web.addRoute(routes()[0] as HttpRoute);
    const url = `https://127.0.0.1:${t.web.ports.https}/who`;
    try {
      for (let i = 0; i < 3; i++) expect((await curl(['-u', 'bob:wrong', url])).status).toBe(401);
      // bob is locked, even with the right password, over Basic and NTLM; alice is not
      expect((await curl(['-u', `bob:${PASSWORD}`, url])).status).toBe(429);
      expect((await curl(['--ntlm', '-u', `TEST\\bob:${PASSWORD}`, url])).status).toBe(429);
      const c = await RawClient.tls(t.web.ports.https);
      c.write(`GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('bob', PASSWORD)}\r\n\r\n`);
      const r = await c.response();
      expect(r.status).toBe(429);
      expect(Number(r.header('retry-after'))).toBeGreaterThan(0);
      await c.closed();
      expect((await curl(['-u', `alice:${PASSWORD}`, url])).status).toBe(200);
      // 3 Basic failures for bob + the NTLM attempt on the locked account = 4 for this address; two more fill its
      // quota of 6: now everyone from here waits
      for (let i = 0; i < 2; i++) expect((await curl(['-u', `nobody${i}:x`, url])).status).toBe(401);
      expect((await curl(['-u', `alice:${PASSWORD}`, url])).status).toBe(429);
    } finally {
      await t.close();
    }
  }, 60_000);

  it('closes a connection whose head does not arrive in time; trusts X-Forwarded-For only with http.trustProxy', async () => {
    const t = await startTestWeb({ plainPort: 0, trustProxy: true, headTimeoutSeconds: 1 });
    t.web.addRoute(routes()[0] as HttpRoute);
    try {
      const slow = await RawClient.plain(t.web.ports.http as number);
      slow.write('GET /who HTTP/1.1\r\nHost: x\r\n');
      const started = Date.now();
      await slow.closed(4000);
      expect(Date.now() - started).toBeLessThan(3000);
      const c = await RawClient.plain(t.web.ports.http as number);
      c.write(`GET /who HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7, 203.0.113.9\r\nAuthorization: ${basic('alice', PASSWORD)}\r\n\r\n`);
      expect(JSON.parse((await c.response()).body.toString())).toMatchObject({ secure: true, peer: '203.0.113.9', user: { username: 'alice' } });
      c.close();
    } finally {
      await t.close();
    }
  }, 60_000);

  it('closes connections beyond http.maxConnections at once', async () => {
    const t = await startTestWeb({ maxConnections: 2 });
    t.web.addRoute(routes()[1] as HttpRoute);
    try {
      const a = await RawClient.tls(t.web.ports.https);
      const b = await RawClient.tls(t.web.ports.https);
      a.write('GET /open HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await a.response()).status).toBe(200);
      const c = await RawClient.tls(t.web.ports.https).catch(() => null);
      if (c) await c.closed();
      b.write('GET /open HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await b.response()).status).toBe(200);
      a.close();
      b.close();
    } finally {
      await t.close();
    }
  }, 60_000);

  it('says so when the port is taken', async () => {
    const t = await startTestWeb({});
    try {
      const config = { ...t.config, http: { ...t.config.http, port: t.web.ports.https } };
      await expect(startWeb(config, t.log, { directory: t.directory })).rejects.toMatchObject({ code: 'OC_HTTP_LISTEN' });
    } finally {
      await t.close();
    }
  }, 60_000);

  it('uses the configured certificate files when given, and offers only the configured schemes', async () => {
    const first = await startTestWeb({});
    const dir = path.join(first.dataDir, 'tls');
    await first.stop();
    const t = await startTestWeb({ certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem'), authSchemes: 'basic' }, first.dataDir);
    t.web.addRoute(routes()[0] as HttpRoute);
    try {
      const c = await RawClient.tls(t.web.ports.https);
      c.write('GET /who HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await c.response()).all('www-authenticate')).toEqual(['Basic realm="exch01.test.local"']);
      c.close();
      expect((await curl(['--ntlm', '-u', `TEST\\alice:${PASSWORD}`, `https://127.0.0.1:${t.web.ports.https}/who`])).status).toBe(401);
    } finally {
      await t.close();
    }
  }, 60_000);
});
