// IMAP -> mailbox mirror (issue 8 items 1-3): the read direction of the IMAP backend. The user's MAPI mailbox stays
// a LocalMailbox; its mail folders are mirrored from IMAP, which is the source of truth for mail. syncHierarchy() is
// hierarchy.ts; syncFolder() brings one mirrored folder up to date:
// - RFC 9051 2.3.1.1: a changed UIDVALIDITY (or a first sync) drops the folder's mirrored messages and fetches all;
//   otherwise only UIDs >= the stored UIDNEXT are new (RFC 9051 2.3.1.1 strictly ascending UIDs);
// - the flag changes and expunges of known messages: mirror-changes.ts (CONDSTORE, QRESYNC, or O(folder) without);
// - the new messages: mirror-fetch.ts (UID SEARCH, then UID FETCH in batches bounded by count and bytes, each made
//   into a message by import.ts).
//
// Choices where the RFCs leave room:
// - the mailbox is opened with EXAMINE (read-only): the mirror never changes IMAP state (\Recent stays).
// - a message already in the index for its UID is not created again, so a sync cut short (connection lost, the
//   pool retries it) resumes without duplicates; the messages it stored are checked for flag changes and expunges by
//   the sync that goes on, and a whole-folder fetch cut short goes on as one (`full`: no new mail).
// - a UID SEARCH the server refuses (NO/BAD) fails the sync (OC_IMAP_SEARCH) before the folder's state is stored
//   (uids.ts searchUids).
// - the stored UIDNEXT is max(UIDNEXT of the SELECT, highest UID fetched + 1); the stored HIGHESTMODSEQ is the
//   SELECT's: a change made during the sync is seen again by the next one (applying it twice changes nothing).
// - a kept selection (INBOX only): a pooled connection that still has INBOX selected from the mirror's own EXAMINE of
//   less than 5 minutes ago (with CONDSTORE and QRESYNC, the same UIDVALIDITY) is preferred and used without a new
//   EXAMINE, which costs a server like Dovecot O(mailbox) (~190 ms for 10,000 maildir messages, against ~1 ms for
//   the commands below). A NOOP first lets the server bring the session's view up to date (RFC 9051 5.2, 6.1.2);
//   then the sync asks for the changes explicitly: UID FETCH (CHANGEDSINCE <stored modseq> VANISHED) always runs (the session's
//   HIGHESTMODSEQ is only imapflow's estimate from the MODSEQs it saw: a lower bound, which is what gets stored), and
//   UID SEARCH UID <uidnext>:* finds new UIDs. INBOX only because INBOX cannot be deleted (RFC 9051 6.3.4): a mailbox
//   deleted and created again under a selecting session leaves Dovecot answering from the old view (NOOP gives an
//   untagged "NO Internal error", STATUS the old UIDVALIDITY; measured), so other folders are examined every time.
//   A command that fails on a kept selection is retried once after a fresh EXAMINE.
import type { ImapFlow } from 'imapflow';
import { eidGlobcnt } from '../../../mapi/ids.js';
import { SEC, StoreError } from '../../errors.js';
import type { ImapFolderRow } from '../../index/types.js';
import { dropMirroredMessages, fidOf, folderState, inboxJustCreated, isInbox, NEW_INBOX_HINT, mirrorContext, type HierarchyResult, type MirrorContext, type MirrorOptions } from './folders.js';
import { syncHierarchy } from './hierarchy.js';
import type { Logger } from '../../../util/log.js';
import { changes, knownEnd } from './mirror-changes.js';
import { fetchNew } from './mirror-fetch.js';

export { uidSet } from './uids.js';

export interface FolderSyncResult {
  /** Messages created locally. */
  added: number;
  /** Known messages whose mapped flags changed. */
  changed: number;
  /** Messages deleted locally (expunged on IMAP, or dropped by a UIDVALIDITY change). */
  deleted: number;
  /** Message bodies fetched (BODY.PEEK[]). */
  fetchedBodies: number;
  /** Messages kept as raw MIME because they could not be converted. */
  failed: number;
  /** True when the folder was fetched whole (first sync, UIDVALIDITY change). */
  full: boolean;
}

/**
 * A NO to SELECT/EXAMINE that says the mailbox does not exist: imapflow's own check (LIST finds nothing), RFC 5530
 * [NONEXISTENT], or the text servers send without that code (Dovecot 2.3 "Mailbox doesn't exist", Cyrus "Mailbox
 * does not exist"). Other refusals (rights, server trouble) stay errors: the folder's messages are kept.
 */
function mailboxMissing(e: unknown): boolean {
  const err = e as { mailboxMissing?: boolean; serverResponseCode?: string; responseStatus?: string; responseText?: string } | null;
  if (!err || err.responseStatus !== 'NO') return err?.mailboxMissing === true;
  return (
    err.mailboxMissing === true ||
    err.serverResponseCode?.toUpperCase() === 'NONEXISTENT' ||
    /\b(doesn't|does not) exist\b|no such mailbox/i.test(err.responseText ?? '')
  );
}

/** True when LIST shows the mailbox `path` (one LIST of the namespace: asked only when a mailbox cannot be selected). */
async function listed(client: ImapFlow, path: string): Promise<boolean> {
  return (await client.list({ listOnly: true })).some((e) => e.path === path);
}

/** A kept selection is trusted this long after the EXAMINE that made it; then the mailbox is examined afresh. */
const KEPT_MAX_MS = 5 * 60_000;
/** When the mirror last EXAMINEd INBOX on a connection. */
const examinedAt = new WeakMap<ImapFlow, number>();

/**
 * True when `client` still has INBOX selected from the mirror's own EXAMINE of less than KEPT_MAX_MS ago, with
 * CONDSTORE and QRESYNC on: a kept selection (see the header comment for why INBOX only).
 */
function stillSelected(client: ImapFlow, path: string): boolean {
  const box = client.mailbox;
  const at = examinedAt.get(client);
  return (
    isInbox(path) && at !== undefined && Date.now() - at < KEPT_MAX_MS && client.usable && box !== false && box !== undefined && box !== null &&
    box.path === path && !box.noModseq && box.highestModseq !== undefined && client.enabled.has('CONDSTORE') && client.enabled.has('QRESYNC')
  );
}

export class ImapMirror {
  readonly ctx: MirrorContext;

  constructor(o: MirrorOptions) {
    this.ctx = mirrorContext(o);
  }

  /** Makes a running and any later syncFolder stop before its next batch of new messages (the mailbox is closing). */
  stop(): void {
    this.ctx.stopped = true;
  }

  /** LISTs the personal namespace and brings the folder hierarchy in line (folders.ts). */
  syncHierarchy(): Promise<HierarchyResult> {
    // in turn with the write-back (MirrorContext.exclusive): a CREATE whose row is not written yet would else be taken
    // for a mailbox another client made
    return this.ctx.exclusive(() => syncHierarchy(this.ctx));
  }

  /** The FID mirroring an IMAP mailbox (as listed), or null. */
  async folderOf(imapName: string): Promise<bigint | null> {
    const row = await this.ctx.imap.folderByName(imapName);
    return row ? fidOf(row.folderGlobcnt) : null;
  }

  /** Brings one mirrored folder up to date with its IMAP mailbox. */
  async syncFolder(fid: bigint): Promise<FolderSyncResult> {
    const g = eidGlobcnt(fid);
    const first = await this.ctx.imap.folderById(g);
    if (!first) throw new StoreError('OC_IMAP_NOT_MIRRORED', SEC.NotFound, `folder 0x${fid.toString(16)} mirrors no IMAP mailbox`);
    const state = folderState(first);
    const result: FolderSyncResult = { added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false };
    if (state.noselect) return result;
    const path = state.path;
    return this.ctx.pool.run(
      this.ctx.username,
      async (client) => {
        // read again: a retried run continues from what the first attempt stored
        const row = (await this.ctx.imap.folderById(g)) ?? first;
        if (!stillSelected(client, path)) return this.syncOpen(client, fid, row, path, result, false);
        try {
          return await this.syncOpen(client, fid, row, path, result, true);
        } catch (e) {
          if (!client.usable) throw e; // the pool's retry takes it from here
          // the kept selection went bad (mailbox deleted or renamed meanwhile): once more with a fresh EXAMINE
          this.ctx.log.info({ user: this.ctx.username, mailbox: row.imapName, err: (e as Error).message }, 'IMAP sync on the selected mailbox failed; selecting it again');
          Object.assign(result, { added: 0, changed: 0, deleted: 0, fetchedBodies: 0, failed: 0, full: false });
          return this.syncOpen(client, fid, (await this.ctx.imap.folderById(g)) ?? row, path, result, false);
        }
      },
      undefined,
      // INBOX: the connection that has it selected; other folders: one that does not, so INBOX stays selected there
      isInbox(path) ? (client) => stillSelected(client, path) : (client) => !stillSelected(client, 'INBOX'),
    );
  }

  private async syncOpen(client: ImapFlow, fid: bigint, row: ImapFolderRow, path: string, result: FolderSyncResult, mayKeep: boolean): Promise<FolderSyncResult> {
    const { imap, log } = this.ctx;
    // the connection has the mailbox selected already (an earlier sync): no second SELECT/EXAMINE (Dovecot answers
    // one on a 10,000-message maildir in ~190 ms); what changed since comes from the commands below
    const kept =
      mayKeep && stillSelected(client, path) && row.uidvalidity !== 0 && Number((client.mailbox as { uidValidity: bigint }).uidValidity) === row.uidvalidity;
    let box;
    try {
      if (kept) {
        // the view catches up first: Dovecot evaluates a command on the view as it was, announcing what changed
        // meanwhile (EXISTS, VANISHED, FETCH) only at its end (measured: a SEARCH right after another client's APPEND
        // misses the new UID)
        await client.noop();
      }
      if (kept && stillSelected(client, path)) box = client.mailbox as Exclude<ImapFlow['mailbox'], false>;
      else {
        examinedAt.delete(client);
        box = await client.mailboxOpen(path, { readOnly: true });
        if (isInbox(path)) examinedAt.set(client, Date.now());
      }
    } catch (e) {
      if (mailboxMissing(e)) {
        // not listed any more: deleted, or renamed by another client. Its messages stay for the hierarchy sync, which
        // follows a rename by the row's UIDVALIDITY or MAILBOXID (emptied here, the folder would be deleted and its
        // new mailbox fetched again as a new folder) or drops a deleted one
        if (row.uidvalidity !== 0 && !(await listed(client, path))) {
          log.info({ user: this.ctx.username, mailbox: row.imapName }, 'IMAP mailbox not found (renamed or deleted by another client): its folder is left to the next hierarchy sync');
          return result;
        }
        // a listed hierarchy placeholder (Dovecot 2.3 lists a deleted parent of remaining children without \Noselect
        // and answers SELECT with NO): it holds no messages
        log.info({ user: this.ctx.username, mailbox: row.imapName }, 'IMAP mailbox cannot be selected; its folder is emptied');
        result.deleted += await dropMirroredMessages(this.ctx, row);
        if (row.uidvalidity !== 0) await imap.putFolders([{ ...row, uidvalidity: 0, uidnext: 0, highestModseq: 0n }]);
        return result;
      }
      throw e;
    }
    // copies: `box` is imapflow's live mailbox object, whose UIDNEXT every FETCH line with a UID raises (unsolicited ones
    // too, for a message that arrived after the SEARCH below): taken later, it could step over a message never fetched
    const uidvalidity = Number(box.uidValidity);
    const uidNext = box.uidNext;
    const exists = box.exists;
    if (row.uidvalidity === 0 && isInbox(path)) newInboxWarning(log, this.ctx.username, this.ctx.pool.credentials.loginName(this.ctx.username), uidvalidity, exists);
    const condstore = client.enabled.has('CONDSTORE') && !box.noModseq && box.highestModseq !== undefined;
    const qresync = condstore && client.enabled.has('QRESYNC');
    const highestModseq = condstore ? (box.highestModseq as bigint) : 0n;
    let from: number;
    if (row.uidvalidity !== uidvalidity) {
      if (row.uidvalidity !== 0) log.info({ user: this.ctx.username, mailbox: row.imapName, was: row.uidvalidity, now: uidvalidity }, 'IMAP UIDVALIDITY changed; fetching the folder again');
      result.deleted += await dropMirroredMessages(this.ctx, row);
      // lastSyncCn 0: no sync of this UIDVALIDITY has finished, so one that resumes this whole-folder fetch is one too
      row = { ...row, uidvalidity, uidnext: 1, highestModseq: 0n, lastSyncCn: 0n };
      await imap.putFolders([row]);
      result.full = true;
      from = 1;
    } else {
      from = Math.max(1, row.uidnext);
      // a whole-folder fetch cut short (no sync of this UIDVALIDITY finished yet) goes on as one: its messages are not
      // new mail
      if (row.lastSyncCn === 0n) result.full = true;
      const end = await knownEnd(this.ctx, row, from);
      if (end > 1) await changes(this.ctx, client, fid, row, end, condstore, qresync, kept ? null : highestModseq, result);
    }
    // a kept selection's UIDNEXT is the one of its SELECT: whether new UIDs exist is the SEARCH's answer
    const maxUid = kept || (uidNext > from && exists > 0) ? await fetchNew(this.ctx, client, fid, row, from, result) : 0;
    await this.ctx.exclusive(async () => {
      // the row as it is now: a write-back RENAME may have changed its name and path during the sync (they are kept);
      // a folder deleted meanwhile gets no row back
      const now = await imap.folderById(row.folderGlobcnt);
      if (!now) return;
      await imap.putFolders([{
        ...now,
        uidvalidity,
        uidnext: Math.max(uidNext, maxUid + 1, row.uidnext),
        highestModseq,
        lastSyncCn: eidGlobcnt(await this.ctx.mb.currentCn()),
      }]);
    });
    return result;
  }
}

/**
 * At the first mirror of a user's INBOX: one the IMAP server has just made for this login (folders.ts
 * inboxJustCreated) is logged once, as a warning; `ocng imap check` says the same.
 */
function newInboxWarning(log: Logger, username: string, login: string, uidvalidity: number, exists: number): void {
  const age = inboxJustCreated(uidvalidity, exists);
  if (age === null) return;
  log.warn({ user: username, loginName: login, ageSeconds: age }, `IMAP INBOX is empty and was just created by the IMAP server for this login. ${NEW_INBOX_HINT}`);
}

