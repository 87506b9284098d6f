// impacket's example exchanger.py (Debian python3-impacket 0.10), unchanged, through our HTTPS RPC proxy: it only
// speaks to port 443 (ncacn_http:NAME[6004,RpcProxy=HOST:443]), so this test listens there on 127.0.0.1 and is
// skipped when 443 cannot be bound without root; as root (npm test in CI) that is a failure.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST, PASSWORD, startProxyServer, type ProxyServer } from './http-server.js';

const EXAMPLE = '/usr/share/doc/python3-impacket/examples/exchanger.py';

describe('exchanger.py through the HTTPS proxy on port 443', () => {
  let srv: ProxyServer | null = null;
  let why = '';
  beforeAll(async () => {
    srv = await startProxyServer(['alice', 'bob'], {}, { tlsPort: 443 }).catch((e: unknown) => {
      why = String(e);
      return null;
    });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('nspi list-tables -count completes', async (ctx) => {
    // npm test runs as root (CI): there 443 must be bindable, and a failure to bind is a failure; an unprivileged
    // developer run cannot bind it and skips
    if (!srv && process.getuid?.() === 0) throw new Error(`port 443 not available: ${why}`);
    if (!srv) return ctx.skip(`port 443 not available without root: ${why}`);
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        '/usr/bin/python3',
        [EXAMPLE, '-rpc-hostname', HOST, `TEST/alice:${PASSWORD}@127.0.0.1`, 'nspi', 'list-tables', '-count'],
        { timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
      );
    });
    expect(out.stderr + out.stdout).not.toMatch(/Traceback|\[-\]/);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/All Users/);
    expect(srv.proxy.table.size).toBe(0);
  });
});
