// Folder permissions of the embedded backend (MS-OXCPERM 2.2): the permissions list of each folder, kept in two
// tables of the mailbox file. Called by LocalMailbox (one-line delegates), which serializes the mutations; every
// change runs in one transaction through LocalMailbox.write(), so a RopModifyPermissions is applied whole or not at all.
//
// Choices where the spec leaves room:
// - the Default member (PidTagMemberId 0) and the Anonymous member (0xFFFFFFFFFFFFFFFF) always exist; a folder
//   without a stored value for them has the built-in ones: Default FreeBusySimple on the Calendar (as the example
//   table of MS-OXCPERM 4.1 shows, and Exchange ships), no rights elsewhere; Anonymous no rights;
// - removing the Default or Anonymous member resets it to no rights (they cannot leave the list);
// - user members get ids from an AUTOINCREMENT key: > 0, unique in the mailbox, never reused (MS-OXCPERM 2.2.5 only
//   asks for ids unique in the folder's table);
// - bits outside MS-OXCPERM 2.2.7 are dropped; the mailbox owner has every right whatever the list says and is not
//   listed (as Exchange shows an owner's own folders: Default and Anonymous only);
// - users are matched by directory username, case-insensitively; the display name and DN are kept as they were
//   when the entry was added (the table shows them without a directory round trip);
// - entries of deleted folders are dropped when the mailbox is first used for permissions (FIDs are never reused);
// - a change is reported on the mailbox's bus as ObjectModified of the folder with tags
//   [PidTagAccessControlListTable] (events.ts FOLDER_TABLE_TAG), so open permissions tables and delegates'
//   hierarchy tables read their rows again.
import type Database from 'better-sqlite3';
import { FOLDER_TABLE_TAG } from '../../events.js';
import { SEC, StoreError } from '../../errors.js';
import {
  MEMBER_ID_ANONYMOUS, MEMBER_ID_DEFAULT, MEMBER_RIGHTS_ALL, MEMBER_RIGHTS_FREEBUSY,
  type PermissionChange, type PermissionEntry,
} from '../../types.js';
import * as ev from './events-emit.js';
import type { LocalMailbox } from './mailbox.js';

export const PERMISSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS folder_permissions (
  member_id INTEGER PRIMARY KEY AUTOINCREMENT,
  fid INTEGER NOT NULL,
  username TEXT NOT NULL COLLATE NOCASE,
  display_name TEXT NOT NULL,
  dn TEXT NOT NULL,
  rights INTEGER NOT NULL,
  UNIQUE (fid, username)
);
CREATE TABLE IF NOT EXISTS folder_permission_defaults (fid INTEGER NOT NULL, member INTEGER NOT NULL, rights INTEGER NOT NULL, PRIMARY KEY (fid, member));
`;

/** `member` column of folder_permission_defaults. */
const DEFAULT_ROW = 0;
const ANONYMOUS_ROW = 1;

/** MS-OXCPERM 2.2.7 FreeBusySimple. */
const FREEBUSY_SIMPLE = 0x00000800;
/** PidTagMemberName of the Anonymous member (MS-OXCPERM 4.1); the Default member's is empty there. */
export const ANONYMOUS_NAME = 'Anonymous';

interface UserRow {
  member_id: number;
  fid: number;
  username: string;
  display_name: string;
  dn: string;
  rights: number;
}

function prepare(db: Database.Database) {
  db.exec(PERMISSIONS_SCHEMA);
  // entries of folders deleted since (FIDs are never reused, so they are only dead weight)
  db.transaction(() => {
    db.prepare('DELETE FROM folder_permissions WHERE fid NOT IN (SELECT fid FROM folders)').run();
    db.prepare('DELETE FROM folder_permission_defaults WHERE fid NOT IN (SELECT fid FROM folders)').run();
  })();
  return {
    users: db.prepare('SELECT * FROM folder_permissions WHERE fid = ? ORDER BY member_id'),
    user: db.prepare('SELECT * FROM folder_permissions WHERE fid = ? AND username = ?'),
    byId: db.prepare('SELECT * FROM folder_permissions WHERE fid = ? AND member_id = ?'),
    ins: db.prepare('INSERT INTO folder_permissions (fid, username, display_name, dn, rights) VALUES (?, ?, ?, ?, ?)'),
    setRights: db.prepare('UPDATE folder_permissions SET rights = ? WHERE member_id = ?'),
    del: db.prepare('DELETE FROM folder_permissions WHERE member_id = ?'),
    delUsers: db.prepare('DELETE FROM folder_permissions WHERE fid = ?'),
    dflt: db.prepare('SELECT rights FROM folder_permission_defaults WHERE fid = ? AND member = ?'),
    setDflt: db.prepare('INSERT OR REPLACE INTO folder_permission_defaults (fid, member, rights) VALUES (?, ?, ?)'),
  };
}
type Statements = ReturnType<typeof prepare>;

/** Prepared statements per mailbox file (tables created on first use, so LocalMailbox needs no setup line). */
const statements = new WeakMap<Database.Database, Statements>();

function st(mb: LocalMailbox): Statements {
  let s = statements.get(mb.db);
  if (!s) {
    s = prepare(mb.db);
    statements.set(mb.db, s);
  }
  return s;
}

/** The folder's GLOBCNT as stored (NotFound for an unknown folder). */
function folderKey(mb: LocalMailbox, fid: bigint): { g: number; calendar: boolean } {
  const r = mb.folderRow(fid);
  return { g: r.fid, calendar: r.special === 'calendar' };
}

function builtinRights(member: number, calendar: boolean): number {
  return member === DEFAULT_ROW && calendar ? FREEBUSY_SIMPLE : 0;
}

function defaultRights(s: Statements, g: number, member: number, calendar: boolean): number {
  const r = s.dflt.get(g, member) as { rights: number } | undefined;
  return r ? r.rights : builtinRights(member, calendar);
}

/** Rights as stored: only the MS-OXCPERM 2.2.7 bits; the old FreeBusy bits when the change keeps them. */
function newRights(rights: number, old: number, keepFreeBusy: boolean | undefined): number {
  const r = (rights >>> 0) & MEMBER_RIGHTS_ALL;
  return keepFreeBusy ? (r & ~MEMBER_RIGHTS_FREEBUSY) | (old & MEMBER_RIGHTS_FREEBUSY) : r;
}

const isOwner = (mb: LocalMailbox, username: string): boolean => username.toLowerCase() === mb.owner.username.toLowerCase();

const specialMember = (id: bigint): number | undefined =>
  id === MEMBER_ID_DEFAULT ? DEFAULT_ROW : id === MEMBER_ID_ANONYMOUS ? ANONYMOUS_ROW : undefined;

/** A user member id as stored (NotFound when it cannot be one). */
function userRowId(id: bigint): number {
  if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new StoreError('OC_STORE_PERMISSION_MEMBER', SEC.NotFound, `no member ${id}`);
  return Number(id);
}

export async function getPermissions(mb: LocalMailbox, fid: bigint): Promise<PermissionEntry[]> {
  const { g, calendar } = folderKey(mb, fid);
  const s = st(mb);
  const out: PermissionEntry[] = [
    { memberId: MEMBER_ID_DEFAULT, username: '', displayName: '', legacyDn: '', rights: defaultRights(s, g, DEFAULT_ROW, calendar) },
    { memberId: MEMBER_ID_ANONYMOUS, username: '', displayName: ANONYMOUS_NAME, legacyDn: '', rights: defaultRights(s, g, ANONYMOUS_ROW, calendar) },
  ];
  for (const r of s.users.all(g) as UserRow[]) {
    out.push({ memberId: BigInt(r.member_id), username: r.username, displayName: r.display_name, legacyDn: r.dn, rights: r.rights });
  }
  return out;
}

export async function rightsOf(mb: LocalMailbox, fid: bigint, username: string): Promise<number> {
  const { g, calendar } = folderKey(mb, fid);
  if (isOwner(mb, username)) return MEMBER_RIGHTS_ALL;
  const s = st(mb);
  const u = s.user.get(g, username) as UserRow | undefined;
  return u ? u.rights : defaultRights(s, g, DEFAULT_ROW, calendar);
}

export function modifyPermissions(
  mb: LocalMailbox,
  fid: bigint,
  changes: readonly PermissionChange[],
  opts: { replace?: boolean } = {},
): Promise<void> {
  return mb.serial(async () => {
    const { g, calendar } = folderKey(mb, fid);
    const s = st(mb);
    for (const c of changes) {
      if (c.op === 'add' && (c.member.username === '' || c.member.legacyDn === '')) {
        throw new StoreError('OC_STORE_PERMISSION_MEMBER', SEC.InvalidParam, 'a permissions entry needs a user');
      }
    }
    // one transaction: a failing change (thrown inside) rolls every change of the call back
    mb.write(() => {
      if (opts.replace) s.delUsers.run(g);
      for (const c of changes) {
        if (c.op === 'add') {
          const old = s.user.get(g, c.member.username) as UserRow | undefined;
          if (old) s.setRights.run(newRights(c.rights, old.rights, c.keepFreeBusy), old.member_id);
          else s.ins.run(g, c.member.username, c.member.displayName, c.member.legacyDn, newRights(c.rights, 0, c.keepFreeBusy));
          continue;
        }
        const special = specialMember(c.memberId);
        if (special !== undefined) {
          const old = defaultRights(s, g, special, calendar);
          s.setDflt.run(g, special, c.op === 'remove' ? 0 : newRights(c.rights, old, c.keepFreeBusy));
          continue;
        }
        const id = userRowId(c.memberId);
        const old = s.byId.get(g, id) as UserRow | undefined;
        if (!old) throw new StoreError('OC_STORE_PERMISSION_MEMBER', SEC.NotFound, `no member ${c.memberId} on folder 0x${fid.toString(16)}`);
        if (c.op === 'remove') s.del.run(id);
        else s.setRights.run(newRights(c.rights, old.rights, c.keepFreeBusy), id);
      }
    });
    if (changes.length > 0 || opts.replace) ev.folderModified(mb, fid, [FOLDER_TABLE_TAG.permissions]);
  });
}

