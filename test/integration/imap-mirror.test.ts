// The IMAP -> mailbox mirror (src/mapistore/backends/imap/{folders,mirror,import}.ts) against a real Dovecot
// (test/helpers/dovecot.ts) and a LocalMailbox on the SQLite index: the hierarchy (SPECIAL-USE mapping, nesting,
// modified UTF-7 names, deletes, idempotence), the first fetch of a folder (test/mime/corpus.ts messages with
// flags), changes made by another IMAP client (Python imaplib: \Seen, EXPUNGE, APPEND, MOVE) found through
// CONDSTORE/QRESYNC, a UIDVALIDITY change, and a broken message mirrored as raw MIME with a warning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidGlobcnt, makeEid } from '../../src/mapi/ids.js';
import type { PropValue } from '../../src/mapi/props.js';
import { parseMime } from '../../src/mime/parse.js';
import { mimeToMapi } from '../../src/mime/to-mapi.js';
import { ImapCredentials } from '../../src/mapistore/backends/imap/credentials.js';
import { folderState } from '../../src/mapistore/backends/imap/folders.js';
import { PidTagFlagStatus, PidTagLastVerbExecuted, importMessage, rawSubject } from '../../src/mapistore/backends/imap/import.js';
import { ImapMirror, uidSet } from '../../src/mapistore/backends/imap/mirror.js';
import { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { hasImapIndex, type ImapIndex } from '../../src/mapistore/index/types.js';
import { TAG } from '../../src/mapistore/tags.js';
import { loadMessage, type LoadedMessage } from '../../src/transport/mime.js';
import { T } from '../../src/transport/tags.js';
import { poolSettings, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { corpus } from '../mime/corpus.js';
import { val } from '../mapistore/store-helpers.js';

const AUTH = MASTER_AUTH;


// the other IMAP client: \Seen on three UIDs, \Deleted + EXPUNGE on two, APPEND one, MOVE one to Archive
const IMAPLIB_CHANGES = `
import imaplib, sys
host, port, user, pw, seen, gone, moved = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
m = imaplib.IMAP4(host, port)
assert m.login(user, pw)[0] == 'OK'
assert m.select('INBOX')[0] == 'OK'
assert m.uid('STORE', seen, '+FLAGS.SILENT', '(\\\\Seen)')[0] == 'OK'
assert m.uid('STORE', gone, '+FLAGS.SILENT', '(\\\\Deleted)')[0] == 'OK'
assert m.expunge()[0] == 'OK'
msg = b'From: Eve <eve@example.org>\\r\\nTo: Alice <alice@example.org>\\r\\nSubject: appended by imaplib\\r\\nMessage-ID: <py.1@example.org>\\r\\n\\r\\nHello from Python.\\r\\n'
assert m.append('INBOX', None, None, msg)[0] == 'OK'
assert m.uid('MOVE', moved, 'Archive')[0] == 'OK'
m.logout()
print('done')
`;
import { MASTER_AUTH, python } from '../helpers/imap-test.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-mirror-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every corpus message's expected MAPI form (the same conversion the mirror must have done). */
const converted = (b: Buffer): ReturnType<typeof mimeToMapi> => mimeToMapi(parseMime(b));

describe('IMAP -> mailbox mirror against Dovecot', () => {
  let d: Dovecot;
  let pool: ImapPool;
  let store: LocalStore;
  let mb: LocalMailbox;
  let imap: ImapIndex;
  let mirror: ImapMirror;
  let admin: ImapFlow;
  /** UID FETCH commands that fetched bodies, counted on the pool's connections. */
  let bodyFetches = 0;
  /** UID and RFC822.SIZE of the messages of each body FETCH, in the order sent. */
  const bodyFetchSizes: { uid: number; size: number }[][] = [];
  /** When set: the body FETCH that brings the count down to 0 fails (a connection lost mid-folder). */
  let failBodyFetchIn: number | null = null;
  /** When it says so: the UID SEARCH sent instead is one Dovecot refuses (BAD, an invalid UID set). */
  let refuseSearch: ((query: { uid?: string }) => boolean) | null = null;
  /** SELECT/EXAMINE commands sent by the pool's connections, per mailbox. */
  const opens = new Map<string, number>();
  const logLines: { level: number; msg: string; uid?: number }[] = [];
  /** The corpus (59 messages) topped up to 60 with a second copy of its first message. */
  const corpusMsgs = ((all) => [...all, ...all].slice(0, 60).map((m, i) => (i < all.length ? m : { ...m, name: `${m.name} (copy)` })))(corpus());
  /** corpus index -> INBOX UID */
  const uidOf: number[] = [];

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
    const factory = (o: ImapFlowOptions): ImapFlow => {
      const c = new ImapFlow(o);
      const orig = c.fetchAll.bind(c);
      c.fetchAll = (async (range: string, query: { source?: boolean }, options?: object) => {
        if (query.source) bodyFetches++;
        if (query.source && failBodyFetchIn !== null && --failBodyFetchIn === 0) {
          failBodyFetchIn = null;
          // rejected from a timer, as a lost connection would be: while the batch before it is still being stored
          await new Promise((r) => setTimeout(r, 10));
          throw new Error('injected: connection lost during UID FETCH');
        }
        const got = await orig(range, query as Parameters<typeof orig>[1], options as Parameters<typeof orig>[2]);
        if (query.source) bodyFetchSizes.push(got.map((m) => ({ uid: m.uid, size: m.size ?? 0 })));
        return got;
      }) as typeof c.fetchAll;
      const search = c.search.bind(c);
      c.search = ((query: { uid?: string }, options?: Parameters<typeof search>[1]) =>
        search(refuseSearch?.(query) ? { uid: '0' } : query, options)) as typeof c.search;
      const open = c.mailboxOpen.bind(c);
      c.mailboxOpen = ((p: string, o?: Parameters<typeof open>[1]) => {
        opens.set(p, (opens.get(p) ?? 0) + 1);
        return open(p, o);
      }) as typeof c.mailboxOpen;
      return c;
    };
    pool = new ImapPool(
      poolSettings(d),
      new ImapCredentials(AUTH), pino({ level: 'silent' }), factory,
    );
    const index = new SqliteIndexProvider(path.join(tmp, 'index.sqlite'));
    store = new LocalStore({ mailboxDir: path.join(tmp, 'mailboxes'), index, idBatch: 16 });
    mb = (await store.openMailbox({ username: 'alice', displayName: 'Alice', legacyDn: '/o=t/ou=t/cn=Recipients/cn=alice' })) as LocalMailbox;
    if (!hasImapIndex(mb.index)) throw new Error('the SQLite index has no IMAP tables');
    imap = mb.index.imap;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as { level: number; msg: string });
        cb();
      },
    });
    mirror = new ImapMirror({ mailbox: mb, pool, username: 'alice', log: pino({ level: 'debug' }, sink), batchSize: 25 });
    admin = new ImapFlow(d.clientOptions('alice'));
    await admin.connect();
  }, 60_000);

  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await pool?.close();
    await store?.close();
    await d?.stop();
  });

  const nameOf = async (fid: bigint): Promise<unknown> => val(await mb.getFolderProps(fid, [TAG.DisplayName]), TAG.DisplayName);
  const fidOf = async (imapName: string): Promise<bigint> => {
    const f = await mirror.folderOf(imapName);
    if (f === null) throw new Error(`${imapName} is not mirrored`);
    return f;
  };

  it('maps SPECIAL-USE mailboxes, nests folders, decodes modified UTF-7 names; a second run changes nothing', async () => {
    for (const p of ['INBOX/Projects', 'Archive', 'Archive/2024', 'Archive/2024/Q1', 'Réunions €', 'Calendar']) await admin.mailboxCreate(p);
    const r = await mirror.syncHierarchy();
    expect(r.deleted).toBe(0);
    expect(await fidOf('INBOX')).toBe(mb.special.inbox);
    expect(await fidOf('Sent')).toBe(mb.special.sentItems);
    expect(await fidOf('Drafts')).toBe(mb.special.drafts);
    expect(await fidOf('Trash')).toBe(mb.special.deletedItems);
    expect(await fidOf('Junk')).toBe(mb.special.junk);
    const projects = await fidOf('INBOX/Projects');
    expect(await mb.parentOf(projects)).toBe(mb.special.inbox);
    expect(await nameOf(projects)).toBe('Projects');
    expect(val(await mb.getFolderProps(projects, [TAG.ContainerClass]), TAG.ContainerClass)).toBe('IPF.Note');
    const archive = await fidOf('Archive');
    expect(await mb.parentOf(archive)).toBe(mb.special.ipmSubtree);
    const y2024 = await fidOf('Archive/2024');
    expect(await mb.parentOf(y2024)).toBe(archive);
    expect(await mb.parentOf(await fidOf('Archive/2024/Q1'))).toBe(y2024);
    // non-ASCII: the folder has the decoded name, the index row keeps the name as listed (modified UTF-7)
    const reunions = await mb.findChild(mb.special.ipmSubtree, 'Réunions €');
    expect(reunions).not.toBeNull();
    const row = await imap.folderById(eidGlobcnt(reunions!));
    expect(row?.imapName).toBe('R&AOk-unions &IKw-');
    expect(folderState(row!).path).toBe('Réunions €');
    // an IMAP "Calendar" does not take over the special Calendar folder
    const cal = await fidOf('Calendar');
    expect(cal).not.toBe(mb.special.calendar);
    expect(await nameOf(cal)).toBe('Calendar (IMAP)');
    expect(await nameOf(mb.special.calendar)).toBe('Calendar');

    const cn = await mb.currentCn();
    const before = await imap.listFolders();
    const again = await mirror.syncHierarchy();
    expect(again).toEqual({ created: 0, deleted: 0, unchanged: before.length, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn);
    expect(await imap.listFolders()).toEqual(before);
  });

  it('deletes the folder of a mailbox deleted on IMAP', async () => {
    const q1 = await fidOf('Archive/2024/Q1');
    await admin.mailboxDelete('Archive/2024/Q1');
    const r = await mirror.syncHierarchy();
    expect(r).toMatchObject({ created: 0, deleted: 1 });
    expect(await mb.folderExists(q1)).toBe(false);
    expect(await imap.folderById(eidGlobcnt(q1))).toBeNull();
    expect(await mb.folderExists(await fidOf('Archive/2024'))).toBe(true);
  });

  it('mirrors 60 corpus messages with their flags, in batches', async () => {
    expect(corpusMsgs.length).toBe(60);
    for (const [i, m] of corpusMsgs.entries()) {
      const flags = [...(i % 3 === 0 ? ['\\Seen'] : []), ...(i % 5 === 0 ? ['\\Flagged'] : []), ...(i % 7 === 0 ? ['\\Answered'] : [])];
      const res = await admin.append('INBOX', m.bytes, flags, new Date(Date.UTC(2025, 0, 1 + i)));
      if (!res || !res.uid) throw new Error('no APPENDUID');
      uidOf[i] = res.uid;
    }
    bodyFetches = 0;
    const r = await mirror.syncFolder(mb.special.inbox);
    expect(r).toEqual({ added: 60, changed: 0, deleted: 0, fetchedBodies: 60, failed: 0, full: true });
    expect(bodyFetches).toBe(3); // 60 messages, 25 per UID FETCH
    const inbox = await imap.folderById(eidGlobcnt(mb.special.inbox));
    const rows = await imap.messagesInFolder(eidGlobcnt(mb.special.inbox), inbox!.uidvalidity);
    expect(rows.map((x) => x.uid)).toEqual(uidOf);
    const contents = await mb.contentsRows(mb.special.inbox, { tags: [T.Subject, TAG.Read, PidTagFlagStatus, PidTagLastVerbExecuted, TAG.MessageDeliveryTime] });
    expect(contents.length).toBe(60);
    const byId = new Map(contents.map((c) => [c.id, c.props]));
    for (const [i, m] of corpusMsgs.entries()) {
      const props = byId.get(mirrorMid(rows[i]!.globcnt));
      expect(props, m.name).toBeDefined();
      expect(props!.get(T.Subject), m.name).toBe(converted(m.bytes).values.get(T.Subject));
      expect(props!.get(TAG.Read), m.name).toBe(i % 3 === 0);
      expect(props!.get(PidTagFlagStatus), m.name).toBe(i % 5 === 0 ? 2 : undefined);
      expect(props!.get(PidTagLastVerbExecuted), m.name).toBe(i % 7 === 0 ? 102 : undefined);
      expect(props!.get(TAG.MessageDeliveryTime), m.name).toBe(BigInt(Date.UTC(2025, 0, 1 + i)) * 10000n + 116444736000000000n);
      expect(rows[i]!.flags & 1, m.name).toBe(i % 3 === 0 ? 1 : 0);
      expect(rows[i]!.size).toBe(m.bytes.length);
      // the index row's CN is the stored message's (the group save returns it)
      expect(rows[i]!.cn, m.name).toBe(eidGlobcnt((await mb.messageChangeInfo(mirrorMid(rows[i]!.globcnt))).cn));
    }
  });

  it('a mirrored message opened fully equals mimeToMapi of the same bytes', async () => {
    const inbox = await imap.folderById(eidGlobcnt(mb.special.inbox));
    const rows = await imap.messagesInFolder(eidGlobcnt(mb.special.inbox), inbox!.uidvalidity);
    let checked = 0;
    for (const [i, m] of corpusMsgs.entries()) {
      const want = converted(m.bytes);
      if (want.recipients.length < 2 || want.attachments.length === 0) continue;
      const obj = await mb.openMessage(mirrorMid(rows[i]!.globcnt));
      const got = await loadMessage(obj);
      await obj.discard();
      compare(got, want, m.name);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    // an embedded message (message/rfc822 forward) too, when the corpus has one
    const fwd = corpusMsgs.findIndex((m) => converted(m.bytes).attachments.some((a) => a.embedded));
    expect(fwd).toBeGreaterThanOrEqual(0);
    const obj = await mb.openMessage(mirrorMid(rows[fwd]!.globcnt));
    const got = await loadMessage(obj);
    await obj.discard();
    compare(got, converted(corpusMsgs[fwd]!.bytes), corpusMsgs[fwd]!.name);
  });

  it('finds what another IMAP client changed: \\Seen on 3, 2 expunged, 1 appended, 1 moved', async () => {
    const archive = await fidOf('Archive');
    await mirror.syncFolder(archive); // first sync of Archive: empty
    const inboxG = eidGlobcnt(mb.special.inbox);
    const uv = (await imap.folderById(inboxG))!.uidvalidity;
    const midOfUid = async (uid: number): Promise<bigint> => mirrorMid((await imap.messagesByUid(inboxG, uv, [uid]))[0]!.globcnt);
    const seen = [1, 2, 4].map((i) => uidOf[i]!);
    const gone = [7, 8].map((i) => uidOf[i]!);
    const moved = uidOf[10]!;
    const goneMids = await Promise.all([...gone, moved].map(midOfUid));
    const seenMids = await Promise.all(seen.map(midOfUid));
    const py = await python(IMAPLIB_CHANGES, [d.host, String(d.port), 'alice', 'alice-secret', seen.join(','), gone.join(','), String(moved)]);
    expect(py.out).toContain('done');
    expect(py.code).toBe(0);
    bodyFetches = 0;
    const r = await mirror.syncFolder(mb.special.inbox);
    expect(r).toEqual({ added: 1, changed: 3, deleted: 3, fetchedBodies: 1, failed: 0, full: false });
    for (const mid of seenMids) expect(val(await mb.getMessageProps(mid, [TAG.Read]), TAG.Read)).toBe(true);
    for (const mid of goneMids) expect(await mb.messageExists(mid)).toBe(false);
    expect(await imap.messagesByUid(inboxG, uv, [...gone, moved])).toEqual([]);
    const contents = await mb.contentsRows(mb.special.inbox, { tags: [T.Subject] });
    expect(contents.length).toBe(58);
    expect(contents.filter((c) => c.props.get(T.Subject) === 'appended by imaplib').length).toBe(1);
    // the change log reports the hard deletes to ICS
    const changes = await mb.changesSince(mb.special.inbox, 'message', 0n);
    for (const mid of goneMids) expect(changes.find((c) => c.id === mid)).toMatchObject({ deleted: true, hard: true });
    // the moved message arrives with the second folder's sync
    const ra = await mirror.syncFolder(archive);
    expect(ra).toMatchObject({ added: 1, deleted: 0, fetchedBodies: 1 });
    const arch = await mb.contentsRows(archive, { tags: [T.Subject] });
    expect(arch.map((c) => c.props.get(T.Subject))).toEqual([converted(corpusMsgs[10]!.bytes).values.get(T.Subject)]);
    // nothing changed: no body fetched, no CN used
    const cn = await mb.currentCn();
    bodyFetches = 0;
    expect(await mirror.syncFolder(mb.special.inbox)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    expect(await mirror.syncFolder(archive)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    expect(bodyFetches).toBe(0);
    expect(await mb.currentCn()).toBe(cn);
  });

  it('maps flag changes: \\Flagged set, \\Seen cleared, $Forwarded set', async () => {
    await admin.mailboxOpen('INBOX');
    await admin.messageFlagsAdd(String(uidOf[11]), ['\\Flagged'], { uid: true });
    await admin.messageFlagsRemove(String(uidOf[12]), ['\\Seen'], { uid: true });
    await admin.messageFlagsAdd(String(uidOf[13]), ['$Forwarded'], { uid: true });
    await admin.mailboxClose();
    const inboxG = eidGlobcnt(mb.special.inbox);
    const uv = (await imap.folderById(inboxG))!.uidvalidity;
    const [a, b, c] = await imap.messagesByUid(inboxG, uv, [uidOf[11]!, uidOf[12]!, uidOf[13]!]);
    const r = await mirror.syncFolder(mb.special.inbox);
    expect(r).toEqual({ added: 0, changed: 3, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    expect(val(await mb.getMessageProps(mirrorMid(a!.globcnt), [PidTagFlagStatus]), PidTagFlagStatus)).toBe(2);
    expect(val(await mb.getMessageProps(mirrorMid(b!.globcnt), [TAG.Read]), TAG.Read)).toBe(false);
    expect(val(await mb.getMessageProps(mirrorMid(c!.globcnt), [PidTagLastVerbExecuted]), PidTagLastVerbExecuted)).toBe(104);
    const reads = await mb.readChangesSince(mb.special.inbox, 0n);
    expect(reads.find((x) => x.id === mirrorMid(b!.globcnt))).toMatchObject({ read: false });
  });

  it('INBOX kept selected: the next syncs send no EXAMINE and still find a flag change, an expunge and an append; other folders are examined each time', async () => {
    await mirror.syncFolder(mb.special.inbox); // leaves a pooled connection with INBOX examined
    const inboxG = eidGlobcnt(mb.special.inbox);
    const uv = (await imap.folderById(inboxG))!.uidvalidity;
    const [flagged, gone] = await imap.messagesByUid(inboxG, uv, [uidOf[14]!, uidOf[15]!]);
    await admin.mailboxOpen('INBOX');
    await admin.messageFlagsAdd(String(uidOf[14]), ['\\Flagged'], { uid: true });
    await admin.messageDelete(String(uidOf[15]), { uid: true });
    await admin.mailboxClose();
    await admin.append('INBOX', Buffer.from('Subject: kept selection\r\nMessage-ID: <kept@example.org>\r\n\r\nbody\r\n'));
    opens.clear();
    const r = await mirror.syncFolder(mb.special.inbox);
    expect(opens.get('INBOX') ?? 0).toBe(0);
    expect(r).toEqual({ added: 1, changed: 1, deleted: 1, fetchedBodies: 1, failed: 0, full: false });
    expect(val(await mb.getMessageProps(mirrorMid(flagged!.globcnt), [PidTagFlagStatus]), PidTagFlagStatus)).toBe(2);
    expect(await mb.messageExists(mirrorMid(gone!.globcnt))).toBe(false);
    const subjects = (await mb.contentsRows(mb.special.inbox, { tags: [T.Subject] })).map((c) => c.props.get(T.Subject));
    expect(subjects.filter((x) => x === 'kept selection').length).toBe(1);
    // nothing changed since: nothing applied, still no EXAMINE; an expunge alone is found too
    expect(await mirror.syncFolder(mb.special.inbox)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    const [gone2] = await imap.messagesByUid(inboxG, uv, [uidOf[16]!]);
    await admin.mailboxOpen('INBOX');
    await admin.messageDelete(String(uidOf[16]), { uid: true });
    await admin.mailboxClose();
    expect(await mirror.syncFolder(mb.special.inbox)).toMatchObject({ deleted: 1 });
    expect(await mb.messageExists(mirrorMid(gone2!.globcnt))).toBe(false);
    expect(opens.get('INBOX') ?? 0).toBe(0);
    // another folder: EXAMINEd at every sync, on another connection (the pool opens one rather than take the one
    // that has INBOX selected), so INBOX stays kept
    const archive = await fidOf('Archive');
    await mirror.syncFolder(archive);
    await mirror.syncFolder(archive);
    expect(opens.get('Archive')).toBe(2);
    await mirror.syncFolder(mb.special.inbox);
    expect(opens.get('INBOX') ?? 0).toBe(0);
  });

  it('fetches a folder again after its UIDVALIDITY changed', async () => {
    await admin.mailboxCreate('Temp');
    for (const s of ['one', 'two', 'three']) await admin.append('Temp', Buffer.from(`Subject: old ${s}\r\n\r\nbody\r\n`));
    await mirror.syncHierarchy();
    const temp = await fidOf('Temp');
    expect(await mirror.syncFolder(temp)).toMatchObject({ added: 3, full: true });
    const oldUv = (await imap.folderById(eidGlobcnt(temp)))!.uidvalidity;
    const oldMids = (await mb.contentsRows(temp, { tags: [T.Subject] })).map((c) => c.id);
    await admin.mailboxDelete('Temp');
    await admin.mailboxCreate('Temp');
    for (const s of ['four', 'five']) await admin.append('Temp', Buffer.from(`Subject: new ${s}\r\n\r\nbody\r\n`));
    const st = await admin.status('Temp', { uidValidity: true });
    expect(st && st.uidValidity).not.toBe(BigInt(oldUv));
    const r = await mirror.syncFolder(temp);
    expect(r).toEqual({ added: 2, changed: 0, deleted: 3, fetchedBodies: 2, failed: 0, full: true });
    const subjects = (await mb.contentsRows(temp, { tags: [T.Subject] })).map((c) => c.props.get(T.Subject)).sort();
    expect(subjects).toEqual(['new five', 'new four']);
    for (const mid of oldMids) expect(await mb.messageExists(mid)).toBe(false);
    const row = (await imap.folderById(eidGlobcnt(temp)))!;
    expect(row.uidvalidity).not.toBe(oldUv);
    expect(await imap.messagesInFolder(eidGlobcnt(temp), oldUv)).toEqual([]);
    expect((await imap.messagesInFolder(eidGlobcnt(temp), row.uidvalidity)).length).toBe(2);
  });

  it('fetches the next batch while storing one; a FETCH failing ahead fails the sync after the batches before it, and the next sync brings the rest once', async () => {
    await admin.mailboxCreate('Pipeline');
    await mirror.syncHierarchy();
    const fid = await fidOf('Pipeline');
    for (let i = 0; i < 80; i++) await admin.append('Pipeline', Buffer.from(`Subject: pipelined ${i}\r\n\r\nbody ${i}\r\n`));
    bodyFetches = 0;
    // 80 messages in batches of 25, a whole folder so newest first (76-80, 51-75, 26-50, 1-25 by APPEND order): the
    // third batch's FETCH fails while the second is stored
    failBodyFetchIn = 3;
    const rejected = new Set<unknown>();
    const onUnhandled = (e: unknown): void => void rejected.add(e);
    process.on('unhandledRejection', onUnhandled);
    // storing a batch takes event-loop turns (as an index on MariaDB does), so the failing FETCH ahead rejects meanwhile
    const put = imap.putMessages.bind(imap);
    imap.putMessages = async (rows) => {
      await new Promise((r) => setTimeout(r, 40));
      return put(rows);
    };
    try {
      await expect(mirror.syncFolder(fid)).rejects.toThrow(/injected/);
      await new Promise((r) => setTimeout(r, 50));
      expect([...rejected]).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      imap.putMessages = put;
    }
    const subjects = async (): Promise<string[]> => (await mb.contentsRows(fid, { tags: [T.Subject] })).map((x) => x.props.get(T.Subject) as string).sort();
    expect(await subjects()).toEqual(Array.from({ length: 30 }, (_, i) => `pipelined ${50 + i}`).sort());
    const r = await mirror.syncFolder(fid);
    expect(r.added).toBe(50);
    expect(await subjects()).toEqual(Array.from({ length: 80 }, (_, i) => `pipelined ${i}`).sort());
  });

  it('a UID SEARCH the server refuses fails the sync and stores nothing: the next sync fetches the new messages', async () => {
    await admin.mailboxCreate('Refused');
    await mirror.syncHierarchy();
    const fid = await fidOf('Refused');
    await admin.append('Refused', Buffer.from('Subject: before\r\n\r\nbody\r\n'));
    expect(await mirror.syncFolder(fid)).toMatchObject({ added: 1 });
    for (const s of ['after 1', 'after 2']) await admin.append('Refused', Buffer.from(`Subject: ${s}\r\n\r\nbody\r\n`));
    const before = await imap.folderById(eidGlobcnt(fid));
    // imapflow resolves the BAD as false: once read as "no new UIDs", UIDNEXT moved past both messages for good
    refuseSearch = (q) => q.uid?.endsWith(':*') === true;
    try {
      await expect(mirror.syncFolder(fid)).rejects.toMatchObject({ code: 'OC_IMAP_SEARCH', message: expect.stringMatching(/Refused.*BAD/) });
    } finally {
      refuseSearch = null;
    }
    expect(await imap.folderById(eidGlobcnt(fid))).toEqual(before);
    expect(await mirror.syncFolder(fid)).toMatchObject({ added: 2 });
    const subjects = (await mb.contentsRows(fid, { tags: [T.Subject] })).map((x) => x.props.get(T.Subject)).sort();
    expect(subjects).toEqual(['after 1', 'after 2', 'before']);
  });

  it('a first mirror cut short goes on as a whole-folder fetch and sees the flag changes and expunges of what it stored', async () => {
    await admin.mailboxCreate('Resumed');
    await mirror.syncHierarchy();
    const fid = await fidOf('Resumed');
    const uids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await admin.append('Resumed', Buffer.from(`Subject: resumed ${i}\r\n\r\nbody ${i}\r\n`));
      uids.push(r ? (r.uid ?? 0) : 0);
    }
    // batches of 25 counted from the oldest, fetched newest first (26-40, then 1-25): the second FETCH fails, after the
    // first batch is stored
    failBodyFetchIn = 2;
    await expect(mirror.syncFolder(fid)).rejects.toThrow(/injected/);
    expect((await mb.contentsRows(fid, { tags: [] })).length).toBe(15);
    // another client reads one stored message and expunges another before the mirror goes on
    await admin.mailboxOpen('Resumed');
    await admin.messageFlagsAdd(String(uids[30]), ['\\Seen'], { uid: true });
    await admin.messageDelete(String(uids[31]), { uid: true });
    await admin.mailboxClose();
    // a whole-folder fetch (no new mail for Outlook) that also checks what the first attempt stored
    expect(await mirror.syncFolder(fid)).toEqual({ added: 25, changed: 1, deleted: 1, fetchedBodies: 25, failed: 0, full: true });
    // nothing left over: the next sync asks only for changes after this one's HIGHESTMODSEQ
    expect(await mirror.syncFolder(fid)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    const rows = await mb.contentsRows(fid, { tags: [T.Subject, TAG.Read] });
    const read = new Map(rows.map((x) => [x.props.get(T.Subject), x.props.get(TAG.Read)]));
    expect(read.size).toBe(39);
    expect(read.has('resumed 31')).toBe(false);
    expect(read.get('resumed 30')).toBe(true);
    expect(read.get('resumed 29')).toBe(false);
  });

  it('stores converted messages in groups; a group save that fails stores its messages one by one, each once', async () => {
    await admin.mailboxCreate('Groups');
    await mirror.syncHierarchy();
    const fid = await fidOf('Groups');
    for (let i = 0; i < 70; i++) await admin.append('Groups', Buffer.from(`Subject: grouped ${i}\r\n\r\nbody ${i}\r\n`));
    const groups: number[] = [];
    const saveNew = mb.saveNewMessages.bind(mb);
    mb.saveNewMessages = async (f, msgs) => {
      groups.push(msgs.length);
      // the second group's save fails as a store refusal would
      if (groups.length === 2) throw new StoreError('OC_TEST_INJECTED', SEC.Error, 'injected group save failure');
      return saveNew(f, msgs);
    };
    logLines.length = 0;
    let r;
    try {
      r = await mirror.syncFolder(fid);
    } finally {
      mb.saveNewMessages = saveNew;
    }
    expect(r).toEqual({ added: 70, changed: 0, deleted: 0, fetchedBodies: 70, failed: 0, full: true });
    // UID batches of 25 (1-25, 26-50, 51-70) fetched newest first; a group never spans two batches
    expect(groups).toEqual([20, 25, 25]);
    expect(logLines.some((l) => l.level === 20 && /group save failed/.test(l.msg))).toBe(true);
    const subjects = (await mb.contentsRows(fid, { tags: [T.Subject] })).map((x) => x.props.get(T.Subject) as string).sort();
    expect(subjects).toEqual(Array.from({ length: 70 }, (_, i) => `grouped ${i}`).sort());
    const g = await imap.folderById(eidGlobcnt(fid));
    const rows = await imap.messagesInFolder(eidGlobcnt(fid), g!.uidvalidity);
    expect(rows).toHaveLength(70);
    for (const row of rows) expect(row.cn).toBe(eidGlobcnt((await mb.messageChangeInfo(mirrorMid(row.globcnt))).cn));
  });

  it('bounds each body FETCH by the sizes of its messages: a message over the limit alone, the others up to it', async () => {
    await admin.mailboxCreate('Sized');
    await mirror.syncHierarchy();
    const fid = await fidOf('Sized');
    // 40 messages of 1-60 KB and two of ~300 KB; at most 100,000 bytes and 25 messages per FETCH
    const big = new Set([7, 20]);
    for (let i = 0; i < 42; i++) {
      const kb = big.has(i) ? 300 : 1 + ((i * 17) % 60);
      await admin.append('Sized', Buffer.from(`Subject: sized ${i}\r\n\r\n${`${'x'.repeat(76)}\r\n`.repeat(Math.ceil((kb * 1024) / 78))}`));
    }
    const sized = new ImapMirror({ mailbox: mb, pool, username: 'alice', log: pino({ level: 'silent' }), batchSize: 25, batchBytes: 100_000 });
    bodyFetchSizes.length = 0;
    const r = await sized.syncFolder(fid);
    expect(r).toEqual({ added: 42, changed: 0, deleted: 0, fetchedBodies: 42, failed: 0, full: true });
    const batches = bodyFetchSizes.map((b) => [...b].sort((x, y) => x.uid - y.uid)).reverse(); // a whole folder: newest batch first
    const sum = (b: { size: number }[]): number => b.reduce((n, m) => n + m.size, 0);
    expect(batches.flat().map((m) => m.uid)).toEqual([...batches.flat().map((m) => m.uid)].sort((a, b) => a - b));
    expect(batches.flat()).toHaveLength(42);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(25);
      if (b.length > 1) expect(sum(b)).toBeLessThanOrEqual(100_000);
    }
    // the two large messages came alone, and no batch stopped before it had to: a message of at most 100,000 / 25
    // bytes counts as 4,000 (only larger ones have their sizes asked for)
    expect(batches.filter((b) => b.length === 1 && b[0]!.size > 100_000)).toHaveLength(2);
    const counted = (b: { size: number }[]): number => b.reduce((n, m) => n + Math.max(m.size, 4000), 0);
    for (let i = 0; i + 1 < batches.length; i++) expect(batches[i]!.length === 25 || counted(batches[i]!) + Math.max(batches[i + 1]![0]!.size, 4000) > 100_000).toBe(true);
    expect(batches.flat().filter((m) => m.size <= 4000).length).toBeGreaterThan(0); // both kinds are in the folder
    expect(batches.length).toBeGreaterThan(8);
    const subjects = (await mb.contentsRows(fid, { tags: [T.Subject] })).map((x) => x.props.get(T.Subject) as string).sort();
    expect(subjects).toEqual(Array.from({ length: 42 }, (_, i) => `sized ${i}`).sort());
  });

  it('mirrors a broken message as raw MIME with a warning, and the rest of its batch', async () => {
    await admin.mailboxCreate('Broken');
    await mirror.syncHierarchy();
    const fid = await fidOf('Broken');
    const garbage = Buffer.from(Array.from({ length: 700 }, (_, i) => [0x00, 0xff, 0x80, 0x1b, 0xc3, 0x28, 0x20, 0x7f][i % 8]!));
    await admin.append('Broken', Buffer.from('Subject: before\r\n\r\nok\r\n'));
    const bad = await admin.append('Broken', garbage);
    await admin.mailboxOpen('Broken', { readOnly: true });
    await admin.append('Broken', Buffer.from('Subject: after\r\n\r\nok\r\n'));
    logLines.length = 0;
    const r = await mirror.syncFolder(fid);
    expect(r).toEqual({ added: 3, changed: 0, deleted: 0, fetchedBodies: 3, failed: 1, full: true });
    const warn = logLines.filter((l) => l.level === 40 && l.uid === (bad && bad.uid));
    expect(warn.length).toBe(1);
    const rows = await mb.contentsRows(fid, { tags: [T.Subject] });
    expect(rows.map((x) => x.props.get(T.Subject)).sort()).toEqual(['', 'after', 'before']);
    // MIDs in UID order: the raw-MIME one is stored after the converted message before it, not ahead of it
    const g = await imap.folderById(eidGlobcnt(fid));
    const byUid = (await imap.messagesInFolder(eidGlobcnt(fid), g!.uidvalidity)).sort((a, b) => a.uid - b.uid);
    expect(byUid.map((x) => x.globcnt)).toEqual([...byUid.map((x) => x.globcnt)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const broken = rows.find((x) => x.props.get(T.Subject) === '')!;
    const got = await loadMessage(await mb.openMessage(broken.id));
    expect(got.attachments.length).toBe(1);
    expect(got.attachments[0]!.values.get(T.AttachLongFilename)).toBe('message.eml');
    // the bytes as IMAP serves them (Dovecot may have normalized line ends of the appended garbage)
    const served = await admin.fetchOne(String(bad && bad.uid), { source: true }, { uid: true });
    expect(served && served.source).toBeInstanceOf(Buffer);
    expect(Buffer.compare(got.attachments[0]!.values.get(T.AttachDataBinary) as Buffer, (served as { source: Buffer }).source)).toBe(0);
  });

  it('empties the folder of a parent mailbox deleted while it has children (listed, not selectable)', async () => {
    const archive = await fidOf('Archive');
    const child = await fidOf('Archive/2024');
    const [mid] = (await mb.contentsRows(archive)).map((c) => c.id);
    expect(mid).toBeDefined();
    await admin.mailboxDelete('Archive');
    // Dovecot 2.3 (maildir++) keeps listing "Archive" (\HasChildren) and answers SELECT with NO [NONEXISTENT]
    expect((await admin.list()).some((e) => e.path === 'Archive')).toBe(true);
    expect(await mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0 });
    expect(await mirror.syncFolder(archive)).toEqual({ added: 0, changed: 0, deleted: 1, fetchedBodies: 0, failed: 0, full: false });
    expect(await mb.folderExists(archive)).toBe(true);
    expect(await mb.parentOf(child)).toBe(archive);
    expect(await mb.messageExists(mid!)).toBe(false);
    expect(await mirror.syncFolder(archive)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
  });

  it('follows mailboxes renamed and moved by another client (same folders, same messages, nothing fetched again); a delete and a create stay a delete and a create', async () => {
    const msg = (n: string): Buffer => Buffer.from(`From: a@example.org\r\nSubject: ${n}\r\nMessage-ID: <${n}@example.org>\r\n\r\n${n}\r\n`);
    for (const p of ['Clients', 'Clients/Acme', 'Old']) {
      await admin.mailboxCreate(p);
      for (let i = 0; i < 3; i++) await admin.append(p, msg(`${p.replace('/', '-')}-${i}`));
    }
    await mirror.syncHierarchy();
    const clients = await fidOf('Clients');
    const acme = await fidOf('Clients/Acme');
    const old = await fidOf('Old');
    for (const f of [clients, acme, old]) expect(await mirror.syncFolder(f)).toMatchObject({ added: 3, fetchedBodies: 3 });
    const midsOf = async (f: bigint): Promise<bigint[]> => (await mb.contentsRows(f)).map((c) => c.id).sort();
    const clientsMids = await midsOf(clients);
    const acmeMids = await midsOf(acme);
    // imaplib: Clients (with its child) moved under INBOX and renamed; Old deleted and New created in the same pass
    const py = await python(
      `import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
assert m.login('alice', 'alice-secret')[0] == 'OK'
assert m.rename('Clients', 'INBOX/Customers')[0] == 'OK'
assert m.delete('Old')[0] == 'OK'
assert m.create('New')[0] == 'OK'
m.logout()
print('done')
`,
      [d.host, String(d.port)],
    );
    expect(py.out).toContain('done');
    const r = await mirror.syncHierarchy();
    expect(r).toMatchObject({ renamed: 2, created: 1, deleted: 1 });
    expect(await fidOf('INBOX/Customers')).toBe(clients);
    expect(await mb.parentOf(clients)).toBe(mb.special.inbox);
    expect(await nameOf(clients)).toBe('Customers');
    expect(await fidOf('INBOX/Customers/Acme')).toBe(acme);
    expect(await mb.parentOf(acme)).toBe(clients);
    expect(folderState((await imap.folderById(eidGlobcnt(acme)))!).path).toBe('INBOX/Customers/Acme');
    expect(await mb.folderExists(old)).toBe(false);
    const fresh = await fidOf('New');
    expect(fresh).not.toBe(old);
    // the messages stayed, and the renamed mailboxes are synced from where they are now without fetching anything
    bodyFetches = 0;
    expect(await mirror.syncFolder(clients)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    expect(await mirror.syncFolder(acme)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    expect(bodyFetches).toBe(0);
    expect(await midsOf(clients)).toEqual(clientsMids);
    expect(await midsOf(acme)).toEqual(acmeMids);
    // and a change made there reaches the folder
    await admin.append('INBOX/Customers/Acme', msg('after-rename'));
    expect(await mirror.syncFolder(acme)).toMatchObject({ added: 1, fetchedBodies: 1 });
    expect(await mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
  });

  it('a folder whose mailbox another client renamed keeps its messages when it is synced before the hierarchy: the hierarchy sync then follows the rename', async () => {
    await admin.mailboxCreate('Drafts2024');
    for (let i = 0; i < 2; i++) await admin.append('Drafts2024', Buffer.from(`Subject: d${i}\r\nMessage-ID: <d${i}@example.org>\r\n\r\nx\r\n`));
    await mirror.syncHierarchy();
    const f = await fidOf('Drafts2024');
    expect(await mirror.syncFolder(f)).toMatchObject({ added: 2 });
    const before = (await mb.contentsRows(f)).map((c) => c.id).sort();
    await admin.mailboxRename('Drafts2024', 'Archive 2024');
    // Outlook opens the folder (refreshFolder) before any hierarchy sync: the messages stay (they used to be deleted,
    // and the rename then ended as a delete and a create, everything fetched again)
    expect(await mirror.syncFolder(f)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    expect((await mb.contentsRows(f)).map((c) => c.id).sort()).toEqual(before);
    expect(await mirror.syncHierarchy()).toMatchObject({ renamed: 1, created: 0, deleted: 0 });
    expect(await fidOf('Archive 2024')).toBe(f);
    bodyFetches = 0;
    expect(await mirror.syncFolder(f)).toMatchObject({ added: 0, deleted: 0 });
    expect(bodyFetches).toBe(0);
    expect((await mb.contentsRows(f)).map((c) => c.id).sort()).toEqual(before);
    // a mailbox deleted for good: the folder stays until the hierarchy sync deletes it
    await admin.mailboxDelete('Archive 2024');
    expect(await mirror.syncFolder(f)).toMatchObject({ deleted: 0 });
    expect(await mirror.syncHierarchy()).toMatchObject({ deleted: 1 });
    expect(await mb.folderExists(f)).toBe(false);
  });

  it("a first mirror of an INBOX the IMAP server has just made for the login is logged once, as a warning (imap.loginName)", async () => {
    const NEW_INBOX = /^IMAP INBOX is empty and was just created by the IMAP server for this login\. Right for a user new to the mail server; otherwise .*imap\.loginName/;
    // alice's INBOX had its 60 messages at its first mirror: nothing said
    expect(logLines.filter((l) => NEW_INBOX.test(l.msg))).toEqual([]);
    // carol has never logged in to this Dovecot: her INBOX is made by the mirror's login, empty
    const lines: { level: number; msg: string; loginName?: string; ageSeconds?: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
        cb();
      },
    });
    const cmb = (await store.openMailbox({ username: 'carol', displayName: 'Carol', legacyDn: '/o=t/ou=t/cn=Recipients/cn=carol' })) as LocalMailbox;
    const cm = new ImapMirror({ mailbox: cmb, pool, username: 'carol', log: pino({ level: 'info' }, sink) });
    await cm.syncHierarchy();
    await cm.syncFolder(cmb.special.inbox);
    await cm.syncFolder(cmb.special.inbox);
    const said = lines.filter((l) => NEW_INBOX.test(l.msg));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 40, loginName: 'carol' });
    expect(said[0]!.ageSeconds).toBeLessThan(60);
  });

  it('refuses to sync a folder that mirrors no mailbox', async () => {
    await expect(mirror.syncFolder(mb.special.calendar)).rejects.toMatchObject({ code: 'OC_IMAP_NOT_MIRRORED' });
  });
});

/**
 * `user`'s mirror with five messages m0..m4 APPENDed to INBOX by another client (still connected, as `c`) and
 * fetched by a first sync.
 */
async function seededInbox(d: Dovecot, store: LocalStore, pool: ImapPool, user: string): Promise<{ mb: LocalMailbox; mirror: ImapMirror; c: ImapFlow; uids: number[] }> {
  const mb = (await store.openMailbox({ username: user, displayName: user, legacyDn: `/o=t/ou=t/cn=Recipients/cn=${user}` })) as LocalMailbox;
  const mirror = new ImapMirror({ mailbox: mb, pool, username: user, log: pino({ level: 'silent' }) });
  const c = new ImapFlow(d.clientOptions(user));
  await c.connect();
  const uids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await c.append('INBOX', Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`));
    uids.push(r ? r.uid ?? 0 : 0);
  }
  await mirror.syncHierarchy();
  expect(await mirror.syncFolder(mb.special.inbox)).toMatchObject({ added: 5, full: true });
  return { mb, mirror, c, uids };
}

describe('IMAP -> mailbox mirror without QRESYNC (CONDSTORE only)', () => {
  let d: Dovecot;
  let pool: ImapPool;
  let store: LocalStore;
  let searches = 0;

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
    // a client that does not ENABLE QRESYNC: expunges are found by UID SEARCH against the index
    const factory = (o: ImapFlowOptions): ImapFlow => {
      const c = new ImapFlow({ ...o, qresync: false });
      const orig = c.search.bind(c);
      c.search = (async (...args: Parameters<typeof orig>) => {
        searches++;
        return orig(...args);
      }) as typeof c.search;
      return c;
    };
    pool = new ImapPool(
      poolSettings(d),
      new ImapCredentials(AUTH), pino({ level: 'silent' }), factory,
    );
    store = new LocalStore({ mailboxDir: path.join(tmp, 'mailboxes2'), index: new SqliteIndexProvider(path.join(tmp, 'index2.sqlite')), idBatch: 16 });
  }, 60_000);

  afterAll(async () => {
    await pool?.close();
    await store?.close();
    await d?.stop();
  });

  it('finds flag changes with CHANGEDSINCE and expunges with UID SEARCH', async () => {
    const { mb, mirror, c, uids } = await seededInbox(d, store, pool, 'bob');
    try {
      await c.mailboxOpen('INBOX');
      await c.messageFlagsAdd(String(uids[0]), ['\\Seen'], { uid: true });
      await c.messageDelete(`${uids[1]},${uids[3]}`, { uid: true });
      await c.mailboxClose();
      searches = 0;
      expect(await mirror.syncFolder(mb.special.inbox)).toEqual({ added: 0, changed: 1, deleted: 2, fetchedBodies: 0, failed: 0, full: false });
      expect(searches).toBe(1);
      const subjects = (await mb.contentsRows(mb.special.inbox, { tags: [T.Subject] })).map((r) => r.props.get(T.Subject)).sort();
      expect(subjects).toEqual(['m0', 'm2', 'm4']);
      // unchanged HIGHESTMODSEQ: no command beyond the EXAMINE
      searches = 0;
      expect(await mirror.syncFolder(mb.special.inbox)).toMatchObject({ changed: 0, deleted: 0, fetchedBodies: 0 });
      expect(searches).toBe(0);
    } finally {
      await c.logout();
    }
  });
});

/** MID of a GLOBCNT (replica 1). */
const mirrorMid = (globcnt: bigint): bigint => makeEid(1, globcnt);

function recipientsOf(m: LoadedMessage): string[] {
  return m.recipients
    .map((r) => `${r.recipientType}|${String(r.props.find((p) => p.tag >>> 0 === T.DisplayName)?.value)}|${String(r.props.find((p) => p.tag >>> 0 === 0x39fe001f)?.value)}`)
    .sort();
}

function attachmentNames(m: LoadedMessage): string[] {
  return m.attachments.map((a) => `${String(a.values.get(T.AttachLongFilename))}|${String(a.values.get(T.DisplayName))}|${a.embedded ? 'embedded' : 'data'}`);
}

function compare(got: LoadedMessage, want: LoadedMessage, name: string): void {
  const same = (tag: number): void => {
    const g: PropValue | undefined = got.values.get(tag);
    const w: PropValue | undefined = want.values.get(tag);
    if (Buffer.isBuffer(w)) expect(Buffer.isBuffer(g) && Buffer.compare(g, w) === 0, `${name} 0x${tag.toString(16)}`).toBe(true);
    else expect(g, `${name} 0x${tag.toString(16)}`).toEqual(w);
  };
  for (const tag of [T.Subject, T.Body, T.MessageClass, 0x10130102 /* PidTagHtml */, 0x1035001f /* PidTagInternetMessageId */]) same(tag);
  expect(recipientsOf(got), name).toEqual(recipientsOf(want));
  expect(attachmentNames(got), name).toEqual(attachmentNames(want));
  want.attachments.forEach((a, i) => {
    const data = a.values.get(T.AttachDataBinary);
    if (Buffer.isBuffer(data)) expect(Buffer.compare(got.attachments[i]!.values.get(T.AttachDataBinary) as Buffer, data), name).toBe(0);
    if (a.embedded) compare(got.attachments[i]!.embedded!, a.embedded, `${name} embedded`);
  });
}

describe('IMAP -> mailbox mirror against a server without CONDSTORE (Courier-like)', () => {
  let d: Dovecot;
  let pool: ImapPool;
  let store: LocalStore;

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master', withoutCapabilities: ['CONDSTORE', 'QRESYNC'] });
    pool = new ImapPool(
      poolSettings(d),
      new ImapCredentials(AUTH), pino({ level: 'silent' }),
    );
    store = new LocalStore({ mailboxDir: path.join(tmp, 'mailboxes3'), index: new SqliteIndexProvider(path.join(tmp, 'index3.sqlite')), idBatch: 16 });
  }, 60_000);

  afterAll(async () => {
    await pool?.close();
    await store?.close();
    await d?.stop();
  });

  it('finds flag changes by every known message\'s FLAGS and expunges by UID SEARCH; an append by UIDNEXT', async () => {
    const enabled = await pool.run('carol', async (c) => [...c.enabled]);
    expect(enabled).not.toContain('CONDSTORE');
    const { mb, mirror, c, uids } = await seededInbox(d, store, pool, 'carol');
    try {
      await c.mailboxOpen('INBOX');
      await c.messageFlagsAdd(String(uids[0]), ['\\Seen'], { uid: true });
      await c.messageFlagsAdd(String(uids[2]), ['\\Flagged'], { uid: true });
      await c.messageDelete(`${uids[1]},${uids[3]}`, { uid: true });
      await c.append('INBOX', Buffer.from('Subject: m5\r\n\r\nbody 5\r\n'));
      await c.mailboxClose();
      expect(await mirror.syncFolder(mb.special.inbox)).toEqual({ added: 1, changed: 2, deleted: 2, fetchedBodies: 1, failed: 0, full: false });
      const rows = await mb.contentsRows(mb.special.inbox, { tags: [T.Subject, TAG.Read] });
      expect(rows.map((r) => r.props.get(T.Subject)).sort()).toEqual(['m0', 'm2', 'm4', 'm5']);
      expect(rows.find((r) => r.props.get(T.Subject) === 'm0')?.props.get(TAG.Read)).toBe(true);
      const m2 = rows.find((r) => r.props.get(T.Subject) === 'm2')!;
      expect(val(await mb.getMessageProps(m2.id, [PidTagFlagStatus]), PidTagFlagStatus)).toBe(2);
      // nothing changed: nothing reported, nothing fetched
      expect(await mirror.syncFolder(mb.special.inbox)).toEqual({ added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
    } finally {
      await c.logout();
    }
  });
});

describe('mirror helpers (properties)', () => {
  it('rawSubject of arbitrary or mutated bytes is a string, never a throw', () => {
    const seed = Buffer.from('From: a@b\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n folded\r\n\r\nbody');
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }).map((muts) => {
        const b = Buffer.from(seed);
        for (const [i, v] of muts) b[i] = v;
        return b;
      })), (bytes) => {
        expect(typeof rawSubject(Buffer.from(bytes))).toBe('string');
      }),
    );
    expect(rawSubject(seed)).toBe('café folded');
  });

  it('importMessage of arbitrary or mutated bytes always makes a message (converted or raw), never throws', async () => {
    const st = new LocalStore({ mailboxDir: path.join(tmp, 'mailboxes3'), index: new SqliteIndexProvider(path.join(tmp, 'index3.sqlite')), idBatch: 64 });
    try {
      const mb = (await st.openMailbox({ username: 'carol', displayName: 'Carol', legacyDn: '/o=t/ou=t/cn=Recipients/cn=carol' })) as LocalMailbox;
      const seeds = corpus().slice(0, 12).map((m) => m.bytes);
      const mutated = fc.tuple(fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 })).map(([k, muts]) => {
        const b = Buffer.from(seeds[k]!);
        for (const [i, v] of muts) b[i % b.length] = v;
        return b;
      });
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u)), mutated), fc.integer({ min: 0, max: 127 }), async (bytes, flags) => {
          const r = await importMessage(mb, mb.special.inbox, { uid: 1, source: bytes, internalDate: new Date(0), flags });
          expect(await mb.messageExists(r.mid)).toBe(true);
          expect(val(await mb.getMessageProps(r.mid, [TAG.Read]), TAG.Read)).toBe((flags & 1) === 1);
          if (r.fallback) expect(r.warnings.length).toBeGreaterThan(0);
        }),
        { numRuns: 60 },
      );
    } finally {
      await st.close();
    }
  });

  it('uidSet is a compact sequence-set naming exactly the UIDs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }), (raw) => {
        const uids = [...raw].sort((a, b) => a - b);
        const out: number[] = [];
        for (const part of uidSet(uids).split(',').filter(Boolean)) {
          const [a, b] = part.split(':').map(Number);
          for (let u = a!; u <= (b ?? a!); u++) out.push(u);
        }
        expect(out).toEqual(uids);
      }),
    );
  });
});
