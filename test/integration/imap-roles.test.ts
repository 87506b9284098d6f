// Special roles that move between mailboxes (src/mapistore/backends/imap/folders.ts syncHierarchy) against a real
// Dovecot whose config has no SPECIAL-USE mailboxes, so the roles come from top-level names (Sent, Sent Items, Junk,
// Spam, Trash, Deleted Items; the first in LIST order wins). Another IMAP client (imapflow) deletes or creates the
// mailbox that held a role:
// - a mailbox that GAINS a role: its messages end up in the special folder, its old ordinary folder is deleted (or,
//   holding local-only content, kept with a warning), and its children's folders move under the special folder with
//   their FIDs and MIDs;
// - a mailbox that LOSES its role: it gets an ordinary folder, and its children's folders move out of the special
//   folder under that one; nothing is left behind or duplicated.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidGlobcnt, makeEid } from '../../src/mapi/ids.js';
import { ImapCredentials } from '../../src/mapistore/backends/imap/credentials.js';
import { ImapMirror } from '../../src/mapistore/backends/imap/mirror.js';
import { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import type { MailboxEvent } from '../../src/mapistore/events.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { hasImapIndex, type ImapIndex } from '../../src/mapistore/index/types.js';
import { TAG } from '../../src/mapistore/tags.js';
import { poolSettings, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { MASTER_AUTH } from '../helpers/imap-test.js';
import { val } from '../mapistore/store-helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-roles-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const message = (subject: string): Buffer =>
  Buffer.from(`From: Eve <eve@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '.')}@example.org>\r\n\r\n${subject}.\r\n`);

interface User {
  mb: LocalMailbox;
  imap: ImapIndex;
  mirror: ImapMirror;
  /** The other IMAP client. */
  other: ImapFlow;
  events: MailboxEvent[];
}

describe('IMAP mirror: special roles gained and lost (name-based roles, Dovecot)', () => {
  let d: Dovecot;
  let pool: ImapPool;
  let store: LocalStore;
  const logLines: { level: number; msg: string; mailbox?: string }[] = [];
  const users: User[] = [];

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
    // no SPECIAL-USE mailboxes (and none created automatically): roles come from names only
    const conf = fs.readFileSync(d.conf, 'utf8');
    const stripped = conf.replace(/^ {2}mailbox \w+ \{\n[^}]*\}\n/gm, '');
    expect(stripped).not.toContain('special_use');
    fs.writeFileSync(d.conf, stripped);
    await d.restart();
    pool = new ImapPool(poolSettings(d), new ImapCredentials(MASTER_AUTH), pino({ level: 'silent' }));
    const index = new SqliteIndexProvider(path.join(tmp, 'index.sqlite'));
    store = new LocalStore({ mailboxDir: path.join(tmp, 'mailboxes'), index, idBatch: 16 });
  }, 60_000);

  afterAll(async () => {
    for (const u of users) await u.other.logout().catch(() => undefined);
    await pool?.close();
    await store?.close();
    await d?.stop();
  });

  const open = async (username: string): Promise<User> => {
    const mb = (await store.openMailbox({ username, displayName: username, legacyDn: `/o=t/ou=t/cn=Recipients/cn=${username}` })) as LocalMailbox;
    if (!hasImapIndex(mb.index)) throw new Error('the SQLite index has no IMAP tables');
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as { level: number; msg: string });
        cb();
      },
    });
    const mirror = new ImapMirror({ mailbox: mb, pool, username, log: pino({ level: 'debug' }, sink) });
    const other = new ImapFlow(d.clientOptions(username));
    await other.connect();
    const events: MailboxEvent[] = [];
    mb.events.subscribe((ev) => events.push(ev));
    const u = { mb, imap: mb.index.imap, mirror, other, events };
    users.push(u);
    return u;
  };

  /** The hierarchy, then every mirrored folder's messages (as the logon and the interval sync do). */
  const syncAll = async (u: User): Promise<void> => {
    await u.mirror.syncHierarchy();
    for (const row of await u.imap.listFolders()) await u.mirror.syncFolder(makeEid(1, row.folderGlobcnt));
  };
  const folderOf = async (u: User, name: string): Promise<bigint> => {
    const f = await u.mirror.folderOf(name);
    if (f === null) throw new Error(`${name} is not mirrored`);
    return f;
  };
  const nameOf = async (u: User, fid: bigint): Promise<unknown> => val(await u.mb.getFolderProps(fid, [TAG.DisplayName]), TAG.DisplayName);
  const subjects = async (u: User, fid: bigint): Promise<unknown[]> =>
    (await u.mb.contentsRows(fid, { tags: [TAG.Subject] })).map((r) => r.props.get(TAG.Subject)).sort();
  const mids = async (u: User, fid: bigint): Promise<bigint[]> => (await u.mb.contentsRows(fid, { tags: [] })).map((r) => r.id).sort();
  /** Display names of every folder of the mailbox below the IPM subtree (to find duplicates and orphans). */
  const allNames = async (u: User, fid = u.mb.special.ipmSubtree): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (const c of await u.mb.children(fid)) out.push(await nameOf(u, c), ...(await allNames(u, c)));
    return out;
  };

  it('a mailbox that gains a special role: messages in the special folder, old folder gone, children moved with their FIDs', async () => {
    const u = await open('alice');
    const { mb, other } = u;
    // the config has no SPECIAL-USE mailboxes: roles come from top-level names
    expect((await other.list()).filter((e) => e.specialUse && e.specialUseSource !== 'name')).toEqual([]);
    for (const p of ['Sent', 'Sent Items', 'Sent Items/2024', 'Sent Items/2024/Q1']) await other.mailboxCreate(p);
    await other.append('Sent', message('kept in Sent'));
    await other.append('Sent Items', message('kept in Sent Items'));
    await other.append('Sent Items/2024', message('filed in 2024'));
    await syncAll(u);
    // "Sent" holds the role (first in LIST order); "Sent Items" is an ordinary folder, renamed: the name is taken
    expect(await folderOf(u, 'Sent')).toBe(mb.special.sentItems);
    const old = await folderOf(u, 'Sent Items');
    expect(old).not.toBe(mb.special.sentItems);
    expect(await mb.parentOf(old)).toBe(mb.special.ipmSubtree);
    expect(await nameOf(u, old)).toBe('Sent Items (IMAP)');
    const y2024 = await folderOf(u, 'Sent Items/2024');
    const q1 = await folderOf(u, 'Sent Items/2024/Q1');
    expect(await mb.parentOf(y2024)).toBe(old);
    expect(await mb.parentOf(q1)).toBe(y2024);
    expect(await subjects(u, mb.special.sentItems)).toEqual(['kept in Sent']);
    expect(await subjects(u, old)).toEqual(['kept in Sent Items']);
    const y2024Mids = await mids(u, y2024);
    expect(y2024Mids).toHaveLength(1);

    // another client deletes "Sent": "Sent Items" takes the role at the next hierarchy sync
    const cn = await mb.currentCn();
    u.events.length = 0;
    await other.mailboxDelete('Sent');
    await syncAll(u);
    expect(await folderOf(u, 'Sent Items')).toBe(mb.special.sentItems);
    expect(await subjects(u, mb.special.sentItems)).toEqual(['kept in Sent Items']);
    // the old folder is gone, from the store and the index
    expect(await mb.folderExists(old)).toBe(false);
    expect(await u.imap.folderById(eidGlobcnt(old))).toBeNull();
    expect(await allNames(u)).not.toContain('Sent Items (IMAP)');
    // the children followed with their FIDs (and so their messages and MIDs)
    expect(await folderOf(u, 'Sent Items/2024')).toBe(y2024);
    expect(await folderOf(u, 'Sent Items/2024/Q1')).toBe(q1);
    expect(await mb.parentOf(y2024)).toBe(mb.special.sentItems);
    expect(await nameOf(u, y2024)).toBe('2024');
    expect(await mb.parentOf(q1)).toBe(y2024);
    expect(await mids(u, y2024)).toEqual(y2024Mids);
    expect((await allNames(u)).filter((n) => n === '2024')).toHaveLength(1);
    // through the LocalMailbox: change tracking and notifications see a moved folder and a deleted one
    expect((await mb.changesSince(mb.special.sentItems, 'folder', cn)).some((c) => c.id === y2024 && !c.deleted)).toBe(true);
    expect((await mb.changesSince(mb.special.ipmSubtree, 'folder', cn)).some((c) => c.id === old && c.deleted)).toBe(true);
    expect(u.events.some((e) => e.type === 'objectMoved' && e.fid === y2024 && e.parentFid === mb.special.sentItems && e.oldParentFid === old)).toBe(true);
    expect(u.events.some((e) => e.type === 'objectDeleted' && e.fid === old)).toBe(true);

    // and it stays so
    const cn2 = await mb.currentCn();
    expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn2);
  });

  it('keeps (with a warning) the old folder of a mailbox that gains a role when it holds local-only content', async () => {
    const u = await open('bob');
    const { mb, other } = u;
    for (const p of ['Junk', 'Spam', 'Spam/Reported']) await other.mailboxCreate(p);
    await other.append('Spam', message('spam one'));
    await syncAll(u);
    expect(await folderOf(u, 'Junk')).toBe(mb.special.junk);
    const spam = await folderOf(u, 'Spam');
    expect(spam).not.toBe(mb.special.junk);
    const reported = await folderOf(u, 'Spam/Reported');
    expect(await mb.parentOf(reported)).toBe(spam);
    // a view Outlook saved in the folder: an FAI message, which IMAP knows nothing of
    const fai = await mb.newMessage(spam, { associated: true });
    await fai.setProps([{ tag: TAG.Subject, value: 'saved view' }]);
    const faiMid = await fai.save();

    await other.mailboxDelete('Junk');
    const warnings = logLines.length;
    await syncAll(u);
    expect(await folderOf(u, 'Spam')).toBe(mb.special.junk);
    expect(await subjects(u, mb.special.junk)).toEqual(['spam one']);
    expect(await mb.parentOf(reported)).toBe(mb.special.junk);
    // the folder stays with its FAI message, no longer mapped to IMAP, and no mirrored message is left in it
    expect(await mb.folderExists(spam)).toBe(true);
    expect(await u.imap.folderById(eidGlobcnt(spam))).toBeNull();
    expect((await mb.contentsRows(spam, { associated: true, tags: [] })).map((r) => r.id)).toEqual([faiMid]);
    expect(await mb.contentsRows(spam, { tags: [] })).toEqual([]);
    expect(await mb.children(spam)).toEqual([]);
    const warned = logLines.slice(warnings).filter((l) => l.msg === 'IMAP mailbox took a special folder; its former folder holds local content and is kept');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, mailbox: 'Spam' });

    const cn = await mb.currentCn();
    expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn);
  });

  it('a mailbox that loses its special role: an ordinary folder of its own, its children moved out of the special folder', async () => {
    const u = await open('carol');
    const { mb, other } = u;
    for (const p of ['Trash', 'Trash/Old']) await other.mailboxCreate(p);
    await other.append('Trash', message('thrown away'));
    await other.append('Trash/Old', message('thrown away long ago'));
    await syncAll(u);
    expect(await folderOf(u, 'Trash')).toBe(mb.special.deletedItems);
    const oldFolder = await folderOf(u, 'Trash/Old');
    expect(await mb.parentOf(oldFolder)).toBe(mb.special.deletedItems);
    const oldMids = await mids(u, oldFolder);
    expect(oldMids).toHaveLength(1);

    // another client creates "Deleted Items", which comes first in LIST order and takes the role
    await other.mailboxCreate('Deleted Items');
    await other.append('Deleted Items', message('deleted in webmail'));
    await syncAll(u);
    expect(await folderOf(u, 'Deleted Items')).toBe(mb.special.deletedItems);
    const trash = await folderOf(u, 'Trash');
    expect(trash).not.toBe(mb.special.deletedItems);
    expect(await mb.parentOf(trash)).toBe(mb.special.ipmSubtree);
    expect(await nameOf(u, trash)).toBe('Trash');
    expect(await subjects(u, mb.special.deletedItems)).toEqual(['deleted in webmail']);
    expect(await subjects(u, trash)).toEqual(['thrown away']);
    // Trash/Old: same FID and MIDs, now under Trash's folder; nothing left under Deleted Items, nothing duplicated
    expect(await folderOf(u, 'Trash/Old')).toBe(oldFolder);
    expect(await mb.parentOf(oldFolder)).toBe(trash);
    expect(await mids(u, oldFolder)).toEqual(oldMids);
    expect(await mb.children(mb.special.deletedItems)).toEqual([]);
    expect((await allNames(u)).filter((n) => n === 'Old' || n === 'Trash')).toEqual(['Trash', 'Old']);

    const cn = await mb.currentCn();
    expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn);
  });
});
