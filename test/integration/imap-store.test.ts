// store.backend imap end to end (issue 8 items 1, 3; src/mapistore/backends/imap/{store,mailbox,watcher}.ts): a real
// Dovecot (test/helpers/dovecot.ts, master-user mode), the built-in directory and the whole server
// (test/helpers/full-server.ts). alice's INBOX holds 50 APPENDed corpus messages (test/mime/corpus.ts); the project's
// EMSMDB client (test/interop/emsmdb/imap_inbox_sync.py on cached_mode.py's ICS client) does a first cached-mode sync
// of the Inbox and gets them all; then Python imaplib sets \Seen on one, expunges one and appends one, and the next
// incremental sync returns exactly those; the APPEND reaches the mailbox's events as NewMail within 2 s (IDLE); a
// wrong imap.masterPassword fails the logon with OC_IMAP_AUTH (ecLoginFailure) and an error log line; an unreachable
// IMAP server does not fail it; a refresh of a mirrored folder picks up changes; the configuration is checked at start.
// With RFC 5465 NOTIFY (imap.notify, Dovecot's mailbox_list_index = yes) imaplib's changes in a folder other than INBOX
// (flag, expunge, APPEND, a MOVE from INBOX) reach the mailbox's events within 2 s; with imap.notify off they do not; an
// EMSMDB session registered for ObjectCreated (imap_newmail.py --events created) is woken by an APPEND to that folder.
// Outlook online through the EMSMDB client (imap_flag_save.py) flags and categorizes a message: STOREd on the same UID;
// saves that keep the content STORE flags, edits APPEND; categories <-> keywords both ways (imaplib).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { captureLog } from '../helpers/log-capture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { eidGlobcnt, encodeXid, makeEid } from '../../src/mapi/ids.js';
import { encodePcl, mergePcl } from '../../src/mapistore/pcl.js';
import { readGuid } from '../../src/util/guid.js';
import { FL } from '../../src/mapi/restriction.js';
import type { PropValue } from '../../src/mapi/props.js';
import { ImapMailbox, type ImapWriter } from '../../src/mapistore/backends/imap/mailbox.js';
import type { ImapMirror } from '../../src/mapistore/backends/imap/mirror.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { StoreError } from '../../src/mapistore/errors.js';
import { ImapStore } from '../../src/mapistore/backends/imap/store.js';
import { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import { ImapCredentials } from '../../src/mapistore/backends/imap/credentials.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import type { MailboxEvent } from '../../src/mapistore/events.js';
import { createStore, SEC } from '../../src/mapistore/index.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { hasImapIndex } from '../../src/mapistore/index/types.js';
import { FOLDER_SEARCH, SEARCH_FLAGS } from '../../src/mapistore/types.js';
import { silentLogger } from '../../src/util/log.js';
import { USER_DN, eidString } from '../helpers/emsmdb-mailbox.js';
import { DEFAULT_USERS, MASTER_PASSWORD, MASTER_USER, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';
import { corpus } from '../mime/corpus.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const PidTagSubject = 0x0037001f;
const OWNER = { username: 'alice', displayName: 'alice', legacyDn: USER_DN };


// the other IMAP client, in one mailbox: a flag set on one UID, \Deleted + EXPUNGE on another, an APPEND (its
// subject given), and optionally a MOVE of an INBOX UID into that mailbox
const IMAPLIB_CHANGES = `
import imaplib, sys
host, port, user, pw, box, flag, flagged, gone, subject = sys.argv[1:10]
m = imaplib.IMAP4(host, int(port))
assert m.login(user, pw)[0] == 'OK'
assert m.select(box)[0] == 'OK'
assert m.uid('STORE', flagged, '+FLAGS.SILENT', '(%s)' % flag)[0] == 'OK'
assert m.uid('STORE', gone, '+FLAGS.SILENT', '(\\\\Deleted)')[0] == 'OK'
assert m.expunge()[0] == 'OK'
msg = ('From: Eve <eve@example.org>\\r\\nTo: Alice <alice@example.org>\\r\\nSubject: %s\\r\\nMessage-ID: <%s@example.org>\\r\\n\\r\\nHello from Python.\\r\\n' % (subject, subject.replace(' ', '.'))).encode()
assert m.append(box, None, None, msg)[0] == 'OK'
if len(sys.argv) > 10:
    assert m.select('INBOX')[0] == 'OK'
    assert m.uid('MOVE', sys.argv[10], box)[0] == 'OK'
m.logout()
print('done')
`;
import { python } from '../helpers/imap-test.js';
import { bodiesFromRtf } from '../../src/mapi/rtf/body.js';

const imapSettings = (d: Dovecot, over: Record<string, unknown> = {}) => ({
  host: d.host, port: d.port, security: 'none' as const, auth: 'master' as const, masterUser: MASTER_USER, masterPassword: MASTER_PASSWORD,
  timeoutSeconds: 10, syncIntervalSeconds: 60, idle: true, ...over,
});

/** One run of the project's EMSMDB client's Inbox sync (imap_inbox_sync.py) as alice, its state kept in `state`. */
async function inboxSync(port: number, state: string, timeoutMs: number): Promise<Json> {
  const out = await runPythonJson<Json>('emsmdb/imap_inbox_sync.py', [
    '--host', '127.0.0.1', '--epm-port', String(port), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN, '--state', state,
  ], timeoutMs);
  for (const s of out.steps as Json[]) expect(s.ok, `${s.name}: ${s.error} ${JSON.stringify(out.errors)}`).toBe(true);
  return out.inbox as Json;
}

describe('store.backend imap: the whole server over a real Dovecot', () => {
  let d: Dovecot;
  let ts: TestServer;
  let mb: ImapMailbox;
  let dir: string;
  let port: number;
  /** INBOX UIDs of the 50 corpus messages, in APPEND order. */
  const uids: number[] = [];
  const msgs = corpus().slice(0, 50);
  const runs: Record<string, Json> = {};

  const sync = async (phase: string): Promise<Json> => {
    const out = await runPythonJson<Json>('emsmdb/imap_inbox_sync.py', [
      '--host', '127.0.0.1', '--epm-port', String(port), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN,
      '--state', path.join(dir, 'state.json'),
    ], 300_000);
    runs[phase] = out;
    for (const s of out.steps as Json[]) expect(s.ok, `${phase}/${s.name}: ${s.error} ${JSON.stringify(out.errors)}`).toBe(true);
    return out.inbox as Json;
  };
  const midOfUid = async (uid: number): Promise<bigint> => {
    const index = mb.local.index;
    if (!hasImapIndex(index)) throw new Error('no IMAP index');
    const g = eidGlobcnt(mb.special.inbox);
    const row = await index.imap.folderById(g);
    const [m] = await index.imap.messagesByUid(g, row!.uidvalidity, [uid]);
    if (!m) throw new Error(`UID ${uid} is not mirrored`);
    return makeEid(1, m.globcnt);
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-store-'));
    d = await startDovecot({ mode: 'master' });
    const admin = new ImapFlow(d.clientOptions('alice'));
    await admin.connect();
    try {
      for (const [i, m] of msgs.entries()) {
        const r = await admin.append('INBOX', m.bytes, i % 4 === 0 ? ['\\Seen'] : [], new Date(Date.UTC(2025, 0, 1 + i)));
        if (!r || !r.uid) throw new Error('no APPENDUID');
        uids.push(r.uid);
      }
    } finally {
      await admin.logout();
    }
    ts = await startTestServer({ store: { backend: 'imap' }, imap: imapSettings(d) });
    port = ts.server.ports.epm ?? ts.server.ports.rpc;
    mb = (await ts.server.store!.openMailbox(OWNER)) as ImapMailbox;
  }, 120_000);
  afterAll(async () => {
    await ts?.close();
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the logon mirrored INBOX and the watcher IDLEs on it', async () => {
    expect(mb).toBeInstanceOf(ImapMailbox);
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [PidTagSubject] });
    expect(rows).toHaveLength(50);
    for (let i = 0; i < 50 && !mb.watcher.idling; i++) await new Promise((r) => setTimeout(r, 100));
    expect(mb.watcher.idling).toBe(true);
  });

  it('PidTagRtfCompressed is produced on demand from the HTML (or text) body of mirrored mail', async () => {
    const PidTagHtml = 0x10130102;
    const PidTagBody = 0x1000001f;
    const PidTagRtfCompressed = 0x10090102;
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [PidTagSubject] });
    let html = 0;
    let text = 0;
    for (const row of rows) {
      const m = await mb.openMessage(row.id);
      const [h, b, rtf] = await m.getProps([PidTagHtml, PidTagBody, PidTagRtfCompressed]);
      if (!rtf || !('value' in rtf) || !Buffer.isBuffer(rtf.value)) continue;
      const back = bodiesFromRtf(rtf.value);
      if (h && 'value' in h && Buffer.isBuffer(h.value)) {
        // the same HTML comes back out of the RTF (its code page may differ: compare the text)
        expect(back.kind).toBe('html');
        expect(back.html?.toString('utf8').replace(/\s+/g, ' ')).toContain(h.value.toString('utf8').replace(/\s+/g, ' ').slice(0, 40));
        html++;
      } else if (b && 'value' in b && typeof b.value === 'string') {
        expect(back.kind).toBe('text');
        expect(back.text.replace(/\r\n/g, '\n').trim()).toBe(b.value.replace(/\r\n/g, '\n').trim());
        text++;
      }
    }
    expect(html).toBeGreaterThan(5);
    expect(text).toBeGreaterThan(0);
  });

  it('first cached-mode sync of the Inbox (EMSMDB client, ICS) brings all 50 messages with their read state', async () => {
    const inbox = await sync('first');
    expect(inbox.messages).toBe(50);
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [PidTagSubject] });
    const want = new Map(rows.map((r) => [eidString(r.id), r.props.get(PidTagSubject)]));
    const got = new Map((inbox.changes as Json[]).map((c) => [c.mid as string, c.subject]));
    expect(got).toEqual(want);
    // \Seen on every fourth APPEND: those arrive read
    const readMids = new Set<string>();
    for (let i = 0; i < 50; i += 4) readMids.add(eidString(await midOfUid(uids[i]!)));
    for (const c of inbox.changes as Json[]) expect(c.read, c.mid).toBe(readMids.has(c.mid));
  }, 300_000);

  describe('after imaplib sets \\Seen on one message, expunges one and appends one', () => {
    let seenMid: bigint;
    let goneMid: bigint;
    const events: { ev: MailboxEvent; at: number }[] = [];
    let appendedAt = 0;

    beforeAll(async () => {
      seenMid = await midOfUid(uids[1]!);
      goneMid = await midOfUid(uids[2]!);
      const off = mb.events.subscribe((ev) => events.push({ ev, at: Date.now() }));
      const r = await python(IMAPLIB_CHANGES, [d.host, String(d.port), 'alice', 'alice-secret', 'INBOX', '\\Seen', String(uids[1]), String(uids[2]), 'appended by imaplib']);
      appendedAt = Date.now();
      expect(r.out.trim(), r.out).toBe('done');
      for (let i = 0; i < 40 && !events.some((e) => e.ev.type === 'newMail'); i++) await new Promise((res) => setTimeout(res, 50));
      await new Promise((res) => setTimeout(res, 300));
      off();
      await sync('incremental');
    }, 300_000);

    it('the IDLE connection makes the mirror sync at once: NewMail for the appended message within 2 s', async () => {
      const nm = events.filter((e) => e.ev.type === 'newMail');
      expect(nm).toHaveLength(1);
      expect(nm[0]!.ev.fid).toBe(mb.special.inbox);
      expect(nm[0]!.at - appendedAt).toBeLessThan(2000);
      const [subject] = await mb.getMessageProps(nm[0]!.ev.mid!, [PidTagSubject]);
      expect(subject).toEqual({ tag: PidTagSubject, value: 'appended by imaplib' });
      // the expunge reached the sessions' events too
      expect(events.some((e) => e.ev.type === 'objectDeleted' && e.ev.mid === goneMid)).toBe(true);
    });

    it('the next incremental sync (state from the first one) returns exactly those three changes', () => {
      const inbox = runs.incremental!.inbox as Json;
      expect((inbox.changes as Json[]).map((c) => c.subject)).toEqual(['appended by imaplib']);
      expect([...inbox.deleted, ...inbox.softDeleted]).toEqual([eidString(goneMid)]);
      expect(inbox.read).toEqual([eidString(seenMid)]);
      expect(inbox.unread).toEqual([]);
    });
  });

  it('an EMSMDB session registered for NewMail (RopRegisterNotification + EcDoAsyncWaitEx) hears of an imaplib APPEND within 2 s', async () => {
    const out = await runPythonJson<Json>('emsmdb/imap_newmail.py', [
      '--host', '127.0.0.1', '--epm-port', String(port), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN,
      '--imap-port', String(d.port), '--imap-user', 'alice', '--imap-password', 'alice-secret', '--subject', 'notify me',
    ], 120_000);
    for (const s of out.steps as Json[]) expect(s.ok, `${s.name}: ${s.error} ${JSON.stringify(out.errors)}`).toBe(true);
    const nm = out.newMail as Json;
    expect(nm.waitPendingBeforeAppend).toBe(true);
    expect(nm.EcDoAsyncWaitEx, JSON.stringify(nm)).toMatchObject({ ErrorCode: 0 });
    expect(nm.waitLatencyMs).toBeLessThan(2000);
    const notes = (nm.notifications as Json[]).filter((n) => n.type === 'NewMail');
    expect(notes, JSON.stringify(nm.notifications)).toHaveLength(1);
    expect(notes[0]).toMatchObject({ inInbox: true, FolderId: eidString(mb.special.inbox) });
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [PidTagSubject] });
    const mine = rows.filter((r) => r.props.get(PidTagSubject) === 'notify me').map((r) => eidString(r.id));
    expect(mine).toEqual([notes[0]!.MessageId]);
  }, 180_000);

  it('Outlook online (the EMSMDB client: RopOpenMessage, RopSetProperties of PidTagFlagStatus and PidNameKeywords, RopSaveChangesMessage) flags and categorizes a message: STOREd on the same UID, no new APPEND', async () => {
    const uid = uids[10]!;
    const mid = await midOfUid(uid);
    const out = await runPythonJson<Json>('emsmdb/imap_flag_save.py', [
      '--host', '127.0.0.1', '--epm-port', String(port), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN,
      '--mid', String(mid), '--category', 'Blue Category', '--category', 'Été',
    ], 120_000);
    for (const s of out.steps as Json[]) expect(s.ok, `${s.name}: ${s.error} ${JSON.stringify(out.errors)}`).toBe(true);
    expect(out.flagged.problems).toEqual([]);
    expect(out.flagged.MessageId).toBe(eidString(mid));
    const admin = new ImapFlow(d.clientOptions('alice'));
    await admin.connect();
    try {
      await admin.mailboxOpen('INBOX', { readOnly: true });
      const [m] = await admin.fetchAll(String(uid), { uid: true, flags: true }, { uid: true });
      expect(m?.uid).toBe(uid);
      expect([...(m?.flags ?? [])].sort()).toEqual(expect.arrayContaining(['&AMk-t&AOk-', 'Blue&ACA-Category', '\\Flagged']));
      // (an APPEND of a new version would have expunged this UID: its flags are there, on the message as it was)
    } finally {
      await admin.logout();
    }
    // the mirror's next sync finds nothing to change
    const r = await mb.sync(mb.special.inbox);
    expect(r).toMatchObject({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0 });
  }, 180_000);

  it('the watcher reconnects after the IMAP server restarts, and IDLE reports new mail again', async () => {
    await d.restart();
    const t0 = Date.now();
    // the old IDLE connection is gone at once; a new one comes after the 1 s reconnect delay
    for (let i = 0; i < 100 && (Date.now() - t0 < 300 || !mb.watcher.idling); i++) await new Promise((r) => setTimeout(r, 100));
    expect(mb.watcher.idling).toBe(true);
    const got: MailboxEvent[] = [];
    const off = mb.events.subscribe((ev) => {
      if (ev.type === 'newMail') got.push(ev);
    });
    try {
      const admin = new ImapFlow(d.clientOptions('alice'));
      await admin.connect();
      await admin.append('INBOX', Buffer.from('Subject: after the restart\r\n\r\nx\r\n'));
      const at = Date.now();
      await admin.logout();
      for (let i = 0; i < 40 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(got).toHaveLength(1);
      expect(Date.now() - at).toBeLessThan(2000);
      const [subject] = await mb.getMessageProps(got[0]!.mid!, [PidTagSubject]);
      expect(subject).toEqual({ tag: PidTagSubject, value: 'after the restart' });
    } finally {
      off();
    }
  }, 60_000);
});

describe('store.backend imap with NOTIFY (RFC 5465): changes in a folder other than INBOX reach the sessions within 2 s', () => {
  const PidTagFlagStatus = 0x10900003;
  const note = (subject: string): Buffer =>
    Buffer.from(`From: Bob <bob@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/ /g, '.')}@example.org>\r\n\r\n${subject}.\r\n`);

  /** A Dovecot whose alice has Archive (3 messages) and one INBOX message, and the server (imap.notify `notify`,
   * interval sync 60 s) with alice's mailbox open and IDLEing: what `run` is given; both are stopped after it. */
  async function withServer(notify: boolean, run: (r: { d: Dovecot; ts: TestServer; mb: ImapMailbox; uids: number[]; inboxUid: number }) => Promise<void>): Promise<void> {
    const d = await startDovecot({ mode: 'master' });
    let ts: TestServer | undefined;
    try {
      const admin = new ImapFlow(d.clientOptions('alice'));
      await admin.connect();
      const uids: number[] = [];
      let inboxUid = 0;
      try {
        await admin.mailboxCreate('Archive');
        for (const i of [1, 2, 3]) {
          const r = await admin.append('Archive', note(`archived ${i}`), [], new Date(Date.UTC(2025, 1, i)));
          if (!r || !r.uid) throw new Error('no APPENDUID');
          uids.push(r.uid);
        }
        const r = await admin.append('INBOX', note('moved later'), [], new Date(Date.UTC(2025, 1, 10)));
        if (!r || !r.uid) throw new Error('no APPENDUID');
        inboxUid = r.uid;
      } finally {
        await admin.logout();
      }
      ts = await startTestServer({ store: { backend: 'imap' }, imap: imapSettings(d, { notify }) });
      const mb = (await ts.server.store!.openMailbox(OWNER)) as ImapMailbox;
      for (let i = 0; i < 50 && !mb.watcher.idling; i++) await new Promise((r) => setTimeout(r, 100));
      expect(mb.watcher.idling).toBe(true);
      expect(mb.watcher.notifyActive).toBe(notify);
      await run({ d, ts, mb, uids, inboxUid });
    } finally {
      await ts?.close();
      await d.stop();
    }
  }

  /** The imaplib changes (IMAPLIB_CHANGES in Archive, and a MOVE from INBOX) on withServer's mailbox: the mailbox events within 2 s of them. */
  async function changesSeen(notify: boolean, check: (r: { mb: ImapMailbox; events: MailboxEvent[]; archive: bigint; ids: bigint[]; moved: bigint }) => Promise<void>): Promise<void> {
    await withServer(notify, async ({ d, mb, uids, inboxUid }) => {
      const archive = await mb.mirror.folderOf('Archive');
      expect(archive).not.toBeNull();
      const index = mb.local.index;
      if (!hasImapIndex(index)) throw new Error('no IMAP index');
      const arow = await index.imap.folderByName('Archive');
      const rows = await index.imap.messagesByUid(arow!.folderGlobcnt, arow!.uidvalidity, uids);
      const ids = uids.map((u) => makeEid(1, rows.find((r) => r.uid === u)!.globcnt));
      const irow = await index.imap.folderById(eidGlobcnt(mb.special.inbox));
      const [mr] = await index.imap.messagesByUid(irow!.folderGlobcnt, irow!.uidvalidity, [inboxUid]);
      const events: { ev: MailboxEvent; at: number }[] = [];
      const off = mb.events.subscribe((ev) => events.push({ ev, at: Date.now() }));
      let done = 0;
      try {
        const r = await python(IMAPLIB_CHANGES, [d.host, String(d.port), 'alice', 'alice-secret', 'Archive', '\\Flagged', String(uids[0]), String(uids[1]), 'filed by imaplib', String(inboxUid)]);
        done = Date.now();
        expect(r.out.trim(), r.out).toBe('done');
        await new Promise((res) => setTimeout(res, 2000));
      } finally {
        off();
      }
      await check({ mb, events: events.filter((e) => e.at - done < 2000).map((e) => e.ev), archive: archive!, ids, moved: makeEid(1, mr!.globcnt) });
    });
  }

  it('an EMSMDB session registered for ObjectCreated (RopRegisterNotification + EcDoAsyncWaitEx) hears of an imaplib APPEND to Archive within 2 s', async () => {
    await withServer(true, async ({ d, ts, mb }) => {
      const archive = await mb.mirror.folderOf('Archive');
      const out = await runPythonJson<Json>('emsmdb/imap_newmail.py', [
        '--host', '127.0.0.1', '--epm-port', String(ts.server.ports.epm ?? ts.server.ports.rpc), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN,
        '--imap-port', String(d.port), '--imap-user', 'alice', '--imap-password', 'alice-secret', '--subject', 'filed elsewhere',
        '--mailbox', 'Archive', '--events', 'created',
      ], 120_000);
      for (const s of out.steps as Json[]) expect(s.ok, `${s.name}: ${s.error} ${JSON.stringify(out.errors)}`).toBe(true);
      const nm = out.newMail as Json;
      expect(nm.EcDoAsyncWaitEx, JSON.stringify(nm)).toMatchObject({ ErrorCode: 0 });
      expect(nm.waitLatencyMs).toBeLessThan(2000);
      const rows = await mb.contentsRows(archive!, { tags: [PidTagSubject] });
      const mine = rows.filter((r) => r.props.get(PidTagSubject) === 'filed elsewhere').map((r) => eidString(r.id));
      expect(mine).toHaveLength(1);
      const created = (nm.notifications as Json[]).filter((n) => n.type === 'ObjectCreated' && n.MessageId === mine[0]);
      expect(created, JSON.stringify(nm.notifications)).toHaveLength(1);
      expect(created[0]).toMatchObject({ FolderId: eidString(archive!), inInbox: false });
    });
  }, 180_000);

  it('imaplib flags, expunges, appends and moves in Archive: each reaches the mailbox events within 2 s (the interval sync is 60 s)', async () => {
    await changesSeen(true, async ({ mb, events, archive, ids, moved }) => {
      const created = events.filter((e) => e.type === 'objectCreated' && e.fid === archive).map((e) => e.mid!);
      const subjects = [];
      for (const mid of created) {
        const [p] = await mb.getMessageProps(mid, [PidTagSubject]);
        subjects.push(p && 'value' in p ? p.value : null);
      }
      expect(subjects.sort()).toEqual(['filed by imaplib', 'moved later']);
      expect(events.some((e) => e.type === 'objectDeleted' && e.mid === ids[1])).toBe(true);
      expect(events.some((e) => e.type === 'objectModified' && e.mid === ids[0])).toBe(true);
      expect(await mb.getMessageProps(ids[0]!, [PidTagFlagStatus])).toEqual([{ tag: PidTagFlagStatus, value: 2 }]);
      // the MOVE's source side comes from INBOX's IDLE, as before
      expect(events.some((e) => e.type === 'objectDeleted' && e.mid === moved)).toBe(true);
    });
  }, 180_000);

  it('a mailbox another client creates and fills is reported by its STATUS: the hierarchy and its mail arrive within 2 s', async () => {
    await withServer(true, async ({ d, mb }) => {
      const r = await python(`
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
assert m.login('alice', 'alice-secret')[0] == 'OK'
assert m.create('Fresh')[0] == 'OK'
assert m.append('Fresh', None, None, b'From: Eve <eve@example.org>\\r\\nSubject: first in Fresh\\r\\n\\r\\nx\\r\\n')[0] == 'OK'
m.logout()
print('done')
`, [d.host, String(d.port)]);
      const done = Date.now();
      expect(r.out.trim(), r.out).toBe('done');
      let fid: bigint | null = null;
      let subjects: unknown[] = [];
      while (Date.now() - done < 2000) {
        fid = await mb.mirror.folderOf('Fresh');
        if (fid !== null) {
          subjects = (await mb.contentsRows(fid, { tags: [PidTagSubject] })).map((row) => row.props.get(PidTagSubject));
          if (subjects.length > 0) break;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(fid).not.toBeNull();
      expect(subjects).toEqual(['first in Fresh']);
    });
  }, 180_000);

  it('with imap.notify off the Archive changes wait for the interval sync (INBOX still reports the MOVE at once)', async () => {
    await changesSeen(false, async ({ events, archive, moved }) => {
      expect(events.filter((e) => e.fid === archive && e.mid !== undefined)).toEqual([]);
      expect(events.some((e) => e.type === 'objectDeleted' && e.mid === moved)).toBe(true);
    });
  }, 180_000);
});

describe('store.backend imap without IDLE: the ROP handlers refresh a mirrored folder before reading it', () => {
  let d: Dovecot;
  let ts: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-store3-'));
    d = await startDovecot({ mode: 'master' });
    ts = await startTestServer({ store: { backend: 'imap' }, imap: imapSettings(d, { idle: false, syncIntervalSeconds: 3600 }) });
  }, 120_000);
  afterAll(async () => {
    await ts?.close();
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('contents RopSynchronizationConfigure syncs the Inbox from IMAP first', async () => {
    const port = ts.server.ports.epm ?? ts.server.ports.rpc;
    const run = (): Promise<Json> => inboxSync(port, path.join(dir, 'state.json'), 120_000);
    expect((await run()).messages).toBe(0);
    const admin = new ImapFlow(d.clientOptions('alice'));
    await admin.connect();
    await admin.append('INBOX', Buffer.from('Subject: picked up by the refresh\r\n\r\nx\r\n'));
    await admin.logout();
    await new Promise((r) => setTimeout(r, 2100)); // the per-folder refresh limit (2 s)
    const inbox = await run();
    expect((inbox.changes as Json[]).map((c) => c.subject)).toEqual(['picked up by the refresh']);
  }, 180_000);
});

describe('store.backend imap, a logon that does not wait for the mail (imap.logonSyncSeconds 0): the EMSMDB client', () => {
  const N = 2000;
  let d: Dovecot;
  let ts: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-store4-'));
    d = await startDovecot({ mode: 'master' });
    const admin = new ImapFlow(d.clientOptions('alice'));
    await admin.connect();
    try {
      const text = 'Some words of a body line that goes on for a while.\r\n'.repeat(40);
      for (let i = 0; i < N; i++) await admin.append('INBOX', Buffer.from(`Subject: early ${i}\r\nMessage-ID: <early.${i}@example.org>\r\n\r\n${text}`));
    } finally {
      await admin.logout();
    }
    ts = await startTestServer({ store: { backend: 'imap' }, imap: imapSettings(d, { idle: false, syncIntervalSeconds: 3600, logonSyncSeconds: 0 }) });
  }, 300_000);
  afterAll(async () => {
    await ts?.close();
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a first sync during the background mirror gets part of the Inbox; the next sync after it brings the rest, each message once', async () => {
    const port = ts.server.ports.epm ?? ts.server.ports.rpc;
    const run = (): Promise<Json> => inboxSync(port, path.join(dir, 'state.json'), 300_000);
    const first = await run();
    // the client's RopLogon opened the mailbox: the same ImapMailbox, its first mirror still running or just done
    const mb = (await ts.server.store!.openMailbox(OWNER)) as ImapMailbox;
    // the logon did not wait for the 2,000 messages (how many were mirrored by the download's start depends on timing)
    expect(first.messages).toBeLessThan(N);
    const done = mb.backgroundDone;
    if (done) expect(await done).toBe(true);
    await new Promise((r) => setTimeout(r, 2100)); // the per-folder refresh limit (2 s)
    const next = await run();
    const subjects = [...(first.changes as Json[]), ...(next.changes as Json[])].map((c) => c.subject as string);
    expect(subjects).toHaveLength(N);
    expect(new Set(subjects).size).toBe(N);
    expect([...next.deleted, ...next.softDeleted]).toEqual([]);
  }, 300_000);
});

describe('ImapStore logon and configuration', () => {
  let d: Dovecot;
  let tmp: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-store2-'));
    // dave: the mailbox of the background-mirror tests (600 messages no other test expects)
    // erin: the mailbox of the second write-back wiring test; frank: of the write-back / sync race
    d = await startDovecot({ mode: 'master', users: { ...DEFAULT_USERS, dave: 'dave-secret', erin: 'erin-secret', frank: 'frank-secret' } });
  }, 60_000);
  afterAll(async () => {
    await d?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const config = (imap: Record<string, unknown>) => loadConfig({ env: {}, overrides: { dataDir: tmp, store: { backend: 'imap' }, imap } });
  const localStore = (name: string) => new LocalStore({ mailboxDir: path.join(tmp, name, 'mailboxes'), index: new SqliteIndexProvider(path.join(tmp, name, 'index.sqlite')) });
  const capture = (): { lines: Json[]; log: pino.Logger } => captureLog();

  it('a wrong imap.masterPassword fails the logon with OC_IMAP_AUTH (ecLoginFailure) and an error log line', async () => {
    const { lines, log } = capture();
    const store = new ImapStore({ local: localStore('bad'), imap: config(imapSettings(d, { masterPassword: 'wrong' })).imap, log });
    try {
      await expect(store.openMailbox(OWNER)).rejects.toMatchObject({ code: 'OC_IMAP_AUTH', ec: SEC.LogonFailed });
      const line = lines.find((l) => l.msg === 'IMAP login refused: the logon fails');
      expect(line).toMatchObject({ user: 'alice', code: 'OC_IMAP_AUTH' });
      expect(String(line!.err)).toContain('alice*master');
      expect(JSON.stringify(lines)).not.toContain('wrong');
    } finally {
      await store.close();
    }
  });

  it('after a refused login no refresh tries again for loginRetryMs (a fail2ban would count each) or until a logon; a success ends the pause', async () => {
    const f = path.join(tmp, 'alice-password');
    fs.writeFileSync(f, `alice:${DEFAULT_USERS.alice}\n`);
    const { lines, log } = capture();
    const store = new ImapStore({
      local: localStore('refused'), imap: config(imapSettings(d, { auth: 'passwordFile', passwordFile: f, idle: false })).imap, log, refreshMinMs: 0, loginRetryMs: 1500,
    });
    try {
      const mb = (await store.openMailbox(OWNER)) as ImapMailbox;
      // the password changed on the IMAP side (the file still has the old one), and the server's sessions are gone
      fs.writeFileSync(f, 'alice:the-old-password\n');
      await d.restart();
      const refusedTries = (): number => lines.filter((l) => l.code === 'OC_IMAP_AUTH' && /sync failed|refresh failed/.test(String(l.msg))).length;
      for (let i = 0; i < 5; i++) {
        await mb.refreshFolder(mb.special.inbox);
        await mb.refreshHierarchy();
      }
      expect(refusedTries()).toBe(1);
      expect(mb.loginRefused).toBe(true);
      // a client's logon (the user may have just changed the password) ends the pause: the next refresh tries
      mb.loggedOn();
      await mb.refreshFolder(mb.special.inbox);
      expect(refusedTries()).toBe(2);
      await mb.refreshFolder(mb.special.inbox);
      expect(refusedTries()).toBe(2);
      await new Promise((r) => setTimeout(r, 1600));
      await mb.refreshFolder(mb.special.inbox);
      expect(refusedTries()).toBe(3);
      // the right password again: the first refresh after the pause succeeds and ends it
      fs.writeFileSync(f, `alice:${DEFAULT_USERS.alice}\n`);
      await new Promise((r) => setTimeout(r, 1600));
      await mb.refreshFolder(mb.special.inbox);
      expect(mb.loginRefused).toBe(false);
      await mb.refreshHierarchy();
      expect(refusedTries()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('an unreachable IMAP server does not fail the logon: the local mirror is used and a warning logged', async () => {
    const { lines, log } = capture();
    const store = new ImapStore({ local: localStore('down'), imap: config(imapSettings(d, { port: 1, timeoutSeconds: 2, idle: false })).imap, log });
    try {
      const mb = (await store.openMailbox(OWNER)) as ImapMailbox;
      expect(await mb.folderExists(mb.special.inbox)).toBe(true);
      expect(lines.some((l) => l.msg?.startsWith('IMAP server not reachable at logon'))).toBe(true);
      await mb.refreshFolder(mb.special.inbox); // not mirrored yet: nothing happens, nothing thrown
    } finally {
      await store.close();
    }
    // a hierarchy refresh against the unreachable server (no pause after failures here): logged, never thrown
    const down = capture();
    const again = new ImapStore({
      local: localStore('down2'), imap: config(imapSettings(d, { port: 1, timeoutSeconds: 2, idle: false })).imap, log: down.log, downMs: 0, refreshMinMs: 0,
    });
    try {
      const mb = (await again.openMailbox(OWNER)) as ImapMailbox;
      await mb.refreshHierarchy();
      expect(down.lines.some((l) => l.msg === 'IMAP hierarchy refresh failed; the mirror is used as it is' && l.code === 'OC_IMAP_CONNECT')).toBe(true);
    } finally {
      await again.close();
    }
  });

  describe('a mailbox whose first mirror outlasts imap.logonSyncSeconds', () => {
    const N = 600;
    const DAVE = { ...OWNER, username: 'dave', displayName: 'dave' };
    beforeAll(async () => {
      const admin = new ImapFlow(d.clientOptions('dave'));
      await admin.connect();
      try {
        for (let i = 0; i < N; i++) await admin.append('INBOX', Buffer.from(`Subject: background ${i}\r\nMessage-ID: <bg.${i}@example.org>\r\n\r\nbody ${i}\r\n`));
      } finally {
        await admin.logout();
      }
    }, 120_000);
    const count = async (mb: ImapMailbox): Promise<number> => (await mb.contentsRows(mb.special.inbox, { tags: [] })).length;

    it('the logon completes with the folders; the mail goes on arriving in the background, with its events', async () => {
      const { lines, log } = capture();
      const store = new ImapStore({ local: localStore('bg'), imap: config(imapSettings(d, { idle: false, logonSyncSeconds: 0, fetchBatchBytes: 65536 })).imap, log, refreshMinMs: 0 });
      try {
        const mb = (await store.openMailbox(DAVE)) as ImapMailbox;
        expect(mb.mirror.ctx.batchBytes).toBe(65536); // imap.fetchBatchBytes reaches the mirror
        const created: bigint[] = [];
        const off = mb.events.subscribe((ev: MailboxEvent) => {
          if (ev.type === 'objectCreated' && ev.fid === mb.special.inbox && ev.mid !== undefined) created.push(ev.mid);
        });
        const done = mb.backgroundDone;
        expect(done).not.toBeNull();
        expect(lines.some((l) => l.msg === 'IMAP mirror still fetching mail: the logon completes, the rest arrives in the background' && l.user === 'dave')).toBe(true);
        // the folders are there; a client's refresh does not wait for the rest of the mailbox
        expect(await mb.folderExists(mb.special.inbox)).toBe(true);
        await mb.refreshFolder(mb.special.inbox);
        await mb.refreshHierarchy();
        const early = await count(mb);
        expect(early).toBeLessThan(N);
        expect(await done).toBe(true);
        off();
        expect(await count(mb)).toBe(N);
        expect(created.length).toBe(N - early);
        expect(mb.backgroundDone).toBeNull();
        // newest batch first: the last APPENDed message got an older ID (created earlier) than the first one
        const index = mb.local.index;
        if (!hasImapIndex(index)) throw new Error('no IMAP index');
        const g = eidGlobcnt(mb.special.inbox);
        const row = await index.imap.folderById(g);
        const byUid = (await index.imap.messagesInFolder(g, row!.uidvalidity, 0, N + 10)).sort((a, b) => a.uid - b.uid);
        expect(byUid).toHaveLength(N);
        expect(byUid[N - 1]!.globcnt).toBeLessThan(byUid[0]!.globcnt);
        expect(lines.some((l) => l.msg === 'IMAP mirror of the logon finished in the background' && typeof l.ms === 'number')).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('a mailbox closed while its first mirror runs stops it; the next logon fetches the rest, each message once', async () => {
      const { lines, log } = capture();
      const first = new ImapStore({ local: localStore('bg2'), imap: config(imapSettings(d, { idle: false, logonSyncSeconds: 0 })).imap, log });
      const mb = (await first.openMailbox(DAVE)) as ImapMailbox;
      const done = mb.backgroundDone!;
      await first.close();
      expect(await done).toBe(false);
      expect(lines.some((l) => l.msg?.startsWith('IMAP folder sync stopped: the mailbox is closing'))).toBe(true);
      const again = new ImapStore({ local: localStore('bg2'), imap: config(imapSettings(d, { idle: false })).imap, log });
      try {
        const mb2 = (await again.openMailbox(DAVE)) as ImapMailbox;
        expect(mb2.backgroundDone).toBeNull();
        const rows = await mb2.contentsRows(mb2.special.inbox, { tags: [PidTagSubject] });
        expect(rows).toHaveLength(N);
        expect(new Set(rows.map((r) => r.props.get(PidTagSubject))).size).toBe(N);
      } finally {
        await again.close();
      }
    });
  });

  it('refreshFolder picks up an APPEND (rate-limited per folder); the IMAP index maps it', async () => {
    const { log } = capture();
    const store = new ImapStore({ local: localStore('refresh'), imap: config(imapSettings(d, { idle: false })).imap, log: log, refreshMinMs: 300 });
    const admin = new ImapFlow(d.clientOptions('bob'));
    await admin.connect();
    try {
      const mb = (await store.openMailbox({ ...OWNER, username: 'bob', displayName: 'bob' })) as ImapMailbox;
      const before = (await mb.contentsRows(mb.special.inbox, { tags: [] })).length;
      await admin.append('INBOX', Buffer.from('Subject: refresh one\r\n\r\nx\r\n'));
      await new Promise((r) => setTimeout(r, 350));
      await mb.refreshFolder(mb.special.inbox);
      expect((await mb.contentsRows(mb.special.inbox, { tags: [] })).length).toBe(before + 1);
      await admin.append('INBOX', Buffer.from('Subject: refresh two\r\n\r\nx\r\n'));
      await mb.refreshFolder(mb.special.inbox); // within refreshMinMs: skipped
      expect((await mb.contentsRows(mb.special.inbox, { tags: [] })).length).toBe(before + 1);
      await new Promise((r) => setTimeout(r, 350));
      await mb.refreshFolder(mb.special.inbox);
      expect((await mb.contentsRows(mb.special.inbox, { tags: [] })).length).toBe(before + 2);
    } finally {
      await admin.logout();
      await store.close();
    }
  });

  it('refreshHierarchy picks up folders another IMAP client created or deleted (rate-limited)', async () => {
    const { log } = capture();
    const store = new ImapStore({ local: localStore('hier'), imap: config(imapSettings(d, { idle: false })).imap, log: log, refreshMinMs: 300 });
    const admin = new ImapFlow(d.clientOptions('carol'));
    await admin.connect();
    try {
      const mb = (await store.openMailbox({ ...OWNER, username: 'carol', displayName: 'carol' })) as ImapMailbox;
      await admin.mailboxCreate('Made in webmail');
      await new Promise((r) => setTimeout(r, 350));
      await mb.refreshHierarchy();
      const fid = await mb.mirror.folderOf('Made in webmail');
      expect(fid).not.toBeNull();
      expect(await mb.folderExists(fid!)).toBe(true);
      await admin.mailboxDelete('Made in webmail');
      await mb.refreshHierarchy(); // within refreshMinMs: skipped
      expect(await mb.folderExists(fid!)).toBe(true);
      await new Promise((r) => setTimeout(r, 350));
      await mb.refreshHierarchy();
      expect(await mb.folderExists(fid!)).toBe(false);
    } finally {
      await admin.logout();
      await store.close();
    }
  });

  /**
   * A store whose write-back is a recording ImapWriter (ImapWriteBack, writeback.ts, is tested separately): each call
   * with its arguments and, for the before-calls, whether the local object still existed; `state.fail` names an
   * operation to refuse.
   */
  const recording = (name: string) => {
    const calls: { op: string; args: unknown[]; localBefore?: boolean }[] = [];
    const created = new Set<bigint>();
    const state = { fail: null as string | null };
    let mirror!: ImapMirror;
    let local!: LocalMailbox;
    const rec = (op: string, probe?: () => Promise<boolean>) => async (...args: unknown[]): Promise<void> => {
      calls.push({ op, args, ...(probe ? { localBefore: await probe() } : {}) });
      if (state.fail === op) throw new StoreError('OC_TEST_WRITER', SEC.NetworkError, `${op} refused`);
    };
    const writer: ImapWriter = {
      isMirrored: async (fid) => created.has(fid) || (await mirror.ctx.imap.folderById(eidGlobcnt(fid))) !== null,
      setReadFlags: rec('setReadFlags'),
      deleteMessages: async (fid, mids) => rec('deleteMessages', () => local.messageExists(mids[0]!))(fid, mids),
      moveCopy: rec('moveCopy'),
      saveMessage: async (fid, mid) => rec('saveMessage', () => local.messageExists(mid))(fid, mid),
      setFlags: rec('setFlags'),
      createFolder: async (parent, fid, name) => {
        created.add(fid);
        await rec('createFolder')(parent, fid, name);
      },
      renameFolder: rec('renameFolder'),
      deleteFolder: async (fid) => rec('deleteFolder', () => local.folderExists(fid))(fid),
    };
    const { lines, log } = capture();
    const store = new ImapStore({
      local: localStore(name), imap: config(imapSettings(d, { idle: false })).imap, log,
      writer: (m) => {
        mirror = m;
        local = m.ctx.mb;
        return writer;
      },
    });
    return { calls, state, lines, store };
  };

  it('write-back wiring: each MAPI change of a mirrored folder reaches the writer, before or after the local change', async () => {
    const admin = new ImapFlow(d.clientOptions('carol'));
    await admin.connect();
    for (const n of ['one', 'two', 'three']) await admin.append('INBOX', Buffer.from(`Subject: carol ${n}\r\n\r\nx\r\n`));
    await admin.logout();
    const { calls, state, lines, store } = recording('writer');
    try {
      const mb = (await store.openMailbox({ ...OWNER, username: 'carol', displayName: 'carol' })) as ImapMailbox;
      const inbox = mb.special.inbox;
      const mids = (await mb.contentsRows(inbox, { tags: [] })).map((r) => r.id);
      expect(mids).toHaveLength(3);
      expect(calls).toEqual([]); // the mirror's own changes are not written back

      expect(await mb.setReadFlags(inbox, [mids[0]!], true)).toEqual([mids[0]]);
      await mb.setMessageProps(mids[1]!, [{ tag: 0x10900003, value: 2 }]);
      expect(calls.splice(0)).toEqual([{ op: 'setReadFlags', args: [inbox, [mids[0]], true] }, { op: 'setFlags', args: [inbox, mids[1]] }]);

      // a before-call that fails is the MAPI call's error, and nothing changed locally
      state.fail = 'deleteMessages';
      await expect(mb.deleteMessages(inbox, [mids[2]!])).rejects.toMatchObject({ code: 'OC_TEST_WRITER' });
      expect(await mb.messageExists(mids[2]!)).toBe(true);
      state.fail = 'setReadFlags';
      expect(await mb.setReadFlags(inbox, [mids[1]!], true)).toEqual([mids[1]]); // after-call failure: logged only
      expect(lines.some((l) => l.msg === 'IMAP write-back failed; the next sync repairs the mirror' && l.op === 'setReadFlags')).toBe(true);
      state.fail = null;
      calls.splice(0);
      await mb.deleteMessages(inbox, [mids[2]!]);
      expect(calls.splice(0)).toEqual([{ op: 'deleteMessages', args: [inbox, [mids[2]]], localBefore: true }]);
      expect(await mb.messageExists(mids[2]!)).toBe(false);

      const m = await mb.newMessage(inbox);
      await m.setProps([{ tag: PidTagSubject, value: 'drafted in Outlook' }]);
      const mid = await m.save();
      expect(calls.splice(0)).toEqual([{ op: 'saveMessage', args: [inbox, mid], localBefore: true }]);

      const f = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Projects', containerClass: 'IPF.Note' });
      await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Team calendar', containerClass: 'IPF.Appointment' });
      expect(calls.splice(0)).toEqual([{ op: 'createFolder', args: [mb.special.ipmSubtree, f.fid, 'Projects'] }]);
      const r = await mb.moveCopyMessages(inbox, [mids[0]!], f.fid, true);
      expect(calls.splice(0)).toEqual([{ op: 'moveCopy', args: [inbox, f.fid, r.ids, true] }]);
      await mb.moveFolder(f.fid, inbox);
      await mb.moveFolder(f.fid, inbox, 'Renamed');
      expect(calls.splice(0)).toEqual([{ op: 'renameFolder', args: [f.fid, inbox, 'Projects'] }, { op: 'renameFolder', args: [f.fid, inbox, 'Renamed'] }]);
      const copied = [...r.ids.values()];
      await mb.emptyFolder(f.fid);
      expect(calls.splice(0)).toEqual([{ op: 'deleteMessages', args: [f.fid, copied], localBefore: true }]);
      await mb.deleteFolder(f.fid, 0x15);
      expect(calls.splice(0)).toEqual([{ op: 'deleteFolder', args: [f.fid], localBefore: true }]);
      expect(await mb.folderExists(f.fid)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('write-back wiring: a folder delete the store refuses never reaches IMAP; emptying a folder deletes its subfolders there; changes through a search folder go to the messages\' own folders', async () => {
    const admin = new ImapFlow(d.clientOptions('erin'));
    await admin.connect();
    for (const n of ['one', 'two', 'three', 'four']) await admin.append('INBOX', Buffer.from(`Subject: erin ${n}\r\n\r\nx\r\n`));
    await admin.logout();
    const { calls, state, store } = recording('writer-erin');
    try {
      const mb = (await store.openMailbox({ ...OWNER, username: 'erin', displayName: 'erin' })) as ImapMailbox;
      const inbox = mb.special.inbox;
      const rows = await mb.contentsRows(inbox, { tags: [PidTagSubject] });
      const mid = new Map(rows.map((r) => [String(r.props.get(PidTagSubject)), r.id]));
      expect(mid.size).toBe(4);

      // RopDeleteFolder without DEL_MESSAGES / DEL_FOLDERS on a folder that is not empty: PartialCompletion, and its
      // mailbox stays (the IMAP DELETE used to run first, taking the mail with it)
      const f = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Kept', containerClass: 'IPF.Note' });
      const m = await mb.newMessage(f.fid);
      await m.setProps([{ tag: PidTagSubject, value: 'in Kept' }]);
      await m.save();
      const sub = await mb.createFolder(f.fid, { displayName: 'Below' });
      calls.splice(0);
      expect(await mb.deleteFolder(f.fid, 0)).toEqual({ partial: true, reason: SEC.HasFolders });
      expect(await mb.deleteFolder(f.fid, 0x01)).toEqual({ partial: true, reason: SEC.HasFolders });
      expect(await mb.deleteFolder(f.fid, 0x04)).toEqual({ partial: true, reason: SEC.HasMessages });
      expect(calls).toEqual([]);
      expect(await mb.folderExists(f.fid)).toBe(true);

      // emptying Kept deletes Below on IMAP before the local store drops it
      await mb.emptyFolder(f.fid);
      expect(calls.splice(0).map((c) => [c.op, c.args[0], c.localBefore])).toEqual([['deleteMessages', f.fid, true], ['deleteFolder', sub.fid, true]]);
      expect(await mb.folderExists(sub.fid)).toBe(false);

      // a search folder over the Inbox: read state, delete and move through it act on the Inbox's messages
      const sf = (await mb.createFolder(mb.special.finder, { displayName: 'All erin', folderType: FOLDER_SEARCH })).fid;
      await mb.setSearchCriteria(sf, {
        restriction: { type: 'content', fuzzyLevel: FL.FL_SUBSTRING | FL.FL_IGNORECASE, propTag: PidTagSubject, value: { tag: PidTagSubject, value: 'erin' } },
        folderIds: [inbox],
        searchFlags: SEARCH_FLAGS.RESTART_SEARCH,
      });
      expect((await mb.contentsRows(sf, { tags: [] })).map((r) => r.id).sort()).toEqual([...mid.values()].sort());
      calls.splice(0);
      expect(await mb.setReadFlags(sf, [mid.get('erin one')!], true)).toEqual([mid.get('erin one')]);
      expect(calls.splice(0)).toEqual([{ op: 'setReadFlags', args: [inbox, [mid.get('erin one')], true] }]);
      await mb.deleteMessages(sf, [mid.get('erin two')!]);
      expect(calls.splice(0)).toEqual([{ op: 'deleteMessages', args: [inbox, [mid.get('erin two')]], localBefore: true }]);
      expect(await mb.messageExists(mid.get('erin two')!)).toBe(false);
      const moved = await mb.moveCopyMessages(sf, [mid.get('erin three')!], f.fid, false);
      expect(moved.ids.size).toBe(1);
      expect(calls.splice(0)).toEqual([{ op: 'moveCopy', args: [inbox, f.fid, moved.ids, false] }]);

      // a move the write-back fails while the message's IMAP row is still in the Inbox: moved back there (IMAP keeps
      // it in INBOX, and no sync would move it); a failed copy leaves the local copy
      state.fail = 'moveCopy';
      const four = mid.get('erin four')!;
      await mb.moveCopyMessages(inbox, [four], f.fid, false);
      expect(await mb.local.folderOfMessage(four)).toBe(inbox);
      const copied = await mb.moveCopyMessages(inbox, [four], f.fid, true);
      expect(await mb.local.folderOfMessage(copied.ids.get(four)!)).toBe(f.fid);
      expect(calls.splice(0).map((c) => c.op)).toEqual(['moveCopy', 'moveCopy']);
      // the same for a move Outlook uploads in cached mode (RopSynchronizationImportMessageMove), whose message gets the
      // MID of the client's key in the destination
      const key = encodeXid('0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 0x701n);
      const pcl = encodePcl(mergePcl([{ guid: readGuid(key, 0), localId: Buffer.from(key.subarray(16)) }]));
      const uploaded = await mb.importMessageMove(four, f.fid, { sourceKey: key, changeKey: key, pcl, pclMode: 'replace' });
      expect(await mb.local.folderOfMessage(uploaded)).toBe(inbox);
      expect(calls.splice(0).map((c) => c.op)).toEqual(['moveCopy']);
      state.fail = null;
    } finally {
      await store.close();
    }
  });

  it('with the real write-back (ImapWriteBack): read state and deletes reach IMAP, and the next sync echoes nothing', async () => {
    const { log } = capture();
    const store = new ImapStore({ local: localStore('real'), imap: config(imapSettings(d, { idle: false })).imap, log, refreshMinMs: 0 });
    const admin = new ImapFlow(d.clientOptions('carol'));
    await admin.connect();
    try {
      const mb = (await store.openMailbox({ ...OWNER, username: 'carol', displayName: 'carol' })) as ImapMailbox;
      const inbox = mb.special.inbox;
      const rows = await mb.contentsRows(inbox, { tags: [PidTagSubject] });
      const bySubject = new Map(rows.map((r) => [r.props.get(PidTagSubject), r.id]));
      await mb.setReadFlags(inbox, [bySubject.get('carol one')!], true);
      await mb.deleteMessages(inbox, [bySubject.get('carol two')!]);
      await admin.mailboxOpen('INBOX', { readOnly: true });
      const onImap = await admin.fetchAll('1:*', { envelope: true, flags: true });
      const state = new Map(onImap.map((m) => [m.envelope?.subject, m.flags?.has('\\Seen') ?? false]));
      expect(state).toEqual(new Map([['carol one', true], ['carol three', false]]));
      const events: MailboxEvent[] = [];
      const off = mb.events.subscribe((ev) => events.push(ev));
      const r = await mb.sync(inbox);
      off();
      expect(r).toMatchObject({ added: 0, changed: 0, deleted: 0 });
      expect(events).toEqual([]);
      expect((await mb.contentsRows(inbox, { tags: [] })).length).toBe(2);
    } finally {
      await admin.logout();
      await store.close();
    }
  });

  it('with the real write-back: a delete of a folder holding mail without DEL_MESSAGES leaves its IMAP mailbox and mail; emptying its parent DELETEs it on IMAP for good', async () => {
    const { log } = capture();
    const store = new ImapStore({ local: localStore('real-erin'), imap: config(imapSettings(d, { idle: false })).imap, log, refreshMinMs: 0 });
    const admin = new ImapFlow(d.clientOptions('erin'));
    await admin.connect();
    try {
      const mb = (await store.openMailbox({ ...OWNER, username: 'erin', displayName: 'erin' })) as ImapMailbox;
      const top = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Projects', containerClass: 'IPF.Note' });
      const old = await mb.createFolder(top.fid, { displayName: 'Old' });
      const m = await mb.newMessage(old.fid);
      await m.setProps([{ tag: PidTagSubject, value: 'kept on IMAP' }]);
      await m.save();
      expect(await admin.status('Projects/Old', { messages: true })).toMatchObject({ messages: 1 });

      expect(await mb.deleteFolder(old.fid, 0)).toEqual({ partial: true, reason: SEC.HasMessages });
      expect(await admin.status('Projects/Old', { messages: true })).toMatchObject({ messages: 1 });
      expect(await mb.folderExists(old.fid)).toBe(true);

      await mb.emptyFolder(top.fid);
      const paths = (await admin.list()).map((e) => e.path);
      expect(paths).toContain('Projects');
      expect(paths).not.toContain('Projects/Old');
      expect(await mb.folderExists(old.fid)).toBe(false);
      // the next hierarchy sync does not bring it back
      await mb.refreshHierarchy();
      const names = (await mb.hierarchyRows(top.fid, { tags: [0x3001001f] })).map((r) => r.props.get(0x3001001f));
      expect(names).toEqual([]);
    } finally {
      await admin.logout();
      await store.close();
    }
  });

  it('a sync that finds a message the write-back has APPENDed but not yet mapped waits its turn: the message is mirrored once', async () => {
    // the write-back's FETCH after its APPEND is held back 400 ms on that connection, and the sync starts as soon as
    // the server has the message: before, the sync mirrored the new UID as a message of its own (two in Outlook)
    let appended!: () => void;
    const onServer = new Promise<void>((r) => (appended = r));
    const held = new WeakSet<ImapFlow>();
    const factory = (o: ConstructorParameters<typeof ImapFlow>[0]): ImapFlow => {
      const c = new ImapFlow(o);
      const append = c.append.bind(c);
      const fetchAll = c.fetchAll.bind(c);
      c.append = async (...a: Parameters<ImapFlow['append']>) => {
        const r = await append(...a);
        held.add(c);
        appended();
        return r;
      };
      c.fetchAll = async (...a: Parameters<ImapFlow['fetchAll']>) => {
        if (held.has(c)) {
          held.delete(c);
          await new Promise((r) => setTimeout(r, 400));
        }
        return fetchAll(...a);
      };
      return c;
    };
    const { log, lines } = capture();
    // the fewest connections allowed without IDLE: the sync waiting for its turn holds one, the write-back the other
    const imap = config(imapSettings(d, { idle: false, maxConnectionsPerUser: 2, timeoutSeconds: 5 })).imap;
    const pool = new ImapPool(imap, new ImapCredentials(imap), log, factory);
    const store = new ImapStore({ local: localStore('race'), imap, log, pool, refreshMinMs: 0 });
    try {
      const mb = (await store.openMailbox({ ...OWNER, username: 'frank', displayName: 'frank' })) as ImapMailbox;
      const inbox = mb.special.inbox;
      const m = await mb.newMessage(inbox);
      await m.setProps([{ tag: PidTagSubject, value: 'written back once' }]);
      const saving = m.save();
      await onServer;
      const syncing = mb.sync(inbox);
      await Promise.all([saving, syncing]);
      await mb.sync(inbox);
      const subjects = (await mb.contentsRows(inbox, { tags: [PidTagSubject] })).map((r) => r.props.get(PidTagSubject));
      expect(subjects).toEqual(['written back once']);
      // no write-back failure, no connection waited for (frank's INBOX is new: its first mirror says so)
      expect(lines.filter((l) => l.level >= 40 && !String(l.msg).startsWith('IMAP INBOX is empty')).map((l) => [l.msg, l.err])).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a save that keeps the content (a flag, the read state, a named property; then every property written again, as a cached-mode upload does) STOREs flags on the same UID; an edit APPENDs', async () => {
    const PidTagFlagStatus = 0x10900003;
    const PidTagMessageFlags = 0x0e070003;
    const { log } = capture();
    const admin = new ImapFlow(d.clientOptions('bob'));
    await admin.connect();
    const store = new ImapStore({ local: localStore('keep'), imap: config(imapSettings(d, { idle: false })).imap, log, refreshMinMs: 0 });
    try {
      await admin.mailboxCreate('Keep');
      const appended = await admin.append('Keep', Buffer.from('From: Eve <eve@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: keep one\r\nMessage-ID: <keep.one@example.org>\r\n\r\nKept as it is.\r\n'));
      const uid = appended && appended.uid;
      expect(uid).toBeGreaterThan(0);
      const mb = (await store.openMailbox({ ...OWNER, username: 'bob', displayName: 'bob' })) as ImapMailbox;
      const fid = (await mb.mirror.folderOf('Keep'))!;
      const [row] = await mb.contentsRows(fid, { tags: [PidTagSubject] });
      const mid = row!.id;
      const onImap = async (): Promise<Array<{ uid: number; flags: string[]; subject: string }>> => {
        await admin.mailboxOpen('Keep', { readOnly: true });
        return (await admin.fetchAll('1:*', { uid: true, flags: true, envelope: true })).map((m) => ({ uid: m.uid, flags: [...(m.flags ?? [])].sort(), subject: m.envelope?.subject ?? '' }));
      };
      const [reminderSet] = await mb.getNamedIds([{ guid: '00062008-0000-0000-c000-000000000046', lid: 0x8503 }], true);
      const PidLidReminderSet = ((reminderSet! << 16) | 0x000b) >>> 0;

      // Outlook online: the flag, the read state and a reminder set on the open message, then saved
      let msg = await mb.openMessage(mid);
      await msg.setProps([{ tag: PidTagFlagStatus, value: 2 }, { tag: PidTagMessageFlags, value: 1 }, { tag: PidLidReminderSet, value: true }]);
      await msg.save();
      await msg.discard();
      expect(await onImap()).toEqual([{ uid, flags: ['\\Flagged', '\\Seen'], subject: 'keep one' }]);

      // cached mode: the whole message uploaded again (every property it has), the flag cleared
      msg = await mb.openMessage(mid);
      const all = (await msg.getProps()).filter((p): p is { tag: number; value: PropValue } => 'value' in p && p.tag >>> 0 !== PidTagFlagStatus);
      await msg.setProps(all);
      await msg.deleteProps([PidTagFlagStatus]);
      await msg.save();
      await msg.discard();
      expect(await onImap()).toEqual([{ uid, flags: ['\\Seen'], subject: 'keep one' }]);
      const r = await mb.sync(fid);
      expect(r).toMatchObject({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0 });

      // an edit: a new version APPENDed, the old UID expunged
      msg = await mb.openMessage(mid);
      await msg.setProps([{ tag: PidTagSubject, value: 'keep one, edited' }]);
      await msg.save();
      await msg.discard();
      const after = await onImap();
      expect(after.map((m) => m.subject)).toEqual(['keep one, edited']);
      expect(after[0]!.uid).toBeGreaterThan(uid as number);
    } finally {
      await admin.logout();
      await store.close();
    }
  });

  it('categories: IMAP keywords become PidNameKeywords (imaplib), and categories Outlook sets become keywords on the same UID; no echo', async () => {
    const { log } = capture();
    const admin = new ImapFlow(d.clientOptions('bob'));
    await admin.connect();
    const store = new ImapStore({ local: localStore('tags'), imap: config(imapSettings(d, { idle: false })).imap, log, refreshMinMs: 0 });
    try {
      await admin.mailboxCreate('Tagged');
      const put = async (subject: string): Promise<number> => {
        const r = await admin.append('Tagged', Buffer.from(`From: Eve <eve@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.org>\r\n\r\n${subject}\r\n`));
        return (r && r.uid) as number;
      };
      const one = await put('tagged-one');
      const two = await put('tagged-two');
      const mb = (await store.openMailbox({ ...OWNER, username: 'bob', displayName: 'bob' })) as ImapMailbox;
      const fid = (await mb.mirror.folderOf('Tagged'))!;
      const midOf = async (subject: string): Promise<bigint> => (await mb.contentsRows(fid, { tags: [PidTagSubject] })).find((r) => r.props.get(PidTagSubject) === subject)!.id;
      const [kwId] = await mb.getNamedIds([{ guid: '00020329-0000-0000-c000-000000000046', name: 'Keywords' }], true);
      const PidNameKeywords = ((kwId! << 16) | 0x101f) >>> 0;
      const categories = async (mid: bigint): Promise<string[]> => {
        const [p] = await mb.getMessageProps(mid, [PidNameKeywords]);
        return p && 'value' in p ? [...(p.value as string[])].sort() : [];
      };
      const flagsOf = async (uid: number): Promise<string[]> => {
        await admin.mailboxOpen('Tagged', { readOnly: true });
        const [m] = await admin.fetchAll(String(uid), { uid: true, flags: true }, { uid: true });
        return [...(m?.flags ?? [])].sort();
      };

      // another client tags a known message (a category, a non-ASCII one as Thunderbird writes it, and keywords that
      // are not categories) and APPENDs a tagged one: the next sync brings both as categories
      const py = await python(`
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
assert m.login('bob', 'bob-secret')[0] == 'OK'
assert m.select('Tagged')[0] == 'OK'
assert m.uid('STORE', sys.argv[3], '+FLAGS', '(Project_X &AMk-t&AOk- $label1 NonJunk)')[0] == 'OK'
assert m.append('Tagged', '(Invoices)', None, b'From: Eve <eve@example.org>\\r\\nSubject: tagged-three\\r\\n\\r\\nx\\r\\n')[0] == 'OK'
m.logout()
print('done')
`, [d.host, String(d.port), String(one)]);
      expect(py.out.trim(), py.out).toBe('done');
      await mb.sync(fid);
      expect(await categories(await midOf('tagged-one'))).toEqual(['Project_X', 'Été']);
      expect(await categories(await midOf('tagged-three'))).toEqual(['Invoices']);
      expect(await categories(await midOf('tagged-two'))).toEqual([]);

      // Outlook: categories changed on the open message and saved (the content is the same: no new APPEND)
      let msg = await mb.openMessage(await midOf('tagged-one'));
      await msg.setProps([{ tag: PidNameKeywords, value: ['Red Category', 'Été'] }]);
      await msg.save();
      await msg.discard();
      expect(await flagsOf(one)).toEqual(['$label1', '&AMk-t&AOk-', 'NonJunk', 'Red&ACA-Category']);
      // and through the store call (setMessageProps), on a message without any
      await mb.setMessageProps(await midOf('tagged-two'), [{ tag: PidNameKeywords, value: ['$pecial & (odd)'] }]);
      expect(await flagsOf(two)).toEqual(['&ACQ-pecial&ACA-&-&ACAAKA-odd&ACk-']);
      // the next sync finds nothing to change, and the categories are as Outlook left them
      const r = await mb.sync(fid);
      expect(r).toMatchObject({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0 });
      expect(await categories(await midOf('tagged-one'))).toEqual(['Red Category', 'Été']);
      expect(await categories(await midOf('tagged-two'))).toEqual(['$pecial & (odd)']);
      // all categories removed: only the keywords that are not categories stay
      await mb.deleteMessageProps(await midOf('tagged-one'), [PidNameKeywords]);
      expect(await flagsOf(one)).toEqual(['$label1', 'NonJunk']);
      expect((await mb.sync(fid)).changed).toBe(0);

      // a new message saved with a category is APPENDed with its keyword
      msg = await mb.newMessage(fid);
      await msg.setProps([
        { tag: 0x001a001f, value: 'IPM.Note' }, { tag: PidTagSubject, value: 'tagged-four' }, { tag: 0x1000001f, value: 'four\r\n' },
        { tag: PidNameKeywords, value: ['Green'] },
      ]);
      await msg.save();
      await msg.discard();
      await admin.mailboxOpen('Tagged', { readOnly: true });
      const four = (await admin.fetchAll('1:*', { uid: true, flags: true, envelope: true })).find((m) => m.envelope?.subject === 'tagged-four');
      expect([...(four?.flags ?? [])]).toContain('Green');
    } finally {
      await admin.logout();
      await store.close();
    }
  });

  it('the configuration is checked when the store is built: OC_IMAP_CONFIG names the key', () => {
    const c = config({ host: '127.0.0.1', auth: 'master', masterUser: '' });
    expect(() => createStore({ ...c, logger: silentLogger() })).toThrow(expect.objectContaining({ code: 'OC_IMAP_CONFIG', message: expect.stringContaining('imap.masterUser') }));
    const noHost = config({ host: '' });
    expect(() => createStore({ ...noHost, logger: silentLogger() })).toThrow(expect.objectContaining({ code: 'OC_IMAP_CONFIG', message: expect.stringContaining('imap.host') }));
  });
});
