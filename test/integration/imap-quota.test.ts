// IMAP quotas (RFC 9208 QUOTA; src/mapistore/backends/imap/quota.ts, the Store wiring in mailbox.ts) against a real
// Dovecot with the quota + imap_quota plugins (test/helpers/dovecot.ts `quota: '100K'`: the count backend, every user
// 100 KiB): the store object shows the user's limit and usage (GETQUOTAROOT INBOX, kept a minute); a save, an edit, a
// copy and a move the server refuses with NO [OVERQUOTA] answer ecQuotaExceeded (0x000004D9) and leave the local
// store as it was (nothing IMAP lacks); a submission delivered to a full and to a roomy mailbox reaches the roomy one,
// and the sender gets one non-delivery report naming the full one; below the quota everything works as before; a
// server without QUOTA leaves the store object as it was. The project's EMSMDB client (test/interop/emsmdb/
// imap_quota.py) reads the quota properties from the logon and gets ecQuotaExceeded from RopSaveChangesMessage.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { captureLog } from '../helpers/log-capture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { eidGlobcnt, encodeXid } from '../../src/mapi/ids.js';
import type { ImapMailbox, ImapWriter } from '../../src/mapistore/backends/imap/mailbox.js';
import { ImapStore } from '../../src/mapistore/backends/imap/store.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { encodePcl, mergePcl } from '../../src/mapistore/pcl.js';
import { TAG } from '../../src/mapistore/tags.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { MAPI_CC, MAPI_TO, type MailboxStore, type MessageObject } from '../../src/mapistore/types.js';
import { MailTransport } from '../../src/transport/submit.js';
import { T } from '../../src/transport/tags.js';
import type { TransportDirectory, TransportUser } from '../../src/transport/types.js';
import { readGuid } from '../../src/util/guid.js';
import { MASTER_PASSWORD, MASTER_USER, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { USER_DN } from '../helpers/emsmdb-mailbox.js';
import { PASSWORD, runPythonJson } from '../helpers/full-server.js';
import { startImapWorld, type ImapWorld } from '../helpers/imap-world.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EC_QUOTA_EXCEEDED = 0x000004d9;
const PidTagProhibitReceiveQuota = 0x666a0003;
const PidTagProhibitSendQuota = 0x666e0003;
const PidTagStorageQuotaLimit = 0x3ff50003;
const PidTagMessageSizeExtended = 0x0e080014;
const QUOTA_TAGS = [PidTagProhibitReceiveQuota, PidTagProhibitSendQuota, PidTagStorageQuotaLimit, PidTagMessageSizeExtended];
const LIMIT_KB = 100;
const PidTagFlagStatus = 0x10900003;

const ORG = '/o=Test/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients';
const USERS: TransportUser[] = ['alice', 'bob', 'carol'].map((u) => ({
  username: u, displayName: u[0]!.toUpperCase() + u.slice(1), legacyExchangeDN: `${ORG}/cn=${u}`, smtpAddress: `${u}@example.org`, enabled: true,
}));
const directory: TransportDirectory = {
  async findUser(x: string) {
    const k = x.toLowerCase();
    return USERS.find((u) => u.username === k || u.smtpAddress === k || u.legacyExchangeDN.toLowerCase() === k) ?? null;
  },
};
const owner = (u: TransportUser) => ({ username: u.username, displayName: u.displayName, legacyDn: u.legacyExchangeDN });

const plain = (subject: string, bodyBytes = 200): Buffer =>
  Buffer.from(`From: Eve <eve@example.org>\r\nTo: Someone <someone@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '.')}@example.org>\r\n\r\n${'Body line of the message.\r\n'.repeat(Math.ceil(bodyBytes / 27))}`);
/** A text body of about `kb` KiB (ASCII: as many bytes in the MIME). */
const body = (kb: number): string => 'This line fills the body of the message. '.repeat(Math.ceil((kb * 1024) / 42));

const capture = (): { lines: Json[]; log: pino.Logger } => captureLog();

/** An ImapStore on Dovecot `d` in master-user mode (IDLE off), its mailbox files and index under `dir`. */
function imapStoreOn(d: Dovecot, dir: string, log: pino.Logger, over: { refreshMinMs?: number } = {}): ImapStore {
  const imap = loadConfig({
    env: {}, overrides: {
      dataDir: dir, store: { backend: 'imap' },
      imap: { host: d.host, port: d.port, security: 'none', auth: 'master', masterUser: MASTER_USER, masterPassword: MASTER_PASSWORD, timeoutSeconds: 10, idle: false },
    },
  }).imap;
  const local = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
  return new ImapStore({ local, imap, log, ...over });
}

/** The subjects of a folder's messages (normal contents). */
async function subjects(mb: MailboxStore, fid: bigint): Promise<string[]> {
  return (await mb.contentsRows(fid, { tags: [T.Subject] })).map((r) => String(r.props.get(T.Subject)));
}

/** The subjects of an IMAP mailbox of `user`, as another client (imapflow, master login) sees them. */
async function imapSubjects(d: Dovecot, user: string, box: string): Promise<string[]> {
  const c = new ImapFlow(d.clientOptions(user));
  await c.connect();
  try {
    await c.mailboxOpen(box, { readOnly: true });
    const all = await c.fetchAll('1:*', { envelope: true }).catch(() => []);
    return all.map((m) => m.envelope?.subject ?? '');
  } finally {
    await c.logout();
  }
}

/** GETQUOTAROOT INBOX as another client sees it: usage and limit in KiB. */
async function imapQuota(d: Dovecot, user: string): Promise<{ usageKb: number; limitKb: number }> {
  const c = new ImapFlow(d.clientOptions(user));
  await c.connect();
  try {
    const q = await c.getQuota('INBOX');
    if (!q || !q.storage) throw new Error('no STORAGE quota');
    return { usageKb: (q.storage.usage ?? 0) / 1024, limitKb: (q.storage.limit ?? 0) / 1024 };
  } finally {
    await c.logout();
  }
}

async function newMail(mb: MailboxStore, fid: bigint, subject: string, kb: number): Promise<MessageObject> {
  const m = await mb.newMessage(fid);
  await m.setProps([
    { tag: T.MessageClass, value: 'IPM.Note' },
    { tag: T.Subject, value: subject },
    { tag: T.Body, value: body(kb) },
  ]);
  return m;
}

const rcpt = (rowId: number, u: TransportUser, type: number) => ({
  rowId,
  props: [
    { tag: T.RecipientType, value: type },
    { tag: T.DisplayName, value: u.displayName },
    { tag: T.AddressType, value: 'EX' },
    { tag: T.EmailAddress, value: u.legacyExchangeDN },
  ],
});

describe('IMAP quota against a Dovecot with a 100 KiB quota per user', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-quota-'));
  let d: Dovecot;
  let store: ImapStore;
  let transport: MailTransport;
  let lines: Json[];
  const mbs: Record<string, ImapMailbox> = {};
  const [ALICE, BOB, CAROL] = USERS as [TransportUser, TransportUser, TransportUser];

  /** carol's mailbox all but full again: a filler in INBOX that leaves her less than 10 KiB. */
  const fillCarol = async (): Promise<void> => {
    const left = LIMIT_KB - (await imapQuota(d, 'carol')).usageKb;
    const c = new ImapFlow(d.clientOptions('carol'));
    await c.connect();
    try {
      await c.append('INBOX', plain('carol filler', (left - 8) * 1024));
    } finally {
      await c.logout();
    }
    await mbs.carol!.sync(mbs.carol!.special.inbox);
  };
  /** Room in carol's mailbox: the filler expunged (by another client). */
  const makeRoom = async (): Promise<void> => {
    const c = new ImapFlow(d.clientOptions('carol'));
    await c.connect();
    try {
      await c.mailboxOpen('INBOX');
      const uids = await c.search({ subject: 'carol filler' }, { uid: true });
      if (uids && uids.length > 0) await c.messageDelete(uids.join(','), { uid: true });
    } finally {
      await c.logout();
    }
    await mbs.carol!.sync(mbs.carol!.special.inbox);
  };

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master', quota: `${LIMIT_KB}K` });
    for (const [user, seed] of Object.entries({
      alice: ['alice small'],
      bob: [],
      carol: ['carol small'],
    })) {
      const c = new ImapFlow(d.clientOptions(user));
      await c.connect();
      try {
        await c.mailboxCreate('Archive');
        for (const s of seed) await c.append('INBOX', plain(s));
      } finally {
        await c.logout();
      }
    }
    const cap = capture();
    lines = cap.lines;
    store = imapStoreOn(d, tmp, cap.log, { refreshMinMs: 0 });
    transport = new MailTransport({ store, directory, log: cap.log, localDomain: 'example.org', heloName: 'ocng.test' });
    for (const u of USERS) mbs[u.username] = (await store.openMailbox(owner(u))) as ImapMailbox;
    await fillCarol();
  }, 120_000);
  afterAll(async () => {
    await transport?.idle();
    await store?.close();
    await d?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the store object carries the IMAP quota: the limit in KiB (receive, send; warning at the default 90%) and the usage in bytes', async () => {
    const q = await imapQuota(d, 'alice');
    expect(q.limitKb).toBe(LIMIT_KB);
    const props = await mbs.alice!.storeProps(QUOTA_TAGS);
    expect(props).toEqual([
      { tag: PidTagProhibitReceiveQuota, value: LIMIT_KB },
      { tag: PidTagProhibitSendQuota, value: LIMIT_KB },
      { tag: PidTagStorageQuotaLimit, value: Math.floor(LIMIT_KB * 0.9) },
      { tag: PidTagMessageSizeExtended, value: BigInt(q.usageKb) * 1024n },
    ]);
    // all properties of the store object (RopGetPropertiesAll, RopGetPropertiesList) include them once
    const all = await mbs.alice!.storeProps();
    for (const tag of QUOTA_TAGS) expect(all.filter((p) => p.tag === tag)).toHaveLength(1);
    // carol's mailbox is all but full
    const carol = await mbs.carol!.storeProps([PidTagMessageSizeExtended]);
    expect(carol[0]).toEqual({ tag: PidTagMessageSizeExtended, value: BigInt((await imapQuota(d, 'carol')).usageKb) * 1024n });
    expect(Number((carol[0] as { value: bigint }).value)).toBeGreaterThan(90 * 1024);
  });

  it('the quota is kept for a minute: another read asks the server nothing, a refresh sees what changed', async () => {
    const before = await mbs.alice!.storeProps([PidTagMessageSizeExtended]);
    const c = new ImapFlow(d.clientOptions('alice'));
    await c.connect();
    await c.append('INBOX', plain('alice second', 8 * 1024));
    await c.logout();
    expect(await mbs.alice!.storeProps([PidTagMessageSizeExtended])).toEqual(before);
    await mbs.alice!.quota.refresh();
    const after = await mbs.alice!.storeProps([PidTagMessageSizeExtended]);
    expect(after).toEqual([{ tag: PidTagMessageSizeExtended, value: BigInt((await imapQuota(d, 'alice')).usageKb) * 1024n }]);
    expect((after[0] as { value: bigint }).value).toBeGreaterThan((before[0] as { value: bigint }).value);
    await mbs.alice!.sync(mbs.alice!.special.inbox);
  });

  it('a new message saved over quota: ecQuotaExceeded, no local message, nothing on IMAP, a coded log line; saved once there is room', async () => {
    const carol = mbs.carol!;
    const drafts = carol.special.drafts;
    const m = await newMail(carol, drafts, 'too big for carol', 20);
    const from = lines.length;
    await expect(m.save()).rejects.toMatchObject({ code: 'OC_IMAP_QUOTA', ec: EC_QUOTA_EXCEEDED });
    expect(m.mid).toBeNull();
    expect(await subjects(carol, drafts)).not.toContain('too big for carol');
    expect(await imapSubjects(d, 'carol', 'Drafts')).toEqual([]);
    const line = lines.slice(from).find((l) => l.code === 'OC_IMAP_QUOTA');
    expect(line).toMatchObject({ level: 40, user: 'carol', mailbox: 'Drafts', op: 'saveMessage' });
    expect(String(line!.err)).toContain('OVERQUOTA');
    // the object keeps the client's changes: once another client made room, the same object saves them, once
    await makeRoom();
    try {
      const mid = await m.save();
      expect(mid).toBe(m.mid);
      expect(await subjects(carol, drafts)).toEqual(['too big for carol']);
      expect(await imapSubjects(d, 'carol', 'Drafts')).toEqual(['too big for carol']);
      expect(await carol.sync(drafts)).toMatchObject({ added: 0, deleted: 0 });
      await m.discard();
      await carol.deleteMessages(drafts, [mid], { hard: true });
    } finally {
      await fillCarol();
    }
  });

  it('an edit saved over quota: ecQuotaExceeded, the message stays as it was locally and on IMAP (same UID)', async () => {
    const carol = mbs.carol!;
    const inbox = carol.special.inbox;
    const [row] = (await carol.contentsRows(inbox, { tags: [T.Subject] })).filter((r) => r.props.get(T.Subject) === 'carol small');
    const mid = row!.id;
    const c = new ImapFlow(d.clientOptions('carol'));
    await c.connect();
    await c.mailboxOpen('INBOX', { readOnly: true });
    const uidsBefore = await c.search({ all: true }, { uid: true });
    const m = await carol.openMessage(mid);
    await m.setProps([{ tag: T.Body, value: body(20) }, { tag: T.Subject, value: 'carol small, edited' }]);
    await expect(m.save()).rejects.toMatchObject({ code: 'OC_IMAP_QUOTA', ec: EC_QUOTA_EXCEEDED });
    // the client's object still holds its edit, unsaved
    expect((await m.getProps([T.Subject]))[0]).toMatchObject({ value: 'carol small, edited' });
    const stored = await carol.openMessage(mid);
    expect((await stored.getProps([T.Subject]))[0]).toMatchObject({ value: 'carol small' });
    expect(String(((await stored.getProps([T.Body]))[0] as { value: string }).value)).toContain('Body line of the message.');
    await stored.discard();
    expect(await c.search({ all: true }, { uid: true })).toEqual(uidsBefore);
    await c.logout();
    expect(await imapSubjects(d, 'carol', 'INBOX')).toEqual(['carol small', 'carol filler']);
    expect(await carol.sync(inbox)).toMatchObject({ added: 0, deleted: 0, fetchedBodies: 0 });
    // once there is room the same object saves the edit (no conflict with the version put back): a new APPEND, the old
    // UID expunged, the same MID
    await makeRoom();
    try {
      expect(await m.save()).toBe(mid);
      await m.discard();
      expect(await subjects(carol, inbox)).toEqual(['carol small, edited']);
      expect(await imapSubjects(d, 'carol', 'INBOX')).toEqual(['carol small, edited']);
      expect(await carol.sync(inbox)).toMatchObject({ added: 0, deleted: 0, fetchedBodies: 0 });
    } finally {
      await fillCarol();
    }
  });

  it('a cached-mode upload (a save with ICS tracking) over quota: not taken back, the save succeeds, the message stays here with its client PCL', async () => {
    const carol = mbs.carol!;
    const drafts = carol.special.drafts;
    const key = encodeXid('1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', 0x9001n);
    const pcl = encodePcl(mergePcl([{ guid: readGuid(key, 0), localId: Buffer.from(key.subarray(16)) }]));
    const m = await newMail(carol, drafts, 'carol offline draft', 20);
    const from = lines.length;
    // as ImportedMessage (RopSynchronizationImportMessageChange) saves the client's version
    const mid = await m.save({ tracking: { sourceKey: key, changeKey: key, pcl, pclMode: 'replace' } });
    await m.discard();
    try {
      expect(await subjects(carol, drafts)).toEqual(['carol offline draft']);
      expect(await imapSubjects(d, 'carol', 'Drafts')).toEqual([]);
      const [sk, ck, stored] = await carol.getMessageProps(mid, [TAG.SourceKey, TAG.ChangeKey, TAG.PredecessorChangeList]);
      expect(sk).toEqual({ tag: TAG.SourceKey, value: key });
      expect(ck).toEqual({ tag: TAG.ChangeKey, value: key });
      expect(stored).toEqual({ tag: TAG.PredecessorChangeList, value: pcl });
      const line = lines.slice(from).find((l) => l.code === 'OC_IMAP_QUOTA');
      expect(line).toMatchObject({ level: 40, user: 'carol', mailbox: 'Drafts', op: 'saveMessage' });
      expect(String(line!.msg)).toMatch(/cached-mode upload .*stays on this server only/);
      expect(lines.slice(from).filter((l) => /taken back|removed again|previous version/.test(String(l.msg)))).toEqual([]);
    } finally {
      await carol.deleteMessages(drafts, [mid], { hard: true });
    }
  });

  it('a take-back only while the message is what the refused save stored: a change made meanwhile stays, the client still gets ecQuotaExceeded', async () => {
    const carol = mbs.carol!;
    const drafts = carol.special.drafts;
    await makeRoom();
    let mid: bigint;
    try {
      const first = await newMail(carol, drafts, 'carol cn draft', 1);
      mid = await first.save();
      await first.discard();
    } finally {
      await fillCarol();
    }
    expect(await imapSubjects(d, 'carol', 'Drafts')).toEqual(['carol cn draft']);
    const writer = (carol as unknown as { writer: ImapWriter }).writer;
    const saveMessage = writer.saveMessage;
    // between the save and its take-back a sync applies another client's flag (setMessageProps of the local store)
    writer.saveMessage = async (fid, id) => {
      await carol.local.setMessageProps(id, [{ tag: PidTagFlagStatus, value: 2 }]);
      return saveMessage.call(writer, fid, id);
    };
    const m = await carol.openMessage(mid);
    const from = lines.length;
    try {
      await m.setProps([{ tag: T.Body, value: body(20) }, { tag: T.Subject, value: 'carol cn draft, edited' }]);
      await expect(m.save()).rejects.toMatchObject({ code: 'OC_IMAP_QUOTA', ec: EC_QUOTA_EXCEEDED });
    } finally {
      writer.saveMessage = saveMessage;
      await m.discard();
    }
    try {
      // the newer change is not overwritten by the version stored before: the message stays as it is now
      const [flag, subject] = await carol.getMessageProps(mid, [PidTagFlagStatus, T.Subject]);
      expect(flag).toEqual({ tag: PidTagFlagStatus, value: 2 });
      expect(subject).toMatchObject({ value: 'carol cn draft, edited' });
      expect(lines.slice(from).find((l) => /not taken back/.test(String(l.msg)))).toMatchObject({ level: 40, user: 'carol' });
      expect(await imapSubjects(d, 'carol', 'Drafts')).toEqual(['carol cn draft']);
    } finally {
      await carol.deleteMessages(drafts, [mid], { hard: true });
    }
    expect(await imapSubjects(d, 'carol', 'Drafts')).toEqual([]);
  });

  it('a submission to a full and a roomy mailbox: the roomy one gets it, the sender one NDR naming the full one, nobody else a report', async () => {
    const alice = mbs.alice!;
    const m = await newMail(alice, alice.special.outbox, 'hello both', 20);
    await m.setRecipients([rcpt(0, BOB, MAPI_TO), rcpt(1, CAROL, MAPI_CC)]);
    const mid = await m.save();
    await m.discard();
    const from = lines.length;
    const r = await transport.submit({ mailbox: alice, mid });
    await r.external;
    const byUser = Object.fromEntries(r.recipients.map((o) => [o.username, o]));
    expect(byUser.bob).toMatchObject({ status: 'delivered' });
    expect(byUser.carol).toMatchObject({ status: 'failed' });
    expect(byUser.carol!.reason).toMatch(/mailbox of carol is full/);
    // bob has it, locally and on IMAP; carol has it nowhere
    expect(await subjects(mbs.bob!, mbs.bob!.special.inbox)).toEqual(['hello both']);
    expect(await imapSubjects(d, 'bob', 'INBOX')).toEqual(['hello both']);
    expect(await subjects(mbs.carol!, mbs.carol!.special.inbox)).not.toContain('hello both');
    expect(await imapSubjects(d, 'carol', 'INBOX')).not.toContain('hello both');
    expect(await mbs.carol!.sync(mbs.carol!.special.inbox)).toMatchObject({ added: 0, deleted: 0 });
    // alice: one non-delivery report naming carol's full mailbox (in her Inbox, on IMAP too)
    const rows = await alice.contentsRows(alice.special.inbox, { tags: [T.MessageClass, T.Subject, T.Body] });
    const ndrs = rows.filter((x) => String(x.props.get(T.MessageClass)).startsWith('REPORT.'));
    expect(ndrs).toHaveLength(1);
    expect(ndrs[0]!.props.get(T.Subject)).toBe('Undeliverable: hello both');
    const text = String(ndrs[0]!.props.get(T.Body));
    expect(text).toContain(CAROL.legacyExchangeDN);
    expect(text).toContain('mailbox of carol is full');
    expect(text).not.toContain(BOB.legacyExchangeDN);
    expect(await imapSubjects(d, 'alice', 'INBOX')).toContain('Undeliverable: hello both');
    for (const u of ['bob', 'carol']) {
      const inbox = await mbs[u]!.contentsRows(mbs[u]!.special.inbox, { tags: [T.MessageClass] });
      expect(inbox.filter((x) => String(x.props.get(T.MessageClass)).startsWith('REPORT.'))).toEqual([]);
    }
    // the sender's copy is in Sent Items (and \Sent)
    expect(await subjects(alice, alice.special.sentItems)).toEqual(['hello both']);
    // log lines with the code, the user and the mailbox
    expect(lines.slice(from).find((l) => l.code === 'OC_IMAP_QUOTA' && l.user === 'carol')).toMatchObject({ mailbox: 'INBOX', op: 'saveMessage' });
    expect(lines.slice(from).find((l) => l.msg === 'local delivery failed')).toMatchObject({ to: 'carol', code: 'OC_IMAP_QUOTA' });
  });

  it('a copy into a mirrored folder over quota: ecQuotaExceeded, no copy anywhere; a move within the mailbox still works', async () => {
    const carol = mbs.carol!;
    const inbox = carol.special.inbox;
    const archive = (await carol.findChild(carol.special.ipmSubtree, 'Archive'))!;
    const [row] = (await carol.contentsRows(inbox, { tags: [T.Subject] })).filter((r) => r.props.get(T.Subject) === 'carol filler');
    await expect(carol.moveCopyMessages(inbox, [row!.id], archive, true)).rejects.toMatchObject({ code: 'OC_IMAP_QUOTA', ec: EC_QUOTA_EXCEEDED });
    expect(await subjects(carol, archive)).toEqual([]);
    expect(await imapSubjects(d, 'carol', 'Archive')).toEqual([]);
    expect(await subjects(carol, inbox)).toContain('carol filler');
    // Dovecot does not count a MOVE within the quota root: it goes through, there and back
    await carol.moveCopyMessages(inbox, [row!.id], archive, false);
    expect(await imapSubjects(d, 'carol', 'Archive')).toEqual(['carol filler']);
    await carol.moveCopyMessages(archive, [row!.id], inbox, false);
    expect(await imapSubjects(d, 'carol', 'Archive')).toEqual([]);
    expect(await carol.sync(archive)).toMatchObject({ added: 0, deleted: 0 });
  });

  it('a move and a copy from a local-only folder into a mirrored one over quota: ecQuotaExceeded, the message back where it was', async () => {
    const carol = mbs.carol!;
    const archive = (await carol.findChild(carol.special.ipmSubtree, 'Archive'))!;
    const { fid: notes } = await carol.createFolder(carol.special.ipmSubtree, { displayName: 'Local notes', containerClass: 'IPF.StickyNote' });
    expect(await carol.mirror.ctx.imap.folderById(eidGlobcnt(notes))).toBeNull(); // not on IMAP
    const m = await newMail(carol, notes, 'local note', 20);
    const mid = await m.save();
    await m.discard();
    await expect(carol.moveCopyMessages(notes, [mid], archive, false)).rejects.toMatchObject({ code: 'OC_IMAP_QUOTA', ec: EC_QUOTA_EXCEEDED });
    expect(await subjects(carol, notes)).toEqual(['local note']);
    expect(await subjects(carol, archive)).toEqual([]);
    await expect(carol.moveCopyMessages(notes, [mid], archive, true)).rejects.toMatchObject({ code: 'OC_IMAP_QUOTA', ec: EC_QUOTA_EXCEEDED });
    expect(await subjects(carol, notes)).toEqual(['local note']);
    expect(await subjects(carol, archive)).toEqual([]);
    expect(await imapSubjects(d, 'carol', 'Archive')).toEqual([]);
  });

  it('a cached-mode move upload (importMessageMove) from a local-only folder over quota: not taken back, it succeeds', async () => {
    const carol = mbs.carol!;
    const archive = (await carol.findChild(carol.special.ipmSubtree, 'Archive'))!;
    const { fid: notes } = await carol.createFolder(carol.special.ipmSubtree, { displayName: 'Offline notes', containerClass: 'IPF.StickyNote' });
    const m = await newMail(carol, notes, 'offline note', 20);
    const mid = await m.save();
    await m.discard();
    const key = encodeXid('2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', 0x9002n);
    const pcl = encodePcl(mergePcl([{ guid: readGuid(key, 0), localId: Buffer.from(key.subarray(16)) }]));
    const from = lines.length;
    const id = await carol.importMessageMove(mid, archive, { sourceKey: key, changeKey: key, pcl, pclMode: 'replace' });
    try {
      expect(await carol.local.folderOfMessage(id)).toBe(archive);
      expect(await subjects(carol, notes)).toEqual([]);
      expect(await imapSubjects(d, 'carol', 'Archive')).toEqual([]);
      expect(lines.slice(from).find((l) => l.code === 'OC_IMAP_QUOTA')).toMatchObject({ level: 40, user: 'carol', op: 'moveMessages' });
      expect(lines.slice(from).filter((l) => /moved back/.test(String(l.msg)))).toEqual([]);
    } finally {
      await carol.deleteMessages(archive, [id], { hard: true });
    }
  });

  it('below the quota everything works as before: a save, a copy and a move reach IMAP', async () => {
    const bob = mbs.bob!;
    const archive = (await bob.findChild(bob.special.ipmSubtree, 'Archive'))!;
    const m = await newMail(bob, bob.special.drafts, 'bob draft', 10);
    const mid = await m.save();
    await m.discard();
    expect(await imapSubjects(d, 'bob', 'Drafts')).toEqual(['bob draft']);
    await bob.moveCopyMessages(bob.special.drafts, [mid], archive, true);
    await bob.moveCopyMessages(bob.special.drafts, [mid], bob.special.inbox, false);
    expect(await imapSubjects(d, 'bob', 'Archive')).toEqual(['bob draft']);
    expect((await imapSubjects(d, 'bob', 'INBOX')).sort()).toEqual(['bob draft', 'hello both']);
    expect(await imapSubjects(d, 'bob', 'Drafts')).toEqual([]);
    for (const fid of [archive, bob.special.inbox, bob.special.drafts]) expect(await bob.sync(fid)).toMatchObject({ added: 0, deleted: 0 });
    expect(lines.filter((l) => l.code === 'OC_IMAP_QUOTA' && l.user === 'bob')).toEqual([]);
    // and the store object's usage follows what bob keeps on IMAP
    await bob.quota.refresh();
    const usage = (await imapQuota(d, 'bob')).usageKb;
    expect(usage).toBeGreaterThan(20);
    expect(await bob.storeProps([PidTagMessageSizeExtended, PidTagProhibitSendQuota])).toEqual([
      { tag: PidTagMessageSizeExtended, value: BigInt(usage) * 1024n },
      { tag: PidTagProhibitSendQuota, value: LIMIT_KB },
    ]);
  });
});

describe('IMAP server without QUOTA', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-noquota-'));
  let d: Dovecot;
  let store: ImapStore;

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
    store = imapStoreOn(d, tmp, pino({ level: 'silent' }));
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await d?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the store object is as the local store has it: no quota properties, the size of the local mirror', async () => {
    const mb = (await store.openMailbox(owner(USERS[0]!))) as ImapMailbox;
    const props = await mb.storeProps(QUOTA_TAGS);
    expect(props).toEqual(await mb.local.storeProps(QUOTA_TAGS));
    expect(props.slice(0, 3).every((p) => 'error' in p)).toBe(true);
  });
});

describe('EMSMDB: the quota through the project\'s client (imap_quota.py)', () => {
  let w: ImapWorld;
  let run: Json;
  let usageKb: number;

  beforeAll(async () => {
    // the warning and send levels as an administrator sets them: shares of the IMAP limit
    w = await startImapWorld({
      dovecot: { mode: 'master', quota: `${LIMIT_KB}K` },
      imap: { quotaWarningPercent: 80, quotaSendPercent: 95 },
      seed: async (admin) => {
        await admin.append('INBOX', plain('alice filler', 90 * 1024));
      },
    });
    usageKb = (await imapQuota(w.d, 'alice')).usageKb;
    const port = w.ts.server.ports.epm ?? w.ts.server.ports.rpc;
    run = await runPythonJson<Json>('emsmdb/imap_quota.py', [
      '--host', '127.0.0.1', '--epm-port', String(port), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN,
      '--subject', 'over the quota', '--body-bytes', String(40 * 1024),
    ], 120_000);
  }, 180_000);
  afterAll(async () => {
    await w?.close();
  });

  it('every step of the client ran', () => {
    for (const s of run.steps as Json[]) expect(s.ok, `${s.name}: ${s.error} ${JSON.stringify(run.errors)}`).toBe(true);
  });

  it('RopGetPropertiesSpecific on the logon: the quota in KiB (send and warning at imap.quotaSendPercent and quotaWarningPercent) and the usage in bytes', () => {
    expect(run.quota).toEqual({ flagged: false, values: [LIMIT_KB, Math.floor(LIMIT_KB * 0.95), Math.floor(LIMIT_KB * 0.8), usageKb * 1024] });
  });

  it('RopSaveChangesMessage of a message over the quota answers ecQuotaExceeded; no message is left, here or on IMAP', async () => {
    expect(run.save.ReturnValue).toBe(EC_QUOTA_EXCEEDED);
    expect(await subjects(w.mb, w.mb.special.inbox)).toEqual(['alice filler']);
    expect(await imapSubjects(w.d, 'alice', 'INBOX')).toEqual(['alice filler']);
  });
});
