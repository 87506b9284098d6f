// The IMAP backend's connection pool and trust modes (src/mapistore/backends/imap/{pool,credentials}.ts) against a
// real Dovecot (test/helpers/dovecot.ts): each trust mode logs in, wrong configurations give clear coded errors,
// connections are reused, bounded per user and closed when idle, and a Dovecot restart in the middle of a session
// costs one retry, not the session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConfigError, ImapCredentials, parsePasswordFile, type ImapAuthSettings } from '../../src/mapistore/backends/imap/credentials.js';
import { ImapPool, type ImapPoolSettings } from '../../src/mapistore/backends/imap/pool.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { MASTER_PASSWORD, poolSettings, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { MASTER_AUTH } from '../helpers/imap-test.js';

const AUTH = MASTER_AUTH;

function settings(d: Dovecot, o: Partial<ImapPoolSettings> = {}): ImapPoolSettings {
  return poolSettings(d, { maxConnectionsPerUser: 4, ...o });
}

/** Messages in INBOX (STATUS). */
async function messagesIn(c: ImapFlow): Promise<number | undefined> {
  const st = await c.status('INBOX', { messages: true });
  return st ? st.messages : undefined;
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; ec: number; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    const s = e as StoreError;
    return { code: s.code, ec: s.ec, message: s.message };
  }
  throw new Error('expected a failure');
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-pool-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('trust mode: master user', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
  });
  afterAll(async () => d.stop());

  it('logs in as the user through the master user, and reuses the connection', async () => {
    const pool = new ImapPool(settings(d), new ImapCredentials(AUTH), silentLogger());
    const a = await pool.acquire('alice');
    const appended = await a.client.append('INBOX', Buffer.from('Subject: via master\r\n\r\nbody\r\n'));
    expect(appended && typeof appended === 'object' && appended.uid).toBeGreaterThan(0);
    const first = a.client;
    a.release();
    const b = await pool.acquire('alice');
    expect(b.client).toBe(first);
    b.release();
    // the message is in alice's own mailbox
    expect(await d.doveadm(['mailbox', 'status', '-u', 'alice', 'messages', 'INBOX'])).toMatch(/messages=1/);
    await pool.close();
  });

  it('a wrong master password is OC_IMAP_AUTH (ecLoginFailure) naming the login, never the password', async () => {
    const pool = new ImapPool(settings(d), new ImapCredentials({ ...AUTH, masterPassword: 'not-the-secret-xyz' }), silentLogger());
    const r = await codeOf(pool.acquire('alice'));
    expect(r.code).toBe('OC_IMAP_AUTH');
    expect(r.ec).toBe(SEC.LogonFailed);
    expect(r.message).toContain('alice*master');
    expect(r.message).toContain(`${d.host}:${d.port}`);
    expect(r.message).not.toContain('not-the-secret-xyz');
    expect(pool.stats().get('alice')).toEqual({ idle: 0, busy: 0, waiting: 0 });
    await pool.close();
  });

  it('the master password may come from a file', async () => {
    const f = path.join(tmp, 'master.pw');
    fs.writeFileSync(f, `${MASTER_PASSWORD}\n`, { mode: 0o600 });
    const pool = new ImapPool(settings(d), new ImapCredentials({ ...AUTH, masterPassword: '', masterPasswordFile: f }), silentLogger());
    const n = await pool.run('bob', messagesIn);
    expect(n).toBe(0);
    await pool.close();
  });

  it('an unreachable server is OC_IMAP_CONNECT (ecNetError)', async () => {
    const pool = new ImapPool({ ...settings(d), port: 1 }, new ImapCredentials(AUTH), silentLogger());
    const r = await codeOf(pool.acquire('alice'));
    expect(r.code).toBe('OC_IMAP_CONNECT');
    expect(r.ec).toBe(SEC.NetworkError);
    expect(r.message).toContain(`${d.host}:1`);
    await pool.close();
  });

  it('holds at most maxConnectionsPerUser per user; others wait, then give up with OC_IMAP_BUSY', async () => {
    const pool = new ImapPool(settings(d, { maxConnectionsPerUser: 2, timeoutSeconds: 1 }), new ImapCredentials(AUTH), silentLogger());
    const a = await pool.acquire('alice');
    const b = await pool.acquire('alice');
    expect(a.client).not.toBe(b.client);
    const waiting = pool.acquire('alice');
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.stats().get('alice')?.waiting).toBe(1);
    a.release();
    const c = await waiting;
    expect(c.client).toBe(a.client); // handed straight over
    // another user is not held up by alice's limit
    const other = await pool.acquire('bob');
    other.release();
    const r = await codeOf(pool.acquire('alice'));
    expect(r.code).toBe('OC_IMAP_BUSY');
    expect(r.ec).toBe(SEC.Timeout);
    b.release();
    c.release();
    expect(pool.stats().get('alice')).toEqual({ idle: 2, busy: 0, waiting: 0 });
    await pool.close();
  });

  it("a dropped connection's slot passes to the first waiter, not to a caller that comes after it", async () => {
    const pool = new ImapPool(settings(d, { maxConnectionsPerUser: 1, timeoutSeconds: 5 }), new ImapCredentials(AUTH), silentLogger());
    const a = await pool.acquire('alice');
    const waiting = pool.acquire('alice');
    await new Promise((r) => setTimeout(r, 50));
    a.discard();
    // in the same tick as the discard (as run() retries after a lost connection): it must queue behind the waiter
    const later = pool.acquire('alice');
    const w = await waiting; // (it used to fail at once with OC_IMAP_BUSY, its slot taken by the later caller)
    expect(w.client).not.toBe(a.client);
    expect(w.client.usable).toBe(true);
    expect(pool.stats().get('alice')).toEqual({ idle: 0, busy: 1, waiting: 1 });
    w.release();
    const l = await later;
    expect(l.client).toBe(w.client);
    l.release();
    expect(pool.stats().get('alice')).toEqual({ idle: 1, busy: 0, waiting: 0 });
    await pool.close();
  });

  it('logs idle connections out after idleSeconds', async () => {
    const pool = new ImapPool(settings(d, { idleSeconds: 0.2 }), new ImapCredentials(AUTH), silentLogger());
    const a = await pool.acquire('carol');
    const client = a.client;
    a.release();
    expect(pool.stats().get('carol')?.idle).toBe(1);
    await new Promise((r) => setTimeout(r, 600));
    expect(pool.stats().get('carol')?.idle).toBe(0);
    expect(client.usable).toBe(false);
    await pool.close();
  });

  it('keeps an idle pooled connection usable past the socket watchdog, until idleSeconds (no new login)', async () => {
    // imapflow closes a quiet connection after socketTimeout (production: 60 s, against imap.idleSeconds 300): here
    // 800 ms, and the connection sits idle for 2.5 s
    let opened = 0;
    let noops = 0;
    const pool = new ImapPool(
      settings(d, { idleSeconds: 30 }),
      new ImapCredentials(AUTH),
      silentLogger(),
      (o) => {
        opened++;
        const c = new ImapFlow(o);
        const noop = c.noop.bind(c);
        c.noop = async () => {
          noops++;
          return noop();
        };
        return c;
      },
      { socketTimeoutMs: 800 },
    );
    const a = await pool.acquire('alice');
    const first = a.client;
    a.release();
    await new Promise((r) => setTimeout(r, 2500));
    expect(first.usable).toBe(true);
    expect(pool.stats().get('alice')).toEqual({ idle: 1, busy: 0, waiting: 0 });
    const b = await pool.acquire('alice');
    expect(b.client).toBe(first);
    expect(noops).toBeGreaterThanOrEqual(3); // the keep-alive, about every 400 ms (socketTimeoutMs / 2)
    // no keep-alive while lent out (the caller's commands are its own business)
    const lent = noops;
    await new Promise((r) => setTimeout(r, 600));
    expect(noops).toBe(lent);
    expect(typeof (await messagesIn(b.client))).toBe('number'); // the connection works
    b.release();
    expect(opened).toBe(1);
    await pool.close();
    expect(first.usable).toBe(false);
    // and none after close
    const closed = noops;
    await new Promise((r) => setTimeout(r, 600));
    expect(noops).toBe(closed);
  });

  it('survives a Dovecot restart in the middle of a session: one retry on a new connection, nothing lost', async () => {
    const pool = new ImapPool(settings(d), new ImapCredentials(AUTH), silentLogger());
    await pool.run('bob', async (c) => c.append('INBOX', Buffer.from('Subject: before restart\r\n\r\nx\r\n')));
    await d.restart();
    const count = await pool.run('bob', messagesIn);
    expect(count).toBe(1);
    await pool.run('bob', async (c) => c.append('INBOX', Buffer.from('Subject: after restart\r\n\r\ny\r\n')));
    expect(await d.doveadm(['mailbox', 'status', '-u', 'bob', 'messages', 'INBOX'])).toMatch(/messages=2/);
    await pool.close();
  });

  it('a command refused by the server is thrown as is and the connection stays in the pool', async () => {
    const pool = new ImapPool(settings(d), new ImapCredentials(AUTH), silentLogger());
    await expect(pool.run('alice', async (c) => c.mailboxOpen('No/Such/Folder'))).rejects.toThrow();
    expect(pool.stats().get('alice')).toEqual({ idle: 1, busy: 0, waiting: 0 });
    await pool.close();
  });
});

describe('trust mode: trusted host (static nopassword)', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'static' });
  });
  afterAll(async () => d.stop());

  it('logs in with the configured dummy password', async () => {
    const pool = new ImapPool(settings(d), new ImapCredentials({ ...AUTH, auth: 'trusted', trustedPassword: 'whatever' }), silentLogger());
    const boxes = await pool.run('alice', async (c) => (await c.list()).map((b) => b.path));
    expect(boxes).toContain('INBOX');
    await pool.close();
  });
});

describe('trust mode: password file', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'passwd' });
  });
  afterAll(async () => d.stop());

  it('logs in with the file password, re-reads the file when it changes, and names users it lacks', async () => {
    const f = path.join(tmp, 'imap-passwords');
    fs.writeFileSync(f, `# test users\nalice:${d.users.alice}\n\nbob:wrong:password\n`, { mode: 0o600 });
    const creds = new ImapCredentials({ ...AUTH, auth: 'passwordFile', passwordFile: f });
    const pool = new ImapPool(settings(d), creds, silentLogger());
    expect(await pool.run('alice', messagesIn)).toBe(0);
    const bob = await codeOf(pool.acquire('bob'));
    expect(bob.code).toBe('OC_IMAP_AUTH'); // "wrong:password" (a ':' belongs to the password) is refused by Dovecot
    const carol = await codeOf(pool.acquire('carol'));
    expect(carol.code).toBe('OC_IMAP_NO_CREDENTIALS');
    expect(carol.ec).toBe(SEC.LogonFailed);
    fs.writeFileSync(f, `alice:${d.users.alice}\ncarol:${d.users.carol}\n`);
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(f, t, t);
    expect(await pool.run('carol', messagesIn)).toBe(0);
    await pool.close();
  });

  it('userPassword mode uses the password the session has, and refuses a session without one', async () => {
    const pool = new ImapPool(settings(d), new ImapCredentials({ ...AUTH, auth: 'userPassword' }), silentLogger());
    expect(await pool.run('bob', messagesIn, d.users.bob)).toBe(0);
    // (a pooled connection of bob's stays usable for bob's other sessions; carol has none)
    const r = await codeOf(pool.acquire('carol'));
    expect(r.code).toBe('OC_IMAP_NO_CREDENTIALS');
    expect(r.message).toMatch(/HTTP Basic/);
    await pool.close();
  });
});

describe('trust mode configuration errors', () => {
  it('are found when the credentials are built, naming the key', () => {
    const cases: [Partial<ImapAuthSettings>, RegExp][] = [
      [{ masterUser: '' }, /imap\.masterUser/],
      [{ masterPassword: '' }, /imap\.masterPassword/],
      [{ masterPasswordFile: path.join(tmp, 'missing') }, /imap\.masterPasswordFile .*missing/],
      [{ auth: 'passwordFile', passwordFile: '' }, /imap\.passwordFile is empty/],
      [{ auth: 'passwordFile', passwordFile: path.join(tmp, 'missing2') }, /imap\.passwordFile .*missing2/],
    ];
    for (const [o, re] of cases) {
      let err: unknown;
      try {
        new ImapCredentials({ ...AUTH, ...o });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(o)).toBeInstanceOf(ImapConfigError);
      expect((err as ImapConfigError).code).toBe('OC_IMAP_CONFIG');
      expect((err as Error).message).toMatch(re);
    }
  });

  it('a password file line without ":" is an error naming its line', () => {
    expect(() => parsePasswordFile('alice:x\nbroken line\n', 'pw')).toThrow(/pw line 2/);
    expect([...parsePasswordFile('# c\n alice : a:b \n\nbob:\n')]).toEqual([
      ['alice', ' a:b '],
      ['bob', ''],
    ]);
  });
});
