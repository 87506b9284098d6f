// Autodiscover test harness: a built-in directory in a throw-away data directory with a few users, and an HTTP(S)
// server that authenticates with HTTP Basic against that directory and hands the request to the Autodiscover route
// (standing in for the front door of src/web until tests use the real one).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type DeepPartial } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { openDirectory } from '../../src/directory/builtin.js';
import type { DirectoryAdmin } from '../../src/directory/types.js';
import type { HttpContext, HttpRoute } from '../../src/web/types.js';
import { childrenNamed, type XmlElement } from '../../src/autodiscover/xml.js';
import { silentLogger } from '../../src/util/log.js';

export const PASSWORD = 'Passw0rd!';

export interface AdFixture {
  config: Config;
  directory: DirectoryAdmin;
  dataDir: string;
  close(): Promise<void>;
}

/** alice (alias alice.smith@example.com), bob (disabled), carol <O'Hara & Co> (a display name that needs escaping). */
export async function adFixture(over: DeepPartial<Config> = {}): Promise<AdFixture> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ocng-ad-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      server: { hostname: 'exch01.example.com', domain: 'EXAMPLE', dnsDomain: 'example.com' },
      log: { level: 'silent' },
      directory: { demoUser: false },
      ...over,
    },
  });
  const directory = openDirectory(config, silentLogger(), { scryptN: 1024 });
  await directory.addUser({ username: 'alice', password: PASSWORD, displayName: 'Alice Smith', smtpAddress: 'alice@example.com', aliases: ['alice.smith@example.com'] });
  await directory.addUser({ username: 'bob', password: PASSWORD, displayName: 'Bob', smtpAddress: 'bob@example.com' });
  await directory.setEnabled('bob', false);
  await directory.addUser({ username: 'carol', password: PASSWORD, displayName: "Carol <O'Hara & Co>", smtpAddress: 'carol@example.com' });
  return {
    config,
    directory,
    dataDir,
    async close() {
      await directory.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RouteServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A self-signed certificate for `host` (and 127.0.0.1, localhost) made with openssl in a temp directory. */
export function selfSignedCert(host: string): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ocng-ad-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host},DNS:localhost,IP:127.0.0.1`,
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Serves one route on 127.0.0.1 (HTTPS when a certificate is given): Basic authentication against the directory
 * when the route asks for it (401 with WWW-Authenticate: Basic otherwise), path and method matching as the front
 * door does, then route.handle.
 */
export async function serveRoute(route: HttpRoute, directory: DirectoryAdmin, tls?: { key: Buffer; cert: Buffer }): Promise<RouteServer> {
  const log = silentLogger();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    void (async () => {
      const pathOnly = (req.url ?? '/').split('?')[0]!;
      if (!route.path.test(pathOnly)) {
        res.writeHead(404, { 'Content-Length': 0 }).end();
        return;
      }
      if (!route.methods.includes(req.method ?? '')) {
        res.writeHead(405, { Allow: route.methods.join(', '), 'Content-Length': 0 }).end();
        return;
      }
      let user: HttpContext['user'] = null;
      if (route.auth) {
        const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
        const [name, ...rest] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':') : [];
        const ok = name !== undefined ? await directory.verifyPassword(name.replace(/^.*\\/, ''), rest.join(':')) : null;
        if (!ok) {
          req.resume();
          res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="exch01"', 'Content-Length': 0 }).end();
          return;
        }
        user = { username: ok.username, domain: 'EXAMPLE', method: 'basic' };
      }
      const ctx: HttpContext = { user, secure: !!tls, peer: { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 }, log };
      await route.handle(req, res, ctx);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Length': 0 });
      res.end();
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/autodiscover/autodiscover.xml`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function requestBody(email: string, schema = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">' +
    `<Request><EMailAddress>${email}</EMailAddress><AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request></Autodiscover>`
  );
}

/** Each Protocol element of a settings answer as { childName: text }, keyed by Type. */
export function protocolsOf(account: XmlElement): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const p of childrenNamed(account, 'Protocol')) {
    const fields = Object.fromEntries(p.children.map((c) => [c.name, c.text]));
    out[fields.Type!] = fields;
  }
  return out;
}
