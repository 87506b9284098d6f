// Real clients through the RPC over HTTP proxy (issue 5 acceptance): impacket over ncacn_http with NTLM and with
// Basic HTTP authentication and NTLM at PKT_PRIVACY inside (NspiBind, NspiGetSpecialTable, NspiQueryRows through the
// whole address book, RfrGetNewDSA), Samba's Python bindings over ncacn_http (HTTP/1.0, NTLM HTTP auth, sealed
// SPNEGO inside: NspiBind + QueryRows; raw-NTLM `seal,ntlm` fails over TCP as well: Samba's secondary context sends an
// alter_context with auth on the established context, which src/dcerpc refuses), and the refusals: an RPC identity other than the HTTP user, an unknown ?host:port, an echo request.
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST, PASSWORD, startProxyServer, type ProxyServer } from './http-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

function py<T>(script: string, args: string[], timeoutMs = 90_000): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [script, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const line = String(stdout).trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${path.basename(script)} printed no JSON (${err?.message ?? ''}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

interface HttpRun {
  ok: boolean;
  error?: string;
  trace?: string;
  bind?: { guid: string | null };
  special?: string[];
  rows?: string[];
  unbind?: number;
  new_dsa?: string;
}

/** Sends raw bytes on a fresh connection and returns everything the server sent until it closed. */
function raw(port: number, data: string | Buffer, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('close', () => resolve(Buffer.concat(got)));
    s.on('error', reject);
    s.setTimeout(ms, () => s.destroy());
    s.write(data);
  });
}

const basic = (u: string) => `Basic ${Buffer.from(`${u}:${PASSWORD}`).toString('base64')}`;

describe('RPC over HTTP v2 with real clients', () => {
  let srv: ProxyServer;
  const users = ['alice', 'bob', ...Array.from({ length: 120 }, (_, i) => `user${String(i).padStart(3, '0')}`)];
  beforeAll(async () => {
    srv = await startProxyServer(users);
  });
  afterAll(async () => {
    await srv?.close();
  });

  const impacket = (args: string[], timeoutMs?: number, url = srv.tlsUrl) =>
    py<HttpRun>(path.join(HERE, 'impacket_http.py'), [...args, '--proxy', url, '--server', HOST], timeoutMs);

  for (const auth of ['ntlm', 'basic'] as const) {
    it(`impacket over HTTPS, ${auth} HTTP auth, NTLM at PKT_PRIVACY: NspiBind, GetSpecialTable, QueryRows through the GAL, RfrGetNewDSA`, async () => {
      const r = await impacket(['both', '--http-auth', auth, '--page', '37']);
      if (!r.ok) throw new Error(`${r.error}\n${r.trace}`);
      expect(r.bind?.guid).toMatch(/^[0-9a-f-]{36}$/i);
      expect(r.special?.length).toBeGreaterThan(0);
      expect(r.rows?.length).toBeGreaterThanOrEqual(users.length);
      expect(r.rows).toContain('user119');
      expect(r.unbind).toBe(1);
      expect(r.new_dsa?.toLowerCase()).toBe(HOST);
      expect(srv.proxy.table.size).toBe(0);
    });
  }

  it('Samba over ncacn_http (HTTP/1.0, NTLM HTTP auth, SPNEGO seal inside): NspiBind and QueryRows through the GAL', async () => {
    const script = path.resolve(HERE, '../interop/samba_nspi.py');
    const binding = `ncacn_http:${HOST}[6004,RpcProxy=127.0.0.1:${srv.port},HttpAuthOption=ntlm,HttpUseTls=false,seal]`;
    const r = await py<{ ok: boolean; error?: string; trace?: string; bind: { result: number }; pages: Array<{ rows: unknown[] }> }>(script, [
      binding,
      'alice',
      PASSWORD,
      'all',
      '--page',
      '50',
    ]);
    if (!r.ok) throw new Error(`${r.error}\n${r.trace}`);
    expect(r.bind.result).toBe(0);
    expect(r.pages.flatMap((p) => p.rows).length).toBeGreaterThanOrEqual(users.length);
  });

  it('an RPC identity other than the HTTP user is refused; other virtual connections carry on', async () => {
    const [bad, good] = await Promise.all([
      impacket(['nspi', '--http-auth', 'basic', '-u', 'alice', '--rpc-user', 'bob'], 30_000),
      impacket(['nspi', '--http-auth', 'ntlm', '-u', 'bob'], 30_000, srv.url),
    ]);
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/access_denied|0x5\b/i);
    expect(good.ok).toBe(true);
  });

  it('an unknown ?host:port gets 503 RPC Error; an echo request gets the Echo RTS PDU', async () => {
    const head = (target: string, len: number) =>
      `RPC_IN_DATA ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('alice')}\r\nContent-Length: ${len}\r\nConnection: Keep-Alive\r\n\r\n`;
    const other = await raw(srv.port, head('/rpc/rpcproxy.dll?elsewhere.example:6004', 1073741824));
    expect(other.toString('latin1')).toMatch(/^HTTP\/1\.0 503 RPC Error: 6ba\r\n/);
    const port = await raw(srv.port, head(`/rpc/rpcproxy.dll?${HOST}:6003`, 1073741824));
    expect(port.toString('latin1')).toMatch(/^HTTP\/1\.0 503 RPC Error: 6ba\r\n/);
    const echo = await raw(srv.port, head(`/rpc/rpcproxy.dll?${HOST}:6004`, 4) + '\xf8\xe8\x18\x08');
    const text = echo.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 200 Success\r\n/);
    expect(echo.subarray(echo.indexOf('\r\n\r\n') + 4).toString('hex')).toBe('0500140310000000140000000000000040000000');
    const garbage = await raw(srv.port, Buffer.concat([Buffer.from(head(`/rpc/rpcproxy.dll?${HOST}:6004`, 1073741824)), Buffer.from('050014031000000018000000000000000000010063000000', 'hex')]));
    expect(garbage.toString('latin1')).toMatch(/^HTTP\/1\.0 503 RPC Error: 6c0\r\n/);
  });
});
