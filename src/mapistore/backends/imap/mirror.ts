// IMAP -> mailbox mirror (issue 8 items 1-3): the read direction of the IMAP backend. The user's MAPI mailbox stays
// a LocalMailbox; its mail folders are mirrored from IMAP, which is the source of truth for mail. syncHierarchy() is
// folders.ts; syncFolder() brings one mirrored folder up to date:
// - RFC 9051 2.3.1.1: a changed UIDVALIDITY (or a first sync) drops the folder's mirrored messages and fetches all;
//   otherwise only UIDs >= the stored UIDNEXT are new (RFC 9051 2.3.1.1 strictly ascending UIDs);
// - new messages: UID SEARCH UID <uidnext>:* for their UIDs, UID SEARCH LARGER and UID FETCH (RFC822.SIZE) for the
//   sizes of the large ones, then UID FETCH of batches of at most `batchSize` UIDs and `batchBytes` bytes (a larger
//   message alone) with UID, FLAGS, INTERNALDATE, RFC822.SIZE, MODSEQ and BODY.PEEK[] (never a round trip per
//   message; the next batch is fetched while this one is stored, so about two batches are held in memory; the
//   batches of a whole folder newest first), each made into a message by import.ts;
// - RFC 7162 3.1.4 / 3.2.5.2 (CONDSTORE, QRESYNC): UID FETCH 1:<uidnext-1> (FLAGS) (CHANGEDSINCE <HIGHESTMODSEQ>
//   VANISHED) gives the flag changes of known messages and, as VANISHED (EARLIER), the expunged ones; when the
//   HIGHESTMODSEQ of the SELECT equals the stored one nothing changed (RFC 7162 3.1.2.1: every change and expunge
//   raises it) and no command is sent;
// - without QRESYNC the expunged UIDs come from UID SEARCH UID 1:<uidnext-1> compared with the index, and without
//   CONDSTORE the flags of every known message are fetched: both cost O(folder) per sync.
//
// Choices where the RFCs leave room:
// - the mailbox is opened with EXAMINE (read-only): the mirror never changes IMAP state (\Recent stays).
// - a message already in the index for its UID is not created again, so a sync cut short (connection lost, the
//   pool retries it) resumes without duplicates; the messages it stored are checked for flag changes and expunges by
//   the sync that goes on, and a whole-folder fetch cut short goes on as one (`full`: no new mail).
// - a UID SEARCH the server refuses (NO/BAD) fails the sync (OC_IMAP_SEARCH) before the folder's state is stored:
//   imapflow answers it with `false`, which is not "no UIDs".
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
// - IMAP \Draft set or cleared after the first fetch is not reflected (MSGFLAG_UNSENT is fixed at creation);
//   \Deleted (not yet expunged) is kept in the index only.
import type { ImapFlow, FetchMessageObject, SearchObject } from 'imapflow';
import type { MessageObject } from '../../types.js';
import { eidGlobcnt } from '../../../mapi/ids.js';
import { SEC, StoreError } from '../../errors.js';
import { IMAP_FLAG, type ImapFolderRow, type ImapMessageRow } from '../../index/types.js';
import { dropMirroredMessages, fidOf, folderState, inboxJustCreated, isInbox, NEW_INBOX_HINT, mirrorContext, type HierarchyResult, type MirrorContext, type MirrorOptions } from './folders.js';
import { syncHierarchy } from './hierarchy.js';
import type { Logger } from '../../../util/log.js';
import { flagBits, flagProps, importFallback, prepareImport, saveOrFallback, stubSource, type ImportInput, type ImportResult } from './import.js';
import { MIME_MAX_MESSAGE_BYTES } from '../../../mime/parse.js';
import { categoriesIn, categoriesOf, keywordsTag, sameCategories } from './keywords.js';
import { batches } from '../../../util/batches.js';

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

const UID_QUERY_CHUNK = 500;
/**
 * VANISHED (EARLIER) UIDs kept for one sync. The set is the server's to choose ("1:4294967295" is a few bytes on the
 * wire; imapflow reports it one UID at a time, up to 2^24 of them per line); past this many distinct UIDs the mirror
 * stops collecting and asks the server which known UIDs are still there (UID SEARCH, as without QRESYNC).
 */
const MAX_VANISHED = 100_000;
/** Converted messages stored together by MailboxStore.saveNewMessages (storeBatch). */
const SAVE_GROUP = 32;

/** A converted message of a fetched batch waiting for its group's save. */
interface Pending {
  m: FetchMessageObject;
  input: ImportInput;
  msg: MessageObject;
  warnings: string[];
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

/** A compact UID set (RFC 9051 sequence-set) of sorted UIDs. */
export function uidSet(uids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < uids.length; ) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    out.push(i === j ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/**
 * UID SEARCH whose refusal is an error. imapflow resolves a NO or BAD answer as `false`: read as "no UIDs", it would
 * make every mirrored message of the folder count as expunged, or skip new messages for good once UIDNEXT is stored.
 */
async function searchUids(client: ImapFlow, mailbox: string, query: SearchObject): Promise<number[]> {
  // imapflow keeps the refusal's text to itself; its 'response' event still names the status and response code
  let answer = '';
  const onResponse = (r: { response?: string; code?: string }): void => {
    if (r.response === 'NO' || r.response === 'BAD') answer = r.code ? `${r.response} [${r.code}]` : r.response;
  };
  client.on('response', onResponse);
  let found;
  try {
    found = await client.search(query, { uid: true });
  } finally {
    client.off('response', onResponse);
  }
  if (!Array.isArray(found)) {
    throw new StoreError('OC_IMAP_SEARCH', SEC.Error, `IMAP server refused UID SEARCH in mailbox ${mailbox}${answer ? ` (answer: ${answer})` : ''}; the folder is left as it was`, { mailbox });
  }
  return found;
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

/** A batch of new UIDs: those already mirrored (known) and what the FETCH brought for the others. */
interface FetchedBatch {
  uids: number[];
  known: Set<number>;
  fetched: FetchMessageObject[];
}

/** New UIDs in fetch batches, and those too large to convert (fetched as their header only: import.ts stubSource). */
interface Batches {
  batches: number[][];
  headersOnly: Set<number>;
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
      const end = await this.knownEnd(row, from);
      if (end > 1) await this.changes(client, fid, row, end, condstore, qresync, kept ? null : highestModseq, result);
    }
    let maxUid = 0;
    // a kept selection's UIDNEXT is the one of its SELECT: whether new UIDs exist is the SEARCH's answer
    if (kept || (uidNext > from && exists > 0)) {
      const found = await searchUids(client, row.imapName, { uid: `${from}:*` });
      const uids = found.filter((u) => u >= from).sort((a, b) => a - b);
      // the next batch is fetched while this one is converted and stored (Dovecot and the network work meanwhile; one
      // batch ahead at most). The whole folder (a first sync, a UIDVALIDITY change): newest batch first, so that a
      // mailbox whose first mirror outlasts the logon (imap.logonSyncSeconds) shows its recent mail first
      const { batches: fetches, headersOnly } = await this.batchesOf(client, row.imapName, uids);
      if (from === 1) fetches.reverse();
      const fetchAhead = (k: number): Promise<FetchedBatch> | null => {
        if (k >= fetches.length) return null;
        const p = this.fetchBatch(client, row, fetches[k]!, headersOnly);
        // handled from the start: a fetch that fails while the batch before it is stored is thrown by the await below,
        // not reported as an unhandled rejection (and nothing waits for it if storing failed first)
        p.catch(() => undefined);
        return p;
      };
      let next = fetchAhead(0);
      for (let i = 0; next; i++) {
        // the mailbox is closing (a first mirror going on in the background, a server shutting down): stop before the
        // next batch; nothing more is recorded, so the next sync fetches what is left (the stored UIDs are skipped)
        if (this.ctx.stopped) throw new StoreError('OC_IMAP_STOPPED', SEC.NetworkError, 'the mailbox was closed during the sync');
        const got = await next;
        next = fetchAhead(i + 1);
        maxUid = Math.max(maxUid, await this.storeBatch(fid, row, got, result));
      }
    }
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

  /**
   * New UIDs (ascending) in fetch batches bounded by count and by RFC822.SIZE. Only a message over batchBytes /
   * batchSize bytes can make a full batch too large: those are found with UID SEARCH LARGER and their sizes asked for;
   * every other message counts as that much. (Asking the size of every message cost the first mirror of 10,000
   * messages ~10-15% more CPU, imapflow's parsing of the answers.) A message larger than the MIME parser takes
   * (MIME_MAX_MESSAGE_BYTES) is fetched as its header only, alone in its batch.
   */
  private async batchesOf(client: ImapFlow, mailbox: string, uids: number[]): Promise<Batches> {
    if (uids.length === 0) return { batches: [], headersOnly: new Set() };
    const { batchSize, batchBytes } = this.ctx;
    const small = Math.floor(batchBytes / batchSize);
    // one range from the lowest to the highest new UID: the UIDs in it are those the SEARCH found
    const large = (await searchUids(client, mailbox, { uid: `${uids[0]}:${uids[uids.length - 1]}`, larger: small })).sort((a, b) => a - b);
    const size = new Map<number, number>();
    for (const part of batches(large, UID_QUERY_CHUNK)) {
      for (const m of await client.fetchAll(uidSet(part), { uid: true, size: true }, { uid: true })) size.set(m.uid, m.size ?? small);
    }
    const headersOnly = new Set([...size].filter(([, n]) => n > MIME_MAX_MESSAGE_BYTES).map(([u]) => u));
    // weighed as a full batch: alone in its batch, as it would be fetched whole (fetchBatch copes with a mixed one too)
    return { batches: batches(uids, batchSize, batchBytes, (u) => (headersOnly.has(u) ? batchBytes : (size.get(u) ?? small))), headersOnly };
  }

  /** The messages of one batch of new UIDs not mirrored yet, fetched whole (or, too large, their header only). */
  private async fetchBatch(client: ImapFlow, row: ImapFolderRow, uids: number[], headersOnly: ReadonlySet<number>): Promise<FetchedBatch> {
    const known = new Set((await this.ctx.imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, uids)).map((r) => r.uid));
    const todo = uids.filter((u) => !known.has(u));
    const whole = todo.filter((u) => !headersOnly.has(u));
    const heads = todo.filter((u) => headersOnly.has(u));
    const fetched: FetchMessageObject[] = [];
    if (whole.length > 0) fetched.push(...(await client.fetchAll(uidSet(whole), { uid: true, flags: true, internalDate: true, size: true, source: true }, { uid: true })));
    if (heads.length > 0) {
      for (const m of await client.fetchAll(uidSet(heads), { uid: true, flags: true, internalDate: true, size: true, headers: true }, { uid: true })) {
        if (m.headers) fetched.push({ ...m, source: stubSource(m.headers, m.size ?? 0) });
      }
    }
    return { uids, known, fetched };
  }

  /**
   * Creates the messages of a fetched batch; returns the batch's highest UID. In turn with the write-back
   * (MirrorContext.exclusive), and the UIDs it has mapped since fetchBatch looked are skipped: a message the write-back
   * APPENDed (or copied, or moved here) is in this batch when the SEARCH came after the server took it.
   */
  private async storeBatch(fid: bigint, row: ImapFolderRow, batch: FetchedBatch, result: FolderSyncResult): Promise<number> {
    return this.ctx.exclusive(async () => {
      for (const r of await this.ctx.imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, batch.uids)) batch.known.add(r.uid);
      return this.storeBatchNow(fid, row, batch, result);
    });
  }

  private async storeBatchNow(fid: bigint, row: ImapFolderRow, batch: FetchedBatch, result: FolderSyncResult): Promise<number> {
    const { imap, mb, log } = this.ctx;
    const { uids, known, fetched } = batch;
    const g = row.folderGlobcnt;
    const last = uids[uids.length - 1] ?? 0;
    if (fetched.length === 0) return last;
    // a FETCH hands over every FETCH line that came with it: unsolicited ones too (another message's flags, a message
    // that arrived meanwhile, a line without UID), which are not this batch's and must neither be stored nor counted
    const requested = new Set(uids);
    const rows: ImapMessageRow[] = [];
    const record = async (m: FetchMessageObject, input: ImportInput, r: ImportResult, knownCn: bigint | null): Promise<void> => {
      if (r.fallback) {
        result.failed++;
        log.warn({ user: this.ctx.username, mailbox: row.imapName, uid: m.uid, warnings: r.warnings }, 'IMAP message could not be converted; mirrored as raw MIME');
      } else if (r.warnings.length > 0) {
        log.debug({ user: this.ctx.username, mailbox: row.imapName, uid: m.uid, warnings: r.warnings }, 'IMAP message converted with warnings');
      }
      const cn = eidGlobcnt(knownCn ?? (await mb.messageChangeInfo(r.mid)).cn);
      rows.push({ folderGlobcnt: g, uidvalidity: row.uidvalidity, uid: m.uid, globcnt: eidGlobcnt(r.mid), modseq: m.modseq ?? 0n, cn, readCn: cn, flags: input.flags, size: m.size ?? input.source.length });
      result.added++;
    };
    // converted messages wait in groups of SAVE_GROUP and are stored together (MailboxStore.saveNewMessages: one
    // transaction step, one folder read and one counts read for the group instead of one each per message); small
    // groups, so that the converted values waiting for their save do not outlive V8's minor GCs
    let group: Pending[] = [];
    const flush = async (): Promise<void> => {
      const todo = group;
      group = [];
      if (todo.length === 0) return;
      let saved: { mid: bigint; cn: bigint }[] | null = null;
      try {
        if (mb.saveNewMessages) saved = await mb.saveNewMessages(fid, todo.map((p) => p.msg));
      } catch (e) {
        if (!(e instanceof StoreError)) {
          for (const p of todo) await p.msg.discard();
          throw e;
        }
        // one of them cannot be stored with the others: each on its own (a refused one kept as raw MIME)
        log.debug({ user: this.ctx.username, mailbox: row.imapName, err: e.message }, 'IMAP mirror: a group save failed; saving its messages one by one');
      }
      let done = 0; // copies discarded so far (saveOrFallback discards its own, whatever happens)
      try {
        for (const [k, p] of todo.entries()) {
          const got = saved?.[k];
          done = k + 1;
          if (got) await p.msg.discard();
          const r: ImportResult = got ? { mid: got.mid, warnings: p.warnings, fallback: false } : await saveOrFallback(mb, fid, p.input, p.msg, p.warnings);
          await record(p.m, p.input, r, got ? got.cn : null);
        }
      } finally {
        for (const p of todo.slice(done)) await p.msg.discard();
      }
    };
    // one local transaction for the batch (LocalMailbox.writeBatch): the index rows below are written after it
    try {
      await mb.writeBatch(async () => {
        try {
          for (const m of fetched) {
            if (typeof m.uid !== 'number' || !requested.has(m.uid) || known.has(m.uid) || !m.source) continue;
            known.add(m.uid);
            result.fetchedBodies++;
            const flags = flagBits(m.flags);
            const date = m.internalDate instanceof Date ? m.internalDate : typeof m.internalDate === 'string' ? new Date(m.internalDate) : null;
            const input: ImportInput = { uid: m.uid, source: m.source, internalDate: date && !Number.isNaN(date.getTime()) ? date : null, flags };
            if (flags & IMAP_FLAG.Keywords) input.categories = categoriesOf(m.flags);
            const p = await prepareImport(mb, fid, input);
            if (!p.msg) {
              // the messages before it first, so that MIDs and CNs keep the fetch order
              await flush();
              await record(m, input, await importFallback(mb, fid, input, p.warnings), null);
              continue;
            }
            group.push({ m, input, msg: p.msg, warnings: p.warnings });
            if (group.length >= SAVE_GROUP) await flush();
          }
          await flush();
        } finally {
          // a failure before the group was stored: its copies are dropped (the next sync fetches those UIDs again)
          for (const p of group) await p.msg.discard();
          group = [];
        }
      });
    } catch (e) {
      // writeBatch commits the messages saved before the failure: they get their index rows too, or the next sync
      // would fetch those UIDs again and create them a second time (duplicates that no expunge removes)
      await this.keepRows(row, rows).catch((err: unknown) => {
        log.warn({ user: this.ctx.username, mailbox: row.imapName, err: (err as Error).message }, 'IMAP mirror: index rows of a failed batch not written; the next sync may create those messages again');
      });
      throw e;
    }
    if (rows.length > 0) await imap.putMessages(rows);
    // the batch's highest UID: one not in the FETCH's answer was expunged meanwhile (UIDs are never used again)
    return last;
  }

  /** Writes the index rows of the messages that are really in the mailbox (a mailbox closed meanwhile committed none). */
  private async keepRows(row: ImapFolderRow, rows: readonly ImapMessageRow[]): Promise<void> {
    const kept: ImapMessageRow[] = [];
    for (const r of rows) if (await this.ctx.mb.messageExists(fidOf(r.globcnt))) kept.push(r);
    if (kept.length > 0) await this.ctx.imap.putMessages(kept);
    this.ctx.log.debug({ user: this.ctx.username, mailbox: row.imapName, kept: kept.length }, 'IMAP mirror: index rows of a failed batch written');
  }

  /**
   * One past the highest UID of the folder's index rows that can have changed since the last finished sync: `from`
   * (its UIDNEXT), or past the rows at or above it, which a sync cut short before it stored UIDNEXT (or a write-back
   * APPEND or COPY) left. Their flags and expunges are checked with the rest: the next sync asks only for changes
   * since this one's HIGHESTMODSEQ, so what happened to them before would never be seen.
   */
  private async knownEnd(row: ImapFolderRow, from: number): Promise<number> {
    let end = from;
    for (let after = from - 1; ; ) {
      const rows = await this.ctx.imap.messagesInFolder(row.folderGlobcnt, row.uidvalidity, after, 1000);
      if (rows.length === 0) return end;
      after = rows[rows.length - 1]!.uid;
      end = after + 1;
    }
  }

  /** Flag changes and expunges of the known messages (UIDs < from). */
  /**
   * `highestModseq`: the HIGHESTMODSEQ of a SELECT/EXAMINE just made, or null on a kept selection (whose value is
   * only imapflow's estimate from the MODSEQs it has seen: an expunge does not raise it, so it cannot prove that
   * nothing changed).
   */
  private async changes(
    client: ImapFlow, fid: bigint, row: ImapFolderRow, from: number, condstore: boolean, qresync: boolean, highestModseq: bigint | null, result: FolderSyncResult,
  ): Promise<void> {
    const known = `1:${from - 1}`;
    if (condstore && row.highestModseq > 0n) {
      if (highestModseq !== null && highestModseq === row.highestModseq) return; // nothing changed, nothing expunged (RFC 7162 3.1.2.1)
      // only UIDs below `from` can be in the index; a set larger than MAX_VANISHED is given up for a UID SEARCH, so
      // what is held stays bounded whatever range the server sends
      const vanished = new Set<number>();
      let tooMany = false;
      const selected = client.mailbox ? client.mailbox.path : null;
      const onExpunge = (p: { path?: string; uid?: number; vanished?: boolean }): void => {
        if (tooMany || !p.vanished || typeof p.uid !== 'number' || p.path !== selected || p.uid < 1 || p.uid >= from || vanished.has(p.uid)) return;
        if (vanished.size < MAX_VANISHED) vanished.add(p.uid);
        else {
          tooMany = true;
          vanished.clear();
        }
      };
      client.on('expunge', onExpunge);
      let fetched: FetchMessageObject[];
      try {
        fetched = await client.fetchAll(known, { uid: true, flags: true }, { uid: true, changedSince: row.highestModseq });
      } finally {
        client.off('expunge', onExpunge);
      }
      // applied in turn with the write-back (MirrorContext.exclusive), which writes the same rows
      await this.ctx.exclusive(async () => {
        await this.applyFlags(fid, row, fetched, result);
        if (qresync && !tooMany) await this.applyExpunges(fid, row, [...vanished], result);
        else await this.expungesBySearch(client, fid, row, from, result);
      });
      return;
    }
    // no CONDSTORE (or no HIGHESTMODSEQ stored yet): every known message's flags, O(folder)
    const fetched = await client.fetchAll(known, { uid: true, flags: true }, { uid: true });
    await this.ctx.exclusive(async () => {
      await this.applyFlags(fid, row, fetched, result);
      await this.expungesBySearch(client, fid, row, from, result);
    });
  }

  private async applyFlags(fid: bigint, row: ImapFolderRow, fetched: FetchMessageObject[], result: FolderSyncResult): Promise<void> {
    const { imap, mb } = this.ctx;
    const bySeen = new Map<number, FetchMessageObject>();
    for (const f of fetched) if (f.flags) bySeen.set(f.uid, f);
    const uids = [...bySeen.keys()].sort((a, b) => a - b);
    for (const part of batches(uids, UID_QUERY_CHUNK)) {
      const rows = await imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, part);
      const read: bigint[] = [];
      const unread: bigint[] = [];
      const out: ImapMessageRow[] = [];
      const seenChanged: ImapMessageRow[] = [];
      for (const k of rows) {
        const f = bySeen.get(k.uid)!;
        const bits = flagBits(f.flags);
        const diff = bits ^ k.flags;
        const mid = fidOf(k.globcnt);
        // categories (keywords.ts): compared with the message's PidNameKeywords when either side has any
        let categories: string[] | null = null;
        if ((bits | k.flags) & IMAP_FLAG.Keywords && (await mb.messageExists(mid))) {
          const tag = await keywordsTag(mb, (bits & IMAP_FLAG.Keywords) !== 0);
          const [cur] = tag ? await mb.getMessageProps(mid, [tag]) : [];
          const have = categoriesIn(cur);
          const got = categoriesOf(f.flags);
          if (!sameCategories(have, got)) categories = got;
        }
        if (diff === 0 && categories === null) {
          if (f.modseq !== undefined && f.modseq !== k.modseq) out.push({ ...k, modseq: f.modseq });
          continue;
        }
        if (!(await mb.messageExists(mid))) continue;
        result.changed++;
        const next: ImapMessageRow = { ...k, flags: bits, modseq: f.modseq ?? k.modseq };
        if (categories !== null) {
          const tag = await keywordsTag(mb, categories.length > 0);
          if (categories.length > 0) await mb.setMessageProps(mid, [{ tag, value: categories }]);
          else if (tag) await mb.deleteMessageProps(mid, [tag]);
          next.cn = eidGlobcnt((await mb.messageChangeInfo(mid)).cn);
        }
        if (diff & IMAP_FLAG.Seen) {
          (bits & IMAP_FLAG.Seen ? read : unread).push(mid);
          seenChanged.push(next);
        }
        if (diff & (IMAP_FLAG.Flagged | IMAP_FLAG.Answered | IMAP_FLAG.Forwarded)) {
          const p = flagProps(bits);
          if (p.set.length > 0) await mb.setMessageProps(mid, p.set);
          if (p.del.length > 0) await mb.deleteMessageProps(mid, p.del);
          next.cn = eidGlobcnt((await mb.messageChangeInfo(mid)).cn);
        }
        out.push(next);
      }
      const folderOf = async (mids: bigint[]): Promise<Map<bigint, bigint[]>> => {
        // a message whose local move has not reached IMAP yet (write-back failed) keeps its row: set the flag where it is
        const m = new Map<bigint, bigint[]>();
        for (const mid of mids) {
          const f = (await mb.folderOfMessage(mid)) ?? fid;
          m.set(f, [...(m.get(f) ?? []), mid]);
        }
        return m;
      };
      for (const [f, mids] of await folderOf(read)) await mb.setReadFlags(f, mids, true);
      for (const [f, mids] of await folderOf(unread)) await mb.setReadFlags(f, mids, false);
      if (seenChanged.length > 0) {
        const readCn = eidGlobcnt(await mb.currentCn());
        for (const r of seenChanged) r.readCn = readCn;
      }
      if (out.length > 0) await imap.putMessages(out);
    }
  }

  private async applyExpunges(fid: bigint, row: ImapFolderRow, uids: number[], result: FolderSyncResult): Promise<void> {
    const { imap, mb } = this.ctx;
    const sorted = [...new Set(uids)].sort((a, b) => a - b);
    for (const part of batches(sorted, UID_QUERY_CHUNK)) {
      const rows = await imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, part);
      if (rows.length === 0) continue;
      const mids: bigint[] = [];
      for (const r of rows) if (await mb.messageExists(fidOf(r.globcnt))) mids.push(fidOf(r.globcnt));
      if (mids.length > 0) await mb.deleteMessages(fid, mids, { hard: true });
      await imap.deleteMessages(row.folderGlobcnt, row.uidvalidity, rows.map((r) => r.uid));
      result.deleted += rows.length;
    }
  }

  /** Without QRESYNC: the UIDs the index knows that UID SEARCH no longer finds. O(folder). */
  private async expungesBySearch(client: ImapFlow, fid: bigint, row: ImapFolderRow, from: number, result: FolderSyncResult): Promise<void> {
    const present = new Set(await searchUids(client, row.imapName, { uid: `1:${from - 1}` }));
    const gone: number[] = [];
    for (let after = 0; after < from - 1; ) {
      const rows = await this.ctx.imap.messagesInFolder(row.folderGlobcnt, row.uidvalidity, after, 1000);
      if (rows.length === 0) break;
      // rows from `from` on came after the range was fixed (a write-back APPEND or COPY): the SEARCH did not look there
      for (const r of rows) if (r.uid < from && !present.has(r.uid)) gone.push(r.uid);
      after = rows[rows.length - 1]!.uid;
    }
    await this.applyExpunges(fid, row, gone, result);
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
