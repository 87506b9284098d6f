// imap.loginName (src/mapistore/backends/imap/credentials.ts): an IMAP server that knows its users by address
// (Dovecot users alice@example.com, bob@example.com; master-user mode) behind directory users alice and bob. The whole
// server logs alice in as alice@example.com*master and mirrors her mail; a permission granted to bob through the
// store shows in GETACL as bob@example.com; rows another client sets for carol@example.com show as carol, one for
// an identifier not in that form does not; `ocng imap check` names the login. Without a server: the name's form
// both ways and the configuration check.
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ImapCredentials, type ImapAuthSettings } from '../../src/mapistore/backends/imap/credentials.js';
import type { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { cli } from '../cli/harness.js';
import { MASTER_PASSWORD, MASTER_USER, getAcl as getAclOf, imapCommand, str, type Dovecot } from '../helpers/dovecot.js';
import { PASSWORD, type TestServer } from '../helpers/full-server.js';
import { startImapWorld, type ImapWorld } from '../helpers/imap-world.js';

const FORM = '%u@example.com';
const REVIEWER = 0x401;
const SUBJECT = 0x0037001f;

describe('imap.loginName without a server', () => {
  const base: ImapAuthSettings = {
    auth: 'trusted', masterUser: 'm', masterPassword: 'p', masterPasswordFile: '', masterSeparator: '*', trustedPassword: 't', passwordFile: '',
  };

  it('puts the username in the form and takes it out again, letter case aside; a name not in the form is no user', () => {
    const c = new ImapCredentials({ ...base, loginName: 'mail-%u@Example.COM' });
    expect(c.loginName('alice')).toBe('mail-alice@Example.COM');
    expect(c.usernameOf('mail-alice@example.com')).toBe('alice');
    expect(c.usernameOf('MAIL-Bob@EXAMPLE.com')).toBe('Bob');
    for (const other of ['alice', 'mail-@example.com', 'alice@example.com', 'mail-alice@example.org', 'anyone']) expect(c.usernameOf(other), other).toBeNull();
    expect(c.loginFor('alice')).toEqual({ user: 'mail-alice@Example.COM', pass: 't' });
    expect(new ImapCredentials({ ...base, auth: 'master', loginName: FORM }).loginFor('alice').user).toBe('alice@example.com*m');
    // the default is the username itself
    const plain = new ImapCredentials(base);
    expect(plain.loginName('alice')).toBe('alice');
    expect(plain.usernameOf('bob')).toBe('bob');
  });

  it('the configuration refuses a form without %u, with it twice, or with another %, a space or a *', () => {
    for (const bad of ['alice', '%u%u', '%u@%d', 'u %u', '%u*x', '']) {
      expect(configSchema.safeParse({ imap: { loginName: bad } }).success, bad).toBe(false);
    }
    for (const good of ['%u', FORM, 'EXAMPLE\\%u']) expect(configSchema.safeParse({ imap: { loginName: good } }).success, good).toBe(true);
  });
});

describe('imap.loginName with a Dovecot whose users are addresses', () => {
  let d: Dovecot;
  let ts: TestServer;
  let admin: ImapFlow;
  let mb: ImapMailbox;
  let w: ImapWorld | undefined;

  const getAcl = (box: string): Promise<Record<string, string>> => getAclOf(admin, box);

  beforeAll(async () => {
    w = await startImapWorld({
      dovecot: { mode: 'master', users: { 'alice@example.com': 'a', 'bob@example.com': 'b', 'carol@example.com': 'c' } },
      adminUser: 'alice@example.com',
      users: [['alice', PASSWORD], ['bob', PASSWORD]],
      imap: { loginName: FORM },
      seed: async (admin) => {
        await admin.append('INBOX', Buffer.from('From: Eve <eve@example.org>\r\nSubject: for alice@example.com\r\nMessage-ID: <addr@example.org>\r\n\r\nBody.\r\n'));
        await admin.mailboxCreate('Projects');
      },
    });
    ({ d, ts, admin, mb } = w);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it("directory user alice's logon mirrors the mailbox of alice@example.com", async () => {
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [SUBJECT] });
    expect(rows.map((r) => r.props.get(SUBJECT))).toEqual(['for alice@example.com']);
  });

  it('a permission for bob is an ACL row for bob@example.com; rows of other clients map back to usernames', async () => {
    const projects = (await mb.mirror.folderOf('Projects'))!;
    const b = (await ts.directory.findUser('bob'))!;
    await mb.modifyPermissions(projects, [{ op: 'add', member: { username: b.username, displayName: b.displayName, legacyDn: b.legacyExchangeDN }, rights: REVIEWER }]);
    const acl = await getAcl('Projects');
    expect([...(acl['bob@example.com'] ?? '')].filter((c) => 'lrs'.includes(c)).sort().join('')).toBe('lrs');
    expect(acl).not.toHaveProperty('bob');
    await imapCommand(admin, 'SETACL', [str('Projects'), str('carol@example.com'), str('lr')]);
    await imapCommand(admin, 'SETACL', [str('Projects'), str('carol'), str('lr')]);
    const list = await mb.getPermissions(projects);
    expect(list.filter((e) => e.username !== '').map((e) => [e.username, e.rights]).sort()).toEqual([['bob', REVIEWER], ['carol', REVIEWER]]);
    // bob's row is read back from bob@example.com: removing it removes that ACL row
    const bob = list.find((e) => e.username === 'bob')!;
    await mb.modifyPermissions(projects, [{ op: 'remove', memberId: bob.memberId }]);
    expect(await getAcl('Projects')).not.toHaveProperty('bob@example.com');
  });

  it('ocng imap check names the login alice@example.com*master', async () => {
    const sets = ['store.backend=imap', `imap.host=${d.host}`, `imap.port=${d.port}`, 'imap.security=none', 'imap.auth=master', `imap.masterUser=${MASTER_USER}`,
      `imap.masterPassword=${MASTER_PASSWORD}`, `imap.loginName=${FORM}`];
    const r = await cli([...sets.flatMap((s) => ['--set', s]), 'imap', 'check', 'alice'], { cwd: d.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^login alice@example\.com\*master \(imap\.auth master\): logged in/m);
  });
});
