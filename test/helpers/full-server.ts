// A complete in-process server (startServer) on ephemeral loopback ports with a throw-away data directory, and a
// runner for the independent Python clients in test/interop (Debian's /usr/bin/python3).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type DeepPartial } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { Directory, DirectoryAdmin } from '../../src/directory/types.js';
import type { MailboxStore } from '../../src/mapistore/types.js';
import { openConfiguredDirectory } from '../../src/directory/open.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createLogger, silentLogger, type Logger } from '../../src/util/log.js';

export const PYTHON = '/usr/bin/python3';
export const PASSWORD = 'Passw0rd!';

export interface TestServer {
  server: RunningServer;
  /** The directory the server was started with (built-in or LDAP). */
  directory: Directory;
  config: Config;
  dataDir: string;
  log: Logger;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Fills the built-in directory before the server starts (after `users` are added). */
  populate?(admin: DirectoryAdmin, config: Config): Promise<void>;
  /** scrypt cost of the built-in directory's Basic hashes (lower for directories of hundreds of test users). */
  scryptN?: number;
}

/**
 * The whole server with the directory the config names: the built-in one (in a fresh data directory, with `users`
 * added) or, with `directory: { provider: 'ldap', ldap: {...} }`, an LDAP server such as test/helpers/slapd.ts.
 */
export async function startTestServer(
  over: DeepPartial<Config> = {},
  users: Array<[string, string]> = [['alice', PASSWORD]],
  opts: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ocng-test-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      server: { hostname: 'exch01.test.local', domain: 'TEST' },
      log: { level: 'silent' },
      rpc: { listen: '127.0.0.1', port: 0, epmPort: 0 },
      directory: { demoUser: false },
      ...over,
    },
  });
  const log = process.env.OCNG_TEST_LOG ? createLogger({ level: 'debug', destination: 2 }) : silentLogger();
  const { directory, admin } = await openConfiguredDirectory(config, log, { scryptN: opts.scryptN });
  let server: RunningServer;
  try {
    if (admin) for (const [u, p] of users) await admin.addUser({ username: u, password: p });
    if (admin && opts.populate) await opts.populate(admin, config);
    server = await startServer(config, log, { directory });
  } catch (e) {
    await directory.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    directory,
    config,
    dataDir,
    log,
    async close() {
      await server.close();
      await directory.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The mailbox of directory user `username` on the test server's store, opened as a logon would open it. */
export async function openUserMailbox<M extends MailboxStore = MailboxStore>(ts: TestServer, username: string): Promise<M> {
  const u = await ts.directory.findUser(username);
  if (!u) throw new Error(`no user ${username} in the test server's directory`);
  if (!ts.server.store) throw new Error('the test server has no store');
  return (await ts.server.store.openMailbox({ username: u.username, displayName: u.displayName, legacyDn: u.legacyExchangeDN })) as M;
}

const INTEROP = process.env.OCNG_INTEROP_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../interop');

/** Runs test/interop/<script> with args under /usr/bin/python3 (asynchronously: the server shares this process). */
export function runPython(script: string, args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(PYTHON, [path.join(INTEROP, script), ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}

/** Runs a script that prints one JSON object and returns it (failing with the script's stderr otherwise). */
export async function runPythonJson<T = Record<string, unknown>>(script: string, args: string[], timeoutMs?: number): Promise<T> {
  const r = await runPython(script, args, timeoutMs);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${script} ${args.join(' ')} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
