// Special roles that move between mailboxes (src/mapistore/backends/imap/folders.ts syncHierarchy) against a real
// Dovecot whose config has no SPECIAL-USE mailboxes, so the roles come from top-level names (Sent, Sent Items, Junk,
// Spam, Trash, Deleted Items; the first in LIST order wins). Another IMAP client (imapflow) deletes or creates the
// mailbox that held a role:
// - a mailbox that GAINS a role: its messages end up in the special folder, its old ordinary folder is deleted (or,
//   holding local-only content, kept with a warning), and its children's folders move under the special folder with
//   their FIDs and MIDs;
// - a mailbox that LOSES its role: it gets an ordinary folder, and its children's folders move out of the special
//   folder under that one; nothing is left behind or duplicated.
// - a pass cut short mid-way (an index write or a folder move made to fail once) is finished by the next passes: no
//   orphan folder, the children under the special folder.
// - a folder that got " (IMAP)" because its mailbox's name was taken gets the name back once it is free.
// And, with Dovecot's LAYOUT=fs (whose mailbox names may be longer than 255 characters) on both index providers
// (SQLite, MariaDB): a mailbox whose name is longer than the index's imap_name column is left out with a warning,
// while its siblings are mirrored and mailboxes gone from IMAP are deleted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { captureLog } from '../helpers/log-capture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidGlobcnt, makeEid } from '../../src/mapi/ids.js';
import { ImapCredentials } from '../../src/mapistore/backends/imap/credentials.js';
import { ImapMirror } from '../../src/mapistore/backends/imap/mirror.js';
import { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import type { MailboxEvent } from '../../src/mapistore/events.js';
import { COLUMN_CHARS } from '../../src/mapistore/index/mysql-schema.js';
import { MysqlIndexProvider } from '../../src/mapistore/index/mysql.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { hasImapIndex, type ImapFolderRow, type ImapIndex } from '../../src/mapistore/index/types.js';
import { TAG } from '../../src/mapistore/tags.js';
import { poolSettings, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { MASTER_AUTH } from '../helpers/imap-test.js';
import { MariaDb } from '../helpers/mariadb.js';
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

interface LogLine {
  level: number;
  msg: string;
  mailbox?: string;
}

/** A mailbox of `store` mirrored from `d` (its log lines collected in `logLines`), and another IMAP client of the user. */
async function openUser(d: Dovecot, pool: ImapPool, store: LocalStore, username: string, logLines: LogLine[]): Promise<User> {
  const mb = (await store.openMailbox({ username, displayName: username, legacyDn: `/o=t/ou=t/cn=Recipients/cn=${username}` })) as LocalMailbox;
  if (!hasImapIndex(mb.index)) throw new Error('the index has no IMAP tables');
  const mirror = new ImapMirror({ mailbox: mb, pool, username, log: captureLog('debug', logLines).log });
  const other = new ImapFlow(d.clientOptions(username));
  await other.connect();
  const events: MailboxEvent[] = [];
  mb.events.subscribe((ev) => events.push(ev));
  return { mb, imap: mb.index.imap, mirror, other, events };
}

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

/**
 * Junk, Spam (holding one message, `subject`) and Spam/Reported made by the other client and mirrored: Junk takes the
 * Junk E-mail role, Spam is an ordinary folder with Reported under it.
 */
async function junkAndSpam(u: User, subject: string): Promise<{ spam: bigint; reported: bigint }> {
  const { mb, other } = u;
  for (const p of ['Junk', 'Spam', 'Spam/Reported']) await other.mailboxCreate(p);
  await other.append('Spam', message(subject));
  await syncAll(u);
  expect(await folderOf(u, 'Junk')).toBe(mb.special.junk);
  const spam = await folderOf(u, 'Spam');
  expect(spam).not.toBe(mb.special.junk);
  const reported = await folderOf(u, 'Spam/Reported');
  expect(await mb.parentOf(reported)).toBe(spam);
  return { spam, reported };
}
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
/** The folders below the IPM subtree (not special) that no imap_folders row maps: orphans of the mirror. */
const unmapped = async (u: User, fid = u.mb.special.ipmSubtree): Promise<unknown[]> => {
  const special = new Set(Object.values(u.mb.special));
  const out: unknown[] = [];
  for (const c of await u.mb.children(fid)) {
    if (!special.has(c) && (await u.imap.folderById(eidGlobcnt(c))) === null) out.push(await nameOf(u, c));
    out.push(...(await unmapped(u, c)));
  }
  return out;
};

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank', 'ivan'];

describe('IMAP mirror: special roles gained and lost (name-based roles, Dovecot)', () => {
  let d: Dovecot;
  let pool: ImapPool;
  let store: LocalStore;
  const logLines: LogLine[] = [];
  const users: User[] = [];

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master', users: Object.fromEntries(USERS.map((n) => [n, `${n}-secret`])) });
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
    const u = await openUser(d, pool, store, username, logLines);
    users.push(u);
    return u;
  };

  it('a folder Outlook moved into a Deleted Items that IMAP has no mailbox for stays there (the move could not be written back)', async () => {
    const u = await open('ivan');
    const { mb, other } = u;
    await other.mailboxCreate('Projects');
    await syncAll(u);
    expect((await other.list()).map((e) => e.path).sort()).toEqual(['INBOX', 'Projects']);
    const projects = await folderOf(u, 'Projects');
    expect(await mb.parentOf(projects)).toBe(mb.special.ipmSubtree);
    expect(await u.imap.folderById(eidGlobcnt(mb.special.deletedItems))).toBeNull();
    // Outlook deletes the folder: a move into Deleted Items, which has no mailbox to RENAME it under
    await mb.moveFolder(projects, mb.special.deletedItems, 'Projects');
    await syncAll(u);
    await syncAll(u);
    expect(await mb.parentOf(projects)).toBe(mb.special.deletedItems);
    expect(await folderOf(u, 'Projects')).toBe(projects);
  });

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

  it('keeps (with a warning) the old folder of a mailbox that gains a role when it holds a normal local message', async () => {
    const u = await open('bob');
    const { mb, other } = u;
    const { spam, reported } = await junkAndSpam(u, 'spam one');
    // a view Outlook saved in the folder (an FAI message) and a message that never reached IMAP (made in the
    // LocalMailbox itself, which writes nothing back)
    const fai = await mb.newMessage(spam, { associated: true });
    await fai.setProps([{ tag: TAG.Subject, value: 'saved view' }]);
    const faiMid = await fai.save();
    const local = await mb.newMessage(spam);
    await local.setProps([{ tag: TAG.Subject, value: 'only here' }]);
    const localMid = await local.save();

    await other.mailboxDelete('Junk');
    const warnings = logLines.length;
    await syncAll(u);
    expect(await folderOf(u, 'Spam')).toBe(mb.special.junk);
    expect(await subjects(u, mb.special.junk)).toEqual(['spam one']);
    expect(await mb.parentOf(reported)).toBe(mb.special.junk);
    // the folder stays with its local messages, no longer mapped to IMAP, and no mirrored message is left in it
    expect(await mb.folderExists(spam)).toBe(true);
    expect(await u.imap.folderById(eidGlobcnt(spam))).toBeNull();
    expect((await mb.contentsRows(spam, { associated: true, tags: [] })).map((r) => r.id)).toEqual([faiMid]);
    expect((await mb.contentsRows(spam, { tags: [] })).map((r) => r.id)).toEqual([localMid]);
    expect(await mb.children(spam)).toEqual([]);
    const warned = logLines.slice(warnings).filter((l) => l.msg === 'IMAP mailbox took a special folder; its former folder holds local content and is kept');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, mailbox: 'Spam' });

    const cn = await mb.currentCn();
    expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn);
  });

  it('deletes the old folder of a mailbox that gains a role when it holds only associated (FAI) messages', async () => {
    const u = await open('frank');
    const { mb, other } = u;
    const { spam, reported } = await junkAndSpam(u, 'spam two');
    // Outlook writes an FAI message whenever the user customises a folder's view
    const fai = await mb.newMessage(spam, { associated: true });
    await fai.setProps([{ tag: TAG.Subject, value: 'saved view' }]);
    const faiMid = await fai.save();

    await other.mailboxDelete('Junk');
    const warnings = logLines.length;
    u.events.length = 0;
    await syncAll(u);
    expect(await folderOf(u, 'Spam')).toBe(mb.special.junk);
    expect(await subjects(u, mb.special.junk)).toEqual(['spam two']);
    expect(await mb.parentOf(reported)).toBe(mb.special.junk);
    // the former folder is gone with its view: mail dropped there later would never have reached IMAP
    expect(await mb.folderExists(spam)).toBe(false);
    expect(await mb.getMessageProps(faiMid).then(() => true, () => false)).toBe(false);
    expect(await unmapped(u)).toEqual([]);
    expect(u.events.some((e) => e.type === 'objectDeleted' && e.fid === spam)).toBe(true);
    expect(logLines.slice(warnings).filter((l) => l.level >= 40)).toEqual([]);

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

  /**
   * Sent holds the role, Sent Items (with children) is an ordinary folder; another client deletes Sent, and `inject`
   * makes one index or store call of the next pass fail. Full passes after it end with the children under the
   * special folder and no orphan.
   */
  const cutShort = async (username: string, inject: (u: User) => () => number): Promise<void> => {
    const u = await open(username);
    const { mb, other } = u;
    for (const p of ['Sent', 'Sent Items', 'Sent Items/2024', 'Sent Items/2024/Q1']) await other.mailboxCreate(p);
    await other.append('Sent', message(`kept in Sent (${username})`));
    await other.append('Sent Items', message(`kept in Sent Items (${username})`));
    await other.append('Sent Items/2024', message(`filed in 2024 (${username})`));
    await syncAll(u);
    const old = await folderOf(u, 'Sent Items');
    expect(await nameOf(u, old)).toBe('Sent Items (IMAP)');
    const y2024 = await folderOf(u, 'Sent Items/2024');
    const q1 = await folderOf(u, 'Sent Items/2024/Q1');
    expect(await mb.parentOf(y2024)).toBe(old);
    const y2024Mids = await mids(u, y2024);

    await other.mailboxDelete('Sent');
    const failures = inject(u);
    await expect(syncAll(u)).rejects.toThrow('injected');
    expect(failures()).toBe(1);
    await syncAll(u);
    await syncAll(u);
    expect(failures()).toBe(1);
    expect(await folderOf(u, 'Sent Items')).toBe(mb.special.sentItems);
    expect(await subjects(u, mb.special.sentItems)).toEqual([`kept in Sent Items (${username})`]);
    expect(await folderOf(u, 'Sent Items/2024')).toBe(y2024);
    expect(await folderOf(u, 'Sent Items/2024/Q1')).toBe(q1);
    expect(await mb.parentOf(y2024)).toBe(mb.special.sentItems);
    expect(await nameOf(u, y2024)).toBe('2024');
    expect(await mb.parentOf(q1)).toBe(y2024);
    expect(await mids(u, y2024)).toEqual(y2024Mids);
    // no orphan: the former folder is gone, every folder below the IPM subtree is mapped
    expect(await mb.folderExists(old)).toBe(false);
    expect(await allNames(u)).not.toContain('Sent Items (IMAP)');
    expect(await unmapped(u)).toEqual([]);
    const cn = await mb.currentCn();
    expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn);
  };

  it('a pass cut short by an index write failing while the special folder is mapped is finished by the next passes', async () => {
    await cutShort('dave', (u) => {
      let failed = 0;
      const put = u.imap.putFolders.bind(u.imap);
      const sentItems = eidGlobcnt(u.mb.special.sentItems);
      u.imap.putFolders = async (rows: readonly ImapFolderRow[]): Promise<void> => {
        if (failed === 0 && rows.some((r) => r.folderGlobcnt === sentItems && r.imapName === 'Sent Items')) {
          failed++;
          throw new Error('injected: index write failed');
        }
        return put(rows);
      };
      return () => failed;
    });
  });

  it('a pass cut short by a folder move failing is finished by the next passes', async () => {
    await cutShort('erin', (u) => {
      let failed = 0;
      const move = u.mb.moveFolder.bind(u.mb);
      u.mb.moveFolder = async (fid: bigint, parent: bigint, name?: string): Promise<void> => {
        if (failed === 0) {
          failed++;
          throw new Error('injected: folder move failed');
        }
        return move(fid, parent, name);
      };
      return () => failed;
    });
  });

  it('a pass cut short after a mailbox lost its role, before its new folder was mapped, is finished by the next passes', async () => {
    const u = await open('hank');
    const { mb, other } = u;
    for (const p of ['Trash', 'Trash/Old']) await other.mailboxCreate(p);
    await other.append('Trash', message('thrown away (hank)'));
    await other.append('Trash/Old', message('thrown away long ago (hank)'));
    await syncAll(u);
    const oldFolder = await folderOf(u, 'Trash/Old');
    expect(await mb.parentOf(oldFolder)).toBe(mb.special.deletedItems);
    const oldMids = await mids(u, oldFolder);

    // "Deleted Items" takes the role; the row of Trash's new ordinary folder fails to be written once: the folder is
    // made, Trash/Old is still under Deleted Items
    await other.mailboxCreate('Deleted Items');
    let failed = 0;
    const put = u.imap.putFolders.bind(u.imap);
    u.imap.putFolders = async (rows: readonly ImapFolderRow[]): Promise<void> => {
      if (failed === 0 && rows.some((r) => r.imapName === 'Trash' && r.folderGlobcnt !== eidGlobcnt(mb.special.deletedItems))) {
        failed++;
        throw new Error('injected: index write failed');
      }
      return put(rows);
    };
    await expect(syncAll(u)).rejects.toThrow('injected');
    expect(failed).toBe(1);
    await syncAll(u);
    await syncAll(u);
    expect(await folderOf(u, 'Deleted Items')).toBe(mb.special.deletedItems);
    const trash = await folderOf(u, 'Trash');
    expect(await mb.parentOf(trash)).toBe(mb.special.ipmSubtree);
    expect(await nameOf(u, trash)).toBe('Trash');
    expect(await subjects(u, trash)).toEqual(['thrown away (hank)']);
    expect(await folderOf(u, 'Trash/Old')).toBe(oldFolder);
    expect(await mb.parentOf(oldFolder)).toBe(trash);
    expect(await mids(u, oldFolder)).toEqual(oldMids);
    expect(await mb.children(mb.special.deletedItems)).toEqual([]);
    expect((await allNames(u)).filter((n) => String(n).startsWith('Trash') || n === 'Old')).toEqual(['Trash', 'Old']);
    expect(await unmapped(u)).toEqual([]);
    const cn = await mb.currentCn();
    expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn);
  });

  it('a folder renamed "2024 (IMAP)" because its name was taken gets the name back once it is free', async () => {
    const u = await open('gina');
    const { mb, other } = u;
    for (const p of ['Sent', 'Sent/2024', 'Sent Items', 'Sent Items/2024']) await other.mailboxCreate(p);
    await other.append('Sent/2024', message('sent in 2024'));
    await other.append('Sent Items/2024', message('filed in 2024 too'));
    await syncAll(u);
    const sent2024 = await folderOf(u, 'Sent/2024');
    expect(await mb.parentOf(sent2024)).toBe(mb.special.sentItems);
    const items2024 = await folderOf(u, 'Sent Items/2024');
    expect(await nameOf(u, items2024)).toBe('2024');

    // another client renames Sent (with its child) to Zarchive: Sent Items takes the role, and its child's folder moves
    // under Sent Items while Sent/2024's folder (found renamed: same FID) is still there, so it is "2024 (IMAP)" at first
    await other.mailboxRename('Sent', 'Zarchive');
    await syncAll(u);
    expect(await folderOf(u, 'Sent Items')).toBe(mb.special.sentItems);
    expect(await folderOf(u, 'Zarchive/2024')).toBe(sent2024);
    const zarchive = await folderOf(u, 'Zarchive');
    expect(await mb.parentOf(sent2024)).toBe(zarchive);
    expect(await nameOf(u, sent2024)).toBe('2024');
    expect(await folderOf(u, 'Sent Items/2024')).toBe(items2024);
    expect(await mb.parentOf(items2024)).toBe(mb.special.sentItems);
    expect(await nameOf(u, items2024)).toBe('2024');
    expect((await allNames(u)).filter((n) => String(n).includes('(IMAP'))).toEqual([]);
    expect(await subjects(u, items2024)).toEqual(['filed in 2024 too']);
    expect(await subjects(u, sent2024)).toEqual(['sent in 2024']);
    expect(await unmapped(u)).toEqual([]);

    const cn = await mb.currentCn();
    expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.currentCn()).toBe(cn);
  });
});

describe('IMAP mirror: a mailbox name longer than the index holds (Dovecot LAYOUT=fs, SQLite and MariaDB)', () => {
  let d: Dovecot;
  let db: MariaDb;
  let pool: ImapPool;
  const stores: LocalStore[] = [];
  const users: User[] = [];
  const logLines: LogLine[] = [];

  beforeAll(async () => {
    [d, db] = await Promise.all([startDovecot({ mode: 'master' }), MariaDb.start()]);
    // Maildir++ keeps a whole mailbox name in one directory name (255 bytes at most); LAYOUT=fs one level per directory
    const conf = fs.readFileSync(d.conf, 'utf8');
    const fsLayout = conf.replace('mail_location = maildir:~/Maildir\n', 'mail_location = maildir:~/Maildir:LAYOUT=fs\n');
    expect(fsLayout).not.toBe(conf);
    fs.writeFileSync(d.conf, fsLayout);
    await d.restart();
    pool = new ImapPool(poolSettings(d), new ImapCredentials(MASTER_AUTH), pino({ level: 'silent' }));
  }, 120_000);

  afterAll(async () => {
    for (const u of users) await u.other.logout().catch(() => undefined);
    await pool?.close();
    for (const s of stores) await s.close();
    await d?.stop();
    await db?.stop();
  }, 60_000);

  // Long/aaa.../bbb.../ccc... is 607 characters; a child of it with 100 more is longer than the imap_name column
  const deep = ['Long', 'a'.repeat(200), 'b'.repeat(200), 'c'.repeat(200)].join('/');
  const tooLong = `${deep}/${'m'.repeat(100)}`;
  const sibling = `${deep}/zz`;

  for (const [provider, username] of [['SQLite', 'alice'], ['MariaDB', 'bob']] as const) {
    it(`${provider}: left out (with its children) with one warning; a sibling after it is mirrored, a mailbox gone from IMAP deleted`, async () => {
      expect(tooLong.length).toBeGreaterThan(COLUMN_CHARS.imapName);
      const index = provider === 'SQLite'
        ? new SqliteIndexProvider(path.join(tmp, 'long.sqlite'))
        : new MysqlIndexProvider({ url: db.url, poolSize: 4, queryTimeoutMs: 10_000 });
      const store = new LocalStore({ mailboxDir: path.join(tmp, `long-${provider}`), index, idBatch: 16 });
      stores.push(store);
      await store.init();
      const u = await openUser(d, pool, store, username, logLines);
      users.push(u);
      const { mb, other } = u;
      for (const p of ['Gone', deep]) await other.mailboxCreate(p);
      await syncAll(u);
      const gone = await folderOf(u, 'Gone');
      const deepFid = await folderOf(u, deep);

      await other.mailboxDelete('Gone');
      for (const p of [tooLong, `${tooLong}/child`, sibling]) await other.mailboxCreate(p);
      await other.append(sibling, message(`filed deep (${provider})`));
      const before = logLines.length;
      await syncAll(u);
      expect(await u.mirror.folderOf(tooLong)).toBeNull();
      expect(await u.mirror.folderOf(`${tooLong}/child`)).toBeNull();
      const sib = await folderOf(u, sibling);
      expect(await mb.parentOf(sib)).toBe(deepFid);
      expect(await subjects(u, sib)).toEqual([`filed deep (${provider})`]);
      expect(await mb.children(deepFid)).toEqual([sib]);
      expect(await mb.folderExists(gone)).toBe(false);
      expect(await u.mirror.folderOf('Gone')).toBeNull();
      const warned = (): LogLine[] => logLines.slice(before).filter((l) => l.level >= 40);
      expect(warned()).toEqual([expect.objectContaining({ msg: 'IMAP mailbox name too long for the index; the mailbox and its children are not mirrored', mailbox: tooLong })]);

      // the next passes change nothing and warn no more
      const cn = await mb.currentCn();
      expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
      await syncAll(u);
      expect(await mb.currentCn()).toBe(cn);
      expect(warned()).toHaveLength(1);

      if (provider === 'SQLite') {
        // a row SQLite took for such a mailbox (mirrored before names were held to the column's size) is not taken for
        // a mailbox gone from IMAP
        const kept = (await mb.createFolder(deepFid, { displayName: 'm'.repeat(100), containerClass: 'IPF.Note' })).fid;
        await u.imap.putFolders([{
          folderGlobcnt: eidGlobcnt(kept), imapName: tooLong, uidvalidity: 0, uidnext: 0, highestModseq: 0n, lastSyncCn: 0n,
          syncState: JSON.stringify({ path: tooLong, delimiter: '/', noselect: false }),
        }]);
        expect(await u.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
        expect(await mb.folderExists(kept)).toBe(true);
        expect(await u.mirror.folderOf(tooLong)).toBe(kept);
      }
    }, 60_000);
  }
});
