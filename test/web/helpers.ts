// The HTTPS front door alone (startWeb) on loopback ephemeral ports with a throw-away built-in directory, and a raw
// HTTP/1.x client over net/tls sockets that reads responses byte-exactly (for the tests that need to see 100
// Continue, keep-alive and connection closes).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { loadConfig, type DeepPartial } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { openConfiguredDirectory } from '../../src/directory/open.js';
import type { DirectoryAdmin } from '../../src/directory/types.js';
import { createLogger, silentLogger, type Logger } from '../../src/util/log.js';
import { startWeb, type WebFrontDoor } from '../../src/web/index.js';

export const PASSWORD = 'Passw0rd!';

export interface TestWeb {
  web: WebFrontDoor;
  config: Config;
  dataDir: string;
  directory: DirectoryAdmin;
  log: Logger;
  /** Stops the front door (keeping dataDir and the directory open when `keep`). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export function testConfig(dataDir: string, http: DeepPartial<Config['http']> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      dataDir,
      server: { hostname: 'exch01.test.local', domain: 'TEST' },
      log: { level: 'silent' },
      directory: { demoUser: false },
      http: { enabled: true, listen: '127.0.0.1', port: 0, hostnames: 'autodiscover.test.local,127.0.0.1', ...http },
    },
  });
}

export async function startTestWeb(http: DeepPartial<Config['http']> = {}, dataDirIn?: string): Promise<TestWeb> {
  const dataDir = dataDirIn ?? mkdtempSync(path.join(tmpdir(), 'ocng-web-'));
  const config = testConfig(dataDir, http);
  const log = process.env.OCNG_TEST_LOG ? createLogger({ level: 'debug', destination: 2 }) : silentLogger();
  const { admin } = await openConfiguredDirectory(config, log, { scryptN: 1024 });
  const directory = admin as DirectoryAdmin;
  if (!(await directory.findUser('alice'))) {
    await directory.addUser({ username: 'alice', password: PASSWORD });
    await directory.addUser({ username: 'bob', password: PASSWORD });
  }
  const web = await startWeb(config, log, { directory });
  return {
    web,
    config,
    dataDir,
    directory,
    log,
    stop: () => web.close(),
    async close() {
      await web.close();
      await directory.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  statusLine: string;
  headers: Array<[string, string]>;
  body: Buffer;
  header(name: string): string | undefined;
  all(name: string): string[];
}

/** A raw HTTP/1.x client on one socket: write anything, read whole responses. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static tls(port: number, opts: tls.ConnectionOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  static plain(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitFor<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (this.ended) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Reads one response (head + Content-Length body). */
  async response(ms?: number): Promise<RawResponse> {
    return this.waitFor(() => {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      const statusLine = lines[0] ?? '';
      const headers = lines.slice(1).map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
      });
      const all = (n: string) => headers.filter(([k]) => k.toLowerCase() === n.toLowerCase()).map(([, v]) => v);
      const status = Number(statusLine.split(' ')[1]);
      const len = status === 100 ? 0 : Number(all('content-length')[0] ?? '0');
      if (this.buf.length < end + 4 + len) return undefined;
      const body = Buffer.from(this.buf.subarray(end + 4, end + 4 + len));
      this.buf = this.buf.subarray(end + 4 + len);
      return { status, statusLine, headers, body, header: (n: string) => all(n)[0], all };
    }, ms);
  }

  /** Reads exactly n bytes. */
  async bytes(n: number): Promise<Buffer> {
    return this.waitFor(() => {
      if (this.buf.length < n) return undefined;
      const out = Buffer.from(this.buf.subarray(0, n));
      this.buf = this.buf.subarray(n);
      return out;
    });
  }

  /** Resolves once the server closed the connection. */
  async closed(ms = 5000): Promise<void> {
    await this.waitFor(() => (this.ended ? true : undefined), ms).catch((e: Error) => {
      if (!this.ended) throw e;
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}
