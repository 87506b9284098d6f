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

const BODY_BYTES = 5 * 1024 * 1024;
const TAG_SUBJECT = makeTag(0x0037, PT.UNICODE);
const ecAccessDenied = '0x80070005';

interface Step {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}
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
  const passed = (n: string): Json => {
    const s = (run.steps as Step[]).find((x) => x.name === n);
    expect(s, `the client ran no step ${n} (steps: ${(run.steps as Step[]).map((x) => x.name).join(', ')})`).toBeDefined();
    expect(s!.ok, `${n}: ${s!.error}`).toBe(true);
    return run[n] as Json;
  };

  it('A and two sessions of B connect at PKT_PRIVACY; B1 has an AsyncEMSMDB handle and a new-mail registration', () => {
    const d = passed('connect');
    for (const c of ['A', 'B1', 'B2']) expect(d[c].ErrorCode, c).toBe(0);
    expect(d.EcDoAsyncConnectEx).toBe(0);
    expect(d.notificationHandle).toEqual(expect.any(Number));
    expect(d.sameStore).toBe(true);
  });

  it('compose: three recipients, two attachments through streams, an embedded message, a 5 MiB body in 4 KB writes', () => {
    const d = passed('compose');
    expect(d.body).toMatchObject({ written: BODY_BYTES, writes: BODY_BYTES / 4096 });
    expect(d.body.calls).toBeLessThan(d.body.writes / 4); // several RopWriteStream per EcDoRpcExt2
    expect(d.attachments.map((x: Json) => x.stream.written)).toEqual([70000, 1234]);
    expect(d.MessageId).toMatch(/^[0-9A-F]{4}-[0-9A-F]{12}$/);
  });

  it('the draft reopened reads back byte-identical: body, recipients, attachment data, embedded message', () => {
    const d = passed('readBack');
    expect(d.body).toMatchObject({ StreamSize: BODY_BYTES, read: BODY_BYTES, identical: true });
    expect(d.body.sha256).toBe(run.compose.body.sha256);
    expect(d.OpenMessage.RecipientCount).toBe(3);
    expect(d.OpenMessage.NormalizedSubject).toBe('Quarterly report with attachments');
    expect(d.recipients.readRows).toBe(3);
    for (const r of d.recipients.rows) {
      expect(r.missing, `row ${r.RowId}`).toBeUndefined();
      expect(r.diffs, `row ${r.RowId}`).toEqual([]);
      if (r.openMatchesRead !== undefined) expect(r.openMatchesRead, `row ${r.RowId}`).toBe(true);
    }
    expect(d.body.payloads).toBeGreaterThan(d.body.calls); // chained RopReadStream answers (pulFlags Chain)
    expect(d.attachmentTable).toHaveLength(3);
    expect(d.attachments.map((x: Json) => [x.name, x.StreamSize, x.identical])).toEqual([
      ['figures.bin', 70000, true],
      ['notes.txt', 1234, true],
    ]);
    expect(d.embedded).toMatchObject({ Subject: 'Embedded: minutes of the meeting', identical: true });
    expect(d.props.HasAttachments).toBe(true);
  });

  it('several RopReadStream in one ROP buffer are all answered (RopBufferTooSmall for those that do not fit)', () => {
    const d = passed('readBack');
    expect(d.multiRead.result).toBe('ok');
    expect(d.multiRead).toMatchObject({ responses: 4, identical: true }); // the bytes follow on from each other
    expect(d.multiRead.bytes).toBeGreaterThan(0);
  });

  it("submit: B's EcDoAsyncWaitEx completes within one second and its next EcDoRpcExt2 carries the new-mail RopNotify", () => {
    const d = passed('submit');
    expect(d.waitPendingBeforeSubmit).toBe(true);
    expect(d.EcDoAsyncWaitEx).toMatchObject({ ErrorCode: 0, pulFlagsOut: 1 }); // NotificationPending
    expect(d.waitLatencyMs).toBeLessThan(1000);
    expect(d.newMail).toBe(true);
    expect(d.newMailInfo).toMatchObject({ inInbox: true, sameMessage: true, NotificationHandle: run.connect.notificationHandle });
  });

  it('B finds the message in its Inbox with its attachments, body and recipients; C got it too', async () => {
    const d = passed('submit');
    expect(d.inboxMatches).toBe(1);
    expect(d.delivered).toMatchObject({
      Subject: 'Quarterly report with attachments',
      HasAttachments: true,
      attachments: ['embedded', 'figures.bin', 'notes.txt'],
      body: { StreamSize: BODY_BYTES, identical: true },
    });
    expect(d.delivered.RecipientCount).toBeGreaterThanOrEqual(2); // the Bcc row is not shown to recipients
    expect(d.delivered.MessageFlags & 0x1).toBe(0); // unread on arrival
    // the SMTP recipient C is a local user: the store has the message in C's Inbox
    const carol = await mailbox(C);
    const rows = await carol.contentsRows(carol.special.inbox, { tags: [TAG_SUBJECT] });
    expect(rows.map((r) => r.props.get(TAG_SUBJECT))).toEqual(['Quarterly report with attachments']);
  });

  it("the sender's copy is in Sent Items and no longer in Drafts", async () => {
    const d = passed('submit');
    expect(d.sentItemsMatches).toBe(1);
    expect(d.draftsMatchesAfter).toBe(0);
    const alice = await mailbox(A);
    const sent = await alice.contentsRows(alice.special.sentItems, { tags: [TAG_SUBJECT] });
    expect(sent.map((r) => r.props.get(TAG_SUBJECT))).toContain('Quarterly report with attachments');
    expect(run.connect.A.folders.SentItems).toBe(eidString(alice.special.sentItems));
  });

  it('the external recipient, with no SMTP relay configured, comes back to A as a non-delivery report', () => {
    const d = passed('submit');
    expect(d.senderInbox).toContainEqual({ Subject: 'Undeliverable: Quarterly report with attachments', MessageClass: 'REPORT.IPM.Note.NDR' });
  });

  it("read flags set in one of B's sessions show in the other's contents table, both ways", () => {
    const d = passed('readFlags');
    expect(d.before).toEqual({ B1: 0, B2: 0 });
    expect(d.afterSetInB2).toEqual({ B1: 1 });
    expect(d.afterClearInB1).toEqual({ B2: 0 });
  });

  it("permissions on A's Calendar granted to B let B's delegate logon read it; revoked, B is refused", () => {
    const d = passed('permissions');
    expect(d.appointment).toBe('ok');
    expect(d.delegateLogon).toBe('0x00000000');
    expect(d.openBeforeGrant).toBe(ecAccessDenied);
    expect(d.grantRow).toMatchObject({ MemberRights: 0x401 });
    expect(d.openAfterGrant).toBe('0x00000000');
    expect(d.calendarSubjects).toEqual(['Team sync']);
    expect(d.openInboxNoRights).toBe(ecAccessDenied);
    expect(d.tableAfterRevoke.some((r: Json) => r.MemberId === d.grantRow.MemberId)).toBe(false);
    expect(d.openAfterRevoke).toBe(ecAccessDenied);
  });

  it("a search folder over B's Inbox follows new and changed messages", () => {
    const d = passed('search');
    expect(d.criteria.FolderIds).toEqual([run.connect.B2.folders.Inbox]);
    expect(d.criteria.restrictionRoundTrip).toBe(true);
    expect(d.initial).toEqual(['Quarterly report with attachments']);
    expect(d.afterNew).toEqual(expect.arrayContaining(['Quarterly report with attachments', expect.stringMatching(/^Weekly report /)]));
    expect(d.afterNew).toHaveLength(2);
    expect(d.afterChange).toEqual(['Quarterly report with attachments']);
    expect(d.changedStillInInbox).toBe(1);
    expect(d.searchCompleteSeen).toBe(true);
  });

  it("B's rule moves mail from A into 'From A' on delivery", () => {
    const d = passed('rules');
    expect(d.rulesTable).toEqual([expect.objectContaining({ RuleName: 'From A', RuleState: 1, conditionRoundTrip: true })]);
    expect(d.inFromA).toBe(1);
    expect(d.inInbox).toBe(0);
    expect(d.remove).toBe('0x00000000');
  });

  it('the sessions end cleanly: no protocol violations, EcDoDisconnect answers, the pending wait ends', () => {
    const d = passed('disconnect');
    for (const c of ['A', 'B1', 'B2']) {
      expect(d[c], c).toEqual({ ErrorCode: 0, cxh: '00'.repeat(20) });
      expect(d[`${c}Stats`].violations, c).toEqual([]);
    }
    if (d.pendingWaitEnded !== undefined) expect(d.pendingWaitEnded).toBe(true);
    // errors of a part of a step (kept going past) are asserted by that step's own test
    expect(run.errors.filter((e: Json) => e.step !== 'part')).toEqual([]);
    expect((run.steps as Step[]).filter((s) => !s.ok)).toEqual([]);
  });
});
