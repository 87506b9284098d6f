// IMAP -> mailbox mirror, the hierarchy half (issue 8 item 1; the pass itself is hierarchy.ts syncHierarchy): the mailboxes of the user's personal namespace
// (RFC 9051 6.3.9 LIST, RFC 2342 NAMESPACE) become folders of the user's LocalMailbox, special ones by RFC 6154
// SPECIAL-USE (\Sent, \Drafts, \Trash, \Junk; INBOX per RFC 9051 5.1); every mapping is an imap_folders row of the
// index (docs/index-store.md), whose `imapName` is the name as the server listed it and whose `syncState` (JSON,
// FolderState below) keeps the decoded path imapflow opens it by.
//
// Choices where the RFCs leave room:
// - a SPECIAL-USE attribute from the server wins; without one, a top-level mailbox named like the usual folders
//   (Sent, Sent Items, Sent Messages, Drafts, Trash, Deleted Items, Deleted Messages, Junk, Junk E-mail, Spam) takes
//   the role; each role goes to one mailbox only (the first in LIST order), the others become ordinary folders.
// - ordinary mailboxes become IPF.Note folders under their parent's folder (under Inbox for INBOX's children, under
//   the IPM subtree at the top); a mailbox whose parent is not listed goes under the IPM subtree. With a personal
//   namespace prefix (RFC 2342; "INBOX." on Courier and Cyrus) the top is directly under the prefix: INBOX.Projects
//   is the top-level folder Projects (atTop).
// - a folder name already taken locally (an IMAP mailbox "Calendar" beside the special Calendar folder) gets
//   " (IMAP)" appended (then " (IMAP 2)", ...), so a special folder is never taken over.
// - \Noselect and \NonExistent mailboxes become folders that never get messages (FolderState.noselect).
// - a rename on the IMAP side is recognised by the mailbox's RFC 8474 MAILBOXID where the server has OBJECTID (Cyrus;
//   each folder's id is kept in its FolderState), else by its UIDVALIDITY (hierarchy.ts renamedMailboxes): the folder follows
//   with its FID and messages; where that is not certain, a delete and a create (a new FID, messages fetched again).
// - a mailbox gone from IMAP: its mirrored folder is deleted hard with its subfolders; a special folder stays,
//   only its mirrored messages go.
// - a mailbox that gains or loses a special role (the mailbox that held it deleted, another one taking it) is mapped
//   afresh: its messages are fetched again into its new folder, its children's folders move under that one (same
//   FIDs, messages and change tracking), and the ordinary folder it leaves is deleted when it holds no normal message
//   and no folder not mapped to IMAP (FAI messages, such as the view Outlook saves for a folder, go with it); with such
//   local-only content it stays, unmapped, with a warning. Every step depends on stored state only (the former row is
//   the last thing to go), so a pass cut short anywhere is finished by the next one.
// - IMAP says where a mail folder belongs (Outlook's moves and renames go back as RENAMEs): a mirrored, non-special
//   folder that is not under its parent mailbox's folder is moved there in any pass, and one that got a " (IMAP)" name
//   takes its mailbox's name back once that is free.
// - a mailbox whose name (as listed) is longer than an index row holds (700 characters, index/mysql-schema.ts
//   COLUMN_CHARS.imapName) is not mirrored, nor are its children, on either index provider: one warning per mailbox.
import type { ImapFlow, ListResponse } from 'imapflow';
import { makeEid } from '../../../mapi/ids.js';
import type { Logger } from '../../../util/log.js';
import { turns } from '../../../util/turns.js';
import { SEC, StoreError } from '../../errors.js';
import { hasImapIndex, type ImapFolderRow, type ImapIndex } from '../../index/types.js';
import type { SpecialFolderName } from '../../types.js';
import type { LocalMailbox } from '../local/mailbox.js';
import type { RawUntagged } from './acl.js';
import type { ImapPool } from './pool.js';

/** What the mirror keeps in ImapFolderRow.syncState (JSON). */
export interface FolderState {
  /** The decoded path imapflow opens the mailbox by (the raw name is ImapFolderRow.imapName). */
  path: string;
  delimiter: string;
  /** \Noselect / \NonExistent: a folder without messages. */
  noselect: boolean;
  /** The special folder the mailbox is mapped onto, if any. */
  special?: SpecialFolderName;
  /** RFC 8474 MAILBOXID (servers with OBJECTID): the mailbox's identity, which a RENAME keeps. */
  mailboxId?: string;
}

export interface MirrorOptions {
  mailbox: LocalMailbox;
  pool: ImapPool;
  username: string;
  log: Logger;
  /** Messages per UID FETCH of new messages (default 200). */
  batchSize?: number;
  /** Message bytes (RFC822.SIZE) per UID FETCH of new messages; a larger message is fetched alone (default 16 MiB). */
  batchBytes?: number;
}

/** The shared state of the mirror's halves (folders.ts, mirror.ts). */
export interface MirrorContext {
  mb: LocalMailbox;
  imap: ImapIndex;
  pool: ImapPool;
  username: string;
  log: Logger;
  batchSize: number;
  batchBytes: number;
  /** Set when the mailbox closes: a running fetch of new messages stops at its next batch (ImapMirror.stop). */
  stopped: boolean;
  /**
   * Runs `fn` when every `fn` given before has settled: the mirror's steps that read and write index rows (a batch
   * stored, flag changes and expunges applied, the folder's state, the hierarchy) and each write-back call take
   * turns, so neither works from rows the other is changing (a message APPENDed by the write-back and found by a
   * sync's SEARCH before its row was written was mirrored a second time).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}


export function mirrorContext(o: MirrorOptions): MirrorContext {
  const index = o.mailbox.index;
  if (!hasImapIndex(index)) {
    throw new StoreError('OC_IMAP_NO_INDEX', SEC.Error, `the index of ${o.username}'s mailbox has no IMAP tables`);
  }
  const batchSize = o.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new StoreError('OC_IMAP_CONFIG', SEC.InvalidParam, `bad IMAP fetch batch size ${batchSize}`);
  const batchBytes = o.batchBytes ?? 16 * 1024 * 1024;
  if (!Number.isSafeInteger(batchBytes) || batchBytes < 1) throw new StoreError('OC_IMAP_CONFIG', SEC.InvalidParam, `bad IMAP fetch batch byte limit ${batchBytes}`);
  return { mb: o.mailbox, imap: index.imap, pool: o.pool, username: o.username, log: o.log, batchSize, batchBytes, stopped: false, exclusive: turns() };
}

export const fidOf = (globcnt: bigint): bigint => makeEid(1, globcnt);

/** New mailboxes get the current time as UIDVALIDITY (Dovecot, Cyrus): an INBOX this recent was made by the login. */
const JUST_CREATED_SECONDS = 300;

/**
 * How many seconds ago an empty INBOX was created, when its UIDVALIDITY says it was made moments ago (null
 * otherwise): the IMAP server has just made it for this login, which is right for a user new to the mail server and
 * the symptom of a login name the server does not know its users by, on servers that create a mailbox at the first
 * login (Cyrus autocreate, Dovecot auto = create): `alice` where Cyrus's virtual domains know `alice@example.com`.
 */
export function inboxJustCreated(uidvalidity: number, messages: number, nowMs = Date.now()): number | null {
  const age = nowMs / 1000 - uidvalidity;
  return messages === 0 && age > -60 && age < JUST_CREATED_SECONDS ? Math.max(0, Math.round(age)) : null;
}

/** What the INBOX just created means (inboxJustCreated), for logs and `ocng imap check`. */
export const NEW_INBOX_HINT =
  "Right for a user new to the mail server; otherwise the server knows the user by another name (set imap.loginName, e.g. %u@example.com for Cyrus virtual domains or Dovecot users known by address) and the user's mail is not in this mailbox";

/** FolderState of a row (a row without one, or with a broken one, falls back on its raw name). */
export function folderState(row: ImapFolderRow): FolderState {
  if (row.syncState) {
    try {
      const s = JSON.parse(row.syncState) as Partial<FolderState>;
      if (typeof s.path === 'string' && typeof s.delimiter === 'string') {
        return {
          path: s.path, delimiter: s.delimiter, noselect: s.noselect === true, ...(s.special ? { special: s.special } : {}),
          ...(typeof s.mailboxId === 'string' && s.mailboxId ? { mailboxId: s.mailboxId } : {}),
        };
      }
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
    }
  }
  return { path: row.imapName, delimiter: '/', noselect: false };
}

const ROLE_OF_USE: Record<string, SpecialFolderName> = {
  '\\Sent': 'sentItems',
  '\\Drafts': 'drafts',
  '\\Trash': 'deletedItems',
  '\\Junk': 'junk',
};
const ROLE_OF_NAME: Record<string, SpecialFolderName> = {
  sent: 'sentItems', 'sent items': 'sentItems', 'sent messages': 'sentItems',
  drafts: 'drafts',
  trash: 'deletedItems', 'deleted items': 'deletedItems', 'deleted messages': 'deletedItems',
  junk: 'junk', 'junk e-mail': 'junk', 'junk email': 'junk', spam: 'junk',
};

export interface HierarchyResult {
  created: number;
  deleted: number;
  unchanged: number;
  /** Mailboxes renamed or moved by another client whose folders followed them (same FID, messages kept). */
  renamed: number;
}

/**
 * The personal namespace's prefix (RFC 2342: "" on Dovecot's default layout, "INBOX." on Courier's and Cyrus's, where
 * every personal mailbox is named INBOX.<name>) and hierarchy delimiter.
 */
export function personalRoot(client: ImapFlow): { prefix: string; delimiter: string } {
  const p = client.namespaces ? client.namespaces.personal?.[0] : undefined;
  return { prefix: p?.prefix ?? '', delimiter: p?.delimiter || '/' };
}

/** INBOX, whatever its letter case (RFC 9051 5.1). */
export const isInbox = (path: string): boolean => path.toUpperCase() === 'INBOX';

/**
 * Whether a listed mailbox is at the top of the personal namespace: no parent, or (with a prefix such as "INBOX.")
 * directly under the prefix, so INBOX.Projects is the top-level folder Projects, as RFC 2342 means it.
 */
function atTop(e: ListResponse, prefix: string): boolean {
  if (e.parent.length === 0) return true;
  return prefix !== '' && !isInbox(e.path) && e.parentPath !== undefined && `${e.parentPath}${e.delimiter}`.toUpperCase() === prefix.toUpperCase();
}

/** Mailboxes of the personal namespace (other users' and shared namespaces left out). */
function personal(client: ImapFlow, list: ListResponse[]): ListResponse[] {
  const ns = client.namespaces;
  const foreign = [...(ns?.other || []), ...(ns?.shared || [])].map((n) => n.prefix).filter((p) => p !== '');
  const own = personalRoot(client).prefix;
  // a prefix itself ("shared" of "shared/", "Mail" of a personal "Mail/") is the namespace's placeholder, not a mailbox
  // of the user; INBOX stays, whatever the prefix
  return list.filter(
    (e) =>
      !foreign.some((p) => e.path.startsWith(p) || e.pathAsListed.startsWith(p) || `${e.pathAsListed}${e.delimiter}` === p) &&
      (own === '' || isInbox(e.path) || `${e.pathAsListed}${e.delimiter}` !== own),
  );
}

/** Which special folder each listed mailbox maps onto (by path). */
export function specialRoles(list: ListResponse[], top: ReadonlySet<string>): Map<string, SpecialFolderName> {
  const out = new Map<string, SpecialFolderName>();
  const taken = new Set<SpecialFolderName>();
  const give = (path: string, role: SpecialFolderName): void => {
    if (taken.has(role) || out.has(path)) return;
    taken.add(role);
    out.set(path, role);
  };
  for (const e of list) if (isInbox(e.path)) give(e.path, 'inbox');
  for (const e of list) {
    const role = e.specialUse && e.specialUseSource !== 'name' ? ROLE_OF_USE[e.specialUse] : undefined;
    if (role) give(e.path, role);
  }
  for (const e of list) {
    const role = top.has(e.path) ? ROLE_OF_NAME[e.name.toLowerCase()] : undefined;
    if (role) give(e.path, role);
  }
  return out;
}

/**
 * The personal namespace's mailboxes of a LIST answer in the order the mirror walks them (parents first, then by
 * path), the special folder each one maps onto (also what `ocng imap check` prints), and the paths of those at the
 * top of the namespace (their folders go under the IPM subtree).
 */
export function mappedMailboxes(
  client: ImapFlow, list: ListResponse[],
): { listed: ListResponse[]; roles: Map<string, SpecialFolderName>; top: Set<string> } {
  const listed = personal(client, list);
  listed.sort((a, b) => a.parent.length - b.parent.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const { prefix } = personalRoot(client);
  const top = new Set(listed.filter((e) => atTop(e, prefix)).map((e) => e.path));
  return { listed, roles: specialRoles(listed, top), top };
}

export const isNoselect = (e: ListResponse): boolean => e.flags.has('\\Noselect') || e.flags.has('\\NonExistent');

/** What a STATUS answer (RFC 9051 7.2.4) says of a mailbox's identity; absent items are left out. */
export interface MailboxIdentity {
  uidvalidity?: number;
  /** RFC 8474 MAILBOXID. */
  mailboxId?: string;
}

const atomText = (a: unknown): string | undefined => {
  const v = (a as { value?: unknown } | null | undefined)?.value;
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : undefined;
};

/**
 * Reads UIDVALIDITY and MAILBOXID out of an untagged STATUS (imapflow's parse: the mailbox, then a list of item names
 * and values; MAILBOXID's value is itself a list of one objectid, RFC 8474 4). Anything malformed is left out, never
 * thrown: an identity the server did not give is no identity.
 */
export function parseStatusIdentity(u: RawUntagged): MailboxIdentity {
  const a = u.attributes;
  const items = Array.isArray(a) ? a[1] : undefined;
  const list = Array.isArray(items) ? items : Array.isArray((items as { value?: unknown } | undefined)?.value) ? ((items as { value: unknown[] }).value) : null;
  const out: MailboxIdentity = {};
  if (!list) return out;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = atomText(list[i])?.toUpperCase();
    const val = list[i + 1];
    if (key === 'UIDVALIDITY') {
      const t = atomText(val);
      const n = t !== undefined && /^[0-9]{1,10}$/.test(t) ? Number(t) : NaN;
      if (n >= 1 && n <= 0xffffffff) out.uidvalidity = n;
    } else if (key === 'MAILBOXID') {
      const inner = Array.isArray(val) ? val : (val as { value?: unknown } | undefined)?.value;
      const id = Array.isArray(inner) && inner.length === 1 ? atomText(inner[0]) : undefined;
      // RFC 8474 objectid: 1-255 of ALPHA / DIGIT / "_" / "-"
      if (id !== undefined && /^[A-Za-z0-9_-]{1,255}$/.test(id)) out.mailboxId = id;
    }
  }
  return out;
}

/** Deletes the mirrored messages of a folder locally (hard) and from the index; returns how many went. */
export async function dropMirroredMessages(ctx: MirrorContext, row: ImapFolderRow): Promise<number> {
  const fid = fidOf(row.folderGlobcnt);
  const exists = await ctx.mb.folderExists(fid);
  let n = 0;
  for (;;) {
    const rows = await ctx.imap.messagesInFolder(row.folderGlobcnt, row.uidvalidity, 0, 1000);
    if (rows.length === 0) break;
    if (exists) await ctx.mb.deleteMessages(fid, rows.map((r) => fidOf(r.globcnt)), { hard: true });
    await ctx.imap.deleteMessages(row.folderGlobcnt, row.uidvalidity, rows.map((r) => r.uid));
    n += rows.length;
  }
  // rows of any other UIDVALIDITY (none unless an earlier run was cut short)
  await ctx.imap.deleteFolderMessages(row.folderGlobcnt, row.uidvalidity);
  return n;
}
