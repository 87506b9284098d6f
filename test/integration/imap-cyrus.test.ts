// Mail on a real Cyrus IMAP 3.6 (test/helpers/cyrus.ts) instead of Dovecot, through the whole server (store.backend
// imap): the server logs in as Cyrus's proxy user with the user as SASL PLAIN authorization identity
// (imap.masterLogin authzid; Cyrus `proxyservers`), and "alice*master" (the Dovecot form) is refused with a clear
// error. With Cyrus 3's default layout (altnamespace, "/"): the logon mirrors alice's INBOX, her SPECIAL-USE mailboxes
// on the special folders and her own mailboxes at the top level; a folder Outlook creates under the Inbox becomes
// INBOX/<name> and a message saved in it is APPENDed (UIDPLUS); another client's flag, expunge and append
// (CONDSTORE/QRESYNC) reach the mirror's next sync; permissions become Cyrus ACL rows (GETACL) and bob's delegate logon
// reads the folder; Cyrus restarted mid-session is reconnected to; a login that lost its authorization identity on the
// way (logged in as the proxy user itself) is refused. With IDLE on, an imaplib APPEND reaches an EMSMDB session's
// EcDoAsyncWaitEx within 2 s (test/interop/emsmdb/imap_newmail.py). With the traditional layout (("INBOX." ".")) the
// mirror and folder creation follow the prefix. Cyrus's own trusted-host mode (sasl_pwcheck_method alwaystrue) serves
// imap.auth trusted, and a password file serves imap.auth passwordFile. `ocng imap check` reads each of them. With
// virtual domains (virtdomains userid) and imap.loginName %u@example.com the logon, the ACL rows and the check work;
// without imap.loginName the bare login reaches a new, empty mailbox of Cyrus's default domain, and the check warns.
import fs from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapCredentials } from '../../src/mapistore/backends/imap/credentials.js';
import type { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { LogonObject } from '../../src/rop/handlers/objects.js';
import { mayAny } from '../../src/rop/handlers/oxcperm.js';
import { cli } from '../cli/harness.js';
import { startCyrus, type Cyrus } from '../helpers/cyrus.js';
import { getAcl, poolSettings } from '../helpers/dovecot.js';
import { PASSWORD, openUserMailbox, runPythonJson, startTestServer } from '../helpers/full-server.js';
import { startCyrusWorld, type ImapWorld } from '../helpers/imap-world.js';

const SUBJECT = 0x0037001f;
const DISPLAY_NAME = 0x3001001f;
const FLAG_STATUS = 0x10900003;
const READ_ANY = 0x1;
const FOLDER_VISIBLE = 0x400;
const REVIEWER = READ_ANY | FOLDER_VISIBLE;

const mime = (subject: string, id: string): Buffer =>
  Buffer.from(`From: Eve <eve@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.org>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nBody of ${subject}.\r\n`);

/** `ocng imap check <user>` with the given imap.* settings; cwd: a directory of the test. */
const check = (c: Cyrus, sets: Record<string, string>, user = 'alice') =>
  cli([...Object.entries({ 'store.backend': 'imap', 'imap.host': c.host, 'imap.port': String(c.port), 'imap.security': 'none', ...sets }).flatMap(([k, v]) => ['--set', `${k}=${v}`]), 'imap', 'check', user], { cwd: c.dir });

describe('Cyrus IMAP 3.6, default layout (altnamespace, "/"), the master login by SASL authzid', () => {
  let w: ImapWorld<Cyrus> | undefined;
  let c: Cyrus;
  let admin: ImapFlow;
  let mb: ImapMailbox;

  const subjects = async (fid: bigint): Promise<string[]> => (await mb.contentsRows(fid, { tags: [SUBJECT] })).map((r) => String(r.props.get(SUBJECT))).sort();
  const listed = async (): Promise<string[]> => (await admin.list()).map((e) => e.path).sort();

  beforeAll(async () => {
    w = await startCyrusWorld({
      users: [['alice', PASSWORD], ['bob', PASSWORD]],
      seed: async (a) => {
        await a.append('INBOX', mime(`=?UTF-8?B?${Buffer.from('Grüße aus Köln').toString('base64')}?=`, 'inbox-1'));
        await a.mailboxCreate('Projects');
        await a.mailboxCreate('Projects/Q1');
        await a.append('Projects', mime('plan one', 'plan-1'));
        await a.append('Projects', mime('plan two', 'plan-2'));
      },
    });
    ({ d: c, admin, mb } = w);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('Cyrus announces what the backend relies on, and its own layout', () => {
    for (const cap of ['CONDSTORE', 'QRESYNC', 'UIDPLUS', 'MOVE', 'ACL', 'SPECIAL-USE', 'IDLE']) expect(admin.capabilities.has(cap), cap).toBe(true);
    const ns = admin.namespaces as { personal?: unknown[]; other?: unknown[] } | undefined;
    expect(ns?.personal?.[0]).toMatchObject({ prefix: '', delimiter: '/' });
    expect(ns?.other?.[0]).toMatchObject({ prefix: 'Other Users/' });
  });

  it('the logon mirrors the INBOX, the SPECIAL-USE mailboxes onto the special folders and Projects at the top level', async () => {
    expect(await subjects(mb.special.inbox)).toEqual(['Grüße aus Köln']);
    expect(await mb.mirror.folderOf('Sent')).toBe(mb.special.sentItems);
    expect(await mb.mirror.folderOf('Drafts')).toBe(mb.special.drafts);
    expect(await mb.mirror.folderOf('Trash')).toBe(mb.special.deletedItems);
    expect(await mb.mirror.folderOf('Junk')).toBe(mb.special.junk);
    const projects = (await mb.mirror.folderOf('Projects'))!;
    expect(await mb.parentOf(projects)).toBe(mb.special.ipmSubtree);
    expect(await subjects(projects)).toEqual(['plan one', 'plan two']);
    expect(await mb.parentOf((await mb.mirror.folderOf('Projects/Q1'))!)).toBe(projects);
  });

  it('a folder made under the Inbox is INBOX/<name> on Cyrus; a message saved in it is APPENDed there', async () => {
    const child = (await mb.createFolder(mb.special.inbox, { displayName: 'From Outlook', containerClass: 'IPF.Note' })).fid;
    expect(await listed()).toContain('INBOX/From Outlook');
    const m = await mb.newMessage(child);
    await m.setProps([{ tag: SUBJECT, value: 'written in Outlook' }]);
    await m.save();
    await m.discard();
    const lock = await admin.getMailboxLock('INBOX/From Outlook');
    try {
      const msgs = await admin.fetchAll('1:*', { uid: true, envelope: true });
      expect(msgs.map((x) => x.envelope?.subject)).toEqual(['written in Outlook']);
    } finally {
      lock.release();
    }
    expect(await mb.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await subjects(child)).toEqual(['written in Outlook']);
  });

  it("another client's flag, expunge and append reach the mirror's next sync (CONDSTORE / QRESYNC)", async () => {
    const projects = (await mb.mirror.folderOf('Projects'))!;
    const lock = await admin.getMailboxLock('Projects');
    try {
      const [one, two] = (await admin.fetchAll('1:*', { uid: true, envelope: true })).sort((a, b) => a.uid - b.uid);
      expect(one?.envelope?.subject).toBe('plan one');
      await admin.messageFlagsAdd(String(one!.uid), ['\\Flagged'], { uid: true });
      await admin.messageDelete(String(two!.uid), { uid: true });
      await admin.append('Projects', mime('plan three', 'plan-3'));
    } finally {
      lock.release();
    }
    await mb.mirror.syncFolder(projects);
    const rows = await mb.contentsRows(projects, { tags: [SUBJECT, FLAG_STATUS] });
    expect(rows.map((r) => [r.props.get(SUBJECT), r.props.get(FLAG_STATUS) ?? null]).sort()).toEqual([['plan one', 2], ['plan three', null]]);
  });

  it('a Reviewer grant becomes a Cyrus ACL row and lets bob read the folder, not the Inbox; revoked, it is gone', async () => {
    const projects = (await mb.mirror.folderOf('Projects'))!;
    const b = (await w!.ts.directory.findUser('bob'))!;
    const bob = { username: b.username, displayName: b.displayName, legacyDn: b.legacyExchangeDN };
    const asBob = () => new LogonObject(1, mb, 0, 0, 'bob');
    expect(await getAcl(admin, 'Projects')).not.toHaveProperty('bob');
    await mb.modifyPermissions(projects, [{ op: 'add', member: bob, rights: REVIEWER }]);
    // Cyrus writes RFC 4314 rights and no obsolete letters for these
    expect((await getAcl(admin, 'Projects')).bob).toBe('lrs');
    await new Promise((r) => setTimeout(r, 1100)); // past the 1 s GETACL cache of rights checks
    expect(await mayAny(asBob(), projects, READ_ANY)).toBe(true);
    expect(await mayAny(asBob(), mb.special.inbox, READ_ANY)).toBe(false);
    // Cyrus's owner row (alice lrswipkxtecdan: the obsolete c and d too) reads back as the owner
    const list = await mb.getPermissions(projects);
    expect(list.find((e) => e.username === 'bob')).toMatchObject({ rights: REVIEWER });
    const row = list.find((e) => e.username === 'bob')!;
    await mb.modifyPermissions(projects, [{ op: 'remove', memberId: row.memberId }]);
    expect(await getAcl(admin, 'Projects')).not.toHaveProperty('bob');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await mayAny(asBob(), projects, READ_ANY)).toBe(false);
  });

  it('Cyrus restarted in the middle of the session: the next change reaches it, nothing is lost', async () => {
    const projects = (await mb.mirror.folderOf('Projects'))!;
    await c.restart();
    const m = await mb.newMessage(projects);
    await m.setProps([{ tag: SUBJECT, value: 'after the restart' }]);
    await m.save();
    await m.discard();
    await mb.mirror.syncFolder(projects);
    expect(await subjects(projects)).toEqual(['after the restart', 'plan one', 'plan three']);
    const other = new ImapFlow({ ...c.clientOptions('alice'), logger: false });
    await other.connect();
    try {
      const st = await other.status('Projects', { messages: true });
      expect(st && st.messages).toBe(3);
    } finally {
      await other.logout();
    }
  });

  it('ocng imap check: the authzid login, the capabilities and the mapping', async () => {
    const r = await check(c, { 'imap.auth': 'master', 'imap.masterLogin': 'authzid', 'imap.masterUser': c.masterUser, 'imap.masterPassword': c.masterPassword });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`login alice (authorized by ${c.masterUser}) (imap.auth master)`);
    expect(r.stdout).toContain('namespaces: personal ""');
    const cap = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(`${name} `))?.slice(name.length).trim().split(/\s{2,}/)[0];
    // everything but NOTIFY, and OBJECTID (renames recognised by MAILBOXID)
    for (const c of ['UIDPLUS', 'CONDSTORE', 'QRESYNC', 'MOVE', 'ACL', 'NAMESPACE', 'SPECIAL-USE', 'IDLE', 'OBJECTID']) expect(cap(c), c).toBe('yes');
    expect(cap('NOTIFY')).toBe('no');
    expect(r.stdout).toMatch(/^Sent\s+Sent Items \(\\Sent\)$/m);
    expect(r.stdout).toMatch(/^INBOX\/From Outlook\s+folder$/m);
    expect(r.stdout).not.toContain(c.masterPassword);
  });

  it('the Dovecot form "alice*proxy" and a wrong proxy password are refused with what was sent, never the password', async () => {
    const sep = await check(c, { 'imap.auth': 'master', 'imap.masterUser': c.masterUser, 'imap.masterPassword': c.masterPassword });
    expect(sep.code).toBe(1);
    expect(sep.stderr + sep.stdout).toContain(`refused the login alice*${c.masterUser}`);
    // Cyrus names itself in its ID answer: the error says which setting to change
    expect(sep.stderr + sep.stdout).toContain('set imap.masterLogin authzid');
    const wrong = await check(c, { 'imap.auth': 'master', 'imap.masterLogin': 'authzid', 'imap.masterUser': c.masterUser, 'imap.masterPassword': 'wrong-secret' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr + wrong.stdout).toContain(`refused the login alice (authorized by ${c.masterUser})`);
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong-secret');
    expect(wrong.stderr + wrong.stdout).not.toContain('set imap.masterLogin');
  });

  it('a login that does not end up acting as the user (the authorization identity dropped on the way) is refused', async () => {
    const pool = new ImapPool(
      poolSettings(c),
      new ImapCredentials({ auth: 'master', masterLogin: 'authzid', masterUser: c.masterUser, masterPassword: c.masterPassword, masterPasswordFile: '', masterSeparator: '*', trustedPassword: '', passwordFile: '' }),
      pino({ level: 'silent' }),
      // what imapflow does with a server that announces no AUTH= mechanism: the LOGIN command, which cannot carry
      // the authorization identity (and Cyrus lets the proxy user log in as itself)
      (o) => new ImapFlow({ ...o, auth: { ...o.auth!, loginMethod: 'LOGIN' } }),
    );
    try {
      const err = await pool.run('alice', async () => 'logged in').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('OC_IMAP_AUTH');
      expect((err as StoreError).ec).toBe(SEC.LogonFailed);
      expect((err as StoreError).message).toContain('AUTHENTICATE PLAIN');
    } finally {
      await pool.close();
    }
  });

  it('imap.auth passwordFile logs in with the user\'s own Cyrus password', async () => {
    const file = path.join(c.dir, 'imap-passwords');
    fs.writeFileSync(file, `alice:${c.users.alice}\n`, { mode: 0o600 });
    const r = await check(c, { 'imap.auth': 'passwordFile', 'imap.passwordFile': file });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('login alice (imap.auth passwordFile)');
  });
});

describe('Cyrus IMAP 3.6 with IDLE on: new mail another client APPENDs reaches an EMSMDB session', () => {
  let w: ImapWorld<Cyrus> | undefined;
  beforeAll(async () => {
    // imapidlepoll 1 (test/helpers/cyrus.ts): without idled, Cyrus looks for changes of an IDLE mailbox every second
    w = await startCyrusWorld({ imap: { idle: true, syncIntervalSeconds: 60 } });
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('RopRegisterNotification + EcDoAsyncWaitEx hears of an imaplib APPEND within 2 s (the watcher IDLEs on Cyrus)', async () => {
    const { d: c, ts, mb } = w!;
    const alice = (await ts.directory.findUser('alice'))!;
    const out = await runPythonJson<Record<string, any>>('emsmdb/imap_newmail.py', [ // eslint-disable-line @typescript-eslint/no-explicit-any
      '--host', '127.0.0.1', '--epm-port', String(ts.server.ports.epm ?? ts.server.ports.rpc), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST',
      '--dn', alice.legacyExchangeDN, '--imap-port', String(c.port), '--imap-user', 'alice', '--imap-password', c.users.alice!, '--subject', 'notify me on Cyrus',
    ], 120_000);
    for (const st of out.steps as { name: string; ok: boolean; error?: string }[]) expect(st.ok, `${st.name}: ${st.error}`).toBe(true);
    const nm = out.newMail;
    expect(nm.waitPendingBeforeAppend).toBe(true);
    expect(nm.EcDoAsyncWaitEx, JSON.stringify(nm)).toMatchObject({ ErrorCode: 0 });
    expect(nm.waitLatencyMs).toBeLessThan(2000);
    const notes = (nm.notifications as { type: string; inInbox: boolean; MessageId: string }[]).filter((n) => n.type === 'NewMail');
    expect(notes, JSON.stringify(nm.notifications)).toHaveLength(1);
    expect(notes[0]!.inInbox).toBe(true);
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [SUBJECT] });
    expect(rows.filter((r) => r.props.get(SUBJECT) === 'notify me on Cyrus')).toHaveLength(1);
  }, 180_000);
});

describe('Cyrus IMAP 3.6, traditional layout (("INBOX." ".")), and its trusted-host mode (alwaystrue)', () => {
  let c: Cyrus | undefined;

  beforeAll(async () => {
    c = await startCyrus({ layout: 'traditional', sasl: 'alwaystrue' });
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('imap.auth trusted logs in; the mirror follows the INBOX. prefix; a folder made at the top level is INBOX.<name>', async () => {
    const cy = c!;
    const ts = await startTestServer(cy.backendConfig(), [['carol', PASSWORD]]);
    try {
      const mb = await openUserMailbox<ImapMailbox>(ts, 'carol');
      expect(await mb.mirror.folderOf('INBOX.Sent')).toBe(mb.special.sentItems);
      expect(await mb.mirror.folderOf('INBOX.Trash')).toBe(mb.special.deletedItems);
      const top = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Archive', containerClass: 'IPF.Note' })).fid;
      expect(await mb.mirror.folderOf('INBOX.Archive')).toBe(top);
      const [p] = await mb.getFolderProps(top, [DISPLAY_NAME]);
      expect(p && 'value' in p ? p.value : undefined).toBe('Archive');
      const r = await check(cy, { 'imap.auth': 'trusted' }, 'carol');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('namespaces: personal "INBOX."');
      expect(r.stdout).toMatch(/^INBOX\.Archive\s+folder$/m);
    } finally {
      await ts.close();
    }
  }, 60_000);
});

describe('Cyrus IMAP 3.6 with virtual domains (virtdomains userid): users known by address, imap.loginName %u@example.com', () => {
  let w: ImapWorld<Cyrus> | undefined;
  let c: Cyrus;
  let admin: ImapFlow;
  let mb: ImapMailbox;
  const subjects = async (fid: bigint): Promise<string[]> => (await mb.contentsRows(fid, { tags: [SUBJECT] })).map((r) => String(r.props.get(SUBJECT))).sort();

  beforeAll(async () => {
    w = await startCyrusWorld({
      cyrus: { domain: 'example.com' },
      users: [['alice', PASSWORD], ['bob', PASSWORD]],
      adminUser: 'alice@example.com',
      imap: { loginName: '%u@example.com' },
      seed: async (a) => {
        await a.append('INBOX', mime('hello from the domain', 'vd-1'));
        await a.mailboxCreate('Projects');
        await a.append('Projects', mime('domain plan', 'vd-2'));
      },
    });
    ({ d: c, admin, mb } = w);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it("the logon logs in as alice@example.com (by the proxy's authzid) and mirrors her mailboxes", async () => {
    expect(await subjects(mb.special.inbox)).toEqual(['hello from the domain']);
    expect(await subjects((await mb.mirror.folderOf('Projects'))!)).toEqual(['domain plan']);
    expect(await mb.mirror.folderOf('Sent')).toBe(mb.special.sentItems);
    const child = (await mb.createFolder(mb.special.inbox, { displayName: 'Domain Child', containerClass: 'IPF.Note' })).fid;
    expect((await admin.list()).map((e) => e.path)).toContain('INBOX/Domain Child');
    expect(await mb.mirror.folderOf('INBOX/Domain Child')).toBe(child);
  });

  it('a Reviewer grant is the ACL row bob@example.com, reads back as bob, lets bob in; revoked, it is gone', async () => {
    const projects = (await mb.mirror.folderOf('Projects'))!;
    const b = (await w!.ts.directory.findUser('bob'))!;
    const asBob = () => new LogonObject(1, mb, 0, 0, 'bob');
    await mb.modifyPermissions(projects, [{ op: 'add', member: { username: b.username, displayName: b.displayName, legacyDn: b.legacyExchangeDN }, rights: REVIEWER }]);
    const acl = await getAcl(admin, 'Projects');
    expect(acl['bob@example.com']).toBe('lrs');
    expect(acl).not.toHaveProperty('bob');
    // bob's own IMAP session sees the folder in Cyrus's other users' namespace (within the domain, without it)
    const other = new ImapFlow({ ...c.clientOptions('bob@example.com'), logger: false });
    await other.connect();
    try {
      expect((await other.list()).map((e) => e.path)).toContain('Other Users/alice/Projects');
    } finally {
      await other.logout();
    }
    await new Promise((r) => setTimeout(r, 1100)); // past the 1 s GETACL cache of rights checks
    expect(await mayAny(asBob(), projects, READ_ANY)).toBe(true);
    expect(await mayAny(asBob(), mb.special.inbox, READ_ANY)).toBe(false);
    const row = (await mb.getPermissions(projects)).find((e) => e.username === 'bob');
    expect(row).toMatchObject({ rights: REVIEWER });
    await mb.modifyPermissions(projects, [{ op: 'remove', memberId: row!.memberId }]);
    expect(await getAcl(admin, 'Projects')).not.toHaveProperty('bob@example.com');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await mayAny(asBob(), projects, READ_ANY)).toBe(false);
  });

  it('ocng imap check names the login alice@example.com; without imap.loginName it warns of the new, empty mailbox', async () => {
    const master = { 'imap.auth': 'master', 'imap.masterLogin': 'authzid', 'imap.masterUser': c.masterUser, 'imap.masterPassword': c.masterPassword };
    const ok = await check(c, { ...master, 'imap.loginName': '%u@example.com' });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`login alice@example.com (authorized by ${c.masterUser}) (imap.auth master)`);
    expect(ok.stdout).toMatch(/^Projects\s+folder$/m);
    expect(ok.stdout).toMatch(/^INBOX: 1 message\(s\)/m);
    expect(ok.stdout).not.toContain('warning:');
    // "alice" alone is a user of Cyrus's default domain: Cyrus lets the proxy act as her and creates her an empty
    // mailbox (autocreate), which the check tells apart from alice@example.com's by its UIDVALIDITY (the time now)
    const bare = await check(c, master);
    expect(bare.code, bare.stdout + bare.stderr).toBe(0);
    expect(bare.stdout).toContain(`login alice (authorized by ${c.masterUser})`);
    expect(bare.stdout).toMatch(/^INBOX: 0 message\(s\)/m);
    expect(bare.stdout).toMatch(/^warning: INBOX is empty and was created \d+ s ago \(its UIDVALIDITY\): the IMAP server made a new mailbox for the login "alice \(authorized by proxy\)"\. .*imap\.loginName, e\.g\. %u@example\.com for Cyrus virtual domains/m);
    expect(bare.stdout).not.toContain(c.masterPassword);
  });
});
