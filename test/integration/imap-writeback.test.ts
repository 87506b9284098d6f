// The MAPI -> IMAP write-back (src/mapistore/backends/imap/writeback*.ts) against a real Dovecot
// (test/helpers/dovecot.ts), a LocalMailbox on the SQLite index and the ImapMirror: read flags, follow-up flag and
// last verb, a composed draft saved (Python imaplib + email as the independent judge of the stored MIME), an edit
// (old UID gone, new one there), delete, move, copy (COPYUID mapping), moves into and out of local-only folders,
// folder create / rename / move / delete (imaplib LIST as judge), special folders refused, the sent copy, a refused
// APPEND that keeps the local message; after each change the mirror's next sync reports nothing (no echo).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidGlobcnt, makeEid } from '../../src/mapi/ids.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { ImapCredentials } from '../../src/mapistore/backends/imap/credentials.js';
import { folderState } from '../../src/mapistore/backends/imap/folders.js';
import { MSGFLAG_UNSENT, NOTEVERB_FORWARD, PidTagFlagStatus, PidTagLastVerbExecuted, flagBits } from '../../src/mapistore/backends/imap/import.js';
import { ImapMirror } from '../../src/mapistore/backends/imap/mirror.js';
import { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import { ImapWriteBack } from '../../src/mapistore/backends/imap/writeback.js';
import { flagNames, wantedBits } from '../../src/mapistore/backends/imap/writeback-util.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { IMAP_FLAG, hasImapIndex, type ImapIndex } from '../../src/mapistore/index/types.js';
import { MSGFLAG_READ } from '../../src/mapistore/tags.js';
import { ATTACH_BY_VALUE, MAPI_BCC, MAPI_CC, MAPI_TO, type RecipientChange } from '../../src/mapistore/types.js';
import { T } from '../../src/transport/tags.js';
import { imapCommand, poolSettings, str, startDovecot, type Dovecot } from '../helpers/dovecot.js';

const AUTH = MASTER_AUTH;


// the independent reader: one message by UID, parsed with Python's email package
const PY_MESSAGE = `
import imaplib, sys, json, re, email
from email import policy
host, port, user, pw, box, uid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
m = imaplib.IMAP4(host, port)
assert m.login(user, pw)[0] == 'OK'
assert m.select('"%s"' % box, readonly=True)[0] == 'OK'
typ, data = m.uid('FETCH', uid, '(FLAGS BODY.PEEK[])')
assert typ == 'OK' and data and isinstance(data[0], tuple), data
head, raw = data[0]
flags = re.search(rb'FLAGS \\(([^)]*)\\)', head).group(1).decode().split()
msg = email.message_from_bytes(raw, policy=policy.default)
body = msg.get_body(preferencelist=('plain',))
print(json.dumps({
  'subject': str(msg['subject']),
  'to': [a.addr_spec for a in msg['to'].addresses] if msg['to'] else [],
  'cc': [a.addr_spec for a in msg['cc'].addresses] if msg['cc'] else [],
  'bcc': [a.addr_spec for a in msg['bcc'].addresses] if msg['bcc'] else [],
  'from': str(msg['from']),
  'body': body.get_content() if body else None,
  'attachments': [p.get_filename() for p in msg.iter_attachments()],
  'flags': sorted(flags),
}))
m.logout()
`;

// the independent lister: every mailbox name as the server lists it
const PY_LIST = `
import imaplib, sys, json, re
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
which = sys.argv[5] if len(sys.argv) > 5 else 'list'
m = imaplib.IMAP4(host, port)
assert m.login(user, pw)[0] == 'OK'
typ, data = m.lsub() if which == 'lsub' else m.list()
assert typ == 'OK'
names = []
for line in data:
    mm = re.match(rb'\\((.*?)\\) (NIL|"[^"]*") (.*)$', line)
    n = mm.group(3).decode()
    names.append(n[1:-1] if n.startswith('"') else n)
print(json.dumps(sorted(names)))
m.logout()
`;
import { MASTER_AUTH, python } from '../helpers/imap-test.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-writeback-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const plainMessage = (subject: string, id: string): Buffer =>
  Buffer.from(`From: Eve <eve@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.org>\r\nDate: Mon, 6 Jan 2025 10:00:00 +0000\r\n\r\nBody of ${subject}.\r\n`);

describe('IMAP write-back flags (no server)', () => {
  it('IMAP flag names of any bits read back as the same bits', () => {
    const managed = IMAP_FLAG.Seen | IMAP_FLAG.Answered | IMAP_FLAG.Flagged | IMAP_FLAG.Draft | IMAP_FLAG.Forwarded;
    fc.assert(fc.property(fc.integer({ min: 0, max: 127 }), (bits) => {
      expect(flagBits(flagNames(bits))).toBe(bits & managed);
    }));
  });

  it('maps message flags, follow-up flag and last verb onto IMAP flags', () => {
    const p = (flags: number, status?: number, verb?: number) => [
      { tag: T.MessageFlags, value: flags },
      ...(status === undefined ? [] : [{ tag: PidTagFlagStatus, value: status }]),
      ...(verb === undefined ? [] : [{ tag: PidTagLastVerbExecuted, value: verb }]),
    ];
    expect(wantedBits(p(MSGFLAG_READ | MSGFLAG_UNSENT, 2, 104))).toEqual({
      bits: IMAP_FLAG.Seen | IMAP_FLAG.Draft | IMAP_FLAG.Flagged | IMAP_FLAG.Forwarded,
      mask: IMAP_FLAG.Seen | IMAP_FLAG.Draft | IMAP_FLAG.Flagged | IMAP_FLAG.Forwarded,
    });
    expect(wantedBits(p(0, 1, 103)).bits).toBe(IMAP_FLAG.Answered);
    expect(wantedBits(p(0)).mask & (IMAP_FLAG.Answered | IMAP_FLAG.Forwarded)).toBe(IMAP_FLAG.Answered | IMAP_FLAG.Forwarded);
  });
});

describe('MAPI -> IMAP write-back against Dovecot', () => {
  let d: Dovecot;
  let pool: ImapPool;
  let store: LocalStore;
  let mb: LocalMailbox;
  let imap: ImapIndex;
  let mirror: ImapMirror;
  let wb: ImapWriteBack;
  let admin: ImapFlow;
  let archive: bigint;
  let projects: bigint;
  /** INBOX messages made by the first sync: subject -> MID. */
  const inboxMid = new Map<string, bigint>();

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
    pool = new ImapPool(
      poolSettings(d),
      new ImapCredentials(AUTH), pino({ level: 'silent' }),
    );
    const index = new SqliteIndexProvider(path.join(tmp, 'index.sqlite'));
    store = new LocalStore({ mailboxDir: path.join(tmp, 'mailboxes'), index, idBatch: 16 });
    mb = (await store.openMailbox({ username: 'alice', displayName: 'Alice', legacyDn: '/o=t/ou=t/cn=Recipients/cn=alice' })) as LocalMailbox;
    if (!hasImapIndex(mb.index)) throw new Error('the SQLite index has no IMAP tables');
    imap = mb.index.imap;
    mirror = new ImapMirror({ mailbox: mb, pool, username: 'alice', log: pino({ level: 'silent' }) });
    wb = new ImapWriteBack(mirror, { domain: 'example.org', defaultFrom: { name: 'Alice', address: 'alice@example.org' } });
    admin = new ImapFlow(d.clientOptions('alice'));
    await admin.connect();
    for (const p of ['INBOX/Projects', 'Archive']) await admin.mailboxCreate(p);
    for (const [i, s] of ['one', 'two', 'three', 'four', 'five'].entries()) await admin.append('INBOX', plainMessage(s, `m${i}`), [], new Date(Date.UTC(2025, 0, 6 + i)));
    await mirror.syncHierarchy();
    for (const r of await imap.listFolders()) await mirror.syncFolder(makeEid(1, r.folderGlobcnt));
    archive = (await mirror.folderOf('Archive'))!;
    projects = (await mirror.folderOf('INBOX/Projects'))!;
    for (const row of await mb.contentsRows(mb.special.inbox, { tags: [T.Subject] })) {
      const s = row.props.get(T.Subject);
      if (s !== undefined) inboxMid.set(String(s), row.id);
    }
  }, 60_000);

  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await pool?.close();
    await store?.close();
    await d?.stop();
  });

  const quiet = async (fid: bigint): Promise<void> => {
    const r = await mirror.syncFolder(fid);
    expect({ added: r.added, changed: r.changed, deleted: r.deleted, fetchedBodies: r.fetchedBodies }).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0 });
  };
  const mid = (subject: string): bigint => {
    const m = inboxMid.get(subject);
    if (m === undefined) throw new Error(`no message ${subject}`);
    return m;
  };
  const rowOf = async (m: bigint) => (await imap.messagesById([eidGlobcnt(m)]));
  /** UID -> flags of a mailbox, read by the other client. */
  const flagsOn = async (box: string): Promise<Map<number, Set<string>>> => {
    await admin.mailboxOpen(box); // a fresh SELECT: the other connections' expunges are seen
    const lock = await admin.getMailboxLock(box);
    try {
      const out = new Map<number, Set<string>>();
      for (const f of await admin.fetchAll('1:*', { uid: true, flags: true })) out.set(f.uid, f.flags ?? new Set());
      return out;
    } finally {
      lock.release();
    }
  };
  const subjectsOn = async (box: string): Promise<string[]> => {
    await admin.mailboxOpen(box);
    const lock = await admin.getMailboxLock(box);
    try {
      const st = await admin.status(box, { messages: true });
      if (!st || !st.messages) return [];
      return (await admin.fetchAll('1:*', { envelope: true })).map((f) => f.envelope?.subject ?? '').sort();
    } finally {
      lock.release();
    }
  };
  const pyList = async (which: 'list' | 'lsub' = 'list'): Promise<string[]> => {
    const r = await python(PY_LIST, [d.host, String(d.port), 'alice', 'alice-secret', which]);
    expect(r.code, r.out).toBe(0);
    return JSON.parse(r.out) as string[];
  };

  it('mirrors the test mailboxes first', () => {
    expect(inboxMid.size).toBe(5);
    expect(archive).toBeDefined();
    expect(projects).toBeDefined();
  });

  it('read flags: UID STORE \\Seen both ways, index bits follow, no echo', async () => {
    const a = mid('one');
    const b = mid('two');
    await mb.setReadFlags(mb.special.inbox, [a, b], true);
    await wb.setReadFlags(mb.special.inbox, [a, b], true);
    const [ra] = await rowOf(a);
    const [rb] = await rowOf(b);
    let flags = await flagsOn('INBOX');
    expect(flags.get(ra!.uid)?.has('\\Seen')).toBe(true);
    expect(flags.get(rb!.uid)?.has('\\Seen')).toBe(true);
    expect(ra!.flags & IMAP_FLAG.Seen).toBe(IMAP_FLAG.Seen);
    expect(ra!.modseq).toBeGreaterThan(0n);
    await quiet(mb.special.inbox);
    await mb.setReadFlags(mb.special.inbox, [a], false);
    await wb.setReadFlags(mb.special.inbox, [a], false);
    flags = await flagsOn('INBOX');
    expect(flags.get(ra!.uid)?.has('\\Seen')).toBe(false);
    expect(flags.get(rb!.uid)?.has('\\Seen')).toBe(true);
    await quiet(mb.special.inbox);
  });

  it('follow-up flag and last verb: \\Flagged and $Forwarded set and cleared, no echo', async () => {
    const m = mid('three');
    await mb.setMessageProps(m, [{ tag: PidTagFlagStatus, value: 2 }, { tag: PidTagLastVerbExecuted, value: NOTEVERB_FORWARD }]);
    await wb.setFlags(mb.special.inbox, m);
    const [r] = await rowOf(m);
    let f = (await flagsOn('INBOX')).get(r!.uid)!;
    expect([...f].sort()).toEqual(['$Forwarded', '\\Flagged']);
    expect(r!.flags).toBe(IMAP_FLAG.Flagged | IMAP_FLAG.Forwarded);
    await quiet(mb.special.inbox);
    await mb.deleteMessageProps(m, [PidTagFlagStatus, PidTagLastVerbExecuted]);
    await wb.setFlags(mb.special.inbox, m);
    f = (await flagsOn('INBOX')).get(r!.uid)!;
    expect([...f]).toEqual([]);
    await quiet(mb.special.inbox);
  });

  let draft: bigint;
  let draftUid: number;

  it('a composed draft lands on IMAP with MIME that Python reads back the same', async () => {
    const msg = await mb.newMessage(mb.special.drafts);
    await msg.setProps([
      { tag: T.MessageClass, value: 'IPM.Note' },
      { tag: T.Subject, value: 'Quarterly plan ✓' },
      { tag: T.Body, value: 'Hello Bob,\r\nthe plan is attached.\r\n' },
      { tag: T.MessageFlags, value: MSGFLAG_UNSENT },
    ]);
    const rcpt = (rowId: number, type: number, name: string, addr: string): RecipientChange => ({
      rowId,
      props: [{ tag: T.RecipientType, value: type }, { tag: T.DisplayName, value: name }, { tag: T.AddressType, value: 'SMTP' }, { tag: T.EmailAddress, value: addr }, { tag: T.SmtpAddress, value: addr }],
    });
    await msg.setRecipients([rcpt(0, MAPI_TO, 'Bob', 'bob@example.org'), rcpt(1, MAPI_CC, 'Carol', 'carol@example.org'), rcpt(2, MAPI_BCC, 'Dave', 'dave@example.org')]);
    const att = await msg.createAttachment();
    await att.setProps([
      { tag: T.AttachMethod, value: ATTACH_BY_VALUE }, { tag: T.AttachLongFilename, value: 'plan Q1.pdf' }, { tag: T.DisplayName, value: 'plan Q1.pdf' },
      { tag: T.AttachDataBinary, value: Buffer.from('%PDF-1.4 not really\n') },
    ]);
    await att.save();
    draft = await msg.save();
    await wb.saveMessage(mb.special.drafts, draft);
    const rows = await rowOf(draft);
    expect(rows.length).toBe(1);
    draftUid = rows[0]!.uid;
    expect(rows[0]!.folderGlobcnt).toBe(eidGlobcnt(mb.special.drafts));
    expect(rows[0]!.flags).toBe(IMAP_FLAG.Draft);
    expect(rows[0]!.size).toBeGreaterThan(100);
    const py = await python(PY_MESSAGE, [d.host, String(d.port), 'alice', 'alice-secret', 'Drafts', String(draftUid)]);
    expect(py.code, py.out).toBe(0);
    const got = JSON.parse(py.out) as Record<string, unknown>;
    expect(got).toMatchObject({
      subject: 'Quarterly plan ✓',
      to: ['bob@example.org'], cc: ['carol@example.org'], bcc: ['dave@example.org'],
      attachments: ['plan Q1.pdf'], flags: ['\\Draft'],
    });
    expect(String(got.from)).toContain('alice@example.org');
    expect(String(got.body).replace(/\r\n/g, '\n')).toBe('Hello Bob,\nthe plan is attached.\n');
    // the generated Message-ID is recorded on the local message
    const id = (await mb.getMessageProps(draft, [T.InternetMessageId]))[0]!;
    expect('value' in id && String(id.value)).toMatch(/^<[0-9a-f]{32}@example\.org>$/);
    await quiet(mb.special.drafts);
  });

  it('an edit APPENDs the new version and expunges the old UID', async () => {
    const msg = await mb.openMessage(draft);
    await msg.setProps([{ tag: T.Subject, value: 'Quarterly plan v2' }]);
    await msg.save();
    await wb.saveMessage(mb.special.drafts, draft);
    const rows = await rowOf(draft);
    expect(rows.length).toBe(1);
    expect(rows[0]!.uid).toBeGreaterThan(draftUid);
    const uids = [...(await flagsOn('Drafts')).keys()];
    expect(uids).toEqual([rows[0]!.uid]);
    expect(await subjectsOn('Drafts')).toEqual(['Quarterly plan v2']);
    await quiet(mb.special.drafts);
  });

  it('delete: UID EXPUNGE of exactly those UIDs, index rows gone, no echo', async () => {
    const m = mid('four');
    const [r] = await rowOf(m);
    // another client's \Deleted message must survive (UID EXPUNGE, not EXPUNGE)
    const other = mid('five');
    const [ro] = await rowOf(other);
    const lock = await admin.getMailboxLock('INBOX');
    try {
      await admin.messageFlagsAdd(String(ro!.uid), ['\\Deleted'], { uid: true });
    } finally {
      lock.release();
    }
    await wb.deleteMessages(mb.special.inbox, [m]);
    await mb.deleteMessages(mb.special.inbox, [m]);
    const flags = await flagsOn('INBOX');
    expect(flags.has(r!.uid)).toBe(false);
    expect(flags.get(ro!.uid)?.has('\\Deleted')).toBe(true);
    expect(await rowOf(m)).toEqual([]);
    const s = await mirror.syncFolder(mb.special.inbox);
    // the other client's \Deleted is a flag change (kept in the index only), not an echo of the delete
    expect({ added: s.added, deleted: s.deleted, fetchedBodies: s.fetchedBodies }).toEqual({ added: 0, deleted: 0, fetchedBodies: 0 });
    await quiet(mb.special.inbox);
  });

  it('move between mirrored folders: UID MOVE, index re-keyed by COPYUID, no echo', async () => {
    const m = mid('two');
    const [r] = await rowOf(m);
    const res = await mb.moveCopyMessages(mb.special.inbox, [m], archive, false);
    await wb.moveCopy(mb.special.inbox, archive, res.ids, false);
    const to = res.ids.get(m)!;
    const rows = await rowOf(to);
    expect(rows.length).toBe(1);
    expect(rows[0]!.folderGlobcnt).toBe(eidGlobcnt(archive));
    expect((await flagsOn('INBOX')).has(r!.uid)).toBe(false);
    const onArchive = await flagsOn('Archive');
    expect(onArchive.get(rows[0]!.uid)?.has('\\Seen')).toBe(true);
    expect(await subjectsOn('Archive')).toEqual(['two']);
    await quiet(mb.special.inbox);
    await quiet(archive);
  });

  it('copy between mirrored folders: UID COPY, the copy gets the COPYUID row, no echo', async () => {
    const m = mid('three');
    const res = await mb.moveCopyMessages(mb.special.inbox, [m], projects, true);
    await wb.moveCopy(mb.special.inbox, projects, res.ids, true);
    const to = res.ids.get(m)!;
    expect(to).not.toBe(m);
    const [r] = await rowOf(to);
    expect(r!.folderGlobcnt).toBe(eidGlobcnt(projects));
    expect([...(await flagsOn('INBOX/Projects')).keys()]).toEqual([r!.uid]);
    expect((await rowOf(m)).length).toBe(1); // the original keeps its row
    expect(await subjectsOn('INBOX/Projects')).toEqual(['three']);
    await quiet(mb.special.inbox);
    await quiet(projects);
  });

  it('moves out of and into local-only folders: expunged on IMAP / APPENDed', async () => {
    const local = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Local only', containerClass: 'IPF.Note' })).fid;
    expect(await wb.isMirrored(local)).toBe(false);
    expect(await wb.isMirrored(archive)).toBe(true);
    const m = mid('one');
    const [r] = await rowOf(m);
    const out = await mb.moveCopyMessages(mb.special.inbox, [m], local, false);
    await wb.moveCopy(mb.special.inbox, local, out.ids, false);
    expect((await flagsOn('INBOX')).has(r!.uid)).toBe(false);
    expect(await rowOf(m)).toEqual([]);
    await quiet(mb.special.inbox);
    const back = await mb.moveCopyMessages(local, [out.ids.get(m)!], archive, false);
    await wb.moveCopy(local, archive, back.ids, false);
    const [ra] = await rowOf(back.ids.get(out.ids.get(m)!)!);
    expect(ra!.folderGlobcnt).toBe(eidGlobcnt(archive));
    expect(await subjectsOn('Archive')).toEqual(['one', 'two']);
    await quiet(archive);
  });

  it('folders: CREATE under Inbox (imaplib LIST), RENAME and move, DELETE with children; no echo', async () => {
    const sub = (await mb.createFolder(mb.special.inbox, { displayName: 'Projets é', containerClass: 'IPF.Note' })).fid;
    await wb.createFolder(mb.special.inbox, sub, 'Projets é');
    expect(await pyList()).toContain('INBOX/Projets &AOk-');
    expect(await pyList('lsub')).toContain('INBOX/Projets &AOk-'); // subscribed, so other mail clients show it
    const row = await imap.folderById(eidGlobcnt(sub));
    expect(row?.imapName).toBe('INBOX/Projets &AOk-');
    expect(folderState(row!).path).toBe('INBOX/Projets é');
    expect(await mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0 });
    await quiet(sub);
    const child = (await mb.createFolder(sub, { displayName: 'Child', containerClass: 'IPF.Note' })).fid;
    await wb.createFolder(sub, child, 'Child');
    // a message in the child, so the rename must keep its UIDs
    const msg = await mb.newMessage(child);
    await msg.setProps([{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: 'in child' }, { tag: T.Body, value: 'x' }]);
    const inChild = await msg.save();
    await wb.saveMessage(child, inChild);
    await quiet(child);

    await mb.moveFolder(sub, mb.special.ipmSubtree, 'Top level');
    await wb.renameFolder(sub, mb.special.ipmSubtree, 'Top level');
    const names = await pyList();
    expect(names).toContain('Top level');
    expect(names).toContain('Top level/Child');
    expect(names).not.toContain('INBOX/Projets &AOk-');
    const subscribed = await pyList('lsub');
    expect(subscribed).toContain('Top level');
    expect(subscribed).not.toContain('INBOX/Projets &AOk-');
    expect(folderState((await imap.folderById(eidGlobcnt(child)))!).path).toBe('Top level/Child');
    expect(await mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0 });
    expect(await mb.folderExists(child)).toBe(true);
    await quiet(sub);
    await quiet(child);
    expect((await rowOf(inChild)).length).toBe(1);

    await wb.deleteFolder(sub);
    await mb.deleteFolder(sub, 0x01 | 0x04 | 0x10);
    const after = await pyList();
    expect(after.filter((n) => n.startsWith('Top level'))).toEqual([]);
    expect((await pyList('lsub')).filter((n) => n.startsWith('Top level'))).toEqual([]);
    expect(await imap.folderById(eidGlobcnt(sub))).toBeNull();
    expect(await imap.folderById(eidGlobcnt(child))).toBeNull();
    expect(await mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0 });
  });

  it('a folder created under the IPM subtree is a top-level mailbox', async () => {
    const top = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Notes 2025', containerClass: 'IPF.Note' })).fid;
    await wb.createFolder(mb.special.ipmSubtree, top, 'Notes 2025');
    expect(await pyList()).toContain('Notes 2025');
    expect(await wb.isMirrored(top)).toBe(true);
    expect(await mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0 });
    expect(await mirror.folderOf('Notes 2025')).toBe(top);
    await quiet(top);
  });

  it('refuses special folders and bad names with coded errors', async () => {
    const codeOf = async (p: Promise<unknown>): Promise<[string, number]> => {
      try {
        await p;
      } catch (e) {
        if (e instanceof StoreError) return [e.code, e.ec];
        throw e;
      }
      throw new Error('no error');
    };
    expect(await codeOf(wb.deleteFolder(mb.special.inbox))).toEqual(['OC_IMAP_SPECIAL_FOLDER', SEC.AccessDenied]);
    expect(await codeOf(wb.renameFolder(mb.special.drafts, mb.special.inbox, 'x'))).toEqual(['OC_IMAP_SPECIAL_FOLDER', SEC.AccessDenied]);
    const f = (await mb.createFolder(mb.special.inbox, { displayName: 'a/b', containerClass: 'IPF.Note' })).fid;
    expect(await codeOf(wb.createFolder(mb.special.inbox, f, 'a/b'))).toEqual(['OC_IMAP_BAD_NAME', SEC.InvalidParam]);
    expect(await codeOf(wb.saveMessage(f, 1n))).toEqual(['OC_IMAP_NOT_MIRRORED', SEC.NotFound]);
    expect(await pyList()).toEqual(expect.not.arrayContaining(['INBOX/a/b']));
  });

  it('a refused APPEND throws OC_IMAP_APPEND and keeps the local message', async () => {
    // a mailbox where alice lacks the insert right (RFC 4314 "i"), set before any pooled session has seen it
    // (Dovecot 2.3 keeps a session's view of a mailbox's rights once it has opened it)
    await admin.mailboxCreate('Locked');
    await imapCommand(admin, 'SETACL', [str('Locked'), str('alice'), str('lrswtea')]);
    expect(await mirror.syncHierarchy()).toMatchObject({ created: 1, deleted: 0 });
    const locked = (await mirror.folderOf('Locked'))!;
    await quiet(locked);
    const msg = await mb.newMessage(locked);
    await msg.setProps([{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: 'refused' }, { tag: T.Body, value: 'x' }]);
    const m = await msg.save();
    let err: unknown = null;
    try {
      await wb.saveMessage(locked, m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('OC_IMAP_APPEND');
    expect((err as StoreError).message).toMatch(/Permission denied/);
    expect(await mb.messageExists(m)).toBe(true);
    expect(await rowOf(m)).toEqual([]);
    expect(await subjectsOn('Locked')).toEqual([]);
    await quiet(locked);
  });

  it('a move or copy the server answers without COPYUID: the local copies go and the next sync fetches them, each once', async () => {
    // a pool whose connections drop the COPYUID of MOVE and COPY answers (as a server without UIDPLUS in them would)
    const strip = (o: ConstructorParameters<typeof ImapFlow>[0]): ImapFlow => {
      const c = new ImapFlow(o);
      const move = c.messageMove.bind(c);
      const copy = c.messageCopy.bind(c);
      c.messageMove = async (...a: Parameters<ImapFlow['messageMove']>) => {
        const r = await move(...a);
        return r ? { ...r, uidMap: undefined } : r;
      };
      c.messageCopy = async (...a: Parameters<ImapFlow['messageCopy']>) => {
        const r = await copy(...a);
        return r ? { ...r, uidMap: undefined } : r;
      };
      return c;
    };
    const bare = new ImapPool(poolSettings(d), new ImapCredentials(AUTH), pino({ level: 'silent' }), strip);
    try {
      const wb2 = new ImapWriteBack(new ImapMirror({ mailbox: mb, pool: bare, username: 'alice', log: pino({ level: 'silent' }) }));
      for (const s of ['no copyuid 1', 'no copyuid 2']) await admin.append('INBOX', plainMessage(s, s.replace(/ /g, '-')));
      await mirror.syncFolder(mb.special.inbox);
      const subjectOf = async (fid: bigint): Promise<string[]> =>
        (await mb.contentsRows(fid, { tags: [T.Subject] })).map((r) => String(r.props.get(T.Subject))).filter((x) => x.startsWith('no copyuid')).sort();
      const byName = new Map((await mb.contentsRows(mb.special.inbox, { tags: [T.Subject] })).map((r) => [String(r.props.get(T.Subject)), r.id]));
      const moved = await mb.moveCopyMessages(mb.special.inbox, [byName.get('no copyuid 1')!], archive, false);
      await expect(wb2.moveCopy(mb.special.inbox, archive, moved.ids, false)).rejects.toMatchObject({ code: 'OC_IMAP_NO_COPYUID' });
      const copied = await mb.moveCopyMessages(mb.special.inbox, [byName.get('no copyuid 2')!], archive, true);
      await expect(wb2.moveCopy(mb.special.inbox, archive, copied.ids, true)).rejects.toMatchObject({ code: 'OC_IMAP_NO_COPYUID' });
      // (they used to stay, without a row: the next sync added the same messages once more)
      expect(await subjectOf(archive)).toEqual([]);
      expect(await mirror.syncFolder(archive)).toMatchObject({ added: 2 });
      expect(await subjectOf(archive)).toEqual(['no copyuid 1', 'no copyuid 2']);
      expect(await subjectOf(mb.special.inbox)).toEqual(['no copyuid 2']);
      await quiet(archive);
      await quiet(mb.special.inbox);
    } finally {
      await bare.close();
    }
  });
});
