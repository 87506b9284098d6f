// The Dovecot test service (test/helpers/dovecot.ts) in each trust mode, judged with imapflow and Python's imaplib:
// the IMAP extensions the IMAP backend relies on are advertised (RFC 3501, 7162, 4315, 6851, 4314, 2342, 6154, 2177,
// 5465, 5819, 5161), logins follow the mode, APPEND answers APPENDUID (RFC 4315 3), a folder shared with SETACL
// (RFC 4314 3.1) shows up for the other user under the shared namespace, and restart() keeps the data.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { atom, DovecotError, imapCommand, startDovecot, str, type Dovecot } from '../helpers/dovecot.js';

const REQUIRED = ['IMAP4rev1', 'CONDSTORE', 'QRESYNC', 'UIDPLUS', 'MOVE', 'ACL', 'NAMESPACE', 'SPECIAL-USE', 'IDLE', 'NOTIFY', 'LIST-STATUS', 'ENABLE'];

function message(subject: string): string {
  return [
    'From: Alice <alice@example.test>',
    'To: Bob <bob@example.test>',
    `Subject: ${subject}`,
    'Date: Fri, 27 Nov 2026 10:00:00 +0000',
    `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Body of ${subject}.`,
    '',
  ].join('\r\n');
}

async function login(d: Dovecot, user: string, password?: string): Promise<ImapFlow> {
  const c = new ImapFlow(d.clientOptions(user, password));
  c.on('error', () => {
    // connection errors surface through the awaited calls; the event must have a listener
  });
  await c.connect();
  return c;
}

/** Resolves with imapflow's error when the login is refused, rejects when it succeeds. */
async function refused(d: Dovecot, user: string, password: string): Promise<{ authenticationFailed?: boolean; serverResponseCode?: string }> {
  const c = new ImapFlow({ ...d.clientOptions(user), auth: { user, pass: password } });
  c.on('error', () => {
    // see login()
  });
  try {
    await c.connect();
  } catch (err) {
    return err as { authenticationFailed?: boolean };
  }
  await c.logout();
  throw new Error(`login as ${user} was accepted`);
}

async function subjects(c: ImapFlow, mailbox: string): Promise<string[]> {
  const lock = await c.getMailboxLock(mailbox);
  try {
    const out: string[] = [];
    const mb = c.mailbox;
    if (mb && mb.exists > 0) {
      for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
    }
    return out.sort();
  } finally {
    lock.release();
  }
}

function python(script: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', ['-c', script, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: String(stdout) + String(stderr) });
    });
  });
}

const IMAPLIB_LIST = `
import imaplib, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
typ, _ = m.login(user, pw)
assert typ == 'OK', typ
typ, boxes = m.list()
assert typ == 'OK', typ
for b in boxes:
    print(b.decode())
m.logout()
`;

describe('Dovecot test service, passwd mode', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'passwd' });
  });
  afterAll(async () => {
    await d?.stop();
  });

  test('advertises the extensions the IMAP backend relies on', async () => {
    const c = await login(d, 'alice');
    try {
      for (const cap of REQUIRED) expect(c.capabilities.has(cap), cap).toBe(true);
      expect(c.namespaces?.personal[0]).toEqual({ prefix: '', delimiter: '/' });
      expect(c.namespaces?.other).toEqual([{ prefix: 'shared/', delimiter: '/' }]);
    } finally {
      await c.logout();
    }
  });

  test('accepts the right password and refuses a wrong one or an unknown user', async () => {
    const c = await login(d, 'bob', 'bob-secret');
    await c.logout();
    expect((await refused(d, 'bob', 'wrong')).authenticationFailed).toBe(true);
    expect((await refused(d, 'mallory', 'bob-secret')).authenticationFailed).toBe(true);
  });

  test('creates INBOX and the special-use folders', async () => {
    const c = await login(d, 'carol');
    try {
      const uses = new Map((await c.list()).map((m) => [m.specialUse ?? '', m.path]));
      expect(uses.get('\\Inbox')).toBe('INBOX');
      expect(uses.get('\\Drafts')).toBe('Drafts');
      expect(uses.get('\\Sent')).toBe('Sent');
      expect(uses.get('\\Trash')).toBe('Trash');
      expect(uses.get('\\Junk')).toBe('Junk');
    } finally {
      await c.logout();
    }
  });

  test('APPEND to INBOX answers APPENDUID', async () => {
    const c = await login(d, 'alice');
    try {
      const first = await c.append('INBOX', message('First'));
      const second = await c.append('INBOX', message('Second'));
      expect(first && typeof first.uidValidity).toBe('bigint');
      expect(first && first.uid).toBeGreaterThan(0);
      expect(second && second.uid).toBe(first && first.uid !== undefined ? first.uid + 1 : NaN);
      expect(await subjects(c, 'INBOX')).toEqual(['First', 'Second']);
    } finally {
      await c.logout();
    }
  });

  test('a folder shared with SETACL appears for the other user under shared/<owner>/', async () => {
    const alice = await login(d, 'alice');
    const bob = await login(d, 'bob');
    try {
      await alice.mailboxCreate('Projects');
      await alice.append('Projects', message('Plan'));
      expect((await bob.list()).map((m) => m.path)).not.toContain('shared/alice/Projects');
      // Dovecot remembers a failed open of a shared folder for the rest of the session, so this check uses its own
      const early = await login(d, 'bob');
      try {
        await expect(early.mailboxOpen('shared/alice/Projects')).rejects.toMatchObject({ responseText: expect.stringMatching(/doesn't exist/) });
      } finally {
        await early.logout();
      }

      await imapCommand(alice, 'SETACL', [str('Projects'), str('bob'), atom('lr')]);
      const acl = await imapCommand(alice, 'GETACL', [str('Projects')], ['ACL']);
      expect(acl).toHaveLength(1);
      const entries = acl[0]?.attributes.slice(1) ?? [];
      expect(entries[entries.indexOf('bob') + 1]).toBe('lr');

      // Dovecot builds a session's shared-namespace list once: bob's open session does not list the new share,
      // a new session does (the folder itself can be opened at once).
      expect(await subjects(bob, 'shared/alice/Projects')).toEqual(['Plan']);
      const bob2 = await login(d, 'bob');
      try {
        expect((await bob2.list()).map((m) => m.path)).toContain('shared/alice/Projects');
      } finally {
        await bob2.logout();
      }
      const rights = await imapCommand(bob, 'MYRIGHTS', [str('shared/alice/Projects')], ['MYRIGHTS']);
      expect(rights[0]?.attributes).toEqual(['shared/alice/Projects', 'lr']);
      expect(await subjects(bob, 'shared/alice/Projects')).toEqual(['Plan']);
      // "lr" gives no insert right
      await expect(bob.append('shared/alice/Projects', message('Intruder'))).rejects.toThrow();
      // alice's INBOX stays private
      expect((await bob.list()).map((m) => m.path)).not.toContain('shared/alice/INBOX');
    } finally {
      await alice.logout();
      await bob.logout();
    }
  });

  test('a refused raw command rejects', async () => {
    const carol = await login(d, 'carol');
    try {
      await expect(imapCommand(carol, 'SETACL', [str('NoSuchFolder'), str('bob'), atom('lr')])).rejects.toThrow();
      // the connection is still usable afterwards
      expect((await carol.list()).length).toBeGreaterThan(0);
    } finally {
      await carol.logout();
    }
  });

  test("Python's imaplib logs in and lists mailboxes", async () => {
    const r = await python(IMAPLIB_LIST, [d.host, String(d.port), 'bob', 'bob-secret']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/\(\\HasNoChildren\) "\/" INBOX/);
    expect(r.out).toMatch(/\\Sent.*"\/" Sent/);
    const bad = await python(IMAPLIB_LIST, [d.host, String(d.port), 'bob', 'wrong']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/AUTHENTICATIONFAILED|Authentication failed/);
  });

  test('restart() drops open sessions and keeps the mail and the ACLs', async () => {
    const c = await login(d, 'alice');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const port = d.port;
    await d.restart();
    await closed;
    expect(d.port).toBe(port);
    expect(d.running).toBe(true);
    const alice = await login(d, 'alice');
    const bob = await login(d, 'bob');
    try {
      expect(await subjects(alice, 'INBOX')).toEqual(['First', 'Second']);
      expect(await subjects(bob, 'shared/alice/Projects')).toEqual(['Plan']);
    } finally {
      await alice.logout();
      await bob.logout();
    }
  });
});

describe('Dovecot test service, master mode', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
  });
  afterAll(async () => {
    await d?.stop();
  });

  test('alice*master with the master password logs in as alice', async () => {
    expect(d.credentials('alice')).toEqual({ user: 'alice*master', pass: 'master-secret' });
    const m = await login(d, 'alice');
    try {
      for (const cap of REQUIRED) expect(m.capabilities.has(cap), cap).toBe(true);
      const r = await m.append('INBOX', message('Via master'));
      expect(r && r.uid).toBeGreaterThan(0);
    } finally {
      await m.logout();
    }
    // the message is in alice's own mailbox, seen with her own password
    const own = await login(d, 'alice', 'alice-secret');
    try {
      expect(await subjects(own, 'INBOX')).toEqual(['Via master']);
    } finally {
      await own.logout();
    }
    expect(await d.doveadm(['mailbox', 'status', '-u', 'alice', 'messages', 'INBOX'])).toMatch(/\bmessages=1\b/);
    expect(await d.doveadm(['mailbox', 'status', '-u', 'bob', 'messages', 'INBOX'])).toMatch(/\bmessages=0\b/);
  });

  test('refuses a wrong master password, an unknown login user and the master user on its own', async () => {
    expect((await refused(d, 'alice*master', 'wrong')).authenticationFailed).toBe(true);
    expect((await refused(d, 'mallory*master', 'master-secret')).authenticationFailed).toBe(true);
    expect((await refused(d, 'master', 'master-secret')).authenticationFailed).toBe(true);
  });

  test('ACLs apply to the login user, not to the master user', async () => {
    const alice = await login(d, 'alice');
    const bob = await login(d, 'bob');
    try {
      await alice.mailboxCreate('Team');
      await alice.append('Team', message('Minutes'));
      expect((await bob.list()).map((m) => m.path)).not.toContain('shared/alice/Team');
      await imapCommand(alice, 'SETACL', [str('Team'), str('bob'), atom('lrs')]);
      expect(await subjects(bob, 'shared/alice/Team')).toEqual(['Minutes']);
      const rights = await imapCommand(bob, 'MYRIGHTS', [str('shared/alice/Team')], ['MYRIGHTS']);
      expect(rights[0]?.attributes).toEqual(['shared/alice/Team', 'lrs']);
    } finally {
      await alice.logout();
      await bob.logout();
    }
  });

  test("Python's imaplib logs in through the master user", async () => {
    const r = await python(IMAPLIB_LIST, [d.host, String(d.port), 'carol*master', 'master-secret']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/"\/" INBOX/);
  });
});

describe('Dovecot test service, static mode', () => {
  let d: Dovecot;
  let closed: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'static' });
    // a trusted network that does not contain 127.0.0.1
    closed = await startDovecot({ mode: 'static', trustedNets: '192.0.2.1/32' });
  });
  afterAll(async () => {
    await d?.stop();
    await closed?.stop();
  });

  test('accepts any password from a trusted address', async () => {
    for (const pass of ['any-password', 'something else', 'alice-secret']) {
      const c = await login(d, 'alice', pass);
      try {
        for (const cap of REQUIRED) expect(c.capabilities.has(cap), cap).toBe(true);
        const r = await c.append('INBOX', message(`With ${pass}`));
        expect(r && r.uid).toBeGreaterThan(0);
      } finally {
        await c.logout();
      }
    }
    const c = await login(d, 'alice', 'x');
    try {
      expect(await subjects(c, 'INBOX')).toEqual(['With alice-secret', 'With any-password', 'With something else']);
    } finally {
      await c.logout();
    }
  });

  test('refuses every login from an address outside allow_nets', async () => {
    const err = await refused(closed, 'alice', 'any-password');
    expect(err.authenticationFailed).toBe(true);
    expect(closed.logTail(50)).toMatch(/allow_nets/);
  });

  test('shares between users as in the other modes', async () => {
    const alice = await login(d, 'alice');
    let carol = await login(d, 'carol');
    try {
      await alice.mailboxCreate('Shared Notes');
      await alice.append('Shared Notes', message('Note'));
      await imapCommand(alice, 'SETACL', [str('Shared Notes'), str('carol'), atom('lr')]);
      await carol.logout();
      carol = await login(d, 'carol');
      expect((await carol.list()).map((m) => m.path)).toContain('shared/alice/Shared Notes');
      expect(await subjects(carol, 'shared/alice/Shared Notes')).toEqual(['Note']);
    } finally {
      await alice.logout();
      await carol.logout();
    }
  });

  test("Python's imaplib logs in with any password", async () => {
    const r = await python(IMAPLIB_LIST, [d.host, String(d.port), 'bob', 'whatever']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/"\/" INBOX/);
  });
});

describe('Dovecot test service lifecycle', () => {
  test('a start that fails names the cause from the log and leaves nothing behind', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await startDovecot({ port }).then(
        async (d) => {
          await d.stop();
          throw new Error('dovecot started on a port in use');
        },
        (e: unknown) => e as DovecotError,
      );
      expect(err).toBeInstanceOf(DovecotError);
      expect(err.code).toBe('OC_TEST_DOVECOT_START');
      expect(err.message).toMatch(/Address already in use/);
      const dir = /^dovecot \((\S+)\) did not start/.exec(err.message)?.[1] ?? '';
      expect(path.basename(dir)).toMatch(/^ocng-dovecot-/);
      expect(fs.existsSync(dir)).toBe(false);
    } finally {
      blocker.close();
    }
  });


  test('stop() ends the server and removes its directory', async () => {
    const d = await startDovecot();
    expect(fs.existsSync(d.conf)).toBe(true);
    await d.stop();
    expect(d.running).toBe(false);
    expect(fs.existsSync(d.dir)).toBe(false);
    const err = (await refused(d, 'alice', 'alice-secret')) as { code?: string };
    expect(err.code).toBe('ECONNREFUSED');
  });
});
