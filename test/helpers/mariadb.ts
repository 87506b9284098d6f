// A throw-away MariaDB for the index tests (Debian package mariadb-server): mariadb-install-db into a temporary
// directory, mariadbd on 127.0.0.1 on a free high port (plus a unix socket for root), a database and a user for the
// tests, stopped with SIGTERM and removed afterwards. No systemd, nothing outside the temporary directory.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './ports.js';

export const MARIADBD = '/usr/sbin/mariadbd';
export const INSTALL_DB = '/usr/bin/mariadb-install-db';
export const CLIENT = '/usr/bin/mariadb';

export const DB_NAME = 'ocng';
export const DB_USER = 'ocng';
export const DB_PASSWORD = 'ocng-secret';

export function mariadbAvailable(): boolean {
  return [MARIADBD, INSTALL_DB, CLIENT].every((b) => fs.existsSync(b));
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: String(stdout) + String(stderr) });
    });
  });
}


export class MariaDb {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private child: ChildProcess | null,
  ) {}

  get url(): string {
    return `mysql://${DB_USER}:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:${this.port}/${DB_NAME}`;
  }

  get socket(): string {
    return path.join(this.dir, 'sock');
  }

  /** Installs a data directory, starts mariadbd and creates the test database and user. */
  static async start(): Promise<MariaDb> {
    if (!mariadbAvailable()) throw new Error('mariadb-server is missing: apt-get install -y --no-install-recommends mariadb-server');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-mariadb-'));
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? ['--user=root'] : [];
    const inst = await run(INSTALL_DB, [
      '--no-defaults', `--datadir=${dir}/data`, ...user, '--skip-test-db', '--auth-root-authentication-method=socket',
    ]);
    if (inst.code !== 0) throw new Error(`mariadb-install-db failed (${inst.code}): ${inst.out.slice(-2000)}`);
    const port = await freePort();
    const log = fs.openSync(path.join(dir, 'error.log'), 'a');
    const child = spawn(MARIADBD, [
      '--no-defaults', `--datadir=${dir}/data`, `--socket=${dir}/sock`, `--port=${port}`, '--bind-address=127.0.0.1', ...user,
      '--skip-log-bin', `--pid-file=${dir}/mariadb.pid`, '--innodb-buffer-pool-size=32M', '--skip-name-resolve',
      '--innodb-flush-log-at-trx-commit=2',
    ], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const db = new MariaDb(dir, port, child);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      db.child = null;
    });
    for (let i = 0; i < 600 && !exited; i++) {
      if (fs.existsSync(db.socket) && (await run(CLIENT, ['--no-defaults', '-S', db.socket, '-uroot', '-e', 'select 1'])).code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sql =
      `CREATE DATABASE IF NOT EXISTS ${DB_NAME} CHARACTER SET utf8mb4; ` +
      `CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}'; ` +
      `GRANT ALL ON ${DB_NAME}.* TO '${DB_USER}'@'127.0.0.1'; FLUSH PRIVILEGES;`;
    const r = await run(CLIENT, ['--no-defaults', '-S', db.socket, '-uroot', '-e', sql]);
    if (exited || r.code !== 0) {
      const err = fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8').slice(-2000) : '';
      await db.stop();
      throw new Error(`mariadbd did not start: ${r.out} ${err}`);
    }
    return db;
  }

  /** Runs SQL as root (for tests that inspect or reset tables). */
  async sql(statement: string): Promise<string> {
    const r = await run(CLIENT, ['--no-defaults', '-S', this.socket, '-uroot', '-N', '-B', '-e', statement]);
    if (r.code !== 0) throw new Error(`mariadb: ${r.out}`);
    return r.out;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          c.kill('SIGKILL');
        }, 20_000);
        c.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        c.kill('SIGTERM');
      });
      this.child = null;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One MariaDB for the calling test file: started before its tests (failing them, not skipping, when mariadb-server is
 * missing: npm test installs it), stopped after them. The getter throws until it has started.
 */
export function mariaDbPerFile(): () => MariaDb {
  let db: MariaDb | null = null;
  beforeAll(async () => {
    db = await MariaDb.start();
  }, 120_000);
  afterAll(async () => {
    await db?.stop();
  });
  return () => {
    if (!db) throw new Error('MariaDB did not start');
    return db;
  };
}
