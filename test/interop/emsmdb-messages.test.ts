// Issue 6's acceptance run: the project's EMSMDB client (test/interop/emsmdb/messages_day.py: Python on impacket's
// DCE/RPC at PKT_PRIVACY, written from the specs independently of src/) spends an ordinary day in Outlook against
// the whole server with three provisioned users: A (alice) composes a message with three recipients (B by its
// legacyExchangeDN, C and an external address by SMTP), two attachments, one embedded message and a 5 MiB body
// written in 4 KB stream chunks, reads it all back byte for byte and submits it; B (bob, two sessions connected at
// the same time, one of them waiting in EcDoAsyncWaitEx) is told of the new mail within a second and finds it;
// read flags cross B's sessions; A grants and revokes B rights on its Calendar; B's search folder follows new and
// changed messages; B's rule moves A's mail into a folder. Each acceptance item is its own test below, checked on
// the client's JSON and, where the server's store can say, against the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PT, makeTag } from '../../src/mapi/props.js';
import type { MailboxStore } from '../../src/mapistore/types.js';
import { eidString } from '../helpers/emsmdb-mailbox.js';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';
import {
  BODY_BYTES, SUBJECT, checkCompose, checkConnect, checkDisconnect, checkPermissions, checkReadBack, checkReadFlags, checkRules, checkSearch, checkSubmit,
  stepOf,
} from './emsmdb/day-checks.js';

const TAG_SUBJECT = makeTag(0x0037, PT.UNICODE);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface User {
  username: string;
  legacyExchangeDN: string;
  smtpAddress: string;
  displayName: string;
}

describe('EMSMDB client: the permission, rule and search builders (offline)', () => {
  it('reproduce the MS-OXCPERM / MS-OXORULE section 4 request bytes and parse search criteria', async () => {
    const st = await runPythonJson<Json>('emsmdb/messages_day.py', ['--selftest'], 60_000);
    expect(st.error).toBeUndefined();
    expect(st.ok).toBe(true);
    expect(Object.values(st.detail as Json).every((v) => /reproduced|parsed/.test(String(v)))).toBe(true);
    expect(Object.keys(st.detail as Json)).toHaveLength(8);
  });
});

describe('EMSMDB: an ordinary day in Outlook (issue 6 acceptance, two users connected at once)', () => {
  let ts: TestServer;
  let run: Json;
  let A: User;
  let B: User;
  let C: User;

  const user = async (name: string): Promise<User> => {
    const u = await ts.directory.findUser(name);
    if (!u) throw new Error(`no user ${name}`);
    return u;
  };
  const mailbox = (u: User): Promise<MailboxStore> => {
    const store = ts.server.store;
    if (!store) throw new Error('the server has no store');
    return store.openMailbox({ username: u.username, displayName: u.displayName, legacyDn: u.legacyExchangeDN });
  };

  beforeAll(async () => {
    ts = await startTestServer({}, [['alice', PASSWORD], ['bob', PASSWORD], ['carol', PASSWORD]]);
    [A, B, C] = await Promise.all([user('alice'), user('bob'), user('carol')]);
    const port = ts.server.ports.epm ?? ts.server.ports.rpc;
    run = await runPythonJson<Json>(
      'emsmdb/messages_day.py',
      ['--host', '127.0.0.1', '--epm-port', String(port), '-p', PASSWORD, '-d', 'TEST',
        '--a-user', A.username, '--a-dn', A.legacyExchangeDN, '--a-smtp', A.smtpAddress,
        '--b-user', B.username, '--b-dn', B.legacyExchangeDN, '--b-smtp', B.smtpAddress,
        '--c-smtp', C.smtpAddress, '--external', 'external@example.org', '--body-bytes', String(BODY_BYTES)],
      400_000,
    );
    if (process.env.OCNG_EMSMDB_DUMP) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${process.env.OCNG_EMSMDB_DUMP}-messages.json`, JSON.stringify(run, null, 1));
    }
  }, 420_000);
  afterAll(async () => {
    await ts?.close();
  });

  /** The step ran to its end (its error, with the server's answer, otherwise). */
  const passed = (n: string): Json => stepOf(run, n);

  it('A and two sessions of B connect at PKT_PRIVACY; B1 has an AsyncEMSMDB handle and a new-mail registration', () => {
    checkConnect(passed('connect'));
  });

  it('compose: three recipients, two attachments through streams, an embedded message, a 5 MiB body in 4 KB writes', () => {
    const d = passed('compose');
    checkCompose(d);
    expect(d.MessageId).toMatch(/^[0-9A-F]{4}-[0-9A-F]{12}$/);
  });

  it('the draft reopened reads back byte-identical (body, recipients, attachment data, embedded message); several RopReadStream in one ROP buffer are all answered', () => {
    checkReadBack(passed('readBack'), run.compose);
  });



  it("submit: B's EcDoAsyncWaitEx completes within one second, its next EcDoRpcExt2 carries the new-mail RopNotify; B finds the message; A's copy left Drafts", () => {
    checkSubmit(passed('submit'), run);
  });

  it('C, an SMTP recipient on this server, got the message in its Inbox too', async () => {
    passed('submit');
    const carol = await mailbox(C);
    const rows = await carol.contentsRows(carol.special.inbox, { tags: [TAG_SUBJECT] });
    expect(rows.map((r) => r.props.get(TAG_SUBJECT))).toEqual([SUBJECT]);
  });

  it("the sender's copy is in Sent Items", async () => {
    passed('submit');
    const alice = await mailbox(A);
    const sent = await alice.contentsRows(alice.special.sentItems, { tags: [TAG_SUBJECT] });
    expect(sent.map((r) => r.props.get(TAG_SUBJECT))).toContain(SUBJECT);
    expect(run.connect.A.folders.SentItems).toBe(eidString(alice.special.sentItems));
  });

  it('the external recipient, with no SMTP relay configured, comes back to A as a non-delivery report', () => {
    const d = passed('submit');
    expect(d.senderInbox).toContainEqual({ Subject: `Undeliverable: ${SUBJECT}`, MessageClass: 'REPORT.IPM.Note.NDR' });
  });

  it("read flags set in one of B's sessions show in the other's contents table, both ways", () => {
    checkReadFlags(passed('readFlags'));
  });

  it("permissions on A's Calendar granted to B let B's delegate logon read it; revoked, B is refused", () => {
    checkPermissions(passed('permissions'));
  });

  it("a search folder over B's Inbox follows new and changed messages", () => {
    checkSearch(passed('search'), run);
  });

  it("B's rule moves mail from A into 'From A' on delivery", () => {
    checkRules(passed('rules'));
  });

  it('the sessions end cleanly: no protocol violations, EcDoDisconnect answers, the pending wait ends', () => {
    checkDisconnect(passed('disconnect'), run);
  });

});
