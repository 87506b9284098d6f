// smtp.maxSendSizeKb through the project's EMSMDB client (test/interop/emsmdb/submit_limit.py: Python on impacket's
// DCE/RPC at PKT_PRIVACY, written from the specs independently of src/) against the whole server: the store object
// tells Outlook the limit (PidTagMaximumSubmitMessageSize, in KiB), a message over it is refused by RopSubmitMessage
// with ecMaxSubmissionExceeded and stays in the Outbox, and one within it is delivered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxStore } from '../../src/mapistore/types.js';
import { eidString, USER_DN } from '../helpers/emsmdb-mailbox.js';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LIMIT_KB = 64;
const PidTagSubject = 0x0037001f;
const PidTagClientSubmitTime = 0x00390040;
const PidTagMessageSize = 0x0e080003;

describe('EMSMDB: the send-size limit (smtp.maxSendSizeKb)', () => {
  let ts: TestServer;
  let run: Json;
  let alice: MailboxStore;
  let bob: MailboxStore;

  beforeAll(async () => {
    ts = await startTestServer({ smtp: { maxSendSizeKb: LIMIT_KB } }, [['alice', PASSWORD], ['bob', PASSWORD]]);
    const store = ts.server.store!;
    const b = (await ts.directory.findUser('bob'))!;
    alice = await store.openMailbox({ username: 'alice', displayName: 'alice', legacyDn: USER_DN });
    bob = await store.openMailbox({ username: b.username, displayName: b.displayName, legacyDn: b.legacyExchangeDN });
    const port = ts.server.ports.epm ?? ts.server.ports.rpc;
    run = await runPythonJson<Json>('emsmdb/submit_limit.py', [
      '--host', '127.0.0.1', '--epm-port', String(port), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN,
      '--to', b.smtpAddress, '--big-bytes', String(80 * 1024), '--small-bytes', String(16 * 1024),
    ], 120_000);
  }, 180_000);
  afterAll(async () => {
    await ts?.close();
  });

  it('every step of the client ran', () => {
    for (const s of run.steps as Json[]) expect(s.ok, `${s.name}: ${s.error} ${JSON.stringify(run.errors)}`).toBe(true);
  });

  it('the store object carries PidTagMaximumSubmitMessageSize in KiB', () => {
    expect(run.limit).toEqual({ flagged: false, values: [LIMIT_KB] });
  });

  it('a message over the limit: RopSubmitMessage answers ecMaxSubmissionExceeded, the message stays in the Outbox as it was, nobody gets it', async () => {
    expect(run.big.SubmitReturnValue).toBe(0x000004da);
    const rows = await alice.contentsRows(alice.special.outbox, { tags: [PidTagSubject, PidTagClientSubmitTime, PidTagMessageSize] });
    const big = rows.find((r) => eidString(r.id) === run.big.MessageId);
    expect(big, JSON.stringify(rows.map((r) => eidString(r.id)))).toBeDefined();
    // the submit changed nothing on it (a submitted message gets its submit time)
    expect(big!.props.get(PidTagClientSubmitTime)).toBeUndefined();
    expect(big!.props.get(PidTagMessageSize) as number).toBeGreaterThan(LIMIT_KB * 1024);
    const inbox = await bob.contentsRows(bob.special.inbox, { tags: [PidTagSubject] });
    expect(inbox.map((r) => r.props.get(PidTagSubject))).not.toContain('too big to send');
  });

  it('a message within the limit is delivered', async () => {
    expect(run.small.SubmitReturnValue).toBe(0);
    const inbox = await bob.contentsRows(bob.special.inbox, { tags: [PidTagSubject] });
    expect(inbox.map((r) => r.props.get(PidTagSubject))).toEqual(['small enough']);
  });
});
