// What the throw-away IMAP servers of the tests (test/helpers/dovecot.ts, cyrus.ts) share: waiting for the
// greeting, and stopping a server started in a process group of its own together with every process it forked.
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** True once the server has sent its "* OK" greeting on a fresh connection to 127.0.0.1:`port`. */
export function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('* OK'));
    });
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/**
 * SIGTERM to the process group of `child` (spawned with `detached: true`: the master and every login, auth or imap
 * process it forked), SIGKILL to the group after 5 s. Signalling only the master would leave its children serving
 * their clients for a while.
 */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const signalGroup = (sig: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pgid, sig);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false; // the group is gone
      throw err;
    }
  };
  const masterExited =
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!signalGroup('SIGTERM')) return;
  const deadline = Date.now() + 5000;
  await Promise.race([masterExited, new Promise((r) => setTimeout(r, 5000))]);
  while (Date.now() < deadline && signalGroup(0)) await new Promise((r) => setTimeout(r, 25));
  if (signalGroup('SIGKILL')) await masterExited;
}

/**
 * One server process at a time, started in a process group of its own (`detached: true`) and counted as started once
 * it greets on `port`.
 */
export class ServerProcess {
  private child: ChildProcess | null = null;

  get running(): boolean {
    return this.child !== null;
  }

  /**
   * Runs `spawnIt` (unless a process runs already) and waits up to `timeoutMs` for the greeting. Returns null when
   * it came; else stops what was started and returns why not ("exited with 89", "no greeting within 10 s").
   */
  async start(spawnIt: () => ChildProcess, port: number, timeoutMs: number): Promise<string | null> {
    if (this.child) return null;
    const child = spawnIt();
    let exited: string | null = null;
    child.once('error', (err) => {
      exited = `spawn failed: ${err.message}`;
      if (this.child === child) this.child = null;
    });
    child.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      if (this.child === child) this.child = null;
    });
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !exited) {
      if (await greets(port)) return null;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    return exited ?? `no greeting within ${timeoutMs / 1000} s`;
  }

  /** Stops the process group (stopProcessGroup); nothing when none runs. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    await stopProcessGroup(child);
  }
}
