// The IDLE watcher's retry loop (src/mapistore/backends/imap/watcher.ts) with a pool that cannot give it a
// connection: how often it tries again, and that stop() ends a wait at once. (IDLE itself is tested against Dovecot
// in test/integration/imap-store.test.ts.)
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { ImapWatcher } from '../../src/mapistore/backends/imap/watcher.js';
import type { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import { silentLogger } from '../../src/util/log.js';

/** A pool whose acquire() fails with `code`, after `delayMs`; counts the calls. */
function failingPool(code: string, delayMs = 0): { pool: ImapPool; calls: () => number } {
  let n = 0;
  const acquire = async (): Promise<never> => {
    n++;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    throw new StoreError(code, SEC.NetworkError, `test: ${code}`);
  };
  return { pool: { acquire } as unknown as ImapPool, calls: () => n };
}

function watcher(pool: ImapPool): ImapWatcher {
  return new ImapWatcher({
    pool,
    username: 'alice',
    log: silentLogger(),
    inboxFid: async () => null,
    syncFolder: async () => undefined,
    syncAll: async () => undefined,
    intervalMs: 3_600_000,
    idle: true,
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ImapWatcher retries', () => {
  it('an unreachable server is tried again after 1 s, 2 s, 4 s ...', async () => {
    vi.useFakeTimers();
    const { pool, calls } = failingPool('OC_IMAP_CONNECT');
    const w = watcher(pool);
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls()).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls()).toBe(3);
    await vi.advanceTimersByTimeAsync(4000);
    expect(calls()).toBe(4);
    const stopped = w.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
  });

  it('a refused login is tried again after 5 minutes only (no fail2ban count every 30 s)', async () => {
    for (const code of ['OC_IMAP_AUTH', 'OC_IMAP_NO_CREDENTIALS']) {
      vi.useFakeTimers();
      const { pool, calls } = failingPool(code);
      const w = watcher(pool);
      w.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(calls()).toBe(1);
      await vi.advanceTimersByTimeAsync(299_000);
      expect(calls()).toBe(1);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(calls()).toBe(2);
      const stopped = w.stop();
      await vi.advanceTimersByTimeAsync(0);
      await stopped;
      vi.useRealTimers();
    }
  });

  it('stop() while a connection is being opened ends the loop when the attempt fails, without its backoff', async () => {
    // the attempt fails 200 ms after stop(); the loop used to sleep its backoff (1 s here) before looking at stop()
    const { pool } = failingPool('OC_IMAP_CONNECT', 300);
    const w = watcher(pool);
    w.start();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await w.stop();
    expect(Date.now() - t0).toBeLessThan(900);
  });

  it('stop() during a backoff wait ends it at once', async () => {
    const { pool, calls } = failingPool('OC_IMAP_CONNECT');
    const w = watcher(pool);
    w.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls()).toBe(1); // now waiting 1 s
    const t0 = Date.now();
    await w.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(calls()).toBe(1);
  });
});
