// Issue 8 item 5, the last trust mode: imap.auth userPassword with the whole server. The user's password reaches the
// IMAP server only from an HTTP Basic sign-in (here the project's EMSMDB test client over RPC over HTTPS with Basic,
// test/interop/emsmdb/outlook_start.py), kept in memory for imap.userPasswordSeconds
// (src/mapistore/backends/imap/user-passwords.ts). Dovecot (test/helpers/dovecot.ts, passwd mode) holds the same
// passwords as the directory. Before any Basic sign-in an NTLM session's logon is refused (ecLoginFailure, the server
// has no password to give IMAP); after one, the mail is mirrored with it, and the user's NTLM sessions reach it too.
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { PASSWORD, openUserMailbox, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const dn = (u: string): string => `/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${u}`;
const SUBJECTS = ['first on Dovecot', 'second on Dovecot'];

let d: Dovecot;
let ts: TestServer;

beforeAll(async () => {
  d = await startDovecot({ mode: 'passwd', users: { alice: PASSWORD, bob: PASSWORD } });
  const c = new ImapFlow(d.clientOptions('alice'));
  await c.connect();
  for (const s of SUBJECTS) await c.append('INBOX', Buffer.from(`From: x@example.org\r\nSubject: ${s}\r\nMessage-ID: <${s.replace(/ /g, '.')}@example.org>\r\n\r\n${s}\r\n`));
  await c.logout();
  ts = await startTestServer(
    {
      http: { enabled: true, listen: '127.0.0.1', port: 0 },
      store: { backend: 'imap' },
      imap: { host: d.host, port: d.port, security: 'none', auth: 'userPassword', timeoutSeconds: 20, syncIntervalSeconds: 3600, idle: false },
    },
    [['alice', PASSWORD], ['bob', PASSWORD]],
  );
}, 120_000);
afterAll(async () => {
  await ts?.close();
  await d?.stop();
});

const failures = (r: Json): string[] => (r.steps as Json[]).filter((s) => !s.ok).map((s) => `${s.name}: ${s.error}`);
const overTcp = (user: string): Promise<Json> =>
  runPythonJson<Json>('emsmdb/outlook_start.py', ['--host', '127.0.0.1', '--epm-port', String(ts.server.ports.epm ?? ts.server.ports.rpc),
    '-u', user, '-p', PASSWORD, '-d', 'TEST', '--dn', dn(user), '--steps', 'store,disconnect'], 120_000);
const overHttpBasic = (user: string): Promise<Json> =>
  runPythonJson<Json>('emsmdb/outlook_start.py', ['--proxy', `https://127.0.0.1:${ts.server.web!.ports.https}/rpc/rpcproxy.dll`, '--rpc-host', 'exch01.test.local',
    '--http-auth', 'basic', '--port', '6001', '-u', user, '-p', PASSWORD, '-d', 'TEST', '--dn', dn(user), '--steps', 'store,disconnect'], 120_000);

describe('imap.auth userPassword: the password of an HTTP Basic sign-in logs the user in to IMAP', () => {
  it('before any Basic sign-in, an NTLM session of alice is refused at RopLogon (ecLoginFailure): the server has no password for IMAP', async () => {
    const r = await overTcp('alice');
    const logon = (r.steps as Json[]).find((s) => s.name === 'logon');
    expect(logon?.ok).toBe(false);
    expect(String(logon?.error)).toMatch(/0x80040111/i);
  });

  it('over RPC over HTTPS with Basic the logon mirrors alice\'s INBOX from Dovecot with her password', async () => {
    const r = await overHttpBasic('alice');
    expect(failures(r)).toEqual([]);
    const mb = await openUserMailbox(ts, 'alice');
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [0x0037001f] });
    expect(rows.map((x) => x.props.get(0x0037001f)).sort()).toEqual([...SUBJECTS].sort());
  });

  it("within imap.userPasswordSeconds alice's NTLM sessions reach her mail too; bob, who never used Basic, is still refused", async () => {
    expect(failures(await overTcp('alice'))).toEqual([]);
    const bob = await overTcp('bob');
    expect(String((bob.steps as Json[]).find((s) => s.name === 'logon')?.error)).toMatch(/0x80040111/i);
  });
});
