// `ocng imap check <user>` (src/cli/commands/imap.ts, src/mapistore/backends/imap/check.ts) against real Dovecots
// (test/helpers/dovecot.ts): each trust mode logs in and gets the report (capabilities, namespaces, MYRIGHTS on
// INBOX, STATUS INBOX, the mailboxes mapped as the mirror maps them); an INBOX the check's own login has just made
// (a user new to the server, or a login name it does not know its users by) is a warning; a wrong master password, an unreachable port, a password file
// without the user, userPassword without a password and a Dovecot that checks a master login's ACLs as the master user
// are each an exit code 1 with an error that says what is wrong, and no password is ever printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_PASSWORD, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { freePort } from '../helpers/ports.js';
import { cli, type Result } from '../cli/harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-check-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function check(d: { host: string; port: number }, user: string, sets: string[], extra: string[] = [], stdin?: string): Promise<Result> {
  const flags = ['store.backend=imap', `imap.host=${d.host}`, `imap.port=${d.port}`, 'imap.security=none', 'imap.timeoutSeconds=5', ...sets];
  return cli([...flags.flatMap((s) => ['--set', s]), 'imap', 'check', user, ...extra], { cwd: tmp, stdin });
}

const MASTER = ['imap.auth=master', 'imap.masterUser=master', `imap.masterPassword=${MASTER_PASSWORD}`];

/** The FOLDER column of a MAILBOX row. */
function folderOf(out: string, mailbox: string): string | undefined {
  const line = out.split('\n').find((l) => l.startsWith(`${mailbox} `));
  return line?.slice(mailbox.length).trim();
}

function capability(out: string, name: string): string | undefined {
  return out.split('\n').find((l) => l.startsWith(`${name} `))?.slice(name.length).trim().split(/\s{2,}/)[0];
}

describe('ocng imap check: master user', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
    // a mailbox of alice's own under INBOX, and one that is only a parent (created by its child)
    const c = new ImapFlow(d.clientOptions('alice'));
    await c.connect();
    await c.mailboxCreate('INBOX/Projects');
    await c.mailboxCreate('Archive/2025');
    // mail in the INBOX: a mailbox in use, not one the login has just made
    await c.append('INBOX', Buffer.from('From: a@example.org\r\nSubject: kept\r\n\r\nbody\r\n'));
    await c.logout();
  });
  afterAll(async () => d.stop());

  it('logs alice in as alice*master and reports what the backend will find', async () => {
    const r = await check(d, 'alice', MASTER);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`IMAP server 127.0.0.1:${d.port} (imap.security none)`);
    expect(out).toMatch(/^login alice\*master \(imap\.auth master\): logged in in \d+ ms$/m);
    for (const cap of ['UIDPLUS', 'CONDSTORE', 'QRESYNC', 'MOVE', 'ACL', 'NAMESPACE', 'SPECIAL-USE', 'IDLE', 'NOTIFY']) {
      expect(capability(out, cap), cap).toBe('yes');
    }
    // Dovecot 2.3 has no RFC 8474: renames by other clients go by UIDVALIDITY
    expect(capability(out, 'OBJECTID')).toBe('no');
    // Dovecot announces its shared namespace (prefix shared/%u/) as the other users' namespace
    expect(out).toContain('namespaces: personal ""; other users "shared/"; shared (none)');
    // Dovecot gives the owner every right
    const rights = out.match(/^rights of the login on INBOX \(MYRIGHTS\): ([a-z]+)$/m)?.[1] ?? '';
    for (const letter of 'lrswitekxa') expect(rights, letter).toContain(letter);
    expect(folderOf(out, 'INBOX')).toBe('Inbox');
    expect(folderOf(out, 'Sent')).toBe('Sent Items (\\Sent)');
    expect(folderOf(out, 'Drafts')).toBe('Drafts (\\Drafts)');
    expect(folderOf(out, 'Trash')).toBe('Deleted Items (\\Trash)');
    expect(folderOf(out, 'Junk')).toBe('Junk E-mail (\\Junk)');
    expect(folderOf(out, 'INBOX/Projects')).toBe('folder');
    expect(folderOf(out, 'Archive/2025')).toBe('folder');
    expect(folderOf(out, 'Archive')).toBe('folder without messages (\\Noselect)');
    expect(out).toMatch(/^INBOX: 1 message\(s\), UIDVALIDITY \d+$/m);
    expect(out).not.toContain('warning:');
    expect(out).not.toContain('error:');
    expect(out.trimEnd().split('\n').pop()).toMatch(/^OK: \d+ mailboxes$/);
    expect(out).not.toContain(MASTER_PASSWORD);
  });

  it("a user whose mailbox this login made (empty INBOX, UIDVALIDITY now): OK with a warning naming imap.loginName", async () => {
    // bob never logged in to this Dovecot: it creates his INBOX now, as a server does for a login name it does not
    // know its users by (Cyrus virtual domains: test/integration/imap-cyrus.test.ts)
    const r = await check(d, 'bob', MASTER);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^INBOX: 0 message\(s\), UIDVALIDITY \d+$/m);
    expect(r.stdout).toMatch(/^warning: INBOX is empty and was created \d+ s ago \(its UIDVALIDITY\): the IMAP server made a new mailbox for the login "bob\*master"\. .*imap\.loginName/m);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe(`OK: 5 mailboxes, 1 warning(s)`);
  });

  it('a wrong master password: exit 1, the refused login named, no password printed', async () => {
    const r = await check(d, 'alice', ['imap.auth=master', 'imap.masterUser=master', 'imap.masterPassword=not-the-secret']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ocng: IMAP server 127\.0\.0\.1:\d+ refused the login alice\*master \(imap\.auth master\)/);
    expect(r.stderr).not.toContain('not-the-secret');
    // the Cyrus hint is for servers that name themselves Cyrus only
    expect(r.stderr).not.toContain('imap.masterLogin');
  });

  it('master mode without imap.masterUser: exit 1 naming the key, nothing sent', async () => {
    const r = await check(d, 'alice', ['imap.auth=master']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ocng: imap.auth is master but imap.masterUser is empty\n');
  });

  it('an unreachable port: exit 1 naming the server', async () => {
    const r = await check({ host: '127.0.0.1', port: await freePort() }, 'alice', MASTER);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocng: .*127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toContain(MASTER_PASSWORD);
  });

  it('no imap.host: exit 1 saying so', async () => {
    const r = await cli(['--set', 'imap.auth=master', 'imap', 'check', 'alice'], { cwd: tmp });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ocng: note: store.backend is local');
    expect(r.stderr).toContain('ocng: imap.host is empty');
  });
});

describe('ocng imap check: a Dovecot that checks master logins\' ACLs as the master user (no acl_user = %u)', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'master', aclUser: false });
  });
  afterAll(async () => d.stop());

  it('the login works, but MYRIGHTS on INBOX is refused: exit 1 with the acl_user hint', async () => {
    const r = await check(d, 'alice', MASTER);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^login alice\*master \(imap\.auth master\): logged in/m);
    expect(r.stdout).toMatch(/^error: the server refused MYRIGHTS on INBOX \(.+\): the login does not act as the user \(with a master user, .*acl_user = %u/m);
    expect(r.stdout).not.toContain('warning:');
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^FAILED: 1 error\(s\)$/);
  });
});

describe('ocng imap check: a server without UIDPLUS, CONDSTORE, QRESYNC and NOTIFY', () => {
  let d: Dovecot;
  beforeAll(async () => {
    d = await startDovecot({ mode: 'master', withoutCapabilities: ['UIDPLUS', 'CONDSTORE', 'QRESYNC', 'NOTIFY'] });
  });
  afterAll(async () => d.stop());

  it('UIDPLUS missing is an error (exit 1); the others say what the backend does without them', async () => {
    const r = await check(d, 'alice', MASTER);
    expect(r.code).toBe(1);
    expect(capability(r.stdout, 'UIDPLUS')).toBe('NO (required)');
    for (const cap of ['CONDSTORE', 'QRESYNC', 'NOTIFY']) expect(capability(r.stdout, cap), cap).toBe('no');
    expect(r.stdout).toMatch(/^CONDSTORE\s+no\s+every message's flags are fetched at every sync of a folder$/m);
    expect(r.stdout).toMatch(/^error: the server lacks UIDPLUS: nothing Outlook writes reaches the server \(OC_IMAP_NO_UIDPLUS\)$/m);
    expect(capability(r.stdout, 'MOVE')).toBe('yes');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('FAILED: 1 error(s)');
  });
});

describe('ocng imap check: the other trust modes', () => {
  let passwd: Dovecot;
  let trusted: Dovecot;
  beforeAll(async () => {
    [passwd, trusted] = await Promise.all([startDovecot({ mode: 'passwd' }), startDovecot({ mode: 'static' })]);
  });
  afterAll(async () => Promise.all([passwd.stop(), trusted.stop()]));

  it('trusted: any password from this host logs bob in', async () => {
    const r = await check(trusted, 'bob', ['imap.auth=trusted']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^login bob \(imap\.auth trusted\): logged in/m);
    expect(folderOf(r.stdout, 'INBOX')).toBe('Inbox');
  });

  it('passwordFile: the user\'s line logs in; a user without a line is refused before anything is sent', async () => {
    const file = path.join(tmp, 'imap-passwords');
    fs.writeFileSync(file, '# test\nalice:alice-secret\n', { mode: 0o600 });
    const ok = await check(passwd, 'alice', ['imap.auth=passwordFile', `imap.passwordFile=${file}`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^login alice \(imap\.auth passwordFile\): logged in/m);
    expect(ok.stdout).not.toContain('alice-secret');
    const missing = await check(passwd, 'carol', ['imap.auth=passwordFile', `imap.passwordFile=${file}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('ocng: imap.passwordFile has no line for user carol\n');
  });

  it("userPassword: the check needs the user's password; from standard input it logs in, a wrong one is refused", async () => {
    const none = await check(passwd, 'carol', ['imap.auth=userPassword']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('--password-stdin');
    const ok = await check(passwd, 'carol', ['imap.auth=userPassword'], ['--password-stdin'], 'carol-secret\n');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^login carol \(imap\.auth userPassword\): logged in/m);
    expect(ok.stdout).not.toContain('carol-secret');
    const wrong = await check(passwd, 'carol', ['imap.auth=userPassword'], ['--password', 'wrong-one']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the login carol \(imap\.auth userPassword\)/);
    expect(wrong.stderr).not.toContain('wrong-one');
  });
});
